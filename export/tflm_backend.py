"""TensorFlow Lite Micro export: a fully int8 ``.tflite`` plus everything a watch firmware needs to run it.

``export`` converts with the LiteRT path (litert-torch PT2E, static int8, **int8 input and output**, per-channel
weights) and refuses ops the TFLM op resolver cannot register. ``finalize`` then works on the sealed file:

* measures the tensor arena in the TFLM Python interpreter of the pip package ``tflite-micro`` (the same
  reference kernels as the microcontroller library): bisection for the smallest arena in which the model
  allocates and runs, and the interpreter's own allocation report;
* writes, beside ``{name}_int8_tflm.tflite``:

  ``{stem}_model.h`` / ``{stem}_model.cc``  the model bytes as a 16-byte aligned C array
  ``{stem}_spec.h``                        a C header with the sensor spec (rate, window, hop, channel
                                           order, normalization), input scale / zero point, output
                                           quantization, label names, arena size and model id
  ``{stem}_ops.h``                         ``mujo_register_ops(resolver)`` adding exactly the model's
                                           ops to a ``tflite::MicroMutableOpResolver<N>``

The measured arena, the files and the op list go into the sidecar's ``tflm`` section; verification then
runs the file in that arena (:class:`mujo_edge.runtime.file_backends.TFLMClassifier`).
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from mujo_edge.export import litert_backend

from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ExportError, require
from mujo_edge.provenance import atomic_write_text
from mujo_edge.runtime.containers import inspect_tflite
from mujo_edge.runtime.file_backends import tflm_interpreter
from mujo_edge.runtime.int8 import c_float

log = logging.getLogger(__name__)

#: TFLite builtin op → ``tflite::MicroMutableOpResolver`` method (TFLM's public op registration API)
RESOLVER_METHODS: dict[str, str] = {
    "ADD": "AddAdd", "AVERAGE_POOL_2D": "AddAveragePool2D", "BATCH_MATMUL": "AddBatchMatMul",
    "CONCATENATION": "AddConcatenation", "CONV_2D": "AddConv2D", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D",
    "DEQUANTIZE": "AddDequantize", "FULLY_CONNECTED": "AddFullyConnected", "LOGISTIC": "AddLogistic",
    "MAX_POOL_2D": "AddMaxPool2D", "MEAN": "AddMean", "MUL": "AddMul", "PACK": "AddPack", "PAD": "AddPad",
    "QUANTIZE": "AddQuantize", "RELU": "AddRelu", "RELU6": "AddRelu6", "RESHAPE": "AddReshape", "SLICE": "AddSlice",
    "SOFTMAX": "AddSoftmax", "SPLIT": "AddSplit", "STRIDED_SLICE": "AddStridedSlice", "SUB": "AddSub",
    "TANH": "AddTanh", "TRANSPOSE": "AddTranspose",
}
#: firmware arena = measured minimum × this, rounded up to whole KB (optimized kernels such as CMSIS-NN
#: may ask for scratch buffers the reference kernels do not)
ARENA_MARGIN = 1.25
MAX_ARENA = 4 * 1024 * 1024


def export(model: Any, example: Any, calib: np.ndarray | None, path: Path,
           contract: Callable[[dict[str, Any] | None], str] | None = None) -> dict[str, Any]:
    """Write the fully int8 ``.tflite`` (see :mod:`mujo_edge.export.backends`); only int8 (``calib`` given)."""
    if calib is None:
        raise ExportError("TensorFlow Lite Micro runs fully int8 models: export --format tflm needs --int8")
    require("tflite_micro", "export", "TensorFlow Lite Micro export (pip install tflite-micro)")
    details = litert_backend.export(model, example, calib, path, contract)  # fully int8
    io = details["io"]
    if io["input"]["dtype"] != "int8" or io["output"]["dtype"] != "int8":
        raise ExportError(f"{path.name}: the converter produced {io['input']['dtype']} input / {io['output']['dtype']} "
                          f"output; TensorFlow Lite Micro needs int8 at both ends")
    ops = ops_of(path.read_bytes(), path)
    unknown = [op for op in ops if op not in RESOLVER_METHODS]
    if unknown:
        raise ExportError(f"{path.name} uses op(s) {', '.join(unknown)} that mujo-edge cannot register with "
                          f"TensorFlow Lite Micro's MicroMutableOpResolver (supported: {', '.join(sorted(RESOLVER_METHODS))})")
    return {**details, "ops": ops}


def ops_of(data: bytes, path: Path) -> list[str]:
    """Distinct builtin ops of a ``.tflite`` in first-use order."""
    return list(dict.fromkeys(inspect_tflite(data, path).ops))


def finalize(path: Path, sidecar: dict[str, Any]) -> dict[str, Any]:
    """Measure the arena of the sealed file and write the C files; returns the sidecar's ``tflm`` section."""
    data = path.read_bytes()
    t0 = time.perf_counter()
    arena, tries = measure_arena(data, tuple(sidecar["input"]["shape"]))
    report = allocation_report(data, arena, tuple(sidecar["input"]["shape"]))
    firmware_arena = int(math.ceil(arena * ARENA_MARGIN / 1024) * 1024)
    ops = ops_of(data, path)
    stem = path.stem
    files = write_c_files(path, data, sidecar, ops, arena, firmware_arena)
    return {"arena_bytes": arena, "firmware_arena_bytes": firmware_arena, "arena_margin": ARENA_MARGIN,
            "arena_search": {"method": "bisection of the smallest arena in which the TFLM interpreter allocates and "
                                       "runs the model (16-byte steps)", "tries": tries,
                             "seconds": round(time.perf_counter() - t0, 2)},
            "allocation_report": report, "model_bytes": len(data), "ops": ops,
            "resolver_methods": [RESOLVER_METHODS[o] for o in ops], "files": [f.name for f in files],
            "c_symbol": c_identifier(stem), "tflite_micro_version": _tflm_version(),
            "measured_on": "tflite-micro Python interpreter (reference kernels), 64-bit host; 32-bit MCUs need "
                           "no more for the same kernels"}


def _runs(data: bytes, arena: int, shape: tuple[int, ...]) -> bool:
    try:
        it = tflm_interpreter(data, arena)
        it.set_input(np.zeros(shape, np.int8), 0)
        it.invoke()
        return True
    except (RuntimeError, ValueError):
        return False


def measure_arena(data: bytes, shape: tuple[int, ...]) -> tuple[int, int]:
    """``(smallest arena in bytes in which the model allocates and runs, interpreter runs tried)``; bisection in 16-byte steps."""
    hi, tries = 16 * 1024, 0
    while True:
        tries += 1
        if _runs(data, hi, shape):
            break
        if hi >= MAX_ARENA:
            raise ExportError(f"the model does not run in TensorFlow Lite Micro even with a {MAX_ARENA}-byte arena")
        hi *= 2
    lo = 0
    while hi - lo > 16:
        mid = (lo + hi) // 2 // 16 * 16
        tries += 1
        if _runs(data, mid, shape):
            hi = mid
        else:
            lo = mid
    return hi, tries


def allocation_report(data: bytes, arena: int, shape: tuple[int, ...]) -> dict[str, Any]:
    """The interpreter's ``RecordingMicroAllocator`` report (total / head / tail bytes and per-kind lines)."""
    with tempfile.TemporaryFile(mode="w+b") as f:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        try:
            os.dup2(f.fileno(), 1)
            os.dup2(f.fileno(), 2)
            it = tflm_interpreter(data, arena)
            it.set_input(np.zeros(shape, np.int8), 0)
            it.invoke()
            it.print_allocations()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
        f.seek(0)
        text = f.read().decode(errors="replace")
    out: dict[str, Any] = {"lines": [ln.split("] ", 1)[-1] for ln in text.splitlines() if "RecordingMicroAllocator" in ln]}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        out[f"{key}_bytes"] = int(m.group(1)) if m else None
    return out


def _tflm_version() -> str:
    try:
        from importlib.metadata import version

        return version("tflite-micro")
    except Exception:  # metadata missing in odd installs: reporting only
        return "unknown"


# ---------------------------------------------------------------------------------------------- C files
def c_identifier(stem: str) -> str:
    """A C identifier from a file stem (``dscnn_int8_tflm``)."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", stem)
    return ident if not ident[0].isdigit() else f"m_{ident}"


def _f32(v: float) -> str:
    try:
        return c_float(v)
    except ValueError as exc:
        raise ExportError(f"cannot write the firmware header: {exc}") from exc


def _c_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_c_files(path: Path, data: bytes, sidecar: dict[str, Any], ops: list[str], arena: int,
                  firmware_arena: int) -> list[Path]:
    """Write ``{stem}_model.h/.cc``, ``{stem}_spec.h`` and ``{stem}_ops.h`` beside ``path``; returns their paths."""
    stem, ident = path.stem, c_identifier(path.stem)
    guard = ident.upper()
    spec = SensorSpec.from_dict(sidecar["sensor_spec"])
    labels = list(sidecar["label_names"])
    qi, qo = sidecar["input"]["quantization"], sidecar["output"]["quantization"]
    mean = spec.normalization.mean if spec.normalization.kind == "standard" else (0.0,) * len(spec.channels)
    std = spec.normalization.std if spec.normalization.kind == "standard" else (1.0,) * len(spec.channels)
    head = f"/* Generated by `mujo-edge export --format tflm` from {path.name} (sha256 {sidecar['sha256'][:16]}...); do not edit. */"
    model_h = [head, f"#ifndef {guard}_MODEL_H", f"#define {guard}_MODEL_H", "",
               "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
               f"/* The .tflite flatbuffer ({len(data)} bytes), 16-byte aligned as tflite::GetModel() expects. */",
               f"extern const unsigned char {ident}_model[];", f"extern const unsigned int {ident}_model_len;",
               f"#define MUJO_MODEL_DATA {ident}_model", f"#define MUJO_MODEL_LEN {ident}_model_len", "",
               "#ifdef __cplusplus", "}", "#endif", "#endif", ""]
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    model_cc = [head, f'#include "{stem}_model.h"', "",
                f"alignas(16) const unsigned char {ident}_model[] = {{", *[f"    {r}," for r in rows], "};",
                f"const unsigned int {ident}_model_len = {len(data)}u;", ""]
    sha = bytes.fromhex(sidecar["sha256"])[:8]
    spec_h = [head, f"#ifndef {guard}_SPEC_H", f"#define {guard}_SPEC_H", "",
              "/* Everything the firmware needs from the model's sensor spec and I/O contract (C99; firmware/src/mujo_window.h",
              " * consumes it through MUJO_WINDOW_SPEC_INIT). Windows: MUJO_SPEC_WINDOW samples at MUJO_SPEC_RATE_HZ, a new",
              " * one every MUJO_SPEC_HOP samples, channels in MUJO_SPEC_CHANNEL_NAMES order in SI units (m/s^2, rad/s);",
              " * input int8 q = clamp(rint(((x - MEAN[c]) / STD[c]) / MUJO_INPUT_SCALE) + MUJO_INPUT_ZERO_POINT, -128, 127);",
              " * logits = (q - MUJO_OUTPUT_ZERO_POINT) * MUJO_OUTPUT_SCALE; class = argmax. */",
              "#include <stdint.h>", "",
              f"#define MUJO_SPEC_RATE_HZ {_f32(spec.rate_hz)}",
              f"#define MUJO_SPEC_RATE_MHZ {int(round(spec.rate_hz * 1000))}u",
              f"#define MUJO_SPEC_WINDOW {spec.window}u", f"#define MUJO_SPEC_HOP {spec.hop}u",
              f"#define MUJO_SPEC_CHANNELS {len(spec.channels)}u",
              f"#define MUJO_SPEC_CHANNEL_NAMES {{{', '.join(_c_string(c) for c in spec.channels)}}}",
              f"#define MUJO_SPEC_MEAN {{{', '.join(_f32(v) for v in mean)}}}  /* normalization mean, SI units */",
              f"#define MUJO_SPEC_STD {{{', '.join(_f32(v) for v in std)}}}  /* normalization std, SI units */",
              f"#define MUJO_INPUT_SCALE {_f32(qi['scale'])}", f"#define MUJO_INPUT_ZERO_POINT ({int(qi['zero_point'])})",
              f"#define MUJO_OUTPUT_SCALE {_f32(qo['scale'])}", f"#define MUJO_OUTPUT_ZERO_POINT ({int(qo['zero_point'])})",
              f"#define MUJO_NUM_CLASSES {len(labels)}u",
              f"#define MUJO_LABEL_NAMES {{{', '.join(_c_string(n) for n in labels)}}}",
              f"#define MUJO_TFLM_ARENA_MEASURED_BYTES {arena}u  /* smallest arena that ran (reference kernels, host) */",
              f"#define MUJO_TFLM_ARENA_BYTES {firmware_arena}u  /* measured x {ARENA_MARGIN}, whole KB: use this */",
              f"#define MUJO_MODEL_ID {{{', '.join(f'0x{b:02x}' for b in sha)}}}  /* first 8 bytes of the file's sha256 */",
              "", "/* Initializer of mujo_window_spec_t (firmware/include/mujo_window.h). */",
              "#define MUJO_WINDOW_SPEC_INIT {MUJO_SPEC_WINDOW, MUJO_SPEC_HOP, MUJO_SPEC_CHANNELS, MUJO_SPEC_MEAN, \\",
              "                               MUJO_SPEC_STD, MUJO_INPUT_SCALE, MUJO_INPUT_ZERO_POINT}",
              "", "#endif", ""]
    methods = [RESOLVER_METHODS[o] for o in ops]
    ops_h = [head, f"#ifndef {guard}_OPS_H", f"#define {guard}_OPS_H", "",
             "/* The model's ops for TensorFlow Lite Micro's public C++ API (tensorflow/lite/micro). */",
             '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"', "",
             f"#define MUJO_MODEL_NUM_OPS {len(methods)}", "",
             "/* tflite::MicroMutableOpResolver<MUJO_MODEL_NUM_OPS> resolver; mujo_register_ops(resolver); */",
             "template <unsigned int N>",
             "inline TfLiteStatus mujo_register_ops(tflite::MicroMutableOpResolver<N>& resolver) {",
             "    static_assert(N >= MUJO_MODEL_NUM_OPS, \"resolver too small for the model's ops\");",
             *[f"    if (resolver.{m}() != kTfLiteOk) return kTfLiteError;  /* {o} */" for m, o in zip(methods, ops)],
             "    return kTfLiteOk;", "}", "", "#endif", ""]
    out = []
    for suffix, lines in (("_model.h", model_h), ("_model.cc", model_cc), ("_spec.h", spec_h), ("_ops.h", ops_h)):
        p = path.with_name(f"{stem}{suffix}")
        atomic_write_text(p, "\n".join(lines))
        out.append(p)
    return out


__all__ = ["RESOLVER_METHODS", "allocation_report", "c_identifier", "export", "finalize", "measure_arena", "write_c_files"]
