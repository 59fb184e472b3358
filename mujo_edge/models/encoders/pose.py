"""Pose encoder: 3-D joint positions over time → a feature vector.

Input: ``pose (B, T, J, 3)`` joint positions in metres (world frame, z or y up as the corpus gives
it), ``T`` frames at the IMU rate (50 Hz by default). Translation is removed per frame (joints
relative to their centroid); the centroid's velocity is kept as a global-motion feature.
Spatial step: a shared per-joint MLP over (relative position, velocity) plus a joint embedding,
flattened over joints; temporal step: a strided 1-D ResNet. Output ``(B, out_dim)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.errors import SpecMismatchError
from mujo_edge.models.encoders.imu import _ResBlock
from mujo_edge.models.encoders.registry import POSE_ENCODERS, EncoderEntry


@dataclass(frozen=True)
class STConvConfig:
    """Spatio-temporal conv encoder; ``joints`` must equal the corpus skeleton's joint count."""

    joints: int = 22
    joint_dim: int = 8
    widths: tuple[int, ...] = (64, 96)
    kernel: int = 5
    stride: int = 2
    rate_hz: float = 50.0


class STConvPoseEncoder(nn.Module):
    """Per-joint MLP (shared) + joint embedding → flatten → strided temporal ResNet → mean over time."""

    def __init__(self, cfg: STConvConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.joint = nn.Linear(6, cfg.joint_dim)
        self.joint_emb = nn.Parameter(torch.zeros(cfg.joints, cfg.joint_dim))
        self.root = nn.Linear(3, cfg.joint_dim)
        w0 = cfg.widths[0]
        self.mix = nn.Sequential(nn.Conv1d((cfg.joints + 1) * cfg.joint_dim, w0, cfg.kernel, stride=cfg.stride,
                                           padding=cfg.kernel // 2, bias=False), nn.BatchNorm1d(w0), nn.ReLU())
        blocks, c = [], w0
        for w in cfg.widths[1:]:
            blocks.append(_ResBlock(c, w, cfg.kernel, cfg.stride))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.out_dim = c

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        """``pose (B, T, J, 3)`` metres → ``(B, out_dim)``."""
        b, t, j, _ = pose.shape
        if j != self.cfg.joints:
            raise SpecMismatchError(f"pose has {j} joints, the pose encoder was built for {self.cfg.joints}")
        pose = pose.float()
        centre = pose.mean(dim=2, keepdim=True)                                  # (B, T, 1, 3)
        rel = pose - centre                                                      # (B, T, J, 3) m
        vel = torch.diff(pose, dim=1, prepend=pose[:, :1]) * self.cfg.rate_hz    # (B, T, J, 3) m/s
        root_vel = vel.mean(dim=2)                                               # (B, T, 3) m/s
        h = torch.nn.functional.gelu(self.joint(torch.cat([rel, vel], dim=-1)) + self.joint_emb)  # (B, T, J, Dj)
        h = torch.cat([h, torch.nn.functional.gelu(self.root(root_vel))[:, :, None]], dim=2)   # (B, T, J+1, Dj)
        h = self.mix(h.reshape(b, t, -1).transpose(1, 2))                         # (B, W0, T/2)
        return self.blocks(h).mean(dim=2)                                        # (B, W)


POSE_ENCODERS.add("stconv", EncoderEntry(STConvConfig, STConvPoseEncoder, "per-joint MLP + temporal 1-D ResNet"))
