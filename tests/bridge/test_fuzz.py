"""Property-based fuzzing of every decoder: arbitrary bytes either decode or raise ProtocolError.

Nothing else may escape (no IndexError, struct.error, ValueError, numpy errors), and a mutated valid
mujo packet is always rejected (the CRC detects every single-bit error).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujo_edge.errors import ProtocolError
from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decodes_or_protocol_error(fn, data):
    try:
        out = fn(data)
    except ProtocolError:
        return None
    return out


@FUZZ
@given(st.binary(max_size=300), st.floats(0.5, 2000.0))
def test_fuzz_mujo_packet(data, rate):
    b = _decodes_or_protocol_error(lambda d: P.decode_packet(d, rate), data)
    if b is not None:
        assert np.isfinite(b.samples).all() and 1 <= b.count <= 255


@FUZZ
@given(st.binary(min_size=12, max_size=12).map(lambda h: bytes([1, 1]) + h[2:]), st.binary(max_size=240))
def test_fuzz_mujo_packet_with_plausible_header(head, payload):
    """Random packets that get past the version/format checks exercise the length and CRC paths."""
    _decodes_or_protocol_error(lambda d: P.decode_packet(d, 50.0), head + payload)


@FUZZ
@given(st.integers(0, 65535), st.integers(0, 2**32 - 1), st.integers(1, 19), st.data())
def test_every_single_bit_flip_of_a_valid_packet_is_rejected(seq, t_us, n, data):
    counts = np.array(data.draw(st.lists(st.lists(st.integers(-32768, 32767), min_size=6, max_size=6),
                                         min_size=n, max_size=n)), dtype=np.int16)
    pkt = bytearray(P.encode_packet(P.Format.IMU6, seq, t_us, counts))
    bit = data.draw(st.integers(0, len(pkt) * 8 - 1))
    pkt[bit // 8] ^= 1 << (bit % 8)
    assert _decodes_or_protocol_error(lambda d: P.decode_packet(d, 50.0), bytes(pkt)) is None


@FUZZ
@given(st.binary(max_size=400), st.floats(1.0, 500.0), st.floats(0.001, 10.0), st.integers(1, 32))
def test_fuzz_polar_frame(data, rate, factor, resolution):
    b = _decodes_or_protocol_error(lambda d: polar.decode_frame(d, rate, factor, resolution), data)
    if b is not None:
        assert b.samples.shape[1] == 3 and b.count >= 1


@FUZZ
@given(st.binary(max_size=40), st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81]), st.binary(max_size=200))
def test_fuzz_polar_acc_frames_by_type(ts, ftype, payload):
    frame = bytes([polar.Measurement.ACC]) + (ts + bytes(8))[:8] + bytes([ftype]) + payload
    _decodes_or_protocol_error(lambda d: polar.decode_frame(d, 52.0), frame)


@FUZZ
@given(st.binary(max_size=64))
def test_fuzz_control_records(data):
    _decodes_or_protocol_error(P.DeviceStatus.decode, data)
    _decodes_or_protocol_error(polar.ControlResponse.decode, data)
    _decodes_or_protocol_error(polar.ControlResponse.decode, bytes([0xF0, 1, 2, 0, 0]) + data)
    start = _decodes_or_protocol_error(polar.ControlResponse.decode, bytes([0xF0, 2, 2, 0, 0]) + data)
    if start is not None:  # the start response's settings reach the decoder: valid or a ProtocolError
        _decodes_or_protocol_error(lambda r: r.applied({}), start)
    _decodes_or_protocol_error(polar.parse_settings, data)
    op, cmd, err = P.parse_command(data)  # device side never raises: it reports an error code
    assert err in P.DeviceError._value2member_map_ and (cmd is None) == (err != 0 or op == P.Opcode.STOP)
