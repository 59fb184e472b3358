"""Fuzzing ``mujo_edge.runtime.load`` with mutated model files, sidecars and checkpoints (issue 11).

Every mutated artifact is loaded (and, if it loads, run on one window) in a child process, so a native crash
cannot hide behind the test runner; the child reports one line per file and must exit normally.

* **sealed**: bytes of the model file flipped, zeroed, truncated, inserted or appended, with the sidecar's
  sha256 updated to match (the corruption a copy or a careless edit produces): always a MujoEdgeError
  (the contract sealed into the file catches every changed byte before a parser runs).
* **unsealed**: the same mutations of a file whose contract was removed (as an export from before contracts
  were embedded), so the damaged bytes reach the container checks, the probe child and the native runtimes:
  a MujoEdgeError, or a model that loads and runs (a flipped weight is still a valid model) — never a crash,
  a hang or another exception type. (A file with a *valid* seal is by construction the export's own
  verified bytes; forging a seal over damaged bytes is not a corruption this guards against.)
* **sidecar**: contract fields, header and runtime fields of the sidecar changed to wrong values or types:
  always a MujoEdgeError.
* **checkpoint**: ``checkpoint.json`` fields and weight bytes of the checkpoint folder mutated: always a
  MujoEdgeError.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mujo_edge.artifacts.contract import find_contract
from mujo_edge.artifacts.sidecar import write_sidecar
from mujo_edge.provenance import sha256_file

pytestmark = pytest.mark.slow

CHILD = r"""
import json, sys, traceback
import numpy as np
from mujo_edge.errors import MujoEdgeError
from mujo_edge.runtime import load
for path in json.load(open(sys.argv[1])):
    try:
        clf = load(path)
        try:
            y = clf.predict_proba(np.zeros((1, clf.spec.window, len(clf.spec.channels)), np.float32))
            out = {"outcome": "ok", "finite": bool(np.isfinite(y).all())}
        finally:
            clf.close()
    except MujoEdgeError as exc:
        out = {"outcome": "error", "type": type(exc).__name__, "message": str(exc)[:300]}
    except BaseException as exc:
        out = {"outcome": "other", "type": type(exc).__name__, "message": traceback.format_exc()[-1500:]}
    print(json.dumps({"path": path, **out}), flush=True)
print("DONE", flush=True)
"""


def run_child(paths: list[Path], tmp: Path, timeout: float = 900) -> list[dict[str, Any]]:
    """Load every path in one child process; assert it exited normally and reported every file."""
    lst = tmp / "paths.json"
    lst.write_text(json.dumps([str(p) for p in paths]))
    res = subprocess.run([sys.executable, "-c", CHILD, str(lst)], capture_output=True, text=True, timeout=timeout)
    lines = [json.loads(ln) for ln in res.stdout.splitlines() if ln.startswith("{")]
    crashed = paths[len(lines)] if len(lines) < len(paths) else None
    assert res.returncode == 0 and res.stdout.rstrip().endswith("DONE"), (
        f"the loader process died (rc {res.returncode}) on {crashed}:\n{res.stderr[-3000:]}")
    assert len(lines) == len(paths)
    return lines


def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One random corruption of ``data`` (kind, new bytes); never returns ``data`` unchanged."""
    b = bytearray(data)
    kind = str(rng.choice(["flip", "flip_head", "zero_run", "truncate", "insert", "append", "swap"]))
    if kind == "flip":
        for _ in range(int(rng.integers(1, 9))):
            b[int(rng.integers(0, len(b)))] ^= int(rng.integers(1, 256))
    elif kind == "flip_head":
        for i in range(int(rng.integers(1, 16))):
            b[i] ^= 0xFF
    elif kind == "zero_run":
        at, n = int(rng.integers(0, len(b))), int(rng.integers(1, 64))
        b[at:at + n] = bytes(len(b[at:at + n]))
    elif kind == "truncate":
        b = b[:int(rng.integers(0, len(b)))]
    elif kind == "insert":
        at = int(rng.integers(0, len(b)))
        b[at:at] = rng.integers(0, 256, int(rng.integers(1, 32))).astype(np.uint8).tobytes()
    elif kind == "append":
        b += rng.integers(0, 256, int(rng.integers(1, 256))).astype(np.uint8).tobytes()
    else:
        i, j = sorted(int(v) for v in rng.integers(0, len(b), 2))
        n = min(16, j - i, len(b) - j)
        b[i:i + n], b[j:j + n] = b[j:j + n], b[i:i + n]
    out = bytes(b)
    if out == data:
        out = data[:-1]
    return kind, out


def unseal(data: bytes) -> bytes:
    """``data`` with its embedded contract blanked (same length): a file as older exports wrote it."""
    found = find_contract(data)
    assert found is not None
    _, start, end = found
    return data[:start] + b" " * (end - start) + data[end:]


def write_case(dst: Path, data: bytes, meta: dict[str, Any]) -> Path:
    dst.write_bytes(data)
    meta = copy.deepcopy(meta)
    meta["sha256"] = sha256_file(dst)
    write_sidecar(dst, meta)
    return dst


@pytest.fixture(scope="module")
def models(exported, tflm_exported) -> dict[str, Path]:
    return {"pte": exported[("executorch", "int8")], "tflite": exported[("tflite", "int8")],
            "onnx": exported[("onnx", "int8")], "tflm": tflm_exported}


N_PER_FORMAT = 40
N_UNSEALED = 8  # each unsealed file is probed in a child process first (seconds each; CI time)


def test_mutated_model_files_give_a_mujo_edge_error(models, tmp_path):
    rng = np.random.default_rng(11)
    paths, kinds = [], {}
    for name, src in models.items():
        meta = json.loads(Path(str(src) + ".json").read_text())
        data = src.read_bytes()
        for i in range(N_PER_FORMAT):
            kind, bad = mutate(data, rng)
            p = write_case(tmp_path / f"{name}_{i}{src.suffix}", bad, meta)
            paths.append(p)
            kinds[str(p)] = kind
    results = run_child(paths, tmp_path)
    wrong = [(r["path"], kinds[r["path"]], r["outcome"], r.get("message", "")) for r in results if r["outcome"] != "error"]
    assert not wrong, wrong[:5]
    assert all(r["type"] == "CorruptFileError" for r in results)


def test_unsealed_mutations_reach_the_parsers_without_crashing(models, tmp_path):
    rng = np.random.default_rng(12)
    paths, kinds = [], {}
    for name, src in models.items():
        meta = json.loads(Path(str(src) + ".json").read_text())
        meta.pop("embedded_contract")
        data = unseal(src.read_bytes())
        for i in range(N_UNSEALED):
            kind, bad = mutate(data, rng)
            p = write_case(tmp_path / f"{name}_{i}{src.suffix}", bad, meta)
            paths.append(p)
            kinds[str(p)] = kind
    results = run_child(paths, tmp_path, timeout=1800)
    other = [(r["path"], kinds[r["path"]], r["type"], r["message"]) for r in results if r["outcome"] == "other"]
    assert not other, other[:3]
    assert all(r["finite"] for r in results if r["outcome"] == "ok")
    errors = sum(r["outcome"] == "error" for r in results)
    assert errors >= len(results) // 2  # most structural damage is refused, not silently run


SIDECAR_EDITS: list[tuple[tuple[Any, ...], Any]] = [
    (("format_version",), "2"), (("format_version",), 99), (("format",), "mujo-edge-checkpoint"), (("sha256",), 7),
    (("backend",), "executorch"), (("backend",), "litert"), (("backend",), "tflm"), (("backend",), ["litert"]),
    (("precision",), "int4"), (("precision",), "fp32"),
    (("label_names",), "walk"), (("label_names",), []), (("label_names", 0), 3), (("label_names", 1), None),
    (("sensor_spec",), None), (("sensor_spec", "rate_hz"), "50"), (("sensor_spec", "rate_hz"), -50.0),
    (("sensor_spec", "window"), 127), (("sensor_spec", "window"), "128"), (("sensor_spec", "hop"), 0),
    (("sensor_spec", "channels"), ["acc_x"]), (("sensor_spec", "normalization", "std", 0), 0.0),
    (("sensor_spec", "normalization", "mean"), [0.0]), (("sensor_spec", "normalization"), "standard"),
    (("input",), None), (("input",), [1, 128, 6]), (("input", "shape"), [1, 6, 128]), (("input", "shape", 1), 128.5),
    (("input", "dtype"), "float64"), (("input", "dtype"), 8), (("output", "shape"), [1, 5]), (("output", "dtype"), None),
    (("channels_used",), ["mag_x"]), (("channels_used",), "acc_x"), (("verification",), [True]),
    (("embedded_contract",), "yes"), (("file",), None), (("model",), None),
]
INT8_EDITS: list[tuple[tuple[Any, ...], Any]] = [
    (("input", "quantization"), None), (("input", "quantization", "scale"), 0.0),
    (("input", "quantization", "scale"), "0.03"), (("input", "quantization", "zero_point"), 300),
    (("input", "quantization", "zero_point"), 1.5), (("output", "quantization", "scale"), -1.0),
]
TFLM_EDITS: list[tuple[tuple[Any, ...], Any]] = [
    (("tflm",), None), (("tflm", "arena_bytes"), 512), (("tflm", "arena_bytes"), "13 KB"), (("tflm", "arena_bytes"), 2048),
    (("tflm",), [1]),
]


def _apply(meta: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    m = copy.deepcopy(meta)
    node = m
    for k in path[:-1]:
        node = node[k]
    if value is None and isinstance(node, dict):
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return m


def test_mutated_sidecars_give_a_mujo_edge_error(models, tmp_path):
    paths, what = [], {}
    for name, src in models.items():
        meta = json.loads(Path(str(src) + ".json").read_text())
        edits = SIDECAR_EDITS + (INT8_EDITS if meta["input"]["dtype"] == "int8" else []) + (TFLM_EDITS if name == "tflm" else [])
        for i, (path, value) in enumerate(edits):
            edited = _apply(meta, path, value)
            if edited == meta:
                continue  # not an edit for this file (e.g. its backend already is that one)
            d = tmp_path / f"{name}_{i}"
            d.mkdir()
            dst = d / src.name
            shutil.copy(src, dst)
            Path(str(dst) + ".json").write_text(json.dumps(edited))
            paths.append(dst)
            what[str(dst)] = (name, path, value)
        d = tmp_path / f"{name}_broken_json"
        d.mkdir()
        shutil.copy(src, d / src.name)
        Path(str(d / src.name) + ".json").write_text(Path(str(src) + ".json").read_text()[:-40])
        paths.append(d / src.name)
        what[str(d / src.name)] = (name, "truncated JSON", None)
    results = run_child(paths, tmp_path)
    wrong = [(what[r["path"]], r["outcome"], r.get("message", "")) for r in results if r["outcome"] != "error"]
    assert not wrong, wrong[:5]


CHECKPOINT_EDITS: list[tuple[tuple[Any, ...], Any]] = [
    (("format_version",), "1"), (("kind",), "mujo"), (("kind",), 3), (("sensor_spec", "rate_hz"), 25.0),
    (("sensor_spec", "channels"), ["acc_y", "acc_x", "acc_z", "gyro_x", "gyro_y", "gyro_z"]),
    (("label_names",), ["walk", "still", "run", "wave"]), (("model", "name"), "dscnn"), (("model",), "dscnn_tiny"),
    (("weights_sha256",), "0" * 64), (("sensor_spec",), None),
]


def test_mutated_checkpoints_give_a_mujo_edge_error(student, tmp_path):
    """``checkpoint.json`` edits and damaged weights (its contract check is the checkpoint module's own)."""
    rng = np.random.default_rng(13)
    meta = json.loads((student / "checkpoint.json").read_text())
    weights = (student / "model.safetensors").read_bytes()
    paths, what = [], {}
    for i, (path, value) in enumerate(CHECKPOINT_EDITS):
        d = tmp_path / f"json_{i}"
        shutil.copytree(student, d)
        edited = _apply(meta, path, value)
        if path == ("label_names",):
            edited["label_names"] = [meta["label_names"][j] for j in (1, 0, 2, 3)]
        (d / "checkpoint.json").write_text(json.dumps(edited))
        paths.append(d)
        what[str(d)] = (path, value)
    for i in range(12):
        d = tmp_path / f"weights_{i}"
        shutil.copytree(student, d)
        kind, bad = mutate(weights, rng)
        (d / "model.safetensors").write_bytes(bad)
        paths.append(d)
        what[str(d)] = ("weights", kind)
    results = run_child(paths, tmp_path)
    wrong = [(what[r["path"]], r["outcome"], r.get("message", "")) for r in results if r["outcome"] != "error"]
    assert not wrong, wrong[:5]
