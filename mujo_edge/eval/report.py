"""Evaluation report: aggregate runs, write ``results.json``, ``report.md`` and ``f1_vs_fraction.png``.

Aggregation per (dataset, mode, fraction): each fold's macro F1 is averaged over seeds; the cell is
the mean over folds. Two spreads are kept: ``std`` over folds (numpy ``std``, ddof 0; the convention of
the reference table in ``evaluation_protocol.md``) and ``std_seeds``, the standard deviation over seeds
of the fold-averaged F1; the markdown shows both. ``Δ`` rows give the paired difference
finetune − scratch (same fold, seed, labelled windows) and on how many folds it was positive.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mujo_edge.config import save_json, to_dict
from mujo_edge.provenance import atomic_write_text


class EvaluateSettings(Protocol):
    """What the report needs from an :class:`~mujo_edge.eval.evaluate.EvaluateConfig`."""

    datasets: tuple[str, ...]
    modes: tuple[str, ...]
    fractions: tuple[float, ...]

log = logging.getLogger(__name__)


def _cell(runs: list[dict[str, Any]], metric: str = "macro_f1") -> dict[str, Any]:
    by_fold: dict[int, list[float]] = defaultdict(list)
    by_seed: dict[int, list[float]] = defaultdict(list)
    for r in runs:
        by_fold[r["fold"]].append(r[metric])
        by_seed[r["seed"]].append(r[metric])
    fold_means = [float(np.mean(v)) for _, v in sorted(by_fold.items())]
    seed_means = [float(np.mean(v)) for _, v in sorted(by_seed.items())]
    return {"mean": float(np.mean(fold_means)), "std": float(np.std(fold_means)),
            "std_seeds": float(np.std(seed_means)) if len(seed_means) > 1 else 0.0,
            "folds": fold_means, "n_runs": len(runs), "n_seeds": len(by_seed)}


def _paired_delta(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any] | None:
    """finetune − scratch paired on (fold, seed)."""
    ka = {(r["fold"], r["seed"]): r["macro_f1"] for r in a}
    kb = {(r["fold"], r["seed"]): r["macro_f1"] for r in b}
    common = sorted(set(ka) & set(kb))
    if not common:
        return None
    by_fold: dict[int, list[float]] = defaultdict(list)
    for k in common:
        by_fold[k[0]].append(ka[k] - kb[k])
    fold_means = [float(np.mean(v)) for _, v in sorted(by_fold.items())]
    return {"mean": float(np.mean(fold_means)), "std": float(np.std(fold_means)),
            "folds_better": int(sum(d > 0 for d in fold_means)), "n_folds": len(fold_means)}


def summarize(results: list[dict[str, Any]], cfg: EvaluateSettings, meta: dict[str, Any]) -> dict[str, Any]:
    """The report dict: per dataset, ``cells[mode][fraction]``, ``delta[fraction]``, ``zero_shot``; plus all runs."""

    datasets: dict[str, Any] = {}
    for ds in cfg.datasets:
        rs = [r for r in results if r["dataset"] == ds]
        cells: dict[str, dict[str, Any]] = {}
        for mode in cfg.modes:
            cells[mode] = {f"{p:g}": _cell([r for r in rs if r["mode"] == mode and r["fraction"] == p])
                           for p in cfg.fractions if any(r["mode"] == mode and r["fraction"] == p for r in rs)}
        delta = {}
        if "finetune" in cfg.modes and "scratch" in cfg.modes:
            for p in cfg.fractions:
                d = _paired_delta([r for r in rs if r["mode"] == "finetune" and r["fraction"] == p],
                                  [r for r in rs if r["mode"] == "scratch" and r["fraction"] == p])
                if d:
                    delta[f"{p:g}"] = d
        zs = [r for r in rs if r["mode"] == "zeroshot"]
        datasets[ds] = {"cells": cells, "delta_finetune_minus_scratch": delta,
                        "zero_shot": _cell(zs) if zs else None,
                        "zero_shot_accuracy": _cell(zs, "accuracy") if zs else None,
                        "n_classes": len(zs[0]["prompts"]) if zs else None}
    return {"meta": meta, "config": to_dict(cfg), "datasets": datasets,
            "runs": sorted(results, key=lambda r: (r["dataset"], r["mode"], r["fraction"], r["fold"], r["seed"]))}


def markdown(summary: dict[str, Any]) -> str:
    """Markdown tables: one row per mode, one column per label fraction, ``mean ± std_seeds [std_folds]``."""
    cfg = summary["config"]
    fracs = [f"{p:g}" for p in cfg["fractions"]]
    lines = [f"Macro F1 on held-out subjects: mean ± std over {cfg['seeds']} seed(s) (std of the fold-averaged F1 "
             f"per seed), [std over folds] in brackets; checkpoint `{summary['meta'].get('checkpoint')}`, "
             f"pretrained-input normalization `{summary['meta'].get('normalization')}`.", ""]
    for ds, d in summary["datasets"].items():
        lines += [f"### {ds}", "", "| mode | " + " | ".join(f"{float(p) * 100:g} %" for p in fracs) + " |",
                  "|---|" + "---|" * len(fracs)]
        for mode, cells in d["cells"].items():
            lines.append(f"| {mode} | " + " | ".join(
                f"{cells[p]['mean']:.3f} ± {cells[p]['std_seeds']:.3f} [{cells[p]['std']:.3f}]" if p in cells else "–"
                for p in fracs) + " |")
        if d["delta_finetune_minus_scratch"]:
            dl = d["delta_finetune_minus_scratch"]
            lines.append("| Δ finetune − scratch | " + " | ".join(
                f"{dl[p]['mean']:+.3f} ({dl[p]['folds_better']}/{dl[p]['n_folds']} folds)" if p in dl else "–"
                for p in fracs) + " |")
        if d["zero_shot"]:
            z, za = d["zero_shot"], d["zero_shot_accuracy"]
            lines += ["", f"Zero-shot (no labels, {d['n_classes']} classes, chance macro F1 ≈ {1 / d['n_classes']:.3f}): "
                          f"macro F1 {z['mean']:.3f} ± {z['std']:.3f}, accuracy {za['mean']:.3f} ± {za['std']:.3f}."]
        lines.append("")
    return "\n".join(lines)


def plot(summary: dict[str, Any], path: Path) -> Path | None:
    """F1 against label fraction (log x), one panel per dataset, one line per mode; zero-shot dashed."""
    try:
        from matplotlib.figure import Figure  # loaded only when a figure is drawn
    except ImportError:
        log.warning("matplotlib not installed; no plot")
        return None
    dsets = summary["datasets"]
    fig = Figure(figsize=(4.5 * len(dsets), 3.6))
    axes = fig.subplots(1, len(dsets), squeeze=False)
    for ax, (ds, d) in zip(axes[0], dsets.items()):
        for mode, cells in d["cells"].items():
            ps = sorted(cells, key=float)
            ax.errorbar([float(p) * 100 for p in ps], [cells[p]["mean"] for p in ps], yerr=[cells[p]["std"] for p in ps],
                        marker="o", capsize=3, label=mode)
        if d["zero_shot"]:
            ax.axhline(d["zero_shot"]["mean"], ls="--", c="grey", label="zero-shot")
        ax.set_xscale("log")
        ax.set_xlabel("labelled training windows, %")
        ax.set_ylabel("macro F1 (test subjects)")
        ax.set_title(ds)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def write_report(summary: dict[str, Any], out: Path) -> None:
    """``results.json``, ``report.md`` and ``f1_vs_fraction.png`` in ``out``."""

    save_json(out / "results.json", summary)
    atomic_write_text(out / "report.md", markdown(summary) + "\n")
    plot(summary, out / "f1_vs_fraction.png")
