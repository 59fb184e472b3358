"""MM-Fit: 21 full-body workouts (10 participants) with smartwatches, phone and earbud, 10 exercises.

Files (official zip): ``mm-fit/wXX/wXX_labels.csv`` (no header; ``start_frame,end_frame,reps,exercise``
on the 30 fps video clock) and per device ``wXX_<dev>_acc.npy`` / ``wXX_<dev>_gyr.npy``, each an
``(N, 5)`` array ``[frame, timestamp_ms, x, y, z]``. Devices: ``sw_l`` / ``sw_r`` (smartwatch, left /
right wrist), ``sp_r`` (phone, right trouser pocket). Android sensors: acc m/s² (gravity included),
gyro rad/s. Smartwatch and phone run at ~100 Hz; both streams are interpolated onto one 100 Hz grid
and every grid sample takes the label of the video frame it falls on (outside segments: NULL).

The files do not say which participant did which workout, so subject ids are workout ids and only the
authors' unseen-subject split is offered (k-fold could mix one person's workouts across folds).
"""

from __future__ import annotations

import io

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, OfficialSplit, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, require_members
from mujo_edge.data.preprocess import interpolate_uniform
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import IMU_CHANNELS
from mujo_edge.errors import CorruptFileError

CLASSES = ("squats", "lunges", "bicep_curls", "situps", "pushups", "tricep_extensions", "dumbbell_rows",
           "jumping_jacks", "dumbbell_shoulder_press", "lateral_shoulder_raises")
DEVICES = {"wrist_left": "sw_l", "wrist_right": "sw_r", "thigh_right": "sp_r"}
RATE_HZ = 100.0


def _npy(tree: FileTree, member: str, data: bytes) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CorruptFileError(tree.where(member), f"not a readable .npy array ({exc})") from exc
    if arr.ndim != 2 or arr.shape[1] != 5 or arr.shape[0] < 2:
        raise CorruptFileError(tree.where(member), f"array has shape {arr.shape}, expected (N, 5) [frame, ms, x, y, z]")
    return arr.astype(np.float64)


def parse_labels(tree: FileTree, member: str, data: bytes) -> list[tuple[int, int, int]]:
    """``(start_frame, end_frame, class)`` rows of a ``wXX_labels.csv``."""
    rows = []
    for lineno, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4:
            raise CorruptFileError(tree.where(member), f"line {lineno}: expected 4 fields, got {line!r}")
        if parts[3] not in CLASSES:
            raise CorruptFileError(tree.where(member), f"line {lineno}: unknown exercise {parts[3]!r}; valid: {', '.join(CLASSES)}")
        try:
            start, end = int(parts[0]), int(parts[1])
        except ValueError as exc:
            raise CorruptFileError(tree.where(member), f"line {lineno}: {exc}") from exc
        rows.append((start, end, CLASSES.index(parts[3])))
    return rows


def _sorted_unique(arr: np.ndarray) -> np.ndarray:
    arr = arr[np.argsort(arr[:, 1], kind="stable")]
    return arr[np.concatenate([[True], np.diff(arr[:, 1]) > 0])]


def load(tree: FileTree, placement: str) -> list[Recording]:
    """One recording per workout that has both streams of the chosen device."""
    dev = DEVICES[placement]
    labels_found = {h.group(1): m for m, h in match_members(tree, r"(?:^|/)(w\d\d)/w\d\d_labels\.csv$")}
    require_members(tree, list(labels_found), "MM-Fit wXX/wXX_labels.csv files")
    recs = []
    for workout in sorted(labels_found):
        wanted = {k: m for m, h in match_members(tree, rf"(?:^|/){workout}/{workout}_{dev}_(acc|gyr)\.npy$")
                  for k in [h.group(1)]}
        if set(wanted) != {"acc", "gyr"}:
            continue  # not every workout has every device (documented by the authors)
        raw = dict(tree.iter_files([labels_found[workout], wanted["acc"], wanted["gyr"]]))
        segs = parse_labels(tree, labels_found[workout], raw[labels_found[workout]])
        acc = _sorted_unique(_npy(tree, wanted["acc"], raw[wanted["acc"]]))
        gyr = _sorted_unique(_npy(tree, wanted["gyr"], raw[wanted["gyr"]]))
        t0, t1 = max(acc[0, 1], gyr[0, 1]) / 1000.0, min(acc[-1, 1], gyr[-1, 1]) / 1000.0
        if t1 <= t0:
            raise CorruptFileError(tree.where(wanted["gyr"]), "acc and gyro streams do not overlap in time")
        _, a = interpolate_uniform(acc[:, 1] / 1000.0, acc[:, 2:5], RATE_HZ, t0, t1)
        grid, g = interpolate_uniform(gyr[:, 1] / 1000.0, gyr[:, 2:5], RATE_HZ, t0, t1)
        n = min(len(a), len(g))
        frames = np.interp(grid[:n], acc[:, 1] / 1000.0, acc[:, 0])
        lab = np.full(n, NULL_LABEL, dtype=np.int16)
        for start, end, cls in segs:
            lab[(frames >= start) & (frames <= end)] = cls
        recs.append(Recording(
            dataset="mmfit", subject=workout, session=dev, rate_hz=RATE_HZ, channels=IMU_CHANNELS,
            data=np.concatenate([a[:n], g[:n]], axis=1), labels=lab, placement=placement,
            source=tree.where(wanted["acc"]),
        ))
    if not recs:
        raise CorruptFileError(tree.path, f"no workout has both {dev}_acc.npy and {dev}_gyr.npy (labels-only copy?)")
    return recs


register_dataset(DatasetInfo(
    name="mmfit",
    title="MM-Fit",
    folder="mmfit",
    locations=("mm-fit", "mm-fit.zip"),
    native_rate_hz=RATE_HZ,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=21,
    placements=tuple(DEVICES),
    loader=load,
    downloads=(Download(url="https://s3.eu-west-2.amazonaws.com/vradu.uk/mm-fit.zip", filename="mm-fit.zip",
                        size=1742309258, note="1.7 GB; no published checksum, the size is checked"),),
    manifest=("mmfit_labels.sha256", "mmfit_full.gitblob"),
    official_split=OfficialSplit(
        name="unseen", test=("w00", "w05", "w12", "w13", "w20"), val=("w14", "w15", "w19"),
        note="the starter code's unseen-subject test set; train w01-w04, w06-w08, w16-w18 (w09-w11 unused)",
    ),
    subject_ids_known=False,
    citation="Stromback, Huang, Radu, MM-Fit, Proc. ACM IMWUT 4(4), 2020",
    licence="see mmfit.github.io; cite the paper",
    units_note="Android sensors: acc m/s^2, gyro rad/s; ~100 Hz, interpolated on a 100 Hz grid",
    notes="subjects are workouts (participant ids are not in the files); NULL = non-activity.",
))
