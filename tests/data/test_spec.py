"""SensorSpec and Normalization: validation, round trips, the cache key."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.data import DEFAULT_SPEC, IMU_CHANNELS, Normalization, SensorSpec
from mujo_edge.errors import ConfigError, SpecMismatchError, UnknownNameError


def test_defaults_are_the_protocol():
    s = DEFAULT_SPEC
    assert (s.rate_hz, s.window, s.hop, s.channels) == (50.0, 128, 64, IMU_CHANNELS)
    assert s.units == ("m/s^2",) * 3 + ("rad/s",) * 3
    assert s.window_seconds == pytest.approx(2.56) and s.min_majority == 103


@pytest.mark.parametrize("bad, match", [
    ({"rate_hz": 0}, "rate_hz"),
    ({"window": 1}, "window"),
    ({"channels": ("acc_x", "acc_w")}, "acc_w.*valid channels"),
    ({"channels": ("acc_x", "acc_x")}, "repeats"),
    ({"units": ("g", "g", "g", "rad/s", "rad/s", "rad/s")}, "m/s\\^2"),
    ({"purity": 1.5}, "purity"),
])
def test_invalid_specs_name_the_value(bad, match):
    with pytest.raises(ConfigError, match=match):
        DEFAULT_SPEC.replace(**bad)


def test_unknown_placement_lists_valid():
    with pytest.raises(UnknownNameError, match="wrist_left"):
        DEFAULT_SPEC.replace(placement="pocket")


def test_round_trip_with_normalization():
    norm = Normalization("standard", tuple(range(6)), (1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    spec = DEFAULT_SPEC.replace(normalization=norm, placement="waist")
    assert SensorSpec.from_dict(spec.to_dict()) == spec


def test_from_dict_rejects_unknown_fields():
    d = DEFAULT_SPEC.to_dict()
    d["sample_rate"] = 50
    with pytest.raises(ConfigError, match="sample_rate"):
        SensorSpec.from_dict(d)


def test_key_ignores_normalization_and_placement_but_not_windowing():
    norm = Normalization.fit(np.random.default_rng(0).normal(size=(10, 128, 6)))
    assert DEFAULT_SPEC.replace(normalization=norm, placement="waist").key() == DEFAULT_SPEC.key()
    assert DEFAULT_SPEC.replace(hop=32).key() != DEFAULT_SPEC.key()
    assert DEFAULT_SPEC.replace(rate_hz=25).key() != DEFAULT_SPEC.key()


def test_normalization_fit_apply_invert_and_mask():
    rng = np.random.default_rng(1)
    x = rng.normal(loc=[9.8, 0, 1, 0, 0, 0], scale=[2, 1, 1, 0.5, 0.5, 0.5], size=(50, 128, 6)).astype(np.float32)
    x[..., 3:] = 0
    norm = Normalization.fit(x, channel_mask=np.array([1, 1, 1, 0, 0, 0], bool))
    z = norm.apply(x)
    np.testing.assert_allclose(z[..., :3].reshape(-1, 3).mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(z[..., :3].reshape(-1, 3).std(0), 1, atol=1e-3)
    assert norm.mean[3:] == (0.0, 0.0, 0.0) and norm.std[3:] == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(norm.invert(z), x, atol=1e-4)


def test_renormalize_goes_from_one_specs_normalization_to_another_through_si_units():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 128, 6)).astype(np.float32) + 3.0
    a = DEFAULT_SPEC.replace(normalization=Normalization("standard", (1.0,) * 6, (2.0,) * 6))
    b = DEFAULT_SPEC.replace(normalization=Normalization("standard", (3.0,) * 6, (0.5,) * 6))
    np.testing.assert_allclose(b.renormalize(a.normalize(x), a), b.normalize(x), atol=1e-5)


def test_normalize_checks_channel_count():
    with pytest.raises(SpecMismatchError, match="3 channels"):
        DEFAULT_SPEC.normalize(np.zeros((2, 128, 3)))


def test_check_matches_lists_every_difference():
    other = DEFAULT_SPEC.replace(rate_hz=100.0, window=256)
    with pytest.raises(SpecMismatchError, match=r"rate_hz.*100.0.*window.*256"):
        DEFAULT_SPEC.check_matches(other, "model")
