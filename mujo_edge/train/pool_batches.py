"""IMU-only batches for self-supervised pretraining, drawn from unlabelled real pools (and corpus IMU).

:class:`PoolSampler` holds the sources: every :class:`~mujo_edge.data.pools.Pool` (one real dataset at
its body site, labels never loaded) and, for the IMU-only recipes, the corpus's virtual IMU (any of its
sites). :class:`PoolBatchMaker` turns training step ``s`` into the batch of one SSL objective
(:mod:`mujo_edge.models.ssl`), deterministically from ``default_rng([seed, step, rank, 7])`` so runs resume
exactly:

* source chosen uniformly (each dataset counts the same however long it is), then a crop start
  uniformly over every valid position of that source;
* augmentation in SI units, then the pretraining normalization: random rotation (acc and gyro alike),
  gain, noise, smooth time warp, gyro masking (acc-only sources always have their gyro masked);
* ``contrastive``: two independently augmented views of each crop (``ssl_imu`` = views 1 then views 2);
  ``masked``: one view with spans hidden, the unhidden view as target; ``transform``: one view with each
  of reversal / segment permutation / strong time warp applied with probability ½ and the 0/1 targets.

Shapes: ``ssl_imu (N, W, 6)`` float32 normalized, ``ssl_site (N,)`` long, ``ssl_channel_mask (N, 6)`` bool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mujo_edge.data.pools import Pool
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ConfigError, DataError
from mujo_edge.models.encoders.imu import UNKNOWN_SITE
from mujo_edge.models.ssl import SSLConfig
from mujo_edge.placements import PLACEMENTS
from mujo_edge.train.clips import BatchMaker, ClipTable, random_rotations, site_columns


@dataclass(frozen=True)
class PoolAugment:
    """Augmentation of SSL crops (degrees, fractions, m/s², rad/s, probabilities).

    ``warp``: relative amplitude of the smooth time warp of every view; ``strong_warp``: that of the
    ``transform`` objective's "warp" task; ``site_drop``: probability of hiding the site embedding.
    """

    rotation_deg: float = 45.0
    scale_jitter: float = 0.15
    noise_acc: float = 0.1
    noise_gyro: float = 0.02
    warp: float = 0.1
    strong_warp: float = 0.35
    gyro_drop: float = 0.15
    site_drop: float = 0.2

    def __post_init__(self) -> None:
        if not (0 <= self.rotation_deg <= 180 and 0 <= self.scale_jitter < 1 and self.noise_acc >= 0
                and self.noise_gyro >= 0 and 0 <= self.warp < 0.5 and 0 <= self.strong_warp < 0.6
                and 0 <= self.gyro_drop <= 1 and 0 <= self.site_drop <= 1):
            raise ConfigError(f"invalid pool augmentation config {self}")


@dataclass
class _Source:
    name: str
    signal: np.ndarray | None        # (S, C) pools
    first: np.ndarray | None         # (R,) first valid start per recording
    cum: np.ndarray | None           # (R,) cumulative valid starts
    site_row: int
    channel_mask: np.ndarray         # (C,)


class PoolSampler:
    """Crop sources: real pools (``name`` = dataset) and optionally the corpus IMU (``name = "corpus"``)."""

    def __init__(self, pools: list[Pool], crop: int, corpus: ClipTable | None = None, sites: tuple[str, ...] = ()) -> None:
        """``sites``: the corpus IMU sites its crops may come from (``()`` = every site; ``pretrain --sites``)."""
        self.crop = int(crop)
        self.sources: list[_Source] = []
        for p in pools:
            first, count = p.crop_starts(self.crop)
            keep = count > 0
            if not keep.any():
                raise DataError(f"pool {p.dataset}: no recording of {self.crop} samples for SSL crops")
            self.sources.append(_Source(p.dataset, p.signal, first[keep], np.cumsum(count[keep]),
                                        PLACEMENTS.index(p.placement), np.asarray(p.channel_mask, bool)))
        self.corpus = corpus
        if corpus is not None:
            if corpus.imu.shape[1] < self.crop:
                raise DataError(f"corpus clips have {corpus.imu.shape[1]} samples, fewer than the {self.crop}-sample SSL crop")
            self.corpus_cols = site_columns(tuple(corpus.sites), tuple(sites))
            self.sources.append(_Source("corpus", None, None, None, -1, np.ones(corpus.imu.shape[-1], bool)))
        if not self.sources:
            raise ConfigError("self-supervised batches need at least one pool (or the corpus IMU)")

    @property
    def names(self) -> tuple[str, ...]:
        """Source names in order."""
        return tuple(s.name for s in self.sources)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` crops: ``x (n, crop, C)`` float64 SI units, site rows ``(n,)``, channel masks ``(n, C)``."""
        src = rng.integers(0, len(self.sources), size=n)
        c = self.sources[0].channel_mask.shape[0]
        x = np.zeros((n, self.crop, c))
        site = np.zeros(n, dtype=np.int64)
        mask = np.ones((n, c), dtype=bool)
        ar = np.arange(self.crop)
        for k, s in enumerate(self.sources):
            rows = np.flatnonzero(src == k)
            if len(rows) == 0:
                continue
            mask[rows] = s.channel_mask
            if s.signal is None:  # the corpus: random clip, site and start
                tb = self.corpus
                clip = rng.integers(0, len(tb), size=len(rows))
                col = self.corpus_cols[rng.integers(0, len(self.corpus_cols), size=len(rows))]
                t0 = rng.integers(0, tb.imu.shape[1] - self.crop + 1, size=len(rows))
                x[rows] = tb.imu[clip[:, None], t0[:, None] + ar[None], col[:, None]]
                site[rows] = [PLACEMENTS.index(tb.sites[j]) for j in col]
                continue
            u = rng.integers(0, int(s.cum[-1]), size=len(rows))
            rec = np.searchsorted(s.cum, u, side="right")
            start = s.first[rec] + u - np.concatenate([[0], s.cum[:-1]])[rec]
            x[rows] = s.signal[start[:, None] + ar[None]]
            site[rows] = s.site_row
        return x, site, mask


def _warp(x: np.ndarray, out_len: int, amp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Resample ``x (b, L, C)`` at smoothly warped times to ``(b, out_len, C)``; ``amp (b,)`` relative speed change."""
    b, length, _ = x.shape
    knots = 4
    speed = 1.0 + amp[:, None] * rng.uniform(-1, 1, size=(b, knots))            # (b, knots)
    u = np.linspace(0, knots - 1, out_len)
    sp = np.stack([np.interp(u, np.arange(knots), s) for s in speed])           # (b, out_len)
    pos = np.cumsum(sp, axis=1)
    pos = (pos - pos[:, :1]) / np.maximum(pos[:, -1:] - pos[:, :1], 1e-9)        # 0..1
    span = np.minimum(length - 1, (out_len - 1) * (1.0 + amp * rng.uniform(-1, 1, size=b)))
    start = rng.uniform(0, 1, size=b) * (length - 1 - span)
    t = start[:, None] + pos * span[:, None]                                     # (b, out_len)
    i0 = np.clip(np.floor(t).astype(np.int64), 0, length - 2)
    f = (t - i0)[..., None]
    rows = np.arange(b)[:, None]
    return x[rows, i0] * (1 - f) + x[rows, i0 + 1] * f


class PoolBatchMaker:
    """The SSL batch of step ``s`` (see the module docstring) for process ``rank``."""

    def __init__(self, sampler: PoolSampler, spec: SensorSpec, ssl: SSLConfig, batch_size: int, seed: int = 0,
                 augment: PoolAugment = PoolAugment(), rank: int = 0) -> None:
        if batch_size < 2:
            raise ConfigError(f"SSL batch size must be >= 2, got {batch_size}")
        self.sampler, self.spec, self.ssl, self.batch_size = sampler, spec, ssl, batch_size
        self.seed, self.aug, self.rank = seed, augment, rank
        self.window = spec.window
        need = int(np.ceil(self.window * (1.0 + max(augment.warp, augment.strong_warp)))) + 2
        if sampler.crop < need:
            raise ConfigError(f"pool crops of {sampler.crop} samples are too short for {self.window}-sample windows "
                              f"with time warp (need {need})")

    def _view(self, x: np.ndarray, mask: np.ndarray, site: np.ndarray, rng: np.random.Generator,
              warp: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One augmented view of crops ``x (b, crop, C)``: time warp, then :meth:`_augment`."""
        return self._augment(_warp(x, self.window, np.full(len(x), warp), rng), mask, site, rng)

    def _augment(self, v: np.ndarray, mask: np.ndarray, site: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rotation, gain, noise, gyro and site dropping of ``v (b, window, C)`` SI → normalized float32, mask, sites."""
        b, a = len(v), self.aug
        v = v.copy()
        rot = random_rotations(rng, b, a.rotation_deg)
        v[..., :3] = v[..., :3] @ rot.transpose(0, 2, 1)
        v[..., 3:6] = v[..., 3:6] @ rot.transpose(0, 2, 1)
        v[..., :3] *= 1 + rng.uniform(-a.scale_jitter, a.scale_jitter, size=(b, 1, 1))
        v[..., 3:6] *= 1 + rng.uniform(-a.scale_jitter, a.scale_jitter, size=(b, 1, 1))
        v[..., :3] += rng.normal(0, a.noise_acc, size=(b, self.window, 3))
        v[..., 3:6] += rng.normal(0, a.noise_gyro, size=(b, self.window, 3))
        m = mask.copy()
        m[rng.random(b) < a.gyro_drop, 3:] = False
        s = site.copy()
        s[rng.random(b) < a.site_drop] = UNKNOWN_SITE
        out = self.spec.normalize(v.astype(np.float32)) * m[:, None, :]
        return out.astype(np.float32), m, s

    def __call__(self, step: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, int(step), self.rank, 7])
        x, site, mask = self.sampler.draw(rng, self.batch_size)
        obj = self.ssl.objective
        if obj == "contrastive":
            v1, m1, s1 = self._view(x, mask, site, rng, self.aug.warp)
            v2, m2, s2 = self._view(x, mask, site, rng, self.aug.warp)
            return _tensors(np.concatenate([v1, v2]), np.concatenate([s1, s2]), np.concatenate([m1, m2]))
        if obj == "masked":
            v, m, s = self._view(x, mask, site, rng, self.aug.warp)
            hide = _span_mask(rng, len(v), self.window, self.ssl.mask_ratio, self.ssl.mask_span)   # (b, W)
            inp = v * ~hide[..., None]
            out = _tensors(inp, s, m)
            out["ssl_target"] = torch.from_numpy(v)
            out["ssl_mask"] = torch.from_numpy(hide[..., None] & m[:, None, :])
            return out
        if obj == "transform":
            return self._transformed(x, mask, site, rng)
        raise ConfigError(f"no batch builder for SSL objective {obj!r}")

    def _transformed(self, x: np.ndarray, mask: np.ndarray, site: np.ndarray,
                     rng: np.random.Generator) -> dict[str, torch.Tensor]:
        b = len(x)
        tasks = self.ssl.tasks
        applied = rng.random((b, len(tasks))) < 0.5
        warp = np.where(applied[:, tasks.index("warp")], self.aug.strong_warp, 0.0) if "warp" in tasks else np.zeros(b)
        v, m, s = self._augment(_warp(x, self.window, warp, rng), mask, site, rng)
        for j, task in enumerate(tasks):
            rows = np.flatnonzero(applied[:, j])
            if task == "reverse":
                v[rows] = v[rows, ::-1]
            elif task == "permute":
                seg = self.window // 4
                for r in rows:
                    perm = rng.permutation(4)
                    while (perm == np.arange(4)).all():
                        perm = rng.permutation(4)
                    parts = [v[r, i * seg:(i + 1) * seg] for i in perm] + [v[r, 4 * seg:]]
                    v[r] = np.concatenate(parts)
        out = _tensors(np.ascontiguousarray(v, np.float32), s, m)
        out["ssl_target"] = torch.from_numpy(applied.astype(np.float32))
        return out


def _span_mask(rng: np.random.Generator, b: int, t: int, ratio: float, span: int) -> np.ndarray:
    """``(b, t)`` bool: random spans of ``span`` samples hidden until about ``ratio`` of the samples are."""
    n_spans = max(1, int(round(ratio * t / span)))
    starts = rng.integers(0, t - span + 1, size=(b, n_spans))
    hide = np.zeros((b, t), dtype=bool)
    cols = starts[..., None] + np.arange(span)                                  # (b, n_spans, span)
    hide[np.arange(b)[:, None, None], cols] = True
    return hide


def _tensors(x: np.ndarray, site: np.ndarray, mask: np.ndarray) -> dict[str, torch.Tensor]:
    return {"ssl_imu": torch.from_numpy(np.ascontiguousarray(x, np.float32)),
            "ssl_site": torch.from_numpy(site.astype(np.int64)), "ssl_channel_mask": torch.from_numpy(mask)}


class StepBatches:
    """The whole batch of a training step: the corpus batch (multimodal recipes) merged with the SSL batch."""

    def __init__(self, corpus: BatchMaker | None, pool: PoolBatchMaker | None) -> None:
        if corpus is None and pool is None:
            raise ConfigError("a pretraining step needs corpus batches, SSL batches or both")
        self.corpus, self.pool = corpus, pool
        #: clips (corpus) or windows (IMU-only) per step and process, for throughput logs
        self.batch_size = corpus.batch_size if corpus is not None else pool.batch_size

    def epoch(self, step: int) -> float:
        """Passes over the corpus split after ``step`` steps (NaN for IMU-only recipes)."""
        return step / self.corpus.steps_per_epoch if self.corpus is not None else float("nan")

    def __call__(self, step: int) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        if self.corpus is not None:
            out.update(self.corpus(step))
        if self.pool is not None:
            out.update(self.pool(step))
        return out
