"""Polar PMD: control point commands and responses, raw and delta-compressed ACC frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mujo_edge.errors import ProtocolError
from mujo_edge.firmware_bridge import polar

T_LAST_NS = 725_000_000 * 10**9  # ~2022-12 in ns since 2000-01-01


def test_start_command_bytes_match_protocol_md():
    assert polar.start_command(50).hex(" ") == "02 02 00 01 32 00 01 01 10 00 02 01 08 00 04 01 03"
    assert polar.stop_command() == b"\x03\x02" and polar.get_settings_command() == b"\x01\x02"


def test_control_response_roundtrip_and_errors():
    r = polar.ControlResponse(polar.Op.GET_SETTINGS, polar.Measurement.ACC, 0,
                              settings={polar.Setting.SAMPLE_RATE: [25, 50, 100, 200], polar.Setting.RANGE: [2, 4, 8],
                                        polar.Setting.FACTOR: [0.5]})
    back = polar.ControlResponse.decode(r.encode())
    assert back.ok and back.settings == r.settings
    err = polar.ControlResponse.decode(bytes([0xF0, 2, 2, 8, 0]))
    assert not err.ok and err.error_name == "invalid sample rate"
    with pytest.raises(ProtocolError, match="not a PMD control response"):
        polar.ControlResponse.decode(b"\x02\x02\x00")
    with pytest.raises(ProtocolError, match="unknown PMD setting type 9"):
        polar.parse_settings(bytes([9, 1, 0, 0]))
    with pytest.raises(ProtocolError, match="needs 4 bytes"):
        polar.parse_settings(bytes([0, 2, 50, 0]))


@pytest.mark.parametrize("frame_type", [0, 1, 2])
def test_raw_frames_all_resolutions(frame_type):
    lim = {0: 127, 1: 32767, 2: 8_000_000}[frame_type]
    counts = np.array([[lim, -lim, 0], [1, -1, 1000 % lim], [-5, 5, 7]])
    b = polar.decode_frame(polar.encode_raw_frame(T_LAST_NS, counts, frame_type), rate_hz=50.0)
    np.testing.assert_allclose(b.samples / polar.MILLI_G, counts, rtol=1e-6, atol=1e-3)
    # the timestamp is the LAST sample's; first = last - 2 periods
    assert b.t_first_us == round((T_LAST_NS - 2 * 20_000_000) / 1000)
    assert b.seq is None and b.channels == ("acc_x", "acc_y", "acc_z") and b.time_modulo == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=60), st.integers(1, 40))
def test_delta_frames_roundtrip(samples, block):
    counts = np.array(samples, dtype=np.int64)
    frame = polar.encode_delta_frame(T_LAST_NS, counts, block=block)
    assert frame[9] == 0x81
    b = polar.decode_frame(frame, rate_hz=52.0)
    np.testing.assert_allclose(b.samples / polar.MILLI_G, counts, atol=1e-2 * np.abs(counts).max() / 1000 + 1e-3)
    assert b.count == len(counts)


def test_compressed_type_0x80_is_in_g_times_factor():
    frame = bytearray(polar.encode_delta_frame(T_LAST_NS, np.array([[1, 2, 3], [2, 2, 2]])))
    frame[9] = 0x80
    b = polar.decode_frame(bytes(frame), 25.0, factor=0.5)
    np.testing.assert_allclose(b.samples[0] / polar.MILLI_G, [500.0, 1000.0, 1500.0], rtol=1e-6)


def test_width_zero_block_repeats_previous_sample():
    ref = polar.encode_delta_frame(T_LAST_NS, np.array([[7, 8, 9]]))
    frame = ref + bytes([0, 3])  # 3 samples of zero deltas
    b = polar.decode_frame(frame, 50.0)
    np.testing.assert_allclose(b.samples / polar.MILLI_G, [[7, 8, 9]] * 4, rtol=1e-6)


@pytest.mark.parametrize(("frame", "message"), [
    (bytes([polar.Measurement.ECG]) + bytes(9) + b"\x00\x00\x00", "ECG is not decoded; supported: ACC"),
    (bytes([polar.Measurement.ACC]) + bytes(8) + b"\x05" + bytes(6), "raw ACC frame type 5 unknown"),
    (bytes([polar.Measurement.ACC]) + bytes(8) + b"\x01" + bytes(7), "not a multiple of 6"),
    (bytes([polar.Measurement.ACC]) + bytes(8) + b"\x81" + bytes(6) + bytes([4, 10, 0]), "needs 15 bytes"),
    (bytes([polar.Measurement.ACC]) + bytes(8) + b"\x81" + bytes(6) + bytes([40, 1]), "bit width 40"),
    (bytes([polar.Measurement.ACC]) + bytes(8) + b"\x83" + bytes(6), "compressed ACC frame type 0x83"),
    (b"\x02\x00", "shorter than header"),
])
def test_malformed_frames_raise_protocol_errors(frame, message):
    with pytest.raises(ProtocolError, match=message):
        polar.decode_frame(frame, 50.0)


def test_start_response_carries_the_applied_factor():
    """Polar's SDK takes the compressed frames' factor from the START response; so do we."""
    factor = 8 / 32768
    back = polar.ControlResponse.decode(polar.ControlResponse(polar.Op.START, polar.Measurement.ACC, 0, settings={
        polar.Setting.FACTOR: [factor]}).encode())
    assert back.settings == {polar.Setting.FACTOR: [factor]}
    assert back.applied(polar.parse_settings(polar.start_command(50)[2:])) == (factor, 16)
    assert polar.ControlResponse(polar.Op.START, polar.Measurement.ACC, 0).applied({}) == (1.0, 16)
    # a STOP response's trailing bytes are not settings; a failed command has none
    assert polar.ControlResponse.decode(bytes([0xF0, 3, 2, 0, 0, 9, 9])).settings == {}
    assert polar.ControlResponse.decode(bytes([0xF0, 2, 2, 8, 0, 9, 9])).settings == {}
    with pytest.raises(ProtocolError, match="factor -1.0"):
        polar.ControlResponse(polar.Op.START, polar.Measurement.ACC, 0, settings={polar.Setting.FACTOR: [-1.0]}).applied({})


def test_type_0x80_frames_round_trip_with_the_device_factor():
    g_counts = np.array([[0, 0, 4096], [-4096, 100, 4000], [5, 5, 5]])  # at 8/32768 g per count
    frame = polar.encode_delta_frame(T_LAST_NS, g_counts, frame_type=0x80)
    assert frame[9] == 0x80
    b = polar.PolarDecoder(50.0, factor=8 / 32768).decode(frame)
    np.testing.assert_allclose(b.samples / polar.MILLI_G, g_counts * 8 / 32768 * 1000, rtol=1e-5)
    with pytest.raises(ProtocolError, match="0x82 unknown"):
        polar.encode_delta_frame(T_LAST_NS, g_counts, frame_type=0x82)
