"""How a fine-tuned classifier's head starts (``evaluate --finetune-head-init``, :data:`HEAD_INITS`).

* ``random`` — PyTorch's default ``nn.Linear`` initialisation (the protocol's, and the default);
* ``probe`` — LP-FT (Kumar et al., ICLR 2022): the frozen encoder's linear probe (:func:`init_head_from_probe`);
* ``text`` — MuJo's zero-shot classifier (:func:`init_head_from_text`): the head's rows are the class names'
  joint-space text embeddings pulled back through the IMU projection, so before any step the classifier
  predicts what zero-shot predicts. Only a multimodal checkpoint has a text encoder aligned with its IMU
  encoder, so ``text`` applies to ``finetune``; the IMU-only SSL baselines keep a random head.

BatchNorm statistics are first re-estimated on the fold's unlabelled training windows (:func:`adapt_batchnorm`,
as the ``linear`` mode does) so the head is computed under the target dataset's statistics.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from mujo_edge.data.protocol import FoldData
from mujo_edge.errors import ConfigError
from mujo_edge.eval.probe import LinearProbe, fit_linear_probe
from mujo_edge.eval.zeroshot import class_prompts, class_text_embeddings
from mujo_edge.models.inference import predict_features
from mujo_edge.models.mujo import ImuClassifier, MujoModel

log = logging.getLogger(__name__)

HEAD_INITS = ("random", "probe", "text")
#: logit scales tried by :func:`init_head_from_text` (logits = scale × cosine similarity)
TEXT_SCALES: tuple[float, ...] = tuple(float(v) for v in np.geomspace(1.0, 100.0, 21))


def init_head_from_probe(model: ImuClassifier, fd: FoldData, x_unlabelled: np.ndarray) -> LinearProbe:
    """LP-FT's first stage (Kumar et al., ICLR 2022): the head starts as the linear probe of the frozen encoder.

    BatchNorm statistics are re-estimated on ``x_unlabelled`` ``(N, T, C)``, normalized windows of the fold's
    training subjects (fit + validation, labels not read, as ``linear`` does); the probe of
    :func:`mujo_edge.eval.probe.fit_linear_probe` is fitted on the fit windows' features (penalty chosen on the
    validation subjects) and its standardization folded into the head: ``W' = W / std``, ``b' = b − W' · mean``,
    so ``model`` outputs the probe's logits before any fine-tuning step (not the default: docs/pretraining.md).
    """
    adapt_batchnorm(model, x_unlabelled)
    f_fit, f_val = (predict_features(model, a) for a in (fd.x_fit, fd.x_val))
    probe = fit_linear_probe(f_fit, fd.y_fit, f_val, fd.y_val, fd.num_classes)
    w = probe.weight / probe.std[None, :]
    b = probe.bias - w @ probe.mean
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)).to(model.head.weight.dtype))
        model.head.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)).to(model.head.bias.dtype))
    return probe


@torch.no_grad()
def adapt_batchnorm(model: nn.Module, x: np.ndarray, batch: int = 512) -> nn.Module:
    """Re-estimate every BatchNorm's running mean/var on windows ``x (N, T, C)`` (no labels, weights unchanged)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
    model.train()
    for i in range(0, len(x), batch):
        model.features(torch.from_numpy(np.ascontiguousarray(x[i:i + batch])))
    for m in bns:
        m.momentum = 0.1
    return model.eval()


def init_head_from_text(model: ImuClassifier, mujo: MujoModel, fd: FoldData, dataset: str,
                        x_unlabelled: np.ndarray) -> dict[str, float]:
    """The head starts as MuJo's zero-shot classifier of ``fd``'s classes (:mod:`mujo_edge.eval.zeroshot`).

    With ``E (K, D)`` the classes' normalized prompt embeddings (:func:`class_text_embeddings`) and the IMU
    projection ``z = P f + p`` (``f (F,)`` encoder features → ``z (D,)``), zero-shot scores class ``k`` by
    ``E_k · z / ‖z‖``. The head is set to ``W = s · E P / m``, ``b = s · E p / m``: ``m`` the mean ``‖z‖`` over the
    unlabelled training windows ``x_unlabelled (N, T, C)`` (so the per-window argmax is exactly zero-shot's),
    ``s`` the scale of :data:`TEXT_SCALES` with the lowest cross-entropy on the labelled fit windows (the labels
    fine-tuning trains on anyway). BatchNorm statistics are re-estimated on ``x_unlabelled`` first.

    Args:
        model: a classifier whose encoder is ``mujo``'s IMU encoder (modified in place).
        mujo: the pretrained multimodal model (text encoder and IMU projection).
        fd: the fold's data at its label fraction (``class_names`` give the prompts).
        dataset: the dataset's name (selects the activity vocabulary's prompts).

    Returns:
        ``{"scale", "norm", "fit_accuracy"}`` (zero-shot accuracy on the fit windows, before any step).

    Raises:
        ConfigError: the checkpoint's IMU projection is not one linear layer.
    """
    proj = mujo.proj["imu"]
    if not isinstance(proj, nn.Linear):
        raise ConfigError("finetune_head_init='text' needs a linear IMU projection (proj_hidden = 0); this "
                          "checkpoint's is a two-layer head: use 'random' or 'probe'")
    adapt_batchnorm(model, x_unlabelled)
    emb = class_text_embeddings(mujo, class_prompts(dataset, list(fd.class_names))).double()  # (K, D)
    w0 = (emb @ proj.weight.detach().double()).numpy()  # (K, F)
    b0 = (emb @ proj.bias.detach().double()).numpy() if proj.bias is not None else np.zeros(len(emb))
    with torch.no_grad():
        z = proj(torch.from_numpy(predict_features(model, x_unlabelled)))
    norm = float(z.norm(dim=1).mean().clamp_min(1e-8))
    cos_fit = (predict_features(model, fd.x_fit).astype(np.float64) @ w0.T + b0) / norm  # (N, K)
    y = torch.from_numpy(np.asarray(fd.y_fit, np.int64))
    losses = [float(nn.functional.cross_entropy(torch.from_numpy(s * cos_fit), y)) for s in TEXT_SCALES]
    scale = TEXT_SCALES[int(np.argmin(losses))]
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(scale * w0 / norm).to(model.head.weight.dtype))
        model.head.bias.copy_(torch.from_numpy(scale * b0 / norm).to(model.head.bias.dtype))
    pred = cos_fit.argmax(1)
    acc = float(np.mean(pred == fd.y_fit)) if len(pred) else float("nan")
    log.debug("text head: scale %.2f, mean |z| %.3f, fit accuracy before fine-tuning %.3f", scale, norm, acc)
    return {"scale": scale, "norm": norm, "fit_accuracy": acc}
