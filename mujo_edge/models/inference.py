"""Batched inference of window models: logits and pooled features, eval mode, no gradients.

Used by training (validation), evaluation, export (the eager reference) and the checkpoint runtime,
so there is one way to run a model over many windows.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Logits ``(N, K)`` float32 of ``model`` on normalized windows ``x (N, T, C)`` in eval mode."""
    model.eval()
    outs = [model(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size]))).float().numpy()
            for i in range(0, len(x), batch_size)]
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


@torch.no_grad()
def predict_features(model: nn.Module, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Pooled features ``(N, D)`` float32 of ``model.features`` on normalized windows ``x (N, T, C)`` in eval mode."""
    model.eval()
    outs = [model.features(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size]))).float().numpy()
            for i in range(0, len(x), batch_size)]
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)
