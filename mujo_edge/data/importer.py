"""``mujo-edge data import``: a user's CSV recordings → a named dataset every command accepts.

Reads CSV files (or folders of them; comma, semicolon, tab or whitespace separated, one header row),
one recording per file or several per file (grouped by subject / session columns), maps the columns
onto mujo-edge's channels, converts units to SI (m/s², rad/s), keeps the timestamps (duplicates
merged, long gaps split the recording, never interpolated), labels samples from a label column or a
segment file (``file|subject|session``, ``start``, ``end``, ``label``), checks that the result is
plausible (:mod:`mujo_edge.data.checks`) and writes it into the user data folder (see
:mod:`mujo_edge.data.loaders.imported` for the layout). It reports what it did per file (rows,
duplicates, gaps, effective rate) and the segment lengths per class with a recommended window.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mujo_edge.config import from_dict
from mujo_edge.data.datasets import get_dataset
from mujo_edge.data.preprocess import effective_rate, merge_duplicate_times, split_at_gaps
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import ACC_CHANNELS, GYRO_CHANNELS, IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import ConfigError, CorruptFileError, DataError, SpecMismatchError
from mujo_edge.placements import PLACEMENTS
from mujo_edge.provenance import sha256_file

log = logging.getLogger(__name__)

ACC_UNITS = {"m/s2": 1.0, "m/s^2": 1.0, "g": STANDARD_GRAVITY, "mg": STANDARD_GRAVITY / 1000.0}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": math.pi / 180.0, "dps": math.pi / 180.0}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
#: Column names recognised without ``--map`` (lower-case, spaces / dots / dashes as underscores).
ALIASES: dict[str, tuple[str, ...]] = {
    **{f"acc_{a}": (f"acc_{a}", f"acc{a}", f"a{a}", f"accel_{a}", f"accelerometer_{a}", f"acceleration_{a}",
                    f"{a}_acc", f"{a}_accel", f"linear_{a}") for a in "xyz"},
    **{f"gyro_{a}": (f"gyro_{a}", f"gyro{a}", f"g{a}", f"gyr_{a}", f"gyroscope_{a}", f"rotation_rate_{a}",
                     f"rotationrate_{a}", f"{a}_gyro", f"{a}_gyr") for a in "xyz"},
}
TIME_ALIASES = ("t_s", "t", "time", "timestamp", "time_s", "time_ms", "timestamp_ms", "timestamp_ns", "ts", "epoch")
LABEL_ALIASES = ("label", "activity", "class", "annotation")
NULL_NAMES = {"", "null", "none", "nan", "na", "n/a", "-", "unknown", "other"}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class ImportConfig:
    """Options of ``mujo-edge data import`` (saved in the dataset's manifest).

    Attributes:
        name: dataset name (lower case letters, digits, ``_``; not a built-in name).
        column_map: mujo-edge channel → source column (``{"acc_x": "x_acc"}``); unmapped channels are
            found by common names (:data:`ALIASES`).
        time_column / time_unit: the time column (default: a common name, :data:`TIME_ALIASES`) and its
            unit (``s``, ``ms``, ``us``, ``ns``; ``auto`` from the size of its steps). Epoch or relative
            times are both fine (only differences are used).
        rate_hz: the sample rate when the files have no time column, Hz.
        label_column: the label column (default: a common name, :data:`LABEL_ALIASES`); empty,
            ``null``, ``nan``, ``other`` ... mean NULL (unlabelled).
        segments: a CSV of labelled segments instead: columns ``start``, ``end``, ``label`` and one of
            ``file`` (source file name), ``session``, ``subject``; times as ``segment_time`` says.
        segment_time: ``relative`` (seconds from the recording's first sample) or ``data`` (the same
            numbers and unit as the time column).
        subject_column / session_column: columns that say which subject / session a row belongs to
            (several recordings per file).
        subject_pattern / session_pattern: regular expressions on the file path (first group or the
            group named ``subject`` / ``session``); default subject: the file name, session ``1``.
        acc_unit / gyro_unit: units of the source (``m/s2``, ``g``, ``mg``; ``rad/s``, ``deg/s``).
        placement: body site of the device (:data:`mujo_edge.placements.PLACEMENTS` or ``any``).
        acc_only: import the accelerometer only (gyro columns are ignored).
        max_gap_s: a gap in the timestamps longer than this splits the recording, s.
        check: run the plausibility checks (:mod:`mujo_edge.data.checks`).
        delimiter: column separator (default: detected).
        title, citation, licence: shown by ``mujo-edge data list``.
    """

    name: str
    column_map: dict[str, str] = field(default_factory=dict)
    time_column: str | None = None
    time_unit: str = "auto"
    rate_hz: float | None = None
    label_column: str | None = None
    segments: Path | None = None
    segment_time: str = "relative"
    subject_column: str | None = None
    session_column: str | None = None
    subject_pattern: str | None = None
    session_pattern: str | None = None
    acc_unit: str = "m/s2"
    gyro_unit: str = "rad/s"
    placement: str = "any"
    acc_only: bool = False
    max_gap_s: float = 1.0
    check: bool = True
    delimiter: str | None = None
    title: str = ""
    citation: str = ""
    licence: str = ""

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ConfigError(f"dataset name {self.name!r}: use 2-40 lower-case letters, digits or _, starting with a letter")
        for key in self.column_map:
            if key not in IMU_CHANNELS:
                raise ConfigError(f"--map {key}=...: {key!r} is not a channel; valid: {', '.join(IMU_CHANNELS)}")
        choices = (("acc_unit", self.acc_unit, ACC_UNITS), ("gyro_unit", self.gyro_unit, GYRO_UNITS),
                   ("time_unit", self.time_unit, {**TIME_UNITS, "auto": 0}),
                   ("segment_time", self.segment_time, {"relative": 0, "data": 0}))
        for opt, value, valid in choices:
            if value not in valid:
                raise ConfigError(f"--{opt.replace('_', '-')} {value!r}; valid: {', '.join(valid)}")
        if self.placement != "any" and self.placement not in PLACEMENTS:
            raise ConfigError(f"placement {self.placement!r}; valid: any, {', '.join(PLACEMENTS)}")
        if self.rate_hz is not None and not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ConfigError(f"--rate must be a positive number of Hz, got {self.rate_hz}")
        if not self.max_gap_s > 0:
            raise ConfigError(f"--max-gap must be > 0 s, got {self.max_gap_s}")
        if self.segments is not None and self.label_column is not None:
            raise ConfigError("give labels either as a column (--label) or as a segment file (--segments), not both")
        for pat in (self.subject_pattern, self.session_pattern):
            if pat is not None:
                try:
                    re.compile(pat)
                except re.error as exc:
                    raise ConfigError(f"bad pattern {pat!r}: {exc}") from None


@dataclass
class FileReport:
    """What the import did with one source file."""

    path: str
    sha256: str
    rows: int
    recordings: int = 0
    duplicates_merged: int = 0
    gaps_split: int = 0
    rate_hz: list[float] = field(default_factory=list)
    time_unit: str = ""
    columns: dict[str, str] = field(default_factory=dict)


def config_of_import(name: str) -> ImportConfig:
    """The :class:`ImportConfig` dataset ``name`` was imported with (to read more files the same way)."""
    info = get_dataset(name)
    manifest = info.extra.get("manifest")
    if not manifest:
        raise ConfigError(f"{name!r} was not made by `mujo-edge data import`; there are no import settings to reuse")
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))["import"]
    return from_dict(ImportConfig, data, where=f"{manifest} import")


def _norm(name: str) -> str:
    return re.sub(r"[\s.\-]+", "_", name.strip().lower())


def _read_table(path: Path, delimiter: str | None) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and their line numbers of a delimited text file (comment lines ``#`` skipped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFileError(path, f"cannot read ({exc})") from exc
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise CorruptFileError(path, "empty file: no header and no rows")
    head = lines[0][1]
    if delimiter is None:
        delimiter = max((",", ";", "\t"), key=head.count) if any(d in head for d in ",;\t") else None
    if delimiter is None:  # whitespace separated
        rows = [ln.split() for _, ln in lines]
    else:
        rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in lines)), delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    if all(_is_number(h) for h in header):
        raise CorruptFileError(path, "the first line is numbers, not column names; add a header row")
    if len(rows) == 1:
        raise CorruptFileError(path, f"has a header row ({', '.join(header)}) but no samples")
    return header, rows[1:], [n for n, _ in lines[1:]]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def resolve_columns(header: list[str], cfg: ImportConfig, path: Path) -> tuple[dict[str, int], int | None, int | None]:
    """``({channel: column index}, time column index, label column index)`` of one file."""
    norm = [_norm(h) for h in header]

    def find(name: str, aliases: tuple[str, ...]) -> int | None:
        if name in header:
            return header.index(name)
        hits = [i for i, n in enumerate(norm) if n in aliases]
        return hits[0] if len(hits) == 1 else None

    channels: dict[str, int] = {}
    wanted = ACC_CHANNELS if cfg.acc_only else IMU_CHANNELS
    for c in wanted:
        if c in cfg.column_map:
            src = cfg.column_map[c]
            if src not in header:
                raise ConfigError(f"{path}: --map {c}={src}: no column {src!r}; columns: {', '.join(header)}")
            channels[c] = header.index(src)
        else:
            i = find(c, ALIASES[c])
            if i is not None:
                channels[c] = i
    missing_acc = [c for c in ACC_CHANNELS if c not in channels]
    if missing_acc:
        raise ConfigError(f"{path}: no accelerometer column for {', '.join(missing_acc)} among {', '.join(header)}; "
                          f"name them with --map acc_x=COLUMN,acc_y=COLUMN,acc_z=COLUMN")
    gyro = [c for c in GYRO_CHANNELS if c in channels]
    if gyro and len(gyro) < 3:
        raise ConfigError(f"{path}: only {', '.join(gyro)} of the gyroscope found; map all three with --map "
                          f"gyro_x=...,gyro_y=...,gyro_z=... or pass --acc-only")
    time = header.index(cfg.time_column) if cfg.time_column in header else None
    if cfg.time_column is not None and time is None:
        raise ConfigError(f"{path}: --time {cfg.time_column}: no such column; columns: {', '.join(header)}")
    if cfg.time_column is None:
        time = find("t_s", TIME_ALIASES)
    label = header.index(cfg.label_column) if cfg.label_column in header else None
    if cfg.label_column is not None and label is None:
        raise ConfigError(f"{path}: --label {cfg.label_column}: no such column; columns: {', '.join(header)}")
    if cfg.label_column is None and cfg.segments is None:
        label = find("label", LABEL_ALIASES)
    for opt, col in (("--subject-column", cfg.subject_column), ("--session-column", cfg.session_column)):
        if col is not None and col not in header:
            raise ConfigError(f"{path}: {opt} {col}: no such column; columns: {', '.join(header)}")
    if label is not None:
        used = {i: ch for ch, i in channels.items()} | ({time: "the time"} if time is not None else {})
        if label in used:
            raise ConfigError(f"{path}: column '{header[label]}' would be both the label column and {used[label]} "
                              f"column; pass --label with the column that holds activity names")
    return channels, time, label


#: More distinct labels than this, nearly all of them numbers, means the label column holds measurements.
MAX_NUMERIC_LABELS = 50


def check_label_values(path: Path, column: str, labels: list[str]) -> None:
    """Refuse a label column that holds measurements (many distinct numbers), not activity names."""
    distinct = {x for x in labels if x}
    if len(distinct) <= MAX_NUMERIC_LABELS:
        return
    numeric = 0
    for x in distinct:
        try:
            float(x)
            numeric += 1
        except ValueError:
            pass
    if numeric >= 0.9 * len(distinct):
        example = ", ".join(sorted(distinct)[:3])
        raise DataError(f"{path}: label column '{column}' has {len(distinct)} distinct values, {numeric} of them numbers "
                        f"(e.g. {example}): that is a measurement, not activity names; pass --label with the activity "
                        f"column, or --segments FILE")


def _numbers(path: Path, rows: list[list[str]], lines: list[int], cols: list[int], width: int) -> np.ndarray:
    """``(N, len(cols))`` float64 of the given columns; a bad row raises naming its line."""
    for row, line in zip(rows, lines):
        if len(row) != width:
            raise CorruptFileError(path, f"line {line}: {len(row)} fields, the header has {width}")
    try:
        out = np.asarray([[row[i] for i in cols] for row in rows], dtype=np.float64)
    except ValueError:
        for row, line in zip(rows, lines):
            for i in cols:
                if not _is_number(row[i]):
                    raise CorruptFileError(path, f"line {line}: {row[i]!r} is not a number") from None
        raise
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():
        raise CorruptFileError(path, f"line {lines[int(np.flatnonzero(bad)[0])]}: NaN or inf ({int(bad.sum())} rows)")
    return out


def time_unit_of(t: np.ndarray, declared: str) -> str:
    """The time unit: ``declared``, or (``auto``) the one that makes the median step a plausible sample period."""
    if declared != "auto":
        return declared
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    if step <= 0:
        return "s"
    for unit in ("s", "ms", "us", "ns"):
        if step * TIME_UNITS[unit] <= 2.0:  # a sample period of at most 2 s (>= 0.5 Hz)
            return unit
    return "ns"


def _pattern(pattern: str | None, text: str, group: str) -> str | None:
    if pattern is None:
        return None
    m = re.search(pattern, text)
    if m is None:
        return None
    return m.group(group) if group in m.groupdict() else (m.group(1) if m.groups() else m.group(0))


def read_source(path: Path, cfg: ImportConfig, labels_of: Callable[[str, str, str, np.ndarray], list[str]] | None
                ) -> tuple[list[Recording], list[list[str]], FileReport]:
    """One source file → recordings in SI units (label names per sample kept aside) and its report."""
    header, rows, lines = _read_table(path, cfg.delimiter)
    channels, tcol, lcol = resolve_columns(header, cfg, path)
    names = list(channels)
    data = _numbers(path, rows, lines, [channels[c] for c in names], len(header))
    t_raw = _numbers(path, rows, lines, [tcol], len(header))[:, 0] if tcol is not None else None
    if t_raw is None and cfg.rate_hz is None:
        raise ConfigError(f"{path}: no time column among {', '.join(header)}; name it with --time COLUMN "
                          f"(and --time-unit) or give the sample rate with --rate HZ")
    report = FileReport(str(path), sha256_file(path), len(rows),
                        columns={c: header[i] for c, i in channels.items()} | ({"t": header[tcol]} if tcol is not None else {}))
    for j, c in enumerate(names):
        data[:, j] *= ACC_UNITS[cfg.acc_unit] if c.startswith("acc") else GYRO_UNITS[cfg.gyro_unit]
    text_labels = [row[lcol].strip() for row in rows] if lcol is not None else [""] * len(rows)
    if lcol is not None:
        check_label_values(path, header[lcol], text_labels)
    group_cols = [header.index(c) for c in (cfg.subject_column, cfg.session_column) if c is not None]
    keys = [tuple(row[i].strip() for i in group_cols) for row in rows]
    order = list(dict.fromkeys(keys))
    recs, per_rec_labels = [], []
    for key in order:
        idx = np.asarray([i for i, k in enumerate(keys) if k == key])
        subject = (key[0] if cfg.subject_column is not None else
                   _pattern(cfg.subject_pattern, str(path), "subject") or path.stem)
        session = (key[-1] if cfg.session_column is not None else
                   _pattern(cfg.session_pattern, str(path), "session") or ("1" if cfg.subject_pattern else path.stem))
        built = _timed_recordings(path, cfg, names, data[idx], None if t_raw is None else t_raw[idx],
                                  [text_labels[i] for i in idx], [lines[i] for i in idx], subject, session, report,
                                  labels_of)
        for rec, labs in built:
            recs.append(rec)
            per_rec_labels.append(labs)
    report.recordings = len(recs)
    return recs, per_rec_labels, report


def _timed_recordings(path: Path, cfg: ImportConfig, names: list[str], x: np.ndarray, t_raw: np.ndarray | None,
                      labels: list[str], lines: list[int], subject: str, session: str, report: FileReport,
                      labels_of: Callable[[str, str, str, np.ndarray], list[str]] | None
                      ) -> list[tuple[Recording, list[str]]]:
    """Samples of one recording → gap-free parts with timestamps (duplicates merged) and their label names."""
    if t_raw is not None:
        unit = time_unit_of(t_raw, cfg.time_unit)
        report.time_unit = unit
        t = (t_raw - t_raw[0]) * TIME_UNITS[unit]
        index = np.arange(len(t))
        try:
            t, x, index, merged = merge_duplicate_times(t, x, index)
        except SpecMismatchError as exc:
            i = int(str(exc).split()[1])
            raise CorruptFileError(path, f"line {lines[i]}: {exc}") from None
        report.duplicates_merged += merged
        labels = [labels[int(i)] for i in index]
        origin = float(t_raw[0])
    else:
        t = np.arange(len(x)) / cfg.rate_hz
        origin, unit = 0.0, "s"
    if len(t) < 2:
        raise DataError(f"{path}: recording {subject}/{session} has {len(t)} sample(s); nothing to import")
    rate = cfg.rate_hz if t_raw is None else effective_rate(t)
    if labels_of is not None:
        data_t = origin + t / TIME_UNITS[unit] if cfg.segment_time == "data" else t
        labels = labels_of(path.name, subject, session, data_t)
    rec = Recording(dataset=cfg.name, subject=subject, session=session, rate_hz=float(rate), channels=tuple(names),
                    data=x, labels=np.full(len(t), NULL_LABEL, np.int16), placement=cfg.placement,
                    timestamps=t if t_raw is not None else None, source=str(path))
    parts = split_at_gaps(rec, cfg.max_gap_s)
    report.gaps_split += len(parts) - 1
    out, start = [], 0
    for part in parts:
        out.append((part, labels[start:start + part.n_samples]))
        start += part.n_samples
        report.rate_hz.append(round(part.rate_hz, 4))
    return out


def segment_labeller(path: Path) -> Callable[[str, str, str, np.ndarray], list[str]]:
    """Labels from a segment file: ``labels_of(file_name, subject, session, times) -> label per sample``."""
    header, rows, lines = _read_table(path, None)
    cols = {_norm(h): i for i, h in enumerate(header)}
    need = [c for c in ("start", "end", "label") if c not in cols]
    keys = [c for c in ("file", "session", "subject") if c in cols]
    if need or not keys:
        raise ConfigError(f"{path}: a segment file needs the columns start, end, label and one of file, session, "
                          f"subject; it has {', '.join(header)}")
    segs = []
    for row, line in zip(rows, lines):
        try:
            start, end = float(row[cols["start"]]), float(row[cols["end"]])
        except (ValueError, IndexError):
            raise CorruptFileError(path, f"line {line}: start and end must be numbers") from None
        if end <= start:
            raise CorruptFileError(path, f"line {line}: segment ends ({end}) before it starts ({start})")
        segs.append(({k: row[cols[k]].strip() for k in keys}, start, end, row[cols["label"]].strip()))

    def labels_of(file_name: str, subject: str, session: str, t: np.ndarray) -> list[str]:
        me = {"file": file_name, "subject": subject, "session": session}
        out = np.full(len(t), "", dtype=object)
        for key, start, end, label in segs:
            if all(me[k] == v or Path(me[k]).stem == v for k, v in key.items()):
                out[(t >= start) & (t < end)] = label
        return list(out)

    return labels_of
