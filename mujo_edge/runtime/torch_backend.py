"""The checkpoint backend: a PyTorch classifier rebuilt from a checkpoint folder (``kind`` classifier or student)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from mujo_edge.runtime.base import RuntimeClassifier

log = logging.getLogger(__name__)

#: Checkpoint kinds that hold a window classifier the runtime can run.
CLASSIFIER_KINDS: tuple[str, ...] = ("classifier", "student")


class TorchClassifier(RuntimeClassifier):
    """Eager PyTorch inference of a :data:`mujo_edge.models.CLASSIFIERS` model (batches of 1024 windows)."""

    model: object = None

    def _logits(self, x: np.ndarray) -> np.ndarray:
        from mujo_edge.train.supervised import predict_logits

        return predict_logits(self.model, x)


def load_checkpoint_classifier(path: str | Path, threads: int | None = None) -> TorchClassifier:
    """Load a ``classifier`` / ``student`` checkpoint folder as a :class:`TorchClassifier`.

    Args:
        path: checkpoint folder (``model.safetensors`` + ``checkpoint.json``).
        threads: if given, ``torch.set_num_threads(threads)`` (process-wide).

    Raises:
        CheckpointError: not a checkpoint, a kind other than :data:`CLASSIFIER_KINDS`, corrupt weights,
            or a checkpoint without label names.
    """
    import torch

    from mujo_edge.checkpoint import load_checkpoint
    from mujo_edge.errors import CheckpointError
    from mujo_edge.models.classifiers import classifier_from_checkpoint

    if threads is not None:
        torch.set_num_threads(int(threads))
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
    log.info("loaded %s checkpoint %s (%s)", ckpt.kind, ckpt.path, ckpt.model_name)
    return clf
