"""Evaluation: metrics and (with the ``train`` extra) the subject-wise evaluation protocol."""

from mujo_edge.eval.metrics import accuracy, confusion_matrix, macro_f1, per_class_f1

__all__ = ["accuracy", "confusion_matrix", "macro_f1", "per_class_f1"]
