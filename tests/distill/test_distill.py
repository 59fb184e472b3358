"""Students: registry, supervised path end to end (library + CLI), teacher path, bad input."""

from __future__ import annotations

import json

import pytest
import torch

from mujo_edge.artifacts.checkpoint import load_checkpoint
from mujo_edge.errors import CheckpointError, ConfigError, UnknownNameError


@pytest.mark.parametrize("name,lo,hi", [("dscnn", 20_000, 60_000), ("dscnn_tiny", 3_000, 12_000),
                                        ("tinyhar_ref", 45_000, 65_000), ("limubert_ref", 40_000, 70_000)])
def test_registered_students(name, lo, hi):
    from mujo_edge.models import build_classifier
    from mujo_edge.models.classifiers import count_parameters
    from mujo_edge.models.students import fold_batchnorm

    model = build_classifier(name, num_classes=6).eval()
    assert lo <= count_parameters(model) <= hi
    x = torch.randn(3, 128, 6)
    assert model(x).shape == (3, 6) and model.features(x).ndim == 2
    for m in model.modules():  # give BatchNorm non-trivial statistics, then check folding keeps the function
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in folded.modules())
    torch.testing.assert_close(folded(x), model(x), atol=1e-4, rtol=1e-4)


def test_supervised_student(windows_file, tmp_path):
    from mujo_edge.artifacts.checkpoint import checkpoint_split
    from mujo_edge.train.distill import DistillConfig, run_distill

    res = run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", max_steps=150), tmp_path / "s")
    ckpt = load_checkpoint(res.checkpoint, kinds="student")
    assert ckpt.model_name == "dscnn_tiny" and ckpt.label_names == ("still", "walk", "run", "wave")
    assert ckpt.spec.normalization.kind == "standard" and ckpt.spec.placement == "wrist_left"
    assert res.metrics["method"] == "supervised" and res.metrics["test"]["macro_f1"] > 0.8
    data = ckpt.extra["data"]
    assert res.metrics["test"]["windows"] == data["windows"]["test"]
    assert res.metrics["test_subjects"] == data["fold"]["test_subjects"]
    fold = data["fold"]
    assert data["source"] == f"windows:{windows_file}" and data["fraction"] == 1.0
    assert not set(fold["test_subjects"]) & set(fold["fit_subjects"] + fold["val_subjects"])
    assert sorted(ckpt.extra["calibration_subjects"]) == sorted(fold["fit_subjects"] + fold["val_subjects"])
    assert ckpt.extra["channels_used"] == list(ckpt.spec.channels)
    assert json.loads((tmp_path / "s" / "distill_config.json").read_text())["student"] == "dscnn_tiny"
    split = checkpoint_split(ckpt)  # export and predict rebuild exactly this split
    assert split.recorded and len(split.y_test) == data["windows"]["test"]
    assert len(split.y_calib) == data["windows"]["fit"] + data["windows"]["val"]


def test_cli_distill(windows_file, tmp_path, capsys):
    from mujo_edge.cli.main import run

    code = run(["distill", "--student", "dscnn_tiny", "--dataset", f"windows:{windows_file}", "--out",
                str(tmp_path / "run"), "--max-steps", "60", "--fold", "1", "--fraction", "0.5", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    res = json.loads(out)
    assert res["metrics"]["method"] == "supervised" and res["metrics"]["steps"] >= 60
    ckpt = load_checkpoint(tmp_path / "run")
    assert ckpt.kind == "student" and ckpt.extra["data"]["fold"]["name"] == "fold1"
    assert ckpt.extra["data"]["fraction"] == 0.5


def test_bad_input(windows_file, tmp_path, capsys):
    from mujo_edge.cli.main import run
    from mujo_edge.train.distill import DistillConfig, run_distill

    with pytest.raises(UnknownNameError, match="unknown classifier 'resnet9000'"):
        run_distill(DistillConfig(student="resnet9000", source=f"windows:{windows_file}", max_steps=5), tmp_path / "a")
    with pytest.raises(UnknownNameError, match="unknown window source 'ftp'; valid window sources: dataset, windows"):
        DistillConfig(source="ftp:somewhere")
    with pytest.raises(ConfigError, match="fold must be in 0..4"):
        DistillConfig(fold=7)
    with pytest.raises(UnknownNameError, match="unknown dataset 'nosuchset'"):
        run_distill(DistillConfig(source="nosuchset"), tmp_path / "b")
    student = tmp_path / "st"
    run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", max_steps=5), student)
    with pytest.raises(CheckpointError, match="kind 'student', expected one of mujo"):
        run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", teacher=student), tmp_path / "c")
    assert run(["distill", "--dataset", "windows:/nonexistent.npz", "--out", str(tmp_path / "d")]) == 1
    assert "nonexistent.npz" in capsys.readouterr().err


def test_teacher_path(windows_file, teacher_and_corpus, tmp_path):
    """Feature distillation from a (random, untrained) MuJo teacher on corpus + real windows, then fine-tuning."""
    from mujo_edge.train.distill import DistillConfig, run_distill

    teacher, corpus = teacher_and_corpus
    cfg = DistillConfig(student="dscnn_tiny", source=f"windows:{windows_file}", teacher=teacher, corpus=corpus,
                        distill_steps=40, max_steps=80)
    res = run_distill(cfg, tmp_path / "d")
    m = res.metrics
    assert m["method"] == "distilled"
    hist = m["distill"]["history"]
    assert {h["source"] for h in hist} == {"corpus", "real"}
    assert hist[-1]["cos"] > hist[0]["cos"] + 0.2  # the student learned the teacher's embedding
    assert any(h["text"] > 0 for h in hist)  # the contrastive term against caption embeddings ran
    assert m["distill"]["corpus_clips"] > 0 and m["distill"]["real_windows"] > 0
    assert m["test"]["macro_f1"] > 0.7
    ckpt = load_checkpoint(res.checkpoint, kinds="student")
    data = ckpt.extra["data"]
    # teacher, student and scratch are all scored on the checkpoint's held-out test subjects, same windows
    assert m["test_subjects"] == data["fold"]["test_subjects"]
    for key in ("teacher", "scratch"):
        assert m[key]["test"]["windows"] == m["test"]["windows"] == data["windows"]["test"] > 0
    # 4 balanced classes: chance macro F1 is about 0.25, and the synthetic task is easy for a trained student
    assert m["scratch"]["test"]["macro_f1"] > 0.6
    # the fixture's teacher is untrained (random weights), so its probe's F1 says nothing about quality
    assert 0.0 <= m["teacher"]["test"]["macro_f1"] <= 1.0
    assert ckpt.extra["teacher"] == str(teacher)
    assert "linear probe" in m["teacher"]["model"] and m["teacher"]["parameters"] > m["parameters"]
