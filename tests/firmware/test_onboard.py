"""On-board classification: golden vectors of the window / quantize path shared with the C firmware, the result
characteristic's records, and the Python twin of the watch (window assembler + top class)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from mujo_edge.data.preprocess import sliding_windows
from mujo_edge.data.spec import Normalization, SensorSpec
from mujo_edge.errors import ProtocolError
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge import results as R
from mujo_edge.firmware_bridge.vectors import (ONBOARD_HEADER_PATH, ONBOARD_JSON_PATH, build_onboard_vectors,
                                               render_onboard_header, render_onboard_json)


def test_onboard_vectors_are_up_to_date():
    """The committed vectors are what the Python preprocessing makes today (regenerate with
    ``python -m mujo_edge.firmware_bridge.vectors``); the C host tests (test_firmware.py) check the same file."""
    v = build_onboard_vectors()
    assert ONBOARD_JSON_PATH.read_text() == render_onboard_json(v)
    assert ONBOARD_HEADER_PATH.read_text() == render_onboard_header(v)


def test_window_vectors_follow_the_host_preprocessing():
    """Each stream's windows are the host path: decode (float64 scale → float32), normalize, slide, quantize."""
    from mujo_edge.runtime.int8 import quantize_input

    v = json.loads(ONBOARD_JSON_PATH.read_text())
    for s in v["streams"]:
        counts = np.asarray(s["counts"], np.int16)
        acc, gyro = P.unpack_ranges(s["ranges"])
        decoded = P.decode_packet(P.encode_packet(P.Format.IMU6, 0, 0, counts[:10], acc, gyro), 50.0).samples
        spec = SensorSpec(window=s["window"], hop=s["hop"],
                          normalization=Normalization("standard", tuple(s["mean"]), tuple(s["std"])))
        index = np.asarray(s["index"])
        cut = [i for i in range(1, len(index)) if index[i] != index[i - 1] + 1]
        windows = []
        for seg in np.split(np.arange(len(counts)), cut):
            x = (counts[seg] * P.si_scale(P.Format.IMU6, acc, gyro)).astype(np.float32)
            windows += [quantize_input(w, s["scale"], s["zero_point"]).tobytes().hex()
                        for w in sliding_windows(spec.normalize(x), spec.window, spec.hop)]
        assert windows == s["windows_hex"], s["name"]
        np.testing.assert_array_equal(decoded, (counts[:10] * P.si_scale(P.Format.IMU6, acc, gyro)).astype(np.float32))


def test_quantize_vectors_have_exact_ties_and_saturation():
    v = json.loads(ONBOARD_JSON_PATH.read_text())["quantize"]
    by_x = {c["x"]: c["q"] for c in v if (c["mean"], c["std"], c["scale"], c["zero_point"]) == (0.0, 1.0, 0.5, -3)}
    assert by_x[0.25] == -3 and by_x[0.75] == -1 and by_x[-0.25] == -3  # 0.5 → 0, 1.5 → 2 (half to even)
    assert by_x[float(np.float32(1e30))] == 127 and by_x[float(np.float32(-1e30))] == -128


@pytest.mark.parametrize("float_conf", [False, True])
def test_result_records_round_trip_and_every_bit_error_is_caught(float_conf):
    pkt = R.encode_result(70000, 2**32 + 5, 3, 6, 0.7, float_conf)
    r = R.decode_result(pkt)
    assert (r.seq, r.t_end_us, r.class_index, r.num_classes) == (70000 % 65536, 5, 3, 6)
    assert r.float_confidence is float_conf and abs(r.confidence - 0.7) < (1e-6 if float_conf else 1 / 256)
    assert len(pkt) == (16 if float_conf else 13)
    for byte in range(len(pkt)):
        for bit in range(8):
            bad = bytearray(pkt)
            bad[byte] ^= 1 << bit
            with pytest.raises(ProtocolError):
                R.decode_result(bytes(bad))
    with pytest.raises(ProtocolError, match="shorter"):
        R.decode_result(pkt[:12])


def test_result_decoder_checks_fields():
    head = R.RESULT_HEADER.pack(1, 0, 0, 0, 7, 6, 0)[:10]

    def with_crc(head10: bytes, conf: bytes) -> bytes:
        return head10 + struct.pack("<H", P.crc16(head10 + conf)) + conf

    with pytest.raises(ProtocolError, match="class 7 outside the model's 6 classes"):
        R.decode_result(with_crc(head, b"\x00"))
    with pytest.raises(ProtocolError, match="reserved bits"):
        R.decode_result(with_crc(R.RESULT_HEADER.pack(1, 2, 0, 0, 1, 6, 0)[:10], b"\x00"))
    with pytest.raises(ProtocolError, match="not a probability"):
        R.decode_result(with_crc(R.RESULT_HEADER.pack(1, 1, 0, 0, 1, 6, 0)[:10], struct.pack("<f", 1.5)))
    with pytest.raises(ProtocolError, match="version 2"):
        R.decode_result(b"\x02" + R.encode_result(0, 0, 0, 2, 0.5)[1:])
    dec = R.ResultDecoder(num_classes=4, window=128, rate_hz=50.0)
    with pytest.raises(ProtocolError, match="6-class model"):
        dec.decode(R.encode_result(0, 0, 0, 6, 0.5))


def test_confidence_codes():
    assert [R.confidence_code(p) for p in (0.0, 0.5, 1.0, 2.0, -1.0)] == [-128, 0, 127, 127, -128]
    assert R.code_probability(R.confidence_code(0.8125)) == 0.8125


def test_model_record_names_what_differs():
    meta = {"sensor_spec": {"window": 128, "hop": 64, "rate_hz": 50.0}, "label_names": list("abcdef"),
            "sha256": "ab" * 32}
    rec = R.ModelRecord.for_sidecar(meta)
    assert R.ModelRecord.decode(rec.encode()) == rec and len(rec.encode()) == 20
    rec.check(meta)
    with pytest.raises(ProtocolError, match="the watch runs model 0000000000000000"):
        R.ModelRecord(6, 128, 64, 50.0, bytes(8)).check(meta)
    with pytest.raises(ProtocolError, match="window 64"):
        R.ModelRecord(6, 64, 64, 50.0, bytes.fromhex("ab" * 8)).check(meta)
    with pytest.raises(ProtocolError, match="no on-board model"):
        R.ModelRecord(6, 128, 64, 50.0, bytes.fromhex("ab" * 8), present=False).check(meta)


def test_start_with_the_on_board_bit():
    for fmt in (R.ON_BOARD, R.ON_BOARD | P.Format.IMU6):
        op, cmd, err = P.parse_command(P.StartCommand(50.0, fmt, 8, 2000, 0).encode())
        assert err == P.DeviceError.OK and cmd.fmt == fmt
    _, _, err = P.parse_command(P.StartCommand(50.0, R.ON_BOARD | 5, 8, 2000, 0).encode())
    assert err == P.DeviceError.UNSUPPORTED_FORMAT
    assert P.negotiate(P.StartCommand(50.0, R.ON_BOARD, 8, 2000, 0), (50.0,), 23) == (P.DeviceError.OK, 50.0, 0)


def test_top_class_matches_softmax():
    from mujo_edge.firmware_bridge.onwatch import top_class

    q = np.array([-20, 90, 90, 3], np.int8)
    cls, p = top_class(q, 0.1, -20)
    z = (q.astype(np.float64) + 20) * 0.1
    assert cls == 1 and abs(p - np.exp(z[1]) / np.exp(z).sum()) < 1e-6
