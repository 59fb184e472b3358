"""Backends for exported files: ExecuTorch ``.pte``, LiteRT ``.tflite``, ONNX Runtime ``.onnx``.

Each file runs one NORMALIZED window ``(1, W, C)`` per call and returns ``(1, K)`` logits (the contract
written in the sidecar); int8 ``.tflite`` files have int8 I/O, which :class:`LiteRTClassifier` quantizes
and dequantizes with the interpreter's scale and zero point (the same numbers the sidecar states). Runtimes are
imported lazily; a missing one raises a
:class:`~mujo_edge.errors.DependencyError` naming the ``export`` extra. A file a runtime cannot load
raises :class:`~mujo_edge.errors.CorruptFileError` naming the file and the runtime's reason.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.errors import ConfigError, CorruptFileError, require
from mujo_edge.runtime.base import RuntimeClassifier

log = logging.getLogger(__name__)


class FileClassifier(RuntimeClassifier):
    """Base of the exported-file backends: loops over windows one at a time (batch 1 is the exported shape)."""

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        """``(1, W, C)`` normalized float32 → ``(1, K)`` or ``(K,)`` logits."""
        raise NotImplementedError

    def _logits(self, x: np.ndarray) -> np.ndarray:
        out = np.empty((len(x), self.num_classes), np.float32)
        for i in range(len(x)):
            out[i] = np.asarray(self._run_one(x[i:i + 1])).reshape(-1)
        return out


# ---------------------------------------------------------------------------------------------- ExecuTorch
#: ExecuTorch's thread pool is process-wide, and resetting it while a program with an XNNPACK delegate is
#: loaded crashes the process (upstream pytorch/executorch#9196). We reset only before loading and only
#: when no ExecuTorch model is alive.
_ET_STATE: dict[str, Any] = {"threads": None, "live": weakref.WeakSet()}


class ExecuTorchClassifier(FileClassifier):
    """A ``.pte`` program run by the ExecuTorch Python runtime (XNNPACK delegate inside the file)."""

    method: Any = None

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        import torch

        return self.method.execute([torch.from_numpy(x)])[0].numpy()

    def close(self) -> None:
        self.method = None
        self.program = None


def _executorch_threads(threads: int) -> None:
    """Set ExecuTorch's thread pool to ``threads`` before a program is loaded (see :data:`_ET_STATE`)."""
    if _ET_STATE["threads"] == threads:
        return
    live = [c for c in _ET_STATE["live"] if c.method is not None]
    if live:
        raise ConfigError(
            f"ExecuTorch runs with {_ET_STATE['threads']} thread(s) in this process and {len(live)} .pte model(s) are "
            f"loaded ({', '.join(str(c.path) for c in live[:3])}); close() them before loading with threads={threads} "
            f"(resetting the thread pool under a loaded XNNPACK program crashes the process)"
        )
    from executorch.extension.pybindings import portable_lib

    portable_lib._unsafe_reset_threadpool(int(threads))
    _ET_STATE["threads"] = threads


def load_executorch(path: Path, meta: dict[str, Any], threads: int = 1, **kw: Any) -> ExecuTorchClassifier:
    """Load a ``.pte`` file with its sidecar ``meta``."""
    require("executorch", "export", "running .pte models")
    from executorch.runtime import Runtime

    _executorch_threads(threads)
    try:
        program = Runtime.get().load_program(str(path))
        method = program.load_method("forward")
    except Exception as exc:  # the runtime raises RuntimeError / ValueError with its own codes
        raise CorruptFileError(path, f"ExecuTorch cannot load it ({type(exc).__name__}: {exc})") from exc
    clf = ExecuTorchClassifier(backend="executorch", path=path, meta=meta, **kw)
    clf.program, clf.method = program, method
    _ET_STATE["live"].add(clf)
    return clf


# ---------------------------------------------------------------------------------------------- LiteRT
class LiteRTClassifier(FileClassifier):
    """A ``.tflite`` model run by the ``ai_edge_litert`` interpreter; int8 model I/O is (de)quantized here."""

    interpreter: Any = None

    def _setup(self) -> None:
        it = self.interpreter
        self._in, self._out = it.get_input_details()[0], it.get_output_details()[0]
        self._in_q = self._in["dtype"] in (np.int8, np.uint8)
        self._out_q = self._out["dtype"] in (np.int8, np.uint8)

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        it, i, o = self.interpreter, self._in, self._out
        if self._in_q:
            scale, zero = i["quantization"]
            info = np.iinfo(i["dtype"])
            x = np.clip(np.round(x / scale) + zero, info.min, info.max).astype(i["dtype"])
        it.set_tensor(i["index"], x.reshape(i["shape"]))
        it.invoke()
        y = it.get_tensor(o["index"])
        if self._out_q:
            scale, zero = o["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return y

    def close(self) -> None:
        self.interpreter = None


def load_litert(path: Path, meta: dict[str, Any], threads: int = 1, **kw: Any) -> LiteRTClassifier:
    """Load a ``.tflite`` file with its sidecar ``meta``."""
    require("ai_edge_litert", "export", "running .tflite models")
    from ai_edge_litert.interpreter import Interpreter

    try:
        it = Interpreter(model_path=str(path), num_threads=int(threads))
        it.allocate_tensors()
    except Exception as exc:  # ValueError / RuntimeError from the interpreter
        raise CorruptFileError(path, f"LiteRT cannot load it ({type(exc).__name__}: {exc})") from exc
    clf = LiteRTClassifier(backend="litert", path=path, meta=meta, **kw)
    clf.interpreter = it
    clf._setup()
    _check_io_contract(path, meta, {"input": clf._in, "output": clf._out})
    return clf


def _check_io_contract(path: Path, meta: dict[str, Any], details: dict[str, dict[str, Any]]) -> None:
    """The sidecar's ``input`` / ``output`` dtype and quantization must be what the interpreter reports.

    Apps read the sidecar, not the flatbuffer; a sidecar that misstates int8 I/O would make them feed
    float32 (or skip dequantization). Sidecars older than format version 2 did not record it and are not checked.
    """
    if meta.get("format_version", 1) < 2:
        return
    for key, det in details.items():
        sec = meta.get(key) or {}
        dtype = np.dtype(det["dtype"]).name
        if sec.get("dtype") != dtype:
            raise CorruptFileError(path, f"sidecar says {key} dtype {sec.get('dtype')!r}, the interpreter {dtype!r}")
        q = sec.get("quantization")
        if np.issubdtype(np.dtype(det["dtype"]), np.integer):
            scale, zero = det["quantization"]
            if not q or not np.isclose(q.get("scale", np.nan), scale, rtol=1e-6) or q.get("zero_point") != int(zero):
                raise CorruptFileError(path, f"sidecar {key} quantization {q} differs from the interpreter's "
                                             f"(scale {scale}, zero point {zero})")


# ---------------------------------------------------------------------------------------------- ONNX Runtime
class OnnxClassifier(FileClassifier):
    """An ``.onnx`` model (fp32 or QDQ int8) run by ONNX Runtime's CPU execution provider."""

    session: Any = None

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: x})[0]

    def close(self) -> None:
        self.session = None


def load_onnx(path: Path, meta: dict[str, Any], threads: int = 1, **kw: Any) -> OnnxClassifier:
    """Load an ``.onnx`` file with its sidecar ``meta``."""
    ort = require("onnxruntime", "export", "running .onnx models")
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's InvalidProtobuf / Fail / ...
        raise CorruptFileError(path, f"ONNX Runtime cannot load it ({type(exc).__name__}: {exc})") from exc
    clf = OnnxClassifier(backend="onnxruntime", path=path, meta=meta, **kw)
    clf.session = sess
    clf._input = sess.get_inputs()[0].name
    return clf
