"""``export --format tflm --int8``: fully int8 .tflite for TensorFlow Lite Micro, measured arena, C files, verification."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.errors import ConfigError

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware_bridge" / "firmware"


def sidecar(path: Path) -> dict:
    return json.loads(Path(str(path) + ".json").read_text())


def test_files_sidecar_and_verification(tflm_exported, student):
    from mujo_edge.artifacts.checkpoint import load_checkpoint

    path = tflm_exported
    meta = sidecar(path)
    ckpt = load_checkpoint(student)
    assert path.name == "dscnn_tiny_int8_tflm.tflite" and meta["backend"] == "tflm" and meta["precision"] == "int8"
    assert meta["input"]["dtype"] == meta["output"]["dtype"] == "int8"
    assert meta["label_names"] == list(ckpt.label_names) and meta["sensor_spec"] == ckpt.spec.to_dict()
    t = meta["tflm"]
    assert isinstance(t["arena_bytes"], int) and 1024 < t["arena_bytes"] <= 32 * 1024
    assert t["allocation_report"]["total_bytes"] <= t["arena_bytes"]  # what the allocator used fits the measured arena
    assert t["firmware_arena_bytes"] >= t["arena_bytes"] and t["firmware_arena_bytes"] % 1024 == 0
    assert t["ops"] and set(t["ops"]) <= {"TRANSPOSE", "RESHAPE", "PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "MEAN",
                                          "FULLY_CONNECTED"}
    assert t["model_bytes"] == path.stat().st_size <= 64 * 1024
    for name in t["files"]:
        assert (path.parent / name).stat().st_size > 0
    ver = meta["verification"]
    assert ver["passed"] and ver["runtime"] == "tflm" and ver["top1_agreement"] >= 0.99 and abs(ver["f1_drop"]) <= 0.01


def test_arena_is_the_smallest_that_runs(tflm_exported):
    """The recorded arena runs the model; 16 bytes less does not (bisection in 16-byte steps)."""
    from mujo_edge.runtime.file_backends import tflm_interpreter

    data = tflm_exported.read_bytes()
    arena = sidecar(tflm_exported)["tflm"]["arena_bytes"]

    def runs(n: int) -> bool:
        try:
            it = tflm_interpreter(data, n)
            it.set_input(np.zeros((1, 128, 6), np.int8), 0)
            it.invoke()
            return True
        except (RuntimeError, ValueError):
            return False

    assert runs(arena) and not runs(arena - 16)


def test_c_source_holds_the_model_bytes_and_the_header_the_contract(tflm_exported):
    from mujo_edge.runtime.int8 import c_float

    path, meta = tflm_exported, sidecar(tflm_exported)
    cc = (path.parent / f"{path.stem}_model.cc").read_text()
    assert "alignas(16) const unsigned char dscnn_tiny_int8_tflm_model[]" in cc
    body = cc.split("= {", 1)[1].split("};", 1)[0]
    assert bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", body)) == path.read_bytes()
    assert f"dscnn_tiny_int8_tflm_model_len = {path.stat().st_size}u" in cc
    spec_h = (path.parent / f"{path.stem}_spec.h").read_text()
    spec, qi = meta["sensor_spec"], meta["input"]["quantization"]
    for line in (f"#define MUJO_SPEC_WINDOW {spec['window']}u", f"#define MUJO_SPEC_HOP {spec['hop']}u",
                 f"#define MUJO_SPEC_RATE_MHZ {round(spec['rate_hz'] * 1000)}u",
                 f"#define MUJO_INPUT_SCALE {c_float(qi['scale'])}", f"#define MUJO_INPUT_ZERO_POINT ({qi['zero_point']})",
                 f"#define MUJO_NUM_CLASSES {len(meta['label_names'])}u",
                 f"#define MUJO_TFLM_ARENA_BYTES {meta['tflm']['firmware_arena_bytes']}u"):
        assert line in spec_h, line
    assert ", ".join(c_float(v) for v in spec["normalization"]["mean"]) in spec_h
    ops_h = (path.parent / f"{path.stem}_ops.h").read_text()
    assert f"#define MUJO_MODEL_NUM_OPS {len(meta['tflm']['ops'])}" in ops_h
    for method in meta["tflm"]["resolver_methods"]:
        assert f"resolver.{method}()" in ops_h


def test_generated_headers_compile_with_the_firmware(tflm_exported, tmp_path):
    """The spec header initializes the firmware's window assembler (C11, warnings as errors), and the model
    source compiles as C++ (the op header needs TensorFlow Lite Micro's sources and is not built here)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    path = tflm_exported
    prog = tmp_path / "probe.c"
    prog.write_text(f'#include "{path.stem}_spec.h"\n#include "mujo_window.h"\n#include <stdio.h>\n'
                    "int main(void) {\n  static int8_t ring[MUJO_SPEC_WINDOW * MUJO_SPEC_CHANNELS];\n"
                    "  mujo_window_spec_t spec = MUJO_WINDOW_SPEC_INIT;\n  mujo_window_t w;\n"
                    "  static const char *labels[] = MUJO_LABEL_NAMES;\n"
                    "  int err = mujo_window_init(&w, &spec, MUJO_FORMAT_IMU6, 0x22, ring, sizeof ring);\n"
                    '  printf("%d %s\\n", err, labels[MUJO_NUM_CLASSES - 1]);\n  return err;\n}\n')
    exe = tmp_path / "probe"
    res = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", f"-I{path.parent}",
                          f"-I{FIRMWARE / 'include'}", str(prog), str(FIRMWARE / "src" / "mujo_window.c"),
                          str(FIRMWARE / "src" / "mujo_imu.c"), "-lm", "-o", str(exe)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.split() == ["0", sidecar(path)["label_names"][-1]]
    if shutil.which("g++") is not None:
        res = subprocess.run(["g++", "-std=c++11", "-c", "-Wall", "-Werror", f"-I{path.parent}",
                              str(path.parent / f"{path.stem}_model.cc"), "-o", str(tmp_path / "model.o")],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_tflm_agrees_with_litert_on_the_same_file(tflm_exported, student):
    """The TFLM reference kernels and LiteRT's XNNPACK kernels compute the same int8 model."""
    from mujo_edge.artifacts.checkpoint import checkpoint_split, load_checkpoint
    from mujo_edge.runtime import load
    from mujo_edge.runtime.file_backends import load_litert

    x = checkpoint_split(load_checkpoint(student)).x_test
    with load(tflm_exported) as micro:
        assert micro.backend == "tflm" and micro.arena_bytes == sidecar(tflm_exported)["tflm"]["arena_bytes"]
        a = micro.logits(x)
        meta = sidecar(tflm_exported)
        lite = load_litert(tflm_exported, meta, spec=micro.spec, label_names=micro.label_names)
        b = lite.logits(x)
    step = meta["output"]["quantization"]["scale"]
    assert np.mean(a.argmax(1) == b.argmax(1)) >= 0.99 and np.abs(a - b).max() <= 3 * step + 1e-6


def test_tflm_is_int8_only_and_all_includes_it_with_int8():
    from mujo_edge.export import ExportConfig
    from mujo_edge.export.backends import resolve_formats

    with pytest.raises(ConfigError, match="tflm are int8 only"):
        ExportConfig(formats=("tflm",))
    with pytest.raises(ConfigError, match="add --int8"):
        resolve_formats("onnx,tflm", int8=False)
    assert resolve_formats("all", int8=False) == ("executorch", "tflite", "onnx")
    assert resolve_formats("all", int8=True) == ("executorch", "tflite", "onnx", "tflm")
    assert ExportConfig(formats=("tflm", "onnx"), int8=True).formats == ("tflm", "onnx")


def test_cli_export_tflm_without_int8_is_a_clear_error(student, tmp_path, capsys):
    from mujo_edge.cli.main import run

    out = tmp_path / "never"
    assert run(["export", "--checkpoint", str(student), "--out", str(out), "--format", "tflm"]) == 1
    assert "int8 only" in capsys.readouterr().err and not out.exists()
