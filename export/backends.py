"""Registry of export backends: one module per toolchain, imported only when that format is exported.

Each backend module defines ``export(model, example, calib, path, contract=None) -> dict``:

* ``model``: eval-mode ``nn.Module`` (BatchNorm already folded) mapping NORMALIZED windows
  ``(1, W, C)`` float32 to logits ``(1, K)``;
* ``example``: a ``(1, W, C)`` float32 tensor fixing the static input shape;
* ``calib``: ``None`` for fp32, or ``(N, W, C)`` normalized float32 calibration windows for static
  int8 post-training quantization with the backend's own quantizer;
* ``path``: the file to write. Returns JSON-ready details (delegation, I/O quantization, timings);
* ``contract``: ``None``, or ``contract(io) -> str`` giving the JSON text of the model contract for the
  file's I/O details (``io`` as returned in the details, ``None`` for float I/O); the backend stores that
  text verbatim inside the file (:mod:`mujo_edge.artifacts.contract`) and the pipeline seals it.

A backend module may also define ``finalize(path, sidecar) -> dict`` (run on the sealed file before
verification; its result becomes the sidecar section named after the format, e.g. ``tflm``).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujo_edge.errors import ConfigError
from mujo_edge.registry import Registry


@dataclass(frozen=True)
class ExportBackend:
    """An export format: file suffix, the runtime backend that runs it, its module and quantizer."""

    name: str
    suffix: str
    runtime: str
    module: str
    quantizer: str
    description: str
    int8_only: bool = False
    stem: str = ""  # added to the file stem: ``{name}_{precision}{stem}{suffix}``

    def file_name(self, name: str, precision: str) -> str:
        """``dscnn_int8.pte``, ``dscnn_int8_tflm.tflite``, ..."""
        return f"{name}_{precision}{self.stem}{self.suffix}"

    def export(self, model: Any, example: Any, calib: Any, path: Path,
               contract: Callable[[dict[str, Any] | None], str] | None = None) -> dict[str, Any]:
        """Write ``path``; see the module docstring. Toolchain chatter on stdout goes to stderr."""
        with stdout_to_stderr():
            return importlib.import_module(self.module).export(model, example, calib, path, contract)

    def finalize(self, path: Path, sidecar: dict[str, Any]) -> dict[str, Any] | None:
        """The backend's post-export step on the sealed file (``None`` when it has none); see the module docstring."""
        fn = getattr(importlib.import_module(self.module), "finalize", None)
        if fn is None:
            return None
        with stdout_to_stderr():
            return fn(path, sidecar)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (Python and native code, file descriptor 1) to stderr.

    litert-torch prints its progress to stdout, which would corrupt ``mujo-edge export --json``.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured / replaced stdout: Python-level redirect only
        with contextlib.redirect_stdout(sys.stderr):
            yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        os.dup2(sys.stderr.fileno(), fd)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)


#: Export formats by name (``--format executorch,tflite,onnx`` or ``all``).
BACKENDS: Registry[ExportBackend] = Registry("export format")
BACKENDS.add("executorch", ExportBackend(
    "executorch", ".pte", "executorch", "mujo_edge.export.executorch_backend",
    "PT2E XNNPACKQuantizer (symmetric, per-channel weights, fp32 classifier head)",
    "ExecuTorch program with the XNNPACK delegate"))
BACKENDS.add("tflite", ExportBackend(
    "tflite", ".tflite", "litert", "mujo_edge.export.litert_backend",
    "PT2E litert_torch PT2EQuantizer (symmetric, per-channel weights, static)",
    "LiteRT flatbuffer via litert-torch (int8 input and output)"))
BACKENDS.add("onnx", ExportBackend(
    "onnx", ".onnx", "onnxruntime", "mujo_edge.export.onnx_backend",
    "onnxruntime quantize_static (QOperator, uint8 activations with min / max calibration, per-channel int8 weights, "
    "fp32 classifier head)",
    "ONNX (dynamo exporter) for ONNX Runtime"))
BACKENDS.add("tflm", ExportBackend(
    "tflm", ".tflite", "tflm", "mujo_edge.export.tflm_backend",
    "PT2E litert_torch PT2EQuantizer (symmetric, per-channel weights, static), int8 input and output",
    "fully int8 TFLite flatbuffer for TensorFlow Lite Micro, with C source/header, firmware header and op list",
    int8_only=True, stem="_tflm"))


def resolve_formats(text: str, int8: bool) -> tuple[str, ...]:
    """``--format`` text → format names: ``all`` is every format that exists at this precision (int8-only
    formats such as ``tflm`` only with ``int8``); an explicit int8-only format without ``int8`` is an error."""
    if text.strip() == "all":
        return tuple(n for n in BACKENDS.names() if int8 or not BACKENDS.get(n).int8_only)
    names = tuple(BACKENDS.parse_list(text))
    check_precision(names, int8)
    return names


def check_precision(names: tuple[str, ...], int8: bool) -> None:
    """Raise :class:`ConfigError` for an int8-only format requested without ``int8``."""
    bad = [n for n in names if BACKENDS.get(n).int8_only and not int8]
    if bad:
        raise ConfigError(f"format(s) {', '.join(bad)} are int8 only (TensorFlow Lite Micro runs fully int8 models); "
                          f"add --int8")
