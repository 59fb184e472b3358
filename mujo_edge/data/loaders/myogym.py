"""MyoGym: Myo armband on the right forearm, 50 Hz, 10 persons, 30 gym exercises + NULL (99).

File: ``MyoGym.mat`` with ``raw_data`` (N, 17) (1-based columns: 1, 10, 14 timestamps in ms; 2-9 EMG;
11-13 acceleration; 15-17 angular velocity) and ``raw_data_labels`` (N, 2) = (exercise 1-30 or 99,
person 1-10). The Myo SDK reports acceleration in g and angular velocity in deg/s; converted to
m/s² and rad/s. A recording is a run of one person cut where the clock jumps by more than 1 s.
MATLAB v7.3 files are read with ``h5py`` (installed with the ``train`` extra).
"""

from __future__ import annotations

import io

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import require_members
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import CorruptFileError, require

CLASSES = ("seated_cable_rows", "one_arm_dumbbell_row", "wide_grip_pulldown_behind_the_neck", "bent_over_barbell_row",
           "reverse_grip_bent_over_row", "wide_grip_front_pulldown", "bench_press", "incline_dumbbell_flyes",
           "incline_dumbbell_press", "dumbbell_flyes", "pushups", "leverage_chest_press",
           "close_grip_barbell_bench_press", "bar_skullcrusher", "triceps_pushdown", "bench_dip", "overhead_triceps_extension",
           "tricep_dumbbell_kickback", "spider_curl", "dumbbell_alternate_bicep_curl", "incline_hammer_curl",
           "concentration_curl", "cable_curl", "hammer_curl", "upright_barbell_row", "side_lateral_raise",
           "front_dumbbell_raise", "seated_dumbbell_shoulder_press", "car_drivers", "lying_rear_delt_raise")
NULL_CODE = 99
MAX_GAP_MS = 1000.0


def _read_mat(tree: FileTree, member: str, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        mat = loadmat(io.BytesIO(data), variable_names=["raw_data", "raw_data_labels"])
        return np.asarray(mat["raw_data"], np.float64), np.asarray(mat["raw_data_labels"], np.float64)
    except NotImplementedError:  # MATLAB v7.3 = HDF5
        h5py = require("h5py", "train", "reading MATLAB v7.3 files (MyoGym.mat)")
        with h5py.File(io.BytesIO(data), "r") as f:
            return np.asarray(f["raw_data"]).T.astype(np.float64), np.asarray(f["raw_data_labels"]).T.astype(np.float64)
    except Exception as exc:
        raise CorruptFileError(tree.where(member), f"not a readable MyoGym .mat file ({type(exc).__name__}: {exc})") from exc


def load(tree: FileTree, placement: str) -> list[Recording]:
    """Recordings per person and continuous run."""
    members = [m for m in tree.members() if m.rsplit("/", 1)[-1] == "MyoGym.mat"]
    require_members(tree, members, "MyoGym.mat")
    raw, lab = _read_mat(tree, members[0], tree.read(members[0]))
    if raw.ndim != 2 or raw.shape[1] != 17 or lab.shape != (raw.shape[0], 2):
        raise CorruptFileError(tree.where(members[0]), f"raw_data {raw.shape} / raw_data_labels {lab.shape}, expected (N, 17) / (N, 2)")
    codes = lab[:, 0].astype(np.int64)
    bad = sorted(set(codes.tolist()) - set(range(1, 31)) - {NULL_CODE})
    if bad:
        raise CorruptFileError(tree.where(members[0]), f"exercise labels {bad[:5]} outside 1..30 and {NULL_CODE}")
    labels = np.where(codes == NULL_CODE, NULL_LABEL, codes - 1).astype(np.int16)
    person = lab[:, 1].astype(np.int64)
    t = raw[:, 9]  # column 10 (1-based): IMU timestamp, ms
    data = np.concatenate([raw[:, 10:13] * STANDARD_GRAVITY, np.deg2rad(raw[:, 14:17])], axis=1)
    cuts = np.flatnonzero((np.diff(person) != 0) | (np.abs(np.diff(t)) > MAX_GAP_MS)) + 1
    bounds = np.concatenate([[0], cuts, [len(t)]])
    recs, runs = [], {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        p = int(person[a])
        runs[p] = runs.get(p, 0) + 1
        recs.append(Recording(
            dataset="myogym", subject=str(p), session=f"run{runs[p]}", rate_hz=50.0, channels=IMU_CHANNELS,
            data=data[a:b], labels=labels[a:b], placement=placement, source=tree.where(members[0]),
        ))
    return recs


register_dataset(DatasetInfo(
    name="myogym",
    title="MyoGym",
    folder="myogym",
    locations=("MyoGym.mat", "MyoGym", "MyoGym.zip"),
    native_rate_hz=50.0,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=10,
    placements=("forearm_right",),
    loader=load,
    manifest="myogym.gitblob",
    downloads=(Download(url="http://www.oulu.fi/bisg/node/40364", filename="MyoGym.mat",
                        note="the authors' page links MyoGym.mat; no published checksum"),),
    citation="Koskimaki, Siirtola, Roning, MyoGym, UbiComp/ISWC Adjunct (HASCA) 2017",
    licence="cite the paper (no explicit licence)",
    units_note="Myo SDK units assumed: acc g -> m/s^2, gyro deg/s -> rad/s",
    notes="EMG channels are not used; label 99 is NULL.",
))
