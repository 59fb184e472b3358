"""Inter-process locks on files, released by the kernel when their holder dies (even by SIGKILL).

::

    with FileLock(out.with_name(f".{out.name}.lock"), what=f"corpus build into {out}"):
        ...                       # a second process raises, naming the holder's pid (or waits: wait=True)

A lock is an ``flock`` on a small file that records who holds it (pid, host, start time), so the
error a second process gets says who to wait for. The file stays behind after release; it is only a
name to lock on.

A process forked while it holds a lock (corpus workers, data-loader workers) shares the locked open file
description, so a child that outlives a killed holder would keep the lock taken. Forked children therefore
close their copies at once (``os.register_at_fork``): the lock lives exactly as long as the process that took it.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from mujo_edge.errors import MujoEdgeError

log = logging.getLogger(__name__)


#: descriptors of the locks this process holds (closed in forked children, see the module docstring)
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    """In a forked child: close the copies of the parent's lock descriptors (the parent keeps its lock)."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


class LockedError(MujoEdgeError):
    """Another process holds the lock (the message names it)."""


class FileLock:
    """An exclusive ``flock`` on ``path``; use as a context manager.

    Args:
        path: the lock file (created; its folder is created too).
        what: what the lock protects, for messages (``"corpus build into runs/c1"``).
        wait: wait for the holder to finish (True) or raise :class:`LockedError` at once (False).
        timeout_s: longest wait with ``wait=True``, s (``None`` = no limit).
    """

    def __init__(self, path: str | Path, what: str, wait: bool = False, timeout_s: float | None = None) -> None:
        self.path, self.what, self.wait, self.timeout_s = Path(path), what, wait, timeout_s
        self._fd: int | None = None
        self._pid = 0  # the process that took the lock (a forked child must not release or close it)
        self.waited_s = 0.0

    def holder(self) -> dict[str, object]:
        """Who holds (or last held) the lock, as recorded in the file (empty if unknown)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _describe_holder(self) -> str:
        h = self.holder()
        if not h:
            return "another process"
        return f"process {h.get('pid')} on {h.get('host')} (since {h.get('since')})"

    def acquire(self) -> FileLock:
        """Take the lock (see the class docstring); returns self."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        announced = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if not self.wait:
                    raise LockedError(f"{self.what} is already running in {self._describe_holder()} "
                                      f"(lock {self.path}); wait for it to finish or choose another output") from None
                if self.timeout_s is not None and time.monotonic() - t0 > self.timeout_s:
                    raise LockedError(f"{self.what}: {self._describe_holder()} held the lock {self.path} for more "
                                      f"than {self.timeout_s:g} s") from None
                if not announced:
                    log.warning("%s: waiting for %s to finish", self.what, self._describe_holder())
                    announced = True
                time.sleep(0.2)
                continue
            # the file may have been replaced between open and flock: lock the file that is at the path now
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            break
        self._fd, self._pid = fd, os.getpid()
        _HELD.add(fd)
        self.waited_s = time.monotonic() - t0
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "what": self.what}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())
        return self

    def release(self) -> None:
        """Give the lock back (the kernel also does this when the process dies)."""
        if self._fd is not None:
            if self._pid == os.getpid():  # in a forked child the descriptor was closed at fork (parent's lock)
                _HELD.discard(self._fd)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


T = TypeVar("T")


def build_once(path: Path, read: Callable[[], T | None], build: Callable[[], T], what: str) -> T:
    """A cache entry at ``path``: ``read()`` it, or ``build()`` it (which writes it) under a lock beside it.

    Two processes that miss the same entry do the work once: the second waits for the first and then reads
    what it wrote. ``read`` returns ``None`` for an absent (or discarded, unreadable) entry.
    """
    got = read()
    if got is not None:
        return got
    with FileLock(path.with_name(path.name + ".lock"), what=what, wait=True):
        got = read()
        return got if got is not None else build()
