"""The JSON sidecar written next to every exported model file (``<file>.json``).

The sidecar is the only description of an exported model that apps, the BLE bridge and
:func:`mujo_edge.runtime.load` read: the full :class:`~mujo_edge.data.spec.SensorSpec` (rate, window,
hop, channel order, units, normalization mean/std), the label names, the model's input/output
contract, the file's sha256, where it came from (checkpoint, git commit), fp32 and int8 metrics,
the calibration set and the self-verification numbers.

Model input is the NORMALIZED window ``(1, W, C)`` (``x_norm = (x - mean) / std`` per channel, channels
in ``sensor_spec.channels`` order); output is ``(1, K)`` logits. The tensor dtypes are what the file's
runtime reports: float32 for ``.pte`` and ``.onnx`` (QDQ models quantize inside the graph) and fp32
``.tflite``; **int8** for int8 ``.tflite`` files, whose ``input.quantization`` / ``output.quantization``
give the scale, zero point and the exact formulas an app applies (quantize ``x_norm``, dequantize logits).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.config import to_dict
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ConfigError, CorruptFileError
from mujo_edge.provenance import atomic_write_text, check_header, make_header, sha256_file

log = logging.getLogger(__name__)

FORMAT = "mujo-edge-export"
FORMAT_VERSION = 2  # 2: input/output dtype and quantization are the file's real tensor contract
#: Keys every sidecar must have.
REQUIRED = ("format", "format_version", "file", "backend", "precision", "sha256", "sensor_spec", "label_names",
            "input", "output", "model")


def sidecar_path(model_file: str | Path) -> Path:
    """``dscnn_int8.pte`` → ``dscnn_int8.pte.json``."""
    model_file = Path(model_file)
    return model_file.with_name(model_file.name + ".json")


PREPROCESSING = ("resample to sensor_spec.rate_hz, channels in sensor_spec.channels order (SI units), windows of "
                 "sensor_spec.window samples every sensor_spec.hop, then x_norm = (x - normalization.mean) / "
                 "normalization.std per channel")
QUANTIZE_INPUT = "q = clip(round(x_norm / scale) + zero_point, {lo}, {hi}) stored as {dtype} (round to nearest)"
DEQUANTIZE_OUTPUT = "logits = (float32(q) - zero_point) * scale"


def io_contract(spec: SensorSpec, num_classes: int,
                io: dict[str, dict[str, Any]] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sidecar's ``input`` and ``output`` sections.

    Args:
        spec: sensor spec (window ``W`` samples, ``C`` channels).
        num_classes: ``K``.
        io: the tensor details the file's runtime reports, ``{"input": {...}, "output": {...}}`` each with
            ``dtype`` (numpy name) and, for integer tensors, ``scale`` and ``zero_point``
            (``export.backend_details.io``); ``None`` = float32 in and out.

    Returns:
        ``(input, output)``: shape ``[1, W, C]`` / ``[1, K]``, the true ``dtype``, and for an integer
        tensor a ``quantization`` block with ``scale``, ``zero_point``, ``qmin`` / ``qmax`` and the
        ``formula`` (quantize the normalized input; dequantize the logits).
    """
    io = io or {}
    sections = {
        "input": {"shape": [1, spec.window, len(spec.channels)], "layout": "window, channel", "normalized": True,
                  "preprocessing": PREPROCESSING},
        "output": {"shape": [1, num_classes], "kind": "logits", "labels": "label_names[argmax]"},
    }
    for key, sec in sections.items():
        det = io.get(key) or {}
        dtype = np.dtype(det.get("dtype", "float32"))
        sec["dtype"] = dtype.name
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            formula = (QUANTIZE_INPUT.format(lo=info.min, hi=info.max, dtype=dtype.name) if key == "input"
                       else DEQUANTIZE_OUTPUT)
            sec["quantization"] = {"scale": float(det["scale"]), "zero_point": int(det["zero_point"]),
                                   "qmin": int(info.min), "qmax": int(info.max), "formula": formula}
        else:
            sec["quantization"] = None
    return sections["input"], sections["output"]


def build_sidecar(model_file: Path, backend: str, precision: str, spec: SensorSpec, label_names: tuple[str, ...],
                  model: dict[str, Any], source_checkpoint: dict[str, Any], io: dict[str, dict[str, Any]] | None = None,
                  **sections: Any) -> dict[str, Any]:
    """The sidecar dict for ``model_file`` (sha256 and size are computed from the file).

    ``io`` is the file's tensor contract as its runtime reports it (see :func:`io_contract`); the
    remaining keyword sections are added verbatim.
    """
    inp, outp = io_contract(spec, len(label_names), io)
    meta: dict[str, Any] = {
        **make_header(FORMAT, FORMAT_VERSION, model_file), "file": model_file.name, "backend": backend,
        "precision": precision, "size_bytes": model_file.stat().st_size,
        "model": model, "sensor_spec": spec.to_dict(), "label_names": list(label_names),
        "input": inp, "output": outp, "source_checkpoint": source_checkpoint,
    }
    meta.update(sections)
    return meta


def write_sidecar(model_file: str | Path, meta: dict[str, Any]) -> Path:
    """Write ``meta`` as ``<model_file>.json`` (atomically); returns its path."""
    path = sidecar_path(model_file)
    atomic_write_text(path, json.dumps(to_dict(meta), indent=2) + "\n")
    return path


def read_sidecar(model_file: str | Path, check_hash: bool = True) -> dict[str, Any]:
    """Read and validate the sidecar of ``model_file``; checks the recorded sha256 against the file.

    Raises:
        CorruptFileError: the sidecar is missing, unreadable, incomplete, of another format, or the
            model file's sha256 differs from the recorded one.
    """
    model_file = Path(model_file)
    path = sidecar_path(model_file)
    if not path.exists():
        raise CorruptFileError(model_file, f"no sidecar {path.name} next to it; exported models carry their sensor spec "
                                           f"and label names there (re-run mujo-edge export)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(path, f"not valid JSON ({exc})") from exc
    check_header(meta, FORMAT, FORMAT_VERSION, lambda msg: CorruptFileError(path, msg))
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise CorruptFileError(path, f"missing keys {missing}")
    try:
        spec = SensorSpec.from_dict(meta["sensor_spec"])
    except (ConfigError, TypeError, KeyError, ValueError) as exc:
        raise CorruptFileError(path, f"invalid sensor_spec ({exc})") from exc
    check_fields(meta, spec, lambda msg: CorruptFileError(path, msg))
    if check_hash:
        if not model_file.exists():
            raise CorruptFileError(model_file, "model file is missing (only its sidecar exists)")
        digest = sha256_file(model_file)
        if digest != meta["sha256"]:
            raise CorruptFileError(model_file, f"sha256 {digest[:16]}... differs from {meta['sha256'][:16]}... recorded in "
                                               f"{path.name} (file corrupted or replaced)")
    return meta


def check_fields(meta: dict[str, Any], spec: SensorSpec, fail: Callable[[str], Exception]) -> None:
    """Types and consistency of the fields readers use (a hand-edited sidecar fails here with the field named).

    Checks: ``backend`` / ``file`` / ``sha256`` are text, ``precision`` is ``fp32`` or ``int8``, ``label_names``
    is a non-empty list of distinct names, ``channels_used`` (if present) names spec channels, ``input`` /
    ``output`` have integer shapes ``[1, window, channels]`` / ``[1, len(label_names)]``, a known dtype and,
    for integer tensors, a quantization block with a finite scale > 0 and an integer zero point inside the
    dtype's range; ``verification`` and ``tflm`` are objects when present.
    """
    for key in ("backend", "file", "sha256", "precision"):
        if not isinstance(meta[key], str):
            raise fail(f"{key} must be a string, got {meta[key]!r} ({type(meta[key]).__name__})")
    if meta["precision"] not in ("fp32", "int8"):
        raise fail(f"precision must be 'fp32' or 'int8', got {meta['precision']!r}")
    labels = meta["label_names"]
    if (not isinstance(labels, list) or not labels or not all(isinstance(n, str) and n for n in labels)
            or len(set(labels)) != len(labels)):
        raise fail(f"label_names must be a non-empty list of distinct names, got {labels!r}")
    used = meta.get("channels_used")
    if used is not None and (not isinstance(used, list) or not all(isinstance(c, str) for c in used)
                             or not set(used) <= set(spec.channels)):
        raise fail(f"channels_used must list channels of sensor_spec.channels {list(spec.channels)}, got {used!r}")
    want = {"input": [1, spec.window, len(spec.channels)], "output": [1, len(labels)]}
    for key in ("input", "output"):
        sec = meta[key]
        if not isinstance(sec, dict):
            raise fail(f"{key} must be an object, got {sec!r}")
        shape = sec.get("shape")
        if not isinstance(shape, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape):
            raise fail(f"{key}.shape must be a list of integers, got {shape!r}")
        if shape != want[key]:
            what = (f"one window of sensor_spec.window={spec.window} samples x {len(spec.channels)} channels"
                    if key == "input" else f"one logit per label ({len(labels)} label_names)")
            raise fail(f"{key}.shape {shape} does not match {what}: expected {want[key]}")
        try:
            dtype = np.dtype(sec.get("dtype"))
        except TypeError:
            dtype = None
        if dtype is None or dtype.name not in ("float32", "int8", "uint8", "int16"):
            raise fail(f"{key}.dtype must be float32, int8, uint8 or int16, got {sec.get('dtype')!r}")
        q = sec.get("quantization")
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            if (not isinstance(q, dict) or not isinstance(q.get("scale"), (int, float)) or isinstance(q.get("scale"), bool)
                    or not math.isfinite(q["scale"]) or q["scale"] <= 0 or not isinstance(q.get("zero_point"), int)
                    or isinstance(q.get("zero_point"), bool) or not info.min <= q["zero_point"] <= info.max):
                raise fail(f"{key} is {dtype.name} and needs quantization {{scale > 0, zero_point in "
                           f"[{info.min}, {info.max}]}}, got {q!r}")
        elif q is not None:
            raise fail(f"{key} is {dtype.name}, so quantization must be null, got {q!r}")
    for key in ("verification", "tflm", "embedded_contract"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise fail(f"{key} must be an object, got {meta[key]!r}")


def spec_of(meta: dict[str, Any]) -> SensorSpec:
    """The :class:`SensorSpec` recorded in a sidecar."""
    return SensorSpec.from_dict(meta["sensor_spec"])
