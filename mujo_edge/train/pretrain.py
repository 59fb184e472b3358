"""MuJo pretraining: four encoders aligned by pairwise symmetric InfoNCE on a multimodal corpus.

One code path for CPU, one CUDA GPU (bf16 autocast, fused AdamW) and several GPUs or CPU processes
under ``torchrun`` (DDP; embeddings gathered across ranks so every rank's clips are negatives;
rank 0 logs and writes checkpoints). A run folder ``RUN`` holds::

    config.json            the resolved PretrainConfig, model config, sensor spec, world size, commit
    model.safetensors      the latest weights as a kind="mujo" checkpoint (load with load_mujo(RUN))
    checkpoint.json
    train_state/step_N/    atomic resumable state (model, optimizer, scheduler, RNG; see state.py)
    train.csv, val.csv     every pair's loss and retrieval accuracy, lr, temperature, samples/s
    tb/                    TensorBoard events (if tensorboard is installed)

The data position is the step counter (batches are a pure function of the step, see clips.py), so
``resume=True`` continues a run killed at any point from its last saved step along the same trajectory.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mujo_edge.data.spec import DEFAULT_SPEC
from mujo_edge.errors import ConfigError
from mujo_edge.models.losses import PairwiseInfoNCE
from mujo_edge.models.mujo import MODALITIES, PAIRS, MujoModel, create_model, model_config, save_mujo
from mujo_edge.train import ddp
from mujo_edge.train.clips import AugmentConfig, BatchMaker, ClipTable, fit_imu_normalization
from mujo_edge.train.logs import CsvLog, TensorBoardLog
from mujo_edge.train.state import (
    latest_state, load_train_state, rank_rng_tensors, rng_tensors, save_train_state, step_dirs,
)

log = logging.getLogger(__name__)
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class PretrainConfig:
    """Options of ``mujo-edge pretrain`` (saved as ``config.json`` in the run folder).

    ``batch_size`` is per process (global batch = batch_size × processes); ``lr`` peaks after
    ``warmup_steps`` of linear warm-up and decays by cosine to ``lr × min_lr_ratio`` at ``max_steps``.
    ``window`` is the IMU crop (samples at the corpus rate, the SensorSpec window).
    """

    corpus: Path = Path("corpus")
    out: Path = Path("runs/pretrain")
    model: str = "tiny"
    overrides: dict[str, Any] = field(default_factory=dict)
    max_steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0
    pair_weights: dict[str, float] = field(default_factory=dict)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    sites: tuple[str, ...] = ()
    window: int = 128
    seed: int = 0
    log_every: int = 10
    eval_every: int = 250
    save_every: int = 250
    keep_last: int = 2
    device: str = "auto"
    precision: str = "auto"
    gather: bool = True
    threads: int = 0
    workers: int = 0
    tensorboard: bool = True
    max_clips: int = 0

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(f"unknown precision {self.precision!r}; valid: {', '.join(PRECISIONS)}")
        if self.max_steps < 1 or self.batch_size < 2 or self.lr <= 0 or self.save_every < 1 or self.log_every < 1:
            raise ConfigError(f"invalid pretraining config: max_steps={self.max_steps}, batch_size={self.batch_size} "
                              f"(>= 2), lr={self.lr}, save_every={self.save_every}, log_every={self.log_every}")


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns."""

    run: Path
    step: int
    train: dict[str, float]
    val: dict[str, float]
    samples_per_second: float
    seconds: float


def lr_factor(step: int, cfg: PretrainConfig) -> float:
    """Multiplier of ``cfg.lr`` at ``step``: linear warm-up, then cosine to ``min_lr_ratio``."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    t = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay on weight matrices / kernels, none on biases, norms, embeddings and the logit scale."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        leaf = name.split(".")[-1]
        (no_decay if p.ndim < 2 or leaf in ("pos", "missing", "joint_emb") or ".site." in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _open_split(corpus: Path, split: str | None) -> Any:
    from mujo_edge.errors import require

    mod = require("mujo_edge.corpus", "train", "reading a pretraining corpus")
    return mod.open(corpus, split=split)


def load_tables(cfg: PretrainConfig, spec_rate: float) -> tuple[ClipTable, ClipTable | None, dict[str, Any]]:
    """The train split (and the val split, if the corpus has one) in memory, plus the corpus meta."""
    train_split = _open_split(cfg.corpus, "train")
    full = dict(getattr(train_split, "meta", {}) or {})
    # what identifies the corpus (the shard list and per-shard details stay in its corpus.json)
    meta = {k: full[k] for k in ("format", "version", "git_commit", "config", "clips", "hours", "rate_hz",
                                 "activities", "sites", "split") if k in full}
    train = ClipTable.from_corpus(train_split, spec_rate, cfg.max_clips)
    try:
        val_split = _open_split(cfg.corpus, "val")
        val = ClipTable.from_corpus(val_split, spec_rate, cfg.max_clips) if len(val_split) else None
    except Exception as exc:  # a corpus without a val split still trains
        log.warning("no validation split in %s (%s)", cfg.corpus, exc)
        val = None
    return train, val, meta


def resolve_overrides(cfg: PretrainConfig, table: ClipTable) -> dict[str, Any]:
    """Model overrides: the config's, plus the corpus's joint count and the modalities the corpus has."""
    over = dict(cfg.overrides)
    present = {"imu": True, "pose": table.pose is not None, "video": table.video is not None, "text": bool(table.captions)}
    base = model_config(cfg.model, **over)  # validates names early
    mods = tuple(m for m in base.modalities if present[m])
    if mods != base.modalities:
        log.warning("corpus lacks %s; training %s only", [m for m in base.modalities if m not in mods], list(mods))
        over["modalities"] = list(mods)
    if table.joints is not None and "pose" in mods and base.pose.get("joints") != table.joints:
        over["pose.joints"] = table.joints
    return over


#: Settings that change the trajectory of a run; resuming with other values is allowed but logged.
TRAJECTORY_FIELDS = ("model", "overrides", "batch_size", "lr", "warmup_steps", "max_steps", "seed", "weight_decay",
                     "pair_weights", "sites", "augment", "window")


def warn_changed_settings(config_json: Path, cfg: PretrainConfig) -> list[str]:
    """Log (WARNING) and return the :data:`TRAJECTORY_FIELDS` whose value differs from the saved run's config."""
    import json

    from mujo_edge.config import to_dict

    try:
        saved = json.loads(config_json.read_text())["pretrain"]
    except (OSError, ValueError, KeyError):
        return []
    now = to_dict(cfg)
    changed = [f for f in TRAJECTORY_FIELDS if f in saved and f in now and saved[f] != now[f]]
    for f in changed:
        log.warning("resuming %s with %s=%r (the run was started with %r): the trajectory changes from here on",
                    config_json.parent, f, now[f], saved[f])
    return changed


def _device(cfg: PretrainConfig) -> torch.device:
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(cfg.device)


def evaluate_pairs(model: MujoModel, maker: BatchMaker, loss_fn: PairwiseInfoNCE, device: torch.device,
                   autocast: Any) -> dict[str, float]:
    """Mean loss and retrieval accuracy of every pair over one pass of ``maker`` (eval mode, no grad)."""
    was = model.training
    model.eval()
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    with torch.no_grad():
        for step in range(maker.steps_per_epoch):
            batch = {k: v.to(device) for k, v in maker(step).items()}
            with autocast():
                out = model(batch)
            emb = {m: out[m] for m in MODALITIES if m in out}
            present = {m: batch[f"has_{m}"] for m in emb}
            _, stats = loss_fn(emb, present, out["logit_scale"].float())
            for pair, st in stats.items():
                for k, v in ((f"loss_{pair}", float(st.loss)), (f"acc_{pair}", st.accuracy)):
                    sums[k] = sums.get(k, 0.0) + v * st.n
                    counts[k] = counts.get(k, 0.0) + st.n
    model.train(was)
    row = {k: sums[k] / counts[k] for k in sums}
    losses = [v for k, v in row.items() if k.startswith("loss_")]
    row["loss"] = sum(losses) / len(losses) if losses else float("nan")
    return row


def train_step(net: torch.nn.Module, model: MujoModel, batch: dict[str, torch.Tensor], loss_fn: PairwiseInfoNCE,
               opt: torch.optim.Optimizer, autocast: Callable[[], Any], grad_clip: float = 0.0,
               gather: ddp.DistInfo | None = None) -> tuple[torch.Tensor, dict[str, Any]]:
    """One optimizer step on ``batch`` (on the model's device); returns the loss and per-pair stats.

    ``net`` is ``model`` or its DDP wrapper; with ``gather`` the embeddings of every rank are
    concatenated (with gradient) before the loss, so all ranks' clips serve as negatives.
    """
    with autocast():
        out = net(batch)
    emb = {m: out[m].float() for m in MODALITIES if m in out}
    present = {m: batch[f"has_{m}"] for m in emb}
    if gather is not None and gather.distributed:
        emb = {m: ddp.gather_with_grad(z, gather) for m, z in emb.items()}
        present = {m: ddp.gather_no_grad(v.to(torch.uint8), gather).bool() for m, v in present.items()}
    loss, stats = loss_fn(emb, present, out["logit_scale"].float())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    model.clamp_logit_scale_()
    return loss, stats


def pretrain(cfg: PretrainConfig, resume: bool = False,
             on_log: Callable[[dict[str, Any]], None] | None = None) -> PretrainResult:
    """Run (or resume) pretraining as configured; returns the final step's metrics.

    ``on_log`` receives every train log row (rank 0), e.g. to drive a progress bar.
    """
    from mujo_edge.config import save_json
    from mujo_edge.paths import cache_dir
    from mujo_edge.provenance import git_commit

    t_start = time.perf_counter()
    device = _device(cfg)
    info = ddp.init_distributed(device.type == "cuda")
    if device.type == "cuda" and info.distributed:
        device = torch.device("cuda", info.local_rank)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    run = Path(cfg.out)
    state_dir = latest_state(run) if resume else None
    if not resume and step_dirs(run):
        raise ConfigError(f"{run} already holds a pretraining run; pass --resume to continue it or choose another --out")

    train_tab, val_tab, corpus_meta = load_tables(cfg, DEFAULT_SPEC.rate_hz)
    overrides = resolve_overrides(cfg, train_tab)
    torch.manual_seed(cfg.seed)
    model = create_model(cfg.model, **overrides)
    if state_dir is not None:
        from mujo_edge.checkpoint import load_checkpoint

        spec = load_checkpoint(state_dir, kinds="mujo").spec
    else:
        spec = DEFAULT_SPEC.replace(window=cfg.window, hop=max(1, cfg.window // 2), placement="any",
                                    normalization=fit_imu_normalization(train_tab, seed=cfg.seed))
    model.spec = spec
    if "text" in model.modalities:  # rank 0 fills the on-disk caption cache first, the others read it
        for turn in (True, False):
            if info.is_main == turn:
                for tab in (train_tab, val_tab):
                    if tab is not None:
                        tab.prepare_text(model.encoders["text"], cache_dir() / "text")
            ddp.barrier(info)
    model.to(device)
    maker = BatchMaker(train_tab, spec, cfg.batch_size, cfg.seed, cfg.augment, cfg.sites, info.rank, info.world)
    val_maker = (BatchMaker(val_tab, spec, cfg.batch_size, cfg.seed + 1, cfg.augment, cfg.sites, train=False)
                 if val_tab is not None and len(val_tab) >= 2 else None)
    loss_fn = PairwiseInfoNCE(model.cfg.pairs, cfg.pair_weights)
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-6, **fused)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    start = 0
    resumed_metrics: dict[str, Any] = {}
    if state_dir is not None:
        meta = load_train_state(state_dir, model, opt, sched, info.rank)
        start, resumed_metrics = int(meta["step"]), meta.get("metrics") or {}
        log.info("resumed %s at step %d", state_dir, start)
        if not meta["rng_restored"]:
            log.warning("%s holds no RNG state for rank %d (saved with fewer processes); reseeding it", state_dir, info.rank)
            torch.manual_seed(cfg.seed * 1000 + 7 + info.rank + 100_003 * start)
    elif resume:
        log.info("--resume: no saved state in %s, starting from step 0", run)
    if start >= cfg.max_steps:
        log.info("run %s is already at step %d >= max_steps %d", run, start, cfg.max_steps)
    if state_dir is None:
        torch.manual_seed(cfg.seed * 1000 + 7 + info.rank)  # dropout stream of this rank

    use_bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and device.type == "cuda")

    def autocast() -> Any:
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)

    net: torch.nn.Module = model
    if info.distributed:
        from torch.nn.parallel import DistributedDataParallel

        # a batch may leave a modality without any valid pair (missing data, zero pair weight): its parameters then
        # get no gradient, which plain DDP treats as an error
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                      find_unused_parameters=True)

    pairs = list(model.cfg.pairs)
    train_fields = (["step", "epoch", "lr", "loss", "temperature", "samples_per_s", "seconds"]
                    + [f"{k}_{p}" for p in pairs for k in ("loss", "acc")] + (["gpu_mem_gb"] if device.type == "cuda" else []))
    val_fields = ["step", "loss"] + [f"{k}_{p}" for p in pairs for k in ("loss", "acc")]
    csv_train = csv_val = tb = None
    if info.is_main:
        run.mkdir(parents=True, exist_ok=True)
        if state_dir is not None:
            warn_changed_settings(run / "config.json", cfg)
        save_json(run / "config.json", {"pretrain": cfg, "model_name": cfg.model, "model": model.cfg, "sensor_spec": spec,
                                        "world_size": info.world, "device": str(device), "precision": "bf16" if use_bf16 else "fp32",
                                        "corpus_meta": corpus_meta, "train_clips": len(train_tab),
                                        "val_clips": len(val_tab) if val_tab is not None else 0, "git_commit": git_commit()})
        csv_train, csv_val = CsvLog(run / "train.csv", train_fields), CsvLog(run / "val.csv", val_fields)
        csv_train.truncate_after(start)
        csv_val.truncate_after(start)
        tb = TensorBoardLog(run / "tb", cfg.tensorboard)

    extra = {"pretrain": cfg, "corpus": str(cfg.corpus), "corpus_meta": corpus_meta, "world_size": info.world}
    last_train: dict[str, float] = dict(resumed_metrics.get("train") or {})
    last_val: dict[str, float] = dict(resumed_metrics.get("val") or {})

    def save(step: int) -> None:
        rng = rank_rng_tensors(ddp.gather_objects(rng_tensors(), info))  # every rank's dropout stream
        if info.is_main:
            metrics = {"train": last_train, "val": last_val}

            def write_model(folder: Path) -> None:
                save_mujo(folder, model, spec, cfg.model, step=step, metrics=metrics, extra=extra)

            save_train_state(run, step, write_model, opt, sched, metrics, cfg.keep_last, rng=rng)
            write_model(run)
        ddp.barrier(info)

    def validate(step: int) -> None:
        nonlocal last_val
        if info.is_main and val_maker is not None:
            last_val = {"step": step, **evaluate_pairs(model, val_maker, loss_fn, device, autocast)}
            csv_val.write(last_val)
            tb.write("val", last_val, step)
            log.info("step %d val %s", step, {k: round(v, 4) for k, v in last_val.items()})
        ddp.barrier(info)

    batches: Any = (maker(s) for s in range(start, cfg.max_steps))
    if cfg.workers > 0:
        batches = iter(torch.utils.data.DataLoader(_Steps(maker, start, cfg.max_steps), batch_size=None,
                                                   num_workers=cfg.workers, pin_memory=device.type == "cuda"))
    net.train()
    acc: dict[str, list[float]] = {}
    t_log, n_log = time.perf_counter(), 0
    samples_per_s = 0.0
    step = start
    for batch in batches:
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        loss, stats = train_step(net, model, batch, loss_fn, opt, autocast, cfg.grad_clip, info if cfg.gather else None)
        sched.step()
        step += 1
        n_log += 1
        acc.setdefault("loss", []).append(float(loss.detach()))
        for pair, st in stats.items():
            acc.setdefault(f"loss_{pair}", []).append(float(st.loss.detach()))
            acc.setdefault(f"acc_{pair}", []).append(st.accuracy)
        if step % cfg.log_every == 0 or step == cfg.max_steps:
            dt = time.perf_counter() - t_log
            samples_per_s = n_log * cfg.batch_size * info.world / max(dt, 1e-9)
            row = {"step": step, "epoch": step / maker.steps_per_epoch, "lr": sched.get_last_lr()[0],
                   "temperature": float(1.0 / model.scale().detach()), "samples_per_s": samples_per_s,
                   "seconds": time.perf_counter() - t_start, **{k: sum(v) / len(v) for k, v in acc.items()}}
            if device.type == "cuda":
                row["gpu_mem_gb"] = torch.cuda.max_memory_allocated(device) / 2**30
            last_train = row
            if info.is_main:
                csv_train.write(row)
                tb.write("train", row, step)
                if on_log:
                    on_log(row)
            acc, t_log, n_log = {}, time.perf_counter(), 0
            if not math.isfinite(row["loss"]):
                raise ConfigError(f"pretraining diverged at step {step} (loss {row['loss']}); lower --lr")
        if step % cfg.eval_every == 0 and step != cfg.max_steps:
            validate(step)
        if step % cfg.save_every == 0 and step != cfg.max_steps:
            save(step)
    if step > start or not step_dirs(run):
        validate(step)
        save(step)
    if tb is not None:
        tb.close()
    ddp.cleanup(info)
    return PretrainResult(run=run, step=step, train=last_train, val=last_val, samples_per_second=samples_per_s,
                          seconds=time.perf_counter() - t_start)


#: Steps and clips per step of the quickstart's pretraining stage.
QUICKSTART_STEPS, QUICKSTART_BATCH = 300, 64


def stage_pretrain(cfg: Any, ctx: dict[str, Any]) -> dict[str, Any]:
    """Quickstart stage: the ``tiny`` model, 300 steps on ``ctx["corpus_dir"]`` (about 1-2 min on 2 cores).

    Puts the run folder (a ``kind="mujo"`` checkpoint, ``load_mujo(path)``) into ``ctx["mujo_checkpoint"]``.
    """
    corpus = ctx.get("corpus_dir")
    if corpus is None:
        return {"status": "skipped", "reason": "no corpus (the corpus stage produced none)"}
    pc = PretrainConfig(corpus=Path(corpus), out=Path(cfg.out) / "pretrain", model="tiny", max_steps=QUICKSTART_STEPS,
                        batch_size=QUICKSTART_BATCH, warmup_steps=min(30, QUICKSTART_STEPS // 2), log_every=25,
                        eval_every=100, save_every=100, seed=cfg.seed, tensorboard=False)
    res = pretrain(pc, resume=True)
    ctx["mujo_checkpoint"] = res.run
    val = {k[4:]: round(v, 3) for k, v in res.val.items() if k.startswith("acc_")}
    return {"status": "ok", "run": str(res.run), "steps": res.step, "clips_per_second": round(res.samples_per_second, 1),
            "train_loss": round(res.train.get("loss", float("nan")), 4), "val_loss": round(res.val.get("loss", float("nan")), 4),
            "val_retrieval_top1": val}


class _Steps(torch.utils.data.Dataset):
    """Map-style dataset over step indices (``batch_size=None``): item ``i`` = the batch of step ``start + i``."""

    def __init__(self, maker: BatchMaker, start: int, stop: int) -> None:
        self.maker, self.start, self.stop = maker, start, stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.maker(self.start + i)


def model_flops_per_sample(model: MujoModel, batch: dict[str, torch.Tensor]) -> float:
    """Forward + backward FLOPs per clip (3 × forward, counted by ``torch.utils.flop_counter``)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        model(batch)
    return 3.0 * counter.get_total_flops() / len(batch["imu"])


__all__ = ["PAIRS", "PretrainConfig", "PretrainResult", "lr_factor", "model_flops_per_sample", "pretrain", "stage_pretrain",
           "train_step"]
