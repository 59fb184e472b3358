"""Helpers shared by the dataset loaders: robust numeric parsing with errors naming the file."""

from __future__ import annotations

import io
import re

import numpy as np

from mujo_edge.data.filetree import FileTree
from mujo_edge.errors import CorruptFileError


def parse_table(tree: FileTree, member: str, data: bytes, ncols: int | None = None, delimiter: str | None = None,
                skiprows: int = 0, usecols: tuple[int, ...] | None = None, comments: str | None = "#") -> np.ndarray:
    """Parse a numeric text table; any problem raises :class:`CorruptFileError` naming the member.

    Returns a 2-D float64 array ``(rows, cols)``; an empty file is an error.
    """
    try:
        arr = np.loadtxt(io.BytesIO(data), delimiter=delimiter, skiprows=skiprows, usecols=usecols,
                         dtype=np.float64, ndmin=2, comments=comments)
    except (ValueError, IndexError) as exc:
        raise CorruptFileError(tree.where(member), f"cannot parse numeric table ({exc})") from exc
    if arr.shape[0] == 0:
        raise CorruptFileError(tree.where(member), "file has no data rows (truncated?)")
    if ncols is not None and arr.shape[1] != ncols:
        raise CorruptFileError(tree.where(member), f"expected {ncols} columns, found {arr.shape[1]}")
    return arr


def match_members(tree: FileTree, pattern: str) -> list[tuple[str, re.Match]]:
    """Members whose path matches the regular expression ``pattern`` (searched), with the match."""
    rx = re.compile(pattern)
    out = []
    for m in tree.members():
        hit = rx.search(m)
        if hit:
            out.append((m, hit))
    return out


def require_members(tree: FileTree, found: list, what: str) -> None:
    """Raise a clear error when a source holds none of the files a loader needs."""
    if not found:
        raise CorruptFileError(tree.path, f"contains no {what} (wrong folder or incomplete download?)")
