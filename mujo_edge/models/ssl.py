"""Self-supervised objectives on unlabelled IMU windows, sharing the MuJo IMU encoder.

Registry :data:`SSL_OBJECTIVES` (unknown names raise with the valid list):

* ``contrastive`` (SimCLR-style): two augmented views of each window → encoder → MLP projection →
  :class:`~mujo_edge.models.losses.NTXent`;
* ``masked`` (LIMU-BERT-style): spans of the input hidden (set to 0 in normalized units) → encoder
  feature map ``(B, W, T')`` → a per-time-step MLP decoder back to ``(B, T, C)`` →
  :class:`~mujo_edge.models.losses.MaskedMSE` on the hidden samples of present channels;
* ``transform`` (multi-task transformation recognition, as ssl-wearables): each window gets each of
  ``K`` transformations (time reversal, segment permutation, time warp) with probability ½ → encoder →
  linear heads → :class:`~mujo_edge.models.losses.MultiTaskBCE` on "was it applied?".

The batch a head reads (built by :mod:`mujo_edge.train.pool_batches`) holds ``ssl_imu (N, T, C)``
normalized windows, ``ssl_site (N,)``, ``ssl_channel_mask (N, C)`` and per objective
``ssl_target (B, T, C)`` + ``ssl_mask (B, T, C)`` (masked) or ``ssl_target (B, K)`` (transform); for
``contrastive`` the ``N = 2B`` rows are view 1 of every window, then view 2. No class label is ever read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mujo_edge.config import from_dict
from mujo_edge.errors import ConfigError
from mujo_edge.models.losses import MaskedMSE, MultiTaskBCE, NTXent
from mujo_edge.registry import Registry

#: Transformations the ``transform`` objective recognises (see :mod:`mujo_edge.train.pool_batches`).
TRANSFORMS: tuple[str, ...] = ("reverse", "permute", "warp")


@dataclass(frozen=True)
class SSLConfig:
    """One self-supervised objective and its head (saved inside the model config as ``ssl``).

    Attributes:
        objective: name in :data:`SSL_OBJECTIVES`.
        proj_dim, hidden: projection / decoder MLP sizes.
        temperature: NT-Xent temperature (``contrastive``).
        mask_ratio: share of samples hidden (``masked``), in spans of ``mask_span`` samples.
        mask_span: span length, samples.
        tasks: transformations to recognise (``transform``), a subset of :data:`TRANSFORMS`.
    """

    objective: str = "contrastive"
    proj_dim: int = 64
    hidden: int = 128
    temperature: float = 0.1
    mask_ratio: float = 0.2
    mask_span: int = 8
    tasks: tuple[str, ...] = TRANSFORMS

    def __post_init__(self) -> None:
        SSL_OBJECTIVES.get(self.objective)
        for t in self.tasks:
            if t not in TRANSFORMS:
                raise ConfigError(f"unknown transformation {t!r}; valid: {', '.join(TRANSFORMS)}")
        if (self.proj_dim < 1 or self.hidden < 1 or not self.temperature > 0 or not 0 < self.mask_ratio < 1
                or self.mask_span < 1 or not self.tasks):
            raise ConfigError(f"invalid SSL config {self}")


class ContrastiveHead(nn.Module):
    """Pooled features ``(N, F)`` → L2-normalised projections ``(N, proj_dim)``; loss = NT-Xent of the two halves."""

    def __init__(self, cfg: SSLConfig, feat_dim: int, channels: int, time_stride: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(feat_dim, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.proj_dim))
        self.loss_fn = NTXent(cfg.temperature)
        self.pooled = True

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.proj(feats).float(), dim=-1)

    def loss(self, out: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, float]:
        n = len(out) // 2
        return self.loss_fn(out[:n], out[n:])


class ReconstructionHead(nn.Module):
    """Feature map ``(B, W, T')`` → reconstruction ``(B, T' × time_stride, C)`` by a per-time-step MLP."""

    def __init__(self, cfg: SSLConfig, feat_dim: int, channels: int, time_stride: int) -> None:
        super().__init__()
        self.channels, self.stride = channels, time_stride
        self.decoder = nn.Sequential(nn.Linear(feat_dim, cfg.hidden), nn.GELU(), nn.LayerNorm(cfg.hidden),
                                     nn.Linear(cfg.hidden, time_stride * channels))
        self.loss_fn = MaskedMSE()
        self.pooled = False

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        b, _, t = fmap.shape
        return self.decoder(fmap.transpose(1, 2)).reshape(b, t * self.stride, self.channels)  # (B, T, C)

    def loss(self, out: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, float]:
        target, mask = batch["ssl_target"], batch["ssl_mask"]
        t = target.shape[1]
        loss = self.loss_fn(out[:, :t].float(), target.float(), mask)
        return loss, float("nan")


class TransformHead(nn.Module):
    """Pooled features ``(B, F)`` → one logit per transformation ``(B, K)``; loss = BCE against what was applied."""

    def __init__(self, cfg: SSLConfig, feat_dim: int, channels: int, time_stride: int) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.Linear(feat_dim, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, len(cfg.tasks)))
        self.loss_fn = MultiTaskBCE()
        self.pooled = True

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.head(feats)

    def loss(self, out: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, float]:
        return self.loss_fn(out.float(), batch["ssl_target"])


HeadFactory = Callable[[SSLConfig, int, int, int], nn.Module]
#: SSL objectives: name → head class ``(cfg, feat_dim, channels, time_stride) -> nn.Module``.
SSL_OBJECTIVES: Registry[HeadFactory] = Registry("self-supervised objective")
SSL_OBJECTIVES.add("contrastive", ContrastiveHead)
SSL_OBJECTIVES.add("masked", ReconstructionHead)
SSL_OBJECTIVES.add("transform", TransformHead)


def ssl_config(data: dict[str, Any] | SSLConfig) -> SSLConfig:
    """An :class:`SSLConfig` from its dict form (as stored in a model config) or as is."""
    return data if isinstance(data, SSLConfig) else from_dict(SSLConfig, dict(data), where="ssl config")


def build_ssl_head(cfg: SSLConfig, feat_dim: int, channels: int, time_stride: int) -> nn.Module:
    """The head of ``cfg.objective`` for an encoder with ``feat_dim`` features and ``time_stride`` samples per step."""
    return SSL_OBJECTIVES.get(cfg.objective)(cfg, feat_dim, channels, time_stride)
