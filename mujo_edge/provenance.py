"""How files record how they were made: git commit, atomic writes, sha256 of files, and the provenance
header every mujo-edge artifact starts with (checkpoints, export sidecars, imported datasets)::

    {"format": "mujo-edge-export", "format_version": 2, "mujo_edge_version": "0.3.0",
     "git_commit": "aa6de80...", "created": "2026-12-03T15:02:42+00:00", "sha256": "..."}

``sha256`` is the payload's (the weights file of a checkpoint, the model file of an export).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from mujo_edge._version import __version__
from mujo_edge.errors import MujoEdgeError

_REPO_ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The git commit of the source tree (``"unknown"`` outside a checkout), ``+dirty`` if modified."""
    try:
        out = subprocess.run(
            ["git", "-C", str(_REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(_REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out + ("+dirty" if dirty else "") if out else "unknown"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    A reader never sees a half-written file, even if the writer is killed mid-way. The file gets the
    permissions of a plain ``open(path, "w")`` (``0666`` less the umask), not the temporary file's ``0600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


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
