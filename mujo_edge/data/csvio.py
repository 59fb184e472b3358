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
* ``rate_hz`` is required when there is no ``t_s`` column (the samples are then uniform at that rate).
  With ``t_s``, the samples keep their times: models resample from the timestamps through the one
  preprocessing path, so jittered clocks and odd rates (104.3 Hz) need nothing special; samples that
  share a timestamp are merged (and counted); times that go backwards, or a ``rate_hz`` line that
  contradicts the timestamps, are errors naming the line. Gaps stay gaps: readers that cut windows
  split a recording at gaps longer than they allow (:func:`mujo_edge.data.preprocess.split_at_gaps`).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np

from mujo_edge.data.preprocess import effective_rate, merge_duplicate_times
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import CHANNEL_UNITS
from mujo_edge.errors import CorruptFileError, SpecMismatchError

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


def read_recording_csv(path: str | Path, class_names: tuple[str, ...] | None = None,
                       rate_tolerance: float = 0.05) -> tuple[Recording, tuple[str, ...]]:
    """Read a recording CSV (see the module docstring) into a :class:`Recording` and its class names.

    Labels are mapped to indices of ``class_names`` (a name not in it raises); without ``class_names``
    the sorted distinct names in the file are used. With a ``t_s`` column the samples keep their
    timestamps (models resample from them, :func:`mujo_edge.data.preprocess.to_rate`); samples with
    the same timestamp are merged (counted in ``rec.meta["duplicates_merged"]``); a header ``rate_hz``
    that differs from the timestamps' rate by more than ``rate_tolerance`` is an error.

    Raises:
        CorruptFileError: unreadable file, no samples, an unknown column, a bad number (naming the
            row), timestamps that go backwards (naming the row), a header rate that contradicts them.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFileError(path, f"cannot read ({exc})") from exc
    return parse_recording_csv(text, path, class_names, rate_tolerance)


def parse_recording_csv(text: str, path: str | Path, class_names: tuple[str, ...] | None = None,
                        rate_tolerance: float = 0.05) -> tuple[Recording, tuple[str, ...]]:
    """:func:`read_recording_csv` on the file's text (``path`` names it in errors and as the source)."""
    path = Path(path)
    meta: dict[str, str] = {}
    body: list[str] = []
    lines: list[int] = []  # file line number of each body line
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            if "=" in line:
                k, v = line[1:].split("=", 1)
                meta[k.strip()] = v.strip()
        elif line.strip():
            body.append(line)
            lines.append(n)
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
    if len(rows) == 1:
        raise CorruptFileError(path, "has a header row but no samples")
    cols = {h: i for i, h in enumerate(header)}
    numeric = ([cols["t_s"]] if "t_s" in cols else []) + [cols[c] for c in channels]
    values, names = _parse_rows(path, rows[1:], lines[1:], len(header), numeric, cols.get("label"))
    x = values[:, int("t_s" in cols):]
    if class_names is None:
        class_names = tuple(sorted({s for s in names if s}))
    index = {s: i for i, s in enumerate(class_names)}
    bad = sorted({s for s in names if s and s not in index})
    if bad:
        raise CorruptFileError(path, f"labels {bad[:5]} are not among the classes {list(class_names)}")
    labels = np.asarray([index[s] if s else NULL_LABEL for s in names], dtype=np.int16)
    rate = float(meta["rate_hz"]) if "rate_hz" in meta else None
    t = None
    merged = 0
    if "t_s" in cols:
        try:
            t, x, labels, merged = merge_duplicate_times(values[:, 0], x, labels)
        except SpecMismatchError as exc:
            i = int(str(exc).split()[1])
            raise CorruptFileError(path, f"row {i + 2} (line {lines[1 + i]}): {exc}") from None
        if merged:
            log.warning("%s: %d samples share a timestamp with the one before; merged (mean of their values)",
                        path, merged)
        if len(t) >= 2:
            measured = effective_rate(t)
            if rate is not None and abs(measured - rate) > rate_tolerance * rate:
                raise CorruptFileError(path, f"the header says rate_hz={rate:g} but the timestamps give {measured:.4g} Hz "
                                             f"(median step {1e3 / measured:.3f} ms); fix the header line or the t_s "
                                             f"column (t_s is in seconds)")
            rate = rate or measured
        t = t - t[0]
    elif rate is None:
        raise CorruptFileError(path, "needs a '# rate_hz=' line or a t_s column")
    if rate is None:
        raise CorruptFileError(path, "one sample and no '# rate_hz=' line: its rate is unknown")
    rec = Recording(dataset=meta.get("dataset", "csv"), subject=meta.get("subject", "unknown"),
                    session=meta.get("session", path.stem), rate_hz=float(rate), channels=channels, data=x,
                    labels=labels, placement=meta.get("placement", "any"), source=str(path), timestamps=t,
                    meta={"duplicates_merged": merged})
    return rec, tuple(class_names)


def _parse_rows(path: Path, rows: list[list[str]], lines: list[int], width: int, numeric: list[int],
                label: int | None) -> tuple[np.ndarray, list[str]]:
    """``(values (N, len(numeric)) float64, label names)``; a bad row raises naming its line in the file."""
    for n, (row, line) in enumerate(zip(rows, lines), start=2):
        if len(row) != width:
            raise CorruptFileError(path, f"row {n} (line {line}): {len(row)} fields, the header has {width}")
    try:
        values = np.asarray([[row[i] for i in numeric] for row in rows], dtype=np.float64)
    except ValueError:
        for n, (row, line) in enumerate(zip(rows, lines), start=2):
            for i in numeric:
                try:
                    float(row[i])
                except ValueError:
                    raise CorruptFileError(path, f"row {n} (line {line}): {row[i]!r} is not a number") from None
        raise
    if not np.isfinite(values).all():
        r = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise CorruptFileError(path, f"row {r + 2} (line {lines[r]}): non-finite value (NaN or inf)")
    names = [row[label].strip() for row in rows] if label is not None else [""] * len(rows)
    return values, names
