"""``mujo-edge evaluate`` end to end on synthetic windows (and a real-data slice when available)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.eval.evaluate import EvaluateConfig, run_evaluation


def _cfg(root: Path, ckpt: Path, out: Path, **kw) -> EvaluateConfig:
    base = dict(datasets=("motionsense",), checkpoint=str(ckpt) if ckpt else None, fractions=(0.1, 1.0),
                modes=("scratch", "linear", "finetune", "cnn"), seeds=1, k=3, max_steps=60, out=out, data_dir=root, verify=False)
    base.update(kw)
    return EvaluateConfig(**base)


@pytest.mark.slow
def test_evaluate_grid_report_and_cache(synth_root: Path, random_checkpoint: Path, tmp_path: Path) -> None:
    cfg = _cfg(synth_root, random_checkpoint, tmp_path / "ev")
    summary = run_evaluation(cfg)
    runs = summary["runs"]
    assert len(runs) == 3 * 2 * 4 + 3  # folds × fractions × modes (+ zero-shot per fold)
    for name in ("report.md", "results.json", "f1_vs_fraction.png", "config.json"):
        assert (tmp_path / "ev" / name).stat().st_size > 0
    # every mode of a fold is tested on the same windows
    for f in range(3):
        assert len({r["n_test"] for r in runs if r["fold"] == f}) == 1
        assert len({r["n_fit"] for r in runs if r["fold"] == f and r["fraction"] == 1.0 and r["mode"] != "zeroshot"}) == 1
    cells = summary["datasets"]["motionsense"]["cells"]
    assert cells["scratch"]["1"]["mean"] > 0.5  # separable synthetic classes: far above chance (1/6)
    assert set(summary["datasets"]["motionsense"]["delta_finetune_minus_scratch"]) == {"0.1", "1"}
    zs = summary["datasets"]["motionsense"]["zero_shot"]
    assert 0.0 <= zs["mean"] <= 1.0 and zs["n_runs"] == 3
    md = (tmp_path / "ev" / "report.md").read_text()
    assert "| scratch |" in md and "Zero-shot" in md and "Δ finetune − scratch" in md
    targets = (tmp_path / "ev" / "targets.md").read_text()  # the target check, written by the library call too
    assert targets.startswith("| target | dataset |") and "| finetune − scratch | motionsense |" in targets
    # second run: every result comes from the cache, unchanged
    again = run_evaluation(cfg)
    assert [r["seconds"] for r in again["runs"]] == [r["seconds"] for r in runs]
    # a setting that changes results invalidates the cached runs
    changed = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "ev", modes=("scratch",), fractions=(1.0,),
                                  max_steps=30, zero_shot=False))
    assert all(r["steps"] <= 50 for r in changed["runs"])


@pytest.mark.slow
def test_fold_normalization_option_and_parallel_jobs_agree(synth_root: Path, random_checkpoint: Path,
                                                           tmp_path: Path) -> None:
    kw = dict(modes=("linear", "finetune"), fractions=(1.0,), folds=(0,), zero_shot=False, normalization="fold")
    one = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "a", **kw))
    two = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "b", jobs=2, **kw))
    f1 = lambda s: sorted((r["mode"], round(r["macro_f1"], 6)) for r in s["runs"])  # noqa: E731
    assert f1(one) == f1(two)
    res = json.loads((tmp_path / "a" / "results.json").read_text())
    assert res["meta"]["normalization"] == "fold"


def test_bad_options_raise(synth_root: Path, random_checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="finetune"):
        _cfg(synth_root, random_checkpoint, tmp_path, modes=("fine-tune",))
    with pytest.raises(ConfigError, match="fraction"):
        _cfg(synth_root, random_checkpoint, tmp_path, fractions=(0.0,))
    with pytest.raises(ConfigError, match="checkpoint"):
        _cfg(synth_root, None, tmp_path, modes=("linear",))
    with pytest.raises(ConfigError, match="normalization"):
        _cfg(synth_root, random_checkpoint, tmp_path, normalization="minmax")
    with pytest.raises(ConfigError, match="fold 7"):
        run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path, folds=(7,), modes=("scratch",)))


def test_cli_scratch_without_checkpoint(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from mujo_edge.cli.main import run

    code = run(["evaluate", "--checkpoint", "none", "--dataset", "motionsense", "--data-dir", str(synth_root),
                "--fractions", "1.0", "--modes", "scratch", "--seeds", "1", "--folds", "0", "--max-steps", "20",
                "--out", str(tmp_path / "cli"), "--json", "--no-verify"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["datasets"]["motionsense"]["cells"]["scratch"]["1"]["n_runs"] == 1
    assert run(["evaluate", "--dataset", "motionsense", "--modes", "bogus", "--out", str(tmp_path / "x")]) == 1


@pytest.mark.realdata
@pytest.mark.slow
def test_real_motionsense_slice(tmp_path: Path, require_dataset) -> None:
    """Fold 0 of the real MotionSense at 1 %: pretrained (the packaged weights that saw no real data) and scratch
    both run and beat chance; the same run with ``default`` (which saw MotionSense's unlabelled pool) is flagged."""
    root = require_dataset("motionsense")
    cfg = EvaluateConfig(datasets=("motionsense",), checkpoint="sim-only", fractions=(0.01,),
                         modes=("scratch", "finetune"), seeds=1, folds=(0,), max_steps=75,
                         out=tmp_path / "real", data_dir=root)
    s = run_evaluation(cfg)
    cells = s["datasets"]["motionsense"]["cells"]
    for mode in ("scratch", "finetune"):
        assert cells[mode]["0.01"]["mean"] > 0.3, mode  # 6 classes: chance ≈ 0.17
    assert s["datasets"]["motionsense"]["zero_shot"]["mean"] > 0.3  # the packaged weights recognise without labels
    assert s["datasets"]["motionsense"]["seen_in_pretraining"] == 0


def test_adapt_batchnorm_moves_statistics_not_weights() -> None:
    import torch

    from mujo_edge.eval.evaluate import adapt_batchnorm
    from mujo_edge.models.mujo import ImuClassifier, ImuClassifierConfig

    torch.manual_seed(0)
    clf = ImuClassifier(ImuClassifierConfig(imu={"arch": "resnet1d", "widths": [8, 16]}, num_classes=3)).eval()
    weights = {k: v.clone() for k, v in clf.state_dict().items() if "running" not in k and "num_batches" not in k}
    x = (np.random.default_rng(0).normal(3.0, 2.0, (300, 128, 6))).astype(np.float32)
    adapt_batchnorm(clf, x, batch=100)
    stem_bn = clf.encoder.stem[1]
    with torch.no_grad():
        pre = clf.encoder.stem[0](torch.from_numpy(x).transpose(1, 2))  # activations the first BN normalizes
    assert torch.allclose(stem_bn.running_mean, pre.mean(dim=(0, 2)), atol=1e-4)
    assert not clf.training and stem_bn.momentum == 0.1
    for k, v in clf.state_dict().items():
        if k in weights:
            assert torch.equal(v, weights[k]), k


def test_probe_head_init_outputs_the_probes_logits_and_is_validated(synth_root: Path, random_checkpoint: Path,
                                                                    tmp_path: Path) -> None:
    """LP-FT: before any fine-tuning step the classifier's logits are the linear probe's, on unseen windows too."""
    import torch

    from mujo_edge.data.protocol import FoldData
    from mujo_edge.data.spec import DEFAULT_SPEC
    from mujo_edge.eval.evaluate import init_head_from_probe
    from mujo_edge.models.inference import predict_features, predict_logits
    from mujo_edge.models.mujo import ImuClassifier, ImuClassifierConfig

    torch.manual_seed(0)
    clf = ImuClassifier(ImuClassifierConfig(imu={"arch": "resnet1d", "widths": [8, 16]}, num_classes=3))
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (90, 64, 6)).astype(np.float32)
    y = np.arange(90) % 3
    x[y == 1, :, 0] += 2.0  # a class the encoder's features can tell apart
    fd = FoldData(x_fit=x[:60], y_fit=y[:60], x_val=x[60:75], y_val=y[60:75], x_test=x[75:], y_test=y[75:],
                  spec=DEFAULT_SPEC, num_classes=3, class_names=("a", "b", "c"))
    probe = init_head_from_probe(clf, fd, x[:75])
    assert np.allclose(predict_logits(clf, fd.x_test), probe.logits(predict_features(clf, fd.x_test)), atol=1e-3)
    assert probe.val_f1 > 0.5
    with pytest.raises(ConfigError, match="finetune_head_init"):
        _cfg(synth_root, random_checkpoint, tmp_path, finetune_head_init="lp")
    kw = dict(modes=("finetune",), fractions=(1.0,), folds=(0,), zero_shot=False, max_steps=20)
    a = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "r", **kw))
    b = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "r", finetune_head_init="probe", **kw))
    assert a["runs"][0]["key"] != b["runs"][0]["key"]  # its own cache entry, the random-head run's kept
    assert b["config"]["finetune_head_init"] == "probe"


def test_text_head_init_starts_from_zero_shot_and_has_its_own_cache(synth_root: Path, random_checkpoint: Path,
                                                                     tmp_path: Path) -> None:
    """``--finetune-head-init text``: before any step the classifier predicts exactly what zero-shot predicts
    (same BN-adapted encoder), its logits are zero-shot's cosines × the chosen scale; a non-linear projection
    raises; the finetune run gets its own cache entry."""
    import torch

    from mujo_edge.data.protocol import FoldData
    from mujo_edge.data.spec import DEFAULT_SPEC
    from mujo_edge.eval.heads import TEXT_SCALES, init_head_from_text
    from mujo_edge.eval.zeroshot import class_prompts, class_text_embeddings, zero_shot_logits
    from mujo_edge.models import create_model
    from mujo_edge.models.inference import predict_logits
    from mujo_edge.models.mujo import ImuClassifier, load_mujo

    mujo = load_mujo(random_checkpoint)
    names = ("walking", "sitting", "jogging")
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (90, 128, 6)).astype(np.float32)
    y = np.arange(90) % 3
    x[y == 1, :, 2] += 1.5
    fd = FoldData(x_fit=x[:60], y_fit=y[:60], x_val=x[60:75], y_val=y[60:75], x_test=x[75:], y_test=y[75:],
                  spec=DEFAULT_SPEC, num_classes=3, class_names=names)
    mask = (True,) * 6
    clf = ImuClassifier.from_mujo(mujo, 3, "thigh_right", mask)
    info = init_head_from_text(clf, mujo, fd, "motionsense", x[:75])
    assert info["scale"] in TEXT_SCALES and info["norm"] > 0
    mujo.encoders["imu"].load_state_dict(clf.encoder.state_dict())  # zero-shot through the same adapted encoder
    mujo.eval()
    emb = class_text_embeddings(mujo, class_prompts("motionsense", list(names)))
    cos = zero_shot_logits(mujo, fd.x_test, "thigh_right", np.asarray(mask), emb)
    logits = predict_logits(clf, fd.x_test)
    assert np.array_equal(logits.argmax(1), cos.argmax(1))
    with torch.no_grad():
        z_norm = mujo.encode_imu(torch.from_numpy(fd.x_test), torch.full((15,), int(clf.site_index)),
                                 torch.ones(15, 6, dtype=torch.bool), normalize=False).norm(dim=1).numpy()
    assert np.allclose(logits, info["scale"] * cos * (z_norm / info["norm"])[:, None], rtol=1e-3, atol=1e-3)

    torch.manual_seed(0)
    two_layer = create_model("tiny-hashtext", imu={"widths": [16, 32]}, text={"dim": 32}, embed_dim=32, proj_hidden=16)
    with pytest.raises(ConfigError, match="linear IMU projection"):
        init_head_from_text(ImuClassifier.from_mujo(two_layer, 3), two_layer, fd, "motionsense", x[:75])

    kw = dict(modes=("finetune",), fractions=(1.0,), folds=(0,), zero_shot=False, max_steps=20)
    a = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "r", **kw))
    b = run_evaluation(_cfg(synth_root, random_checkpoint, tmp_path / "r", finetune_head_init="text", **kw))
    assert a["runs"][0]["key"] != b["runs"][0]["key"]
    assert b["config"]["finetune_head_init"] == "text"
