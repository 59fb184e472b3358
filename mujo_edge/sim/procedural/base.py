"""Machinery of the procedural motion generator: subject styles, a per-clip context, motion programs
(joint angles + supports) and the root solver that keeps the body on the floor.

An activity generator is a function ``gen(ctx: Context) -> Program`` registered in :data:`GENERATORS`.
A :class:`Program` gives named joint angles over time (see :data:`mujo_edge.sim.skeleton.DOFS`), the
heading, and either an explicit pelvis trajectory (gaits and planted-feet movements, whose legs are solved
by inverse kinematics) or support candidates from which :func:`realize` solves it:
* vertical: at every frame the root is raised until no support point is below its level, so the lowest
  active support touches it (feet neither float nor sink); frames without an active support are ballistic
  (``z̈ = −g``) between take-off and landing, and still never sink through the floor;
* horizontal: anchored supports (feet, hands, buttocks) do not slide; the body keeps its velocity while
  airborne.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError
from mujo_edge.registry import Registry
from mujo_edge.sim.kinematics import axis_angle, forward_kinematics, keyframes, lowpass, planar_ik, qrot
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.skeleton import JOINT_INDEX, PARENTS, Body, local_rotations


@dataclass(frozen=True)
class Style:
    """Traits of one virtual subject that persist across its clips.

    Attributes:
        subject: id (``"proc_0042"``).
        body: anthropometry.
        handedness: ``"right"`` or ``"left"`` (the working arm of single-arm exercises).
        tempo: factor on every activity's tempo (~N(1, 0.07)).
        amplitude: factor on movement amplitudes (~N(1, 0.08)).
        lean_deg: habitual forward lean of the trunk, degrees.
        arm_swing: factor on arm swing while walking and running.
    """

    subject: str
    body: Body
    handedness: str = "right"
    tempo: float = 1.0
    amplitude: float = 1.0
    lean_deg: float = 2.0
    arm_swing: float = 1.0

    @classmethod
    def sample(cls, subject: str, rng: np.random.Generator) -> Style:
        """A random subject (10 % left-handed)."""
        return cls(subject, Body.sample(rng), "left" if rng.random() < 0.1 else "right",
                   float(np.clip(rng.normal(1.0, 0.07), 0.85, 1.15)), float(np.clip(rng.normal(1.0, 0.08), 0.8, 1.2)),
                   float(np.clip(rng.normal(2.0, 3.0), -4.0, 9.0)), float(np.clip(rng.normal(1.0, 0.25), 0.4, 1.6)))


@dataclass
class Contact:
    """A body point that rests on a support while ``mask`` is true.

    ``point``: one of :data:`CONTACT_POINTS`; ``level``: support height in metres (floor 0, a chair
    seat, a stair step), scalar or ``(T,)``; ``mask``: bool scalar or ``(T,)``.
    """

    point: str
    mask: np.ndarray | bool = True
    level: np.ndarray | float = 0.0


@dataclass
class Program:
    """What an activity generator returns (angles in degrees, heading in radians).

    Either ``root`` gives the pelvis trajectory ``(T, 3)`` explicitly (gaits, whose legs are solved by
    inverse kinematics), or it is solved from ``contacts`` (support candidates: the lowest active one
    touches its level; no active contact = airborne) and ``anchors`` (contact points whose mean stays
    still horizontally while supported). ``hold_root``: the solved pelvis height is held at its highest value
    (a seat carries the pelvis; limbs moving on their own do not lift and drop the body).
    """

    angles: dict[str, Any]
    contacts: list[Contact] = field(default_factory=list)
    anchors: tuple[Any, ...] = ()
    root: np.ndarray | None = None
    yaw: np.ndarray | float = 0.0
    in_place: bool = False
    extra_xy: np.ndarray | None = None
    extra_z: np.ndarray | None = None
    smooth_hz: float = 12.0
    local_override: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    hold_root: bool = False


# Contact points: name -> (vertical test points [(joint, local offset as fraction of height, radius m)], horizontal joint)
CONTACT_POINTS: dict[str, tuple[list[tuple[str, tuple[float, float, float], float]], str]] = {}
for _s in ("l", "r"):
    CONTACT_POINTS.update({
        f"foot_{_s}": ([(f"ankle_{_s}", (0.0, -0.035, -0.039), 0.0), (f"toe_{_s}", (0, 0, 0), 0.0)], f"ankle_{_s}"),
        f"toe_{_s}": ([(f"toe_{_s}", (0, 0, 0), 0.0)], f"toe_{_s}"),
        f"hand_{_s}": ([(f"hand_{_s}", (0, 0, 0), 0.015), (f"wrist_{_s}", (0, 0, 0), 0.025)], f"hand_{_s}"),
        f"knee_{_s}": ([(f"knee_{_s}", (0, 0, 0), 0.05)], f"knee_{_s}"),
        f"forearm_{_s}": ([(f"elbow_{_s}", (0, 0, 0), 0.04), (f"wrist_{_s}", (0, 0, 0), 0.03)], f"elbow_{_s}"),
        f"wrist_{_s}": ([(f"wrist_{_s}", (0, 0, 0), 0.03)], f"wrist_{_s}"),
    })
CONTACT_POINTS.update({
    "buttock": ([("pelvis", (0.0, -0.03, -0.06), 0.0)], "pelvis"),
    "back": ([("chest", (0.0, -0.07, 0.05), 0.0), ("spine", (0.0, -0.06, 0.0), 0.0)], "chest"),
    "head": ([("head", (0.0, -0.02, 0.06), 0.09)], "head"),
    "pelvis_front": ([("pelvis", (0.0, 0.07, -0.02), 0.0)], "pelvis"),
    "side_r": ([("pelvis", (0.1, 0.0, -0.02), 0.0), ("chest", (0.1, 0.0, 0.06), 0.0)], "pelvis"),
    "side_l": ([("pelvis", (-0.1, 0.0, -0.02), 0.0), ("chest", (-0.1, 0.0, 0.06), 0.0)], "pelvis"),
    # every joint with a typical limb radius: whatever part of the body is lowest rests on the floor
    "body": ([(j, (0, 0, 0), 0.04) for j in JOINT_INDEX], "pelvis"),
})


class Context:
    """Everything a generator needs for one clip: time axis, subject style, random numbers, helpers."""

    def __init__(self, style: Style, duration_s: float, rate_hz: float, rng: np.random.Generator) -> None:
        if duration_s <= 0 or rate_hz <= 0:
            raise ConfigError(f"duration and rate must be > 0, got {duration_s} s at {rate_hz} Hz")
        self.style = style
        self.body = style.body
        self.rate_hz = float(rate_hz)
        self.n = int(round(duration_s * rate_hz))
        self.t = np.arange(self.n) / self.rate_hz
        self.rng = rng
        self.h = style.body.height_m
        off = style.body.rest_offsets()
        self.thigh = float(np.linalg.norm(off[JOINT_INDEX["knee_r"]]))
        self.shank = float(np.linalg.norm(off[JOINT_INDEX["ankle_r"]]))
        self.upper_arm = float(np.linalg.norm(off[JOINT_INDEX["elbow_r"]]))
        self.forearm = float(np.linalg.norm(off[JOINT_INDEX["wrist_r"]]))
        self.hip_offset = off[JOINT_INDEX["hip_r"]]
        self.ankle_height = float(-off[JOINT_INDEX["toe_r"], 2])

    # ------------------------------------------------------------------ random helpers
    def uniform(self, lo: float, hi: float) -> float:
        """One uniform number in [lo, hi]."""
        return float(self.rng.uniform(lo, hi))

    def choice(self, options: list[Any] | tuple[Any, ...]) -> Any:
        """One of ``options`` uniformly."""
        return options[int(self.rng.integers(len(options)))]

    def tempo(self, lo: float, hi: float) -> float:
        """A tempo (Hz) drawn in [lo, hi] and scaled by the subject's tempo factor (kept within ±10 %)."""
        return float(np.clip(self.uniform(lo, hi) * self.style.tempo, 0.9 * lo, 1.1 * hi))

    def amp(self, lo: float, hi: float) -> float:
        """An amplitude drawn in [lo, hi] and scaled by the subject's amplitude factor."""
        return self.uniform(lo, hi) * self.style.amplitude

    def smooth_noise(self, std: float, cutoff_hz: float = 0.5) -> np.ndarray:
        """Smooth random signal ``(T,)`` with standard deviation ``std`` and bandwidth ``cutoff_hz``."""
        pad = int(2 * self.rate_hz / max(cutoff_hz, 0.05))
        x = lowpass(self.rng.normal(size=self.n + 2 * pad), self.rate_hz, cutoff_hz)[pad:pad + self.n]
        s = x.std()
        return x * (std / s) if s > 0 else x

    def band_noise(self, std: float, lo_hz: float, hi_hz: float) -> np.ndarray:
        """Random signal ``(T,)`` limited to the ``lo_hz``-``hi_hz`` band with standard deviation ``std``."""
        pad = int(2 * self.rate_hz / max(lo_hz, 0.05))
        x = lowpass(self.rng.normal(size=self.n + 2 * pad), self.rate_hz, hi_hz)
        x = (x - lowpass(x, self.rate_hz, lo_hz))[pad:pad + self.n]
        s = x.std()
        return x * (std / s) if s > 0 else x

    def phase(self, freq_hz: float, wobble: float = 0.03) -> np.ndarray:
        """Cycle count ``(T,)`` of a rhythm at ``freq_hz`` with slow tempo variation (``wobble`` relative std)."""
        f = freq_hz * (1.0 + self.smooth_noise(wobble, 0.3))
        return self.uniform(0.0, 1.0) + np.cumsum(f) / self.rate_hz

    def heading(self, turn_std_deg_s: float = 0.0) -> np.ndarray:
        """Heading ``(T,)`` radians: random start, slowly turning with yaw-rate std ``turn_std_deg_s``."""
        yaw0 = self.uniform(-np.pi, np.pi)
        if turn_std_deg_s <= 0:
            return np.full(self.n, yaw0)
        return yaw0 + np.cumsum(np.radians(self.smooth_noise(turn_std_deg_s, 0.2))) / self.rate_hz

    def side(self) -> str:
        """The subject's working side, ``"l"`` or ``"r"``."""
        return "l" if self.style.handedness == "left" else "r"

    # ------------------------------------------------------------------ posture helpers
    def leg_ik(self, side: str, pelvis_y: np.ndarray, pelvis_z: np.ndarray, tilt_deg: np.ndarray | float,
               ankle_y: float = 0.0, ankle_z: float | None = None, foot_pitch_deg: float | np.ndarray = 0.0,
               ) -> dict[str, np.ndarray]:
        """Hip, knee and ankle angles that put the ankle of ``side`` at ``(ankle_y, ankle_z)`` (forward, up; metres,
        heading frame) for a pelvis at ``(pelvis_y, pelvis_z)`` tilted forward by ``tilt_deg``; the foot ends up
        pitched by ``foot_pitch_deg`` (0 = flat, negative = heel raised)."""
        tilt = np.radians(np.asarray(tilt_deg, dtype=float))
        hy, hz = self.hip_offset[1], self.hip_offset[2]
        hip_y = pelvis_y + hy * np.cos(tilt) + hz * np.sin(tilt)
        hip_z = pelvis_z - hy * np.sin(tilt) + hz * np.cos(tilt)
        az = self.ankle_height if ankle_z is None else ankle_z
        thigh_deg, knee = planar_ik(ankle_y - hip_y, az - hip_z, self.thigh, self.shank, bend=-1)
        hip = thigh_deg + np.degrees(tilt)
        ankle = knee - thigh_deg + foot_pitch_deg
        return {f"hip_flex_{side}": hip, f"knee_flex_{side}": knee, f"ankle_flex_{side}": ankle}

    def standing_height(self) -> float:
        """Pelvis height of the upright rest pose, metres."""
        return float(-self.hip_offset[2] + self.thigh + self.shank + self.ankle_height)


def limb_ik(v: np.ndarray, a: float, b: float, distal_forward: bool, soft: float = 0.97
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Exact 3-D IK of a two-link limb hanging along ``-z`` at rest: ``L = Rx(f)·Ry(y)``, distal ``Rx(±d)``.

    ``v (T, 3)``: vector from the proximal joint to the end point in the parent frame, metres; ``a``, ``b``:
    link lengths; ``distal_forward``: the distal link bends forward (elbow, ``+x``) or backward (knee).
    Beyond ``soft`` × (a + b) the reach is compressed smoothly (soft IK), so a limb approaching full
    extension does not snap straight. Returns ``(f, y, d)`` in radians (``d`` >= 0, a flexion magnitude) and
    the largest distance (m) by which the end point misses its target.
    """
    norm = np.linalg.norm(v, axis=1)
    full = a + b
    knee0 = soft * full
    over = np.maximum(norm - knee0, 0.0)
    d_len = np.where(norm > knee0, knee0 + (full - knee0) * (1.0 - np.exp(-over / (full - knee0))), norm)
    d_len = np.clip(d_len, abs(a - b) + 1e-4, full - 1e-6)
    short = float(np.max(norm - d_len, initial=0.0))
    dist = np.arccos(np.clip((d_len ** 2 - a * a - b * b) / (2 * a * b), -1.0, 1.0))
    wy = (1.0 if distal_forward else -1.0) * b * np.sin(dist)
    wz = -a - b * np.cos(dist)
    vx = v[:, 0] * d_len / np.maximum(norm, 1e-9)
    yang = np.arcsin(np.clip(vx / wz, -1.0, 1.0))
    f = np.arctan2(v[:, 2], v[:, 1]) - np.arctan2(wz * np.cos(yang), wy)
    return (f + np.pi) % (2 * np.pi) - np.pi, yang, dist, short


def cycle(phase: np.ndarray, keys: list[tuple[float, float]]) -> np.ndarray:
    """Periodic minimum-jerk keyframe curve: ``keys`` = ``(fraction of the cycle, value)``, first at 0."""

    times = [k[0] for k in keys] + [1.0]
    values = [k[1] for k in keys] + [keys[0][1]]
    return keyframes(times, values, np.mod(phase, 1.0))


def probe(ctx: Context, angles: dict[str, Any], yaw: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics of ``angles`` with the root at the origin: ``(positions (T, J, 3), rotations (T, J, 4))``."""
    local = local_rotations(angles, ctx.n)
    heading = axis_angle((0.0, 0.0, 1.0), np.full(ctx.n, yaw))
    return forward_kinematics(PARENTS, ctx.body.rest_offsets(), local, np.zeros((ctx.n, 3)), root_rot=heading)


def _contact_requirements(c: Contact, rel: np.ndarray, rot: np.ndarray, h: float) -> np.ndarray:
    """Root height ``(T,)`` at which the lowest test point of contact ``c`` touches its support."""
    pts, _ = CONTACT_POINTS[c.point]
    lows = []
    for joint, frac, radius in pts:
        j = JOINT_INDEX[joint]
        p = rel[:, j, 2] + (qrot(rot[:, j], np.asarray(frac) * h)[:, 2] if any(frac) else 0.0)
        lows.append(p - radius)
    return np.asarray(c.level, dtype=float) - np.min(lows, axis=0)


def _fill_flight(z: np.ndarray, active: np.ndarray, rate_hz: float, g: float) -> np.ndarray:
    """Replace frames without contact by ballistic arcs (z̈ = −g) joining the surrounding contact frames."""
    z = z.copy()
    n = len(z)
    i = 0
    while i < n:
        if active[i]:
            i += 1
            continue
        j = i
        while j < n and not active[j]:
            j += 1
        a, b = i - 1, j  # last contact frame before, first after
        if a < 0 and b >= n:
            raise ConfigError("motion program has no ground contact at all")
        if a < 0:  # airborne at the start: hold the landing height (clips are cut with margins)
            z[i:j] = z[b]
        elif b >= n:
            z[i:j] = z[a]
        else:
            t0, t1 = a / rate_hz, b / rate_hz
            tt = np.arange(i, j) / rate_hz
            s = (tt - t0) / (t1 - t0)
            z[i:j] = z[a] + (z[b] - z[a]) * s + 0.5 * g * (tt - t0) * (t1 - tt)
        i = j
    return z


def _anchored_xy(anchors: list[Any], supported: np.ndarray, rel: np.ndarray, n: int) -> np.ndarray:
    """Root horizontal position ``(T, 2)`` that keeps the mean of the active anchor points still while supported.

    ``anchors``: contact point names (always active) or ``(name, mask (T,))`` pairs. Velocity based (no jumps):
    while supported, the root moves opposite to the active anchors' motion relative to the root; while
    airborne it keeps its last velocity.
    """
    root = np.zeros((n, 2))
    if not anchors:
        return root
    names = [a if isinstance(a, str) else a[0] for a in anchors]
    masks = np.stack([np.ones(n, bool) if isinstance(a, str) else np.broadcast_to(np.asarray(a[1], bool), (n,))
                      for a in anchors])  # (A, T)
    hj = [JOINT_INDEX[CONTACT_POINTS[a][1]] for a in names]
    steps = -np.diff(rel[:, hj, :2], axis=0)  # (T-1, A, 2)
    vel = np.zeros(2)
    for t in range(1, n):
        act = masks[:, t] & masks[:, t - 1]
        if supported[t] and supported[t - 1] and act.any():
            vel = steps[t - 1, act].mean(axis=0)
        root[t] = root[t - 1] + vel
    return root


def realize(program: Program, ctx: Context, activity: str, gravity: float = STANDARD_GRAVITY) -> Motion:
    """Turn a program into a :class:`Motion` at ``ctx.rate_hz`` (see the module docstring)."""
    n = ctx.n
    local = local_rotations(program.angles, n)
    for joint, q in program.local_override.items():
        local[:, JOINT_INDEX[joint]] = q
    yaw = np.broadcast_to(np.asarray(program.yaw, dtype=float), (n,))
    heading = axis_angle((0.0, 0.0, 1.0), yaw)
    rel, rot = forward_kinematics(PARENTS, ctx.body.rest_offsets(), local, np.zeros((n, 3)), root_rot=heading)
    if program.root is not None:
        root = np.asarray(program.root, dtype=float).copy()
    else:
        if not program.contacts:
            raise ConfigError(f"{activity}: motion program needs contacts or an explicit root trajectory")
        req = np.full(n, -np.inf)
        req_any = np.full(n, -np.inf)  # ignoring masks: nothing may sink through its support, even airborne
        for c in program.contacts:
            if c.point not in CONTACT_POINTS:
                raise ConfigError(f"unknown contact point {c.point!r}; valid: {', '.join(CONTACT_POINTS)}")
            m = np.broadcast_to(np.asarray(c.mask, dtype=bool), (n,))
            r = _contact_requirements(c, rel, rot, ctx.h)
            req = np.where(m, np.maximum(req, r), req)
            req_any = np.maximum(req_any, r)
        supported = np.isfinite(req)
        z = np.maximum(_fill_flight(np.where(supported, req, 0.0), supported, ctx.rate_hz, gravity), req_any)
        if program.hold_root:
            z = np.full(n, float(z.max()))
        xy = _anchored_xy(list(program.anchors), supported, rel, n)
        if program.in_place and n > 2:
            xy = xy - np.polyval(np.polyfit(ctx.t, xy, 1), ctx.t[:, None])
        root = np.column_stack([xy, z])
    if program.extra_xy is not None:
        root[:, :2] += program.extra_xy
    if program.extra_z is not None:
        root[:, 2] += program.extra_z
    root = lowpass(root, ctx.rate_hz, program.smooth_hz)
    root[:, :2] -= root[0, :2]
    pos = rel + root[:, None, :]
    params = dict(program.params)
    dist = np.linalg.norm(root[-1, :2] - root[0, :2])
    params.setdefault("speed_mps", round(float(dist / max(ctx.t[-1], 1e-9)), 3))
    params["handedness"] = ctx.style.handedness
    params["height_m"] = round(ctx.h, 3)
    return Motion(ctx.rate_hz, pos, rot, activity, ctx.style.subject, "procedural", params=params)


Generator = Callable[[Context], Program]
#: Registered generators: canonical activity name -> ``gen(ctx) -> Program``.
GENERATORS: Registry[Generator] = Registry("procedural activity")
generator = GENERATORS.register


def both(name: str, value: Any) -> dict[str, Any]:
    """``{name_l: value, name_r: value}`` for a side-less angle name."""
    return {f"{name}_l": value, f"{name}_r": value}
