"""Run the quickstart's stages in order and write ``summary.json``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from mujo_edge.config import save_json
from mujo_edge.errors import MujoEdgeError
from mujo_edge.provenance import git_commit
from mujo_edge.quickstart.config import QuickstartConfig, QuickstartContext
from mujo_edge.quickstart.live import stage_live
from mujo_edge.quickstart.stages import (
    Stage,
    stage_corpus,
    stage_data,
    stage_distill,
    stage_evaluate,
    stage_export,
    stage_pretrain,
)

log = logging.getLogger(__name__)

#: The stages, in order.
STAGES: list[tuple[str, Stage]] = [("data", stage_data), ("corpus", stage_corpus), ("pretrain", stage_pretrain),
                                   ("evaluate", stage_evaluate), ("distill", stage_distill), ("export", stage_export),
                                   ("live", stage_live)]


def run_quickstart(cfg: QuickstartConfig, on_stage: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every stage; returns ``{stage: summary}`` and writes ``summary.json`` + ``config.json`` to ``cfg.out``.

    A stage that fails with a :class:`MujoEdgeError` is recorded as failed and the run stops there.
    """
    cfg.out.mkdir(parents=True, exist_ok=True)
    save_json(cfg.out / "config.json", {"config": cfg, "git_commit": git_commit()})
    ctx = QuickstartContext()
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
