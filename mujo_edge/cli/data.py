"""``mujo-edge data ...``: list, prepare, show and download the real HAR datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, echo_json, spec_from_options, table
from mujo_edge.data.download import download_dataset
from mujo_edge.data.prepare import prepare
from mujo_edge.data.summary import summarize_all
from mujo_edge.data.viz import plot_dataset

data_app = typer.Typer(help="Real HAR datasets: list, prepare, show, download.", no_args_is_help=True)

RateOption = typer.Option(None, "--rate", help="Window sample rate, Hz (default 50).")
WindowOption = typer.Option(None, "--window", help="Window length, samples (default 128).")
HopOption = typer.Option(None, "--hop", help="Hop between windows, samples (default 64).")


@data_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    no_windows: bool = typer.Option(False, "--no-windows", help="Skip preparing windows (faster, no counts)."),
    data_dir: Optional[Path] = DataDirOption,
    rate: Optional[float] = RateOption,
    window: Optional[int] = WindowOption,
    hop: Optional[int] = HopOption,
) -> None:
    """Every known dataset: availability, subjects, classes, native rate, channels, windows at the spec."""

    spec = spec_from_options(rate, window, hop)
    rows = summarize_all(spec, data_dir, windows=not no_windows)
    if as_json:
        echo_json(rows)
        return
    typer.echo(table(
        [[r["name"], "yes" if r["available"] else "no", r["subjects"], r["num_classes"], f"{r['native_rate_hz']:g}",
          "+".join(sorted({c.split("_")[0] for c in r["channels"]})), r["windows"]] for r in rows],
        ["dataset", "available", "subjects", "classes", "rate_hz", "channels", f"windows@{spec.rate_hz:g}Hz/{spec.window}"],
    ))
    missing = [r for r in rows if not r["available"]]
    if missing:
        typer.echo("\nnot available: " + "; ".join(f"{r['name']} ({r['error']})" for r in missing))


@data_app.command("prepare")
def prepare_cmd(
    name: str = typer.Argument(..., help="Dataset name (see `mujo-edge data list`)."),
    data_dir: Optional[Path] = DataDirOption,
    rate: Optional[float] = RateOption,
    window: Optional[int] = WindowOption,
    hop: Optional[int] = HopOption,
    placement: Optional[str] = typer.Option(None, "--placement", help="Sensor site for multi-device datasets."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not write the window cache."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Read a dataset's original files and cut labelled windows (cached by spec hash)."""

    ws = prepare(name, spec_from_options(rate, window, hop), data_root=data_dir, placement=placement, cache=not no_cache)
    summary = {"dataset": name, "windows": len(ws), "subjects": ws.subject_ids, "classes": ws.class_counts(),
               "placement": ws.placement, "channel_mask": ws.channel_mask.tolist(), "spec": ws.spec, "stats": ws.stats}
    if as_json:
        echo_json(summary)
        return
    typer.echo(f"{name}: {len(ws)} windows, {len(ws.subject_ids)} subjects, {ws.num_classes} classes, "
               f"placement {ws.placement}, {ws.stats['prepare_seconds']:.2f} s ({'cache' if ws.stats['cached'] else 'prepared'})")
    for cls, n in ws.class_counts().items():
        typer.echo(f"  {cls:<36s} {n}")


@data_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="Dataset name."),
    out: Path = typer.Option(..., "--out", help="PNG file to write."),
    data_dir: Optional[Path] = DataDirOption,
    seed: int = typer.Option(0, "--seed", help="Which example window per class."),
) -> None:
    """Picture of example windows per class and the class histogram."""

    ws = prepare(name, data_root=data_dir)
    typer.echo(f"wrote {plot_dataset(ws, out, seed)}")


@data_app.command("download")
def download_cmd(
    name: str = typer.Argument(..., help="Dataset name."),
    data_dir: Optional[Path] = DataDirOption,
    force: bool = typer.Option(False, "--force", help="Download even if the dataset is present."),
) -> None:
    """Download a dataset's official files (needs internet) and verify them."""

    last = [-1]

    def progress(done: int, total: Optional[int]) -> None:
        mb = done >> 20
        if mb != last[0] and mb % 10 == 0:
            last[0] = mb
            typer.echo(f"  {mb} MB" + (f" of {total >> 20} MB" if total else ""), err=True)

    for p in download_dataset(name, data_dir, force, progress):
        typer.echo(f"ok: {p}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` group to the main app."""
    app.add_typer(data_app, name="data")
