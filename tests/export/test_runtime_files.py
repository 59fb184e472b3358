"""``mujo_edge.runtime.load`` on exported files: the same interface and the same predictions as the checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.errors import CorruptFileError, SpecMismatchError

CASES = [(f, p) for f in ("executorch", "tflite", "onnx") for p in ("fp32", "int8")]
BACKEND = {"executorch": "executorch", "tflite": "litert", "onnx": "onnxruntime"}


@pytest.fixture(scope="module")
def test_windows(student):
    from mujo_edge.artifacts.checkpoint import load_checkpoint
    from mujo_edge.artifacts.checkpoint import checkpoint_split

    split = checkpoint_split(load_checkpoint(student))
    return split.x_test, split.y_test


@pytest.fixture(scope="module")
def reference(student, test_windows):
    from mujo_edge.runtime import load

    clf = load(student)
    assert clf.backend == "torch"
    return clf.predict_proba(test_windows[0])


@pytest.mark.parametrize("fmt,precision", CASES)
def test_same_interface_and_predictions(exported, student, test_windows, reference, fmt, precision):
    from mujo_edge.runtime import load

    x, y = test_windows
    with load(exported[(fmt, precision)]) as clf:
        ref = load(student)
        assert clf.backend == BACKEND[fmt]
        assert clf.spec == ref.spec and clf.label_names == ref.label_names
        proba = clf.predict_proba(x)
        assert proba.shape == (len(x), 4) and proba.dtype == np.float32
        np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
        agree = np.mean(proba.argmax(1) == reference.argmax(1))
        assert agree >= 0.99
        if precision == "fp32":
            np.testing.assert_allclose(proba, reference, atol=1e-4)
        assert np.array_equal(clf.predict(x), proba.argmax(1))
        assert clf.predict_proba(x[0]).shape == (1, 4)  # a single (W, C) window


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
def test_predict_recording_matches_checkpoint(exported, student, fmt):
    from mujo_edge.data.synthetic import activity_recording as synthetic_recording

    from mujo_edge.runtime import load

    rec = synthetic_recording(rate_hz=100.0)
    ref = load(student).predict_recording(rec.data, rec.rate_hz, rec.channels)
    with load(exported[(fmt, "int8")]) as clf:
        res = clf.predict_recording(rec.data[:, ::-1], rec.rate_hz, rec.channels[::-1])  # any column order
    assert len(res) == len(ref) > 10
    assert np.array_equal(res.starts, ref.starts)
    assert np.mean(res.pred == ref.pred) >= 0.95
    assert res.rate_hz == 50.0 and res.window == 128


def test_wrong_window_shape(exported):
    from mujo_edge.runtime import load

    with load(exported[("onnx", "int8")]) as clf:
        with pytest.raises(SpecMismatchError, match=r"the model expects \(N, 128, 6\)"):
            clf.predict_proba(np.zeros((2, 100, 6), np.float32))


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
def test_tampered_file_fails_its_hash(exported, tmp_path, fmt):
    from mujo_edge.runtime import load

    src = exported[(fmt, "int8")]
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    shutil.copy(str(src) + ".json", str(dst) + ".json")
    data = bytearray(dst.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dst.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="sha256 .* differs"):
        load(dst)


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
def test_truncated_file_with_matching_sidecar(exported, tmp_path, fmt):
    """A truncated file whose sidecar hash matches: a clear error before any runtime parses it (the sealed
    contract no longer checks out, or the container is cut short)."""
    from mujo_edge.artifacts.sidecar import write_sidecar
    from mujo_edge.provenance import sha256_file
    from mujo_edge.runtime import load

    src = exported[(fmt, "fp32")]
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes()[:200])
    meta = json.loads(Path(str(src) + ".json").read_text())
    meta["sha256"] = sha256_file(dst)
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match=f"{dst.name}: (not a valid .* file|content sha256|.*cannot load it)"):
        load(dst)


def test_missing_sidecar_and_unknown_suffix(exported, tmp_path):
    from mujo_edge.errors import UnknownNameError
    from mujo_edge.runtime import load

    lone = tmp_path / "lonely.onnx"
    shutil.copy(exported[("onnx", "fp32")], lone)
    with pytest.raises(CorruptFileError, match="no sidecar lonely.onnx.json"):
        load(lone)
    odd = tmp_path / "model.mlmodel"
    odd.write_bytes(b"x")
    with pytest.raises(UnknownNameError, match="unknown model file format '.mlmodel'; valid model file formats: .onnx, .pte, .tflite"):
        load(odd)


def test_predict_cli_on_csv(exported, tmp_path, capsys):
    from mujo_edge.data.synthetic import EDGE_CLASSES as CLASSES, activity_recording as synthetic_recording

    from mujo_edge.cli.main import run
    from mujo_edge.data.csvio import write_recording_csv

    csv_path = write_recording_csv(synthetic_recording(rate_hz=100.0), tmp_path / "rec.csv", CLASSES)
    out = tmp_path / "pred"
    code = run(["predict", "--model", str(exported[("tflite", "int8")]), "--input", str(csv_path), "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "macro F1" in text and (out / "confusion.png").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == "litert" and summary["metrics"]["all"]["macro_f1"] > 0.8
    assert len((out / "predictions.csv").read_text().splitlines()) == summary["windows"] + 1
    assert run(["predict", "--model", str(exported[("onnx", "int8")]), "--input", str(tmp_path / "x.txt")]) == 1
    assert "unknown input" in capsys.readouterr().err


def test_executorch_thread_pool_guard(exported):
    """Changing ExecuTorch's process-wide thread count under a loaded program would crash; we refuse instead."""
    from mujo_edge.errors import ConfigError
    from mujo_edge.runtime import load

    pte = exported[("executorch", "int8")]
    one = load(pte, threads=1)
    with pytest.raises(ConfigError, match="close\\(\\) them before loading with threads=2"):
        load(pte, threads=2)
    one.close()
    with load(pte, threads=2) as two:
        assert two.predict(np.zeros((1, 128, 6), np.float32)).shape == (1,)


def test_int8_onnx_runs_uint8_activations_with_int8_weights_and_a_float_head(exported):
    """The int8 ``.onnx`` is QOperator with uint8 activations and per-channel int8 weights (U8S8, the form ONNX
    Runtime's x86 kernels are built for; int8 activations in QOperator form take its slow path) and keeps the
    classifier head in float, so the logits are not requantized. Weights use 7 bits (``reduce_range``): on x86
    CPUs without VNNI ONNX Runtime sums U8S8 products in 16 bits, which full-range int8 weights can saturate."""
    import onnx
    from onnx import TensorProto, numpy_helper

    graph = onnx.load(str(exported[("onnx", "int8")])).graph
    inits = {t.name: t for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "QLinearConv"]
    assert convs, [n.op_type for n in graph.node]
    for n in convs:  # inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, [B]
        assert inits[n.input[2]].data_type == TensorProto.UINT8, n.name
        assert inits[n.input[3]].data_type == TensorProto.INT8, n.name
        assert inits[n.input[7]].data_type == TensorProto.UINT8, n.name
        w = numpy_helper.to_array(inits[n.input[3]])
        assert 32 <= np.abs(w.astype(np.int16)).max() <= 64, (n.name, w.min(), w.max())  # symmetric 7-bit: [-64, 64]
    producer = {o: n for n in graph.node for o in n.output}[graph.output[0].name]
    assert producer.op_type in ("Gemm", "MatMul") and graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
