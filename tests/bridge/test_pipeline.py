"""The live pipeline without BLE: packets pushed through the notification callback in an event loop."""

# ruff: noqa: F811 - pytest fixtures are imported from bridge_fixtures and named as test arguments
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from mujo_edge.data.csvio import read_recording_csv, write_recording_csv
from mujo_edge.data.preprocess import resample
from mujo_edge.errors import SpecMismatchError
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.pipeline import LivePipeline, PipelineConfig
from mujo_edge.data.synthetic import synthetic_recording

from bridge_fixtures import EnergyClassifier, acc_only_clf, energy_clf  # noqa: F401  (fixtures)

RATE = 50.0


def packets(seconds: float, batch: int = 2, t0_us: int = 4_294_000_000) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """Protocol packets of the synthetic signal at 50 Hz (device clock wraps after ~1 s)."""
    rec = synthetic_recording(seconds)
    x = resample(rec.data, rec.rate_hz, RATE)
    labels = rec.labels[:: int(rec.rate_hz // RATE)][: len(x)]
    counts = P.quantize(x, P.Format.IMU6, 8, 2000)
    pkts = [P.encode_packet(P.Format.IMU6, k, t0_us + int(s * 1e6 / RATE), counts[s:s + batch])
            for k, s in enumerate(range(0, len(x) - batch + 1, batch))]
    return pkts, x, labels


async def drive(pipe: LivePipeline, pkts: list[bytes], pace_every: int = 1, dt: float = 0.0) -> None:
    task = asyncio.create_task(pipe.run())
    pipe.begin_stream(P.MujoDecoder(RATE))
    for i, p in enumerate(pkts):
        pipe.notification_callback(None, bytearray(p))
        if i % pace_every == 0:
            await asyncio.sleep(dt)
    await asyncio.sleep(0.05)
    pipe.stop()
    await asyncio.wait_for(task, 30)


def test_predictions_follow_the_signal_and_nothing_is_lost(energy_clf):
    pkts, x, labels = packets(31.0)
    pipe = LivePipeline(energy_clf, PipelineConfig(smoothing=1.0, record=True))
    asyncio.run(drive(pipe, pkts))
    s = pipe.summary()
    assert s["packets"]["decoded"] == len(pkts) and s["samples"]["lost"] == 0 and s["packets"]["missing"] == 0
    assert s["windows"]["made"] == s["windows"]["predicted"] == len(pipe.predictions) > 15
    # window-by-window: predicted class = majority label of the window's span (10 s blocks rest/walk/run)
    agree = []
    for p in pipe.predictions:
        end = p.index * 64 + 127
        truth = np.bincount(labels[end - 127:end + 1]).argmax()
        agree.append(p.label == energy_clf.label_names[truth])
    assert np.mean(agree) > 0.8
    assert all(np.isfinite(p.latency_s) for p in pipe.predictions)
    rec = pipe.recording()
    assert rec.n_samples == len(pkts) * 2 and rec.rate_hz == RATE


def test_recording_round_trips_through_the_csv_format(energy_clf, tmp_path):
    pkts, x, _ = packets(4.0)
    pipe = LivePipeline(energy_clf, PipelineConfig(record=True))
    asyncio.run(drive(pipe, pkts))
    rec = pipe.recording(session="test")
    back, _ = read_recording_csv(write_recording_csv(rec, tmp_path / "live.csv"))
    assert back.rate_hz == RATE and back.n_samples == rec.n_samples
    np.testing.assert_allclose(back.data, rec.data, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(rec.data, x[: rec.n_samples], atol=8 * 9.81 / 32768 + 2000 * np.pi / 180 / 32768)


def test_smoothing_and_null_rejection(energy_clf):
    pkts, _, _ = packets(12.0)
    strict = LivePipeline(energy_clf, PipelineConfig(reject_below=0.999))
    asyncio.run(drive(strict, pkts))
    s = strict.summary()
    assert s["windows"]["rejected_null"] == s["windows"]["predicted"] > 0
    assert all(p.label is None for p in strict.predictions) and s["windows"]["classes"] == {"NULL": s["windows"]["predicted"]}
    smooth = LivePipeline(energy_clf, PipelineConfig(smoothing=0.2))
    asyncio.run(drive(smooth, pkts))
    p = smooth.predictions
    np.testing.assert_allclose(p[1].smoothed, 0.2 * p[1].probs + 0.8 * p[0].smoothed, rtol=1e-5)


def test_corrupt_and_random_notifications_are_counted_never_raised(energy_clf):
    pkts, _, _ = packets(4.0)
    rng = np.random.default_rng(0)
    junk = [bytes(rng.integers(0, 256, int(rng.integers(0, 60)), dtype=np.uint8)) for _ in range(40)]
    mixed = []
    for i, p in enumerate(pkts):
        mixed.append(p)
        if i < len(junk):
            mixed.append(junk[i])
    pipe = LivePipeline(energy_clf)
    asyncio.run(drive(pipe, mixed))
    s = pipe.summary()
    assert s["packets"]["corrupt"] == 40 and s["packets"]["decoded"] == len(pkts)
    assert sum(s["packets"]["corrupt_reasons"].values()) == 40 and s["packets"]["missing"] == 0


def test_full_raw_queue_drops_are_counted_and_show_as_missing(energy_clf):
    pkts, _, _ = packets(4.0)
    pipe = LivePipeline(energy_clf, PipelineConfig(queue_size=10))
    asyncio.run(drive(pipe, pkts, pace_every=40, dt=0.05))  # bursts of 40 notifications into a queue of 10
    s = pipe.summary()
    assert s["packets"]["queue_drops"] > 0
    assert s["packets"]["received"] == len(pkts) == s["packets"]["decoded"] + s["packets"]["queue_drops"]
    # drops inside the stream appear as sequence gaps (a drop at the very end cannot)
    assert s["packets"]["queue_drops"] - 30 <= s["packets"]["missing"] <= s["packets"]["queue_drops"]


def test_slow_model_drops_oldest_windows_and_counts_them():
    slow = EnergyClassifier(delay_s=0.3)
    pkts, _, _ = packets(20.0)
    pipe = LivePipeline(slow, PipelineConfig(window_queue_size=1))
    asyncio.run(drive(pipe, pkts, pace_every=10, dt=0.001))
    s = pipe.summary()
    assert s["windows"]["dropped"] > 0
    assert s["windows"]["made"] == s["windows"]["predicted"] + s["windows"]["dropped"]


def test_a_stream_without_the_models_channels_is_refused(acc_only_clf, energy_clf):
    pipe = LivePipeline(energy_clf)
    with pytest.raises(SpecMismatchError, match="missing"):
        pipe.begin_stream(P.MujoDecoder(RATE, P.Format.ACC3))
    LivePipeline(acc_only_clf).begin_stream(P.MujoDecoder(RATE, P.Format.ACC3))  # acc model: fine


def test_missing_ble_packages_name_the_extra(monkeypatch):
    import importlib
    import sys

    from mujo_edge.errors import DependencyError
    from mujo_edge.firmware_bridge.client import ClientConfig, find_device

    monkeypatch.setitem(sys.modules, "bleak", None)
    with pytest.raises(DependencyError, match=r"pip install 'mujo-edge\[ble\]'"):
        asyncio.run(find_device(ClientConfig("MujoWatch")))
    monkeypatch.setitem(sys.modules, "dbus_fast", None)
    monkeypatch.delitem(sys.modules, "mujo_edge.firmware_bridge.sim.fake_bluez", raising=False)
    with pytest.raises(DependencyError, match="dbus_fast"):
        importlib.import_module("mujo_edge.firmware_bridge.sim.fake_bluez")


def test_packets_arriving_before_the_decoder_is_known_wait_for_it(energy_clf):
    """Notifications between the device's START and the status read belong to the new stream."""
    pkts, _, _ = packets(4.0)

    async def main(pipe: LivePipeline) -> None:
        task = asyncio.create_task(pipe.run())
        pipe.open_stream()
        for p in pkts[:5]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)
        pipe.begin_stream(P.MujoDecoder(RATE))
        for p in pkts[5:]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)
        pipe.stop()
        await asyncio.wait_for(task, 30)

    pipe = LivePipeline(energy_clf)
    asyncio.run(main(pipe))
    s = pipe.summary()
    assert s["packets"]["decoded"] == len(pkts) and s["packets"]["corrupt"] == 0 and s["packets"]["missing"] == 0


def test_packets_of_a_start_that_never_completed_are_counted_and_do_not_block_the_next_stream(energy_clf):
    """The link drops between START and the status read: that stream never gets a decoder. Its packets
    are counted as unstarted; the restarted stream's packets (sequence from 0 again) flow normally."""
    first, _, _ = packets(1.0)
    second, _, _ = packets(4.0, t0_us=4_294_000_000 + 2_000_000)  # later on the same device clock

    async def main(pipe: LivePipeline) -> None:
        task = asyncio.create_task(pipe.run())
        pipe.open_stream()  # START written ...
        for p in first[:5]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)  # ... link lost before begin_stream: reconnect
        pipe.open_stream()
        for p in second[:3]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)
        pipe.begin_stream(P.MujoDecoder(RATE))
        for p in second[3:]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)
        pipe.stop()
        await asyncio.wait_for(task, 30)

    pipe = LivePipeline(energy_clf)
    asyncio.run(main(pipe))
    s = pipe.summary()["packets"]
    assert s["unstarted"] == 5 and s["decoded"] == len(second) and s["corrupt"] == s["missing"] == 0
    assert s["received"] == s["decoded"] + s["unstarted"]


def test_packets_still_waiting_for_their_start_when_the_pipeline_stops_are_counted(energy_clf):
    pkts, _, _ = packets(1.0)

    async def main(pipe: LivePipeline) -> None:
        task = asyncio.create_task(pipe.run())
        pipe.open_stream()
        for p in pkts[:4]:
            pipe.notification_callback(None, bytearray(p))
        await asyncio.sleep(0.05)
        pipe.stop()
        await asyncio.wait_for(task, 30)

    pipe = LivePipeline(energy_clf)
    asyncio.run(main(pipe))
    s = pipe.summary()["packets"]
    assert s["received"] == s["unstarted"] == 4 and s["decoded"] == s["corrupt"] == 0
