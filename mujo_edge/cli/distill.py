"""``mujo-edge distill``: train an edge student (supervised, or distilled from a MuJo teacher)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given, table
from mujo_edge.train.distill import DistillConfig, run_distill

D = DistillConfig


def distill(
    out: Path = typer.Option(..., "--out", help="Checkpoint folder to write (kind 'student')."),
    student: Optional[str] = config_option(D, "student", "--student", help="Student architecture (dscnn, dscnn_tiny, ...)."),
    teacher: Optional[Path] = typer.Option(None, "--teacher", help="MuJo checkpoint (kind 'mujo'); omit for a "
                                           "supervised student."),
    dataset: Optional[str] = config_option(D, "source", "--dataset", help="Labelled windows: a dataset name, "
                                           "dataset:NAME or windows:FILE.npz."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus folder for feature distillation (teacher only)."),
    fold: Optional[int] = config_option(D, "fold", "--fold", help="Subject-wise fold whose test subjects are held out."),
    fraction: Optional[float] = config_option(D, "fraction", "--fraction", help="Label fraction of the fit/validation "
                                                                               "windows."),
    seed: Optional[int] = config_option(D, "seed", "--seed", help="Seed of init, batches and the label fraction."),
    max_steps: Optional[int] = config_option(D, "max_steps", "--max-steps", help="Supervised / fine-tuning step cap "
                                                                                "(protocol: 1200)."),
    distill_steps: Optional[int] = config_option(D, "distill_steps", "--distill-steps", help="Feature-distillation "
                                                                                            "steps (teacher only)."),
    lr: Optional[float] = config_option(D, "lr", "--lr", help="Adam learning rate."),
    input_noise: Optional[float] = config_option(D, "input_noise", "--input-noise", help="Std of Gaussian noise on "
                                                 "the normalized training windows (robustness to int8 input rounding)."),
    margin_steps: Optional[int] = config_option(D, "margin_steps", "--margin-steps", help="Steps of the "
                                                "decision-margin stage after training (0 = off; keeps int8 exports "
                                                "agreeing with the model, docs/export.md)."),
    window: Optional[int] = typer.Option(None, "--window", help="Window length, samples (default 128, or the teacher's)."),
    hop: Optional[int] = typer.Option(None, "--hop", help="Hop between windows, samples (default: the spec's)."),
    purity: Optional[float] = typer.Option(None, "--purity", help="Share of a window its label must cover (default 0.8)."),
    no_scratch: bool = typer.Option(False, "--no-scratch", help="With a teacher, skip the from-scratch baseline."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0 = torch default)."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Train a small student on one subject-wise fold and save it with its split, spec and metrics."""
    if threads > 0:
        torch.set_num_threads(threads)
    cfg = DistillConfig(teacher=teacher, corpus=corpus, scratch_baseline=not no_scratch,
                        **given(student=student, source=dataset, fold=fold, fraction=fraction, seed=seed,
                                max_steps=max_steps, distill_steps=distill_steps, lr=lr, input_noise=input_noise,
                                margin_steps=margin_steps, window=window, hop=hop, purity=purity))
    res = run_distill(cfg, out, data_root=data_dir)
    if as_json:
        echo_json({"checkpoint": str(res.checkpoint), "seconds": round(res.seconds, 1), "metrics": res.metrics})
        return
    m = res.metrics
    rows = [[f"student ({m['method']})", cfg.student, m.get("parameters"), f"{m['test']['macro_f1']:.4f}",
             f"{m['test']['accuracy']:.4f}"]]
    for key, label in (("teacher", "teacher (linear probe)"), ("scratch", "student from scratch")):
        if isinstance(m.get(key), dict):
            rows.append([label, m[key].get("model", ""), m[key].get("parameters", ""),
                         f"{m[key]['test']['macro_f1']:.4f}", f"{m[key]['test']['accuracy']:.4f}"])
    typer.echo(table(rows, ["model", "architecture", "parameters", "test macro F1", "test accuracy"]))
    typer.echo(f"scored on the same {m['test'].get('windows', '?')} test windows of held-out subjects "
               f"{', '.join(map(str, m.get('test_subjects', [])))}")
    typer.echo(f"checkpoint: {res.checkpoint} ({res.seconds:.0f} s)")


def register(app: typer.Typer) -> None:
    """Add ``distill`` to the main app."""
    app.command("distill")(distill)
