"""The one preprocessing path: channel selection, anti-aliased resampling, uniform-grid interpolation.

Training, evaluation, export verification, the runtime and the BLE bridge all call these functions;
none of them resamples or selects channels on its own.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np
from scipy import signal

from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import SpecMismatchError

log = logging.getLogger(__name__)


def rate_ratio(from_hz: float, to_hz: float, max_denominator: int = 1000) -> tuple[int, int]:
    """``(up, down)`` integers with ``up / down == to_hz / from_hz`` (within 1e-6 relative)."""
    frac = Fraction(to_hz / from_hz).limit_denominator(max_denominator)
    if frac.numerator == 0 or abs(frac.numerator / frac.denominator - to_hz / from_hz) > 1e-6 * to_hz / from_hz:
        raise SpecMismatchError(
            f"cannot resample {from_hz} Hz to {to_hz} Hz with a rational factor (denominator <= {max_denominator})"
        )
    return frac.numerator, frac.denominator


def resample(x: np.ndarray, from_hz: float, to_hz: float) -> np.ndarray:
    """Resample ``(T, C)`` data from ``from_hz`` to ``to_hz`` with an anti-aliasing polyphase filter.

    Uses ``scipy.signal.resample_poly`` (Kaiser-windowed FIR; for 100 → 50 Hz this equals
    ``resample_poly(x, 1, 2)`` of the evaluation protocol). Output has ``ceil(T * up / down)`` rows.
    """
    x = np.asarray(x, dtype=np.float32)
    if from_hz == to_hz:
        return x
    up, down = rate_ratio(from_hz, to_hz)
    return signal.resample_poly(x, up, down, axis=0).astype(np.float32)


def resample_labels(labels: np.ndarray, from_hz: float, to_hz: float, n_out: int) -> np.ndarray:
    """Nearest-sample labels for a resampled signal of ``n_out`` samples."""
    labels = np.asarray(labels)
    if from_hz == to_hz and n_out == labels.shape[0]:
        return labels
    src = np.floor(np.arange(n_out) * (from_hz / to_hz) + 1e-9).astype(np.int64)
    return labels[np.clip(src, 0, labels.shape[0] - 1)]


def interpolate_uniform(t: np.ndarray, x: np.ndarray, rate_hz: float, t0: float | None = None,
                        t1: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of irregularly timed samples onto a uniform ``rate_hz`` grid.

    Args:
        t: ``(T,)`` sample times in seconds, increasing (duplicates are averaged out by the caller).
        x: ``(T, C)`` values.
        rate_hz: output rate, Hz.
        t0, t1: grid span (default: first and last sample time).

    Returns:
        ``(grid, y)``: ``(N,)`` times and ``(N, C)`` float32 values.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(len(t), -1)
    if len(t) < 2:
        raise SpecMismatchError("need at least two timed samples to interpolate")
    if np.any(np.diff(t) <= 0):
        raise SpecMismatchError("timestamps must be strictly increasing")
    t0 = t[0] if t0 is None else t0
    t1 = t[-1] if t1 is None else t1
    n = int(np.floor((t1 - t0) * rate_hz + 1e-9)) + 1
    grid = t0 + np.arange(n) / rate_hz
    y = np.stack([np.interp(grid, t, x[:, c]) for c in range(x.shape[1])], axis=1)
    return grid, y.astype(np.float32)


def select_channels(rec: Recording, channels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Columns of ``rec.data`` in ``channels`` order; missing channels are zero-filled.

    Returns ``(data (T, len(channels)) float32, mask (len(channels),) bool)``, where ``mask`` marks
    the channels the recording really has. A recording with none of the channels is an error.
    """
    mask = np.array([c in rec.channels for c in channels], dtype=bool)
    if not mask.any():
        raise SpecMismatchError(
            f"{rec.source or rec.dataset}: has channels {rec.channels}, none of the spec's {channels}"
        )
    out = np.zeros((rec.n_samples, len(channels)), dtype=np.float32)
    for j, c in enumerate(channels):
        if mask[j]:
            out[:, j] = rec.data[:, rec.channels.index(c)]
    return out, mask


def to_spec(rec: Recording, spec: SensorSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bring a recording to ``spec``: channel order, then resampling to ``spec.rate_hz``.

    Returns ``(data (T', C) float32 SI units, labels (T',) int16, channel_mask (C,) bool)``.
    """
    data, mask = select_channels(rec, spec.channels)
    out = resample(data, rec.rate_hz, spec.rate_hz)
    labels = resample_labels(rec.labels, rec.rate_hz, spec.rate_hz, out.shape[0])
    return out, labels.astype(np.int16), mask


def window_starts(n_samples: int, window: int, hop: int) -> np.ndarray:
    """Start indices of all full windows in a signal of ``n_samples``: 0, hop, 2·hop, ..."""
    if n_samples < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_samples - window + 1, hop, dtype=np.int64)


def sliding_windows(x: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``(T, C)`` → ``(N, window, C)`` view-free copy of all full windows with the given hop."""
    starts = window_starts(x.shape[0], window, hop)
    if len(starts) == 0:
        return np.zeros((0, window) + x.shape[1:], dtype=x.dtype)
    idx = starts[:, None] + np.arange(window)[None, :]
    return x[idx]


def window_labels(labels: np.ndarray, starts: np.ndarray, window: int, min_majority: int) -> np.ndarray:
    """Majority label of each window, or :data:`NULL_LABEL` where the window is not pure enough.

    A window keeps its majority label only if that label is not NULL and covers at least
    ``min_majority`` samples; the rest of the window may be NULL or other labels.
    """
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    lab = labels[starts[:, None] + np.arange(window)[None, :]].astype(np.int64)  # (N, W)
    shifted = lab - NULL_LABEL  # NULL -> 0
    k = int(shifted.max()) + 1
    counts = np.zeros((lab.shape[0], k), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(lab.shape[0]), window), shifted.ravel()), 1)
    major = counts.argmax(axis=1)
    ok = (counts[np.arange(len(major)), major] >= min_majority) & (major != 0)
    return np.where(ok, major + NULL_LABEL, NULL_LABEL)
