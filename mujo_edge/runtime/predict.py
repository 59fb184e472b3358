"""Batch prediction on a recording CSV or a real dataset with any loaded classifier (behind ``mujo-edge predict``).

Inputs:

* ``RECORDING.csv``: the recording CSV format of :mod:`mujo_edge.data.csvio` (any rate, any channel
  order); cut into the model's windows by :meth:`RuntimeClassifier.predict_recording`.
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

from mujo_edge.data.csvio import read_recording_csv
from mujo_edge.data.datasets import get_dataset
from mujo_edge.data.prepare import prepare
from mujo_edge.data.recording import NULL_LABEL
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

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no per-window rows)."""
        counts = np.bincount(self.pred, minlength=len(self.label_names))
        return {"input": self.input, "placement": self.placement, "windows": int(len(self.pred)),
                "predicted_counts": {n: int(c) for n, c in zip(self.label_names, counts)},
                "metrics": self.metrics,
                "confusion": self.confusion.tolist() if self.confusion is not None else None,
                "confusion_over": self.confusion_over}


def predict_input(clf: RuntimeClassifier, source: str, data_root: str | Path | None = None,
                  placement: str | None = None) -> PredictionReport:
    """Classify ``source`` (a recording CSV path or ``dataset:NAME``) with ``clf``.

    ``placement`` overrides the sensor site read from a ``dataset:NAME`` (default: the model's, see
    :func:`resolve_placement`); it is ignored for CSV recordings.
    """
    ref = parse_ref(source, ("dataset", "csv"), "input")
    if ref.kind == "dataset":
        return _predict_dataset(clf, ref, data_root, placement)
    path = Path(ref.value)
    if not path.exists():
        raise DataError(f"recording CSV {path} does not exist")
    rec, _ = read_recording_csv(path, class_names=clf.label_names)
    res = clf.predict_recording(rec)
    true = res.true if res.true is not None else np.full(len(res.pred), NULL_LABEL, np.int64)
    rows = [{"window": i, "t_start_s": round(float(res.t_start_s[i]), 3), "pred": clf.label_names[int(res.pred[i])],
             "confidence": round(float(res.confidence[i]), 4),
             "true": clf.label_names[int(true[i])] if true[i] != NULL_LABEL else None} for i in range(len(res.pred))]
    return _finish(PredictionReport(str(path), clf.label_names, rows, res.proba, res.pred, true))


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
