"""The configuration of ``mujo-edge distill`` (shared by the supervised and the teacher path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mujo_edge.data.refs import WINDOW_KINDS, parse_ref
from mujo_edge.errors import ConfigError
from mujo_edge.train.margin import MarginConfig


@dataclass(frozen=True)
class DistillConfig:
    """Options of ``mujo-edge distill`` (saved as ``distill_config.json`` next to the checkpoint).

    Attributes:
        student: classifier registry name of the student.
        source: labelled window source (``dataset:NAME`` or ``windows:FILE.npz``; :mod:`mujo_edge.data.refs`).
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
        window, hop, purity: the windows to cut (default: the teacher's, else the default spec): a shorter
            window keeps activities shorter than 2.56 s.
        input_noise: std of Gaussian noise added to the normalized training windows (0 = off). It
            stands in for sensor noise and int8 input rounding: a student that flips its decision under
            perturbations of 0.1 std cannot survive int8 quantization of its input (see docs/export.md).
        margin_steps, margin, margin_weight: the decision-margin stage after (fine-tuning) training
            (:mod:`mujo_edge.train.margin`; 0 steps = off): a hinge on the model's own top-two logit gap,
            ``margin`` in standard deviations of the logits, plus a penalty on that gap's sensitivity to
            int8 input rounding, so that int8 exports keep its decisions.
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
    window: int | None = None
    hop: int | None = None
    purity: float | None = None
    margin_steps: int = 100
    margin: float = 0.4
    margin_weight: float = 1.0

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
        parse_ref(self.source, WINDOW_KINDS, "window source")
        self.margin_config()  # raises ConfigError on bad margin settings

    def margin_config(self) -> MarginConfig:
        """The decision-margin stage's settings (:class:`mujo_edge.train.margin.MarginConfig`)."""
        return MarginConfig(steps=self.margin_steps, margin=self.margin, weight=self.margin_weight)
