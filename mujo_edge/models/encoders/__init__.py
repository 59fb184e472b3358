"""Modality encoders of the MuJo model, one registry per modality.

Each entry is an :class:`EncoderEntry`: a frozen config dataclass and a builder ``config -> nn.Module``.
Every encoder module exposes ``out_dim`` (its feature size ``F``) and maps its input to ``(B, F)``
features; the MuJo model adds a projection head per modality into the joint space.

Registries (unknown names raise with the valid ones):
* :data:`IMU_ENCODERS`   ``resnet1d``, ``transformer``  — one body site's window ``(B, T, 6)``
* :data:`POSE_ENCODERS`  ``stconv``                     — 3-D joints ``(B, T, J, 3)`` in metres
* :data:`VIDEO_ENCODERS` ``cnn3d``                      — grey frames ``(B, F, H, W)`` uint8
* :data:`TEXT_ENCODERS`  ``minilm``, ``hashbow``        — captions (``list[str]``) via ``prepare()``
"""

from mujo_edge.models.encoders import imu, pose, text, video  # noqa: F401  (each registers its encoders)
from mujo_edge.models.encoders.registry import (
    ENCODER_REGISTRIES,
    IMU_ENCODERS,
    POSE_ENCODERS,
    TEXT_ENCODERS,
    VIDEO_ENCODERS,
    EncoderEntry,
    build_encoder,
)

__all__ = ["ENCODER_REGISTRIES", "EncoderEntry", "IMU_ENCODERS", "POSE_ENCODERS", "TEXT_ENCODERS", "VIDEO_ENCODERS",
           "build_encoder"]
