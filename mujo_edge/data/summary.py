"""One-line facts about each dataset, as ``mujo-edge data list`` and the quickstart report them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mujo_edge.data.datasets import dataset_names, get_dataset
from mujo_edge.data.prepare import prepare
from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.errors import DataError

log = logging.getLogger(__name__)


def summarize(name: str, spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None,
              windows: bool = True, cache_root: str | Path | None = None) -> dict[str, Any]:
    """Facts about dataset ``name``; with ``windows=True`` and the data present, counts from the real files.

    Keys: name, title, available, source, subjects (counted, else the documented number),
    subjects_counted, classes, num_classes, native_rate_hz, channels, placements, windows,
    windows_per_class, prepare_seconds, cached, error.
    """
    info = get_dataset(name)
    src = info.find_source(data_root)
    out: dict[str, Any] = {
        "name": info.name, "title": info.title, "available": src is not None,
        "imported": bool(info.extra.get("imported")),
        "source": str(src) if src else None, "subjects": info.n_subjects, "subjects_counted": False,
        "classes": list(info.class_names), "num_classes": len(info.class_names),
        "native_rate_hz": info.native_rate_hz, "channels": list(info.channels), "placements": list(info.placements),
        "windows": None, "windows_per_class": None, "spec": {"rate_hz": spec.rate_hz, "window": spec.window, "hop": spec.hop},
        "prepare_seconds": None, "cached": None, "error": None,
    }
    if src is None:
        out["error"] = info.missing_message(data_root).splitlines()[0]
        return out
    if windows:
        try:
            ws = prepare(name, spec, data_root=data_root, cache_root=cache_root)
        except DataError as exc:
            out["available"] = False
            out["error"] = str(exc)
            log.warning("%s", exc)
            return out
        out.update(subjects=len(ws.subject_ids), subjects_counted=True, windows=len(ws),
                   windows_per_class=ws.class_counts(), prepare_seconds=round(ws.stats["prepare_seconds"], 3),
                   cached=ws.stats["cached"])
    return out


def summarize_all(spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None, windows: bool = True,
                  cache_root: str | Path | None = None) -> list[dict[str, Any]]:
    """:func:`summarize` for every registered dataset."""
    return [summarize(n, spec, data_root, windows, cache_root) for n in dataset_names()]
