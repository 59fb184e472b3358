"""Pretrained weights shipped with the package (see ``MODEL_CARD.md`` in this folder).

Two ``kind="mujo"`` checkpoint folders of the ``tiny`` configuration, named like paths wherever a
checkpoint is accepted (``load_mujo("default")``, ``evaluate --checkpoint sim-only``, ``distill --teacher``):

* ``default`` (folder ``mujo-tiny``): the product model, pretrained on a simulated corpus **and** the
  unlabelled real pools of every dataset in :data:`mujo_edge.data.pools.POOL_DATASETS` (labels never read).
  It has seen those datasets' windows, so ``evaluate`` flags its scores on them as not transfer figures.
* ``sim-only`` (folder ``mujo-tiny-sim``): the earlier default, simulated clips only; it has seen no real
  recording, so it can be scored honestly on any dataset.
"""

from __future__ import annotations

from pathlib import Path

from mujo_edge.errors import CheckpointError

#: name → folder (under this package) of the packaged checkpoints
PACKAGED: dict[str, str] = {"default": "mujo-tiny", "sim-only": "mujo-tiny-sim"}
ROOT = Path(__file__).resolve().parent


def packaged_checkpoint(name: str) -> Path:
    """Folder of the packaged checkpoint ``name`` (a key of :data:`PACKAGED`).

    Raises :class:`CheckpointError` for an unknown name (listing the valid ones) or a folder missing from
    the installation.
    """
    if name not in PACKAGED:
        raise CheckpointError(f"unknown packaged checkpoint {name!r}; valid names: {', '.join(PACKAGED)} "
                              f"(or pass a pretraining run folder)")
    path = ROOT / PACKAGED[name]
    if not (path / "checkpoint.json").exists():
        raise CheckpointError(f"the packaged pretrained weights {name!r} are missing from {path}; reinstall "
                              f"mujo-edge or pass a pretraining run folder (mujo-edge pretrain --out RUN)")
    return path

