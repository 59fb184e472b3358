"""Unlabelled pools: every sample a real dataset recorded at one body site, without its labels.

Self-supervised pretraining draws IMU crops from these pools beside the simulated corpus. A pool is
built from a dataset's recordings through the one preprocessing path (channel selection and
anti-aliased resampling to the spec's rate); **labels are never read**: :func:`pool_from_recordings`
touches only ``rec.data``, ``rec.channels``, ``rec.rate_hz``, ``rec.subject`` and ``rec.placement``,
so labelled, unlabelled (NULL) and impure stretches are all in the pool alike.

A :class:`Pool` keeps the recordings concatenated (``signal (S, C)`` float32, SI units) with their
boundaries, so a crop of any length up to the shortest usable recording can start anywhere inside one
recording (:meth:`Pool.crop_starts`). Pools are cached under ``$MUJO_EDGE_CACHE_DIR/pools`` keyed by
the dataset's files, placement, rate and channels.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mujo_edge.data.datasets import get_dataset
from mujo_edge.data.filetree import fingerprint
from mujo_edge.data.preprocess import resample, select_channels
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import DEFAULT_SPEC, SensorSpec
from mujo_edge.errors import CorruptFileError, DataError, DatasetNotFoundError
from mujo_edge.locks import build_once
from mujo_edge.paths import cache_dir
from mujo_edge.provenance import atomic_write_bytes

log = logging.getLogger(__name__)

#: The real datasets that serve as unlabelled pools by default (one body site each).
POOL_DATASETS: tuple[str, ...] = ("motionsense", "usc_had", "uci_hapt", "hmp", "wisdm2019_watch6")
#: Bump when pool building changes what ends up in a cached pool.
POOL_VERSION = 1


@dataclass
class Pool:
    """Unlabelled IMU of one dataset at one site.

    Attributes:
        dataset: registry name.
        placement: body site (:mod:`mujo_edge.placements`).
        rate_hz: sample rate of ``signal``, Hz (the spec's).
        channels: channel names of ``signal`` columns (the spec's order).
        signal: ``(S, C)`` float32, every recording concatenated, m/s² and rad/s.
        bounds: ``(R, 2)`` int64 ``[start, stop)`` of each recording in ``signal``.
        subjects: ``(R,)`` subject id of each recording (str).
        channel_mask: ``(C,)`` bool, False for channels the dataset lacks (zero-filled).
    """

    dataset: str
    placement: str
    rate_hz: float
    channels: tuple[str, ...]
    signal: np.ndarray
    bounds: np.ndarray
    subjects: np.ndarray
    channel_mask: np.ndarray

    def __post_init__(self) -> None:
        if self.signal.ndim != 2 or self.signal.shape[1] != len(self.channels):
            raise DataError(f"pool {self.dataset}: signal {self.signal.shape} does not fit channels {self.channels}")
        if self.bounds.ndim != 2 or self.bounds.shape[1] != 2 or len(self.bounds) != len(self.subjects):
            raise DataError(f"pool {self.dataset}: bounds {self.bounds.shape} and {len(self.subjects)} subjects differ")

    @property
    def n_samples(self) -> int:
        """Samples S in the pool."""
        return int(self.signal.shape[0])

    @property
    def hours(self) -> float:
        """Recorded time in the pool, hours."""
        return self.n_samples / self.rate_hz / 3600.0

    def n_windows(self, window: int, hop: int) -> int:
        """How many ``window``-sample windows with ``hop`` fit inside the recordings (for reports)."""
        lengths = self.bounds[:, 1] - self.bounds[:, 0]
        return int(np.sum(np.maximum(0, (lengths - window) // hop + 1)))

    def crop_starts(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """``(first, count)`` per recording: crops of ``window`` samples may start at ``first .. first + count - 1``."""
        lengths = self.bounds[:, 1] - self.bounds[:, 0]
        return self.bounds[:, 0].copy(), np.maximum(0, lengths - window + 1)

    def save(self, path: str | Path) -> None:
        """One ``.npz`` (arrays + JSON header), written atomically."""
        header = {"dataset": self.dataset, "placement": self.placement, "rate_hz": self.rate_hz,
                  "channels": list(self.channels), "version": POOL_VERSION}
        buf = io.BytesIO()
        np.savez(buf, signal=self.signal, bounds=self.bounds, subjects=self.subjects.astype(str),
                 channel_mask=self.channel_mask, header=np.array(json.dumps(header)))
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Pool:
        """Read a file written by :meth:`save`; unreadable files raise :class:`CorruptFileError`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                h = json.loads(str(z["header"]))
                return cls(h["dataset"], h["placement"], float(h["rate_hz"]), tuple(h["channels"]), z["signal"],
                           z["bounds"], z["subjects"], z["channel_mask"])
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise CorruptFileError(path, f"not a readable pool file ({exc})") from exc


def pool_from_recordings(recs: list[Recording], spec: SensorSpec, dataset: str, placement: str) -> Pool:
    """Concatenate recordings at ``spec``'s rate and channel order (labels are not read).

    Raises :class:`DataError` when no recording is at least one window (``spec.window`` samples) long.
    """
    parts, bounds, subjects = [], [], []
    mask: np.ndarray | None = None
    pos = 0
    for rec in recs:
        data, m = select_channels(rec, spec.channels)
        x = resample(data, rec.rate_hz, spec.rate_hz)
        mask = m if mask is None else mask & m
        if len(x) < spec.window:
            continue
        parts.append(x)
        bounds.append((pos, pos + len(x)))
        subjects.append(rec.subject)
        pos += len(x)
    if not parts:
        raise DataError(f"{dataset}: no recording of at least {spec.window} samples at {spec.rate_hz} Hz for a pool")
    return Pool(dataset, placement, float(spec.rate_hz), tuple(spec.channels), np.concatenate(parts).astype(np.float32),
                np.asarray(bounds, dtype=np.int64), np.asarray(subjects, dtype=str), np.asarray(mask, dtype=bool))


def pool_cache_file(name: str, spec: SensorSpec, placement: str, source: Path, root: str | Path | None = None) -> Path:
    """Where the pool of ``name`` at ``spec``'s rate and channels is cached."""
    key = f"{name}-{placement}-{spec.rate_hz:g}hz-{'_'.join(spec.channels)}-{fingerprint(source)}-v{POOL_VERSION}"
    return cache_dir(root) / "pools" / f"{key}.npz"


def load_pool(name: str, spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None,
              placement: str | None = None, cache: bool = True, cache_root: str | Path | None = None,
              verify: bool = True) -> Pool:
    """The unlabelled pool of dataset ``name`` at ``spec``'s rate and channels (cached).

    Args:
        name: dataset registry name (unknown names raise with the valid list).
        spec: rate and channel order (window, hop and normalization are not used here).
        data_root: overrides ``$MUJO_EDGE_DATA_DIR``.
        placement: body site for multi-device datasets (default: the dataset's first).
        cache, cache_root: read/write the pool cache, and where.
        verify: check the original files against their published sha256.
    """
    info = get_dataset(name)
    placement = placement or info.placements[0]
    src = info.find_source(data_root)
    if src is None:
        raise DatasetNotFoundError(info.missing_message(data_root))
    path = pool_cache_file(name, spec, placement, src, cache_root)

    def read() -> Pool | None:
        if not path.exists():
            return None
        try:
            pool = Pool.load(path)
        except CorruptFileError as exc:
            log.warning("discarding an unreadable pool cache entry (%s); building the pool again", exc)
            path.unlink(missing_ok=True)
            return None
        log.info("%s: unlabelled pool of %.2f h from cache %s", name, pool.hours, path)
        return pool

    def build() -> Pool:
        t0 = time.perf_counter()
        pool = pool_from_recordings(info.load(data_root, placement, verify), spec, name, placement)
        if cache:
            pool.save(path)
        log.info("%s: unlabelled pool of %.2f h (%d recordings, %d subjects) built in %.1f s", name, pool.hours,
                 len(pool.bounds), len(set(pool.subjects.tolist())), time.perf_counter() - t0)
        return pool

    # two processes (e.g. DDP ranks) building the same pool: the second waits and reads the first's cache
    return build_once(path, read, build, what=f"building the {name} pool") if cache else build()


def resolve_pools(names: tuple[str, ...] | list[str], exclude: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Pool dataset names: ``("all",)`` = :data:`POOL_DATASETS`; every name checked; ``exclude`` removed.

    Unknown names (in ``names`` or ``exclude``) raise :class:`~mujo_edge.errors.UnknownNameError` with the valid list.
    """
    out: list[str] = []
    for n in names:
        for m in (POOL_DATASETS if n == "all" else (n,)):
            get_dataset(m)
            if m not in out:
                out.append(m)
    for x in exclude:
        get_dataset(x)
    return tuple(n for n in out if n not in set(exclude))
