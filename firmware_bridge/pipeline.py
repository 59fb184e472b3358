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
from mujo_edge.firmware_bridge.results import ResultDecoder, ResultNotification, ResultStream, WatchResult
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
        stall_after_s: no sample for this long while the stream runs is a stall: warned about at once,
            listed in the summary with the samples it cost, s.
        no_data_timeout_s: a stall this long (or a stream that delivers nothing at all for this long)
            ends the session as ``stalled`` (the CLI then exits non-zero), s.
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
    stall_after_s: float = 1.0
    no_data_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.window_queue_size < 1 or self.reorder_depth < 1:
            raise ConfigError(f"queue sizes and reorder depth must be >= 1: {self}")
        if not 0 < self.smoothing <= 1 or not 0 <= self.reject_below <= 1:
            raise ConfigError(f"smoothing must be in (0, 1] and reject_below in [0, 1], got smoothing="
                              f"{self.smoothing} reject_below={self.reject_below}")
        if not 0 < self.stall_after_s < self.no_data_timeout_s:
            raise ConfigError(f"need 0 < stall_after_s < no_data_timeout_s, got {self.stall_after_s} and "
                              f"{self.no_data_timeout_s}")


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
        self.failure: str | None = None  # why the session ended early (a stall past no_data_timeout_s)
        self._streaming_since: float | None = None  # host time the running stream (re)started
        self._last_data: float | None = None  # host time of the newest notification that carried samples
        self._link_lost_at: float | None = None
        self._stall: dict[str, Any] | None = None
        self._results: ResultStream | None = None  # on-watch classification (PROTOCOL.md §10)
        self._result_index = 0

    # ------------------------------------------------------------------ producer side (BLE callback)
    def notification_callback(self, _sender: Any, data: bytearray) -> None:
        """bleak notification handler: timestamp on the host clock and enqueue; nothing else."""
        now = time.monotonic()
        self.metrics.packets_received += 1
        try:
            self._raw.put_nowait((now, bytes(data), self._epoch))
        except asyncio.QueueFull:
            self.metrics.queue_drops += 1

    def result_callback(self, _sender: Any, data: bytearray) -> None:
        """bleak handler of the result characteristic (on-watch classification): timestamp and enqueue, like data."""
        now = time.monotonic()
        self.metrics.packets_received += 1
        try:
            self._raw.put_nowait((now, ResultNotification(data), self._epoch))
        except asyncio.QueueFull:
            self.metrics.queue_drops += 1

    def begin_results(self, decoder: ResultDecoder) -> None:
        """The watch classifies on board and notifies results (call once, before its first START)."""
        if decoder.num_classes != len(self.labels):
            raise ConfigError(f"the watch's model has {decoder.num_classes} classes, this model {len(self.labels)}")
        if self._results is None or self._results.decoder != decoder:  # a reconnect keeps the counts
            self._results = ResultStream(decoder, self.cfg.reorder_depth, self.cfg.reorder_wait_s)

    def open_stream(self) -> None:
        """A stream is about to be (re)started (call before the device's START): notifications from now on
        belong to it and wait for :meth:`begin_stream` to name their decoder."""
        self._epoch += 1

    def begin_stream(self, decoder: Decoder) -> None:
        """The stream (re)started with ``decoder``: sequence numbers restart, the device clock continues."""
        if decoder.channels:  # a results-only stream (on-watch classification) carries no samples
            check_channels(self.spec, tuple(decoder.channels), self._required, self.cfg.allow_missing_channels)
        if self._epoch < 0 or self._epoch in self._decoders:
            self._epoch += 1
        self._decoders[self._epoch] = decoder
        self.metrics.stream_restarts = self._epoch
        self.metrics.device_rate_hz = decoder.rate_hz
        now = time.monotonic()
        self._close_stall(now)
        self._streaming_since, self._link_lost_at = now, None

    def link_lost(self, at: float | None = None) -> None:
        """The connection dropped at host time ``at`` (default now): the stream stops counting as running.

        If it never comes back, :meth:`finish` books the missing stream as an open outage."""
        at = time.monotonic() if at is None else at
        self._end_streaming(at)
        self._link_lost_at = at

    def _end_streaming(self, at: float) -> None:
        if self._streaming_since is not None:
            self.metrics.streaming_s += max(0.0, at - self._streaming_since)
            self._streaming_since = None
        self._close_stall(at)

    def finish(self, at: float | None = None) -> None:
        """The session ends at ``at``: close the running stream, a stall and an outage that never ended."""
        at = time.monotonic() if at is None else at
        self._end_streaming(at)
        rate = self.metrics.device_rate_hz
        if self._link_lost_at is not None and rate:
            duration = max(0.0, at - self._link_lost_at)
            lost = int(round(duration * rate))
            self.metrics.open_outage_lost += lost
            self.metrics.outages.append({"start_host_s": round(self._link_lost_at, 4), "duration_s": round(duration, 4),
                                         "lost_samples": lost, "stream_split": True, "ended": False})
            self._link_lost_at = None

    # ------------------------------------------------------------------ stalls
    def _watch_stall(self, now: float) -> None:
        """Open a stall (with a warning) when the running stream delivered nothing for ``stall_after_s``;
        end the session as stalled after ``no_data_timeout_s``."""
        if self._streaming_since is None:
            return
        since = max(self._last_data or 0.0, self._streaming_since)
        quiet = now - since
        if quiet >= self._stall_after_s() and self._stall is None:
            rate = self.metrics.device_rate_hz or 0.0
            self._stall = {"start_host_s": round(since, 4), "duration_s": None}
            log.warning("no data from the device for %.1f s while connected (about %d samples at %g Hz missing so "
                        "far); the device or the link stalled", quiet, int(quiet * rate), rate)
        if quiet >= self.cfg.no_data_timeout_s and self.failure is None:
            what = "nothing arrived" if self._last_data is None else "no data arrived"
            self.failure = (f"{what} from the device for {quiet:.1f} s while connected (no_data_timeout_s "
                            f"{self.cfg.no_data_timeout_s:g}); the stream stalled")
            log.error("%s; ending the session", self.failure)
            self._stopping.set()

    def _stall_after_s(self) -> float:
        """Quiet time that counts as a stall: ``stall_after_s``; a results-only stream (on-watch classification)
        speaks once per hop, and first after a whole window, so it may stay quiet that long plus ``stall_after_s``."""
        if self._results is None or self._assembler is not None:
            return self.cfg.stall_after_s
        first = self.spec.window if self._result_index == 0 else self.spec.hop
        return self.cfg.stall_after_s + first / self.spec.rate_hz

    def _close_stall(self, at: float) -> None:
        if self._stall is not None:
            self._stall["duration_s"] = round(max(0.0, at - self._stall["start_host_s"]), 4)
            rate = self.metrics.device_rate_hz or 0.0
            self._stall["expected_samples"] = int(round(self._stall["duration_s"] * rate))
            self.metrics.stalls.append(self._stall)
            log.info("stream resumed after a %.1f s stall", self._stall["duration_s"])
            self._stall = None

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

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the pipeline is asked to stop or gives up by itself (see ``no_data_timeout_s``)."""
        return self._stopping

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
                    self._flush_results(now, restart=True)
                    self._last_polar_t = None
                    epoch = ep
                self._handle(t_recv, data, self._decoders[ep], now)
            self._deliver(self.reorderer.flush(now))
            self._flush_results(now)
            self._watch_stall(now)
            if self._stopping.is_set() and self._raw.empty() and not any(e[2] in self._decoders for e in self._early):
                self._deliver(self.reorderer.flush(now, force=True))
                self._flush_results(now, force=True)
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
        if isinstance(data, ResultNotification):
            self._handle_result(t_recv, data, now)
            return
        try:
            batch = decoder.decode(data)
        except ProtocolError as exc:
            self.metrics.packets_corrupt += 1
            self.metrics.corrupt_reasons[re.sub(r"\d+", "N", str(exc).split(" (")[0])[:60]] += 1
            log.debug("corrupt packet: %s", exc)
            return
        self.metrics.packets_decoded += 1
        if batch.count:
            self._last_data = max(self._last_data or 0.0, t_recv)
            self._close_stall(t_recv)
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
                if self._results is not None:  # the watch classifies (on-watch): samples are kept, not classified
                    continue
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
        r = self._results.counts if self._results is not None else OrderCounts()
        m.packets_missing, m.packets_reordered = c.missing + r.missing, c.reordered + r.reordered
        m.packets_duplicate, m.packets_late = c.duplicate + t.duplicate + r.duplicate, c.late + t.late + r.late
        if self._assembler is not None:
            m.samples_lost = self._lost_before + self._assembler.samples_lost
            m.samples_overlap = self._overlap_before + self._assembler.samples_overlap
            m.measured_device_rate_hz = self._assembler.measured_rate_hz
        if self.clock.ready:
            m.clock_drift_ppm, m.clock_resets = self.clock.device_drift_ppm, self.clock.resets

    # ------------------------------------------------------------------ on-watch results (PROTOCOL.md §10)
    def _handle_result(self, t_recv: float, data: bytes, now: float) -> None:
        """A result notification: decoded and ordered like a data packet, then shown like a desktop prediction."""
        if self._results is None:
            self.metrics.packets_corrupt += 1
            self.metrics.corrupt_reasons["result without an on-watch stream"] += 1
            return
        try:
            ready = self._results.push(t_recv, data, now)
        except ProtocolError as exc:
            self.metrics.packets_corrupt += 1
            self.metrics.corrupt_reasons[re.sub(r"\d+", "N", str(exc).split(" (")[0])[:60]] += 1
            return
        self.metrics.packets_decoded += 1
        self._last_data = max(self._last_data or 0.0, t_recv)
        self._close_stall(t_recv)
        self._deliver_results(ready)

    def _flush_results(self, now: float, force: bool = False, restart: bool = False) -> None:
        if self._results is not None:
            self._deliver_results(self._results.flush(now, force=force or restart))
            if restart:
                self._results.restart()

    def _deliver_results(self, ready: list[tuple[WatchResult, float, float]]) -> None:
        for r, t_end_s, t_recv in ready:
            if self._assembler is None:  # results only: the results are the device clock's only witnesses
                self.clock.update(t_end_s, t_recv)
            k = len(self.labels)
            probs = np.full(k, (1.0 - r.confidence) / max(1, k - 1), np.float32)  # the watch sends its top class only
            probs[r.class_index] = r.confidence
            self.metrics.windows += 1
            self._result_index += 1
            window = Window(np.zeros((0, 0), np.float32), t_end_s, max(0, self._epoch), self._result_index - 1)
            self._emit(window, probs, 0.0, t_recv)

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
        running = time.monotonic() - self._streaming_since if self._streaming_since is not None else 0.0
        out = self.metrics.summary(running)
        if self._stall is not None:  # still quiet when asked
            out["stalls"] = out["stalls"] + [{**self._stall, "duration_s": round(time.monotonic() - self._stall["start_host_s"], 4),
                                              "ongoing": True}]
        out["status"] = "stalled" if self.failure else "ok"
        if self.failure:
            out["failure"] = self.failure
        return out

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
