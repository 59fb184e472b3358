"""A corpus build never leaves a half-made corpus: killed builds take their workers with them, a build
writes into a staging folder that becomes the corpus only when complete, two builds never interleave."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mujo_edge.corpus import CorpusConfig, build_corpus, open_corpus, read_index
from mujo_edge.locks import FileLock, LockedError


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the worker processes")
def test_sigkilled_multi_worker_build_leaves_no_process_and_no_partial_corpus(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    cmd = [sys.executable, "-m", "mujo_edge.cli", "corpus", "build", "--out", str(out), "--sources", "procedural",
           "--hours", "0.3", "--workers", "2", "--seed", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))
    staging = None
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline:  # wait until both workers run and the first shard is in the staging folder
        workers |= _children(proc.pid)
        found = list(tmp_path.glob(".corpus.building-*/shards/shard_*"))
        if found and len(workers) >= 2:
            staging = found[0].parents[1]
            break
        time.sleep(0.05)
    assert staging is not None, "the build never wrote a shard"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "worker processes outlived the killed build"
    assert not out.exists()  # the corpus folder appears only complete
    # a new build into the same folder clears the killed build's staging folder and finishes
    index = build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.01, seed=2, shard_clips=4), workers=2)
    assert read_index(out)["clips"] == index["clips"] == len(open_corpus(out))
    assert not list(tmp_path.glob(".corpus.building-*"))


def test_a_second_build_into_the_same_folder_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "c"
    with FileLock(tmp_path / ".c.lock", what="a build"):
        with pytest.raises(LockedError, match=rf"corpus build into {out} is already running in process {os.getpid()}"):
            build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.005, seed=0, shard_clips=4))
    assert not out.exists()


def test_forced_rebuild_replaces_the_old_corpus_only_when_complete(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "c"
    first = build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.005, seed=0, shard_clips=4))
    import mujo_edge.corpus.build as build

    def boom(*a, **k):  # noqa: ANN002, ANN003
        raise LockedError("simulated failure while synthesizing")

    monkeypatch.setattr(build, "_build_shards", boom)
    with pytest.raises(LockedError, match="simulated"):
        build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.005, seed=5, shard_clips=4), force=True)
    assert read_index(out)["created_unix"] == first["created_unix"] and len(open_corpus(out)) == first["clips"]
    assert not list(tmp_path.glob(".c.building-*")) and not list(tmp_path.glob(".c.old-*"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_by_a_killed_lock_holder_does_not_keep_the_lock(tmp_path: Path) -> None:
    """A worker forked while its parent holds a lock (corpus workers do) must not keep the lock once the parent
    is killed: the lock belongs to the process that took it."""
    lock = tmp_path / ".c.lock"
    code = (
        "import os, sys, time\n"
        "from mujo_edge.locks import FileLock\n"
        f"FileLock({str(lock)!r}, what='a build').acquire()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.write(1, b'child\\n'); time.sleep(120); os._exit(0)\n"
        "os.write(1, f'{pid}\\n'.encode())\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        # both lines come after the fork (each one write, so they do not interleave): the lock is held, and the
        # child has run its at-fork handlers (fork returns in the child only after them), so the test never races
        # a child that has not started yet
        lines = sorted(proc.stdout.readline().strip() for _ in range(2))
        assert lines[1] == "child", lines
        child = int(lines[0])
        with pytest.raises(LockedError, match=f"process {proc.pid}"):
            FileLock(lock, what="a build").acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _alive(child)  # the forked child outlives its parent ...
        FileLock(lock, what="a build").acquire().release()  # ... yet the lock is free
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            os.kill(child, signal.SIGKILL)
        except (OSError, UnboundLocalError):
            pass
