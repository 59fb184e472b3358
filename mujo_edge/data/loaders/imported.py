"""Datasets made with ``mujo-edge data import``: found in the user data folder, registered like built-ins.

Each imported dataset is a folder ``<MUJO_EDGE_HOME>/datasets/NAME/`` (see :mod:`mujo_edge.paths`)::

    dataset.json                 the manifest (format ``mujo-edge-dataset`` v1): provenance, the import
                                 options, every source file with its sha256, units, placement, classes,
                                 subjects, every converted recording with its sha256, rows, rate,
                                 merged duplicates and the gaps it was split at, segment lengths per class
    recordings/SUBJECT/SESSION.csv   one recording in the recording CSV format (SI units, t_s timestamps)

:func:`refresh` (called by :func:`mujo_edge.data.datasets.get_dataset`) registers every such folder
in :data:`~mujo_edge.data.datasets.DATASETS`, so every command takes ``NAME`` like a built-in
dataset. Converted recordings are checked against their sha256 whenever they are read.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from mujo_edge.data.csvio import parse_recording_csv
from mujo_edge.data.datasets import DATASETS, DatasetInfo
from mujo_edge.data.filetree import FileTree, manifest_key
from mujo_edge.data.recording import Recording
from mujo_edge.errors import CorruptFileError
from mujo_edge.paths import user_datasets_dir
from mujo_edge.provenance import check_header

log = logging.getLogger(__name__)

FORMAT = "mujo-edge-dataset"
FORMAT_VERSION = 1
MANIFEST = "dataset.json"

_seen: dict[str, tuple[Path, float]] = {}  # imported name -> (folder, manifest mtime) registered


def read_manifest(folder: Path) -> dict[str, Any]:
    """The validated ``dataset.json`` of an imported dataset folder."""
    path = folder / MANIFEST
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(path, f"unreadable dataset manifest ({exc})") from exc
    check_header(meta, FORMAT, FORMAT_VERSION, lambda msg: CorruptFileError(path, msg))
    for key, kind in (("name", str), ("class_names", list), ("recordings", list), ("placement", str),
                      ("channels", list)):
        if not isinstance(meta.get(key), kind):
            raise CorruptFileError(path, f"{key} must be a JSON {kind.__name__}, got {meta.get(key)!r}")
    return meta


def info_from_manifest(folder: Path, meta: dict[str, Any]) -> DatasetInfo:
    """The registry entry of an imported dataset."""
    recs = meta["recordings"]
    rates = sorted(float(r.get("rate_hz", 0.0)) for r in recs) or [0.0]
    classes = tuple(meta["class_names"])
    subjects = sorted({str(r["subject"]) for r in recs})

    def loader(tree: FileTree, placement: str) -> list[Recording]:
        return load_imported(tree, meta, placement)

    return DatasetInfo(
        name=meta["name"], title=meta.get("title") or f"{meta['name']} (imported)", folder=meta["name"],
        locations=(".",), native_rate_hz=rates[len(rates) // 2], channels=tuple(meta["channels"]),
        class_names=classes, n_subjects=len(subjects), placements=(meta["placement"],), loader=loader,
        subject_ids_known=True, citation=meta.get("citation", ""), licence=meta.get("licence", ""),
        notes=f"imported from {len(meta.get('sources', []))} file(s) on {meta.get('created', '?')}",
        units_note=", ".join(f"{k} {v}" for k, v in (meta.get("units_in_source") or {}).items()),
        extra={"imported": True, "manifest": str(folder / MANIFEST),
               "file_digests": {manifest_key(r["file"]): r["sha256"] for r in recs}},
        home=folder,
    )


def load_imported(tree: FileTree, meta: dict[str, Any], placement: str) -> list[Recording]:
    """Every recording of an imported dataset (sha256-checked), labels indexing its class names."""
    classes = tuple(meta["class_names"])
    entries = {r["file"]: r for r in meta["recordings"]}
    present = set(tree.members())  # a view may hold only some recordings (one subject's, for streaming)
    out = []
    for member, data in tree.iter_files(sorted(f for f in entries if f in present)):
        r = entries[member]
        rec, _ = parse_recording_csv(data.decode("utf-8"), tree.where(member), classes)
        rec.dataset, rec.subject, rec.session, rec.placement = meta["name"], str(r["subject"]), str(r["session"]), placement
        out.append(rec)
    return out


def refresh(home: Path | None = None) -> list[str]:
    """Register every imported dataset under ``home`` (default: the user datasets folder); returns their names.

    A folder whose manifest changed since the last call is registered again; one that disappeared is
    dropped; a name that clashes with a built-in dataset is skipped with a warning.
    """
    root = Path(home) if home is not None else user_datasets_dir()
    found: dict[str, Path] = {}
    if root.is_dir():
        for manifest in sorted(root.glob(f"*/{MANIFEST}")):
            folder = manifest.parent
            name = folder.name
            if name in DATASETS and name not in _seen:
                log.warning("imported dataset %s in %s has the name of a built-in dataset; it is ignored", name, folder)
                continue
            found[name] = folder
            mtime = manifest.stat().st_mtime
            if _seen.get(name) == (folder, mtime):
                continue
            try:
                DATASETS.replace(name, info_from_manifest(folder, read_manifest(folder)))
            except CorruptFileError as exc:
                log.warning("skipping imported dataset %s: %s", name, exc)
                continue
            _seen[name] = (folder, mtime)
    for name in [n for n, (folder, _) in _seen.items() if found.get(n) != folder]:  # gone, or another user folder
        DATASETS.remove(name)
        del _seen[name]
    return sorted(found)
