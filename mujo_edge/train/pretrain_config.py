"""The options of ``mujo-edge pretrain`` and what a run returns; the learning-rate schedule; a run folder's saved config.

Split from :mod:`mujo_edge.train.pretrain` (which re-exports every name) so that the config can be read
without the training loop's imports.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mujo_edge.config import from_dict, load_json, to_dict
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.models.losses import TEXT_POSITIVES
from mujo_edge.train.clips import AugmentConfig
from mujo_edge.train.pool_batches import PoolAugment
from mujo_edge.train.recipes import RECIPES, corpus_imu_source

log = logging.getLogger(__name__)
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class PretrainConfig:
    """Options of ``mujo-edge pretrain`` (saved as ``config.json`` in the run folder).

    ``batch_size`` is per process (global batch = batch_size × processes); ``lr`` peaks after
    ``warmup_steps`` of linear warm-up and decays by cosine to ``lr × min_lr_ratio`` at ``max_steps``.
    ``window`` is the IMU crop (samples at the corpus rate, the SensorSpec window).

    Real unlabelled data: ``pools`` (dataset names or ``"all"``) minus ``exclude_datasets``
    (leave-one-dataset-out; never loaded) feed IMU-only batches of ``ssl_batch_size`` windows (0 = ``batch_size``)
    with ``ssl_objective`` weighted ``ssl_weight``; ``ssl_corpus_imu`` makes the corpus's virtual IMU one more
    SSL source (``None`` = the recipe's default: yes for the IMU-only baselines, no for ``mujo``); ``ssl`` overrides fields of the SSL head
    (:class:`~mujo_edge.models.ssl.SSLConfig`); ``data_dir`` overrides ``$MUJO_EDGE_DATA_DIR`` for the pools.
    ``compile``: run the training forward/backward through ``torch.compile`` (inductor; needs a C++ compiler;
    about 1.35× the clips/s of eager on one CPU core after a few minutes of compilation).
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
    text_positives: str = "clip"
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
    recipe: str = "mujo"
    pools: tuple[str, ...] = ()
    exclude_datasets: tuple[str, ...] = ()
    ssl_objective: str = "contrastive"
    ssl_weight: float = 1.0
    ssl_batch_size: int = 0
    ssl_corpus_imu: bool | None = None
    ssl: dict[str, Any] = field(default_factory=dict)
    pool_augment: PoolAugment = field(default_factory=PoolAugment)
    data_dir: Path | None = None
    compile: bool = False

    def __post_init__(self) -> None:
        if self.text_positives not in TEXT_POSITIVES:
            raise UnknownNameError("text positives", self.text_positives, TEXT_POSITIVES)
        if self.precision not in PRECISIONS:
            raise ConfigError(f"unknown precision {self.precision!r}; valid: {', '.join(PRECISIONS)}")
        recipe = RECIPES.get(self.recipe)
        if not recipe.multimodal and not self.pools and not corpus_imu_source(self.recipe, self.ssl_corpus_imu):
            raise ConfigError(f"recipe {self.recipe!r} has no SSL source: pass --pools (e.g. all)"
                              + ("" if self.ssl_corpus_imu is None else " or drop --no-ssl-corpus-imu"))
        if self.ssl_weight < 0 or self.ssl_batch_size < 0 or (self.ssl_batch_size == 1):
            raise ConfigError(f"ssl_weight must be >= 0 and ssl_batch_size 0 or >= 2, got {self.ssl_weight}, "
                              f"{self.ssl_batch_size}")
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


#: Settings that change the trajectory of a run; resuming with other values is allowed but logged.
TRAJECTORY_FIELDS = ("model", "overrides", "batch_size", "lr", "warmup_steps", "max_steps", "seed", "weight_decay",
                     "pair_weights", "text_positives", "sites", "augment", "window", "recipe", "pools", "exclude_datasets",
                     "ssl_objective", "ssl_weight", "ssl_batch_size", "ssl", "pool_augment")


def warn_changed_settings(config_json: Path, cfg: PretrainConfig) -> list[str]:
    """Log (WARNING) and return the :data:`TRAJECTORY_FIELDS` whose value differs from the saved run's config."""
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


def saved_config(run: Path) -> PretrainConfig | None:
    """The :class:`PretrainConfig` a run folder was last trained with (``None`` if it has no ``config.json``)."""
    path = Path(run) / "config.json"
    if not path.exists():
        return None
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("pretrain"), dict):
        raise ConfigError(f"{path}: not a pretraining run config (no 'pretrain' section)")
    return from_dict(PretrainConfig, data["pretrain"], where=f"{path} pretrain")
