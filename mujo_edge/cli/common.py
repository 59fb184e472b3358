"""Options and helpers shared by CLI modules (printing lives here and in the command modules only)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from mujo_edge.config import to_dict
from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.errors import ConfigError

T = TypeVar("T")

DataDirOption = typer.Option(None, "--data-dir", help="Dataset root (default: $MUJO_EDGE_DATA_DIR).")


def spec_from_options(rate: float | None, window: int | None, hop: int | None, purity: float | None = None,
                      base: SensorSpec = DEFAULT_SPEC) -> SensorSpec:
    """``base`` (default: the default spec) with the given rate (Hz), window and hop (samples) and purity replaced."""
    changes: dict[str, Any] = {}
    if purity is not None:
        changes["purity"] = purity
    if rate is not None:
        changes["rate_hz"] = rate
    if window is not None:
        changes["window"] = window
    if hop is not None:
        changes["hop"] = hop
    return base.replace(**changes) if changes else base


def field_default(cls: type, name: str) -> object:
    """The default of dataclass field ``cls.name`` (calls a ``default_factory``)."""
    field = {f.name: f for f in dataclasses.fields(cls)}[name]
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()  # type: ignore[misc]


def config_option(cls: type, name: str, *flags: str, help: str) -> Any:  # noqa: A002 - Typer's keyword
    """A Typer option for field ``name`` of config dataclass ``cls``; not given = the dataclass default.

    The option's own default is ``None`` (meaning "not given"), and the help text shows the dataclass
    default, so each default is written once, in the config class.
    """
    default = field_default(cls, name)
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    return typer.Option(None, *flags, help=f"{help} [default: {shown}]", show_default=False)


def given(**values: Any) -> dict[str, Any]:
    """The options the user gave (``None`` = not given, so the config's default applies)."""
    return {k: v for k, v in values.items() if v is not None}


def parse_list(text: str, convert: Callable[[str], T], what: str, valid: str) -> tuple[T, ...]:
    """``"0.01,0.02"`` → ``(0.01, 0.02)`` with ``convert`` per item; a bad or repeated item raises naming it.

    ``what`` names the option (``--fractions``), ``valid`` describes a valid item for the message.
    """
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise ConfigError(f"{what} is empty; give {valid}, comma-separated")
    out: list[T] = []
    for item in items:
        try:
            value = convert(item)
        except (TypeError, ValueError):
            raise ConfigError(f"{what}: {item!r} is not {valid}") from None
        if value in out:
            raise ConfigError(f"{what}: {item!r} is given twice")
        out.append(value)
    return tuple(out)


def echo_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""

    typer.echo(json.dumps(to_dict(obj), indent=2))


def table(rows: list[list[Any]], header: list[str]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(c) for c in header]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


