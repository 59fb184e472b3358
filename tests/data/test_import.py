"""``mujo-edge data import`` on recordings shaped like real watch and phone exports, and every way a user's
data used to go silently wrong (now a clear error or the right result)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from own_data import DAILY, write_study, write_watch_csv

from mujo_edge.cli.main import run
from mujo_edge.data import DEFAULT_SPEC, get_dataset, prepare
from mujo_edge.data.import_run import import_dataset
from mujo_edge.data.importer import ImportConfig
from mujo_edge.errors import ConfigError, DataError, SpecMismatchError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user data folder (MUJO_EDGE_HOME) for the imports of one test."""
    monkeypatch.setenv("MUJO_EDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _cfg(**kw) -> ImportConfig:
    return ImportConfig(**{"name": "mywatch", "acc_unit": "g", "gyro_unit": "deg/s", "placement": "wrist_left",
                           "subject_pattern": r"subject_(\d+)", **kw})


def test_a_jittered_104_hz_watch_in_g_and_deg_s_becomes_a_dataset_every_command_takes(tmp_path, home, capsys):
    """104.3 Hz with clock jitter and epoch-ns stamps, g and deg/s, device column names, 1-2 s activities."""
    root = write_study(tmp_path / "raw", subjects=5)
    assert run(["data", "import", str(root), "--name", "mywatch", "--acc-unit", "g", "--gyro-unit", "deg/s",
                "--placement", "wrist_left", "--subject-pattern", r"subject_(\d+)"]) == 0
    out = capsys.readouterr().out
    assert "imported 'mywatch': 5 recordings, 5 subjects, 5 classes" in out and "time unit ns" in out
    assert "recommended window: --window" in out and "'sit_to_stand' segments last" in out
    manifest = json.loads((home / "datasets" / "mywatch" / "dataset.json").read_text())
    assert manifest["format"] == "mujo-edge-dataset" and len(manifest["sources"]) == 5
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])
    assert all(r["rate_hz"] == pytest.approx(104.3, rel=0.01) for r in manifest["recordings"])
    info = get_dataset("mywatch")
    assert info.class_names == ("running", "sit_to_stand", "sitting", "turning", "walking")
    recs = info.load()
    rest = np.linalg.norm(recs[0].data[: 1000, :3], axis=1).mean()
    assert rest == pytest.approx(9.81, rel=0.05)  # g -> m/s²
    assert np.abs(recs[0].data[:, 3:]).max() < 30  # deg/s -> rad/s
    # every command takes the name: data list shows it ...
    assert run(["data", "list", "--no-windows", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["mywatch"]["imported"] and listed["mywatch"]["available"] and listed["mywatch"]["subjects"] == 5
    # ... prepare refuses the default 2.56 s window, which loses the 1-2 s classes, naming them
    with pytest.raises(DataError, match=r"2 class\(es\) get no window of 128 samples .*'sit_to_stand' \(segments last "
                                        r"1\.\d+ s median"):
        prepare("mywatch")
    ws = prepare("mywatch", DEFAULT_SPEC.replace(window=64, hop=32, purity=0.6))
    assert set(ws.class_counts()) == set(info.class_names) and min(ws.class_counts().values()) > 0
    assert ws.stats["segments"]["turning"]["median_s"] == pytest.approx(1.8, abs=0.05)


def test_duplicate_millisecond_ticks_segments_file_and_acc_only(tmp_path, home):
    """A watch stamping whole ms (ticks repeat), labels in a separate segment file, accelerometer only."""
    plan = [("sitting", 10.0), ("walking", 12.0), ("running", 10.0)]
    files = [write_watch_csv(tmp_path / "raw" / f"subject_{s}.csv", plan, rate_hz=1200.0, seed=s, time_unit="ms",
                             epoch=1.7e9, label_column=None, acc_only=True, time_column="time_ms") for s in (1, 2)]
    seg = tmp_path / "segments.csv"
    seg.write_text("file,start,end,label\n" + "".join(f"{f.name},0,10,sitting\n{f.name},10,22,walking\n"
                                                       f"{f.name},22,32,running\n" for f in files))
    res = import_dataset(files, _cfg(name="tickwatch", acc_only=True, time_column="time_ms", time_unit="ms",
                                     segments=seg, gyro_unit="rad/s"))
    assert all(r.duplicates_merged > 0 for r in res.files)  # 1200 Hz in whole ms: every 6th tick repeats
    assert res.class_names == ("running", "sitting", "walking")
    recs = get_dataset("tickwatch").load()
    assert recs[0].channels == ("acc_x", "acc_y", "acc_z") and len(recs) == 2
    assert recs[0].rate_hz == pytest.approx(1000.0, rel=0.01)  # 1000 distinct ms ticks per second remain
    labelled = recs[0].labels[recs[0].labels >= 0]
    assert np.bincount(labelled).tolist() == pytest.approx([10000, 10000, 12000], rel=0.02)
    ws = prepare("tickwatch")
    assert ws.channel_mask.tolist() == [True, True, True, False, False, False] and ws.spec.rate_hz == 50.0


def test_several_recordings_per_file_and_a_gap_that_splits(tmp_path, home):
    """Subject and session in columns (one file holds all); a 10 s hole splits a recording, never interpolated."""
    parts = []
    for s in (1, 2, 3):
        for sess in ("am", "pm"):
            p = write_watch_csv(tmp_path / f"{s}{sess}.csv", [("walking", 12.0), ("sitting", 12.0)], rate_hz=50.0,
                                seed=10 * s + len(sess), time_unit="s", epoch=0.0, acc_unit="m/s2", gyro_unit="rad/s",
                                columns=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), time_column="t",
                                extra_columns={"user": f"u{s}", "session": sess},
                                gap_after_s=6.0 if (s, sess) == (1, "am") else None)
            parts.append(p.read_text().splitlines())
    big = tmp_path / "all.csv"
    big.write_text("\n".join([parts[0][0]] + [ln for p in parts for ln in p[1:]]) + "\n")
    res = import_dataset([big], ImportConfig(name="onefile", subject_column="user", session_column="session"))
    assert res.subjects == ["u1", "u2", "u3"] and res.recordings == 7  # 6 sessions, one split in two at its gap
    assert res.files[0].gaps_split == 1
    recs = get_dataset("onefile").load()
    split = [r for r in recs if r.subject == "u1" and r.session.startswith("am")]
    assert sorted(r.session for r in split) == ["am#1", "am#2"]
    assert max(np.diff(split[0].timestamps).max(), np.diff(split[1].timestamps).max()) < 0.1  # no 10 s hole inside


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"acc_unit": "m/s2"}, r"magnitude at rest is (0\.99|1\.0)\d*, expected about 9\.81 .*it looks like g: pass --acc-unit g"),
    ({"gyro_unit": "rad/s"}, r"rotation rate reaches \d+\.\d rad/s .*it looks like deg/s: pass --gyro-unit deg/s"),
    ({"time_unit": "s"}, r"sample rate [\d.e-]+ Hz is not plausible .*pass --time-unit ms, us or ns"),
])
def test_wrong_units_are_named_with_the_fix(tmp_path, home, kwargs, message):
    """g read as m/s², deg/s as rad/s, ns read as s: all used to import with exit 0 and predict nonsense."""
    f = write_watch_csv(tmp_path / "subject_1.csv", DAILY[:3], seed=1)
    with pytest.raises(SpecMismatchError, match=message):
        import_dataset([f], _cfg(**kwargs))
    assert not (home / "datasets" / "mywatch").exists()  # nothing half-imported
    import_dataset([f], _cfg(check=False, **kwargs))  # --no-check: the expert's way through


def test_impossible_values_and_bad_options_are_clear_errors(tmp_path, home):
    f = write_watch_csv(tmp_path / "subject_1.csv", DAILY[:3], seed=1, acc_unit="m/s2", gyro_unit="rad/s")
    lines = f.read_text().splitlines()
    huge = tmp_path / "huge.csv"
    huge.write_text("\n".join([lines[0]] + [",".join([ln.split(",")[0]] + ["1e9"] * 6 + [ln.split(",")[-1]])
                                            for ln in lines[1:]]) + "\n")
    with pytest.raises(SpecMismatchError, match="channel acc_x is constant"):
        import_dataset([huge], _cfg(acc_unit="m/s2", gyro_unit="rad/s"))
    header_only = tmp_path / "empty.csv"
    header_only.write_text(lines[0] + "\n")
    with pytest.raises(DataError, match="has a header row .* but no samples"):
        import_dataset([header_only], _cfg())
    odd = write_watch_csv(tmp_path / "odd.csv", DAILY[:3], seed=1, columns=("c1", "c2", "c3", "c4", "c5", "c6"))
    with pytest.raises(ConfigError, match="no accelerometer column for acc_x, acc_y, acc_z among .*c1.*--map acc_x=COLUMN"):
        import_dataset([odd], _cfg())
    mapped = import_dataset([odd], _cfg(name="mapped", column_map=dict(zip(
        ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), ("c1", "c2", "c3", "c4", "c5", "c6")))))
    assert mapped.files[0].columns["acc_x"] == "c1"
    with pytest.raises(ConfigError, match="column 'ax' would be both the label column and acc_x column"):
        import_dataset([f], _cfg(name="sensorlabel", label_column="ax"))
    numbered = tmp_path / "numbered.csv"  # a label column that holds a measurement, not activity names
    numbered.write_text("\n".join([lines[0]] + [",".join(ln.split(",")[:-1] + [f"{0.01 * i:.2f}"])
                                                for i, ln in enumerate(lines[1:])]) + "\n")
    with pytest.raises(DataError, match="label column 'activity' has .* distinct values, .* numbers .* not activity names"):
        import_dataset([numbered], _cfg(name="numbered", acc_unit="m/s2", gyro_unit="rad/s"))
    with pytest.raises(ConfigError, match="'motionsense' is a built-in dataset"):
        import_dataset([f], _cfg(name="motionsense", acc_unit="m/s2", gyro_unit="rad/s"))
    with pytest.raises(ConfigError, match="--acc-unit 'G'; valid: m/s2, m/s\\^2, g, mg"):
        ImportConfig(name="xy", acc_unit="G")
    import_dataset([f], _cfg(acc_unit="m/s2", gyro_unit="rad/s"))
    with pytest.raises(ConfigError, match="already imported .* pass --force"):
        import_dataset([f], _cfg(acc_unit="m/s2", gyro_unit="rad/s"))


def test_a_test_fold_missing_classes_is_reported_and_chance_counts_only_classes_present(tmp_path, home):
    """One subject alone has 'waving': folds whose test subjects lack it say so (it used to claim N classes)."""
    from mujo_edge.eval.evaluate import EvaluateConfig, run_evaluation
    from mujo_edge.eval.report import markdown

    for s in range(1, 7):
        plan = [("sitting", 15.0), ("walking", 15.0)] + ([("waving", 15.0)] if s == 1 else [])
        write_watch_csv(tmp_path / "raw" / f"subject_{s}.csv", plan, rate_hz=50.0, seed=s)
    import_dataset([tmp_path / "raw"], _cfg(name="somewave"))
    summary = run_evaluation(EvaluateConfig(datasets=("somewave",), checkpoint=None, modes=("scratch",),
                                            fractions=(1.0,), seeds=1, zero_shot=False, max_steps=5,
                                            out=tmp_path / "ev"))
    runs = summary["runs"]
    assert len(runs) == 5 and all(r["test_classes"] + len(r["missing_test_classes"]) == 3 for r in runs)
    lacking = {r["fold"] for r in runs if r["missing_test_classes"] == ["waving"]}
    assert len(lacking) == 4  # every fold but the one that tests subject 1
    assert summary["datasets"]["somewave"]["folds_missing_classes"] == {str(f): ["waving"] for f in sorted(lacking)}
    assert "Folds whose test subjects lack classes" in markdown(summary)
