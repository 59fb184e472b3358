"""Whole-body fitness exercises: squats, lunges, jumping, jumping jacks, push-ups, plank, mountain climbers,
sit-ups and burpees.

Repetitions follow minimum-jerk keyframes on a slowly varying tempo; jumps leave the ground and fly
ballistically; floor exercises are solved so that hands (wrists) and toes both rest on the floor.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.sim.kinematics import keyframes, qconj, qrot
from mujo_edge.sim.procedural.base import Contact, Context, Program, both, cycle, generator, limb_ik, probe
from mujo_edge.sim.procedural.gait import stance_ankle
from mujo_edge.sim.procedural.postures import explicit_root, feet_program
from mujo_edge.sim.skeleton import JOINT_INDEX

J = JOINT_INDEX


def _reps(ctx: Context, lo_hz: float, hi_hz: float) -> tuple[np.ndarray, float]:
    """Repetition phase (cycles, ``(T,)``) and mean period (s) for a tempo in [lo_hz, hi_hz]."""
    f = ctx.tempo(lo_hz, hi_hz)
    return ctx.phase(f, wobble=0.04), 1.0 / f


def _rep_params(ctx: Context, period: float, **extra: object) -> dict:
    return {"period_s": round(period, 2), "reps": round(ctx.t[-1] / period, 1), **extra}


@generator("squats")
def squats(ctx: Context) -> Program:
    """Bodyweight or weighted squats, 1.8-3.3 s per rep, half to deep, with one of several arm positions."""
    ph, period = _reps(ctx, 0.3, 0.55)
    depth = ctx.choice(["half", "parallel", "parallel", "deep"])
    drop = {"half": 0.22, "parallel": 0.36, "deep": 0.45}[depth] * (ctx.thigh + ctx.shank) * ctx.style.amplitude
    s = cycle(ph, [(0.0, 0.0), (0.08, 0.0), (0.45, 1.0), (0.52, 1.0), (0.92, 0.0)]) * (1 + ctx.smooth_noise(0.04, 0.3))
    lean = ctx.uniform(25, 45)
    tilt = lean * s
    y = -ctx.hip_offset[1] - 0.5 * drop * s
    z = ctx.standing_height() - 0.01 - drop * s
    a: dict = {"pelvis_tilt": tilt, "lumbar_flex": 0.2 * lean * s, "neck_flex": -0.3 * lean * s}
    for side in ("l", "r"):
        a.update(ctx.leg_ik(side, y, z, tilt))
    form = ctx.choice(["arms forward", "hands on hips", "hands behind head", "holding dumbbells", "goblet"])
    arms = {"arms forward": (5 + 80 * s, 5.0, 5.0, 0.0), "hands on hips": (5.0, 40.0, 100.0, -20.0),
            "hands behind head": (25.0, 100.0, 140.0, -40.0), "holding dumbbells": (3.0 + 10 * s, 8.0, 10.0, 0.0),
            "goblet": (35.0 + 10 * s, 10.0, 140.0, 20.0)}[form]
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"], a[f"shoulder_abd_{side}"], a[f"elbow_flex_{side}"], a[f"shoulder_rot_{side}"] = arms
    return feet_program(a, ctx, _rep_params(ctx, period, depth=depth, form=form))


@generator("lunges")
def lunges(ctx: Context) -> Program:
    """Alternating forward lunges: step forward 0.6-0.9 m, lower the back knee towards the floor, push back."""
    ph, period = _reps(ctx, 0.28, 0.45)
    length = ctx.uniform(0.6, 0.9) * ctx.h / 1.72
    drop = ctx.uniform(0.3, 0.42) * ctx.style.amplitude * ctx.h / 1.72
    u = np.mod(ph, 1.0)
    step = cycle(ph, [(0.0, 0.0), (0.08, 0.0), (0.3, 1.0), (0.6, 1.0), (0.85, 0.0)])
    down = cycle(ph, [(0.0, 0.0), (0.25, 0.0), (0.45, 1.0), (0.52, 1.0), (0.7, 0.0)])
    lift = np.where((u > 0.08) & (u < 0.3), np.sin(np.pi * (u - 0.08) / 0.22), 0.0) + \
        np.where((u > 0.6) & (u < 0.85), np.sin(np.pi * (u - 0.6) / 0.25), 0.0)
    front_is_right = (np.floor(ph) % 2 == 0) == (ctx.side() == "r")
    y = -ctx.hip_offset[1] + 0.45 * length * step
    z = ctx.standing_height() - 0.01 - drop * down - 0.02 * step
    tilt = 5.0 * down
    a: dict = {"pelvis_tilt": tilt, "lumbar_flex": -3.0 * down}
    w = abs(ctx.hip_offset[0])
    for side in ("l", "r"):
        front = front_is_right if side == "r" else ~front_is_right
        lat = w if side == "r" else -w
        back_pitch = -45.0 * step
        back = stance_ankle(ctx, np.column_stack([np.full(ctx.n, lat), np.zeros(ctx.n)]), np.zeros(ctx.n), back_pitch)
        fr = np.column_stack([np.full(ctx.n, lat), length * step, ctx.ankle_height + 0.06 * lift])
        target = np.where(front[:, None], fr, back)
        pitch = np.where(front, 0.0, back_pitch)
        a.update(ctx.leg_ik(side, y, z, tilt, ankle_y=target[:, 1], ankle_z=target[:, 2], foot_pitch_deg=pitch))
    hands = ctx.choice(["hands on hips", "arms hanging", "holding dumbbells"])
    for side in ("l", "r"):
        a[f"shoulder_flex_{side}"] = 5.0 if hands != "hands on hips" else 0.0
        a[f"shoulder_abd_{side}"] = 40.0 if hands == "hands on hips" else 8.0
        a[f"elbow_flex_{side}"] = 100.0 if hands == "hands on hips" else 10.0
    yaw = ctx.uniform(-np.pi, np.pi)
    return Program(a, root=explicit_root(ctx, y, z, yaw), yaw=yaw, smooth_hz=1e9,
                   params=_rep_params(ctx, period, form=hands, step_m=round(length, 2)))


def _jump_keys(ctx: Context, flight: float, dip: float) -> tuple[list[float], dict[str, list[float]], float, float]:
    """Keyframes (seconds) of one jump: stand, dip, push-off, flight, landing, recovery."""
    t = np.cumsum([0.0, 0.45, 0.22, flight, 0.22, 0.45])
    keys = {
        "hip": [0, 60 * dip, 0, 15, 45 * dip, 0], "knee": [0, 75 * dip, 5, 20, 55 * dip, 0],
        "ankle": [0, 25 * dip, -30, -20, 20 * dip, 0], "tilt": [0, 30 * dip, 5, 5, 25 * dip, 0],
        "arm": [5, -40, 150, 120, 40, 5], "elbow": [10, 15, 10, 20, 30, 10],
    }
    return list(t), keys, float(t[2]), float(t[3])


@generator("jumping")
def jumping(ctx: Context) -> Program:
    """Jumps: countermovement jumps in place or forward (0.15-0.4 m high), or continuous small hops."""
    form = ctx.choice(["vertical jumps", "forward jumps", "small hops", "hops forward and back"])
    if form in ("small hops", "hops forward and back"):
        ph, period = _reps(ctx, 1.7, 2.3)
        u = np.mod(ph, 1.0)
        flight = ctx.uniform(0.4, 0.55)  # share of the hop cycle in the air
        air = u > 1 - flight
        sq = cycle(ph, [(0.0, 0.0), (0.15, 1.0), (0.35, 0.2), (1 - flight, 0.0), (0.95, 0.3)])
        a = {**both("hip_flex", 5 + 18 * sq), **both("knee_flex", 8 + 30 * sq), **both("ankle_flex", -25 + 30 * sq),
             **both("shoulder_flex", 10.0), **both("elbow_flex", 70.0 + 10 * sq), "pelvis_tilt": 5 * sq}
        masks = ~air
        extra = None
        if form == "hops forward and back":
            dirn = np.where(np.floor(ph) % 2 == 0, 1.0, -1.0)
            s = np.clip((u - (1 - flight)) / flight, 0, 1)
            hop = 0.2 * (np.floor(ph) % 2 + dirn * (3 * s ** 2 - 2 * s ** 3) * (u > 1 - flight))
            yaw = ctx.uniform(-np.pi, np.pi)
            extra = np.column_stack([-np.sin(yaw) * hop, np.cos(yaw) * hop])
            return Program(a, [Contact("foot_l", masks), Contact("foot_r", masks)], anchors=("foot_l", "foot_r"),
                           yaw=yaw, extra_xy=extra, smooth_hz=10.0, params=_rep_params(ctx, period, form=form))
        return Program(a, [Contact("foot_l", masks), Contact("foot_r", masks)], anchors=("foot_l", "foot_r"),
                       in_place=True, yaw=ctx.uniform(-np.pi, np.pi), smooth_hz=10.0,
                       params=_rep_params(ctx, period, form=form))
    height = ctx.uniform(0.15, 0.4) * ctx.style.amplitude
    flight = 2 * np.sqrt(2 * height / 9.80665)
    times, keys, t_off, t_land = _jump_keys(ctx, flight, ctx.uniform(0.7, 1.1))
    period = times[-1] + ctx.uniform(0.3, 1.2)
    ph = ctx.phase(1.0 / period, wobble=0.02)
    tau = np.mod(ph, 1.0) * period
    a: dict = {}
    for side in ("l", "r"):
        a[f"hip_flex_{side}"] = keyframes(times, keys["hip"], tau)
        a[f"knee_flex_{side}"] = keyframes(times, keys["knee"], tau)
        a[f"ankle_flex_{side}"] = keyframes(times, keys["ankle"], tau)
        a[f"shoulder_flex_{side}"] = keyframes(times, keys["arm"], tau)
        a[f"elbow_flex_{side}"] = keyframes(times, keys["elbow"], tau)
    a["pelvis_tilt"] = keyframes(times, keys["tilt"], tau)
    air = (tau > t_off) & (tau < t_land)
    yaw = ctx.uniform(-np.pi, np.pi)
    extra = None
    if form == "forward jumps":
        dist = ctx.uniform(0.5, 1.3)
        s = np.clip((tau - t_off + 0.1) / (t_land - t_off + 0.2), 0, 1)
        hop = dist * (np.floor(ph) + 3 * s ** 2 - 2 * s ** 3)
        extra = np.column_stack([-np.sin(yaw) * hop, np.cos(yaw) * hop])
    return Program(a, [Contact("foot_l", ~air), Contact("foot_r", ~air)], anchors=("foot_l", "foot_r"), yaw=yaw,
                   extra_xy=extra, smooth_hz=20.0,
                   params=_rep_params(ctx, period, form=form, jump_height_m=round(height, 2)))


@generator("jumping_jacks")
def jumping_jacks(ctx: Context) -> Program:
    """Jumping jacks, 0.65-1.0 s per jack: hop out with arms overhead, hop back in with arms down."""
    ph, period = _reps(ctx, 1.0, 1.5)
    flight = min(ctx.uniform(0.12, 0.2) / period, 0.2)
    u = np.mod(ph, 1.0)
    air = ((u > 0.1) & (u < 0.1 + flight)) | ((u > 0.6) & (u < 0.6 + flight))
    out = cycle(ph, [(0.0, 0.0), (0.1, 0.0), (0.1 + flight + 0.05, 1.0), (0.6, 1.0), (0.6 + flight + 0.05, 0.0)])
    up = cycle(ph, [(0.0, 0.0), (0.05, 0.0), (0.45, 1.0), (0.55, 1.0), (0.95, 0.0)])  # arms: smooth, unhurried
    land = np.exp(-(((u - 0.1 - flight - 0.06) % 0.5) / 0.07) ** 2)
    arms = ctx.amp(130, 165)
    a: dict = {}
    for side in ("l", "r"):
        a[f"shoulder_abd_{side}"] = 8 + arms * up
        a[f"elbow_flex_{side}"] = 10 + 15 * up
        a[f"hip_abd_{side}"] = 2 + ctx.uniform(12, 20) * out
        a[f"knee_flex_{side}"] = 6 + 22 * land
        a[f"hip_flex_{side}"] = 3 + 12 * land
        a[f"ankle_flex_{side}"] = 8 * land - 28 * np.exp(-(((u - 0.1 - flight / 2 + 0.25) % 0.5 - 0.25) / (0.6 * flight)) ** 2)
        a[f"ankle_inv_{side}"] = -a[f"hip_abd_{side}"] + 2
    return Program(a, [Contact("foot_l", ~air), Contact("foot_r", ~air)], anchors=("foot_l", "foot_r"),
                   yaw=ctx.uniform(-np.pi, np.pi), smooth_hz=20.0, params=_rep_params(ctx, period))


# ------------------------------------------------------------------------------------------------ floor work
def _floor_ref(pos: np.ndarray, knees: bool) -> tuple[np.ndarray, np.ndarray]:
    """Floor height ``(T,)`` and floor support point ``(T, 3)`` of a prone body resting on toes or knees."""
    if knees:
        mid = 0.5 * (pos[:, J["knee_l"]] + pos[:, J["knee_r"]])
        return mid[:, 2] - 0.05, mid
    mid = 0.5 * (pos[:, J["toe_l"]] + pos[:, J["toe_r"]])
    return np.minimum(pos[:, J["toe_l"], 2], pos[:, J["toe_r"], 2]), mid


def _incline_for(ctx: Context, base: dict, arm_fn, target: str, clearance: float, knees: bool = False) -> float:
    """Body incline θ (deg above horizontal) at which ``target`` is ``clearance`` above the floor (toes or knees)."""
    grid = np.linspace(2.0, 70.0, ctx.n)
    a = {k: np.full(ctx.n, float(np.mean(v))) for k, v in base.items()}
    a["pelvis_tilt"] = 90.0 - grid
    a.update(arm_fn(grid))
    pos, _ = probe(ctx, a)
    floor, _ = _floor_ref(pos, knees)
    gap = pos[:, J[target], 2] - floor - clearance
    return float(grid[np.argmin(np.abs(gap))])


def _straight_arms(theta: np.ndarray) -> dict:
    # arm perpendicular to the floor, hand bent up by 85° so the palm lies flat pointing forward
    return {**both("shoulder_flex", 90.0 - theta), **both("elbow_flex", 0.0), **both("wrist_flex", 85.0)}


def _forearm_arms(theta: np.ndarray) -> dict:
    return {**both("shoulder_flex", 90.0 - theta), **both("elbow_flex", 90.0), **both("wrist_flex", 0.0)}


def _arm_ik(ctx: Context, a: dict, hand: np.ndarray, knees: bool) -> dict:
    """Arm angles putting each wrist at ``floor support point + (±hand[0], hand[1], hand[2])`` (probe frame)."""
    pos, rot = probe(ctx, a)
    floor, mid = _floor_ref(pos, knees)
    out = {}
    for side, sgn in (("l", -1.0), ("r", 1.0)):
        target = np.column_stack([mid[:, 0] + sgn * hand[0], mid[:, 1] + hand[1], floor + hand[2]])
        v = qrot(qconj(rot[:, J["chest"]]), target - pos[:, J[f"shoulder_{side}"]])
        f, yang, d, _ = limb_ik(v, ctx.upper_arm, ctx.forearm, distal_forward=True)
        out.update({f"shoulder_flex_{side}": np.degrees(f), f"shoulder_abd_{side}": np.degrees(-sgn * yang),
                    f"elbow_flex_{side}": np.degrees(d), f"wrist_flex_{side}": 85.0})
    return out


def _plank_base(knees: bool = False) -> dict:
    return {**both("ankle_flex", -15.0), **both("hip_flex", 0.0), **both("knee_flex", 90.0 if knees else 0.0),
            **both("hip_abd", 3.0), "neck_flex": -20.0}


def _hands_under_shoulders(ctx: Context, a: dict, top_frame: int, knees: bool, width: float) -> np.ndarray:
    pos, _ = probe(ctx, a)
    _, mid = _floor_ref(pos, knees)
    off = pos[top_frame, J["shoulder_r"]] - mid[top_frame]
    return np.array([abs(off[0]) + width, off[1], 0.03])


def _floor_contacts(knees: bool, arms: str = "wrist") -> list[Contact]:
    legs = ["knee_l", "knee_r"] if knees else ["toe_l", "toe_r"]
    return [Contact(c) for c in legs + [f"{arms}_l", f"{arms}_r"]]


@generator("push_ups")
def push_ups(ctx: Context) -> Program:
    """Push-ups (or knee push-ups), 1.3-2.5 s per rep: the body pivots on the toes, the hands stay on the floor."""
    ph, period = _reps(ctx, 0.4, 0.75)
    knees = ctx.rng.random() < 0.2
    base = _plank_base(knees)
    top = _incline_for(ctx, base, _straight_arms, "wrist_r", 0.03, knees)
    bottom = top * ctx.uniform(0.25, 0.45)
    s = cycle(ph, [(0.0, 0.0), (0.1, 0.0), (0.5, 1.0), (0.55, 1.0), (0.9, 0.0)])
    theta = top - (top - bottom) * s
    a: dict = {k: np.full(ctx.n, v) for k, v in base.items()}
    a["pelvis_tilt"] = 90.0 - theta + ctx.smooth_noise(0.8, 0.3)
    top_frame = int(np.argmin(s))
    hand = _hands_under_shoulders(ctx, {**a, **_straight_arms(theta)}, top_frame, knees, ctx.uniform(0.03, 0.12))
    a.update(_arm_ik(ctx, a, hand, knees))
    return Program(a, _floor_contacts(knees), anchors=("wrist_l", "wrist_r"), yaw=ctx.uniform(-np.pi, np.pi),
                   params=_rep_params(ctx, period, form="on the knees" if knees else "full push-ups"))


@generator("plank")
def plank(ctx: Context) -> Program:
    """Holding a plank on straight arms or forearms: breathing, small sway and trembling."""
    forearm = ctx.rng.random() < 0.6
    base = _plank_base()
    arm_fn = _forearm_arms if forearm else _straight_arms
    theta = _incline_for(ctx, base, arm_fn, "elbow_r" if forearm else "wrist_r", 0.04 if forearm else 0.03)
    a: dict = {k: np.full(ctx.n, v) for k, v in base.items()}
    a["pelvis_tilt"] = 90.0 - theta + ctx.smooth_noise(0.7, 0.3) + ctx.band_noise(0.02, 4.0, 10.0)
    sag = ctx.uniform(-6, 6)
    a["hip_flex_l"] = a["hip_flex_r"] = sag + ctx.smooth_noise(1.0, 0.2)
    a["lumbar_flex"] = -0.5 * sag + 0.8 * np.sin(2 * np.pi * ctx.uniform(0.2, 0.35) * ctx.t)
    a.update(arm_fn(np.full(ctx.n, theta)))
    return Program(a, _floor_contacts(False, "forearm" if forearm else "wrist"),
                   anchors=("toe_l", "toe_r"), yaw=ctx.uniform(-np.pi, np.pi),
                   params={"form": "on the forearms" if forearm else "on straight arms"})


@generator("mountain_climbers")
def mountain_climbers(ctx: Context) -> Program:
    """Mountain climbers: from a high plank, drive the knees to the chest in turn, 2-3.2 steps/s."""
    ph, period = _reps(ctx, 1.0, 1.6)  # one cycle = both legs
    base = _plank_base()
    theta = _incline_for(ctx, base, _straight_arms, "wrist_r", 0.03)
    a: dict = {k: np.full(ctx.n, v) for k, v in base.items()}
    drive = ctx.amp(55, 80)
    ext = {}
    for side, off in (("r", 0.0), ("l", 0.5)):
        k = cycle(ph + off, [(0.0, 0.0), (0.04, 0.0), (0.24, 1.0), (0.3, 1.0), (0.47, 0.0)])
        a[f"hip_flex_{side}"] = drive * k
        a[f"knee_flex_{side}"] = 110.0 * (1 - (1 - k) ** 3)  # the knee leads: the foot leaves the floor first
        a[f"ankle_flex_{side}"] = -15.0 - 25.0 * k
        ext[side] = k < 1e-3
    a["pelvis_tilt"] = np.full(ctx.n, 90.0 - theta)
    a.update(_straight_arms(np.full(ctx.n, theta)))
    contacts = [Contact("toe_l", ext["l"]), Contact("toe_r", ext["r"]), Contact("wrist_l"), Contact("wrist_r")]
    return Program(a, contacts, anchors=("wrist_l", "wrist_r"), yaw=ctx.uniform(-np.pi, np.pi), smooth_hz=15.0,
                   params=_rep_params(ctx, period / 2, form="alternating knee drives"))


@generator("sit_ups")
def sit_ups(ctx: Context) -> Program:
    """Sit-ups or crunches on the back with knees bent and feet on the floor, 1.8-4 s per rep."""
    ph, period = _reps(ctx, 0.25, 0.55)
    form = ctx.choice(["sit-ups", "crunches"])
    arms = ctx.choice(["arms crossed on the chest", "hands behind the head", "arms reaching forward"])
    s = cycle(ph, [(0.0, 0.0), (0.1, 0.0), (0.45, 1.0), (0.55, 1.0), (0.92, 0.0)]) * (1 + ctx.smooth_noise(0.04, 0.3))
    rise = (ctx.amp(35, 50) if form == "sit-ups" else 0.0) * s
    curl = (ctx.amp(25, 40) if form == "sit-ups" else ctx.amp(20, 35)) * s
    tau = -90.0 + rise
    hip0, knee = ctx.uniform(40, 60), ctx.uniform(80, 100)
    a: dict = {"pelvis_tilt": tau, "lumbar_flex": 0.5 * curl, "thorax_flex": 0.5 * curl, "neck_flex": 15 + 0.6 * curl}
    for side in ("l", "r"):
        hip = hip0 + rise
        a[f"hip_flex_{side}"] = hip
        a[f"knee_flex_{side}"] = knee
        a[f"ankle_flex_{side}"] = tau - hip + knee
        a[f"hip_abd_{side}"] = 5.0
        if arms == "arms crossed on the chest":
            a.update({f"shoulder_flex_{side}": 30.0, f"elbow_flex_{side}": 125.0, f"shoulder_rot_{side}": 55.0})
        elif arms == "hands behind the head":
            a.update({f"shoulder_flex_{side}": 40.0, f"shoulder_abd_{side}": 110.0, f"elbow_flex_{side}": 140.0})
        else:
            a.update({f"shoulder_flex_{side}": 40.0 + 40.0 * s, f"elbow_flex_{side}": 5.0})
    contacts = [Contact(c) for c in ("buttock", "back", "head", "foot_l", "foot_r")]
    return Program(a, contacts, anchors=("buttock",), yaw=ctx.uniform(-np.pi, np.pi),
                   params=_rep_params(ctx, period, form=f"{form}, {arms}"))


@generator("burpees")
def burpees(ctx: Context) -> Program:
    """Burpees, 2.8-4.5 s each: squat, hands down, jump back to a plank, jump in, jump up with arms overhead."""
    base = _plank_base()
    theta = _incline_for(ctx, base, _straight_arms, "wrist_r", 0.03)
    flight = ctx.uniform(0.25, 0.45)
    sp = 1.0 / ctx.style.tempo * ctx.uniform(0.85, 1.15)
    t = list(np.cumsum([0.0, 0.45 * sp, 0.35 * sp, 0.4 * sp, 0.35 * sp, 0.3 * sp, 0.2 * sp, flight, 0.25 * sp]))
    # keys: stand, squat+hands down, plank, plank (hold), squat (jump in), extend (take-off), air, land
    v = {
        "tilt": [0, 50, 90 - theta, 90 - theta, 50, 5, 5, 20, 0],
        "hip": [0, 115, 0, 0, 115, 0, 10, 40, 0], "knee": [0, 120, 0, 0, 120, 5, 20, 45, 0],
        "ankle": [0, 25, -15, -15, 25, -30, -20, 15, 0], "arm": [5, 75, 90 - theta, 90 - theta, 75, 170, 170, 40, 5],
        "elbow": [10, 10, 0, 0, 10, 10, 10, 20, 10], "wrist": [0, 70, 85, 85, 70, 0, 0, 0, 0],
    }
    period = t[-1] + ctx.uniform(0.2, 0.8)
    ph = ctx.phase(1.0 / period, wobble=0.02)
    tau = np.mod(ph, 1.0) * period
    a: dict = {"pelvis_tilt": keyframes(t, v["tilt"], tau), "neck_flex": -0.2 * keyframes(t, v["tilt"], tau)}
    for side in ("l", "r"):
        for name, key in (("hip_flex", "hip"), ("knee_flex", "knee"), ("ankle_flex", "ankle"),
                          ("shoulder_flex", "arm"), ("elbow_flex", "elbow"), ("wrist_flex", "wrist")):
            a[f"{name}_{side}"] = keyframes(t, v[key], tau)
    air = (tau > t[6]) & (tau < t[7])
    hands = (tau > t[1] - 0.05) & (tau < t[4] + 0.05)
    contacts = [Contact("foot_l", ~air), Contact("foot_r", ~air)]
    anchors = (("foot_l", ~hands), ("foot_r", ~hands), ("hand_l", hands), ("hand_r", hands))
    return Program(a, contacts, anchors=anchors, yaw=ctx.uniform(-np.pi, np.pi), smooth_hz=15.0,
                   params=_rep_params(ctx, period, form="with a jump"))
