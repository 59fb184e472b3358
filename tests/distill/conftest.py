"""Synthetic windows (:mod:`mujo_edge.data.synthetic`) and a tiny corpus + random MuJo teacher."""

from __future__ import annotations

from pathlib import Path

import pytest

from mujo_edge.data.synthetic import synthetic_windows


@pytest.fixture(scope="session")
def windows_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("distill_synth") / "windows.npz"
    synthetic_windows().save(path)
    return path


@pytest.fixture(scope="session")
def teacher_and_corpus(tmp_path_factory) -> tuple[Path, Path]:
    """An 8-clip procedural corpus and an untrained ``tiny-hashtext`` MuJo checkpoint (the code path, not the quality)."""
    import torch

    from mujo_edge.corpus import CorpusConfig, build_corpus
    from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
    from mujo_edge.models.mujo import create_model, save_mujo

    root = tmp_path_factory.mktemp("teacher")
    build_corpus(root / "corpus", CorpusConfig(sources=("procedural",), hours=0.012, seed=3, shard_clips=4,
                                               procedural_subjects=6), workers=1)
    torch.manual_seed(0)
    spec = DEFAULT_SPEC.replace(normalization=Normalization.fit(synthetic_windows(n_subjects=2).x))
    save_mujo(root / "teacher", create_model("tiny-hashtext"), spec, "tiny-hashtext")
    return root / "teacher", root / "corpus"
