"""``tools/realism_stats.py``: the per-window statistics it prints mean what its docstring says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

_PATH = Path(__file__).resolve().parents[2] / "tools" / "realism_stats.py"
_spec = importlib.util.spec_from_file_location("realism_stats", _PATH)
assert _spec is not None and _spec.loader is not None
realism_stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(realism_stats)


def test_a_still_device_shows_gravity_on_its_axis_and_no_motion() -> None:
    x = np.zeros((4, 128, 6), np.float32)
    x[:, :, 1] = 9.81  # gravity along the device's y axis
    sd, _, _, gyro, g, shape = realism_stats.window_stats(x, 50.0)
    assert sd < 1e-5 and gyro == 0.0
    np.testing.assert_allclose(shape, 0.0, atol=1e-5)  # no vertical or horizontal motion, no change of turn rate
    np.testing.assert_allclose(g, [0.0, 1.0, 0.0], atol=1e-6)


def test_a_bounce_at_a_known_rate_is_found_and_counted_as_low_frequency() -> None:
    t = np.arange(128) / 50.0
    x = np.zeros((2, 128, 6), np.float32)
    x[:, :, 2] = 9.81 + 3.0 * np.sin(2 * np.pi * 2.34 * t)  # 2.34 Hz is the FFT bin 6 of 128 samples at 50 Hz
    x[:, :, 3] = 0.5
    sd, fdom, high, gyro, g, shape = realism_stats.window_stats(x, 50.0)
    assert abs(fdom - 6 * 50.0 / 128) < 1e-6
    assert high < 0.01 and abs(sd - 3.0 / np.sqrt(2)) < 0.1 and abs(gyro - 0.5) < 1e-6
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0], atol=1e-6)
    v_sd, v_skew, h_sd, w_sd = shape  # all of it vertical and symmetric; a steady turn rate
    assert abs(v_sd - 3.0 / np.sqrt(2)) < 0.1 and abs(v_skew) < 0.05 and h_sd < 1e-5 and w_sd < 1e-6


def test_short_hard_pushes_are_skewed_and_sideways_motion_and_jolting_turns_are_measured() -> None:
    """A stair-step-like vertical signal (short upward spikes on a long gentle sag) has positive skewness; a
    sideways oscillation shows in the horizontal SD only; a turn rate that jumps shows in the |gyro| SD."""
    x = np.zeros((1, 128, 6), np.float32)
    x[0, :, 2] = 9.81 - 1.0
    x[0, ::16, 2] += 16.0  # one hard 1-sample push every 16 samples
    x[0, :, 0] = 2.0 * np.sin(2 * np.pi * np.arange(128) / 32)  # sideways sway
    x[0, :, 4] = np.where(np.arange(128) % 16 < 2, 3.0, 0.5)  # a jolt of turn rate at every push
    _, _, _, _, _, (v_sd, v_skew, h_sd, w_sd) = realism_stats.window_stats(x, 50.0)
    assert v_skew > 2.0 and v_sd > 3.0
    assert abs(h_sd - 2.0 * 2 / np.pi) < 0.3  # mean |2 sin| over a whole number of periods
    assert abs(w_sd - np.std(x[0, :, 4])) < 1e-5
