"""ONNX export (dynamo exporter) and static int8 quantization with ONNX Runtime's ``quantize_static`` (QOperator)."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.artifacts.contract import KEY as CONTRACT_KEY
from mujo_edge.errors import ExportError, require
from mujo_edge.provenance import atomic_write_bytes

log = logging.getLogger(__name__)

INPUT_NAME = "window"
OUTPUT_NAME = "logits"


def export(model: Any, example: Any, calib: np.ndarray | None, path: Path,
           contract: Callable[[dict[str, Any] | None], str] | None = None) -> dict[str, Any]:
    """Write an ``.onnx`` model for ``model`` (see :mod:`mujo_edge.export.backends`).

    The contract (float32 I/O: the int8 model quantizes inside the graph) goes into ``metadata_props`` under
    ``mujo_edge_contract`` (ONNX Runtime shows it in ``get_modelmeta().custom_metadata_map``).
    """
    import torch

    require("onnx", "export", "ONNX export")
    require("onnxscript", "export", "ONNX export")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mujo_edge_onnx_") as tmp_dir:
        fp32 = Path(tmp_dir) / "model.onnx"
        try:
            prog = torch.onnx.export(model, (example,), dynamo=True, input_names=[INPUT_NAME],
                                     output_names=[OUTPUT_NAME], verbose=False)
            prog.save(str(fp32))
        except Exception as exc:  # exporter errors come in many types
            raise ExportError(f"ONNX export of {path.name} failed ({type(exc).__name__}: {exc})") from exc
        src = fp32
        if calib is not None:
            src = Path(tmp_dir) / "model_int8.onnx"
            _quantize(fp32, src, calib, Path(tmp_dir))
        data = src.read_bytes()
        if contract is not None:
            data = _with_metadata(data, CONTRACT_KEY, contract(None))
        atomic_write_bytes(path, data)
    return {"input_name": INPUT_NAME, "output_name": OUTPUT_NAME, "io": _io_details(path),
            "export_seconds": round(time.perf_counter() - t0, 2)}


def _with_metadata(data: bytes, key: str, value: str) -> bytes:
    """The serialized model ``data`` with ``metadata_props[key] = value`` (replacing an existing entry)."""
    import onnx

    m = onnx.load_from_string(data)
    kept = [p for p in m.metadata_props if p.key != key]
    del m.metadata_props[:]
    m.metadata_props.extend(kept)
    onnx.helper.set_model_props(m, {**{p.key: p.value for p in kept}, key: value})
    return m.SerializeToString()


def _io_details(path: Path) -> dict[str, Any]:
    """Graph input / output dtype and shape as stored in the file (int8 models keep float32 I/O)."""
    import onnx
    from onnx import helper

    graph = onnx.load(str(path), load_external_data=False).graph
    out = {}
    for key, vi in (("input", graph.input[0]), ("output", graph.output[0])):
        tt = vi.type.tensor_type
        out[key] = {"dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type)).name,
                    "shape": [int(d.dim_value) for d in tt.shape.dim]}
    return out


def head_nodes(path: Path) -> list[str]:
    """The node producing the graph output when it is a Gemm / MatMul (the classifier head): left in fp32, so the
    logits come out as float (see :func:`mujo_edge.export.calibration.head_module_name`)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    producers = {o: n for n in graph.node for o in n.output}
    last = producers.get(graph.output[0].name) if graph.output else None
    return [last.name] if last is not None and last.op_type in ("Gemm", "MatMul") else []


def _quantize(src: Path, dst: Path, calib: np.ndarray, tmp_dir: Path) -> None:
    require("onnxruntime", "export", "ONNX int8 quantization")
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self, xs: np.ndarray) -> None:
            self.it = iter([{INPUT_NAME: np.ascontiguousarray(x[None], dtype=np.float32)} for x in xs])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    pre = tmp_dir / "model_pre.onnx"
    try:
        try:
            quant_pre_process(str(src), str(pre))
        except AssertionError:  # symbolic shape inference trips on some graphs (toolchain.md)
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        # min / max activation ranges: on the eight students of tools/int8_gate_table.py (2 students x MotionSense /
        # USC-HAD x 300 / 1200 steps) they agreed with the fp32 model on 99.19-99.80 % of test windows, percentile
        # calibration (99.999 %) on 98.99-99.62 % (mean -0.08 points; an earlier pipeline had measured percentile
        # 0.13 points better on one MotionSense dscnn)
        # QOperator (QLinearConv) rather than QDQ: on the same calibration, QDQ graphs agreed with the fp32
        # model on 98.5 % of USC-HAD test windows, QOperator on 99.3 % (dscnn_tiny; MotionSense 99.0 -> 99.4 %).
        # uint8 activations with int8 weights (U8S8): ONNX Runtime's x86 QLinearConv kernels are built for it;
        # int8 activations (S8S8) in QOperator form take a slow path (dscnn, one window, one thread: 62 -> 19 us
        # on a VNNI core; same 256 levels per tensor, so the same rounding)
        # reduce_range (7-bit weights): on x86 CPUs without VNNI ONNX Runtime sums U8S8 products in 16 bits, which
        # saturates with 8-bit weights; the file is the same for every host, so it must be right on those too.
        # AVX2-only EPYC, the four 300-step gate students: 98.99 -> 99.30 % on the one that failed (dscnn_tiny,
        # USC-HAD), 99.31 -> 99.47 % on average (docs/export.md)
        quantize_static(str(pre), str(dst), Reader(calib), quant_format=QuantFormat.QOperator, per_channel=True,
                        reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=head_nodes(pre))
    except Exception as exc:
        raise ExportError(f"ONNX Runtime int8 quantization failed ({type(exc).__name__}: {exc})") from exc
