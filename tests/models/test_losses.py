"""Pairwise symmetric InfoNCE and the clamped logit scale."""

from __future__ import annotations

import math

import pytest
import torch

from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.models import create_model
from mujo_edge.models.losses import PairwiseInfoNCE, info_nce
from mujo_edge.models.mujo import PAIRS


def _unit(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_info_nce_is_symmetric_and_rewards_alignment() -> None:
    a, b = _unit(16, 32, seed=0), _unit(16, 32, seed=1)
    s = torch.tensor(10.0)
    l_ab, _ = info_nce(a, b, s)
    l_ba, _ = info_nce(b, a, s)
    assert torch.allclose(l_ab, l_ba)
    l_same, acc_same = info_nce(a, a, torch.tensor(100.0))
    assert float(l_same) < 0.05 and acc_same == 1.0
    assert abs(float(info_nce(a, b, torch.tensor(1e-4))[0]) - math.log(16)) < 1e-3  # scale→0: uniform
    assert float(l_ab) > float(l_same) + 1.0


def test_missing_modalities_train_the_remaining_pairs() -> None:
    loss_fn = PairwiseInfoNCE(PAIRS)
    emb = {m: _unit(8, 16, seed=i).requires_grad_() for i, m in enumerate(("imu", "pose", "video", "text"))}
    present = {"imu": torch.ones(8, dtype=torch.bool), "pose": torch.tensor([1, 1, 1, 1, 0, 0, 0, 0], dtype=torch.bool),
               "video": torch.zeros(8, dtype=torch.bool), "text": torch.tensor([1] + [0] * 7, dtype=torch.bool)}
    total, stats = loss_fn(emb, present, torch.tensor(10.0))
    assert set(stats) == {"imu-pose"} and stats["imu-pose"].n == 4
    assert torch.isfinite(total)
    total.backward()
    assert emb["pose"].grad[4:].abs().sum() == 0 and emb["pose"].grad[:4].abs().sum() > 0
    assert emb["video"].grad is None or emb["video"].grad.abs().sum() == 0
    # nothing to train: zero loss that still backpropagates
    total0, stats0 = loss_fn({"imu": emb["imu"]}, {}, torch.tensor(10.0, requires_grad=True))
    assert float(total0.detach()) == 0.0 and stats0 == {}
    total0.backward()


def test_pair_weights() -> None:
    emb = {m: _unit(8, 16, seed=i) for i, m in enumerate(("imu", "pose", "text"))}
    pairs = ("imu-pose", "imu-text", "pose-text")
    s = torch.tensor(5.0)
    plain, st = PairwiseInfoNCE(pairs)(emb, {}, s)
    assert torch.allclose(plain, sum(v.loss for v in st.values()) / 3)
    only, st2 = PairwiseInfoNCE(pairs, {"imu-pose": 1.0, "imu-text": 0.0, "pose-text": 0.0})(emb, {}, s)
    assert set(st2) == {"imu-pose"} and torch.allclose(only, st["imu-pose"].loss)
    with pytest.raises(UnknownNameError, match="imu-pose"):
        PairwiseInfoNCE(pairs, {"imu-smell": 1.0})
    with pytest.raises(ConfigError):
        PairwiseInfoNCE(pairs, {"imu-pose": -1.0})


def test_logit_scale_is_clamped() -> None:
    m = create_model("tiny-hashtext")
    assert abs(float(m.scale().detach()) - 1 / 0.07) < 1e-3
    with torch.no_grad():
        m.logit_scale.fill_(10.0)
    assert abs(float(m.scale().detach()) - 100.0) < 1e-3
    m.scale().backward()
    assert float(m.logit_scale.grad) == 0.0  # beyond the clamp: no gradient pushes it further
    m.clamp_logit_scale_()
    assert abs(float(m.logit_scale.detach()) - math.log(100.0)) < 1e-6


def test_activity_positives_reduce_to_plain_infonce_with_distinct_ids_and_count_the_group_otherwise() -> None:
    a, b = _unit(6, 16, seed=3), _unit(6, 16, seed=4)
    s = torch.tensor(7.0)
    plain, acc = info_nce(a, b, s)
    grouped, acc_g = info_nce(a, b, s, torch.arange(6) * 10)
    assert torch.allclose(plain, grouped) and acc == acc_g
    # two clips of one activity whose captions embed identically: the loss is a cross-entropy against soft targets
    # (row 0: 1/2, 1/2, 0), so its floor is the targets' entropy, reached here; plain InfoNCE (one-hot targets, floor
    # 0) is 2/3 · log 2 above its floor and would push the two clips apart
    za = torch.nn.functional.normalize(torch.tensor([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0]]), dim=1)
    groups = torch.tensor([5, 5, 2])
    soft = torch.tensor([[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1.0]])
    entropy = float(-(soft * soft.clamp_min(1e-12).log()).sum(1).mean())
    big = torch.tensor(50.0)
    assert float(info_nce(za, za, big)[0]) > 2 / 3 * math.log(2) - 1e-3
    loss, hits = info_nce(za, za, big, groups)
    assert abs(float(loss) - entropy) < 1e-3 and hits == 1.0
    # the value, by hand, at a small scale
    logits = 2.0 * za @ za.t()
    want = -(soft * logits.log_softmax(1)).sum(1).mean()
    assert torch.allclose(info_nce(za, za, torch.tensor(2.0), groups)[0], want)


def test_activity_positives_apply_to_the_text_pairs_only_and_need_the_ids() -> None:
    emb = {m: _unit(8, 16, seed=i) for i, m in enumerate(("imu", "pose", "video", "text"))}
    groups = torch.tensor([0, 0, 1, 1, 2, 2, 3, 4])
    s = torch.tensor(10.0)
    _, by_clip = PairwiseInfoNCE(PAIRS)(emb, {}, s, groups)
    _, by_activity = PairwiseInfoNCE(PAIRS, text_positives="activity")(emb, {}, s, groups)
    for pair in PAIRS:
        same = torch.allclose(by_clip[pair].loss, by_activity[pair].loss)
        assert same == ("text" not in pair.split("-")), pair
    # a missing modality drops rows: the ids follow the rows that stay
    present = {"text": torch.tensor([1, 0, 1, 1, 1, 1, 1, 1], dtype=torch.bool)}
    _, st = PairwiseInfoNCE(PAIRS, text_positives="activity")(emb, present, s, groups)
    keep = present["text"]
    want, _ = info_nce(emb["imu"][keep], emb["text"][keep], s, groups[keep])
    assert st["imu-text"].n == 7 and torch.allclose(st["imu-text"].loss, want)
    with pytest.raises(ConfigError, match="activity ids"):
        PairwiseInfoNCE(PAIRS, text_positives="activity")(emb, {}, s)
    with pytest.raises(UnknownNameError, match="clip, activity|activity, clip"):
        PairwiseInfoNCE(PAIRS, text_positives="label")
