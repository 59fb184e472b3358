"""Checkpoints: safetensors weights plus a JSON record of how they were made.

A checkpoint is a folder::

    RUN/
      model.safetensors     weights (strict key check on load)
      checkpoint.json       provenance header (format, version, git commit, creation time, sha256
                            of the weights; :func:`mujo_edge.provenance.make_header`), kind, model name +
                            config, sensor spec, label names, step, metrics

``kind`` says what the weights are (``classifier``, ``mujo``, ``student``, ...); loaders ask for the
kinds they accept and get a :class:`CheckpointError` naming the kind found otherwise. Both files are
written atomically, the JSON last; the recorded sha256 catches a weights file that does not belong
to its JSON (e.g. a copy interrupted between the two files).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mujo_edge.config import to_dict
from mujo_edge.data.protocol import SplitWindows, recorded_split
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import CheckpointError, ConfigError
from mujo_edge.provenance import atomic_write_bytes, atomic_write_text, check_header, make_header, sha256_file

log = logging.getLogger(__name__)

FORMAT = "mujo-edge-checkpoint"
FORMAT_VERSION = 1
#: Key of the safetensors header metadata that holds the checkpoint's contract (see :func:`contract_of`).
CONTRACT_KEY = "mujo_edge_contract"
WEIGHTS = "model.safetensors"
META = "checkpoint.json"


@dataclass
class Checkpoint:
    """Metadata of a checkpoint folder (weights are read on demand by :meth:`state_dict`)."""

    path: Path
    kind: str
    model_name: str
    model_config: dict[str, Any]
    spec: SensorSpec
    label_names: tuple[str, ...] | None
    step: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    git_commit: str = "unknown"
    created: str = ""
    weights_sha256: str = ""

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The weights as a ``{name: torch.Tensor}`` dict (CPU)."""
        from safetensors.torch import load_file  # optional at import time: reading metadata needs no safetensors

        wpath = self.path / WEIGHTS
        if not wpath.exists():
            raise CheckpointError(f"{self.path}: {WEIGHTS} is missing")
        digest = sha256_file(wpath)
        if self.weights_sha256 and digest != self.weights_sha256:
            raise CheckpointError(f"{wpath}: sha256 {digest[:16]}... differs from the {self.weights_sha256[:16]}... "
                                  f"recorded in {META} (corrupted or mismatched files)")
        try:
            return load_file(str(wpath))
        except Exception as exc:  # safetensors raises its own error types
            raise CheckpointError(f"{wpath}: not a readable safetensors file ({exc})") from exc


def contract_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    """What decides a checkpoint's predictions besides its weights: kind, model name and config, sensor spec
    (rate, window, hop, channel order, normalization), label names and the channels the model uses.

    It is written twice: readable in ``checkpoint.json`` and inside the weights file (safetensors
    header metadata, covered by the weights' sha256), so editing ``checkpoint.json`` alone is detected.
    """
    extra = meta.get("extra") if isinstance(meta.get("extra"), Mapping) else {}
    return {"kind": meta.get("kind"), "model": meta.get("model"), "sensor_spec": meta.get("sensor_spec"),
            "label_names": meta.get("label_names"), "channels_used": extra.get("channels_used")}


def _first_difference(a: object, b: object, where: str = "") -> str | None:
    """The dotted path of the first value that differs between two JSON-like values (``None`` if equal)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            found = _first_difference(a.get(key), b.get(key), f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
        return None
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{where}[{i}]")
            if found is not None:
                return found
        return None
    return None if a == b else (where or "(root)")


def _check_embedded_contract(path: Path, meta: Mapping[str, Any]) -> None:
    """Refuse a ``checkpoint.json`` whose contract differs from the copy inside the weights file."""
    from safetensors import safe_open  # reads only the file's header

    wpath = path / WEIGHTS
    if not wpath.exists():
        return  # state_dict() reports the missing weights
    try:
        with safe_open(str(wpath), framework="pt") as f:
            embedded_text = (f.metadata() or {}).get(CONTRACT_KEY)
    except Exception:  # safetensors raises its own error types
        return  # an unreadable weights file: state_dict() reports it with its sha256

    if embedded_text is None:
        log.debug("%s predates embedded contracts; checkpoint.json is trusted as is", wpath)
        return
    try:
        embedded = json.loads(embedded_text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{wpath}: unreadable embedded contract ({exc})") from exc
    field = _first_difference(contract_of(meta), embedded)
    if field is not None:
        raise CheckpointError(
            f"{path / META}: {field} differs from the value saved inside {WEIGHTS} ({_at(embedded, field)!r}); "
            f"{META} was edited after the weights were written, and the model would silently run with a different "
            f"sensor spec or labels. Restore the original {META} (or retrain with the new setting)")


def _at(obj: object, dotted: str) -> object:
    """The value at a path made by :func:`_first_difference` (``None`` where it does not exist)."""
    for part in dotted.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            idx = int(part[1:-1])
            obj = obj[idx] if isinstance(obj, list) and idx < len(obj) else None
        else:
            obj = obj.get(part) if isinstance(obj, Mapping) else None
    return obj


def save_checkpoint(path: str | Path, model: nn.Module | Mapping[str, torch.Tensor], kind: str, model_name: str,
                    model_config: dict[str, Any],
                    spec: SensorSpec, label_names: tuple[str, ...] | list[str] | None = None, step: int = 0,
                    metrics: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s weights and metadata to folder ``path`` (created); returns the folder.

    ``model`` is an ``nn.Module`` or a state dict. Tensors are made contiguous CPU copies.
    """
    from safetensors.torch import save  # loaded on first write, like state_dict() on first read

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = model.state_dict() if hasattr(model, "state_dict") else dict(model)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    body = {"kind": kind, "model": {"name": model_name, "config": to_dict(model_config)},
            "sensor_spec": spec.to_dict(), "label_names": list(label_names) if label_names is not None else None,
            "step": int(step), "metrics": to_dict(metrics or {}), "extra": to_dict(extra or {})}
    contract = json.dumps(contract_of(json.loads(json.dumps(body))), sort_keys=True)
    atomic_write_bytes(path / WEIGHTS, save(tensors, metadata={CONTRACT_KEY: contract}))
    header = make_header(FORMAT, FORMAT_VERSION, path / WEIGHTS)
    meta = {**header, **body, "weights_sha256": header["sha256"]}  # weights_sha256: the name older readers use
    atomic_write_text(path / META, json.dumps(meta, indent=2) + "\n")
    log.info("saved %s checkpoint %s (step %d)", kind, path, step)
    return path


def load_checkpoint(path: str | Path, kinds: tuple[str, ...] | list[str] | str | None = None) -> Checkpoint:
    """Read a checkpoint folder's metadata, checking its format and (optionally) its kind.

    Args:
        path: the checkpoint folder (or its ``checkpoint.json``).
        kinds: accepted kinds; another kind raises :class:`CheckpointError` naming both.
    """
    path = Path(path)
    if path.is_file() and path.name == META:
        path = path.parent
    meta_path = path / META
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint folder")
    if not meta_path.exists():
        hint = " (an exported model file? use mujo_edge.runtime.load)" if path.is_file() else ""
        raise CheckpointError(f"{path}: not a mujo-edge checkpoint, {META} is missing{hint}")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: not valid JSON ({exc})") from exc
    check_header(meta, FORMAT, FORMAT_VERSION, lambda msg: CheckpointError(f"{meta_path}: {msg}"))
    if isinstance(kinds, str):
        kinds = (kinds,)
    if kinds is not None and meta.get("kind") not in kinds:
        raise CheckpointError(f"{path}: checkpoint kind {meta.get('kind')!r}, expected one of {', '.join(kinds)}")
    _check_types(meta, meta_path)
    _check_embedded_contract(path, meta)
    try:
        spec = SensorSpec.from_dict(meta["sensor_spec"])
        return Checkpoint(
            path=path, kind=meta["kind"], model_name=meta["model"]["name"], model_config=meta["model"]["config"],
            spec=spec, label_names=tuple(meta["label_names"]) if meta.get("label_names") is not None else None,
            step=int(meta.get("step", 0)), metrics=meta.get("metrics", {}), extra=meta.get("extra", {}),
            git_commit=meta.get("git_commit", "unknown"), created=meta.get("created", ""),
            weights_sha256=meta.get("weights_sha256") or meta.get("sha256", ""),
        )
    except (KeyError, TypeError, ConfigError) as exc:
        raise CheckpointError(f"{meta_path}: incomplete or invalid metadata ({exc})") from exc


def _check_types(meta: Mapping[str, Any], meta_path: Path) -> None:
    """Clear errors for fields of the wrong JSON type (a hand-edited or foreign ``checkpoint.json``)."""
    expected: list[tuple[str, object, type | tuple[type, ...]]] = [
        ("kind", meta.get("kind"), str), ("model", meta.get("model"), dict), ("sensor_spec", meta.get("sensor_spec"), dict),
        ("step", meta.get("step", 0), int), ("metrics", meta.get("metrics", {}), dict), ("extra", meta.get("extra", {}), dict)]
    model = meta.get("model") if isinstance(meta.get("model"), dict) else {}
    expected += [("model.name", model.get("name"), str), ("model.config", model.get("config"), dict)]
    for name, value, types in expected:
        if isinstance(value, bool) or not isinstance(value, types):
            want = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            raise CheckpointError(f"{meta_path}: {name} must be a JSON {want}, got {value!r}")
    labels = meta.get("label_names")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
        raise CheckpointError(f"{meta_path}: label_names must be a list of strings, got {labels!r}")


def load_state_strict(model: nn.Module, state: Mapping[str, torch.Tensor], where: str) -> None:
    """``model.load_state_dict(state, strict=True)`` with a :class:`CheckpointError` listing bad keys."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or shapes:
        raise CheckpointError(
            f"{where}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"shape mismatch {[(k, tuple(state[k].shape), tuple(own[k].shape)) for k in shapes[:5]]})"
        )
    model.load_state_dict(state, strict=True)


def checkpoint_split(ckpt: Checkpoint, data_root: str | Path | None = None, source: str | None = None,
                     fold: int = 0, folds: int = 5) -> SplitWindows:
    """The held-out test and calibration windows of the split recorded in ``ckpt.extra["data"]``.

    See :func:`mujo_edge.data.protocol.recorded_split`; ``source`` / ``fold`` are used only when the
    checkpoint records no split.
    """
    return recorded_split(ckpt.extra.get("data") if isinstance(ckpt.extra, dict) else None, ckpt.spec,
                          ckpt.label_names, str(ckpt.path), data_root, source=source, fold=fold, folds=folds)
