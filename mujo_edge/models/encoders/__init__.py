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

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from mujo_edge.registry import Registry


@dataclass(frozen=True)
class EncoderEntry:
    """A registered encoder architecture: its config dataclass and builder."""

    config_cls: type
    build: Callable[[Any], nn.Module]
    description: str = ""


IMU_ENCODERS: Registry[EncoderEntry] = Registry("IMU encoder")
POSE_ENCODERS: Registry[EncoderEntry] = Registry("pose encoder")
VIDEO_ENCODERS: Registry[EncoderEntry] = Registry("video encoder")
TEXT_ENCODERS: Registry[EncoderEntry] = Registry("text encoder")

#: modality name -> its encoder registry (the order is the canonical modality order).
ENCODER_REGISTRIES: dict[str, Registry[EncoderEntry]] = {
    "imu": IMU_ENCODERS, "pose": POSE_ENCODERS, "video": VIDEO_ENCODERS, "text": TEXT_ENCODERS,
}


def build_encoder(modality: str, spec: dict[str, Any]) -> nn.Module:
    """Build the encoder described by ``spec`` (``{"arch": NAME, **config fields}``) for ``modality``."""
    from mujo_edge.config import from_dict
    from mujo_edge.errors import ConfigError, UnknownNameError

    if modality not in ENCODER_REGISTRIES:
        raise UnknownNameError("modality", modality, ENCODER_REGISTRIES)
    fields = dict(spec)
    if "arch" not in fields:
        raise ConfigError(f"{modality} encoder config needs an 'arch' (one of {ENCODER_REGISTRIES[modality].names()}), "
                          f"got {spec}")
    arch = fields.pop("arch")
    entry = ENCODER_REGISTRIES[modality].get(arch)
    return entry.build(from_dict(entry.config_cls, fields, where=f"{modality} encoder {arch!r} config"))


# Register the built-in encoders.
from mujo_edge.models.encoders import imu as _imu  # noqa: E402,F401
from mujo_edge.models.encoders import pose as _pose  # noqa: E402,F401
from mujo_edge.models.encoders import text as _text  # noqa: E402,F401
from mujo_edge.models.encoders import video as _video  # noqa: E402,F401

__all__ = ["ENCODER_REGISTRIES", "EncoderEntry", "IMU_ENCODERS", "POSE_ENCODERS", "TEXT_ENCODERS", "VIDEO_ENCODERS",
           "build_encoder"]
