"""Data references (what distill, predict, live and the simulated watch read): synthetic signal, recording CSVs,
one recording of a real dataset, and the errors that name the valid forms."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.data.csvio import write_recording_csv
from mujo_edge.data.refs import RECORDING_KINDS, WINDOW_KINDS, DataRef, parse_ref
from mujo_edge.data.refs import load_recording as load_source
from mujo_edge.data.synthetic import SYNTHETIC_CLASSES, synthetic_recording
from mujo_edge.errors import ConfigError, DataError


def test_synthetic_source_is_deterministic_and_labelled():
    rec, classes = load_source("synthetic:30")
    assert classes == SYNTHETIC_CLASSES and rec.rate_hz == 100.0 and rec.n_samples == 3000
    assert list(np.unique(rec.labels)) == [0, 1, 2]
    np.testing.assert_array_equal(rec.data, synthetic_recording(30.0).data)
    # run moves more than walk, which moves more than rest
    spread = [np.linalg.norm(rec.data[rec.labels == k, :3], axis=1).std() for k in range(3)]
    assert spread[0] < spread[1] < spread[2]


def test_csv_source(tmp_path):
    path = write_recording_csv(synthetic_recording(25.0), tmp_path / "r.csv", SYNTHETIC_CLASSES)
    rec, classes = load_source(str(path))
    assert rec.n_samples == 2500 and classes == ("rest", "run", "walk")  # the classes present, sorted


@pytest.mark.parametrize(("source", "error", "message"), [
    ("synthetic:abc", ConfigError, "SECONDS needs a number"),
    ("dataset:", ConfigError, "dataset:NAME"),
    ("dataset:nope", ConfigError, "unknown dataset 'nope'"),
    ("missing.csv", DataError, "does not exist"),
    ("bluetooth", ConfigError, "unknown source 'bluetooth'; valid: synthetic"),
])
def test_bad_sources_name_the_valid_forms(source, error, message):
    with pytest.raises(error, match=message):
        load_source(source)


@pytest.mark.realdata
def test_one_motionsense_recording_is_loaded_and_cached(require_dataset, tmp_path):
    root = require_dataset("motionsense")
    rec, classes = load_source("dataset:motionsense:3:jog_9", root)
    assert (rec.subject, rec.session, rec.rate_hz) == ("3", "jog_9", 50.0)
    assert set(rec.labels.tolist()) == {classes.index("jogging")}
    # the second load comes from the recording-CSV cache: it no longer needs the archive at all
    again, _ = load_source("dataset:motionsense:3:jog_9", tmp_path / "no_data_here")
    np.testing.assert_allclose(again.data, rec.data, rtol=1e-5, atol=1e-5)


def test_one_parser_for_every_consumer():
    """distill / export take windows, live / watch-sim / predict a recording: the same strings, one parser."""
    assert parse_ref("dataset:motionsense:3:jog_9") == DataRef("dataset", "motionsense", "3", "jog_9")
    assert str(parse_ref("dataset:motionsense:3:jog_9")) == "dataset:motionsense:3:jog_9"
    assert parse_ref("motionsense", WINDOW_KINDS) == DataRef("dataset", "motionsense")  # a bare dataset name
    assert parse_ref("windows:/tmp/w.npz", WINDOW_KINDS) == DataRef("windows", "/tmp/w.npz")
    assert parse_ref("synthetic:12", RECORDING_KINDS) == DataRef("synthetic", seconds=12.0)
    assert parse_ref("rec.csv", RECORDING_KINDS) == DataRef("csv", "rec.csv")
    with pytest.raises(ConfigError, match="unknown window source 'synthetic'; valid window sources: dataset, windows"):
        parse_ref("synthetic:5", WINDOW_KINDS, "window source")
    with pytest.raises(ConfigError, match="unknown source 'windows'"):
        parse_ref("windows:a.npz", RECORDING_KINDS)
