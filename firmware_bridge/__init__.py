"""BLE protocol, bleak client, streaming pipeline, simulated watch and reference firmware.

Shipped as ``mujo_edge.firmware_bridge``. Modules:

* ``protocol`` — our versioned GATT protocol (``PROTOCOL.md``), ``polar`` — Polar PMD ACC frames;
* ``client`` — bleak: scan, connect with retry/backoff, start the stream, reconnect;
* ``pipeline`` (+ ``stream``, ``timing``, ``metrics``) — decode, reorder, clock model, resample to the
  model's sensor spec, window, infer through ``mujo_edge.runtime``, smooth, reject, count everything;
* ``watch_sim`` (+ ``fake_bluez``, ``dbus_session``, ``sim_process``, ``sources``) — the simulated
  watch on a private D-Bus that the real bleak client talks to;
* ``live`` — a whole session (``run_live``) and the quickstart's ``live`` stage;
* ``firmware/`` — portable C for the watch side, its tests and board glue.

bleak and dbus-fast are imported lazily where they are needed; the names below are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClientConfig": "client", "LiveConfig": "live", "LiveResult": "live", "run_live": "live",
    "LivePipeline": "pipeline", "PipelineConfig": "pipeline", "Prediction": "pipeline",
    "SimulatedWatch": "sim_process", "WatchSimConfig": "watch_sim", "FaultConfig": "watch_sim",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
