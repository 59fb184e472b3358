"""Edge students and reference peers, registered in :data:`mujo_edge.models.classifiers.CLASSIFIERS`.

Students are built only from ops that ExecuTorch/XNNPACK, LiteRT and ONNX Runtime all lower well
(Conv1d with explicit integer padding, BatchNorm (folded away for export), ReLU, average pooling,
Linear); no LayerNorm, no ``padding="same"``, and no 3-D ``mean(dim)``: XNNPACK lowers a mean only
over the innermost dims of a 4-D tensor with ``keepdim``, so :func:`global_avg_pool` reshapes to
``(B, D, T, 1)`` and takes exactly that mean.

* ``dscnn``: depthwise-separable 1-D CNN, ~25 K parameters (6 channels, 6 classes), ~0.4 M MAC/window.
* ``dscnn_tiny``: the same family, ~7 K parameters.
* ``tinyhar_ref``: a TinyHAR-class reference (Zhou et al., ISWC 2022: per-channel convolutions,
  cross-channel self-attention, channel fusion, LSTM, temporal attention), ~55 K parameters. The LSTM
  is written out step by step (same equations as ``nn.LSTM``) so every backend can lower it.
* ``limubert_ref``: a LIMU-BERT-class encoder (Xu et al., SenSys 2021: hidden 72, feed-forward 144,
  4 layers sharing one set of weights as in LIMU-BERT, 4 heads, post-LayerNorm) with a mean-pool +
  linear head instead of LIMU-BERT's GRU classifier.

The references exist to be benchmarked side by side with the students (``benchmarks/``); they train
like any classifier. Every model takes NORMALIZED windows ``(B, T, C)`` and returns logits ``(B, K)``;
``features(x)`` returns the pooled ``(B, D)`` embedding used for distillation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.models.classifiers import CLASSIFIERS, ClassifierEntry


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    """Conv1d (explicit padding ``kernel // 2``, no bias) → BatchNorm1d → ReLU."""
    return [nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
            nn.BatchNorm1d(c_out), nn.ReLU()]


def global_avg_pool(h: torch.Tensor) -> torch.Tensor:
    """``(B, D, T)`` → ``(B, D)`` time average, written so XNNPACK takes it into the same delegate.

    ``AdaptiveAvgPool1d`` decomposes to unsqueeze → mean → squeeze, and the (un)squeeze stays outside
    the XNNPACK partition (three delegate calls instead of one); a reshape to 4-D plus a keepdim mean
    over the two innermost dims lowers completely.
    """
    b, d, t = h.shape
    return torch.mean(h.reshape(b, d, t, 1), dim=(2, 3), keepdim=True).reshape(b, d)


# ---------------------------------------------------------------------------------------------- DS-CNN
@dataclass(frozen=True)
class DSCNNConfig:
    """Depthwise-separable 1-D CNN.

    Attributes:
        in_channels: C of the ``(B, T, C)`` input.
        num_classes: K.
        stem: channels of the first (full) convolution, stride 2.
        blocks: ``(out_channels, stride)`` of each depthwise(k) → pointwise(1) block.
        kernel: temporal kernel of the stem and the depthwise convolutions (odd).
        dropout: dropout before the classifier (training only).
        separable: depthwise(k) → pointwise(1) blocks; ``False`` = one full conv(k) per block.

    Depth is kept low on purpose: every int8 layer adds quantization noise, and on MotionSense the
    11-layer variant (stem + 5 blocks) agreed with its fp32 model on only 98.9-99.0 % of held-out
    windows after int8 PTQ, while this 7-layer one agrees on 99.4-99.8 % at the same F1 (see docs/export.md).
    """

    in_channels: int = 6
    num_classes: int = 6
    stem: int = 32
    blocks: tuple[tuple[int, int], ...] = ((64, 2), (96, 2), (128, 2))
    kernel: int = 7
    dropout: float = 0.1
    separable: bool = True


class DSCNN(nn.Module):
    """``(B, T, C)`` → stem conv (stride 2) → depthwise-separable blocks → global average pool → Linear."""

    def __init__(self, cfg: DSCNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers = _conv_bn_relu(cfg.in_channels, cfg.stem, cfg.kernel, stride=2)
        c = cfg.stem
        for out, stride in cfg.blocks:
            if cfg.separable:
                layers += _conv_bn_relu(c, c, cfg.kernel, stride=stride, groups=c)  # depthwise
                layers += _conv_bn_relu(c, out, 1)                                  # pointwise
            else:
                layers += _conv_bn_relu(c, out, cfg.kernel, stride=stride)          # full conv
            c = out
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(c, cfg.num_classes)
        self.feature_dim = c

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` normalized windows → ``(B, D)`` pooled features."""
        h = self.body(x.transpose(1, 2))  # (B, D, T')
        return global_avg_pool(h)         # (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, K)`` logits."""
        return self.head(self.dropout(self.features(x)))


@dataclass(frozen=True)
class DSCNNTinyConfig(DSCNNConfig):
    """The small DS-CNN (~7 K parameters)."""

    stem: int = 16
    blocks: tuple[tuple[int, int], ...] = ((32, 2), (48, 2), (64, 2))


CLASSIFIERS.add("dscnn", ClassifierEntry(DSCNNConfig, DSCNN, "edge student: depthwise-separable 1-D CNN, ~25 K parameters"))
CLASSIFIERS.add("dscnn_tiny", ClassifierEntry(DSCNNTinyConfig, DSCNN, "edge student: small depthwise-separable 1-D CNN, ~7 K parameters"))


# ---------------------------------------------------------------------------------------------- TinyHAR-class
@dataclass(frozen=True)
class TinyHARConfig:
    """TinyHAR-class reference: ``filters`` per-channel conv maps, attention across sensor channels,
    fusion to ``2 * filters``, an LSTM over time and attention pooling over time."""

    in_channels: int = 6
    num_classes: int = 6
    filters: int = 28
    conv_layers: int = 4
    kernel: int = 5
    dropout: float = 0.1


class TinyHAR(nn.Module):
    """TinyHAR-class model (see module docstring); ``(B, T, C)`` → ``(B, K)``."""

    def __init__(self, cfg: TinyHARConfig) -> None:
        super().__init__()
        self.cfg = cfg
        f, k = cfg.filters, cfg.kernel
        convs: list[nn.Module] = []
        c = 1
        for i in range(cfg.conv_layers):  # individual (per sensor channel) temporal convolutions
            convs += [nn.Conv2d(c, f, (k, 1), stride=(2, 1), padding=(k // 2, 0)), nn.BatchNorm2d(f), nn.ReLU()]
            c = f
        self.convs = nn.Sequential(*convs)
        self.q, self.kk, self.v = nn.Linear(f, f), nn.Linear(f, f), nn.Linear(f, f)  # cross-channel attention
        self.attn_out = nn.Linear(f, f)
        self.ff = nn.Sequential(nn.Linear(f, 2 * f), nn.ReLU(), nn.Linear(2 * f, f))
        self.fuse = nn.Linear(cfg.in_channels * f, 2 * f)                         # cross-channel fusion
        h = 2 * f
        self.hidden = h
        self.lstm_x = nn.Linear(h, 4 * h)                                         # temporal interaction (LSTM)
        self.lstm_h = nn.Linear(h, 4 * h, bias=False)
        self.temporal_score = nn.Linear(h, 1)                                     # temporal aggregation
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(h, cfg.num_classes)
        self.feature_dim = h

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, 2 * filters)``."""
        b = x.shape[0]
        z = self.convs(x.unsqueeze(1))                      # (B, F, T', C)
        z = z.permute(0, 2, 3, 1)                           # (B, T', C, F): channels are tokens
        t, c, f = z.shape[1], z.shape[2], z.shape[3]
        q, k, v = self.q(z), self.kk(z), self.v(z)
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(f), dim=-1)  # (B, T', C, C)
        z = z + self.attn_out(torch.matmul(att, v))
        z = z + self.ff(z)
        z = torch.relu(self.fuse(z.reshape(b, t, c * f)))   # (B, T', 2F)
        h_t = torch.zeros(b, self.hidden, dtype=z.dtype)
        c_t = torch.zeros(b, self.hidden, dtype=z.dtype)
        gates_x = self.lstm_x(z)                            # (B, T', 4H)
        outs = []
        for i in range(t):                                  # nn.LSTM equations, gates i, f, g, o
            g = gates_x[:, i] + self.lstm_h(h_t)
            gi, gf, gg, go = g.chunk(4, dim=1)
            c_t = torch.sigmoid(gf) * c_t + torch.sigmoid(gi) * torch.tanh(gg)
            h_t = torch.sigmoid(go) * torch.tanh(c_t)
            outs.append(h_t)
        hs = torch.stack(outs, dim=1)                       # (B, T', H)
        w = torch.softmax(self.temporal_score(hs), dim=1)   # (B, T', 1)
        return (w * hs).sum(dim=1) + h_t                    # attention pooling + last state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, K)`` logits."""
        return self.head(self.dropout(self.features(x)))


CLASSIFIERS.add("tinyhar_ref", ClassifierEntry(TinyHARConfig, TinyHAR, "reference peer: TinyHAR-class model, ~55 K parameters"))


# ---------------------------------------------------------------------------------------------- LIMU-BERT-class
@dataclass(frozen=True)
class LIMUBertConfig:
    """LIMU-BERT-class encoder: hidden 72, feed-forward 144, 4 layers (shared weights), 4 heads."""

    in_channels: int = 6
    num_classes: int = 6
    window: int = 128
    hidden: int = 72
    ff: int = 144
    layers: int = 4
    heads: int = 4
    shared: bool = True
    dropout: float = 0.1


class _Block(nn.Module):
    """Post-LN transformer block with hand-written attention (``(B, T, D)`` → ``(B, T, D)``)."""

    def __init__(self, d: int, ff: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, t, d = h.shape
        hd = d // self.heads
        q = self.q(h).reshape(b, t, self.heads, hd).transpose(1, 2)  # (B, H, T, hd)
        k = self.k(h).reshape(b, t, self.heads, hd).transpose(1, 2)
        v = self.v(h).reshape(b, t, self.heads, hd).transpose(1, 2)
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd), dim=-1)
        a = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        h = self.norm1(h + self.o(a))
        return self.norm2(h + self.ff2(nn.functional.gelu(self.ff1(h))))


class LIMUBert(nn.Module):
    """LIMU-BERT-class encoder + mean-pool linear head; ``(B, T, C)`` → ``(B, K)``."""

    def __init__(self, cfg: LIMUBertConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.in_channels, cfg.hidden)
        self.pos = nn.Parameter(torch.zeros(1, cfg.window, cfg.hidden))
        nn.init.normal_(self.pos, std=0.02)
        self.norm = nn.LayerNorm(cfg.hidden)
        n_blocks = 1 if cfg.shared else cfg.layers
        self.blocks = nn.ModuleList(_Block(cfg.hidden, cfg.ff, cfg.heads) for _ in range(n_blocks))
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.num_classes)
        self.feature_dim = cfg.hidden

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, hidden)``."""
        h = self.norm(self.embed(x) + self.pos)                  # (B, T, D)
        for i in range(self.cfg.layers):
            h = self.blocks[0 if self.cfg.shared else i](h)
        return global_avg_pool(h.transpose(1, 2))                 # (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, K)`` logits."""
        return self.head(self.dropout(self.features(x)))


CLASSIFIERS.add("limubert_ref", ClassifierEntry(LIMUBertConfig, LIMUBert,
                                                "reference peer: LIMU-BERT-class encoder (hidden 72, 4 shared layers)"))


# ---------------------------------------------------------------------------------------------- export helpers
def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (eval mode) with every Conv → BatchNorm pair inside an ``nn.Sequential`` folded.

    The BatchNorm becomes ``nn.Identity`` and the convolution absorbs its affine transform, so exported
    graphs hold no BatchNorm. Outputs equal the original's up to float rounding (≈1e-6).
    """
    import copy

    model = copy.deepcopy(model).eval()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if isinstance(conv, (nn.Conv1d, nn.Conv2d)) and isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
                seq[i] = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
                seq[i + 1] = nn.Identity()
    return model
