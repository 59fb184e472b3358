"""IMU encoders: one body site's window of acc + gyro → a feature vector.

Input: ``x (B, T, C)`` normalized windows (``C = 6``: acc x/y/z then gyro x/y/z in the
:class:`~mujo_edge.data.spec.SensorSpec` channel order, ``T`` samples at the spec rate, 50 Hz by
default), ``site_index (B,)`` long rows of the site-embedding table (``0..len(PLACEMENTS)-1`` for
:data:`~mujo_edge.placements.PLACEMENTS`, ``len(PLACEMENTS)`` = unknown / ``"any"``) and
``channel_mask (B, C)`` bool (True = channel present; missing channels, e.g. gyro of acc-only
datasets, are zeroed and signalled by a learned per-channel "missing" embedding).
Output: ``(B, out_dim)`` features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.errors import SpecMismatchError
from mujo_edge.models.encoders.registry import IMU_ENCODERS, EncoderEntry
from mujo_edge.placements import PLACEMENTS, check_placement

#: Row of the site-embedding table used for an unknown placement (``"any"``).
UNKNOWN_SITE = len(PLACEMENTS)


def site_index_of(placement: str) -> int:
    """Site-embedding row of a placement name (``"any"`` → :data:`UNKNOWN_SITE`)."""

    check_placement(placement, allow_any=True)
    return UNKNOWN_SITE if placement == "any" else PLACEMENTS.index(placement)


class SiteConditioning(nn.Module):
    """Adds a site embedding and "channel missing" embeddings to ``(B, W, T')`` feature maps."""

    def __init__(self, width: int, in_channels: int) -> None:
        super().__init__()
        self.site = nn.Embedding(len(PLACEMENTS) + 1, width)
        self.missing = nn.Parameter(torch.zeros(in_channels, width))
        nn.init.normal_(self.site.weight, std=0.02)

    def forward(self, site_index: torch.Tensor, channel_mask: torch.Tensor) -> torch.Tensor:
        """``(B,)`` long and ``(B, C)`` bool → ``(B, W)`` additive conditioning vector."""
        return self.site(site_index) + (~channel_mask).to(self.missing.dtype) @ self.missing


def _prepare_inputs(x: torch.Tensor, site_index: torch.Tensor | None,
                    channel_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    b, _, c = x.shape
    if site_index is None:
        site_index = torch.full((b,), UNKNOWN_SITE, dtype=torch.long, device=x.device)
    if channel_mask is None:
        channel_mask = torch.ones(b, c, dtype=torch.bool, device=x.device)
    x = x * channel_mask[:, None, :].to(x.dtype)  # zero missing channels
    return x, site_index, channel_mask


@dataclass(frozen=True)
class ResNet1dConfig:
    """1-D ResNet: strided stem, then one residual block per stage (each halves time, ``stride``)."""

    in_channels: int = 6
    widths: tuple[int, ...] = (32, 64, 96)
    kernel: int = 5
    stride: int = 2
    blocks_per_stage: int = 1
    dropout: float = 0.0


class _ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        pad = kernel // 2
        self.conv1 = nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm1d(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel, padding=pad, bias=False)
        self.bn2 = nn.BatchNorm1d(c_out)
        self.short = (nn.Identity() if c_in == c_out and stride == 1 else
                      nn.Sequential(nn.Conv1d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm1d(c_out)))
        self.act = nn.ReLU()

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # (B, C, T) -> (B, C', T/stride)
        return self.act(self.bn2(self.conv2(self.act(self.bn1(self.conv1(h))))) + self.short(h))


class ResNet1dImuEncoder(nn.Module):
    """Strided 1-D ResNet over ``(B, T, C)`` with site / missing-channel conditioning after the stem."""

    def __init__(self, cfg: ResNet1dConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w0 = cfg.widths[0]
        self.stem = nn.Sequential(nn.Conv1d(cfg.in_channels, w0, cfg.kernel, stride=cfg.stride, padding=cfg.kernel // 2,
                                            bias=False), nn.BatchNorm1d(w0), nn.ReLU())
        self.cond = SiteConditioning(w0, cfg.in_channels)
        blocks: list[nn.Module] = []
        c = w0
        for w in cfg.widths[1:]:
            for i in range(cfg.blocks_per_stage):
                blocks.append(_ResBlock(c, w, cfg.kernel, cfg.stride if i == 0 else 1))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(cfg.dropout)
        self.out_dim = c

    @property
    def time_stride(self) -> int:
        """Input samples per output time step of :meth:`feature_map` (``T / T'``)."""
        return self.cfg.stride ** len(self.cfg.widths)

    def feature_map(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                    channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, T, C)`` normalized → ``(B, out_dim, T')`` features over time, ``T' = ceil(T / time_stride)``."""
        x, site_index, channel_mask = _prepare_inputs(x, site_index, channel_mask)
        h = self.stem(x.transpose(1, 2))                                  # (B, W0, T/2)
        h = h + self.cond(site_index, channel_mask).to(h.dtype)[:, :, None]
        return self.blocks(h)                                             # (B, W, T')

    def forward(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, T, C)`` normalized → ``(B, out_dim)`` (global average over time)."""
        return self.drop(self.feature_map(x, site_index, channel_mask).mean(dim=2))  # (B, W)


@dataclass(frozen=True)
class TransformerImuConfig:
    """Temporal transformer: patches of ``patch`` samples → ``depth`` pre-norm encoder layers → mean pool."""

    in_channels: int = 6
    dim: int = 128
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 2.0
    patch: int = 8
    max_len: int = 1024
    dropout: float = 0.1


class TransformerImuEncoder(nn.Module):
    """Patch-embedded temporal transformer; the site / missing-channel embedding is an extra token."""

    def __init__(self, cfg: TransformerImuConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.patch = nn.Conv1d(cfg.in_channels, cfg.dim, cfg.patch, stride=cfg.patch)
        self.cond = SiteConditioning(cfg.dim, cfg.in_channels)
        self.pos = nn.Parameter(torch.zeros(1, math.ceil(cfg.max_len / cfg.patch) + 1, cfg.dim))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, int(cfg.dim * cfg.mlp_ratio), cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, cfg.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.out_dim = cfg.dim

    @property
    def time_stride(self) -> int:
        """Input samples per output time step of :meth:`feature_map` (the patch size)."""
        return self.cfg.patch

    def _tokens(self, x: torch.Tensor, site_index: torch.Tensor | None,
                channel_mask: torch.Tensor | None) -> torch.Tensor:
        x, site_index, channel_mask = _prepare_inputs(x, site_index, channel_mask)
        tok = self.patch(x.transpose(1, 2)).transpose(1, 2)              # (B, T/patch, D)
        cond = self.cond(site_index, channel_mask).to(tok.dtype)[:, None, :]
        tok = torch.cat([cond, tok], dim=1)                               # (B, 1 + T/patch, D)
        if tok.shape[1] > self.pos.shape[1]:
            raise SpecMismatchError(f"window of {x.shape[1]} samples exceeds max_len {self.cfg.max_len}")
        return self.body(tok + self.pos[:, : tok.shape[1]])[:, 1:]        # (B, T/patch, D)

    def feature_map(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                    channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, T, C)`` normalized → ``(B, dim, T / patch)`` token features over time."""
        return self._tokens(x, site_index, channel_mask).transpose(1, 2)

    def forward(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x (B, T, C)`` normalized → ``(B, dim)``; ``T`` is cut to a multiple of ``patch``."""
        return self.norm(self._tokens(x, site_index, channel_mask).mean(dim=1))  # (B, D)


IMU_ENCODERS.add("resnet1d", EncoderEntry(ResNet1dConfig, ResNet1dImuEncoder, "strided 1-D ResNet (BN, ReLU)"))
IMU_ENCODERS.add("transformer", EncoderEntry(TransformerImuConfig, TransformerImuEncoder, "patch temporal transformer"))
