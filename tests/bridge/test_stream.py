"""Streaming resampling and windowing match the offline preprocessing path; gaps, rate errors, channels."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.data.preprocess import resample, sliding_windows
from mujo_edge.data.spec import ACC_CHANNELS, DEFAULT_SPEC, IMU_CHANNELS
from mujo_edge.errors import SpecMismatchError
from mujo_edge.firmware_bridge.stream import StreamAssembler, StreamResampler


def signal(n: int, rate: float, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / rate
    rng = np.random.default_rng(seed)
    x = np.stack([np.sin(2 * np.pi * (0.7 + 0.3 * c) * t + c) for c in range(6)], axis=1)
    return (x + 0.05 * rng.normal(size=x.shape)).astype(np.float32)


@pytest.mark.parametrize(("src", "dst"), [(100, 50), (200, 50), (52, 50), (25, 50), (104, 50), (50, 50)])
def test_streamed_resampling_equals_offline(src, dst):
    x = signal(2000, src)
    r = StreamResampler(src, dst)
    rng = np.random.default_rng(1)
    parts, i = [], 0
    while i < len(x):
        k = int(rng.integers(1, 30))
        parts.append(r.push(x[i:i + k]))
        i += k
    y = np.concatenate(parts)
    ref = resample(x, src, dst)
    assert len(ref) - len(y) <= int(np.ceil(r.half * dst / src)) + 1  # only the look-ahead is still pending
    np.testing.assert_allclose(y, ref[: len(y)], atol=1e-5)


def feed(asm: StreamAssembler, x: np.ndarray, rate: float, batch: int, t0: float = 1000.0, skip=()):
    wins, gaps = [], []
    for k, s in enumerate(range(0, len(x), batch)):
        if k in skip:
            continue
        w, g = asm.add(t0 + s / rate, x[s:s + batch])
        wins += w
        gaps += g
    return wins, gaps


def test_windows_equal_the_offline_windows_when_nothing_is_lost():
    x = signal(3000, 100.0)
    asm = StreamAssembler(DEFAULT_SPEC, 100.0, IMU_CHANNELS)
    wins, gaps = feed(asm, x, 100.0, batch=4)
    ref = sliding_windows(resample(x, 100.0, 50.0), DEFAULT_SPEC.window, DEFAULT_SPEC.hop)
    assert not gaps and len(wins) >= len(ref) - 1
    for w in wins:
        np.testing.assert_allclose(w.x, ref[w.index], atol=1e-5)
    # window end time = start + (index*hop + window - 1) / rate
    last = wins[-1]
    assert last.t_end_device_s == pytest.approx(1000.0 + (last.index * 64 + 127) / 50.0)
    assert asm.lookahead_s == pytest.approx(0.21)


def test_short_gap_is_counted_and_bridged_long_gap_splits():
    x = signal(3000, 50.0)
    asm = StreamAssembler(DEFAULT_SPEC, 50.0, IMU_CHANNELS, max_gap_s=1.0)
    wins, gaps = feed(asm, x, 50.0, batch=2, skip={100, 101, 102})   # 6 samples = 0.12 s
    assert [(g.lost_samples, g.split) for g in gaps] == [(6, False)]
    assert gaps[0].duration_s == pytest.approx(0.12)
    assert asm.samples_lost == 6 and len({w.segment for w in wins}) == 1
    asm2 = StreamAssembler(DEFAULT_SPEC, 50.0, IMU_CHANNELS, max_gap_s=1.0)
    wins2, gaps2 = feed(asm2, x, 50.0, batch=2, skip=set(range(200, 240)))  # 80 samples = 1.6 s
    assert [(g.lost_samples, g.split) for g in gaps2] == [(80, True)]
    assert {w.segment for w in wins2} == {0, 1}
    for w in wins2:  # no window spans the hole
        start = w.t_end_device_s - (DEFAULT_SPEC.window - 1) / 50.0
        assert not (start < 1000.0 + 480 / 50.0 and w.t_end_device_s > 1000.0 + 400 / 50.0)


def test_device_whose_real_rate_differs_from_the_declared_one():
    """Declared 50 Hz, really 52 Hz (honest timestamps): the period estimate follows the timestamps."""
    true_rate = 52.0
    x = signal(2600, true_rate)
    asm = StreamAssembler(DEFAULT_SPEC, 50.0, IMU_CHANNELS)
    wins, gaps = feed(asm, x, true_rate, batch=2)
    assert asm.measured_rate_hz == pytest.approx(52.0, rel=2e-3)
    assert not gaps and asm.samples_overlap == 0
    # the stream lasts 50 s of device time -> about 50 * 50 / 64 windows at the model's 50 Hz grid
    assert abs(len(wins) - (2600 / true_rate * 50 - 128) / 64) <= 3


def test_missing_channels_are_an_error_unless_allowed():
    with pytest.raises(SpecMismatchError, match="missing"):
        StreamAssembler(DEFAULT_SPEC, 50.0, ACC_CHANNELS)
    asm = StreamAssembler(DEFAULT_SPEC, 50.0, ACC_CHANNELS, allow_missing_channels=True)
    wins, _ = feed(asm, signal(400, 50.0)[:, :3], 50.0, batch=5)
    assert wins and np.all(wins[0].x[:, 3:] == 0)
    # channels the model does not use (runtime's channels_used) are zero-filled without an error
    StreamAssembler(DEFAULT_SPEC, 50.0, ACC_CHANNELS, required=ACC_CHANNELS)
