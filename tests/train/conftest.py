"""A tiny multimodal corpus built by the corpus builder (procedural motion, about 20 clips)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mujo_edge.corpus`` folder of 0.03 h (21 clips of 5.12 s: 19 train, 2 val)."""
    from mujo_edge.corpus import CorpusConfig, build_corpus

    out = tmp_path_factory.mktemp("corpus") / "tiny"
    build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.03, seed=0, shard_clips=8), workers=1)
    return out
