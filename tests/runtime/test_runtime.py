"""The runtime contract on the checkpoint backend: SI windows in, normalization inside, one preprocessing path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mujo_edge.artifacts.checkpoint import save_checkpoint
from mujo_edge.data.preprocess import resample, sliding_windows
from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
from mujo_edge.errors import CheckpointError, CorruptFileError, SpecMismatchError
from mujo_edge.models import build_classifier

LABELS = ("a", "b", "c")


def _checkpoint(path, kind="classifier", channels_used=None, label_names=LABELS, placement="wrist_left"):
    torch.manual_seed(0)
    model = build_classifier("dscnn_tiny", num_classes=3)
    rng = np.random.default_rng(0)
    x = rng.normal([0, 0, 9.8, 0, 0, 0], [2, 2, 2, 1, 1, 1], (64, 128, 6)).astype(np.float32)
    spec = DEFAULT_SPEC.replace(normalization=Normalization.fit(x), placement=placement)
    extra = {"channels_used": list(channels_used)} if channels_used else {}
    save_checkpoint(path, model, kind=kind, model_name="dscnn_tiny", model_config={"num_classes": 3}, spec=spec,
                    label_names=label_names, extra=extra)
    return model.eval(), spec


def test_load_checkpoint_contract(tmp_path):
    from mujo_edge.runtime import load

    model, spec = _checkpoint(tmp_path / "ck")
    clf = load(tmp_path / "ck")
    assert clf.backend == "torch" and clf.label_names == LABELS and clf.spec == spec
    x = np.random.default_rng(1).normal(0, 3, (5, 128, 6)).astype(np.float32)
    proba = clf.predict_proba(x)
    assert proba.shape == (5, 3) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    with torch.no_grad():  # normalization happens inside, with the stored spec
        expect = torch.softmax(model(torch.from_numpy(spec.normalize(x))), 1).numpy()
    np.testing.assert_allclose(proba, expect, atol=1e-6)
    assert np.array_equal(clf.predict(x), expect.argmax(1))
    assert load(tmp_path / "ck" / "checkpoint.json").backend == "torch"


def test_predict_recording_uses_the_shared_preprocessing(tmp_path):
    from mujo_edge.runtime import load

    _checkpoint(tmp_path / "ck")
    clf = load(tmp_path / "ck")
    rng = np.random.default_rng(2)
    t = np.arange(2000) / 100.0
    data = np.stack([np.sin(2 * np.pi * f * t) for f in (0.5, 1, 1.5, 2, 2.5, 3)], 1).astype(np.float32)
    data += rng.normal(0, 0.05, data.shape).astype(np.float32)
    res = clf.predict_recording(data, 100.0, DEFAULT_SPEC.channels)
    windows = sliding_windows(resample(data, 100.0, 50.0), 128, 64)  # what the one path must produce
    assert len(res) == len(windows) == 14
    np.testing.assert_allclose(res.proba, clf.predict_proba(windows), atol=1e-6)
    assert np.array_equal(res.starts, np.arange(14) * 64) and res.t_start_s[1] == pytest.approx(1.28)
    assert res.true is None and len(res.names) == 14 and res.confidence.shape == (14,)
    perm = [3, 0, 5, 1, 4, 2]  # any column order
    res2 = clf.predict_recording(data[:, perm], 100.0, [DEFAULT_SPEC.channels[i] for i in perm])
    np.testing.assert_allclose(res2.proba, res.proba, atol=1e-6)
    short = clf.predict_recording(data[:100], 100.0, DEFAULT_SPEC.channels)
    assert len(short) == 0 and short.proba.shape == (0, 3)


def test_missing_channels(tmp_path):
    from mujo_edge.runtime import load

    _checkpoint(tmp_path / "full")
    acc = ("acc_x", "acc_y", "acc_z")
    data = np.random.default_rng(0).normal(0, 1, (500, 3)).astype(np.float32)
    with pytest.raises(SpecMismatchError, match="lacks channel\\(s\\) gyro_x, gyro_y, gyro_z that the model uses"):
        load(tmp_path / "full").predict_recording(data, 50.0, acc)
    _checkpoint(tmp_path / "acc_only", channels_used=acc)  # a model trained on acc-only data (gyro zero-filled)
    assert len(load(tmp_path / "acc_only").predict_recording(data, 50.0, acc)) == 6


def test_bad_inputs(tmp_path):
    from mujo_edge.runtime import load

    _checkpoint(tmp_path / "ck")
    clf = load(tmp_path / "ck")
    with pytest.raises(SpecMismatchError, match=r"windows have shape \(2, 64, 6\)"):
        clf.predict_proba(np.zeros((2, 64, 6), np.float32))
    with pytest.raises(SpecMismatchError, match="NaN"):
        clf.predict_proba(np.full((1, 128, 6), np.nan, np.float32))
    with pytest.raises(SpecMismatchError, match="predict_recording needs rate_hz"):
        clf.predict_recording(np.zeros((300, 6), np.float32))


def test_wrong_kind_missing_labels_and_missing_path(tmp_path):
    from mujo_edge.runtime import load

    _checkpoint(tmp_path / "mujo", kind="mujo")
    with pytest.raises(CheckpointError, match="checkpoint kind 'mujo', expected one of classifier, student"):
        load(tmp_path / "mujo")
    _checkpoint(tmp_path / "nolabels", label_names=None)
    with pytest.raises(CheckpointError, match="without label names"):
        load(tmp_path / "nolabels")
    with pytest.raises(CorruptFileError, match="no such file or folder"):
        load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="checkpoint.json is missing"):
        load(tmp_path / "empty")


def test_resolve_placement():
    from mujo_edge.errors import ConfigError, UnknownNameError
    from mujo_edge.runtime.predict import resolve_placement

    sites = ("wrist_left", "wrist_right", "thigh_right")
    assert resolve_placement("wrist_right", "mmfit", sites) == "wrist_right"  # the model's, not the first
    assert resolve_placement("any", "mmfit", sites) == "wrist_left"  # a placement-agnostic model: the default
    assert resolve_placement("waist", "mmfit", sites, override="thigh_right") == "thigh_right"
    with pytest.raises(ConfigError, match="trained for placement 'waist', but dataset mmfit has only wrist_left, "
                                          "wrist_right, thigh_right; choose one explicitly \\(--placement NAME\\)"):
        resolve_placement("waist", "mmfit", sites)
    with pytest.raises(UnknownNameError, match="unknown placement of mmfit 'ankle'"):
        resolve_placement("waist", "mmfit", sites, override="ankle")


def _prepare_module():
    """The module whose ``prepare`` ``predict`` calls (``mujo_edge.runtime.predict`` imports it at module top)."""
    import importlib

    return importlib.import_module("mujo_edge.runtime.predict")


def _fake_prepare(calls):
    """A stand-in for ``prepare`` that records its ``placement`` and returns 6 random windows of classes a/b/c."""
    from mujo_edge.data.windows import WindowSet

    def prepare(name, spec, data_root=None, placement=None, **kw):  # noqa: ANN001, ANN003
        calls.append(placement)
        rng = np.random.default_rng(0)
        return WindowSet(dataset=name, spec=spec, class_names=LABELS, x=rng.normal(0, 1, (6, 128, 6)).astype(np.float32),
                         y=np.arange(6, dtype=np.int64) % 3, subjects=np.asarray(["1", "1", "1", "2", "2", "2"]),
                         recordings=np.zeros(6, np.int64), starts=np.arange(6, dtype=np.int64) * 64,
                         recording_names=("1/a",), channel_mask=np.ones(6, bool), placement=placement)

    return prepare


def test_predict_dataset_reads_the_models_placement(tmp_path, monkeypatch):
    """``dataset:NAME`` is classified from the sensor site the model was trained for (mmfit has three)."""
    from mujo_edge.errors import ConfigError
    from mujo_edge.runtime import load
    from mujo_edge.runtime.predict import predict_input

    calls = []
    monkeypatch.setattr(_prepare_module(), "prepare", _fake_prepare(calls))
    _checkpoint(tmp_path / "right", placement="wrist_right")
    with load(tmp_path / "right") as clf:
        rep = predict_input(clf, "dataset:mmfit")
    assert calls == ["wrist_right"] and rep.placement == "wrist_right" and rep.summary()["placement"] == "wrist_right"
    assert len(rep.rows) == 6 and rep.metrics["all"]["windows"] == 6

    _checkpoint(tmp_path / "waist", placement="waist")
    with load(tmp_path / "waist") as clf:
        with pytest.raises(ConfigError, match="dataset mmfit has only wrist_left, wrist_right, thigh_right"):
            predict_input(clf, "dataset:mmfit")
        assert calls == ["wrist_right"]  # nothing was prepared
        assert predict_input(clf, "dataset:mmfit", placement="thigh_right").placement == "thigh_right"
    assert calls[-1] == "thigh_right"


def test_predict_cli_placement_option(tmp_path, monkeypatch, capsys):
    from mujo_edge.cli.main import run

    calls = []
    monkeypatch.setattr(_prepare_module(), "prepare", _fake_prepare(calls))
    _checkpoint(tmp_path / "waist", placement="waist")
    assert run(["predict", "--model", str(tmp_path / "waist"), "--input", "dataset:mmfit"]) == 1
    assert "--placement NAME" in capsys.readouterr().err
    assert run(["predict", "--model", str(tmp_path / "waist"), "--input", "dataset:mmfit", "--placement",
                "wrist_left", "--show", "0"]) == 0
    assert "(wrist_left)" in capsys.readouterr().out and calls == ["wrist_left"]


def test_readme_example_predict_recording_on_a_raw_array(tmp_path):
    """``clf.predict_recording(samples, rate_hz=100)`` as the README shows it (it needed channels= before)."""
    from mujo_edge.data.synthetic import activity_recording
    from mujo_edge.runtime import load

    _checkpoint(tmp_path / "ck")
    rec = activity_recording(rate_hz=104.3)  # an odd device rate: resampled through the timing plan
    with load(tmp_path / "ck") as clf:
        res = clf.predict_recording(rec.data, rate_hz=104.3)
        assert res.proba.shape == (len(res), clf.num_classes) and len(res.names) == len(res) > 0
        np.testing.assert_allclose(res.proba.sum(axis=1), 1.0, rtol=1e-5)
        with pytest.raises(SpecMismatchError, match="needs rate_hz"):
            clf.predict_recording(rec.data)
