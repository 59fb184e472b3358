"""HMP (ADL recognition with a wrist-worn accelerometer): right wrist, 32 Hz, 16 volunteers, 14 classes.

Files: ``HMP_Dataset/<Class>/Accelerometer-<date>-<hmp>-<volunteer>.txt``, lines ``x y z`` as
6-bit codes 0..63; ``g = -1.5 + code / 63 × 3`` then × 9.80665 → m/s². Accelerometer only: the gyro
channels are absent. The ``*_MODEL`` folders repeat or excerpt trial files and are skipped, so they
cannot leak between splits. Volunteer ids like ``f1_2`` in file names mean volunteer ``f1``.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, parse_table, require_members
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import ACC_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import CorruptFileError

FOLDERS = ("Brush_teeth", "Climb_stairs", "Comb_hair", "Descend_stairs", "Drink_glass", "Eat_meat", "Eat_soup",
           "Getup_bed", "Liedown_bed", "Pour_water", "Sitdown_chair", "Standup_chair", "Use_telephone", "Walk")
CLASSES = tuple(f.lower() for f in FOLDERS)


def codes_to_ms2(codes: np.ndarray) -> np.ndarray:
    """6-bit accelerometer codes (0..63, ±1.5 g range) → m/s²."""
    return (-1.5 + codes / 63.0 * 3.0) * STANDARD_GRAVITY


def load(tree: FileTree, placement: str) -> list[Recording]:
    """One recording per trial file (subject = volunteer ``f1``..``m11``)."""
    found = match_members(tree, r"(?:^|/)([A-Za-z_]+)/Accelerometer-([\d-]+)-([a-z_]+)-([fm]\d+)(?:_\d+)?\.txt$")
    found = [(m, h) for m, h in found if h.group(1) in FOLDERS]  # *_MODEL folders are left out on purpose
    require_members(tree, found, "HMP <Class>/Accelerometer-*.txt files")
    info = {m: h for m, h in found}
    recs = []
    for member, data in tree.iter_files(sorted(info)):
        hit = info[member]
        codes = parse_table(tree, member, data, ncols=3)
        if codes.min() < 0 or codes.max() > 63 or np.any(codes != np.round(codes)):
            raise CorruptFileError(tree.where(member), "values are not 6-bit integer codes 0..63")
        recs.append(Recording(
            dataset="hmp", subject=hit.group(4), session=f"{hit.group(1)}-{hit.group(2)}", rate_hz=32.0,
            channels=ACC_CHANNELS, data=codes_to_ms2(codes),
            labels=np.full(codes.shape[0], FOLDERS.index(hit.group(1)), dtype=np.int16),
            placement=placement, source=tree.where(member),
        ))
    return recs


register_dataset(DatasetInfo(
    name="hmp",
    title="HMP wrist accelerometer ADL",
    folder="hmp_wrist",
    locations=("HMP_Dataset", "HMP_Dataset.tar.xz", "HMP_Dataset.zip"),
    native_rate_hz=32.0,
    channels=ACC_CHANNELS,
    class_names=CLASSES,
    n_subjects=16,
    placements=("wrist_right",),
    loader=load,
    downloads=(Download(
        url="https://archive.ics.uci.edu/static/public/283/dataset+for+adl+recognition+with+wrist+worn+accelerometer.zip",
        filename="HMP_Dataset.zip", note="members are checked against the packaged sha256 manifest",
    ),),
    manifest="hmp_wrist.sha256",
    citation="Bruno et al., Analysis of human behavior recognition algorithms based on acceleration data, ICRA 2013",
    licence="research use; commercial use and redistribution need the authors' consent",
    units_note="6-bit codes: g = -1.5 + code/63*3, x 9.80665 -> m/s^2; no gyroscope",
    notes="each trial is one segmented primitive; eat_soup (3 trials) and eat_meat (5) are tiny classes.",
))
