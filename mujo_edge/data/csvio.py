"""The recording CSV format: what ``live --record`` writes and ``predict --input`` reads.

Layout (UTF-8)::

    # mujo-edge-recording v1
    # rate_hz=50.0
    # placement=wrist_left
    # subject=me
    # session=morning-walk
    t_s,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,label
    0.000000,0.12,9.79,0.33,0.01,-0.02,0.00,walking
    0.020000,...

* ``t_s``: seconds since the start (optional column). Channels: any subset of
  ``acc_x..gyro_z`` in SI units (m/s², rad/s). ``label``: class name, empty for NULL (optional).
* ``rate_hz`` is required when there is no ``t_s`` column. With ``t_s``, samples are checked for
  order; irregular timing (jitter above 10 % of the period, or gaps) is interpolated onto a uniform
  grid at ``rate_hz`` (or the median rate) with a logged note, never silently.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np

from mujo_edge.data.preprocess import interpolate_uniform
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import CHANNEL_UNITS
from mujo_edge.errors import CorruptFileError

log = logging.getLogger(__name__)

MAGIC = "# mujo-edge-recording v1"


def write_recording_csv(rec: Recording, path: str | Path, class_names: tuple[str, ...] | None = None) -> Path:
    """Write ``rec`` to ``path`` (labels as names from ``class_names``; without them as class indices)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = rec.timestamps if rec.timestamps is not None else np.arange(rec.n_samples) / rec.rate_hz
    with open(path, "w", newline="") as f:
        for line in (MAGIC, f"# rate_hz={rec.rate_hz!r}", f"# placement={rec.placement}", f"# subject={rec.subject}",
                     f"# session={rec.session}", f"# dataset={rec.dataset}"):
            f.write(line + "\n")
        w = csv.writer(f)
        w.writerow(["t_s", *rec.channels, "label"])
        for i in range(rec.n_samples):
            lab = int(rec.labels[i])
            name = "" if lab == NULL_LABEL else (class_names[lab] if class_names else str(lab))
            w.writerow([f"{t[i]:.6f}", *(f"{v:.6g}" for v in rec.data[i]), name])
    return path


def read_recording_csv(path: str | Path, class_names: tuple[str, ...] | None = None) -> tuple[Recording, tuple[str, ...]]:
    """Read a recording CSV; returns ``(recording, class_names)``.

    Labels are mapped to indices of ``class_names`` (a name not in it raises); without ``class_names``
    the sorted distinct names in the file are used.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFileError(path, f"cannot read ({exc})") from exc
    meta: dict[str, str] = {}
    body = []
    for line in text.splitlines():
        if line.startswith("#"):
            if "=" in line:
                k, v = line[1:].split("=", 1)
                meta[k.strip()] = v.strip()
        elif line.strip():
            body.append(line)
    if not body:
        raise CorruptFileError(path, "no header row and no samples")
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    header = [h.strip() for h in rows[0]]
    channels = tuple(h for h in header if h in CHANNEL_UNITS)
    unknown = [h for h in header if h not in CHANNEL_UNITS and h not in ("t_s", "label")]
    if unknown:
        raise CorruptFileError(path, f"unknown column(s) {unknown}; valid: t_s, label, {', '.join(CHANNEL_UNITS)}")
    if not channels:
        raise CorruptFileError(path, f"no sensor columns; expected some of {', '.join(CHANNEL_UNITS)}")
    cols = {h: i for i, h in enumerate(header)}
    data, times, names = [], [], []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CorruptFileError(path, f"row {n}: {len(row)} fields, header has {len(header)}")
        try:
            data.append([float(row[cols[c]]) for c in channels])
            if "t_s" in cols:
                times.append(float(row[cols["t_s"]]))
        except ValueError as exc:
            raise CorruptFileError(path, f"row {n}: {exc}") from exc
        names.append(row[cols["label"]].strip() if "label" in cols else "")
    x = np.asarray(data, dtype=np.float64)
    if class_names is None:
        class_names = tuple(sorted({s for s in names if s}))
    index = {s: i for i, s in enumerate(class_names)}
    bad = sorted({s for s in names if s and s not in index})
    if bad:
        raise CorruptFileError(path, f"labels {bad[:5]} are not among the classes {list(class_names)}")
    labels = np.asarray([index[s] if s else NULL_LABEL for s in names], dtype=np.int16)
    rate = float(meta["rate_hz"]) if "rate_hz" in meta else None
    if times:
        t = np.asarray(times)
        if np.any(np.diff(t) <= 0):
            raise CorruptFileError(path, "t_s must increase strictly from row to row")
        dt = np.diff(t)
        rate = rate or float(1.0 / np.median(dt))
        if np.max(np.abs(dt - 1.0 / rate)) > 0.1 / rate:
            log.info("%s: irregular timing (max step %.4f s vs %.4f s); interpolating onto %.3f Hz",
                     path, dt.max(), 1.0 / rate, rate)
            grid, xi = interpolate_uniform(t, x, rate)
            lab_idx = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 1)
            x, labels, t = xi.astype(np.float64), labels[lab_idx], grid
    elif rate is None:
        raise CorruptFileError(path, "needs a '# rate_hz=' line or a t_s column")
    rec = Recording(dataset=meta.get("dataset", "csv"), subject=meta.get("subject", "unknown"),
                    session=meta.get("session", path.stem), rate_hz=float(rate), channels=channels, data=x,
                    labels=labels, placement=meta.get("placement", "any"), source=str(path),
                    timestamps=None if not times else np.asarray(t) - float(np.asarray(t)[0]))
    return rec, tuple(class_names)
