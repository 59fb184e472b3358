"""The quickstart's stages before the live one: data, corpus, pretrain, evaluate, distill, export.

Each stage is ``stage(cfg, ctx) -> summary``: it composes library functions with the quickstart's
small settings, puts what later stages need into the :class:`QuickstartContext` and returns a
JSON-ready summary (``status`` is ``ok``, ``skipped`` with a ``reason``, or ``failed``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mujo_edge.corpus import CorpusConfig, build_corpus
from mujo_edge.data.datasets import get_dataset
from mujo_edge.data.prepare import prepare
from mujo_edge.data.splits import subject_kfold
from mujo_edge.data.synthetic import synthetic_watch_windows
from mujo_edge.eval.evaluate import EvaluateConfig, run_evaluation
from mujo_edge.export.pipeline import ExportConfig, export_checkpoint
from mujo_edge.paths import data_dir
from mujo_edge.models.mujo import resolve_checkpoint
from mujo_edge.quickstart.config import OWN_WEIGHTS, PREFERRED_DATASETS, QuickstartConfig, QuickstartContext
from mujo_edge.sim.mocap import MOCAP_FOLDER, ZIP_NAME
from mujo_edge.train.distill import run_distill
from mujo_edge.train.distill_config import DistillConfig
from mujo_edge.train.pretrain import PretrainConfig, pretrain

log = logging.getLogger(__name__)

Stage = Callable[[QuickstartConfig, QuickstartContext], dict[str, Any]]


def stage_data(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """Prepare one real dataset (the first available) and its subject-wise fold 0."""
    names = [cfg.dataset] if cfg.dataset else list(PREFERRED_DATASETS)
    chosen = next((n for n in names if get_dataset(n).find_source(cfg.data_dir) is not None), None)
    if chosen is None:
        reason = get_dataset(names[0]).missing_message(cfg.data_dir).splitlines()[0]
        return {"status": "skipped", "reason": f"no real dataset found ({reason})"}
    ws = prepare(chosen, data_root=cfg.data_dir)
    fold = subject_kfold(ws.subject_ids, k=5, seed=0)[0]
    idx = fold.indices(ws)
    ctx.windows, ctx.fold = ws, fold
    return {
        "status": "ok", "dataset": chosen, "windows": len(ws), "subjects": len(ws.subject_ids),
        "classes": list(ws.class_names), "placement": ws.placement,
        "fold0": {k: int(len(v)) for k, v in idx.items()}, "test_subjects": list(fold.test_subjects),
        "prepare_seconds": round(ws.stats["prepare_seconds"], 2), "from_cache": ws.stats["cached"],
    }


def stage_corpus(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """A ``cfg.corpus_hours`` corpus (procedural, plus motion capture when present) in ``cfg.out/corpus``."""
    root = data_dir(cfg.data_dir)
    has_mocap = root is not None and (root / MOCAP_FOLDER / ZIP_NAME).is_file()
    sources = ("mocap", "procedural") if has_mocap else ("procedural",)
    out = cfg.out / "corpus"
    t0 = time.perf_counter()
    index = build_corpus(out, CorpusConfig(sources=sources, hours=cfg.corpus_hours, seed=cfg.seed, shard_clips=36),
                         workers=2, force=True, data_root=cfg.data_dir)
    ctx.corpus_dir = out
    st = index["stats"]
    return {"status": "ok", "corpus": str(out), "clips": index["clips"], "hours": index["hours"],
            "activities": len(st["activities"]), "sources": st["sources"],
            "mocap": "used" if has_mocap else "not found (procedural only)",
            "build_seconds": round(time.perf_counter() - t0, 2)}


def teacher_weights(cfg: QuickstartConfig, ctx: QuickstartContext) -> str | None:
    """The checkpoint the evaluate and distill stages start from: ``cfg.weights`` (a packaged name), or the
    pretrain stage's run with ``weights="own"`` (``None`` when that stage made none)."""
    if cfg.weights == OWN_WEIGHTS:
        return str(ctx.mujo_checkpoint) if ctx.mujo_checkpoint else None
    return cfg.weights


def stage_pretrain(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """The ``tiny`` model, ``cfg.pretrain_steps`` steps on the corpus; a second run in the same folder resumes.

    It shows pretraining working on this machine (clips/s, retrieval on held-out motion subjects); the
    later stages use it only with ``weights="own"`` (by default they start from the packaged weights).
    """
    if ctx.corpus_dir is None:
        return {"status": "skipped", "reason": "no corpus (the corpus stage produced none)"}
    steps = cfg.pretrain_steps
    pc = PretrainConfig(corpus=Path(ctx.corpus_dir), out=Path(cfg.out) / "pretrain", model="tiny", max_steps=steps,
                        batch_size=cfg.pretrain_batch, warmup_steps=min(30, steps // 2), log_every=25,
                        eval_every=100, save_every=100, seed=cfg.seed, tensorboard=False)
    res = pretrain(pc, resume=True)
    ctx.mujo_checkpoint = res.run
    val = {k[4:]: round(v, 3) for k, v in res.val.items() if k.startswith("acc_")}
    return {"status": "ok", "run": str(res.run), "steps": res.step, "clips_per_second": round(res.samples_per_second, 1),
            "train_loss": round(res.train.get("loss", float("nan")), 4), "val_loss": round(res.val.get("loss", float("nan")), 4),
            "val_retrieval_top1": val,
            "later_stages_use": "this run" if cfg.weights == OWN_WEIGHTS else f"packaged {cfg.weights!r} weights (--weights own: this run)"}


def stage_evaluate(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """The data stage's dataset, fold 0, fractions 2 % and 100 %, scratch vs finetune, 1 seed.

    Starts from :func:`teacher_weights`. When that model saw the dataset's unlabelled windows in pretraining
    (the packaged ``default`` saw every real pool), the summary says its figures are not transfer figures.
    """
    ws = ctx.windows
    if ws is None:
        return {"status": "skipped", "reason": "no real dataset (set MUJO_EDGE_DATA_DIR; see `mujo-edge data list`)"}
    ckpt = teacher_weights(cfg, ctx)
    if ckpt is None:
        return {"status": "skipped", "reason": "--weights own but the pretrain stage made no run"}
    ec = EvaluateConfig(datasets=(ws.dataset,), checkpoint=ckpt, fractions=(0.02, 1.0), modes=("scratch", "finetune"),
                        seeds=1, folds=(0,), out=Path(cfg.out) / "evaluate", data_dir=cfg.data_dir)
    summary = run_evaluation(ec)
    d = summary["datasets"][ws.dataset]
    f1 = {mode: {p: round(c["mean"], 3) for p, c in cells.items()} for mode, cells in d["cells"].items()}
    seen = bool(d.get("seen_in_pretraining"))
    transfer = ("no: this model saw the dataset's unlabelled windows in pretraining (labels never read); "
                "--weights sim-only, or the README's leave-one-dataset-out table, gives transfer figures") if seen else "yes"
    return {"status": "ok", "dataset": ws.dataset, "checkpoint": ckpt, "fold": 0, "macro_f1": f1,
            "transfer_figure": transfer,
            "zero_shot_macro_f1": round(d["zero_shot"]["mean"], 3) if d["zero_shot"] else None,
            "report": str(Path(ec.out) / "report.md")}


def stage_distill(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """A ``dscnn`` student on fold 0 of the data stage's dataset, distilled from :func:`teacher_weights`.

    Without real data the student learns the simulated watch signal (rest / walk / run) that the live
    stage streams. The quickstart corpus (0.2 h, 2-12 clips per activity) is too small for a subject-wise
    student: measured on it, 28 activities gave macro F1 0.04 and 5 activity categories 0.38, with int8
    agreement below the 99 % the export demands.
    """
    out = Path(cfg.out) / "distill"
    ws, teacher, corpus = ctx.windows, teacher_weights(cfg, ctx), ctx.corpus_dir
    if ws is not None:
        source, max_steps = f"dataset:{ws.dataset}", 1200
    else:
        ws = synthetic_watch_windows()
        path = out / "synthetic_watch_windows.npz"
        out.mkdir(parents=True, exist_ok=True)
        ws.save(path)
        source, max_steps, teacher = f"windows:{path}", 300, None
    dcfg = DistillConfig(student="dscnn", source=source, teacher=resolve_checkpoint(teacher) if teacher else None,
                         corpus=Path(corpus) if (teacher and corpus) else None, seed=cfg.seed, max_steps=max_steps,
                         distill_steps=cfg.distill_steps, scratch_baseline=True)
    res = run_distill(dcfg, out / "student", data_root=cfg.data_dir, windows=ws)
    ctx.student_checkpoint = res.checkpoint
    m = res.metrics
    summary = {"status": "ok", "checkpoint": str(res.checkpoint), "source": source, "method": m["method"],
               "teacher": teacher if teacher else "none (synthetic watch signal: supervised student)",
               "student": "dscnn", "parameters": m["parameters"], "test_macro_f1": round(m["test"]["macro_f1"], 4),
               "seconds": round(res.seconds, 1)}
    for key in ("teacher", "scratch"):
        if isinstance(m.get(key), dict):
            summary[f"{key}_test_macro_f1"] = round(m[key]["test"]["macro_f1"], 4)
    return summary


def stage_export(cfg: QuickstartConfig, ctx: QuickstartContext) -> dict[str, Any]:
    """int8 export of the student to every format, each verified in its runtime; the live stage streams the ``.tflite``."""
    if ctx.student_checkpoint is None:
        return {"status": "skipped", "reason": "no student checkpoint (the distill stage did not run)"}
    out = Path(cfg.out) / "export"
    results = export_checkpoint(ctx.student_checkpoint, out, ExportConfig(int8=True), data_root=cfg.data_dir)
    files = {r.format: r for r in results}
    ctx.exported = {r.format: r.path for r in results}
    ctx.live_model = files["tflite"].path if "tflite" in files else results[0].path
    return {"status": "ok", "folder": str(out),
            "files": {r.path.name: {"kb": round(r.size_bytes / 1024, 1), "agreement": round(r.verification["top1_agreement"], 4),
                                    "f1": round(r.verification["macro_f1"], 4),
                                    "f1_eager": round(r.verification["macro_f1_eager"], 4)} for r in results}}
