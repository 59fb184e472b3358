"""Batch prediction on recording CSVs or a dataset with any loaded classifier (behind ``mujo-edge predict``).

Inputs (any number, one model load, one report with per-input and overall metrics):

* ``RECORDING.csv`` or a folder of them: the recording CSV format of :mod:`mujo_edge.data.csvio` (any
  rate, any channel order, timestamps); checked for plausibility (:mod:`mujo_edge.data.checks`), split
  at gaps longer than ``max_gap_s`` and cut into the model's windows by
  :meth:`RuntimeClassifier.predict_recording`; labels are matched to the model's classes by name.
* ``dataset:NAME``: the dataset's labelled windows prepared at the model's spec
  (:func:`mujo_edge.data.prepare.prepare`, the same path training used), from the sensor site the
  model was trained for (``spec.placement``; see :func:`resolve_placement`). When the model records
  a subject split of that dataset, metrics are also given on its held-out test subjects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.data.checks import check_recording
from mujo_edge.data.csvio import read_recording_csv
from mujo_edge.data.importer import NULL_NAMES, config_of_import, read_source
from mujo_edge.data.preprocess import split_at_gaps
from mujo_edge.data.datasets import get_dataset
from mujo_edge.data.prepare import prepare
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.refs import DataRef, parse_ref
from mujo_edge.data.spec import Normalization
from mujo_edge.errors import ConfigError, DataError, UnknownNameError
from mujo_edge.metrics import class_report, confusion_matrix
from mujo_edge.runtime.base import RuntimeClassifier

log = logging.getLogger(__name__)


@dataclass
class PredictionReport:
    """Per-window predictions of one input plus metrics where labels exist.

    Attributes:
        input: what was classified (file path or ``dataset:NAME``).
        rows: one dict per window (``window``, ``t_start_s`` or ``subject``, ``pred``, ``confidence``, ``true``).
        proba: ``(N, K)`` probabilities.
        pred: ``(N,)`` predicted indices; ``true``: ``(N,)`` label indices, ``-1`` where unlabelled.
        metrics: ``{"all": {...}, "test_subjects": {...}}`` macro F1 / accuracy / windows (labelled windows only).
        confusion: ``(K, K)`` counts over the labelled windows (rows true, columns predicted) or ``None``.
        placement: the dataset's sensor site that was classified (``dataset:NAME`` inputs), else ``None``.
    """

    input: str
    label_names: tuple[str, ...]
    rows: list[dict[str, Any]]
    proba: np.ndarray
    pred: np.ndarray
    true: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)
    confusion: np.ndarray | None = None
    confusion_over: str = "all labelled windows"
    placement: str | None = None
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # per input: windows, parts, metrics, notes

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no per-window rows)."""
        counts = np.bincount(self.pred, minlength=len(self.label_names))
        return {"input": self.input, "placement": self.placement, "windows": int(len(self.pred)),
                "predicted_counts": {n: int(c) for n, c in zip(self.label_names, counts)},
                "metrics": self.metrics,
                "confusion": self.confusion.tolist() if self.confusion is not None else None,
                "confusion_over": self.confusion_over, "inputs": self.inputs}


def predict_input(clf: RuntimeClassifier, source: str, data_root: str | Path | None = None,
                  placement: str | None = None, check: bool = True, max_gap_s: float = 1.0,
                  like: str | None = None) -> PredictionReport:
    """Classify ``source`` (a recording CSV, a folder of them, or ``dataset:NAME``) with ``clf``.

    ``placement`` overrides the sensor site read from a ``dataset:NAME`` (default: the model's, see
    :func:`resolve_placement`); it is ignored for CSV recordings. ``check``: plausibility checks of
    CSV recordings; ``max_gap_s``: a longer gap in a recording's timestamps splits it. ``like``: read
    CSV inputs as the user's own files, with the settings ``mujo-edge data import`` used for dataset
    ``like`` (column names, units, time unit, label column), instead of the recording CSV format.
    """
    return predict_inputs(clf, [source], data_root, placement, check, max_gap_s, like)


def predict_inputs(clf: RuntimeClassifier, sources: list[str], data_root: str | Path | None = None,
                   placement: str | None = None, check: bool = True, max_gap_s: float = 1.0,
                   like: str | None = None) -> PredictionReport:
    """Classify every input of ``sources`` (see :func:`predict_input`) into one report.

    ``rep.inputs`` holds each input's windows, parts and metrics; ``rep.metrics["all"]`` covers every
    labelled window of all inputs.
    """
    reports: list[PredictionReport] = []
    for source in sources:
        ref = parse_ref(source, ("dataset", "csv"), "input")
        if ref.kind == "dataset":
            reports.append(_predict_dataset(clf, ref, data_root, placement))
            continue
        path = Path(ref.value)
        if path.is_dir():
            files = sorted(path.rglob("*.csv"))
            if not files:
                raise DataError(f"{path}: no recording CSV (*.csv) in this folder")
            reports += [_predict_csv(clf, f, check, max_gap_s, like) for f in files]
        else:
            reports.append(_predict_csv(clf, path, check, max_gap_s, like))
    if len(reports) == 1:
        rep = reports[0]
        rep.inputs = {rep.input: {"windows": len(rep.pred), **rep.inputs.get(rep.input, {}),
                                  "metrics": dict(rep.metrics)}}
        return rep
    return _combine(clf, reports)


def _read_as(path: Path, like: str | None, names_out: list[str]) -> list[Recording]:
    """A CSV as recordings (gap-free parts) with labels indexing ``names_out`` (filled with the file's class names)."""
    if like is None:
        rec, names = read_recording_csv(path)
        names_out += names
        return [rec]
    recs, labels, _ = read_source(path, config_of_import(like), None)
    names = sorted({n for labs in labels for n in labs if n.strip().lower() not in NULL_NAMES})
    names_out += names
    for rec, labs in zip(recs, labels):
        rec.labels = np.asarray([names.index(n) if n in names else NULL_LABEL for n in labs], np.int16)
    return recs


def _predict_csv(clf: RuntimeClassifier, path: Path, check: bool, max_gap_s: float,
                 like: str | None = None) -> PredictionReport:
    """One CSV: checked, split at long gaps, windows of every part; labels matched to the model's by class name."""
    if not path.exists():
        raise DataError(f"recording CSV {path} does not exist")
    names: list[str] = []
    recs = _read_as(path, like, names)
    unknown = sorted(set(names) - set(clf.label_names))
    index = np.asarray([clf.label_names.index(n) if n in clf.label_names else NULL_LABEL for n in names] + [NULL_LABEL])
    all_parts = []
    for rec in recs:
        rec.labels = index[np.where(rec.labels == NULL_LABEL, len(names), rec.labels)].astype(np.int16)
        if check:
            check_recording(rec, str(path))
        all_parts += split_at_gaps(rec, max_gap_s)
    rec = recs[0]
    rows, probas, preds, trues, parts = [], [], [], [], []
    for part in all_parts:
        res = clf.predict_recording(part)
        start_s = float(part.meta.get("start_s", 0.0))  # the part's first sample, s from the recording start
        true = res.true if res.true is not None else np.full(len(res.pred), NULL_LABEL, np.int64)
        for i in range(len(res.pred)):
            rows.append({"input": str(path), "part": part.session, "window": len(rows),
                         "t_start_s": round(start_s + float(res.t_start_s[i]), 3),
                         "pred": clf.label_names[int(res.pred[i])], "confidence": round(float(res.confidence[i]), 4),
                         "true": clf.label_names[int(true[i])] if true[i] != NULL_LABEL else None})
        probas.append(res.proba)
        preds.append(res.pred)
        trues.append(true)
        parts.append({"part": part.session, "samples": part.n_samples, "seconds": round(part.duration_s, 3),
                      "windows": int(len(res.pred))})
    n = sum(len(p) for p in preds)
    if n == 0:
        spec = clf.spec
        seconds, samples = sum(p.duration_s for p in all_parts), sum(p.n_samples for p in all_parts)
        raise DataError(f"{path}: {seconds:.2f} s of data ({samples} samples at {rec.rate_hz:g} Hz"
                        f"{f', {len(parts)} parts after gaps' if len(parts) > 1 else ''}) is shorter than one window of "
                        f"the model ({spec.window} samples = {spec.window_seconds:.2f} s at {spec.rate_hz:g} Hz)")
    rep = _finish(PredictionReport(str(path), clf.label_names, rows, np.concatenate(probas), np.concatenate(preds),
                                   np.concatenate(trues)))
    notes = [f"labels {unknown} are not among the model's classes: their windows count as unlabelled"] if unknown else []
    if len(parts) > 1:
        notes.append(f"split at {len(parts) - 1} gap(s) longer than {max_gap_s:g} s")
    rep.inputs = {str(path): {"parts": parts, "notes": notes, "duplicates_merged": rec.meta.get("duplicates_merged", 0)}}
    return rep


def _combine(clf: RuntimeClassifier, reports: list[PredictionReport]) -> PredictionReport:
    """One report over several inputs: rows and arrays concatenated, metrics per input and over all."""
    rows = [r for rep in reports for r in rep.rows]
    for k, r in enumerate(rows):
        r["window"] = k
    rep = _finish(PredictionReport(", ".join(r.input for r in reports), clf.label_names, rows,
                                   np.concatenate([r.proba for r in reports]), np.concatenate([r.pred for r in reports]),
                                   np.concatenate([r.true for r in reports])))
    rep.inputs = {r.input: {"windows": len(r.pred), **r.inputs.get(r.input, {}), "metrics": dict(r.metrics)}
                  for r in reports}
    return rep


def resolve_placement(model_placement: str, dataset: str, placements: tuple[str, ...],
                      override: str | None = None) -> str:
    """The sensor site of ``dataset`` to classify with a model trained for ``model_placement``.

    Args:
        model_placement: the model's ``spec.placement`` (a body site or ``"any"``).
        dataset: dataset name (for messages).
        placements: the sites the dataset has (its first is its default).
        override: a site chosen by the user; must be one of ``placements``.

    Returns:
        ``override`` if given; else the model's site; else (model trained for ``"any"``) the dataset's default.

    Raises:
        UnknownNameError: ``override`` is not one of the dataset's sites.
        ConfigError: the dataset lacks the model's site (names the valid ones and how to override).
    """
    if override is not None:
        if override not in placements:
            raise UnknownNameError(f"placement of {dataset}", override, placements)
        return override
    if model_placement == "any":
        return placements[0]
    if model_placement not in placements:
        raise ConfigError(
            f"the model was trained for placement {model_placement!r}, but dataset {dataset} has only "
            f"{', '.join(placements)}; choose one explicitly (--placement NAME) to classify it anyway")
    return model_placement


def _predict_dataset(clf: RuntimeClassifier, ref: DataRef, data_root: str | Path | None,
                     placement: str | None = None) -> PredictionReport:
    if ref.subject is not None:
        raise ConfigError(f"predict --input {ref}: give a whole dataset (dataset:{ref.value}) or a recording CSV")
    name = ref.value
    site = resolve_placement(clf.spec.placement, name, tuple(get_dataset(name).placements), placement)
    if site != clf.spec.placement and clf.spec.placement != "any":
        log.warning("%s: model trained for placement %s, classifying %s windows of %s", clf.path,
                    clf.spec.placement, site, name)
    ws = prepare(name, spec=clf.spec.replace(normalization=Normalization()), data_root=data_root, placement=site)
    proba = clf.predict_proba(ws.x)
    pred = proba.argmax(1).astype(np.int64)
    same_classes = tuple(ws.class_names) == tuple(clf.label_names)
    if not same_classes:
        log.warning("dataset %s has classes %s, the model %s: no metrics", name, ws.class_names, clf.label_names)
    true = ws.y.astype(np.int64) if same_classes else np.full(len(ws), NULL_LABEL, np.int64)
    rows = [{"window": i, "subject": str(ws.subjects[i]), "pred": clf.label_names[int(pred[i])],
             "confidence": round(float(proba[i, pred[i]]), 4),
             "true": ws.class_names[int(ws.y[i])]} for i in range(len(ws))]
    rep = _finish(PredictionReport(f"dataset:{name}", clf.label_names, rows, proba, pred, true, placement=site))
    test = _recorded_test_subjects(clf, name)
    if same_classes and test:
        mask = np.isin(ws.subjects.astype(str), np.asarray(test, dtype=str))
        if mask.any():
            rep.metrics["test_subjects"] = {**class_report(true[mask], pred[mask], clf.label_names),
                                            "subjects": list(test)}
            rep.confusion = confusion_matrix(true[mask], pred[mask], len(clf.label_names))
            rep.confusion_over = "held-out test subjects"
    return rep


def _recorded_test_subjects(clf: RuntimeClassifier, dataset: str) -> list[str]:
    """Held-out test subjects recorded with the model (checkpoint ``extra.data`` or sidecar ``data``)."""
    meta = clf.meta
    data = (meta.get("extra") or {}).get("data") if "extra" in meta else meta.get("data")
    if not data or data.get("source") not in (f"dataset:{dataset}", dataset):
        return []
    fold = data.get("fold")
    return list(fold["test_subjects"]) if isinstance(fold, dict) else list(data.get("test_subjects", []))


def _finish(rep: PredictionReport) -> PredictionReport:
    lab = rep.true != NULL_LABEL
    if lab.any():
        rep.metrics["all"] = class_report(rep.true[lab], rep.pred[lab], rep.label_names)
        rep.confusion = confusion_matrix(rep.true[lab], rep.pred[lab], len(rep.label_names))
    return rep


def save_confusion_png(rep: PredictionReport, path: str | Path, title: str = "") -> Path:
    """Draw ``rep.confusion`` (row-normalized colours, counts written in) to a PNG file."""
    if rep.confusion is None:
        raise DataError(f"{rep.input}: no labelled windows, so no confusion matrix")
    from matplotlib.figure import Figure  # matplotlib is loaded only when a figure is drawn

    cm = rep.confusion
    k = len(rep.label_names)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(1.0 + 0.7 * k, 0.8 + 0.6 * k))
    ax = fig.add_subplot()
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), rep.label_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), rep.label_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    part = rep.metrics.get("test_subjects" if rep.confusion_over.startswith("held-out") else "all", {})
    f1 = part.get("macro_f1")
    ax.set_title(f"{title or rep.input}\n{rep.confusion_over}" + (f", macro F1 {f1:.3f}" if f1 is not None else ""),
                 fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
