"""Options and helpers shared by CLI modules (printing lives here and in the command modules only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec

DataDirOption = typer.Option(None, "--data-dir", help="Dataset root (default: $MUJO_EDGE_DATA_DIR).")


def spec_from_options(rate: float | None, window: int | None, hop: int | None) -> SensorSpec:
    """The default spec with the given rate (Hz), window and hop (samples) replaced."""
    changes: dict[str, Any] = {}
    if rate is not None:
        changes["rate_hz"] = rate
    if window is not None:
        changes["window"] = window
    if hop is not None:
        changes["hop"] = hop
    return DEFAULT_SPEC.replace(**changes) if changes else DEFAULT_SPEC


def echo_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    from mujo_edge.config import to_dict

    typer.echo(json.dumps(to_dict(obj), indent=2))


def table(rows: list[list[Any]], header: list[str]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(c) for c in header]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ensure_parent(path: Path) -> Path:
    """Create the parent folder of ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
