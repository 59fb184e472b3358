"""Virtual IMU physics (noise disabled) and the sensor error model's statistics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.placements import PLACEMENTS
from mujo_edge.sim.coupling import CouplingModel
from mujo_edge.sim.imu import IMUConfig, ideal_imu, place_sensors
from mujo_edge.sim.kinematics import axis_angle, forward_kinematics, qmul, qrot
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.noise import NoiseModel
from mujo_edge.sim.skeleton import PARENTS, Body, local_rotations

RATE = 100.0
G = STANDARD_GRAVITY


def body_motion(n: int, root_pos: np.ndarray, root_rot: np.ndarray, angles: dict | None = None) -> Motion:
    """FK of the canonical body with a root trajectory and optional joint angles (degrees)."""
    local = local_rotations(angles or {}, n)
    pos, rot = forward_kinematics(PARENTS, Body().rest_offsets(), local, root_pos, root_rot=root_rot)
    return Motion(RATE, pos, rot, "standing", "test", "procedural")


def imu_of(m: Motion, orientation: str = "random", seed: int = 0) -> tuple[np.ndarray, list]:
    # rigid rotation checks: belt devices do not rock here (rocking has its own tests in test_realism_features)
    cfg = IMUConfig(orientation=orientation, jitter_deg=0.0 if orientation == "aligned" else 8.0,
                    position_jitter_m=0.0 if orientation == "aligned" else 0.01, noise=NoiseModel.ideal(),
                    coupling=CouplingModel(belt_lever_m=0.0))
    pl = place_sensors(m, cfg, np.random.default_rng(seed))
    return ideal_imu(m, pl, G), pl


def test_static_pose_reads_gravity_and_no_rotation_at_every_site():
    n = 120
    tilt = Rotation.from_euler("xyz", [20, -35, 70], degrees=True).as_quat()
    m = body_motion(n, np.tile([0.3, -1.0, 1.2], (n, 1)), np.tile(tilt, (n, 1)),
                    {"elbow_flex_r": 80.0, "hip_flex_l": 45.0, "knee_flex_l": 60.0})
    x, pl = imu_of(m, "random")
    assert x.shape == (n, len(PLACEMENTS), 6) and [p.site for p in pl] == list(PLACEMENTS)
    acc = np.linalg.norm(x[:, :, :3], axis=-1)
    np.testing.assert_allclose(acc, G, rtol=0.01)
    assert np.abs(x[:, :, 3:]).max() < 1e-9


def test_static_upright_sensor_reads_plus_g_on_its_up_axis():
    n = 50
    m = body_motion(n, np.tile([0.0, 0.0, 1.0], (n, 1)), np.tile([0, 0, 0, 1.0], (n, 1)))
    x, pl = imu_of(m, "aligned")
    waist = [p.site for p in pl].index("waist")  # nominal belt phone: y up the screen, z forward
    np.testing.assert_allclose(x[:, waist, :3], np.tile([0.0, G, 0.0], (n, 1)), atol=1e-9)


@pytest.mark.parametrize("omega", [0.5, 2.0, 6.0])
def test_spinning_body_gyro_measures_the_rate_of_turn(omega):
    n = 200
    t = np.arange(n) / RATE
    yaw = axis_angle((0.0, 0.0, 1.0), omega * t)
    m = body_motion(n, np.tile([0.0, 0.0, 1.0], (n, 1)), yaw)
    x, pl = imu_of(m, "random", seed=3)
    # every sensor turns at |omega| and the world-frame rate is +omega about z
    np.testing.assert_allclose(np.linalg.norm(x[:, :, 3:], axis=-1), omega, rtol=1e-6)
    for k, p in enumerate(pl):
        q_s = qmul(m.rotations[:, p.joint], np.broadcast_to(p.mount, (n, 4)))
        np.testing.assert_allclose(qrot(q_s, x[:, k, 3:]), np.tile([0, 0, omega], (n, 1)), atol=1e-6)


def test_forearm_flexing_at_a_known_rate_shows_on_the_gyro_axis_of_the_elbow():
    n = 150
    rate_deg = 90.0  # elbow flexion speed, deg/s
    t = np.arange(n) / RATE
    m = body_motion(n, np.tile([0.0, 0.0, 1.0], (n, 1)), np.tile([0, 0, 0, 1.0], (n, 1)),
                    {"elbow_flex_r": 10.0 + rate_deg * t})
    x, pl = imu_of(m, "aligned")
    k = [p.site for p in pl].index("forearm_right")
    # the elbow flexes about the forearm's +x axis; in the device frame that is mount⁻¹·x
    axis_dev = Rotation.from_quat(pl[k].mount).inv().apply([1.0, 0.0, 0.0])
    np.testing.assert_allclose(x[:, k, 3:], np.tile(np.radians(rate_deg) * axis_dev, (n, 1)), atol=1e-6)
    upper = [p.site for p in pl].index("upper_arm_right")
    assert np.abs(x[:, upper, 3:]).max() < 1e-9  # the upper arm does not move


def test_free_fall_reads_zero_specific_force():
    n = 100
    t = np.arange(n) / RATE
    root = np.column_stack([0.4 * t, -0.2 * t, 10.0 + 1.5 * t - 0.5 * G * t ** 2])
    tilt = Rotation.from_euler("xy", [30, 50], degrees=True).as_quat()
    m = body_motion(n, root, np.tile(tilt, (n, 1)))
    x, _ = imu_of(m, "random")
    assert np.abs(x[:, :, :3]).max() < 1e-6
    assert np.abs(x[:, :, 3:]).max() < 1e-9


@pytest.mark.parametrize("a", [2.0, -3.5])
def test_forward_acceleration_appears_with_the_right_sign(a):
    n = 100
    t = np.arange(n) / RATE
    root = np.column_stack([np.zeros(n), 0.5 * a * t ** 2, np.full(n, 1.0)])  # body faces +y and accelerates along it
    m = body_motion(n, root, np.tile([0, 0, 0, 1.0], (n, 1)))
    x, pl = imu_of(m, "aligned")
    waist = [p.site for p in pl].index("waist")  # screen faces forward: z = +y world, y = up
    np.testing.assert_allclose(x[:, waist, :3], np.tile([0.0, G, a], (n, 1)), atol=1e-6)
    back = [p.site for p in pl].index("upper_back")  # faces backward: z = -y world
    np.testing.assert_allclose(x[:, back, 2], -a, atol=1e-6)


def test_noise_statistics_match_the_configuration():
    rate, n, s = 50.0, 20000, 40
    rng = np.random.default_rng(0)
    ideal = np.zeros((n, s, 6))
    white = NoiseModel(acc_noise_density=2e-3, gyro_noise_density=1e-4, acc_bias_std=0, gyro_bias_std=0,
                       acc_bias_walk=0, gyro_bias_walk=0, scale_std=0, misalignment_std_deg=0, quantize=False)
    y = white.apply(ideal, rate, rng)
    a_std, g_std = white.white_std(rate)
    assert a_std == pytest.approx(2e-3 * np.sqrt(25.0))
    assert y[..., :3].std() == pytest.approx(a_std, rel=0.02)
    assert y[..., 3:].std() == pytest.approx(g_std, rel=0.02)
    assert abs(y.mean()) < 1e-4
    # turn-on bias: constant per sensor, spread across sensors as configured
    bias = NoiseModel(acc_noise_density=0, gyro_noise_density=0, acc_bias_std=0.1, gyro_bias_std=0.01, acc_bias_walk=0,
                      gyro_bias_walk=0, scale_std=0, misalignment_std_deg=0, quantize=False)
    yb = bias.apply(np.zeros((10, 2000, 6)), rate, rng)
    assert np.ptp(yb, axis=0).max() < 1e-6
    assert yb[0, :, :3].std() == pytest.approx(0.1, rel=0.05)
    assert yb[0, :, 3:].std() == pytest.approx(0.01, rel=0.05)
    # bias random walk: variance grows like walk² · t
    walk = NoiseModel(acc_noise_density=0, gyro_noise_density=0, acc_bias_std=0, gyro_bias_std=0, acc_bias_walk=0.01,
                      gyro_bias_walk=0.001, scale_std=0, misalignment_std_deg=0, quantize=False)
    yw = walk.apply(np.zeros((500, 2000, 6)), rate, rng)
    t_end = 500 / rate
    assert yw[-1, :, :3].std() == pytest.approx(0.01 * np.sqrt(t_end), rel=0.06)
    assert yw[-1, :, 3:].std() == pytest.approx(0.001 * np.sqrt(t_end), rel=0.06)


def test_scale_saturation_and_int16_quantization():
    rng = np.random.default_rng(1)
    model = NoiseModel(acc_noise_density=0, gyro_noise_density=0, acc_bias_std=0, gyro_bias_std=0, acc_bias_walk=0,
                       gyro_bias_walk=0, scale_std=0.02, misalignment_std_deg=0, acc_range=4 * G, gyro_range=4.0)
    x = np.zeros((200, 500, 6))
    x[..., 0] = 10.0
    x[..., 3] = 2.0
    x[:10, :, 1] = 100.0  # beyond ±4 g
    x[:10, :, 4] = -9.0  # beyond ±4 rad/s
    y = model.apply(x, 50.0, rng)
    assert np.abs(y[:10, :, 1]).max() <= 4 * G + 1e-4 and np.abs(y[:10, :, 4]).max() <= 4.0 + 1e-5
    assert np.allclose(y[:10, :, 1], 4 * G, rtol=1e-3)
    ratio = y[20:, :, 0] / 10.0
    assert ratio.mean() == pytest.approx(1.0, abs=0.003) and ratio[0].std() == pytest.approx(0.02, rel=0.15)
    step_a, step_g = 4 * G / 32768, 4.0 / 32768
    np.testing.assert_allclose(y[..., :3] / step_a, np.round(y[..., :3] / step_a), atol=1e-2)
    np.testing.assert_allclose(y[..., 3:] / step_g, np.round(y[..., 3:] / step_g), atol=1e-2)
    assert NoiseModel.ideal().apply(x, 50.0, rng).tolist() == x.astype(np.float32).tolist()


def test_bad_sensor_configs_are_rejected():
    with pytest.raises(UnknownNameError, match="placement"):
        IMUConfig(sites=("wrist_right", "pocket"))
    with pytest.raises(UnknownNameError, match="orientation"):
        IMUConfig(orientation="sideways")
    with pytest.raises(ConfigError, match="acc_noise_density"):
        NoiseModel(acc_noise_density=-1.0)
