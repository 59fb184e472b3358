"""``mujo-edge predict`` on a user's files: many inputs and folders with one model load, the user's own format,
gaps, short recordings, labels matched by name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from own_data import write_watch_csv  # noqa: E402

from mujo_edge.cli.main import run  # noqa: E402
from mujo_edge.data.csvio import write_recording_csv  # noqa: E402
from mujo_edge.data.import_run import import_dataset  # noqa: E402
from mujo_edge.data.importer import ImportConfig  # noqa: E402
from mujo_edge.data.synthetic import SYNTHETIC_CLASSES, synthetic_recording  # noqa: E402
from mujo_edge.errors import DataError  # noqa: E402
from mujo_edge.quickstart.live import train_fallback_model  # noqa: E402
from mujo_edge.runtime import load  # noqa: E402
from mujo_edge.runtime.predict import predict_inputs  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A small CNN on the synthetic rest / walk / run signal."""
    return train_fallback_model(tmp_path_factory.mktemp("m") / "cnn", max_steps=40)


def test_a_folder_and_files_in_one_call_with_per_input_and_overall_metrics(model, tmp_path, capsys):
    folder = tmp_path / "recs"
    for s in range(3):
        rec = synthetic_recording(40.0, seed=200 + s, subject=f"p{s}")
        write_recording_csv(rec, folder / f"p{s}.csv", SYNTHETIC_CLASSES)  # read back sorted: rest, run, walk
    assert run(["predict", "--model", str(model), "--input", str(folder), "--input", str(folder / "p0.csv"),
                "--out", str(tmp_path / "out"), "--show", "0"]) == 0
    text = capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary["inputs"]) == 3  # p0.csv twice is one input
    for name, info in summary["inputs"].items():
        assert info["windows"] > 20 and info["metrics"]["all"]["windows"] > 0, name
        assert f"{name}: {info['windows']} windows, macro F1" in text
    assert summary["windows"] == sum(i["windows"] for i in summary["inputs"].values()) + summary["inputs"][
        str(folder / "p0.csv")]["windows"]
    assert summary["metrics"]["all"]["macro_f1"] > 0.5 and (tmp_path / "out" / "confusion.png").exists()


def test_a_recording_shorter_than_one_window_is_an_error_not_zero_windows(model, tmp_path):
    short = write_recording_csv(synthetic_recording(2.0), tmp_path / "short.csv", SYNTHETIC_CLASSES)
    with load(model) as clf:
        with pytest.raises(DataError, match=r"2\.00 s of data .* shorter than one window of the model \(128 samples = "
                                            r"2\.56 s at 50 Hz\)"):
            predict_inputs(clf, [str(short)])


def test_gaps_split_a_recording_and_labels_are_matched_by_name(model, tmp_path):
    rec = synthetic_recording(30.0)
    t = np.arange(rec.n_samples) / rec.rate_hz
    rec.timestamps = np.where(t > 15.0, t + 12.0, t)  # a 12 s hole in the middle
    path = write_recording_csv(rec, tmp_path / "gap.csv", SYNTHETIC_CLASSES)
    with load(model) as clf:
        rep = predict_inputs(clf, [str(path)], max_gap_s=1.0)
    info = rep.inputs[str(path)]
    assert [p["part"] for p in info["parts"]] == ["seed0#1", "seed0#2"] and "split at 1 gap" in info["notes"][0]
    starts = [r["t_start_s"] for r in rep.rows]
    assert max(np.diff(starts)) > 12.0  # the second part starts after the hole, not glued to the first


def test_your_own_files_are_read_the_way_their_dataset_was_imported(model, tmp_path, monkeypatch):
    """``--like NAME``: raw device files (ns stamps, g, deg/s, device column names) predicted directly."""
    monkeypatch.setenv("MUJO_EDGE_HOME", str(tmp_path / "home"))
    plan = [("sitting", 20.0), ("walking", 20.0), ("running", 20.0)]
    raw = [write_watch_csv(tmp_path / "raw" / f"subject_{s}.csv", plan, seed=s) for s in (1, 2)]
    import_dataset(raw[:1], ImportConfig(name="watchlike", acc_unit="g", gyro_unit="deg/s"))
    with load(model) as clf:
        rep = predict_inputs(clf, [str(raw[1])], like="watchlike")
    assert len(rep.pred) > 20 and rep.inputs[str(raw[1])]["notes"]  # its labels are not the model's: noted
    assert "not among the model's classes" in rep.inputs[str(raw[1])]["notes"][0]
