"""Build a corpus: plan clips, synthesize shards in worker processes, write the index last.

Memory stays bounded: a worker holds one shard (``shard_clips`` clips) at a time and the parent only
collects small summaries. The result depends on the config and seed, not on the number of workers.

A build never leaves a half-made corpus behind: it holds a lock beside the output folder (a second
build into the same folder fails at once, naming the process that holds it), writes everything into
``.<name>.building-<pid>`` next to it and renames that into place only when the index is written.
Worker processes die with the build (``PR_SET_PDEATHSIG`` on Linux, a parent watchdog elsewhere), so
a killed build cannot keep writing.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from mujo_edge import errors
from mujo_edge.activities import ACTIVITY_NAMES
from mujo_edge.config import save_json, to_dict
from mujo_edge.corpus.config import CorpusConfig
from mujo_edge.corpus.store import FORMAT, INDEX, VERSION, check_output, write_shard
from mujo_edge.corpus.synth import ClipJob, plan, synthesize
from mujo_edge.data.spec import IMU_CHANNELS
from mujo_edge.errors import ConfigError, MujoEdgeError
from mujo_edge.locks import FileLock
from mujo_edge.provenance import git_commit
from mujo_edge.sim.skeleton import BONES, JOINTS

log = logging.getLogger(__name__)


def _portable(exc: MujoEdgeError) -> dict[str, Any]:
    """An error raised in a worker as plain data (some error classes take several constructor arguments and
    do not survive pickling between processes)."""
    return {"cls": type(exc).__name__, "message": str(exc), "path": getattr(exc, "path", None),
            "kind": getattr(exc, "kind", None), "name": getattr(exc, "name", None), "valid": getattr(exc, "valid", None)}


def _revive(d: dict[str, Any]) -> MujoEdgeError:
    """The error of :func:`_portable`, same class and message, to raise in the parent."""
    cls = getattr(errors, d["cls"], MujoEdgeError)
    if cls is errors.CorruptFileError:
        prefix = f"{d['path']}: "
        msg = d["message"][len(prefix):] if d["message"].startswith(prefix) else d["message"]
        return errors.CorruptFileError(d["path"], msg)
    if cls is errors.UnknownNameError:
        return errors.UnknownNameError(d["kind"], d["name"], d["valid"] or ())
    try:
        return cls(d["message"])
    except TypeError:
        return MujoEdgeError(d["message"])


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills this process when the build process dies (Linux); elsewhere a
    watchdog thread ends it once its parent is gone. Either way a killed build cannot keep writing shards."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watchdog").start()


def staging_folder(root: Path) -> Path:
    """Where this process builds the corpus for ``root`` before it is renamed into place."""
    return root.with_name(f".{root.name}.building-{os.getpid()}")


def _clear_stale_builds(root: Path) -> None:
    """Remove staging folders of earlier builds into ``root`` that were killed (the caller holds the lock)."""
    for stale in root.parent.glob(f".{root.name}.building-*"):
        log.warning("removing %s, left by a build that did not finish", stale)
        shutil.rmtree(stale, ignore_errors=True)


def _publish(staging: Path, root: Path) -> None:
    """Move the finished corpus in ``staging`` to ``root``.

    A new folder is renamed into place at once. Into an existing folder (``force``), the old corpus
    (``corpus.json``, ``shards/``) is moved aside first and the new index comes last, so ``root`` holds
    either no corpus or a complete one at every moment; other files in ``root`` are left alone.
    """
    if not root.exists():
        os.replace(staging, root)
        return
    old = root / f".old-{os.getpid()}"
    old.mkdir()
    for part in (INDEX, "shards"):
        if (root / part).exists():
            os.replace(root / part, old / part)
    os.replace(staging / "shards", root / "shards")
    os.replace(staging / INDEX, root / INDEX)
    shutil.rmtree(old, ignore_errors=True)


def _shard_task(args: tuple[str, str, list[ClipJob], CorpusConfig, str | None]) -> dict[str, Any]:
    """Synthesize and write one shard (runs in a worker process); errors come back as data."""
    try:
        return _shard_task_unsafe(args)
    except MujoEdgeError as exc:
        return {"_error": _portable(exc)}


def _shard_task_unsafe(args: tuple[str, str, list[ClipJob], CorpusConfig, str | None]) -> dict[str, Any]:
    root, name, jobs, cfg, data_root = args
    t0 = time.perf_counter()
    clips = [synthesize(job, cfg, data_root) for job in jobs]
    entry = write_shard(Path(root), name, clips)
    entry["_summary"] = [(c["meta"]["label"], c["meta"]["source"], c["meta"]["subject"]) for c in clips]
    entry["_seconds"] = time.perf_counter() - t0
    return entry


def val_subjects(subjects_by_source: dict[str, set[str]], fraction: float, seed: int) -> list[str]:
    """Deterministic validation subjects: per source, the ``fraction`` (at least one when there are >= 2) of
    subjects with the smallest hash of ``(seed, subject)``."""
    out = []
    for subjects in subjects_by_source.values():
        ranked = sorted(subjects, key=lambda s: hashlib.sha256(f"{seed}:{s}".encode()).hexdigest())
        k = int(round(fraction * len(ranked)))
        if fraction > 0 and len(ranked) >= 2:
            k = max(1, min(k, len(ranked) - 1))
        out += ranked[:k]
    return sorted(out)


def build_corpus(out: str | Path, cfg: CorpusConfig, workers: int = 1, force: bool = False,
                 data_root: str | Path | None = None,
                 progress: Callable[[int, int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Build the corpus of ``cfg`` into ``out`` and return its index (see :mod:`mujo_edge.corpus.store`).

    Args:
        out: output folder (must be empty or absent unless ``force``).
        cfg: corpus config.
        workers: worker processes (1 = in this process).
        force: overwrite an existing corpus in ``out``.
        data_root: dataset root for the ``mocap`` source (default ``$MUJO_EDGE_DATA_DIR``).
        progress: called as ``progress(shards_done, shards_total, shard_entry)``.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    root = Path(out)
    t0 = time.perf_counter()
    jobs, plan_stats = plan(cfg, data_root)  # fails early (e.g. no mocap) before touching the output
    with FileLock(root.with_name(f".{root.name}.lock"), what=f"corpus build into {root}"):
        check_output(root, force)
        _clear_stale_builds(root)
        staging = staging_folder(root)
        staging.mkdir(parents=True)
        try:
            entries = _build_shards(staging, jobs, cfg, workers, data_root, progress)
            index = _index(entries, cfg, workers, plan_stats, time.perf_counter() - t0)
            save_json(staging / INDEX, index)
            _publish(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("corpus %s: %d clips (%.2f h) in %.1f s", root, index["clips"], index["hours"],
             index["stats"]["build_seconds"])
    return index


def _build_shards(staging: Path, jobs: list[ClipJob], cfg: CorpusConfig, workers: int, data_root: str | Path | None,
                  progress: Callable[[int, int, dict[str, Any]], None] | None) -> list[dict[str, Any]]:
    """Synthesize every shard into ``staging`` (in ``workers`` processes); returns their index entries in order."""
    chunks = [jobs[i:i + cfg.shard_clips] for i in range(0, len(jobs), cfg.shard_clips)]
    dr = None if data_root is None else str(data_root)
    tasks = [(str(staging), f"shard_{k:05d}", chunk, cfg, dr) for k, chunk in enumerate(chunks)]
    entries: list[dict[str, Any]] = []

    def collect(entry: dict[str, Any]) -> None:
        if "_error" in entry:
            raise _revive(entry["_error"])
        entries.append(entry)
        if progress:
            progress(len(entries), len(tasks), entry)

    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            collect(_shard_task(task))
        return entries
    # fork where available (workers need no torch, so a parent that imported it is fine); spawn elsewhere
    ctx = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx, initializer=_die_with_parent,
                                 initargs=(os.getpid(),)) as ex:
            for entry in ex.map(_shard_task, tasks):
                collect(entry)
    except BrokenProcessPool as exc:
        raise MujoEdgeError(f"a corpus worker process died ({exc}); out of memory? try fewer --workers") from exc
    return entries


def _index(entries: list[dict[str, Any]], cfg: CorpusConfig, workers: int, plan_stats: dict[str, Any],
           seconds: float) -> dict[str, Any]:
    """``corpus.json``: format, config, vocabulary, shapes, shards, split and build statistics."""
    labels: Counter = Counter()
    sources: Counter = Counter()
    subjects: dict[str, set[str]] = {}
    for e in entries:
        for label, source, subject in e.pop("_summary"):
            labels[label] += 1
            sources[source] += 1
            subjects.setdefault(source, set()).add(subject)
        e.pop("_seconds")
    n = sum(e["clips"] for e in entries)
    v = cfg.video
    index = {
        "format": FORMAT, "version": VERSION, "git_commit": git_commit(), "created_unix": int(time.time()),
        "config": to_dict(cfg),
        "activities": list(ACTIVITY_NAMES), "sites": list(cfg.imu.sites), "channels": list(IMU_CHANNELS),
        "units": {"pose": "m", "acc": "m/s^2", "gyro": "rad/s"}, "joints": list(JOINTS),
        "bones": [list(b) for b in BONES], "rate_hz": cfg.rate_hz, "clip_seconds": cfg.clip_seconds,
        "video_fps": v.frames / cfg.clip_seconds,
        "shapes": {"pose": [cfg.samples, len(JOINTS), 3], "imu": [cfg.samples, len(cfg.imu.sites), 6],
                   "video": [v.frames, v.size, v.size]},
        "clips": n, "hours": round(n * cfg.clip_seconds / 3600.0, 4), "shards": entries,
        "split": {"val_subjects": val_subjects(subjects, cfg.val_fraction, cfg.seed),
                  "rule": "per source, val_fraction of subjects with the smallest sha256(seed:subject)"},
        "stats": {"activities": {a: labels[a] for a in ACTIVITY_NAMES if labels[a]}, "sources": dict(sources),
                  "subjects": {s: len(v_) for s, v_ in subjects.items()}, "build_seconds": round(seconds, 2),
                  "workers": workers, "clip_seconds_per_second": round(n * cfg.clip_seconds / max(seconds, 1e-9), 2),
                  **plan_stats},
    }
    return index
