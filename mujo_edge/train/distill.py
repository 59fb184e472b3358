"""Edge students: supervised training under the protocol, or distillation from a MuJo teacher.

``run_distill(cfg, out)`` trains a student from :data:`~mujo_edge.models.classifiers.CLASSIFIERS`
(``dscnn``, ``dscnn_tiny``, ...) on one subject-wise fold of a labelled window source and writes a
``kind="student"`` checkpoint whose ``extra`` records everything export and prediction need to
rebuild the same split: the window source, the fold's fit / validation / test subjects, the label
fraction, the channels the model uses and the calibration subjects (fit + validation, disjoint from test).

* Without a teacher the student is trained supervised exactly like the protocol's scratch baseline
  (:func:`mujo_edge.data.protocol.fold_data` + :func:`mujo_edge.train.student.train_student`).
* With a teacher (a ``kind="mujo"`` checkpoint) the student first learns the teacher's joint-space IMU
  embedding (see :mod:`mujo_edge.train.distill_teacher`), then the whole student is fine-tuned on the
  labelled fold; teacher (linear probe), student and student-from-scratch are scored on the same test subjects.

Window sources (one string, recorded in the checkpoint; parsed by :mod:`mujo_edge.data.refs`):
``dataset:NAME`` (a dataset, prepared at the spec), ``windows:FILE.npz`` (a saved
:class:`~mujo_edge.data.windows.WindowSet`, e.g. labelled corpus windows).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.artifacts.checkpoint import save_checkpoint
from mujo_edge.config import from_dict, save_json, to_dict
from mujo_edge.data.protocol import fold_data, fold_record
from mujo_edge.data.refs import load_windows
from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.data.splits import subject_kfold
from mujo_edge.data.windows import WindowSet
from mujo_edge.models.classifiers import CLASSIFIERS
from mujo_edge.train.distill_config import DistillConfig
from mujo_edge.train.distill_teacher import distill_student, load_teacher
from mujo_edge.train.student import train_student

log = logging.getLogger(__name__)


@dataclass
class DistillResult:
    """What :func:`run_distill` produced."""

    checkpoint: Path
    metrics: dict[str, Any]
    seconds: float


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
    t0 = time.perf_counter()
    out = Path(out)
    teacher = None
    spec = DEFAULT_SPEC
    if cfg.teacher is not None:
        teacher = load_teacher(cfg.teacher)
        spec = teacher.spec
    spec = spec.replace(**{k: v for k, v in (("window", cfg.window), ("hop", cfg.hop), ("purity", cfg.purity))
                           if v is not None})
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
        model, m = train_student(cfg.student, fd, seed=cfg.seed, lr=cfg.lr, max_steps=cfg.max_steps,
                                 input_noise=cfg.input_noise, student_config=cfg.student_config,
                                 margin=cfg.margin_config())
        metrics.update(m, method="supervised")
    else:
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
