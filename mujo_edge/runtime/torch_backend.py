"""The checkpoint backend: a PyTorch classifier rebuilt from a checkpoint folder (``kind`` classifier or student)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mujo_edge.artifacts.checkpoint import load_checkpoint
from mujo_edge.errors import CheckpointError
from mujo_edge.models.classifiers import classifier_from_checkpoint
from mujo_edge.models.inference import predict_logits
from mujo_edge.runtime.base import RuntimeClassifier

log = logging.getLogger(__name__)

#: Checkpoint kinds that hold a window classifier the runtime can run.
CLASSIFIER_KINDS: tuple[str, ...] = ("classifier", "student")


class TorchClassifier(RuntimeClassifier):
    """Eager PyTorch inference of a :data:`mujo_edge.models.CLASSIFIERS` model (batches of 1024 windows)."""

    model: nn.Module | None = None
    threads: int | None = None  # torch intra-op threads while this model runs (None: leave torch's setting)

    def _logits(self, x: np.ndarray) -> np.ndarray:
        if self.threads is None:
            return predict_logits(self.model, x)
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return predict_logits(self.model, x)
        finally:
            torch.set_num_threads(before)


def load_checkpoint_classifier(path: str | Path, threads: int | None = None) -> TorchClassifier:
    """Load a ``classifier`` / ``student`` checkpoint folder as a :class:`TorchClassifier`.

    Args:
        path: checkpoint folder (``model.safetensors`` + ``checkpoint.json``).
        threads: if given, torch runs this model with that many threads (the process-wide setting is
            restored after every call).

    Raises:
        CheckpointError: not a checkpoint, a kind other than :data:`CLASSIFIER_KINDS`, corrupt weights,
            or a checkpoint without label names.
    """
    ckpt = load_checkpoint(path, kinds=CLASSIFIER_KINDS)
    if not ckpt.label_names:
        raise CheckpointError(f"{ckpt.path}: a {ckpt.kind} checkpoint without label names cannot be used for prediction")
    model = classifier_from_checkpoint(ckpt)
    meta = {"kind": ckpt.kind, "model": {"name": ckpt.model_name, "config": ckpt.model_config},
            "metrics": ckpt.metrics, "extra": ckpt.extra, "git_commit": ckpt.git_commit,
            "weights_sha256": ckpt.weights_sha256}
    clf = TorchClassifier(spec=ckpt.spec, label_names=tuple(ckpt.label_names), backend="torch", path=ckpt.path,
                          meta=meta, channels_used=tuple(ckpt.extra.get("channels_used", ())))
    clf.model = model
    clf.threads = int(threads) if threads is not None else None
    log.info("loaded %s checkpoint %s (%s)", ckpt.kind, ckpt.path, ckpt.model_name)
    return clf
