"""The model contract embedded INSIDE every exported model file, and its checks against the sidecar.

The sidecar (``<file>.json``) is easy to edit by hand, and before this contract an edited rate, channel
order or label list changed predictions silently (only the model bytes were hashed). So the export
writes the part of the sidecar that decides what the numbers mean into the model file itself:

* the runtime ``backend`` and ``precision``, the ``sensor_spec`` (rate, window, hop, channel order, units,
  normalization), ``label_names``, ``channels_used``, and the ``input`` / ``output`` tensor contract
  (shape, dtype, int8 quantization);
* ``payload_sha256``: sha256 of the whole model file with these 64 hex digits replaced by ``"0" * 64``,
  so any changed byte of the file (weights, graph, the contract itself) is detected before a runtime
  parses it, even when someone also updated the sidecar's sha256.

Where each format keeps it (all three store the JSON text verbatim, which the seal relies on):

=============  ===========================================================================
``.onnx``      ``ModelProto.metadata_props`` key ``mujo_edge_contract`` (ONNX Runtime: ``custom_metadata_map``)
``.tflite``    a ``Model.metadata`` entry named ``mujo_edge_contract`` pointing at a buffer with the JSON
``.pte``       an ExecuTorch constant method ``mujo_edge_contract`` returning the JSON string
=============  ===========================================================================

:func:`find_contract` locates the JSON by its fixed opening ``{"format":"mujo-edge-contract"`` without
parsing the container, :func:`verify_seal` checks ``payload_sha256``, and :func:`compare_with_sidecar`
refuses a sidecar that disagrees with the embedded copy, naming the first field that differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from mujo_edge.errors import CorruptFileError, ExportError

log = logging.getLogger(__name__)

FORMAT = "mujo-edge-contract"
FORMAT_VERSION = 1
#: the name under which each format stores the contract (ONNX metadata key, TFLite metadata name, ExecuTorch method)
KEY = "mujo_edge_contract"
#: sidecar fields that the embedded contract must repeat exactly
FIELDS: tuple[str, ...] = ("backend", "precision", "sensor_spec", "label_names", "channels_used", "input", "output")
PLACEHOLDER = "0" * 64
MARKER = b'{"format":"' + FORMAT.encode() + b'"'
_DIGEST_KEY = b'"payload_sha256":"'


def build_contract(sidecar: dict[str, Any]) -> dict[str, Any]:
    """The contract for a sidecar dict (its :data:`FIELDS`), with the seal still a placeholder."""
    missing = [k for k in FIELDS if k not in sidecar]
    if missing:
        raise ExportError(f"cannot build the embedded contract: sidecar lacks {missing}")
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **{k: sidecar[k] for k in FIELDS},
            "payload_sha256": PLACEHOLDER}


def contract_text(contract: dict[str, Any]) -> str:
    """Canonical JSON of ``contract`` (ASCII, no spaces, key order as built) — the bytes stored in the file."""
    return json.dumps(contract, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def find_contract(data: bytes) -> tuple[dict[str, Any], int, int] | None:
    """``(contract, start, end)`` of the one embedded contract in ``data`` (byte span), or ``None``.

    Raises:
        ValueError: more than one contract, or one that is not a JSON object of this format.
    """
    start = data.find(MARKER)
    if start < 0:
        return None
    if data.find(MARKER, start + 1) >= 0:
        raise ValueError("the file holds more than one embedded contract")
    try:
        text = data[start:].decode("ascii", errors="replace")
        obj, length = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the embedded contract is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError("the embedded contract is not a mujo-edge contract object")
    return obj, start, start + length


def _digest_span(data: bytes, start: int, end: int) -> int:
    """Byte offset of the 64 hex digits of ``payload_sha256`` inside the contract at ``data[start:end]``."""
    at = data.find(_DIGEST_KEY, start, end)
    if at < 0 or at + len(_DIGEST_KEY) + 64 > end:
        raise ValueError("the embedded contract has no payload_sha256")
    return at + len(_DIGEST_KEY)


def payload_digest(data: bytes, digest_at: int) -> str:
    """sha256 of ``data`` with the 64 bytes at ``digest_at`` replaced by :data:`PLACEHOLDER`."""
    h = hashlib.sha256()
    h.update(data[:digest_at])
    h.update(PLACEHOLDER.encode())
    h.update(data[digest_at + 64:])
    return h.hexdigest()


def seal(data: bytes) -> bytes:
    """Write ``payload_sha256`` into the (placeholder) contract embedded in ``data``; returns the sealed bytes."""
    try:
        found = find_contract(data)
    except ValueError as exc:
        raise ExportError(f"cannot seal the exported file: {exc}") from exc
    if found is None:
        raise ExportError("cannot seal the exported file: the toolchain did not keep the embedded contract")
    _, start, end = found
    at = _digest_span(data, start, end)
    if data[at:at + 64] != PLACEHOLDER.encode():
        raise ExportError("cannot seal the exported file: its contract is already sealed")
    digest = payload_digest(data, at)
    return data[:at] + digest.encode() + data[at + 64:]


def verify_seal(data: bytes, path: str | Path) -> dict[str, Any] | None:
    """The embedded contract of model file ``data`` after checking its seal; ``None`` when the file has none.

    Raises:
        CorruptFileError: a malformed contract, or a file whose bytes differ from what was sealed at export.
    """
    try:
        found = find_contract(data)
        if found is None:
            return None
        contract, start, end = found
        at = _digest_span(data, start, end)
    except ValueError as exc:
        raise CorruptFileError(path, f"{exc} (file damaged or edited)") from None
    recorded = str(contract.get("payload_sha256", ""))
    actual = payload_digest(data, at)
    if recorded != actual:
        raise CorruptFileError(path, f"content sha256 {actual[:16]}... differs from {recorded[:16]}... sealed into the "
                                     f"file at export (the file was damaged or modified after export; re-export it)")
    if contract.get("format_version") != FORMAT_VERSION:
        raise CorruptFileError(path, f"embedded contract version {contract.get('format_version')!r} is not "
                                     f"{FORMAT_VERSION}; upgrade mujo-edge")
    return contract


def first_difference(a: Any, b: Any, where: str = "") -> tuple[str, Any, Any] | None:
    """The first dotted path (``sensor_spec.rate_hz``, ``label_names[2]``) where ``a`` and ``b`` differ, or ``None``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return (f"{where}.{k}" if where else str(k)), a.get(k, "<missing>"), b.get(k, "<missing>")
            d = first_difference(a[k], b[k], f"{where}.{k}" if where else str(k))
            if d is not None:
                return d
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return where, a, b
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d is not None:
                return d
        return None
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                       and not isinstance(a, bool) and not isinstance(b, bool)):
        return where, a, b
    return None if a == b else (where, a, b)


def compare_with_sidecar(sidecar: dict[str, Any], contract: dict[str, Any], path: str | Path) -> None:
    """Raise :class:`CorruptFileError` naming the first field where the sidecar disagrees with the embedded contract."""
    for key in FIELDS:
        d = first_difference(sidecar.get(key, "<missing>"), contract.get(key, "<missing>"), key)
        if d is not None:
            field, side, emb = d
            raise CorruptFileError(path, f"sidecar field {field} = {_short(side)} disagrees with the contract embedded in "
                                         f"the model file ({_short(emb)}); the sidecar was edited or belongs to another "
                                         f"file (re-export, or restore the sidecar written with this file)")


def _short(v: Any) -> str:
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


__all__ = ["FIELDS", "FORMAT", "FORMAT_VERSION", "KEY", "PLACEHOLDER", "build_contract", "compare_with_sidecar",
           "contract_text", "find_contract", "first_difference", "payload_digest", "seal", "verify_seal"]
