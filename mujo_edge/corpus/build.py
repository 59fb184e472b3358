"""Build a corpus: plan clips, synthesize shards in worker processes, write the index last.

Memory stays bounded: a worker holds one shard (``shard_clips`` clips) at a time and the parent only
collects small summaries. The result depends on the config and seed, not on the number of workers.
"""

from __future__ import annotations

import hashlib
import logging
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
from mujo_edge.corpus.store import FORMAT, INDEX, VERSION, prepare_output, write_shard
from mujo_edge.corpus.synth import ClipJob, plan, synthesize
from mujo_edge.data.spec import IMU_CHANNELS
from mujo_edge.errors import ConfigError, MujoEdgeError
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
    prepare_output(root, force)
    chunks = [jobs[i:i + cfg.shard_clips] for i in range(0, len(jobs), cfg.shard_clips)]
    dr = None if data_root is None else str(data_root)
    tasks = [(str(root), f"shard_{k:05d}", chunk, cfg, dr) for k, chunk in enumerate(chunks)]
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
    else:
        # fork where available (workers need no torch, so a parent that imported it is fine); spawn elsewhere
        ctx = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as ex:
                for entry in ex.map(_shard_task, tasks):
                    collect(entry)
        except BrokenProcessPool as exc:
            raise MujoEdgeError(f"a corpus worker process died ({exc}); out of memory? try fewer --workers") from exc
    labels: Counter = Counter()
    sources: Counter = Counter()
    subjects: dict[str, set[str]] = {}
    for e in entries:
        for label, source, subject in e.pop("_summary"):
            labels[label] += 1
            sources[source] += 1
            subjects.setdefault(source, set()).add(subject)
        e.pop("_seconds")
    seconds = time.perf_counter() - t0
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
    save_json(root / INDEX, index)
    log.info("corpus %s: %d clips (%.2f h) in %.1f s", root, n, index["hours"], seconds)
    return index
