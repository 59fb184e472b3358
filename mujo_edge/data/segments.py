"""How long the labelled activities of a set of recordings last, and which window fits them.

Short activities (a sit-to-stand, a turn: 1-2 s) lose every window at a long window and a high
purity; :func:`segment_stats` measures them and :func:`recommend_window` picks a window that keeps them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import DEFAULT_SPEC


def segment_stats(recs: list[Recording], class_names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per class: number of contiguous labelled runs and their length in seconds (median, 10th / 90th percentile)."""
    runs: dict[int, list[float]] = {}
    for rec in recs:
        lab = rec.labels.astype(np.int64)
        t = rec.timestamps if rec.timestamps is not None else np.arange(rec.n_samples) / rec.rate_hz
        edges = np.flatnonzero(np.diff(lab) != 0) + 1
        for a, b in zip(np.concatenate([[0], edges]), np.concatenate([edges, [len(lab)]])):
            if lab[a] != NULL_LABEL:
                runs.setdefault(int(lab[a]), []).append(float(t[b - 1] - t[a]) + 1.0 / rec.rate_hz)
    out = {}
    for k, name in enumerate(class_names):
        d = np.asarray(runs.get(k, [0.0]))
        out[name] = {"segments": len(runs.get(k, [])), "median_s": round(float(np.median(d)), 3),
                     "p10_s": round(float(np.percentile(d, 10)), 3), "p90_s": round(float(np.percentile(d, 90)), 3),
                     "total_s": round(float(d.sum()), 1)}
    return out


def recommend_window(segments: dict[str, dict[str, float]], rate_hz: float = DEFAULT_SPEC.rate_hz,
                     default: int = DEFAULT_SPEC.window, purity: float = DEFAULT_SPEC.purity) -> dict[str, Any]:
    """The longest window (at most ``default`` samples, a multiple of 8) whose pure part fits the median
    segment of every class, with half-window hop; the reason names the shortest class."""
    shortest = min(segments, key=lambda c: segments[c]["median_s"]) if segments else None
    if shortest is None:
        return {"window": default, "hop": default // 2, "reason": "no labelled segments"}
    fits = int(segments[shortest]["median_s"] * rate_hz / max(purity, 1e-6))
    window = max(16, min(default, fits // 8 * 8))
    reason = (f"every class's median segment holds a {default}-sample window" if window == default else
              f"{shortest!r} segments last {segments[shortest]['median_s']:.2f} s (median): a {default}-sample window "
              f"at {rate_hz:g} Hz would lose most of them")
    return {"window": window, "hop": max(1, window // 2), "rate_hz": rate_hz, "seconds": round(window / rate_hz, 3),
            "reason": reason}
