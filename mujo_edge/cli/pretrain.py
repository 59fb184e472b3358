"""``mujo-edge pretrain``: MuJo contrastive pretraining on a corpus (CPU, one GPU, or DDP under torchrun)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import config_option, echo_json, given
from mujo_edge.errors import ConfigError
from mujo_edge.placements import expand_sites
from mujo_edge.train.clips import AugmentConfig
from mujo_edge.train.pretrain import PretrainConfig, pretrain, saved_config


def _parse_sets(items: list[str]) -> dict:
    """``["imu.widths=[16,32]", "embed_dim=64"]`` → overrides (values parsed as JSON, else kept as strings)."""

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

    if not text:
        return {}
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise ConfigError(f"--pair-weights expects PAIR=W,..., e.g. imu-text=2,pose-video=0.5; got {part!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = float(v)
    return out


P, A = PretrainConfig, AugmentConfig


def pretrain_cmd(
    corpus: Path = typer.Option(..., "--corpus", help="Corpus folder (mujo-edge corpus build --out DIR)."),
    out: Path = typer.Option(..., "--out", help="Run folder (checkpoints, logs)."),
    config: Optional[str] = config_option(P, "model", "--config", help="Model config: tiny, tiny-hashtext, base."),
    max_steps: Optional[int] = config_option(P, "max_steps", "--max-steps", help="Optimizer steps in total."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last saved step (settings "
                                                         "given now apply from there on and are recorded)."),
    batch_size: Optional[int] = config_option(P, "batch_size", "--batch-size", help="Clips per step and process."),
    lr: Optional[float] = config_option(P, "lr", "--lr", help="Peak learning rate (AdamW)."),
    weight_decay: Optional[float] = config_option(P, "weight_decay", "--weight-decay", help="AdamW weight decay of "
                                                                                            "weight matrices."),
    warmup: Optional[int] = config_option(P, "warmup_steps", "--warmup", help="Linear warm-up steps."),
    min_lr_ratio: Optional[float] = config_option(P, "min_lr_ratio", "--min-lr-ratio", help="Final lr as a share of --lr "
                                                                                            "(cosine decay)."),
    grad_clip: Optional[float] = config_option(P, "grad_clip", "--grad-clip", help="Gradient norm clip (0 = off)."),
    window: Optional[int] = config_option(P, "window", "--window", help="IMU crop, samples at the corpus rate (the "
                                                                       "sensor spec's window)."),
    seed: Optional[int] = config_option(P, "seed", "--seed", help="Random seed (init, batches, augmentation)."),
    sets: list[str] = typer.Option([], "--set", help="Model override KEY=VALUE (JSON value), e.g. imu.widths=[16,32]."),
    pair_weights: Optional[str] = typer.Option(None, "--pair-weights", help="Loss weight per pair, e.g. imu-text=2,pose-video=0.5."),
    text_positives: Optional[str] = config_option(P, "text_positives", "--text-positives", help="A caption's positives "
                                                  "in the text pairs: clip (its own clip, the published loss) or activity "
                                                  "(every clip of the batch with the same activity label)."),
    sites: Optional[str] = typer.Option(None, "--sites", help="Comma list of IMU sites to sample "
                                         "(default: every corpus site); 'wearable' = the 11 sites phones and watches "
                                         "are worn at (the packaged default's)."),
    rotation_deg: Optional[float] = config_option(A, "rotation_deg", "--rotation-deg", help="Max random IMU rotation, "
                                                                                           "degrees."),
    scale_jitter: Optional[float] = config_option(A, "scale_jitter", "--scale-jitter", help="Random IMU gain jitter "
                                                                                           "(fraction)."),
    noise_acc: Optional[float] = config_option(A, "noise_acc", "--noise-acc", help="Added accelerometer noise, m/s²."),
    noise_gyro: Optional[float] = config_option(A, "noise_gyro", "--noise-gyro", help="Added gyroscope noise, rad/s."),
    gyro_drop: Optional[float] = config_option(A, "gyro_drop", "--gyro-drop", help="Probability of masking the gyro "
                                                                                   "of a crop."),
    site_drop: Optional[float] = config_option(A, "site_drop", "--site-drop", help="Probability of hiding the site "
                                                                                   "embedding of a crop."),
    device: Optional[str] = config_option(P, "device", "--device", help="auto, cpu, cuda, cuda:1 ..."),
    precision: Optional[str] = config_option(P, "precision", "--precision", help="auto (bf16 on CUDA), fp32, bf16."),
    threads: Optional[int] = config_option(P, "threads", "--threads", help="torch CPU threads (0 = torch default)."),
    workers: Optional[int] = config_option(P, "workers", "--workers", help="Batch-building worker processes."),
    log_every: Optional[int] = config_option(P, "log_every", "--log-every", help="Steps per log row."),
    eval_every: Optional[int] = config_option(P, "eval_every", "--eval-every", help="Steps between validation passes."),
    save_every: Optional[int] = config_option(P, "save_every", "--save-every", help="Steps between resumable checkpoints."),
    keep_last: Optional[int] = config_option(P, "keep_last", "--keep-last", help="Resumable states kept on disk."),
    max_clips: Optional[int] = config_option(P, "max_clips", "--max-clips", help="Use only the first N clips per split "
                                                                                "(0 = all)."),
    recipe: Optional[str] = config_option(P, "recipe", "--recipe", help="mujo (multimodal InfoNCE, + SSL on --pools), "
                                                                        "or an IMU-only SSL baseline: simclr, limu, multitask."),
    pools: Optional[str] = typer.Option(None, "--pools", help="Unlabelled real pools, comma-separated dataset names or "
                                                              "'all' (motionsense, usc_had, uci_hapt, hmp, wisdm2019_watch6)."),
    exclude_dataset: list[str] = typer.Option([], "--exclude-dataset", help="Leave this dataset's pool out (never "
                                                                            "read; recorded in the checkpoint). Repeatable."),
    ssl_objective: Optional[str] = config_option(P, "ssl_objective", "--ssl-objective", help="SSL loss of the mujo "
                                                                                             "recipe on the pools: "
                                                                                             "contrastive, masked, transform."),
    ssl_weight: Optional[float] = config_option(P, "ssl_weight", "--ssl-weight", help="Weight of the SSL loss."),
    ssl_batch_size: Optional[int] = config_option(P, "ssl_batch_size", "--ssl-batch-size", help="Pool windows per step "
                                                                                                "(0 = --batch-size)."),
    ssl_corpus_imu: Optional[bool] = typer.Option(None, "--ssl-corpus-imu/--no-ssl-corpus-imu", help="The corpus's "
                                                  "virtual IMU is one more SSL source beside the pools (default: yes "
                                                  "for simclr/limu/multitask, no for mujo)."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the training step (faster after a few "
                                                           "minutes of compilation; needs a C++ compiler)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Dataset root for --pools (default "
                                                                     "$MUJO_EDGE_DATA_DIR)."),
    no_tensorboard: bool = typer.Option(False, "--no-tensorboard", help="CSV logs only."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the final result as JSON."),
) -> None:
    """Pretrain the four MuJo encoders with pairwise InfoNCE; multi-GPU: torchrun --nproc-per-node K -m mujo_edge.cli pretrain ..."""
    aug = given(rotation_deg=rotation_deg, scale_jitter=scale_jitter, noise_acc=noise_acc, noise_gyro=noise_gyro,
                gyro_drop=gyro_drop, site_drop=site_drop)
    changes = given(model=config, max_steps=max_steps, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                    warmup_steps=warmup, min_lr_ratio=min_lr_ratio, grad_clip=grad_clip, window=window, seed=seed,
                    device=device, precision=precision, threads=threads, workers=workers, log_every=log_every,
                    eval_every=eval_every, save_every=save_every, keep_last=keep_last, max_clips=max_clips,
                    text_positives=text_positives)
    if sets:
        changes["overrides"] = _parse_sets(sets)
    if pair_weights:
        changes["pair_weights"] = _parse_weights(pair_weights)
    if sites:
        changes["sites"] = expand_sites(sites)
    changes.update(given(recipe=recipe, ssl_objective=ssl_objective, ssl_weight=ssl_weight,
                         ssl_batch_size=ssl_batch_size, ssl_corpus_imu=ssl_corpus_imu, data_dir=data_dir))
    if pools:
        changes["pools"] = tuple(p.strip() for p in pools.split(",") if p.strip())
    if exclude_dataset:
        changes["exclude_datasets"] = tuple(x.strip() for e in exclude_dataset for x in e.split(",") if x.strip())
    if compile_:
        changes["compile"] = True
    if no_tensorboard:
        changes["tensorboard"] = False
    saved = saved_config(out) if resume else None
    if saved is not None:  # a resumed run keeps its settings; what is given now applies from the resume step on
        cfg = replace(saved, corpus=corpus, out=out, augment=replace(saved.augment, **aug), **changes)
    else:
        cfg = PretrainConfig(corpus=corpus, out=out, augment=AugmentConfig(**aug), **changes)
    main = int(os.environ.get("RANK", "0")) == 0
    bar = None
    if main and not no_progress and not as_json:
        try:
            from tqdm import tqdm
        except ImportError:  # the progress bar is in the [train] extra; the run itself does not need it
            typer.echo("(no progress bar: pip install 'mujo-edge[train]' for tqdm)", err=True)
        else:
            bar = tqdm(total=cfg.max_steps, desc="pretrain", unit="step", dynamic_ncols=True)

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
