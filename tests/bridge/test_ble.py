"""End to end with the real bleak client: simulated watch → fake BlueZ on a private D-Bus → bleak → pipeline.

Every run compares what the bridge reports with the simulator's own ground-truth counters.
"""

# ruff: noqa: F811 - pytest fixtures are imported from bridge_fixtures and named as test arguments
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from mujo_edge.errors import BridgeError
from mujo_edge.firmware_bridge.client import ClientConfig
from mujo_edge.firmware_bridge.pipeline import PipelineConfig
from mujo_edge.firmware_bridge.sim.watch import FaultConfig, WatchSimConfig

from bridge_fixtures import acc_only_clf, dbus_available, energy_clf, run_session  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("acquire", [False, True], ids=["StartNotify", "AcquireNotify"])
def test_clean_stream(run_session, energy_clf, acquire):
    """Both of BlueZ's ways to deliver notifications: D-Bus signals (bleak's default) and a passed socket."""
    from mujo_edge.firmware_bridge.live import true_latencies_s

    client = ClientConfig("MujoWatch", scan_timeout_s=5.0, acquire_notify=acquire)
    pipe, sim, info = run_session(energy_clf, WatchSimConfig(clock_drift_ppm=200.0), windows=2, client=client)
    assert info["subscriptions"] == {"AcquireNotify" if acquire else "StartNotify": 1}
    s = pipe.summary()
    # the clock model's latency never exceeds the true one (the simulator knows when samples were taken)
    # and misses only the smallest transport delay
    est = np.array([p.latency_s for p in pipe.predictions])
    diff = true_latencies_s(pipe.predictions, info) - est
    assert np.all(diff > -0.001) and np.all(diff < 0.02), diff
    assert s["connection"]["connects"] == 1 and s["connection"]["disconnects"] == 0
    assert s["packets"]["received"] == sim["packets_sent"] == s["packets"]["decoded"]
    assert s["packets"]["missing"] == s["packets"]["corrupt"] == s["samples"]["lost"] == 0
    assert s["rate_hz"]["device_declared"] == 50.0 and abs(s["rate_hz"]["effective"] - 50.0) < 2.0
    assert s["windows"]["predicted"] >= 2
    assert 0 < s["latency_ms"]["p50"] < 1000  # sanity only; speed is measured in benchmarks/


def test_lost_corrupt_reordered_duplicated_packets_are_counted(run_session, energy_clf):
    faults = FaultConfig(loss=0.05, corrupt=0.04, reorder=0.04, duplicate=0.04, seed=3)
    pipe, sim, _ = run_session(energy_clf, WatchSimConfig(faults=faults), windows=4)
    p = pipe.summary()["packets"]
    assert sim["fault_lost"] > 0 and sim["fault_corrupted"] > 0 and sim["fault_duplicated"] > 0
    # a flipped bit in byte 0 (the version, checked first) is a version error, any other a CRC mismatch
    version = sim.get("fault_corrupted_version", 0)
    expected = {"CRC mismatch": sim["fault_corrupted"] - version,
                "protocol version N not supported; this decoder speaks N": version}
    assert p["corrupt"] == sim["fault_corrupted"]
    assert p["corrupt_reasons"] == {k: v for k, v in expected.items() if v}
    assert p["duplicate"] == sim["fault_duplicated"]
    # a sequence number is missing when its packet was lost or arrived corrupt (the last one may be unseen)
    assert sim["fault_lost"] + sim["fault_corrupted"] - 1 <= p["missing"] <= sim["fault_lost"] + sim["fault_corrupted"]
    # a held-back packet counts as reordered unless the packet it waited for was itself lost or corrupt
    assert sim["fault_reordered"] - 3 <= p["reordered"] <= sim["fault_reordered"]
    assert p["late"] == 0 and pipe.summary()["samples"]["lost"] == 2 * p["missing"]
    assert pipe.summary()["windows"]["predicted"] >= 3


def test_disconnect_mid_stream_reconnects_within_2s_and_reports_the_gap(run_session, energy_clf):
    faults = FaultConfig(drop_at_s=(2.0,), down_s=0.5)
    pipe, sim, _ = run_session(energy_clf, WatchSimConfig(faults=faults), windows=4)  # the 4th ends after the drop at 2 s
    s = pipe.summary()
    assert sim["fault_disconnects"] == 1 and sim["connects"] == 2
    c = s["connection"]
    assert c["disconnects"] == 1 and c["connects"] == 2 and c["failed_attempts"] >= 1
    assert len(c["reconnect_s"]) == 1 and 0.5 <= c["reconnect_s"][0] < 2.0
    [outage] = s["gaps"]["outages"]
    assert 0.5 <= outage["duration_s"] < 2.0
    assert outage["lost_samples"] == pytest.approx(outage["duration_s"] * 50.0, abs=1.5)
    assert s["samples"]["lost"] == outage["lost_samples"]
    # predictions go on after the reconnect
    assert any(p.t_end_host_s > outage["start_host_s"] + outage["duration_s"] for p in pipe.predictions)


@pytest.mark.parametrize(("rates", "factor", "declared", "measured"), [((100.0,), 1.0, 100.0, 100.0),
                                                                       ((50.0,), 1.04, 50.0, 52.0)])
def test_device_at_another_rate_is_resampled(run_session, energy_clf, rates, factor, declared, measured):
    """A 100 Hz-only device, and a device that says 50 Hz but samples at 52 Hz (honest timestamps)."""
    sim_cfg = WatchSimConfig(rates_hz=rates, true_rate_factor=factor)
    pipe, _, _ = run_session(energy_clf, sim_cfg, windows=2)
    s = pipe.summary()
    assert s["rate_hz"]["device_declared"] == declared and s["rate_hz"]["model"] == 50.0
    assert s["rate_hz"]["device_measured"] == pytest.approx(measured, rel=0.01)
    assert s["windows"]["predicted"] >= 2 and s["samples"]["lost"] == 0 and s["samples"]["overlap_discarded"] == 0
    assert all(w.shape == (128, 6) for w in energy_clf.seen)


def test_polar_pmd_stream_with_corrupt_frames(run_session, acc_only_clf):
    sim_cfg = WatchSimConfig(profile="polar", name="Polar Sense SIM", faults=FaultConfig(corrupt=0.05, seed=1))
    pipe, sim, _ = run_session(acc_only_clf, sim_cfg, windows=1, client=ClientConfig("Polar Sense SIM"))
    s = pipe.summary()
    assert s["rate_hz"]["device_declared"] == 50.0
    assert s["packets"]["corrupt"] == sim["fault_corrupted"] > 0
    assert s["packets"]["decoded"] == sim["packets_sent"] - sim["fault_corrupted"]
    assert s["samples"]["lost"] == 2 * sim["fault_corrupted"]  # no sequence numbers: timestamps show the holes
    assert s["windows"]["predicted"] >= 1


def test_polar_type_0x80_frames_are_scaled_by_the_factor_of_the_start_response(run_session, acc_only_clf):
    """g × factor frames (factor = 8/32768 from the START response), control point and data over AcquireNotify."""
    sim_cfg = WatchSimConfig(profile="polar", name="Polar Sense SIM", polar_frame="delta_g", source="synthetic:30")
    client = ClientConfig("Polar Sense SIM", acquire_notify=True)
    pipe, sim, info = run_session(acc_only_clf, sim_cfg, windows=1, client=client)
    assert info["subscriptions"] == {"AcquireNotify": 2}  # control point indications + data
    s = pipe.summary()
    assert s["packets"]["decoded"] == sim["packets_sent"] > 0 and s["windows"]["predicted"] >= 1
    # the synthetic watch starts at rest: the acceleration norm is gravity (not gravity × 4096)
    first = next(w for w in acc_only_clf.seen if w.any())
    assert np.linalg.norm(first, axis=1).mean() == pytest.approx(9.81, rel=0.1)


def test_old_bluez_without_the_mtu_property_streams_at_the_status_mtu(run_session, energy_clf):
    """BlueZ < 5.62: bleak says ATT MTU 23 (too small for IMU6); the device's status says 247."""
    pipe, sim, info = run_session(energy_clf, WatchSimConfig(bluez_mtu=False), seconds=2.0)
    assert info["status"]["batch"] == 2 and info["status"]["att_mtu"] == 247
    assert pipe.summary()["packets"]["decoded"] == sim["packets_sent"] > 0


def test_mtu_185_limits_the_batch_and_mtu_23_is_a_clear_error(run_session, energy_clf):
    client = ClientConfig("MujoWatch", scan_timeout_s=5.0, batch=19)
    pipe, sim, info = run_session(energy_clf, WatchSimConfig(mtu=185), seconds=2.0, client=client)
    assert info["status"]["batch"] == 14 and pipe.summary()["packets"]["decoded"] == sim["packets_sent"] > 0
    with pytest.raises(BridgeError, match="ATT MTU is 23 bytes, too small for one IMU6 sample"):
        run_session(energy_clf, WatchSimConfig(mtu=23), seconds=2.0)


def test_scan_by_address_and_service_uuid_and_unknown_target(dbus_available, energy_clf):
    from mujo_edge.firmware_bridge.live import session
    from mujo_edge.firmware_bridge.protocol import SERVICE_UUID
    from mujo_edge.firmware_bridge.sim.process import SimulatedWatch

    sim_cfg = WatchSimConfig()
    with SimulatedWatch(sim_cfg):
        for target in (sim_cfg.address, SERVICE_UUID):
            pipe = asyncio.run(session(energy_clf, ClientConfig(target, scan_timeout_s=5), PipelineConfig(), 1.0))
            assert pipe.metrics.connects == 1 and pipe.metrics.packets_decoded > 0
        with pytest.raises(BridgeError, match="no BLE device with name 'NoSuchWatch' found within 1 s"):
            asyncio.run(session(energy_clf, ClientConfig("NoSuchWatch", scan_timeout_s=1), PipelineConfig(), 1.0))


def test_no_bluez_on_the_bus_is_a_clear_error(dbus_available, energy_clf, monkeypatch):
    from mujo_edge.firmware_bridge.sim.dbus_session import ENV_VAR, PrivateBus
    from mujo_edge.firmware_bridge.live import session

    with PrivateBus() as bus:
        monkeypatch.setenv(ENV_VAR, bus.address)
        with pytest.raises(BridgeError, match="Bluetooth is not available .*org.bluez"):
            asyncio.run(session(energy_clf, ClientConfig("MujoWatch", scan_timeout_s=1), PipelineConfig(), 1.0))


def test_live_windows_equal_the_offline_windows_of_the_same_recording(run_session, energy_clf):
    """The one preprocessing path: what the model sees live is what offline windowing gives (up to int16)."""
    from mujo_edge.data.preprocess import resample, sliding_windows
    from mujo_edge.data.synthetic import synthetic_recording

    run_session(energy_clf, WatchSimConfig(source="synthetic:30", rates_hz=(100.0,)), windows=2)
    rec = synthetic_recording(30.0)
    offline = sliding_windows(resample(rec.data, 100.0, 50.0), 128, 64)
    live = np.stack([w for w in energy_clf.seen if w.any()])  # without the warm-up's zero windows
    assert len(live) >= 2
    # acc LSB at ±8 g is 2.4e-3 m/s², gyro LSB at ±2000 dps 1.1e-3 rad/s; the device streams 100 Hz
    np.testing.assert_allclose(live, offline[: len(live)], atol=0.01)


def test_a_stream_that_goes_quiet_is_reported_and_ends_the_session(run_session, energy_clf):
    """``--faults loss=1``: connected, nothing arrives. It used to report 0 samples lost and exit 0."""
    pipe, sim, _ = run_session(energy_clf, WatchSimConfig(faults=FaultConfig(loss=1.0)), seconds=60.0,
                               pipeline=PipelineConfig(stall_after_s=0.5, no_data_timeout_s=2.0))
    s = pipe.summary()
    assert s["status"] == "stalled" and "nothing arrived from the device for" in s["failure"]
    assert s["samples"]["received"] == 0 and s["samples"]["expected"] >= 90  # 50 Hz for >= 2 s while connected
    assert s["samples"]["shortfall"] == s["samples"]["expected"]
    assert len(s["stalls"]) == 1 and s["stalls"][0]["duration_s"] >= 2.0
    assert s["streaming_s"] < 30  # ended at the timeout, not at the 60 s limit


def test_an_outage_that_never_ends_is_booked_with_its_samples(run_session, energy_clf):
    """The link drops at 1.5 s and never comes back: the missing stream is an open outage, not 0 lost."""
    client = ClientConfig("MujoWatch", scan_timeout_s=5.0, retries=1000)
    pipe, sim, _ = run_session(energy_clf, WatchSimConfig(faults=FaultConfig(drop_at_s=(1.5,), down_s=1000.0)),
                               seconds=5.0, client=client)
    s = pipe.summary()
    [outage] = [o for o in s["gaps"]["outages"] if o.get("ended") is False]
    assert outage["duration_s"] > 2.0 and outage["lost_samples"] == pytest.approx(outage["duration_s"] * 50, abs=1)
    assert s["samples"]["lost"] >= outage["lost_samples"] and s["connection"]["disconnects"] == 1
    assert s["status"] == "ok"  # disconnected is not stalled: the stream was not running
