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

The data position is the step counter (batches are a pure function of the step, see clips.py and
pool_batches.py), so ``resume=True`` continues a run killed at any point from its last saved step along
the same trajectory. ``recipe`` (:mod:`mujo_edge.train.recipes`) decides what is optimised: MuJo's six
pairwise losses, plus a self-supervised loss on IMU-only batches from unlabelled real pools when
``pools`` are given, or one of the IMU-only self-supervised baselines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.flop_counter import FlopCounterMode

from mujo_edge.artifacts.checkpoint import load_checkpoint
from mujo_edge.config import save_json
from mujo_edge.corpus import open_corpus
from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.errors import CheckpointError, ConfigError, MujoEdgeError
from mujo_edge.models.losses import PairStats, PairwiseInfoNCE
from mujo_edge.models.mujo import MODALITIES, PAIRS, MujoModel, create_model, model_config, save_mujo
from mujo_edge.paths import cache_dir
from mujo_edge.provenance import git_commit
from mujo_edge.train import ddp
from mujo_edge.train.clips import BatchMaker, ClipTable, fit_imu_normalization
from mujo_edge.train.logs import CsvLog, TensorBoardLog
from mujo_edge.train.pool_batches import StepBatches
from mujo_edge.train.recipes import RECIPES, corpus_imu_source, recipe_overrides, ssl_batches, ssl_objective
from mujo_edge.train.state import (
    latest_good_state,
    load_train_state,
    rank_rng_tensors,
    rng_tensors,
    save_train_state,
    step_dirs,
)

from mujo_edge.train.pretrain_config import (  # noqa: F401  (re-exported: the public pretraining API)
    PRECISIONS,
    TRAJECTORY_FIELDS,
    PretrainConfig,
    PretrainResult,
    lr_factor,
    saved_config,
    warn_changed_settings,
)

log = logging.getLogger(__name__)
def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay on weight matrices / kernels, none on biases, norms, embeddings and the logit scale."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        leaf = name.split(".")[-1]
        (no_decay if p.ndim < 2 or leaf in ("pos", "missing", "joint_emb") or ".site." in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def load_tables(cfg: PretrainConfig, spec_rate: float) -> tuple[ClipTable, ClipTable | None, dict[str, Any]]:
    """The train split (and the val split, if the corpus has one) in memory, plus the corpus meta.

    IMU-only recipes read only the IMU of the train split (their SSL source and normalization).
    """
    if not RECIPES.get(cfg.recipe).multimodal:
        train_split = open_corpus(cfg.corpus, split="train", fields=("imu",))
        full = dict(getattr(train_split, "meta", {}) or {})
        meta = {k: full[k] for k in ("format", "version", "git_commit", "config", "clips", "hours", "rate_hz", "sites")
                if k in full}
        return ClipTable.from_corpus(train_split, spec_rate, cfg.max_clips), None, meta
    train_split = open_corpus(cfg.corpus, split="train")
    full = dict(getattr(train_split, "meta", {}) or {})
    # what identifies the corpus (the shard list and per-shard details stay in its corpus.json)
    meta = {k: full[k] for k in ("format", "version", "git_commit", "config", "clips", "hours", "rate_hz",
                                 "activities", "sites", "split") if k in full}
    train = ClipTable.from_corpus(train_split, spec_rate, cfg.max_clips)
    try:
        val_split = open_corpus(cfg.corpus, split="val")
        val = ClipTable.from_corpus(val_split, spec_rate, cfg.max_clips) if len(val_split) else None
    except MujoEdgeError as exc:  # a corpus without a val split still trains
        log.warning("no validation split in %s (%s)", cfg.corpus, exc)
        val = None
    return train, val, meta


def resolve_overrides(cfg: PretrainConfig, table: ClipTable) -> dict[str, Any]:
    """Model overrides: the config's, the recipe's (SSL head, IMU-only), the corpus's joint count and modalities."""
    over = dict(cfg.overrides)
    objective = ssl_objective(cfg.recipe, cfg.pools, cfg.ssl_objective, corpus_imu_source(cfg.recipe, cfg.ssl_corpus_imu))
    over.update(recipe_overrides(cfg.recipe, objective, cfg.ssl))
    if "modalities" in over and list(over["modalities"]) == ["imu"]:
        return over
    present = {"imu": True, "pose": table.pose is not None, "video": table.video is not None, "text": bool(table.captions)}
    base = model_config(cfg.model, **over)  # validates names early
    mods = tuple(m for m in base.modalities if present[m])
    if mods != base.modalities:
        log.warning("corpus lacks %s; training %s only", [m for m in base.modalities if m not in mods], list(mods))
        over["modalities"] = list(mods)
    if table.joints is not None and "pose" in mods and base.pose.get("joints") != table.joints:
        over["pose.joints"] = table.joints
    return over


def _device(cfg: PretrainConfig) -> torch.device:
    """``cfg.device`` as a torch device; a device this machine lacks is a ConfigError naming the fix."""
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(cfg.device)
    except RuntimeError as exc:
        raise ConfigError(f"unknown --device {cfg.device!r} ({exc}); use auto, cpu, cuda or cuda:N") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {cfg.device}: torch {torch.__version__} sees no CUDA GPU on this machine; "
                              f"use --device cpu (or auto), or install a CUDA build of torch on a GPU machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"--device {cfg.device}: this machine has {torch.cuda.device_count()} CUDA device(s) "
                              f"(cuda:0 .. cuda:{torch.cuda.device_count() - 1})")
    elif device.type != "cpu":
        raise ConfigError(f"--device {cfg.device}: pretraining runs on cpu or cuda; use auto, cpu, cuda or cuda:N")
    return device


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
            _, stats = loss_fn(emb, present, out["logit_scale"].float(), batch.get("group"))
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
               gather: ddp.DistInfo | None = None, ssl_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, Any]]:
    """One optimizer step on ``batch`` (on the model's device); returns the loss and per-pair stats.

    ``net`` is ``model`` or its DDP wrapper; with ``gather`` the embeddings of every rank are
    concatenated (with gradient) before the loss, so all ranks' clips serve as negatives. When the batch
    holds SSL windows (``ssl_imu``), ``ssl_weight`` × the model's self-supervised loss is added and
    reported as stats entry ``"ssl"`` (its negatives stay within the rank).
    """
    with autocast():
        out = net(batch)
    emb = {m: out[m].float() for m in MODALITIES if m in out}
    present = {m: batch[f"has_{m}"] for m in emb}
    groups = batch.get("group")
    if gather is not None and gather.distributed:
        emb = {m: ddp.gather_with_grad(z, gather) for m, z in emb.items()}
        present = {m: ddp.gather_no_grad(v.to(torch.uint8), gather).bool() for m, v in present.items()}
        groups = None if groups is None else ddp.gather_no_grad(groups, gather)
    loss, stats = loss_fn(emb, present, out["logit_scale"].float(), groups)
    if "ssl" in out:
        l_ssl, acc = model.ssl_loss(out["ssl"], batch)
        loss = loss + ssl_weight * l_ssl
        stats["ssl"] = PairStats(l_ssl, acc, int(batch["ssl_imu"].shape[0]))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    model.clamp_logit_scale_()
    return loss, stats


@dataclass
class Run:
    """Everything one pretraining run carries from step to step (built by :func:`setup_run`).

    ``net`` is ``model`` or its DDP wrapper; ``spec`` is the IMU sensor spec saved with every
    checkpoint; ``maker`` / ``val_maker`` turn a step number into a batch (the data position is the
    step; ``maker`` merges the corpus batch and the SSL batch of the pools); ``last_train`` / ``last_val``
    are the newest log rows, saved as checkpoint metrics.
    """

    cfg: PretrainConfig
    info: ddp.DistInfo
    device: torch.device
    folder: Path
    model: MujoModel
    net: torch.nn.Module
    spec: SensorSpec
    maker: StepBatches
    val_maker: BatchMaker | None
    loss_fn: PairwiseInfoNCE
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    use_bf16: bool
    start: int
    extra: dict[str, Any]
    csv_train: CsvLog | None = None
    csv_val: CsvLog | None = None
    tb: TensorBoardLog | None = None
    last_train: dict[str, float] = field(default_factory=dict)
    last_val: dict[str, float] = field(default_factory=dict)

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        """bf16 autocast on CUDA (or when asked), a no-op context otherwise."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)


def _fill_text_cache(model: MujoModel, tables: list[ClipTable | None], info: ddp.DistInfo) -> None:
    """Rank 0 encodes every caption into the on-disk cache first; the other ranks then read it."""
    for turn in (True, False):
        if info.is_main == turn:
            for tab in tables:
                if tab is not None:
                    tab.prepare_text(model.encoders["text"], cache_dir() / "text")
        ddp.barrier(info)


def apply_config_to_resumed(opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LambdaLR,
                            cfg: PretrainConfig) -> None:
    """Make a restored optimizer and scheduler follow ``cfg`` (peak lr, weight decay) from the resume step on.

    The saved state carries the original run's values; without this, ``--resume --lr X`` would train
    with the old lr while the run's config records X.
    """
    sched.base_lrs = [cfg.lr for _ in opt.param_groups]
    lr = cfg.lr * lr_factor(sched.last_epoch, cfg)  # LambdaLR's own formula at the restored step
    for group, decays in zip(opt.param_groups, (True, False)):  # param_groups(): decayed weights first
        group["weight_decay"] = cfg.weight_decay if decays else 0.0
        group["initial_lr"] = cfg.lr
        group["lr"] = lr
    sched._last_lr = [lr for _ in opt.param_groups]  # what get_last_lr() reports (torch keeps it here)


def setup_run(cfg: PretrainConfig, resume: bool) -> Run:
    """Device and processes, corpus tables, model, sensor spec, optimizer, restored state and logs."""
    device = _device(cfg)
    info = ddp.init_distributed(device.type == "cuda")
    if device.type == "cuda" and info.distributed:
        device = torch.device("cuda", info.local_rank)
    folder = Path(cfg.out)
    state_dir = latest_good_state(folder) if resume else None
    if resume and state_dir is None and step_dirs(folder):
        raise CheckpointError(f"{folder}: no training state reads back completely (see the warnings); "
                              f"start a new run with another --out")
    if not resume and step_dirs(folder):
        raise ConfigError(f"{folder} already holds a pretraining run; pass --resume to continue it or choose another --out")

    train_tab, val_tab, corpus_meta = load_tables(cfg, DEFAULT_SPEC.rate_hz)
    overrides = resolve_overrides(cfg, train_tab)
    torch.manual_seed(cfg.seed)
    model = create_model(cfg.model, **overrides)
    if state_dir is not None:
        spec = load_checkpoint(state_dir, kinds="mujo").spec
    else:
        spec = DEFAULT_SPEC.replace(window=cfg.window, hop=max(1, cfg.window // 2), placement="any",
                                    normalization=fit_imu_normalization(train_tab, seed=cfg.seed))
    model.spec = spec
    if "text" in model.modalities:
        _fill_text_cache(model, [train_tab, val_tab], info)
    model.to(device)
    multimodal = RECIPES.get(cfg.recipe).multimodal
    corpus_maker = (BatchMaker(train_tab, spec, cfg.batch_size, cfg.seed, cfg.augment, cfg.sites, info.rank, info.world)
                    if multimodal else None)
    pool_maker, real_data = ssl_batches(cfg.recipe, cfg.pools, cfg.exclude_datasets, cfg.data_dir, model, spec, train_tab,
                                        cfg.ssl_batch_size or cfg.batch_size, cfg.seed, cfg.pool_augment, info.rank,
                                        cfg.ssl_corpus_imu, cfg.sites)
    maker = StepBatches(corpus_maker, pool_maker)
    val_maker = (BatchMaker(val_tab, spec, cfg.batch_size, cfg.seed + 1, cfg.augment, cfg.sites, train=False)
                 if multimodal and val_tab is not None and len(val_tab) >= 2 else None)
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-6, **fused)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    start, resumed_metrics, changed = 0, {}, []
    if state_dir is not None:
        meta = load_train_state(state_dir, model, opt, sched, info.rank)
        start, resumed_metrics = int(meta["step"]), meta.get("metrics") or {}
        changed = warn_changed_settings(folder / "config.json", cfg)
        apply_config_to_resumed(opt, sched, cfg)
        log.info("resumed %s at step %d", state_dir, start)
        if not meta["rng_restored"]:
            log.warning("%s holds no RNG state for rank %d (saved with fewer processes); reseeding it", state_dir, info.rank)
            torch.manual_seed(cfg.seed * 1000 + 7 + info.rank + 100_003 * start)
    else:
        if resume:
            log.info("--resume: no saved state in %s, starting from step 0", folder)
        torch.manual_seed(cfg.seed * 1000 + 7 + info.rank)  # dropout stream of this rank
    if start >= cfg.max_steps:
        log.info("run %s is already at step %d >= max_steps %d", folder, start, cfg.max_steps)

    net: torch.nn.Module = model
    if info.distributed:
        # a batch may leave a modality without any valid pair (missing data, zero pair weight): its parameters then
        # get no gradient, which plain DDP treats as an error
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                      find_unused_parameters=True)
    if cfg.compile:
        net = torch.compile(net)  # parameters stay shared with ``model``, which is what is saved and validated
    run = Run(cfg=cfg, info=info, device=device, folder=folder, model=model, net=net, spec=spec, maker=maker,
              val_maker=val_maker, loss_fn=PairwiseInfoNCE(model.cfg.pairs, cfg.pair_weights, cfg.text_positives), opt=opt, sched=sched,
              use_bf16=cfg.precision == "bf16" or (cfg.precision == "auto" and device.type == "cuda"), start=start,
              extra={"pretrain": cfg, "corpus": str(cfg.corpus), "corpus_meta": corpus_meta, "world_size": info.world,
                     "recipe": cfg.recipe, "real_data": real_data},
              last_train=dict(resumed_metrics.get("train") or {}), last_val=dict(resumed_metrics.get("val") or {}))
    if info.is_main:
        _open_logs(run, corpus_meta, len(train_tab), len(val_tab) if val_tab is not None else 0, changed)
    return run


def _open_logs(run: Run, corpus_meta: dict[str, Any], train_clips: int, val_clips: int, changed: list[str]) -> None:
    """``config.json`` (the configuration that runs from now on), the CSV logs and TensorBoard (rank 0)."""
    run.folder.mkdir(parents=True, exist_ok=True)
    history = []
    if run.start > 0:
        try:
            history = list(json.loads((run.folder / "config.json").read_text()).get("resumed", []))
        except (OSError, ValueError):
            history = []
        history.append({"step": run.start, "changed": changed})
    save_json(run.folder / "config.json", {
        "pretrain": run.cfg, "model_name": run.cfg.model, "model": run.model.cfg, "sensor_spec": run.spec,
        "world_size": run.info.world, "device": str(run.device), "precision": "bf16" if run.use_bf16 else "fp32",
        "corpus_meta": corpus_meta, "train_clips": train_clips, "val_clips": val_clips, "git_commit": git_commit(),
        "resumed": history})
    pairs = list(run.model.cfg.pairs)
    logged = pairs + (["ssl"] if run.maker.pool is not None else [])
    train_fields = (["step", "epoch", "lr", "loss", "temperature", "samples_per_s", "seconds"]
                    + [f"{k}_{p}" for p in logged for k in ("loss", "acc")]
                    + (["gpu_mem_gb"] if run.device.type == "cuda" else []))
    val_fields = ["step", "loss"] + [f"{k}_{p}" for p in pairs for k in ("loss", "acc")]
    run.csv_train, run.csv_val = CsvLog(run.folder / "train.csv", train_fields), CsvLog(run.folder / "val.csv", val_fields)
    run.csv_train.truncate_after(run.start)
    run.csv_val.truncate_after(run.start)
    run.tb = TensorBoardLog(run.folder / "tb", run.cfg.tensorboard)


def save_run(run: Run, step: int) -> None:
    """Write the resumable state of ``step`` and the run folder's checkpoint (every rank's RNG is gathered)."""
    rng = rank_rng_tensors(ddp.gather_objects(rng_tensors(), run.info))  # every rank's dropout stream
    if run.info.is_main:
        metrics = {"train": run.last_train, "val": run.last_val}

        def write_model(folder: Path) -> None:
            save_mujo(folder, run.model, run.spec, run.cfg.model, step=step, metrics=metrics, extra=run.extra)

        save_train_state(run.folder, step, write_model, run.opt, run.sched, metrics, run.cfg.keep_last, rng=rng)
        write_model(run.folder)
    ddp.barrier(run.info)


def validate_run(run: Run, step: int) -> None:
    """Score every pair on the validation split (rank 0) and log it."""
    if run.info.is_main and run.val_maker is not None:
        run.last_val = {"step": step, **evaluate_pairs(run.model, run.val_maker, run.loss_fn, run.device, run.autocast)}
        run.csv_val.write(run.last_val)
        run.tb.write("val", run.last_val, step)
        log.info("step %d val %s", step, {k: round(v, 4) for k, v in run.last_val.items()})
    ddp.barrier(run.info)


def _batches(run: Run) -> Iterator[dict[str, torch.Tensor]]:
    """The batches of steps ``start .. max_steps - 1`` (in worker processes with ``cfg.workers``)."""
    cfg = run.cfg
    if cfg.workers > 0:
        return iter(torch.utils.data.DataLoader(_Steps(run.maker, run.start, cfg.max_steps), batch_size=None,
                                                num_workers=cfg.workers, pin_memory=run.device.type == "cuda"))
    return (run.maker(s) for s in range(run.start, cfg.max_steps))


def _log_row(run: Run, step: int, acc: dict[str, list[float]], samples_per_s: float, seconds: float) -> dict[str, float]:
    """The train log row of ``step`` (means of the steps since the last row)."""
    row = {"step": step, "epoch": run.maker.epoch(step), "lr": run.sched.get_last_lr()[0],
           "temperature": float(1.0 / run.model.scale().detach()), "samples_per_s": samples_per_s,
           "seconds": seconds, **{k: sum(v) / len(v) for k, v in acc.items()}}
    if run.device.type == "cuda":
        row["gpu_mem_gb"] = torch.cuda.max_memory_allocated(run.device) / 2**30
    return row


def pretrain(cfg: PretrainConfig, resume: bool = False,
             on_log: Callable[[dict[str, Any]], None] | None = None) -> PretrainResult:
    """Run (or resume) pretraining as configured; returns the final step's metrics.

    ``on_log`` receives every train log row (rank 0), e.g. to drive a progress bar. ``cfg.threads``
    sets torch's intra-op threads for the run (restored afterwards).
    """
    t_start = time.perf_counter()
    threads_before = torch.get_num_threads()
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    try:
        run = setup_run(cfg, resume)
        step, samples_per_s = run.start, 0.0
        acc: dict[str, list[float]] = {}
        t_log, n_log = time.perf_counter(), 0
        run.net.train()
        for batch in _batches(run):
            batch = {k: v.to(run.device, non_blocking=True) for k, v in batch.items()}
            loss, stats = train_step(run.net, run.model, batch, run.loss_fn, run.opt, run.autocast, cfg.grad_clip,
                                     run.info if cfg.gather else None, cfg.ssl_weight)
            run.sched.step()
            step += 1
            n_log += 1
            acc.setdefault("loss", []).append(float(loss.detach()))
            for pair, st in stats.items():
                acc.setdefault(f"loss_{pair}", []).append(float(st.loss.detach()))
                acc.setdefault(f"acc_{pair}", []).append(st.accuracy)
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                samples_per_s = n_log * run.maker.batch_size * run.info.world / max(time.perf_counter() - t_log, 1e-9)
                run.last_train = _log_row(run, step, acc, samples_per_s, time.perf_counter() - t_start)
                if run.info.is_main:
                    run.csv_train.write(run.last_train)
                    run.tb.write("train", run.last_train, step)
                    if on_log:
                        on_log(run.last_train)
                acc, t_log, n_log = {}, time.perf_counter(), 0
                if not math.isfinite(run.last_train["loss"]):
                    raise ConfigError(f"pretraining diverged at step {step} (loss {run.last_train['loss']}); lower --lr")
            if step % cfg.eval_every == 0 and step != cfg.max_steps:
                validate_run(run, step)
            if step % cfg.save_every == 0 and step != cfg.max_steps:
                save_run(run, step)
        if step > run.start or not step_dirs(run.folder):
            validate_run(run, step)
            save_run(run, step)
        if run.tb is not None:
            run.tb.close()
        ddp.cleanup(run.info)
    finally:
        torch.set_num_threads(threads_before)
    return PretrainResult(run=run.folder, step=step, train=run.last_train, val=run.last_val,
                          samples_per_second=samples_per_s, seconds=time.perf_counter() - t_start)


class _Steps(torch.utils.data.Dataset):
    """Map-style dataset over step indices (``batch_size=None``): item ``i`` = the batch of step ``start + i``."""

    def __init__(self, maker: StepBatches, start: int, stop: int) -> None:
        self.maker, self.start, self.stop = maker, start, stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.maker(self.start + i)


def model_flops_per_sample(model: MujoModel, batch: dict[str, torch.Tensor]) -> float:
    """Forward + backward FLOPs per clip (3 × forward, counted by ``torch.utils.flop_counter``)."""
    with FlopCounterMode(display=False) as counter:
        model(batch)
    return 3.0 * counter.get_total_flops() / len(batch["imu"])


__all__ = ["PAIRS", "PretrainConfig", "PretrainResult", "Run", "lr_factor", "model_flops_per_sample", "pretrain",
           "save_run", "setup_run", "train_step", "validate_run"]
