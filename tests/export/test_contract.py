"""Malformed artifacts (issue 11): the contract sealed inside every exported file, sidecar edits, container checks,
damaged files that must give a MujoEdgeError instead of killing the process, and no empty --out after a failed export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mujo_edge.artifacts.contract import KEY, find_contract
from mujo_edge.artifacts.sidecar import write_sidecar
from mujo_edge.errors import CheckpointError, CorruptFileError
from mujo_edge.provenance import sha256_file

FORMATS = [("executorch", "int8"), ("tflite", "int8"), ("onnx", "int8"), ("onnx", "fp32")]


def copy_with_sidecar(src: Path, dst_dir: Path) -> tuple[Path, dict]:
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    meta = json.loads(Path(str(src) + ".json").read_text())
    write_sidecar(dst, meta)
    return dst, meta


def load_in_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    """``mujo_edge.runtime.load(path)`` in a child: a crash there cannot take the test run down."""
    code = ("import sys\nfrom mujo_edge.errors import MujoEdgeError\nfrom mujo_edge.runtime import load\n"
            "try:\n    load(sys.argv[1]).close()\n    print('LOADED')\n"
            "except MujoEdgeError as exc:\n    print('MUJOEDGEERROR', type(exc).__name__, exc)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("fmt,precision", FORMATS)
def test_the_contract_travels_inside_the_file(exported, fmt, precision):
    path = exported[(fmt, precision)]
    meta = json.loads(Path(str(path) + ".json").read_text())
    contract, _, _ = find_contract(path.read_bytes())
    for key in ("backend", "precision", "sensor_spec", "label_names", "channels_used", "input", "output"):
        assert contract[key] == meta[key], key
    assert meta["embedded_contract"]["key"] == KEY and len(contract["payload_sha256"]) == 64


def test_each_format_stores_it_where_its_tools_find_it(exported):
    import onnxruntime as ort

    from mujo_edge.runtime.containers import inspect_file

    sess = ort.InferenceSession(str(exported[("onnx", "int8")]), providers=["CPUExecutionProvider"])
    assert json.loads(sess.get_modelmeta().custom_metadata_map[KEY])["format"] == "mujo-edge-contract"
    tfl = inspect_file(exported[("tflite", "int8")])
    assert KEY in tfl.details["metadata"] and json.loads(tfl.details["contract_metadata"]) == tfl.contract
    pte = inspect_file(exported[("executorch", "int8")])
    assert KEY in pte.methods and json.loads(pte.details["contract_method"]) == pte.contract
    assert pte.inputs[0].shape == (1, 128, 6) and pte.outputs[0].shape == (1, 4)


EDITS = [  # (what, path in the sidecar, new value or a function of the old one, field named in the error)
    ("rate 50 -> 25 Hz", ("sensor_spec", "rate_hz"), 25.0, "sensor_spec.rate_hz"),
    ("acc_x and acc_y swapped", ("sensor_spec", "channels"), lambda c: [c[1], c[0], *c[2:]], "sensor_spec.channels[0]"),
    ("two label names swapped", ("label_names",), lambda n: [n[1], n[0], *n[2:]], "label_names[0]"),
    ("normalization mean", ("sensor_spec", "normalization", "mean", 2), 0.0, "sensor_spec.normalization.mean[2]"),
    ("hop", ("sensor_spec", "hop"), 32, "sensor_spec.hop"),
    ("channels used", ("channels_used",), ["acc_x", "acc_y", "acc_z"], "channels_used"),
]


def _edit(meta: dict, path: tuple, value) -> dict:  # noqa: ANN001
    node = meta
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return meta


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
@pytest.mark.parametrize("what,path,value,field", EDITS, ids=[e[0] for e in EDITS])
def test_a_sidecar_that_disagrees_with_the_embedded_copy_is_refused(exported, tmp_path, fmt, what, path, value, field):
    """Before the contract traveled inside the file these edits changed predictions silently (issue 11)."""
    from mujo_edge.runtime import load

    dst, meta = copy_with_sidecar(exported[(fmt, "int8")], tmp_path)
    write_sidecar(dst, _edit(meta, path, value))
    with pytest.raises(CorruptFileError, match=f"sidecar field {re.escape(field)} = "):
        load(dst)


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
def test_window_channel_and_label_count_edits_name_the_shape(exported, tmp_path, fmt):
    """A consistent edit of the sidecar (window 128 -> 64 and its input shape) still meets the model's real tensors."""
    from mujo_edge.runtime import load

    dst, meta = copy_with_sidecar(exported[(fmt, "int8")], tmp_path)
    meta["sensor_spec"]["window"] = 64
    meta["input"]["shape"][1] = 64
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match="sidecar field sensor_spec.window = 64"):
        load(dst)
    meta = json.loads(Path(str(exported[(fmt, "int8")]) + ".json").read_text())
    meta["label_names"] = meta["label_names"][:3]
    write_sidecar(dst, meta)  # 3 labels for a 4-logit output: inconsistent inside the sidecar already
    with pytest.raises(CorruptFileError, match=r"output.shape \[1, 4\] does not match one logit per label"):
        load(dst)


def test_without_an_embedded_contract_the_real_shapes_are_still_checked(exported, tmp_path):
    """A file from an older export (no contract) whose sidecar was edited: the container's real input shape
    refuses it with a message instead of a backend traceback ("Got: 64 Expected: 128")."""
    from mujo_edge.export.litert_backend import io_details  # noqa: F401  (LiteRT is installed)
    from mujo_edge.runtime import load

    src = exported[("tflite", "int8")]
    data = src.read_bytes()
    contract, start, end = find_contract(data)
    dst = tmp_path / src.name
    dst.write_bytes(data[:start] + b" " * (end - start) + data[end:])  # contract blanked: an "old" file
    meta = json.loads(Path(str(src) + ".json").read_text())
    meta.pop("embedded_contract")
    meta["sha256"] = sha256_file(dst)
    meta["sensor_spec"]["window"] = 64
    meta["input"]["shape"][1] = 64
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match=r"sidecar input.shape \[1, 64, 6\] differs from the model's real input "
                                               r"shape \[1, 128, 6\]"):
        load(dst)
    meta["embedded_contract"] = {"key": KEY}
    meta["sensor_spec"]["window"], meta["input"]["shape"][1] = 128, 128
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match="carries an embedded contract, but the file has none"):
        load(dst)


@pytest.mark.parametrize("fmt", ["executorch", "tflite", "onnx"])
def test_flipped_first_bytes_with_a_matching_sha256_give_an_error_not_an_abort(exported, tmp_path, fmt):
    """Issue 11: a .pte with its first bytes flipped and the sidecar's sha256 updated aborted the process
    (SIGABRT in ExecuTorch's pybind layer); every format now fails cleanly, in a child process to be safe."""
    dst, meta = copy_with_sidecar(exported[(fmt, "int8")], tmp_path)
    data = bytearray(dst.read_bytes())
    for i in range(8):
        data[i] ^= 0xFF
    dst.write_bytes(bytes(data))
    meta["sha256"] = sha256_file(dst)
    write_sidecar(dst, meta)
    res = load_in_subprocess(dst)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("MUJOEDGEERROR CorruptFileError") and "content sha256" in res.stdout


def test_string_format_version_is_a_clear_error(exported, tmp_path):
    from mujo_edge.runtime import load

    dst, meta = copy_with_sidecar(exported[("onnx", "int8")], tmp_path)
    meta["format_version"] = "1"
    write_sidecar(dst, meta)
    with pytest.raises(CorruptFileError, match="format_version must be a positive integer, got '1'"):
        load(dst)


def test_a_failed_export_leaves_no_empty_out_folder(tmp_path, student):
    from mujo_edge.artifacts.checkpoint import load_checkpoint, save_checkpoint
    from mujo_edge.export import ExportConfig, export_checkpoint
    from mujo_edge.models import build_classifier

    ckpt = load_checkpoint(student)
    save_checkpoint(tmp_path / "teacher", build_classifier("dscnn_tiny", num_classes=4), kind="mujo",
                    model_name="dscnn_tiny", model_config={"num_classes": 4}, spec=ckpt.spec, label_names=ckpt.label_names)
    out = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(CheckpointError):
        export_checkpoint(tmp_path / "teacher", out, ExportConfig(formats=("onnx",)))
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(CheckpointError):
        export_checkpoint(tmp_path / "teacher", kept, ExportConfig(formats=("onnx",)))
    assert kept.is_dir()  # a folder that existed before stays
