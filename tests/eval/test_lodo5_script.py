"""``tools/lodo5.sh``, the one command behind the README's five-dataset leave-one-dataset-out tables, run at toy
size on real data: every stage runs, each pretraining run records the dataset it left out, the evaluation
scores only checkpoints that never read the scored dataset and rewrites the README block, a second call
resumes (finished pretraining runs return at once, evaluated runs come from the cache), and ``ALL_SEEDS=1`` adds
every seed on top of the cached runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mujo_edge.placements import WEARABLE_SITES

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "lodo5.sh"
BLOCK = "<!-- evaluate:begin -->\nold tables\n<!-- evaluate:end -->\n"


def _run(out: Path, readme: Path | str, data: Path, **knobs: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("mujo-edge")
    env = {**os.environ, "MUJO_EDGE_DATA_DIR": str(data), "MUJO_EDGE": str(cli), "DATASETS": "hmp",
           "POOLS": "uci_hapt", "HOURS": "0.02", "STEPS": "2", "BATCH": "4", "FRACTIONS": "1.0", "SEEDS": "1", "FOLDS": "0",
           "EVAL_STEPS": "2", "JOBS": "2", **knobs}
    return subprocess.run(["bash", str(SCRIPT), str(out), str(readme)], env=env, capture_output=True, text=True,
                          timeout=1200, cwd=SCRIPT.parents[1])


def test_the_whole_pipeline_runs_leaves_the_dataset_out_and_resumes(require_dataset, tmp_path: Path) -> None:
    data = require_dataset("hmp")
    require_dataset("uci_hapt")
    out, readme = tmp_path / "runs", tmp_path / "README.md"
    readme.write_text("# t\n\n" + BLOCK)
    res = _run(out, readme, data)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    for stage in ("corpus", "pretraining (4 runs, 2 at a time)", "evaluation"):
        assert f"== {stage}: " in res.stdout
    for recipe in ("mujo", "simclr", "limu", "multitask"):
        meta = json.loads((out / "lodo" / f"{recipe}-no-hmp" / "checkpoint.json").read_text())
        assert meta["step"] == 2
        assert meta["extra"]["real_data"]["excluded"] == ["hmp"]
        assert meta["extra"]["real_data"]["pools"] == ["uci_hapt"]
    assert len((out / "lodo" / "times.txt").read_text().splitlines()) == 4
    summary = json.loads((out / "lodo5" / "results.json").read_text())
    modes = {r["mode"] for r in summary["runs"]}
    assert modes == {"scratch", "linear", "finetune", "simclr", "limu", "multitask", "zeroshot"}
    assert all(r["dataset"] == "hmp" and r["fold"] == 0 for r in summary["runs"])
    assert not any(r["seen_in_pretraining"] for r in summary["runs"])
    text = readme.read_text()
    assert "old tables" not in text and "### hmp" in text and text.startswith("# t\n")
    targets = (out / "lodo5" / "targets.md").read_text()  # the target check is kept beside the report
    assert targets.startswith("| target | dataset |") and "| finetune − scratch | hmp |" in targets
    assert targets.strip() in text
    cached = {p: p.stat().st_mtime_ns for p in (out / "lodo5" / "runs").rglob("*.json")}
    assert len(cached) == len(summary["runs"])

    again = _run(out, readme, data)
    assert again.returncode == 0, again.stderr[-3000:]
    for recipe in ("mujo", "simclr", "limu", "multitask"):  # resumed at its last step: nothing trained again
        assert json.loads((out / "lodo" / f"{recipe}-no-hmp" / "checkpoint.json").read_text())["step"] == 2
    assert {p: p.stat().st_mtime_ns for p in (out / "lodo5" / "runs").rglob("*.json")} == cached
    rerun = json.loads((out / "lodo5" / "results.json").read_text())["runs"]
    assert sorted(rerun, key=lambda r: r["key"]) == sorted(summary["runs"], key=lambda r: r["key"])

    # ALL_SEEDS=1: every seed in every cell, in its own folder that starts from the adaptive pass's cache; the
    # README block is left alone when "" is passed for it
    readme_before = readme.read_text()
    full = _run(out, "", data, ALL_SEEDS="1", SEEDS="2")
    assert full.returncode == 0, full.stderr[-3000:]
    assert readme.read_text() == readme_before
    runs = json.loads((out / "lodo5_all_seeds" / "results.json").read_text())["runs"]
    trained = [r for r in runs if r["mode"] != "zeroshot"]
    assert {(r["mode"], r["seed"]) for r in trained} == {(m, s) for m in modes - {"zeroshot"} for s in (0, 1)}
    first = {r["key"]: r for r in summary["runs"]}
    assert [r for r in runs if r["key"] in first] == [first[r["key"]] for r in runs if r["key"] in first]
    assert len([r for r in runs if r["key"] in first]) == len(first)  # seed 0 reused, not run again

    # PRETRAIN_SEED re-seeds every pretraining run, CONFIG names its model and SITES its corpus sites (all recorded in
    # the checkpoint), MODES picks the evaluated modes
    shutil.copytree(out / "corpus0.02h", tmp_path / "reseeded" / "corpus0.02h")
    reseeded = _run(tmp_path / "reseeded", "", data, PRETRAIN_SEED="1", MODES="scratch,finetune", CONFIG="tiny-wide",
                    SITES="waist,wrist_left")
    assert reseeded.returncode == 0, reseeded.stderr[-3000:]
    assert "== corpus: 0 s" in reseeded.stdout  # the copied corpus is used, not rebuilt
    for recipe in ("mujo", "simclr", "limu", "multitask"):
        meta = json.loads((tmp_path / "reseeded" / "lodo" / f"{recipe}-no-hmp" / "checkpoint.json").read_text())
        assert meta["extra"]["pretrain"]["seed"] == 1 and meta["extra"]["pretrain"]["model"] == "tiny-wide"
        assert meta["extra"]["pretrain"]["sites"] == ["waist", "wrist_left"]
        seed0 = json.loads((out / "lodo" / f"{recipe}-no-hmp" / "checkpoint.json").read_text())
        assert seed0["extra"]["pretrain"]["seed"] == 0 and seed0["extra"]["pretrain"]["model"] == "tiny"
        assert seed0["extra"]["pretrain"]["sites"] == list(WEARABLE_SITES)  # the script's default: SITES=wearable
        assert seed0["weights_sha256"] != meta["weights_sha256"]
    modes1 = {r["mode"] for r in json.loads((tmp_path / "reseeded" / "lodo5" / "results.json").read_text())["runs"]}
    assert modes1 == {"scratch", "finetune", "zeroshot"}
