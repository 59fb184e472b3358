"""``mujo-edge live``: classify a watch's IMU stream live (real hardware or the simulated watch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given
from mujo_edge.config import save_json
from mujo_edge.data.csvio import write_recording_csv
from mujo_edge.firmware_bridge.client import ClientConfig
from mujo_edge.firmware_bridge.live import LiveConfig, load_model, run_live
from mujo_edge.firmware_bridge.pipeline import PipelineConfig, Prediction
from mujo_edge.firmware_bridge.sim.watch import FaultConfig, WatchSimConfig


def live(
    model: Path = typer.Option(..., "--model", help="Exported model (.pte/.tflite/.onnx + sidecar) or checkpoint folder."),
    device: Optional[str] = typer.Option(None, "--device", help="Real device: name, address or service UUID."),
    simulate: Optional[str] = typer.Option(None, "--simulate",
                                           help="Start the simulated watch streaming this source: synthetic[:SECONDS], "
                                                "dataset:NAME[:SUBJECT[:SESSION]] or a recording CSV."),
    duration: Optional[float] = typer.Option(None, "--duration",
                                             help="Seconds to stream (default: 20 with --simulate, else until Ctrl-C)."),
    windows: Optional[int] = typer.Option(None, "--windows", help="Stop after this many classified windows."),
    profile: Optional[str] = config_option(ClientConfig, "profile", "--profile", help="Device protocol: auto, mujo or polar."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Sample rate to ask the device for, Hz (default: model's)."),
    record: Optional[Path] = typer.Option(None, "--record", help="Write the received samples to this recording CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the final metrics summary as JSON (live view to stderr)."),
    quiet: bool = typer.Option(False, "--quiet", help="No live view."),
    smoothing: Optional[float] = config_option(PipelineConfig, "smoothing", "--smoothing",
                                               help="Weight of the newest window in the probability EMA (1 = off)."),
    reject_below: Optional[float] = config_option(PipelineConfig, "reject_below", "--reject-below",
                                                  help="Report NULL when the smoothed top probability is lower."),
    no_data_timeout: Optional[float] = config_option(PipelineConfig, "no_data_timeout_s", "--no-data-timeout",
                                                     help="End with an error (exit 1) when the connected device sends "
                                                          "nothing for this long, s."),
    faults: Optional[str] = typer.Option(None, "--faults",
                                         help="Simulated faults, e.g. loss=0.02,reorder=0.01,duplicate=0.01,corrupt=0.01,"
                                              "drop=5+12,down=0.5,seed=1."),
    sim_profile: Optional[str] = config_option(WatchSimConfig, "profile", "--sim-profile",
                                               help="Simulated watch protocol: mujo or polar."),
    sim_rate: Optional[float] = typer.Option(None, "--sim-rate",
                                             help="The simulated watch supports only this rate (Hz), whatever is asked."),
    acquire_notify: bool = typer.Option(False, "--acquire-notify",
                                        help="BlueZ: subscribe with AcquireNotify (datagram socket) instead of StartNotify."),
    on_watch: bool = typer.Option(False, "--on-watch",
                                  help="The watch classifies on board and sends results (PROTOCOL.md §10); --model is "
                                       "the *_tflm.tflite it runs (export --format tflm --int8)."),
    on_watch_samples: bool = typer.Option(False, "--on-watch-samples",
                                          help="With --on-watch: stream the samples as well."),
    data_dir: Optional[Path] = DataDirOption,
) -> None:
    """Stream IMU samples over BLE, classify every window with the model and show rate, losses and latency."""

    sim = WatchSimConfig(faults=FaultConfig.parse(faults), **given(profile=sim_profile),
                         name="Polar Sense SIM" if sim_profile == "polar" else "MujoWatch",
                         data_dir=str(data_dir) if data_dir else None,
                         **({"rates_hz": (sim_rate,)} if sim_rate else {}))
    cfg = LiveConfig(model=model, device=device, simulate=simulate,
                     duration_s=duration if duration is not None else (20.0 if simulate else None), max_windows=windows,
                     client=ClientConfig(target=device or sim.name, rate_hz=rate, acquire_notify=acquire_notify,
                                         on_watch=on_watch, on_watch_samples=on_watch_samples,
                                         **given(profile=profile)), sim=sim,
                     pipeline=PipelineConfig(record=record is not None,
                                             **given(smoothing=smoothing, reject_below=reject_below,
                                                     no_data_timeout_s=no_data_timeout)))
    clf = load_model(model)
    out = sys.stderr if as_json else sys.stdout
    if not quiet:
        print(f"model {model} ({clf.backend}): {len(clf.label_names)} classes at {clf.spec.rate_hz:g} Hz, "
              f"window {clf.spec.window} hop {clf.spec.hop}; source "
              f"{'simulated watch: ' + simulate if simulate else device}", file=out)
    state = {"pipeline": None}

    def show(p: Prediction) -> None:
        if quiet:
            return
        top = sorted(zip(clf.label_names, p.smoothed), key=lambda kv: -kv[1])[:3]
        m = state["pipeline"].metrics if state["pipeline"] is not None else None
        rate_now = m.effective_rate_hz if m is not None else None
        lost = m.samples_lost if m is not None else 0
        print(f"#{p.index:<4d} {p.label or 'NULL':>20s} {p.confidence:4.2f} | "
              + "  ".join(f"{k} {v:.2f}" for k, v in top)
              + f" | {rate_now or 0:5.1f} Hz  lost {lost}  latency {p.latency_s * 1e3:6.1f} ms", file=out, flush=True)

    res = run_live(cfg, classifier=clf, on_prediction=show, on_start=lambda p: state.update(pipeline=p))
    if record is not None:
        rec = res.pipeline.recording(session=record.stem)
        write_recording_csv(rec, record)
        save_json(record.with_suffix(".live.json"), {"config": cfg, "summary": res.summary})
        if not quiet:
            print(f"recorded {rec.n_samples} samples at {rec.rate_hz:g} Hz to {record}", file=out)
    summary = dict(res.summary)
    if res.truth:
        summary["accuracy_vs_source"] = res.truth
    stalled = summary.get("status") != "ok"
    if as_json:
        echo_json(summary)
    elif not quiet:
        s = res.summary
        print(json.dumps({"samples": s["samples"], "packets": s["packets"], "latency_ms": s["latency_ms"],
                          "rate_hz": s["rate_hz"], "connection": s["connection"], "windows": s["windows"],
                          "stalls": s["stalls"], "status": s["status"],
                          **({"accuracy_vs_source": res.truth} if res.truth else {})}, indent=1))
    if stalled:
        typer.echo(f"error: {summary.get('failure', 'the stream stalled')}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``live`` to the main app."""
    app.command("live")(live)
