"""Quickstart stage ``corpus``: a small corpus (procedural, plus motion capture when present) in under a minute."""

from __future__ import annotations

import logging
import time
from typing import Any

from mujo_edge.corpus.build import build_corpus
from mujo_edge.corpus.config import CorpusConfig
from mujo_edge.sim.mocap import MOCAP_FOLDER, ZIP_NAME

log = logging.getLogger(__name__)

#: Size of the quickstart corpus: 0.2 h = 141 clips of 5.12 s (about 15-35 s with 2 workers on 2 cores).
QUICKSTART_HOURS = 0.2


def stage_corpus(cfg: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    """Build ``cfg.out/corpus`` and put its path in ``ctx["corpus_dir"]``; returns a JSON-ready summary."""
    from mujo_edge.paths import data_dir

    root = data_dir(cfg.data_dir)
    has_mocap = root is not None and (root / MOCAP_FOLDER / ZIP_NAME).is_file()
    sources = ("mocap", "procedural") if has_mocap else ("procedural",)
    out = cfg.out / "corpus"
    t0 = time.perf_counter()
    index = build_corpus(out, CorpusConfig(sources=sources, hours=QUICKSTART_HOURS, seed=cfg.seed, shard_clips=36),
                         workers=2, force=True, data_root=cfg.data_dir)
    ctx["corpus_dir"] = out
    st = index["stats"]
    return {"status": "ok", "corpus": str(out), "clips": index["clips"], "hours": index["hours"],
            "activities": len(st["activities"]), "sources": st["sources"],
            "mocap": "used" if has_mocap else "not found (procedural only)",
            "build_seconds": round(time.perf_counter() - t0, 2)}
