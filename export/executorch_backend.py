"""ExecuTorch ``.pte`` export: ``torch.export`` → (PT2E int8 with XNNPACKQuantizer) → XNNPACK delegate.

Calls as recorded in ``toolchain.md`` (executorch 1.4.1, torchao 0.18, torch 2.13).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.export.calibration import head_module_name, leave_unquantized

from mujo_edge.artifacts.contract import KEY as CONTRACT_KEY
from mujo_edge.errors import ExportError, require
from mujo_edge.provenance import atomic_write_bytes

log = logging.getLogger(__name__)


def export(model: Any, example: Any, calib: np.ndarray | None, path: Path,
           contract: Callable[[dict[str, Any] | None], str] | None = None) -> dict[str, Any]:
    """Write an ExecuTorch program for ``model`` (see :mod:`mujo_edge.export.backends`).

    The contract (float32 I/O) is stored as the constant method ``mujo_edge_contract`` returning its JSON
    text (ExecuTorch's ``constant_methods``: an EValue String in the program, readable without running it).
    """
    import torch

    require("executorch", "export", "ExecuTorch export")
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    t0 = time.perf_counter()
    ex = (example,)
    try:
        ep = torch.export.export(model, ex)
        if calib is not None:
            from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
                XNNPACKQuantizer,
                get_symmetric_quantization_config,
            )
            from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

            q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
            leave_unquantized(q, head_module_name(model))  # float logits (see export.calibration.head_module_name)
            m = prepare_pt2e(ep.module(), q)
            for x in calib:
                m(torch.from_numpy(np.ascontiguousarray(x[None])))
            m = convert_pt2e(m)
            ep = torch.export.export(m, ex)
        constants = {CONTRACT_KEY: contract(None)} if contract is not None else None
        edge = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()], constant_methods=constants)
        delegation = _delegation(edge)
        buffer = edge.to_executorch().buffer
    except Exception as exc:  # the toolchain raises many unrelated types
        raise ExportError(f"ExecuTorch export of {path.name} failed ({type(exc).__name__}: {exc})") from exc
    atomic_write_bytes(path, buffer)
    return {"delegation": delegation, "export_seconds": round(time.perf_counter() - t0, 2)}


def _delegation(edge: Any) -> dict[str, Any]:
    """Delegated vs. portable-kernel op counts of the lowered graph (empty if devtools are unavailable)."""
    try:
        from executorch.devtools.backend_debug import get_delegation_info

        info = get_delegation_info(edge.exported_program().graph_module)
        df = info.get_operator_delegation_dataframe()
        portable = {str(r.op_type): int(r.occurrences_in_non_delegated_graphs) for r in df.itertuples()
                    if int(r.occurrences_in_non_delegated_graphs) > 0 and str(r.op_type) not in ("Total", "getitem")}
        return {"partitions": int(info.num_delegated_subgraphs), "delegated_ops": int(info.num_delegated_nodes),
                "portable_ops": portable}
    except Exception as exc:  # reporting only; never fail an export over it
        log.debug("delegation info unavailable: %s", exc)
        return {}
