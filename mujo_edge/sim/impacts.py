"""Foot-strike shocks: the short, ringing accelerations a kinematic motion lacks.

Motion capture is low-pass filtered and the procedural generator lands feet smoothly, so both miss the
impact transient a real wearable records at every footfall (tibia 2-4 g walking and 5-10 g running,
pelvis/sacrum 0.5-1 g and 1.5-3 g, head about a third of the pelvis: the attenuation of the shock as it
travels up the body). This module adds it to the specific force of every virtual sensor:

* :func:`landings` finds every foot landing of a :class:`~mujo_edge.sim.motion.Motion` from kinematics alone
  (a foot that was moving fast becomes still), for both motion sources and every activity (gaits, stairs,
  jumps, burpees); the landing speed is the body's downward speed at touchdown plus a share of the foot's
  swing speed;
* :class:`ImpactModel` turns each landing into a damped oscillation ``A·e^(−t/τ)·sin(2πft)`` along the
  world vertical (plus a small horizontal part), ``A = gain × landing speed × attenuation(segment)``, with
  ``f`` and ``τ`` drawn per clip (soft tissue and shoe differ) — :func:`impact_acceleration`.

Units: metres, seconds, m/s², Hz. Deterministic for a given random generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mujo_edge.errors import ConfigError
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.skeleton import JOINT_INDEX, JOINTS

#: Shock reaching a segment relative to the landing side's shank; ``"same"``/``"other"`` = leg of the landing foot or not.
ATTENUATION: dict[str, float] = {
    "ankle_same": 1.2, "knee_same": 1.0, "hip_same": 0.55, "ankle_other": 0.2, "knee_other": 0.15, "hip_other": 0.25,
    "pelvis": 0.4, "spine": 0.35, "chest": 0.28, "neck": 0.22, "head": 0.2, "shoulder": 0.2, "elbow": 0.14,
    "wrist": 0.12,
}


@dataclass(frozen=True)
class Landing:
    """One foot landing: frame index, side (``"l"``/``"r"``) and landing speed (m/s, ≥ 0)."""

    frame: int
    side: str
    speed: float


@dataclass(frozen=True)
class ImpactModel:
    """Foot-strike shock parameters (``enabled=False``: none).

    Attributes:
        gain: shank peak acceleration per m/s of landing speed, m/s² per m/s (25: walking ≈ 1.5 g, running ≈ 4 g).
        freq_hz: range of the ringing frequency, drawn per clip.
        decay_s: range of the decay time constant, drawn per clip.
        horizontal: share of the shock along a random horizontal direction (per landing).
        jitter: relative spread of each landing's amplitude (lognormal sigma).
        min_swing_speed: a foot counts as landing only after moving at least this fast, m/s.
        still_speed: ...and then slowing below this, m/s.
        max_speed: landing speeds are capped here, m/s.
    """

    enabled: bool = True
    gain: float = 25.0
    freq_hz: tuple[float, float] = (8.0, 16.0)
    decay_s: tuple[float, float] = (0.025, 0.06)
    horizontal: float = 0.3
    jitter: float = 0.25
    min_swing_speed: float = 0.6
    still_speed: float = 0.2
    max_speed: float = 2.5

    def __post_init__(self) -> None:
        lo_f, hi_f = self.freq_hz
        lo_d, hi_d = self.decay_s
        if not (self.gain >= 0 and 0 < lo_f <= hi_f and 0 < lo_d <= hi_d and 0 <= self.horizontal <= 1
                and self.jitter >= 0 and 0 < self.still_speed < self.min_swing_speed):
            raise ConfigError(f"invalid impact model {self}")

    @classmethod
    def off(cls) -> ImpactModel:
        """No shocks (the physics tests' ideal kinematics)."""
        return cls(enabled=False)


def _foot_point(motion: Motion, side: str) -> np.ndarray:
    """Midpoint of ankle and toe of one foot, ``(T, 3)`` metres."""
    return 0.5 * (motion.positions[:, JOINT_INDEX[f"ankle_{side}"]] + motion.positions[:, JOINT_INDEX[f"toe_{side}"]])


def landings(motion: Motion, model: ImpactModel = ImpactModel()) -> list[Landing]:
    """Every foot landing of ``motion``: a foot slowing below ``still_speed`` at most 0.15 s after ≥ 0.1 s (within
    the last 0.4 s) faster than ``min_swing_speed``; landings of one foot are at least 0.35 s apart; the landing
    speed is capped at ``max_speed``."""
    rate = motion.rate_hz
    root_vz = np.gradient(motion.positions[:, JOINT_INDEX["pelvis"], 2]) * rate
    look, recent, need = int(0.4 * rate), int(0.15 * rate), max(1, int(0.1 * rate))
    out: list[Landing] = []
    for side in ("l", "r"):
        foot = _foot_point(motion, side)
        speed = np.linalg.norm(np.gradient(foot, axis=0), axis=1) * rate
        moving = speed > model.min_swing_speed
        last = -10**9
        for i in np.flatnonzero((speed[1:] < model.still_speed) & (speed[:-1] >= model.still_speed)) + 1:
            lo = max(0, i - look)
            fast = np.flatnonzero(moving[lo:i])
            if len(fast) < need or i - (lo + fast[-1]) > recent or i - last < int(0.35 * rate):
                continue
            body = max(0.0, -float(root_vz[max(0, i - recent):i + int(0.05 * rate) + 1].min()))
            swing = float(speed[max(0, i - recent):i].max())
            out.append(Landing(int(i), side, min(model.max_speed, body + 0.1 * swing)))
            last = i
    return sorted(out, key=lambda e: e.frame)


def attenuation(joint: str, side: str) -> float:
    """Share of a landing on ``side`` that reaches the segment of ``joint``."""
    if joint not in JOINT_INDEX:
        raise ConfigError(f"unknown joint {joint!r}; valid: {', '.join(JOINTS)}")
    base = joint[:-2] if joint[-2:] in ("_l", "_r") else joint
    if base in ("ankle", "knee", "hip", "toe"):
        base = "ankle" if base == "toe" else base
        return ATTENUATION[f"{base}_{'same' if joint.endswith(side) else 'other'}"]
    return ATTENUATION.get(base, ATTENUATION.get({"head_top": "head", "hand": "wrist"}.get(base, base), 0.2))


@dataclass(frozen=True)
class ClipImpacts:
    """The shocks of one clip: its landings and the drawn parameters (see :func:`draw_impacts`)."""

    landings: tuple[Landing, ...]
    amplitude: np.ndarray      # (E,) shank peak per landing, m/s²
    direction: np.ndarray      # (E, 3) unit, world frame
    freq_hz: float
    decay_s: float
    rate_hz: float
    n_frames: int


def draw_impacts(motion: Motion, model: ImpactModel, rng: np.random.Generator) -> ClipImpacts | None:
    """The landings of ``motion`` with per-clip ringing and per-landing amplitude and direction (None when off)."""
    if not model.enabled or model.gain == 0:
        return None
    ev = tuple(landings(motion, model))
    f = float(rng.uniform(*model.freq_hz))
    tau = float(rng.uniform(*model.decay_s))
    amp = np.asarray([model.gain * e.speed for e in ev]) * rng.lognormal(0.0, model.jitter, size=len(ev))
    h = rng.normal(size=(len(ev), 2))
    h /= np.linalg.norm(h, axis=1, keepdims=True) + 1e-12
    d = np.column_stack([model.horizontal * h, np.ones(len(ev))])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return ClipImpacts(ev, amp, d, f, tau, motion.rate_hz, motion.n_frames)


def impact_acceleration(imp: ClipImpacts, joint: str) -> np.ndarray:
    """World-frame shock acceleration ``(T, 3)`` m/s² at a sensor on the segment of ``joint``."""
    out = np.zeros((imp.n_frames, 3))
    n = int(np.ceil(6 * imp.decay_s * imp.rate_hz))
    t = np.arange(n) / imp.rate_hz
    pulse = np.exp(-t / imp.decay_s) * np.sin(2 * np.pi * imp.freq_hz * t)   # (n,)
    for e, a, d in zip(imp.landings, imp.amplitude, imp.direction):
        k = min(n, imp.n_frames - e.frame)
        if k > 0:
            out[e.frame:e.frame + k] += (a * attenuation(joint, e.side) * pulse[:k])[:, None] * d[None]
    return out
