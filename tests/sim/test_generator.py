"""Procedural generator: every activity, plausibility (floor contact, cadence), reproducibility; video and captions."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.activities import ACTIVITY_NAMES, DATASET_CLASSES, canonical_activity, class_texts, get_activity
from mujo_edge.data import dataset_names, get_dataset
from mujo_edge.errors import UnknownNameError
from mujo_edge.sim.captions import captions
from mujo_edge.sim.coupling import CouplingModel
from mujo_edge.sim.imu import IMUConfig, ideal_imu, place_sensors
from mujo_edge.sim.noise import NoiseModel
from mujo_edge.sim.procedural import Style, activity_names, generate
from mujo_edge.sim.skeleton import JOINT_INDEX as J
from mujo_edge.sim.video import VideoConfig, render

RATE = 100.0
#: Activities performed on level ground with the feet as the only support at some point.
ON_FEET = {"walking", "jogging", "running", "standing", "sit_to_stand", "stand_to_sit", "squats", "lunges", "jumping",
           "jumping_jacks", "burpees", "bicep_curls", "shoulder_press", "lateral_raises", "front_raises",
           "triceps_extensions", "dumbbell_rows", "high_knees", "waist_bends", "sitting"}


def style(seed: int = 0) -> Style:
    return Style.sample(f"proc_{seed:04d}", np.random.default_rng(seed))


def test_the_generator_covers_the_whole_vocabulary():
    assert set(activity_names()) == set(ACTIVITY_NAMES) and len(ACTIVITY_NAMES) >= 20


@pytest.mark.parametrize("activity", ACTIVITY_NAMES)
def test_every_activity_gives_valid_plausible_motion(activity):
    m = generate(activity, style(1), 4.0, RATE, np.random.default_rng(7))
    assert m.positions.shape == (400, 22, 3) and m.activity == activity and m.source == "procedural"
    assert np.isfinite(m.positions).all() and np.isfinite(m.rotations).all()
    np.testing.assert_allclose(np.linalg.norm(m.rotations, axis=-1), 1.0, atol=1e-6)
    lowest = m.positions[..., 2].min(axis=1)
    if activity != "stairs_down":  # stairs down walks below the starting floor level
        assert lowest.min() > -0.03, "body sinks through the floor"
    if activity in ON_FEET:
        assert np.median(lowest) < 0.03, "feet float above the floor"
    imu = ideal_imu(m, place_sensors(m, IMUConfig(noise=NoiseModel.ideal()), np.random.default_rng(0)))
    assert np.isfinite(imu).all()
    acc = np.median(np.linalg.norm(imu[..., :3], axis=-1).mean(axis=0))  # mean |acc| of the median site
    assert 8.0 < acc < 25.0  # near gravity on average: nothing explodes


def _steps_per_second(m) -> float:
    """Steps per second of both feet, counted as swing peaks of the ankle height (at least 4 cm prominent)."""
    from scipy.signal import find_peaks

    cnt = sum(len(find_peaks(m.positions[:, J[f"ankle_{s}"], 2], prominence=0.04)[0]) for s in ("l", "r"))
    return cnt / m.duration_s


@pytest.mark.parametrize("seed", range(4))
def test_walking_cadence_and_speed_are_realistic(seed):
    m = generate("walking", style(seed), 8.0, RATE, np.random.default_rng(seed))
    cadence = m.params["cadence_steps_per_s"]
    assert 1.6 * 0.9 <= cadence <= 2.1 * 1.1
    assert _steps_per_second(m) == pytest.approx(cadence, abs=0.35)
    assert 0.8 < m.params["speed_mps"] < 2.0
    assert m.params["reach_shortfall_m"] < 0.01  # the stance foot reaches the ground


def test_running_has_flight_phases_and_walking_has_none():
    run = generate("running", style(2), 4.0, RATE, np.random.default_rng(0))
    walk = generate("walking", style(2), 4.0, RATE, np.random.default_rng(0))
    air = run.positions[..., 2].min(axis=1) > 0.01
    assert 0.05 < air.mean() < 0.5
    assert (walk.positions[..., 2].min(axis=1) < 0.01).all()


def test_generation_is_reproducible_and_seed_dependent():
    a = generate("squats", style(3), 3.0, RATE, np.random.default_rng(5))
    b = generate("squats", style(3), 3.0, RATE, np.random.default_rng(5))
    c = generate("squats", style(3), 3.0, RATE, np.random.default_rng(6))
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.rotations, b.rotations)
    assert not np.allclose(a.positions, c.positions)


def test_unknown_activity_is_rejected():
    with pytest.raises(UnknownNameError, match="walking"):
        generate("moonwalk", style(), 2.0, RATE, np.random.default_rng(0))
    with pytest.raises(UnknownNameError, match="activity"):
        get_activity("moonwalk")


def test_mirroring_swaps_sides_and_keeps_physics():
    m = generate("bicep_curls", style(4), 3.0, RATE, np.random.default_rng(1))
    mm = m.mirrored()
    np.testing.assert_allclose(mm.positions[:, J["wrist_l"], 0], -m.positions[:, J["wrist_r"], 0])
    cfg = IMUConfig(orientation="aligned", jitter_deg=0.0, position_jitter_m=0.0, noise=NoiseModel.ideal(),
                    coupling=CouplingModel(enabled=False))  # each device's looseness is drawn at random, like jitter
    a = ideal_imu(m, place_sensors(m, cfg, np.random.default_rng(0)))
    b = ideal_imu(mm, place_sensors(mm, cfg, np.random.default_rng(0)))
    names = list(cfg.sites)
    # the mirrored left wrist reads the same rotation speed and specific-force magnitude as the right wrist
    np.testing.assert_allclose(np.linalg.norm(b[:, names.index("wrist_left"), 3:], axis=1),
                               np.linalg.norm(a[:, names.index("wrist_right"), 3:], axis=1), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(b[:, names.index("wrist_left"), :3], axis=1),
                               np.linalg.norm(a[:, names.index("wrist_right"), :3], axis=1), atol=1e-6)


def test_video_is_deterministic_and_shows_the_body():
    m = generate("jumping_jacks", style(5), 3.0, RATE, np.random.default_rng(0))
    cfg = VideoConfig()
    v1, cam = render(m.positions, cfg, np.random.default_rng(3))
    v2, _ = render(m.positions, cfg, np.random.default_rng(3))
    assert v1.shape == (16, 64, 64) and v1.dtype == np.uint8 and np.array_equal(v1, v2)
    assert (v1 > 150).mean(axis=(1, 2)).min() > 0.01  # limbs are drawn bright in every frame
    assert np.abs(np.diff(v1.astype(int), axis=0)).mean() > 1.0  # the jacks move between frames
    assert set(cam) == {"azimuth_deg", "elevation_deg", "distance_m"}
    plain, _ = render(m.positions, VideoConfig(clutter=False), np.random.default_rng(3))
    assert plain.shape == v1.shape


def test_captions_are_distinct_and_vary_between_clips():
    texts = set()
    for seed in range(6):
        m = generate("squats", style(seed), 5.12, RATE, np.random.default_rng(seed))
        caps = captions(m, 5.12, np.random.default_rng(seed), 4)
        assert len(caps) == 4 and len({c.lower() for c in caps}) == 4 and caps[0] == "squats"
        texts.update(caps)
    assert len(texts) > 10


def test_every_real_dataset_class_maps_to_the_vocabulary_or_none():
    for name in dataset_names():
        classes = get_dataset(name).class_names
        assert set(classes) == set(DATASET_CLASSES[name])
        for c in classes:
            a = canonical_activity(name, c)
            assert a is None or a in ACTIVITY_NAMES
            assert class_texts(name, c)
    assert canonical_activity("motionsense", "walking_upstairs") == "stairs_up"
    assert canonical_activity("wisdm2019", "stairs") is None  # up and down: ambiguous
    with pytest.raises(UnknownNameError, match="walking"):
        canonical_activity("motionsense", "flying")
