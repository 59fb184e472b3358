"""The Android app's JVM core (``android/core``) against the Python pipeline, and phone sensor-event merging.

* ``merge_sensor_streams``: the Python half of the phone path (its JVM twin is ``SensorEventMerger``);
* the golden vectors in ``android/core/src/test/resources/golden`` must be what
  ``python -m mujo_edge.firmware_bridge.golden`` writes now (so a change of the Python preprocessing fails here
  until they are regenerated and the JVM core is checked against the new numbers);
* the core and its JUnit 4 tests are compiled with ``javac`` and run against those vectors, with Debian's
  ``junit4.jar`` when present and with the bundled stand-in (``src/testShim``) always, so a machine with only a JDK
  runs them too; without ``javac`` they are skipped, saying why;
* a recording CSV written by the core is read back by :func:`mujo_edge.data.csvio.read_recording_csv`.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.data.csvio import read_recording_csv
from mujo_edge.data.preprocess import interpolate_uniform
from mujo_edge.data.sensor_events import increasing_events, merge_sensor_streams
from mujo_edge.errors import SpecMismatchError

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "android" / "core"
GOLDEN = CORE / "src" / "test" / "resources" / "golden"
REGENERATE = "python -m mujo_edge.firmware_bridge.golden"
JUNIT_JARS = [Path("/usr/share/java/junit4.jar"), Path("/usr/share/java/hamcrest-core.jar"),
              Path("/usr/share/java/hamcrest.jar")]


# ------------------------------------------------------------------------------------------- sensor events
def test_merge_puts_both_streams_on_one_grid_over_the_common_span() -> None:
    acc_t = np.array([1_000, 11_000, 19_000, 31_000, 40_000], np.int64) * 1_000  # ns
    gyro_t = np.array([5_000, 14_000, 26_000, 35_000, 44_000], np.int64) * 1_000
    acc = np.arange(15, dtype=np.float32).reshape(5, 3)
    gyro = -np.arange(15, dtype=np.float32).reshape(5, 3)
    t, x = merge_sensor_streams([(acc_t, acc), (gyro_t, gyro)], 100.0)
    assert x.shape == (4, 6) and x.dtype == np.float32  # 5 ms .. 40 ms: grid 0, 10, 20, 30 ms
    np.testing.assert_allclose(t, [0.0, 0.01, 0.02, 0.03])
    _, want_acc = interpolate_uniform((acc_t - 5_000_000) / 1e9, acc, 100.0, t0=0.0, t1=0.035)
    np.testing.assert_array_equal(x[:, :3], want_acc)
    np.testing.assert_allclose(x[0, 3:], gyro[0])  # the gyro's first event is the origin


def test_merge_drops_repeated_timestamps_and_keeps_ns_precision_at_long_uptimes() -> None:
    boot = 9_000_000_000_000_000  # 104 days of uptime in ns: seconds as float64 would lose the jitter
    t_ns = boot + np.array([0, 10_000_001, 10_000_001, 20_000_003, 30_000_000], np.int64)
    v = np.array([[0.0], [1.0], [5.0], [2.0], [3.0]], np.float32)
    kept_t, kept_v = increasing_events(t_ns, v)
    assert list(kept_v[:, 0]) == [0.0, 1.0, 2.0, 3.0]
    t, x = merge_sensor_streams([(t_ns, v)], 100.0)
    assert len(t) == 4 and x[1, 0] == pytest.approx(1.0 - 1e-7, abs=1e-6)


@pytest.mark.parametrize("streams, message", [
    ([], "at least one"),
    ([(np.array([1, 2]), np.zeros((2, 3))), (np.array([5]), np.zeros((1, 3)))], "at least two"),
    ([(np.array([0, 10]), np.zeros((2, 3))), (np.array([20, 30]), np.zeros((2, 3)))], "do not overlap"),
])
def test_merge_refuses_what_it_cannot_merge(streams: list, message: str) -> None:
    with pytest.raises(SpecMismatchError, match=message):
        merge_sensor_streams(streams, 100.0)


# ------------------------------------------------------------------------------------------- golden vectors
def test_golden_vectors_are_up_to_date(tmp_path: Path) -> None:
    from mujo_edge.firmware_bridge.golden import python_sources_sha256, write_golden

    manifest = json.loads((GOLDEN / "MANIFEST.json").read_text())
    write_golden(tmp_path)
    fresh = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(p.name for p in GOLDEN.glob("*.json")), \
        f"golden files differ from what the generator writes; run {REGENERATE}"
    same_recording = fresh["recording"]["real"] == manifest["recording"]["real"]
    for path in sorted(tmp_path.glob("*.json")):
        if path.name == "MANIFEST.json":
            continue
        if not same_recording and path.name.startswith("stream_"):
            continue  # made from another recording here (no real data): checked through the sources hash below
        assert path.read_text() == (GOLDEN / path.name).read_text(), \
            f"{path.name} is out of date (the Python pipeline changed); run {REGENERATE} and rerun the JVM tests"
    if not same_recording:
        assert python_sources_sha256() == manifest["python_sources_sha256"], (
            f"the Python preprocessing changed since the golden vectors were made from {manifest['recording']['source']}"
            f", which is not available here; run {REGENERATE} where MUJO_EDGE_DATA_DIR has it")


# ------------------------------------------------------------------------------------------- the JVM core
def _javac(out: Path, sources: list[Path], classpath: list[Path]) -> None:
    cp = ["-cp", ":".join(str(p) for p in classpath)] if classpath else []
    args = ["javac", "--release", "17", "-encoding", "UTF-8", "-nowarn", "-d", str(out), *cp, *map(str, sources)]
    res = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"javac failed:\n{res.stdout}\n{res.stderr}"


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.java"))


@pytest.fixture(scope="module")
def core_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("no JDK (javac/java) on PATH: the Android JVM core cannot be compiled here; install openjdk-17-jdk")
    out = tmp_path_factory.mktemp("jvm") / "main"
    _javac(out, _sources(CORE / "src" / "main" / "java"), [])
    return out


@pytest.mark.parametrize("runner", ["junit4", "shim"])
def test_jvm_core_passes_its_golden_tests(core_classes: Path, tmp_path: Path, runner: str) -> None:
    if runner == "junit4":
        jars = [j for j in JUNIT_JARS if j.exists()]
        if not JUNIT_JARS[0].exists():
            pytest.skip("no /usr/share/java/junit4.jar (apt-get install junit4); the shim runner covers the tests")
    else:
        jars = [tmp_path / "shim"]
        _javac(jars[0], _sources(CORE / "src" / "testShim" / "java"), [])
    tests = tmp_path / "test"
    test_sources = _sources(CORE / "src" / "test" / "java")
    _javac(tests, test_sources, [core_classes, *jars])
    classes = [f"org.mujoedge.core.{p.stem}" for p in test_sources if p.stem.endswith("Test")]
    csv_out = tmp_path / "recording.csv"
    cp = ":".join(str(p) for p in [core_classes, tests, *jars])
    res = subprocess.run(["java", f"-Dmujo.golden={GOLDEN}", f"-Dmujo.csvOut={csv_out}", "-cp", cp,
                          "org.junit.runner.JUnitCore", *classes], capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    ok = re.search(r"^OK \((\d+) tests?\)", out, re.M)
    assert res.returncode == 0 and ok, f"JVM tests failed ({runner}):\n{out[-6000:]}"
    assert int(ok.group(1)) >= 42, out
    _check_recording_csv(csv_out)


def _check_recording_csv(path: Path) -> None:
    """The core's recording CSV reads back with Python's reader: same rate, channels and values (6 digits)."""
    from mujo_edge.firmware_bridge.protocol import MujoDecoder

    golden = json.loads((GOLDEN / "stream_mujo_imu6_100hz.json").read_text())
    dec = MujoDecoder(golden["device"]["rate_hz"])
    want = np.concatenate([dec.decode(base64.b64decode(p)).samples for p in golden["packets_b64"]])
    rec, classes = read_recording_csv(path)
    assert rec.rate_hz == golden["device"]["rate_hz"] and rec.channels == tuple(dec.channels)
    assert classes == ("walking",) and int((rec.labels == 0).sum()) == len(golden["packets_b64"])
    np.testing.assert_allclose(rec.data, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.diff(rec.timestamps), 1.0 / rec.rate_hz, atol=1e-6)
