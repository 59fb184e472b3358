"""The mujo protocol in Python: shared vectors, encode/decode, control records, negotiation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ProtocolError
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge import vectors as V


def test_vector_files_are_up_to_date():
    v = V.build_vectors()
    assert json.loads(V.JSON_PATH.read_text()) == v, "run python -m mujo_edge.firmware_bridge.vectors"
    assert V.HEADER_PATH.read_text() == V.render_header(v), "run python -m mujo_edge.firmware_bridge.vectors"


def test_python_decoder_reads_every_packet_vector():
    v = json.loads(V.JSON_PATH.read_text())
    assert v["crc16_check"]["crc"] == P.crc16(b"123456789") == 0x29B1
    for vec in v["packets"]:
        b = P.decode_packet(bytes.fromhex(vec["hex"]), rate_hz=50.0)
        assert b.seq == vec["seq"] and b.t_first_us == vec["t_first_us"] and b.count == len(vec["samples"])
        scale = P.si_scale(vec["format"], vec["acc_range_g"], vec["gyro_range_dps"])
        np.testing.assert_allclose(b.samples, np.asarray(vec["samples"]) * scale, rtol=1e-6)
        assert b.period_us == pytest.approx(20000.0)


def test_worked_example_of_protocol_md():
    pkt = bytes.fromhex("010100000000000001222ecc000000000010000000000000")
    b = P.decode_packet(pkt, 50.0)
    assert b.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert b.samples[0, 2] == pytest.approx(STANDARD_GRAVITY, rel=1e-6)
    doc = Path(P.__file__).with_name("PROTOCOL.md").read_text()
    assert "2e cc     crc 0xCC2E" in doc and P.crc16(pkt[:10] + pkt[12:]) == 0xCC2E


def test_roundtrip_quantize_and_saturation():
    x = np.array([[0.0, 1.0, 9.81, 0.1, -0.2, 0.3], [200.0, -200.0, 0.0, 50.0, -50.0, 0.0]], np.float32)
    counts = P.quantize(x, P.Format.IMU6, 8, 2000)
    b = P.decode_packet(P.encode_packet(P.Format.IMU6, 3, 99, counts, 8, 2000), 100.0)
    np.testing.assert_allclose(b.samples[0], x[0], atol=8 * 9.81 / 32768)
    assert b.saturated == 1  # the second sample is beyond ±8 g / ±2000 dps and was clipped


def recrc(p: bytes) -> bytes:
    """A packet with its CRC recomputed (to reach the checks after the CRC)."""
    return p[:10] + P.crc16(p[:10] + p[12:]).to_bytes(2, "little") + p[12:]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda p: p[:5], "shorter than"),
    (lambda p: bytes([2]) + p[1:], "protocol version 2"),
    (lambda p: p[:1] + bytes([9]) + p[2:], "CRC mismatch"),  # damage is reported as damage ...
    (lambda p: recrc(p[:1] + bytes([9]) + p[2:]), "unknown sample format 9"),  # ... a bad value as such
    (lambda p: recrc(p[:-1]), "does not fit"),
    (lambda p: recrc(p[:9] + bytes([0x40]) + p[10:]), "reserved"),
    (lambda p: p[:-1] + bytes([p[-1] ^ 1]), "CRC mismatch"),
])
def test_malformed_packets_raise_protocol_errors(mutate, message):
    good = P.encode_packet(P.Format.IMU6, 1, 2, np.zeros((2, 6), np.int16))
    with pytest.raises(ProtocolError, match=message):
        P.decode_packet(mutate(good), 50.0)


def test_range_byte_reserved_bits_and_codes():
    assert P.unpack_ranges(P.pack_ranges(16, 125)) == (16, 125)
    with pytest.raises(ProtocolError, match="valid"):
        P.pack_ranges(3, 2000)
    with pytest.raises(ProtocolError, match="reserved"):
        P.unpack_ranges(0x40)


def test_control_records_roundtrip_and_errors():
    st = P.DeviceStatus(state=P.State.STREAMING, batch=4, att_mtu=185, rate_hz=52.0, t_now_us=123)
    assert P.DeviceStatus.decode(st.encode()) == st
    with pytest.raises(ProtocolError, match="16 bytes"):
        P.DeviceStatus.decode(b"\x01" * 15)
    cmd = P.StartCommand(62.5, P.Format.ACC3, 4, 250, 7)
    op, parsed, err = P.parse_command(cmd.encode())
    assert (op, err) == (P.Opcode.START, P.DeviceError.OK) and parsed == cmd
    assert P.parse_command(b"")[2] == P.DeviceError.BAD_LENGTH
    assert P.parse_command(b"\x02")[2] == P.DeviceError.OK
    assert P.parse_command(b"\x09")[2] == P.DeviceError.UNKNOWN_OPCODE
    assert P.parse_command(cmd.encode()[:-1])[2] == P.DeviceError.BAD_LENGTH
    bad_version = bytearray(cmd.encode())
    bad_version[1] = 7
    assert P.parse_command(bytes(bad_version))[2] == P.DeviceError.UNSUPPORTED_VERSION


def test_negotiation_and_mtu_limits():
    rates = (25.0, 50.0, 100.0)
    assert P.negotiate(P.StartCommand(60.0), rates, 247) == (P.DeviceError.OK, 50.0, 19)
    assert P.negotiate(P.StartCommand(75.0, batch=3), rates, 247) == (P.DeviceError.OK, 100.0, 3)
    assert P.negotiate(P.StartCommand(50.0), rates, 23)[0] == P.DeviceError.BATCH_TOO_LARGE
    assert P.negotiate(P.StartCommand(50.0, batch=20), rates, 247)[0] == P.DeviceError.BATCH_TOO_LARGE
    assert [P.max_batch(P.Format.IMU6, m) for m in (23, 27, 185, 247, 517)] == [0, 1, 14, 19, 41]
    assert [P.max_batch(P.Format.ACC3, m) for m in (23, 247, 517)] == [1, 38, 83]


def test_decoder_refuses_a_format_switch_mid_stream():
    dec = P.MujoDecoder(50.0, P.Format.IMU6)
    acc = P.encode_packet(P.Format.ACC3, 0, 0, np.zeros((1, 3), np.int16))
    with pytest.raises(ProtocolError, match="started as"):
        dec.decode(acc)
