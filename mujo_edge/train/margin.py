"""Decision margins for int8: a short fine-tuning stage that moves a student's decisions away from ties.

Why. An int8 export perturbs the logits a little (input rounding, per-layer activation rounding,
requantized logits: on USC-HAD students the top-two gap moved by 0.05 logits at the median and by 0.2 at
the 90th percentile). A window whose fp32 top-two logits are closer than that flips, and the export fails
its 99 % top-1 agreement gate when more than 1 % of the held-out windows sit there. After plain
cross-entropy training they do: a 300-step ``dscnn_tiny`` on USC-HAD had 16.6 % of its test windows
within 0.1 logits (518 of 591 of them ``elevator_up`` vs ``elevator_down``, which a hip IMU barely tells
apart: the model learned two near-identical output rows and left the choice to a ~0.05-logit preference),
and its exports agreed on 94.4-98.7 % of windows. Better calibration, equalized activation ranges and
float logits did not close that: every int8 rounding point alone flipped 0.2-2.4 % of the decisions.

What. :func:`sharpen_decisions` continues training for ``steps`` steps with cross-entropy on the labels
plus a hinge on the model's *own* top-two gap, ``relu(margin - gap / s)``, where ``s`` is the standard
deviation of the batch's logits (detached). The hinge pushes every near-tied window towards the class
the model already prefers, so it does not fight the labels (on windows the labels cannot separate,
cross-entropy is indifferent between the two answers); measuring the gap in units of ``s`` means it
cannot be satisfied by inflating all logits, which would inflate the int8 error just as much.

Margins learned on the fit subjects do not hold everywhere on new ones (one 300-step USC-HAD ``dscnn``
kept 0.4 % of its fit windows but 2.2 % of a test subject's windows near-tied, mostly still *standing*
windows next to its sitting boundary), and for such a window the int8 input rounding alone decided: it
flipped 33 of that model's 40 disagreements. So the stage also penalizes the gap's sensitivity to input
rounding, ``input_step / 2 * ||d (gap / s) / d x||_1`` (:func:`rounding_sensitivity`; gradient L1
regularization for quantization robustness, Alizadeh et al., ICLR 2020): the first-order worst-case gap
change when every input sample moves by half an int8 step. Labels and inputs are the fit windows of the
fold, as in the training before it; validation and test windows are only scored.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mujo_edge.errors import ConfigError
from mujo_edge.models.inference import predict_logits

log = logging.getLogger(__name__)

#: a window counts as near-tied when its top-two gap is below this many logit standard deviations
NEAR_TIE = 0.02


@dataclass(frozen=True)
class MarginConfig:
    """The decision-margin stage (see the module docstring).

    Attributes:
        steps: Adam steps (0 = no stage).
        margin: wanted top-two gap in standard deviations of the batch's logits.
        weight: weight of the hinge beside the cross-entropy.
        lr: Adam learning rate (lower than training's: the stage adjusts a trained model).
        batch_size: windows per step (or all fit windows if fewer).
        input_step: the int8 input step the stage guards against, normalized units (the export's searched
            input range, about ±5.7 std on USC-HAD, gives 0.045).
        gradient_weight: weight of the input-gradient term (0 = off): the worst-case change of the
            top-two gap, in logit standard deviations, when every input sample moves by half a step,
            ``input_step / 2 * ||d gap / d x||_1`` (gradient L1 regularization, Alizadeh et al., ICLR 2020).
    """

    steps: int = 100
    margin: float = 0.4
    weight: float = 1.0
    lr: float = 3e-4
    batch_size: int = 64
    input_step: float = 0.05
    gradient_weight: float = 1.0

    def __post_init__(self) -> None:
        if (self.steps < 0 or self.margin <= 0 or self.weight < 0 or self.lr <= 0 or self.batch_size < 1
                or self.input_step <= 0 or self.gradient_weight < 0):
            raise ConfigError(f"invalid decision-margin config {self}: need steps >= 0, margin > 0, weight >= 0, "
                              "lr > 0, batch_size >= 1, input_step > 0, gradient_weight >= 0")


def top2_gap(logits: torch.Tensor) -> torch.Tensor:
    """``(B, K)`` logits → ``(B,)`` top-1 minus top-2 logit; the two classes are chosen without gradient."""
    top2 = logits.detach().topk(2, dim=1).indices
    return (logits.gather(1, top2[:, :1]) - logits.gather(1, top2[:, 1:])).squeeze(1)


def scaled_gap(logits: torch.Tensor) -> torch.Tensor:
    """``(B, K)`` logits → ``(B,)`` own top-two gap in standard deviations of the batch's logits (std detached)."""
    return top2_gap(logits) / logits.detach().std().clamp_min(1e-6)


def near_tie_share(model: nn.Module, x: np.ndarray, threshold: float = NEAR_TIE) -> float:
    """Share of normalized windows ``x`` ``(N, W, C)`` whose top-two gap is below ``threshold`` × the logits' std."""
    logits = torch.from_numpy(predict_logits(model, x))
    if len(logits) == 0 or logits.shape[1] < 2:
        return 0.0
    return float((scaled_gap(logits) < threshold).float().mean())


def margin_loss(gap: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean ``relu(margin - gap)`` over the batch, ``gap`` from :func:`scaled_gap`."""
    return torch.relu(margin - gap).mean()


def rounding_sensitivity(gap: torch.Tensor, x: torch.Tensor, input_step: float) -> torch.Tensor:
    """Per window ``(B,)``: ``input_step / 2 * ||d gap / d x||_1`` for ``gap`` from :func:`scaled_gap`, the first-order
    worst-case change of the top-two gap (in logit standard deviations) when each input sample moves by up to
    half an int8 step.

    ``x`` must require grad and ``gap`` come from it; the result keeps the graph (for a loss on it).
    """
    (grad,) = torch.autograd.grad(gap.sum(), x, create_graph=True)
    return 0.5 * input_step * grad.abs().flatten(1).sum(1)


def sharpen_decisions(model: nn.Module, x_fit: np.ndarray, y_fit: np.ndarray, cfg: MarginConfig, *, seed: int,
                      input_noise: float = 0.0, x_check: np.ndarray | None = None) -> dict[str, float | int]:
    """Run the decision-margin stage on ``model`` in place (left in eval mode).

    Args:
        model: a trained classifier, normalized ``(B, W, C)`` windows → ``(B, K)`` logits.
        x_fit, y_fit: the training windows ``(N, W, C)`` float32 and labels ``(N,)``, as in the training before.
        cfg: the stage's settings; ``cfg.steps == 0`` leaves the model untouched.
        seed: batch and noise seed.
        input_noise: std of Gaussian noise on the training batches (normalized units), as in training.
        x_check: windows whose near-tie share (gap < ``NEAR_TIE`` std) is reported before and after
            (e.g. the validation windows); default ``x_fit``.

    Returns:
        Every :class:`MarginConfig` field plus ``near_ties_before`` and ``near_ties_after``.
    """
    if cfg.steps > 0 and (len(x_fit) == 0 or len(x_fit) != len(y_fit)):
        raise ConfigError(f"decision-margin stage needs matching windows and labels, got {len(x_fit)} and {len(y_fit)}")
    check = x_fit if x_check is None else x_check
    before = near_tie_share(model, check)
    if cfg.steps > 0:
        gen = torch.Generator().manual_seed(seed)
        x_t = torch.from_numpy(np.ascontiguousarray(x_fit, np.float32))
        y_t = torch.from_numpy(np.asarray(y_fit, np.int64))
        bs = min(cfg.batch_size, len(x_t))
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        model.train()
        for _ in range(cfg.steps):
            idx = torch.randint(len(x_t), (bs,), generator=gen)
            xb = x_t[idx]
            if input_noise > 0:
                xb = xb + input_noise * torch.randn(xb.shape, generator=gen)
            if cfg.gradient_weight > 0:
                xb = xb.detach().requires_grad_(True)
            logits = model(xb)
            gap = scaled_gap(logits)
            loss = nn.functional.cross_entropy(logits, y_t[idx]) + cfg.weight * margin_loss(gap, cfg.margin)
            if cfg.gradient_weight > 0:
                loss = loss + cfg.gradient_weight * rounding_sensitivity(gap, xb, cfg.input_step).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    after = near_tie_share(model, check)
    log.info("decision margins: %d steps, near-tied windows %.2f %% -> %.2f %%", cfg.steps, 100 * before, 100 * after)
    return {**dataclasses.asdict(cfg), "near_ties_before": round(before, 6), "near_ties_after": round(after, 6)}


__all__ = ["MarginConfig", "NEAR_TIE", "margin_loss", "near_tie_share", "rounding_sensitivity", "scaled_gap",
           "sharpen_decisions", "top2_gap"]
