"""The provenance header every mujo-edge artifact starts with, and its checks.

::

    {"format": "mujo-edge-export", "format_version": 2, "mujo_edge_version": "0.3.0",
     "git_commit": "aa6de80...", "created": "2026-12-03T15:02:42+00:00", "sha256": "..."}

``sha256`` is the payload's (the weights file of a checkpoint, the model file of an export).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

from mujo_edge._version import __version__
from mujo_edge.errors import MujoEdgeError
from mujo_edge.provenance import git_commit, sha256_file


def make_header(fmt: str, version: int, payload: Path) -> dict[str, str | int]:
    """The header of an artifact of format ``fmt`` / ``version`` whose payload file is ``payload``."""
    return {"format": fmt, "format_version": int(version), "mujo_edge_version": __version__,
            "git_commit": git_commit(), "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "sha256": sha256_file(payload)}


def check_header(meta: object, fmt: str, max_version: int, fail: Callable[[str], MujoEdgeError]) -> dict:
    """Validate the header of a parsed artifact JSON; returns ``meta`` (a dict).

    Raises ``fail(message)`` when ``meta`` is not an object, has another format, a ``format_version``
    that is not a positive integer, or one newer than ``max_version``.
    """
    if not isinstance(meta, dict):
        raise fail(f"expected a JSON object, got {type(meta).__name__}")
    if meta.get("format") != fmt:
        raise fail(f"format {meta.get('format')!r}, expected {fmt!r}")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"format_version must be a positive integer, got {version!r} ({type(version).__name__}); "
                   f"the file was edited or written by another tool")
    if version > max_version:
        raise fail(f"format version {version} is newer than this mujo-edge understands ({max_version}); "
                   f"upgrade mujo-edge")
    return meta
