"""The decision-margin stage (mujo_edge.train.margin): near-tied decisions are moved apart, labels the model can
separate stay separated, the hinge cannot be met by inflating the logits, and distill records it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mujo_edge.errors import ConfigError
from mujo_edge.train.margin import (MarginConfig, margin_loss, near_tie_share, rounding_sensitivity, scaled_gap,
                                    sharpen_decisions, top2_gap)
from mujo_edge.train.supervised import SupervisedConfig, train_supervised


def _twin_classes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 16, 3)`` windows: class 0 has mean +1, classes 1 and 2 share mean -1 (labels alone tell them apart)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0.0, 0.5, (n, 16, 3)) + np.where(y == 0, 1.0, -1.0)[:, None, None]
    return x.astype(np.float32), y.astype(np.int64)


def _linear(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.ReLU(), nn.Linear(16, 3))


def test_near_ties_between_indistinguishable_classes_are_opened_and_separable_ones_kept():
    x, y = _twin_classes(1200, 0)
    x_val, y_val = _twin_classes(300, 1)
    model = _linear(0)
    train_supervised(model, x, y, x_val, y_val, 3, SupervisedConfig(max_steps=300, seed=0))
    twins = y_val > 0
    before = near_tie_share(model, x_val[twins])
    # cross-entropy leaves the twin classes' logits nearly equal: their choice is left to a coin's edge
    assert before > 0.15 and near_tie_share(model, x_val[twins], threshold=0.1) > 0.5
    with torch.no_grad():
        acc0 = float((model(torch.from_numpy(x_val[~twins])).argmax(1) == 0).float().mean())
    report = sharpen_decisions(model, x, y, MarginConfig(steps=200), seed=0, x_check=x_val)
    with torch.no_grad():
        logits = model(torch.from_numpy(x_val))
    assert near_tie_share(model, x_val[twins]) < 0.02 and near_tie_share(model, x_val[twins], threshold=0.1) < 0.05
    assert report["near_ties_after"] < report["near_ties_before"] and report["steps"] == 200
    assert float((logits[~twins].argmax(1) == 0).float().mean()) >= acc0 == 1.0  # the separable class is kept
    twin_pred = logits[twins].argmax(1)
    assert bool((twin_pred > 0).all())  # the twins are still told from class 0, only decided between themselves


def test_hinge_is_measured_in_logit_standard_deviations():
    z = torch.tensor([[2.0, 1.9, -3.0], [4.0, -1.0, 0.0], [0.1, 0.0, 0.05]])
    torch.testing.assert_close(margin_loss(scaled_gap(10 * z), 0.2), margin_loss(scaled_gap(z), 0.2))  # inflating gains nothing
    assert float(margin_loss(scaled_gap(z), 0.2)) > 0
    torch.testing.assert_close(top2_gap(z), torch.tensor([0.1, 4.0, 0.05]))


def test_rounding_sensitivity_is_the_worst_case_gap_change_and_the_stage_lowers_it():
    torch.manual_seed(0)
    lin = nn.Linear(4, 3)
    x = (10 * torch.randn(5, 4)).requires_grad_(True)  # top-two gaps far larger than the half step below
    z = lin(x)
    top2 = z.detach().topk(2, dim=1).indices
    dw = lin.weight[top2[:, 0]] - lin.weight[top2[:, 1]]                  # d gap / d x of a linear model
    want = 0.5 * 0.05 * dw.abs().sum(1) / z.detach().std()
    torch.testing.assert_close(rounding_sensitivity(scaled_gap(z), x, 0.05), want.detach())
    # moving every input by +-half a step in the gradient's sign changes the gap by exactly that much
    step = 0.025 * torch.sign(dw)
    torch.testing.assert_close((top2_gap(lin(x - step)) - top2_gap(z)).detach().abs() / z.detach().std(), want.detach())

    xs, ys = _twin_classes(600, 5)

    def sensitivity(gradient_weight: float) -> float:
        model = _linear(3)
        train_supervised(model, xs, ys, xs[:100], ys[:100], 3, SupervisedConfig(max_steps=100, seed=0))
        sharpen_decisions(model, xs, ys, MarginConfig(steps=100, gradient_weight=gradient_weight), seed=0)
        xt = torch.from_numpy(xs[:200]).requires_grad_(True)
        return float(rounding_sensitivity(scaled_gap(model(xt)), xt, 0.05).mean().detach())

    assert sensitivity(20.0) < 0.7 * sensitivity(0.0)  # the toy net is barely sensitive: weight it up to see the term act


def test_zero_steps_leaves_the_model_alone_and_bad_settings_are_refused():
    x, y = _twin_classes(64, 2)
    model = _linear(1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    report = sharpen_decisions(model, x, y, MarginConfig(steps=0), seed=0)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert report["near_ties_before"] == report["near_ties_after"] and not model.training
    for bad in ({"steps": -1}, {"margin": 0.0}, {"weight": -1.0}, {"lr": 0.0}, {"batch_size": 0}, {"input_step": 0.0},
                {"gradient_weight": -1.0}):
        with pytest.raises(ConfigError, match="invalid decision-margin config"):
            MarginConfig(**bad)
    with pytest.raises(ConfigError, match="matching windows and labels, got 64 and 10"):
        sharpen_decisions(model, x, y[:10], MarginConfig(steps=1), seed=0)


def test_distill_records_the_stage_and_scores_the_final_model(windows_file, tmp_path):
    from mujo_edge.artifacts.checkpoint import checkpoint_split, load_checkpoint
    from mujo_edge.models.classifiers import classifier_from_checkpoint
    from mujo_edge.metrics import macro_f1
    from mujo_edge.models.inference import predict_logits
    from mujo_edge.train.distill import DistillConfig, run_distill

    with pytest.raises(ConfigError, match="invalid decision-margin config"):
        DistillConfig(margin=-0.1)
    res = run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", max_steps=50), tmp_path / "m")
    stage = res.metrics["decision_margin"]
    assert stage["steps"] == 100 and stage["margin"] == 0.4 and 0 <= stage["near_ties_after"] <= 1
    assert stage["gradient_weight"] == 1.0 and stage["input_step"] == 0.05  # the whole stage config travels with it
    ckpt = load_checkpoint(res.checkpoint, kinds="student")
    split = checkpoint_split(ckpt)
    pred = predict_logits(classifier_from_checkpoint(ckpt), ckpt.spec.normalize(split.x_test)).argmax(1)
    assert macro_f1(split.y_test, pred, len(ckpt.label_names)) == pytest.approx(res.metrics["test"]["macro_f1"])
    off = run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", max_steps=50,
                                    margin_steps=0), tmp_path / "n")
    assert "decision_margin" not in off.metrics

