"""Pretraining batches from a multimodal corpus: deterministic per step, so a run can resume exactly.

:class:`ClipTable` holds every clip of one corpus split in memory (``imu (N, T, S, 6)`` float32 in
m/s² and rad/s, ``pose (N, T, J, 3)`` metres, ``video (N, F, H, W)`` uint8, the captions and their
prepared text-encoder inputs). :class:`BatchMaker` cuts the batch of training step ``s``:
* IMU: one random body site of each clip and a random ``crop``-sample window (the SensorSpec window,
  128 samples = 2.56 s at 50 Hz), randomly rotated (same rotation for acc and gyro), scaled and
  noised (sim-to-real augmentation), normalized with the pretraining normalization; gyro dropped
  (masked) with probability ``gyro_drop`` so acc-only sensors work; site hidden (the "unknown" row)
  with probability ``site_drop`` so ``placement="any"`` works.
* pose: the same time crop; video: the whole clip; text: one random caption of the clip.

Everything random in step ``s`` comes from ``default_rng([seed, epoch, offset, rank])``: the batch of
a step does not depend on what ran before, which makes the data position part of the step counter.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mujo_edge.data.spec import Normalization, SensorSpec
from mujo_edge.errors import ConfigError, DataError, SpecMismatchError
from mujo_edge.models.encoders.imu import UNKNOWN_SITE
from mujo_edge.placements import PLACEMENTS, check_placement
from mujo_edge.provenance import atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AugmentConfig:
    """IMU augmentation of pretraining crops (units: degrees, fraction, m/s², rad/s, probability)."""

    rotation_deg: float = 30.0
    scale_jitter: float = 0.1
    noise_acc: float = 0.05
    noise_gyro: float = 0.01
    gyro_drop: float = 0.15
    site_drop: float = 0.1

    def __post_init__(self) -> None:
        if not (0 <= self.rotation_deg <= 180 and 0 <= self.scale_jitter < 1 and self.noise_acc >= 0
                and self.noise_gyro >= 0 and 0 <= self.gyro_drop <= 1 and 0 <= self.site_drop <= 1):
            raise ConfigError(f"invalid augmentation config {self}")


def _get(clip: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` of a corpus clip (attribute or mapping access)."""
    if isinstance(clip, dict):
        return clip.get(name, default)
    return getattr(clip, name, default)


@dataclass
class ClipTable:
    """One corpus split in memory (see module docstring for shapes); ``text`` is the prepared caption table."""

    imu: np.ndarray
    sites: tuple[str, ...]
    pose: np.ndarray | None
    video: np.ndarray | None
    has_pose: np.ndarray
    has_video: np.ndarray
    captions: tuple[str, ...]
    clip_captions: list[np.ndarray]
    labels: tuple[str, ...]
    clip_ids: tuple[str, ...]
    text: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.imu)

    @classmethod
    def from_corpus(cls, corpus: Any, rate_hz: float, max_clips: int = 0) -> ClipTable:
        """Read every clip of an opened corpus split (``mujo_edge.corpus.open(DIR, split)``) into memory.

        Raises :class:`SpecMismatchError` if the corpus IMU rate differs from ``rate_hz`` and
        :class:`DataError` if clips disagree in shape or sites.
        """
        meta = getattr(corpus, "meta", {}) or {}
        meta_rate = _get(meta, "rate_hz") or _get(meta, "imu_rate_hz")
        if meta_rate is not None and abs(float(meta_rate) - rate_hz) > 1e-6:
            raise SpecMismatchError(f"corpus IMU rate is {meta_rate} Hz, the model's sensor spec needs {rate_hz} Hz; "
                                    f"rebuild the corpus at {rate_hz} Hz")
        n = len(corpus) if not max_clips else min(len(corpus), max_clips)
        if n == 0:
            raise DataError("the corpus split has no clips")
        imu, pose, video, has_pose, has_video = [], [], [], [], []
        captions: dict[str, int] = {}
        clip_caps, labels, ids = [], [], []
        sites: tuple[str, ...] | None = None
        for i in range(n):
            clip = corpus[i]
            x = np.asarray(_get(clip, "imu"), np.float32)
            s = tuple(_get(clip, "imu_sites"))
            if sites is None:
                sites = s
                for site in sites:
                    check_placement(site)
            if s != sites or x.ndim != 3 or x.shape[1:] != (len(sites), 6) or (imu and x.shape != imu[0].shape):
                raise DataError(f"clip {_get(clip, 'clip_id', i)}: imu {x.shape} at sites {s} differs from the first "
                                f"clip's {imu[0].shape if imu else None} at {sites}")
            imu.append(x)
            p, v = _get(clip, "pose"), _get(clip, "video")
            has_pose.append(p is not None)
            has_video.append(v is not None)
            pose.append(None if p is None else np.asarray(p, np.float32))
            video.append(None if v is None else np.asarray(v, np.uint8))
            idx = [captions.setdefault(str(t), len(captions)) for t in (_get(clip, "texts") or [])]
            clip_caps.append(np.asarray(idx, np.int64))
            labels.append(str(_get(clip, "label", "")))
            ids.append(str(_get(clip, "clip_id", i)))
        return cls(imu=np.stack(imu), sites=sites or (), pose=_stack_optional(pose, "pose"),
                   video=_stack_optional(video, "video"), has_pose=np.asarray(has_pose), has_video=np.asarray(has_video),
                   captions=tuple(captions), clip_captions=clip_caps, labels=tuple(labels), clip_ids=tuple(ids))

    @property
    def joints(self) -> int | None:
        """Joints per pose frame (None without pose)."""
        return None if self.pose is None else int(self.pose.shape[2])

    def prepare_text(self, encoder: nn.Module, cache_dir: Path | None = None) -> None:
        """Set :attr:`text` = ``encoder.prepare(captions)``, cached on disk by encoder key and caption hash."""
        if not self.captions:
            self.text = None
            return
        key = hashlib.sha256(("\n".join([encoder.key, *self.captions])).encode()).hexdigest()[:24]
        path = (cache_dir / f"text_{key}.safetensors") if cache_dir else None
        if path is not None and path.exists():
            from safetensors.torch import load_file

            try:
                self.text = load_file(str(path))["text"]
                log.info("prepared captions from cache %s", path)
                return
            except Exception as exc:  # unreadable cache: recompute
                log.warning("ignoring unreadable text cache %s (%s)", path, exc)
        log.info("preparing %d captions with %s", len(self.captions), encoder.key)
        self.text = encoder.prepare(list(self.captions))
        if path is not None:
            from safetensors.torch import save


            atomic_write_bytes(path, save({"text": self.text.contiguous()}))


def _stack_optional(items: list[np.ndarray | None], what: str) -> np.ndarray | None:
    present = [a for a in items if a is not None]
    if not present:
        return None
    shape = present[0].shape
    if any(a.shape != shape for a in present):
        raise DataError(f"clips have {what} of different shapes: {sorted({a.shape for a in present})}")
    out = np.zeros((len(items), *shape), dtype=present[0].dtype)
    for i, a in enumerate(items):
        if a is not None:
            out[i] = a
    return out


def fit_imu_normalization(table: ClipTable, max_samples: int = 2_000_000, seed: int = 0) -> Any:
    """Per-channel mean/std of the corpus IMU over all sites and times (subsampled to ``max_samples``)."""

    flat = table.imu.reshape(-1, table.imu.shape[-1])
    if len(flat) > max_samples:
        flat = flat[np.random.default_rng(seed).choice(len(flat), max_samples, replace=False)]
    return Normalization.fit(flat)


def random_rotations(rng: np.random.Generator, n: int, max_deg: float) -> np.ndarray:
    """``(n, 3, 3)`` rotations about uniform random axes by angles uniform in ``[-max_deg, max_deg]``."""
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True) + 1e-12
    ang = np.deg2rad(rng.uniform(-max_deg, max_deg, size=n))
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k[:, 1, 0], k[:, 2, 0], k[:, 2, 1] = axis[:, 2], -axis[:, 1], axis[:, 0]
    s, c = np.sin(ang)[:, None, None], np.cos(ang)[:, None, None]
    return np.eye(3)[None] + s * k + (1 - c) * (k @ k)


def site_columns(corpus_sites: tuple[str, ...], sites: tuple[str, ...]) -> np.ndarray:
    """Column of each of ``sites`` in a corpus IMU array ``(N, T, S, 6)`` whose sites are ``corpus_sites``
    (``()`` = every column); a site the corpus lacks raises naming the corpus's sites (``pretrain --sites``)."""
    for s in sites:
        if s not in corpus_sites:
            raise ConfigError(f"site {s!r} is not in the corpus; corpus sites: {', '.join(corpus_sites)}")
    return np.asarray([corpus_sites.index(s) for s in sites]) if sites else np.arange(len(corpus_sites))


class BatchMaker:
    """Batches of training step ``s`` for process ``rank`` of ``world`` (global batch = ``batch_size × world``)."""

    def __init__(self, table: ClipTable, spec: SensorSpec, batch_size: int, seed: int = 0,
                 augment: AugmentConfig = AugmentConfig(), sites: tuple[str, ...] = (), rank: int = 0,
                 world: int = 1, train: bool = True) -> None:
        self.table, self.spec, self.batch_size, self.seed = table, spec, batch_size, seed
        self.aug, self.rank, self.world, self.train = augment, rank, world, train
        self.crop = spec.window
        if table.imu.shape[1] < self.crop:
            raise DataError(f"clips have {table.imu.shape[1]} IMU samples, shorter than the {self.crop}-sample window")
        if table.pose is not None and table.pose.shape[1] != table.imu.shape[1]:
            raise DataError(f"pose has {table.pose.shape[1]} frames per clip, IMU {table.imu.shape[1]} samples; "
                            f"they must share one rate")
        chosen = sites or table.sites
        self.site_cols = site_columns(table.sites, chosen)
        self.site_rows = np.asarray([PLACEMENTS.index(s) for s in chosen])
        vocab = {lab: i for i, lab in enumerate(sorted({lab for lab in table.labels if lab}))}
        # activity id per clip (the text pairs' positives under text_positives='activity'); an unlabelled clip is its own
        self.groups = np.asarray([vocab[lab] if lab else len(vocab) + i for i, lab in enumerate(table.labels)], np.int64)
        gb = batch_size * world
        self.steps_per_epoch = len(table) // gb if train else int(np.ceil(len(table) / gb))
        if self.steps_per_epoch < 1:
            raise ConfigError(f"global batch {gb} is larger than the {len(table)} clips of the corpus split")

    def indices(self, step: int) -> tuple[np.ndarray, np.random.Generator]:
        """Clip indices of this rank for ``step`` and the step's random generator."""
        epoch, off = divmod(int(step), self.steps_per_epoch)
        gb = self.batch_size * self.world
        order = (np.random.default_rng([self.seed, epoch]).permutation(len(self.table)) if self.train
                 else np.arange(len(self.table)))
        return order[off * gb:(off + 1) * gb][self.rank::self.world], np.random.default_rng([self.seed, epoch, off, self.rank])

    def __call__(self, step: int) -> dict[str, torch.Tensor]:
        """The batch of ``step``: tensors ``imu (b, crop, 6)``, ``site (b,)``, ``channel_mask (b, 6)``,
        ``pose (b, crop, J, 3)``, ``video (b, F, H, W)``, ``text`` (prepared), ``has_<m> (b,)`` bool and ``group (b,)``
        int64 (the clip's activity id: equal for clips with the same corpus label, distinct for unlabelled clips)."""
        idx, rng = self.indices(step)
        tb, b, aug = self.table, len(idx), self.aug
        t_len = tb.imu.shape[1]
        col = rng.integers(0, len(self.site_cols), size=b)
        t0 = rng.integers(0, t_len - self.crop + 1, size=b)
        tt = t0[:, None] + np.arange(self.crop)[None]                          # (b, crop)
        x = tb.imu[idx[:, None], tt, self.site_cols[col][:, None]].astype(np.float64)  # (b, crop, 6)
        mask = np.ones((b, 6), dtype=bool)
        site = self.site_rows[col].copy()
        if self.train:
            rot = random_rotations(rng, b, aug.rotation_deg)                  # (b, 3, 3)
            x[..., :3] = x[..., :3] @ rot.transpose(0, 2, 1)
            x[..., 3:] = x[..., 3:] @ rot.transpose(0, 2, 1)
            x[..., :3] *= 1 + rng.uniform(-aug.scale_jitter, aug.scale_jitter, size=(b, 1, 1))
            x[..., 3:] *= 1 + rng.uniform(-aug.scale_jitter, aug.scale_jitter, size=(b, 1, 1))
            x[..., :3] += rng.normal(0, aug.noise_acc, size=(b, self.crop, 3))
            x[..., 3:] += rng.normal(0, aug.noise_gyro, size=(b, self.crop, 3))
            mask[rng.random(b) < aug.gyro_drop, 3:] = False
            site[rng.random(b) < aug.site_drop] = UNKNOWN_SITE
        x = self.spec.normalize(x.astype(np.float32)) * mask[:, None, :]
        out: dict[str, torch.Tensor] = {
            "imu": torch.from_numpy(np.ascontiguousarray(x, np.float32)), "site": torch.from_numpy(site.astype(np.int64)),
            "channel_mask": torch.from_numpy(mask), "has_imu": torch.ones(b, dtype=torch.bool),
            "group": torch.from_numpy(self.groups[idx]),
        }
        if tb.pose is not None:
            out["pose"] = torch.from_numpy(np.ascontiguousarray(tb.pose[idx[:, None], tt]))
            out["has_pose"] = torch.from_numpy(tb.has_pose[idx])
        if tb.video is not None:
            out["video"] = torch.from_numpy(np.ascontiguousarray(tb.video[idx]))
            out["has_video"] = torch.from_numpy(tb.has_video[idx])
        if tb.text is not None:
            has = np.asarray([len(tb.clip_captions[i]) > 0 for i in idx])
            cap = np.asarray([tb.clip_captions[i][rng.integers(len(tb.clip_captions[i]))] if h else 0
                              for i, h in zip(idx, has)], dtype=np.int64)
            out["text"] = tb.text[torch.from_numpy(cap)]
            out["has_text"] = torch.from_numpy(has)
        return out
