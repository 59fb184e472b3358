"""Per-session counters of the live pipeline and their JSON summary.

Every packet, sample and window that does not reach a prediction is counted under one of these
names (nothing is dropped silently):

=====================  ======================================================================
``queue_drops``        notifications dropped because the raw queue (or the buffer of notifications
                       waiting for their stream's start) was full (slow consumer)
``packets_unstarted``  notifications of a stream whose start never completed (the link dropped
                       between the device's START and its status, or the session ended first)
``packets_corrupt``    notifications that failed to decode (reasons in ``corrupt_reasons``)
``packets_missing``    sequence numbers not delivered intact within the reorder window (lost on the
                       link, dropped from the queue, or corrupt)
``packets_duplicate``  second copies of a packet, discarded
``packets_late``       packets that arrived after being declared missing, discarded
``samples_lost``       samples missing according to the device timestamps (incl. disconnections);
                       holes of ``outage_s`` or more are listed in ``outages``; a link that dropped
                       and never came back is an open outage whose samples follow from the
                       declared rate
``samples_expected``   declared rate × time the stream was running (connected and started);
                       ``shortfall`` = expected − received − lost: samples that never arrived and
                       that no timestamp shows (a stalled device or link); stalls are listed
``samples_overlap``    samples whose timestamp was not after the previous one, discarded
``window_drops``       windows dropped because inference fell behind (oldest first)
``rejected``           predictions below the confidence threshold, reported as NULL
=====================  ======================================================================
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def percentiles_ms(values: Any, qs: tuple[float, ...] = (50, 95, 99)) -> dict[str, float | None]:
    """``{"p50": ms, ..., "max": ms}`` of durations given in seconds (``None`` when empty)."""
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        return {**{f"p{q:g}": None for q in qs}, "max": None}
    out = {f"p{q:g}": round(float(np.percentile(arr, q)) * 1e3, 3) for q in qs}
    out["max"] = round(float(arr.max()) * 1e3, 3)
    return out


@dataclass
class SessionMetrics:
    """Counters of one live session (host monotonic clock, seconds)."""

    started_s: float = field(default_factory=time.monotonic)
    packets_received: int = 0
    packets_decoded: int = 0
    packets_corrupt: int = 0
    corrupt_reasons: Counter = field(default_factory=Counter)
    queue_drops: int = 0
    packets_unstarted: int = 0
    packets_missing: int = 0
    packets_duplicate: int = 0
    packets_late: int = 0
    packets_reordered: int = 0
    samples_received: int = 0
    samples_lost: int = 0
    samples_overlap: int = 0
    samples_saturated: int = 0
    windows: int = 0
    window_drops: int = 0
    predictions: int = 0
    rejected: int = 0
    class_counts: Counter = field(default_factory=Counter)
    connects: int = 0
    disconnects: int = 0
    connect_failures: int = 0
    reconnect_s: list[float] = field(default_factory=list)
    gaps: int = 0
    outages: deque = field(default_factory=lambda: deque(maxlen=1000))  # gaps >= outage_s, as dicts
    outage_s: float = 0.2
    latencies_s: deque = field(default_factory=lambda: deque(maxlen=100_000))
    inference_s: deque = field(default_factory=lambda: deque(maxlen=100_000))
    first_sample_host_s: float | None = None
    last_sample_host_s: float | None = None
    device_rate_hz: float | None = None
    measured_device_rate_hz: float | None = None
    model_rate_hz: float | None = None
    resampler_lookahead_s: float = 0.0
    clock_drift_ppm: float | None = None
    clock_resets: int = 0
    stream_restarts: int = 0
    streaming_s: float = 0.0  # time the stream ran (connected and started), s
    open_outage_lost: int = 0  # samples of outages that never ended (estimated from the declared rate)
    stalls: list = field(default_factory=list)  # periods without data while the stream ran, as dicts

    @property
    def effective_rate_hz(self) -> float | None:
        """Sample rate seen on the host: samples received over the host time from the first to the last one, Hz."""
        if self.first_sample_host_s is None or self.last_sample_host_s is None:
            return None
        span = self.last_sample_host_s - self.first_sample_host_s
        return (self.samples_received - 1) / span if span > 0 else None

    def samples_expected(self, running_s: float = 0.0) -> int | None:
        """Samples the device should have sent: declared rate × time the stream ran (``None`` before a start).

        ``running_s``: time the current stream has been running and is not yet in ``streaming_s``.
        """
        return None if self.device_rate_hz is None else int(round(self.device_rate_hz * (self.streaming_s + running_s)))

    def shortfall(self, running_s: float = 0.0) -> int | None:
        """Expected samples that neither arrived nor are accounted as lost (never below 0)."""
        exp = self.samples_expected(running_s)
        return None if exp is None else max(0, exp - self.samples_received - self.samples_lost - self.open_outage_lost)

    def summary(self, running_s: float = 0.0) -> dict[str, Any]:
        """JSON-ready summary: counts, rates, gaps, latency and inference time percentiles (ms).

        ``running_s``: time the current stream has been running (see :meth:`samples_expected`).
        """
        rate = self.effective_rate_hz
        return {
            "duration_s": round(time.monotonic() - self.started_s, 3),
            "packets": {"received": self.packets_received, "decoded": self.packets_decoded,
                        "corrupt": self.packets_corrupt, "corrupt_reasons": dict(self.corrupt_reasons),
                        "queue_drops": self.queue_drops, "unstarted": self.packets_unstarted,
                        "missing": self.packets_missing,
                        "duplicate": self.packets_duplicate, "late": self.packets_late,
                        "reordered": self.packets_reordered},
            "samples": {"received": self.samples_received, "lost": self.samples_lost + self.open_outage_lost,
                        "overlap_discarded": self.samples_overlap, "saturated": self.samples_saturated,
                        "expected": self.samples_expected(running_s), "shortfall": self.shortfall(running_s)},
            "rate_hz": {"effective": None if rate is None else round(rate, 3),
                        "device_declared": self.device_rate_hz,
                        "device_measured": None if self.measured_device_rate_hz is None
                        else round(self.measured_device_rate_hz, 3),
                        "model": self.model_rate_hz},
            "windows": {"made": self.windows, "dropped": self.window_drops, "predicted": self.predictions,
                        "rejected_null": self.rejected, "classes": dict(self.class_counts)},
            "connection": {"connects": self.connects, "disconnects": self.disconnects,
                           "failed_attempts": self.connect_failures, "stream_restarts": self.stream_restarts,
                           "reconnect_s": [round(v, 3) for v in self.reconnect_s]},
            "gaps": {"count": self.gaps, "outages": list(self.outages)},
            "stalls": list(self.stalls), "streaming_s": round(self.streaming_s + running_s, 3),
            "latency_ms": percentiles_ms(self.latencies_s),
            "inference_ms": percentiles_ms(self.inference_s),
            "resampler_lookahead_ms": round(self.resampler_lookahead_s * 1e3, 3),
            "clock": {"device_drift_ppm": None if self.clock_drift_ppm is None else round(self.clock_drift_ppm, 1),
                      "resets": self.clock_resets},
        }
