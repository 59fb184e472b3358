"""Inertial sensor error model: white noise, bias (turn-on and random walk), scale and misalignment,
saturation and int16 quantization.

Defaults resemble the consumer MEMS IMUs of phones and watches as they ship (BMI160 / LSM6DS3 class
chips after the phone's own calibration and filtering): acc noise 0.02-0.03 m/s² at 50 Hz, turn-on bias
±0.1 m/s², 2 % scale and 1° axis misalignment spread between devices, ±8 g and ±2000 °/s full scale
with 16-bit output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError


@dataclass(frozen=True)
class NoiseModel:
    """Per-sensor error parameters (SI units). ``enabled=False`` returns the ideal signal unchanged.

    Attributes:
        enabled: apply any error at all.
        acc_noise_density: accelerometer white noise, m/s²/√Hz (BMI160 chip: 180 µg/√Hz ≈ 1.8e-3; a phone's
            output is noisier: 4e-3 ≈ 0.02 m/s² rms at 50 Hz, the still-phone floor of the real datasets).
        gyro_noise_density: gyroscope white noise, rad/s/√Hz (0.007 °/s/√Hz ≈ 1.2e-4).
        acc_bias_std: turn-on bias per axis, m/s² (std over sensors).
        gyro_bias_std: turn-on bias per axis, rad/s.
        acc_bias_walk: bias random walk, m/s² per √s (std of the bias change after 1 s).
        gyro_bias_walk: bias random walk, rad/s per √s.
        scale_std: per-axis scale factor error (std, fraction).
        misalignment_std_deg: axis misalignment (std of each off-diagonal angle, degrees).
        acc_range: accelerometer full scale, m/s² (saturation at ±range).
        gyro_range: gyroscope full scale, rad/s.
        quantize: round to the int16 grid of the full scale (step = range / 32768).
    """

    enabled: bool = True
    acc_noise_density: float = 4e-3
    gyro_noise_density: float = 1.2e-4
    acc_bias_std: float = 0.1
    gyro_bias_std: float = 0.005
    acc_bias_walk: float = 1e-3
    gyro_bias_walk: float = 1e-4
    scale_std: float = 0.02
    misalignment_std_deg: float = 1.0
    acc_range: float = 8 * STANDARD_GRAVITY
    gyro_range: float = float(np.radians(2000.0))
    quantize: bool = True

    def __post_init__(self) -> None:
        for name in ("acc_noise_density", "gyro_noise_density", "acc_bias_std", "gyro_bias_std", "acc_bias_walk",
                     "gyro_bias_walk", "scale_std", "misalignment_std_deg"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ConfigError(f"noise model {name} must be finite and >= 0, got {v!r}")
        if not (self.acc_range > 0 and self.gyro_range > 0):
            raise ConfigError(f"noise model ranges must be > 0, got acc {self.acc_range}, gyro {self.gyro_range}")

    @classmethod
    def ideal(cls) -> NoiseModel:
        """No errors at all (physics tests)."""
        return cls(enabled=False)

    def white_std(self, rate_hz: float) -> tuple[float, float]:
        """Standard deviation of one white-noise sample at ``rate_hz`` (density × √(rate/2)): (acc, gyro)."""
        bw = np.sqrt(rate_hz / 2.0)
        return self.acc_noise_density * bw, self.gyro_noise_density * bw

    def apply(self, imu: np.ndarray, rate_hz: float, rng: np.random.Generator) -> np.ndarray:
        """Corrupt ideal readings ``(T, S, 6)`` (acc m/s², gyro rad/s; S independent sensors) sampled at ``rate_hz``.

        Order: scale/misalignment → + bias (turn-on + random walk) → + white noise → saturation →
        int16 quantization. Returns float32 of the same shape.
        """
        if not self.enabled:
            return imu.astype(np.float32)
        t, s, c = imu.shape
        if c != 6:
            raise ConfigError(f"noise model expects 6 channels (acc xyz, gyro xyz), got {c}")
        out = np.empty((t, s, 6))
        dt = 1.0 / rate_hz
        a_std, g_std = self.white_std(rate_hz)
        for sl, bias_std, walk, white, rng_max in (
                (slice(0, 3), self.acc_bias_std, self.acc_bias_walk, a_std, self.acc_range),
                (slice(3, 6), self.gyro_bias_std, self.gyro_bias_walk, g_std, self.gyro_range)):
            x = imu[:, :, sl].astype(np.float64)
            # scale factor and small-angle misalignment: (I + diag(scale) + skew-free off-diagonals)
            m = np.eye(3)[None].repeat(s, 0)
            m += np.einsum("si,ij->sij", rng.normal(0, self.scale_std, (s, 3)), np.eye(3))
            off = np.radians(rng.normal(0, self.misalignment_std_deg, (s, 3, 3)))
            off[:, np.arange(3), np.arange(3)] = 0.0
            m += off
            x = np.einsum("sij,tsj->tsi", m, x)
            bias = rng.normal(0, bias_std, (1, s, 3)) + np.cumsum(rng.normal(0, walk * np.sqrt(dt), (t, s, 3)), axis=0)
            x = x + bias + rng.normal(0, white, (t, s, 3))
            x = np.clip(x, -rng_max, rng_max)
            if self.quantize:
                step = rng_max / 32768.0
                x = np.clip(np.round(x / step), -32768, 32767) * step
            out[:, :, sl] = x
        return out.astype(np.float32)
