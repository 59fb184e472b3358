"""Data references: the one parser for strings that name labelled data, and their loaders.

The same strings are accepted by ``distill --dataset``, ``export --dataset``, ``predict --input``,
``live --simulate`` and ``watch-sim --source``:

* ``dataset:NAME`` / ``dataset:NAME:SUBJECT`` / ``dataset:NAME:SUBJECT:SESSION``: a registered dataset
  (built-in or imported with ``mujo-edge data import``), optionally one subject's or one session's recording;
  a bare registered ``NAME`` means ``dataset:NAME``;
* ``windows:FILE.npz``: a saved :class:`~mujo_edge.data.windows.WindowSet`;
* ``synthetic`` / ``synthetic:SECONDS``: the simulated watch's rest / walk / run stream
  (:func:`mujo_edge.data.synthetic.synthetic_recording`);
* a path to a recording CSV (:mod:`mujo_edge.data.csvio`).

Each consumer accepts the kinds that make sense for it (windows for training, a recording for
streaming); the others raise with the valid forms. :func:`load_windows` turns a reference into
windows at a sensor spec, :func:`load_recording` into one continuous recording.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from mujo_edge.data.csvio import read_recording_csv, write_recording_csv
from mujo_edge.data.datasets import dataset_names, get_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.prepare import prepare, windows_from_recordings
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.data.synthetic import SYNTHETIC_CLASSES, synthetic_recording, synthetic_watch_windows
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError, DataError, UnknownNameError
from mujo_edge.paths import cache_dir

log = logging.getLogger(__name__)

#: Every kind of reference, with the form it is written in.
KINDS: dict[str, str] = {
    "dataset": "dataset:NAME[:SUBJECT[:SESSION]]",
    "windows": "windows:FILE.npz",
    "synthetic": "synthetic[:SECONDS]",
    "csv": "a recording CSV path",
}
#: Kinds that give labelled windows for training and verification (``distill``, ``export``).
WINDOW_KINDS: tuple[str, ...] = ("dataset", "windows")
#: Kinds that give one continuous recording (``live --simulate``, ``watch-sim``, ``predict``).
RECORDING_KINDS: tuple[str, ...] = ("synthetic", "dataset", "csv")


@dataclass(frozen=True)
class DataRef:
    """A parsed data reference (see the module docstring).

    Attributes:
        kind: one of :data:`KINDS`.
        value: the dataset name, file path, or ``""`` (synthetic).
        subject, session: restrict a dataset to one subject / session (``None`` = all).
        seconds: length of a synthetic stream, s.
    """

    kind: str
    value: str = ""
    subject: str | None = None
    session: str | None = None
    seconds: float = 60.0

    def __str__(self) -> str:
        if self.kind == "dataset":
            return ":".join(["dataset", self.value] + [p for p in (self.subject, self.session) if p is not None])
        if self.kind == "synthetic":
            return f"synthetic:{self.seconds:g}"
        if self.kind == "windows":
            return f"windows:{self.value}"
        return self.value


def _forms(kinds: tuple[str, ...]) -> str:
    forms = [KINDS[k] for k in kinds]
    return ", ".join(forms[:-1]) + (f", or {forms[-1]}" if len(forms) > 1 else forms[0])


def parse_ref(text: str, kinds: tuple[str, ...] = tuple(KINDS), what: str = "source") -> DataRef:
    """Parse ``text`` into a :class:`DataRef` of one of ``kinds``.

    Args:
        text: the reference as typed.
        kinds: the kinds the caller accepts.
        what: how the caller names it in errors (``"window source"``, ``"source"``).

    Raises:
        UnknownNameError: ``KIND:...`` with a kind outside ``kinds``; an unknown dataset name.
        ConfigError: a malformed reference, or a bare word that names nothing.
    """
    text = str(text).strip()
    kind, sep, rest = text.partition(":")
    if sep and re.fullmatch(r"[A-Za-z]{2,}", kind) and not Path(text).exists():
        if kind not in kinds:
            raise UnknownNameError(what, kind, kinds)
        return _parse_kind(kind, rest, text)
    if text == "synthetic" and "synthetic" in kinds:
        return DataRef("synthetic")
    path = Path(text)
    if path.suffix.lower() == ".npz" and "windows" in kinds:
        return DataRef("windows", text)
    if (path.suffix.lower() == ".csv" or path.exists()) and "csv" in kinds:
        return DataRef("csv", text)
    if "dataset" in kinds and text and re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        if "csv" not in kinds or text in dataset_names():
            return _parse_kind("dataset", text, text)
    raise ConfigError(f"unknown {what} {text!r}; valid: {_forms(kinds)}")


def _parse_kind(kind: str, rest: str, text: str) -> DataRef:
    if kind == "synthetic":
        try:
            seconds = float(rest) if rest else 60.0
        except ValueError:
            raise ConfigError(f"bad source {text!r}: synthetic:SECONDS needs a number") from None
        if not seconds > 1:
            raise ConfigError(f"bad source {text!r}: a synthetic signal needs more than 1 s")
        return DataRef("synthetic", seconds=seconds)
    if kind == "dataset":
        parts = rest.split(":") if rest else []
        if not 1 <= len(parts) <= 3 or not all(parts):
            raise ConfigError(f"bad source {text!r}; use {KINDS['dataset']}")
        get_dataset(parts[0])  # unknown names raise with the valid list
        return DataRef("dataset", parts[0], *(parts[1:] + [None, None])[:2])
    if not rest:
        raise ConfigError(f"source {text!r} names no {kind}")
    return DataRef(kind, rest)


def load_windows(ref: DataRef | str, spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None) -> WindowSet:
    """Labelled windows ``(N, W, C)`` in SI units at ``spec`` (normalization unset) from a window reference."""
    if isinstance(ref, str):
        ref = parse_ref(ref, WINDOW_KINDS, "window source")
    spec = spec.replace(normalization=DEFAULT_SPEC.normalization)
    if ref.kind == "dataset":
        if ref.subject is not None:
            raise ConfigError(f"{ref}: training and verification take a whole dataset (subject-wise folds); "
                              f"use dataset:{ref.value}")
        return prepare(ref.value, spec=spec, data_root=data_root)
    if ref.kind == "windows":
        ws = WindowSet.load(ref.value)
        spec.check_matches(ws.spec, what=f"windows file {ref.value}")
        return ws
    if ref.kind == "synthetic":
        return synthetic_watch_windows(spec=spec)
    rec, classes = read_recording_csv(ref.value)
    return windows_from_recordings([rec], spec, rec.dataset, classes, rec.placement)


def load_recording(ref: DataRef | str, data_root: str | Path | None = None) -> tuple[Recording, tuple[str, ...]]:
    """One continuous recording and its class names from a recording reference.

    ``dataset:NAME[:SUBJECT[:SESSION]]`` gives the first matching recording, cached as a recording CSV
    under the cache folder (reading one member of a large archive takes seconds).
    """
    if isinstance(ref, str):
        ref = parse_ref(ref, RECORDING_KINDS)
    if ref.kind == "synthetic":
        return synthetic_recording(ref.seconds), SYNTHETIC_CLASSES
    if ref.kind == "csv":
        if not Path(ref.value).exists():
            raise DataError(f"recording CSV {ref.value} does not exist")
        return read_recording_csv(ref.value)
    if ref.kind == "dataset":
        return _dataset_recording(ref, data_root)
    raise ConfigError(f"{ref} holds windows, not a continuous recording; valid: {_forms(RECORDING_KINDS)}")


def _dataset_recording(ref: DataRef, data_root: str | Path | None) -> tuple[Recording, tuple[str, ...]]:
    info = get_dataset(ref.value)
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{ref.value}_{ref.subject or 'first'}_{ref.session or 'first'}")
    cached = cache_dir() / "live_sources" / f"{key}.csv"
    if cached.exists():
        rec, _ = read_recording_csv(cached, info.class_names)
        return rec, info.class_names
    tree = info.open(data_root)
    recs = info.loader(_member_filter(tree, ref.subject, ref.session), info.placements[0])
    recs = [r for r in recs if (ref.subject is None or r.subject == ref.subject)
            and (ref.session is None or r.session == ref.session)]
    if not recs:
        raise DataError(f"dataset {ref.value}: no recording with subject {ref.subject!r} and session {ref.session!r}")
    rec = recs[0]
    write_recording_csv(rec, cached, info.class_names)
    log.info("cached %s/%s/%s as %s", ref.value, rec.subject, rec.session, cached)
    return rec, info.class_names


def _member_filter(tree: FileTree, subject: str | None, session: str | None) -> FileTree:
    """A view of ``tree`` whose members mention the subject / session (fewer files to parse)."""
    tokens = [t for t in (subject, session) if t]
    if not tokens:
        return tree
    pattern = [re.compile(rf"(?<![A-Za-z0-9]){re.escape(t)}(?![0-9])") for t in tokens]
    chosen = [m for m in tree.members() if all(p.search(m) for p in pattern)]
    return tree.view(chosen) if chosen else tree
