"""Merge kept evaluation outputs (``results.json`` files of ``evaluate``) into one report, without running anything.

An evaluation grid is often run in parts: every mode up to 10 % in one ``evaluate --out A``, the 100 % column of
some modes in another ``--out B``, a second pass of seeds later. :func:`merge_results` joins the per-run rows of
such files into one summary (:func:`mujo_edge.eval.report.summarize`): the same tables, paired differences and
target check as an ``evaluate`` over the union, and ``–`` in the cells no file holds.

Runs are identified by (dataset, fold, fraction, mode, seed). A run present in several files must carry the same
cache key (the hash of settings, checkpoint weights and data spec, :func:`mujo_edge.eval.evaluate.task_key`) in
each; otherwise the files come from different checkpoints or settings and the merge raises, naming the run and both
files. Files must also agree on the per-dataset weights sha256 of their MuJo checkpoint and of each SSL baseline's
(files written before the baselines' were recorded are checked through the cache keys of the runs they share with
another file only), on the fine-tuning budget
(``max_steps``), the number of folds ``k`` and the pretrained-input normalization; nothing is guessed across them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.errors import ConfigError, CorruptFileError
from mujo_edge.eval import report
from mujo_edge.provenance import atomic_write_text

#: Settings every merged file must share (a difference changes the numbers, not just which runs exist).
SHARED_SETTINGS: tuple[str, ...] = ("max_steps", "k", "normalization", "finetune_lr_scale", "finetune_head_init",
                                    "linear_adapt_bn", "window", "hop", "purity")


@dataclass(frozen=True)
class MergedSettings:
    """The union grid of the merged files, in the shape :func:`~mujo_edge.eval.report.summarize` reads."""

    datasets: tuple[str, ...]
    modes: tuple[str, ...]
    fractions: tuple[float, ...]
    seeds: int
    adaptive_seeds: bool
    sources: tuple[str, ...]
    max_steps: int
    k: int
    normalization: str
    finetune_lr_scale: float
    finetune_head_init: str
    linear_adapt_bn: bool
    window: int | None
    hop: int | None
    purity: float | None


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such results file; pass the results.json an `evaluate --out DIR` wrote") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptFileError(path, f"not a readable results.json ({e}); pass the file `evaluate` wrote") from None
    if not isinstance(data, dict) or not {"meta", "config", "runs"} <= set(data):
        raise CorruptFileError(path, "not an evaluate results.json (needs 'meta', 'config' and 'runs'); pass the file "
                               "`evaluate --out DIR` wrote")
    return data


def _ordered_union(lists: list[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for values in lists:
        out += [v for v in values if v not in out]
    return out


def _weights_by_source(meta: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Weights sha256 per source (``"mujo"`` or an SSL baseline mode) and dataset, as an ``evaluate`` meta records."""
    return {"mujo": meta.get("weights_sha256") or {}, **(meta.get("baseline_weights_sha256") or {})}


def merge_results(paths: list[Path]) -> dict[str, Any]:
    """The summary of every run in ``paths`` (``results.json`` files), checked for one checkpoint and one protocol.

    Returns the dict of :func:`~mujo_edge.eval.report.summarize`, its ``meta`` with the merged files under
    ``merged_from`` and ``config`` the :class:`MergedSettings`. Raises :class:`ConfigError` when two files disagree
    on a shared setting, a dataset's weights sha256 or a run's cache key.
    """
    if not paths:
        raise ConfigError("no results file given; pass one or more results.json written by `evaluate --out DIR`")
    files = [(Path(p), _load(Path(p))) for p in paths]
    first_path, first = files[0]
    # (source, dataset) -> (weights sha256, the first file that gave it); source "mujo" or an SSL baseline mode
    shas: dict[tuple[str, str], tuple[str, Path]] = {}
    for path, data in files:
        for name in SHARED_SETTINGS:
            a, b = first["config"].get(name), data["config"].get(name)
            if a != b:
                raise ConfigError(f"{path} was evaluated with {name}={b!r}, {first_path} with {name}={a!r}; "
                                  "merge only results of the same protocol (rerun one part with the other's setting)")
        for source, per_ds in _weights_by_source(data["meta"]).items():
            for ds, sha in per_ds.items():
                seen, where = shas.setdefault((source, ds), (sha, path))
                if sha != seen:
                    label = "MuJo" if source == "mujo" else source
                    raise ConfigError(f"{ds}: {path} used {label} weights {sha[:12]}…, {where} {seen[:12]}…; "
                                      "merge only results of the same checkpoints")
    runs: dict[tuple[str, int, float, str, int], tuple[dict[str, Any], Path]] = {}
    for path, data in files:
        for r in data["runs"]:
            name = (r["dataset"], r["fold"], r["fraction"], r["mode"], r["seed"])
            if name in runs and runs[name][0].get("key") != r.get("key"):
                raise ConfigError(f"run {r['dataset']} fold {r['fold']} {r['mode']} at {r['fraction']:g} seed {r['seed']} "
                                  f"differs between {runs[name][1]} and {path} (cache keys {runs[name][0].get('key')} "
                                  f"and {r.get('key')}: other weights, data or settings); merge only parts of one grid")
            runs.setdefault(name, (r, path))
    cfgs = [d["config"] for _, d in files]
    settings = MergedSettings(
        datasets=tuple(_ordered_union([list(c["datasets"]) for c in cfgs])),
        modes=tuple(_ordered_union([list(c["modes"]) for c in cfgs])),
        fractions=tuple(sorted({p for c in cfgs for p in c["fractions"]})),
        seeds=max(int(c["seeds"]) for c in cfgs), adaptive_seeds=any(bool(c.get("adaptive_seeds")) for c in cfgs),
        sources=tuple(str(p) for p, _ in files), **{name: first["config"].get(name) for name in SHARED_SETTINGS})
    meta = dict(first["meta"])
    merged: dict[str, dict[str, str]] = {}
    for (source, ds), (sha, _) in shas.items():
        merged.setdefault(source, {})[ds] = sha
    meta["weights_sha256"] = merged.pop("mujo", None)
    meta["baseline_weights_sha256"] = merged
    meta["merged_from"] = [{"path": str(p), "git_commit": d["meta"].get("git_commit"), "runs": len(d["runs"])}
                           for p, d in files]
    return report.summarize([r for r, _ in runs.values()], settings, meta)


def write_merged(summary: dict[str, Any], out: Path, targets: str) -> None:
    """``results.json``, ``report.md``, ``f1_vs_fraction.png`` and ``targets.md`` (``targets``) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report.write_report(summary, out)
    atomic_write_text(out / "targets.md", targets + "\n")
