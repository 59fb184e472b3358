"""Leave-one-dataset-out checkpoints, SSL-baseline modes, adaptive seeds, targets and the README block."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
from mujo_edge.errors import ConfigError
from mujo_edge.eval.evaluate import EvaluateConfig, Task, more_seed_tasks, run_evaluation
from mujo_edge.eval.report import close_cells
from mujo_edge.eval.targets import check_targets, targets_markdown, update_readme
from mujo_edge.models import create_model, save_mujo
from mujo_edge.provenance import sha256_file

NORM = Normalization("standard", (0.0, 0.0, 4.0, 0.0, 0.0, 0.0), (5.0, 5.0, 5.0, 1.0, 1.0, 1.0))


def _with_pools(src: Path, dst: Path, pools: list[str]) -> Path:
    """A copy of checkpoint ``src`` that records having read the unlabelled pools ``pools``."""
    from mujo_edge.models import load_mujo

    model = load_mujo(src)
    return save_mujo(dst, model, model.spec, "tiny-hashtext", step=1, extra={"real_data": {"pools": pools}})


@pytest.fixture(scope="module")
def simclr_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(1)
    model = create_model("tiny", modalities=["imu"], imu={"widths": [16, 32]}, ssl={"objective": "contrastive"})
    return save_mujo(tmp_path_factory.mktemp("ssl") / "simclr-no-motionsense", model,
                     DEFAULT_SPEC.replace(normalization=NORM), "tiny", step=1,
                     extra={"recipe": "simclr", "real_data": {"pools": ["hmp"], "excluded": ["motionsense"]}})


def _cfg(root: Path, out: Path, **kw) -> EvaluateConfig:
    base = dict(datasets=("motionsense",), fractions=(1.0,), modes=("scratch", "finetune"), seeds=1, k=3, folds=(0,),
                max_steps=30, zero_shot=False, out=out, data_dir=root, verify=False)
    return EvaluateConfig(**{**base, **kw})


@pytest.mark.slow
def test_template_checkpoints_baseline_modes_and_the_seen_flag(synth_root: Path, random_checkpoint: Path,
                                                              simclr_checkpoint: Path, tmp_path: Path) -> None:
    lodo = tmp_path / "lodo"
    shutil.copytree(random_checkpoint, lodo / "mujo-no-motionsense")
    template = str(lodo / "mujo-no-{dataset}")
    baseline = str(simclr_checkpoint.parent / "simclr-no-{dataset}")
    summary = run_evaluation(_cfg(synth_root, tmp_path / "ev", checkpoint=template, baselines={"simclr": baseline},
                                  modes=("scratch", "finetune", "linear", "simclr")))
    d = summary["datasets"]["motionsense"]
    assert d["best_ssl"]["1"] == "simclr" and "1" in d["delta_finetune_minus_best_ssl"]
    assert d["delta_finetune_minus_best_ssl"]["1"]["modes"] == ["finetune", "simclr"]
    assert "1" in d["delta_linear_minus_scratch"] and d["seen_in_pretraining"] == 0
    assert not any(r["seen_in_pretraining"] for r in summary["runs"])
    # the baseline's weights are recorded per dataset (what merging parts of a grid checks them by)
    assert summary["meta"]["baseline_weights_sha256"] == {
        "simclr": {"motionsense": sha256_file(simclr_checkpoint.parent / "simclr-no-motionsense" / "model.safetensors")}}
    md = (tmp_path / "ev" / "report.md").read_text()
    assert "best SSL baseline" in md and "Δ finetune − best SSL" in md and "RF reference" in md
    # a checkpoint that read the dataset's unlabelled windows: every pretrained result is flagged, the report says so
    seen = _with_pools(random_checkpoint, tmp_path / "seen", ["motionsense", "hmp"])
    flagged = run_evaluation(_cfg(synth_root, tmp_path / "ev2", checkpoint=str(seen)))
    by_mode = {r["mode"]: r["seen_in_pretraining"] for r in flagged["runs"]}
    assert by_mode == {"scratch": False, "finetune": True}
    assert "Not transfer figures" in (tmp_path / "ev2" / "report.md").read_text()


def test_baseline_modes_need_their_checkpoint(synth_root: Path, random_checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--baseline simclr="):
        _cfg(synth_root, tmp_path, checkpoint=str(random_checkpoint), modes=("simclr",))
    with pytest.raises(ConfigError, match="unknown SSL baseline"):
        _cfg(synth_root, tmp_path, checkpoint=str(random_checkpoint), baselines={"byol": "x"})
    cfg = _cfg(synth_root, tmp_path, checkpoint=str(tmp_path / "ck-{dataset}"))
    from mujo_edge.eval.evaluate import Context

    with pytest.raises(ConfigError, match="no dataset"):
        Context(cfg).checkpoint(None)


def _run(fold: int, seed: int, mode: str, f1: float, frac: float = 0.01) -> dict:
    return {"dataset": "motionsense", "fold": fold, "seed": seed, "mode": mode, "fraction": frac, "macro_f1": f1,
            "accuracy": f1}


def test_adaptive_seeds_add_seeds_only_where_a_reported_difference_is_under_two_points(tmp_path: Path) -> None:
    cfg = EvaluateConfig(datasets=("motionsense",), checkpoint="x", fractions=(0.01, 1.0), modes=("scratch", "finetune"),
                         seeds=3, k=3, zero_shot=False, adaptive_seeds=True, out=tmp_path)
    # finetune − scratch is close at 1 % (+0.01) and far at 100 % (+0.10)
    results = [_run(f, 0, "scratch", 0.80) for f in range(3)] + [_run(f, 0, "finetune", 0.81) for f in range(3)]
    results += [_run(f, 0, "scratch", 0.80, 1.0) for f in range(3)] + [_run(f, 0, "finetune", 0.90, 1.0) for f in range(3)]
    assert close_cells(results, cfg) == [("motionsense", 0.01, ("finetune", "scratch"))]
    more = more_seed_tasks(cfg, results, {"motionsense": 3})
    assert len(more) == 3 * 2 * 2 and {t.seed for t in more} == {1, 2} and {t.fraction for t in more} == {0.01}
    assert Task("motionsense", 0, 0.01, "scratch", 1) in more


def test_targets_and_the_readme_block(tmp_path: Path) -> None:
    cell = lambda m: {"mean": m, "std": 0.0, "std_seeds": 0.0, "folds": [m], "n_runs": 1, "n_seeds": 1}  # noqa: E731
    delta = lambda m: {"mean": m, "std": 0.0, "folds_better": 1, "n_folds": 1}  # noqa: E731
    summary = {"datasets": {"motionsense": {
        "cells": {"finetune": {"0.02": cell(0.91), "1": cell(0.90)}},
        "delta_finetune_minus_scratch": {"0.02": delta(0.04), "1": delta(-0.01)},
        "delta_linear_minus_scratch": {"1": delta(-0.03)}}}}
    rows = {(r["target"], r["fraction"]): r["met"] for r in check_targets(summary)}
    assert rows[("finetune − scratch", "0.02")] and not rows[("finetune − scratch", "1")]
    assert rows[("finetune at 2 %", "0.02")] and rows[("linear − scratch at 100 %", "1")]
    assert rows[("finetune > RF reference", "0.02")] and not rows[("finetune > RF reference", "1")]  # 0.90 < 0.909
    md = targets_markdown(check_targets(summary))
    assert "| finetune − scratch | motionsense | 2 % | 100 % (-0.010 vs +0.000) |" in md
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- evaluate:begin -->\nold\n<!-- evaluate:end -->\nrest\n")
    update_readme(readme, "evaluate", "new table")
    assert readme.read_text() == "intro\n<!-- evaluate:begin -->\nnew table\n<!-- evaluate:end -->\nrest\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ConfigError, match="evaluate:begin"):
        update_readme(tmp_path / "plain.md", "evaluate", "x")
    assert json.dumps(check_targets(summary))  # plain data
