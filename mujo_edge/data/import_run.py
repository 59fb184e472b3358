"""``mujo-edge data import``, second half: checks, segment lengths, a window to recommend, and the dataset
folder (staging folder renamed into place under a lock). The reading half is :mod:`mujo_edge.data.importer`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge._version import __version__
from mujo_edge.config import save_json, to_dict
from mujo_edge.data.checks import check_recording
from mujo_edge.data.csvio import write_recording_csv
from mujo_edge.data.datasets import DATASETS, dataset_names
from mujo_edge.data.importer import NULL_NAMES, FileReport, ImportConfig, read_source, segment_labeller
from mujo_edge.data.loaders.imported import FORMAT, FORMAT_VERSION, MANIFEST, refresh
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.segments import recommend_window, segment_stats
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.locks import FileLock
from mujo_edge.paths import user_datasets_dir
from mujo_edge.provenance import git_commit, sha256_file

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What :func:`import_dataset` wrote."""

    name: str
    folder: Path
    recordings: int
    subjects: list[str]
    class_names: tuple[str, ...]
    files: list[FileReport]
    segments: dict[str, dict[str, float]]
    recommended: dict[str, Any]
    checks: dict[str, dict[str, float]]


def source_files(sources: list[str | Path]) -> list[Path]:
    """The files to import: each source is a file, or a folder searched for ``*.csv``, ``*.tsv``, ``*.txt``."""
    out: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            found = sorted(f for ext in ("*.csv", "*.tsv", "*.txt") for f in p.rglob(ext) if f.is_file())
            if not found:
                raise DataError(f"{p}: no .csv, .tsv or .txt file in this folder")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataError(f"{p}: no such file or folder")
    if not out:
        raise ConfigError("no source given; pass CSV files or folders")
    return list(dict.fromkeys(out))


def import_dataset(sources: list[str | Path], cfg: ImportConfig, force: bool = False,
                   home: str | Path | None = None) -> ImportResult:
    """Import ``sources`` as dataset ``cfg.name`` into ``<user datasets folder>/<name>`` (see the module docstring).

    Raises:
        ConfigError: a bad option, a name taken by a built-in dataset, an existing import without ``force``.
        CorruptFileError / DataError / SpecMismatchError: a file that cannot be read, or fails a check
            (each names the file, the value and the fix).
    """
    if cfg.name in dataset_names() and not DATASETS.get(cfg.name).extra.get("imported"):
        raise ConfigError(f"{cfg.name!r} is a built-in dataset; choose another --name")
    root = Path(home) if home is not None else user_datasets_dir()
    folder = root / cfg.name
    files = source_files(sources)
    labels_of = segment_labeller(cfg.segments) if cfg.segments is not None else None
    recs, names, reports = [], [], []
    for f in files:
        r, n, rep = read_source(f, cfg, labels_of)
        recs += r
        names += n
        reports.append(rep)
        log.info("%s: %d rows, %d recording(s), %d duplicate timestamps merged, %d gap(s) split, %s Hz", f, rep.rows,
                 rep.recordings, rep.duplicates_merged, rep.gaps_split, rep.rate_hz)
    class_names = tuple(sorted({n for labs in names for n in labs if n.strip().lower() not in NULL_NAMES}))
    if not class_names:
        raise DataError("no labelled sample: give a label column (--label COLUMN) or a segment file (--segments FILE)")
    index = {c: i for i, c in enumerate(class_names)}
    for rec, labs in zip(recs, names):
        rec.labels = np.asarray([index.get(n, NULL_LABEL) for n in labs], dtype=np.int16)
    checks = {f"{r.subject}/{r.session}": check_recording(r) for r in recs} if cfg.check else {}
    segments = segment_stats(recs, class_names)
    recommended = recommend_window(segments)
    _write(folder, cfg, recs, class_names, reports, segments, recommended, force)
    refresh(root)
    return ImportResult(cfg.name, folder, len(recs), sorted({r.subject for r in recs}), class_names, reports, segments,
                        recommended, checks)


def _write(folder: Path, cfg: ImportConfig, recs: list[Recording], class_names: tuple[str, ...],
           reports: list[FileReport], segments: dict[str, dict[str, float]], recommended: dict[str, Any],
           force: bool) -> None:
    """Write recordings and manifest into a staging folder, then rename it into place (under a lock)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.with_name(f".{folder.name}.lock"), what=f"data import into {folder}"):
        if (folder / MANIFEST).exists() and not force:
            raise ConfigError(f"dataset {cfg.name!r} is already imported in {folder}; pass --force to replace it")
        staging = folder.with_name(f".{folder.name}.importing-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            entries = []
            used: set[str] = set()
            for rec in recs:
                stem = re.sub(r"[^A-Za-z0-9_.#-]", "_", f"{rec.subject}/{rec.session}")
                while stem in used:
                    stem += "_"
                used.add(stem)
                rel = f"recordings/{stem}.csv"
                write_recording_csv(rec, staging / rel, class_names)
                entries.append({"file": rel, "sha256": sha256_file(staging / rel), "subject": rec.subject,
                                "session": rec.session, "samples": rec.n_samples, "rate_hz": round(rec.rate_hz, 6),
                                "seconds": round(rec.duration_s, 3), "from": rec.source,
                                "part": rec.meta.get("part")})
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "mujo_edge_version": __version__,
                        "git_commit": git_commit(), "created": _now(), "name": cfg.name,
                        "title": cfg.title or f"{cfg.name} (imported)", "citation": cfg.citation, "licence": cfg.licence,
                        "placement": cfg.placement, "channels": list(recs[0].channels) if recs else [],
                        "units": {"acc": "m/s^2", "gyro": "rad/s", "t_s": "s"},
                        "units_in_source": {"acc": cfg.acc_unit, "gyro": cfg.gyro_unit,
                                            "time": ",".join(sorted({r.time_unit for r in reports if r.time_unit}))
                                            or f"none ({cfg.rate_hz} Hz)"},
                        "class_names": list(class_names), "subjects": sorted({r.subject for r in recs}),
                        "import": to_dict(cfg), "sources": [to_dict(r) for r in reports], "recordings": entries,
                        "segments": segments, "recommended_window": recommended}
            save_json(staging / MANIFEST, manifest)
            if folder.exists():
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.replace(folder, old)
                os.replace(staging, folder)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
