"""Corpus build throughput (clip-seconds per wall second), per-clip synthesis time, and peak memory of a build.

Run: ``pytest benchmarks/test_bench_corpus.py`` (the mocap cases need MUJO_EDGE_DATA_DIR; the 1-hour memory case
takes a few minutes). ``extra_info`` records the config, the sources, workers, the mocap zip's sha256 and
the sensor spec the corpus feeds (the default 50 Hz spec).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.config import to_dict
from mujo_edge.corpus import CorpusConfig, build_corpus
from mujo_edge.data.spec import DEFAULT_SPEC


def _mocap_info(sources: tuple[str, ...]) -> dict:
    if "mocap" not in sources:
        return {}
    from mujo_edge.provenance import sha256_file
    from mujo_edge.sim.mocap import ZIP_NAME, mocap_dir

    try:
        z = mocap_dir() / ZIP_NAME
    except Exception:
        pytest.skip("the mocap source needs MUJO_EDGE_DATA_DIR with mocap/cmu_bvh_subset.zip")
    return {"mocap_zip": str(z), "mocap_zip_sha256": sha256_file(z)}


@pytest.mark.parametrize("sources", [("procedural",), ("mocap", "procedural")], ids=["procedural", "mocap+procedural"])
@pytest.mark.parametrize("workers", [1, 2])
def test_corpus_build_throughput(benchmark, sources, workers):
    """Build 0.1 h (70 clips of 5.12 s) and report clip-seconds per wall second."""
    extra = _mocap_info(sources)
    cfg = CorpusConfig(sources=sources, hours=0.1, seed=0, shard_clips=16)
    out = Path(tempfile.mkdtemp(prefix="mujo_bench_corpus_"))
    try:
        index = benchmark.pedantic(lambda: build_corpus(out / "c", cfg, workers=workers, force=True), rounds=1,
                                   iterations=1)
        seconds = benchmark.stats.stats.mean
        benchmark.extra_info.update({
            "clips": index["clips"], "clip_seconds": cfg.clip_seconds, "workers": workers, "sources": list(sources),
            "clip_seconds_per_second": round(index["clips"] * cfg.clip_seconds / seconds, 2),
            "seconds_per_clip": round(seconds / index["clips"], 4), "config": to_dict(cfg),
            "spec": DEFAULT_SPEC.to_dict(), "cpu_count": os.cpu_count(), **extra,
        })
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.parametrize("activity", ["walking", "running", "burpees", "bicep_curls"])
def test_clip_synthesis(benchmark, activity):
    """One procedural clip end to end (motion, 19 IMUs, noise, 16-frame video, captions) in this process."""
    from mujo_edge.corpus.synth import ClipJob, synthesize

    cfg = CorpusConfig(sources=("procedural",), hours=0.01)
    jobs = iter(range(10**6))
    clip = benchmark.pedantic(lambda: synthesize(ClipJob(next(jobs), "procedural", activity, "proc_0001"), cfg),
                              rounds=5, iterations=1)
    assert clip["imu"].shape == (256, 19, 6)
    benchmark.extra_info.update({"activity": activity, "spec": DEFAULT_SPEC.to_dict(),
                                 "sim_rate_hz": cfg.sim_rate_hz, "video": to_dict(cfg.video)})


_MEASURE = """
import json, os, sys, threading, time
from mujo_edge.corpus import CorpusConfig, build_corpus

def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0

def children(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out += open(f"/proc/{pid}/task/{tid}/children").read().split()
        except OSError:
            pass
    return out

peak = {"total": 0.0, "parent": 0.0, "worker": 0.0}
done = threading.Event()
def poll():
    me = os.getpid()
    while not done.is_set():
        p = rss_mb(me)
        kids = [rss_mb(c) for c in children(me)]
        peak["total"] = max(peak["total"], p + sum(kids))
        peak["parent"] = max(peak["parent"], p)
        peak["worker"] = max([peak["worker"], *kids])
        time.sleep(0.05)

hours, workers, out, sources = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], tuple(sys.argv[4].split(","))
threading.Thread(target=poll, daemon=True).start()
t0 = time.perf_counter()
index = build_corpus(out, CorpusConfig(sources=sources, hours=hours, seed=0), workers=workers, force=True)
done.set()
print(json.dumps({"seconds": time.perf_counter() - t0, "clips": index["clips"], "peak_total_rss_mb": peak["total"],
                  "parent_peak_rss_mb": peak["parent"], "worker_peak_rss_mb": peak["worker"]}))
"""


@pytest.mark.parametrize("hours", [0.1, 1.0])
def test_corpus_build_peak_memory(benchmark, hours):
    """Peak resident memory of building ``hours`` of corpus with 2 workers, in a fresh interpreter: the largest sum
    of the RSS of the parent and its worker processes (polled every 50 ms from /proc; getrusage's ru_maxrss
    would include the pytest process the interpreter was forked from). Bounded memory means the 1-hour figure
    is about the 0.1-hour one."""
    sources = ("mocap", "procedural") if _mocap_available() else ("procedural",)
    extra = _mocap_info(sources)
    out = Path(tempfile.mkdtemp(prefix="mujo_bench_mem_"))
    result: dict = {}

    def run() -> None:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, str(hours), "2", str(out / "c"), ",".join(sources)],
                              capture_output=True, text=True, check=True)
        result.update(json.loads(proc.stdout.strip().splitlines()[-1]))

    try:
        benchmark.pedantic(run, rounds=1, iterations=1)
        size = sum(f.stat().st_size for f in (out / "c").rglob("*") if f.is_file())
        benchmark.extra_info.update({
            "hours": hours, "workers": 2, "sources": list(sources), **{k: round(v, 1) for k, v in result.items()},
            "corpus_mb_on_disk": round(size / 2 ** 20, 1), "spec": DEFAULT_SPEC.to_dict(), **extra,
        })
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _mocap_available() -> bool:
    try:
        from mujo_edge.sim.mocap import mocap_dir

        mocap_dir()
        return True
    except Exception:
        return False


def test_corpus_read_speed(benchmark, tmp_path):
    """Reading every clip of a corpus back (memory-mapped shards): clips per second."""
    out = tmp_path / "c"
    build_corpus(out, CorpusConfig(sources=("procedural",), hours=0.03, shard_clips=8), workers=1)
    from mujo_edge.corpus import open_corpus

    def read_all() -> int:
        ds = open_corpus(out)
        return int(sum(np.asarray(ds[i]["imu"]).shape[0] for i in range(len(ds))))

    benchmark.pedantic(read_all, rounds=5, iterations=1)
    n = len(open_corpus(out))
    benchmark.extra_info.update({"clips": n, "clips_per_second": round(n / benchmark.stats.stats.mean, 1)})
