"""Recordings → labelled windows at a SensorSpec, with a cache keyed by the spec's hash.

``prepare("motionsense")`` reads the original files once (checking them against the published
sha256), brings every recording to the spec (channel order, anti-aliased resampling), cuts windows
with the spec's hop, labels each by majority with the purity rule, and caches the result under
``$MUJO_EDGE_CACHE_DIR/windows``. A second call with the same spec and unchanged files loads the cache;
a second process preparing the same dataset at the same time waits for the first and reads its cache;
an unreadable cache entry (e.g. truncated by a full disk) is discarded with a warning and rebuilt.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, get_dataset
from mujo_edge.data.filetree import fingerprint
from mujo_edge.data.preprocess import to_spec, window_labels, window_starts
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.segments import recommend_window, segment_stats
from mujo_edge.data.spec import ACC_CHANNELS, DEFAULT_SPEC, Normalization, SensorSpec
from mujo_edge.data.windows import WindowSet
from mujo_edge.errors import CorruptFileError, DataError, DatasetNotFoundError
from mujo_edge.locks import build_once
from mujo_edge.paths import cache_dir

log = logging.getLogger(__name__)

#: Bump when loaders or windowing change what ends up in a prepared file (invalidates caches).
PREPARE_VERSION = 1


def windows_from_recordings(recs: list[Recording], spec: SensorSpec, dataset: str, class_names: tuple[str, ...],
                            placement: str) -> WindowSet:
    """Cut labelled windows from recordings (see module docstring). Recording order is kept."""
    xs, ys, subj, rec_idx, starts, names = [], [], [], [], [], []
    mask = None
    stats = {"recordings": len(recs), "samples": 0, "windows_total": 0, "dropped_null": 0, "dropped_impure": 0,
             "recordings_shorter_than_window": 0}
    for i, rec in enumerate(recs):
        data, labels, m = to_spec(rec, spec)
        mask = m if mask is None else mask & m
        names.append(f"{rec.subject}/{rec.session}")
        stats["samples"] += len(data)
        st = window_starts(len(data), spec.window, spec.hop)
        if len(st) == 0:
            stats["recordings_shorter_than_window"] += 1
            continue
        y = window_labels(labels, st, spec.window, spec.min_majority)
        stats["windows_total"] += len(st)
        # why each dropped window was dropped: majority NULL vs. not pure enough
        maj_null = _majority_is_null(labels, st, spec.window)
        stats["dropped_null"] += int(((y == NULL_LABEL) & maj_null).sum())
        stats["dropped_impure"] += int(((y == NULL_LABEL) & ~maj_null).sum())
        keep = y != NULL_LABEL
        if keep.any():
            idx = st[keep][:, None] + np.arange(spec.window)[None, :]
            xs.append(data[idx])
            ys.append(y[keep])
            starts.append(st[keep])
            subj += [rec.subject] * int(keep.sum())
            rec_idx.append(np.full(int(keep.sum()), i, dtype=np.int64))
    if not xs:
        raise CorruptFileError(dataset, f"no labelled window of {spec.window} samples at {spec.rate_hz} Hz in {len(recs)} recordings")
    ws = WindowSet(
        dataset=dataset, spec=spec, class_names=tuple(class_names), x=np.concatenate(xs).astype(np.float32),
        y=np.concatenate(ys).astype(np.int64), subjects=np.asarray(subj, dtype=str), recordings=np.concatenate(rec_idx),
        starts=np.concatenate(starts), recording_names=tuple(names), channel_mask=np.asarray(mask, dtype=bool),
        placement=placement, stats=stats,
    )
    stats["windows"] = len(ws)
    return ws


def check_class_coverage(ws: WindowSet, recs: list[Recording]) -> None:
    """Every class of ``ws.class_names`` that has labelled samples in ``recs`` must keep at least one window.

    Raises DataError naming each class that lost all its windows, how long its segments last (median)
    and the window and purity that were too much for them.
    """
    counts = np.bincount(ws.y, minlength=ws.num_classes)
    labelled = set()
    for rec in recs:
        labelled |= {int(v) for v in np.unique(rec.labels) if v != NULL_LABEL}
    lost = [k for k in sorted(labelled) if k < ws.num_classes and counts[k] == 0]
    seg = segment_stats(recs, ws.class_names)
    ws.stats["segments"] = seg
    if not lost:
        return
    spec = ws.spec
    what = "; ".join(f"{ws.class_names[k]!r} (segments last {seg[ws.class_names[k]]['median_s']:.2f} s median, "
                     f"{seg[ws.class_names[k]]['segments']} segments)" for k in lost)
    fit = recommend_window(seg, spec.rate_hz, spec.window, spec.purity)
    raise DataError(f"{ws.dataset}: {len(lost)} class(es) get no window of {spec.window} samples ({spec.window_seconds:.2f} s "
                    f"at {spec.rate_hz:g} Hz) with purity {spec.purity:g}: {what}. Use a shorter window, e.g. "
                    f"--window {fit['window']} --hop {fit['hop']}, or a lower --purity")


def _majority_is_null(labels: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """True where NULL is at least as frequent as any single class in the window."""
    lab = labels[starts[:, None] + np.arange(window)[None, :]]
    n_null = (lab == NULL_LABEL).sum(axis=1)
    return n_null * 2 >= window


def check_gravity(ws: WindowSet) -> float | None:
    """Median |acc| over all windows, m/s²; warns when far from 9.81 (likely wrong units)."""
    acc = [ws.spec.channels.index(c) for c in ACC_CHANNELS if c in ws.spec.channels]
    if len(acc) != 3 or not ws.channel_mask[acc].all():
        return None
    med = float(np.median(np.linalg.norm(ws.x[:, :, acc], axis=-1)))
    if not 7.0 < med < 13.0:
        log.warning("%s: median |acc| is %.2f m/s^2, expected about 9.81 (are the units right?)", ws.dataset, med)
    return med


def cache_file(name: str, spec: SensorSpec, placement: str, source: Path, root: Path | None = None) -> Path:
    """Where the prepared windows of ``name`` at ``spec`` are cached."""
    key = f"{name}-{placement}-{spec.key()}-{fingerprint(source)}-v{PREPARE_VERSION}"
    return cache_dir(root) / "windows" / f"{key}.npz"


def prepare(name: str, spec: SensorSpec = DEFAULT_SPEC, data_root: str | Path | None = None,
            placement: str | None = None, cache: bool = True, cache_root: str | Path | None = None,
            verify: bool = True) -> WindowSet:
    """Labelled windows of dataset ``name`` at ``spec`` (cached).

    Args:
        name: dataset registry name (unknown names raise with the valid list).
        spec: rate / window / hop / channels / purity to cut windows with.
        data_root: overrides ``$MUJO_EDGE_DATA_DIR``.
        placement: sensor site for multi-device datasets (default: the dataset's first, or
            ``spec.placement`` when that is not ``"any"``).
        cache: read and write the window cache.
        cache_root: overrides ``$MUJO_EDGE_CACHE_DIR``.
        verify: check the original files against their published sha256 (default).

    Returns:
        A :class:`WindowSet` with ``x (N, spec.window, C)`` in SI units (its spec carries no normalization) and ``stats`` including
        ``prepare_seconds`` and ``cached``.
    """
    info = get_dataset(name)
    if placement is None:
        placement = spec.placement if spec.placement != "any" else info.placements[0]
    src = info.find_source(data_root)
    if src is None:
        raise DatasetNotFoundError(info.missing_message(data_root))
    t0 = time.perf_counter()
    base = spec.replace(normalization=Normalization())  # windows stay in SI units; models normalize
    path = cache_file(name, base, placement, src, cache_root)
    if cache:  # two processes preparing the same dataset: the second waits for the first and reads its cache
        return build_once(path, lambda: _read_cache(path, base, t0),
                          lambda: _prepare_cold(info, name, base, data_root, placement, verify, src, path, t0),
                          what=f"preparing {name}")
    return _prepare_cold(info, name, base, data_root, placement, verify, src, None, t0)


def _read_cache(path: Path, spec: SensorSpec, t0: float) -> WindowSet | None:
    """The cached windows at ``path``, or ``None`` when absent; an unreadable entry is deleted with a warning."""
    if not path.exists():
        return None
    try:
        ws = WindowSet.load(path)
    except CorruptFileError as exc:
        log.warning("discarding an unreadable cache entry (%s); preparing the dataset again", exc)
        path.unlink(missing_ok=True)
        return None
    ws.spec = spec
    ws.stats.update(prepare_seconds=time.perf_counter() - t0, cached=True)
    log.info("%s: %d windows from cache %s", ws.dataset, len(ws), path)
    return ws


def _prepare_cold(info: DatasetInfo, name: str, spec: SensorSpec, data_root: str | Path | None, placement: str,
                  verify: bool, src: Path, path: Path | None, t0: float) -> WindowSet:
    """Read the original files, cut the windows and (with a cache ``path``) save them."""
    recs = info.load(data_root, placement, verify)
    ws = windows_from_recordings(recs, spec, name, info.class_names, placement)
    check_class_coverage(ws, recs)
    ws.stats["median_acc_norm"] = check_gravity(ws)
    ws.stats["source"] = str(src)
    if path is not None:
        ws.save(path)
    ws.stats.update(prepare_seconds=time.perf_counter() - t0, cached=False)
    log.info("%s: %d windows prepared in %.1f s (%s)", name, len(ws), ws.stats["prepare_seconds"], ws.stats)
    return ws
