"""LiteRT ``.tflite`` export with ``litert_torch`` (fp32) or its PT2E quantizer (static int8, int8 model I/O)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flatbuffers  # comes with ai-edge-litert; this module is imported only to export .tflite
import numpy as np

from mujo_edge.artifacts.contract import KEY as CONTRACT_KEY
from mujo_edge.errors import ExportError, require

log = logging.getLogger(__name__)


def export(model: Any, example: Any, calib: np.ndarray | None, path: Path,
           contract: Callable[[dict[str, Any] | None], str] | None = None) -> dict[str, Any]:
    """Write a ``.tflite`` flatbuffer for ``model`` (see :mod:`mujo_edge.export.backends`).

    int8 files are fully int8, input and output included (the litert-torch converter quantizes the whole
    graph in its static mode; a module left unannotated still came out int8). The contract (with the I/O
    scale and zero point the converter chose) is added as the model metadata entry ``mujo_edge_contract``
    (:func:`add_metadata`).
    """
    import torch

    litert_torch = require("litert_torch", "export", "LiteRT export")
    t0 = time.perf_counter()
    ex = (example,)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if calib is None:
            edge = litert_torch.convert(model, ex)
        else:
            from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
            from litert_torch.quantize.quant_config import QuantConfig
            from torchao.quantization.pt2e import move_exported_model_to_eval
            from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

            q = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False))
            m = prepare_pt2e(torch.export.export(model, ex).module(), q)
            for x in calib:
                m(torch.from_numpy(np.ascontiguousarray(x[None])))
            m = convert_pt2e(m, fold_quantize=False)
            move_exported_model_to_eval(m)
            edge = litert_torch.convert(m, ex, quant_config=QuantConfig(pt2e_quantizer=q))
        edge.export(str(tmp))
        io = io_details(tmp.read_bytes())
        if contract is not None:
            tmp.write_bytes(add_metadata(tmp.read_bytes(), CONTRACT_KEY, contract(io).encode("ascii")))
        tmp.replace(path)
    except Exception as exc:  # converter errors come in many types
        tmp.unlink(missing_ok=True)
        raise ExportError(f"LiteRT export of {path.name} failed ({type(exc).__name__}: {exc})") from exc
    return {"io": io, "export_seconds": round(time.perf_counter() - t0, 2)}


def add_metadata(data: bytes, name: str, value: bytes) -> bytes:
    """The flatbuffer ``data`` with a ``Model.metadata`` entry ``name`` → a new buffer holding ``value``.

    Round trip through the schema's object API (``ai_edge_litert.schema_py_generated``); buffer data is
    re-laid out 16-byte aligned, as TensorFlow Lite (Micro) kernels may read weights with aligned loads.
    """
    from ai_edge_litert import schema_py_generated as schema  # the TFLite schema's Python object API

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    model.metadata = [m for m in (model.metadata or []) if m.name not in (name, name.encode())]
    buf = schema.BufferT()
    buf.data = np.frombuffer(value, dtype=np.uint8)
    model.buffers.append(buf)
    entry = schema.MetadataT()
    entry.name, entry.buffer = name, len(model.buffers) - 1
    model.metadata.append(entry)
    builder = _AlignedBuilder(len(data) + len(value) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class _AlignedBuilder(flatbuffers.Builder):
    """A ``flatbuffers.Builder`` whose numpy vectors (the weight buffers) start 16-byte aligned."""

    def CreateNumpyVector(self, x: np.ndarray) -> int:  # noqa: N802 - flatbuffers' name
        self.Prep(16, int(x.nbytes))
        return super().CreateNumpyVector(x)


def io_details(data: bytes) -> dict[str, Any]:
    """Input/output dtype and (scale, zero point) as the interpreter reports them (apps need these for int8 I/O)."""
    from ai_edge_litert.interpreter import Interpreter  # optional runtime of the export extra

    it = Interpreter(model_content=bytes(data))
    out = {}
    for key, det in (("input", it.get_input_details()[0]), ("output", it.get_output_details()[0])):
        scale, zero = det["quantization"]
        out[key] = {"dtype": np.dtype(det["dtype"]).name, "shape": [int(v) for v in det["shape"]],
                    "scale": float(scale), "zero_point": int(zero)}
    return out
