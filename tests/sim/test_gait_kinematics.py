"""Gait kinematics against gait-lab norms: spring-mass running forces, a pendulum-like swinging thigh, an
unbent stance leg at footfall. These are the properties that shape a thigh-pocket or hip signal."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.sim.procedural import Style, generate
from mujo_edge.sim.procedural.gait import GaitSpec, _spring_mass
from mujo_edge.sim.skeleton import JOINT_INDEX as J

RATE = 200.0
G = 9.80665


def _thigh_and_knee(activity: str, seed: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Sagittal thigh angle from vertical (deg, + = forward), knee flexion (deg), cadence (steps/s), time (s)."""
    m = generate(activity, Style.sample(f"gait_{seed}", np.random.default_rng(seed)), 8.0, RATE,
                 np.random.default_rng(seed))
    p = m.positions
    thigh = p[:, J["knee_r"]] - p[:, J["hip_r"]]
    shank = p[:, J["ankle_r"]] - p[:, J["knee_r"]]
    travel = p[-1, J["pelvis"], :2] - p[0, J["pelvis"], :2]
    travel /= np.linalg.norm(travel)
    ang = np.degrees(np.arctan2(thigh[:, :2] @ travel, -thigh[:, 2]))
    knee = np.degrees(np.arccos(np.clip(np.sum(thigh * shank, 1) / np.linalg.norm(thigh, axis=1)
                                        / np.linalg.norm(shank, axis=1), -1.0, 1.0)))
    return ang, knee, float(m.params["cadence_steps_per_s"]), np.arange(m.n_frames) / RATE


def _harmonics(x: np.ndarray, f0: float, t: np.ndarray, k: int = 3) -> np.ndarray:
    """Amplitudes of the first ``k`` harmonics of ``f0`` Hz in ``x`` (same unit as ``x``)."""
    x = x - x.mean()
    return np.array([2 * abs(np.mean(x * np.exp(-2j * np.pi * (i + 1) * f0 * t))) for i in range(k)])


@pytest.mark.parametrize(("duty", "cadence"), [(0.33, 2.7), (0.39, 2.5), (0.3, 3.1)])
def test_running_stance_force_is_a_spring_zero_at_touchdown_and_carrying_the_body_weight(duty: float,
                                                                                         cadence: float) -> None:
    g = GaitSpec(cadence, 1.0, duty=duty, land_ahead=0.25, heel_strike_deg=5.0, toe_off_deg=-30.0, running=True)
    dt = 1e-4
    ph = np.arange(0.0, 2.0, dt * cadence / 2)  # two strides = four steps
    z = _spring_mass(None, g, ph)  # type: ignore[arg-type]  # the context is not used
    vz = np.gradient(z, dt)
    force = np.gradient(vz, dt)[5:-5] + G  # specific force, m/s²
    step_t = 1.0 / cadence
    t_c = 2 * duty * step_t
    assert np.max(np.abs(np.diff(z))) < 1e-3 and np.max(np.abs(np.diff(vz))) < 0.01  # no jump in height or speed
    assert np.mean(force) == pytest.approx(G, rel=0.01)  # over whole steps the legs carry the body weight
    assert np.max(force) == pytest.approx(0.5 * np.pi * G * step_t / t_c, rel=0.01)
    assert 1.9 * G < np.max(force) < 2.8 * G  # force plates: 2-2.8 body weights in jogging and running
    flight = (np.mod(2 * ph, 1.0) * step_t > t_c + 0.005)[5:-5]
    assert flight.any() and np.allclose(force[flight], 0.0, atol=0.05)  # weightless in flight
    touchdown = np.flatnonzero(np.diff(flight.astype(int)) == -1)
    assert len(touchdown) >= 2 and np.all(force[touchdown + 20] < 0.2 * np.max(force))  # a spring starts unloaded


@pytest.mark.parametrize("activity", ["walking", "jogging", "running"])
def test_the_swinging_thigh_moves_like_a_pendulum_and_the_leg_joins_its_stance_smoothly(activity: str) -> None:
    for seed in range(3):
        ang, knee, cadence, t = _thigh_and_knee(activity, seed)
        h = _harmonics(ang, cadence / 2, t)
        assert h[1] < 0.4 * h[0] and h[2] < 0.25 * h[0], (activity, seed, h)  # mostly the stride fundamental
        # no jumps where swing and stance meet: at most 15 deg per 5 ms (3000 deg/s)
        assert np.max(np.abs(np.diff(ang))) < 15 and np.max(np.abs(np.diff(knee))) < 15


@pytest.mark.parametrize(("activity", "thigh_range", "knee_peak"),
                         [("walking", (-15, 40), (50, 75)), ("jogging", (-25, 50), (75, 110)),
                          ("running", (-35, 60), (90, 130))])
def test_thigh_and_knee_stay_within_gait_lab_ranges(activity: str, thigh_range: tuple[float, float],
                                                     knee_peak: tuple[float, float]) -> None:
    """Norms (Winter; Novacheck 1998): walking thigh about -15..+25 deg and knee peak 60-65 deg in the swing;
    jogging -20..+40 and 90-100; running -25..+50 and 100-130. The bounds leave room for body sizes and tempo."""
    for seed in range(3):
        ang, knee, _, _ = _thigh_and_knee(activity, seed)
        assert thigh_range[0] <= np.percentile(ang, 1) and np.percentile(ang, 99) <= thigh_range[1], (seed, ang.min(), ang.max())
        assert knee_peak[0] <= np.percentile(knee, 99) <= knee_peak[1], (seed, knee.max())
        assert np.percentile(knee, 1) < 25  # the stance leg straightens (no crouched gait)
