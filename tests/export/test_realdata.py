"""The edge path on a real dataset: distill (supervised) → export → predict with each backend."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def motionsense_edge(real_data_dir, tmp_path_factory):
    from mujo_edge.cli.main import run
    from mujo_edge.data import get_dataset

    root = real_data_dir
    if get_dataset("motionsense").find_source(root) is None:
        pytest.skip(f"motionsense is not under {root}")
    out = tmp_path_factory.mktemp("ms_edge")
    assert run(["distill", "--student", "dscnn", "--dataset", "motionsense",
                "--out", str(out / "student"), "--data-dir", str(root)]) == 0
    assert run(["export", "--checkpoint", str(out / "student"), "--out", str(out / "files"), "--int8",
                "--data-dir", str(root)]) == 0
    return root, out


@pytest.mark.parametrize("model", ["student", "files/dscnn_int8.pte", "files/dscnn_int8.tflite",
                                   "files/dscnn_int8.onnx"])
def test_predict_motionsense(motionsense_edge, model, capsys):
    from mujo_edge.cli.main import run

    root, out = motionsense_edge
    dest = out / f"pred_{model.replace('/', '_')}"
    assert run(["predict", "--model", str(out / model), "--input", "dataset:motionsense", "--out", str(dest),
                "--show", "0", "--data-dir", str(root)]) == 0
    assert "test_subjects: macro F1" in capsys.readouterr().out
    summary = json.loads((dest / "summary.json").read_text())
    assert summary["windows"] > 20000 and summary["confusion_over"] == "held-out test subjects"
    test = summary["metrics"]["test_subjects"]
    assert test["windows"] > 3000 and test["macro_f1"] > 0.6  # 6 classes: chance is ~0.17
    sidecar = out / "files" / "dscnn_int8.onnx.json"
    assert set(test["subjects"]) == set(json.loads(sidecar.read_text())["data"]["test_subjects"])
    assert (dest / "confusion.png").stat().st_size > 1000
