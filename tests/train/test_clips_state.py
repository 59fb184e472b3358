"""Pretraining batches (deterministic per step, augmentation, masks) and resumable state files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.models.encoders.imu import UNKNOWN_SITE
from mujo_edge.placements import PLACEMENTS
from mujo_edge.train.clips import AugmentConfig, BatchMaker, ClipTable, fit_imu_normalization, random_rotations
from mujo_edge.train.logs import CsvLog, read_csv
from mujo_edge.train.pretrain import PretrainConfig, lr_factor
from mujo_edge.train.state import optimizer_from_tensors, optimizer_to_tensors


class _Split:
    """A corpus split in the ``mujo_edge.corpus.open`` clip contract (dict clips), built in memory."""

    def __init__(self, n: int, sites=PLACEMENTS, t: int = 256, joints: int = 22, video: bool = True) -> None:
        rng = np.random.default_rng(n)
        self.meta = {"rate_hz": 50.0}
        self.clips = [{
            "imu": rng.normal(0, 1, (t, len(sites), 6)).astype(np.float32), "imu_sites": list(sites),
            "pose": rng.normal(0, 0.3, (t, joints, 3)).astype(np.float32) if i % 4 else None,
            "video": rng.integers(0, 255, (16, 64, 64), dtype=np.uint8) if video else None,
            "texts": [f"activity {i % 3}", f"doing activity {i % 3} fast"] if i % 5 else [],
            "label": f"a{i % 3}", "clip_id": f"c{i}"} for i in range(n)]

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> dict:
        return self.clips[i]


def _maker(n: int = 12, **kw) -> BatchMaker:
    table = ClipTable.from_corpus(_Split(n), 50.0)
    table.text = torch.randn(len(table.captions), 8, generator=torch.Generator().manual_seed(0))
    spec = DEFAULT_SPEC.replace(normalization=fit_imu_normalization(table))
    return BatchMaker(table, spec, kw.pop("batch_size", 4), **kw)


def test_batches_are_a_pure_function_of_the_step() -> None:
    a, b = _maker(), _maker()
    for step in (0, 5, 2, 5):
        ba, bb = a(step), b(step)
        assert set(ba) == {"imu", "site", "channel_mask", "has_imu", "pose", "has_pose", "video", "has_video", "text", "has_text",
                           "group"}
        for k in ba:
            assert torch.equal(ba[k], bb[k]), k
    assert not torch.equal(a(0)["imu"], a(1)["imu"])
    x = a(3)
    assert x["imu"].shape == (4, 128, 6) and x["pose"].shape == (4, 128, 22, 3) and x["video"].shape == (4, 16, 64, 64)
    assert x["video"].dtype == torch.uint8 and x["site"].dtype == torch.long


def test_epochs_cover_every_clip_once_and_ranks_split_the_batch() -> None:
    m = _maker(12, batch_size=4)
    assert m.steps_per_epoch == 3
    seen = np.concatenate([m.indices(s)[0] for s in range(3)])
    assert sorted(seen) == list(range(12))
    r0, r1 = _maker(12, batch_size=2, rank=0, world=2), _maker(12, batch_size=2, rank=1, world=2)
    both = np.concatenate([r0.indices(0)[0], r1.indices(0)[0]])
    assert sorted(both) == sorted(m.indices(0)[0])


def test_augmentation_masks_and_missing_modalities() -> None:
    m = _maker(40, batch_size=40, augment=AugmentConfig(gyro_drop=0.5, site_drop=0.5))
    x = m(0)
    dropped = ~x["channel_mask"][:, 3]
    assert 0 < int(dropped.sum()) < 40
    assert torch.all(x["imu"][dropped][..., 3:] == 0) and torch.all(x["channel_mask"][:, :3])
    assert 0 < int((x["site"] == UNKNOWN_SITE).sum()) < 40
    idx, _ = m.indices(0)
    assert torch.equal(x["has_pose"], torch.from_numpy(idx % 4 != 0))
    assert torch.equal(x["has_text"], torch.from_numpy(idx % 5 != 0))
    rot = random_rotations(np.random.default_rng(0), 16, 180.0)
    assert np.allclose(rot @ rot.transpose(0, 2, 1), np.eye(3), atol=1e-9) and np.allclose(np.linalg.det(rot), 1)
    val = _maker(12, batch_size=5, train=False)
    assert val.steps_per_epoch == 3 and len(val.indices(2)[0]) == 2  # no clip dropped in validation


def test_bad_corpora_raise() -> None:
    with pytest.raises(ConfigError, match="not in the corpus"):
        _maker(sites=("left_pocket",))
    with pytest.raises(ConfigError, match="larger than"):
        _maker(4, batch_size=8)
    from mujo_edge.errors import SpecMismatchError, UnknownNameError

    s = _Split(3)
    s.meta["rate_hz"] = 100.0
    with pytest.raises(SpecMismatchError, match="100"):
        ClipTable.from_corpus(s, 50.0)
    with pytest.raises(UnknownNameError):
        ClipTable.from_corpus(_Split(3, sites=("pocket",) * 19), 50.0)
    s = _Split(3)
    s.clips[1]["imu"] = s.clips[1]["imu"][:, :5]
    with pytest.raises(DataError, match="differs"):
        ClipTable.from_corpus(s, 50.0)


def test_schedule_and_optimizer_state_round_trip() -> None:
    cfg = PretrainConfig(max_steps=100, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_factor(0, cfg) == pytest.approx(0.1) and lr_factor(9, cfg) == pytest.approx(1.0)
    assert lr_factor(100, cfg) == pytest.approx(0.1) and lr_factor(55, cfg) == pytest.approx(0.55)
    with pytest.raises(ConfigError, match="precision"):
        PretrainConfig(precision="fp8")
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=0.1)
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors, meta = optimizer_to_tensors(opt)
    import json

    meta = json.loads(json.dumps(meta))  # must survive JSON
    opt2 = torch.optim.AdamW(torch.nn.Linear(3, 2).parameters(), lr=0.5)
    optimizer_from_tensors(opt2, tensors, meta)
    for k, v in opt.state_dict()["state"][0].items():
        assert torch.equal(v, opt2.state_dict()["state"][0][k])
    assert opt2.param_groups[0]["lr"] == 0.1


def test_csv_log_truncates_rows_after_the_resumed_step(tmp_path) -> None:
    log = CsvLog(tmp_path / "t.csv", ["step", "loss"])
    for s in (10, 20, 30):
        log.write({"step": s, "loss": 1.0 / s})
    CsvLog(tmp_path / "t.csv", ["step", "loss"]).truncate_after(20)
    assert [r["step"] for r in read_csv(tmp_path / "t.csv")] == [10, 20]


def test_each_clip_carries_its_activity_id_and_an_unlabelled_clip_its_own() -> None:
    split = _Split(12)
    split.clips[7]["label"] = split.clips[9]["label"] = ""
    table = ClipTable.from_corpus(split, 50.0)
    m = BatchMaker(table, DEFAULT_SPEC.replace(normalization=fit_imu_normalization(table)), 12)
    idx, _ = m.indices(0)
    groups = m(0)["group"].numpy()
    assert groups.dtype == np.int64
    for a in range(12):
        for b in range(12):
            la, lb = table.labels[idx[a]], table.labels[idx[b]]
            assert (groups[a] == groups[b]) == (a == b or (la == lb and la != "")), (la, lb)
