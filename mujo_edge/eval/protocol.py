"""The default subject-wise protocol of ``evaluation_protocol.md`` as reusable pieces.

For a fold and a label fraction: standardize with mean/std of all windows of the fold's training
subjects (fit + validation, labels unused), take the nested stratified fraction of the fit windows
(training set) and, separately, of the validation windows (early-stopping set), and keep every test
window. Each method (scratch, linear probe, fine-tuning, distilled student) gets the same data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from mujo_edge.data.fractions import label_fraction
from mujo_edge.data.spec import Normalization, SensorSpec
from mujo_edge.data.splits import Fold
from mujo_edge.data.windows import WindowSet
from mujo_edge.eval.metrics import accuracy, macro_f1

log = logging.getLogger(__name__)


@dataclass
class FoldData:
    """Normalized arrays of one fold at one label fraction; ``spec`` carries the fitted normalization."""

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


def scores(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, float]:
    """Macro F1 and accuracy."""
    return {"macro_f1": macro_f1(y_true, y_pred, num_classes), "accuracy": accuracy(y_true, y_pred)}
