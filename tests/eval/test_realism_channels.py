"""``corpus realism --channels``: one sensor scored alone, the other's channels zeroed on both sides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mujo_edge.eval.realism as realism_mod
from mujo_edge.corpus import CorpusConfig, build_corpus
from mujo_edge.errors import DataError, UnknownNameError

ACTS = ("walking", "jogging", "standing", "sitting", "stairs_up", "stairs_down")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("realism") / "c"
    build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.04, seed=5, activities=ACTS,
                                   procedural_subjects=12), workers=1)
    return out


@pytest.mark.realdata
@pytest.mark.parametrize(("channels", "kept"), [("acc", slice(0, 3)), ("gyro", slice(3, 6))])
def test_one_sensor_alone_zeroes_the_other_in_virtual_and_real_windows(corpus: Path, channels: str, kept: slice,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, np.ndarray] = {}
    train, predict = realism_mod.train_supervised, realism_mod.predict_logits

    def spy_train(model, x, y, xv, yv, n, cfg):  # noqa: ANN001, ANN202 - same signature as train_supervised
        seen["train"] = np.asarray(x)
        return train(model, x, y, xv, yv, n, cfg)

    def spy_predict(model, x):  # noqa: ANN001, ANN202
        seen["test"] = np.asarray(x)
        return predict(model, x)

    monkeypatch.setattr(realism_mod, "train_supervised", spy_train)
    monkeypatch.setattr(realism_mod, "predict_logits", spy_predict)
    r = realism_mod.realism_one(corpus, "motionsense", channels=channels)
    other = np.ones(6, bool)
    other[kept] = False
    for side in ("train", "test"):
        x = seen[side]
        assert np.ptp(x[:, :, other]) == 0.0, side  # the other sensor carries nothing
        assert x[:, :, kept].std() > 0.1, side  # this one does
    assert r["channels"] == channels and 0.0 <= r["macro_f1"] <= 1.0
    assert np.asarray(r["confusion"]).sum() == r["real_windows"]


@pytest.mark.realdata
def test_unknown_channel_sets_and_a_missing_sensor_are_clear_errors(corpus: Path) -> None:
    with pytest.raises(UnknownNameError, match="acc"):
        realism_mod.realism_one(corpus, "motionsense", channels="magnetometer")
    with pytest.raises(DataError, match="hmp has no gyro channels"):  # HMP records the accelerometer only
        realism_mod.realism_one(corpus, "hmp", channels="gyro")
