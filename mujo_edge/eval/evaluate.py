"""``mujo-edge evaluate``: does MuJo pretraining help on real sensors? Subject-wise, at label fractions.

Every run goes through the protocol of ``evaluation_protocol.md`` (:func:`mujo_edge.data.protocol.fold_data`
and :func:`mujo_edge.train.supervised.train_supervised`), so all numbers are comparable with the
published scratch-CNN reference: the same folds, test subjects, nested label fractions, optimizer,
budget (1200 steps) and early stopping for every trained network (the linear probe is a convex fit solved
to convergence instead, :mod:`mujo_edge.eval.probe`). Modes (registry :data:`MODES`):

* ``scratch``  — the MuJo IMU encoder architecture from random init + linear head, all weights trained;
* ``linear``   — the pretrained IMU encoder frozen (BatchNorm statistics re-estimated on the fold's
  unlabelled training windows, see :func:`mode_linear`); an L2 logistic regression on its standardized
  features, penalty chosen on the validation subjects;
* ``finetune`` — the pretrained IMU encoder + a new linear head, all weights trained;
* ``cnn``      — the protocol's CNN baseline (reference);
* ``simclr``, ``limu``, ``multitask`` — fine-tuning (as ``finetune``) of an IMU-only self-supervised baseline
  checkpoint given with ``baselines`` (registered in :mod:`mujo_edge.eval.baselines`).

Checkpoints may be templates with ``{dataset}`` (one leave-one-dataset-out checkpoint per dataset, see
:mod:`mujo_edge.eval.checkpoints`); every pretrained result records whether its checkpoint saw unlabelled
windows of the dataset it is scored on (``seen_in_pretraining``). With ``adaptive_seeds`` the grid first
runs seed 0, then seeds ``1..seeds-1`` for every (dataset, fraction) whose reported differences are under
2 points (:func:`mujo_edge.eval.report.close_cells`).

Normalization: ``scratch`` and ``cnn`` use the protocol's per-fold standardization. The pretrained
modes use, by default, the normalization stored in the checkpoint's SensorSpec (``"pretrain"``):
the encoder's first layer learned the scale and offsets of physical units under that normalization
(gravity's offset included), the deployed model sees the same, and zero-shot needs it. ``"fold"``
(the protocol's statistics) is available for comparison.

One run = (dataset, fold, fraction, mode, seed); its result is cached as JSON under
``OUT/runs/`` keyed by everything that changes it, so an interrupted evaluation resumes and ``--jobs N``
runs N single-threaded processes in parallel. Zero-shot (no labels) runs once per fold.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mujo_edge.config import save_json
from mujo_edge.data.fractions import DEFAULT_FRACTIONS, check_fraction
from mujo_edge.data.prepare import prepare
from mujo_edge.data.protocol import FoldData, fold_data
from mujo_edge.data.spec import DEFAULT_SPEC, Normalization, SensorSpec
from mujo_edge.data.splits import Fold, subject_kfold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import ConfigError
from mujo_edge.eval import report
from mujo_edge.eval.checkpoints import BASELINE_MODES, checkpoint_for, seen_in_pretraining
from mujo_edge.eval.heads import HEAD_INITS, adapt_batchnorm, init_head_from_probe, init_head_from_text
from mujo_edge.eval.probe import L2_GRID, fit_linear_probe
from mujo_edge.eval.targets import check_targets, targets_markdown
from mujo_edge.eval.zeroshot import zero_shot_fold
from mujo_edge.metrics import scores
from mujo_edge.models.classifiers import build_classifier
from mujo_edge.models.inference import predict_features, predict_logits
from mujo_edge.models.mujo import ImuClassifier, ImuClassifierConfig, MujoModel, load_mujo, model_config
from mujo_edge.provenance import atomic_write_text, git_commit, sha256_file
from mujo_edge.registry import Registry
from mujo_edge.train.supervised import SupervisedConfig, train_supervised

log = logging.getLogger(__name__)

NORMALIZATIONS = ("pretrain", "fold")
PRETRAINED_MODES = ("linear", "finetune")


@dataclass(frozen=True)
class EvaluateConfig:
    """Options of ``mujo-edge evaluate`` (saved as ``config.json`` in ``out``).

    ``checkpoint``: a ``kind="mujo"`` checkpoint folder or ``"default"`` (needed by linear, finetune,
    zero-shot and, for its architecture, scratch; without one scratch uses ``model``'s architecture).
    ``seeds``: seeds ``0..seeds-1`` (fraction sampling and model init). ``folds``: fold indices (empty = all ``k``).
    ``checkpoint`` and the ``baselines`` (``{mode: checkpoint}`` for the SSL-baseline modes) may contain
    ``{dataset}``. ``adaptive_seeds``: seed 0 everywhere, the other seeds only where a reported difference is
    under 2 points. ``finetune_lr_scale`` (encoder learning rate factor) changes ``finetune`` and the SSL-baseline modes
    alike; ``finetune_head_init`` (:mod:`mujo_edge.eval.heads`): ``probe`` (LP-FT) changes both, ``text`` (MuJo's
    zero-shot classifier as the starting head) only ``finetune`` (the baselines have no text encoder).
    """

    datasets: tuple[str, ...] = ("motionsense",)
    checkpoint: str | None = "default"
    model: str = "tiny"
    fractions: tuple[float, ...] = DEFAULT_FRACTIONS
    modes: tuple[str, ...] = ("scratch", "linear", "finetune")
    seeds: int = 3
    folds: tuple[int, ...] = ()
    k: int = 5
    normalization: str = "pretrain"
    linear_adapt_bn: bool = True
    zero_shot: bool = True
    max_steps: int = 1200
    finetune_lr_scale: float = 1.0
    finetune_head_init: str = "random"
    jobs: int = 1
    out: Path = Path("eval")
    data_dir: Path | None = None
    verify: bool = True
    window: int | None = None
    hop: int | None = None
    purity: float | None = None
    baselines: dict[str, str] = field(default_factory=dict)
    adaptive_seeds: bool = False

    def __post_init__(self) -> None:
        for m in self.modes:
            MODES.get(m)
            if m in BASELINE_MODES and m not in self.baselines:
                raise ConfigError(f"mode {m!r} fine-tunes an SSL baseline: pass --baseline {m}=CHECKPOINT")
        for m in self.baselines:
            if m not in BASELINE_MODES:
                raise ConfigError(f"unknown SSL baseline {m!r}; valid: {', '.join(BASELINE_MODES)}")
        for p in self.fractions:
            check_fraction(p)
        if self.normalization not in NORMALIZATIONS:
            raise ConfigError(f"unknown normalization {self.normalization!r}; valid: {', '.join(NORMALIZATIONS)}")
        for name in ("seeds", "jobs", "max_steps", "k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}")
        if not self.finetune_lr_scale > 0:
            raise ConfigError(f"finetune_lr_scale must be > 0, got {self.finetune_lr_scale!r}")
        if self.finetune_head_init not in HEAD_INITS:
            raise ConfigError(f"unknown finetune_head_init {self.finetune_head_init!r}; valid: {', '.join(HEAD_INITS)}")
        if not self.datasets:
            raise ConfigError("no dataset given; see `mujo-edge data list` for the valid names")
        for name, values in (("fractions", self.fractions), ("modes", self.modes), ("datasets", self.datasets),
                             ("folds", self.folds)):
            repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
            if repeated:
                raise ConfigError(f"{name} repeat {repeated}; give each once")
        if self.checkpoint is None and (any(m in PRETRAINED_MODES for m in self.modes) or self.zero_shot):
            raise ConfigError("modes linear/finetune and zero-shot need --checkpoint (a pretraining run or 'default')")


@dataclass(frozen=True)
class Task:
    """One run of the evaluation grid (``mode="zeroshot"`` has fraction 0 and seed 0)."""

    dataset: str
    fold: int
    fraction: float
    mode: str
    seed: int

    @property
    def name(self) -> str:
        """File-system name of the run."""
        return f"{self.dataset}/fold{self.fold}/{self.mode}/frac{self.fraction:g}_seed{self.seed}"


@dataclass
class Context:
    """What a worker loads once per dataset: windows, folds, the pretrained model, its weights hash."""

    cfg: EvaluateConfig
    windows: dict[str, WindowSet] = field(default_factory=dict)
    folds: dict[str, list[Fold]] = field(default_factory=dict)
    mujo: dict[str, MujoModel] = field(default_factory=dict)
    shas: dict[str, str] = field(default_factory=dict)
    linear_encoders: dict[tuple[str, int], ImuClassifier] = field(default_factory=dict)

    def dataset(self, name: str) -> tuple[WindowSet, list[Fold]]:
        """Prepared windows and the k subject folds of ``name``."""
        if name not in self.windows:
            # the checkpoint's rate / window / hop (normalization is applied per mode, not here)
            # (window, hop and purity may be set for activities shorter than the pretraining window)
            spec = (self.model(name).spec if self.cfg.checkpoint is not None else DEFAULT_SPEC).replace(
                normalization=Normalization(), placement="any",
                **{k: v for k, v in (("window", self.cfg.window), ("hop", self.cfg.hop), ("purity", self.cfg.purity))
                   if v is not None})
            ws = prepare(name, spec, data_root=self.cfg.data_dir, verify=self.cfg.verify)
            self.windows[name] = ws
            self.folds[name] = subject_kfold(ws.subject_ids, k=self.cfg.k, seed=0)
        return self.windows[name], self.folds[name]

    def checkpoint(self, dataset: str | None = None, source: str = "mujo") -> Path:
        """Checkpoint folder of ``source`` (``"mujo"`` = ``cfg.checkpoint``, or an SSL-baseline mode) for ``dataset``."""
        template = self.cfg.checkpoint if source == "mujo" else self.cfg.baselines.get(source)
        if template is None:
            raise ConfigError(f"no checkpoint for {source!r}; pass --checkpoint or --baseline {source}=CHECKPOINT")
        return checkpoint_for(template, dataset)

    def model(self, dataset: str | None = None, source: str = "mujo") -> MujoModel:
        """The pretrained model of ``source`` for ``dataset`` (each checkpoint loaded once)."""
        path = self.checkpoint(dataset, source)
        if str(path) not in self.mujo:
            self.mujo[str(path)] = load_mujo(path)
            self.shas[str(path)] = sha256_file(path / "model.safetensors")
        return self.mujo[str(path)]

    def weights_sha(self, dataset: str | None = None, source: str = "mujo") -> str:
        """sha256 of the weights of :meth:`model` ``(dataset, source)``."""
        self.model(dataset, source)
        return self.shas[str(self.checkpoint(dataset, source))]


ModeFn = Callable[[Context, Task, WindowSet, Fold], dict[str, Any]]
#: Evaluation modes: ``fn(ctx, task, windowset, fold) -> result dict``.
MODES: Registry[ModeFn] = Registry("evaluation mode")


def _data(ctx: Context, task: Task, ws: WindowSet, fold: Fold, pretrained: bool, source: str = "mujo") -> FoldData:
    fd = fold_data(ws, fold, task.fraction, task.seed)
    if pretrained and ctx.cfg.normalization == "pretrain":
        spec = ctx.model(task.dataset, source).spec
        fd.x_fit, fd.x_val, fd.x_test = (spec.renormalize(a, fd.spec) for a in (fd.x_fit, fd.x_val, fd.x_test))
        fd.spec = spec.replace(placement=ws.placement)
    return fd


def _scratch_arch(ctx: Context, dataset: str) -> dict[str, Any]:
    """IMU encoder config of ``scratch``: the checkpoint's architecture, else the named model config's."""
    return (dict(ctx.model(dataset).cfg.imu) if ctx.cfg.checkpoint is not None
            else dict(model_config(ctx.cfg.model).imu))


def _imu_classifier(ctx: Context, ws: WindowSet, pretrained: bool, source: str = "mujo") -> ImuClassifier:
    mask = tuple(bool(c) for c in ws.channel_mask)
    if pretrained:
        return ImuClassifier.from_mujo(ctx.model(ws.dataset, source), ws.num_classes, ws.placement, mask)
    return ImuClassifier(ImuClassifierConfig(imu=_scratch_arch(ctx, ws.dataset), num_classes=ws.num_classes,
                                             placement=ws.placement, channel_mask=mask))


def _fit_and_score(model: nn.Module, fd: FoldData, task: Task, ctx: Context,
                   params: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:
    res = train_supervised(model, fd.x_fit, fd.y_fit, fd.x_val, fd.y_val, fd.num_classes,
                           SupervisedConfig(max_steps=ctx.cfg.max_steps, seed=task.seed), params=params)
    pred = predict_logits(model, fd.x_test).argmax(1)
    return {**scores(fd.y_test, pred, fd.num_classes), "best_val_f1": res.best_val_f1, "best_step": res.best_step,
            "steps": res.steps, "n_fit": int(len(fd.y_fit)), "n_val": int(len(fd.y_val)), "n_test": int(len(fd.y_test))}


@MODES.register("scratch")
def mode_scratch(ctx: Context, task: Task, ws: WindowSet, fold: Fold) -> dict[str, Any]:
    """The MuJo IMU encoder architecture from random init (seed = fraction seed), all weights trained."""
    fd = _data(ctx, task, ws, fold, pretrained=False)
    torch.manual_seed(task.seed)
    return _fit_and_score(_imu_classifier(ctx, ws, pretrained=False), fd, task, ctx)


@MODES.register("cnn")
def mode_cnn(ctx: Context, task: Task, ws: WindowSet, fold: Fold) -> dict[str, Any]:
    """The protocol's CNN baseline."""
    fd = _data(ctx, task, ws, fold, pretrained=False)
    torch.manual_seed(task.seed)
    return _fit_and_score(build_classifier("cnn", in_channels=ws.x.shape[2], num_classes=ws.num_classes), fd, task, ctx)


@MODES.register("finetune")
def mode_finetune(ctx: Context, task: Task, ws: WindowSet, fold: Fold) -> dict[str, Any]:
    """Pretrained IMU encoder + new linear head, all weights trained (encoder lr × ``finetune_lr_scale``)."""
    return finetune_from(ctx, task, ws, fold, "mujo")


def finetune_from(ctx: Context, task: Task, ws: WindowSet, fold: Fold, source: str) -> dict[str, Any]:
    """``finetune`` of the IMU encoder of checkpoint ``source`` (``"mujo"`` or an SSL-baseline mode)."""
    fd = _data(ctx, task, ws, fold, pretrained=True, source=source)
    torch.manual_seed(task.seed)
    model = _imu_classifier(ctx, ws, pretrained=True, source=source)
    if ctx.cfg.finetune_head_init == "probe":
        init_head_from_probe(model, fd, unlabelled_training_windows(ws, fold, fd.spec))
    elif ctx.cfg.finetune_head_init == "text" and source == "mujo":  # the IMU-only baselines have no text encoder
        init_head_from_text(model, ctx.model(ws.dataset), fd, ws.dataset, unlabelled_training_windows(ws, fold, fd.spec))
    lr = SupervisedConfig().lr
    params = [{"params": model.encoder.parameters(), "lr": lr * ctx.cfg.finetune_lr_scale},
              {"params": model.head.parameters(), "lr": lr}]
    return _fit_and_score(model, fd, task, ctx, params=params)


def unlabelled_training_windows(ws: WindowSet, fold: Fold, spec: SensorSpec) -> np.ndarray:
    """Every window ``(N, T, C)`` of the fold's training subjects (fit + validation, every label fraction), normalized
    with ``spec``: what BatchNorm statistics are re-estimated on (labels not read)."""
    idx = fold.indices(ws)
    return spec.normalize(ws.x[np.concatenate([idx["fit"], idx["val"]])])


def _linear_encoder(ctx: Context, task: Task, ws: WindowSet, fold: Fold, spec: SensorSpec) -> ImuClassifier:
    """The frozen pretrained encoder of ``linear``, BN statistics adapted to the fold's training subjects (cached)."""
    key = (task.dataset, task.fold)
    if key not in ctx.linear_encoders:
        enc = _imu_classifier(ctx, ws, pretrained=True)
        if ctx.cfg.linear_adapt_bn:
            adapt_batchnorm(enc, unlabelled_training_windows(ws, fold, spec))
        ctx.linear_encoders[key] = enc.eval()
    return ctx.linear_encoders[key]


@MODES.register("linear")
def mode_linear(ctx: Context, task: Task, ws: WindowSet, fold: Fold) -> dict[str, Any]:
    """Frozen pretrained encoder; a linear probe on its features (:mod:`mujo_edge.eval.probe`).

    With ``linear_adapt_bn`` (default) the encoder's BatchNorm statistics are first re-estimated on all
    windows of the fold's training subjects (fit + validation, no labels; the same windows the protocol
    fits its standardization on): the weights stay frozen, only the feature statistics move from the
    simulated corpus to the real sensor (AdaBN). The probe is an L2 logistic regression on standardized
    features, solved to convergence, its penalty chosen on the validation subjects.
    """
    fd = _data(ctx, task, ws, fold, pretrained=True)
    enc = _linear_encoder(ctx, task, ws, fold, fd.spec)
    f_fit, f_val, f_test = (predict_features(enc, a) for a in (fd.x_fit, fd.x_val, fd.x_test))
    probe = fit_linear_probe(f_fit, fd.y_fit, f_val, fd.y_val, ws.num_classes)
    return {**scores(fd.y_test, probe.predict(f_test), fd.num_classes), "best_val_f1": probe.val_f1,
            "probe_l2": probe.l2, "probe_iterations": probe.iterations, "n_fit": int(len(fd.y_fit)),
            "n_val": int(len(fd.y_val)), "n_test": int(len(fd.y_test))}


def pretrained_source(mode: str) -> str | None:
    """Which checkpoint a mode reads: ``"mujo"`` (``--checkpoint``), an SSL-baseline mode's own, or none."""
    if mode in PRETRAINED_MODES or mode == "zeroshot":
        return "mujo"
    return mode if mode in BASELINE_MODES else None


def task_key(ctx: Context, task: Task) -> str:
    """Hash of everything that changes a run's result (settings, checkpoint weights, data spec)."""
    cfg = ctx.cfg
    ws, _ = ctx.dataset(task.dataset)
    source = pretrained_source(task.mode)
    pre = source is not None
    payload = {"task": task.name, "max_steps": cfg.max_steps, "k": cfg.k, "spec": ws.spec.key(), "n": len(ws),
               "weights": ctx.weights_sha(task.dataset, source) if pre else "",  # scratch: the architecture only
               "arch": _scratch_arch(ctx, task.dataset) if task.mode == "scratch" else None,
               "norm": cfg.normalization if pre else "fold",
               "ft_lr": cfg.finetune_lr_scale if task.mode == "finetune" or task.mode in BASELINE_MODES else 1.0,
               "adapt_bn": cfg.linear_adapt_bn if task.mode == "linear" else None, "version": 1}
    head_modes = ("finetune", *BASELINE_MODES) if cfg.finetune_head_init == "probe" else ("finetune",)
    if cfg.finetune_head_init != "random" and task.mode in head_modes:
        payload["head_init"] = cfg.finetune_head_init  # added only when set: the random-head runs keep their cache
    if task.mode == "linear":  # only the probe's runs change with it (other modes keep their cached results)
        payload["probe"] = {"solver": "lbfgs-logreg", "l2_grid": list(L2_GRID)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def run_task(ctx: Context, task: Task) -> dict[str, Any]:
    """Run one task (or read its cached result) and cache it under ``cfg.out/runs``."""
    key = task_key(ctx, task)
    path = Path(ctx.cfg.out) / "runs" / f"{task.name}.json"
    if path.exists():
        try:
            cached = json.loads(path.read_text())
            if cached.get("key") == key:
                return cached
        except json.JSONDecodeError:
            log.warning("ignoring unreadable cached result %s", path)
    ws, folds = ctx.dataset(task.dataset)
    t0 = time.perf_counter()
    if task.mode == "zeroshot":
        res = zero_shot_fold(ctx.model(task.dataset), ws, folds[task.fold])
    else:
        res = MODES.get(task.mode)(ctx, task, ws, folds[task.fold])
    source = pretrained_source(task.mode)
    seen = seen_in_pretraining(ctx.checkpoint(task.dataset, source), task.dataset) if source else False
    present = sorted({int(v) for v in ws.y[folds[task.fold].indices(ws)["test"]]})
    out = {"key": key, "dataset": task.dataset, "fold": task.fold, "fraction": task.fraction, "mode": task.mode,
           "seed": task.seed, **res, "seen_in_pretraining": seen, "seconds": time.perf_counter() - t0,
           "test_classes": len(present),
           "missing_test_classes": [ws.class_names[k] for k in range(ws.num_classes) if k not in present]}
    if out["missing_test_classes"]:
        log.warning("%s fold %d: the test subjects have no window of %s; macro F1 is over the %d classes present",
                    task.dataset, task.fold, out["missing_test_classes"], len(present))
    atomic_write_text(path, json.dumps(out, indent=1) + "\n")
    return out


def tasks_of(cfg: EvaluateConfig, n_folds: dict[str, int]) -> list[Task]:
    """The whole grid, costliest first (large fractions) so parallel jobs finish together."""
    tasks = []
    for ds in cfg.datasets:
        folds = cfg.folds or tuple(range(n_folds[ds]))
        for f in folds:
            if not 0 <= f < n_folds[ds]:
                raise ConfigError(f"fold {f} does not exist; {ds} has folds 0..{n_folds[ds] - 1}")
            if cfg.zero_shot:
                tasks.append(Task(ds, f, 0.0, "zeroshot", 0))
            seeds = range(1) if cfg.adaptive_seeds else range(cfg.seeds)
            tasks += [Task(ds, f, p, m, s) for p in cfg.fractions for m in cfg.modes for s in seeds]
    return sorted(tasks, key=lambda t: -t.fraction)


def more_seed_tasks(cfg: EvaluateConfig, results: list[dict[str, Any]], n_folds: dict[str, int]) -> list[Task]:
    """``adaptive_seeds``: the runs of seeds ``1..seeds-1`` for every (dataset, fraction, modes) whose reported
    differences are under 2 points (:func:`mujo_edge.eval.report.close_cells`), costliest first."""
    done = {(r["dataset"], r["fold"], r["fraction"], r["mode"], r["seed"]) for r in results}
    tasks = []
    for ds, p, modes in report.close_cells(results, cfg):
        for f in cfg.folds or range(n_folds[ds]):
            tasks += [Task(ds, f, p, m, s) for m in modes for s in range(1, cfg.seeds)
                      if (ds, f, p, m, s) not in done]
    return sorted(set(tasks), key=lambda t: (-t.fraction, t.name))


_WORKER: dict[str, Context] = {}


def _worker_init(cfg: EvaluateConfig) -> None:
    torch.set_num_threads(1)
    _WORKER["ctx"] = Context(cfg)


def _worker_run(task: Task) -> dict[str, Any]:
    return run_task(_WORKER["ctx"], task)


def run_evaluation(cfg: EvaluateConfig, on_result: Callable[[dict[str, Any], int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) the whole grid; write ``results.json``, ``report.md``, ``targets.md`` (the issue's target check,
    :mod:`mujo_edge.eval.targets`) and ``f1_vs_fraction.png`` to ``cfg.out``.

    Returns the report dict (see :func:`mujo_edge.eval.report.summarize`). ``on_result(result, done, total)``
    is called after every run.
    """
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_json(out / "config.json", {"evaluate": cfg, "git_commit": git_commit()})
    ctx = Context(cfg)
    n_folds = {ds: len(ctx.dataset(ds)[1]) for ds in cfg.datasets}
    results = _run_tasks(ctx, tasks_of(cfg, n_folds), on_result)
    for _ in range(3 if cfg.adaptive_seeds and cfg.seeds > 1 else 0):  # a new seed can move another cell under 2 points
        extra = more_seed_tasks(cfg, results, n_folds)
        if not extra:
            break
        log.info("adaptive seeds: %d more runs where a reported difference is under 2 points", len(extra))
        results += _run_tasks(ctx, extra, on_result)
    meta = {"checkpoint": cfg.checkpoint, "baselines": dict(cfg.baselines),
            "weights_sha256": {ds: ctx.weights_sha(ds) for ds in cfg.datasets} if cfg.checkpoint else None,
            # the SSL baselines' weights, per mode run and dataset (what merging parts of a grid checks them by)
            "baseline_weights_sha256": {m: {ds: ctx.weights_sha(ds, m) for ds in cfg.datasets}
                                        for m in cfg.modes if m in BASELINE_MODES},
            "normalization": cfg.normalization, "git_commit": git_commit()}
    summary = report.summarize(results, cfg, meta)
    report.write_report(summary, out)
    atomic_write_text(out / "targets.md", targets_markdown(check_targets(summary)) + "\n")
    return summary


def _run_tasks(ctx: Context, tasks: list[Task], on_result: Callable[[dict[str, Any], int, int], None] | None
               ) -> list[dict[str, Any]]:
    """Run ``tasks`` (one process, or ``cfg.jobs`` single-threaded workers) and return their results."""
    cfg = ctx.cfg
    results: list[dict[str, Any]] = []
    if cfg.jobs == 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one thread per run, as in the protocol (and in --jobs N workers)
        try:
            for t in tasks:
                results.append(run_task(ctx, t))
                if on_result:
                    on_result(results[-1], len(results), len(tasks))
        finally:
            torch.set_num_threads(threads)
    else:
        with ProcessPoolExecutor(cfg.jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                                 initargs=(cfg,)) as pool:
            futures = [pool.submit(_worker_run, t) for t in tasks]
            for fut in as_completed(futures):
                results.append(fut.result())
                if on_result:
                    on_result(results[-1], len(results), len(tasks))
    return results
