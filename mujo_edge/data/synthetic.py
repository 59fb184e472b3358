"""Synthetic, learnable IMU signals: the one home of every made-up sensor stream in mujo-edge.

Used where no real data may be assumed: the simulated watch's ``synthetic`` stream, the quickstart
without ``MUJO_EDGE_DATA_DIR``, and tests. Four activities with distinct physics, acc in m/s² (specific
force: gravity on +z when the device lies flat) and gyro in rad/s:

* ``still`` (alias ``rest``): gravity plus sensor noise;
* ``walk``: 2 Hz sway on x (±2 m/s²), 4 Hz vertical bounce (±1.5 m/s²), 2 Hz pitch on gyro y;
* ``run``: 3 Hz, larger sway (±6 m/s²), rectified bounce (up to 5 m/s²), stronger pitch;
* ``wave``: 1 Hz wrist roll on gyro x (±3 rad/s) and a little y acceleration.

A subject is a ``gain`` (amplitude) and ``tempo`` (frequency) drawn per subject, so subject-wise splits
are meaningful; ``orientation`` rotates gravity about x for activities seen at another device pose.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.prepare import windows_from_recordings
from mujo_edge.data.preprocess import resample, resample_labels
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import DEFAULT_SPEC, IMU_CHANNELS, STANDARD_GRAVITY, SensorSpec
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import UnknownNameError

#: Activities :func:`activity_signal` can make (``rest`` is ``still``).
ACTIVITIES: tuple[str, ...] = ("still", "rest", "walk", "run", "wave")
#: Classes of the edge windows (:func:`synthetic_windows`, :func:`activity_recording`).
EDGE_CLASSES: tuple[str, ...] = ("still", "walk", "run", "wave")
#: Classes the simulated watch streams (``synthetic``): 10 s blocks, cycled.
SYNTHETIC_CLASSES: tuple[str, ...] = ("rest", "walk", "run")
SYNTHETIC_RATE_HZ = 100.0
BLOCK_SECONDS = 10.0


def activity_signal(activity: str, n: int, rng: np.random.Generator, gain: float = 1.0, tempo: float = 1.0,
                    rate_hz: float = 50.0, orientation_rad: float = 0.0) -> np.ndarray:
    """``(n, 6)`` float32 acc (m/s²) + gyro (rad/s) of ``activity`` sampled at ``rate_hz`` Hz.

    Args:
        activity: one of :data:`ACTIVITIES`.
        n: samples.
        rng: noise and phase generator (one phase per call).
        gain, tempo: amplitude and frequency factors of the subject.
        rate_hz: sample rate, Hz.
        orientation_rad: device rotation about its x axis (gravity moves from z towards y).
    """
    if activity not in ACTIVITIES:
        raise UnknownNameError("synthetic activity", activity, ACTIVITIES)
    t = np.arange(n) / rate_hz
    ph = rng.uniform(0, 2 * np.pi)
    x = np.zeros((n, 6), np.float64)
    x[:, 1] = STANDARD_GRAVITY * np.sin(orientation_rad)
    x[:, 2] = STANDARD_GRAVITY * np.cos(orientation_rad)
    if activity == "walk":
        f = 2.0 * tempo
        x[:, 0] += 2.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 2] += 1.5 * gain * np.sin(4 * np.pi * f * t + ph)
        x[:, 4] += 1.0 * gain * np.sin(2 * np.pi * f * t + ph + 1.0)
    elif activity == "run":
        f = 3.0 * tempo
        x[:, 0] += 6.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 2] += 5.0 * gain * np.abs(np.sin(2 * np.pi * f * t + ph))
        x[:, 4] += 3.0 * gain * np.sin(2 * np.pi * f * t + ph + 1.0)
    elif activity == "wave":
        f = 1.0 * tempo
        x[:, 3] += 3.0 * gain * np.sin(2 * np.pi * f * t + ph)
        x[:, 1] += 1.0 * gain * np.sin(2 * np.pi * f * t + ph + 0.5)
    x += rng.normal(0, 0.15, x.shape)
    return x.astype(np.float32)


def synthetic_windows(n_subjects: int = 8, per_class: int = 30, seed: int = 0,
                      classes: tuple[str, ...] = EDGE_CLASSES) -> WindowSet:
    """A :class:`WindowSet` at the default spec (50 Hz, 128 samples): ``n_subjects × len(classes) × per_class`` windows.

    Each window is drawn on its own (random phase); subjects ``s0..`` differ in gain and tempo.
    """
    rng = np.random.default_rng(seed)
    xs, ys, subj = [], [], []
    for s in range(n_subjects):
        gain, tempo = rng.uniform(0.7, 1.3), rng.uniform(0.85, 1.15)
        for c, name in enumerate(classes):
            for _ in range(per_class):
                xs.append(activity_signal(name, DEFAULT_SPEC.window, rng, gain, tempo, DEFAULT_SPEC.rate_hz))
                ys.append(c)
                subj.append(f"s{s}")
    n = len(ys)
    return WindowSet(dataset="synthetic", spec=DEFAULT_SPEC, class_names=classes, x=np.stack(xs),
                     y=np.asarray(ys, np.int64), subjects=np.asarray(subj), recordings=np.zeros(n, np.int64),
                     starts=np.zeros(n, np.int64), recording_names=("synthetic",), channel_mask=np.ones(6, bool),
                     placement="wrist_left")


def activity_recording(classes: tuple[int, ...] = (0, 1, 2, 3), seconds: float = 12.0, rate_hz: float = 100.0,
                       seed: int = 1, names: tuple[str, ...] = EDGE_CLASSES) -> Recording:
    """A continuous labelled recording: ``seconds`` of each class index in ``classes`` (of ``names``) at ``rate_hz``.

    Made at 50 Hz and resampled through the one preprocessing path; the first 5 samples are NULL.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * 50)
    data = np.concatenate([activity_signal(names[c], n, rng) for c in classes])
    labels = np.concatenate([np.full(n, c, np.int16) for c in classes])
    if rate_hz != 50.0:
        data = resample(data, 50.0, rate_hz)
        labels = resample_labels(labels, 50.0, rate_hz, len(data))
    labels = labels.astype(np.int16)
    labels[:5] = NULL_LABEL
    return Recording(dataset="synthetic", subject="s99", session="demo", rate_hz=rate_hz,
                     channels=DEFAULT_SPEC.channels, data=data, labels=labels, placement="wrist_left")


def synthetic_recording(seconds: float = 60.0, rate_hz: float = SYNTHETIC_RATE_HZ, seed: int = 0,
                        subject: str = "synthetic") -> Recording:
    """The simulated watch's stream: :data:`SYNTHETIC_CLASSES` in blocks of 10 s (cycled), ``(T, 6)`` at ``rate_hz``.

    Deterministic for a ``seed``; the seed also sets the subject's gain and tempo. Labels index
    :data:`SYNTHETIC_CLASSES`.
    """
    rng = np.random.default_rng(seed)
    gain, tempo = rng.uniform(0.7, 1.3), rng.uniform(0.85, 1.15)
    n = int(round(seconds * rate_hz))
    block = int(round(BLOCK_SECONDS * rate_hz))
    parts, labels = [], []
    for b, start in enumerate(range(0, n, block)):
        k = b % len(SYNTHETIC_CLASSES)
        m = min(block, n - start)
        parts.append(activity_signal(SYNTHETIC_CLASSES[k], m, rng, gain, tempo, rate_hz))
        labels.append(np.full(m, k, np.int16))
    data = np.concatenate(parts) if parts else np.zeros((0, 6), np.float32)
    lab = np.concatenate(labels) if labels else np.zeros(0, np.int16)
    return Recording(dataset="synthetic", subject=subject, session=f"seed{seed}", rate_hz=rate_hz,
                     channels=IMU_CHANNELS, data=data, labels=lab, placement="wrist_left", source=f"synthetic:{seconds:g}")


def synthetic_watch_windows(subjects: int = 8, seconds: float = 120.0, spec: SensorSpec = DEFAULT_SPEC) -> WindowSet:
    """Labelled windows of the simulated watch's stream, one seed per subject (``s0..``), at ``spec``."""
    recs = [synthetic_recording(seconds, seed=100 + s, subject=f"s{s}") for s in range(subjects)]
    return windows_from_recordings(recs, spec, "synthetic_watch", SYNTHETIC_CLASSES, "wrist_left")
