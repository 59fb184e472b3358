"""``mujo-edge quickstart``: the main job, self-contained, no downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given
from mujo_edge.quickstart import QuickstartConfig, run_quickstart


def quickstart(
    out: Optional[Path] = config_option(QuickstartConfig, "out", "--out", help="Folder for every artifact of the run."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Real dataset to use (default: first available)."),
    data_dir: Optional[Path] = DataDirOption,
    seed: Optional[int] = config_option(QuickstartConfig, "seed", "--seed", help="Random seed."),
    weights: Optional[str] = config_option(
        QuickstartConfig, "weights", "--weights",
        help="Pretrained model the evaluate and distill stages start from: default (shipped; saw every real "
             "dataset's unlabelled windows, so its evaluate figures are not transfer figures), sim-only "
             "(never saw a real recording) or own (the pretrain stage's short run)."),
    as_json: bool = typer.Option(False, "--json", help="Print the final summary as JSON."),
) -> None:
    """Run every stage of mujo-edge on small settings and print what each produced."""

    def show(stage: str, res: dict[str, Any]) -> None:
        if as_json:
            return
        status = res.get("status")
        typer.echo(f"[{stage}] {status} ({res['seconds']:.1f} s)")
        for k, v in res.items():
            if k not in ("status", "seconds"):
                typer.echo(f"    {k}: {v}")

    cfg = QuickstartConfig(dataset=dataset, data_dir=data_dir, **given(out=out, seed=seed, weights=weights))
    results = run_quickstart(cfg, show)
    if as_json:
        echo_json(results)
    else:
        typer.echo(f"summary: {cfg.out / 'summary.json'}")
    if any(r.get("status") == "failed" for r in results.values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``quickstart`` to the main app."""
    app.command("quickstart")(quickstart)
