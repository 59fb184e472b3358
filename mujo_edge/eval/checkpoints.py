"""Which pretrained checkpoint scores which dataset, and whether that checkpoint saw the dataset.

A checkpoint argument is a folder, ``"default"`` (the packaged weights) or a **template** holding
``{dataset}``: ``runs/lodo/mujo-no-{dataset}`` names one checkpoint per dataset, the way leave-one-
dataset-out results are produced (the checkpoint used for dataset X was pretrained with
``--exclude-dataset X``). Pretraining records the real pools a checkpoint read
(:func:`mujo_edge.train.recipes.seen_datasets`); :func:`seen_in_pretraining` reads it back so every
result says whether its model saw windows of the dataset it is scored on (the honesty rule: a figure
for X comes from a model that saw no window of X; such results are flagged, and the report marks them).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from mujo_edge.artifacts.checkpoint import load_checkpoint
from mujo_edge.errors import ConfigError
from mujo_edge.models.mujo import CHECKPOINT_KIND, resolve_checkpoint
from mujo_edge.train.recipes import RECIPES, seen_datasets

log = logging.getLogger(__name__)

PLACEHOLDER = "{dataset}"
#: Modes of ``evaluate`` that fine-tune an IMU-only self-supervised baseline (one per IMU-only recipe).
BASELINE_MODES: tuple[str, ...] = tuple(r for r in RECIPES.names() if not RECIPES.get(r).multimodal)


def checkpoint_for(template: str, dataset: str | None) -> Path:
    """The checkpoint folder of ``dataset`` named by ``template`` (``{dataset}`` replaced; ``default`` resolved)."""
    if PLACEHOLDER in template:
        if dataset is None:
            raise ConfigError(f"checkpoint {template!r} depends on the dataset; no dataset given")
        template = template.replace(PLACEHOLDER, dataset)
    return resolve_checkpoint(template)


@lru_cache(maxsize=64)
def _seen(path: str) -> tuple[str, ...]:
    return seen_datasets(load_checkpoint(Path(path), kinds=CHECKPOINT_KIND).extra)


def seen_in_pretraining(path: str | Path, dataset: str) -> bool:
    """Whether the checkpoint at ``path`` read unlabelled windows of ``dataset`` in pretraining (logged if so)."""
    seen = dataset in _seen(str(Path(path).resolve()))
    if seen:
        log.warning("%s was pretrained on unlabelled windows of %s: its results on %s are not transfer figures "
                    "(use a checkpoint pretrained with --exclude-dataset %s)", path, dataset, dataset, dataset)
    return seen


def parse_baselines(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["simclr=runs/simclr-no-{dataset}", ...]`` → ``{mode: checkpoint template}``; unknown modes raise."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--baseline expects MODE=CHECKPOINT (modes: {', '.join(BASELINE_MODES)}), got {item!r}")
        mode, path = (p.strip() for p in item.split("=", 1))
        if mode not in BASELINE_MODES:
            raise ConfigError(f"unknown SSL baseline {mode!r}; valid: {', '.join(BASELINE_MODES)}")
        out[mode] = path
    return out
