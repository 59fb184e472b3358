"""``mujo-edge live`` and ``mujo-edge watch-sim`` commands."""

# ruff: noqa: F811 - pytest fixtures are imported from bridge_fixtures and named as test arguments
from __future__ import annotations

import json

import numpy as np
import pytest
from bridge_fixtures import dbus_available, trained_model  # noqa: F401  (fixtures)

from mujo_edge.cli.main import run
from mujo_edge.data.csvio import read_recording_csv

pytestmark = pytest.mark.slow


def test_live_simulate_with_a_trained_checkpoint_records_and_prints_json(dbus_available, trained_model, tmp_path,
                                                                         capsys):
    out = tmp_path / "got.csv"
    code = run(["live", "--simulate", "synthetic", "--model", str(trained_model), "--windows", "2", "--duration", "60",
                "--record", str(out), "--json", "--faults", "loss=0.05,seed=2", "--acquire-notify"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["windows"]["predicted"] >= 2 and summary["samples"]["received"] > 150
    assert summary["packets"]["missing"] > 0 and summary["samples"]["lost"] == 2 * summary["packets"]["missing"]
    assert summary["latency_ms"]["p99"] is not None and summary["accuracy_vs_source"]["scored_windows"] >= 2
    # the live view went to stderr: one line per prediction with probabilities, rate, losses, latency
    view = [ln for ln in captured.err.splitlines() if ln.startswith("#")]
    assert len(view) == summary["windows"]["predicted"] and "Hz" in view[0] and "latency" in view[0]
    # the CSV keeps the device timestamps: reading it back keeps the holes of the lost samples (models resample
    # from the timestamps; nothing is interpolated when reading)
    rec, _ = read_recording_csv(out)
    assert rec.n_samples == summary["samples"]["received"] and rec.rate_hz == 50.0
    holes = np.round(np.diff(rec.timestamps) * 50.0).astype(int) - 1
    assert holes[holes > 0].sum() == summary["samples"]["lost"]
    rows = [ln for ln in out.read_text().splitlines() if ln and not ln.startswith(("#", "t_s"))]
    assert len(rows) == summary["samples"]["received"]
    side = json.loads(out.with_suffix(".live.json").read_text())
    assert side["config"]["simulate"] == "synthetic" and side["summary"]["samples"]["received"] == len(rows)
    assert side["config"]["client"]["acquire_notify"] is True  # notifications came through AcquireNotify's socket


def test_live_needs_exactly_one_source(trained_model, capsys):
    assert run(["live", "--model", str(trained_model)]) == 1
    assert "exactly one of a device" in capsys.readouterr().err
    assert run(["live", "--model", str(trained_model), "--device", "X", "--simulate", "synthetic"]) == 1
    assert run(["live", "--model", str(trained_model), "--simulate", "synthetic", "--faults", "lose=1"]) == 1
    assert "bad fault 'lose=1'" in capsys.readouterr().err


def test_watch_sim_command_serves_and_reports(dbus_available, capsys):
    assert run(["watch-sim", "--duration", "1", "--json", "--profile", "polar"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["profile"] == "polar" and info["name"] == "Polar Sense SIM" and info["source"] == "synthetic"


def test_a_silent_device_exits_non_zero_and_bad_faults_fail_before_the_simulator(dbus_available, trained_model, capsys):
    code = run(["live", "--simulate", "synthetic", "--model", str(trained_model), "--faults", "loss=1",
                "--duration", "60", "--no-data-timeout", "3", "--json"])
    captured = capsys.readouterr()
    assert code == 1 and "the stream stalled" in captured.err
    summary = json.loads(captured.out)
    assert summary["status"] == "stalled" and summary["samples"]["shortfall"] > 100 and summary["stalls"]
    assert run(["live", "--simulate", "synthetic", "--model", str(trained_model), "--faults", "seed=-1"]) == 1
    assert "fault seed must be a whole number in 0 .. 2**32 - 1, got -1" in capsys.readouterr().err


@pytest.mark.realdata
def test_a_bad_simulate_source_fails_fast_with_its_own_error(dbus_available, trained_model, capsys, require_dataset):
    root = require_dataset("motionsense")
    code = run(["live", "--simulate", "dataset:motionsense:999", "--model", str(trained_model), "--data-dir", str(root)])
    err = capsys.readouterr().err
    assert code == 1 and "no recording with subject '999'" in err and "Traceback" not in err
    assert "did not start within" not in err  # the simulator's own error, not its start-up timeout


def test_live_scores_a_recording_by_class_name_whatever_the_order(dbus_available, trained_model, tmp_path, capsys):
    """A recording CSV lists its classes alphabetically (rest, run, walk), the model as trained (rest, walk, run);
    live used to refuse to score it."""
    from mujo_edge.data.csvio import write_recording_csv
    from mujo_edge.data.synthetic import SYNTHETIC_CLASSES, synthetic_recording

    src = write_recording_csv(synthetic_recording(40.0, seed=7), tmp_path / "rec.csv", SYNTHETIC_CLASSES)
    assert run(["live", "--simulate", str(src), "--model", str(trained_model), "--windows", "4", "--duration", "60",
                "--json", "--quiet"]) == 0
    truth = json.loads(capsys.readouterr().out)["accuracy_vs_source"]
    assert truth["scored_windows"] >= 2 and truth["accuracy"] is not None and "note" not in truth
