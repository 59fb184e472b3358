"""``mujo-edge evaluate``: pretrained vs scratch on real datasets, subject-wise, at label fractions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, echo_json


def evaluate_cmd(
    checkpoint: Optional[str] = typer.Option("default", "--checkpoint",
                                             help="Pretraining run / mujo checkpoint folder, 'default' (packaged weights) "
                                                  "or 'none' (scratch and cnn only)."),
    dataset: str = typer.Option(..., "--dataset", help="Dataset name(s), comma-separated (see mujo-edge data list)."),
    out: Path = typer.Option(..., "--out", help="Report folder (report.md, results.json, plot, cached runs)."),
    fractions: str = typer.Option("0.01,0.02,0.05,0.1,1.0", "--fractions", help="Label fractions, comma-separated."),
    modes: str = typer.Option("scratch,linear,finetune", "--modes", help="Modes: scratch, linear, finetune, cnn (or 'all')."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per fold (0..N-1)."),
    folds: Optional[str] = typer.Option(None, "--folds", help="Fold indices, comma-separated (default: all)."),
    normalization: str = typer.Option("pretrain", "--normalization",
                                      help="Input normalization of pretrained modes: pretrain (checkpoint spec) or fold."),
    zero_shot: bool = typer.Option(True, "--zero-shot/--no-zero-shot", help="Also classify by text similarity (no labels)."),
    adapt_bn: bool = typer.Option(True, "--adapt-bn/--no-adapt-bn",
                                  help="linear: re-estimate BatchNorm statistics on the fold's unlabelled training windows."),
    config: str = typer.Option("tiny", "--config", help="Architecture of scratch when --checkpoint none."),
    max_steps: int = typer.Option(1200, "--max-steps", help="Step cap of every supervised run (protocol: 1200)."),
    finetune_lr_scale: float = typer.Option(1.0, "--finetune-lr-scale", help="Encoder learning rate factor when fine-tuning."),
    jobs: int = typer.Option(1, "--jobs", help="Parallel single-threaded runs."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip the sha256 check of the dataset's original files."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the summary (without per-run rows) as JSON."),
) -> None:
    """Subject-wise k-fold evaluation: macro F1 mean ± std per mode and label fraction, plus zero-shot."""
    from mujo_edge.eval.evaluate import MODES, EvaluateConfig, run_evaluation
    from mujo_edge.eval.report import markdown

    ckpt = None if checkpoint in (None, "none") else checkpoint
    cfg = EvaluateConfig(
        datasets=tuple(d.strip() for d in dataset.split(",") if d.strip()), checkpoint=ckpt, model=config,
        fractions=tuple(float(p) for p in fractions.split(",") if p.strip()), modes=tuple(MODES.parse_list(modes)),
        seeds=seeds, folds=tuple(int(f) for f in folds.split(",")) if folds else (), normalization=normalization,
        linear_adapt_bn=adapt_bn,
        zero_shot=zero_shot and ckpt is not None, max_steps=max_steps, finetune_lr_scale=finetune_lr_scale, jobs=jobs,
        out=out, data_dir=data_dir, verify=not no_verify,
    )

    def progress(res: dict, done: int, total: int) -> None:
        if not as_json:
            typer.echo(f"[{done}/{total}] {res['dataset']} fold{res['fold']} {res['mode']:<8s} "
                       f"frac {res['fraction']:<5g} seed {res['seed']}: macro F1 {res['macro_f1']:.3f} "
                       f"({res['seconds']:.1f} s)", err=True)

    summary = run_evaluation(cfg, progress)
    if as_json:
        echo_json({k: v for k, v in summary.items() if k != "runs"})
        return
    typer.echo(markdown(summary))
    typer.echo(f"report: {out / 'report.md'}, {out / 'results.json'}, {out / 'f1_vs_fraction.png'}")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the main app."""
    app.command("evaluate")(evaluate_cmd)
