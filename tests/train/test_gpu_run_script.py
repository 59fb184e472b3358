"""``tools/gpu_base_run.sh``, the prepared one-GPU run of ``base`` (docs/results/gpu_base/), run on CPU at toy size:
it must go through every stage and leave a checkpoint the package loads, and on a machine without CUDA it must stop
at the smoke stage, before the long corpus build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "gpu_base_run.sh"


def _run(out: Path, work: Path, device: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable, "PRETRAIN_DEVICE": device, "BATCH": "4", "PROBE_STEPS": "2",
           "SMOKE_HOURS": "0.01", "SOURCES": "procedural", "WORK_DIR": str(work)}
    return subprocess.run(["bash", str(SCRIPT), str(out), "0.01", "1"], env=env, capture_output=True, text=True,
                          timeout=900, cwd=SCRIPT.parents[1])


def test_every_stage_runs_and_leaves_a_loadable_base_checkpoint(tmp_path: Path) -> None:
    from mujo_edge.models.mujo import load_mujo

    res = _run(tmp_path / "out", tmp_path / "work", "cpu")
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "out"
    probe = json.loads((out / "probe.json").read_text())
    pretrain = json.loads((out / "pretrain.json").read_text())
    corpus = json.loads((out / "corpus.json").read_text())
    assert probe["step"] == 2 and probe["samples_per_second"] > 0
    # the main run's steps are the probed rate times the budget (1 s) over the batch (4), at least one
    assert pretrain["step"] == max(1, int(probe["samples_per_second"] * 1 / 4))
    assert corpus["hours"] > 0 and corpus["sources"]
    model = load_mujo(out / "run")
    assert model.cfg.imu["arch"] == "transformer"  # the base configuration, not tiny
    assert json.loads((out / "env.json").read_text())["gpu"] is None
    for name in ("train.csv", "val.csv", "config.json", "checkpoint.json"):
        assert (out / "run" / name).stat().st_size > 0


def test_without_cuda_it_stops_at_the_smoke_stage(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    res = _run(tmp_path / "out", tmp_path / "work", "cuda")
    assert res.returncode != 0
    assert "cuda" in res.stderr.lower()
    assert not (tmp_path / "out" / "corpus.json").exists()  # the long corpus build never started
    assert not (tmp_path / "work" / "corpus").exists()
