"""The sensor spec: the one description of model input shared by training, export, bridge and app.

A :class:`SensorSpec` fixes the sample rate (Hz), the window and hop (samples), the channel names and
order, their units, the body placement and the normalization. It is stored in every checkpoint and
every exported file's sidecar; nobody re-derives it. Windows are ``(W, C)`` arrays: ``W = window``
samples at ``rate_hz``, channels in ``channels`` order, in SI units (m/s², rad/s).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mujo_edge.config import from_dict, to_dict
from mujo_edge.errors import ConfigError, SpecMismatchError
from mujo_edge.placements import check_placement

ACC_CHANNELS: tuple[str, ...] = ("acc_x", "acc_y", "acc_z")
GYRO_CHANNELS: tuple[str, ...] = ("gyro_x", "gyro_y", "gyro_z")
IMU_CHANNELS: tuple[str, ...] = ACC_CHANNELS + GYRO_CHANNELS
#: SI unit of every channel name mujo-edge knows.
CHANNEL_UNITS: dict[str, str] = {**{c: "m/s^2" for c in ACC_CHANNELS}, **{c: "rad/s" for c in GYRO_CHANNELS}}
#: standard gravity, m/s² per g.
STANDARD_GRAVITY = 9.80665
NORMALIZATION_KINDS = ("none", "standard")


@dataclass(frozen=True)
class Normalization:
    """Per-channel affine normalization ``(x - mean) / std`` applied to ``(..., C)`` arrays.

    ``kind="none"`` leaves data in SI units; ``kind="standard"`` needs one mean and std per channel
    (fitted on training-subject windows only, see :meth:`fit`).
    """

    kind: str = "none"
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in NORMALIZATION_KINDS:
            raise ConfigError(f"unknown normalization kind {self.kind!r}; valid: {', '.join(NORMALIZATION_KINDS)}")
        if self.kind == "standard":
            if len(self.mean) != len(self.std) or not self.mean:
                raise ConfigError(f"standard normalization needs equal-length mean/std, got {len(self.mean)}/{len(self.std)}")
            if any(not (s > 0 and math.isfinite(s)) for s in self.std):
                raise ConfigError(f"normalization std must be finite and > 0, got {self.std}")
        elif self.mean or self.std:
            raise ConfigError("normalization kind 'none' takes no mean/std")

    @classmethod
    def fit(cls, x: np.ndarray, channel_mask: np.ndarray | None = None, eps: float = 1e-6) -> Normalization:
        """Fit mean/std per channel over all samples of ``x`` with shape ``(N, W, C)`` or ``(T, C)``.

        Channels switched off in ``channel_mask`` (missing sensors, all zeros) get mean 0, std 1.
        """
        flat = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
        if flat.shape[0] == 0:
            raise ConfigError("cannot fit a normalization on zero samples")
        mean = flat.mean(axis=0)
        std = np.maximum(flat.std(axis=0), eps)
        if channel_mask is not None:
            mask = np.asarray(channel_mask, dtype=bool)
            mean[~mask], std[~mask] = 0.0, 1.0
        return cls("standard", tuple(float(v) for v in mean), tuple(float(v) for v in std))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Normalize ``(..., C)`` float data; returns float32."""
        x = np.asarray(x, dtype=np.float32)
        if self.kind == "none":
            return x
        if x.shape[-1] != len(self.mean):
            raise SpecMismatchError(f"normalization has {len(self.mean)} channels, data has {x.shape[-1]}")
        return (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Undo :meth:`apply` (back to SI units)."""
        x = np.asarray(x, dtype=np.float32)
        if self.kind == "none":
            return x
        return x * np.asarray(self.std, np.float32) + np.asarray(self.mean, np.float32)


@dataclass(frozen=True)
class SensorSpec:
    """What a model consumes: rate, window, hop, channels (names, order, units), placement, normalization.

    Attributes:
        rate_hz: sample rate of windows, Hz.
        window: window length in samples (``window / rate_hz`` seconds).
        hop: step between window starts in samples (``hop < window`` means overlap).
        channels: channel names in order, from :data:`CHANNEL_UNITS`.
        units: SI unit per channel (must match :data:`CHANNEL_UNITS`).
        placement: body site the model was trained for (a name from
            :data:`mujo_edge.placements.PLACEMENTS`) or ``"any"``.
        purity: a window is kept only if its majority label covers at least this share of it.
        normalization: applied to windows right before the model.
    """

    rate_hz: float = 50.0
    window: int = 128
    hop: int = 64
    channels: tuple[str, ...] = IMU_CHANNELS
    units: tuple[str, ...] = field(default=())
    placement: str = "any"
    purity: float = 0.8
    normalization: Normalization = field(default_factory=Normalization)

    def __post_init__(self) -> None:
        if not self.units:
            object.__setattr__(self, "units", tuple(CHANNEL_UNITS.get(c, "?") for c in self.channels))
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ConfigError(f"rate_hz must be > 0, got {self.rate_hz!r}")
        if self.window < 2 or self.hop < 1:
            raise ConfigError(f"window must be >= 2 and hop >= 1 samples, got window={self.window} hop={self.hop}")
        if not self.channels or len(set(self.channels)) != len(self.channels):
            raise ConfigError(f"channels must be a non-empty list without repeats, got {self.channels}")
        for c in self.channels:
            if c not in CHANNEL_UNITS:
                raise ConfigError(f"unknown channel {c!r}; valid channels: {', '.join(CHANNEL_UNITS)}")
        if len(self.units) != len(self.channels):
            raise ConfigError(f"{len(self.units)} units for {len(self.channels)} channels")
        for c, u in zip(self.channels, self.units):
            if u != CHANNEL_UNITS[c]:
                raise ConfigError(f"channel {c!r} must be in {CHANNEL_UNITS[c]!r}, got {u!r}")
        if not 0.0 < self.purity <= 1.0:
            raise ConfigError(f"purity must be in (0, 1], got {self.purity}")
        if self.normalization.kind == "standard" and len(self.normalization.mean) != len(self.channels):
            raise ConfigError(
                f"normalization has {len(self.normalization.mean)} channels, spec has {len(self.channels)}"
            )
        check_placement(self.placement, allow_any=True)

    # ------------------------------------------------------------------ derived values
    @property
    def window_seconds(self) -> float:
        """Window length in seconds."""
        return self.window / self.rate_hz

    @property
    def min_majority(self) -> int:
        """Smallest majority-label count (samples) that keeps a window (ceil of purity × window)."""
        return int(math.ceil(self.purity * self.window - 1e-9))

    def key(self) -> str:
        """Short hash of everything that changes prepared windows (not normalization or placement)."""
        payload = {"rate_hz": self.rate_hz, "window": self.window, "hop": self.hop,
                   "channels": list(self.channels), "units": list(self.units), "purity": self.purity}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """Apply this spec's normalization to ``(..., C)`` windows in SI units; float32 out."""
        if x.shape[-1] != len(self.channels):
            raise SpecMismatchError(f"data has {x.shape[-1]} channels, spec expects {len(self.channels)}: {self.channels}")
        return self.normalization.apply(x)

    def renormalize(self, x: np.ndarray, source: SensorSpec) -> np.ndarray:
        """``(..., C)`` windows normalized with ``source``'s normalization → this spec's (through SI units)."""
        return self.normalize(source.normalization.invert(x))

    def replace(self, **changes: Any) -> SensorSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def check_matches(self, other: SensorSpec, what: str = "data") -> None:
        """Raise :class:`SpecMismatchError` listing every field where ``other`` differs (normalization aside)."""
        diffs = [
            f"{name}: expected {getattr(self, name)!r}, {what} has {getattr(other, name)!r}"
            for name in ("rate_hz", "window", "channels", "units")
            if getattr(self, name) != getattr(other, name)
        ]
        if diffs:
            raise SpecMismatchError(f"{what} does not match the sensor spec: " + "; ".join(diffs))

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the form stored in checkpoints and sidecars)."""

        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SensorSpec:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`ConfigError`."""

        return from_dict(cls, data)


#: The default spec of the evaluation protocol: 50 Hz, 128-sample (2.56 s) windows, 50 % overlap,
#: acc + gyro in SI units, majority label must cover >= 80 % of a window.
DEFAULT_SPEC = SensorSpec()
