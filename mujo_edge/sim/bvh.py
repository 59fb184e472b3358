"""BVH motion capture: parser, forward kinematics and retargeting onto the canonical skeleton.

Supports the two CMU conversions of ``$MUJO_EDGE_DATA_DIR/mocap`` (see its README):
* ``cmu_daz`` — cgspeed "Daz-friendly" 43-joint skeleton (``hip``, ``abdomen``, ``lShldr``, ``rThigh``, ...),
  root channels X/Y/Z position + Z/Y/X rotation, other joints Z/X/Y rotation, centimetres, 120 Hz,
  first frame the converter's reference T-pose;
* ``cmu_asf`` — the original ASF joint names (``lhumerus``, ``rfemur``, ``thorax``, ...), Z/Y/X rotations,
  ASF length units (1/0.45 inch = 5.644 cm), 30 Hz.

BVH files are Y-up with the body facing +Z; :func:`to_canonical` converts to the mujo-edge world frame
(Z up, +Y forward, +X right, metres) and maps joints onto :data:`mujo_edge.sim.skeleton.JOINTS`. Segment
orientations are re-expressed so that the canonical rest pose (arms down) has identity rotations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from mujo_edge.errors import CorruptFileError
from mujo_edge.sim.kinematics import forward_kinematics, lowpass, lowpass_quat, qnormalize, qrot
from mujo_edge.sim.skeleton import JOINT_INDEX, JOINTS, PARENTS, SEGMENT_CHILD, Body

log = logging.getLogger(__name__)

#: BVH (x, y, z) → world (x, y, z): x_w = −x_b (body's right), y_w = z_b (forward), z_w = y_b (up).
BVH_TO_WORLD = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


@dataclass
class BVH:
    """A parsed BVH file.

    Attributes:
        names: joint names (end sites are ``"<parent>_end"``), parents precede children.
        parents: parent index per joint (-1 for the root).
        offsets: ``(J, 3)`` rest offsets from the parent, file units.
        channels: per joint, its channel names in file order (``()`` for end sites).
        frame_time: seconds per frame.
        motion: ``(F, C)`` channel values (degrees for rotations, file units for positions).
        source: file name for messages.
    """

    names: list[str]
    parents: list[int]
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    frame_time: float
    motion: np.ndarray
    source: str = ""

    @property
    def rate_hz(self) -> float:
        """Frame rate, Hz (rounded to a whole number when the printed frame time is merely truncated, 0.033333 s → 30)."""
        r = 1.0 / self.frame_time
        whole = float(round(r))
        return whole if whole > 0 and abs(r - whole) < 1e-3 * r else r

    @property
    def n_frames(self) -> int:
        """Number of frames F."""
        return int(self.motion.shape[0])


_CHANNELS = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"}


def parse_bvh(text: str, source: str = "<bvh>") -> BVH:
    """Parse BVH text; any structural problem raises :class:`CorruptFileError` naming ``source``."""
    tokens = text.split()
    pos = 0
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise CorruptFileError(source, "unexpected end of file in the hierarchy")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str) -> None:
        got = take()
        if got != word:
            raise CorruptFileError(source, f"expected {word!r}, found {got!r} (token {pos})")

    def number() -> float:
        tok = take()
        try:
            return float(tok)
        except ValueError:
            raise CorruptFileError(source, f"expected a number, found {tok!r} (token {pos})") from None

    expect("HIERARCHY")
    stack: list[int] = []
    kind = take()
    if kind != "ROOT":
        raise CorruptFileError(source, f"expected ROOT, found {kind!r}")
    while True:
        if kind in ("ROOT", "JOINT"):
            name = take()
        elif kind == "End":
            expect("Site")
            name = f"{names[stack[-1]]}_end"
        else:
            raise CorruptFileError(source, f"expected JOINT, End Site or '}}', found {kind!r}")
        expect("{")
        expect("OFFSET")
        off = [number(), number(), number()]
        chans: tuple[str, ...] = ()
        if kind != "End":
            expect("CHANNELS")
            count = take()
            if not count.isdigit():
                raise CorruptFileError(source, f"joint {name}: bad channel count {count!r}")
            chans = tuple(take() for _ in range(int(count)))
            bad = [c for c in chans if c not in _CHANNELS]
            if bad:
                raise CorruptFileError(source, f"joint {name}: unknown channels {bad}; valid: {sorted(_CHANNELS)}")
        names.append(name)
        parents.append(stack[-1] if stack else -1)
        offsets.append(off)
        channels.append(chans)
        stack.append(len(names) - 1)
        kind = take()
        while kind == "}":
            stack.pop()
            if not stack:
                break
            kind = take()
        if not stack:
            break
    expect("MOTION")
    expect("Frames:")
    n_frames = number()
    expect("Frame")
    expect("Time:")
    frame_time = number()
    if n_frames < 1 or frame_time <= 0:
        raise CorruptFileError(source, f"bad header: {n_frames} frames, frame time {frame_time}")
    n_ch = sum(len(c) for c in channels)
    values = tokens[pos:]
    if len(values) != int(n_frames) * n_ch:
        raise CorruptFileError(source, f"header promises {int(n_frames)} frames × {n_ch} channels, file has "
                                       f"{len(values)} values (truncated or corrupt)")
    try:
        motion = np.asarray(values, dtype=np.float64).reshape(int(n_frames), n_ch)
    except ValueError as exc:
        raise CorruptFileError(source, f"non-numeric motion data ({exc})") from exc
    if not np.isfinite(motion).all():
        raise CorruptFileError(source, "motion data contains NaN or inf")
    return BVH(names, parents, np.asarray(offsets), channels, float(frame_time), motion, source)


def bvh_forward(bvh: BVH, frames: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Global positions ``(F, J, 3)`` (file units) and rotations ``(F, J, 4)`` of every joint (file frame)."""
    motion = bvh.motion if frames is None else bvh.motion[frames]
    f = motion.shape[0]
    j = len(bvh.names)
    local = np.zeros((f, j, 4))
    local[..., 3] = 1.0
    trans = np.broadcast_to(bvh.offsets, (f, j, 3)).copy()
    col = 0
    for i, chans in enumerate(bvh.channels):
        rot_axes = "".join(c[0] for c in chans if c.endswith("rotation"))
        rot_cols = [col + k for k, c in enumerate(chans) if c.endswith("rotation")]
        for k, c in enumerate(chans):
            if c.endswith("position"):
                trans[:, i, "XYZ".index(c[0])] += motion[:, col + k]
        if rot_axes:
            local[:, i] = Rotation.from_euler(rot_axes.upper(), motion[:, rot_cols], degrees=True).as_quat()
        col += len(chans)
    root = [i for i, p in enumerate(bvh.parents) if p < 0][0]
    root_pos = trans[:, root].copy()
    trans[:, root] = 0.0
    return forward_kinematics(tuple(bvh.parents), trans, local, root_pos)


@dataclass(frozen=True)
class SkeletonMap:
    """How a BVH skeleton maps onto the canonical joints.

    ``joints[canonical] = (position joint, rotation joint)``; a position joint may be ``"<name>+dx,dy,dz"``
    meaning an offset (file units, in that joint's frame). ``scale`` converts file units to metres.
    """

    name: str
    required: frozenset[str]
    joints: dict[str, tuple[str, str]]
    scale: float


def _side_map(pos: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    out = {}
    for k, (p, r) in pos.items():
        if "{s}" in k:
            for s in ("l", "r"):
                out[k.format(s=s)] = (p.format(s=s), r.format(s=s))
        else:
            out[k] = (p, r)
    return out


SKELETON_MAPS: dict[str, SkeletonMap] = {
    "cmu_daz": SkeletonMap("cmu_daz", frozenset({"hip", "abdomen", "chest", "lShldr", "rThigh", "lFoot"}), _side_map({
        "pelvis": ("hip", "hip"), "spine": ("abdomen", "abdomen"), "chest": ("chest", "chest"), "neck": ("neck", "neck"),
        "head": ("head", "head"), "head_top": ("head+0,18,0", "head"),
        "shoulder_{s}": ("{s}Shldr", "{s}Shldr"), "elbow_{s}": ("{s}ForeArm", "{s}ForeArm"),
        "wrist_{s}": ("{s}Hand", "{s}Hand"), "hand_{s}": ("{s}Mid1", "{s}Hand"),
        "hip_{s}": ("{s}Thigh", "{s}Thigh"), "knee_{s}": ("{s}Shin", "{s}Shin"), "ankle_{s}": ("{s}Foot", "{s}Foot"),
        "toe_{s}": ("{s}Foot_end", "{s}Foot"),
    }), 0.01),
    "cmu_asf": SkeletonMap("cmu_asf", frozenset({"hip", "lhumerus", "rfemur", "thorax", "ltoes"}), _side_map({
        "pelvis": ("hip", "hip"), "spine": ("upperback", "upperback"), "chest": ("thorax", "thorax"),
        "neck": ("upperneck", "upperneck"), "head": ("head", "head"), "head_top": ("head_end", "head"),
        "shoulder_{s}": ("{s}humerus", "{s}humerus"), "elbow_{s}": ("{s}radius", "{s}radius"),
        "wrist_{s}": ("{s}wrist", "{s}wrist"), "hand_{s}": ("{s}fingers_end", "{s}wrist"),
        "hip_{s}": ("{s}femur", "{s}femur"), "knee_{s}": ("{s}tibia", "{s}tibia"), "ankle_{s}": ("{s}foot", "{s}foot"),
        "toe_{s}": ("{s}toes", "{s}foot"),
    }), 2.54 / 0.45 / 100.0),
}


def detect_skeleton(bvh: BVH) -> SkeletonMap:
    """The :class:`SkeletonMap` whose required joints the file has; otherwise :class:`CorruptFileError`."""
    names = set(bvh.names)
    for m in SKELETON_MAPS.values():
        if m.required <= names:
            return m
    raise CorruptFileError(bvh.source, f"unknown BVH skeleton (joints {sorted(names)[:12]}...); supported: "
                                       f"{', '.join(SKELETON_MAPS)}")


def reference_frame_is_tpose(bvh: BVH) -> bool:
    """True when frame 0 is the converter's reference pose: root rotation exactly zero and every joint close to
    its zero rotation (mean |angle| < 1°, less than half the median of the other frames).

    On the CMU subset the reference frames average 0.6-0.8° per channel, real frames at least 1.25° (median 5-10°).
    """
    if bvh.n_frames < 3:
        return False
    rot_cols, root_rot, col = [], [], 0
    for i, chans in enumerate(bvh.channels):
        for k, c in enumerate(chans):
            if c.endswith("rotation"):
                rot_cols.append(col + k)
                if bvh.parents[i] < 0:
                    root_rot.append(col + k)
        col += len(chans)
    m = np.abs(np.mod(bvh.motion[:, rot_cols] + 180.0, 360.0) - 180.0).mean(axis=1)  # wrapped |angle|, per frame
    return bool(np.all(bvh.motion[0, root_rot] == 0.0) and m[0] < 1.0 and m[0] < 0.5 * np.median(m[1:]))


def _point(bvh: BVH, spec: str, pos: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """Position ``(F, 3)`` of a mapped point ``"joint"`` or ``"joint+dx,dy,dz"`` (file units)."""

    name, _, off = spec.partition("+")
    if name not in bvh.names:
        raise CorruptFileError(bvh.source, f"joint {name!r} missing for the canonical mapping")
    i = bvh.names.index(name)
    if not off:
        return pos[:, i]
    return pos[:, i] + qrot(rot[:, i], np.array([float(v) for v in off.split(",")]))


def to_canonical(bvh: BVH, smooth_hz: float | None = 12.0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Canonical joint positions ``(F, 22, 3)`` metres and segment rotations ``(F, 22, 4)`` at the file's rate.

    Drops the reference first frame when it is the converter's T-pose, converts Y-up → Z-up, puts the floor
    at z = 0 (5th percentile of the lowest foot point), low-passes at ``smooth_hz`` (marker noise would
    otherwise dominate accelerations). Returns ``(positions, rotations, info)``.
    """
    m = detect_skeleton(bvh)
    drop = reference_frame_is_tpose(bvh)
    sl = slice(1, None) if drop else slice(None)
    pos, rot = bvh_forward(bvh, sl)
    rest_pos, rest_rot = bvh_forward(BVH(bvh.names, bvh.parents, bvh.offsets, bvh.channels, bvh.frame_time,
                                         np.zeros((1, bvh.motion.shape[1])), bvh.source))
    canon_rest = Body().rest_positions()
    out_pos = np.empty((pos.shape[0], len(JOINTS), 3))
    out_rot = np.empty((pos.shape[0], len(JOINTS), 4))
    rest_pts = {}
    for j in JOINTS:
        p_spec, _ = m.joints[j]
        rest_pts[j] = BVH_TO_WORLD @ _point(bvh, p_spec, rest_pos, rest_rot)[0]
        out_pos[:, JOINTS.index(j)] = _point(bvh, p_spec, pos, rot) @ BVH_TO_WORLD.T * m.scale
    mq = Rotation.from_matrix(BVH_TO_WORLD)
    for k, j in enumerate(JOINTS):
        _, r_name = m.joints[j]
        seg = j if SEGMENT_CHILD[j] is not None else _segment_parent(j)
        child = SEGMENT_CHILD[seg]
        d_bvh = rest_pts[child] - rest_pts[seg]
        d_can = canon_rest[JOINTS.index(child)] - canon_rest[JOINTS.index(seg)]
        second = np.array([0.0, 0.0, 1.0]) if seg.startswith("ankle") else np.array([0.0, 1.0, 0.0])
        q_fix, _ = Rotation.align_vectors([d_bvh, second], [d_can, second], weights=[100.0, 1.0])
        r_b = Rotation.from_quat(rot[:, bvh.names.index(r_name)])
        out_rot[:, k] = (mq * r_b * mq.inv() * q_fix).as_quat()
    out_rot = qnormalize(out_rot)
    rate = bvh.rate_hz
    if smooth_hz:
        out_pos = lowpass(out_pos, rate, smooth_hz)
        out_rot = lowpass_quat(out_rot, rate, smooth_hz)
    feet = [JOINTS.index(n) for n in ("toe_l", "toe_r", "ankle_l", "ankle_r")]
    low = out_pos[:, feet, 2].min(axis=1)
    floor = float(np.percentile(low, 5))
    out_pos[..., 2] -= floor
    info = {"skeleton": m.name, "dropped_reference_frame": drop, "rate_hz": rate, "frames": int(pos.shape[0])}
    return out_pos, out_rot, info


def _segment_parent(joint: str) -> str:
    """Segment whose orientation an end point carries (``hand_l`` → ``wrist_l``)."""

    return JOINTS[PARENTS[JOINT_INDEX[joint]]]
