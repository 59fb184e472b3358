"""The int8 gate on real data: every registered student, distilled on MotionSense and USC-HAD (fold 0,
supervised, 300 steps as in the issue that found the gate failing; docs/export.md has the default-budget
figures), passes ``export --int8 --format all``: ExecuTorch, LiteRT, ONNX Runtime and TensorFlow Lite Micro,
each verified in its own runtime (top-1 agreement >= 99 %, macro F1 within 1 point).

On USC-HAD this failed for one student or the other (94.4-98.7 %) until ``distill`` gained its decision-margin
stage (:mod:`mujo_edge.train.margin`): plain cross-entropy left ``elevator_up`` / ``elevator_down`` (and at times
``sitting`` / ``standing``) within 0.05 logits on up to 16 % of the test windows, and int8 rounding flipped them.
Over seeds 0-2 and the default budget, 2 of 16 students still missed by <= 0.06 points until the int8 input
range became a fixed 99.95th percentile of the calibration inputs (:mod:`mujo_edge.export.calibration`)."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: the edge students of ``mujo_edge.models.students`` (the ``*_ref`` models are reference peers, not students)
STUDENTS = ("dscnn", "dscnn_tiny")
DATASETS = ("motionsense", "usc_had")


@pytest.mark.parametrize("student,dataset", [pytest.param(s, d, id=f"{s}-{d}") for s in STUDENTS for d in DATASETS])
def test_every_student_passes_export_int8_format_all(real_data_dir, tmp_path, student, dataset):
    from mujo_edge.cli.main import run
    from mujo_edge.export.calibration import DEFAULT_PERCENTILE
    from mujo_edge.data import get_dataset

    if get_dataset(dataset).find_source(real_data_dir) is None:
        pytest.skip(f"{dataset} is not under {real_data_dir}")
    assert run(["distill", "--student", student, "--dataset", dataset, "--out", str(tmp_path / "student"),
                "--data-dir", str(real_data_dir), "--threads", "1", "--max-steps", "300"]) == 0
    code = run(["export", "--checkpoint", str(tmp_path / "student"), "--out", str(tmp_path / "edge"), "--int8",
                "--format", "all", "--data-dir", str(real_data_dir)])
    report = json.loads((tmp_path / "edge" / "export_report_int8.json").read_text())
    rows = {r["format"]: r for r in report["files"]}
    assert set(rows) == {"executorch", "tflite", "onnx", "tflm"}
    failing = {f: (r.get("top1_agreement"), r.get("f1_drop"), r.get("error")) for f, r in rows.items() if not r["passed"]}
    assert code == 0 and not failing, failing
    assert report["calibration"]["input_range"]["chosen_percentile"] == DEFAULT_PERCENTILE  # the fixed clip, not a search
    tflm = json.loads((tmp_path / "edge" / f"{student}_int8_tflm.tflite.json").read_text())["tflm"]
    assert tflm["arena_bytes"] <= 32 * 1024 and tflm["model_bytes"] <= 64 * 1024
