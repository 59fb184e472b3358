"""Training loops. ``supervised``: the evaluation protocol's early-stopped classifier training."""
