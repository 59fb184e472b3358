"""The project's accuracy targets for pretraining, checked against an ``evaluate`` summary, and the README block.

Targets (issue 14; means over folds and seeds, differences paired by fold and seed):

* fine-tune − scratch ≥ +3 points at 1 %, 2 % and 5 % on every dataset, and ≥ 0 at 10 % and 100 %;
* fine-tune ≥ the best SSL baseline + 1 point at 1 % and 2 % on at least four of five datasets;
* linear probe within 5 points of scratch at 100 % on at least three datasets;
* fine-tune at 2 %: MotionSense ≥ 0.90, USC-HAD ≥ 0.74, UCI-HAPT ≥ 0.68 macro F1;
* fine-tune above the protocol's random-forest reference (:data:`REFERENCE_RF`) at every fraction on
  MotionSense, USC-HAD and UCI-HAPT.

:func:`check_targets` returns one row per checked number (met or missed, with the value); nothing is
asserted. :func:`update_readme` rewrites the block between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``
of a markdown file, so the README tables come from the evaluation's ``results.json`` by one command.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mujo_edge.errors import ConfigError
from mujo_edge.provenance import atomic_write_text

#: Random-forest reference of ``evaluation_protocol.md`` (macro F1, mean over the 5 subject folds).
REFERENCE_RF: dict[str, dict[str, float]] = {
    "motionsense": {"0.01": 0.839, "0.02": 0.880, "0.05": 0.897, "0.1": 0.907, "1": 0.909},
    "usc_had": {"0.01": 0.655, "0.02": 0.681, "0.05": 0.721, "0.1": 0.735, "1": 0.760},
    "uci_hapt": {"0.01": 0.622, "0.02": 0.626, "0.05": 0.674, "0.1": 0.726, "1": 0.825},
}
#: Fine-tune macro F1 targets at 2 % labels.
AT_2PCT: dict[str, float] = {"motionsense": 0.90, "usc_had": 0.74, "uci_hapt": 0.68}


def _row(target: str, dataset: str, frac: str | None, value: float | None, threshold: float, met: bool | None
         ) -> dict[str, Any]:
    return {"target": target, "dataset": dataset, "fraction": frac, "value": value, "threshold": threshold, "met": met}


def check_targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target number of the module docstring that ``summary`` (:func:`~mujo_edge.eval.report.summarize`) holds."""
    rows: list[dict[str, Any]] = []
    for ds, d in summary["datasets"].items():
        fs = d.get("delta_finetune_minus_scratch", {})
        for frac, need in (("0.01", 0.03), ("0.02", 0.03), ("0.05", 0.03), ("0.1", 0.0), ("1", 0.0)):
            if frac in fs:
                rows.append(_row("finetune − scratch", ds, frac, fs[frac]["mean"], need, fs[frac]["mean"] >= need))
        fb = d.get("delta_finetune_minus_best_ssl", {})
        for frac in ("0.01", "0.02"):
            if frac in fb:
                rows.append(_row("finetune − best SSL", ds, frac, fb[frac]["mean"], 0.01, fb[frac]["mean"] >= 0.01))
        ls = d.get("delta_linear_minus_scratch", {})
        if "1" in ls:
            rows.append(_row("linear − scratch at 100 %", ds, "1", ls["1"]["mean"], -0.05, ls["1"]["mean"] >= -0.05))
        ft = d["cells"].get("finetune", {})
        if ds in AT_2PCT and "0.02" in ft:
            rows.append(_row("finetune at 2 %", ds, "0.02", ft["0.02"]["mean"], AT_2PCT[ds],
                             ft["0.02"]["mean"] >= AT_2PCT[ds]))
        for frac, ref in REFERENCE_RF.get(ds, {}).items():
            if frac in ft:
                rows.append(_row("finetune > RF reference", ds, frac, ft[frac]["mean"], ref, ft[frac]["mean"] > ref))
    return rows


def targets_markdown(rows: list[dict[str, Any]]) -> str:
    """A markdown summary of :func:`check_targets`: per target and dataset, which fractions met it."""
    lines = ["| target | dataset | met at | missed at (value vs threshold) |", "|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["target"], r["dataset"]), []).append(r)
    for (target, ds), rs in groups.items():
        met = ", ".join(_pct(r["fraction"]) for r in rs if r["met"]) or "–"
        missed = ", ".join(f"{_pct(r['fraction'])} ({r['value']:+.3f} vs {r['threshold']:+.3f})" if "−" in target
                           else f"{_pct(r['fraction'])} ({r['value']:.3f} vs {r['threshold']:.3f})"
                           for r in rs if not r["met"]) or "–"
        lines.append(f"| {target} | {ds} | {met} | {missed} |")
    counts = {}
    for r in rows:
        if r["target"] in ("finetune − best SSL", "linear − scratch at 100 %"):
            counts.setdefault(r["target"], {}).setdefault(r["dataset"], []).append(bool(r["met"]))
    for target, by_ds in counts.items():
        n = sum(all(v) for v in by_ds.values())
        need = 4 if target == "finetune − best SSL" else 3
        lines.append(f"\n{target}: met on {n} of {len(by_ds)} datasets (target: at least {need}).")
    return "\n".join(lines)


def _pct(frac: str | None) -> str:
    return f"{float(frac) * 100:g} %" if frac is not None else "–"


def update_readme(path: str | Path, name: str, body: str) -> Path:
    """Replace the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in ``path`` with ``body``.

    Raises :class:`ConfigError` naming the markers when the file lacks them (add both lines where the block goes).
    """
    path = Path(path)
    text = path.read_text()
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ConfigError(f"{path} has no block {begin} ... {end}; add both marker lines where the tables go")
    atomic_write_text(path, pattern.sub(lambda _: f"{begin}\n{body.rstrip()}\n{end}", text, count=1))
    return path
