"""Unlabelled real pools, the self-supervised objectives and the leave-one-dataset-out rule of pretraining."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mujo_edge.data.datasets import DATASETS, get_dataset
from mujo_edge.data.pools import Pool, load_pool, pool_from_recordings, resolve_pools
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import DEFAULT_SPEC, IMU_CHANNELS, Normalization
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.models import create_model
from mujo_edge.train import recipes
from mujo_edge.train.pool_batches import PoolAugment, PoolBatchMaker, PoolSampler
from mujo_edge.train.pretrain import PretrainConfig, pretrain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synth_datasets import write_hmp, write_motionsense  # noqa: E402


class ExplodingLabels(np.ndarray):
    """Per-sample labels that raise on any read: proof that a code path never looks at labels."""

    def __array_finalize__(self, obj: object) -> None:  # views and copies explode as well
        pass

    def __getitem__(self, item: object) -> None:
        raise AssertionError("labels were read")

    def __array__(self, *args: object, **kw: object) -> None:
        raise AssertionError("labels were read")

    def __len__(self) -> int:
        raise AssertionError("labels were read")


def _recording(kind: str, n: int, seed: int, rate: float = 50.0, gyro: bool = True) -> Recording:
    """A toy recording: rest, a 2 Hz sway or 1.7 Hz steps (sharp impacts, slow decay: not time-symmetric),
    gravity on a random axis."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    acc = np.tile(rng.normal(size=3), (n, 1))
    acc = 9.81 * acc / np.linalg.norm(acc[0])
    gyr = np.zeros((n, 3))
    if kind == "sway":
        acc[:, 0] += 3 * np.sin(2 * np.pi * 2 * t)
        gyr[:, 1] = 2 * np.cos(2 * np.pi * 2 * t)
    elif kind == "steps":
        phase = np.mod(1.7 * t + 0.1 * seed, 1.0)
        acc[:, 2] += 12 * np.exp(-phase / 0.08)
        gyr[:, 0] = 3 * np.exp(-phase / 0.15)
    data = np.hstack([acc, gyr]) + rng.normal(0, 0.05, (n, 6))
    channels = IMU_CHANNELS if gyro else IMU_CHANNELS[:3]
    rec = Recording("toy", str(seed % 4), f"r{seed}", rate, channels, data[:, :len(channels)], np.zeros(n, np.int16),
                    "wrist_right")
    rec.labels = np.zeros(n, np.int16).view(ExplodingLabels)  # pools must never look at them
    return rec


def _toy_pool(name: str = "toy", gyro: bool = True, n_rec: int = 12) -> Pool:
    recs = [_recording(("rest", "sway", "steps")[i % 3], 400, i, gyro=gyro) for i in range(n_rec)]
    return pool_from_recordings(recs, DEFAULT_SPEC, name, "wrist_right")


def test_a_pool_never_reads_labels_and_keeps_every_sample() -> None:
    recs = [_recording("sway", 300, 1), _recording("rest", 200, 2), _recording("steps", 80, 3)]  # the last is too short
    pool = pool_from_recordings(recs, DEFAULT_SPEC, "toy", "wrist_right")
    assert pool.n_samples == 500 and pool.bounds.tolist() == [[0, 300], [300, 500]]
    assert pool.channel_mask.all() and pool.signal.dtype == np.float32
    first, count = pool.crop_starts(128)
    assert first.tolist() == [0, 300] and count.tolist() == [173, 73]
    np.testing.assert_allclose(pool.signal[:300], recs[0].data, atol=1e-6)
    acc_only = pool_from_recordings([_recording("sway", 300, 4, gyro=False)], DEFAULT_SPEC, "toy", "wrist_right")
    assert acc_only.channel_mask.tolist() == [True, True, True, False, False, False]
    assert not acc_only.signal[:, 3:].any()


def test_pool_at_another_rate_is_resampled_and_cached(tmp_path: Path) -> None:
    root = write_hmp(tmp_path / "data")
    pool = load_pool("hmp", DEFAULT_SPEC, root, cache_root=tmp_path / "cache", verify=False)
    assert pool.rate_hz == 50.0 and pool.placement == "wrist_right" and not pool.channel_mask[3:].any()
    again = load_pool("hmp", DEFAULT_SPEC, root, cache_root=tmp_path / "cache", verify=False)
    np.testing.assert_array_equal(again.signal, pool.signal)
    assert resolve_pools(("all",), ("hmp",)) == ("motionsense", "usc_had", "uci_hapt", "wisdm2019_watch6")
    with pytest.raises(UnknownNameError, match="motionsense"):
        resolve_pools(("motion_sense",))


def _ssl_model(objective: str) -> torch.nn.Module:
    return create_model("tiny", modalities=["imu"], imu={"widths": [16, 32]}, ssl={"objective": objective, "hidden": 32,
                                                                                      "proj_dim": 16})


@pytest.mark.parametrize("objective", ["contrastive", "masked", "transform"])
def test_each_ssl_objective_learns_on_a_toy_pool_without_labels(objective: str) -> None:
    torch.manual_seed(0)
    # transformation recognition needs time-asymmetric motion (a reversed sinusoid is a sinusoid): steps only
    pool = (_toy_pool() if objective != "transform" else
            pool_from_recordings([_recording("steps", 400, i) for i in range(8)], DEFAULT_SPEC, "toy", "wrist_right"))
    spec = DEFAULT_SPEC.replace(normalization=Normalization.fit(pool.signal[None]))
    model = _ssl_model(objective)
    aug = PoolAugment(rotation_deg=0.0, noise_acc=0.0) if objective == "transform" else PoolAugment()
    maker = PoolBatchMaker(PoolSampler([pool], 180), spec, model.ssl_cfg, batch_size=32, seed=0, augment=aug)
    assert "ssl_imu" in maker(0) and not any("label" in k for k in maker(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(120 if objective == "transform" else 80):
        batch = maker(step)
        out = model(batch)["ssl"]
        loss, _ = model.ssl_loss(out, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-10:]) < 0.9 * np.mean(losses[:5]), losses
    # a batch is a pure function of the step
    a, b = maker(7), maker(7)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_contrastive_views_and_masks_have_the_documented_shapes() -> None:
    pool = _toy_pool(gyro=False)
    spec = DEFAULT_SPEC.replace(normalization=Normalization.fit(pool.signal[None], pool.channel_mask))
    for objective, rows in (("contrastive", 16), ("masked", 8), ("transform", 8)):
        model = _ssl_model(objective)
        batch = PoolBatchMaker(PoolSampler([pool], 180), spec, model.ssl_cfg, batch_size=8)(3)
        assert batch["ssl_imu"].shape == (rows, 128, 6) and batch["ssl_site"].shape == (rows,)
        assert not batch["ssl_channel_mask"][:, 3:].any() and not batch["ssl_imu"][..., 3:].any()  # acc-only pool
        if objective == "masked":
            hidden = batch["ssl_mask"][..., 0]
            assert 0.1 < float(hidden.float().mean()) < 0.3 and not batch["ssl_mask"][..., 3:].any()
            assert (batch["ssl_imu"][hidden] == 0).all()
        if objective == "transform":
            assert batch["ssl_target"].shape == (8, 3) and set(batch["ssl_target"].unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ConfigError, match="too short"):
        PoolBatchMaker(PoolSampler([pool], 130), spec, _ssl_model("contrastive").ssl_cfg, batch_size=8)


@pytest.fixture
def two_datasets(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    write_motionsense(root, n=400)
    write_hmp(root, n=400)
    return root


def _boom(*args: object, **kw: object) -> None:
    raise AssertionError("the loader of an excluded dataset was called")


def test_leave_one_dataset_out_never_calls_the_excluded_loader(two_datasets: Path, tiny_corpus: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DATASETS._items, "hmp", dataclasses.replace(get_dataset("hmp"), loader=_boom))
    loaded: list[str] = []
    real_load_pool = recipes.load_pool

    def spy(name: str, *args: object, **kw: object) -> Pool:
        loaded.append(name)
        return real_load_pool(name, *args, **{**kw, "verify": False})

    monkeypatch.setattr(recipes, "load_pool", spy)
    common = dict(corpus=tiny_corpus, recipe="simclr", pools=("motionsense", "hmp"), data_dir=two_datasets,
                  max_steps=3, batch_size=8, log_every=1, eval_every=100, save_every=100, tensorboard=False,
                  overrides={"imu.widths": [16, 32]})
    res = pretrain(PretrainConfig(out=tmp_path / "lodo", exclude_datasets=("hmp",), **common))
    assert res.step == 3 and loaded == ["motionsense"]
    extra = json.loads((tmp_path / "lodo" / "checkpoint.json").read_text())["extra"]
    assert extra["real_data"]["pools"] == ["motionsense"] and extra["real_data"]["excluded"] == ["hmp"]
    assert extra["real_data"]["labels_read"] is False and "hmp" not in extra["real_data"]["ssl_sources"]
    assert recipes.seen_datasets(extra) == ("motionsense",)
    # without the exclusion the (sabotaged) loader is reached: the exclusion above is what kept it away
    with pytest.raises(AssertionError, match="excluded dataset was called"):
        pretrain(PretrainConfig(out=tmp_path / "all", **common))


def test_mujo_recipe_adds_the_ssl_loss_on_pools_and_logs_it(two_datasets: Path, tiny_corpus: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real_load_pool = recipes.load_pool
    monkeypatch.setattr(recipes, "load_pool", lambda *a, **kw: real_load_pool(*a, **{**kw, "verify": False}))
    out = tmp_path / "mujo"
    pretrain(PretrainConfig(corpus=tiny_corpus, out=out, model="tiny-hashtext", pools=("hmp",), data_dir=two_datasets,
                            max_steps=2, batch_size=8, log_every=1, eval_every=100, save_every=100, tensorboard=False))
    row = (out / "train.csv").read_text().splitlines()
    header = row[0].split(",")
    assert "loss_ssl" in header and "loss_imu-text" in header
    cfg = json.loads((out / "checkpoint.json").read_text())
    assert cfg["model"]["config"]["ssl"]["objective"] == "contrastive"
    assert cfg["extra"]["real_data"]["pools"] == ["hmp"] and cfg["extra"]["recipe"] == "mujo"
    assert cfg["extra"]["real_data"]["ssl_sources"] == ["hmp"]  # mujo's default: the corpus IMU is not an SSL source
    with pytest.raises(ConfigError, match="recipe"):
        PretrainConfig(corpus=tiny_corpus, out=out, recipe="byol")
    with pytest.raises(ConfigError, match="pass --pools.*drop --no-ssl-corpus-imu"):
        PretrainConfig(corpus=tiny_corpus, out=out, recipe="simclr", ssl_corpus_imu=False)


def test_mujo_with_ssl_corpus_imu_crops_the_corpus_imu_for_its_ssl_loss(tiny_corpus: Path, tmp_path: Path) -> None:
    """``--ssl-corpus-imu``: MuJo = the SimCLR baseline's SSL sources + the pairwise losses (no pools needed)."""
    from mujo_edge.cli.main import run

    out = tmp_path / "mujo_corpus_ssl"
    assert run(["pretrain", "--corpus", str(tiny_corpus), "--out", str(out), "--config", "tiny-hashtext",
                "--ssl-corpus-imu", "--max-steps", "2", "--batch-size", "8", "--log-every", "1", "--eval-every", "100",
                "--save-every", "100", "--no-tensorboard", "--no-progress"]) == 0
    assert json.loads((out / "config.json").read_text())["pretrain"]["ssl_corpus_imu"] is True
    header = (out / "train.csv").read_text().splitlines()[0].split(",")
    assert "loss_ssl" in header and "loss_imu-text" in header
    ck = json.loads((out / "checkpoint.json").read_text())
    assert ck["model"]["config"]["ssl"]["objective"] == "contrastive"
    assert ck["extra"]["real_data"]["ssl_sources"] == ["corpus"] and ck["extra"]["real_data"]["pools"] == []


class _CorpusIMU:
    """The part of a ClipTable the SSL sampler reads: ``imu (N, T, S, 6)``, ``sites`` and ``len``."""

    def __init__(self, sites: tuple[str, ...], n: int = 6, t: int = 200) -> None:
        self.sites = sites
        self.imu = np.random.default_rng(3).normal(size=(n, t, len(sites), 6))

    def __len__(self) -> int:
        return self.imu.shape[0]


def test_ssl_corpus_crops_come_only_from_the_sites_given() -> None:
    """``pretrain --sites`` applies to the corpus IMU crops of the SSL objective too (the baselines' corpus source)."""
    from mujo_edge.placements import PLACEMENTS

    corpus = _CorpusIMU(("head", "waist", "wrist_left", "ankle_right"))
    _, site, _ = PoolSampler([], 128, corpus).draw(np.random.default_rng(0), 400)  # type: ignore[arg-type]
    assert set(site.tolist()) == {PLACEMENTS.index(s) for s in corpus.sites}
    x, site, _ = PoolSampler([], 128, corpus, sites=("waist", "wrist_left")).draw(  # type: ignore[arg-type]
        np.random.default_rng(0), 400)
    assert set(site.tolist()) == {PLACEMENTS.index("waist"), PLACEMENTS.index("wrist_left")}
    for r in range(0, 400, 40):  # every crop is a window of its own site's column
        col = corpus.sites.index(PLACEMENTS[site[r]])
        windows = np.lib.stride_tricks.sliding_window_view(corpus.imu[:, :, col], 128, axis=1)  # (N, T-127, 6, 128)
        assert np.any(np.all(np.isclose(windows, x[r].T[None, None]), axis=(2, 3)))
    with pytest.raises(ConfigError, match="shin_left.*corpus sites: head"):
        PoolSampler([], 128, corpus, sites=("shin_left",))  # type: ignore[arg-type]


def test_pretrain_sites_wearable_names_the_eleven_sites(tiny_corpus: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    """``--sites wearable`` (the packaged default's site set) is saved as its 11 sites; an unknown name is refused
    with the valid ones."""
    from mujo_edge.cli.main import run
    from mujo_edge.placements import WEARABLE_SITES, expand_sites

    out = tmp_path / "wearable"
    assert run(["pretrain", "--corpus", str(tiny_corpus), "--out", str(out), "--config", "tiny-hashtext",
                "--sites", "wearable", "--max-steps", "1", "--batch-size", "8", "--eval-every", "100",
                "--save-every", "100", "--no-tensorboard", "--no-progress"]) == 0
    assert tuple(json.loads((out / "config.json").read_text())["pretrain"]["sites"]) == WEARABLE_SITES
    assert len(WEARABLE_SITES) == 11 and "head" not in WEARABLE_SITES and "ankle_left" not in WEARABLE_SITES
    assert expand_sites("wrist_left, wearable,head") == ("wrist_left", *[s for s in WEARABLE_SITES if s != "wrist_left"],
                                                         "head")
    with pytest.raises(ConfigError, match="name no site"):
        expand_sites(" , ")
    capsys.readouterr()
    assert run(["pretrain", "--corpus", str(tiny_corpus), "--out", str(tmp_path / "bad"), "--sites", "wrist,waist",
                "--max-steps", "1"]) == 1
    err = capsys.readouterr().err
    assert "unknown site 'wrist'" in err and "wrist_left" in err and "wearable" in err
