"""The live streaming pipeline: notification bytes in, smoothed predictions with measured latency out.

Threads of work, all bounded and counted (see :mod:`mujo_edge.firmware_bridge.accounting`)::

    BLE callback ──(host time, bytes)──▶ raw queue ──▶ consumer task ──▶ window queue ──▶ inference task
    (timestamp + put_nowait only)        (bounded)     decode, reorder,   (bounded,        predict_proba in a
                                                       clock model,       oldest dropped)  worker thread, smooth,
                                                       StreamAssembler                     reject low confidence

Latency of a prediction = host time when its probabilities are ready − host time of the window's
last sample (device timestamp mapped through the :class:`~mujo_edge.firmware_bridge.timing.ClockModel`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol

import numpy as np
from mujo_edge.firmware_bridge.accounting import SessionMetrics
from mujo_edge.firmware_bridge.protocol import SampleBatch
from mujo_edge.firmware_bridge.stream import StreamAssembler, Window, check_channels
from mujo_edge.firmware_bridge.timing import ClockModel, OrderCounts, Reorderer, unwrap

from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ConfigError, ProtocolError

log = logging.getLogger(__name__)


class Classifier(Protocol):
    """What the pipeline needs from ``mujo_edge.runtime.load(path)``."""

    spec: SensorSpec
    label_names: tuple[str, ...]

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:  # (N, W, C) SI -> (N, K)
        ...


class Decoder(Protocol):
    """A started stream's decoder (see ``MujoDecoder`` and ``PolarDecoder``)."""

    rate_hz: float
    channels: tuple[str, ...]

    def decode(self, data: bytes) -> SampleBatch:
        ...


@dataclass(frozen=True)
class PipelineConfig:
    """Options of :class:`LivePipeline`.

    Attributes:
        queue_size: raw notifications held before new ones are dropped (counted).
        window_queue_size: windows waiting for inference before the oldest is dropped (counted).
        reorder_depth: packets held while waiting for a missing sequence number.
        reorder_wait_s: longest wait for a missing packet before declaring it lost, s.
        max_gap_s: longer holes split the stream (windows never span them); shorter ones are
            bridged by linear interpolation on the uniform grid, s.
        smoothing: weight of the newest window in the exponential moving average of probabilities
            (1.0 = no smoothing); reset at every stream split.
        reject_below: smoothed top probability under this is reported as NULL (label ``None``).
        allow_missing_channels: zero-fill channels the model uses but the device does not stream (else
            an error; spec channels the model does not use, ``channels_used``, are always zero-filled).
        record: keep every received sample for :meth:`LivePipeline.recording`.
    """

    queue_size: int = 1024
    window_queue_size: int = 8
    reorder_depth: int = 4
    reorder_wait_s: float = 0.05
    max_gap_s: float = 1.0
    smoothing: float = 0.6
    reject_below: float = 0.5
    allow_missing_channels: bool = False
    record: bool = False

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.window_queue_size < 1 or self.reorder_depth < 1:
            raise ConfigError(f"queue sizes and reorder depth must be >= 1: {self}")
        if not 0 < self.smoothing <= 1 or not 0 <= self.reject_below <= 1:
            raise ConfigError(f"smoothing must be in (0, 1] and reject_below in [0, 1]: {self}")


@dataclass(frozen=True)
class Prediction:
    """One classified window.

    Attributes:
        index: running window number; segment: stream segment it belongs to.
        label: smoothed class name, or ``None`` (NULL) when ``confidence < reject_below``.
        confidence: smoothed top probability.
        probs / smoothed: ``(K,)`` raw and smoothed class probabilities.
        t_end_host_s: host monotonic time of the window's last sample (estimated), s.
        t_end_device_s: device time of the window's last sample (unwrapped device clock), s.
        window_s: window length, s.
        latency_s: prediction ready time − ``t_end_host_s``; inference_s: time in ``predict_proba``.
    """

    index: int
    segment: int
    label: str | None
    confidence: float
    probs: np.ndarray
    smoothed: np.ndarray
    t_end_host_s: float
    latency_s: float
    inference_s: float
    t_end_device_s: float = 0.0
    window_s: float = 0.0


class LivePipeline:
    """Consumes notifications of one device session and produces :class:`Prediction` s.

    Use: ``cb = pipeline.notification_callback`` for bleak's ``start_notify``; for each (re)start of the
    stream call :meth:`open_stream` before the device's START and :meth:`begin_stream` with the decoder
    once the device reported what it applied (notifications in between wait for it); run :meth:`run`
    as a task; :meth:`stop` drains the queues and ends it.
    """

    def __init__(self, classifier: Classifier, config: PipelineConfig = PipelineConfig(),
                 on_prediction: Callable[[Prediction], None] | None = None) -> None:
        self.clf, self.cfg, self.on_prediction = classifier, config, on_prediction
        self.spec: SensorSpec = classifier.spec
        self.labels = tuple(classifier.label_names)
        self._required = tuple(getattr(classifier, "channels_used", ()) or self.spec.channels)
        self.metrics = SessionMetrics(model_rate_hz=self.spec.rate_hz)
        self.clock = ClockModel()
        self.reorderer: Reorderer[SampleBatch] = Reorderer(config.reorder_depth, config.reorder_wait_s)
        self._raw: asyncio.Queue[tuple[float, bytes, int]] = asyncio.Queue(config.queue_size)
        self._windows: asyncio.Queue[Window | None] = asyncio.Queue()
        self._decoders: dict[int, Decoder] = {}
        self._early: list[tuple[float, bytes, int]] = []  # notifications waiting for their stream's decoder
        self._epoch = -1
        self._assembler: StreamAssembler | None = None
        self._time_us: int | None = None
        self._last_polar_t: int | None = None
        self._time_order = OrderCounts()  # duplicates / late packets of streams without sequence numbers
        self._lost_before = self._overlap_before = 0  # counts of assemblers replaced by a rate change
        self._smoothed: tuple[int, np.ndarray] | None = None
        self._stopping = asyncio.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mujo-infer")
        self.recorded: list[tuple[np.ndarray, np.ndarray]] = []
        self.predictions: list[Prediction] = []

    # ------------------------------------------------------------------ producer side (BLE callback)
    def notification_callback(self, _sender: Any, data: bytearray) -> None:
        """bleak notification handler: timestamp on the host clock and enqueue; nothing else."""
        now = time.monotonic()
        self.metrics.packets_received += 1
        try:
            self._raw.put_nowait((now, bytes(data), self._epoch))
        except asyncio.QueueFull:
            self.metrics.queue_drops += 1

    def open_stream(self) -> None:
        """A stream is about to be (re)started (call before the device's START): notifications from now on
        belong to it and wait for :meth:`begin_stream` to name their decoder."""
        self._epoch += 1

    def begin_stream(self, decoder: Decoder) -> None:
        """The stream (re)started with ``decoder``: sequence numbers restart, the device clock continues."""
        check_channels(self.spec, tuple(decoder.channels), self._required, self.cfg.allow_missing_channels)
        if self._epoch < 0 or self._epoch in self._decoders:
            self._epoch += 1
        self._decoders[self._epoch] = decoder
        self.metrics.stream_restarts = self._epoch
        self.metrics.device_rate_hz = decoder.rate_hz

    # ------------------------------------------------------------------ consumer side
    def warm_up(self, calls: int = 5) -> float:
        """Run the model on zero windows a few times (first calls of a backend are slow); returns seconds."""
        t0 = time.perf_counter()
        x = np.zeros((1, self.spec.window, len(self.spec.channels)), np.float32)
        for _ in range(calls):
            self._pool.submit(self.clf.predict_proba, x).result()
        return time.perf_counter() - t0

    async def run(self) -> None:
        """Consume until :meth:`stop`; then drain everything that was queued."""
        infer = asyncio.create_task(self._infer_loop())
        try:
            await self._consume_loop()
        finally:
            await self._windows.put(None)
            await infer
            self._pool.shutdown(wait=True)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (after draining the queues)."""
        self._stopping.set()

    async def _consume_loop(self) -> None:
        epoch, burst = -1, 0
        while True:
            wait = 0.05
            held = self.reorderer.oldest_wait
            if held is not None:
                wait = max(0.0, held + self.cfg.reorder_wait_s - time.monotonic())
            try:
                item = self._raw.get_nowait()
                burst += 1
                if burst % 32 == 0:  # let notifications and finished inferences in during a backlog
                    await asyncio.sleep(0)
            except asyncio.QueueEmpty:
                burst = 0
                try:
                    item = await asyncio.wait_for(self._raw.get(), timeout=wait)
                except asyncio.TimeoutError:
                    item = None
            now = time.monotonic()
            items = self._release_early() + ([item] if item is not None else [])
            for t_recv, data, ep in items:
                if ep not in self._decoders:
                    self._hold_early(t_recv, data, ep)
                    continue
                if ep != epoch:  # new stream: release what the old one held, restart the sequence
                    self._deliver(self.reorderer.flush(now, force=True))
                    self.reorderer.reset()
                    self._last_polar_t = None
                    epoch = ep
                self._handle(t_recv, data, self._decoders[ep], now)
            self._deliver(self.reorderer.flush(now))
            if self._stopping.is_set() and self._raw.empty() and not any(e[2] in self._decoders for e in self._early):
                self._deliver(self.reorderer.flush(now, force=True))
                break
        self.metrics.packets_unstarted += len(self._early)  # their stream never started: counted, not kept
        self._early = []
        self._sync_counts()

    def _hold_early(self, t_recv: float, data: bytes, ep: int) -> None:
        """A notification whose stream has no decoder yet: keep it for :meth:`begin_stream` if it belongs to
        the stream being started; one of an abandoned start (a newer stream was opened) is counted."""
        if ep < self._epoch:
            self.metrics.packets_unstarted += 1
        elif len(self._early) < self.cfg.queue_size:
            self._early.append((t_recv, data, ep))  # arrived between START and begin_stream
        else:
            self.metrics.queue_drops += 1

    def _release_early(self) -> list[tuple[float, bytes, int]]:
        """Held notifications whose decoder is now known, in arrival order; those of starts that were
        abandoned (the link dropped between START and :meth:`begin_stream`) are counted and dropped."""
        if not self._early:
            return []
        ready = [e for e in self._early if e[2] in self._decoders]
        stale = [e for e in self._early if e[2] not in self._decoders and e[2] < self._epoch]
        if ready or stale:
            self.metrics.packets_unstarted += len(stale)
            self._early = [e for e in self._early if e[2] not in self._decoders and e[2] >= self._epoch]
        return ready

    def _handle(self, t_recv: float, data: bytes, decoder: Decoder, now: float) -> None:
        try:
            batch = decoder.decode(data)
        except ProtocolError as exc:
            self.metrics.packets_corrupt += 1
            self.metrics.corrupt_reasons[re.sub(r"\d+", "N", str(exc).split(" (")[0])[:60]] += 1
            log.debug("corrupt packet: %s", exc)
            return
        self.metrics.packets_decoded += 1
        t_us = unwrap(batch.t_first_us, self._time_us, batch.time_modulo)
        if batch.seq is None:  # no sequence numbers (Polar): order by timestamp only
            if self._last_polar_t is not None and t_us <= self._last_polar_t:
                if t_us == self._last_polar_t:
                    self._time_order.duplicate += 1
                else:
                    self._time_order.late += 1
                return
            self._last_polar_t = t_us
        self._time_us = t_us
        self.clock.update((t_us + (batch.count - 1) * batch.period_us) / 1e6, t_recv)
        batch = replace(batch, t_first_us=t_us)
        self._deliver([batch] if batch.seq is None else self.reorderer.push(batch.seq, batch, now))

    def _deliver(self, batches: list[SampleBatch]) -> None:
        for b in batches:
            asm = self._assembler_for(b)
            windows, gaps = asm.add(b.t_first_us / 1e6, b.samples)
            m = self.metrics
            m.samples_received += b.count
            m.samples_saturated += b.saturated
            if m.first_sample_host_s is None:
                m.first_sample_host_s = float(self.clock.to_host(b.t_first_us / 1e6))
            m.last_sample_host_s = float(self.clock.to_host(b.t_first_us / 1e6 + (b.count - 1) * b.period_us / 1e6))
            for g in gaps:
                m.gaps += 1
                if g.duration_s >= m.outage_s or g.split:
                    m.outages.append({"start_host_s": round(float(self.clock.to_host(g.start_device_s)), 4),
                                      "duration_s": round(g.duration_s, 4), "lost_samples": g.lost_samples,
                                      "stream_split": g.split})
            if self.cfg.record:
                self.recorded.append((b.t_first_us / 1e6 + np.arange(b.count) * b.period_us / 1e6, b.samples))
            for w in windows:
                m.windows += 1
                if self._windows.qsize() >= self.cfg.window_queue_size:
                    self._windows.get_nowait()
                    m.window_drops += 1
                self._windows.put_nowait(w)

    def _assembler_for(self, b: SampleBatch) -> StreamAssembler:
        rate = 1e6 / b.period_us
        a = self._assembler
        if a is None or a.channels != b.channels or abs(a.device_rate_hz - rate) > 1e-6 * rate:
            if a is not None:
                self._sync_counts()
                self._lost_before += a.samples_lost
                self._overlap_before += a.samples_overlap
            a = self._assembler = StreamAssembler(self.spec, rate, b.channels, self.cfg.max_gap_s,
                                                  self.cfg.allow_missing_channels, self._required)
            self.metrics.resampler_lookahead_s = a.lookahead_s
        return a

    def _sync_counts(self) -> None:
        m, c, t = self.metrics, self.reorderer.counts, self._time_order
        m.packets_missing, m.packets_reordered = c.missing, c.reordered
        m.packets_duplicate, m.packets_late = c.duplicate + t.duplicate, c.late + t.late
        if self._assembler is not None:
            m.samples_lost = self._lost_before + self._assembler.samples_lost
            m.samples_overlap = self._overlap_before + self._assembler.samples_overlap
            m.measured_device_rate_hz = self._assembler.measured_rate_hz
        if self.clock.ready:
            m.clock_drift_ppm, m.clock_resets = self.clock.device_drift_ppm, self.clock.resets

    async def _infer_loop(self) -> None:
        loop = asyncio.get_running_loop()
        done = False
        while not done:
            first = await self._windows.get()
            batch = [first] if first is not None else []
            while not self._windows.empty():
                w = self._windows.get_nowait()
                if w is None:
                    done = True
                else:
                    batch.append(w)
            done = done or first is None
            if not batch:
                continue
            x = np.stack([w.x for w in batch])
            t0 = time.perf_counter()
            probs = await loop.run_in_executor(self._pool, self.clf.predict_proba, x)
            dt = time.perf_counter() - t0
            ready = time.monotonic()
            for w, p in zip(batch, np.asarray(probs, dtype=np.float32)):
                self._emit(w, p, dt / len(batch), ready)
            self._sync_counts()

    def _emit(self, w: Window, p: np.ndarray, infer_s: float, ready: float) -> None:
        a = self.cfg.smoothing
        if self._smoothed is None or self._smoothed[0] != w.segment:
            s = p
        else:
            s = a * p + (1 - a) * self._smoothed[1]
        self._smoothed = (w.segment, s)
        top = int(np.argmax(s))
        conf = float(s[top])
        label = self.labels[top] if conf >= self.cfg.reject_below else None
        t_end = float(self.clock.to_host(w.t_end_device_s))
        pred = Prediction(w.index, w.segment, label, conf, p, s, t_end, ready - t_end, infer_s, w.t_end_device_s,
                          self.spec.window_seconds)
        m = self.metrics
        m.predictions += 1
        m.rejected += label is None
        m.class_counts[label or "NULL"] += 1
        m.latencies_s.append(pred.latency_s)
        m.inference_s.append(infer_s)
        self.predictions.append(pred)
        if self.on_prediction is not None:
            self.on_prediction(pred)

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, Any]:
        """The session's metrics as a JSON-ready dict (see :meth:`SessionMetrics.summary`)."""
        self._sync_counts()
        return self.metrics.summary()

    def recording(self, subject: str = "live", session: str = "live", placement: str = "any") -> Recording:
        """Everything received (needs ``record=True``): device-rate samples with their device times."""
        if not self.recorded:
            raise ConfigError("nothing was recorded (start the pipeline with record=True and receive samples)")
        t = np.concatenate([r[0] for r in self.recorded])
        x = np.concatenate([r[1] for r in self.recorded])
        keep = np.concatenate([[True], t[1:] > np.maximum.accumulate(t)[:-1]])  # as the assembler does
        t, x = t[keep], x[keep]
        chans = self._assembler.channels if self._assembler is not None else ()
        rate = self.metrics.device_rate_hz or self.spec.rate_hz
        return Recording(dataset="live", subject=subject, session=session, rate_hz=float(rate), channels=chans,
                         data=x, labels=np.full(len(x), NULL_LABEL, np.int16), placement=placement,
                         timestamps=t - t[0], source="mujo-edge live")
