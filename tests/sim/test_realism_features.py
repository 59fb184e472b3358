"""Physics of the realism features: loose mounting, foot-strike shocks, mounts either way round, stair steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError
from mujo_edge.placements import PLACEMENTS
from mujo_edge.sim.coupling import CouplingModel, couple, rocking
from mujo_edge.sim.impacts import ImpactModel, attenuation, draw_impacts, impact_acceleration, landings
from mujo_edge.sim.imu import SITES, IMUConfig, bone_vector, ideal_imu, mount_rotation, place_sensors
from mujo_edge.sim.kinematics import forward_kinematics
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.noise import NoiseModel
from mujo_edge.sim.procedural import Style, generate
from mujo_edge.sim.skeleton import JOINT_INDEX, PARENTS, Body, local_rotations

RATE = 100.0
G = STANDARD_GRAVITY


def _static(n: int = 200) -> Motion:
    tilt = Rotation.from_euler("xyz", [10, -25, 40], degrees=True).as_quat()
    pos, rot = forward_kinematics(PARENTS, Body().rest_offsets(), local_rotations({"knee_flex_r": 30.0}, n),
                                  np.tile([0.0, 0.0, 1.0], (n, 1)), root_rot=np.tile(tilt, (n, 1)))
    return Motion(RATE, pos, rot, "standing", "test", "procedural")


def test_a_static_body_reads_gravity_with_loose_mounts_and_shocks_enabled() -> None:
    m = _static()
    cfg = IMUConfig(noise=NoiseModel.ideal())  # the default mounts: pockets, belts and watches are loose
    rng = np.random.default_rng(0)
    pl = place_sensors(m, cfg, rng)
    assert {p.site for p in pl if p.coupling is not None} >= {"thigh_right", "hip_left", "waist", "wrist_left"}
    shocks = draw_impacts(m, cfg.impacts, rng)
    assert shocks is not None and len(shocks.landings) == 0  # nothing moves, nothing lands
    x = ideal_imu(m, pl, G, shocks)
    np.testing.assert_allclose(np.linalg.norm(x[:, :, :3], axis=-1), G, rtol=1e-6)
    assert np.abs(x[:, :, 3:]).max() < 1e-9


def test_loose_mounting_passes_slow_motion_and_resonates_at_its_natural_frequency() -> None:
    t = np.arange(2000) / RATE
    for f, expected in ((0.5, 1.0), (6.0, None)):
        acc = np.column_stack([np.sin(2 * np.pi * f * t), np.zeros_like(t), np.full_like(t, 9.81)])
        out = couple(acc, RATE, natural_hz=6.0, damping=0.2)
        gain = np.abs(out[1000:, 0]).max() / np.abs(acc[1000:, 0]).max()
        np.testing.assert_allclose(out[:, 2], 9.81, rtol=1e-9)  # gravity (DC) passes unchanged
        if expected is not None:
            assert abs(gain - expected) < 0.02
        else:  # |T(jω_n)| = sqrt(1 + (2ζ)²) / 2ζ = 2.69 for ζ = 0.2
            assert abs(gain - np.sqrt(1 + 0.4 ** 2) / 0.4) < 0.1
    assert CouplingModel(enabled=False).draw("pocket", np.random.default_rng(0)) is None
    assert CouplingModel().draw("strap", np.random.default_rng(0)) is None


def test_a_loose_device_rocks_about_the_edge_it_hangs_from_when_the_body_jolts() -> None:
    """``rocking``: a sideways jolt turns the device about the axis normal to the jolt and to its hanging
    direction, by an angle inversely proportional to the lever, and it settles back; a jolt along the hanging
    direction, a constant acceleration or a rigid (lever 0) mount do not turn it."""
    n = 600
    down = np.tile([0.0, 0.0, -1.0], (n, 1))
    jolt = np.zeros((n, 3))
    jolt[200:206, 0] = 30.0  # a 60-ms, 3-g sideways shock (a footfall)
    rot = rocking(jolt, RATE, 10.0, 0.3, 0.025, down)
    assert np.abs(rot[:, [0, 2]]).max() < 1e-12 and np.abs(rot[:, 1]).max() > np.radians(1.0)  # about y only
    assert np.abs(rot[:200]).max() < 1e-12 and np.abs(rot[-50:]).max() < 1e-3 * np.abs(rot).max()  # settles back
    np.testing.assert_allclose(rocking(jolt, RATE, 10.0, 0.3, 0.0125, down), 2.0 * rot, rtol=1e-9, atol=1e-15)
    vertical = np.zeros((n, 3))
    vertical[200:206, 2] = 30.0
    assert np.abs(rocking(vertical, RATE, 10.0, 0.3, 0.025, down)).max() < 1e-12
    steady = np.tile([2.0, 0.0, 0.0], (n, 1))  # leaning into a steady acceleration: a constant tilt, no rate of turn
    tilt = rocking(steady, RATE, 10.0, 0.3, 0.025, down)
    np.testing.assert_allclose(tilt, tilt[:1].repeat(n, 0), atol=1e-12)
    assert not rocking(jolt, RATE, 10.0, 0.3, 0.0, down).any()
    with pytest.raises(ConfigError, match="belt_lever_m"):
        CouplingModel(belt_lever_m=-0.01)


def test_a_walking_phone_on_a_belt_rocks_and_one_in_a_pocket_does_not() -> None:
    """Rocking reaches the gyroscope of belt devices: the angular-rate magnitude varies more within a walking clip
    than a rigid mount's, while its mean stays near the segment's; a pocket phone only translates on its spring."""
    walk = generate("walking", Style.sample("proc_0003", np.random.default_rng(3)), 6.0, RATE, np.random.default_rng(4))
    cfg = IMUConfig(sites=("waist", "hip_right", "thigh_right"), noise=NoiseModel.ideal())
    pl = place_sensors(walk, cfg, np.random.default_rng(0))
    assert all(p.coupling is not None for p in pl)
    assert [p.lever_m for p in pl] == [cfg.coupling.belt_lever_m] * 2 + [0.0] and cfg.coupling.belt_lever_m > 0
    rigid = [dataclasses.replace(p, lever_m=0.0) for p in pl]
    shocks = draw_impacts(walk, cfg.impacts, np.random.default_rng(1))
    loose_w = np.linalg.norm(ideal_imu(walk, pl, G, shocks)[:, :, 3:], axis=-1)
    rigid_w = np.linalg.norm(ideal_imu(walk, rigid, G, shocks)[:, :, 3:], axis=-1)
    assert (loose_w.std(0)[:2] > 1.1 * rigid_w.std(0)[:2]).all()
    np.testing.assert_allclose(loose_w.mean(0)[:2], rigid_w.mean(0)[:2], rtol=0.35)
    np.testing.assert_array_equal(loose_w[:, 2], rigid_w[:, 2])


def test_watch_either_way_round_rotates_the_signal_by_180_degrees_about_the_face_normal() -> None:
    d = SITES["wrist_right"]
    seen = set()
    for seed in range(40):
        q = Rotation.from_quat(mount_rotation(d, "device", np.random.default_rng(seed), 0.0))
        nominal = Rotation.from_quat(mount_rotation(d, "aligned", np.random.default_rng(seed), 0.0))
        rel = (nominal.inv() * q).as_rotvec(degrees=True)
        seen.add(int(round(np.linalg.norm(rel))))
        if np.linalg.norm(rel) > 1:
            np.testing.assert_allclose(np.abs(rel), [0, 0, 180], atol=1e-6)  # about the watch face's z axis
    assert seen == {0, 180}
    # a static arm: the reversed watch reads gravity with x and y negated and z unchanged
    m = _static(50)
    k = PLACEMENTS.index("wrist_right")
    cfg = IMUConfig(orientation="aligned", jitter_deg=0.0, position_jitter_m=0.0, noise=NoiseModel.ideal(),
                    coupling=CouplingModel(enabled=False))
    pl = place_sensors(m, cfg, np.random.default_rng(0))
    a = ideal_imu(m, pl, G)[:, k, :3]
    turned = (Rotation.from_quat(pl[k].mount) * Rotation.from_euler("z", 180, degrees=True)).as_quat()
    pl[k] = type(pl[k])(pl[k].site, pl[k].joint, pl[k].offset, turned, pl[k].follow, None)
    b = ideal_imu(m, pl, G)[:, k, :3]
    np.testing.assert_allclose(b, a * np.array([-1.0, -1.0, 1.0]), atol=1e-9)


def test_a_pocket_phone_sits_round_the_thigh_towards_the_outside_and_its_axes_turn_with_it() -> None:
    m = _static(20)
    base = dict(jitter_deg=0.0, position_jitter_m=0.0, noise=NoiseModel.ideal(), coupling=CouplingModel(enabled=False))
    front = place_sensors(m, IMUConfig(pocket_around_deg=(0.0, 0.0), **base), np.random.default_rng(4))
    side = place_sensors(m, IMUConfig(pocket_around_deg=(40.0, 40.0), **base), np.random.default_rng(4))
    for site, outward in (("thigh_right", 1.0), ("thigh_left", -1.0)):
        k = PLACEMENTS.index(site)
        a, b = front[k], side[k]
        # the position turns 40 deg about the thigh's long axis (segment z), towards the outside of that leg
        ha, hb = a.offset[:2], b.offset[:2]
        turn = np.degrees(np.arctan2(ha[0] * hb[1] - ha[1] * hb[0], ha @ hb))
        assert turn == pytest.approx(-40.0 * outward, abs=1e-6) and outward * (hb[0] - ha[0]) > 0
        assert b.offset[2] == pytest.approx(a.offset[2])
        # ... and so do the device axes: same relative rotation, about the same axis
        rel = (Rotation.from_quat(b.mount) * Rotation.from_quat(a.mount).inv()).as_rotvec(degrees=True)
        np.testing.assert_allclose(rel, [0.0, 0.0, -40.0 * outward], atol=1e-6)
    # a static body still reads gravity wherever the pocket is; other sites do not move
    x = ideal_imu(m, side, G)
    np.testing.assert_allclose(np.linalg.norm(x[:, :, :3], axis=-1), G, rtol=1e-6)
    k = PLACEMENTS.index("wrist_right")
    np.testing.assert_allclose(side[k].offset, front[k].offset)
    with pytest.raises(ConfigError, match="pocket_around_deg"):
        IMUConfig(pocket_around_deg=(30.0, 10.0))


def test_a_waist_belt_device_sits_anywhere_from_the_front_to_the_side_and_faces_out_where_it_sits() -> None:
    m = _static(20)
    base = dict(jitter_deg=0.0, position_jitter_m=0.0, noise=NoiseModel.ideal(), coupling=CouplingModel(enabled=False))
    k = PLACEMENTS.index("waist")
    bone = SITES["waist"].along * bone_vector(m, SITES["waist"].segment)

    def where(cfg: IMUConfig, seed: int) -> tuple[float, float]:
        """(angle of the device's spot round the trunk, angle of its screen normal's axis), deg, 0 = ahead."""
        p = place_sensors(m, cfg, np.random.default_rng(seed))[k]
        spot = p.offset - bone
        normal = Rotation.from_quat(p.mount).apply([0.0, 0.0, 1.0])
        assert spot[2] == pytest.approx(0.0, abs=1e-9) and abs(normal[2]) < 1e-9  # turned about the trunk's axis
        return float(np.degrees(np.arctan2(-spot[0], spot[1]))), float(np.degrees(np.arctan2(-normal[0], normal[1])))

    front = np.array([where(IMUConfig(belt_around_deg=0.0, **base), s) for s in range(30)])
    np.testing.assert_allclose(front[:, 0], 0.0, atol=1e-6)  # 0: the site's spot, axes nominal
    np.testing.assert_allclose((front[:, 1] + 90.0) % 180.0 - 90.0, 0.0, atol=1e-6)
    spread = np.array([where(IMUConfig(**base), s) for s in range(30)])  # the default: the front half of the belt
    assert np.all(np.abs(spread[:, 0]) <= 90.0 + 1e-6)
    assert spread[:, 0].min() < -45.0 and spread[:, 0].max() > 45.0  # both sides of the front
    axis_off = (spread[:, 1] - spread[:, 0] + 90.0) % 180.0 - 90.0  # screen in or out: the same axis
    np.testing.assert_allclose(axis_off, 0.0, atol=1e-6)  # facing out from where it sits
    # a static body still reads gravity wherever the belt device sits; the hip sites keep their spot at the side
    pl = place_sensors(m, IMUConfig(**base), np.random.default_rng(1))
    nominal = place_sensors(m, IMUConfig(belt_around_deg=0.0, **base), np.random.default_rng(1))
    for site in ("hip_right", "hip_left"):
        np.testing.assert_allclose(pl[PLACEMENTS.index(site)].offset, nominal[PLACEMENTS.index(site)].offset)
    np.testing.assert_allclose(np.linalg.norm(ideal_imu(m, pl, G)[:, :, :3], axis=-1), G, rtol=1e-6)
    with pytest.raises(ConfigError, match="belt_around_deg"):
        IMUConfig(belt_around_deg=-5.0)


def test_foot_landings_are_found_and_shocks_fade_up_the_body() -> None:
    style = Style.sample("proc_0003", np.random.default_rng(3))
    walk = generate("walking", style, 6.0, RATE, np.random.default_rng(1))
    ev = landings(walk)
    steps = walk.params["cadence_steps_per_s"] * 6.0
    assert abs(len(ev) - steps) <= 2 and {e.side for e in ev} == {"l", "r"}
    assert all(0.2 < e.speed < 1.5 for e in ev)
    run = landings(generate("running", style, 6.0, RATE, np.random.default_rng(1)))
    assert np.median([e.speed for e in run]) > np.median([e.speed for e in ev])  # running lands harder
    assert landings(generate("sitting", style, 6.0, RATE, np.random.default_rng(1))) == []
    shocks = draw_impacts(walk, ImpactModel(), np.random.default_rng(0))
    peak = {j: np.abs(impact_acceleration(shocks, j)).max() for j in ("knee_r", "hip_r", "pelvis", "chest", "head")}
    assert peak["knee_r"] > peak["hip_r"] > peak["pelvis"] > peak["chest"] > peak["head"] > 0
    assert attenuation("knee_r", "r") > attenuation("knee_r", "l")
    assert draw_impacts(walk, ImpactModel.off(), np.random.default_rng(0)) is None


@pytest.mark.parametrize("activity", ["stairs_up", "stairs_down"])
def test_stairs_climb_one_riser_per_step_in_a_push(activity: str) -> None:
    m = generate(activity, Style.sample("proc_0005", np.random.default_rng(5)), 6.0, RATE, np.random.default_rng(2))
    z = m.positions[:, JOINT_INDEX["pelvis"], 2]
    riser = m.params["riser_m"] * (1 if activity == "stairs_up" else -1)
    expected = riser * m.params["cadence_steps_per_s"] * 6.0
    assert abs((z[-1] - z[0]) - expected) < abs(riser) * 1.2
    vz = np.gradient(z) * RATE
    # the body does not glide at constant speed: its vertical speed varies within every step
    assert np.std(vz[50:-50]) > 0.3 * abs(np.mean(vz[50:-50]))


@pytest.mark.parametrize("stepwise", [1.0, 0.6, 0.35])
def test_stair_height_climbs_one_riser_per_step_and_only_stepwise_climbing_stops(stepwise: float) -> None:
    """``GaitSpec.stepwise``: the share of each riser climbed in a push; the rest is climbed evenly, so the body's
    vertical speed never drops below (1 − stepwise) of the mean — and its vertical acceleration shrinks with it."""
    from mujo_edge.sim.procedural.gait import GaitSpec, _stair_height

    g = GaitSpec(1.7, 0.28, duty=0.62, land_ahead=0.8, heel_strike_deg=0.0, toe_off_deg=-20.0, riser=0.17,
                 rise_share=0.8, stepwise=stepwise)
    steps = np.linspace(0.0, 8.0, 8001)
    z = _stair_height(g, steps)
    np.testing.assert_allclose(z[1000::1000] - z[:-1000:1000], 0.17, atol=1e-9)  # one riser per whole step
    rate = np.gradient(z, steps)  # m per step
    assert rate.min() == pytest.approx((1.0 - stepwise) * 0.17, abs=1e-3)  # stops only if climbed wholly stepwise
    accel = np.gradient(rate, steps)
    full = np.gradient(np.gradient(_stair_height(dataclasses.replace(g, stepwise=1.0), steps), steps), steps)
    assert np.abs(accel).max() == pytest.approx(stepwise * np.abs(full).max(), rel=1e-6)


@pytest.mark.parametrize("riser, peak", [(0.17, 0.4), (-0.17, 0.62)])
def test_stair_steps_start_gently_or_stop_hard_and_descents_land_at_full_speed(riser: float, peak: float) -> None:
    """``GaitSpec.rise_peak``: real stair steps have a positively skewed vertical acceleration at the waist (a
    short, hard push up or stop on landing, a long gentle rest), which a symmetric minimum-jerk step lacks; going
    down, the foot lands while the body sinks fastest and the stance leg brakes it."""
    from mujo_edge.sim.procedural.gait import GaitSpec, _stair_height

    g = GaitSpec(1.7, 0.28, duty=0.62, land_ahead=0.8, heel_strike_deg=0.0, toe_off_deg=-20.0, riser=riser,
                 rise_share=0.8, rise_peak=peak)
    steps = np.linspace(0.0, 8.0, 8001)
    z = _stair_height(g, steps)
    np.testing.assert_allclose(z[1000::1000] - z[:-1000:1000], riser, atol=1e-9)  # still one riser per step
    rate = np.gradient(z, steps)
    accel = np.gradient(rate, steps)
    assert accel.max() > 1.4 * -accel.min()  # upward peaks (push, braking) beat the downward ones
    sym = np.gradient(np.gradient(_stair_height(dataclasses.replace(g, rise_peak=0.5), steps), steps), steps)
    assert sym.max() == pytest.approx(-sym.min(), rel=0.02)
    if riser < 0:
        footfalls = rate[1000:-1:1000]
        assert (footfalls < 0.9 * rate.min()).all()  # landing within 10 % of the fastest sinking


def test_walking_loses_and_regains_forward_speed_at_every_step() -> None:
    """``GaitSpec.speed_swing``: the pelvis brakes at every footfall and is pushed on at toe-off, so its horizontal
    speed swings by about a tenth of the walking speed (gait-lab centre-of-mass data: 8-15 %), not a steady glide."""
    for seed in range(3):
        m = generate("walking", Style.sample("proc_0003", np.random.default_rng(seed)), 6.0, RATE,
                     np.random.default_rng(seed + 10))
        p = m.positions[:, JOINT_INDEX["pelvis"], :2]
        v = np.linalg.norm(np.gradient(p, axis=0) * RATE, axis=1)[50:-50]
        swing = (np.percentile(v, 98) - np.percentile(v, 2)) / 2 / v.mean()
        assert 0.07 < swing < 0.2, swing


def test_belt_devices_are_worn_sideways_as_often_as_configured() -> None:
    """``belt_landscape_share``: 0 = always upright, 1 = always sideways; 0.5 keeps both (and the earlier random stream)."""
    d = SITES["waist"]
    up = np.asarray(d.up, dtype=float) / np.linalg.norm(d.up)

    def sideways(share: float, seed: int) -> bool:
        r = Rotation.from_quat(mount_rotation(d, "device", np.random.default_rng(seed), 0.0, share)).as_matrix()
        along = np.abs(r.T @ up)  # the body's long axis in device axes
        assert np.isclose(along.max(), 1.0, atol=1e-6) and along[2] < 1e-6  # x or y along it, never the screen normal
        return bool(along[0] > 0.5)

    assert not any(sideways(0.0, s) for s in range(40))
    assert all(sideways(1.0, s) for s in range(40))
    assert 0 < sum(sideways(0.5, s) for s in range(40)) < 40
    default = [mount_rotation(d, "device", np.random.default_rng(s), 8.0) for s in range(5)]
    assert all(np.allclose(q, mount_rotation(d, "device", np.random.default_rng(s), 8.0, 0.5)) for s, q in enumerate(default))
    a = IMUConfig(belt_landscape_share=1.0, orientation="device", jitter_deg=0.0)
    pl = place_sensors(_static(10), a, np.random.default_rng(1))
    k = PLACEMENTS.index("waist")
    along = np.abs(Rotation.from_quat(pl[k].mount).as_matrix().T @ up)
    assert along[0] > 0.99  # the configured share reaches the placement
    with pytest.raises(ConfigError, match="belt_landscape_share"):
        IMUConfig(belt_landscape_share=1.5)
