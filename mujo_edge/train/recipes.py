"""Pretraining recipes: what a run optimises, and the real unlabelled pools it may read.

Registry :data:`RECIPES` (``mujo-edge pretrain --recipe NAME``; unknown names raise with the valid list):

* ``mujo`` — the six pairwise InfoNCE losses on the multimodal corpus; with ``--pools`` it also draws
  IMU-only batches from the real pools every step and adds ``ssl_weight`` × the ``ssl_objective``
  (default ``contrastive``) on them, sharing the IMU encoder;
* ``simclr`` / ``limu`` / ``multitask`` — the self-supervised baselines: the same IMU encoder trained
  alone on the same pools plus the corpus's virtual IMU (as one more unlabelled source), with a
  SimCLR-style contrastive, a LIMU-BERT-style masked-reconstruction or an ssl-wearables-style
  transformation-recognition objective (:mod:`mujo_edge.models.ssl`).

**Leave-one-dataset-out**: ``exclude_datasets`` are removed from the pools before anything is loaded, so a
run that excludes X never calls X's loader; the checkpoint records the pools it read and the exclusions
(:func:`real_data_record`, under ``extra["real_data"]``) and evaluation reads them back
(:func:`seen_datasets`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.data.pools import Pool, load_pool, resolve_pools
from mujo_edge.data.spec import SensorSpec
from mujo_edge.models.mujo import MujoModel
from mujo_edge.registry import Registry
from mujo_edge.train.clips import ClipTable
from mujo_edge.train.pool_batches import PoolAugment, PoolBatchMaker, PoolSampler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """One pretraining recipe.

    Attributes:
        multimodal: train the pairwise InfoNCE losses on the corpus (pose, video, text encoders built).
        ssl: the fixed SSL objective of an IMU-only recipe; ``None`` = the config's ``ssl_objective``,
            used only when pools are given.
        corpus_imu_in_pool: the corpus's virtual IMU is one more source of SSL crops.
        description: one line for ``--help`` and the docs.
    """

    multimodal: bool
    ssl: str | None
    corpus_imu_in_pool: bool
    description: str


RECIPES: Registry[Recipe] = Registry("pretraining recipe")
RECIPES.add("mujo", Recipe(True, None, False, "MuJo: six-pair InfoNCE on the corpus, plus an SSL objective on the "
                                              "real pools when --pools is given"))
RECIPES.add("simclr", Recipe(False, "contrastive", True, "SimCLR-style contrastive SSL of the IMU encoder alone"))
RECIPES.add("limu", Recipe(False, "masked", True, "LIMU-BERT-style masked reconstruction of the IMU encoder alone"))
RECIPES.add("multitask", Recipe(False, "transform", True, "multi-task transformation recognition (ssl-wearables "
                                                          "style) of the IMU encoder alone"))


def corpus_imu_source(recipe: str, override: bool | None) -> bool:
    """Whether the corpus's virtual IMU is an SSL source: ``override`` when given, else the recipe's default."""
    return RECIPES.get(recipe).corpus_imu_in_pool if override is None else bool(override)


def ssl_objective(recipe: str, pools: tuple[str, ...], configured: str, corpus_imu: bool = False) -> str | None:
    """The SSL objective a run trains: the recipe's own, else ``configured`` when there is an SSL source (real pools,
    or the corpus IMU with ``corpus_imu``), else none."""
    r = RECIPES.get(recipe)
    if r.ssl is not None:
        return r.ssl
    return configured if pools or corpus_imu else None


def recipe_overrides(recipe: str, objective: str | None, ssl_fields: Mapping[str, Any]) -> dict[str, Any]:
    """Model-config overrides of a recipe: the SSL head (``ssl``) and, for IMU-only recipes, ``modalities``."""
    over: dict[str, Any] = {}
    if objective is not None:
        over["ssl"] = {"objective": objective, **dict(ssl_fields)}
    if not RECIPES.get(recipe).multimodal:
        over["modalities"] = ["imu"]
    return over


def load_pools(names: tuple[str, ...], exclude: tuple[str, ...], spec: SensorSpec,
               data_root: str | Path | None = None) -> list[Pool]:
    """The pools of ``names`` minus ``exclude`` (``"all"`` expands); an excluded dataset's loader is never called."""
    chosen = resolve_pools(names, exclude)
    if exclude:
        log.info("leave-one-dataset-out: %s excluded; pools %s", ", ".join(exclude), ", ".join(chosen) or "none")
    return [load_pool(n, spec, data_root) for n in chosen]


def real_data_record(pools: list[Pool], requested: tuple[str, ...], exclude: tuple[str, ...], window: int,
                     hop: int) -> dict[str, Any]:
    """What a checkpoint records about real data: pools read (hours, windows, subjects), what was excluded."""
    return {"pools": [p.dataset for p in pools], "requested": list(requested), "excluded": list(exclude),
            "labels_read": False,
            "pool_stats": {p.dataset: {"placement": p.placement, "hours": round(p.hours, 3),
                                       "windows": p.n_windows(window, hop), "recordings": int(len(p.bounds)),
                                       "subjects": int(len(set(p.subjects.tolist()))),
                                       "gyro": bool(p.channel_mask[3:].all())} for p in pools}}


def seen_datasets(extra: Mapping[str, Any]) -> tuple[str, ...]:
    """Real datasets whose windows a pretrained checkpoint saw (from its ``extra["real_data"]``; none if absent)."""
    rec = extra.get("real_data") if isinstance(extra, Mapping) else None
    if not isinstance(rec, Mapping):
        return ()
    return tuple(str(p) for p in rec.get("pools", ()))


def ssl_batches(recipe: str, pools: tuple[str, ...], exclude: tuple[str, ...], data_root: str | Path | None,
                model: MujoModel, spec: SensorSpec, corpus: ClipTable, batch_size: int, seed: int,
                augment: PoolAugment, rank: int = 0, corpus_imu: bool | None = None,
                sites: tuple[str, ...] = ()) -> tuple[PoolBatchMaker | None, dict[str, Any]]:
    """The SSL batch maker of a run (None when the model has no SSL head) and its checkpoint's real-data record.

    Pools of ``exclude`` are never loaded (leave-one-dataset-out); the ``corpus`` IMU is one more source of
    crops when :func:`corpus_imu_source` says so (IMU-only recipes by default; ``mujo`` with ``corpus_imu=True``),
    from its ``sites`` only when given (``pretrain --sites``, the same sites as the corpus batches).
    """
    loaded = load_pools(pools, exclude, spec, data_root) if pools else []
    record = real_data_record(loaded, pools, exclude, spec.window, spec.hop)
    if model.ssl_cfg is None:
        if loaded:
            log.warning("pools %s are loaded but the model has no SSL head; they are not used", record["pools"])
        return None, record
    crop = int(math.ceil(spec.window * (1.0 + max(augment.warp, augment.strong_warp)))) + 2
    sampler = PoolSampler(loaded, crop, corpus if corpus_imu_source(recipe, corpus_imu) else None, tuple(sites))
    record["ssl_sources"] = list(sampler.names)
    return PoolBatchMaker(sampler, spec, model.ssl_cfg, batch_size, seed, augment, rank), record
