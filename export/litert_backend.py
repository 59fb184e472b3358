"""LiteRT ``.tflite`` export with ``litert_torch`` (fp32) or its PT2E quantizer (static int8, int8 model I/O)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.errors import ExportError, require

log = logging.getLogger(__name__)


def export(model: Any, example: Any, calib: np.ndarray | None, path: Path) -> dict[str, Any]:
    """Write a ``.tflite`` flatbuffer for ``model`` (see :mod:`mujo_edge.export.backends`)."""
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
        tmp.replace(path)
    except Exception as exc:  # converter errors come in many types
        tmp.unlink(missing_ok=True)
        raise ExportError(f"LiteRT export of {path.name} failed ({type(exc).__name__}: {exc})") from exc
    return {"io": _io_details(path), "export_seconds": round(time.perf_counter() - t0, 2)}


def _io_details(path: Path) -> dict[str, Any]:
    """Input/output dtype and (scale, zero point) as the interpreter reports them (apps need these for int8 I/O)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    out = {}
    for key, det in (("input", it.get_input_details()[0]), ("output", it.get_output_details()[0])):
        scale, zero = det["quantization"]
        out[key] = {"dtype": np.dtype(det["dtype"]).name, "shape": [int(v) for v in det["shape"]],
                    "scale": float(scale), "zero_point": int(zero)}
    return out
