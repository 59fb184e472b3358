"""Self-supervised baselines as ``evaluate`` modes: ``simclr``, ``limu`` and ``multitask``.

Each mode fine-tunes, exactly like ``finetune`` (same protocol, encoder architecture, head, optimizer,
budget and early stopping), the IMU encoder of a checkpoint pretrained by the IMU-only recipe of the
same name (:mod:`mujo_edge.train.recipes`) on the same unlabelled pools; its checkpoint is given as
``evaluate --baseline MODE=CHECKPOINT`` (a ``{dataset}`` template for leave-one-dataset-out). The
report adds the best of them per cell and MuJo fine-tune minus that best (:mod:`mujo_edge.eval.report`).
"""

from __future__ import annotations

from functools import partial

from mujo_edge.eval.checkpoints import BASELINE_MODES
from mujo_edge.eval.evaluate import MODES, finetune_from

for _mode in BASELINE_MODES:
    if _mode not in MODES:
        MODES.add(_mode, partial(finetune_from, source=_mode))
