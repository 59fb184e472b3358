"""The default subject-wise protocol of ``evaluation_protocol.md`` and how a labelled split is recorded.

For a fold and a label fraction: standardize with mean/std of all windows of the fold's training
subjects (fit + validation, labels unused), take the nested stratified fraction of the fit windows
(training set) and, separately, of the validation windows (early-stopping set), and keep every test
window. Every method (scratch, linear probe, fine-tuning, distilled student) gets the same data.

A model trained on a fold records that fold (:func:`fold_record`, stored in checkpoints and export
sidecars under ``data``); :func:`recorded_split` rebuilds its held-out test and calibration windows
from the record, so export verification and ``predict`` score on subjects the model never saw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mujo_edge.data.fractions import label_fraction
from mujo_edge.data.refs import WINDOW_KINDS, load_windows, parse_ref
from mujo_edge.data.spec import Normalization, SensorSpec
from mujo_edge.data.splits import Fold, subject_kfold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError, DataError

log = logging.getLogger(__name__)

#: JSON form of a fold: name and fit / validation / test subjects.
FoldRecord = dict[str, "str | list[str]"]


@dataclass
class FoldData:
    """Normalized arrays of one fold at one label fraction; ``spec`` carries the fitted normalization.

    ``x_*`` are ``(N, W, C)`` float32 normalized windows, ``y_*`` ``(N,)`` int64 class indices.
    """

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    spec: SensorSpec
    num_classes: int
    class_names: tuple[str, ...]


def fold_normalization(ws: WindowSet, fold: Fold) -> Normalization:
    """Per-channel mean/std over all windows of the fold's training subjects (fit + validation)."""
    idx = fold.indices(ws)
    train = np.concatenate([idx["fit"], idx["val"]])
    return Normalization.fit(ws.x[train], ws.channel_mask)


def fold_data(ws: WindowSet, fold: Fold, fraction: float, seed: int) -> FoldData:
    """The protocol's fit / validation / test arrays for ``fold`` at label ``fraction`` with ``seed``."""
    idx = fold.indices(ws)
    norm = fold_normalization(ws, fold)
    spec = ws.spec.replace(normalization=norm, placement=ws.placement)
    fit = idx["fit"][label_fraction(ws.y[idx["fit"]], fraction, seed)]
    val = idx["val"][label_fraction(ws.y[idx["val"]], fraction, seed)] if len(idx["val"]) else idx["val"]
    test = idx["test"]
    return FoldData(
        x_fit=spec.normalize(ws.x[fit]), y_fit=ws.y[fit], x_val=spec.normalize(ws.x[val]), y_val=ws.y[val],
        x_test=spec.normalize(ws.x[test]), y_test=ws.y[test], spec=spec, num_classes=ws.num_classes,
        class_names=ws.class_names,
    )


def fold_record(fold: Fold) -> FoldRecord:
    """JSON form of a fold (stored in checkpoints and sidecars)."""
    return {"name": fold.name, "fit_subjects": list(fold.fit_subjects), "val_subjects": list(fold.val_subjects),
            "test_subjects": list(fold.test_subjects)}


def fold_from_record(rec: FoldRecord) -> Fold:
    """Inverse of :func:`fold_record`."""
    return Fold(name=str(rec["name"]), fit_subjects=tuple(rec["fit_subjects"]), val_subjects=tuple(rec["val_subjects"]),
                test_subjects=tuple(rec["test_subjects"]))


@dataclass
class SplitWindows:
    """A model's held-out split rebuilt from its recorded source (used by export and predict).

    ``x_*`` are SI-unit windows ``(N, W, C)``; ``calib_subjects`` are the fit + validation subjects.
    ``recorded`` is False when the model recorded no split and a default fold was used instead.
    """

    source: str
    fold: Fold
    x_calib: np.ndarray
    y_calib: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    recorded: bool

    @property
    def calib_subjects(self) -> tuple[str, ...]:
        return self.fold.train_subjects


def recorded_split(data: dict | None, spec: SensorSpec, label_names: tuple[str, ...] | None, where: str,
                   data_root: str | Path | None = None, source: str | None = None, fold: int = 0,
                   folds: int = 5) -> SplitWindows:
    """The test and calibration windows of a model whose training split is recorded in ``data``.

    Args:
        data: the model's ``data`` record (``{"source": ..., "fold": fold_record(...)}``, written by
            ``distill``), or ``None``.
        spec: the model's sensor spec (windows are cut at its rate / window / hop).
        label_names: the model's classes; the source must have the same ones in the same order.
        where: the model's path, for messages.
        source: labelled data to use when nothing is recorded (``dataset:NAME``); fold ``fold`` of a
            seed-0 ``folds``-fold subject split is then used (``recorded=False``).

    Raises:
        ConfigError: nothing recorded and no ``source`` given.
        DataError: the source's classes differ from the model's, or the fold leaves no windows.
    """
    if not (isinstance(data, dict) and isinstance(data.get("fold"), dict) and "source" in data):
        data = None  # e.g. a classifier checkpoint from another tool: no split recorded
    same = data is not None and (source is None or parse_ref(source, WINDOW_KINDS, "window source")
                                 == parse_ref(data["source"], WINDOW_KINDS, "window source"))
    if same:
        source = data["source"]
    elif source is None:
        raise ConfigError(f"{where}: the model records no data split; pass the labelled data to verify "
                          f"and calibrate on (e.g. --dataset motionsense)")
    ws = load_windows(source, spec, data_root)
    if label_names and tuple(label_names) != ws.class_names:
        raise DataError(f"{source} has classes {list(ws.class_names)}, the model {list(label_names)}")
    fd = fold_from_record(data["fold"]) if same else subject_kfold(ws.subject_ids, k=folds, seed=0)[fold]
    idx = fd.indices(ws)
    calib = np.concatenate([idx["fit"], idx["val"]])
    if len(idx["test"]) == 0 or len(calib) == 0:
        raise DataError(f"{source}: fold {fd.name} leaves {len(idx['test'])} test and {len(calib)} calibration windows")
    return SplitWindows(source=source, fold=fd, x_calib=ws.x[calib], y_calib=ws.y[calib], x_test=ws.x[idx["test"]],
                        y_test=ws.y[idx["test"]], recorded=same)
