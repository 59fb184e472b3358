"""Resampling, interpolation, channel selection, windowing and the label-purity rule."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.data import DEFAULT_SPEC, NULL_LABEL, Recording, windows_from_recordings
from mujo_edge.data.preprocess import (
    interpolate_uniform,
    resample,
    resample_labels,
    select_channels,
    sliding_windows,
    to_spec,
    window_labels,
    window_starts,
)
from mujo_edge.errors import SpecMismatchError


def dominant_hz(x: np.ndarray, rate: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spec.argmax()])


@pytest.mark.parametrize("src, dst, f", [(100.0, 50.0, 3.0), (32.0, 50.0, 2.5), (20.0, 50.0, 1.5), (50.0, 30.0, 4.0)])
def test_resampling_keeps_a_sines_frequency_and_length(src, dst, f):
    t = np.arange(int(20 * src)) / src
    x = np.sin(2 * np.pi * f * t)[:, None]
    y = resample(x, src, dst)
    assert y.shape == (int(np.ceil(len(x) * dst / src)), 1)
    assert dominant_hz(y[:, 0], dst) == pytest.approx(f, abs=0.1)
    core = y[len(y) // 4: 3 * len(y) // 4, 0]
    assert np.max(np.abs(core)) == pytest.approx(1.0, abs=0.02)  # amplitude kept in the pass band


def test_downsampling_filters_what_would_alias():
    src, dst = 100.0, 50.0
    t = np.arange(2000) / src
    x = np.sin(2 * np.pi * 40.0 * t)[:, None]  # above the new Nyquist (25 Hz)
    y = resample(x, src, dst)
    assert np.sqrt(np.mean(y[100:-100] ** 2)) < 0.01  # naive decimation would keep an aliased 10 Hz sine


def test_resample_labels_nearest_and_interpolate_uniform():
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    assert resample_labels(labels, 100.0, 50.0, 4).tolist() == [0, 1, 2, 3]
    t = np.array([0.0, 0.02, 0.05, 0.06, 0.1])
    grid, y = interpolate_uniform(t, t[:, None] * 10, 50.0)
    np.testing.assert_allclose(grid, [0, 0.02, 0.04, 0.06, 0.08, 0.1])
    np.testing.assert_allclose(y[:, 0], grid * 10, atol=1e-6)
    with pytest.raises(SpecMismatchError, match="increasing"):
        interpolate_uniform(np.array([0.0, 0.0, 1.0]), np.zeros((3, 1)), 10)


def test_any_real_rate_resamples_through_the_grid_plan():
    """104.3 Hz used to fail ("cannot resample ... with a rational factor"): no small fraction reaches 50 Hz."""
    from mujo_edge.data.preprocess import grid_plan, rate_ratio

    with pytest.raises(SpecMismatchError, match="cannot resample"):
        rate_ratio(50.0, 50.0 * 1.00005)  # needs a denominator of 20000
    assert grid_plan(104.3, 50.0).grid_hz == 100.0 and (grid_plan(104.3, 50.0).up, grid_plan(104.3, 50.0).down) == (1, 2)
    assert grid_plan(52.0, 50.0).grid_hz == 52.0  # a small fraction (25/26): straight through resample_poly
    t = np.arange(2086) / 104.3  # 20 s
    x = np.sin(2 * np.pi * 2.0 * t)[:, None]
    y = resample(x, 104.3, 50.0)
    assert abs(len(y) - 1000) <= 1
    ref = np.sin(2 * np.pi * 2.0 * np.arange(len(y)) / 50.0)
    np.testing.assert_allclose(y[20:-20, 0], ref[20:-20], atol=0.02)  # same 2 Hz wave, edges aside
    for bad in (0.0, -50.0, float("nan")):
        with pytest.raises(SpecMismatchError, match="positive number of Hz"):
            resample(x, bad, 50.0)


def test_select_channels_zero_fills_and_masks():
    rec = Recording("x", "1", "s", 50.0, ("acc_z", "acc_x", "acc_y"), np.tile([3.0, 1.0, 2.0], (4, 1)), np.zeros(4), "waist")
    data, mask = select_channels(rec, DEFAULT_SPEC.channels)
    assert mask.tolist() == [True, True, True, False, False, False]
    np.testing.assert_array_equal(data[0], [1, 2, 3, 0, 0, 0])


def test_windows_and_starts_line_up():
    x = np.arange(300, dtype=np.float32)[:, None]
    starts = window_starts(300, 128, 64)
    assert starts.tolist() == [0, 64, 128]
    w = sliding_windows(x, 128, 64)
    assert w.shape == (3, 128, 1) and w[2, 0, 0] == 128 and w[2, -1, 0] == 255
    assert window_starts(100, 128, 64).size == 0


def test_purity_rule_and_null():
    labels = np.full(512, NULL_LABEL, dtype=np.int16)
    labels[0:128] = 2                 # pure
    labels[128:128 + 103] = 3         # exactly 103 of 128 -> kept (>= 80 %)
    labels[256:256 + 102] = 4         # 102 -> dropped
    labels[384:512] = NULL_LABEL      # NULL majority -> dropped
    y = window_labels(labels, np.array([0, 128, 256, 384]), 128, DEFAULT_SPEC.min_majority)
    assert y.tolist() == [2, 3, NULL_LABEL, NULL_LABEL]


def test_to_spec_and_windows_from_recordings_keep_labels_with_their_samples():
    n = 1000  # 10 s at 100 Hz: first half class 0, second half class 1
    data = np.zeros((n, 6), np.float32)
    data[:, 0] = np.arange(n)  # a ramp tells where every sample came from
    labels = np.r_[np.zeros(500), np.ones(500)].astype(np.int16)
    rec = Recording("x", "s1", "t", 100.0, DEFAULT_SPEC.channels, data, labels, "waist")
    x, lab, mask = to_spec(rec, DEFAULT_SPEC)
    assert len(x) == 500 and mask.all()
    ws = windows_from_recordings([rec], DEFAULT_SPEC, "x", ("a", "b"), "waist")
    assert ws.starts.tolist() == [0, 64, 128, 256, 320]  # 192..319 mixes 58 / 70 samples: dropped
    assert ws.y.tolist() == [0, 0, 0, 1, 1]
    for i, s in enumerate(ws.starts):
        # ramp value at a window's first sample = 2 x its start at 50 Hz (away from filter edges)
        if 0 < s < 300:
            assert ws.x[i, 0, 0] == pytest.approx(2 * s, abs=1.0)
    assert ws.stats["dropped_impure"] == 1 and ws.stats["dropped_null"] == 0
