"""The CMU motion-capture source: BVH files read straight out of ``$MUJO_EDGE_DATA_DIR/mocap/cmu_bvh_subset.zip``
(never extracted), labels and descriptions from ``manifest.csv``, short trials extended by looping.

Looping (motion-graph style): the trial's best self-similar frame pair ``(i, j)`` (root-relative pose and
velocity, at least 0.8 s apart) is found; frames ``i..j-1`` are repeated, each repetition rotated about
+z and shifted so that it continues where the previous one ended, and the small pose mismatch at every
seam is blended out over 0.25 s (the offset decays with a minimum-jerk profile).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from mujo_edge.activities import CMU_LABELS
from mujo_edge.errors import CorruptFileError, DatasetNotFoundError
from mujo_edge.paths import DATA_ENV, data_dir
from mujo_edge.sim.bvh import parse_bvh, to_canonical
from mujo_edge.sim.kinematics import minimum_jerk, qconj, qmul, qnormalize, qrot, yaw_of
from mujo_edge.sim.motion import Motion

log = logging.getLogger(__name__)

MOCAP_FOLDER = "mocap"
ZIP_NAME = "cmu_bvh_subset.zip"
MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class MocapTrial:
    """One row of the mocap manifest."""

    file: str
    subject: str
    trial_id: str
    description: str
    label: str
    activity: str | None
    frames: int
    rate_hz: float
    duration_s: float
    sha256: str


def mocap_dir(data_root: str | Path | None = None) -> Path:
    """``<data root>/mocap`` holding the zip and the manifest, or :class:`DatasetNotFoundError` saying how to get it."""
    base = data_dir(data_root)
    where = str(base / MOCAP_FOLDER) if base is not None else f"${DATA_ENV} (not set)"
    folder = base / MOCAP_FOLDER if base is not None else None
    if folder is None or not (folder / ZIP_NAME).is_file() or not (folder / MANIFEST_NAME).is_file():
        raise DatasetNotFoundError(
            f"motion capture not found: looked for {ZIP_NAME} and {MANIFEST_NAME} in {where}. The 'mocap' corpus "
            f"source needs the CMU BVH subset (see the mocap README); the 'procedural' source works without it.")
    return folder


def read_manifest(data_root: str | Path | None = None) -> list[MocapTrial]:
    """All trials of the manifest (unknown CMU labels map to activity ``None``)."""
    path = mocap_dir(data_root) / MANIFEST_NAME
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
        return [MocapTrial(r["file"], f"cmu_{int(r['subject']):02d}", r["trial_id"], r["description"].strip(),
                           r["activity_label"], CMU_LABELS.get(r["activity_label"]), int(r["frames"]),
                           float(r["frame_rate_hz"]), float(r["duration_s"]), r["sha256"]) for r in rows]
    except (KeyError, ValueError) as exc:
        raise CorruptFileError(path, f"not a valid mocap manifest ({exc})") from exc


@functools.lru_cache(maxsize=128)
def _load_cached(zip_path: str, member: str, sha256: str, smooth_hz: float) -> tuple[np.ndarray, np.ndarray, dict]:
    try:
        with zipfile.ZipFile(zip_path) as z:
            data = z.read(member)
    except KeyError:
        raise CorruptFileError(zip_path, f"member {member!r} listed in the manifest is missing") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptFileError(zip_path, f"unreadable zip ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise CorruptFileError(f"{zip_path}:{member}", f"sha256 {digest} does not match the manifest's {sha256}")
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace").read()
    return to_canonical(parse_bvh(text, f"{zip_path}:{member}"), smooth_hz or None)


def load_trial(trial: MocapTrial, data_root: str | Path | None = None, smooth_hz: float = 12.0) -> Motion:
    """The trial as a canonical :class:`Motion` at its native rate (checked against the manifest's sha256)."""
    zip_path = str(mocap_dir(data_root) / ZIP_NAME)
    pos, rot, info = _load_cached(zip_path, trial.file, trial.sha256, float(smooth_hz))
    return Motion(info["rate_hz"], pos.copy(), rot.copy(), trial.activity or "", trial.subject, "mocap",
                  descriptions=(trial.description,), params={},
                  meta={"file": trial.file, "trial": trial.trial_id, "cmu_label": trial.label, **info})


def _features(m: Motion, step: int) -> np.ndarray:
    """Heading-aligned root-relative joint positions and velocities, one row per ``step`` frames."""
    pos = m.positions[::step]
    yaw = yaw_of(m.rotations[::step, 0])
    half = -0.5 * yaw
    qz = np.stack([np.zeros_like(half), np.zeros_like(half), np.sin(half), np.cos(half)], axis=-1)
    rel = qrot(qz[:, None], pos - pos[:, :1] * np.array([1.0, 1.0, 0.0]))
    vel = np.gradient(rel, axis=0) * (m.rate_hz / step) * 0.1
    return np.concatenate([rel.reshape(len(rel), -1), vel.reshape(len(rel), -1)], axis=1)


def find_loop(m: Motion, min_period_s: float = 0.8) -> tuple[int, int, float]:
    """Frames ``(i, j)`` with ``j - i`` >= ``min_period_s`` whose poses match best, and the match error (m, rms)."""
    step = max(1, int(round(m.rate_hz / 30.0)))
    f = _features(m, step)
    n = len(f)
    min_gap = max(2, int(np.ceil(min_period_s * m.rate_hz / step)))
    if n <= min_gap + 1:
        raise CorruptFileError(m.meta.get("file", m.subject), f"too short to loop ({m.duration_s:.2f} s)")
    d = np.sqrt(((f[:, None, :] - f[None, :, :]) ** 2).mean(axis=-1))
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    d[jj - ii < min_gap] = np.inf
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return int(i * step), int(j * step), float(d[i, j])


def loop_to(m: Motion, n_frames: int, blend_s: float = 0.25) -> Motion:
    """``m`` extended to ``n_frames`` by repeating its best loop (no-op when it is long enough)."""
    if m.n_frames >= n_frames:
        return m
    i, j, err = find_loop(m)
    period = j - i
    pos = [m.positions[:j]]
    rot = [m.rotations[:j]]
    yaw_i, yaw_j = yaw_of(m.rotations[i, 0]), yaw_of(m.rotations[j, 0])
    delta = float(yaw_j - yaw_i)
    total = j
    k = 1
    nb = max(1, int(blend_s * m.rate_hz))
    while total < n_frames:
        half = 0.5 * delta * k
        qz = np.array([0.0, 0.0, np.sin(half), np.cos(half)])
        # where the previous repetition would have continued: its frame j, transformed like the repetition
        half_prev = 0.5 * delta * (k - 1)
        qz_prev = np.array([0.0, 0.0, np.sin(half_prev), np.cos(half_prev)])
        cont_p = qrot(qz_prev, m.positions[j]) - qrot(qz_prev, m.positions[j - 1]) + pos[-1][-1]
        cont_q = qmul(np.broadcast_to(qz_prev, m.rotations[j].shape), m.rotations[j])
        # rigid transform (yaw, horizontal shift) taking frame i's pelvis onto that continuation
        seg_p = qrot(qz, m.positions[i:j])
        seg_q = qmul(np.broadcast_to(qz, m.rotations[i:j].shape), m.rotations[i:j])
        seg_p = seg_p + (cont_p[0] - seg_p[0, 0]) * np.array([1.0, 1.0, 0.0])
        dp = cont_p - seg_p[0]
        dq = qnormalize(qmul(cont_q, qconj(seg_q[0])))
        w = 1.0 - minimum_jerk(np.arange(min(nb, period)) / nb)
        seg_p[: len(w)] += w[:, None, None] * dp
        for jj in range(dq.shape[0]):
            slerp = Slerp([0.0, 1.0], Rotation.from_quat([[0, 0, 0, 1.0], dq[jj]]))
            corr = slerp(w).as_quat()
            seg_q[: len(w), jj] = qmul(corr, seg_q[: len(w), jj])
        pos.append(seg_p)
        rot.append(qnormalize(seg_q))
        total += period
        k += 1
    meta = dict(m.meta, looped=True, loop_period_s=round(period / m.rate_hz, 3), loop_error_m=round(err, 4))
    return Motion(m.rate_hz, np.concatenate(pos)[:n_frames], np.concatenate(rot)[:n_frames], m.activity, m.subject,
                  m.source, m.descriptions, dict(m.params), meta)
