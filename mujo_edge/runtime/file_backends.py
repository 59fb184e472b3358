"""Backends for exported files: ExecuTorch ``.pte``, LiteRT ``.tflite``, ONNX Runtime ``.onnx``, TFLite Micro ``.tflite``.

Each file runs one NORMALIZED window ``(1, W, C)`` per call and returns ``(1, K)`` logits (the contract
written in the sidecar and sealed into the file); int8 ``.tflite`` files have int8 I/O, which the LiteRT
and TFLite Micro classifiers quantize and dequantize with :mod:`mujo_edge.runtime.int8`. Runtimes are
imported lazily; a missing one raises a :class:`~mujo_edge.errors.DependencyError` naming the ``export``
extra. Before a runtime sees a file, :func:`mujo_edge.runtime.loader.load` has checked its container
(:mod:`mujo_edge.runtime.containers`); a file a runtime still refuses raises
:class:`~mujo_edge.errors.CorruptFileError` naming the file and the runtime's reason.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.errors import ConfigError, CorruptFileError, require
from mujo_edge.runtime.base import RuntimeClassifier
from mujo_edge.runtime.containers import TensorInfo, check_io
from mujo_edge.runtime.int8 import dequantize_output, quantize_input

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
    """A ``.pte`` program run by the ExecuTorch Python runtime (XNNPACK delegate inside the file).

    One input tensor is allocated at load and refilled per call (``torch.from_numpy`` per call costs
    more than the int8 model itself at this size).
    """

    method: Any = None
    program: Any = None

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        self._x_np[...] = x.reshape(self._x_np.shape)
        return self.method.call(self._inputs)[0].numpy()

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
    _executorch_lib()._unsafe_reset_threadpool(int(threads))
    _ET_STATE["threads"] = threads


def _executorch_lib() -> Any:
    """ExecuTorch's compiled runtime module (``_portable_lib``: program loader, kernels, XNNPACK).

    Imported directly rather than through ``executorch.runtime`` / ``portable_lib``, whose Python wrappers
    import ``executorch.exir`` and torchao (about 8 s and 140 MB more, measured) only to issue a warning;
    the compiled module is what both of them call.
    """
    try:  # heavy optional runtime, loaded on first .pte
        import executorch.extension.pybindings._portable_lib as lib
    except ImportError:  # a build without the prebuilt module: the documented (slower) entry point
        from executorch.extension.pybindings import portable_lib as lib
    return lib


def load_executorch(path: Path, meta: dict[str, Any], threads: int = 1, io: tuple[list[TensorInfo], list[TensorInfo]]
                    | None = None, **kw: Any) -> ExecuTorchClassifier:
    """Load a ``.pte`` file with its sidecar ``meta`` (container already checked), with full program verification."""
    require("executorch", "export", "running .pte models")
    import torch

    _executorch_threads(threads)
    lib = _executorch_lib()
    try:
        program = lib._load_program(str(path), enable_etdump=False, debug_buffer_size=0,
                                    program_verification=lib.Verification.InternalConsistency)
        method = program.load_method("forward")
    except Exception as exc:  # the runtime raises RuntimeError / ValueError with its own codes
        raise CorruptFileError(path, f"ExecuTorch cannot load it ({type(exc).__name__}: {exc})") from exc
    clf = ExecuTorchClassifier(backend="executorch", path=path, meta=meta, **kw)
    clf.program, clf.method = program, method
    x = torch.zeros(tuple(meta["input"]["shape"]), dtype=torch.float32)
    clf._inputs, clf._x_np = [x], x.numpy()
    _ET_STATE["live"].add(clf)
    return clf


# ---------------------------------------------------------------------------------------------- LiteRT
class LiteRTClassifier(FileClassifier):
    """A ``.tflite`` model run by the ``ai_edge_litert`` interpreter; int8 model I/O is (de)quantized here.

    The input and output are reached through the interpreter's tensor views (no copy, no per-call lookup).
    """

    interpreter: Any = None

    def _setup(self) -> None:
        it = self.interpreter
        self._in, self._out = it.get_input_details()[0], it.get_output_details()[0]
        self._in_q = self._in["dtype"] in (np.int8, np.uint8)
        self._out_q = self._out["dtype"] in (np.int8, np.uint8)
        self._x_view = it.tensor(self._in["index"])
        self._y_view = it.tensor(self._out["index"])
        self._invoke = it.invoke
        (si, zi), (so, zo) = self._in["quantization"], self._out["quantization"]
        self._in_scale, self._in_zero = np.float32(si), np.float32(zi)
        self._out_scale, self._out_zero = np.float32(so), np.float32(zo)
        if self._in_q:
            info = np.iinfo(self._in["dtype"])
            self._in_lo, self._in_hi = np.float32(info.min), np.float32(info.max)
            self._qbuf = np.zeros(tuple(self._in["shape"]), np.float32)

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        i = self._in
        if self._in_q:  # quantize_input, in place in a preallocated float32 buffer (same float32 operations)
            buf = self._qbuf
            np.divide(x.reshape(buf.shape), self._in_scale, out=buf)
            np.rint(buf, out=buf)
            buf += self._in_zero
            np.clip(buf, self._in_lo, self._in_hi, out=buf)
            self._x_view()[...] = buf
        else:
            self._x_view()[...] = x.reshape(i["shape"])
        self._invoke()
        y = self._y_view()
        if self._out_q:
            return (y.astype(np.float32) - self._out_zero) * self._out_scale
        return y.copy()

    def close(self) -> None:
        self._x_view = self._y_view = self._invoke = None
        self.interpreter = None


def load_litert(path: Path, meta: dict[str, Any], threads: int = 1, io: Any = None, **kw: Any) -> LiteRTClassifier:
    """Load a ``.tflite`` file with its sidecar ``meta`` (container already checked)."""
    require("ai_edge_litert", "export", "running .tflite models")
    from ai_edge_litert.interpreter import Interpreter  # optional runtime, loaded on first .tflite

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
    """An ``.onnx`` model (fp32 or int8) run by ONNX Runtime's CPU execution provider.

    ``session.run`` with the output name looked up once (an ``IOBinding`` measured slower for one window).
    """

    session: Any = None

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        return self._run(self._outputs, {self._input: x})[0]

    def close(self) -> None:
        self._run = None
        self.session = None


def load_onnx(path: Path, meta: dict[str, Any], threads: int = 1, io: Any = None, **kw: Any) -> OnnxClassifier:
    """Load an ``.onnx`` file with its sidecar ``meta``; its real I/O shapes are checked against the sidecar."""
    ort = require("onnxruntime", "export", "running .onnx models")
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        ins, outs = sess.get_inputs(), sess.get_outputs()
    except Exception as exc:  # onnxruntime's InvalidProtobuf / Fail / ...
        raise CorruptFileError(path, f"ONNX Runtime cannot load it ({type(exc).__name__}: {exc})") from exc
    onnx_dtype = {"tensor(float)": "float32", "tensor(int8)": "int8", "tensor(uint8)": "uint8"}

    def info(v: Any) -> TensorInfo:
        return TensorInfo(onnx_dtype.get(v.type, v.type), tuple(d if isinstance(d, int) else -1 for d in v.shape))

    check_io(path, meta, [info(v) for v in ins], [info(v) for v in outs])
    clf = OnnxClassifier(backend="onnxruntime", path=path, meta=meta, **kw)
    clf.session = sess
    clf._input, clf._outputs, clf._run = ins[0].name, [outs[0].name], sess.run
    return clf


# ---------------------------------------------------------------------------------------------- TFLite Micro
class TFLMClassifier(FileClassifier):
    """A fully int8 ``.tflite`` run by the TensorFlow Lite Micro interpreter (pip package ``tflite-micro``).

    The same reference kernels as the microcontroller library, in the tensor arena the export measured
    (sidecar ``tflm.arena_bytes``): a model that runs here runs on the watch with that arena.
    """

    interpreter: Any = None
    arena_bytes: int = 0

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        qi, qo = self.meta["input"]["quantization"], self.meta["output"]["quantization"]
        self.interpreter.set_input(quantize_input(x.reshape(self._shape), qi["scale"], qi["zero_point"]), 0)
        self.interpreter.invoke()
        return dequantize_output(self.interpreter.get_output(0), qo["scale"], qo["zero_point"])

    def close(self) -> None:
        self.interpreter = None


def tflm_interpreter(data: bytes, arena_bytes: int) -> Any:
    """A TFLite Micro interpreter for model ``data`` with an arena of ``arena_bytes`` (raises RuntimeError / ValueError)."""
    require("tflite_micro", "export", "running TensorFlow Lite Micro models")
    from tflite_micro.python.tflite_micro import runtime as tflm  # optional: the TFLM Python interpreter

    return tflm.Interpreter.from_bytes(data, arena_size=int(arena_bytes))


def load_tflm(path: Path, meta: dict[str, Any], threads: int = 1, io: Any = None, **kw: Any) -> TFLMClassifier:
    """Load a TFLite Micro ``.tflite`` with its sidecar ``meta`` in the measured arena (``tflm.arena_bytes``).

    TFLite Micro does not verify flatbuffers (a microcontroller cannot afford it); besides the container
    walk done by the loader, the file is first built (not run) by LiteRT's verifying reader when that is installed.
    """
    tflm_meta = meta.get("tflm") or {}
    arena = tflm_meta.get("arena_bytes")
    if not isinstance(arena, int) or isinstance(arena, bool) or not 1024 <= arena <= 64 * 1024 * 1024:
        raise CorruptFileError(path, f"sidecar tflm.arena_bytes must be the measured arena size in bytes, got {arena!r}")
    if meta["input"]["dtype"] != "int8" or meta["output"]["dtype"] != "int8":
        raise CorruptFileError(path, "a TensorFlow Lite Micro model must have int8 input and output")
    data = path.read_bytes()
    try:
        from ai_edge_litert.interpreter import Interpreter  # optional: LiteRT's flatbuffer verifier

        Interpreter(model_content=data)
    except ImportError:
        pass
    except Exception as exc:  # the verifier's ValueError
        raise CorruptFileError(path, f"not a valid TFLite flatbuffer ({type(exc).__name__}: {exc})") from exc
    try:
        it = tflm_interpreter(data, arena)
        it.set_input(np.zeros(tuple(meta["input"]["shape"]), np.int8), 0)
        it.invoke()
    except Exception as exc:  # RuntimeError from allocation or a kernel's Prepare
        raise CorruptFileError(path, f"TensorFlow Lite Micro cannot run it in the recorded {arena}-byte arena "
                                     f"({type(exc).__name__}: {exc})") from exc
    clf = TFLMClassifier(backend="tflm", path=path, meta=meta, **kw)
    clf.interpreter, clf.arena_bytes = it, arena
    clf._shape = tuple(meta["input"]["shape"])
    return clf
