"""Plausibility checks of a recording before anything is trained on it or predicted from it.

Every check looks at what a wrong unit, column or clock does to real sensor data and fails with a
clear :class:`~mujo_edge.errors.SpecMismatchError` naming the recording, the value it found and the
option that fixes it (``mujo-edge data import --acc-unit g``, ...). ``mujo-edge data import`` and
``mujo-edge predict`` run them; experts switch them off with ``--no-check``.

* acceleration: the device's magnitude at rest (the quietest seconds) must be near 9.81 m/s²; a value
  near 1 means g, near 1000 milli-g;
* rotation rate: human motion rarely exceeds a few rad/s; a 99th percentile of ``|gyro|`` above 30
  means deg/s;
* timing: an effective rate outside 1 Hz .. 4 kHz means a wrong time unit;
* channels: a channel that never changes is a missing sensor or a wrong column.
"""

from __future__ import annotations

import logging

import numpy as np

from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import ACC_CHANNELS, GYRO_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import SpecMismatchError

log = logging.getLogger(__name__)

#: Accepted range of the at-rest acceleration magnitude, m/s².
GRAVITY_RANGE = (0.8 * STANDARD_GRAVITY, 1.2 * STANDARD_GRAVITY)
#: 99th percentile of |gyro| above this (rad/s) looks like deg/s (2000 °/s, a full-scale spin, is 35 rad/s).
GYRO_LIMIT_RAD_S = 30.0
#: Plausible sample rates of body-worn motion sensors, Hz.
RATE_RANGE_HZ = (1.0, 4000.0)


def rest_magnitude(acc: np.ndarray, rate_hz: float) -> float:
    """Median ``|acc|`` over the quietest 10 % of 1-s stretches (the whole signal when shorter), same unit as ``acc``."""
    norm = np.linalg.norm(np.asarray(acc, dtype=np.float64), axis=1)
    n = max(2, int(round(rate_hz)))
    if len(norm) < 2 * n:
        return float(np.median(norm))
    k = len(norm) // n
    blocks = norm[: k * n].reshape(k, n)
    quiet = np.argsort(blocks.std(axis=1))[: max(1, k // 10)]
    return float(np.median(blocks[quiet]))


def check_recording(rec: Recording, where: str | None = None) -> dict[str, float]:
    """Run every check on ``rec`` (SI units expected); returns the measured values, raises on the first failure.

    Returns ``{"rest_acc_m_s2", "gyro_p99_rad_s", "rate_hz"}`` (keys only for channels the recording has).
    """
    where = where or rec.source or f"{rec.dataset}/{rec.subject}/{rec.session}"
    found: dict[str, float] = {"rate_hz": float(rec.rate_hz)}
    lo, hi = RATE_RANGE_HZ
    if not lo <= rec.rate_hz <= hi:
        raise SpecMismatchError(
            f"{where}: sample rate {rec.rate_hz:.6g} Hz is not plausible for a motion sensor ({lo:g}..{hi:g} Hz); "
            f"the time column is probably in another unit (pass --time-unit ms, us or ns) or the rate is wrong")
    for j, c in enumerate(rec.channels):
        col = rec.data[:, j]
        if rec.n_samples > 1 and np.ptp(col) == 0:
            raise SpecMismatchError(
                f"{where}: channel {c} is constant ({col[0]:g} in all {rec.n_samples} samples): a missing sensor or a "
                f"wrong column; map the right column (--map {c}=COLUMN) or leave the channel out (--acc-only for gyro)")
    acc = [rec.channels.index(c) for c in ACC_CHANNELS if c in rec.channels]
    if len(acc) == 3:
        g = rest_magnitude(rec.data[:, acc], rec.rate_hz)
        found["rest_acc_m_s2"] = g
        if not GRAVITY_RANGE[0] <= g <= GRAVITY_RANGE[1]:
            raise SpecMismatchError(f"{where}: {_acc_hint(g)}")
    gyro = [rec.channels.index(c) for c in GYRO_CHANNELS if c in rec.channels]
    if gyro:
        p99 = float(np.percentile(np.linalg.norm(rec.data[:, gyro], axis=1), 99))
        found["gyro_p99_rad_s"] = p99
        if p99 > GYRO_LIMIT_RAD_S:
            raise SpecMismatchError(
                f"{where}: the rotation rate reaches {p99:.1f} rad/s (99th percentile of |gyro|), far beyond human motion; "
                f"it looks like deg/s: pass --gyro-unit deg/s")
    return found


def _acc_hint(g: float) -> str:
    """Why an at-rest acceleration magnitude ``g`` (m/s² as read) is wrong, and the fix."""
    base = (f"the acceleration magnitude at rest is {g:.4g}, expected about {STANDARD_GRAVITY:.2f} m/s² (gravity; "
            f"the accelerometer must include it)")
    if 0.8 <= g <= 1.2:
        return base + "; it looks like g: pass --acc-unit g"
    if 800 <= g <= 1200:
        return base + "; it looks like milli-g: pass --acc-unit mg"
    if g < 0.8:
        return base + ("; gravity seems to be removed (linear acceleration / user acceleration): import the total "
                       "acceleration instead")
    return base + "; check the unit (--acc-unit m/s2, g or mg) and that the columns are the accelerometer's"
