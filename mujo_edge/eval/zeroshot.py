"""Zero-shot activity recognition: real IMU windows classified by similarity to class-text embeddings.

For each class of a dataset, prompts are built from its name and, where the canonical activity
vocabulary (:mod:`mujo_edge.activities`) maps it, the activity's title and descriptions. The class
embedding is the re-normalised mean of the prompts' joint-space text embeddings; a window's class
is the one with the highest cosine similarity to its IMU embedding. No labels are used.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from mujo_edge import activities
from mujo_edge.data.splits import Fold
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import UnknownNameError
from mujo_edge.metrics import scores
from mujo_edge.models.encoders.imu import site_index_of
from mujo_edge.models.mujo import MujoModel

log = logging.getLogger(__name__)


def _humanize(name: str) -> str:
    return name.replace("_", " ").strip()


def class_prompts(dataset: str, class_names: tuple[str, ...] | list[str]) -> list[list[str]]:
    """Prompts per class: ``"a person <class>"`` plus the canonical activity's title and descriptions
    (:func:`mujo_edge.activities.class_texts`) when the vocabulary maps the dataset's class."""
    prompts = []
    for name in class_names:
        try:
            texts = activities.class_texts(dataset, name)
        except UnknownNameError:  # a dataset or class the vocabulary does not map: the class name in words
            texts = []
        texts = [f"a person {_humanize(name)}", _humanize(name), *texts]
        prompts.append(list(dict.fromkeys(t for t in texts if t)))
    return prompts


@torch.no_grad()
def class_text_embeddings(model: MujoModel, prompts: list[list[str]]) -> torch.Tensor:
    """``(K, D)`` L2-normalised mean joint-space embedding of each class's prompts."""
    flat = [p for ps in prompts for p in ps]
    emb = model.encode_text(flat).float()
    out, i = [], 0
    for ps in prompts:
        out.append(torch.nn.functional.normalize(emb[i:i + len(ps)].mean(0), dim=0))
        i += len(ps)
    return torch.stack(out)


@torch.no_grad()
def zero_shot_logits(model: MujoModel, x: np.ndarray, placement: str, channel_mask: np.ndarray,
                     class_emb: torch.Tensor, batch: int = 1024) -> np.ndarray:
    """Cosine similarities ``(N, K)`` of windows ``x (N, T, C)`` (normalized with ``model.spec``) to the classes."""

    site = site_index_of(placement)
    mask = torch.as_tensor(np.asarray(channel_mask, bool))
    out = []
    model.eval()
    for i in range(0, len(x), batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], np.float32))
        z = model.encode_imu(xb, torch.full((len(xb),), site, dtype=torch.long), mask.expand(len(xb), -1))
        out.append((z @ class_emb.t()).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(class_emb)), np.float32)


def zero_shot_fold(model: MujoModel, ws: WindowSet, fold: Fold) -> dict[str, Any]:
    """Zero-shot macro F1 and accuracy on the test windows of ``fold`` (same windows as the supervised modes)."""

    test = fold.indices(ws)["test"]
    prompts = class_prompts(ws.dataset, ws.class_names)
    class_emb = class_text_embeddings(model, prompts)
    logits = zero_shot_logits(model, model.spec.normalize(ws.x[test]), ws.placement, ws.channel_mask, class_emb)
    pred = logits.argmax(1)
    return {**scores(ws.y[test], pred, ws.num_classes), "n_test": int(len(test)),
            "predicted_share": np.bincount(pred, minlength=ws.num_classes).tolist(),
            "prompts": prompts}
