"""Cyclic gaits: walking, jogging, running, stairs up and down, high knees.

A gait is built like a biomechanics textbook describes it, then solved by inverse kinematics:

* footfalls alternate every step (cadence in steps/s); a stance foot is fixed on the ground (or on its
  stair step) and rolls over the heel, then flat, then the toe; in walking, jogging and running the swing
  leg moves in joint space (hip from its toe-off to its footfall angle, the knee folding early in the swing,
  see :func:`_joint_swing`), on stairs and in high knees the foot travels a path with ground clearance;
* the pelvis moves forward by one step length per step with the speed dip of every stance; vertically it
  follows an inverted pendulum in walking (highest at mid-stance, 4-5 cm excursion), a spring-mass
  bounce (ground force zero at touchdown, peaking mid-stance) with ballistic flight (``z̈ = −g``) in
  running, and rises or falls one riser per step on stairs
  (going up, the stance leg lifts the body onto the new step in a push after footfall, over a steady climb
  that keeps it moving between steps; going down, the body
  is lowered before the lower foot lands — so a stair step has its own vertical acceleration pattern);
  it sways sideways over the supporting foot and rotates with the leading leg;
* hip and knee angles come from 3-D two-link IK of each leg, ankles from the foot orientation; arms
  swing against the legs.

Phase 0 of a stride is the right foot's footfall; the left foot lands half a stride later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mujo_edge.sim.kinematics import axis_angle, minimum_jerk, qconj, qmul, qrot
from mujo_edge.sim.procedural.base import Context, Program, both, generator, limb_ik
from mujo_edge.sim.skeleton import JOINT_INDEX, local_rotations


@dataclass(frozen=True)
class GaitSpec:
    """Parameters of one gait (lengths in metres, angles in degrees, cadence in steps/s)."""

    cadence: float
    step_length: float
    duty: float  # stance share of a stride (> 0.5 walking, < 0.5 running: flight phases)
    land_ahead: float  # footfall ahead of the pelvis, in step lengths
    heel_strike_deg: float  # foot pitch at footfall (positive: toes up, lands on the heel)
    toe_off_deg: float  # foot pitch at lift-off (negative: rolled over the toe)
    flat_from: float = 0.15  # stance progress at which the foot is flat
    flat_until: float = 0.6  # stance progress at which the heel starts to rise
    clearance: float = 0.12  # extra ankle height in swing (at its highest)
    swing_peak: float = 0.42  # share of the swing at which the foot is highest (early: the heel lifts behind the body)
    knee_peak: float = 0.0  # > 0: the swing is solved in joint space (see build_gait), knee flexion peaking at this, deg
    hip_rot: float = 0.0  # thigh rotation about its long axis, amplitude in deg: inward in stance, outward in swing
    hip_overshoot: float = 0.0  # joint-space swing: the thigh flexes this far past its footfall angle late in the swing, deg
    bounce: float = 0.022  # walking: vertical pendulum amplitude; running: ignored (spring-mass)
    sway: float = 0.02  # lateral pelvis sway amplitude
    step_width: float = 0.09  # lateral distance of a foot from the midline
    riser: float = 0.0  # stairs: height change per step (negative = down)
    running: bool = False
    reach: float = 0.975  # the most a stance leg is extended (share of its length)
    soft: float = 0.97  # leg IK: reach beyond this share of the leg length is compressed smoothly (no knee snap)
    rise_share: float = 0.0  # stairs: share of each step in which the body climbs / lowers its riser (0 = evenly)
    surge: float = 0.0  # stairs: share of the forward progress made in that same part of the step
    stepwise: float = 1.0  # stairs: share of the riser climbed / lowered step by step (the rest evenly, no stops)
    rise_peak: float = 0.5  # stairs: where in that part of the step the vertical speed peaks (0.5 = symmetric)
    speed_swing: float = 0.06  # forward speed lost and regained at every step (braking, propulsion), × step length


def _foot_points(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Heel and toe contact points in the foot frame (relative to the ankle), metres."""
    off = ctx.body.rest_offsets()
    return ctx.body.heel(), off[JOINT_INDEX["toe_r"]]


def _rot_x(deg: np.ndarray) -> np.ndarray:
    return axis_angle((1.0, 0.0, 0.0), np.radians(deg))


def _stance_pitch(g: GaitSpec, s: np.ndarray) -> np.ndarray:
    """Foot pitch (deg) over stance progress ``s``: heel strike → flat → roll over the toe."""
    early = g.heel_strike_deg * (1.0 - minimum_jerk(s / max(g.flat_from, 1e-6)))
    late = g.toe_off_deg * minimum_jerk((s - g.flat_until) / max(1.0 - g.flat_until, 1e-6))
    return np.where(s < g.flat_from, early, np.where(s > g.flat_until, late, 0.0))


def stance_ankle(ctx: Context, foot_xy: np.ndarray, level: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Ankle position ``(T, 3)`` of a stance foot at ``foot_xy`` (flat-foot ankle), rolling over heel or toe."""
    heel, toe = _foot_points(ctx)
    flat_ankle = np.column_stack([foot_xy, level + ctx.ankle_height])
    q = _rot_x(pitch)
    pivot = np.where((pitch >= 0)[:, None], heel, toe)
    return flat_ankle + pivot - qrot(q, np.broadcast_to(pivot, flat_ankle.shape))


def _leg_ik(ctx: Context, side: str, v: np.ndarray, soft: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Hip flexion, hip abduction, knee flexion (deg) putting the ankle at ``v (T, 3)`` from the hip (pelvis frame)."""
    f, yang, k, short = limb_ik(v, ctx.thigh, ctx.shank, distal_forward=False, soft=soft)
    sign = 1.0 if side == "r" else -1.0
    return np.degrees(f), np.degrees(-sign * yang), np.degrees(k), short


def _rise_and_fall(s: np.ndarray, peak: float) -> np.ndarray:
    """Smooth 0 → 1 → 0 over ``s`` in [0, 1], highest at ``s = peak`` (``sin²(π·s^p)`` with ``peak^p = 1/2``)."""
    return np.sin(np.pi * s ** (np.log(0.5) / np.log(peak))) ** 2


PelvisFn = Callable[[np.ndarray], dict[str, np.ndarray]]


def build_gait(ctx: Context, g: GaitSpec, ph: np.ndarray, upper: dict[str, np.ndarray | float],
               pelvis_fn: PelvisFn) -> Program:
    """Solve a gait with stride phase ``ph`` (cycles, ``(T,)``): footfalls, pelvis path, leg IK, foot orientation.

    ``pelvis_fn(phase)`` gives the pelvis angles (deg) at any stride phase: a joint-space swing (``g.knee_peak >
    0``) needs the leg's angles at the moments of its toe-off and of its next footfall, which may lie outside the clip.
    """
    n = ctx.n
    ls = g.step_length
    surge_mean = 0.0
    if g.riser != 0.0 and g.rise_share > 0.0:
        surge_mean = float(np.mean(_stair_steps(g, 2.0 * ph, skewed=False) - 2.0 * ph))

    def pelvis_path(phv: np.ndarray) -> np.ndarray:
        """Pelvis position ``(len(phv), 3)`` in the heading frame (+y forward), height relative to ``z0``."""
        y = 2.0 * ls * phv + (g.speed_swing * ls / (4 * np.pi)) * np.sin(4 * np.pi * (phv - g.duty / 2))
        x = g.sway * np.sin(2 * np.pi * (phv - (g.duty / 2 - 0.25)))
        steps = 2.0 * phv
        if g.riser != 0.0 and g.rise_share > 0.0:  # stairs: the body also surges forward while it climbs or lowers
            y = y + g.surge * ls * (_stair_steps(g, steps, skewed=False) - steps - surge_mean)
        if g.running:
            z_rel = _spring_mass(ctx, g, phv)
        else:
            z_rel = g.bounce * np.cos(4 * np.pi * (phv - g.duty / 2))
        return np.column_stack([x, y, z_rel + _stair_height(g, steps)])

    def pelvis_rot(phv: np.ndarray) -> np.ndarray:
        return local_rotations(pelvis_fn(phv), len(phv))[:, JOINT_INDEX["pelvis"]]

    path = pelvis_path(ph)
    x, y, z_rel = path[:, 0], path[:, 1], path[:, 2]
    pelvis_now = pelvis_fn(ph)
    pelvis_q = local_rotations(pelvis_now, n)[:, JOINT_INDEX["pelvis"]]
    # ---------------------------------------------------------------- feet
    ankles, pitches, stance_masks, swing_bumps, swings = {}, {}, {}, {}, {}
    for side, off in (("r", 0.0), ("l", 0.5)):
        p = ph + off
        nn = np.floor(p)
        u = p - nn
        k = 2 * nn - (1 if side == "l" else 0)  # global footfall index
        lat = g.step_width if side == "r" else -g.step_width
        stance = u < g.duty
        s_st = np.clip(u / g.duty, 0, 1)
        s_sw = np.clip((u - g.duty) / (1 - g.duty), 0, 1)

        def fall(kk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.column_stack([np.full(len(kk), lat), (kk + g.land_ahead) * ls]), g.riser * kk

        f_now, lev_now = fall(k)
        f_next, lev_next = fall(k + 2)
        pitch_st = _stance_pitch(g, s_st)
        a_st = stance_ankle(ctx, f_now, lev_now, pitch_st)
        a_off = stance_ankle(ctx, f_now, lev_now, np.full(n, g.toe_off_deg))
        a_on = stance_ankle(ctx, f_next, lev_next, np.full(n, g.heel_strike_deg))
        m = minimum_jerk(s_sw)[:, None]
        a_sw = a_off + (a_on - a_off) * m
        bump = _rise_and_fall(s_sw, g.swing_peak)  # smooth lift, highest at swing_peak
        a_sw[:, 2] += (g.clearance + max(g.riser, 0.0)) * bump
        pitch_sw = g.toe_off_deg + (g.heel_strike_deg - g.toe_off_deg) * minimum_jerk(s_sw) + 8.0 * np.sin(np.pi * s_sw)
        ankles[side] = np.where(stance[:, None], a_st, a_sw)
        pitches[side] = np.where(stance, pitch_st, pitch_sw)
        stance_masks[side] = stance
        swings[side] = (u, s_sw, a_off, a_on)
        swing_bumps[side] = np.where(stance, 0.0, bump)
    # ---------------------------------------------------------------- pelvis height: stance legs stay reachable
    hips = {s: qrot(pelvis_q, np.broadcast_to(ctx.body.rest_offsets()[JOINT_INDEX[f"hip_{s}"]], (n, 3)))
            for s in ("r", "l")}
    limit = np.inf
    for s in ("r", "l"):
        st = stance_masks[s]
        if not st.any():
            continue
        d = ankles[s][st] - (np.column_stack([x, y, z_rel])[st] + hips[s][st])
        dh2 = d[:, 0] ** 2 + d[:, 1] ** 2
        reach = g.reach * (ctx.thigh + ctx.shank)
        limit = min(limit, float(np.min(np.sqrt(np.maximum(reach ** 2 - dh2, 1e-6)) + d[:, 2])))
    z0 = limit if np.isfinite(limit) else ctx.standing_height()
    root = np.column_stack([x, y, z_rel + z0])
    for s in ("r", "l"):  # a folded swing leg passes under its hip: no sideways leg-plane flips
        hip_x = root[:, 0] + hips[s][:, 0]
        ankles[s][:, 0] += swing_bumps[s] * (hip_x - ankles[s][:, 0])
    # ---------------------------------------------------------------- legs by IK, ankles from foot pitch
    angles: dict[str, np.ndarray | float] = dict(pelvis_now)
    angles.update(upper)
    override = {}
    shortfall = 0.0
    for s in ("r", "l"):
        v = qrot(qconj(pelvis_q), ankles[s] - (root + hips[s]))
        f, abd, kn, _ = _leg_ik(ctx, s, v, g.soft)
        if g.knee_peak > 0:
            _joint_swing(ctx, g, s, swings[s], ~stance_masks[s], ph, pelvis_path, pelvis_rot, z0, (f, abd, kn))
        shortfall = max(shortfall, _leg_ik(ctx, s, v[stance_masks[s]], g.soft)[3] if stance_masks[s].any() else 0.0)
        u = swings[s][0]
        leg = {f"hip_flex_{s}": f, f"hip_abd_{s}": abd, f"knee_flex_{s}": kn,
               f"hip_rot_{s}": g.hip_rot * np.cos(2 * np.pi * (u - g.duty / 2))}
        angles.update(leg)
        loc = local_rotations(leg, n)
        shank = qmul(pelvis_q, qmul(loc[:, JOINT_INDEX[f"hip_{s}"]], loc[:, JOINT_INDEX[f"knee_{s}"]]))
        override[f"ankle_{s}"] = qmul(qconj(shank), _rot_x(pitches[s]))
    yaw = ctx.uniform(-np.pi, np.pi)
    heading = axis_angle((0.0, 0.0, 1.0), np.full(n, yaw))
    return Program(angles, root=qrot(heading, root), yaw=yaw, smooth_hz=1e9, local_override=override,
                   params={"cadence_steps_per_s": round(g.cadence, 3), "steps": round(g.cadence * ctx.t[-1], 1),
                           "step_length_m": round(ls, 3), "reach_shortfall_m": round(shortfall, 4)})


def _joint_swing(ctx: Context, g: GaitSpec, side: str, swing_info: tuple[np.ndarray, ...], swing: np.ndarray,
                 ph: np.ndarray, pelvis_path: Callable[[np.ndarray], np.ndarray],
                 pelvis_rot: Callable[[np.ndarray], np.ndarray], z0: float,
                 angles: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Overwrite the swing frames of ``angles`` (hip flexion, abduction, knee flexion, deg, ``(T,)`` each) in place.

    A swinging thigh moves like a pendulum driven at the hip, not like a foot dragged along a path: hip flexion and
    abduction go smoothly (minimum jerk) from their values at toe-off to those at the next footfall, and the knee
    folds on top of its own such blend to ``g.knee_peak`` at ``g.swing_peak`` of the swing (the heel rising behind
    the body first), which also gives the foot its clearance; late in the swing the thigh flexes ``g.hip_overshoot``
    past its footfall angle and is pulled back before the foot lands (swing-leg retraction). Both end values are
    exact stance IK solutions at the moments of lift-off and footfall, so the leg joins its stance without a jump.
    """
    if not swing.any():
        return
    u, s_sw, a_off, a_on = (a[swing] for a in swing_info)
    hip_rest = ctx.body.rest_offsets()[JOINT_INDEX[f"hip_{side}"]]
    ends = []
    for phv, target in ((ph[swing] - (u - g.duty), a_off), (ph[swing] + (1.0 - u), a_on)):
        q = pelvis_rot(phv)
        hip = pelvis_path(phv) + np.array([0.0, 0.0, z0]) + qrot(q, np.broadcast_to(hip_rest, (len(phv), 3)))
        ends.append(_leg_ik(ctx, side, qrot(qconj(q), target - hip), g.soft)[:3])
    w = minimum_jerk(s_sw)
    f, abd, kn = ((a0 + (a1 - a0) * w) for a0, a1 in zip(ends[0], ends[1]))
    kn = kn + np.maximum(g.knee_peak - kn, 0.0) * _rise_and_fall(s_sw, g.swing_peak)
    f = f + g.hip_overshoot * _rise_and_fall(s_sw, 0.7)  # most at 70 % of the swing, then retracts
    for out, val in zip(angles, (f, abd, kn)):
        out[swing] = val


def _skewed_minimum_jerk(x: np.ndarray, peak: float) -> np.ndarray:
    """0 → 1 over ``x`` in [0, 1] like :func:`minimum_jerk`, with the speed peaking near ``x = peak`` instead of 0.5:
    the side of the peak that is shorter carries the larger acceleration (``peak`` 0.75: a long, gentle start and a
    short, hard stop)."""
    if abs(peak - 0.5) < 1e-9:
        return minimum_jerk(x)
    if peak > 0.5:
        return minimum_jerk(x ** (np.log(0.5) / np.log(peak)))
    return 1.0 - minimum_jerk((1.0 - x) ** (np.log(0.5) / np.log(1.0 - peak)))


def _stair_steps(g: GaitSpec, steps: np.ndarray, skewed: bool = True) -> np.ndarray:
    """Steps completed (a stair profile of ``steps``, footfalls counted continuously): each step's progress is made
    in the ``rise_share`` of the step after footfall (up) or around it (down: the footfall falls at ``rise_peak`` of
    that share, where the body sinks fastest, and the stance leg brakes the rest — weight acceptance), with the
    vertical speed peaking at ``rise_peak`` of it."""
    u = steps - 1.0 + (g.rise_share * g.rise_peak if g.riser < 0 else 0.0)
    n = np.floor(u)
    return n + _skewed_minimum_jerk(np.clip((u - n) / g.rise_share, 0.0, 1.0), g.rise_peak if skewed else 0.5)


def _stair_height(g: GaitSpec, steps: np.ndarray) -> np.ndarray:
    """Pelvis height change (m) over ``steps``: one riser per step, along :func:`_stair_steps` (evenly if
    ``rise_share`` is 0)."""
    if g.riser == 0.0 or g.rise_share <= 0.0:
        return g.riser * (steps - g.duty)
    stair = _stair_steps(g, steps)
    if g.stepwise >= 1.0:
        return g.riser * stair
    grid = np.linspace(0.0, 1.0, 256, endpoint=False)
    even = steps + float(np.mean(_stair_steps(g, grid) - grid))  # the same mean height, climbed at a constant rate
    return g.riser * (g.stepwise * stair + (1.0 - g.stepwise) * even)


def _spring_mass(ctx: Context, g: GaitSpec, ph: np.ndarray) -> np.ndarray:
    """Running pelvis height (m) relative to touchdown: spring-mass stance, ballistic flight.

    The leg is a spring, so the vertical ground force is zero at touchdown and take-off and peaks at mid-stance:
    specific force ``A·sin(πt/t_c)`` with ``A = (π/2)·g·t_step/t_c`` (the stance impulse carries the whole step's
    weight), 2.0-2.5 body weights at jogging and running duty factors like force plates measure, free fall
    (``z̈ = −g``) in flight. Touchdown and take-off at the same height and vertical speed ``∓g·t_f/2``.
    """
    step_t = 1.0 / g.cadence
    t_c = min(2.0 * g.duty * step_t, step_t)  # contact time of one foot
    t_f = step_t - t_c
    grav = 9.80665
    v0 = grav * t_f / 2.0
    amp = 0.5 * np.pi * grav * step_t / t_c
    tt = np.mod(2.0 * ph, 1.0) * step_t  # time since the last footfall (either foot)
    ts = np.minimum(tt, t_c)
    stance = (-v0 * ts + amp * t_c / np.pi * (ts - t_c / np.pi * np.sin(np.pi * ts / t_c)) - 0.5 * grav * ts ** 2)
    tf = tt - t_c
    flight = v0 * tf - 0.5 * grav * tf ** 2
    return np.where(tt < t_c, stance, flight)


def _upper_body(ctx: Context, ph: np.ndarray, arm_amp: float, elbow: float, elbow_amp: float, arm_offset: float,
                lean: float, rot_amp: float, obliq: float, duty: float, tilt_amp: float = 1.5
                ) -> tuple[dict[str, np.ndarray | float], PelvisFn]:
    """Arm swing against the legs, trunk counter-rotation, head; and the pelvis angles as a function of stride phase."""
    upper: dict[str, np.ndarray | float] = {}
    for side, off in (("r", 0.0), ("l", 0.5)):
        fr = np.mod(ph + off, 1.0)
        upper[f"shoulder_flex_{side}"] = -arm_amp * np.cos(2 * np.pi * fr) + arm_offset
        upper[f"shoulder_abd_{side}"] = 8.0
        upper[f"elbow_flex_{side}"] = elbow + elbow_amp * np.cos(2 * np.pi * (fr + 0.5))
    fr = np.mod(ph, 1.0)
    upper["thorax_rot"] = -1.2 * rot_amp * np.cos(2 * np.pi * fr)
    upper["lumbar_flex"] = 0.5 * lean + ctx.smooth_noise(1.0, 0.3)
    upper["thorax_flex"] = 0.3 * lean
    upper["neck_flex"] = 3.0 + ctx.smooth_noise(4.0, 0.2)
    upper["head_rot"] = ctx.smooth_noise(8.0, 0.15)
    upper.update(both("forearm_pron", 10.0))
    def pelvis(phv: np.ndarray) -> dict[str, np.ndarray]:
        frv = np.mod(phv, 1.0)
        return {"pelvis_rot": rot_amp * np.cos(2 * np.pi * frv),
                "pelvis_obliquity": -obliq * np.sin(2 * np.pi * (frv - duty / 2 + 0.25)),
                "pelvis_tilt": 0.2 * lean + 3.0 + tilt_amp * np.cos(4 * np.pi * (frv - duty / 2))}

    return upper, pelvis


def gait_program(ctx: Context, g: GaitSpec, arm_amp: float, elbow: float, elbow_amp: float, arm_offset: float,
                 lean: float, rot_amp: float, obliq: float) -> Program:
    """A complete gait: stride phase with slow tempo variation, upper body, legs by IK."""
    ph = ctx.phase(g.cadence / 2.0, wobble=0.02)
    tilt_amp = ctx.uniform(2.5, 4.5) if g.running else ctx.uniform(1.0, 2.5)
    upper, pelvis = _upper_body(ctx, ph, arm_amp, elbow, elbow_amp, arm_offset, lean, rot_amp, obliq, g.duty, tilt_amp)
    return build_gait(ctx, g, ph, upper, pelvis)


def _arm_form(ctx: Context, prog: Program) -> Program:
    """Walking arm variations: free swing, holding a phone in the working hand, hands in pockets, carrying a bag."""
    form = ctx.choice(["swinging arms"] * 6 + ["holding a phone", "hands in pockets", "carrying a bag"])
    s = ctx.side()
    if form == "carrying a bag":  # the loaded arm hangs nearly straight and barely swings
        prog.angles[f"shoulder_flex_{s}"] = 0.2 * prog.angles[f"shoulder_flex_{s}"] + ctx.smooth_noise(2.0, 0.8)
        prog.angles[f"elbow_flex_{s}"] = 8.0 + ctx.smooth_noise(2.0, 0.8)
        prog.angles[f"shoulder_abd_{s}"] = 12.0
    elif form == "holding a phone":
        prog.angles[f"shoulder_flex_{s}"] = 15.0 + ctx.smooth_noise(3.0, 0.5)
        prog.angles[f"elbow_flex_{s}"] = 85.0 + ctx.smooth_noise(5.0, 0.5)
        prog.angles[f"forearm_pron_{s}"] = 70.0
    elif form == "hands in pockets":
        for side in ("l", "r"):
            prog.angles[f"shoulder_flex_{side}"] = -8.0 + 0.2 * prog.angles[f"shoulder_flex_{side}"]
            prog.angles[f"elbow_flex_{side}"] = 35.0
            prog.angles[f"shoulder_abd_{side}"] = 14.0
    prog.params["form"] = form
    return prog


def _width(ctx: Context, lo: float, hi: float) -> float:
    return ctx.uniform(lo, hi) * ctx.h / 1.72


@generator("walking")
def walking(ctx: Context) -> Program:
    """Level walking, 1.6-2.1 steps/s; step length grows with cadence (about 0.65-0.8 m, 1.0-1.7 m/s)."""
    cad = ctx.tempo(1.6, 2.1)
    ls = ctx.h * 0.413 * (cad / 1.8) ** 0.8 * ctx.uniform(0.92, 1.08) * ctx.style.amplitude ** 0.5
    g = GaitSpec(cad, ls, duty=ctx.uniform(0.59, 0.63), land_ahead=ctx.uniform(0.5, 0.58),
                 heel_strike_deg=ctx.uniform(12, 20), toe_off_deg=-ctx.uniform(30, 40),
                 bounce=ctx.uniform(0.018, 0.026) * ls / 0.7, sway=ctx.uniform(0.015, 0.03),
                 step_width=_width(ctx, 0.05, 0.08), reach=0.995, soft=0.99, swing_peak=ctx.uniform(0.25, 0.35),
                 knee_peak=ctx.uniform(57, 67), hip_rot=ctx.uniform(4, 8), speed_swing=0.2)
    prog = gait_program(ctx, g, arm_amp=ctx.uniform(10, 22) * ctx.style.arm_swing, elbow=ctx.uniform(12, 25),
                        elbow_amp=6.0, arm_offset=2.0, lean=ctx.style.lean_deg, rot_amp=ctx.uniform(4, 8),
                        obliq=ctx.uniform(4, 7))
    prog.params["pace"] = "slow" if cad < 1.75 else "brisk" if cad > 1.95 else "normal"
    return _arm_form(ctx, prog)


@generator("jogging")
def jogging(ctx: Context) -> Program:
    """Jogging, 2.5-2.95 steps/s at about 2.2-3.2 m/s (steps 0.5-0.64 × height), short flight phases, elbows bent."""
    cad = ctx.tempo(2.5, 2.95)
    g = GaitSpec(cad, ctx.h * ctx.uniform(0.5, 0.64), duty=ctx.uniform(0.33, 0.39), land_ahead=ctx.uniform(0.22, 0.3),
                 heel_strike_deg=ctx.uniform(2, 12), toe_off_deg=-ctx.uniform(20, 30), flat_from=0.2, flat_until=0.45,
                 sway=ctx.uniform(0.01, 0.02), step_width=_width(ctx, 0.03, 0.06), running=True, reach=0.985, soft=0.98,
                 swing_peak=ctx.uniform(0.35, 0.45), knee_peak=ctx.uniform(85, 100), hip_overshoot=ctx.uniform(10, 18),
                 hip_rot=ctx.uniform(6, 12))
    return gait_program(ctx, g, arm_amp=ctx.uniform(15, 25) * ctx.style.arm_swing, elbow=ctx.uniform(70, 95),
                        elbow_amp=10.0, arm_offset=8.0, lean=ctx.style.lean_deg + ctx.uniform(3, 7),
                        rot_amp=ctx.uniform(6, 10), obliq=ctx.uniform(5, 8))


@generator("running")
def running(ctx: Context) -> Program:
    """Running, 2.7-3.3 steps/s at 3.3-5 m/s, flight phases, strong arm pumping."""
    cad = ctx.tempo(2.7, 3.3)
    g = GaitSpec(cad, ctx.h * ctx.uniform(0.66, 0.82), duty=ctx.uniform(0.3, 0.35), land_ahead=ctx.uniform(0.2, 0.28),
                 heel_strike_deg=ctx.uniform(0, 10), toe_off_deg=-ctx.uniform(35, 45), flat_from=0.2, flat_until=0.4,
                 sway=ctx.uniform(0.008, 0.015), step_width=_width(ctx, 0.02, 0.05), running=True, reach=0.985,
                 soft=0.98, swing_peak=ctx.uniform(0.4, 0.5), knee_peak=ctx.uniform(100, 120),
                 hip_overshoot=ctx.uniform(8, 15), hip_rot=ctx.uniform(6, 12))
    return gait_program(ctx, g, arm_amp=ctx.uniform(28, 40) * ctx.style.arm_swing, elbow=ctx.uniform(80, 100),
                        elbow_amp=15.0, arm_offset=10.0, lean=ctx.style.lean_deg + ctx.uniform(5, 10),
                        rot_amp=ctx.uniform(7, 12), obliq=ctx.uniform(6, 10))


@generator("stairs_up")
def stairs_up(ctx: Context) -> Program:
    """Climbing stairs step over step, 1.4-2.0 steps/s, risers 15-19 cm, treads 26-31 cm; 35-70 % of each riser
    climbed in a push after footfall, the rest at a constant rate (the body does not stop between steps)."""
    cad = ctx.tempo(1.4, 2.0)
    riser = ctx.uniform(0.15, 0.19)
    g = GaitSpec(cad, ctx.uniform(0.26, 0.31), duty=ctx.uniform(0.6, 0.66), land_ahead=ctx.uniform(0.7, 0.9),
                 heel_strike_deg=0.0, toe_off_deg=-ctx.uniform(15, 25), flat_from=0.0, flat_until=0.7,
                 clearance=ctx.uniform(0.05, 0.1), bounce=ctx.uniform(0.015, 0.025), sway=ctx.uniform(0.015, 0.03),
                 step_width=_width(ctx, 0.06, 0.09), riser=riser, reach=0.97, rise_share=ctx.uniform(0.7, 0.95),
                 surge=ctx.uniform(0.15, 0.4), stepwise=ctx.uniform(0.35, 0.7), rise_peak=0.4)
    prog = gait_program(ctx, g, arm_amp=ctx.uniform(6, 14), elbow=ctx.uniform(15, 30), elbow_amp=5.0,
                        arm_offset=3.0, lean=ctx.style.lean_deg + ctx.uniform(5, 12), rot_amp=ctx.uniform(5, 10),
                        obliq=ctx.uniform(5, 10))  # hip hiking: more pelvic rotation and obliquity than level walking
    if ctx.rng.random() < 0.4:  # holding the handrail
        s = ctx.choice(["l", "r"])
        prog.angles[f"shoulder_flex_{s}"] = 25.0 + ctx.smooth_noise(4.0, 0.5)
        prog.angles[f"shoulder_abd_{s}"] = 25.0
        prog.angles[f"elbow_flex_{s}"] = 45.0
        prog.params["form"] = "holding the handrail"
    prog.params["riser_m"] = round(riser, 3)
    return prog


@generator("stairs_down")
def stairs_down(ctx: Context) -> Program:
    """Walking down stairs step over step, 1.6-2.2 steps/s; lands on the forefoot, the stance knee lowers the body."""
    cad = ctx.tempo(1.6, 2.2)
    riser = ctx.uniform(0.15, 0.19)
    g = GaitSpec(cad, ctx.uniform(0.26, 0.31), duty=ctx.uniform(0.6, 0.66), land_ahead=ctx.uniform(0.35, 0.5),
                 heel_strike_deg=-ctx.uniform(15, 25), toe_off_deg=-ctx.uniform(5, 12), flat_from=0.25,
                 flat_until=0.85, clearance=ctx.uniform(0.06, 0.12), bounce=ctx.uniform(0.012, 0.02), sway=ctx.uniform(0.015, 0.03),
                 step_width=_width(ctx, 0.06, 0.09), riser=-riser, reach=0.97, rise_share=ctx.uniform(0.6, 0.9),
                 surge=ctx.uniform(0.15, 0.4), rise_peak=0.62, stepwise=0.6)
    prog = gait_program(ctx, g, arm_amp=ctx.uniform(6, 14), elbow=ctx.uniform(15, 30), elbow_amp=5.0, arm_offset=3.0,
                        lean=ctx.style.lean_deg + ctx.uniform(0, 4), rot_amp=ctx.uniform(5, 10), obliq=ctx.uniform(5, 10))
    prog.params["riser_m"] = round(riser, 3)
    return prog


@generator("high_knees")
def high_knees(ctx: Context) -> Program:
    """Running in place lifting the knees to hip height, 3.0-4.0 steps/s, on the forefoot, arms pumping."""
    cad = ctx.tempo(3.0, 4.0)
    g = GaitSpec(cad, ctx.uniform(0.0, 0.03), duty=ctx.uniform(0.36, 0.42), land_ahead=0.0,
                 heel_strike_deg=-ctx.uniform(15, 25), toe_off_deg=-ctx.uniform(25, 35), flat_from=0.0, flat_until=0.0,
                 clearance=ctx.h * ctx.uniform(0.2, 0.28) * ctx.style.amplitude, sway=0.01,
                 step_width=_width(ctx, 0.07, 0.1), running=True, reach=0.95)
    return gait_program(ctx, g, arm_amp=ctx.uniform(25, 40), elbow=ctx.uniform(85, 100), elbow_amp=10.0,
                        arm_offset=15.0, lean=ctx.style.lean_deg, rot_amp=ctx.uniform(3, 6), obliq=ctx.uniform(3, 6))
