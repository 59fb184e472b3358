"""``mujo-edge finetune``: your own model from a pretrained encoder and all your labelled subjects.

1. **What to expect** (``estimate_folds`` > 0): the same recipe under the subject-wise protocol of
   ``mujo-edge evaluate`` (``finetune`` mode, 100 % of the labels, k folds of held-out subjects): the
   macro F1 a new person can expect, mean ± std over the folds.
2. **The model**: the pretrained IMU encoder plus a new head, all weights trained on every subject
   except a held-out share (``val_share`` of the subjects, at least one) that decides early stopping.
   The checkpoint (kind ``classifier``, model ``mujo_imu``) records that split, so ``export --int8``
   calibrates on the training subjects and verifies on the held-out ones; ``predict`` and ``live`` take it
   like any other classifier.

Inputs are normalized with the pretrained model's sensor spec (its normalization), as the encoder
learned it; window, hop and purity may differ from pretraining (the encoder pools over time).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mujo_edge.artifacts.checkpoint import save_checkpoint
from mujo_edge.config import save_json, to_dict
from mujo_edge.data.prepare import prepare
from mujo_edge.data.protocol import fold_record
from mujo_edge.data.spec import Normalization
from mujo_edge.data.splits import Fold
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.eval.evaluate import EvaluateConfig, run_evaluation
from mujo_edge.models.mujo import ImuClassifier, load_mujo, resolve_checkpoint
from mujo_edge.provenance import sha256_file
from mujo_edge.train.student import score_model
from mujo_edge.train.supervised import SupervisedConfig, train_supervised

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneConfig:
    """Options of ``mujo-edge finetune`` (saved as ``finetune_config.json`` next to the checkpoint).

    Attributes:
        dataset: a dataset name (built in or imported with ``mujo-edge data import``).
        checkpoint: the pretrained MuJo checkpoint folder, or ``default``.
        window, hop, purity: windows to cut (default: the checkpoint's); shorter windows keep short activities.
        max_steps: step cap of the supervised loop (the protocol's 1200).
        val_share: share of the subjects held out for early stopping (at least one subject).
        estimate_folds: subject-wise folds of the accuracy estimate (0 = no estimate).
        seed: subject draw, initialisation and batch order.
        jobs: parallel runs of the estimate.
        data_dir: overrides ``$MUJO_EDGE_DATA_DIR`` (built-in datasets).
    """

    dataset: str
    checkpoint: str = "default"
    window: int | None = None
    hop: int | None = None
    purity: float | None = None
    max_steps: int = 1200
    val_share: float = 0.2
    estimate_folds: int = 5
    seed: int = 0
    jobs: int = 1
    data_dir: Path | None = None

    def __post_init__(self) -> None:
        if not 0 < self.val_share < 1:
            raise ConfigError(f"val_share must be in (0, 1), got {self.val_share}")
        if self.estimate_folds == 1 or self.estimate_folds < 0:
            raise ConfigError(f"estimate_folds must be 0 (no estimate) or >= 2, got {self.estimate_folds}")
        if self.max_steps < 1:
            raise ConfigError(f"max_steps must be >= 1, got {self.max_steps}")


@dataclass
class FinetuneResult:
    """What :func:`run_finetune` wrote and measured."""

    checkpoint: Path
    estimate: dict[str, Any] | None
    held_out: dict[str, Any]
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)


def _spec_changes(cfg: FinetuneConfig) -> dict[str, Any]:
    return {k: v for k, v in (("window", cfg.window), ("hop", cfg.hop), ("purity", cfg.purity)) if v is not None}


def estimate(cfg: FinetuneConfig, out: Path, n_subjects: int) -> dict[str, Any]:
    """Subject-wise k-fold macro F1 of the recipe (``evaluate`` in ``finetune`` mode at 100 % of the labels);
    ``k = min(estimate_folds, n_subjects)``."""
    ec = EvaluateConfig(datasets=(cfg.dataset,), checkpoint=cfg.checkpoint, fractions=(1.0,), modes=("finetune",),
                        seeds=1, k=min(cfg.estimate_folds, n_subjects), zero_shot=False, max_steps=cfg.max_steps, jobs=cfg.jobs,
                        out=out, data_dir=cfg.data_dir, **_spec_changes(cfg))
    summary = run_evaluation(ec)
    runs = [r for r in summary["runs"] if r["mode"] == "finetune"]
    f1 = [r["macro_f1"] for r in sorted(runs, key=lambda r: r["fold"])]
    return {"macro_f1_mean": float(np.mean(f1)), "macro_f1_std": float(np.std(f1)), "folds": len(f1),
            "per_fold": [round(v, 4) for v in f1], "accuracy_mean": float(np.mean([r["accuracy"] for r in runs])),
            "report": str(out / "report.md")}


def run_finetune(cfg: FinetuneConfig, out: str | Path) -> FinetuneResult:
    """Estimate (optional), then train and save the final classifier in ``out`` (see the module docstring)."""
    t0 = time.perf_counter()
    out = Path(out)
    mujo = load_mujo(cfg.checkpoint)
    if mujo.spec is None:
        raise ConfigError(f"{cfg.checkpoint}: the MuJo checkpoint has no sensor spec")
    spec = mujo.spec.replace(**_spec_changes(cfg))
    ws = prepare(cfg.dataset, spec.replace(normalization=Normalization(), placement="any"), data_root=cfg.data_dir)
    subjects = np.asarray(ws.subject_ids, dtype=object)
    if len(subjects) < 2:
        raise DataError(f"{cfg.dataset}: {len(subjects)} subject(s); fine-tuning holds whole subjects out, it needs two")
    est = estimate(cfg, out / "estimate", len(subjects)) if cfg.estimate_folds else None
    n_val = max(1, int(round(cfg.val_share * len(subjects))))
    held = sorted(np.random.default_rng(cfg.seed).permutation(subjects)[:n_val].tolist())
    fold = Fold(name="final", fit_subjects=tuple(s for s in ws.subject_ids if s not in held), val_subjects=(),
                test_subjects=tuple(held))
    idx = fold.indices(ws)
    x_fit, x_val = (spec.normalize(ws.x[idx[p]]) for p in ("fit", "test"))
    y_fit, y_val = ws.y[idx["fit"]], ws.y[idx["test"]]
    torch.manual_seed(cfg.seed)
    clf = ImuClassifier.from_mujo(mujo, ws.num_classes, ws.placement, tuple(bool(c) for c in ws.channel_mask))
    lr = SupervisedConfig().lr
    res = train_supervised(clf, x_fit, y_fit, x_val, y_val, ws.num_classes,
                           SupervisedConfig(max_steps=cfg.max_steps, seed=cfg.seed),
                           params=[{"params": clf.encoder.parameters(), "lr": lr}, {"params": clf.head.parameters(), "lr": lr}])
    held_out = {**score_model(clf, x_val, y_val, ws.num_classes), "subjects": held,
                "note": "the held-out subjects also chose the stopping step: an optimistic figure; see the estimate"}
    base = resolve_checkpoint(cfg.checkpoint)
    extra = {"data": {"source": f"dataset:{cfg.dataset}", "dataset": cfg.dataset, "fold": fold_record(fold),
                      "fraction": 1.0, "seed": cfg.seed, "purpose": "final model: trained on every subject but the "
                      "held-out ones, which chose the stopping step and verify exports"},
             "calibration_subjects": list(fold.fit_subjects), "placement": ws.placement,
             "channels_used": [c for c, used in zip(ws.spec.channels, ws.channel_mask) if used],
             "finetune_config": to_dict(cfg), "base_checkpoint": {"path": str(base),
                                                                   "weights_sha256": sha256_file(base / "model.safetensors")}}
    save_checkpoint(out, clf, kind="classifier", model_name="mujo_imu", model_config=clf.cfg,
                    spec=spec.replace(placement=ws.placement), label_names=ws.class_names, step=res.steps,
                    metrics={"held_out": held_out, "estimate": est, "best_step": res.best_step}, extra=extra)
    save_json(out / "finetune_config.json", cfg)
    seconds = time.perf_counter() - t0
    log.info("fine-tuned %s on %s: held-out macro F1 %.3f; expected %.3f ± %.3f", cfg.checkpoint, cfg.dataset,
             held_out["macro_f1"], est["macro_f1_mean"] if est else float("nan"),
             est["macro_f1_std"] if est else float("nan"))
    return FinetuneResult(out, est, held_out, seconds, {"windows": len(ws), "subjects": len(subjects),
                                                        "classes": list(ws.class_names)})
