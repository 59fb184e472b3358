"""Virtual IMUs: sensors attached to body segments, read out as specific force and angular velocity.

Physics (ideal sensor, before :class:`~mujo_edge.sim.noise.NoiseModel`):

* position of the sensor ``p_s = p_j + R_j · o`` (segment joint ``j``, offset ``o`` in the segment frame);
* orientation ``R_s = R_j · M`` (``M`` = how the device is mounted on the segment);
* accelerometer = specific force in the sensor frame ``f = R_sᵀ (p̈_s − g)`` with ``g = (0, 0, −9.80665)``
  m/s², so a sensor at rest reads +9.81 m/s² on its axis that points up and a falling one reads 0;
* gyroscope = body-frame angular velocity of ``R_s`` from the orientation track (``scipy.spatial.transform``).

Channels come out in :data:`mujo_edge.data.IMU_CHANNELS` order: acc_x, acc_y, acc_z (m/s²), gyro_x,
gyro_y, gyro_z (rad/s). Device axes follow the Android convention (x right across the screen, y up
the screen, z out of the screen / watch face).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.placements import PLACEMENTS, check_placement
from mujo_edge.sim.coupling import CouplingModel, couple, rocking
from mujo_edge.sim.impacts import ClipImpacts, ImpactModel, impact_acceleration
from mujo_edge.sim.kinematics import angular_velocity_body, qconj, qmul, qrot, second_derivative
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.noise import NoiseModel
from mujo_edge.sim.skeleton import JOINT_INDEX, JOINTS, SEGMENT_CHILD, mirror_name

#: How devices are worn at a site: which random flips are plausible (see :func:`mount_rotation`).
MOUNTS = ("fixed", "pocket", "belt", "strap", "watch")
ORIENTATIONS = ("device", "aligned", "random")


@dataclass(frozen=True)
class SiteDef:
    """Where a virtual sensor sits (right-side or central version; the left side mirrors x).

    Attributes:
        segment: canonical joint whose segment carries the sensor (:mod:`mujo_edge.sim.skeleton`).
        along: position along the bone from ``segment`` to its child, fraction.
        surface: offset from the bone to the skin surface, metres, segment rest frame.
        normal: device z axis (out of the screen) in the segment rest frame.
        up: device y axis in the segment rest frame (orthogonalized against ``normal``).
        mount: how the device is worn: one of :data:`MOUNTS`.
        follow: ``(joint, weight)``: a device resting on soft tissue between two segments (a pouch on the
            front of the hip) also turns with a neighbouring segment: its orientation is the ``weight``
            blend of ``segment``'s and ``joint``'s segment orientation.
    """

    segment: str
    along: float
    surface: tuple[float, float, float]
    normal: tuple[float, float, float]
    up: tuple[float, float, float]
    mount: str
    follow: tuple[str, float] | None = None


_RIGHT_SITES: dict[str, SiteDef] = {
    "head": SiteDef("head", 0.45, (0.0, 0.09, 0.0), (0, 1, 0), (0, 0, 1), "fixed"),
    "chest": SiteDef("chest", 0.55, (0.0, 0.11, 0.0), (0, 1, 0), (0, 0, 1), "strap"),
    "upper_back": SiteDef("chest", 0.55, (0.0, -0.10, 0.0), (0, -1, 0), (0, 0, 1), "strap"),
    "lower_back": SiteDef("spine", 0.15, (0.0, -0.10, 0.0), (0, -1, 0), (0, 0, 1), "belt"),
    "waist": SiteDef("pelvis", 0.3, (0.0, 0.13, 0.0), (0, 1, 0), (0, 0, 1), "belt"),
    "hip_right": SiteDef("pelvis", 0.1, (0.15, 0.06, 0.0), (0.6, 0.8, 0), (0, 0, 1), "belt", ("hip_r", 0.3)),
    "upper_arm_right": SiteDef("shoulder_r", 0.45, (0.045, 0.0, 0.0), (1, 0, 0), (0, 0, 1), "strap"),
    "forearm_right": SiteDef("elbow_r", 0.5, (0.035, 0.0, 0.0), (1, 0, 0), (0, 0, 1), "strap"),
    "wrist_right": SiteDef("elbow_r", 0.9, (0.028, 0.0, 0.0), (1, 0, 0), (0, -1, 0), "watch"),
    "thigh_right": SiteDef("hip_r", 0.35, (0.02, 0.075, 0.0), (0, 1, 0), (0, 0, 1), "pocket"),
    "shin_right": SiteDef("knee_r", 0.45, (0.0, 0.05, 0.0), (0, 1, 0), (0, 0, 1), "strap"),
    "ankle_right": SiteDef("knee_r", 0.88, (0.04, 0.0, 0.0), (1, 0, 0), (0, 0, 1), "strap"),
}


def _mirror_site(d: SiteDef) -> SiteDef:
    m = np.array([-1.0, 1.0, 1.0])
    follow = None if d.follow is None else (mirror_name(d.follow[0]), d.follow[1])
    return SiteDef(mirror_name(d.segment), d.along, tuple(np.array(d.surface) * m), tuple(np.array(d.normal) * m),
                   tuple(np.array(d.up) * m), d.mount, follow)


#: The central belt sites: a device there may sit anywhere on its half of the belt (``IMUConfig.belt_around_deg``);
#: the hip sites name a spot at the side of the belt and keep it.
BELT_AROUND_SITES: tuple[str, ...] = ("lower_back", "waist")

#: Every canonical placement → its site definition.
SITES: dict[str, SiteDef] = {}
for _name in PLACEMENTS:
    if _name in _RIGHT_SITES:
        SITES[_name] = _RIGHT_SITES[_name]
    else:
        SITES[_name] = _mirror_site(_RIGHT_SITES[_name.replace("_left", "_right")])


@dataclass(frozen=True)
class IMUConfig:
    """How virtual sensors are placed and read.

    Attributes:
        sites: placements to simulate (names from :data:`mujo_edge.placements.PLACEMENTS`).
        orientation: ``"device"`` = how phones/watches/straps are really worn at each site (pockets and
            belts: upright or upside down, screen in or out; belts also sideways; watches fixed), plus
            jitter; ``"aligned"`` = the site's nominal device axes, no flips; ``"random"`` = uniformly
            random orientation.
        jitter_deg: random tilt of the device on top of its mounting, degrees (std per axis).
        position_jitter_m: random shift of the device on the skin, metres (std per axis).
        gravity: magnitude of gravity, m/s² (acting along −z).
        noise: sensor error model applied at the output rate.
        impacts: foot-strike shocks added to the specific force (:mod:`mujo_edge.sim.impacts`).
        coupling: loose mounting of pocket, belt and watch devices (:mod:`mujo_edge.sim.coupling`).
        pocket_around_deg: range (deg) of how far round the limb a pocket device sits, drawn per clip: 0 = the
            site's nominal spot (front of the thigh), positive = towards the outside of the leg (a front pocket on
            the front-outer thigh, a side pocket at 60-90). Device position and axes both turn about the limb.
        belt_landscape_share: probability that a belt device (clip or holster) is worn sideways (its x axis along
            the body's long axis) rather than upright; 0.5 = no preference (the default: which way real belt
            devices sit varies with the device and holster). 0.1 and 0.9 were tried against the realism figure and
            not kept (docs/corpus.md).
        belt_around_deg: half-range (deg) of how far round the trunk a belt device at a central site (waist,
            lower back) sits from the site's spot, drawn per clip uniformly in ``±belt_around_deg`` (a clip or
            holster at the front, the side or anywhere between); position and axes turn about the trunk's long
            axis. The hip sites name a spot at the side and keep it. 90 (the default) = anywhere on the front half
            of the belt (the back half for the lower back); 60 and 180 were measured against the realism figure
            and not kept (docs/corpus.md); 0 = the nominal spot (and the random stream of corpora built before
            the option).
    """

    sites: tuple[str, ...] = PLACEMENTS
    orientation: str = "device"
    jitter_deg: float = 8.0
    position_jitter_m: float = 0.012
    gravity: float = STANDARD_GRAVITY
    noise: NoiseModel = field(default_factory=NoiseModel)
    impacts: ImpactModel = field(default_factory=ImpactModel)
    coupling: CouplingModel = field(default_factory=CouplingModel)
    pocket_around_deg: tuple[float, float] = (-10.0, 50.0)
    belt_landscape_share: float = 0.5
    belt_around_deg: float = 90.0

    def __post_init__(self) -> None:
        if not self.sites:
            raise ConfigError("IMU config needs at least one site")
        for s in self.sites:
            check_placement(s)
        if len(set(self.sites)) != len(self.sites):
            raise ConfigError(f"IMU sites repeat: {self.sites}")
        if self.orientation not in ORIENTATIONS:
            raise UnknownNameError("sensor orientation mode", self.orientation, ORIENTATIONS)
        if self.jitter_deg < 0 or self.position_jitter_m < 0 or self.gravity < 0:
            raise ConfigError(f"jitter and gravity must be >= 0: {self}")
        lo, hi = self.pocket_around_deg
        if not -180.0 <= lo <= hi <= 180.0:
            raise ConfigError(f"pocket_around_deg must be (low, high) within -180..180 deg, got {self.pocket_around_deg}")
        if not 0.0 <= self.belt_landscape_share <= 1.0:
            raise ConfigError(f"belt_landscape_share must be a probability in 0..1, got {self.belt_landscape_share}")
        if not 0.0 <= self.belt_around_deg <= 180.0:
            raise ConfigError(f"belt_around_deg must be a half-range in 0..180 deg, got {self.belt_around_deg}")


@dataclass(frozen=True)
class Placement:
    """A sensor resolved for one clip: segment joint index, offset (m, segment frame), mount quaternion, the
    optional second segment (joint index, weight) whose orientation it partly follows, and the loose-mounting
    resonance ``(natural frequency Hz, damping ratio)`` (None: rigid) and the lever (m) it rocks with about the
    upper edge it hangs from (belt devices; 0: no rocking)."""

    site: str
    joint: int
    offset: np.ndarray
    mount: np.ndarray
    follow: tuple[int, float] | None = None
    coupling: tuple[float, float] | None = None
    lever_m: float = 0.0


def nominal_mount(d: SiteDef) -> np.ndarray:
    """Quaternion of the device frame in the segment frame for the site's nominal device axes."""
    z = np.asarray(d.normal, dtype=float)
    z /= np.linalg.norm(z)
    y = np.asarray(d.up, dtype=float)
    y = y - z * (y @ z)
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    return Rotation.from_matrix(np.stack([x, y, z], axis=1)).as_quat()


def mount_rotation(d: SiteDef, mode: str, rng: np.random.Generator, jitter_deg: float,
                   belt_landscape_share: float = 0.5) -> np.ndarray:
    """Random device orientation on the segment (quaternion, device → segment) for ``mode``.

    ``"device"``: pocket = upright or upside down, screen in or out; belt (clips and holsters, portrait or
    landscape) = any multiple of 90° about the screen normal (sideways with probability ``belt_landscape_share``),
    screen in or out; strap = upright or upside down; watch = either way round (crown towards the hand or the
    elbow: 180° about the face normal); fixed = nominal.
    """
    base = Rotation.from_quat(nominal_mount(d))
    if mode == "random":
        return Rotation.random(random_state=rng).as_quat()
    if mode == "device":
        turns = {"pocket": [0, 180], "belt": [0, 90, 180, 270], "strap": [0, 180], "watch": [0, 180]}.get(d.mount, [0])
        if d.mount == "belt" and belt_landscape_share != 0.5:  # (0.5 keeps the random stream of earlier corpora)
            turn = float(rng.choice([0, 180])) + (90.0 if rng.random() < belt_landscape_share else 0.0)
        else:
            turn = float(rng.choice(turns))
        spin = Rotation.from_euler("z", turn, degrees=True)
        flip = Rotation.from_euler("y", 180.0 if (d.mount in ("pocket", "belt") and rng.random() < 0.5) else 0.0,
                                   degrees=True)
        base = base * flip * spin
    jitter = Rotation.from_rotvec(np.radians(rng.normal(0.0, jitter_deg, 3)))
    return (base * jitter).as_quat()


def bone_vector(motion: Motion, joint: str) -> np.ndarray:
    """Median bone vector from ``joint`` to its segment child in the segment frame, metres ``(3,)``."""
    child = SEGMENT_CHILD[joint]
    if child is None:
        return np.zeros(3)
    j, c = JOINT_INDEX[joint], JOINT_INDEX[child]
    local = qrot(qconj(motion.rotations[:, j]), motion.positions[:, c] - motion.positions[:, j])
    return np.median(local, axis=0)


def place_sensors(motion: Motion, cfg: IMUConfig, rng: np.random.Generator) -> list[Placement]:
    """Resolve every configured site on ``motion`` (random mounting and jitter from ``rng``)."""
    out = []
    for name in cfg.sites:
        d = SITES[name]
        surface = np.asarray(d.surface, dtype=float)
        turn_deg = 0.0  # how far round the limb or trunk (its segment's z axis) the device sits from the site's spot
        if d.mount == "pocket" and cfg.orientation == "device":  # front or front-outer pocket: turn about the limb
            outward = -1.0 if d.surface[0] >= 0 else 1.0  # +x is the outside of a right limb, -x of a left one
            turn_deg = outward * rng.uniform(*cfg.pocket_around_deg)
        elif name in BELT_AROUND_SITES and cfg.orientation == "device" and cfg.belt_around_deg > 0:
            turn_deg = rng.uniform(-cfg.belt_around_deg, cfg.belt_around_deg)  # front, side or between
        around = Rotation.from_euler("z", turn_deg, degrees=True)  # position and axes turn together
        surface = around.apply(surface)
        offset = d.along * bone_vector(motion, d.segment) + surface
        offset = offset + rng.normal(0.0, cfg.position_jitter_m, 3)
        mode = cfg.orientation
        mount = (nominal_mount(d) if mode == "aligned" and cfg.jitter_deg == 0
                 else (around * Rotation.from_quat(mount_rotation(d, mode, rng, cfg.jitter_deg, cfg.belt_landscape_share))).as_quat())
        follow = None if d.follow is None else (JOINT_INDEX[d.follow[0]], float(d.follow[1]))
        coupling = cfg.coupling.draw(d.mount, rng)
        lever = cfg.coupling.belt_lever_m if coupling is not None and d.mount == "belt" else 0.0
        out.append(Placement(name, JOINT_INDEX[d.segment], offset, mount, follow, coupling, lever))
    return out


def ideal_imu(motion: Motion, placements: list[Placement], gravity: float = STANDARD_GRAVITY,
              impacts: ClipImpacts | None = None) -> np.ndarray:
    """Noise-free readings ``(T, S, 6)`` (acc m/s², gyro rad/s) at ``motion.rate_hz`` for resolved placements.

    ``impacts`` (:func:`mujo_edge.sim.impacts.draw_impacts`) adds foot-strike shocks to the specific force.
    """
    g = np.array([0.0, 0.0, -gravity])
    t = motion.n_frames
    out = np.empty((t, len(placements), 6))
    for k, p in enumerate(placements):
        r_seg = motion.rotations[:, p.joint]
        pos = motion.positions[:, p.joint] + qrot(r_seg, p.offset)
        q_s = qmul(_device_frame(motion, p), np.broadcast_to(p.mount, r_seg.shape))
        acc_world = second_derivative(pos, motion.rate_hz)
        if impacts is not None:
            acc_world = acc_world + impact_acceleration(impacts, JOINTS[p.joint])
        if p.coupling is not None:
            if p.lever_m > 0:  # a belt device rocks about its clip: its centre hangs below it, along -up
                up = np.asarray(SITES[p.site].up, dtype=float)
                axis = qrot(r_seg, np.broadcast_to(-up / np.linalg.norm(up), pos.shape))
                rot = rocking(acc_world, motion.rate_hz, *p.coupling, p.lever_m, axis)
                q_s = qmul(Rotation.from_rotvec(rot).as_quat(), q_s)
            acc_world = couple(acc_world, motion.rate_hz, *p.coupling)
        out[:, k, :3] = qrot(qconj(q_s), acc_world - g)
        out[:, k, 3:] = angular_velocity_body(q_s, motion.rate_hz)
    return out


def _device_frame(motion: Motion, p: Placement) -> np.ndarray:
    """Orientation ``(T, 4)`` of the surface a device rests on: its segment, or a blend with ``p.follow``."""
    q = motion.rotations[:, p.joint]
    if p.follow is None:
        return q
    q2 = motion.rotations[:, p.follow[0]]
    q2 = np.where((np.sum(q * q2, axis=-1) < 0)[:, None], -q2, q2)  # same hemisphere, then normalized lerp
    blend = (1.0 - p.follow[1]) * q + p.follow[1] * q2
    return blend / np.linalg.norm(blend, axis=-1, keepdims=True)


