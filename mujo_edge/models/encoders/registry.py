"""The encoder registries: one per modality, filled by the encoder modules of this package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from mujo_edge.config import from_dict
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.registry import Registry


@dataclass(frozen=True)
class EncoderEntry:
    """A registered encoder architecture: its config dataclass and builder ``config -> nn.Module``."""

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
    if modality not in ENCODER_REGISTRIES:
        raise UnknownNameError("modality", modality, ENCODER_REGISTRIES)
    fields = dict(spec)
    if "arch" not in fields:
        raise ConfigError(f"{modality} encoder config needs an 'arch' (one of {ENCODER_REGISTRIES[modality].names()}), "
                          f"got {spec}")
    arch = fields.pop("arch")
    entry = ENCODER_REGISTRIES[modality].get(arch)
    return entry.build(from_dict(entry.config_cls, fields, where=f"{modality} encoder {arch!r} config"))
