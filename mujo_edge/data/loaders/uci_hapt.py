"""UCI HAPT raw data: Samsung Galaxy S II on the waist, 50 Hz, 30 subjects, 6 activities + 6 transitions.

Files: ``RawData/acc_expXX_userYY.txt`` (total acceleration, g), ``RawData/gyro_expXX_userYY.txt``
(rad/s), sample-aligned; ``RawData/labels.txt`` rows ``exp user activity start end`` with 1-based,
inclusive sample indices. Samples outside every labelled segment are NULL.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, OfficialSplit, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, parse_table, require_members
from mujo_edge.data.recording import NULL_LABEL, Recording
from mujo_edge.data.spec import IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import CorruptFileError

CLASSES = ("walking", "walking_upstairs", "walking_downstairs", "sitting", "standing", "laying",
           "stand_to_sit", "sit_to_stand", "sit_to_lie", "lie_to_sit", "stand_to_lie", "lie_to_stand")


def load(tree: FileTree, placement: str) -> list[Recording]:
    """One recording per experiment (subject ``"YY"`` as int string, session ``"expXX"``)."""
    acc_files = {(int(h.group(1)), int(h.group(2))): m
                 for m, h in match_members(tree, r"(?:^|/)RawData/acc_exp(\d+)_user(\d+)\.txt$")}
    gyro_files = {(int(h.group(1)), int(h.group(2))): m
                  for m, h in match_members(tree, r"(?:^|/)RawData/gyro_exp(\d+)_user(\d+)\.txt$")}
    label_files = [m for m, _ in match_members(tree, r"(?:^|/)RawData/labels\.txt$")]
    require_members(tree, list(acc_files), "UCI-HAPT RawData/acc_expXX_userYY.txt files")
    require_members(tree, label_files, "UCI-HAPT RawData/labels.txt")
    unpaired = sorted(set(acc_files) ^ set(gyro_files))
    if unpaired:
        raise CorruptFileError(tree.path, f"experiments {unpaired} lack their acc or gyro file")

    members = sorted(acc_files.values()) + sorted(gyro_files.values()) + label_files[:1]
    raw = dict(tree.iter_files(members))
    table = parse_table(tree, label_files[0], raw[label_files[0]], ncols=5).astype(np.int64)

    recs = []
    for key in sorted(acc_files):
        exp, user = key
        acc = parse_table(tree, acc_files[key], raw[acc_files[key]], ncols=3)
        gyro = parse_table(tree, gyro_files[key], raw[gyro_files[key]], ncols=3)
        if acc.shape[0] != gyro.shape[0]:
            raise CorruptFileError(tree.where(gyro_files[key]),
                                   f"{gyro.shape[0]} gyro samples but {acc.shape[0]} acc samples")
        labels = np.full(acc.shape[0], NULL_LABEL, dtype=np.int16)
        for _, _, act, start, end in table[(table[:, 0] == exp) & (table[:, 1] == user)]:
            if not (1 <= act <= len(CLASSES)) or not (1 <= start <= end <= acc.shape[0]):
                raise CorruptFileError(tree.where(label_files[0]),
                                       f"row exp {exp} user {user}: activity {act}, samples {start}..{end} "
                                       f"outside 1..{len(CLASSES)} / 1..{acc.shape[0]}")
            labels[start - 1:end] = act - 1
        recs.append(Recording(
            dataset="uci_hapt", subject=str(user), session=f"exp{exp:02d}", rate_hz=50.0, channels=IMU_CHANNELS,
            data=np.concatenate([acc * STANDARD_GRAVITY, gyro], axis=1), labels=labels, placement=placement,
            source=tree.where(acc_files[key]),
        ))
    return recs


register_dataset(DatasetInfo(
    name="uci_hapt",
    title="UCI HAPT (raw)",
    folder="uci_hapt",
    locations=("HAPT", "RawData", "HAPT_RawData.tar.xz", "HAPT.zip"),
    native_rate_hz=50.0,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=30,
    placements=("waist",),
    loader=load,
    downloads=(Download(
        url="https://archive.ics.uci.edu/static/public/341/smartphone+based+recognition+of+human+activities+and+postural+transitions.zip",
        filename="HAPT.zip", note="members are checked against the packaged sha256 manifest of RawData/",
    ),),
    manifest="uci_hapt.sha256",
    official_split=OfficialSplit(name="official", test=("2", "4", "9", "10", "12", "13", "18", "20", "24"),
                                 note="the authors' train/test subjects (same as UCI-HAR); validation drawn from train"),
    citation="Reyes-Ortiz et al., Transition-Aware Human Activity Recognition Using Smartphones, Neurocomputing 2016",
    licence="research use, no commercial use (authors' README)",
    units_note="acc g x 9.80665 -> m/s^2 (gravity included); gyro rad/s",
    notes="unlabelled samples between segments are NULL; 6 postural transitions are rare classes.",
))
