"""MHEALTH: Shimmer2 sensors on chest, right lower arm and left ankle, 50 Hz, 10 subjects, 12 activities.

Files: ``MHEALTHDATASET/mHealth_subject<N>.log``, 24 whitespace-separated columns: 1-3 chest acc,
4-5 ECG, 6-8 left-ankle acc, 9-11 left-ankle gyro, 12-14 left-ankle magnetometer, 15-17 right-lower-arm
acc, 18-20 right-lower-arm gyro, 21-23 right-lower-arm magnetometer, 24 label (0 = NULL, 1-12).
Acceleration is in m/s²; the Shimmer gyroscopes report deg/s, converted to rad/s. The chest unit
has no gyroscope.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, parse_table, require_members
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import ACC_CHANNELS, IMU_CHANNELS
from mujo_edge.errors import CorruptFileError

CLASSES = ("standing_still", "sitting_and_relaxing", "lying_down", "walking", "climbing_stairs",
           "waist_bends_forward", "frontal_elevation_of_arms", "knees_bending", "cycling", "jogging", "running",
           "jump_front_and_back")
#: placement → (0-based acc columns, gyro columns or None)
COLUMNS = {"forearm_right": ((14, 15, 16), (17, 18, 19)), "ankle_left": ((5, 6, 7), (8, 9, 10)),
           "chest": ((0, 1, 2), None)}


def load(tree: FileTree, placement: str) -> list[Recording]:
    """One recording per subject log file."""
    found = match_members(tree, r"(?:^|/)mHealth_subject(\d+)\.log$")
    require_members(tree, found, "MHEALTH mHealth_subject<N>.log files")
    info = {m: h for m, h in found}
    acc_cols, gyro_cols = COLUMNS[placement]
    recs = []
    for member, data in tree.iter_files(sorted(info)):
        arr = parse_table(tree, member, data, ncols=24)
        codes = arr[:, 23].astype(np.int64)
        if codes.min() < 0 or codes.max() > len(CLASSES):
            raise CorruptFileError(tree.where(member), f"labels outside 0..{len(CLASSES)}")
        cols = [arr[:, list(acc_cols)]]
        channels = ACC_CHANNELS
        if gyro_cols is not None:
            cols.append(np.deg2rad(arr[:, list(gyro_cols)]))
            channels = IMU_CHANNELS
        recs.append(Recording(
            dataset="mhealth", subject=str(int(info[member].group(1))), session="log", rate_hz=50.0,
            channels=channels, data=np.concatenate(cols, axis=1),
            labels=np.where(codes == 0, NULL_LABEL, codes - 1).astype(np.int16), placement=placement,
            source=tree.where(member),
        ))
    return recs


register_dataset(DatasetInfo(
    name="mhealth",
    title="MHEALTH",
    folder="mhealth",
    locations=("MHEALTHDATASET", "mhealth+dataset.zip", "MHEALTHDATASET.zip"),
    native_rate_hz=50.0,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=10,
    placements=tuple(COLUMNS),
    loader=load,
    manifest="mhealth.sha256",
    downloads=(Download(url="https://archive.ics.uci.edu/static/public/319/mhealth+dataset.zip",
                        filename="mhealth+dataset.zip", note="no published checksum"),),
    citation="Banos et al., mHealthDroid, IWAAL 2014",
    licence="CC BY 4.0 (UCI)",
    units_note="acc m/s^2; gyro deg/s -> rad/s (Shimmer2); chest unit has no gyro",
    notes="label 0 is NULL.",
))
