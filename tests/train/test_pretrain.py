"""``mujo-edge pretrain`` on a tiny corpus: logs, checkpoints, exact resume after SIGKILL, DDP with gloo."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.models import load_mujo
from mujo_edge.models.mujo import PAIRS
from mujo_edge.train.pretrain import PretrainConfig, pretrain


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _weights(run: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run / "model.safetensors"))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "mujo_edge.cli", "pretrain", *args]


def test_pretrain_cli_logs_every_pair_and_writes_a_loadable_checkpoint(tiny_corpus: Path, tmp_path: Path) -> None:
    from mujo_edge.cli.main import run

    out = tmp_path / "run"
    args = ["pretrain", "--corpus", str(tiny_corpus), "--out", str(out), "--config", "tiny", "--max-steps", "6",
            "--batch-size", "8", "--log-every", "2", "--eval-every", "3", "--save-every", "3", "--no-progress"]
    assert run(args) == 0
    train, val = _rows(out / "train.csv"), _rows(out / "val.csv")
    assert [int(r["step"]) for r in train] == [2, 4, 6] and [int(r["step"]) for r in val] == [3, 6]
    for p in PAIRS:
        assert f"loss_{p}" in train[0] and f"acc_{p}" in train[0] and train[-1][f"loss_{p}"] != ""
    assert all(float(r["samples_per_s"]) > 0 for r in train)
    model = load_mujo(out)
    assert model.spec.normalization.kind == "standard" and model.spec.window == 128
    assert model.cfg.pose["joints"] == 22
    assert model.encode_imu(torch.zeros(2, 128, 6)).shape == (2, model.cfg.embed_dim)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["world_size"] == 1 and cfg["pretrain"]["max_steps"] == 6 and cfg["train_clips"] > 0
    assert any((out / "tb").iterdir())
    # an existing run is never silently restarted
    assert run(args) == 1
    with pytest.raises(ConfigError, match="--resume"):
        pretrain(PretrainConfig(corpus=tiny_corpus, out=out, max_steps=6, batch_size=8))


#: ``base`` shrunk to a CPU test size: its transformer IMU encoder has dropout, so an exact resume also needs the
#: restored RNG stream (the resnet ``tiny`` configs have no random op in the forward pass).
SMALL_BASE = {"embed_dim": 32, "proj_hidden": 0, "imu.dim": 32, "imu.depth": 1, "imu.heads": 2, "pose.widths": [16],
              "pose.joint_dim": 4, "video.widths": [4, 8], "text": {"arch": "hashbow", "buckets": 512, "dim": 32, "max_tokens": 32}}


def _sets(overrides: dict) -> list[str]:
    return [a for k, v in overrides.items() for a in ("--set", f"{k}={json.dumps(v)}")]


@pytest.mark.slow
def test_resume_after_sigkill_continues_the_same_trajectory(tiny_corpus: Path, tmp_path: Path) -> None:
    common = dict(corpus=tiny_corpus, model="base", overrides=SMALL_BASE, max_steps=24, batch_size=8, log_every=2,
                  eval_every=10, save_every=4, warmup_steps=5, tensorboard=False, seed=3)
    ref = pretrain(PretrainConfig(out=tmp_path / "ref", **common))
    assert ref.step == 24

    killed = tmp_path / "killed"
    args = _cli("--corpus", str(tiny_corpus), "--out", str(killed), "--config", "base", *_sets(SMALL_BASE),
                "--max-steps", "24", "--batch-size", "8", "--log-every", "2", "--eval-every", "10", "--save-every", "4",
                "--warmup", "5", "--seed", "3", "--no-tensorboard", "--no-progress")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = killed / "train_state" / "step_00000004"
    deadline = time.monotonic() + 120
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    done = sorted(p.name for p in (killed / "train_state").glob("step_*"))
    assert done and done[-1] != "step_00000024", "the run finished before it could be killed"
    # a save interrupted half-way leaves a temporary folder: it must be ignored and cleaned up
    (killed / "train_state" / ".tmp-step_00000099-1").mkdir()

    res = pretrain(PretrainConfig(out=killed, **common), resume=True)
    assert res.step == 24 and not (killed / "train_state" / ".tmp-step_00000099-1").exists()
    a, b = _weights(tmp_path / "ref"), _weights(killed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    cols = ["step", "loss", "lr", "temperature"] + [f"acc_{p}" for p in PAIRS]
    strip = lambda rows: [{c: r[c] for c in cols} for r in rows]  # noqa: E731  (timings differ)
    assert strip(_rows(tmp_path / "ref" / "train.csv")) == strip(_rows(killed / "train.csv"))
    # resuming a finished run is a no-op that keeps its metrics
    again = pretrain(PretrainConfig(out=killed, **common), resume=True)
    assert again.step == 24 and again.train["loss"] == pytest.approx(res.train["loss"])


@pytest.mark.slow
def test_ddp_two_cpu_processes_with_gloo(tiny_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "mujo_edge.cli",
           "pretrain", "--corpus", str(tiny_corpus), "--out", str(out), "--config", "tiny-hashtext", "--max-steps", "4",
           "--batch-size", "4", "--log-every", "2", "--eval-every", "4", "--save-every", "2", "--device", "cpu",
           "--no-tensorboard", "--no-progress"]
    proc = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["world_size"] == 2
    rows = _rows(out / "train.csv")
    assert [int(r["step"]) for r in rows] == [2, 4]  # one writer (rank 0), no duplicated rows
    assert float(rows[0]["epoch"]) == pytest.approx(2 / (19 // 8))  # global batch 2 × 4 = 8 clips per step
    assert sorted(p.name for p in (out / "train_state").glob("step_*")) == ["step_00000002", "step_00000004"]
    model = load_mujo(out)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def _torchrun(corpus: Path, out: Path, max_steps: int, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "mujo_edge.cli",
           "pretrain", "--corpus", str(corpus), "--out", str(out), "--config", "base", *_sets(SMALL_BASE),
           "--max-steps", str(max_steps), "--batch-size", "4", "--log-every", "2", "--eval-every", "100",
           "--save-every", "2", "--warmup", "2", "--device", "cpu", "--no-tensorboard", "--no-progress", *extra]
    proc = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_ddp_resume_restores_every_ranks_dropout_stream(tiny_corpus: Path, tmp_path: Path) -> None:
    """A 2-process run stopped at step 2 and resumed ends with the same weights as one run straight to step 4."""
    from safetensors.torch import load_file

    _torchrun(tiny_corpus, tmp_path / "straight", 4)
    _torchrun(tiny_corpus, tmp_path / "split", 2)
    state = load_file(str(tmp_path / "split" / "train_state" / "step_00000002" / "optimizer.safetensors"))
    assert "rng.torch" in state and "rank1.rng.torch" in state
    assert not torch.equal(state["rng.torch"], state["rank1.rng.torch"])  # each rank has its own stream
    _torchrun(tiny_corpus, tmp_path / "split", 4, "--resume")
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.gpu
def test_cuda_bf16_fused_pretraining(tiny_corpus: Path, tmp_path: Path) -> None:
    """On a GPU: bf16 autocast, fused AdamW, finite losses, peak memory logged, checkpoint loads on CPU."""
    res = pretrain(PretrainConfig(corpus=tiny_corpus, out=tmp_path / "gpu", model="tiny-hashtext", max_steps=6,
                                  batch_size=8, log_every=2, eval_every=3, save_every=3, device="cuda", tensorboard=False))
    cfg = json.loads((tmp_path / "gpu" / "config.json").read_text())
    assert cfg["precision"] == "bf16" and cfg["device"].startswith("cuda")
    assert res.step == 6 and res.train["gpu_mem_gb"] > 0 and torch.isfinite(torch.tensor(res.train["loss"]))
    model = load_mujo(tmp_path / "gpu")
    assert next(model.parameters()).device.type == "cpu"


def test_resuming_with_other_settings_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mujo_edge.config import save_json
    from mujo_edge.train.pretrain import warn_changed_settings

    started = PretrainConfig(corpus=tmp_path, out=tmp_path, batch_size=64, lr=2e-3)
    save_json(tmp_path / "config.json", {"pretrain": started})
    assert warn_changed_settings(tmp_path / "config.json", started) == []
    with caplog.at_level("WARNING"):
        changed = warn_changed_settings(tmp_path / "config.json", PretrainConfig(corpus=tmp_path, out=tmp_path,
                                                                                  batch_size=32, lr=2e-3))
    assert changed == ["batch_size"] and "batch_size=32" in caplog.text and "started with 64" in caplog.text


def _tiny(corpus: Path, out: Path, **kw) -> PretrainConfig:
    base = dict(corpus=corpus, out=out, model="tiny-hashtext", max_steps=4, batch_size=8, log_every=1, eval_every=100,
                save_every=2, warmup_steps=1, tensorboard=False)
    return PretrainConfig(**{**base, **kw})


def test_resume_with_a_new_lr_trains_with_it_and_records_it(tiny_corpus: Path, tmp_path: Path) -> None:
    """``--resume --lr X`` used to warn, then train with the saved lr while config.json claimed X."""
    from mujo_edge.cli.main import run

    out = tmp_path / "run"
    pretrain(_tiny(tiny_corpus, out, max_steps=2))
    args = ["pretrain", "--corpus", str(tiny_corpus), "--out", str(out), "--resume", "--max-steps", "4", "--lr", "0.1",
            "--no-progress"]
    assert run(args) == 0
    rows = _rows(out / "train.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    # after the resume step the logged lr follows the new peak (cosine of 0.1), before it the old one (2e-3)
    assert float(rows[1]["lr"]) < 0.01 and float(rows[2]["lr"]) > 0.01
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["pretrain"]["lr"] == 0.1 and cfg["pretrain"]["model"] == "tiny-hashtext"  # kept from the run
    assert cfg["resumed"] == [{"step": 2, "changed": ["lr", "max_steps"]}]
    ckpt = json.loads((out / "checkpoint.json").read_text())
    assert ckpt["extra"]["pretrain"]["lr"] == 0.1


def test_an_unreadable_newest_state_falls_back_to_the_previous_one(tiny_corpus: Path, tmp_path: Path, caplog) -> None:
    out = tmp_path / "run"
    pretrain(_tiny(tiny_corpus, out, keep_last=3))
    newest = out / "train_state" / "step_00000004"
    (newest / "optimizer.safetensors").write_bytes(b"\x00" * 16)  # e.g. a disk error after the save
    res = pretrain(_tiny(tiny_corpus, out, keep_last=3, max_steps=6), resume=True)
    assert res.step == 6 and "step_00000004 is unreadable" in caplog.text
    assert json.loads((out / "config.json").read_text())["resumed"][0]["step"] == 2


@pytest.mark.parametrize("device", ["cuda", "cuda:7", "tpu", "meta"])
def test_a_device_this_machine_lacks_is_a_clear_error_before_any_data_is_read(tmp_path: Path, device: str) -> None:
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has that CUDA device")
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="--device") as info:
        pretrain(PretrainConfig(corpus=tmp_path / "no-corpus-here", out=tmp_path / "run", device=device))
    assert "cpu" in str(info.value)  # names the fix
    assert not (tmp_path / "run").exists()


def test_activity_positives_change_only_the_text_pairs_and_are_recorded(tmp_path: Path) -> None:
    """``--text-positives activity``: same init and batch, so the first step's non-text losses are the clip run's;
    the text pairs differ because the batch holds several clips of one activity (4 activities, 16 clips)."""
    from mujo_edge.cli.main import run
    from mujo_edge.corpus import CorpusConfig, build_corpus

    corpus = tmp_path / "corpus"
    build_corpus(corpus, CorpusConfig(sources=("procedural",), hours=0.03, seed=0,
                                      activities=("walking", "jogging", "sitting", "squats")), workers=1)
    logs = {}
    for mode in ("clip", "activity"):
        out = tmp_path / mode
        assert run(["pretrain", "--corpus", str(corpus), "--out", str(out), "--config", "tiny-hashtext",
                    "--max-steps", "1", "--batch-size", "16", "--log-every", "1", "--eval-every", "100",
                    "--no-progress", "--no-tensorboard", "--text-positives", mode]) == 0
        logs[mode] = _rows(out / "train.csv")[0]
        assert json.loads((out / "config.json").read_text())["pretrain"]["text_positives"] == mode
    for pair in PAIRS:
        same = logs["clip"][f"loss_{pair}"] == logs["activity"][f"loss_{pair}"]
        assert same == ("text" not in pair), pair
    with pytest.raises(UnknownNameError, match="activity, clip"):
        PretrainConfig(corpus=tmp_path, out=tmp_path / "x", text_positives="label")
