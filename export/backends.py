"""Registry of export backends: one module per toolchain, imported only when that format is exported.

Each backend module defines ``export(model, example, calib, path) -> dict``:

* ``model``: eval-mode ``nn.Module`` (BatchNorm already folded) mapping NORMALIZED windows
  ``(1, W, C)`` float32 to logits ``(1, K)``;
* ``example``: a ``(1, W, C)`` float32 tensor fixing the static input shape;
* ``calib``: ``None`` for fp32, or ``(N, W, C)`` normalized float32 calibration windows for static
  int8 post-training quantization with the backend's own quantizer;
* ``path``: the file to write. Returns JSON-ready details (delegation, I/O quantization, timings).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def export(self, model: Any, example: Any, calib: Any, path: Path) -> dict[str, Any]:
        """Write ``path``; see the module docstring. Toolchain chatter on stdout goes to stderr."""
        with stdout_to_stderr():
            return importlib.import_module(self.module).export(model, example, calib, path)


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
    "PT2E XNNPACKQuantizer (symmetric, per-channel weights)", "ExecuTorch program with the XNNPACK delegate"))
BACKENDS.add("tflite", ExportBackend(
    "tflite", ".tflite", "litert", "mujo_edge.export.litert_backend",
    "PT2E litert_torch PT2EQuantizer (symmetric, per-channel weights, static)", "LiteRT flatbuffer via litert-torch"))
BACKENDS.add("onnx", ExportBackend(
    "onnx", ".onnx", "onnxruntime", "mujo_edge.export.onnx_backend",
    "onnxruntime quantize_static (QDQ, int8 activations with percentile calibration, per-channel int8 weights)",
    "ONNX (dynamo exporter) for ONNX Runtime"))
