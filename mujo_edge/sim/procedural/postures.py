"""Postures and posture transitions: standing, sitting, lying, sit-to-stand, stand-to-sit, cycling, waist bends.

Planted feet are solved by sagittal leg IK against an explicit pelvis path (:meth:`Context.leg_ik`), so
feet stay flat on the floor; lying lets the lowest body point rest on the floor.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.sim.kinematics import axis_angle, keyframes, qrot
from mujo_edge.sim.procedural.base import Contact, Context, Program, cycle, generator


def explicit_root(ctx: Context, y: np.ndarray, z: np.ndarray, yaw: float, x: np.ndarray | float = 0.0) -> np.ndarray:
    """Pelvis path given in the heading frame (x right, y forward, z up) → world ``(T, 3)``."""
    root = np.column_stack([np.broadcast_to(x, (ctx.n,)), y, z])
    return qrot(axis_angle((0.0, 0.0, 1.0), np.full(ctx.n, yaw)), root)


def relaxed_arms(ctx: Context, form: str | None = None) -> tuple[dict[str, np.ndarray | float], str]:
    """Arms of a person standing or sitting: hanging, holding a phone, crossed, in pockets, or gesturing."""
    form = form or ctx.choice(["arms hanging", "arms hanging", "holding a phone", "arms crossed", "hands in pockets",
                               "gesturing"])
    a: dict[str, np.ndarray | float] = {}
    s = ctx.side()
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"] = 3.0 + ctx.smooth_noise(2.0, 0.3)
        a[f"shoulder_abd_{side}"] = 6.0 + ctx.smooth_noise(1.5, 0.3)
        a[f"elbow_flex_{side}"] = 12.0 + ctx.smooth_noise(3.0, 0.3)
    if form == "holding a phone":
        a[f"shoulder_flex_{s}"] = 18.0 + ctx.smooth_noise(3.0, 0.4)
        a[f"elbow_flex_{s}"] = 95.0 + ctx.smooth_noise(6.0, 0.4)
        a[f"forearm_pron_{s}"] = 75.0
        a["neck_flex"] = 25.0 + ctx.smooth_noise(4.0, 0.3)
    elif form == "arms crossed":
        for side in ("l", "r"):
            a[f"shoulder_flex_{side}"] = 25.0 + ctx.smooth_noise(2.0, 0.3)
            a[f"elbow_flex_{side}"] = 115.0
            a[f"shoulder_rot_{side}"] = 45.0
    elif form == "hands in pockets":
        for side in ("l", "r"):
            a[f"shoulder_flex_{side}"] = -6.0
            a[f"elbow_flex_{side}"] = 35.0
            a[f"shoulder_abd_{side}"] = 14.0
    elif form == "gesturing":
        a[f"shoulder_flex_{s}"] = 20.0 + ctx.smooth_noise(15.0, 0.6)
        a[f"elbow_flex_{s}"] = 70.0 + ctx.smooth_noise(25.0, 0.6)
        a[f"shoulder_abd_{s}"] = 15.0 + ctx.smooth_noise(8.0, 0.6)
    return a, form


def _head(ctx: Context, a: dict) -> None:
    a.setdefault("neck_flex", 4.0 + ctx.smooth_noise(4.0, 0.2))
    a["head_rot"] = ctx.smooth_noise(12.0, 0.15)
    a["head_flex"] = ctx.smooth_noise(4.0, 0.2)


def standing_legs(ctx: Context) -> dict[str, np.ndarray | float]:
    """Quiet standing: ankle-strategy sway (about ±1°), slow weight shifts between the legs, soft knees."""
    shift = ctx.smooth_noise(2.0, 0.15) + ctx.smooth_noise(1.2, 0.8)
    knee = ctx.uniform(2, 8)
    a: dict[str, np.ndarray | float] = {}
    for side, sgn in (("l", -1.0), ("r", 1.0)):
        a[f"hip_abd_{side}"] = 2.0 + sgn * shift
        a[f"knee_flex_{side}"] = knee
        a[f"hip_flex_{side}"] = knee / 2
        a[f"ankle_flex_{side}"] = knee / 2
    sway = ctx.smooth_noise(0.8, 0.3) + ctx.smooth_noise(0.5, 1.0)
    a["ankle_flex_l"] = a["ankle_flex_l"] + sway
    a["ankle_flex_r"] = a["ankle_flex_r"] + sway
    a["ankle_inv_l"] = -(a["hip_abd_l"] - 2.0)
    a["ankle_inv_r"] = -(a["hip_abd_r"] - 2.0)
    return a


def feet_program(angles: dict, ctx: Context, params: dict, yaw: float | None = None) -> Program:
    """A program standing on both feet: the lowest foot point touches the floor, the feet do not slide."""
    return Program(angles, [Contact("foot_l"), Contact("foot_r")], anchors=("foot_l", "foot_r"),
                   yaw=ctx.uniform(-np.pi, np.pi) if yaw is None else yaw, params=params)


@generator("standing")
def standing(ctx: Context) -> Program:
    """Standing still: postural sway, weight shifts, looking around; arms hanging, crossed, holding a phone, ..."""
    a, form = relaxed_arms(ctx)
    a.update(standing_legs(ctx))
    a["lumbar_flex"] = ctx.style.lean_deg * 0.5 + ctx.smooth_noise(1.0, 0.2)
    a["thorax_rot"] = ctx.smooth_noise(3.0, 0.15)
    _head(ctx, a)
    return feet_program(a, ctx, {"form": form})


def sit_pose(ctx: Context) -> dict[str, float]:
    """Hip, knee and trunk angles of one sitting posture on a chair."""
    return {"hip": ctx.uniform(80, 100), "knee": ctx.uniform(75, 105), "tilt": ctx.uniform(-12, 8),
            "trunk": ctx.choice([ctx.uniform(-15, -5), ctx.uniform(0, 10), ctx.uniform(10, 30)])}


@generator("sitting")
def sitting(ctx: Context) -> Program:
    """Sitting on a chair: leaning back, upright or forward (desk); hands on the lap, typing or on a phone; fidgets."""
    p = sit_pose(ctx)
    form = ctx.choice(["hands on the lap", "typing", "holding a phone", "arms crossed", "hands on the lap"])
    a: dict[str, np.ndarray | float] = {"pelvis_tilt": p["tilt"] + ctx.smooth_noise(1.0, 0.2),
                                        "lumbar_flex": p["trunk"] * 0.6 + ctx.smooth_noise(2.0, 0.2),
                                        "thorax_flex": p["trunk"] * 0.4, "thorax_rot": ctx.smooth_noise(4.0, 0.15)}
    for side in ("l", "r"):  # legs move slowly; the seat carries the pelvis (hold_root)
        knee = p["knee"] + ctx.smooth_noise(2.0, 0.15) + ctx.smooth_noise(0.6, 0.6)
        hip = p["hip"] + p["tilt"] + ctx.smooth_noise(1.0, 0.15) + ctx.smooth_noise(0.4, 0.6)
        a[f"hip_flex_{side}"] = hip
        a[f"knee_flex_{side}"] = knee
        a[f"ankle_flex_{side}"] = knee - hip + p["tilt"] + ctx.smooth_noise(3.0, 0.3)
        a[f"hip_abd_{side}"] = ctx.uniform(3, 12)
    arms = {"hands on the lap": (35.0, 70.0, 5.0), "typing": (30.0, 85.0, 50.0), "holding a phone": (25.0, 105.0, 75.0),
            "arms crossed": (25.0, 115.0, 45.0)}[form]
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"] = arms[0] + ctx.smooth_noise(3.0, 0.4 if form == "typing" else 0.2)
        a[f"elbow_flex_{side}"] = arms[1] + ctx.smooth_noise(4.0, 1.5 if form == "typing" else 0.2)
        a[f"forearm_pron_{side}"] = arms[2]
        if form == "arms crossed":
            a[f"shoulder_rot_{side}"] = 45.0
    if form == "holding a phone":
        a["neck_flex"] = 25.0 + ctx.smooth_noise(4.0, 0.3)
    _head(ctx, a)
    return Program(a, [Contact("foot_l"), Contact("foot_r")], anchors=("buttock",), yaw=ctx.uniform(-np.pi, np.pi),
                   params={"form": form, "posture": "leaning back" if p["trunk"] < 0 else "upright" if p["trunk"] < 10
                           else "leaning forward"}, hold_root=True)


def _transition(ctx: Context, up: bool) -> Program:
    """Sit-to-stand (``up``) or stand-to-sit with feet planted: trunk flexion, seat-off / seat contact, upright."""
    p = sit_pose(ctx)
    p["trunk"] = min(p["trunk"], 8.0)
    # the whole movement as people label it (preparing, leaning, rising or lowering, settling): 1.8-3.5 s, around the
    # clip's middle, so most windows cut from a transition clip contain the transition rather than a still posture
    dur = min(ctx.uniform(1.8, 3.5) / ctx.style.tempo, 0.8 * ctx.t[-1])
    t0 = float(np.clip(0.5 * (ctx.t[-1] - dur) + ctx.uniform(-0.3, 0.3), 0.05, max(ctx.t[-1] - dur - 0.05, 0.05)))
    hip_y = -ctx.thigh * np.sin(np.radians(p["hip"])) * 0.97
    hip_z = ctx.ankle_height + ctx.shank * np.cos(np.radians(max(p["knee"] - 90, 0))) * 0.99
    hy, hz = ctx.hip_offset[1], ctx.hip_offset[2]
    seat = (hip_y - hy, hip_z - hz)
    stand = (-hy, ctx.standing_height() - 0.01)
    lean = ctx.uniform(25, 45)
    # the movement itself (trunk flexion, seat-off or seat contact, extension) is faster than the labelled span:
    # 1.2-2.0 s in healthy adults, the rest of the span is preparing and settling
    move = min(ctx.uniform(1.2, 2.0) / ctx.style.tempo, dur)
    m0 = t0 + (dur - move) * ctx.uniform(0.2, 0.7)
    if up:  # seated, lean forward, seat-off at peak lean, rise while straightening the trunk
        keys_t = [0.0, m0, m0 + 0.35 * move, m0 + move]
        ys, zs = [seat[0], seat[0], seat[0] + 0.05, stand[0]], [seat[1], seat[1], seat[1] + 0.01, stand[1]]
        tilt = [p["tilt"], p["tilt"], lean, 2.0]
        trunk = [p["trunk"], p["trunk"], 10.0, 2.0]
    else:  # stand, lean and lower under control, sit back and straighten
        keys_t = [0.0, m0, m0 + 0.7 * move, m0 + move]
        ys, zs = [stand[0], stand[0], seat[0] + 0.05, seat[0]], [stand[1], stand[1], seat[1] + 0.01, seat[1]]
        tilt = [2.0, 2.0, lean, p["tilt"]]
        trunk = [2.0, 2.0, 10.0, p["trunk"]]
    y = keyframes(keys_t, ys, ctx.t)
    z = keyframes(keys_t, zs, ctx.t)
    tl = keyframes(keys_t, tilt, ctx.t)
    a: dict[str, np.ndarray | float] = {"pelvis_tilt": tl, "lumbar_flex": keyframes(keys_t, trunk, ctx.t),
                                        "thorax_flex": 0.5 * keyframes(keys_t, trunk, ctx.t)}
    for side in ("l", "r"):
        a.update(ctx.leg_ik(side, y, z, tl))
    push = ctx.rng.random() < 0.4  # pushing off the thighs / armrests with the hands
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"] = (40.0 if push else 20.0) * np.clip(tl / lean, 0, 1) + 5.0
        a[f"elbow_flex_{side}"] = (60.0 if push else 20.0) + ctx.smooth_noise(3.0, 0.3)
    _head(ctx, a)
    yaw = ctx.uniform(-np.pi, np.pi)
    # transition_start_s / transition_s: where the movement lies in the motion's time (s); the corpus turns the
    # start into clip time, and per-sample labels (corpus realism) mark only that span as the transition
    return Program(a, root=explicit_root(ctx, y, z, yaw), yaw=yaw, smooth_hz=1e9,
                   params={"transition_start_s": round(t0, 3), "transition_s": round(dur, 3),
                           "form": "pushing off with the hands" if push else "hands free"})


@generator("sit_to_stand")
def sit_to_stand(ctx: Context) -> Program:
    """Getting up from a chair (1.8-3.5 s around the clip's middle), seated before and standing after."""
    return _transition(ctx, up=True)


@generator("stand_to_sit")
def stand_to_sit(ctx: Context) -> Program:
    """Sitting down on a chair (1.8-3.5 s around the clip's middle), standing before and seated after."""
    return _transition(ctx, up=False)


@generator("lying")
def lying(ctx: Context) -> Program:
    """Lying on the back, front or a side; breathing, small shifts of the limbs and head."""
    pose = ctx.choice(["on the back", "on the back", "on the front", "on the left side", "on the right side"])
    a: dict[str, np.ndarray | float] = {}
    breath = 1.2 * np.sin(2 * np.pi * ctx.uniform(0.2, 0.33) * ctx.t)
    a["thorax_flex"] = breath
    a["pelvis_rot"] = ctx.smooth_noise(1.5, 0.5)
    contacts = ["buttock", "back", "head", "foot_l", "foot_r", "hand_l", "hand_r"]
    if pose == "on the back":
        a["pelvis_tilt"] = -90.0 + ctx.smooth_noise(0.5, 0.1)
    elif pose == "on the front":
        a["pelvis_tilt"] = 90.0 + ctx.smooth_noise(0.5, 0.1)
        a["head_rot"] = ctx.choice([-70.0, 70.0])
        contacts = ["pelvis_front", "knee_l", "knee_r", "toe_l", "toe_r", "hand_l", "hand_r"]
    else:
        right = pose.endswith("right side")
        a["pelvis_obliquity"] = (90.0 if right else -90.0) + ctx.smooth_noise(1.0, 0.1)
        contacts = ["side_r" if right else "side_l", "knee_l", "knee_r", "head"]
        for side in ("l", "r"):
            a[f"hip_flex_{side}"] = ctx.uniform(20, 60)
            a[f"knee_flex_{side}"] = ctx.uniform(30, 80)
    for side in ("l", "r"):
        a.setdefault(f"hip_flex_{side}", ctx.uniform(0, 15) + ctx.smooth_noise(2.0, 0.1))
        a.setdefault(f"knee_flex_{side}", ctx.uniform(0, 25) + ctx.smooth_noise(2.0, 0.1))
        a[f"shoulder_flex_{side}"] = ctx.choice([ctx.uniform(0, 20), ctx.uniform(140, 170)]) + ctx.smooth_noise(3.0, 0.1)
        a[f"shoulder_abd_{side}"] = ctx.uniform(5, 40)
        a[f"elbow_flex_{side}"] = ctx.uniform(5, 90) + ctx.smooth_noise(5.0, 0.1)
        a[f"ankle_flex_{side}"] = -ctx.uniform(10, 30)
    a["neck_flex"] = ctx.uniform(-5, 15)
    return Program(a, [Contact(c) for c in contacts + ["body"]], anchors=("buttock",), yaw=ctx.uniform(-np.pi, np.pi),
                   params={"form": pose})


@generator("cycling")
def cycling(ctx: Context) -> Program:
    """Cycling, seated, 55-95 rpm; on the road (moving, road vibration) or a stationary bike."""
    rpm = ctx.tempo(55, 95)
    road = ctx.rng.random() < 0.6
    phase = 2 * np.pi * ctx.phase(rpm / 60.0, wobble=0.03)
    crank = ctx.uniform(0.165, 0.175)
    lean = ctx.uniform(15, 40) + ctx.style.lean_deg
    tilt = lean * 0.6
    leg = ctx.thigh + ctx.shank
    cy = ctx.uniform(0.05, 0.15)
    cz = -np.sqrt(max((ctx.uniform(0.9, 0.96) * leg) ** 2 - cy ** 2, 0.1)) + crank
    a: dict[str, np.ndarray | float] = {"pelvis_tilt": tilt, "lumbar_flex": lean * 0.25, "thorax_flex": lean * 0.15,
                                        "neck_flex": -lean * 0.5, "pelvis_obliquity": 1.5 * np.sin(phase)}
    for side, off in (("r", 0.0), ("l", np.pi)):
        ang = phase + off
        ankle_y = cy + crank * np.cos(ang)
        ankle_z = cz + crank * np.sin(ang)
        a.update(ctx.leg_ik(side, np.zeros(ctx.n), np.zeros(ctx.n), tilt, ankle_y, ankle_z,
                            foot_pitch_deg=10.0 * np.sin(ang + 0.5)))
        a[f"shoulder_flex_{side}"] = 90.0 - lean + ctx.uniform(-10, 10)
        a[f"elbow_flex_{side}"] = ctx.uniform(10, 30)
        a[f"shoulder_abd_{side}"] = ctx.uniform(8, 18)
    yaw = ctx.uniform(-np.pi, np.pi)
    speed = ctx.uniform(4.0, 8.0) if road else 0.0
    fwd = np.column_stack([-np.sin(yaw) * speed * ctx.t, np.cos(yaw) * speed * ctx.t])
    vib = ctx.band_noise(3e-4, 5.0, 25.0) if road else np.zeros(ctx.n)  # road vibration, ~1 m/s²
    bracket = ctx.uniform(0.26, 0.3)  # crank axle height above the road, m
    root = np.column_stack([fwd, np.full(ctx.n, bracket - cz) + vib])
    return Program(a, root=root, yaw=yaw, smooth_hz=1e9,
                   params={"cadence_rpm": round(rpm, 1), "form": "on the road" if road else "on a stationary bike",
                           "speed_mps": round(speed, 2)})


@generator("waist_bends")
def waist_bends(ctx: Context) -> Program:
    """Bending forward at the waist and coming back up, 2.5-4.5 s per repetition, arms reaching down."""
    period = 1.0 / ctx.tempo(1 / 4.5, 1 / 2.5)
    ph = ctx.phase(1.0 / period)
    depth = ctx.amp(55, 90)
    bend = cycle(ph, [(0.0, 0.0), (0.1, 0.0), (0.45, 1.0), (0.55, 1.0), (0.9, 0.0)])
    bend = bend * (1.0 + ctx.smooth_noise(0.05, 0.2))
    a = standing_legs(ctx)
    tilt = 0.55 * depth * bend
    a["pelvis_tilt"] = tilt
    a["hip_flex_l"] = a["hip_flex_l"] + tilt
    a["hip_flex_r"] = a["hip_flex_r"] + tilt
    a["lumbar_flex"] = 0.3 * depth * bend
    a["thorax_flex"] = 0.15 * depth * bend
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"] = 10.0 + 30.0 * bend
        a[f"elbow_flex_{side}"] = 10.0
    return feet_program(a, ctx, {"period_s": round(period, 2), "reps": round(ctx.t[-1] / period, 1),
                                 "depth_deg": round(depth, 1)})
