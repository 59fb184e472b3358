"""Classification metrics in plain numpy: the one scorer every part of mujo-edge uses.

Macro F1 equals scikit-learn's ``f1_score(average="macro")`` over the classes present in the true or
predicted labels. :func:`scores` is what evaluation, distillation, prediction and the live stage
report; :func:`agreement` is how an exported file is compared with the eager model.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.errors import DataError


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts, rows = true class, columns = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K,)`` F1 of each class; NaN for a class that is neither in ``y_true`` nor in ``y_pred``."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(np.float64)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    denom = support + predicted
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
    return f1


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> float:
    """Unweighted mean F1 over the classes present in ``y_true`` or ``y_pred`` (scikit-learn's default)."""
    if len(y_true) == 0:
        raise DataError("macro F1 of an empty set is undefined (no labelled windows)")
    k = int(num_classes if num_classes is not None else max(np.max(y_true), np.max(y_pred)) + 1)
    f1 = per_class_f1(y_true, y_pred, k)
    return float(np.nanmean(f1))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of correct predictions."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def scores(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, float]:
    """``{"macro_f1", "accuracy"}`` of ``(N,)`` predicted against ``(N,)`` true class indices."""
    return {"macro_f1": macro_f1(y_true, y_pred, num_classes), "accuracy": accuracy(y_true, y_pred)}


def class_report(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...]) -> dict[str, object]:
    """Windows, macro F1, accuracy and per-class F1 (``None`` for absent classes) keyed by class name."""
    k = len(names)
    f1 = per_class_f1(y_true, y_pred, k)
    return {"windows": int(len(y_true)), **scores(y_true, y_pred, k),
            "per_class_f1": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, f1)}}


def agreement(reference_logits: np.ndarray, logits: np.ndarray, y: np.ndarray, num_classes: int) -> dict[str, float | int]:
    """How ``logits`` ``(N, K)`` agree with ``reference_logits`` ``(N, K)`` and score on labels ``y`` ``(N,)``.

    Returns top-1 agreement, macro F1 and accuracy of both, ``f1_drop`` (reference minus ``logits``;
    negative when ``logits`` scores higher) and the largest absolute logit difference.
    """
    p_ref, p = reference_logits.argmax(1), logits.argmax(1)
    ref, got = scores(y, p_ref, num_classes), scores(y, p, num_classes)
    return {
        "windows": int(len(y)), "top1_agreement": float(np.mean(p_ref == p)),
        "macro_f1_eager": ref["macro_f1"], "macro_f1": got["macro_f1"], "f1_drop": ref["macro_f1"] - got["macro_f1"],
        "accuracy_eager": ref["accuracy"], "accuracy": got["accuracy"],
        "max_abs_logit_diff": float(np.max(np.abs(reference_logits - logits))) if len(y) else 0.0,
    }
