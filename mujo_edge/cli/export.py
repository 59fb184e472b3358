"""``mujo-edge export``: a student / classifier checkpoint → verified .pte, .tflite, .onnx (and TFLite Micro) files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given, table
from mujo_edge.cli.main import _state
from mujo_edge.export import ExportConfig, export_checkpoint
from mujo_edge.export.backends import resolve_formats

X = ExportConfig


def export(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Checkpoint folder (kind 'student' or 'classifier')."),
    out: Path = typer.Option(..., "--out", help="Folder for the exported files and their sidecars."),
    int8: bool = typer.Option(False, "--int8", help="Static int8 post-training quantization (else fp32)."),
    formats: Optional[str] = config_option(X, "formats", "--format",
                                           help="Formats, comma-separated, or all (with --int8 also tflm)."),
    calib_windows: Optional[int] = config_option(X, "calib_windows", "--calib-windows",
                                                 help="Calibration windows (from non-test subjects)."),
    input_percentile: Optional[float] = config_option(
        X, "input_percentile", "--input-percentile",
        help="int8 input range: two-sided percentile of the calibration inputs to clip to (100 = min / max)."),
    name: Optional[str] = typer.Option(None, "--name", help="File stem (default: the model name)."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Labelled data for checkpoints that record no split."),
    fold: Optional[int] = config_option(X, "fold", "--fold", help="Fold used with --dataset."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Export, quantize and verify in each backend's own runtime (fails with the numbers if a file disagrees)."""
    cfg = ExportConfig(int8=int8, name=name, source=dataset, quiet_toolchains=_cli_verbosity() == 0,
                       **given(formats=resolve_formats(formats, int8) if formats else None,
                               calib_windows=calib_windows, fold=fold, input_percentile=input_percentile))
    results = export_checkpoint(checkpoint, out, cfg, data_root=data_dir)
    if as_json:
        echo_json([{"format": r.format, "file": str(r.path), "sidecar": str(r.sidecar), "precision": r.precision,
                    "size_bytes": r.size_bytes, "verification": r.verification} for r in results])
        return
    typer.echo(table([[r.path.name, f"{r.size_bytes / 1024:.1f}", f"{r.verification['top1_agreement']:.4f}",
                       f"{r.verification['macro_f1_eager']:.4f}", f"{r.verification['macro_f1']:.4f}",
                       r.verification["windows"]] for r in results],
                     ["file", "KB", "top-1 agreement", "F1 eager", "F1 file", "test windows"]))
    typer.echo(f"verified in each runtime; sidecars: <file>.json in {out}")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the main app."""
    app.command("export")(export)


def _cli_verbosity() -> int:
    """The global ``-v`` count: with ``-v`` the toolchains print to the terminal instead of ``<file>.log``."""

    return int(_state["verbose"])
