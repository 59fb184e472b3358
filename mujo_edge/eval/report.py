"""Evaluation report: aggregate runs, write ``results.json``, ``report.md`` and ``f1_vs_fraction.png``.

Aggregation per (dataset, mode, fraction): each fold's macro F1 is averaged over seeds; the cell is
the mean over folds. Two spreads are kept: ``std`` over folds (numpy ``std``, ddof 0; the convention of
the reference table in ``evaluation_protocol.md``) and ``std_seeds``, the standard deviation over seeds
of the fold-averaged F1; the markdown shows both. ``Δ`` rows give paired differences (same fold, seed,
labelled windows) and on how many folds they were positive: finetune − scratch, linear − scratch and,
when SSL-baseline modes ran, finetune − the best SSL baseline of that fraction (the baseline mode with
the highest mean). :func:`close_cells` lists the cells whose reported differences are under 2 points
(they get 3 seeds with ``evaluate --adaptive-seeds``). Results whose checkpoint saw unlabelled windows of
the scored dataset (``seen_in_pretraining``) are counted and flagged in the markdown.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mujo_edge.config import save_json, to_dict
from mujo_edge.eval.targets import REFERENCE_RF
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


#: Modes that fine-tune a self-supervised baseline (the IMU-only pretraining recipes).
SSL_MODES: tuple[str, ...] = ("simclr", "limu", "multitask")
#: Reported differences: (key, label, mode a, mode b); mode b ``"best_ssl"`` = the best SSL baseline of the fraction.
DELTAS: tuple[tuple[str, str, str, str], ...] = (
    ("delta_finetune_minus_scratch", "Δ finetune − scratch", "finetune", "scratch"),
    ("delta_finetune_minus_best_ssl", "Δ finetune − best SSL", "finetune", "best_ssl"),
    ("delta_linear_minus_scratch", "Δ linear − scratch", "linear", "scratch"),
)
#: Reported differences closer than this get every seed with adaptive seeds (macro F1).
CLOSE = 0.02


def best_ssl(cells: dict[str, dict[str, Any]], frac: str) -> str | None:
    """The SSL-baseline mode with the highest mean macro F1 at ``frac`` (None if none ran)."""
    ran = [m for m in SSL_MODES if frac in cells.get(m, {})]
    return max(ran, key=lambda m: cells[m][frac]["mean"]) if ran else None


def _deltas(rs: list[dict[str, Any]], cells: dict[str, dict[str, Any]], fractions: tuple[float, ...]
            ) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, _, a, b in DELTAS:
        out[key] = {}
        for p in fractions:
            frac = f"{p:g}"
            mode_b = best_ssl(cells, frac) if b == "best_ssl" else b
            d = _paired_delta([r for r in rs if r["mode"] == a and r["fraction"] == p],
                              [r for r in rs if r["mode"] == mode_b and r["fraction"] == p]) if mode_b else None
            if d:
                out[key][frac] = {**d, "modes": [a, mode_b]}
    return out


def close_cells(results: list[dict[str, Any]], cfg: EvaluateSettings) -> list[tuple[str, float, tuple[str, ...]]]:
    """``(dataset, fraction, modes)`` whose reported differences (:data:`DELTAS`) are under :data:`CLOSE` in size."""
    out = []
    for ds in cfg.datasets:
        rs = [r for r in results if r["dataset"] == ds]
        cells = _cells(rs, cfg)
        deltas = _deltas(rs, cells, cfg.fractions)
        for p in cfg.fractions:
            modes = sorted({m for d in deltas.values() if f"{p:g}" in d and abs(d[f"{p:g}"]["mean"]) < CLOSE
                            for m in d[f"{p:g}"]["modes"]})
            if modes:
                out.append((ds, p, tuple(modes)))
    return out


def _cells(rs: list[dict[str, Any]], cfg: EvaluateSettings) -> dict[str, dict[str, Any]]:
    return {mode: {f"{p:g}": _cell([r for r in rs if r["mode"] == mode and r["fraction"] == p])
                   for p in cfg.fractions if any(r["mode"] == mode and r["fraction"] == p for r in rs)}
            for mode in cfg.modes}


def summarize(results: list[dict[str, Any]], cfg: EvaluateSettings, meta: dict[str, Any]) -> dict[str, Any]:
    """The report dict: per dataset, ``cells[mode][fraction]``, the ``delta_*`` of :data:`DELTAS`, ``best_ssl``,
    ``zero_shot`` and ``seen_in_pretraining`` (runs whose checkpoint saw the dataset); plus all runs."""

    datasets: dict[str, Any] = {}
    for ds in cfg.datasets:
        rs = [r for r in results if r["dataset"] == ds]
        cells = _cells(rs, cfg)
        zs = [r for r in rs if r["mode"] == "zeroshot"]
        datasets[ds] = {"cells": cells, **_deltas(rs, cells, cfg.fractions),
                        "best_ssl": {f"{p:g}": best_ssl(cells, f"{p:g}") for p in cfg.fractions},
                        "seen_in_pretraining": sum(bool(r.get("seen_in_pretraining")) for r in rs),
                        "zero_shot": _cell(zs) if zs else None,
                        "zero_shot_accuracy": _cell(zs, "accuracy") if zs else None,
                        "n_classes": len(zs[0]["prompts"]) if zs else None,
                        "folds_missing_classes": _missing_by_fold(rs)}
    return {"meta": meta, "config": to_dict(cfg), "datasets": datasets,
            "runs": sorted(results, key=lambda r: (r["dataset"], r["mode"], r["fraction"], r["fold"], r["seed"]))}


def _missing_by_fold(runs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """``{fold: [classes no test subject has]}`` for the folds that lack some (their macro F1 covers fewer classes)."""
    out = {}
    for r in runs:
        if r.get("missing_test_classes"):
            out[str(r["fold"])] = list(r["missing_test_classes"])
    return dict(sorted(out.items()))


def _fmt_cell(c: dict[str, Any]) -> str:
    """``mean ± std_seeds [std_folds]``, or ``mean [std_folds]¹`` for a cell of one seed."""
    if c["n_seeds"] > 1:
        return f"{c['mean']:.3f} ± {c['std_seeds']:.3f} [{c['std']:.3f}]"
    return f"{c['mean']:.3f} [{c['std']:.3f}]¹"


def markdown(summary: dict[str, Any]) -> str:
    """Markdown tables: one row per mode, one column per label fraction, ``mean ± std_seeds [std_folds]``."""
    cfg = summary["config"]
    fracs = [f"{p:g}" for p in cfg["fractions"]]
    seeds = (f"up to {cfg['seeds']} seeds (3 where a reported difference is under 2 points, else 1, marked ¹)"
             if cfg.get("adaptive_seeds") else f"{cfg['seeds']} seed(s)")
    lines = [f"Macro F1 on held-out subjects: mean ± std over {seeds} (std of the fold-averaged F1 "
             f"per seed), [std over folds] in brackets; checkpoint `{summary['meta'].get('checkpoint')}`, "
             f"pretrained-input normalization `{summary['meta'].get('normalization')}`.", ""]
    for ds, d in summary["datasets"].items():
        lines += [f"### {ds}", "", "| mode | " + " | ".join(f"{float(p) * 100:g} %" for p in fracs) + " |",
                  "|---|" + "---|" * len(fracs)]
        for mode, cells in d["cells"].items():
            lines.append(f"| {mode} | " + " | ".join(_fmt_cell(cells[p]) if p in cells else "–" for p in fracs) + " |")
        ref = REFERENCE_RF.get(ds)
        if ref:
            lines.append("| RF reference (protocol) | " + " | ".join(f"{ref[p]:.3f}" if p in ref else "–"
                                                                    for p in fracs) + " |")
        if any(d.get("best_ssl", {}).get(p) for p in fracs):
            lines.append("| best SSL baseline | " + " | ".join(
                (f"{d['cells'][m][p]['mean']:.3f} ({m})" if (m := d["best_ssl"].get(p)) else "–") for p in fracs) + " |")
        for key, label, _, _ in DELTAS:
            dl = d.get(key) or {}
            if dl:
                lines.append(f"| {label} | " + " | ".join(
                    f"{dl[p]['mean']:+.3f} ({dl[p]['folds_better']}/{dl[p]['n_folds']} folds)" if p in dl else "–"
                    for p in fracs) + " |")
        if d.get("seen_in_pretraining"):
            lines += ["", f"**Not transfer figures:** {d['seen_in_pretraining']} of these runs used a checkpoint "
                          f"pretrained on unlabelled windows of {ds}."]
        missing = d.get("folds_missing_classes") or {}
        if missing:
            lines += ["", "**Folds whose test subjects lack classes** (their macro F1 and chance level count only the "
                          "classes present): " + "; ".join(f"fold {f}: no {', '.join(c)}" for f, c in missing.items())]
        if d["zero_shot"]:
            z, za = d["zero_shot"], d["zero_shot_accuracy"]
            present = [r.get("test_classes") or d["n_classes"] for r in summary["runs"]
                       if r["dataset"] == ds and r["mode"] == "zeroshot"]
            chance = float(np.mean([1.0 / max(1, n) for n in present])) if present else 1 / d["n_classes"]
            lines += ["", f"Zero-shot (no labels, {d['n_classes']} classes, chance macro F1 ≈ {chance:.3f} over the "
                          f"classes present in each test fold): macro F1 {z['mean']:.3f} ± {z['std']:.3f}, "
                          f"accuracy {za['mean']:.3f} ± {za['std']:.3f}."]
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
