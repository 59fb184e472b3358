"""The student loop: train a registered classifier on one fold with the protocol loop and score it.

Used by ``distill`` for the supervised student, the fine-tuning stage after feature distillation
and the scratch baseline, with explicit arguments (no stage config), so both distillation paths
share it without importing each other.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch import nn

from mujo_edge.data.protocol import FoldData
from mujo_edge.metrics import scores
from mujo_edge.models.classifiers import build_classifier, count_parameters
from mujo_edge.models.inference import predict_logits
from mujo_edge.train.margin import MarginConfig, sharpen_decisions
from mujo_edge.train.supervised import SupervisedConfig, train_supervised


class InputNoise(nn.Module):
    """Wraps a classifier so that training-mode forwards see ``x + N(0, std²)``; eval mode is untouched."""

    def __init__(self, model: nn.Module, std: float) -> None:
        super().__init__()
        self.inner, self.std = model, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` normalized windows → the wrapped model's logits."""
        if self.training and self.std > 0:
            x = x + self.std * torch.randn_like(x)
        return self.inner(x)


def score_model(model: nn.Module, x: np.ndarray, y: np.ndarray, num_classes: int) -> dict[str, float]:
    """Macro F1, accuracy and the number of windows of ``model`` on normalized ``x`` ``(N, W, C)``, labels ``y``."""
    return {**scores(y, predict_logits(model, x).argmax(1), num_classes), "windows": int(len(y))}


def train_student(name: str, fd: FoldData, *, seed: int, lr: float, max_steps: int, input_noise: float = 0.0,
                  student_config: dict[str, Any] | None = None, init: nn.Module | None = None,
                  margin: MarginConfig | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """Train classifier ``name`` (or the given ``init`` model) supervised on fold data ``fd``.

    The protocol loop (:func:`~mujo_edge.train.supervised.train_supervised`: Adam at ``lr``, early
    stopping, at most ``max_steps``) with Gaussian input noise of ``input_noise`` (normalized units)
    on the training batches, then (unless ``margin`` is ``None`` or has 0 steps) the decision-margin
    stage of :mod:`mujo_edge.train.margin`, which keeps int8 exports agreeing with the model. Returns the
    model (eval mode) and its metrics, all measured on the final model: ``test`` scores on the fold's test
    subjects, ``val_f1``, ``best_step``, ``steps``, ``parameters`` and ``decision_margin`` (the stage's
    settings and its near-tie shares on the validation windows before and after).
    """
    torch.manual_seed(seed)
    model = init if init is not None else build_classifier(
        name, **{"in_channels": fd.x_fit.shape[-1], "num_classes": fd.num_classes, **(student_config or {})})
    t0 = time.perf_counter()
    res = train_supervised(InputNoise(model, input_noise), fd.x_fit, fd.y_fit, fd.x_val, fd.y_val, fd.num_classes,
                           SupervisedConfig(lr=lr, max_steps=max_steps, seed=seed))
    model.eval()
    metrics: dict[str, Any] = {"val_f1": res.best_val_f1}
    if margin is not None and margin.steps > 0:
        metrics["decision_margin"] = sharpen_decisions(model, fd.x_fit, fd.y_fit, margin, seed=seed,
                                                       input_noise=input_noise, x_check=fd.x_val)
        metrics["decision_margin"]["val_f1_before"] = res.best_val_f1
        metrics["val_f1"] = score_model(model, fd.x_val, fd.y_val, fd.num_classes)["macro_f1"]
    metrics.update({"test": score_model(model, fd.x_test, fd.y_test, fd.num_classes), "best_step": res.best_step,
                    "steps": res.steps, "parameters": count_parameters(model),
                    "train_seconds": round(time.perf_counter() - t0, 1)})
    return model, metrics
