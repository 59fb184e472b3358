"""Default pretrained weights shipped with the package (see ``MODEL_CARD.md`` in this folder).

``mujo_edge.models.load_mujo("default")`` and ``mujo-edge evaluate --checkpoint default`` use
:func:`default_checkpoint`: a ``kind="mujo"`` checkpoint folder of the ``tiny`` configuration.
"""

from __future__ import annotations

from pathlib import Path

from mujo_edge.errors import CheckpointError

DEFAULT_NAME = "mujo-tiny"
ROOT = Path(__file__).resolve().parent


def default_checkpoint() -> Path:
    """Folder of the default pretrained checkpoint; raises :class:`CheckpointError` if it is not installed."""
    path = ROOT / DEFAULT_NAME
    if not (path / "checkpoint.json").exists():
        raise CheckpointError(f"the default pretrained weights are missing from {path}; reinstall mujo-edge or pass "
                              f"a pretraining run folder (mujo-edge pretrain --out RUN)")
    return path
