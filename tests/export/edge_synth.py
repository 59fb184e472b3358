"""Synthetic, learnable labelled IMU windows for the edge tests (no real data needed).

Four activities with distinct physics at 50 Hz (still: gravity only; walk: 2 Hz, run: 3 Hz with
larger amplitude; wave: wrist rotation on the gyro), per-subject orientation gain, tempo and noise,
so a subject-wise split is meaningful and a small student reaches high F1 in ~100 steps.
Imported by path from the other test folders (``load_synth()``), since test folders are not packages.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import DEFAULT_SPEC, STANDARD_GRAVITY
from mujo_edge.data.windows import WindowSet

CLASSES = ("still", "walk", "run", "wave")


def signal(cls: int, n: int, rng: np.random.Generator, gain: float = 1.0, tempo: float = 1.0) -> np.ndarray:
    """``(n, 6)`` acc (m/s²) + gyro (rad/s) of activity ``cls`` at 50 Hz."""
    t = np.arange(n) / 50.0
    ph = rng.uniform(0, 2 * np.pi)
    x = np.zeros((n, 6), np.float64)
    x[:, 2] = STANDARD_GRAVITY
    if cls == 1:
        f = 2.0 * tempo
        x[:, 0] += 2.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 2] += 1.5 * gain * np.sin(4 * np.pi * f * t + ph)
        x[:, 4] += 1.0 * gain * np.sin(2 * np.pi * f * t + ph + 1.0)
    elif cls == 2:
        f = 3.0 * tempo
        x[:, 0] += 6.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 2] += 5.0 * gain * np.abs(np.sin(2 * np.pi * f * t + ph))
        x[:, 4] += 3.0 * gain * np.sin(2 * np.pi * f * t + ph + 1.0)
    elif cls == 3:
        f = 1.0 * tempo
        x[:, 3] += 3.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 1] += 1.0 * gain * np.sin(2 * np.pi * f * t + ph + 0.5)
    x += rng.normal(0, 0.15, x.shape)
    return x.astype(np.float32)


def synthetic_windows(n_subjects: int = 8, per_class: int = 30, seed: int = 0) -> WindowSet:
    """A :class:`WindowSet` at the default spec: ``n_subjects × 4 × per_class`` windows of 128 samples."""
    rng = np.random.default_rng(seed)
    xs, ys, subj = [], [], []
    for s in range(n_subjects):
        gain, tempo = rng.uniform(0.7, 1.3), rng.uniform(0.85, 1.15)
        for c in range(len(CLASSES)):
            for _ in range(per_class):
                xs.append(signal(c, DEFAULT_SPEC.window, rng, gain, tempo))
                ys.append(c)
                subj.append(f"s{s}")
    n = len(ys)
    return WindowSet(dataset="synthetic", spec=DEFAULT_SPEC, class_names=CLASSES, x=np.stack(xs),
                     y=np.asarray(ys, np.int64), subjects=np.asarray(subj), recordings=np.zeros(n, np.int64),
                     starts=np.zeros(n, np.int64), recording_names=("synthetic",), channel_mask=np.ones(6, bool),
                     placement="wrist_left")


def synthetic_recording(classes: tuple[int, ...] = (0, 1, 2, 3), seconds: float = 12.0, rate_hz: float = 100.0,
                        seed: int = 1) -> Recording:
    """A continuous labelled recording (segments of each class) at ``rate_hz``, for CSV / predict tests."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 50)
    data = np.concatenate([signal(c, n, rng) for c in classes])
    labels = np.concatenate([np.full(n, c, np.int16) for c in classes])
    if rate_hz != 50.0:
        from mujo_edge.data.preprocess import resample, resample_labels

        data = resample(data, 50.0, rate_hz)
        labels = resample_labels(labels, 50.0, rate_hz, len(data))
    labels = labels.astype(np.int16)
    labels[:5] = NULL_LABEL
    return Recording(dataset="synthetic", subject="s99", session="demo", rate_hz=rate_hz,
                     channels=DEFAULT_SPEC.channels, data=data, labels=labels, placement="wrist_left")


def load_synth():
    """This module, imported by file path (for test folders outside ``tests/export``)."""
    spec = importlib.util.spec_from_file_location("edge_synth", Path(__file__))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
