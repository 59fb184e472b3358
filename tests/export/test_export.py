"""Export: every backend in fp32 and int8, sidecar contents, self-verification and reload parity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.artifacts.checkpoint import load_checkpoint, save_checkpoint
from mujo_edge.errors import CheckpointError, ConfigError, UnknownNameError, VerificationError
from mujo_edge.provenance import sha256_file

FORMATS = ("executorch", "tflite", "onnx")
SUFFIX = {"executorch": ".pte", "tflite": ".tflite", "onnx": ".onnx"}
RUNTIME = {"executorch": "executorch", "tflite": "litert", "onnx": "onnxruntime"}
CASES = [(f, p) for f in FORMATS for p in ("fp32", "int8")]


@pytest.mark.parametrize("fmt,precision", CASES)
def test_file_and_sidecar(exported, student, fmt, precision):
    path = exported[(fmt, precision)]
    assert path.name == f"dscnn_tiny_{precision}{SUFFIX[fmt]}"
    meta = json.loads(Path(str(path) + ".json").read_text())
    ckpt = load_checkpoint(student)
    assert meta["sha256"] == sha256_file(path) and meta["size_bytes"] == path.stat().st_size
    assert meta["backend"] == RUNTIME[fmt] and meta["precision"] == precision
    assert meta["sensor_spec"] == ckpt.spec.to_dict()
    assert meta["sensor_spec"]["normalization"]["kind"] == "standard"
    assert meta["label_names"] == list(ckpt.label_names)
    assert meta["input"]["shape"] == [1, 128, 6] and meta["output"]["shape"] == [1, 4]
    assert meta["model"]["version"].startswith("dscnn_tiny-") and meta["model"]["parameters"] > 1000
    assert meta["source_checkpoint"]["weights_sha256"] == ckpt.weights_sha256
    test_subjects = set(ckpt.extra["data"]["fold"]["test_subjects"])
    assert set(meta["data"]["test_subjects"]) == test_subjects
    ver = meta["verification"]
    assert ver["passed"] is True and ver["top1_agreement"] >= 0.99 and abs(ver["f1_drop"]) <= 0.01
    int_io = fmt == "tflite" and precision == "int8"  # only LiteRT int8 files have int8 tensors at the boundary
    assert meta["input"]["dtype"] == meta["output"]["dtype"] == ("int8" if int_io else "float32")
    assert (meta["input"]["quantization"] is None) is (not int_io)
    assert ver["runtime"] == RUNTIME[fmt] and ver["windows"] > 0
    if precision == "int8":
        cal = meta["calibration"]
        assert cal["windows"] == 128 and not (set(cal["subjects"]) & test_subjects)
        assert meta["metrics"]["int8"]["macro_f1"] == pytest.approx(ver["macro_f1"])
        assert meta["metrics"]["fp32"]["macro_f1"] == pytest.approx(ver["macro_f1_eager"])
        assert meta["quantization"]["quantizer"]
    else:
        assert meta["calibration"] is None and meta["metrics"]["int8"] is None
        assert ver["max_abs_logit_diff"] < 1e-3  # fp32 files compute the same function


def test_int8_files_are_smaller(exported):
    for fmt in FORMATS:
        assert exported[(fmt, "int8")].stat().st_size < 0.8 * exported[(fmt, "fp32")].stat().st_size


def test_executorch_fully_delegated(exported):
    meta = json.loads(Path(str(exported[("executorch", "int8")]) + ".json").read_text())
    deleg = meta["export"]["backend_details"]["delegation"]
    assert deleg["partitions"] == 1 and deleg["portable_ops"] == {}


def test_verification_error_names_the_numbers(exported, student):
    from mujo_edge.artifacts.checkpoint import load_checkpoint
    from mujo_edge.export.verify import raise_if_failed, verify_file
    from mujo_edge.artifacts.checkpoint import checkpoint_split

    ckpt = load_checkpoint(student)
    split = checkpoint_split(ckpt)
    wrong = np.roll(np.eye(4, dtype=np.float32)[split.y_test], 1, axis=1)  # an "eager model" that is always wrong
    res = verify_file(exported[("onnx", "fp32")], wrong, split.x_test, split.y_test, 4)
    assert not res["passed"]
    with pytest.raises(VerificationError, match=r"top-1 agreement 0\.0000 \(need >= 0\.99\)"):
        raise_if_failed(exported[("onnx", "fp32")], res)


def test_wrong_kind_checkpoint(tmp_path, student):
    from mujo_edge.export import export_checkpoint
    from mujo_edge.models import build_classifier

    ckpt = load_checkpoint(student)
    save_checkpoint(tmp_path / "teacher", build_classifier("dscnn_tiny", num_classes=4), kind="mujo",
                    model_name="dscnn_tiny", model_config={"num_classes": 4}, spec=ckpt.spec, label_names=ckpt.label_names)
    with pytest.raises(CheckpointError, match="kind 'mujo', expected one of student, classifier"):
        export_checkpoint(tmp_path / "teacher", tmp_path / "out")


def test_unknown_format_and_bad_options():
    from mujo_edge.export import ExportConfig

    with pytest.raises(UnknownNameError, match="unknown export format 'coreml'; valid export formats: executorch, onnx, tflite, tflm"):
        ExportConfig(formats=("coreml",))
    with pytest.raises(ConfigError):
        ExportConfig(calib_windows=0)
    with pytest.raises(ConfigError, match="input_percentile must be in"):
        ExportConfig(int8=True, input_percentile=40.0)


def test_int8_input_range_clips_rare_tails_only():
    """The default clips the calibration inputs at their 99.95th percentiles; 100 keeps min / max; the
    optional search keeps the candidate that preserves the most decisions (ties: the wider one)."""
    import torch

    from mujo_edge.export.calibration import DEFAULT_PERCENTILE, choose_input_range, percentile_range

    rng = np.random.default_rng(0)
    calib = rng.standard_normal((200, 32, 3)).astype(np.float32)  # 19,200 values
    calib[0, 0, 0], calib[1, 5, 2] = 40.0, -35.0  # two spikes far outside the rest
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(96, 4)).eval()
    lo, hi, report = choose_input_range(model, calib)
    assert (lo, hi) == pytest.approx(percentile_range(calib, DEFAULT_PERCENTILE), abs=1e-6)
    assert -5.0 < lo < -2.5 and 2.5 < hi < 5.0  # the spikes do not set the int8 step
    assert report["chosen_percentile"] == DEFAULT_PERCENTILE and len(report["candidates"]) == 1
    assert 0.0 <= report["candidates"][0]["agreement_on_calibration"] <= 1.0
    assert percentile_range(calib, 100.0) == (-35.0, 40.0)
    lo, hi, report = choose_input_range(model, calib, (99.9, 100.0))
    best = max(report["candidates"], key=lambda r: (r["agreement_on_calibration"], r["percentile"]))
    assert report["chosen_percentile"] == best["percentile"] and [lo, hi] == best["range"]
    with pytest.raises(ConfigError, match=r"\(50, 100\]"):
        choose_input_range(model, calib, (101.0,))


def test_corrupt_weights_are_refused(tmp_path, student):
    from mujo_edge.export import export_checkpoint

    bad = tmp_path / "bad"
    shutil.copytree(student, bad)
    (bad / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="sha256"):
        export_checkpoint(bad, tmp_path / "out")


def test_cli_export_onnx(tmp_path, student, capsys):
    from mujo_edge.cli.main import run

    code = run(["export", "--checkpoint", str(student), "--out", str(tmp_path), "--format", "onnx", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    res = json.loads(out)
    assert [r["format"] for r in res] == ["onnx"] and res[0]["verification"]["passed"]
    assert (tmp_path / "dscnn_tiny_fp32.onnx.json").exists() and (tmp_path / "export_report_fp32.json").exists()
    assert run(["export", "--checkpoint", str(student), "--out", str(tmp_path), "--format", "tfjs"]) == 1
    assert "unknown export format 'tfjs'" in capsys.readouterr().err
    assert run(["export", "--checkpoint", str(student), "--out", str(tmp_path / "q"), "--int8", "--input-percentile", "30"]) == 1
    assert "input_percentile must be in (50, 100], got 30.0" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_tflite_sidecar_states_the_interpreter_io(exported, precision):
    """The sidecar's input/output contract is what the ai_edge_litert interpreter reports, and an app that
    follows only the sidecar (normalize, quantize, invoke, dequantize) gets the runtime's logits."""
    from ai_edge_litert.interpreter import Interpreter
    from mujo_edge.data.synthetic import synthetic_windows

    from mujo_edge.runtime import load

    path = exported[("tflite", precision)]
    meta = json.loads(Path(str(path) + ".json").read_text())
    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    for key, det in (("input", i), ("output", o)):
        sec = meta[key]
        assert sec["dtype"] == np.dtype(det["dtype"]).name and sec["shape"] == [int(v) for v in det["shape"]]
        if precision == "int8":
            scale, zero = det["quantization"]
            q = sec["quantization"]
            assert sec["dtype"] == "int8" and q["scale"] == pytest.approx(scale, rel=1e-6)
            assert q["zero_point"] == zero and (q["qmin"], q["qmax"]) == (-128, 127) and "zero_point" in q["formula"]
            if key == "input":  # the converter's input observer landed on the recorded clip range
                lo, hi = meta["calibration"]["input_range"]["range"]
                assert scale == pytest.approx((max(hi, 0.0) - min(lo, 0.0)) / 255.0, rel=0.02)
        else:
            assert sec["dtype"] == "float32" and sec["quantization"] is None

    x = synthetic_windows(n_subjects=1, per_class=3, seed=5).x  # SI units, spec channel order
    norm = meta["sensor_spec"]["normalization"]
    xn = ((x - np.asarray(norm["mean"], np.float32)) / np.asarray(norm["std"], np.float32)).astype(np.float32)
    app = []
    for w in xn:
        if precision == "int8":
            qi = meta["input"]["quantization"]
            w = np.clip(np.round(w / qi["scale"]) + qi["zero_point"], qi["qmin"], qi["qmax"]).astype(np.int8)
        it.set_tensor(i["index"], w[None])
        it.invoke()
        y = it.get_tensor(o["index"])[0]
        if precision == "int8":
            qo = meta["output"]["quantization"]
            y = (y.astype(np.float32) - qo["zero_point"]) * qo["scale"]
        app.append(y)
    with load(path) as clf:
        ref = clf.logits(x)
    step = meta["output"]["quantization"]["scale"] if precision == "int8" else 0.0
    np.testing.assert_allclose(np.stack(app), ref, atol=step + 1e-5)


def test_onnx_sidecar_states_float_io(exported):
    import onnxruntime as ort

    for precision in ("fp32", "int8"):
        path = exported[("onnx", precision)]
        meta = json.loads(Path(str(path) + ".json").read_text())
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert sess.get_inputs()[0].type == sess.get_outputs()[0].type == "tensor(float)"
        assert meta["input"]["dtype"] == meta["output"]["dtype"] == "float32"


def test_litert_load_refuses_a_sidecar_that_misstates_int8_io(exported, tmp_path):
    """An app follows the sidecar: one that claims float32 input for an int8 file is refused (the embedded
    contract names the field), and so is one that states a wrong scale, even where no contract is embedded."""
    from mujo_edge.errors import CorruptFileError
    from mujo_edge.artifacts.sidecar import write_sidecar
    from mujo_edge.runtime import load

    src = exported[("tflite", "int8")]
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    meta = json.loads(Path(str(src) + ".json").read_text())
    meta["input"] = {**meta["input"], "dtype": "float32", "quantization": None}
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match="sidecar field input.dtype = 'float32' disagrees with the contract embedded"):
        load(dst)
    meta = json.loads(Path(str(src) + ".json").read_text())
    meta["input"]["quantization"]["scale"] *= 2
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match="sidecar field input.quantization.scale"):
        load(dst)


def test_fp32_and_int8_reports_share_a_folder(exported):
    out = exported[("onnx", "fp32")].parent  # the fixture exported both precisions into one folder
    for precision in ("fp32", "int8"):
        report = json.loads((out / f"export_report_{precision}.json").read_text())
        assert report["precision"] == precision and report["passed"] is True
        assert [r["file"] for r in report["files"]] == [exported[(f, precision)].name for f in FORMATS]
        assert all(r["passed"] and r["top1_agreement"] >= 0.99 for r in report["files"])
        cfg = json.loads((out / f"export_config_{precision}.json").read_text())
        assert cfg["config"]["int8"] is (precision == "int8")
    assert not (out / "export_report.json").exists()


def test_f1_tolerance_is_two_sided():
    from mujo_edge.export.verify import within_tolerance

    res = {"top1_agreement": 1.0, "f1_drop": 0.0}
    assert within_tolerance(res, 0.99, 0.01)
    assert within_tolerance({**res, "f1_drop": -0.01}, 0.99, 0.01)
    assert not within_tolerance({**res, "f1_drop": -0.02}, 0.99, 0.01)  # the file scores 2 points *higher*
    assert not within_tolerance({**res, "f1_drop": 0.02}, 0.99, 0.01)
    assert not within_tolerance({**res, "top1_agreement": 0.98}, 0.99, 0.01)


def test_calibration_does_not_depend_on_the_verification_subset():
    from mujo_edge.export.pipeline import ExportConfig, select_windows

    keep0, pick0 = select_windows(1000, 800, ExportConfig(int8=True, calib_windows=64))
    keep1, pick1 = select_windows(1000, 800, ExportConfig(int8=True, calib_windows=64, max_verify_windows=100))
    assert keep0 is None and len(keep1) == 100 and np.all(np.diff(keep1) > 0)
    assert np.array_equal(pick0, pick1) and len(pick0) == 64
    assert select_windows(1000, 800, ExportConfig())[1] is None  # fp32: no calibration
    _, pick2 = select_windows(1000, 800, ExportConfig(int8=True, calib_windows=64, seed=1))
    assert not np.array_equal(pick0, pick2)


def test_every_format_is_tried_before_failing(student, tmp_path, monkeypatch):
    """An ONNX file that fails verification does not stop the LiteRT export; the report lists both, the error
    names the failing file with its numbers."""
    import mujo_edge.export.verify as verify
    from mujo_edge.export import ExportConfig, export_checkpoint

    real = verify.within_tolerance
    monkeypatch.setattr(verify, "within_tolerance",
                        lambda res, a, f: res["runtime"] != "onnxruntime" and real(res, a, f))
    with pytest.raises(VerificationError) as err:
        export_checkpoint(student, tmp_path, ExportConfig(formats=("onnx", "tflite")))
    msg = str(err.value)
    assert "1 of 2 file(s)" in msg and "dscnn_tiny_fp32.onnx: exported model disagrees" in msg
    assert "top-1 agreement 1.0000" in msg and ".tflite" not in msg.split("\n", 1)[1]
    report = json.loads((tmp_path / "export_report_fp32.json").read_text())
    assert report["passed"] is False
    assert [(r["format"], r["passed"]) for r in report["files"]] == [("onnx", False), ("tflite", True)]
    assert report["files"][0]["top1_agreement"] == 1.0 and "macro_f1_eager" in report["files"][0]
    assert json.loads((tmp_path / "dscnn_tiny_fp32.onnx.json").read_text())["verification"]["passed"] is False
    assert (tmp_path / "dscnn_tiny_fp32.tflite").exists()


def test_toolchain_failure_is_reported_after_the_other_formats(student, tmp_path, monkeypatch):
    import mujo_edge.export.onnx_backend as onnx_backend
    from mujo_edge.errors import ExportError
    from mujo_edge.export import ExportConfig, export_checkpoint

    def broken(*args, **kw):  # noqa: ANN002, ANN003
        raise ExportError("ONNX export of dscnn_tiny_fp32.onnx failed (RuntimeError: boom)")

    monkeypatch.setattr(onnx_backend, "export", broken)
    with pytest.raises(ExportError, match="export failed for 1 of 2 file") as err:
        export_checkpoint(student, tmp_path, ExportConfig(formats=("onnx", "tflite")))
    assert not isinstance(err.value, VerificationError) and "boom" in str(err.value)
    rows = json.loads((tmp_path / "export_report_fp32.json").read_text())["files"]
    assert rows[0]["passed"] is False and "boom" in rows[0]["error"] and rows[1]["passed"] is True


def test_toolchain_console_output_goes_to_the_log_file(tmp_path, capfd):
    """Native and Python prints inside the block land in the log, not on the terminal; the fds come back."""
    import ctypes
    import os
    import sys

    from mujo_edge.export.toolchain_log import tail, toolchain_output

    log = tmp_path / "m.pte.log"
    with toolchain_output(log):
        print("python stdout")
        print("python stderr", file=sys.stderr)
        os.write(1, b"raw fd 1\n")
        ctypes.CDLL(None).puts(b"native puts")
    print("after")
    out, err = capfd.readouterr()
    assert "after" in out and "python" not in out + err and "native" not in out + err
    text = log.read_text()
    for s in ("python stdout", "python stderr", "raw fd 1", "native puts"):
        assert s in text, s
    assert tail(log, 1).strip() in text and tail(tmp_path / "missing.log") == ""
