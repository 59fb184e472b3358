"""Example files in the shapes real watch exports have, for the own-data walk-through and the tests.

``write_watch_csv`` writes one subject's session as a device app would export it: activities from
:func:`mujo_edge.data.synthetic.activity_signal` at an odd device rate with clock jitter, timestamps
in a chosen unit and origin (epoch nanoseconds, whole milliseconds that repeat, ...), acceleration in
g or m/s², rotation in deg/s or rad/s, columns named the device's way (``ax``, ``gx``, ``timestamp``,
``activity``). ``mujo-edge data example`` writes a small study of them (see docs/own-data.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.data.synthetic import activity_signal

#: Activity label → the synthetic physics that stands in for it.
PHYSICS = {"walking": "walk", "running": "run", "sitting": "still", "waving": "wave", "sit_to_stand": "wave",
           "turning": "walk"}


def session_signal(plan: list[tuple[str, float]], rate_hz: float, seed: int, jitter: float = 0.0
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(t (T,) s from 0, x (T, 6) SI, labels)`` for ``plan`` = [(label, seconds), ...] at ``rate_hz`` with clock jitter."""
    rng = np.random.default_rng(seed)
    gain, tempo = rng.uniform(0.8, 1.2), rng.uniform(0.9, 1.1)
    xs, labels = [], []
    for label, seconds in plan:
        n = max(2, int(round(seconds * rate_hz)))
        xs.append(activity_signal(PHYSICS[label], n, rng, gain, tempo, rate_hz))
        labels += [label] * n
    x = np.concatenate(xs)
    period = 1.0 / rate_hz
    t = np.arange(len(x)) * period + rng.uniform(-jitter, jitter, len(x)) * period
    t = np.maximum.accumulate(t)
    return t, x, labels


def write_watch_csv(path: Path, plan: list[tuple[str, float]], rate_hz: float = 104.3, seed: int = 0,
                    jitter: float = 0.2, time_unit: str = "ns", epoch: float = 1.7e9, acc_unit: str = "g",
                    gyro_unit: str = "deg/s", columns: tuple[str, ...] = ("ax", "ay", "az", "gx", "gy", "gz"),
                    time_column: str = "timestamp", label_column: str | None = "activity", acc_only: bool = False,
                    gap_after_s: float | None = None, gap_s: float = 10.0, extra_columns: dict[str, str] | None = None,
                    delimiter: str = ",") -> Path:
    """Write one session as a device would export it; returns the path."""
    t, x, labels = session_signal(plan, rate_hz, seed, jitter)
    if gap_after_s is not None:  # the device stopped recording for a while
        t = t + np.where(t > gap_after_s, gap_s, 0.0)
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[time_unit]
    stamps = (epoch + t) * scale
    if time_unit == "ms":
        stamps = np.floor(stamps)  # whole milliseconds: ticks repeat at > 1 kHz / 2
    acc = x[:, :3] / (STANDARD_GRAVITY if acc_unit == "g" else 1.0)
    gyro = x[:, 3:] * (180.0 / np.pi if gyro_unit == "deg/s" else 1.0)
    cols = list(columns[:3] if acc_only else columns)
    values = acc if acc_only else np.hstack([acc, gyro])
    header = [time_column, *cols] + ([label_column] if label_column else []) + list(extra_columns or {})
    lines = [delimiter.join(header)]
    for i in range(len(t)):
        row = [f"{stamps[i]:.0f}" if time_unit in ("ms", "us", "ns") else f"{stamps[i]:.6f}",
               *(f"{v:.6g}" for v in values[i])]
        if label_column:
            row.append(labels[i])
        row += list((extra_columns or {}).values())
        lines.append(delimiter.join(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


#: A day of daily life at the wrist: long activities and 1-2 s transitions.
DAILY = [("sitting", 20.0), ("sit_to_stand", 1.5), ("walking", 25.0), ("turning", 1.8), ("walking", 15.0),
         ("running", 20.0), ("sitting", 12.0), ("sit_to_stand", 1.2), ("walking", 10.0)]


def write_study(root: Path, subjects: int = 6, first_seed: int = 0, **kw: object) -> Path:
    """``root/subject_XX/session_1.csv`` for ``subjects`` subjects (one seed each, from ``first_seed``): a
    wrist watch at 104.3 Hz stamping epoch nanoseconds, g and deg/s, labels in an ``activity`` column; returns ``root``."""
    for s in range(subjects):
        write_watch_csv(Path(root) / f"subject_{first_seed + s + 1:02d}" / "session_1.csv", DAILY, seed=first_seed + s,
                        **kw)  # type: ignore[arg-type]
    return Path(root)
