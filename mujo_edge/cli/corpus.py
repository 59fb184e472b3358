"""``mujo-edge corpus ...``: build, inspect, preview a FiMAD-style corpus and score its realism."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, config_option, echo_json, given, table
from mujo_edge.config import save_json
from mujo_edge.corpus import CorpusConfig, build_corpus, open_corpus, read_index
from mujo_edge.corpus.config import parse_activities, parse_sources
from mujo_edge.corpus.preview import pick_clips, plot_clips
from mujo_edge.eval.realism import realism
from mujo_edge.sim.imu import IMUConfig
from mujo_edge.sim.noise import NoiseModel

corpus_app = typer.Typer(help="Multimodal corpus (pose, virtual IMU, video, text): build, info, preview, realism.",
                         no_args_is_help=True)


C = CorpusConfig


@corpus_app.command("build")
def build_cmd(
    out: Path = typer.Option(..., "--out", help="Output folder (outside the repository)."),
    sources: Optional[str] = config_option(C, "sources", "--sources", help="Comma-separated: mocap, procedural."),
    hours: Optional[float] = config_option(C, "hours", "--hours", help="Total clip duration, hours."),
    seed: Optional[int] = config_option(C, "seed", "--seed", help="Random seed (the corpus is reproducible for a seed)."),
    workers: int = typer.Option(1, "--workers", help="Worker processes."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing corpus in --out."),
    activities: Optional[str] = typer.Option(None, "--activities", help="Comma-separated canonical activities (default all)."),
    clip_seconds: Optional[float] = config_option(C, "clip_seconds", "--clip-seconds", help="Clip length, s."),
    rate: Optional[float] = config_option(C, "rate_hz", "--rate", help="Pose and IMU rate, Hz."),
    orientation: Optional[str] = config_option(IMUConfig, "orientation", "--orientation",
                                               help="Sensor orientation: device, aligned, random."),
    belt_landscape_share: Optional[float] = config_option(
        IMUConfig, "belt_landscape_share", "--belt-landscape-share",
        help="Probability that a belt device is worn sideways (0.5: no preference)."),
    belt_around_deg: Optional[float] = config_option(
        IMUConfig, "belt_around_deg", "--belt-around-deg",
        help="How far round the trunk a waist or lower-back belt device may sit from its site's spot, ± degrees (0: the spot)."),
    no_noise: bool = typer.Option(False, "--no-noise", help="Ideal sensors (no noise model)."),
    data_dir: Optional[Path] = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the corpus summary as JSON."),
) -> None:
    """Build a corpus: streams shards to disk, reproducible for a seed, refuses to overwrite without --force."""
    imu = IMUConfig(noise=NoiseModel(enabled=not no_noise), **given(orientation=orientation, belt_landscape_share=belt_landscape_share,
                                                                  belt_around_deg=belt_around_deg))
    cfg = CorpusConfig(activities=parse_activities(activities), imu=imu,
                       **given(sources=parse_sources(sources) if sources else None, hours=hours, seed=seed,
                               clip_seconds=clip_seconds, rate_hz=rate))
    t0 = time.perf_counter()

    def progress(done: int, total: int, entry: dict) -> None:
        el = time.perf_counter() - t0
        typer.echo(f"  shard {done}/{total} ({entry['name']}, {entry['clips']} clips), {el:.0f} s elapsed, "
                   f"~{el / done * (total - done):.0f} s left", err=True)

    index = build_corpus(out, cfg, workers=workers, force=force, data_root=data_dir, progress=progress)
    summary = _summary(out, index)
    if as_json:
        echo_json(summary)
    else:
        typer.echo(f"built {out}: {summary['clips']} clips, {summary['hours']:.2f} h, "
                   f"{len(summary['activities'])} activities, {summary['build_seconds']:.1f} s "
                   f"({summary['clip_seconds_per_second']:.1f} clip-seconds per second, {workers} workers)")


def _summary(root: Path, index: dict) -> dict:
    st = index["stats"]
    return {"corpus": str(root), "clips": index["clips"], "hours": index["hours"], "activities": st["activities"],
            "sources": st["sources"], "subjects": st["subjects"], "val_subjects": len(index["split"]["val_subjects"]),
            "sites": index["sites"], "rate_hz": index["rate_hz"], "clip_seconds": index["clip_seconds"],
            "shapes": index["shapes"], "video_fps": index["video_fps"], "shards": len(index["shards"]),
            "build_seconds": st["build_seconds"], "clip_seconds_per_second": st["clip_seconds_per_second"],
            "skipped_trials": st.get("skipped_trials", {}), "git_commit": index["git_commit"]}


@corpus_app.command("info")
def info_cmd(
    corpus: Path = typer.Argument(..., help="Corpus folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Clips, hours, activities with counts, sites, rates and shapes of a corpus."""

    s = _summary(corpus, read_index(corpus))
    if as_json:
        echo_json(s)
        return
    typer.echo(f"{corpus}: {s['clips']} clips, {s['hours']:.2f} h, {s['shards']} shards; sources {s['sources']}; "
               f"subjects {s['subjects']} ({s['val_subjects']} in val)")
    typer.echo(f"rate {s['rate_hz']:g} Hz, clips of {s['clip_seconds']:g} s; shapes {s['shapes']}; "
               f"video {s['video_fps']:g} fps")
    typer.echo(f"sites ({len(s['sites'])}): {', '.join(s['sites'])}")
    typer.echo(table([[a, n] for a, n in s["activities"].items()], ["activity", "clips"]))


@corpus_app.command("preview")
def preview_cmd(
    corpus: Path = typer.Argument(..., help="Corpus folder."),
    out: Path = typer.Option(..., "--out", help="PNG file to write."),
    clips: int = typer.Option(4, "--clips", help="Number of clips (different activities where possible)."),
    index: Optional[list[int]] = typer.Option(None, "--index", help="Clip index to show (repeatable)."),
    seed: int = typer.Option(0, "--seed", help="Which clips to pick."),
) -> None:
    """Picture of clips: video frames, skeleton, IMU traces and captions (one block per clip)."""

    ds = open_corpus(corpus)
    idx = list(index) if index else pick_clips(ds, clips, seed)
    for i in idx:
        if not 0 <= i < len(ds):
            raise typer.BadParameter(f"clip index {i} out of range (corpus has {len(ds)} clips)")
    typer.echo(f"wrote {plot_clips(ds, idx, out)}")


@corpus_app.command("realism")
def realism_cmd(
    corpus: Path = typer.Option(..., "--corpus", help="Corpus folder."),
    datasets: str = typer.Option("motionsense,usc_had,uci_hapt", "--datasets", help="Real datasets to test on."),
    data_dir: Optional[Path] = DataDirOption,
    seed: int = typer.Option(0, "--seed", help="Training seed."),
    channels: str = typer.Option("all", "--channels", help="Score all channels, or 'acc' or 'gyro' alone."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the results (with confusion matrices) as JSON."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sim-to-real score: train the protocol CNN on virtual IMU only, test on the real overlapping classes."""

    results = realism(corpus, [d.strip() for d in datasets.split(",") if d.strip()], data_root=data_dir, seed=seed,
                      channels=channels)
    if out is not None:
        save_json(out, results)
    if as_json:
        echo_json(results)
        return
    rows = [[r["dataset"], r["placement"], len(r["classes"]), r["real_windows"], r["virtual_windows"],
             f"{r['macro_f1']:.3f}", f"{r['accuracy']:.3f}"] for r in results["datasets"]]
    typer.echo(table(rows, ["dataset", "site", "classes", "real windows", "virtual windows", "macro F1", "accuracy"]))
    for r in results["datasets"]:
        typer.echo(f"{r['dataset']} per class F1: " + ", ".join(f"{k} {v:.2f}" for k, v in r["per_class_f1"].items()))


def register(app: typer.Typer) -> None:
    """Add the ``corpus`` group to the main app."""
    app.add_typer(corpus_app, name="corpus")
