"""Corpus on disk: shards of uncompressed ``.npy`` arrays (memory-mappable) plus JSON metadata.

Layout::
    DIR/corpus.json                     format, config, vocabulary, sites, rates, shapes, shards, stats, split
    DIR/shards/shard_00000/pose.npy     (N, T, J, 3) float32, metres, world frame (Z up)
    DIR/shards/shard_00000/imu.npy      (N, T, S, 6) float32, acc m/s² (specific force) then gyro rad/s
    DIR/shards/shard_00000/video.npy    (N, F, H, W) uint8
    DIR/shards/shard_00000/clips.json   per clip: clip_id, label, label_index, subject, source, texts, params

A build writes everything into a staging folder beside ``DIR`` and renames it to ``DIR`` once
``corpus.json`` is written (see :mod:`mujo_edge.corpus.build`), so ``DIR`` is either absent, the
previous corpus, or the complete new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.config import load_json
from mujo_edge.data.recording import NULL_LABEL
from mujo_edge.errors import ConfigError, CorruptFileError, DataError, UnknownNameError

FORMAT = "mujo-edge-corpus"
VERSION = 1
INDEX = "corpus.json"
ARRAY_FIELDS = ("pose", "imu", "video")
SPLITS = ("train", "val")


def write_shard(root: Path, name: str, clips: list[dict[str, Any]]) -> dict[str, Any]:
    """Write one shard atomically (temporary folder, then rename); returns its index entry."""
    shards = root / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=shards))
    try:
        for field in ARRAY_FIELDS:
            np.save(tmp / f"{field}.npy", np.stack([c[field] for c in clips]), allow_pickle=False)
        (tmp / "clips.json").write_text(json.dumps([c["meta"] for c in clips]), encoding="utf-8")
        final = shards / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"name": name, "clips": len(clips)}


def check_output(root: Path, force: bool) -> None:
    """Refuse to build over anything in ``root`` unless ``force`` (the old corpus stays until the new one is
    complete); creates ``root``'s parent folder."""
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a folder")
    if root.exists() and any(root.iterdir()) and not force:
        what = "a corpus" if (root / INDEX).exists() else "files"
        raise ConfigError(f"{root} already holds {what}; pass --force (force=True) to overwrite it")
    root.parent.mkdir(parents=True, exist_ok=True)


def read_index(root: str | Path) -> dict[str, Any]:
    """``corpus.json`` of a corpus folder, checked for format and version."""
    root = Path(root)
    path = root / INDEX
    if not path.is_file():
        raise DataError(f"{root} is not a mujo-edge corpus (no {INDEX}); build one with `mujo-edge corpus build`")
    index = load_json(path)
    if index.get("format") != FORMAT or index.get("version") != VERSION:
        raise CorruptFileError(path, f"format {index.get('format')!r} v{index.get('version')} is not "
                                     f"{FORMAT!r} v{VERSION}")
    return index


class CorpusDataset:
    """The clips of a corpus (or of one split), a ``torch.utils.data.Dataset``-compatible sequence.

    ``ds[i]`` is a dict: ``pose (T, J, 3)`` float32 m, ``imu (T, S, 6)`` float32 (acc m/s², gyro rad/s),
    ``imu_sites`` tuple of S site names, ``video (F, H, W)`` uint8, ``texts`` list[str], ``label`` str,
    ``label_index`` int (into ``meta["activities"]``), ``subject``, ``source``, ``clip_id``. Arrays are read from
    memory-mapped shards (fields not in ``fields`` are skipped). ``meta`` holds config, vocabulary, sites,
    rates, shapes and the split.
    """

    def __init__(self, root: str | Path, split: str | None = None, fields: tuple[str, ...] = ARRAY_FIELDS) -> None:
        self.root = Path(root)
        if split is not None and split not in SPLITS:
            raise UnknownNameError("corpus split", split, SPLITS)
        bad = [f for f in fields if f not in ARRAY_FIELDS]
        if bad:
            raise UnknownNameError("corpus field", bad[0], ARRAY_FIELDS)
        self.meta = read_index(self.root)
        self.split = split
        self.fields = tuple(fields)
        val = set(self.meta["split"]["val_subjects"])
        self._clips: list[dict[str, Any]] = []
        self._where: list[tuple[int, int]] = []
        for s, shard in enumerate(self.meta["shards"]):
            path = self.root / "shards" / shard["name"] / "clips.json"
            try:
                clips = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise CorruptFileError(path, f"unreadable clip list ({exc})") from exc
            if len(clips) != shard["clips"]:
                raise CorruptFileError(path, f"{len(clips)} clips, index says {shard['clips']}")
            for r, c in enumerate(clips):
                if split is None or (c["subject"] in val) == (split == "val"):
                    self._clips.append(c)
                    self._where.append((s, r))
        self._arrays: dict[tuple[int, str], np.ndarray] = {}
        self.imu_sites = tuple(self.meta["sites"])

    def __len__(self) -> int:
        return len(self._clips)

    def _array(self, shard: int, field: str) -> np.ndarray:
        key = (shard, field)
        if key not in self._arrays:
            path = self.root / "shards" / self.meta["shards"][shard]["name"] / f"{field}.npy"
            try:
                arr = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise CorruptFileError(path, f"unreadable array ({exc})") from exc
            expected = (self.meta["shards"][shard]["clips"], *self.meta["shapes"][field])
            if arr.shape != expected:
                raise CorruptFileError(path, f"shape {arr.shape}, expected {expected}")
            self._arrays[key] = arr
        return self._arrays[key]

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"clip {i} out of range for {len(self)} clips")
        c = self._clips[i]
        s, r = self._where[i]
        item: dict[str, Any] = {f: np.array(self._array(s, f)[r]) for f in self.fields}
        item.update(imu_sites=self.imu_sites, texts=list(c["texts"]), label=c["label"],
                    label_index=int(c["label_index"]), subject=c["subject"], source=c["source"], clip_id=c["clip_id"])
        return item

    def clip_info(self, i: int) -> dict[str, Any]:
        """The metadata of clip ``i`` without reading arrays (params, camera, mocap origin)."""
        return dict(self._clips[i])

    @property
    def labels(self) -> np.ndarray:
        """``(N,)`` label indices of the clips."""
        return np.array([c["label_index"] for c in self._clips], dtype=np.int64)

    @property
    def subjects(self) -> np.ndarray:
        """``(N,)`` motion subject ids of the clips."""
        return np.array([c["subject"] for c in self._clips], dtype=str)


def open_corpus(root: str | Path, split: str | None = None, fields: tuple[str, ...] = ARRAY_FIELDS) -> CorpusDataset:
    """Open a corpus folder: all clips (``split=None``) or the ``"train"`` / ``"val"`` subjects."""
    return CorpusDataset(root, split, fields)


def clip_sample_labels(info: dict[str, Any], n: int, rate_hz: float, code: int) -> np.ndarray:
    """``(n,)`` int16 per-sample labels of a clip whose activity has class ``code``.

    Every sample is ``code``, except in a posture transition whose metadata gives where the movement lies
    (``params.transition_start_s`` and ``params.transition_s``, clip time): only that span is the transition, the
    still posture before and after is :data:`~mujo_edge.data.recording.NULL_LABEL`, as unlabelled samples of a real
    recording are. Windows cut from it then follow the same purity rule as real windows (a real stand-to-sit window
    is ≥ 80 % movement; a whole-clip label made two of a 5.12-s clip's three windows half still posture).
    """
    labels = np.full(n, code, np.int16)
    params = info.get("params") or {}
    if "transition_start_s" in params and "transition_s" in params:
        t = np.arange(n) / rate_hz
        start = float(params["transition_start_s"])
        labels[(t < start) | (t > start + float(params["transition_s"]))] = NULL_LABEL
    return labels
