"""WISDM-2019 (smartphone and smartwatch activity and biometrics), 51 subjects, 20 Hz nominal.

Two datasets:

* ``wisdm2019``: the original raw folder ``wisdm-dataset/raw/{phone,watch}/{accel,gyro}/`` with lines
  ``subject,activity,timestamp_ns,x,y,z;`` (acc m/s² incl. gravity, gyro rad/s). Accelerometer and
  gyroscope are separate streams with their own clocks; each activity's samples are sorted by time,
  repeated timestamps are removed (counted in the log), the run is cut where the clock jumps by more
  than 1 s, and both streams are interpolated onto one 20 Hz grid over the span they share.
* ``wisdm2019_watch6``: the reduced watch-accelerometer copy (``train/data_16XX_accel_watch.txt``,
  lines ``subject,activity,x,y,z;``, no timestamps, 20 Hz, activities A B C D E M). One recording per
  contiguous activity run; a run that repeats an earlier run of the same subject exactly (subject
  1629's file is stored twice) is dropped with a warning.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np

from mujo_edge.data.datasets import DatasetInfo, Download, register_dataset
from mujo_edge.data.filetree import FileTree
from mujo_edge.data.loaders._common import match_members, require_members
from mujo_edge.data.preprocess import interpolate_uniform
from mujo_edge.data.recording import Recording
from mujo_edge.data.spec import ACC_CHANNELS, IMU_CHANNELS
from mujo_edge.errors import CorruptFileError

log = logging.getLogger(__name__)

CODES = "ABCDEFGHIJKLMOPQRS"
CLASSES = ("walking", "jogging", "stairs", "sitting", "standing", "typing", "brushing_teeth", "eating_soup",
           "eating_chips", "eating_pasta", "drinking", "eating_sandwich", "kicking", "playing_catch",
           "dribbling", "writing", "clapping", "folding_clothes")
REDUCED_CODES = "ABCDEM"
REDUCED_CLASSES = tuple(CLASSES[CODES.index(c)] for c in REDUCED_CODES)
RATE_HZ = 20.0
MAX_GAP_S = 1.0


def parse_lines(tree: FileTree, member: str, data: bytes, n_numeric: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Parse ``subject,code,<n_numeric numbers>;`` lines → (subjects int64, codes, values float64 (N, n_numeric))."""
    subjects, codes, values = [], [], []
    for lineno, line in enumerate(data.decode("ascii", errors="strict").splitlines(), 1):
        line = line.strip().rstrip(";").strip()
        if not line:
            continue
        parts = line.split(",")
        if len(parts) != 2 + n_numeric:
            raise CorruptFileError(tree.where(member), f"line {lineno}: expected {2 + n_numeric} fields, got {len(parts)}: {line[:80]!r}")
        try:
            subjects.append(int(parts[0]))
            values.append([float(v) for v in parts[2:]])
        except ValueError as exc:
            raise CorruptFileError(tree.where(member), f"line {lineno}: {exc}") from exc
        codes.append(parts[1].strip())
    if not codes:
        raise CorruptFileError(tree.where(member), "file has no data lines")
    return np.asarray(subjects), codes, np.asarray(values, dtype=np.float64)


def _runs(codes: list[str]) -> list[tuple[str, int, int]]:
    """Contiguous runs of equal codes as ``(code, start, stop)``."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[start]:
            runs.append((codes[start], start, i))
            start = i
    return runs


def load_reduced(tree: FileTree, placement: str) -> list[Recording]:
    """Reduced watch accelerometer copy: one recording per contiguous activity run."""
    found = match_members(tree, r"(?:^|/)data_(\d{4})_accel_watch\.txt$")
    require_members(tree, found, "WISDM data_16XX_accel_watch.txt files")
    recs = []
    for member, data in tree.iter_files(sorted(m for m, _ in found)):
        subj, codes, values = parse_lines(tree, member, data, 3)
        if len(set(subj.tolist())) != 1:
            raise CorruptFileError(tree.where(member), f"mixes subjects {sorted(set(subj.tolist()))}")
        seen: dict[str, list[np.ndarray]] = defaultdict(list)
        for k, (code, a, b) in enumerate(_runs(codes)):
            if code not in REDUCED_CODES:
                raise CorruptFileError(tree.where(member), f"activity code {code!r}; valid: {', '.join(REDUCED_CODES)}")
            block = values[a:b]
            if any(prev.shape == block.shape and np.array_equal(prev, block) for prev in seen[code]):
                log.warning("%s: run %d (activity %s, %d samples) repeats an earlier run exactly; dropped",
                            tree.where(member), k, code, b - a)
                continue
            seen[code].append(block)
            recs.append(Recording(
                dataset="wisdm2019_watch6", subject=str(subj[0]), session=f"{code}{len(seen[code])}",
                rate_hz=RATE_HZ, channels=ACC_CHANNELS, data=block,
                labels=np.full(b - a, REDUCED_CODES.index(code), dtype=np.int16), placement=placement,
                source=tree.where(member),
            ))
    return recs


def _segments(t: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges of ``t`` (sorted seconds) without jumps longer than :data:`MAX_GAP_S`."""
    cuts = np.flatnonzero(np.diff(t) > MAX_GAP_S) + 1
    bounds = np.concatenate([[0], cuts, [len(t)]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _timed(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Sort rows ``(timestamp_ns, x, y, z)`` by time, drop repeated timestamps; (t_s, xyz, n_dropped)."""
    if len(values) == 0:
        return np.zeros(0), np.zeros((0, 3)), 0
    order = np.argsort(values[:, 0], kind="stable")
    v = values[order]
    keep = np.concatenate([[True], np.diff(v[:, 0]) > 0])
    return v[keep, 0] * 1e-9, v[keep, 1:4], int((~keep).sum())


def load_raw(tree: FileTree, placement: str) -> list[Recording]:
    """Original raw folder: acc + gyro of one device (``placement`` picks watch or phone) on a 20 Hz grid."""
    device = "watch" if placement.startswith("wrist") else "phone"
    files: dict[str, dict[int, str]] = {"accel": {}, "gyro": {}}
    for m, h in match_members(tree, rf"(?:^|/)raw/{device}/(accel|gyro)/data_(\d{{4}})_(?:accel|gyro)_{device}\.txt$"):
        files[h.group(1)][int(h.group(2))] = m
    require_members(tree, list(files["accel"]), f"WISDM raw/{device}/accel/data_16XX_accel_{device}.txt files")
    recs = []
    for subject in sorted(files["accel"]):
        if subject not in files["gyro"]:
            raise CorruptFileError(tree.path, f"subject {subject} has {device} accel but no gyro file")
        streams = {}
        raw = dict(tree.iter_files([files["accel"][subject], files["gyro"][subject]]))
        for kind in ("accel", "gyro"):
            member = files[kind][subject]
            subj, codes, values = parse_lines(tree, member, raw[member], 4)
            if set(subj.tolist()) != {subject}:
                raise CorruptFileError(tree.where(member), f"file of subject {subject} holds subjects {sorted(set(subj.tolist()))}")
            streams[kind] = (np.asarray(codes), values)
        for code in CODES:
            parts = {}
            for kind, (codes, values) in streams.items():
                t, xyz, dropped = _timed(values[codes == code])
                if dropped:
                    log.warning("%s: activity %s: %d samples with repeated timestamps removed",
                                tree.where(files[kind][subject]), code, dropped)
                parts[kind] = (t, xyz)
            if len(parts["accel"][0]) < 2 or len(parts["gyro"][0]) < 2:
                if len(parts["accel"][0]) + len(parts["gyro"][0]):
                    log.warning("subject %d activity %s: accel or gyro stream missing; activity skipped", subject, code)
                continue
            (ta, xa), (tg, xg) = parts["accel"], parts["gyro"]
            k = 0
            for a0, a1 in _segments(ta):
                for g0, g1 in _segments(tg):
                    t0, t1 = max(ta[a0], tg[g0]), min(ta[a1 - 1], tg[g1 - 1])
                    if t1 - t0 < 2.0 / RATE_HZ:
                        continue  # these two stream pieces do not overlap
                    _, acc = interpolate_uniform(ta[a0:a1], xa[a0:a1], RATE_HZ, t0, t1)
                    _, gyro = interpolate_uniform(tg[g0:g1], xg[g0:g1], RATE_HZ, t0, t1)
                    n = min(len(acc), len(gyro))
                    k += 1
                    recs.append(Recording(
                        dataset="wisdm2019", subject=str(subject), session=f"{code}{k}", rate_hz=RATE_HZ,
                        channels=IMU_CHANNELS, data=np.concatenate([acc[:n], gyro[:n]], axis=1),
                        labels=np.full(n, CODES.index(code), dtype=np.int16), placement=placement,
                        source=tree.where(files["accel"][subject]),
                    ))
    return recs


_WISDM_URL = "https://archive.ics.uci.edu/static/public/507/wisdm+smartphone+and+smartwatch+activity+and+biometrics+dataset.zip"
_CITATION = "Weiss, Yoneda, Hayajneh, Smartphone and Smartwatch-Based Biometrics Using Activities of Daily Living, IEEE Access 2019"

register_dataset(DatasetInfo(
    name="wisdm2019",
    title="WISDM-2019 raw (phone + watch, acc + gyro)",
    folder="wisdm2019",
    locations=("wisdm-dataset", "wisdm-dataset.zip", "wisdm+smartphone+and+smartwatch+activity+and+biometrics+dataset.zip"),
    native_rate_hz=RATE_HZ,
    channels=IMU_CHANNELS,
    class_names=CLASSES,
    n_subjects=51,
    placements=("wrist_right", "thigh_right"),
    loader=load_raw,
    downloads=(Download(url=_WISDM_URL, filename="wisdm-dataset.zip",
                        note="the 204 raw files are checked against the packaged sha256 list"),),
    manifest="wisdm2019_raw.sha256",
    citation=_CITATION,
    licence="CC BY 4.0 (UCI)",
    units_note="acc m/s^2 (gravity included), gyro rad/s; timestamps ns",
    notes="watch on the dominant hand (wrist_right), phone in the pocket (thigh_right).",
))

register_dataset(DatasetInfo(
    name="wisdm2019_watch6",
    title="WISDM-2019 watch accelerometer, reduced 6-activity copy",
    folder="wisdm2019",
    locations=("train", "wisdm_watch_accel_reduced6.tar.xz"),
    native_rate_hz=RATE_HZ,
    channels=ACC_CHANNELS,
    class_names=REDUCED_CLASSES,
    n_subjects=51,
    placements=("wrist_right",),
    loader=load_reduced,
    manifest="wisdm2019_reduced.sha256",
    citation=_CITATION,
    licence="derived from CC BY 4.0 data (a course competition copy)",
    units_note="acc m/s^2 (gravity included); no gyroscope, no timestamps",
    notes="derived copy: first 120 s of 6 activities per subject; subject 1629's duplicate runs are dropped.",
))
