"""``mujo-edge predict``: classify recording CSVs, folders of them or a dataset with any model file or checkpoint."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, echo_json, table
from mujo_edge.runtime import load
from mujo_edge.runtime.predict import predict_inputs, save_confusion_png


def predict(
    model: Path = typer.Option(..., "--model", help="Model file (.pte, .tflite, .onnx with its sidecar) or checkpoint folder."),
    sources: list[str] = typer.Option(..., "--input", help="Recording CSV (mujo-edge-recording v1), a folder of them, "
                                                            "or dataset:NAME; repeat for more (one model load)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for predictions.csv, summary.json and confusion.png."),
    threads: int = typer.Option(1, "--threads", help="Runtime threads."),
    placement: Optional[str] = typer.Option(None, "--placement", help="Sensor site to read from dataset:NAME "
                                            "(default: the one the model was trained for)."),
    limit: int = typer.Option(20, "--show", help="Windows to print (0 = none, -1 = all)."),
    no_check: bool = typer.Option(False, "--no-check", help="Skip the plausibility checks of CSV recordings."),
    max_gap: float = typer.Option(1.0, "--max-gap", help="Split CSV recordings at gaps longer than this, s."),
    like: Optional[str] = typer.Option(None, "--like", help="Read CSV inputs as your own files, with the settings "
                                                            "`data import` used for this dataset (columns, units)."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print per-window predictions and metrics as JSON."),
) -> None:
    """Per-window predictions; with labels also macro F1 (per input and over all) and a confusion matrix."""
    source = ", ".join(sources)
    clf = load(model, threads=threads)
    try:
        rep = predict_inputs(clf, sources, data_root=data_dir, placement=placement, check=not no_check,
                             max_gap_s=max_gap, like=like)
        picture = None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            with open(out / "predictions.csv", "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for r in rep.rows for k in r)) or ["window"])
                w.writeheader()
                w.writerows(rep.rows)
            (out / "summary.json").write_text(json.dumps({**rep.summary(), "model": str(model), "backend": clf.backend},
                                                         indent=2) + "\n")
            if rep.confusion is not None:
                picture = save_confusion_png(rep, out / "confusion.png", title=f"{model.name} on {source}")
    finally:
        clf.close()
    if as_json:
        echo_json({**rep.summary(), "model": str(model), "backend": clf.backend, "windows_detail": rep.rows})
        return
    shown = rep.rows if limit < 0 else rep.rows[:limit]
    if shown:
        keys = list(dict.fromkeys(k for r in shown for k in r))
        typer.echo(table([[r.get(k) for k in keys] for r in shown], keys))
        if len(shown) < len(rep.rows):
            typer.echo(f"... {len(rep.rows) - len(shown)} more windows (--show -1 for all, --out DIR to save them)")
    site = f" ({rep.placement})" if rep.placement else ""
    typer.echo(f"{len(rep.rows)} windows from {source}{site} with {model.name} ({clf.backend})")
    if len(rep.inputs) > 1:
        for name, info in rep.inputs.items():
            m = info.get("metrics", {}).get("all")
            score = f"macro F1 {m['macro_f1']:.4f} on {m['windows']} labelled windows" if m else "no labels"
            typer.echo(f"  {name}: {info['windows']} windows, {score}")
    for name, info in rep.inputs.items():
        for note in info.get("notes", []):
            typer.echo(f"note: {name}: {note}")
    for part, m in rep.metrics.items():
        typer.echo(f"{part}: macro F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f} on {m['windows']} labelled windows")
    if picture is not None:
        typer.echo(f"confusion matrix: {picture}")


def register(app: typer.Typer) -> None:
    """Add ``predict`` to the main app."""
    app.command("predict")(predict)
