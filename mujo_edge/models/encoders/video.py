"""Video encoder: short grey-scale clips → a feature vector.

Input: ``video (B, F, H, W)`` uint8 (0..255) or float in [0, 1]; the corpus renders 16 frames of
64×64 covering the whole clip. A small 3-D CNN (Conv3d → BN → ReLU, strided in space and time)
with global average pooling. Output ``(B, out_dim)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.models.encoders.registry import VIDEO_ENCODERS, EncoderEntry


@dataclass(frozen=True)
class CNN3dConfig:
    """``len(widths)`` Conv3d layers; the first strides space by 2 (and time by 1), the rest by 2 in both."""

    widths: tuple[int, ...] = (8, 16, 32)
    kernel_t: int = 3
    kernel_s: int = 5
    input_pool: int = 1


class CNN3dVideoEncoder(nn.Module):
    """3-D CNN: optional spatial average-pool of the input, then strided Conv3d → BN → ReLU layers."""

    def __init__(self, cfg: CNN3dConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c = 1
        for i, w in enumerate(cfg.widths):
            ks = cfg.kernel_s if i == 0 else 3
            stride = (1, 2, 2) if i == 0 else (2, 2, 2)
            layers += [nn.Conv3d(c, w, (cfg.kernel_t, ks, ks), stride=stride, padding=(cfg.kernel_t // 2, ks // 2, ks // 2),
                                 bias=False), nn.BatchNorm3d(w), nn.ReLU()]
            c = w
        self.body = nn.Sequential(*layers)
        self.out_dim = c

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """``video (B, F, H, W)`` uint8 or float in [0, 1] → ``(B, out_dim)``."""
        x = video.float()                                                  # (B, F, H, W)
        if self.cfg.input_pool > 1:  # pool first: the affine scaling below commutes with averaging, on 1/p² the pixels
            x = torch.nn.functional.avg_pool2d(x, self.cfg.input_pool)     # (B, F, H/p, W/p)
        x = x * (1.0 / 255.0) - 0.5 if video.dtype == torch.uint8 else x - 0.5
        return self.body(x[:, None]).mean(dim=(2, 3, 4))                   # (B, C)


VIDEO_ENCODERS.add("cnn3d", EncoderEntry(CNN3dConfig, CNN3dVideoEncoder, "small strided 3-D CNN"))
