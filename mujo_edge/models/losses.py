"""Contrastive and distillation losses, each an ``nn.Module`` built on the one :func:`info_nce`.

* :class:`PairwiseInfoNCE`: symmetric InfoNCE over every modality pair (the MuJo objective);
* :class:`InfoNCE`: the same loss for one pair at a fixed temperature (distillation's text term);
* :class:`RelationKD`: relational knowledge distillation (the student keeps the teacher's batch geometry);
* self-supervised objectives on unlabelled IMU (:mod:`mujo_edge.models.ssl` builds their heads):
  :class:`NTXent` (SimCLR-style contrast of two augmented views), :class:`MaskedMSE` (LIMU-BERT-style
  masked reconstruction) and :class:`MultiTaskBCE` (recognising which transformations were applied, as
  ssl-wearables does). None of them takes a class label.

For a pair (a, b) and the ``n`` clips of the batch that have both modalities, the logits are
``s · z_a @ z_bᵀ`` (``(n, n)``, ``s`` = the model's clamped logit scale, embeddings L2-normalised);
the pair loss is the mean of cross-entropy over rows (a→b) and over columns (b→a) with the diagonal
as targets. The total is the weighted mean of the pair losses over pairs with at least two valid
clips, so a clip missing a modality still trains every pair it does have.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.errors import ConfigError, UnknownNameError


@dataclass
class PairStats:
    """Per-pair result: loss (tensor, for backprop), top-1 retrieval accuracy (mean of both directions), clips."""

    loss: torch.Tensor
    accuracy: float
    n: int


def info_nce(za: torch.Tensor, zb: torch.Tensor, scale: torch.Tensor,
             groups: torch.Tensor | None = None) -> tuple[torch.Tensor, float]:
    """Symmetric InfoNCE of matched rows ``za (n, D)``, ``zb (n, D)``; returns (loss, retrieval accuracy).

    ``groups (n,)`` int (optional): rows with equal ids are all positives of each other (UniCL-style multi-positive
    targets: each row's target is uniform over its group's columns; a hit is any column of the group). Without it,
    or with every id distinct, this is the plain loss with the diagonal as targets. With groups the loss is a
    cross-entropy against soft targets, so its floor is the targets' entropy (mean log group size), not 0.
    """
    logits = scale * za @ zb.t()                                     # (n, n)
    if groups is None:
        target = torch.arange(len(za), device=za.device)
        loss = 0.5 * (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.t(), target))
        with torch.no_grad():
            acc = 0.5 * ((logits.argmax(1) == target).float().mean() + (logits.argmax(0) == target).float().mean())
        return loss, float(acc)
    g = groups.to(za.device)
    pos = g[:, None] == g[None, :]                                   # (n, n) bool, symmetric, diagonal True
    soft = pos.to(logits.dtype) / pos.sum(1, keepdim=True).to(logits.dtype)
    loss = 0.5 * (nn.functional.cross_entropy(logits, soft) + nn.functional.cross_entropy(logits.t(), soft))
    with torch.no_grad():
        rows = pos.gather(1, logits.argmax(1, keepdim=True)).float().mean()
        cols = pos.gather(1, logits.t().argmax(1, keepdim=True)).float().mean()
    return loss, float(0.5 * (rows + cols))


#: What counts as the positive of a caption in the text pairs (``PretrainConfig.text_positives``): ``clip`` — only the
#: clip it was drawn for (plain InfoNCE, the published MuJo loss); ``activity`` — every clip of the batch with the same
#: activity label (the corpus's captions describe the activity, not the clip, so under ``clip`` two squats clips are
#: pushed apart through their interchangeable captions; UniCL, Yang et al. 2022). Pairs without text are unchanged.
TEXT_POSITIVES = ("clip", "activity")


class PairwiseInfoNCE(nn.Module):
    """Weighted symmetric InfoNCE over modality pairs.

    Args:
        pairs: pair names ``"a-b"`` to train (e.g. :data:`mujo_edge.models.mujo.PAIRS`).
        weights: optional ``{pair: weight}``; missing pairs get 1.0, unknown pairs raise, weights must be ≥ 0.
        text_positives: one of :data:`TEXT_POSITIVES`; with ``activity`` the pairs with ``text`` use the ``groups``
            passed to :meth:`forward` as multi-positive targets.
    """

    def __init__(self, pairs: tuple[str, ...] | list[str], weights: dict[str, float] | None = None,
                 text_positives: str = "clip") -> None:
        super().__init__()
        if text_positives not in TEXT_POSITIVES:
            raise UnknownNameError("text positives", text_positives, TEXT_POSITIVES)
        self.text_positives = text_positives
        self.pairs = tuple(pairs)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(self.pairs))
        if unknown:
            raise UnknownNameError("modality pair", unknown[0], self.pairs)
        if any(w < 0 for w in weights.values()):
            raise ConfigError(f"pair weights must be >= 0, got {weights}")
        self.weights = {p: float(weights.get(p, 1.0)) for p in self.pairs}

    def forward(self, emb: dict[str, torch.Tensor], present: dict[str, torch.Tensor],
                scale: torch.Tensor, groups: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, PairStats]]:
        """Loss over all pairs.

        Args:
            emb: ``{modality: (B, D)}`` L2-normalised embeddings.
            present: ``{modality: (B,)}`` bool, True where the clip has that modality (missing key = all).
            scale: scalar logit scale (already exponentiated and clamped).
            groups: ``(B,)`` int64 activity ids of the clips (distinct ids for clips without a label); required
                when ``text_positives`` is ``activity``, ignored otherwise.

        Returns:
            ``(total, {pair: PairStats})``; ``total`` is 0 (with grad) if no pair has two valid clips.
        """
        if self.text_positives == "activity" and groups is None:
            raise ConfigError("text_positives='activity' needs the batch's activity ids (groups); none were passed")
        stats: dict[str, PairStats] = {}
        total = scale * 0.0
        wsum = 0.0
        for pair in self.pairs:
            a, b = pair.split("-")
            if a not in emb or b not in emb or self.weights[pair] == 0.0:
                continue
            n_rows = len(emb[a])
            ok = torch.ones(n_rows, dtype=torch.bool, device=emb[a].device)
            for m in (a, b):
                if m in present:
                    ok = ok & present[m].to(ok.device)
            n = int(ok.sum())
            if n < 2:
                continue
            by_label = groups is not None and self.text_positives == "activity" and "text" in (a, b)
            loss, acc = info_nce(emb[a][ok], emb[b][ok], scale, groups[ok.to(groups.device)] if by_label else None)
            stats[pair] = PairStats(loss, acc, n)
            total = total + self.weights[pair] * loss
            wsum += self.weights[pair]
        return (total / wsum if wsum else total), stats


class InfoNCE(nn.Module):
    """Symmetric InfoNCE of matched rows at a fixed temperature ``τ`` (logit scale ``1/τ``)."""

    def __init__(self, temperature: float) -> None:
        super().__init__()
        if not temperature > 0:
            raise ConfigError(f"InfoNCE temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)

    def forward(self, za: torch.Tensor, zb: torch.Tensor) -> torch.Tensor:
        """``za (n, D)``, ``zb (n, D)`` L2-normalised → scalar loss."""
        return info_nce(za, zb, torch.tensor(1.0 / self.temperature, device=za.device))[0]


class RelationKD(nn.Module):
    """KL(teacher ‖ student) of the row-wise softmax over in-batch similarities (diagonal excluded).

    Relational knowledge distillation: for L2-normalised ``s (B, D)`` and ``t (B, D)``, each row's
    distribution ``softmax(s·sᵀ/τ)`` is pulled towards ``softmax(t·tᵀ/τ)``.
    """

    def __init__(self, temperature: float) -> None:
        super().__init__()
        if not temperature > 0:
            raise ConfigError(f"relational KD temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)

    def forward(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Student ``s (B, D)`` and teacher ``t (B, D)`` embeddings → scalar loss (batch mean)."""
        eye = torch.eye(len(s), dtype=torch.bool, device=s.device)
        ls = (s @ s.T / self.temperature).masked_fill(eye, -1e4)
        lt = (t @ t.T / self.temperature).masked_fill(eye, -1e4)
        return nn.functional.kl_div(ls.log_softmax(1), lt.log_softmax(1), log_target=True, reduction="batchmean")


class NTXent(nn.Module):
    """SimCLR's normalized-temperature cross entropy over two views of ``n`` windows.

    For L2-normalised ``z1 (n, D)`` and ``z2 (n, D)`` (row ``i`` of both = two views of window ``i``), each of
    the ``2n`` embeddings has its other view as the positive and the remaining ``2n − 2`` as negatives.
    """

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        if not temperature > 0:
            raise ConfigError(f"NT-Xent temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> tuple[torch.Tensor, float]:
        """Returns (loss, top-1 accuracy of finding the other view among the ``2n − 1`` candidates)."""
        n = len(z1)
        z = torch.cat([z1, z2], dim=0)                                    # (2n, D)
        logits = (z @ z.t()) / self.temperature                           # (2n, 2n)
        logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
        target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
        loss = nn.functional.cross_entropy(logits, target)
        with torch.no_grad():
            acc = float((logits.argmax(1) == target).float().mean())
        return loss, acc


class MaskedMSE(nn.Module):
    """Mean squared error over the masked (hidden) input elements only."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``pred``, ``target`` ``(B, T, C)``; ``mask (B, T, C)`` bool, True where the input was hidden and counts."""
        m = mask.to(pred.dtype)
        return ((pred - target) ** 2 * m).sum() / m.sum().clamp_min(1.0)


class MultiTaskBCE(nn.Module):
    """Binary cross entropy of ``K`` independent yes/no pretext tasks (was transformation ``k`` applied?)."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, float]:
        """``logits``, ``targets`` ``(B, K)`` (targets 0/1) → (mean loss, mean accuracy over tasks)."""
        loss = nn.functional.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype))
        with torch.no_grad():
            acc = float(((logits > 0) == (targets > 0.5)).float().mean())
        return loss, acc
