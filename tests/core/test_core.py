"""Error tree, registry, strict configs, checkpoints, metrics, the protocol CNN and training loop."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from mujo_edge.artifacts.checkpoint import load_checkpoint, save_checkpoint
from mujo_edge.config import from_dict, load_json, save_json
from mujo_edge.data import DEFAULT_SPEC, Normalization
from mujo_edge.errors import CheckpointError, ConfigError, MujoEdgeError, UnknownNameError
from mujo_edge.metrics import confusion_matrix, macro_f1
from mujo_edge.models import CLASSIFIERS, build_classifier, classifier_from_checkpoint
from mujo_edge.models.classifiers import count_parameters
from mujo_edge.registry import Registry
from mujo_edge.models.inference import predict_logits
from mujo_edge.train.supervised import SupervisedConfig, train_supervised


def test_every_error_is_a_mujo_edge_error():
    import mujo_edge.errors as e

    classes = [v for v in vars(e).values() if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == e.__name__]
    assert len(classes) >= 12 and all(issubclass(c, MujoEdgeError) for c in classes)


def test_registry_raises_with_valid_names():
    r: Registry[int] = Registry("widget")
    r.add("a", 1)
    r.add("b", 2)
    with pytest.raises(UnknownNameError, match="unknown widget 'c'; valid widgets: a, b"):
        r.get("c")
    with pytest.raises(ConfigError, match="twice"):
        r.add("a", 3)
    assert r.parse_list("b, a") == ["b", "a"] and r.parse_list("all") == ["a", "b"]
    with pytest.raises(UnknownNameError):
        r.parse_list("a,zz")


@dataclass(frozen=True)
class Inner:
    x: int = 1
    names: tuple[str, ...] = ("a",)


@dataclass(frozen=True)
class Outer:
    inner: Inner = Inner()
    rate: float = 50.0
    opt: int | None = None


def test_config_round_trip_is_strict(tmp_path):
    cfg = Outer(Inner(3, ("p", "q")), 25.0, 7)
    save_json(tmp_path / "c.json", cfg)
    assert from_dict(Outer, load_json(tmp_path / "c.json")) == cfg
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['y'\]"):
        from_dict(Outer, {"inner": {"y": 1}})
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="bad.json"):
        load_json(tmp_path / "bad.json")


def test_macro_f1_equals_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        y, p = rng.integers(0, 7, 200), rng.integers(0, 7, 200)
        right = rng.random(200) < 0.5  # half the predictions correct, the rest random
        p[right] = y[right]
        assert macro_f1(y, p, 7) == pytest.approx(f1_score(y, p, average="macro"))
    y, p = np.array([0, 0, 1, 1]), np.array([0, 0, 1, 0])
    assert macro_f1(y, p, 5) == pytest.approx(f1_score(y, p, average="macro"))  # absent classes ignored
    assert confusion_matrix(y, p, 2).tolist() == [[2, 0], [1, 1]]


def test_protocol_cnn_parameter_counts():
    assert count_parameters(build_classifier("cnn", in_channels=6, num_classes=6)) == 43846
    assert count_parameters(build_classifier("cnn", in_channels=6, num_classes=12)) == 44236
    with pytest.raises(ConfigError, match="depth"):
        build_classifier("cnn", depth=3)
    with pytest.raises(UnknownNameError, match="cnn"):
        build_classifier("resnet9000")
    assert "cnn" in CLASSIFIERS


def _toy(n: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.arange(64) / 50.0
    x = np.stack([np.sin(2 * np.pi * (1 + 2 * c) * t) for c in y])[:, :, None] + 0.3 * rng.normal(size=(n, 64, 1))
    return x.astype(np.float32), y


def test_supervised_loop_learns_and_restores_the_best_weights():
    torch.manual_seed(0)
    (xf, yf), (xv, yv), (xt, yt) = _toy(300, 0), _toy(90, 1), _toy(200, 2)
    model = build_classifier("cnn", in_channels=1, num_classes=3, width=16)
    seen = []
    res = train_supervised(model, xf, yf, xv, yv, 3, SupervisedConfig(max_steps=200), on_eval=seen.append)
    assert res.best_val_f1 > 0.9 and res.steps <= 225
    # the restored weights are the best validation ones
    best = max(seen, key=lambda r: (r["val_f1"], -r["val_loss"]))
    assert best["step"] == res.best_step
    assert macro_f1(yv, predict_logits(model, xv).argmax(1), 3) == pytest.approx(res.best_val_f1)
    assert macro_f1(yt, predict_logits(model, xt).argmax(1), 3) > 0.9
    assert all(b["step"] - a["step"] == 25 for a, b in zip(seen, seen[1:]))  # 5 steps/epoch -> every 25 steps


def test_checkpoint_round_trip_and_errors(tmp_path):
    model = build_classifier("cnn", in_channels=6, num_classes=4)
    spec = DEFAULT_SPEC.replace(normalization=Normalization("standard", (0.0,) * 6, (1.0,) * 6), placement="waist")
    path = save_checkpoint(tmp_path / "run", model, "classifier", "cnn", {"in_channels": 6, "num_classes": 4}, spec,
                           ("a", "b", "c", "d"), step=12, metrics={"f1": 0.5})
    ck = load_checkpoint(path, kinds="classifier")
    assert ck.spec == spec and ck.label_names == ("a", "b", "c", "d") and ck.step == 12
    again = classifier_from_checkpoint(ck)
    x = torch.randn(3, 128, 6)
    model.eval()
    torch.testing.assert_close(again(x), model(x))
    with pytest.raises(CheckpointError, match="kind 'classifier', expected one of mujo"):
        load_checkpoint(path, kinds=("mujo",))
    meta = json.loads((path / "checkpoint.json").read_text())
    meta["model"]["config"]["num_classes"] = 5
    (path / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="model.config.num_classes differs from the value saved inside"):
        load_checkpoint(path)
    # weights that do not fit the config they were saved with fail the strict load, naming the keys
    odd = save_checkpoint(tmp_path / "odd", model, "classifier", "cnn", {"in_channels": 6, "num_classes": 5}, spec,
                          ("a", "b", "c", "d", "e"))
    with pytest.raises(CheckpointError, match="shape mismatch"):
        classifier_from_checkpoint(load_checkpoint(odd))
    (path / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(path).state_dict()
    (path / "checkpoint.json").write_text("{broken")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="not a mujo-edge checkpoint"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize(("edit", "field"), [
    (lambda m: m["sensor_spec"].update(rate_hz=25.0), "sensor_spec.rate_hz"),
    (lambda m: m["sensor_spec"]["channels"].reverse(), "sensor_spec.channels[0]"),
    (lambda m: m["label_names"].reverse(), "label_names[0]"),
    (lambda m: m["extra"].update(channels_used=["acc_x"]), "channels_used"),
])
def test_edited_checkpoint_metadata_is_refused(tmp_path, edit, field):
    """A rate 50 -> 25 Hz or swapped channels / labels in checkpoint.json used to change predictions silently."""
    model = build_classifier("cnn", in_channels=6, num_classes=2)
    path = save_checkpoint(tmp_path / "run", model, "classifier", "cnn", {"in_channels": 6, "num_classes": 2},
                           DEFAULT_SPEC, ("sit", "walk"), extra={"channels_used": list(DEFAULT_SPEC.channels)})
    load_checkpoint(path)  # untouched: fine
    meta = json.loads((path / "checkpoint.json").read_text())
    edit(meta)
    (path / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=rf"{re.escape(field)} differs from the value saved inside model.safetensors"):
        load_checkpoint(path)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("format_version", "1", "format_version must be a positive integer, got '1'"),
    ("step", "12", "step must be a JSON int"),
    ("label_names", "sit,walk", "label_names must be a list of strings"),
    ("model", ["cnn"], "model must be a JSON dict"),
])
def test_checkpoint_fields_of_the_wrong_type_are_clear_errors(tmp_path, key, value, message):
    model = build_classifier("cnn", in_channels=6, num_classes=2)
    path = save_checkpoint(tmp_path / "run", model, "classifier", "cnn", {"in_channels": 6, "num_classes": 2},
                           DEFAULT_SPEC, ("sit", "walk"))
    meta = json.loads((path / "checkpoint.json").read_text())
    meta[key] = value
    (path / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=re.escape(message)):
        load_checkpoint(path)


def test_atomic_writes_respect_the_umask(tmp_path):
    """Files written atomically came out 0600 while plain writes were 0644."""
    import os

    from mujo_edge.provenance import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        (tmp_path / "b.json").write_text("{}")
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == (tmp_path / "b.json").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        atomic_write_text(tmp_path / "c.json", "{}")
        assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
