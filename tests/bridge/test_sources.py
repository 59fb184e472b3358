"""What the simulated watch streams: synthetic signal, recording CSVs, one recording of a real dataset."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.data.csvio import write_recording_csv
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.firmware_bridge.sources import SYNTHETIC_CLASSES, load_source, synthetic_recording
from mujo_edge.firmware_bridge.watch_sim import FaultConfig, WatchSimConfig


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


def test_fault_spec_parsing():
    f = FaultConfig.parse("loss=0.02,reorder=0.01,drop=5+12.5,down=0.5,seed=3")
    assert (f.loss, f.reorder, f.drop_at_s, f.down_s, f.seed) == (0.02, 0.01, (5.0, 12.5), 0.5, 3)
    with pytest.raises(ConfigError, match="sum to <= 1"):
        FaultConfig(loss=0.7, corrupt=0.5)
    with pytest.raises(ConfigError, match="unknown watch profile 'fitbit'; valid: mujo, polar"):
        WatchSimConfig(profile="fitbit")


@pytest.mark.realdata
def test_one_motionsense_recording_is_loaded_and_cached(require_dataset, tmp_path):
    root = require_dataset("motionsense")
    rec, classes = load_source("dataset:motionsense:3:jog_9", root)
    assert (rec.subject, rec.session, rec.rate_hz) == ("3", "jog_9", 50.0)
    assert set(rec.labels.tolist()) == {classes.index("jogging")}
    # the second load comes from the recording-CSV cache: it no longer needs the archive at all
    again, _ = load_source("dataset:motionsense:3:jog_9", tmp_path / "no_data_here")
    np.testing.assert_allclose(again.data, rec.data, rtol=1e-5, atol=1e-5)


def test_watch_sim_child_uses_the_installed_package_not_a_mujo_edge_folder_in_the_cwd(tmp_path):
    """Started from a source checkout with a non-editable install, ``./mujo_edge`` (which has no
    ``firmware_bridge``) must not shadow the installed package in the simulator's child process."""
    import subprocess

    from mujo_edge.firmware_bridge.sim_process import watch_sim_command

    (tmp_path / "mujo_edge").mkdir()
    (tmp_path / "mujo_edge" / "__init__.py").write_text("")
    proc = subprocess.run(watch_sim_command("--help"), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--bus" in proc.stdout
