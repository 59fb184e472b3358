"""Stage configs are frozen dataclasses; these helpers turn them into JSON and back, strictly.

``from_dict`` rejects unknown keys (naming them and the valid fields) and rebuilds nested
dataclasses and tuples, so a config written next to an artifact reads back to an equal object.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from mujo_edge.errors import ConfigError
from mujo_edge.provenance import atomic_write_text

C = TypeVar("C")


def to_dict(obj: Any) -> Any:
    """Recursively convert dataclasses / tuples / paths into JSON-ready values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", None) == 0:  # numpy scalar
        return obj.item()
    return obj


def _convert(tp: Any, value: Any, where: str) -> Any:
    """Convert a JSON value to the annotated type ``tp`` (dataclass, tuple, optional, ...)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if value is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected an object for {tp.__name__}, got {value!r}")
        return from_dict(tp, value, where=where)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        for a in non_none:
            try:
                return _convert(a, value, where)
            except (ConfigError, TypeError, ValueError):
                continue
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, where) for v in value)
        if args and len(args) == len(value):
            return tuple(_convert(a, v, where) for a, v in zip(args, value))
        return tuple(value)
    if origin is list:
        return [_convert(args[0], v, where) for v in value] if args else list(value)
    if origin is dict:
        return {k: _convert(args[1], v, where) for k, v in value.items()} if args else dict(value)
    if tp is Path:
        return Path(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def from_dict(cls: type[C], data: dict[str, Any], where: str | None = None) -> C:
    """Build dataclass ``cls`` from ``data``; unknown keys raise :class:`ConfigError`."""
    where = where or cls.__name__
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; valid fields: {sorted(names)}")
    hints = typing.get_type_hints(cls)
    kwargs = {k: _convert(hints.get(k, Any), v, f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def save_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` (dataclass or plain data) as indented JSON, atomically."""
    path = Path(path)
    atomic_write_text(path, json.dumps(to_dict(obj), indent=2, sort_keys=False) + "\n")
    return path


def load_json(path: str | Path) -> Any:
    """Read a JSON file, turning parse errors into :class:`ConfigError` naming the file."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
