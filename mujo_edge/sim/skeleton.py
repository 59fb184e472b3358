"""The one skeleton convention shared by the BVH (motion capture) path and the procedural generator.

World frame
    Right-handed, **Z up**, metres, floor at ``z = 0``; gravity ``(0, 0, -9.80665)`` m/s².
    In the rest pose the body faces **+Y**; **+X is the body's right** (x right, y forward, z up).

Joints
    :data:`JOINTS` (22) with parents :data:`PARENTS` (a parent always precedes its children). Left side
    joints end in ``_l``, right side in ``_r``. ``head_top``, ``hand_*`` and ``toe_*`` are end points.

Rest pose
    Standing upright, facing +Y, arms hanging at the sides with the palms facing the thighs, feet flat
    and parallel. In the rest pose every joint's global rotation is the identity, so a joint's rotation
    ``R_j(t)`` (``(T, J, 4)`` quaternions, scipy ``x, y, z, w`` order) maps rest-frame directions of the
    segment that starts at joint ``j`` (its *segment frame*) to world directions. Segment of joint ``j``:
    ``pelvis`` the pelvis, ``spine`` the lumbar spine, ``chest`` the thorax, ``neck``, ``head``,
    ``shoulder_*`` the upper arm, ``elbow_*`` the forearm, ``wrist_*`` the hand, ``hip_*`` the thigh,
    ``knee_*`` the shank, ``ankle_*`` the foot; end points carry their parent's rotation.

Joint angles (procedural generator)
    Local rotation of joint ``j`` relative to its parent: ``L_j = Rx(a) · Ry(b) · Rz(c)`` built from named
    anatomical angles by :func:`local_rotations` (degrees; signs chosen so that positive means flexion,
    abduction, medial rotation on both sides, see :data:`DOFS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.sim.kinematics import axis_angle, qmul

JOINTS: tuple[str, ...] = (
    "pelvis", "spine", "chest", "neck", "head", "head_top",
    "shoulder_l", "elbow_l", "wrist_l", "hand_l",
    "shoulder_r", "elbow_r", "wrist_r", "hand_r",
    "hip_l", "knee_l", "ankle_l", "toe_l",
    "hip_r", "knee_r", "ankle_r", "toe_r",
)
_PARENT_NAMES = {
    "pelvis": None, "spine": "pelvis", "chest": "spine", "neck": "chest", "head": "neck", "head_top": "head",
    "shoulder_l": "chest", "elbow_l": "shoulder_l", "wrist_l": "elbow_l", "hand_l": "wrist_l",
    "shoulder_r": "chest", "elbow_r": "shoulder_r", "wrist_r": "elbow_r", "hand_r": "wrist_r",
    "hip_l": "pelvis", "knee_l": "hip_l", "ankle_l": "knee_l", "toe_l": "ankle_l",
    "hip_r": "pelvis", "knee_r": "hip_r", "ankle_r": "knee_r", "toe_r": "ankle_r",
}
#: Parent index of every joint (-1 for the root).
PARENTS: tuple[int, ...] = tuple(-1 if _PARENT_NAMES[j] is None else JOINTS.index(_PARENT_NAMES[j]) for j in JOINTS)
JOINT_INDEX: dict[str, int] = {j: i for i, j in enumerate(JOINTS)}
#: (parent, child) index pairs: the bones drawn in videos and previews.
BONES: tuple[tuple[int, int], ...] = tuple((p, i) for i, p in enumerate(PARENTS) if p >= 0)
#: Child whose rest offset defines each joint's segment direction (None: end point).
SEGMENT_CHILD: dict[str, str | None] = {
    "pelvis": "spine", "spine": "chest", "chest": "neck", "neck": "head", "head": "head_top", "head_top": None,
    "shoulder_l": "elbow_l", "elbow_l": "wrist_l", "wrist_l": "hand_l", "hand_l": None,
    "shoulder_r": "elbow_r", "elbow_r": "wrist_r", "wrist_r": "hand_r", "hand_r": None,
    "hip_l": "knee_l", "knee_l": "ankle_l", "ankle_l": "toe_l", "toe_l": None,
    "hip_r": "knee_r", "knee_r": "ankle_r", "ankle_r": "toe_r", "toe_r": None,
}


def mirror_name(name: str) -> str:
    """``"elbow_l"`` ↔ ``"elbow_r"``; names without a side are returned unchanged."""
    if name.endswith("_l"):
        return name[:-2] + "_r"
    if name.endswith("_r"):
        return name[:-2] + "_l"
    return name


#: Index permutation that swaps left and right joints.
MIRROR_PERM: tuple[int, ...] = tuple(JOINT_INDEX[mirror_name(j)] for j in JOINTS)

# Rest offsets from the parent joint as fractions of body height (right side; the left mirrors x).
_REST_FRACTIONS: dict[str, tuple[float, float, float]] = {
    "spine": (0.0, -0.005, 0.085), "chest": (0.0, 0.0, 0.105), "neck": (0.0, -0.01, 0.10),
    "head": (0.0, 0.01, 0.055), "head_top": (0.0, 0.0, 0.125),
    "shoulder_r": (0.10, -0.01, 0.085), "elbow_r": (0.0, 0.0, -0.186), "wrist_r": (0.0, 0.0, -0.146),
    "hand_r": (0.0, 0.0, -0.075),
    "hip_r": (0.055, 0.0, -0.03), "knee_r": (0.0, 0.0, -0.245), "ankle_r": (0.0, 0.0, -0.246),
    "toe_r": (0.0, 0.105, -0.039),
}
#: Heel contact point in the ankle (foot) segment frame, as a fraction of height.
HEEL_FRACTION: tuple[float, float, float] = (0.0, -0.035, -0.039)
#: Body groups whose lengths vary together between subjects.
_GROUPS = {"spine": "trunk", "chest": "trunk", "neck": "trunk", "head": "head", "head_top": "head",
           "shoulder": "shoulders", "elbow": "arm", "wrist": "arm", "hand": "hand", "hip": "hips",
           "knee": "leg", "ankle": "leg", "toe": "foot"}


@dataclass(frozen=True)
class Body:
    """Anthropometry of one (virtual) subject.

    Attributes:
        height_m: standing height, metres (typical adults 1.50-1.98).
        trunk, head, shoulders, arm, hand, hips, leg, foot: multiplicative length factors per body
            group around the population average proportions (1.0 = average).
    """

    height_m: float = 1.72
    trunk: float = 1.0
    head: float = 1.0
    shoulders: float = 1.0
    arm: float = 1.0
    hand: float = 1.0
    hips: float = 1.0
    leg: float = 1.0
    foot: float = 1.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.height_m <= 2.5:
            raise ConfigError(f"body height must be in [0.5, 2.5] m, got {self.height_m}")
        for name in ("trunk", "head", "shoulders", "arm", "hand", "hips", "leg", "foot"):
            v = getattr(self, name)
            if not 0.5 <= v <= 1.5:
                raise ConfigError(f"body factor {name} must be in [0.5, 1.5], got {v}")

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Body:
        """A random adult: height ~ N(1.72, 0.09) m clipped to [1.50, 1.98], group factors ~ N(1, 0.035)."""
        h = float(np.clip(rng.normal(1.72, 0.09), 1.50, 1.98))
        f = np.clip(rng.normal(1.0, 0.035, size=8), 0.9, 1.1)
        f[2] = np.clip(rng.normal(1.0, 0.06), 0.85, 1.15)  # shoulder width varies more
        f[5] = np.clip(rng.normal(1.0, 0.06), 0.85, 1.15)  # hip width
        return cls(h, *(float(v) for v in f))

    def factor(self, joint: str) -> float:
        """Length factor of the bone that ends at ``joint``."""
        return float(getattr(self, _GROUPS[joint.rsplit("_", 1)[0] if joint[-2:] in ("_l", "_r") else joint]))

    def rest_offsets(self) -> np.ndarray:
        """``(J, 3)`` rest offset of every joint from its parent, metres (root: zeros)."""
        out = np.zeros((len(JOINTS), 3))
        for i, j in enumerate(JOINTS):
            if PARENTS[i] < 0:
                continue
            key = j if j in _REST_FRACTIONS else mirror_name(j)
            v = np.array(_REST_FRACTIONS[key]) * self.height_m * self.factor(j)
            if j.endswith("_l"):
                v[0] = -v[0]
            out[i] = v
        return out

    def segment_length(self, joint: str) -> float:
        """Length of the bone from ``joint`` to its segment child, metres (0 for end points)."""
        child = SEGMENT_CHILD[joint]
        return 0.0 if child is None else float(np.linalg.norm(self.rest_offsets()[JOINT_INDEX[child]]))

    def heel(self) -> np.ndarray:
        """Heel contact point in the foot segment frame, metres."""
        return np.array(HEEL_FRACTION) * self.height_m * self.foot

    def rest_positions(self, pelvis_height: float | None = None) -> np.ndarray:
        """``(J, 3)`` joint positions of the rest pose standing on the floor (pelvis above the origin)."""
        off = self.rest_offsets()
        pos = np.zeros_like(off)
        for i, p in enumerate(PARENTS):
            if p >= 0:
                pos[i] = pos[p] + off[i]
        pos[:, 2] -= pos[:, 2].min() if pelvis_height is None else pelvis_height
        return pos


# ---------------------------------------------------------------------------------------------- joint angles
#: Named anatomical angles (degrees) → (joint, axis 0/1/2 = x/y/z, sign).
#: Positive values mean: flexion (limbs forward/up, knee bent, trunk bent forward), abduction (away from
#: the midline), medial rotation / pronation, dorsiflexion (ankle), lateral bend to the right (trunk).
DOFS: dict[str, tuple[str, int, float]] = {}
for _side in ("l", "r"):
    _s = 1.0 if _side == "r" else -1.0
    DOFS.update({
        f"hip_flex_{_side}": (f"hip_{_side}", 0, 1.0),
        f"hip_abd_{_side}": (f"hip_{_side}", 1, -_s),
        f"hip_rot_{_side}": (f"hip_{_side}", 2, _s),
        f"knee_flex_{_side}": (f"knee_{_side}", 0, -1.0),
        f"ankle_flex_{_side}": (f"ankle_{_side}", 0, 1.0),
        f"ankle_inv_{_side}": (f"ankle_{_side}", 1, _s),
        f"shoulder_flex_{_side}": (f"shoulder_{_side}", 0, 1.0),
        f"shoulder_abd_{_side}": (f"shoulder_{_side}", 1, -_s),
        f"shoulder_rot_{_side}": (f"shoulder_{_side}", 2, _s),
        f"elbow_flex_{_side}": (f"elbow_{_side}", 0, 1.0),
        f"forearm_pron_{_side}": (f"elbow_{_side}", 2, _s),
        f"wrist_flex_{_side}": (f"wrist_{_side}", 0, 1.0),
    })
DOFS.update({
    "lumbar_flex": ("spine", 0, -1.0), "lumbar_bend": ("spine", 1, 1.0), "lumbar_rot": ("spine", 2, 1.0),
    "thorax_flex": ("chest", 0, -1.0), "thorax_bend": ("chest", 1, 1.0), "thorax_rot": ("chest", 2, 1.0),
    "neck_flex": ("neck", 0, -1.0), "head_flex": ("head", 0, -1.0), "head_rot": ("head", 2, 1.0),
    "pelvis_tilt": ("pelvis", 0, -1.0), "pelvis_obliquity": ("pelvis", 1, 1.0),
    "pelvis_rot": ("pelvis", 2, 1.0),
})


def mirror_dof(name: str) -> str:
    """Left ↔ right version of a named angle (``hip_flex_l`` ↔ ``hip_flex_r``)."""
    return mirror_name(name)


def local_rotations(angles: dict[str, np.ndarray], n_frames: int) -> np.ndarray:
    """Local joint rotations ``(T, J, 4)`` (x, y, z, w) from named angles in degrees.

    Each joint gets ``Rx(a) · Ry(b) · Rz(c)`` from the angles that act on its x, y and z axes;
    the root joint (``pelvis``) angles are its orientation relative to the heading frame.
    Unknown angle names raise :class:`~mujo_edge.errors.UnknownNameError`.
    """

    euler = np.zeros((n_frames, len(JOINTS), 3))
    for name, values in angles.items():
        if name not in DOFS:
            raise UnknownNameError("joint angle", name, DOFS)
        joint, axis, sign = DOFS[name]
        euler[:, JOINT_INDEX[joint], axis] += sign * np.broadcast_to(np.asarray(values, dtype=float), (n_frames,))
    rad = np.radians(euler)
    qx = axis_angle((1.0, 0.0, 0.0), rad[..., 0])
    qy = axis_angle((0.0, 1.0, 0.0), rad[..., 1])
    qz = axis_angle((0.0, 0.0, 1.0), rad[..., 2])
    return qmul(qmul(qx, qy), qz)  # intrinsic X, then Y, then Z (= scipy "XYZ")
