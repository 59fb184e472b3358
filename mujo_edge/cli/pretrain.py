"""``mujo-edge pretrain``: MuJo contrastive pretraining on a corpus (CPU, one GPU, or DDP under torchrun)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import echo_json


def _parse_sets(items: list[str]) -> dict:
    """``["imu.widths=[16,32]", "embed_dim=64"]`` → overrides (values parsed as JSON, else kept as strings)."""
    from mujo_edge.errors import ConfigError

    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            out[k.strip()] = v
    return out


def _parse_weights(text: Optional[str]) -> dict[str, float]:
    from mujo_edge.errors import ConfigError

    if not text:
        return {}
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise ConfigError(f"--pair-weights expects PAIR=W,..., e.g. imu-text=2,pose-video=0.5; got {part!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = float(v)
    return out


def pretrain_cmd(
    corpus: Path = typer.Option(..., "--corpus", help="Corpus folder (mujo-edge corpus build --out DIR)."),
    out: Path = typer.Option(..., "--out", help="Run folder (checkpoints, logs)."),
    config: str = typer.Option("tiny", "--config", help="Model config: tiny, tiny-hashtext, base."),
    max_steps: int = typer.Option(2000, "--max-steps", help="Optimizer steps in total."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last saved step."),
    batch_size: int = typer.Option(64, "--batch-size", help="Clips per step and process."),
    lr: float = typer.Option(2e-3, "--lr", help="Peak learning rate (AdamW)."),
    warmup: int = typer.Option(100, "--warmup", help="Linear warm-up steps."),
    seed: int = typer.Option(0, "--seed", help="Random seed (init, batches, augmentation)."),
    sets: list[str] = typer.Option([], "--set", help="Model override KEY=VALUE (JSON value), e.g. imu.widths=[16,32]."),
    pair_weights: Optional[str] = typer.Option(None, "--pair-weights", help="Loss weight per pair, e.g. imu-text=2,pose-video=0.5."),
    sites: Optional[str] = typer.Option(None, "--sites", help="Comma list of IMU sites to sample (default: all)."),
    rotation_deg: float = typer.Option(30.0, "--rotation-deg", help="Max random IMU rotation, degrees."),
    gyro_drop: float = typer.Option(0.15, "--gyro-drop", help="Probability of masking the gyro of a crop."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1 ..."),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on CUDA), fp32, bf16."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0 = torch default)."),
    workers: int = typer.Option(0, "--workers", help="Batch-building worker processes."),
    log_every: int = typer.Option(10, "--log-every", help="Steps per log row."),
    eval_every: int = typer.Option(250, "--eval-every", help="Steps between validation passes."),
    save_every: int = typer.Option(250, "--save-every", help="Steps between resumable checkpoints."),
    max_clips: int = typer.Option(0, "--max-clips", help="Use only the first N clips per split (0 = all)."),
    no_tensorboard: bool = typer.Option(False, "--no-tensorboard", help="CSV logs only."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the final result as JSON."),
) -> None:
    """Pretrain the four MuJo encoders with pairwise InfoNCE; multi-GPU: torchrun --nproc-per-node K -m mujo_edge.cli pretrain ..."""
    from mujo_edge.train.clips import AugmentConfig
    from mujo_edge.train.pretrain import PretrainConfig, pretrain

    cfg = PretrainConfig(
        corpus=corpus, out=out, model=config, overrides=_parse_sets(sets), max_steps=max_steps, batch_size=batch_size,
        lr=lr, warmup_steps=warmup, seed=seed, pair_weights=_parse_weights(pair_weights),
        sites=tuple(s.strip() for s in sites.split(",")) if sites else (),
        augment=AugmentConfig(rotation_deg=rotation_deg, gyro_drop=gyro_drop), device=device, precision=precision,
        threads=threads, workers=workers, log_every=log_every, eval_every=eval_every, save_every=save_every,
        max_clips=max_clips, tensorboard=not no_tensorboard,
    )
    main = int(os.environ.get("RANK", "0")) == 0
    bar = None
    if main and not no_progress and not as_json:
        try:
            from tqdm import tqdm
        except ImportError:  # the progress bar is in the [train] extra; the run itself does not need it
            typer.echo("(no progress bar: pip install 'mujo-edge[train]' for tqdm)", err=True)
        else:
            bar = tqdm(total=max_steps, desc="pretrain", unit="step", dynamic_ncols=True)

    def on_log(row: dict) -> None:
        if bar is not None:
            bar.n = int(row["step"])
            bar.set_postfix(loss=f"{row['loss']:.3f}", it_s=f"{row['samples_per_s']:.0f} clips/s", refresh=False)
            bar.refresh()

    res = pretrain(cfg, resume=resume, on_log=on_log)
    if bar is not None:
        bar.close()
    if not main:
        return
    if as_json:
        echo_json(res)
        return
    typer.echo(f"run {res.run}: step {res.step}, {res.samples_per_second:.0f} clips/s, {res.seconds:.0f} s")
    for name, row in (("train", res.train), ("val", res.val)):
        if row:
            accs = ", ".join(f"{k[4:]} {v:.2f}" for k, v in row.items() if k.startswith("acc_"))
            typer.echo(f"  {name}: loss {row['loss']:.3f}; retrieval top-1: {accs}")


def register(app: typer.Typer) -> None:
    """Add ``pretrain`` to the main app."""
    app.command("pretrain")(pretrain_cmd)
