"""Edge students: supervised training under the protocol, or distillation from a MuJo teacher.

``run_distill(cfg, out)`` trains a student from :data:`~mujo_edge.models.classifiers.CLASSIFIERS`
(``dscnn``, ``dscnn_tiny``, ...) on one subject-wise fold of a labelled window source and writes a
``kind="student"`` checkpoint whose ``extra`` records everything export and prediction need to
rebuild the same split: the window source, the fold's fit / validation / test subjects, the label
fraction, the channels the model uses and the calibration subjects (fit + validation, disjoint from test).

* Without a teacher the student is trained supervised exactly like the protocol's scratch baseline
  (:func:`mujo_edge.eval.protocol.fold_data` + :func:`mujo_edge.train.supervised.train_supervised`).
* With a teacher (a ``kind="mujo"`` checkpoint) the student first learns the teacher's joint-space IMU
  embedding (see :mod:`mujo_edge.train.distill_teacher`), then the whole student is fine-tuned on the
  labelled fold; teacher (linear probe), student and student-from-scratch are scored on the same test subjects.

Window sources (one string, recorded in the checkpoint):
``dataset:NAME`` (a real dataset, prepared at the spec), ``windows:FILE.npz`` (a saved
:class:`~mujo_edge.data.windows.WindowSet`, e.g. labelled corpus windows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.data.splits import Fold, subject_kfold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.registry import Registry

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class DistillConfig:
    """Options of ``mujo-edge distill`` (saved as ``distill_config.json`` next to the checkpoint).

    Attributes:
        student: classifier registry name of the student.
        source: labelled window source (``dataset:NAME`` or ``windows:FILE.npz``).
        teacher: ``kind="mujo"`` checkpoint folder; ``None`` = supervised student.
        corpus: corpus folder whose windows feed feature distillation (teacher path only).
        fold, folds, split_seed: which subject-wise fold of :func:`mujo_edge.data.splits.subject_kfold`.
        fraction: label fraction of the fit and validation windows (protocol sampling).
        seed: model init / batch order / fraction seed.
        max_steps: supervised (fine-tuning) step cap; 1200 = the protocol's budget.
        distill_steps: feature-distillation steps (teacher path).
        distill_batch: windows per distillation step.
        lr: Adam learning rate.
        feature_weight, relation_weight, text_weight: loss weights of the teacher path.
        temperature: softmax temperature of the relational / contrastive terms.
        scratch_baseline: with a teacher, also train the same student from scratch for comparison.
        student_config: overrides of the student's config dataclass (e.g. ``{"stem": 32}``).
        input_noise: std of Gaussian noise added to the normalized training windows (0 = off). It
            stands in for sensor noise and int8 input rounding: a student that flips its decision under
            perturbations of 0.1 std cannot survive int8 quantization of its input (see docs/export.md).
    """

    student: str = "dscnn"
    source: str = "dataset:motionsense"
    teacher: Path | None = None
    corpus: Path | None = None
    fold: int = 0
    folds: int = 5
    split_seed: int = 0
    fraction: float = 1.0
    seed: int = 0
    max_steps: int = 1200
    distill_steps: int = 1500
    distill_batch: int = 128
    lr: float = 1e-3
    feature_weight: float = 1.0
    relation_weight: float = 1.0
    text_weight: float = 0.5
    temperature: float = 0.1
    scratch_baseline: bool = True
    student_config: dict[str, Any] = field(default_factory=dict)
    input_noise: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold must be in 0..{self.folds - 1}, got {self.fold}")
        if not 0.0 < self.fraction <= 1.0:
            raise ConfigError(f"fraction must be in (0, 1], got {self.fraction}")
        if self.input_noise < 0:
            raise ConfigError(f"input_noise must be >= 0, got {self.input_noise}")
        if self.max_steps < 1 or self.distill_steps < 0 or self.distill_batch < 2:
            raise ConfigError(f"invalid step / batch settings: max_steps={self.max_steps}, "
                              f"distill_steps={self.distill_steps}, distill_batch={self.distill_batch}")
        parse_source(self.source)


# ---------------------------------------------------------------------------------------------- window sources
WindowLoader = Callable[[str, SensorSpec, Path | None], WindowSet]
#: ``kind:value`` window sources; unknown kinds raise with the valid list.
SOURCES: Registry[WindowLoader] = Registry("window source")


def parse_source(source: str) -> tuple[str, str]:
    """``"dataset:motionsense"`` → ``("dataset", "motionsense")``; a bare name means ``dataset:NAME``."""
    kind, sep, value = source.partition(":")
    if not sep:
        kind, value = "dataset", source
    SOURCES.get(kind)
    if not value:
        raise ConfigError(f"window source {source!r} names no {kind}")
    return kind, value


@SOURCES.register("dataset")
def _dataset_windows(name: str, spec: SensorSpec, data_root: Path | None) -> WindowSet:
    from mujo_edge.data.prepare import prepare

    return prepare(name, spec=spec, data_root=data_root)


@SOURCES.register("windows")
def _file_windows(path: str, spec: SensorSpec, data_root: Path | None) -> WindowSet:
    ws = WindowSet.load(path)
    spec.check_matches(ws.spec, what=f"windows file {path}")
    return ws


def load_windows(source: str, spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None) -> WindowSet:
    """Labelled windows ``(N, W, C)`` in SI units from a source string (see module docstring)."""
    kind, value = parse_source(source)
    return SOURCES.get(kind)(value, spec.replace(normalization=DEFAULT_SPEC.normalization),
                             Path(data_root) if data_root else None)


def fold_record(fold: Fold) -> dict[str, Any]:
    """JSON form of a fold (stored in checkpoints and sidecars)."""
    return {"name": fold.name, "fit_subjects": list(fold.fit_subjects), "val_subjects": list(fold.val_subjects),
            "test_subjects": list(fold.test_subjects)}


def fold_from_record(rec: dict[str, Any]) -> Fold:
    """Inverse of :func:`fold_record`."""
    return Fold(name=rec["name"], fit_subjects=tuple(rec["fit_subjects"]), val_subjects=tuple(rec["val_subjects"]),
                test_subjects=tuple(rec["test_subjects"]))


@dataclass
class SplitWindows:
    """A checkpoint's held-out split rebuilt from its recorded source (used by export and predict).

    ``x_*`` are SI-unit windows ``(N, W, C)``; ``calib_subjects`` are the fit + validation subjects.
    """

    source: str
    fold: Fold
    x_calib: np.ndarray
    y_calib: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    recorded: bool

    @property
    def calib_subjects(self) -> tuple[str, ...]:
        return self.fold.train_subjects


def checkpoint_split(ckpt: Any, data_root: str | Path | None = None, source: str | None = None,
                     fold: int = 0, folds: int = 5) -> SplitWindows:
    """The test and calibration windows of checkpoint ``ckpt`` (a :class:`~mujo_edge.checkpoint.Checkpoint`).

    Uses the source and fold recorded in ``ckpt.extra["data"]`` (written by :func:`run_distill`); for
    checkpoints without one, ``source`` must be given and fold ``fold`` of a seed-0 ``folds``-fold
    subject split is used (``recorded=False``: the caller should say the split was not recorded).
    """
    data = ckpt.extra.get("data") if isinstance(ckpt.extra, dict) else None
    if not (isinstance(data, dict) and isinstance(data.get("fold"), dict) and "source" in data):
        data = None  # e.g. a classifier checkpoint from another tool: no split recorded
    recorded = bool(data and (source is None or parse_source(source) == parse_source(data["source"])))
    if recorded:
        source = data["source"]
    elif source is None:
        raise ConfigError(f"{ckpt.path}: the checkpoint records no data split; pass the labelled data to verify "
                          f"and calibrate on (e.g. --dataset motionsense)")
    ws = load_windows(source, ckpt.spec, data_root)
    if ckpt.label_names and tuple(ckpt.label_names) != ws.class_names:
        raise DataError(f"{source} has classes {list(ws.class_names)}, the checkpoint {list(ckpt.label_names)}")
    fd = fold_from_record(data["fold"]) if recorded else subject_kfold(ws.subject_ids, k=folds, seed=0)[fold]
    idx = fd.indices(ws)
    calib = np.concatenate([idx["fit"], idx["val"]])
    if len(idx["test"]) == 0 or len(calib) == 0:
        raise DataError(f"{source}: fold {fd.name} leaves {len(idx['test'])} test and {len(calib)} calibration windows")
    return SplitWindows(source=source, fold=fd, x_calib=ws.x[calib], y_calib=ws.y[calib], x_test=ws.x[idx["test"]],
                        y_test=ws.y[idx["test"]], recorded=recorded)


# ---------------------------------------------------------------------------------------------- training
@dataclass
class DistillResult:
    """What :func:`run_distill` produced."""

    checkpoint: Path
    metrics: dict[str, Any]
    seconds: float


def _scores(model: Any, x: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """Macro F1, accuracy and the number of windows of ``model`` on normalized ``x`` ``(N, W, C)``, labels ``y``."""
    from mujo_edge.eval.protocol import scores
    from mujo_edge.train.supervised import predict_logits

    return {**scores(y, predict_logits(model, x).argmax(1), k), "windows": int(len(y))}


class InputNoise(nn.Module):
    """Wraps a classifier so that training-mode forwards see ``x + N(0, std²)``; eval mode is untouched."""

    def __init__(self, model: nn.Module, std: float) -> None:
        super().__init__()
        self.inner, self.std = model, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` normalized windows → the wrapped model's logits."""
        if self.training and self.std > 0:
            x = x + self.std * torch.randn_like(x)
        return self.inner(x)


def train_student(name: str, fd: Any, cfg: DistillConfig, init: Any = None) -> tuple[Any, dict[str, Any]]:
    """Train student ``name`` (or the given ``init`` model) supervised on fold data ``fd``; returns (model, metrics).

    The protocol loop (:func:`~mujo_edge.train.supervised.train_supervised`) with Gaussian input noise
    of ``cfg.input_noise`` (normalized units) on the training batches.
    """
    from mujo_edge.models.classifiers import build_classifier, count_parameters
    from mujo_edge.train.supervised import SupervisedConfig, train_supervised

    torch.manual_seed(cfg.seed)
    model = init if init is not None else build_classifier(
        name, **{"in_channels": fd.x_fit.shape[-1], "num_classes": fd.num_classes, **cfg.student_config})
    t0 = time.perf_counter()
    res = train_supervised(InputNoise(model, cfg.input_noise), fd.x_fit, fd.y_fit, fd.x_val, fd.y_val, fd.num_classes,
                           SupervisedConfig(lr=cfg.lr, max_steps=cfg.max_steps, seed=cfg.seed))
    model.eval()
    metrics = {"test": _scores(model, fd.x_test, fd.y_test, fd.num_classes), "val_f1": res.best_val_f1,
               "best_step": res.best_step, "steps": res.steps, "parameters": count_parameters(model),
               "train_seconds": round(time.perf_counter() - t0, 1)}
    return model, metrics


def run_distill(cfg: DistillConfig, out: str | Path, data_root: str | Path | None = None,
                windows: WindowSet | None = None) -> DistillResult:
    """Train (and with a teacher, distill) a student on fold ``cfg.fold`` and save a ``student`` checkpoint in ``out``.

    Args:
        cfg: the configuration (saved as ``out/distill_config.json``).
        out: checkpoint folder (created).
        data_root: overrides ``$MUJO_EDGE_DATA_DIR`` for ``dataset:`` sources.
        windows: already loaded windows of ``cfg.source`` (skips loading).

    Returns:
        The checkpoint path and metrics (macro F1 / accuracy on the fold's test subjects).
    """
    from mujo_edge.checkpoint import save_checkpoint
    from mujo_edge.config import save_json, to_dict
    from mujo_edge.eval.protocol import fold_data

    t0 = time.perf_counter()
    out = Path(out)
    teacher = None
    spec = DEFAULT_SPEC
    if cfg.teacher is not None:
        from mujo_edge.train.distill_teacher import load_teacher

        teacher = load_teacher(cfg.teacher)
        spec = teacher.spec
    ws = windows if windows is not None else load_windows(cfg.source, spec, data_root)
    if teacher is not None:
        teacher.spec.check_matches(ws.spec, what=f"window source {cfg.source}")
    folds = subject_kfold(ws.subject_ids, k=cfg.folds, seed=cfg.split_seed)
    fold = folds[cfg.fold]
    fd = fold_data(ws, fold, cfg.fraction, cfg.seed)
    log.info("%s fold %s: %d fit / %d val / %d test windows", cfg.source, fold.name, len(fd.x_fit), len(fd.x_val),
             len(fd.x_test))
    metrics: dict[str, Any] = {}
    if teacher is None:
        model, m = train_student(cfg.student, fd, cfg)
        metrics.update(m, method="supervised")
    else:
        from mujo_edge.train.distill_teacher import distill_student

        model, m = distill_student(teacher, ws, fold, fd, cfg)
        metrics.update(m, method="distilled")
    metrics["test_subjects"] = list(fold.test_subjects)  # student, teacher and scratch are all scored on these
    channels_used = [c for c, used in zip(ws.spec.channels, ws.channel_mask) if used]
    extra = {
        "data": {"source": cfg.source, "dataset": ws.dataset, "fold": fold_record(fold), "fraction": cfg.fraction,
                 "seed": cfg.seed, "windows": {"fit": len(fd.x_fit), "val": len(fd.x_val), "test": len(fd.x_test)}},
        "calibration_subjects": list(fold.train_subjects), "channels_used": channels_used,
        "placement": ws.placement, "distill_config": to_dict(cfg),
        "teacher": str(cfg.teacher) if cfg.teacher else None,
    }
    from mujo_edge.config import from_dict
    from mujo_edge.models.classifiers import CLASSIFIERS

    entry = CLASSIFIERS.get(cfg.student)
    model_config = from_dict(entry.config_cls, {"in_channels": ws.x.shape[-1], "num_classes": ws.num_classes,
                                                **cfg.student_config})
    save_checkpoint(out, model, kind="student", model_name=cfg.student, model_config=to_dict(model_config),
                    spec=fd.spec, label_names=ws.class_names, step=int(metrics.get("steps", 0)), metrics=metrics,
                    extra=extra)
    save_json(out / "distill_config.json", cfg)
    seconds = time.perf_counter() - t0
    log.info("student %s: test macro F1 %.4f (%s, %.0f s)", cfg.student, metrics["test"]["macro_f1"],
             metrics["method"], seconds)
    return DistillResult(checkpoint=out, metrics=metrics, seconds=seconds)


# ---------------------------------------------------------------------------------------------- quickstart
def synthetic_watch_windows(subjects: int = 8, seconds: float = 120.0) -> WindowSet:
    """Labelled windows of the simulated watch's rest / walk / run signal, one seed per subject (no real data).

    This is the signal the quickstart's live stage streams when there is no real dataset, cut through the
    one preprocessing path (100 Hz → 50 Hz, 128-sample windows).
    """
    from mujo_edge.data.prepare import windows_from_recordings
    from mujo_edge.firmware_bridge.sources import SYNTHETIC_CLASSES, synthetic_recording

    recs = [synthetic_recording(seconds, seed=100 + s, subject=f"s{s}") for s in range(subjects)]
    return windows_from_recordings(recs, DEFAULT_SPEC, "synthetic_watch", SYNTHETIC_CLASSES, "wrist_left")


def stage_distill(cfg: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    """Quickstart stage: a ``dscnn`` student on fold 0 of the ``data`` stage's dataset, distilled from
    ``ctx["mujo_checkpoint"]`` (with ``ctx["corpus_dir"]``) when pretraining ran; puts the checkpoint into
    ``ctx["student_checkpoint"]``.

    Without real data the student learns the simulated watch signal (rest / walk / run) that the live
    stage streams. The quickstart corpus (0.12 h, 2-12 clips per activity) is too small for a subject-wise
    student: measured on it, 28 activities gave macro F1 0.04 and 5 activity categories 0.38, with int8
    agreement below the 99 % the export demands.
    """
    out = Path(cfg.out) / "distill"
    ws: WindowSet | None = ctx.get("windows")
    teacher, corpus = ctx.get("mujo_checkpoint"), ctx.get("corpus_dir")
    if ws is not None:
        source, max_steps = f"dataset:{ws.dataset}", 1200
    else:
        ws = synthetic_watch_windows()
        path = out / "synthetic_watch_windows.npz"
        out.mkdir(parents=True, exist_ok=True)
        ws.save(path)
        source, max_steps, teacher = f"windows:{path}", 300, None
    dcfg = DistillConfig(student="dscnn", source=source, teacher=Path(teacher) if teacher else None,
                         corpus=Path(corpus) if (teacher and corpus) else None, seed=cfg.seed, max_steps=max_steps,
                         distill_steps=200, scratch_baseline=True)
    res = run_distill(dcfg, out / "student", data_root=cfg.data_dir, windows=ws)
    ctx["student_checkpoint"] = res.checkpoint
    m = res.metrics
    summary = {"status": "ok", "checkpoint": str(res.checkpoint), "source": source, "method": m["method"],
               "student": "dscnn", "parameters": m["parameters"], "test_macro_f1": round(m["test"]["macro_f1"], 4),
               "seconds": round(res.seconds, 1)}
    for key in ("teacher", "scratch"):
        if isinstance(m.get(key), dict):
            summary[f"{key}_test_macro_f1"] = round(m[key]["test"]["macro_f1"], 4)
    return summary
