"""Reference firmware: C unit tests under ASan/UBSan on the host, the same tests on an emulated
Cortex-M4 (QEMU mps2-an386) when the ARM toolchain is installed, and the C encoder's packets decoded
by the Python decoder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.timing import unwrap
from mujo_edge.firmware_bridge.vectors import FIRMWARE_DIR

pytestmark = pytest.mark.slow


def make(target: str, build: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(["make", "-s", "-C", str(FIRMWARE_DIR), target, f"BUILD={build}", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def host_build(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the firmware host tests need it")
    build = tmp_path_factory.mktemp("fw_host")
    res = make("host-test", build)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks, 0 failed" in res.stdout
    return build


def test_host_unit_tests_pass_under_address_and_ub_sanitizers(host_build):
    assert (host_build / "test_host").exists()


def test_python_decodes_the_packets_the_c_stream_code_emits(host_build):
    res = make("emit", host_build, "N=40", "BATCH=4")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split()
    assert len(lines) == 40
    batches = [P.decode_packet(bytes.fromhex(h), rate_hz=50.0) for h in lines]
    assert [b.seq for b in batches] == list(range(40)) and all(b.count == 4 for b in batches)
    t, prev = [], None
    for b in batches:
        prev = unwrap(b.t_first_us, prev, b.time_modulo)
        t.append(prev)
    assert any(b.t_first_us < batches[0].t_first_us for b in batches)  # the 32-bit clock wrapped
    steps = np.diff(t)  # 4 samples of a 104 Hz sensor decimated to 50 Hz: 80 ms +- one sensor period
    assert np.all(np.abs(steps - 80_000) <= 9_700)
    x = np.concatenate([b.samples for b in batches])
    assert np.allclose(x[:, 2], STANDARD_GRAVITY, rtol=1e-6)  # acc_z = 4096 counts at ±8 g
    assert np.allclose(x[:, 5], -7 * 2000 * np.pi / 180 / 32768, rtol=1e-6)


def test_ring_buffer_has_no_data_race_between_producer_and_consumer_threads(tmp_path):
    """ThreadSanitizer watches a producer and a consumer thread share the ring (acquire/release indices)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    probe = subprocess.run(["gcc", "-fsanitize=thread", "-x", "c", "-", "-o", str(tmp_path / "probe")],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    if probe.returncode != 0 or subprocess.run([str(tmp_path / "probe")], capture_output=True).returncode != 0:
        pytest.skip(f"gcc's ThreadSanitizer does not work here: {probe.stderr.strip()[:200]}")
    res = make("thread-test", tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "100000 samples, 0 bad" in res.stdout and "ThreadSanitizer" not in res.stderr


def test_same_tests_on_an_emulated_cortex_m4(tmp_path):
    missing = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi qemu-system-arm)")
    res = make("qemu-test", tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "checks, 0 failed" in res.stdout
    size = make("size", tmp_path)
    assert size.returncode == 0 and "mujo_imu.o" in size.stdout


def test_a_failing_check_fails_the_build(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    res = make("host-test", tmp_path, "EXTRA=-DMUJO_SELFTEST_FAIL")
    assert res.returncode != 0 and "1 failed" in res.stdout
