"""Stream bookkeeping that does not depend on the protocol: packet order and the device clock.

* :class:`Reorderer` puts packets back into sequence-number order with a small bounded buffer and
  counts missing, duplicated, late and reordered packets;
* :class:`ClockModel` estimates the device clock's offset and drift against the host's monotonic
  clock (lower envelope of receive-time minus sample-time), so device timestamps map to host time;
* :func:`unwrap` turns wrapping counters (µs timestamps, sequence numbers) into monotone integers.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from mujo_edge.errors import BridgeError

log = logging.getLogger(__name__)
T = TypeVar("T")


def unwrap(raw: int, previous: int | None, modulo: int) -> int:
    """Unwrapped value of counter ``raw`` (wrapping at ``modulo``) nearest to the unwrapped ``previous``.

    With ``modulo == 0`` (a counter that never wraps) ``raw`` is returned unchanged.
    """
    if not modulo or previous is None:
        return raw
    base = previous - previous % modulo
    best = base + raw
    for cand in (best - modulo, best + modulo):
        if abs(cand - previous) < abs(best - previous):
            best = cand
    return best


@dataclass
class OrderCounts:
    """What the reorderer saw (packets)."""

    delivered: int = 0
    missing: int = 0      # declared lost: never arrived within the reorder window
    duplicate: int = 0    # arrived twice; second copy discarded
    late: int = 0         # arrived after being declared missing; discarded
    reordered: int = 0    # arrived after a higher sequence number but in time; put back in order


@dataclass
class _Held(Generic[T]):
    seq: int
    item: T
    since: float


class Reorderer(Generic[T]):
    """Restores sequence order of packets; bounded by ``depth`` held packets and ``max_wait_s``.

    ``push(seq, item, now)`` returns the items that are ready, in order. A hole in the sequence is
    waited for until ``depth`` later packets are held or the oldest held one is ``max_wait_s`` old;
    then it is declared missing. Sequence numbers wrap at ``modulo``.
    """

    def __init__(self, depth: int = 8, max_wait_s: float = 0.1, modulo: int = 1 << 16) -> None:
        self.depth, self.max_wait_s, self.modulo = depth, max_wait_s, modulo
        self.counts = OrderCounts()
        self.reset()

    def reset(self) -> None:
        """Forget the sequence (a new stream starts; counts are kept)."""
        self._next: int | None = None  # unwrapped sequence number expected next
        self._last_raw: int | None = None
        self._held: dict[int, _Held[T]] = {}
        self._recent: deque[int] = deque(maxlen=4 * self.depth + 16)
        self._missing_recent: deque[int] = deque(maxlen=4 * self.depth + 16)
        self._highest: int | None = None

    def push(self, seq: int, item: T, now: float) -> list[T]:
        """Offer one packet; returns the packets now ready, in sequence order."""
        s = unwrap(seq, self._last_raw if self._last_raw is not None else None, self.modulo)
        if self._next is None:
            self._next = s
        if s < self._next or s in self._held:
            if s in self._recent or s in self._held:
                self.counts.duplicate += 1
            elif s in self._missing_recent:
                self.counts.late += 1
            else:  # far in the past: treat as duplicate of something long gone
                self.counts.duplicate += 1
            return []
        self._last_raw = s
        if self._highest is not None and s < self._highest:
            self.counts.reordered += 1
        self._highest = s if self._highest is None else max(self._highest, s)
        self._held[s] = _Held(s, item, now)
        return self._release(now)

    def flush(self, now: float, force: bool = False) -> list[T]:
        """Release what waited too long (``force``: everything held, declaring holes missing)."""
        return self._release(now, force=force)

    @property
    def oldest_wait(self) -> float | None:
        """Arrival time of the oldest held packet (None when nothing is held)."""
        return min((h.since for h in self._held.values()), default=None)

    def _release(self, now: float, force: bool = False) -> list[T]:
        out: list[T] = []
        while self._held:
            assert self._next is not None
            if self._next in self._held:
                h = self._held.pop(self._next)
            else:
                oldest = min(h.since for h in self._held.values())
                if not (force or len(self._held) >= self.depth or now - oldest >= self.max_wait_s):
                    break
                first = min(self._held)
                for s in range(self._next, first):
                    self._missing_recent.append(s)
                self.counts.missing += first - self._next
                h = self._held.pop(first)
            self._recent.append(h.seq)
            self._next = h.seq + 1
            self.counts.delivered += 1
            out.append(h.item)
        return out


@dataclass
class ClockModel:
    """Maps device time to host time: ``host = device + intercept + slope · (device - d0)``.

    Each packet gives one observation ``(device time of its last sample, host receive time)``; the
    difference is the clock offset plus a non-negative transport delay. Per ``bucket_s`` of device
    time the smallest difference is kept (the least-delayed packet); a least-squares line through the
    last ``history_s`` of bucket minima gives the drift, and the intercept is lowered until the line
    lies under every minimum (the lower envelope). A clock jump (device reboot, clock change) shows as
    an observation ``reset_s`` below the envelope (received before it was sampled) or ``max_delay_s``
    above it; it restarts the model and is counted in ``resets``.
    """

    bucket_s: float = 1.0
    history_s: float = 60.0
    reset_s: float = 2.0
    max_delay_s: float = 30.0
    resets: int = 0
    _d0: float | None = None
    _buckets: deque = field(default_factory=deque)  # (device - d0, min offset)
    _cur: tuple[int, float, float] | None = None  # (bucket index, device - d0, min offset)
    _slope: float = 0.0
    _intercept: float = 0.0
    _n: int = 0

    def update(self, device_s: float, host_s: float) -> None:
        """Add one observation (seconds on each clock)."""
        if self._d0 is None:
            self._d0 = device_s
        d = device_s - self._d0
        off = host_s - device_s
        if self._buckets or self._cur is not None:
            jump = off - float(self.offset_at(device_s))
            if jump < -self.reset_s or jump > self.max_delay_s:
                log.warning("device clock jumped by %.3f s; restarting the clock model", jump)
                self.resets += 1
                self._d0, self._buckets, self._cur, self._slope, self._n = device_s, deque(), None, 0.0, 0
                d = 0.0
        b = int(d // self.bucket_s)
        if self._cur is None or b != self._cur[0]:
            if self._cur is not None:
                self._buckets.append((self._cur[1], self._cur[2]))
                while self._buckets and d - self._buckets[0][0] > self.history_s:
                    self._buckets.popleft()
                self._fit()
            self._cur = (b, d, off)
        elif off < self._cur[2]:
            self._cur = (b, d, off)
        self._intercept = off - self._slope * d if self._n == 0 else min(self._intercept, off - self._slope * d)
        self._n += 1

    def _fit(self) -> None:
        pts = np.array(list(self._buckets), dtype=np.float64)
        if len(pts) >= 3 and np.ptp(pts[:, 0]) > 0:
            self._slope = float(np.polyfit(pts[:, 0], pts[:, 1], 1)[0])
        allpts = pts if self._cur is None else np.vstack([pts, [self._cur[1], self._cur[2]]])
        self._intercept = float(np.min(allpts[:, 1] - self._slope * allpts[:, 0]))

    def offset_at(self, device_s: float | np.ndarray) -> float | np.ndarray:
        """Estimated ``host - device`` offset at device time ``device_s``."""
        if self._d0 is None:
            raise BridgeError("clock model has no observations yet (no timed packet was received)")
        return self._intercept + self._slope * (np.asarray(device_s, dtype=np.float64) - self._d0)

    def to_host(self, device_s: float | np.ndarray) -> float | np.ndarray:
        """Host time (s) of device time(s) ``device_s``."""
        return np.asarray(device_s, dtype=np.float64) + self.offset_at(device_s)

    @property
    def device_drift_ppm(self) -> float:
        """Estimated rate error of the device clock against the host clock, ppm (> 0: device runs fast)."""
        return -self._slope / (1.0 + self._slope) * 1e6

    @property
    def ready(self) -> bool:
        """True once at least one observation was made."""
        return self._d0 is not None
