"""Labelled windows of a dataset at one SensorSpec: the unit every trainer and evaluator consumes."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import CorruptFileError, DataError
from mujo_edge.provenance import atomic_write_bytes


def natural_key(s: str) -> tuple:
    """Sort key that orders ``"2" < "10"`` and ``"m2" < "m10"``."""
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(s)))


@dataclass
class WindowSet:
    """All labelled windows of one dataset at one spec.

    Attributes:
        dataset: registry name.
        spec: the spec the windows were cut with (normalization not applied to ``x``).
        class_names: class index → name.
        x: ``(N, W, C)`` float32 windows in SI units (m/s², rad/s), ``W = spec.window``.
        y: ``(N,)`` int64 class index (never NULL).
        subjects: ``(N,)`` subject id of each window (str).
        recordings: ``(N,)`` int index into ``recording_names``.
        starts: ``(N,)`` int64 first sample of the window in its recording, at ``spec.rate_hz``.
        recording_names: ``subject/session`` of each recording.
        channel_mask: ``(C,)`` bool, False for channels the dataset lacks (zero-filled).
        placement: body site of the sensor.
        stats: counts from preparation (windows kept / dropped and why).
    """

    dataset: str
    spec: SensorSpec
    class_names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    subjects: np.ndarray
    recordings: np.ndarray
    starts: np.ndarray
    recording_names: tuple[str, ...]
    channel_mask: np.ndarray
    placement: str
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.y)
        for name in ("x", "subjects", "recordings", "starts"):
            if len(getattr(self, name)) != n:
                raise DataError(f"WindowSet.{name} has {len(getattr(self, name))} rows, y has {n}")
        if self.x.ndim != 3 or self.x.shape[1:] != (self.spec.window, len(self.spec.channels)):
            raise DataError(f"windows have shape {self.x.shape}, spec needs (N, {self.spec.window}, {len(self.spec.channels)})")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        """Number of classes K."""
        return len(self.class_names)

    @property
    def subject_ids(self) -> list[str]:
        """Sorted (naturally) distinct subject ids."""
        return sorted(set(self.subjects.tolist()), key=natural_key)

    def class_counts(self) -> dict[str, int]:
        """Windows per class name."""
        counts = np.bincount(self.y, minlength=self.num_classes)
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    def subset(self, idx: np.ndarray) -> WindowSet:
        """A WindowSet of the rows ``idx`` (indices or boolean mask)."""
        idx = np.asarray(idx)
        return WindowSet(
            dataset=self.dataset, spec=self.spec, class_names=self.class_names, x=self.x[idx], y=self.y[idx],
            subjects=self.subjects[idx], recordings=self.recordings[idx], starts=self.starts[idx],
            recording_names=self.recording_names, channel_mask=self.channel_mask, placement=self.placement,
            stats=dict(self.stats),
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Save as one ``.npz`` (arrays) with a JSON header (spec, names, stats); written atomically."""
        header = {
            "dataset": self.dataset, "spec": self.spec.to_dict(), "class_names": list(self.class_names),
            "recording_names": list(self.recording_names), "placement": self.placement, "stats": self.stats,
        }
        buf = io.BytesIO()
        np.savez(buf, x=self.x, y=self.y, subjects=self.subjects.astype(str), recordings=self.recordings,
                 starts=self.starts, channel_mask=self.channel_mask, header=np.array(json.dumps(header)))
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> WindowSet:
        """Load a file written by :meth:`save`; unreadable files raise :class:`CorruptFileError`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                return cls(
                    dataset=header["dataset"], spec=SensorSpec.from_dict(header["spec"]),
                    class_names=tuple(header["class_names"]), x=z["x"], y=z["y"], subjects=z["subjects"],
                    recordings=z["recordings"], starts=z["starts"],
                    recording_names=tuple(header["recording_names"]), channel_mask=z["channel_mask"],
                    placement=header["placement"], stats=header["stats"],
                )
        except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
            raise CorruptFileError(path, f"not a readable window file ({type(exc).__name__}: {exc})") from exc
