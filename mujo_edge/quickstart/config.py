"""The quickstart's settings and the typed context its stages pass along."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mujo_edge.data.splits import Fold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError
from mujo_edge.pretrained import PACKAGED

#: ``weights`` value that makes the evaluate and distill stages use the quickstart's own pretraining run.
OWN_WEIGHTS = "own"

#: Real datasets the quickstart evaluates on, in order of preference (the first one present is used).
PREFERRED_DATASETS: tuple[str, ...] = ("motionsense", "uci_hapt", "usc_had", "hmp", "wisdm2019_watch6")


@dataclass(frozen=True)
class QuickstartConfig:
    """Options of the quickstart run (saved as ``config.json`` in ``out``).

    Attributes:
        out: folder for every artifact of the run.
        dataset: real dataset to use (default: the first of :data:`PREFERRED_DATASETS` that is present).
        data_dir: overrides ``$MUJO_EDGE_DATA_DIR``.
        seed: random seed of every stage.
        weights: the pretrained model the evaluate and distill stages start from: a packaged name
            (``default``: the shipped product weights, which saw every real dataset's unlabelled pool, so
            their evaluate figures are flagged as not transfer figures; ``sim-only``: never saw a real
            recording) or ``own``: the pretrain stage's short run.
        corpus_hours: size of the corpus (0.2 h = 141 clips of 5.12 s, 15-35 s with 2 workers on 2 cores).
        pretrain_steps, pretrain_batch: pretraining of the ``tiny`` model (about 1-2 min on 2 cores).
        distill_steps: feature-distillation steps of the ``dscnn`` student.
        live_seconds: how long the simulated watch streams into the live stage, s.
        live_windows: end the live stage earlier, once this many windows were classified (``None``: no limit).
    """

    out: Path = Path("mujo_edge_quickstart")
    dataset: str | None = None
    data_dir: Path | None = None
    seed: int = 0
    weights: str = "default"
    corpus_hours: float = 0.2
    pretrain_steps: int = 300
    pretrain_batch: int = 64
    distill_steps: int = 200
    live_seconds: float = 15.0
    live_windows: int | None = None

    def __post_init__(self) -> None:
        if self.weights not in (*PACKAGED, OWN_WEIGHTS):
            raise ConfigError(f"unknown quickstart weights {self.weights!r}; valid: {', '.join((*PACKAGED, OWN_WEIGHTS))}")
        if not self.corpus_hours > 0 or self.pretrain_steps < 1 or self.pretrain_batch < 2 or not self.live_seconds > 0:
            raise ConfigError(f"invalid quickstart settings: corpus_hours={self.corpus_hours}, pretrain_steps="
                              f"{self.pretrain_steps}, pretrain_batch={self.pretrain_batch}, live_seconds={self.live_seconds}")


@dataclass
class QuickstartContext:
    """What one stage hands to the next (every field is ``None`` until the stage that makes it ran).

    Attributes:
        windows, fold: the ``data`` stage's prepared dataset and its subject-wise fold 0.
        corpus_dir: the ``corpus`` stage's corpus folder.
        mujo_checkpoint: the ``pretrain`` stage's run folder (a ``kind="mujo"`` checkpoint).
        student_checkpoint: the ``distill`` stage's student checkpoint.
        exported: the ``export`` stage's files by format.
        live_model: the model the ``live`` stage streams through (the int8 ``.tflite``).
    """

    windows: WindowSet | None = None
    fold: Fold | None = None
    corpus_dir: Path | None = None
    mujo_checkpoint: Path | None = None
    student_checkpoint: Path | None = None
    exported: dict[str, Path] = field(default_factory=dict)
    live_model: Path | None = None
