"""Distilling the MuJo IMU branch into an edge student (the teacher path of :func:`mujo_edge.train.distill.run_distill`).

Stage 1, feature distillation (no labels): the student's pooled features go through a linear
projection into the teacher's joint space, and on every batch

* ``feature``: ``1 - cos(student, teacher IMU embedding)``;
* ``relation``: KL between the batch's similarity distributions, ``softmax(s·sᵀ/τ)`` vs ``softmax(t·tᵀ/τ)``
  (relational knowledge distillation: the student keeps the teacher's geometry of the batch);
* ``text`` (corpus batches): symmetric InfoNCE between the student's embedding and the teacher's
  embedding of the clip's caption, so the student lands in the space the text encoder shares.

Batches alternate between corpus clips (teacher's :class:`~mujo_edge.train.clips.BatchMaker`, the
target dataset's sensor site when the corpus has it) and unlabelled real windows of the fold's
training subjects (never a test subject). The teacher sees its own normalization, the student the
fold's; both get the same samples in SI units.

Stage 2: the whole student (new head) is fine-tuned on the labelled fold with the protocol loop.
Baselines on the same test subjects: the teacher's IMU encoder with a linear probe, and the same
student trained from scratch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mujo_edge.corpus import open_corpus
from mujo_edge.data.protocol import FoldData
from mujo_edge.data.spec import SensorSpec
from mujo_edge.data.splits import Fold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import CheckpointError, DataError
from mujo_edge.metrics import scores
from mujo_edge.models.classifiers import build_classifier, count_parameters
from mujo_edge.models.inference import predict_features, predict_logits
from mujo_edge.models.losses import InfoNCE, RelationKD
from mujo_edge.models.mujo import ImuClassifier, MujoModel, load_mujo
from mujo_edge.paths import cache_dir
from mujo_edge.placements import placement_index
from mujo_edge.train.clips import AugmentConfig, BatchMaker, ClipTable
from mujo_edge.train.distill_config import DistillConfig
from mujo_edge.train.student import train_student
from mujo_edge.train.supervised import SupervisedConfig, train_supervised

log = logging.getLogger(__name__)


@dataclass
class Teacher:
    """A loaded MuJo model (eval mode, frozen) and its IMU sensor spec."""

    model: MujoModel
    spec: SensorSpec
    path: Path


def load_teacher(path: str | Path) -> Teacher:
    """Load a ``kind="mujo"`` checkpoint (or ``"default"``) as a frozen teacher; other kinds raise CheckpointError."""
    model = load_mujo(path)
    if model.spec is None:
        raise CheckpointError(f"{path}: MuJo checkpoint without a sensor spec")
    for p in model.parameters():
        p.requires_grad_(False)
    return Teacher(model=model, spec=model.spec, path=Path(str(path)))


class _CorpusBatches:
    """Corpus clips as (SI windows, teacher-normalized windows, site, channel mask, caption embeddings)."""

    def __init__(self, corpus: Path, teacher: Teacher, placement: str, batch: int, seed: int) -> None:
        table = ClipTable.from_corpus(open_corpus(corpus, split="train", fields=("imu",)), teacher.spec.rate_hz)
        if "text" in teacher.model.modalities:
            table.prepare_text(teacher.model.encoders["text"], cache_dir() / "text")
        sites = (placement,) if placement in table.sites else ()
        aug = AugmentConfig(rotation_deg=15.0, gyro_drop=0.0, site_drop=0.0)
        self.maker = BatchMaker(table, teacher.spec, min(batch, len(table)), seed, aug, sites)
        self.teacher = teacher
        self.clips = len(table)
        self.site = placement if sites else "all corpus sites"

    def __call__(self, step: int) -> dict[str, torch.Tensor]:
        b = self.maker(step)
        x_si = self.teacher.spec.normalization.invert(b["imu"].numpy())
        out = {"si": x_si, "teacher_x": b["imu"], "site": b["site"], "mask": b["channel_mask"]}
        if "text" in b:
            out["text"], out["has_text"] = b["text"], b["has_text"]
        return out


def distill_features(student: nn.Module, teacher: Teacher, student_spec: SensorSpec, real_si: np.ndarray,
                     placement: str, channel_mask: np.ndarray, cfg: DistillConfig) -> dict[str, Any]:
    """Stage 1 (see module docstring) on ``real_si`` (N, W, C) SI windows of training subjects and ``cfg.corpus``."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    tm = teacher.model
    with torch.no_grad():
        dim = tm.encode_imu(torch.zeros(1, teacher.spec.window, 6)).shape[1]
    with torch.no_grad():
        feature_dim = student.features(torch.zeros(1, student_spec.window, len(student_spec.channels))).shape[1]
    proj = nn.Linear(feature_dim, dim)
    opt = torch.optim.Adam(list(student.parameters()) + list(proj.parameters()), lr=cfg.lr)
    corpus = _CorpusBatches(cfg.corpus, teacher, placement, cfg.distill_batch, cfg.seed) if cfg.corpus else None
    site_idx = placement_index(placement) if placement != "any" else None
    gyro = torch.from_numpy(np.asarray(channel_mask, bool))
    relation, text_nce = RelationKD(cfg.temperature), InfoNCE(cfg.temperature)
    history, t0 = [], time.perf_counter()
    for step in range(cfg.distill_steps):
        use_corpus = corpus is not None and (len(real_si) == 0 or step % 2 == 0)
        if use_corpus:
            b = corpus(step // 2)
            x_si, t_in, site, mask = b["si"], b["teacher_x"], b["site"], b["mask"]
        else:
            idx = rng.integers(0, len(real_si), size=min(cfg.distill_batch, len(real_si)))
            x_si = real_si[idx]
            t_in = torch.from_numpy(teacher.spec.normalize(x_si))
            site = torch.full((len(idx),), site_idx, dtype=torch.long) if site_idx is not None else None
            mask = gyro.expand(len(idx), -1)
        with torch.no_grad():
            t = tm.encode_imu(t_in, site, mask)
            t_txt = tm.encode_text(b["text"]) if use_corpus and "text" in b else None
        student.train()
        s = nn.functional.normalize(proj(student.features(torch.from_numpy(student_spec.normalize(x_si)))), dim=-1)
        loss_f = (1 - (s * t).sum(1)).mean()
        loss_r = relation(s, t)
        loss = cfg.feature_weight * loss_f + cfg.relation_weight * loss_r
        loss_t = torch.zeros(())
        if t_txt is not None and bool(b["has_text"].all()):
            loss_t = text_nce(s, t_txt)
            loss = loss + cfg.text_weight * loss_t
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == cfg.distill_steps - 1:
            lf, lr_, lt = float(loss_f.detach()), float(loss_r.detach()), float(loss_t.detach())
            history.append({"step": step, "source": "corpus" if use_corpus else "real", "feature": lf,
                            "relation": lr_, "text": lt, "cos": 1 - lf})
            log.info("distill step %d: %s", step, history[-1])
    return {"steps": cfg.distill_steps, "seconds": round(time.perf_counter() - t0, 1), "history": history,
            "corpus_clips": corpus.clips if corpus else 0, "corpus_site": corpus.site if corpus else None,
            "real_windows": int(len(real_si)), "final_cos": history[-1]["cos"] if history else None}


def teacher_linear_probe(teacher: Teacher, ws: WindowSet, fd: FoldData, cfg: DistillConfig) -> dict[str, Any]:
    """The teacher's IMU encoder (frozen) + a linear head trained on the labelled fold; test scores."""
    clf = ImuClassifier.from_mujo(teacher.model, fd.num_classes, ws.placement, tuple(bool(c) for c in ws.channel_mask))
    f_fit, f_val, f_test = (predict_features(clf, teacher.spec.renormalize(x, fd.spec))  # fold → teacher normalization
                            for x in (fd.x_fit, fd.x_val, fd.x_test))
    torch.manual_seed(cfg.seed)
    head = nn.Linear(f_fit.shape[1], fd.num_classes)
    train_supervised(head, f_fit, fd.y_fit, f_val, fd.y_val, fd.num_classes,
                     SupervisedConfig(lr=cfg.lr, max_steps=cfg.max_steps, seed=cfg.seed))
    return {"test": {**scores(fd.y_test, predict_logits(head, f_test).argmax(1), fd.num_classes),
                     "windows": int(len(fd.y_test))},
            "model": f"mujo imu encoder ({teacher.model.cfg.imu.get('arch')}) + linear probe",
            "parameters": count_parameters(clf.encoder) + count_parameters(head)}


def distill_student(teacher: Teacher, ws: WindowSet, fold: Fold, fd: FoldData,
                    cfg: DistillConfig) -> tuple[nn.Module, dict[str, Any]]:
    """Stage 1 + stage 2 + baselines; returns the fine-tuned student and its metrics."""
    if ws.spec.window != teacher.spec.window:
        raise DataError(f"windows of {ws.spec.window} samples, the teacher needs {teacher.spec.window}")
    idx = fold.indices(ws)
    real_si = ws.x[np.concatenate([idx["fit"], idx["val"]])]  # unlabelled real windows, training subjects only
    torch.manual_seed(cfg.seed)
    student = build_classifier(cfg.student, **{"in_channels": ws.x.shape[-1], "num_classes": ws.num_classes,
                                               **cfg.student_config})
    stage1 = distill_features(student, teacher, fd.spec, real_si, ws.placement, ws.channel_mask, cfg)
    train = {"seed": cfg.seed, "lr": cfg.lr, "max_steps": cfg.max_steps, "input_noise": cfg.input_noise,
             "student_config": cfg.student_config, "margin": cfg.margin_config()}
    model, metrics = train_student(cfg.student, fd, init=student, **train)
    metrics["distill"] = stage1
    metrics["teacher"] = teacher_linear_probe(teacher, ws, fd, cfg)
    metrics["teacher"]["checkpoint"] = str(teacher.path)
    if cfg.scratch_baseline:
        _, scratch = train_student(cfg.student, fd, **train)
        metrics["scratch"] = {**scratch, "model": cfg.student}
    return model, metrics
