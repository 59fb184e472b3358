"""``mujo-edge evaluate``: pretrained vs scratch on real datasets, subject-wise, at label fractions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given, parse_list
from mujo_edge.eval.checkpoints import parse_baselines
from mujo_edge.eval.evaluate import MODES, EvaluateConfig, run_evaluation
from mujo_edge.eval.merge import merge_results, write_merged
from mujo_edge.eval.report import markdown
from mujo_edge.eval.targets import check_targets, targets_markdown, update_readme

E = EvaluateConfig


def evaluate_cmd(
    checkpoint: Optional[str] = config_option(E, "checkpoint", "--checkpoint",
                                              help="Pretraining run / mujo checkpoint folder, 'default' (packaged weights) "
                                                   "or 'none' (scratch and cnn only)."),
    dataset: str = typer.Option(..., "--dataset", help="Dataset name(s), comma-separated (see mujo-edge data list)."),
    out: Path = typer.Option(..., "--out", help="Report folder (report.md, targets.md, results.json, plot, cached runs)."),
    fractions: Optional[str] = config_option(E, "fractions", "--fractions", help="Label fractions, comma-separated."),
    modes: Optional[str] = config_option(E, "modes", "--modes", help="Modes: scratch, linear, finetune, cnn (or 'all')."),
    seeds: Optional[int] = config_option(E, "seeds", "--seeds", help="Seeds per fold (0..N-1)."),
    folds: Optional[str] = typer.Option(None, "--folds", help="Fold indices, comma-separated (default: all)."),
    normalization: Optional[str] = config_option(E, "normalization", "--normalization",
                                                 help="Input normalization of pretrained modes: pretrain (checkpoint "
                                                      "spec) or fold."),
    zero_shot: Optional[bool] = config_option(E, "zero_shot", "--zero-shot/--no-zero-shot",
                                              help="Also classify by text similarity (no labels)."),
    adapt_bn: Optional[bool] = config_option(E, "linear_adapt_bn", "--adapt-bn/--no-adapt-bn",
                                             help="linear: re-estimate BatchNorm statistics on the fold's unlabelled "
                                                  "training windows."),
    config: Optional[str] = config_option(E, "model", "--config", help="Architecture of scratch when --checkpoint none."),
    max_steps: Optional[int] = config_option(E, "max_steps", "--max-steps", help="Step cap of every supervised run "
                                                                                "(protocol: 1200)."),
    finetune_lr_scale: Optional[float] = config_option(E, "finetune_lr_scale", "--finetune-lr-scale",
                                                       help="Encoder learning rate factor when fine-tuning."),
    finetune_head_init: Optional[str] = config_option(E, "finetune_head_init", "--finetune-head-init",
                                                      help="How the fine-tuned head starts: random; probe (LP-FT: "
                                                           "the frozen encoder's linear probe first; finetune and the "
                                                           "SSL baselines); text (MuJo's zero-shot classifier of the "
                                                           "class names; finetune only)."),
    jobs: Optional[int] = config_option(E, "jobs", "--jobs", help="Parallel single-threaded runs."),
    window: Optional[int] = typer.Option(None, "--window", help="Window length, samples (default: the checkpoint's)."),
    hop: Optional[int] = typer.Option(None, "--hop", help="Hop between windows, samples (default: the checkpoint's)."),
    purity: Optional[float] = typer.Option(None, "--purity", help="Share of a window its label must cover "
                                                                  "(default: the checkpoint's, 0.8)."),
    baseline: list[str] = typer.Option([], "--baseline", help="SSL baseline checkpoint for its mode, MODE=CHECKPOINT "
                                                              "(simclr, limu, multitask; '{dataset}' allowed). Repeatable."),
    adaptive_seeds: Optional[bool] = config_option(E, "adaptive_seeds", "--adaptive-seeds/--all-seeds",
                                                   help="Seed 0 everywhere; the other seeds only where a reported "
                                                        "difference is under 2 points."),
    readme: Optional[Path] = typer.Option(None, "--readme", help="Also rewrite the <!-- evaluate:begin/end --> block "
                                                                 "of this markdown file with the tables and targets."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip the sha256 check of the dataset's original files."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the summary (without per-run rows) as JSON."),
) -> None:
    """Subject-wise k-fold evaluation: macro F1 mean ± std per mode and label fraction, plus zero-shot."""
    ckpt = checkpoint if checkpoint is None else (None if checkpoint == "none" else checkpoint)
    values = given(
        model=config, seeds=seeds, normalization=normalization, linear_adapt_bn=adapt_bn, zero_shot=zero_shot,
        max_steps=max_steps, finetune_lr_scale=finetune_lr_scale, finetune_head_init=finetune_head_init, jobs=jobs,
        window=window, hop=hop, purity=purity, adaptive_seeds=adaptive_seeds,
        baselines=parse_baselines(baseline) if baseline else None,
        fractions=parse_list(fractions, float, "--fractions", "a label fraction such as 0.02") if fractions else None,
        modes=tuple(MODES.parse_list(modes)) if modes else None,
        folds=parse_list(folds, int, "--folds", "a fold index such as 0") if folds else None)
    if checkpoint is not None:
        values["checkpoint"] = ckpt
        if ckpt is None and zero_shot is None:
            values["zero_shot"] = False  # zero-shot needs a pretrained model
    cfg = EvaluateConfig(datasets=parse_list(dataset, str, "--dataset", "a dataset name"), out=out, data_dir=data_dir,
                         verify=not no_verify, **values)

    def progress(res: dict, done: int, total: int) -> None:
        if not as_json:
            typer.echo(f"[{done}/{total}] {res['dataset']} fold{res['fold']} {res['mode']:<8s} "
                       f"frac {res['fraction']:<5g} seed {res['seed']}: macro F1 {res['macro_f1']:.3f} "
                       f"({res['seconds']:.1f} s)", err=True)

    summary = run_evaluation(cfg, progress)
    targets = (out / "targets.md").read_text().removesuffix("\n")  # written by run_evaluation
    if readme is not None:
        update_readme(readme, "evaluate", markdown(summary) + "\n**Targets**\n\n" + targets)
    if as_json:
        echo_json({k: v for k, v in summary.items() if k != "runs"})
        return
    typer.echo(markdown(summary))
    typer.echo(targets)
    typer.echo(f"report: {out / 'report.md'}, {out / 'targets.md'}, {out / 'results.json'}, {out / 'f1_vs_fraction.png'}")


def report_cmd(
    results: list[Path] = typer.Argument(..., help="results.json files written by `evaluate --out DIR` (parts of one "
                                         "grid: same checkpoints and protocol)."),
    out: Path = typer.Option(..., "--out", help="Folder for the merged report.md, targets.md, results.json and plot."),
    readme: Optional[Path] = typer.Option(None, "--readme", help="Also rewrite the <!-- evaluate:begin/end --> block "
                                          "of this markdown file with the merged tables and target check."),
) -> None:
    """Merge kept evaluation results into one report and target check (no run is trained or repeated)."""
    summary = merge_results(results)
    targets = targets_markdown(check_targets(summary))
    write_merged(summary, out, targets)
    if readme is not None:
        update_readme(readme, "evaluate", markdown(summary) + "\n**Targets**\n\n" + targets)
    typer.echo(markdown(summary))
    typer.echo(targets)
    typer.echo(f"report: {out / 'report.md'}, {out / 'targets.md'}, {out / 'results.json'} "
               f"({len(summary['runs'])} runs from {len(results)} files)")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and ``report`` to the main app."""
    app.command("evaluate")(evaluate_cmd)
    app.command("report")(report_cmd)
