"""Loose mounting: a phone in a trouser pocket or a belt holster, or a loose watch, moves on its own.

A device that is not rigidly fixed to the body is a mass on a spring-damper attached to its segment; its
acceleration is the segment's, filtered by the base-excitation transmissibility

    T(s) = (2ζω·s + ω²) / (s² + 2ζω·s + ω²),      ω = 2π·f_n,

which passes slow motion and gravity unchanged (``T(0) = 1``), amplifies motion near the natural frequency
``f_n`` by about ``1 / 2ζ`` (the bounce of a phone in a pocket at every footfall) and attenuates faster
vibration. :class:`CouplingModel` draws ``(f_n, ζ)`` per placement from ranges per mount type;
:func:`couple` applies the filter to a world-frame acceleration ``(T, 3)`` m/s² sampled at ``rate_hz``.

The same spring lets a belt device *rock*: it hangs from its clip or holster loop, so the
deflection of its centre relative to the body, ``x(s) = −a(s) / (s² + 2ζω·s + ω²)``, turns it about that edge by
``x⊥ / lever`` radians (:func:`rocking`). A rigid kinematic segment turns smoothly with the gait; a phone on a belt
jolts at every footfall, which real waist and hip gyroscopes show (UCI-HAPT waist, USC-HAD hip: angular-rate
magnitude SD within a 2.56-s walking or stairs window 0.35-0.67 rad/s, mean over windows, against 0.11-0.27 for
rigidly mounted virtual belt devices; at the thigh pocket real and virtual already agree, 0.95 and 0.87 —
``tools/realism_stats.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from mujo_edge.errors import ConfigError


@dataclass(frozen=True)
class CouplingModel:
    """Natural frequency (Hz) and damping ratio ranges of loosely worn devices, per mount (``enabled=False``: rigid).

    Defaults: trouser pocket 3-8 Hz, ζ 0.15-0.4; belt clip / holster 6-15 Hz, ζ 0.2-0.5; watch strap 10-25 Hz,
    ζ 0.3-0.6; chest / limb straps and head-worn devices are rigid. ``belt_lever_m``: distance from the clip a belt
    device hangs from to its centre, m (0: it translates without rocking); pocket phones (pressed against the thigh
    by the fabric, whose gyroscope already matches real thigh pockets) and watches do not rock.
    """

    enabled: bool = True
    pocket: tuple[float, float, float, float] = (3.0, 8.0, 0.15, 0.4)
    belt: tuple[float, float, float, float] = (6.0, 15.0, 0.2, 0.5)
    watch: tuple[float, float, float, float] = (10.0, 25.0, 0.3, 0.6)
    belt_lever_m: float = 0.025

    def __post_init__(self) -> None:
        for name in ("pocket", "belt", "watch"):
            f0, f1, z0, z1 = getattr(self, name)
            if not (0 < f0 <= f1 and 0 < z0 <= z1):
                raise ConfigError(f"coupling {name} must be (f_min, f_max, zeta_min, zeta_max) with 0 < min <= max, "
                                  f"got {getattr(self, name)}")
        if self.belt_lever_m < 0:
            raise ConfigError(f"coupling belt_lever_m must be >= 0 m (0 = no rocking), got {self.belt_lever_m}")

    def draw(self, mount: str, rng: np.random.Generator) -> tuple[float, float] | None:
        """``(f_n Hz, ζ)`` for a device worn as ``mount``, or None (rigid)."""
        if not self.enabled or mount not in ("pocket", "belt", "watch"):
            return None
        f0, f1, z0, z1 = getattr(self, mount)
        return float(rng.uniform(f0, f1)), float(rng.uniform(z0, z1))


def couple(acc: np.ndarray, rate_hz: float, natural_hz: float, damping: float) -> np.ndarray:
    """The device's acceleration ``(T, 3)`` given its mounting point's ``acc (T, 3)`` (see module docstring)."""
    if natural_hz >= 0.45 * rate_hz:  # above the simulation's band: rigid
        return acc
    w = 2 * np.pi * natural_hz
    return _spring(acc, rate_hz, natural_hz, damping, [2 * damping * w, w * w])


def _spring(acc: np.ndarray, rate_hz: float, natural_hz: float, damping: float, numerator: list[float]) -> np.ndarray:
    """``numerator(s) / (s² + 2ζω·s + ω²)`` applied to ``acc (T, 3)`` at ``rate_hz`` (bilinear transform), starting
    in equilibrium with the first sample (at rest relative to the body)."""
    w = 2 * np.pi * natural_hz
    b, a = signal.bilinear(numerator, [1.0, 2 * damping * w, w * w], fs=rate_hz)
    zi = signal.lfilter_zi(b, a)[:, None] * acc[:1]
    out, _ = signal.lfilter(b, a, acc, axis=0, zi=zi)
    return out


def rocking(acc: np.ndarray, rate_hz: float, natural_hz: float, damping: float, lever_m: float,
            axis: np.ndarray) -> np.ndarray:
    """Rotation vectors ``(T, 3)`` (world frame, rad) of a loose device rocking about the edge it is held by.

    ``acc (T, 3)``: world-frame acceleration of the mounting point, m/s², at ``rate_hz``; ``axis (T, 3)``: unit
    vector from that edge towards the device's centre (world frame). The centre's deflection relative to the body
    ``x = −a / (s² + 2ζω·s + ω²)`` (zero when the body does not accelerate) turns the device by ``axis × x / lever_m``.
    """
    if lever_m <= 0 or natural_hz >= 0.45 * rate_hz:  # rigid, as in couple
        return np.zeros_like(acc)
    return np.cross(axis, _spring(acc, rate_hz, natural_hz, damping, [-1.0])) / lever_m
