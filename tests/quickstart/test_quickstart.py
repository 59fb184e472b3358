"""The quickstart's stages on small settings: what they skip, what they hand to the next stage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from mujo_edge.firmware_bridge.sim.process import simulator_unavailable

from mujo_edge.data.synthetic import synthetic_watch_windows
from mujo_edge.models.mujo import PAIRS, load_mujo
from mujo_edge.quickstart import QuickstartConfig, QuickstartContext
from mujo_edge.quickstart.live import find_models, stage_live, subject_holdout, train_fallback_model
from mujo_edge.errors import ConfigError
from mujo_edge.quickstart.stages import stage_evaluate, stage_pretrain, teacher_weights


def test_pretrain_and_evaluate_stages(tiny_corpus: Path, tmp_path: Path) -> None:
    cfg = QuickstartConfig(out=tmp_path / "qs", pretrain_steps=4, pretrain_batch=8)
    assert stage_pretrain(cfg, QuickstartContext())["status"] == "skipped"
    assert stage_evaluate(cfg, QuickstartContext())["status"] == "skipped"
    ctx = QuickstartContext(corpus_dir=tiny_corpus)
    res = stage_pretrain(cfg, ctx)
    assert res["status"] == "ok" and res["steps"] == 4 and set(res["val_retrieval_top1"]) == set(PAIRS)
    assert load_mujo(ctx.mujo_checkpoint).spec.window == 128
    again = stage_pretrain(cfg, ctx)  # a second quickstart in the same folder resumes (nothing left to do)
    assert again["status"] == "ok" and again["steps"] == 4


def test_later_stages_start_from_the_packaged_default_unless_told_otherwise(tmp_path: Path) -> None:
    ctx = QuickstartContext(mujo_checkpoint=tmp_path / "pretrain")
    assert QuickstartConfig().weights == "default" and teacher_weights(QuickstartConfig(), ctx) == "default"
    assert teacher_weights(QuickstartConfig(weights="sim-only"), ctx) == "sim-only"
    assert teacher_weights(QuickstartConfig(weights="own"), ctx) == str(tmp_path / "pretrain")
    assert teacher_weights(QuickstartConfig(weights="own"), QuickstartContext()) is None
    with pytest.raises(ConfigError, match="'mujo-big'.*default, sim-only, own"):
        QuickstartConfig(weights="mujo-big")


def test_fallback_model_validates_on_held_out_subjects(tmp_path: Path) -> None:
    ws = synthetic_watch_windows(subjects=4, seconds=30.0)
    fit, val = subject_holdout(ws, seed=0)
    assert set(ws.subjects[fit]).isdisjoint(ws.subjects[val]) and len(fit) + len(val) == len(ws)
    ckpt = train_fallback_model(tmp_path / "cnn", ws, max_steps=5)
    from mujo_edge.artifacts.checkpoint import load_checkpoint

    held = load_checkpoint(ckpt).extra["val_subjects"]
    assert held == sorted(set(ws.subjects[val].astype(str))) and len(held) == 1


@pytest.fixture(scope="module")
def ble_ready() -> None:
    why = simulator_unavailable()
    if why:
        pytest.skip(why)


@pytest.mark.slow
def test_quickstart_live_stage(ble_ready, tmp_path: Path) -> None:
    model = train_fallback_model(tmp_path / "model" / "cnn", max_steps=60)
    cfg = QuickstartConfig(out=tmp_path / "qs", live_seconds=120.0, live_windows=2)
    res = stage_live(cfg, QuickstartContext(live_model=model))
    assert res["status"] == "ok" and res["source"] == "synthetic" and res["backend"] == "torch"
    assert res["predictions"] >= 2 and res["samples_lost"] == 0 and res["latency_ms_p99"] is not None
    assert res["accuracy_vs_source"] is not None
    assert (cfg.out / "live" / "summary.json").exists() and (cfg.out / "live" / "config.json").exists()
    assert find_models(cfg.out) == []  # nothing was written as a model under the quickstart folder


def test_quickstart_live_stage_is_skipped_without_the_ble_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bleak" else real(name, *a))
    res = stage_live(QuickstartConfig(out=tmp_path), QuickstartContext())
    assert res == {"status": "skipped", "reason": "bleak not installed (pip install 'mujo-edge[ble]')"}
