"""Phone sensor events → one uniform timeline: separately timed accelerometer and gyroscope streams, merged.

A phone's sensor framework delivers the accelerometer and the gyroscope as **separate event streams**,
each with its own jittered timestamps (Android: ``SensorEvent.timestamp``, ns on the
``elapsedRealtimeNanos`` clock; the two sensors share that clock but not their sampling instants).
:func:`merge_sensor_streams` puts such streams on one uniform grid at ``rate_hz`` Hz through the shared
:func:`~mujo_edge.data.preprocess.interpolate_uniform`, over the time span every stream covers, so the
result is an ordinary ``(T, C)`` signal in SI units that the rest of the preprocessing path (anti-aliased
resampling to the sensor spec's rate, windowing) takes as it is.

The Android app's JVM core has the streaming twin of this function (``SensorEventMerger``); golden
vectors written by :mod:`mujo_edge.firmware_bridge.golden` check that both give the same samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mujo_edge.data.preprocess import interpolate_uniform
from mujo_edge.errors import SpecMismatchError

NS_PER_S = 1_000_000_000


def increasing_events(t_ns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop events whose timestamp is not after every earlier one (repeated or backwards timestamps).

    Args:
        t_ns: ``(n,)`` integer event timestamps, ns.
        values: ``(n, k)`` event values.

    Returns:
        ``(t_ns, values)`` with strictly increasing timestamps (the first event of a repeat is kept).
    """
    t = np.asarray(t_ns, dtype=np.int64).reshape(-1)
    x = np.asarray(values).reshape(len(t), -1)
    if len(t) == 0:
        return t, x
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = t[1:] > np.maximum.accumulate(t)[:-1]
    return t[keep], x[keep]


def merge_sensor_streams(streams: Sequence[tuple[np.ndarray, np.ndarray]], rate_hz: float,
                         origin_ns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate separately timed sensor streams onto one uniform grid at ``rate_hz`` Hz.

    Each stream is ``(t_ns, values)``: ``(n_i,)`` integer timestamps in ns on a clock the streams share
    and ``(n_i, k_i)`` values in SI units (m/s² for an accelerometer, including gravity; rad/s for a
    gyroscope). Events whose timestamp does not increase are dropped (:func:`increasing_events`).
    Times are taken relative to ``origin_ns`` in integer ns before conversion to seconds (so a clock at
    days of uptime loses no precision); the default origin is the first instant every stream covers,
    i.e. ``max`` over streams of their first timestamp. The grid is ``origin + j / rate_hz`` for all
    ``j >= 0`` up to the last instant every stream covers; each stream is interpolated linearly
    (:func:`~mujo_edge.data.preprocess.interpolate_uniform`), never extrapolated.

    Args:
        streams: one ``(t_ns, values)`` pair per sensor, e.g. ``[(acc_t, acc_xyz), (gyro_t, gyro_xyz)]``.
        rate_hz: grid rate, Hz (the device rate of the preprocessing path, not necessarily the model's).
        origin_ns: grid origin, ns (default: the common start). Must not precede any stream's first event.

    Returns:
        ``(t_s, x)``: ``(T,)`` float64 seconds since ``origin_ns`` (``j / rate_hz``) and ``(T, sum k_i)``
        float32 values, the streams' channels side by side in the given order.

    Raises:
        SpecMismatchError: no stream, a stream with fewer than two events, a rate that is not > 0, an
            origin before a stream's first event, or streams whose spans do not overlap.
    """
    if not streams:
        raise SpecMismatchError("merge_sensor_streams needs at least one (t_ns, values) stream")
    if not (np.isfinite(rate_hz) and rate_hz > 0):
        raise SpecMismatchError(f"grid rate must be > 0 Hz, got {rate_hz}")
    clean = [increasing_events(t, x) for t, x in streams]
    for i, (t, _) in enumerate(clean):
        if len(t) < 2:
            raise SpecMismatchError(f"stream {i} has {len(t)} usable events; at least two are needed")
    start = max(int(t[0]) for t, _ in clean)
    end = min(int(t[-1]) for t, _ in clean)
    origin = start if origin_ns is None else int(origin_ns)
    if origin < start:
        raise SpecMismatchError(f"origin {origin} ns precedes the first event of a stream ({start} ns)")
    if end < origin:
        raise SpecMismatchError(f"the streams do not overlap: common span starts at {origin} ns and ends at {end} ns")
    t1 = (end - origin) / NS_PER_S
    grid = None
    parts = []
    for t, x in clean:
        t_s = (t - origin) / NS_PER_S  # int64 ns difference, then seconds (float64)
        grid, y = interpolate_uniform(t_s, x, rate_hz, t0=0.0, t1=t1)
        parts.append(y)
    assert grid is not None
    return grid, np.concatenate(parts, axis=1).astype(np.float32)
