"""USC-HAD: MotionNode IMU at the front right hip, 100 Hz, 14 subjects, 12 activities, 5 trials each.

Files: ``SubjectN/a{m}t{n}.mat`` with ``sensor_readings`` (N, 6): acc x/y/z in g, gyro x/y/z in deg/s.
Converted to m/s² (× 9.80665) and rad/s. Label from the file name (``a{m}``), subject from the folder
(the ``.mat`` fields have typos in places, e.g. ``activity_numbr`` in Subject13/a11t4.mat).
"""

from __future__ import annotations

import io

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, OfficialSplit, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, require_members
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import CorruptFileError

CLASSES = ("walking_forward", "walking_left", "walking_right", "walking_upstairs", "walking_downstairs",
           "running_forward", "jumping_up", "sitting", "standing", "sleeping", "elevator_up", "elevator_down")


def load(tree: FileTree, placement: str) -> list[Recording]:
    """All trial files as recordings (subject ``"N"``, session ``"a{m}t{n}"``), 100 Hz."""
    from scipy.io import loadmat

    found = match_members(tree, r"(?:^|/)Subject(\d+)/a(\d+)t(\d+)\.mat$")
    require_members(tree, found, "USC-HAD SubjectN/a{m}t{n}.mat files")
    info = {m: h for m, h in found}
    recs = []
    for member, data in tree.iter_files(sorted(info)):
        hit = info[member]
        activity = int(hit.group(2))
        if not 1 <= activity <= len(CLASSES):
            raise CorruptFileError(tree.where(member), f"activity number {activity} outside 1..{len(CLASSES)}")
        try:
            mat = loadmat(io.BytesIO(data))
            readings = np.asarray(mat["sensor_readings"], dtype=np.float64)
        except Exception as exc:  # scipy raises many types for broken files
            raise CorruptFileError(tree.where(member), f"not a readable USC-HAD .mat file ({type(exc).__name__}: {exc})") from exc
        if readings.ndim != 2 or readings.shape[1] != 6 or readings.shape[0] == 0:
            raise CorruptFileError(tree.where(member), f"sensor_readings has shape {readings.shape}, expected (N, 6)")
        acc = readings[:, :3] * STANDARD_GRAVITY
        gyro = np.deg2rad(readings[:, 3:])
        recs.append(Recording(
            dataset="usc_had", subject=str(int(hit.group(1))), session=f"a{activity}t{int(hit.group(3))}",
            rate_hz=100.0, channels=IMU_CHANNELS, data=np.concatenate([acc, gyro], axis=1),
            labels=np.full(readings.shape[0], activity - 1, dtype=np.int16), placement=placement,
            source=tree.where(member),
        ))
    return recs


register_dataset(DatasetInfo(
    name="usc_had",
    title="USC-HAD",
    folder="usc_had",
    locations=("USC-HAD", "USC-HAD.tar.xz", "USC-HAD.zip"),
    native_rate_hz=100.0,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=14,
    placements=("hip_right",),
    loader=load,
    downloads=(Download(url="https://sipi.usc.edu/had/USC-HAD.zip", filename="USC-HAD.zip",
                        note="members are checked against the packaged sha256 manifest of the 840 .mat files"),),
    manifest="usc_had.sha256",
    official_split=OfficialSplit(
        name="conventional", test=("13", "14"), val=("11", "12"),
        note="subjects 1-10 train, 11-12 validation, 13-14 test: common in the literature, not from the authors",
    ),
    citation="Zhang & Sawchuk, USC-HAD, UbiComp SAGAware 2012",
    licence="research use; cite the paper",
    units_note="acc g x 9.80665 -> m/s^2; gyro deg/s -> rad/s",
    notes="MotionNode at the front right hip; x axis along gravity.",
))
