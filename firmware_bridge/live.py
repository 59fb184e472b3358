"""A live session end to end: model + device (or simulated watch) + pipeline.

::

    result = run_live(LiveConfig(model="run/student_int8.onnx", simulate="synthetic", duration_s=15))
    result.summary["latency_ms"]["p99"], result.predictions[-1].label
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
from mujo_edge.firmware_bridge.client import ClientConfig, stream
from mujo_edge.firmware_bridge.pipeline import Classifier, LivePipeline, PipelineConfig, Prediction
from mujo_edge.firmware_bridge.sim.process import SimulatedWatch
from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig

from mujo_edge.data.recording import NULL_LABEL
from mujo_edge.data.preprocess import to_rate
from mujo_edge.data.refs import load_recording
from mujo_edge.errors import ConfigError
from mujo_edge.runtime import RuntimeClassifier, load

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveConfig:
    """One live session (saved next to recordings and summaries).

    Attributes:
        model: exported model file (.pte/.tflite/.onnx with its sidecar) or checkpoint folder.
        device: real hardware: name, address or service UUID (exclusive with ``simulate``).
        simulate: start the simulated watch with this recording reference (:mod:`mujo_edge.data.refs`).
        duration_s: stop after this long (``None``: until interrupted).
        max_windows: stop once this many windows were classified (``None``: no limit); with
            ``duration_s`` the session ends at whichever comes first.
        client: how to find and start the device (``target`` is filled in from device/simulate);
            ``client.on_watch``: the watch classifies on board and sends results (``model`` must then be
            the ``*_tflm.tflite`` it runs; the simulated watch runs that file).
        sim: the simulated watch (``source`` is filled in from ``simulate``).
        pipeline: queue sizes, reordering, smoothing, NULL rejection.
    """

    model: Path
    device: str | None = None
    simulate: str | None = None
    duration_s: float | None = None
    max_windows: int | None = None
    client: ClientConfig = field(default_factory=lambda: ClientConfig(target="MujoWatch"))
    sim: WatchSimConfig = field(default_factory=WatchSimConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)

    def __post_init__(self) -> None:
        if (self.device is None) == (self.simulate is None):
            raise ConfigError("give exactly one of a device (name, address or service UUID) or a simulated source")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ConfigError(f"duration must be > 0 s, got {self.duration_s}")
        if self.max_windows is not None and self.max_windows < 1:
            raise ConfigError(f"max_windows must be >= 1, got {self.max_windows}")


@dataclass
class LiveResult:
    """What a session produced."""

    pipeline: LivePipeline
    summary: dict[str, Any]
    sim_stats: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def predictions(self) -> list[Prediction]:
        """Every prediction, in order."""
        return self.pipeline.predictions


def load_model(path: str | Path, threads: int = 1) -> RuntimeClassifier:
    """The classifier at ``path`` through :func:`mujo_edge.runtime.load` (any exported backend or a checkpoint).

    One inference thread by default: a live window is one small batch, and a second intra-op thread only
    adds waiting for a core on a busy phone, watch or laptop.
    """
    return load(path, threads=threads)


async def session(classifier: Classifier, client: ClientConfig, pipeline_cfg: PipelineConfig, duration_s: float | None,
                  on_prediction: Callable[[Prediction], None] | None = None,
                  stop: asyncio.Event | None = None,
                  on_start: Callable[[LivePipeline], None] | None = None) -> LivePipeline:
    """Stream from the device in ``client`` into a new pipeline until ``duration_s`` or ``stop``.

    ``on_start(pipeline)`` is called once the pipeline exists (e.g. to show its running metrics).
    """
    pipeline = LivePipeline(classifier, pipeline_cfg, on_prediction)
    log.info("model warm-up took %.3f s", pipeline.warm_up())
    if on_start is not None:
        on_start(pipeline)
    stop = stop or asyncio.Event()
    consumer = asyncio.create_task(pipeline.run())
    ended = asyncio.create_task(pipeline.stopping.wait())  # the pipeline gave up (a stall past its timeout)
    ended.add_done_callback(lambda _t: stop.set())
    try:
        await stream(client, pipeline, duration_s, stop)
    finally:
        ended.cancel()
        pipeline.finish()
        pipeline.stop()
        await consumer
    return pipeline


def run_live(cfg: LiveConfig, classifier: Classifier | None = None,
             on_prediction: Callable[[Prediction], None] | None = None,
             on_start: Callable[[LivePipeline], None] | None = None) -> LiveResult:
    """Run a whole session (starting and stopping the simulated watch if ``cfg.simulate``); Ctrl-C ends it."""
    clf = classifier if classifier is not None else load_model(cfg.model)
    sim_cfg = replace(cfg.sim, source=cfg.simulate) if cfg.simulate else None
    if sim_cfg is not None and cfg.client.on_watch and sim_cfg.model is None:
        sim_cfg = replace(sim_cfg, model=str(cfg.model))  # the simulated watch runs the same TFLM file on board
    client = replace(cfg.client, target=cfg.device if cfg.device else cfg.sim.name)
    sim = SimulatedWatch(sim_cfg) if sim_cfg is not None else None

    async def main() -> LivePipeline:
        stop = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)

        seen = [0]

        def counted(p: Prediction) -> None:
            if on_prediction is not None:
                on_prediction(p)
            seen[0] += 1
            if cfg.max_windows is not None and seen[0] >= cfg.max_windows:
                stop.set()

        return await session(clf, client, cfg.pipeline, cfg.duration_s, counted, stop, on_start)

    with sim if sim is not None else contextlib.nullcontext():
        pipeline = asyncio.run(main())
    result = LiveResult(pipeline, pipeline.summary(), sim.stats if sim is not None else {})
    if sim is not None:
        result.truth = score_against_source(pipeline.predictions, sim.stats, tuple(clf.label_names), cfg.sim.data_dir)
    return result


def score_against_source(preds: list[Prediction], sim_info: dict[str, Any], label_names: tuple[str, ...],
                         data_dir: str | None = None) -> dict[str, Any]:
    """Compare live predictions with the simulated watch's source labels, class by class name.

    The label of a window is the majority source label over its span (device clock → source sample
    index through the simulator's recorded clock, on the source brought to its own rate by the one
    timing path); returns accuracy over non-NULL windows that have one. Source classes are matched to
    the model's by name, whatever their order; windows of a class the model does not know are not scored.
    """
    if not preds or sim_info.get("source0_us") is None:
        return {}
    rec, classes = load_recording(sim_info["source"], data_dir)
    known = [c for c in classes if c in label_names]
    if not known:
        return {"note": f"none of the source classes {list(classes)} is one of the model's {list(label_names)}; "
                        f"not scored"}
    rate = rec.rate_hz
    _, labels_at_rate, _ = to_rate(rec, rate, rec.channels)
    n = len(labels_at_rate)
    hits = total = 0
    for p in preds:
        if p.label is None:
            continue
        end_us = p.t_end_device_s * 1e6 - sim_info.get("device_epoch_us", 0) - sim_info["source0_us"]
        if sim_info.get("time_modulo_us"):
            end_us %= sim_info["time_modulo_us"]
        start_us = end_us - p.window_s * 1e6
        idx = np.arange(int(np.floor(start_us * rate / 1e6)), int(np.floor(end_us * rate / 1e6)) + 1) % n
        labels = labels_at_rate[idx]
        labels = labels[labels != NULL_LABEL]
        if labels.size == 0:
            continue
        truth = classes[int(np.bincount(labels).argmax())]
        if truth not in label_names:
            continue
        total += 1
        hits += int(truth == p.label)
    out: dict[str, Any] = {"scored_windows": total, "accuracy": round(hits / total, 4) if total else None}
    unknown = [c for c in classes if c not in label_names]
    if unknown:
        out["note"] = f"source classes {unknown} are not among the model's; their windows were not scored"
    return out


def true_latencies_s(preds: list[Prediction], sim_info: dict[str, Any]) -> np.ndarray:
    """Latency of each prediction against the simulator's true sampling time (same host clock).

    The pipeline's own latency maps device time to host time through the clock model, which cannot
    see the constant part of the transport delay; the simulated watch knows when each sample was
    really taken, so this is the full sample-to-prediction latency (for validation and benchmarks).
    """
    out = []
    for p in preds:
        elapsed_us = p.t_end_device_s * 1e6 - sim_info.get("device_epoch_us", 0) - sim_info["offset_us"]
        if sim_info.get("time_modulo_us"):
            elapsed_us %= sim_info["time_modulo_us"]
        sampled = sim_info["boot_host_s"] + elapsed_us / 1e6 / (1 + sim_info.get("clock_drift_ppm", 0.0) * 1e-6)
        out.append(p.t_end_host_s + p.latency_s - sampled)
    return np.asarray(out)
