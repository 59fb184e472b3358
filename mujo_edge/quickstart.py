"""The quickstart pipeline behind ``mujo-edge quickstart``: every stage of mujo-edge, small and self-contained.

Stages run in order and pass artifacts through a context dict; each returns a JSON-ready summary.
Nothing is downloaded: real datasets are used when ``MUJO_EDGE_DATA_DIR`` (or ``data_dir``) holds
them, and stages that need no real data run either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.config import save_json
from mujo_edge.errors import MujoEdgeError
from mujo_edge.provenance import git_commit

log = logging.getLogger(__name__)

#: Real datasets the quickstart evaluates on, in order of preference (the first one present is used).
PREFERRED_DATASETS: tuple[str, ...] = ("motionsense", "uci_hapt", "usc_had", "hmp", "wisdm2019_watch6")


@dataclass(frozen=True)
class QuickstartConfig:
    """Options of the quickstart run (saved as ``config.json`` in ``out``)."""

    out: Path = Path("mujo_edge_quickstart")
    dataset: str | None = None
    data_dir: Path | None = None
    seed: int = 0


Stage = Callable[[QuickstartConfig, dict[str, Any]], dict[str, Any]]


def stage_data(cfg: QuickstartConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Prepare one real dataset (the first available) and its subject-wise fold 0."""
    from mujo_edge.data.datasets import get_dataset
    from mujo_edge.data.prepare import prepare
    from mujo_edge.data.splits import subject_kfold

    names = [cfg.dataset] if cfg.dataset else list(PREFERRED_DATASETS)
    chosen = next((n for n in names if get_dataset(n).find_source(cfg.data_dir) is not None), None)
    if chosen is None:
        reason = get_dataset(names[0]).missing_message(cfg.data_dir).splitlines()[0]
        return {"status": "skipped", "reason": f"no real dataset found ({reason})"}
    ws = prepare(chosen, data_root=cfg.data_dir)
    fold = subject_kfold(ws.subject_ids, k=5, seed=0)[0]
    idx = fold.indices(ws)
    ctx["windows"], ctx["fold"] = ws, fold
    return {
        "status": "ok", "dataset": chosen, "windows": len(ws), "subjects": len(ws.subject_ids),
        "classes": list(ws.class_names), "placement": ws.placement,
        "fold0": {k: int(len(v)) for k, v in idx.items()}, "test_subjects": list(fold.test_subjects),
        "prepare_seconds": round(ws.stats["prepare_seconds"], 2), "from_cache": ws.stats["cached"],
    }


from mujo_edge.corpus.stage import stage_corpus  # noqa: E402
from mujo_edge.eval.evaluate import stage_evaluate  # noqa: E402
from mujo_edge.train.pretrain import stage_pretrain  # noqa: E402
from mujo_edge.firmware_bridge.live import stage_live  # noqa: E402
from mujo_edge.train.distill import stage_distill  # noqa: E402
from mujo_edge.export.pipeline import stage_export  # noqa: E402

#: The stages, in order.
STAGES: list[tuple[str, Stage]] = [("data", stage_data), ("corpus", stage_corpus), ("pretrain", stage_pretrain), ("evaluate", stage_evaluate), ("distill", stage_distill), ("export", stage_export), ("live", stage_live)]


def run_quickstart(cfg: QuickstartConfig, on_stage: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every stage; returns ``{stage: summary}`` and writes ``summary.json`` + ``config.json`` to ``cfg.out``.

    A stage that fails with a :class:`MujoEdgeError` is recorded as failed and the run stops there.
    """
    cfg.out.mkdir(parents=True, exist_ok=True)
    save_json(cfg.out / "config.json", {"config": cfg, "git_commit": git_commit()})
    ctx: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for name, fn in STAGES:
        t0 = time.perf_counter()
        try:
            res = fn(cfg, ctx)
        except MujoEdgeError as exc:
            res = {"status": "failed", "error": str(exc)}
        res["seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = res
        log.info("quickstart stage %s: %s", name, res)
        if on_stage:
            on_stage(name, res)
        if res["status"] == "failed":
            break
    save_json(cfg.out / "summary.json", results)
    return results
