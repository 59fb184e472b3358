"""From timed device samples to model windows, through the one preprocessing path.

:class:`StreamAssembler` takes batches of samples in order (device time of the first sample, values
in SI units) and

1. reconstructs each sample's device time (first-sample timestamp + a running estimate of the true
   sample period, so a device whose real rate differs from the declared one is still placed right);
2. detects gaps (lost packets, disconnections) from the timestamps: short gaps are bridged by the
   uniform-grid interpolation, gaps longer than ``max_gap_s`` split the stream so no window spans them;
3. puts the samples on a uniform grid (:func:`mujo_edge.data.preprocess.interpolate_uniform`) at the
   rate :func:`mujo_edge.data.preprocess.grid_plan` gives for the device's declared rate (the declared
   rate itself when it is a small fraction of the model's, else a multiple of the model's rate);
4. resamples that grid to the model's ``SensorSpec.rate_hz`` with the anti-aliased polyphase filter of
   :func:`mujo_edge.data.preprocess.polyphase` (streamed by :class:`StreamResampler`);
5. cuts windows of ``spec.window`` samples every ``spec.hop`` samples
   (:func:`mujo_edge.data.preprocess.sliding_windows`), channels in ``spec.channels`` order.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from mujo_edge.data.preprocess import grid_plan, interpolate_uniform, polyphase, sliding_windows
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import SpecMismatchError

log = logging.getLogger(__name__)


class StreamResampler:
    """:func:`~mujo_edge.data.preprocess.resample` applied to a growing signal, chunk by chunk.

    Output sample ``j`` is computed once its filter has ``half`` input samples of right context
    (``half = ceil(10·max(up, down)/up) + 1``, the half-length of scipy's default polyphase filter),
    from a slice that starts at a multiple of ``down``, so the streamed output equals resampling the
    whole signal at once (up to float rounding). That right context is the resampler's look-ahead.
    """

    def __init__(self, from_hz: float, to_hz: float) -> None:
        self.from_hz, self.to_hz = float(from_hz), float(to_hz)
        plan = grid_plan(self.from_hz, self.to_hz)
        if not plan.direct:
            raise SpecMismatchError(f"StreamResampler takes uniform input at a small-fraction rate; {from_hz:g} Hz "
                                    f"to {to_hz:g} Hz goes through a {plan.grid_hz:g} Hz grid first (grid_plan)")
        self.identity = self.from_hz == self.to_hz
        self.up, self.down = plan.up, plan.down
        self.half = 0 if self.identity else math.ceil(10 * max(self.up, self.down) / self.up) + 1
        self._buf: np.ndarray | None = None  # input samples from global index _buf0 on
        self._buf0 = 0
        self._n_in = 0
        self._next_out = 0

    @property
    def lookahead_s(self) -> float:
        """Seconds of input the resampler waits for beyond an output sample."""
        return self.half / self.from_hz

    def push(self, x: np.ndarray) -> np.ndarray:
        """Add ``(n, C)`` input samples; returns the ``(m, C)`` output samples that became computable."""
        x = np.asarray(x, dtype=np.float32)
        if self.identity:
            return x
        self._buf = x if self._buf is None else np.concatenate([self._buf, x])
        self._n_in += x.shape[0]
        last = (self._n_in - 1 - self.half) * self.up // self.down  # newest output with full right context
        if last < self._next_out:
            return np.zeros((0, x.shape[1]), np.float32)
        start = max(0, (self._next_out * self.down // self.up - self.half) // self.down * self.down)
        start = max(start, self._buf0)
        start += (-start) % self.down  # slice start must be a multiple of down
        y = polyphase(self._buf[start - self._buf0:], self.up, self.down)
        j0 = start * self.up // self.down
        out = y[self._next_out - j0:last - j0 + 1]
        self._next_out = last + 1
        keep = max(0, (self._next_out * self.down // self.up - self.half - self.down) // self.down * self.down)
        if keep > self._buf0:
            self._buf = self._buf[keep - self._buf0:]
            self._buf0 = keep
        return out


@dataclass(frozen=True)
class Window:
    """One model input cut from the stream.

    Attributes:
        x: ``(spec.window, C)`` float32 in SI units at ``spec.rate_hz``, ``spec.channels`` order.
        t_end_device_s: device time of the window's last sample, s.
        segment: stream segment (a new one starts after every long gap).
        index: running window number within the session.
    """

    x: np.ndarray
    t_end_device_s: float
    segment: int
    index: int


@dataclass(frozen=True)
class Gap:
    """A hole in the stream found from the device timestamps: no samples from ``start`` (the first
    missing one) to ``end`` (the first one after the hole), device seconds."""

    start_device_s: float
    end_device_s: float
    lost_samples: int
    split: bool  # longer than max_gap_s: the stream restarted, no window spans it

    @property
    def duration_s(self) -> float:
        """Length of the hole, seconds."""
        return self.end_device_s - self.start_device_s


def check_channels(spec: SensorSpec, channels: tuple[str, ...], required: tuple[str, ...] | None = None,
                   allow_missing: bool = False) -> None:
    """Raise SpecMismatchError if the stream lacks a channel the model uses (``required``, default all
    of ``spec.channels``) unless ``allow_missing``; other missing spec channels are zero-filled (logged)."""
    needed = [c for c in (required or spec.channels) if c not in channels]
    if needed and not allow_missing:
        raise SpecMismatchError(f"the device streams {channels}; the model uses {required or spec.channels}, "
                                f"missing {needed} (allow zero-filled channels explicitly to go on)")
    missing = [c for c in spec.channels if c not in channels]
    if missing:
        log.warning("channels %s are missing from the stream and zero-filled", missing)


class StreamAssembler:
    """In-order batches of timed samples → windows at the model's sensor spec (see module doc)."""

    def __init__(self, spec: SensorSpec, device_rate_hz: float, channels: tuple[str, ...],
                 max_gap_s: float = 1.0, allow_missing_channels: bool = False,
                 required: tuple[str, ...] | None = None) -> None:
        check_channels(spec, channels, required, allow_missing_channels)
        self.spec, self.channels, self.max_gap_s = spec, channels, max_gap_s
        self.device_rate_hz = float(device_rate_hz)
        self.grid_hz = grid_plan(self.device_rate_hz, spec.rate_hz).grid_hz  # uniform grid before polyphase
        self._index = [channels.index(c) if c in channels else -1 for c in spec.channels]
        self.period_s = 1.0 / self.device_rate_hz  # running estimate of the true period (device clock)
        self.samples_lost = self.samples_overlap = 0
        self.segment = -1
        self.windows_out = 0
        self._last_t: float | None = None
        self._origin: float | None = None  # device times are kept relative to this (float precision)
        self._new_segment()

    @property
    def lookahead_s(self) -> float:
        """Delay the resampler adds between a sample and its output, s."""
        return self._resampler.lookahead_s

    @property
    def measured_rate_hz(self) -> float:
        """The device's sample rate measured on its own clock (from packet timestamps), Hz."""
        return 1.0 / self.period_s

    def _new_segment(self) -> None:
        self.segment += 1
        self._resampler = StreamResampler(self.grid_hz, self.spec.rate_hz)
        self._raw_t: np.ndarray = np.zeros(0)
        self._raw_x: np.ndarray = np.zeros((0, len(self.spec.channels)), np.float32)
        self._grid_t0: float | None = None
        self._grid_next = 0  # next device-rate grid index to produce
        self._model_buf = np.zeros((0, len(self.spec.channels)), np.float32)
        self._model_buf0 = 0  # model-rate index of _model_buf[0]
        self._next_start = 0  # model-rate index of the next window start

    def add(self, t_first_s: float, x: np.ndarray) -> tuple[list[Window], list[Gap]]:
        """Add samples ``x (n, C_device)`` whose first sample was taken at device time ``t_first_s``."""
        x = np.asarray(x, dtype=np.float32)
        n = x.shape[0]
        gaps: list[Gap] = []
        if n == 0:
            return [], gaps
        if self._origin is None:
            self._origin = float(t_first_s)
        t_first_s = float(t_first_s) - self._origin
        nominal = 1.0 / self.device_rate_hz
        if self._last_t is not None:
            expected = self._last_t + self.period_s
            if abs(t_first_s - expected) < 0.5 * nominal:  # contiguous: refine the period estimate
                observed = (t_first_s - self._first_of_last) / self._n_last
                if abs(observed - nominal) < 0.1 * nominal:
                    self.period_s += 0.05 * (observed - self.period_s)
            elif t_first_s > expected:
                lost = max(1, int(round((t_first_s - self._last_t) / self.period_s)) - 1)
                split = t_first_s - self._last_t > self.max_gap_s
                self.samples_lost += lost
                gaps.append(Gap(self._origin + self._last_t + self.period_s, self._origin + t_first_s, lost, split))
                if split:
                    self._new_segment()
            elif t_first_s < self._last_t - self.max_gap_s:  # clock went back: device restarted
                gaps.append(Gap(self._origin + t_first_s, self._origin + t_first_s, 0, True))
                self._new_segment()
        self._first_of_last, self._n_last = t_first_s, n
        t = t_first_s + np.arange(n) * self.period_s
        if self._raw_t.size:  # drop samples not after the newest one of this segment
            keep = t > self._raw_t[-1] + 1e-9
            self.samples_overlap += int((~keep).sum())
            t, x = t[keep], x[keep]
        if t.size:
            self._last_t = float(t[-1])
        sel = np.zeros((x.shape[0], len(self._index)), np.float32)
        for j, i in enumerate(self._index):
            if i >= 0:
                sel[:, j] = x[:, i]
        return self._regrid(t, sel), gaps

    def _regrid(self, t: np.ndarray, x: np.ndarray) -> list[Window]:
        self._raw_t = np.concatenate([self._raw_t, t])
        self._raw_x = np.concatenate([self._raw_x, x])
        if self._grid_t0 is None and self._raw_t.size:
            self._grid_t0 = float(self._raw_t[0])
        if self._raw_t.size == 0:
            return []
        g0 = self._grid_t0 + self._grid_next / self.grid_hz
        if g0 > self._raw_t[-1] + 1e-9:
            return []
        # keep one raw sample at or before g0 so the interpolation has left support
        first = max(0, int(np.searchsorted(self._raw_t, g0 + 1e-9, side="right")) - 1)
        grid, y = interpolate_uniform(self._raw_t[first:], self._raw_x[first:], self.grid_hz,
                                      t0=g0, t1=float(self._raw_t[-1]))
        self._grid_next += len(grid)
        nxt = self._grid_t0 + self._grid_next / self.grid_hz
        cut = max(0, int(np.searchsorted(self._raw_t, nxt, side="right")) - 1)
        self._raw_t, self._raw_x = self._raw_t[cut:], self._raw_x[cut:]
        return self._windows(self._resampler.push(y))

    def _windows(self, y: np.ndarray) -> list[Window]:
        if y.shape[0] == 0:
            return []
        self._model_buf = np.concatenate([self._model_buf, y])
        w, hop, rate = self.spec.window, self.spec.hop, self.spec.rate_hz
        offset = self._next_start - self._model_buf0
        wins = sliding_windows(self._model_buf[offset:], w, hop)
        out = []
        for x in wins:
            end = self._next_start + w - 1
            out.append(Window(np.ascontiguousarray(x), self._origin + self._grid_t0 + end / rate, self.segment,
                              self.windows_out))
            self.windows_out += 1
            self._next_start += hop
        drop = min(self._next_start - self._model_buf0, len(self._model_buf))  # a hop longer than the window
        if drop > 0:  # skips samples not yet received: keep _model_buf0 at the first sample still held
            self._model_buf = self._model_buf[drop:]
            self._model_buf0 += drop
        return out
