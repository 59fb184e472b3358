"""MotionSense DeviceMotion (folder A): iPhone 6s in the front trouser pocket, 50 Hz, 24 subjects.

Files: ``A_DeviceMotion_data/<act>_<trial>/sub_<k>.csv`` with columns ``attitude.*`` (rad),
``gravity.*`` (g), ``rotationRate.*`` (rad/s), ``userAcceleration.*`` (g).

Total acceleration is ``gravity + userAcceleration`` (g) × 9.80665 → m/s². Core Motion reports
acceleration with the opposite sign to the specific-force convention every other source uses
(Android, MotionNode, the simulator: a sensor at rest reads +9.81 m/s² along the axis pointing up;
Core Motion reads −1 g there), so the sum is negated. Gyro is ``rotationRate`` (rad/s, right-handed,
same sign as elsewhere).
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, parse_table, require_members
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import CorruptFileError

CODES = ("dws", "ups", "wlk", "jog", "std", "sit")
CLASSES = ("walking_downstairs", "walking_upstairs", "walking", "jogging", "standing", "sitting")
_COLUMNS = ("gravity.x", "gravity.y", "gravity.z", "rotationRate.x", "rotationRate.y", "rotationRate.z",
            "userAcceleration.x", "userAcceleration.y", "userAcceleration.z")


def load(tree: FileTree, placement: str) -> list[Recording]:
    """All 360 trial × subject files as recordings (subject ``"k"``, session ``"<act>_<trial>"``)."""
    found = match_members(tree, r"(?:^|/)([a-z]{3})_(\d+)/sub_(\d+)\.csv$")
    found = [(m, h) for m, h in found if h.group(1) in CODES]
    require_members(tree, found, "MotionSense A_DeviceMotion_data/<act>_<trial>/sub_<k>.csv files")
    info = {m: h for m, h in found}
    recs = []
    for member, data in tree.iter_files(sorted(info)):
        hit = info[member]
        header = data.split(b"\n", 1)[0].decode("utf-8-sig").strip().split(",")
        try:
            cols = tuple(header.index(c) for c in _COLUMNS)
        except ValueError as exc:
            raise CorruptFileError(tree.where(member), f"header lacks a DeviceMotion column ({exc}); got {header}") from exc
        arr = parse_table(tree, member, data, delimiter=",", skiprows=1, ncols=len(header))
        g, rot, user = arr[:, cols[0:3]], arr[:, cols[3:6]], arr[:, cols[6:9]]
        acc = -(g + user) * STANDARD_GRAVITY
        label = CODES.index(hit.group(1))
        recs.append(Recording(
            dataset="motionsense", subject=str(int(hit.group(3))), session=f"{hit.group(1)}_{hit.group(2)}",
            rate_hz=50.0, channels=IMU_CHANNELS, data=np.concatenate([acc, rot], axis=1),
            labels=np.full(arr.shape[0], label, dtype=np.int16), placement=placement, source=tree.where(member),
        ))
    return recs


register_dataset(DatasetInfo(
    name="motionsense",
    title="MotionSense DeviceMotion (A)",
    folder="motionsense",
    locations=("A_DeviceMotion_data", "A_DeviceMotion_data.tar.xz", "A_DeviceMotion_data.zip"),
    native_rate_hz=50.0,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=24,
    placements=("thigh_right",),
    loader=load,
    downloads=(Download(
        url="https://github.com/mmalekzadeh/motion-sense/raw/master/data/A_DeviceMotion_data.zip",
        filename="A_DeviceMotion_data.zip",
        note="members are checked against the packaged sha256 manifest of the 360 CSV files",
    ),),
    manifest="motionsense.sha256",
    citation="Malekzadeh et al., Mobile Sensor Data Anonymization, IoTDI 2019",
    licence="MIT (authors' repository); cite the paper",
    units_note="acc = -(gravity + userAcceleration) x 9.80665 (Core Motion sign flipped to specific force); gyro rad/s",
    notes="iPhone 6s in the front trouser pocket. The authors' trial split shares subjects between train "
          "and test, so only subject-wise splits are offered.",
))
