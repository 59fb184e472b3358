"""Packet ordering (loss, reordering, duplicates, wrap-around) and the device clock model."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.firmware_bridge.timing import ClockModel, Reorderer, unwrap


def test_unwrap_counters():
    assert unwrap(5, None, 1 << 16) == 5
    assert unwrap(2, 65534, 1 << 16) == 65538          # forward across the wrap
    assert unwrap(65535, 65538, 1 << 16) == 65535      # a late packet from before the wrap
    assert unwrap(10, 4_294_967_290, 1 << 32) == 4_294_967_306
    assert unwrap(123, 456, 0) == 123                  # counters that never wrap


def feed(r: Reorderer, seqs, t0=0.0, dt=0.01):
    out = []
    for i, s in enumerate(seqs):
        out += r.push(s, s, t0 + i * dt)
    return out


def test_in_order_stream_passes_straight_through():
    r = Reorderer(depth=4, max_wait_s=1.0)
    assert feed(r, range(10)) == list(range(10))
    assert (r.counts.missing, r.counts.duplicate, r.counts.reordered) == (0, 0, 0)


def test_reordered_packets_are_put_back_in_order():
    r = Reorderer(depth=4, max_wait_s=1.0)
    assert feed(r, [0, 2, 1, 3, 5, 4, 6]) == [0, 1, 2, 3, 4, 5, 6]
    assert r.counts.reordered == 2 and r.counts.missing == 0


def test_lost_packet_declared_missing_after_depth_then_late_copy_discarded():
    r = Reorderer(depth=3, max_wait_s=10.0)
    out = feed(r, [0, 1, 3, 4, 5, 6])
    assert out == [0, 1, 3, 4, 5, 6] and r.counts.missing == 1
    assert r.push(2, 2, 1.0) == [] and r.counts.late == 1


def test_missing_packet_released_after_timeout():
    r = Reorderer(depth=8, max_wait_s=0.1)
    assert feed(r, [0, 2]) == [0]
    assert r.flush(now=0.05) == []
    assert r.flush(now=0.2) == [2] and r.counts.missing == 1


def test_duplicates_and_sequence_wrap():
    r = Reorderer(depth=4, max_wait_s=1.0)
    seqs = [65533, 65534, 65534, 65535, 0, 0, 1]
    assert feed(r, seqs) == [65533, 65534, 65535, 0, 1]
    assert r.counts.duplicate == 2 and r.counts.missing == 0


def test_reset_starts_a_new_sequence():
    r = Reorderer(depth=4, max_wait_s=1.0)
    feed(r, [0, 1, 2, 3])
    r.reset()
    assert feed(r, [0, 1]) == [0, 1] and r.counts.duplicate == 0


def _observations(drift_ppm: float, offset_s: float, seconds: float, seed: int = 0):
    """Device clock fast by drift_ppm; packets every 40 ms with exponential transport delays (mean 3 ms)."""
    rng = np.random.default_rng(seed)
    host = np.arange(0, seconds, 0.04) + 100.0
    device = (host - 100.0) * (1 + drift_ppm * 1e-6) + offset_s
    recv = host + 0.0005 + rng.exponential(0.003, host.size)
    return device, recv, host


@pytest.mark.parametrize("drift_ppm", [0.0, 300.0, -1000.0])
def test_clock_model_recovers_offset_and_drift(drift_ppm):
    device, recv, host = _observations(drift_ppm, offset_s=5000.0, seconds=30.0)
    cm = ClockModel()
    for d, h in zip(device, recv):
        cm.update(d, h)
    assert cm.device_drift_ppm == pytest.approx(drift_ppm, abs=60.0)
    err = cm.to_host(device[-200:]) - host[-200:]
    # lower envelope: mapped times sit at the true time plus the smallest delay (~0.5 ms)
    assert np.all(np.abs(err - 0.0005) < 0.003)
    assert np.all(recv[-200:] - cm.to_host(device[-200:]) >= -1e-9)  # never "received before sampled"


def test_clock_model_restarts_after_a_device_reboot():
    device, recv, _ = _observations(0.0, offset_s=5000.0, seconds=5.0)
    cm = ClockModel()
    for d, h in zip(device, recv):
        cm.update(d, h)
    cm.update(0.5, recv[-1] + 0.04)  # device clock back near zero
    assert cm.resets == 1
    assert float(cm.to_host(0.5)) == pytest.approx(recv[-1] + 0.04, abs=1e-6)
