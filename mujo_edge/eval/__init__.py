"""Evaluation: the ``evaluate`` grid (pretrained vs scratch at label fractions), zero-shot, sim-to-real realism, reports."""
