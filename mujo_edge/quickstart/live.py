"""The quickstart's ``live`` stage: a recording streamed by the simulated watch into the exported model.

Model: the export stage's int8 ``.tflite`` if it ran, else the newest model under the quickstart
folder that loads, else a small CNN trained here (:func:`train_fallback_model`, split by subject like
everything else). Source: a test-subject recording of the data stage's dataset when the model knows
its classes, else the synthetic signal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mujo_edge.artifacts.checkpoint import save_checkpoint
from mujo_edge.config import save_json
from mujo_edge.data.spec import DEFAULT_SPEC, Normalization, SensorSpec
from mujo_edge.data.synthetic import synthetic_watch_windows
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError, MujoEdgeError
from mujo_edge.firmware_bridge.live import LiveConfig, load_model, run_live
from mujo_edge.firmware_bridge.sim.process import simulator_unavailable
from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig
from mujo_edge.models.classifiers import build_classifier
from mujo_edge.quickstart.config import QuickstartConfig, QuickstartContext
from mujo_edge.runtime import RuntimeClassifier
from mujo_edge.train.supervised import SupervisedConfig, train_supervised

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".onnx", ".tflite", ".pte")


def find_models(root: Path) -> list[Path]:
    """Models under ``root``, best first: exported files with a sidecar (newest, int8 first), then
    classifier / student checkpoint folders (newest first)."""
    if not root.exists():
        return []
    files = [p for s in MODEL_SUFFIXES for p in root.rglob(f"*{s}") if Path(f"{p}.json").exists()]
    files.sort(key=lambda p: ("int8" in p.name, p.stat().st_mtime), reverse=True)
    ckpts = []
    for meta in root.rglob("checkpoint.json"):
        try:
            if json.loads(meta.read_text()).get("kind") in ("classifier", "student"):
                ckpts.append(meta.parent)
        except (ValueError, OSError):
            continue
    ckpts.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return files + ckpts


def subject_holdout(ws: WindowSet, seed: int, share: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Window indices ``(fit, val)`` with ``max(1, round(share × subjects))`` whole subjects held out for validation."""
    subjects = np.asarray(sorted(ws.subject_ids))
    if len(subjects) < 2:
        raise ConfigError(f"{ws.dataset}: a subject-wise split needs at least two subjects, got {list(subjects)}")
    n_val = min(len(subjects) - 1, max(1, round(share * len(subjects))))
    val_subjects = np.random.default_rng(seed).permutation(subjects)[:n_val]
    is_val = np.isin(ws.subjects.astype(str), val_subjects.astype(str))
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def train_fallback_model(out: Path, ws: WindowSet | None = None, seed: int = 0, max_steps: int = 150,
                         spec: SensorSpec | None = None) -> Path:
    """A small protocol CNN trained briefly (on ``ws`` or the synthetic watch signal at ``spec``); returns its checkpoint.

    Validation (early stopping) uses whole held-out subjects (:func:`subject_holdout`), never windows of
    a training subject.
    """
    if ws is None:
        ws = synthetic_watch_windows(subjects=4, seconds=90.0, spec=spec or DEFAULT_SPEC)
    fit, val = subject_holdout(ws, seed)
    spec = ws.spec.replace(normalization=Normalization.fit(ws.x[fit], ws.channel_mask), placement=ws.placement)
    torch.manual_seed(seed)
    model = build_classifier("cnn", in_channels=len(spec.channels), num_classes=ws.num_classes, width=32)
    res = train_supervised(model, spec.normalize(ws.x[fit]), ws.y[fit], spec.normalize(ws.x[val]), ws.y[val],
                           ws.num_classes, SupervisedConfig(max_steps=max_steps, seed=seed))
    return save_checkpoint(out, model, kind="classifier", model_name="cnn",
                           model_config={"in_channels": len(spec.channels), "num_classes": ws.num_classes, "width": 32},
                           spec=spec, label_names=ws.class_names, step=res.steps, metrics={"val_f1": res.best_val_f1},
                           extra={"trained_by": "live fallback", "dataset": ws.dataset,
                                  "val_subjects": sorted({str(s) for s in ws.subjects[val]})})


def _live_model(cfg: QuickstartConfig, ctx: QuickstartContext, out: Path) -> tuple[RuntimeClassifier, Path]:
    """The model the live stage streams into (see the module docstring)."""
    for cand in ([ctx.live_model] if ctx.live_model else find_models(Path(cfg.out))):
        try:
            return load_model(cand), Path(cand)
        except MujoEdgeError as exc:  # e.g. a runtime that is not installed: try the next model
            log.warning("cannot load %s for the live stage (%s); trying the next model", cand, exc)
    train = None
    if ctx.windows is not None and ctx.fold is not None:
        idx = ctx.fold.indices(ctx.windows)
        train = ctx.windows.subset(np.concatenate([idx["fit"], idx["val"]]))  # the streamed test subject stays unseen
    model = train_fallback_model(out / "fallback_model", train, cfg.seed)
    return load_model(model), model


def stage_live(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """``cfg.live_seconds`` of a recording through the simulated watch, the real bleak client and the model."""
    missing = simulator_unavailable()
    if missing:
        return {"status": "skipped", "reason": missing}
    out = Path(cfg.out) / "live"
    clf, model = _live_model(cfg, ctx, out)
    ws, fold = ctx.windows, ctx.fold
    source = "synthetic"
    if ws is not None and fold is not None and tuple(ws.class_names) == tuple(clf.label_names):
        # the first test subject's longest recording
        rows = np.flatnonzero(ws.subjects == fold.test_subjects[0])
        rec_idx = int(np.bincount(ws.recordings[rows]).argmax())
        subject, session_name = ws.recording_names[rec_idx].split("/", 1)
        source = f"dataset:{ws.dataset}:{subject}:{session_name}"
    live_cfg = LiveConfig(model=model, simulate=source, duration_s=cfg.live_seconds, max_windows=cfg.live_windows,
                          sim=WatchSimConfig(source=source, data_dir=str(cfg.data_dir) if cfg.data_dir else None))
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
