"""Evaluation: the ``evaluate`` grid (pretrained vs scratch at label fractions), zero-shot, sim-to-real realism, reports."""

from mujo_edge.eval import baselines  # noqa: F401  (registers the SSL-baseline modes of ``evaluate``)
