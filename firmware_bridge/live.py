"""A live session end to end (model + device or simulated watch + pipeline) and the quickstart's ``live`` stage.

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

from mujo_edge.data.recording import NULL_LABEL
from mujo_edge.errors import ConfigError, MujoEdgeError
from mujo_edge.firmware_bridge.client import ClientConfig, stream
from mujo_edge.firmware_bridge.pipeline import LivePipeline, PipelineConfig, Prediction
from mujo_edge.firmware_bridge.watch_sim import WatchSimConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveConfig:
    """One live session (saved next to recordings and summaries).

    Attributes:
        model: exported model file (.pte/.tflite/.onnx with its sidecar) or checkpoint folder.
        device: real hardware: name, address or service UUID (exclusive with ``simulate``).
        simulate: start the simulated watch with this source (see ``firmware_bridge.sources``).
        duration_s: stop after this long (``None``: until interrupted).
        client: how to find and start the device (``target`` is filled in from device/simulate).
        sim: the simulated watch (``source`` is filled in from ``simulate``).
        pipeline: queue sizes, reordering, smoothing, NULL rejection.
    """

    model: Path
    device: str | None = None
    simulate: str | None = None
    duration_s: float | None = None
    client: ClientConfig = field(default_factory=lambda: ClientConfig(target="MujoWatch"))
    sim: WatchSimConfig = field(default_factory=WatchSimConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)

    def __post_init__(self) -> None:
        if (self.device is None) == (self.simulate is None):
            raise ConfigError("give exactly one of a device (name, address or service UUID) or a simulated source")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ConfigError(f"duration must be > 0 s, got {self.duration_s}")


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


def load_model(path: str | Path, threads: int = 1) -> Any:
    """The classifier at ``path`` through :func:`mujo_edge.runtime.load` (any exported backend or a checkpoint).

    One inference thread by default: a live window is one small batch, and a second intra-op thread only
    adds waiting for a core on a busy phone, watch or laptop.
    """
    from mujo_edge.runtime import load

    return load(path, threads=threads)


async def session(classifier: Any, client: ClientConfig, pipeline_cfg: PipelineConfig, duration_s: float | None,
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
    consumer = asyncio.create_task(pipeline.run())
    try:
        await stream(client, pipeline, duration_s, stop)
    finally:
        pipeline.stop()
        await consumer
    return pipeline


def run_live(cfg: LiveConfig, classifier: Any = None,
             on_prediction: Callable[[Prediction], None] | None = None,
             on_start: Callable[[LivePipeline], None] | None = None) -> LiveResult:
    """Run a whole session (starting and stopping the simulated watch if ``cfg.simulate``); Ctrl-C ends it."""
    clf = classifier if classifier is not None else load_model(cfg.model)
    sim_cfg = replace(cfg.sim, source=cfg.simulate) if cfg.simulate else None
    client = replace(cfg.client, target=cfg.device if cfg.device else cfg.sim.name)
    from mujo_edge.firmware_bridge.sim_process import SimulatedWatch

    sim = SimulatedWatch(sim_cfg) if sim_cfg is not None else None

    async def main() -> LivePipeline:
        stop = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
        return await session(clf, client, cfg.pipeline, cfg.duration_s, on_prediction, stop, on_start)

    with sim if sim is not None else contextlib.nullcontext():
        pipeline = asyncio.run(main())
    result = LiveResult(pipeline, pipeline.summary(), sim.stats if sim is not None else {})
    if sim is not None:
        result.truth = score_against_source(pipeline.predictions, sim.stats, tuple(clf.label_names), cfg.sim.data_dir)
    return result


def score_against_source(preds: list[Prediction], sim_info: dict[str, Any], label_names: tuple[str, ...],
                         data_dir: str | None = None) -> dict[str, Any]:
    """Compare live predictions with the simulated watch's source labels (same class names only).

    The label of a window is the majority source label over its span (device clock → source sample
    index through the simulator's recorded clock); returns accuracy over non-NULL windows that have one.
    """
    from mujo_edge.firmware_bridge.sources import load_source

    if not preds or sim_info.get("source0_us") is None:
        return {}
    rec, classes = load_source(sim_info["source"], data_dir)
    if tuple(classes) != tuple(label_names):
        return {"note": f"source classes {list(classes)} differ from the model's {list(label_names)}; not scored"}
    n, rate = rec.n_samples, rec.rate_hz
    hits = total = 0
    for p in preds:
        if p.label is None:
            continue
        end_us = p.t_end_device_s * 1e6 - sim_info.get("device_epoch_us", 0) - sim_info["source0_us"]
        if sim_info.get("time_modulo_us"):
            end_us %= sim_info["time_modulo_us"]
        start_us = end_us - p.window_s * 1e6
        idx = np.arange(int(np.floor(start_us * rate / 1e6)), int(np.floor(end_us * rate / 1e6)) + 1) % n
        labels = rec.labels[idx]
        labels = labels[labels != NULL_LABEL]
        if labels.size == 0:
            continue
        truth = int(np.bincount(labels).argmax())
        total += 1
        hits += int(classes[truth] == p.label)
    return {"scored_windows": total, "accuracy": round(hits / total, 4) if total else None}


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


# --------------------------------------------------------------------------- quickstart stage
MODEL_SUFFIXES = (".onnx", ".tflite", ".pte")
#: seconds the quickstart streams
QUICKSTART_SECONDS = 15.0


def find_models(root: Path) -> list[Path]:
    """Models under ``root``, best first: exported files with a sidecar (newest, int8 first), then
    classifier / student checkpoint folders (newest first)."""
    if not root.exists():
        return []
    import json

    files = [p for s in MODEL_SUFFIXES for p in root.rglob(f"*{s}") if Path(f"{p}.json").exists()]
    files.sort(key=lambda p: ("int8" in p.name, p.stat().st_mtime), reverse=True)
    ckpts = []
    for meta in root.rglob("checkpoint.json"):
        with contextlib.suppress(ValueError, OSError):
            if json.loads(meta.read_text()).get("kind") in ("classifier", "student"):
                ckpts.append(meta.parent)
    ckpts.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return files + ckpts


def train_fallback_model(out: Path, ws: Any = None, seed: int = 0, max_steps: int = 150, spec: Any = None) -> Path:
    """A small protocol CNN trained briefly (on ``ws`` or synthetic windows at ``spec``); returns its checkpoint folder."""
    import torch

    from mujo_edge.checkpoint import save_checkpoint
    from mujo_edge.data.prepare import windows_from_recordings
    from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
    from mujo_edge.firmware_bridge.sources import SYNTHETIC_CLASSES, synthetic_recording
    from mujo_edge.models.classifiers import build_classifier
    from mujo_edge.train.supervised import SupervisedConfig, train_supervised

    if ws is None:
        recs = [synthetic_recording(90.0, seed=s, subject=f"s{s}") for s in range(3)]
        ws = windows_from_recordings(recs, spec or DEFAULT_SPEC, "synthetic", SYNTHETIC_CLASSES, "wrist_left")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ws))
    cut = max(1, len(order) // 5)
    val, fit = order[:cut], order[cut:]
    spec = ws.spec.replace(normalization=Normalization.fit(ws.x[fit], ws.channel_mask), placement=ws.placement)
    model = build_classifier("cnn", in_channels=len(spec.channels), num_classes=ws.num_classes, width=32)
    res = train_supervised(model, spec.normalize(ws.x[fit]), ws.y[fit], spec.normalize(ws.x[val]), ws.y[val],
                           ws.num_classes, SupervisedConfig(max_steps=max_steps, seed=seed))
    return save_checkpoint(out, model, kind="classifier", model_name="cnn",
                           model_config={"in_channels": len(spec.channels), "num_classes": ws.num_classes, "width": 32},
                           spec=spec, label_names=ws.class_names, step=res.steps,
                           metrics={"val_f1": res.best_val_f1}, extra={"trained_by": "live fallback", "dataset": ws.dataset})


def simulator_unavailable() -> str | None:
    """Why the simulated watch cannot run here (no dbus-daemon, no bleak / dbus-fast), or None."""
    import importlib.util

    from mujo_edge.firmware_bridge.dbus_session import dbus_daemon_path

    try:
        dbus_daemon_path()
    except MujoEdgeError as exc:
        return str(exc)
    lacking = [m for m in ("bleak", "dbus_fast") if importlib.util.find_spec(m) is None]
    return f"{' and '.join(lacking)} not installed (pip install 'mujo-edge[ble]')" if lacking else None


def stage_live(cfg: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    """Quickstart stage: 15 s of a recording through the simulated watch, the real bleak client and the model.

    Model: ``ctx["live_model"]`` if set, else the newest exported file or classifier checkpoint under the
    quickstart folder that loads, else a small CNN trained here (on the ``data`` stage's training
    subjects when there are real data, else on the synthetic signal). Source: a test-subject recording
    of that dataset when the model knows its classes, else the synthetic signal.
    """
    from mujo_edge.config import save_json

    missing = simulator_unavailable()
    if missing:
        return {"status": "skipped", "reason": missing}
    out = Path(cfg.out) / "live"
    ws, fold = ctx.get("windows"), ctx.get("fold")
    clf = model = None
    for cand in ([ctx["live_model"]] if ctx.get("live_model") else find_models(Path(cfg.out))):
        try:
            clf, model = load_model(cand), cand
            break
        except MujoEdgeError as exc:  # e.g. a runtime that is not installed: try the next model
            log.warning("cannot load %s for the live stage (%s); trying the next model", cand, exc)
    if clf is None:
        train = None
        if ws is not None and fold is not None:
            idx = fold.indices(ws)
            train = ws.subset(np.concatenate([idx["fit"], idx["val"]]))  # the streamed test subject stays unseen
        model = train_fallback_model(out / "fallback_model", train, cfg.seed)
        clf = load_model(model)
    source = "synthetic"
    if ws is not None and fold is not None and tuple(ws.class_names) == tuple(clf.label_names):
        # the first test subject's longest recording
        rows = np.flatnonzero(ws.subjects == fold.test_subjects[0])
        rec_idx = int(np.bincount(ws.recordings[rows]).argmax())
        subject, session_name = ws.recording_names[rec_idx].split("/", 1)
        source = f"dataset:{ws.dataset}:{subject}:{session_name}"
    live_cfg = LiveConfig(model=Path(model), simulate=source, duration_s=QUICKSTART_SECONDS,
                          sim=WatchSimConfig(data_dir=str(cfg.data_dir) if cfg.data_dir else None))
    res = run_live(live_cfg, classifier=clf)
    save_json(out / "config.json", live_cfg)
    save_json(out / "summary.json", {"summary": res.summary, "sim": res.sim_stats.get("stats", {}), "truth": res.truth})
    s = res.summary
    return {"status": "ok" if s["windows"]["predicted"] > 0 else "failed", "model": str(model),
            "backend": clf.backend, "source": source, "samples": s["samples"]["received"],
            "samples_lost": s["samples"]["lost"], "packets_missing": s["packets"]["missing"],
            "latency_ms_p50": s["latency_ms"]["p50"], "latency_ms_p99": s["latency_ms"]["p99"],
            "predictions": s["windows"]["predicted"], "classes": s["windows"]["classes"],
            "accuracy_vs_source": res.truth.get("accuracy")}
