"""The mujo-edge command: global options, data commands, error display."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mujo_edge import __version__
from mujo_edge.cli.main import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from synth_datasets import write_hmp, write_motionsense  # noqa: E402


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_motionsense(root, subjects=(1, 2, 3, 4, 5), n=700)
    write_hmp(root)
    return root


def test_version_and_help(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mujo-edge {__version__}"
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "data" in out and "quickstart" in out and "--verbose" in out


def test_console_script_and_module_entry_points():
    for cmd in (["mujo-edge", "--version"], [sys.executable, "-m", "mujo_edge.cli", "--version"]):
        exe = Path(sys.executable).parent / cmd[0] if cmd[0] == "mujo-edge" else None
        argv = [str(exe)] + cmd[1:] if exe else cmd
        res = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0 and res.stdout.strip() == f"mujo-edge {__version__}"


def test_data_list_json(synth_root, capsys):
    # the synthetic files reuse real names, so their published checksums cannot match: they are
    # listed as present but not readable, with the reason
    assert run(["data", "list", "--json", "--data-dir", str(synth_root)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) >= {"motionsense", "usc_had", "uci_hapt", "hmp", "mmfit", "myogym", "mhealth", "wisdm2019"}
    assert rows["motionsense"]["available"] is False and "does not match the published" in rows["motionsense"]["error"]
    assert rows["usc_had"]["available"] is False and "MUJO_EDGE_DATA_DIR" not in rows["usc_had"]["error"]
    assert rows["usc_had"]["native_rate_hz"] == 100.0 and rows["usc_had"]["num_classes"] == 12


def test_data_list_table_without_windows(synth_root, capsys):
    assert run(["data", "list", "--no-windows", "--data-dir", str(synth_root)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["dataset", "available", "subjects", "classes"]
    assert any(line.startswith("motionsense") and " yes " in line for line in out.splitlines())


def test_unknown_dataset_is_one_clear_error(capsys):
    assert run(["data", "show", "motion-sense", "--out", "x.png"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown dataset 'motion-sense'; valid datasets:") and "motionsense" in err
    assert "Traceback" not in err


def test_bad_option_value_is_a_usage_error(capsys):
    assert run(["data", "list", "--window", "1", "--no-windows"]) == 1
    assert "window must be >= 2" in capsys.readouterr().err


@pytest.mark.realdata
def test_data_show_and_prepare_on_real_data(tmp_path, capsys, require_dataset):

    root = require_dataset("uci_hapt")
    png = tmp_path / "hapt.png"
    assert run(["data", "show", "uci_hapt", "--out", str(png), "--data-dir", str(root)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    capsys.readouterr()
    assert run(["data", "prepare", "uci_hapt", "--json", "--data-dir", str(root)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["windows"] == 11300 and len(summary["subjects"]) == 30
    assert summary["stats"]["dropped_null"] > 0  # unlabelled gaps are counted, not hidden


@pytest.mark.parametrize(("args", "message"), [
    (["evaluate", "--dataset", "motionsense", "--fractions", "abc", "--out", "x"],
     "--fractions: 'abc' is not a label fraction such as 0.02"),
    (["evaluate", "--dataset", "motionsense", "--fractions", "0.02,0.02", "--out", "x"], "--fractions: '0.02' is given twice"),
    (["evaluate", "--dataset", "motionsense", "--seeds", "0", "--out", "x"], "seeds must be a whole number >= 1, got 0"),
    (["data", "prepare", "motionsense", "--placement", "ankle"],
     "unknown placement of motionsense 'ankle'; valid placements of motionsense: thigh_right"),
])
def test_bad_options_are_one_clear_line(args, message, capsys, tmp_path, monkeypatch):
    """They used to print a traceback, dump the whole config, or say "valid placement of motionsenses"."""
    monkeypatch.chdir(tmp_path)
    assert run(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "EvaluateConfig(" not in err


def test_unknown_names_are_pluralised_properly():
    from mujo_edge.activities import get_activity
    from mujo_edge.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown activity 'levitating'; valid activities: "):
        get_activity("levitating")
