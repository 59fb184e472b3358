"""What the simulated watch streams: a real recording, a recording CSV, or a synthetic signal.

Source strings (``mujo-edge watch-sim --source``, ``mujo-edge live --simulate``):

* ``synthetic`` or ``synthetic:SECONDS``: three activities (rest, walk, run) of 10 s each, repeated,
  acc + gyro at 100 Hz in SI units; deterministic;
* ``dataset:NAME`` / ``dataset:NAME:SUBJECT`` / ``dataset:NAME:SUBJECT:SESSION``: one recording of a
  registered dataset (the first matching one), read from ``MUJO_EDGE_DATA_DIR`` and cached as a
  recording CSV under the cache folder (reading one member of a large archive takes seconds);
* a path to a recording CSV (:mod:`mujo_edge.data.csvio`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import ConfigError, DataError

log = logging.getLogger(__name__)

SYNTHETIC_CLASSES: tuple[str, ...] = ("rest", "walk", "run")
SYNTHETIC_RATE_HZ = 100.0


def synthetic_recording(seconds: float = 60.0, rate_hz: float = SYNTHETIC_RATE_HZ, seed: int = 0,
                        subject: str = "synthetic") -> Recording:
    """Rest / walk / run blocks of 10 s (cycled) as a ``(T, 6)`` acc + gyro recording at ``rate_hz``.

    Rest: gravity on z plus sensor noise. Walk: 1.8 Hz vertical bounce (±2 m/s²) and 0.9 Hz sway and
    pitch. Run: 2.8 Hz bounce (±6 m/s²), 1.4 Hz sway, stronger rotation. Amplitudes and step rates
    drift slowly, so windows are not identical. Labels index :data:`SYNTHETIC_CLASSES`.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate_hz))
    t = np.arange(n) / rate_hz
    labels = ((t // 10.0).astype(np.int64) % len(SYNTHETIC_CLASSES)).astype(np.int16)
    wobble = 1.0 + 0.15 * np.sin(2 * np.pi * t / 23.0 + rng.uniform(0, 6.28))
    step = np.where(labels == 2, 2.8, 1.8) * (1.0 + 0.05 * np.sin(2 * np.pi * t / 17.0))
    phase = 2 * np.pi * np.cumsum(step) / rate_hz
    amp = np.select([labels == 0, labels == 1, labels == 2], [0.0, 1.0, 3.0]) * wobble
    x = np.zeros((n, 6))
    x[:, 0] = amp * 1.0 * np.sin(phase / 2)
    x[:, 1] = amp * 0.4 * np.sin(phase + 0.7)
    x[:, 2] = STANDARD_GRAVITY + amp * 2.0 * np.sin(phase)
    x[:, 3] = amp * 0.3 * np.sin(phase + 1.1)
    x[:, 4] = amp * 0.8 * np.sin(phase / 2 + 0.3)
    x[:, 5] = amp * 0.2 * np.sin(phase / 2 + 2.0)
    x[:, :3] += rng.normal(0, 0.05, (n, 3))
    x[:, 3:] += rng.normal(0, 0.01, (n, 3))
    return Recording(dataset="synthetic", subject=subject, session=f"seed{seed}", rate_hz=rate_hz,
                     channels=IMU_CHANNELS, data=x.astype(np.float32), labels=labels, placement="wrist_left",
                     source=f"synthetic:{seconds:g}")


def load_source(source: str, data_root: str | Path | None = None) -> tuple[Recording, tuple[str, ...]]:
    """The recording and class names named by ``source`` (see module doc)."""
    if source == "synthetic" or source.startswith("synthetic:"):
        seconds = 60.0
        if ":" in source:
            try:
                seconds = float(source.split(":", 1)[1])
            except ValueError:
                raise ConfigError(f"bad source {source!r}: synthetic:SECONDS needs a number") from None
        if not seconds > 1:
            raise ConfigError(f"bad source {source!r}: a synthetic signal needs more than 1 s")
        return synthetic_recording(seconds), SYNTHETIC_CLASSES
    if source.startswith("dataset:"):
        parts = source.split(":")[1:]
        if not 1 <= len(parts) <= 3 or not parts[0]:
            raise ConfigError(f"bad source {source!r}; use dataset:NAME[:SUBJECT[:SESSION]]")
        return _dataset_recording(*parts, data_root=data_root)
    path = Path(source)
    if path.suffix.lower() == ".csv" or path.exists():
        from mujo_edge.data.csvio import read_recording_csv

        if not path.exists():
            raise DataError(f"recording CSV {path} does not exist")
        return read_recording_csv(path)
    raise ConfigError(f"unknown source {source!r}; valid: synthetic[:SECONDS], dataset:NAME[:SUBJECT[:SESSION]], "
                      f"or a recording CSV path")


def _dataset_recording(name: str, subject: str | None = None, session: str | None = None,
                       data_root: str | Path | None = None) -> tuple[Recording, tuple[str, ...]]:
    from mujo_edge.data.csvio import read_recording_csv, write_recording_csv
    from mujo_edge.data.datasets import get_dataset
    from mujo_edge.paths import cache_dir

    info = get_dataset(name)
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{name}_{subject or 'first'}_{session or 'first'}")
    cached = cache_dir() / "live_sources" / f"{key}.csv"
    if cached.exists():
        rec, _ = read_recording_csv(cached, info.class_names)
        return rec, info.class_names
    tree = info.open(data_root)
    wanted = _member_filter(tree, subject, session)
    recs = info.loader(wanted, info.placements[0])
    recs = [r for r in recs if (subject is None or r.subject == subject) and (session is None or r.session == session)]
    if not recs:
        raise DataError(f"dataset {name}: no recording with subject {subject!r} and session {session!r}")
    rec = recs[0]
    write_recording_csv(rec, cached, info.class_names)
    log.info("cached %s/%s/%s as %s", name, rec.subject, rec.session, cached)
    return rec, info.class_names


def _member_filter(tree, subject: str | None, session: str | None):  # noqa: ANN001, ANN202 - SourceTree
    """A view of ``tree`` whose members mention the subject / session (fewer files to parse)."""
    members = tree.members()
    tokens = [t for t in (subject, session) if t]
    if not tokens:
        return tree
    pattern = [re.compile(rf"(?<![A-Za-z0-9]){re.escape(t)}(?![0-9])") for t in tokens]
    chosen = [m for m in members if all(p.search(m) for p in pattern)]
    if not chosen:
        return tree
    view = type(tree)(tree.path, tree.manifest)
    view._members = chosen  # SourceTree caches its member list here
    return view
