"""Planning a corpus (which clip comes from where) and synthesizing one clip (pose, IMU, video, text).

A clip is a pure function of ``(config, job)``: its random generator is seeded with
``(config.seed, job.index)``, so a corpus does not depend on the number of workers or on shard order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.activities import activity_index
from mujo_edge.corpus.config import CorpusConfig
from mujo_edge.data.preprocess import resample
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.sim.captions import captions
from mujo_edge.sim.impacts import draw_impacts
from mujo_edge.sim.imu import ideal_imu, place_sensors
from mujo_edge.sim.mocap import load_trial, loop_to, read_manifest
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.procedural import Style, generate
from mujo_edge.sim.video import render

log = logging.getLogger(__name__)

#: clip parameters that are times in the simulated motion (``margin_s`` before the clip included); the clip's
#: metadata gives them in clip time (s from the clip's first sample).
MOTION_TIME_PARAMS = ("transition_start_s",)


@dataclass(frozen=True)
class ClipJob:
    """One planned clip: global index, source, activity, subject and (mocap) trial window."""

    index: int
    source: str
    activity: str
    subject: str
    trial: str = ""
    start_s: float = 0.0
    repeat: int = 0

    @property
    def clip_id(self) -> str:
        """Stable id, e.g. ``proc-0000042-squats`` or ``mocap-0000007-02_01``."""
        tag = "proc" if self.source == "procedural" else "mocap"
        return f"{tag}-{self.index:07d}-{self.trial or self.activity}"


def plan(cfg: CorpusConfig, data_root: str | Path | None = None) -> tuple[list[ClipJob], dict[str, Any]]:
    """All clip jobs of a corpus (deterministic for ``cfg``) and planning stats (skipped trials and why)."""
    n_total = cfg.n_clips
    rng = np.random.default_rng([cfg.seed, 1])
    stats: dict[str, Any] = {"skipped_trials": {}}
    windows: list[tuple[str, str, str, float]] = []  # (trial file, activity, subject, start)
    mocap_acts: set[str] = set()
    if "mocap" in cfg.sources:
        for tr in read_manifest(data_root):
            if tr.activity is None:
                stats["skipped_trials"][tr.trial_id] = f"CMU label {tr.label!r} has no canonical activity"
                continue
            mocap_acts.add(tr.activity)
            if cfg.activities and tr.activity not in cfg.activities:
                continue
            if tr.duration_s < cfg.mocap_min_trial_s:
                stats["skipped_trials"][tr.trial_id] = f"shorter than {cfg.mocap_min_trial_s} s"
                continue
            usable = tr.duration_s - 1.0 / tr.rate_hz - 2 * cfg.margin_s
            k = max(1, int(np.floor(usable / cfg.clip_seconds)))
            windows += [(tr.file, tr.activity, tr.subject, cfg.margin_s + i * cfg.clip_seconds) for i in range(k)]
    jobs_spec: list[tuple[str, str, str, str, float, int]] = []
    if windows:
        only_mocap = "procedural" not in cfg.sources
        n_mocap = n_total if only_mocap else min(int(round(cfg.mocap_max_share * n_total)),
                                                 len(windows) * cfg.mocap_repeats)
        order = rng.permutation(len(windows))
        # per activity at most mocap_activity_share of the clips an activity gets when all are spread evenly
        cap = n_total if only_mocap else int(cfg.mocap_activity_share * n_total / len(cfg.activity_list) + 1e-9)
        per_act: dict[str, int] = {}
        r = 0
        while len(jobs_spec) < n_mocap and (only_mocap or r < cfg.mocap_repeats):
            for w in order:
                if len(jobs_spec) >= n_mocap:
                    break
                f, act, subj, start = windows[w]
                if per_act.get(act, 0) >= cap:
                    continue
                per_act[act] = per_act.get(act, 0) + 1
                jobs_spec.append(("mocap", act, subj, Path(f).stem, start, r))
            r += 1
    stats["mocap_windows"] = len(windows)
    if "procedural" in cfg.sources:
        acts = list(cfg.activity_list)
        n_proc = n_total - len(jobs_spec)
        perm = rng.permutation(len(acts))
        for i in range(n_proc):
            act = acts[perm[i % len(acts)]]
            if i % len(acts) == len(acts) - 1:
                perm = rng.permutation(len(acts))
            subj = f"proc_{int(rng.integers(cfg.procedural_subjects)):04d}"
            jobs_spec.append(("procedural", act, subj, "", 0.0, 0))
    if not jobs_spec:
        which = f"activities {', '.join(cfg.activities)}" if cfg.activities else "any activity"
        raise ConfigError(f"corpus plan is empty: sources {', '.join(cfg.sources)} have no motion for {which} "
                          f"(the motion capture has {', '.join(sorted(mocap_acts)) or 'none'}; add 'procedural' to the sources)")
    shuffle = rng.permutation(len(jobs_spec))
    jobs = [ClipJob(i, *jobs_spec[k]) for i, k in enumerate(shuffle)]
    return jobs, stats


def _resample_crop(x: np.ndarray, from_hz: float, cfg: CorpusConfig) -> np.ndarray:
    """``(T_sim, ...)`` simulated with ``margin_s`` on both sides → ``(T, ...)`` at ``cfg.rate_hz`` (the one resampler)."""
    flat = x.reshape(x.shape[0], -1)
    out = resample(flat, from_hz, cfg.rate_hz)
    start = int(round(cfg.margin_s * cfg.rate_hz))
    out = out[start:start + cfg.samples]
    if out.shape[0] != cfg.samples:
        raise DataError(f"clip resampling produced {out.shape[0]} samples, expected {cfg.samples}")
    return out.reshape((cfg.samples,) + x.shape[1:])


def clip_rng(cfg: CorpusConfig, job: ClipJob) -> np.random.Generator:
    """The random generator of one clip (depends only on the seed and the clip index)."""
    return np.random.default_rng([cfg.seed, job.index, 2])


def motion_for(job: ClipJob, cfg: CorpusConfig, rng: np.random.Generator, data_root: str | Path | None) -> Motion:
    """The motion of a job: clip plus ``margin_s`` before and after, at its simulation rate."""
    total = cfg.clip_seconds + 2 * cfg.margin_s
    if job.source == "procedural":
        num = int(job.subject.split("_")[-1])
        style = Style.sample(job.subject, np.random.default_rng([cfg.seed, num, 3]))
        return generate(job.activity, style, total, cfg.sim_rate_hz, rng, gravity=cfg.imu.gravity)

    trials = {Path(t.file).stem: t for t in read_manifest(data_root)}
    m = load_trial(trials[job.trial], data_root, cfg.mocap_smooth_hz)
    m.activity = job.activity
    start = int(round((job.start_s - cfg.margin_s) * m.rate_hz))
    n = int(round(total * m.rate_hz)) + 1
    m = loop_to(m, start + n)
    m = m.crop(start, start + n)
    if job.repeat % 2 == 1:
        m = m.mirrored()
    return m


def synthesize(job: ClipJob, cfg: CorpusConfig, data_root: str | Path | None = None) -> dict[str, Any]:
    """One clip: ``pose (T, J, 3)``, ``imu (T, S, 6)`` float32, ``video (F, H, W)`` uint8, texts and metadata."""
    rng = clip_rng(cfg, job)
    m = motion_for(job, cfg, rng, data_root)
    placements = place_sensors(m, cfg.imu, rng)
    shocks = draw_impacts(m, cfg.imu.impacts, rng)
    imu = _resample_crop(ideal_imu(m, placements, cfg.imu.gravity, shocks), m.rate_hz, cfg)
    imu = cfg.imu.noise.apply(imu, cfg.rate_hz, rng)
    pose = _resample_crop(m.positions, m.rate_hz, cfg).astype(np.float32)
    pose[..., :2] -= pose[0, 0, :2]  # pelvis starts above the origin
    video, camera = render(pose, cfg.video, rng)
    texts = captions(m, cfg.clip_seconds, rng, cfg.captions_per_clip)
    params = {k: v for k, v in m.params.items() if isinstance(v, (int, float, str, bool))}
    for k in MOTION_TIME_PARAMS:  # motion time (margin included) → clip time, s
        if k in params:
            params[k] = round(float(params[k]) - cfg.margin_s, 3)
    meta = {"clip_id": job.clip_id, "label": job.activity, "label_index": activity_index(job.activity),
            "subject": job.subject, "source": job.source, "texts": texts, "params": params, "camera": camera,
            "mocap": {k: m.meta[k] for k in ("file", "looped", "loop_period_s", "mirrored", "skeleton")
                      if k in m.meta} if job.source == "mocap" else None}
    if not (np.isfinite(imu).all() and np.isfinite(pose).all()):
        raise DataError(f"clip {job.clip_id} produced non-finite values")
    return {"pose": pose, "imu": imu.astype(np.float32), "video": video, "meta": meta}
