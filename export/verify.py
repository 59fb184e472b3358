"""Self-verification of an exported file in its own runtime against the eager PyTorch model.

The file is loaded through :func:`mujo_edge.runtime.load` (ExecuTorch Python runtime, the
``ai_edge_litert`` interpreter, ONNX Runtime), run on the held-out test windows (SI units; the runtime
normalizes with the sidecar's spec exactly as apps must) and compared with the eager model's logits:
top-1 agreement must be at least ``min_agreement`` and macro F1 may differ (either way) by at most
``max_f1_drop`` from the eager model's.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.errors import VerificationError
from mujo_edge.metrics import agreement
from mujo_edge.runtime import load

log = logging.getLogger(__name__)


def verify_file(path: Path, eager_logits: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, num_classes: int,
                min_agreement: float = 0.99, max_f1_drop: float = 0.01, threads: int = 1) -> dict[str, Any]:
    """Run ``path`` on ``x_test`` (SI-unit ``(N, W, C)`` windows) and compare with ``eager_logits``.

    Returns the comparison numbers (see :func:`mujo_edge.metrics.agreement`) plus the tolerances, the runtime and ``passed``
    (see :func:`within_tolerance`). It does not raise on a failed check: callers decide (the export
    pipeline verifies every file first, then raises); :func:`raise_if_failed` turns a failure into a
    :class:`VerificationError` with the numbers.
    """
    t0 = time.perf_counter()
    clf = load(path, threads=threads)
    try:
        t1 = time.perf_counter()
        logits = clf.logits(x_test)
        run_s = time.perf_counter() - t1
    finally:
        clf.close()
    res: dict[str, Any] = agreement(eager_logits, logits, y_test, num_classes)
    res.update(min_agreement=min_agreement, max_f1_drop=max_f1_drop, runtime=clf.backend,
               seconds=round(time.perf_counter() - t0, 2), mean_window_us_incl_python=round(1e6 * run_s / max(1, len(y_test)), 1))
    res["passed"] = within_tolerance(res, min_agreement, max_f1_drop)
    log.info("verified %s: agreement %.4f, macro F1 %.4f vs eager %.4f", path.name, res["top1_agreement"],
             res["macro_f1"], res["macro_f1_eager"])
    return res


def within_tolerance(res: dict[str, Any], min_agreement: float, max_f1_drop: float) -> bool:
    """``top1_agreement >= min_agreement`` and ``|macro_f1_eager - macro_f1| <= max_f1_drop`` (F1 in [0, 1])."""
    return bool(res["top1_agreement"] >= min_agreement and abs(res["f1_drop"]) <= max_f1_drop + 1e-12)


def failure_message(path: Path, res: dict[str, Any]) -> str:
    """One line naming ``path`` and its verification numbers (agreement, F1 file vs eager, tolerances)."""
    return (f"{path}: exported model disagrees with the eager model on {res['windows']} held-out test windows in "
            f"{res['runtime']}: top-1 agreement {res['top1_agreement']:.4f} (need >= {res['min_agreement']}), "
            f"macro F1 {res['macro_f1']:.4f} vs eager {res['macro_f1_eager']:.4f} (drop {res['f1_drop']:+.4f}, "
            f"allowed +-{res['max_f1_drop']}); max |logit diff| {res['max_abs_logit_diff']:.3g}")


def raise_if_failed(path: Path, res: dict[str, Any]) -> None:
    """Raise :class:`VerificationError` naming the file and its numbers unless ``res["passed"]``."""
    if not res["passed"]:
        raise VerificationError(failure_message(path, res))
