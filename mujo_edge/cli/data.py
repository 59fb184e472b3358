"""``mujo-edge data ...``: list, prepare, show, download the HAR datasets and import your own."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, echo_json, spec_from_options, table
from mujo_edge.data.download import download_dataset
from mujo_edge.data.example_files import write_study
from mujo_edge.data.import_run import import_dataset
from mujo_edge.data.importer import ImportConfig
from mujo_edge.data.prepare import prepare
from mujo_edge.data.summary import summarize_all
from mujo_edge.data.viz import plot_dataset
from mujo_edge.errors import ConfigError

data_app = typer.Typer(help="HAR datasets: list, prepare, show, download, and import your own recordings.",
                       no_args_is_help=True)

RateOption = typer.Option(None, "--rate", help="Window sample rate, Hz (default 50).")
WindowOption = typer.Option(None, "--window", help="Window length, samples (default 128).")
HopOption = typer.Option(None, "--hop", help="Hop between windows, samples (default 64).")
PurityOption = typer.Option(None, "--purity", help="Share of a window its majority label must cover (default 0.8).")


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
        [[r["name"], ("yes" if r["available"] else "no") + (" (imported)" if r["imported"] else ""),
          r["subjects"], r["num_classes"], f"{r['native_rate_hz']:g}",
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
    purity: Optional[float] = PurityOption,
    placement: Optional[str] = typer.Option(None, "--placement", help="Sensor site for multi-device datasets."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not write the window cache."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Read a dataset's original files and cut labelled windows (cached by spec hash)."""

    ws = prepare(name, spec_from_options(rate, window, hop, purity), data_root=data_dir, placement=placement,
                 cache=not no_cache)
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


def _pairs(text: str | None, what: str) -> dict[str, str]:
    """``"acc_x=ax,acc_y=ay"`` → ``{"acc_x": "ax", "acc_y": "ay"}``."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{what}: {item!r} is not CHANNEL=COLUMN (e.g. acc_x=x_acc)")
        out[key.strip()] = value.strip()
    return out


@data_app.command("import")
def import_cmd(
    sources: list[Path] = typer.Argument(..., help="CSV files or folders of them (one header row; , ; tab or spaces)."),
    name: str = typer.Option(..., "--name", help="Name of the new dataset (lower case, digits, _)."),
    column_map: Optional[str] = typer.Option(None, "--map", help="Channel=column pairs, e.g. acc_x=x_acc,gyro_x=gx "
                                                               "(common names are found without it)."),
    time_column: Optional[str] = typer.Option(None, "--time", help="Time column (default: t_s, time, timestamp, ...)."),
    time_unit: str = typer.Option("auto", "--time-unit", help="s, ms, us, ns or auto (epoch or relative alike)."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Sample rate, Hz, for files without a time column."),
    label: Optional[str] = typer.Option(None, "--label", help="Label column (default: label, activity, class)."),
    segments: Optional[Path] = typer.Option(None, "--segments", help="Segment file: start,end,label and file, "
                                                                     "session or subject."),
    segment_time: str = typer.Option("relative", "--segment-time", help="Segment times: relative (s from the "
                                                                        "recording start) or data (as the time column)."),
    subject_column: Optional[str] = typer.Option(None, "--subject-column", help="Column naming the subject of a row."),
    session_column: Optional[str] = typer.Option(None, "--session-column", help="Column naming the session of a row."),
    subject_pattern: Optional[str] = typer.Option(None, "--subject-pattern", help="Regex on the file path giving the "
                                                                                  "subject (first group)."),
    session_pattern: Optional[str] = typer.Option(None, "--session-pattern", help="Regex on the file path giving the "
                                                                                  "session (first group)."),
    acc_unit: str = typer.Option("m/s2", "--acc-unit", help="Accelerometer unit: m/s2, g or mg."),
    gyro_unit: str = typer.Option("rad/s", "--gyro-unit", help="Gyroscope unit: rad/s or deg/s."),
    placement: str = typer.Option("any", "--placement", help="Body site of the device (e.g. wrist_left, thigh_right)."),
    acc_only: bool = typer.Option(False, "--acc-only", help="Import the accelerometer only."),
    max_gap: float = typer.Option(1.0, "--max-gap", help="Split a recording at gaps longer than this, s."),
    no_check: bool = typer.Option(False, "--no-check", help="Skip the plausibility checks (units, rate, channels)."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier import of the same name."),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Turn your own recordings into a dataset every command accepts (see docs/own-data.md)."""
    cfg = ImportConfig(name=name, column_map=_pairs(column_map, "--map"), time_column=time_column, time_unit=time_unit,
                       rate_hz=rate, label_column=label, segments=segments, segment_time=segment_time,
                       subject_column=subject_column, session_column=session_column, subject_pattern=subject_pattern,
                       session_pattern=session_pattern, acc_unit=acc_unit, gyro_unit=gyro_unit, placement=placement,
                       acc_only=acc_only, max_gap_s=max_gap, check=not no_check)
    res = import_dataset(list(sources), cfg, force=force)
    if as_json:
        echo_json(res)
        return
    for f in res.files:
        rates = sorted(set(f.rate_hz))
        typer.echo(f"{f.path}: {f.rows} rows -> {f.recordings} recording(s); {f.duplicates_merged} duplicate timestamps "
                   f"merged, {f.gaps_split} gap(s) > {max_gap:g} s split; time unit {f.time_unit or 'none'}; "
                   f"rate {', '.join(f'{r:g}' for r in rates[:3])}{' ...' if len(rates) > 3 else ''} Hz")
    typer.echo(f"\nimported {res.name!r}: {res.recordings} recordings, {len(res.subjects)} subjects, "
               f"{len(res.class_names)} classes -> {res.folder}")
    typer.echo(table([[c, s["segments"], s["median_s"], s["p10_s"], s["p90_s"], s["total_s"]] for c, s in res.segments.items()],
                     ["class", "segments", "median s", "p10 s", "p90 s", "total s"]))
    r = res.recommended
    typer.echo(f"recommended window: --window {r['window']} --hop {r['hop']} ({r.get('seconds', '?')} s at "
               f"{r.get('rate_hz', 50):g} Hz): {r['reason']}")
    typer.echo(f"next: mujo-edge data prepare {res.name}; mujo-edge evaluate --dataset {res.name} --out reports/{res.name}")


@data_app.command("example")
def example_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for the example files (subject_XX/session_1.csv)."),
    subjects: int = typer.Option(8, "--subjects", help="How many subjects."),
    first: int = typer.Option(0, "--first", help="Number of the first subject minus one (another set: --first 100)."),
) -> None:
    """Write example watch exports (104.3 Hz, epoch ns, g, deg/s; 1-2 s activities) to try `data import` with."""
    if subjects < 1:
        raise ConfigError(f"--subjects must be >= 1, got {subjects}")
    write_study(out, subjects=subjects, first_seed=first)
    typer.echo(f"wrote {subjects} example recordings to {out} (see docs/own-data.md for the walk-through)")
