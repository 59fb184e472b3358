"""Corpus build → open: fields, shapes, splits, reproducibility, refusal to overwrite, bad input, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mujo_edge.corpus
from mujo_edge.activities import ACTIVITY_NAMES
from mujo_edge.cli.main import run
from mujo_edge.corpus import CorpusConfig, build_corpus
from mujo_edge.corpus.store import read_index
from mujo_edge.data.spec import IMU_CHANNELS
from mujo_edge.errors import ConfigError, CorruptFileError, DataError, DatasetNotFoundError, UnknownNameError
from mujo_edge.placements import PLACEMENTS

TINY = CorpusConfig(sources=("procedural",), hours=0.012, seed=3, shard_clips=4, procedural_subjects=6)  # 8 clips


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "tiny"
    build_corpus(out, TINY, workers=1)
    return out


def test_open_yields_clips_with_every_field_in_the_documented_shapes(tiny):
    ds = mujo_edge.corpus.open(tiny)
    assert len(ds) == TINY.n_clips == 8
    meta = ds.meta
    assert meta["activities"] == list(ACTIVITY_NAMES) and meta["channels"] == list(IMU_CHANNELS)
    assert meta["sites"] == list(PLACEMENTS) and meta["rate_hz"] == 50.0 and meta["clip_seconds"] == 5.12
    assert len(meta["shards"]) == 2 and meta["config"]["seed"] == 3
    for i in range(len(ds)):
        c = ds[i]
        assert c["pose"].shape == (256, 22, 3) and c["pose"].dtype == np.float32
        assert c["imu"].shape == (256, 19, 6) and c["imu"].dtype == np.float32
        assert c["video"].shape == (16, 64, 64) and c["video"].dtype == np.uint8
        assert c["imu_sites"] == PLACEMENTS
        assert len(c["texts"]) >= 3 and len(set(c["texts"])) == len(c["texts"])
        assert c["label"] in ACTIVITY_NAMES and ACTIVITY_NAMES[c["label_index"]] == c["label"]
        assert c["source"] == "procedural" and c["subject"].startswith("proc_") and c["clip_id"]
        assert np.isfinite(c["imu"]).all() and np.isfinite(c["pose"]).all()
        trunk = [PLACEMENTS.index(s) for s in ("chest", "waist", "lower_back")]
        acc = np.linalg.norm(c["imu"][:, trunk, :3], axis=-1)
        assert 7.0 < np.median(acc) < 14.0  # specific force at the trunk: gravity dominates on average
        assert np.abs(c["imu"][..., :3]).max() <= 8 * 9.80665 + 1e-3  # saturates at the ±8 g full scale
        if c["label"] not in ("stairs_down", "stairs_up"):  # stairs climb above / descend below the start floor
            assert c["pose"][..., 2].min() > -0.05  # nobody below the floor
    assert len({ds[i]["label"] for i in range(len(ds))}) == 8  # activities are balanced
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_splits_are_by_subject_disjoint_and_complete(tiny):
    train = mujo_edge.corpus.open(tiny, split="train")
    val = mujo_edge.corpus.open(tiny, split="val")
    assert len(train) + len(val) == 8 and len(val) > 0
    assert not set(train.subjects) & set(val.subjects)
    assert set(val.subjects) <= set(read_index(tiny)["split"]["val_subjects"])
    only_imu = mujo_edge.corpus.open(tiny, fields=("imu",))[0]
    assert "video" not in only_imu and only_imu["imu"].shape == (256, 19, 6)
    with pytest.raises(UnknownNameError, match="split"):
        mujo_edge.corpus.open(tiny, split="test")


def test_build_is_reproducible_and_independent_of_workers(tiny, tmp_path):
    other = tmp_path / "again"
    build_corpus(other, TINY, workers=2)
    a, b = mujo_edge.corpus.open(tiny), mujo_edge.corpus.open(other)
    for i in range(len(a)):
        x, y = a[i], b[i]
        for f in ("pose", "imu", "video"):
            assert np.array_equal(x[f], y[f]), f
        assert x["texts"] == y["texts"] and x["clip_id"] == y["clip_id"]
    changed = build_corpus(tmp_path / "seed4", CorpusConfig(**{**TINY.__dict__, "seed": 4}), workers=1)
    assert changed["clips"] == 8
    assert not np.array_equal(mujo_edge.corpus.open(tmp_path / "seed4")[0]["imu"], a[0]["imu"])


def test_refuses_to_overwrite_without_force(tiny, tmp_path):
    with pytest.raises(ConfigError, match="--force"):
        build_corpus(tiny, TINY)
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already holds files"):
        build_corpus(stray, TINY)
    small = CorpusConfig(**{**TINY.__dict__, "hours": 0.003})
    index = build_corpus(stray, small, force=True)
    assert index["clips"] == 2 and (stray / "notes.txt").exists()
    assert len(mujo_edge.corpus.open(stray)) == 2


def test_bad_names_and_missing_inputs_are_clear_errors(tmp_path):
    with pytest.raises(UnknownNameError, match="procedural"):
        CorpusConfig(sources=("mocap", "youtube"))
    with pytest.raises(UnknownNameError, match="squats"):
        CorpusConfig(activities=("squat",))
    with pytest.raises(ConfigError, match="hours"):
        CorpusConfig(hours=0)
    with pytest.raises(DatasetNotFoundError, match="mocap"):
        build_corpus(tmp_path / "c", CorpusConfig(sources=("mocap",), hours=0.01), data_root=tmp_path)
    assert not (tmp_path / "c").exists()  # nothing written when planning fails
    with pytest.raises(DataError, match="not a mujo-edge corpus"):
        mujo_edge.corpus.open(tmp_path)


def test_corrupt_bvh_in_the_mocap_zip_is_reported(tmp_path):
    import zipfile

    mocap = tmp_path / "mocap"
    mocap.mkdir()
    with zipfile.ZipFile(mocap / "cmu_bvh_subset.zip", "w") as z:
        z.writestr("cmu_bvh/01/01_01.bvh", "HIERARCHY\nROOT hip\n{\n OFFSET 0 0 0\n")
    (mocap / "manifest.csv").write_text(
        "file,subject,trial,trial_id,description,activity_label,frames,frame_time_s,frame_rate_hz,duration_s,bytes,sha256\n"
        "cmu_bvh/01/01_01.bvh,1,1,01_01,walk,walk,600,0.00833333,120.0,5.0,40,\n")
    with pytest.raises(CorruptFileError, match="01_01.bvh"):
        build_corpus(tmp_path / "c", CorpusConfig(sources=("mocap",), hours=0.003), data_root=tmp_path)
    # the same error, same class, when it happens in a worker process
    with pytest.raises(CorruptFileError, match="01_01.bvh: unexpected end"):
        build_corpus(tmp_path / "c2", CorpusConfig(sources=("mocap",), hours=0.006, shard_clips=1), workers=2,
                     data_root=tmp_path)
    # motion capture without the asked-for activity plans nothing: a clear error, nothing written
    for workers in (1, 2):
        with pytest.raises(ConfigError, match="plan is empty.*squats.*has walking.*procedural"):
            build_corpus(tmp_path / "c3", CorpusConfig(sources=("mocap",), activities=("squats",), hours=0.01),
                         workers=workers, data_root=tmp_path)
        assert not (tmp_path / "c3").exists()


def test_motion_capture_never_makes_up_most_of_an_activity(tmp_path):
    """Plans only (no BVH is read): twelve long walking and running trials would fill the 25 % motion-capture share
    alone; the per-activity cap keeps each of the two at most half motion capture, the rest procedural."""
    from collections import Counter

    from mujo_edge.corpus.synth import plan

    mocap = tmp_path / "mocap"
    mocap.mkdir()
    head = "file,subject,trial,trial_id,description,activity_label,frames,frame_time_s,frame_rate_hz,duration_s,bytes,sha256\n"
    rows = [f"cmu_bvh/{s:02d}/{s:02d}_0{k}.bvh,{s},{k},{s:02d}_0{k},{a},{a},7200,0.00833333,120.0,60.0,40,\n"
            for s in range(1, 7) for k, a in ((1, "walk"), (2, "run"))]
    (mocap / "manifest.csv").write_text(head + "".join(rows))
    (mocap / "cmu_bvh_subset.zip").write_bytes(b"")  # planning never opens it
    for share, most in ((0.5, 1.0), (0.25, 1 / 3)):
        jobs, _ = plan(CorpusConfig(hours=1.0, mocap_activity_share=share), data_root=tmp_path)
        n = Counter((j.activity, j.source) for j in jobs)
        assert len(jobs) == 703 and sum(v for (_, src), v in n.items() if src == "mocap") > 0
        for act in ("walking", "running"):
            assert 0 < n[act, "mocap"] <= most * n[act, "procedural"], (share, act, n[act, "mocap"], n[act, "procedural"])
    none, _ = plan(CorpusConfig(hours=0.2, mocap_activity_share=0.0), data_root=tmp_path)
    assert {j.source for j in none} == {"procedural"}
    only, _ = plan(CorpusConfig(sources=("mocap",), hours=0.2), data_root=tmp_path)  # no cap without procedural
    assert {j.source for j in only} == {"mocap"} and len(only) == 141
    with pytest.raises(ConfigError, match="mocap_activity_share"):
        CorpusConfig(mocap_activity_share=1.0)


def test_corrupt_shard_is_detected(tiny, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    np.save(copy / "shards" / "shard_00000" / "imu.npy", np.zeros((4, 10, 19, 6), np.float32))
    with pytest.raises(CorruptFileError, match="shape"):
        mujo_edge.corpus.open(copy)[0]


def test_cli_info_preview_and_force(tiny, tmp_path, capsys):
    assert run(["corpus", "info", str(tiny), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["clips"] == 8 and info["shapes"]["imu"] == [256, 19, 6] and len(info["sites"]) == 19
    assert sum(info["activities"].values()) == 8
    png = tmp_path / "preview.png"
    assert run(["corpus", "preview", str(tiny), "--out", str(png), "--clips", "2"]) == 0
    assert png.stat().st_size > 10_000
    assert run(["corpus", "build", "--out", str(tiny), "--sources", "procedural", "--hours", "0.003"]) == 1
    assert "--force" in capsys.readouterr().err
    assert run(["corpus", "build", "--out", str(tmp_path / "x"), "--sources", "imu-tube", "--hours", "0.003"]) == 1
    assert "valid corpus sources" in capsys.readouterr().err


def test_virtual_windows_go_through_the_sensor_spec(tiny, tmp_path):
    from mujo_edge.eval.realism import virtual_windows
    from mujo_edge.data import DEFAULT_SPEC
    from mujo_edge.sim.imu import IMUConfig

    train = mujo_edge.corpus.open(tiny, split="train")
    labels = sorted({train.clip_info(i)["label"] for i in range(len(train))})[:3]
    classes = {f"class_{k}": (a,) for k, a in enumerate(labels)}
    ws = virtual_windows(tiny, classes, "thigh_right", DEFAULT_SPEC, "train")
    assert ws.x.shape[1:] == (128, 6) and set(ws.y.tolist()) == {0, 1, 2} and ws.placement == "thigh_right"
    assert len(ws) == 3 * sum(train.clip_info(i)["label"] in labels for i in range(len(train)))  # 3 windows per clip
    waist_only = tmp_path / "waist"
    build_corpus(waist_only, CorpusConfig(**{**TINY.__dict__, "hours": 0.0015, "imu": IMUConfig(sites=("waist",))}))
    assert mujo_edge.corpus.open(waist_only)[0]["imu"].shape == (256, 1, 6)
    with pytest.raises(DataError, match="no sensor at 'thigh_right'"):
        virtual_windows(waist_only, classes, "thigh_right", DEFAULT_SPEC, "train")


def test_a_transition_clip_is_labelled_only_where_the_body_moves(tmp_path):
    """Sit-to-stand / stand-to-sit clips record where the movement lies (clip time); per-sample labels mark only that
    span, so windows cut from them follow the real datasets' purity rule instead of being half still posture."""
    from mujo_edge.corpus.store import clip_sample_labels
    from mujo_edge.data import DEFAULT_SPEC
    from mujo_edge.data.recording import NULL_LABEL
    from mujo_edge.eval.realism import virtual_windows

    cfg = CorpusConfig(sources=("procedural",), activities=("sit_to_stand", "stand_to_sit", "sitting"), hours=0.012,
                       seed=4, shard_clips=4, procedural_subjects=6)
    out = tmp_path / "transitions"
    build_corpus(out, cfg, workers=1)
    ds = mujo_edge.corpus.open(out)
    rate, n = cfg.rate_hz, cfg.samples
    t = np.arange(n) / rate
    expected_windows = {"sit_to_stand": 0, "stand_to_sit": 0, "sitting": 0}
    seen = set()
    for i in range(len(ds)):
        info = ds.clip_info(i)
        labels = clip_sample_labels(info, n, rate, 7)
        starts = range(0, n - DEFAULT_SPEC.window + 1, DEFAULT_SPEC.hop)
        pure = sum(np.mean(labels[s:s + DEFAULT_SPEC.window] == 7) >= DEFAULT_SPEC.purity for s in starts)
        if info["label"] == "sitting":
            assert (labels == 7).all() and "transition_start_s" not in info["params"]
            expected_windows["sitting"] += pure
            continue
        seen.add(info["label"])
        start, dur = info["params"]["transition_start_s"], info["params"]["transition_s"]
        assert 0.0 <= start and start + dur <= cfg.clip_seconds  # clip time, inside the clip
        span = (t >= start) & (t <= start + dur)
        np.testing.assert_array_equal(labels == 7, span)
        assert (labels[~span] == NULL_LABEL).all()
        z = ds[i]["pose"][:, 0, 2]  # pelvis height, m
        assert np.ptp(z[span]) > 0.15  # the body rises or sits down inside the span ...
        assert np.ptp(z[t < start]) < 0.01 and np.ptp(z[t > start + dur]) < 0.01  # ... and is still outside it
        expected_windows[info["label"]] += pure
    assert seen == {"sit_to_stand", "stand_to_sit"}
    classes = {"sit_to_stand": ("sit_to_stand",), "stand_to_sit": ("stand_to_sit",), "sitting": ("sitting",)}
    ws = {split: virtual_windows(out, classes, "waist", DEFAULT_SPEC, split) for split in ("train", "val")}
    counts = {c: sum(int((w.y == k).sum()) for w in ws.values()) for k, c in enumerate(classes)}
    assert counts == expected_windows and counts["sitting"] > 0
