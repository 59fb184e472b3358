"""``mujo-edge finetune``: a classifier for your own dataset from a pretrained encoder, with an honest estimate."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given
from mujo_edge.eval.finetune import FinetuneConfig, run_finetune

F = FinetuneConfig


def finetune(
    dataset: str = typer.Option(..., "--dataset", help="Dataset name (built in, or imported with `data import`)."),
    out: Path = typer.Option(..., "--out", help="Checkpoint folder to write (kind 'classifier')."),
    checkpoint: Optional[str] = config_option(F, "checkpoint", "--checkpoint", help="Pretrained MuJo checkpoint or "
                                                                                    "'default'."),
    window: Optional[int] = typer.Option(None, "--window", help="Window length, samples (default: the checkpoint's)."),
    hop: Optional[int] = typer.Option(None, "--hop", help="Hop between windows, samples (default: the checkpoint's)."),
    purity: Optional[float] = typer.Option(None, "--purity", help="Share of a window its label must cover."),
    max_steps: Optional[int] = config_option(F, "max_steps", "--max-steps", help="Step cap of the supervised loop."),
    val_share: Optional[float] = config_option(F, "val_share", "--val-share", help="Share of subjects held out for "
                                                                                    "early stopping."),
    estimate_folds: Optional[int] = config_option(F, "estimate_folds", "--estimate-folds",
                                                  help="Subject-wise folds of the accuracy estimate (0 = none)."),
    seed: Optional[int] = config_option(F, "seed", "--seed", help="Random seed."),
    jobs: Optional[int] = config_option(F, "jobs", "--jobs", help="Parallel runs of the estimate."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train on all labelled subjects (held-out subjects for early stopping) and state what to expect."""
    cfg = FinetuneConfig(dataset=dataset, data_dir=data_dir, **given(
        checkpoint=checkpoint, window=window, hop=hop, purity=purity, max_steps=max_steps, val_share=val_share,
        estimate_folds=estimate_folds, seed=seed, jobs=jobs))
    res = run_finetune(cfg, out)
    if as_json:
        echo_json(res)
        return
    est = res.estimate
    if est:
        typer.echo(f"expected macro F1 on a new person: {est['macro_f1_mean']:.3f} ± {est['macro_f1_std']:.3f} "
                   f"({est['folds']} subject-wise folds: {', '.join(f'{v:.3f}' for v in est['per_fold'])}; {est['report']})")
    h = res.held_out
    typer.echo(f"final model: {res.details['windows']} windows of {res.details['subjects']} subjects; held-out subjects "
               f"{', '.join(map(str, h['subjects']))}: macro F1 {h['macro_f1']:.3f} (they also chose the stopping step)")
    typer.echo(f"checkpoint: {res.checkpoint} ({res.seconds:.0f} s); next: mujo-edge export --checkpoint {res.checkpoint} "
               f"--int8 --out {res.checkpoint}_edge")


def register(app: typer.Typer) -> None:
    """Add ``finetune`` to the main app."""
    app.command("finetune")(finetune)
