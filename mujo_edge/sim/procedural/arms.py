"""Arm exercises with dumbbells: bicep curls, shoulder press, lateral raises, front raises, triceps extensions
and dumbbell rows. The body stands (or sits) with quiet-standing sway; one or both arms work."""

from __future__ import annotations

import numpy as np

from mujo_edge.sim.procedural.base import Contact, Context, Program, cycle, generator
from mujo_edge.sim.procedural.exercises import _rep_params, _reps
from mujo_edge.sim.procedural.postures import feet_program, sit_pose, standing_legs

#: Rep shape: rest, lift (concentric), hold, lower (eccentric).
REP = [(0.0, 0.0), (0.08, 0.0), (0.4, 1.0), (0.48, 1.0), (0.92, 0.0)]


def _working(ctx: Context, allow_alternate: bool = True) -> tuple[str, dict[str, float]]:
    """Which arms work: both together, alternating, or the working arm only; returns form and phase offsets."""
    options = ["both arms", "alternating arms", "one arm"] if allow_alternate else ["both arms", "one arm"]
    form = ctx.choice(options)
    s = ctx.side()
    if form == "both arms":
        return form, {"l": 0.0, "r": 0.0}
    if form == "alternating arms":
        return form, {"l": 0.5, "r": 0.0}
    return f"{'left' if s == 'l' else 'right'} arm", {s: 0.0}


def _base(ctx: Context, seated: bool) -> tuple[dict, list[Contact], tuple]:
    """Lower body and trunk of an arm exercise: standing with sway, or sitting on a bench."""
    if not seated:
        a = standing_legs(ctx)
        a["lumbar_flex"] = ctx.style.lean_deg * 0.5 + ctx.smooth_noise(1.0, 0.3)
        return a, [Contact("foot_l"), Contact("foot_r")], ("foot_l", "foot_r")
    p = sit_pose(ctx)
    a: dict = {"pelvis_tilt": 0.0 + ctx.smooth_noise(1.0, 0.2), "lumbar_flex": ctx.smooth_noise(1.0, 0.3)}
    for side in ("l", "r"):
        a[f"hip_flex_{side}"] = p["hip"]
        a[f"knee_flex_{side}"] = p["knee"]
        a[f"ankle_flex_{side}"] = p["knee"] - p["hip"]
        a[f"hip_abd_{side}"] = ctx.uniform(8, 20)
    return a, [Contact("foot_l"), Contact("foot_r")], ("buttock",)


def _arm_program(ctx: Context, lo_hz: float, hi_hz: float, seated_p: float, arm_fn, allow_alternate: bool = True,
                 name: str = "") -> Program:
    ph, period = _reps(ctx, lo_hz, hi_hz)
    seated = ctx.rng.random() < seated_p
    a, contacts, anchors = _base(ctx, seated)
    form, offsets = _working(ctx, allow_alternate)
    amp = 1.0 + ctx.smooth_noise(0.05, 0.3)
    for side in ("l", "r"):
        s = cycle(ph + offsets[side], REP) * amp if side in offsets else np.zeros(ctx.n)
        a.update(arm_fn(side, s, side in offsets))
    a["neck_flex"] = 3.0 + ctx.smooth_noise(3.0, 0.2)
    a["head_rot"] = ctx.smooth_noise(6.0, 0.15)
    params = _rep_params(ctx, period, form=form + (", seated" if seated else ", standing"))
    return Program(a, contacts, anchors=anchors, yaw=ctx.uniform(-np.pi, np.pi), params=params)


@generator("bicep_curls")
def bicep_curls(ctx: Context) -> Program:
    """Dumbbell bicep curls (supinated or hammer grip), 1.8-3.5 s per rep, elbows at the sides."""
    top = ctx.amp(120, 145)
    hammer = ctx.rng.random() < 0.3

    def arm(side: str, s: np.ndarray, working: bool) -> dict:
        return {f"elbow_flex_{side}": 10 + top * s if working else 10.0, f"shoulder_flex_{side}": 2 + 12 * s,
                f"forearm_pron_{side}": 0.0 if hammer else -70.0, f"shoulder_abd_{side}": 6.0}

    return _arm_program(ctx, 0.28, 0.55, 0.3, arm)


@generator("shoulder_press")
def shoulder_press(ctx: Context) -> Program:
    """Dumbbell shoulder press from ear height to overhead, 1.8-3.3 s per rep, seated or standing."""
    top = ctx.amp(150, 170)

    def arm(side: str, s: np.ndarray, working: bool) -> dict:
        if not working:
            return {f"shoulder_abd_{side}": 80.0, f"elbow_flex_{side}": 95.0, f"shoulder_rot_{side}": -80.0}
        return {f"shoulder_abd_{side}": 80 + (top - 80) * s, f"elbow_flex_{side}": 95 - 85 * s,
                f"shoulder_rot_{side}": -80 + 30 * s, f"shoulder_flex_{side}": 10.0 * s}

    return _arm_program(ctx, 0.3, 0.55, 0.5, arm)


@generator("lateral_raises")
def lateral_raises(ctx: Context) -> Program:
    """Lateral raises: arms lifted sideways to shoulder height with soft elbows, 2-3.5 s per rep."""
    top = ctx.amp(75, 95)

    def arm(side: str, s: np.ndarray, working: bool) -> dict:
        return {f"shoulder_abd_{side}": 8 + top * s if working else 8.0, f"elbow_flex_{side}": 15.0,
                f"shoulder_rot_{side}": 10.0, f"shoulder_flex_{side}": 8.0}

    return _arm_program(ctx, 0.28, 0.5, 0.2, arm, allow_alternate=False)


@generator("front_raises")
def front_raises(ctx: Context) -> Program:
    """Front raises: straight arms lifted forward to shoulder height, 2-3.5 s per rep."""
    top = ctx.amp(80, 100)

    def arm(side: str, s: np.ndarray, working: bool) -> dict:
        return {f"shoulder_flex_{side}": 5 + top * s if working else 5.0, f"elbow_flex_{side}": 8.0,
                f"forearm_pron_{side}": 80.0, f"shoulder_abd_{side}": 8.0}

    return _arm_program(ctx, 0.28, 0.5, 0.2, arm)


@generator("triceps_extensions")
def triceps_extensions(ctx: Context) -> Program:
    """Overhead triceps extensions: upper arm vertical, the forearm lowers behind the head and extends, 2-3.3 s."""
    low = ctx.amp(120, 150)

    def arm(side: str, s: np.ndarray, working: bool) -> dict:
        if not working:
            return {f"elbow_flex_{side}": 10.0, f"shoulder_abd_{side}": 8.0}
        return {f"shoulder_flex_{side}": 165.0, f"shoulder_abd_{side}": 10.0, f"elbow_flex_{side}": low - (low - 15) * s}

    return _arm_program(ctx, 0.3, 0.5, 0.4, arm, allow_alternate=False)


@generator("dumbbell_rows")
def dumbbell_rows(ctx: Context) -> Program:
    """Bent-over dumbbell rows: trunk bent forward 40-70°, pull the dumbbell to the hip, 2-3.3 s per rep."""
    ph, period = _reps(ctx, 0.3, 0.5)
    bend = ctx.uniform(40, 70)
    a = standing_legs(ctx)
    knee = ctx.uniform(15, 30)
    a["pelvis_tilt"] = 0.7 * bend
    a["lumbar_flex"] = 0.3 * bend
    for side in ("l", "r"):
        a[f"knee_flex_{side}"] = knee
        a[f"hip_flex_{side}"] = 0.7 * bend + knee * 0.6
        a[f"ankle_flex_{side}"] = knee * 0.4
    form, offsets = _working(ctx, allow_alternate=False)
    for side in ("l", "r"):
        hang = bend  # arm hanging straight down
        if side in offsets:
            s = cycle(ph + offsets[side], REP)
            a[f"shoulder_flex_{side}"] = hang - (hang + 15) * s
            a[f"elbow_flex_{side}"] = 10 + 85 * s
            a[f"shoulder_abd_{side}"] = 10.0
        else:  # free hand resting on the knee
            a[f"shoulder_flex_{side}"] = hang - 10
            a[f"elbow_flex_{side}"] = 15.0
    a["neck_flex"] = -0.6 * bend
    return feet_program(a, ctx, _rep_params(ctx, period, form=form, bend_deg=round(bend)))
