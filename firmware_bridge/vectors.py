"""Shared test vectors of the protocol: ``firmware/vectors/vectors.json`` and its C twin ``vectors.h``.

The Python decoder must read every packet in the JSON, and the C encoder (``firmware/tests``) must
produce the same bytes from the same inputs. ``onboard_vectors.json`` / ``onboard_vectors.h`` hold the
on-board classification path: int16 sample streams and the int8 model windows the host's Python
preprocessing makes of them (decode, normalize, window, quantize), single quantizations with exact
ties, the SI scale per count, and result / model records (``results.py``). Regenerate both files after a protocol change with
``python -m mujo_edge.firmware_bridge.vectors``; a test fails while they are out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge import results as R
from mujo_edge.firmware_bridge.onwatch import quantize_samples

from mujo_edge.data.preprocess import sliding_windows
from mujo_edge.data.spec import Normalization, SensorSpec
from mujo_edge.runtime.int8 import c_float, quantize_input

FIRMWARE_DIR = Path(__file__).parent / "firmware"
JSON_PATH = FIRMWARE_DIR / "vectors" / "vectors.json"
HEADER_PATH = FIRMWARE_DIR / "vectors" / "vectors.h"


def _packets() -> list[dict[str, Any]]:
    rng = np.random.default_rng(6)
    cases = [
        ("imu6_one_sample_1g_z", P.Format.IMU6, 8, 2000, 0, 0, [[0, 0, 4096, 0, 0, 0]]),
        ("imu6_wrapping_counters_extremes", P.Format.IMU6, 16, 125, 65535, 4294967000,
         [[-32768, 32767, 0, 1, -1, 2], [32767, -32768, -2, 3, -3, 4], [100, -100, 200, -200, 300, -300]]),
        ("acc3_three_samples", P.Format.ACC3, 2, 125, 7, 123456, [[16384, 0, 0], [0, -16384, 0], [1, 2, 3]]),
        ("imu6_full_mtu247_batch", P.Format.IMU6, 4, 500, 4242, 1_000_000,
         rng.integers(-32768, 32768, size=(19, 6)).tolist()),
    ]
    out = []
    for name, fmt, acc, gyro, seq, t_us, samples in cases:
        pkt = P.encode_packet(fmt, seq, t_us, np.asarray(samples, np.int16), acc, gyro)
        out.append({"name": name, "format": int(fmt), "acc_range_g": acc, "gyro_range_dps": gyro,
                    "ranges": P.pack_ranges(acc, gyro), "seq": seq, "t_first_us": t_us, "samples": samples,
                    "hex": pkt.hex()})
    return out


def _commands() -> list[dict[str, Any]]:
    out = []
    for name, cmd in [("start_50hz_imu6_batch2", P.StartCommand(50.0, P.Format.IMU6, 8, 2000, 2)),
                      ("start_52hz_acc3_auto_batch", P.StartCommand(52.0, P.Format.ACC3, 4, 250, 0))]:
        out.append({"name": name, "rate_mhz": int(round(cmd.rate_hz * 1000)), "format": int(cmd.fmt),
                    "ranges": P.pack_ranges(cmd.acc_range_g, cmd.gyro_range_dps), "batch": cmd.batch,
                    "hex": cmd.encode().hex()})
    st = P.DeviceStatus(state=P.State.STREAMING, error=P.DeviceError.OK, fmt=P.Format.IMU6, acc_range_g=8,
                        gyro_range_dps=2000, batch=2, att_mtu=247, rate_hz=50.0, t_now_us=3_000_000_123)
    out.append({"name": "status_streaming", "state": 1, "error": 0, "format": 1, "ranges": P.pack_ranges(8, 2000),
                "batch": 2, "att_mtu": 247, "rate_mhz": 50000, "t_now_us": 3_000_000_123, "hex": st.encode().hex()})
    return out


def _negotiations() -> list[dict[str, Any]]:
    rates = (25.0, 50.0, 52.0, 100.0, 104.0, 200.0)
    out = []
    for rate, batch, mtu in [(50.0, 0, 247), (51.0, 4, 247), (60.0, 0, 23), (120.0, 20, 247), (1000.0, 19, 247)]:
        err, applied, b = P.negotiate(P.StartCommand(rate, P.Format.IMU6, 8, 2000, batch), rates, mtu)
        out.append({"request_mhz": int(rate * 1000), "batch": batch, "att_mtu": mtu,
                    "rates_mhz": [int(r * 1000) for r in rates], "error": int(err),
                    "rate_mhz": int(round(applied * 1000)), "applied_batch": b})
    return out


def build_vectors() -> dict[str, Any]:
    """Every vector as a JSON-ready dict (packets, control records, negotiations, CRC check value)."""
    return {"protocol_version": P.PROTOCOL_VERSION, "crc16_check": {"input": "123456789", "crc": P.crc16(b"123456789")},
            "packets": _packets(), "control": _commands(), "negotiate": _negotiations()}


def render_json(v: dict[str, Any]) -> str:
    """``vectors.json``: one vector per line."""
    parts = [f' "protocol_version": {v["protocol_version"]}', f' "crc16_check": {json.dumps(v["crc16_check"])}']
    for key in ("packets", "control", "negotiate"):
        items = ",\n".join("  " + json.dumps(item) for item in v[key])
        parts.append(f' "{key}": [\n{items}\n ]')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _c_bytes(hexstr: str) -> str:
    return ", ".join(f"0x{hexstr[i:i + 2]}" for i in range(0, len(hexstr), 2))


def render_header(v: dict[str, Any]) -> str:
    """``vectors.h``: the same vectors as C initializers (generated; do not edit)."""
    lines = ["/* Generated by `python -m mujo_edge.firmware_bridge.vectors` from vectors.json; do not edit. */",
             "#ifndef MUJO_VECTORS_H", "#define MUJO_VECTORS_H", "#include <stdint.h>", "",
             "typedef struct { const char *name; uint8_t format, ranges; uint16_t seq; uint32_t t_first_us;",
             "                 uint8_t count; const int16_t *samples; const uint8_t *packet; uint16_t len; } mujo_vec_packet_t;",
             "typedef struct { uint32_t request_mhz; uint8_t batch; uint16_t att_mtu; uint8_t error;",
             "                 uint32_t rate_mhz; uint8_t applied_batch; } mujo_vec_negotiate_t;", ""]
    for i, p in enumerate(v["packets"]):
        flat = [x for row in p["samples"] for x in row]
        lines.append(f"static const int16_t vec_samples_{i}[] = {{{', '.join(str(x) for x in flat)}}};")
        lines.append(f"static const uint8_t vec_packet_{i}[] = {{{_c_bytes(p['hex'])}}};")
    lines.append("static const mujo_vec_packet_t MUJO_VEC_PACKETS[] = {")
    for i, p in enumerate(v["packets"]):
        lines.append(f'    {{"{p["name"]}", {p["format"]}, {p["ranges"]}, {p["seq"]}, {p["t_first_us"]}u, '
                     f'{len(p["samples"])}, vec_samples_{i}, vec_packet_{i}, {len(p["hex"]) // 2}}},')
    lines += ["};", f"#define MUJO_VEC_N_PACKETS {len(v['packets'])}", ""]
    start = next(c for c in v["control"] if c["name"] == "start_50hz_imu6_batch2")
    status = next(c for c in v["control"] if c["name"] == "status_streaming")
    lines.append(f"static const uint8_t MUJO_VEC_START[] = {{{_c_bytes(start['hex'])}}};")
    lines.append(f"#define MUJO_VEC_START_RATE_MHZ {start['rate_mhz']}u")
    lines.append(f"#define MUJO_VEC_START_RANGES {start['ranges']}u")
    lines.append(f"static const uint8_t MUJO_VEC_STATUS[] = {{{_c_bytes(status['hex'])}}};")
    lines.append(f"#define MUJO_VEC_STATUS_T_NOW {status['t_now_us']}u")
    rates = v["negotiate"][0]["rates_mhz"]
    lines.append(f"static const uint32_t MUJO_VEC_RATES[] = {{{', '.join(f'{r}u' for r in rates)}}};")
    lines.append("static const mujo_vec_negotiate_t MUJO_VEC_NEGOTIATE[] = {")
    for n in v["negotiate"]:
        lines.append(f"    {{{n['request_mhz']}u, {n['batch']}, {n['att_mtu']}, {n['error']}, {n['rate_mhz']}u, "
                     f"{n['applied_batch']}}},")
    lines += ["};", f"#define MUJO_VEC_N_NEGOTIATE {len(v['negotiate'])}",
              f"#define MUJO_VEC_CRC_CHECK 0x{v['crc16_check']['crc']:04x}u", "", "#endif", ""]
    return "\n".join(lines)




# --------------------------------------------------------------------------------------------- on-board classification
ONBOARD_JSON_PATH = FIRMWARE_DIR / "vectors" / "onboard_vectors.json"
ONBOARD_HEADER_PATH = FIRMWARE_DIR / "vectors" / "onboard_vectors.h"


def host_window_bytes(counts: np.ndarray, fmt: int, acc_range_g: int, gyro_range_dps: int, spec: SensorSpec,
                      scale: float, zero_point: int) -> np.ndarray:
    """The host's int8 model inputs for one gap-free run of int16 ``counts (n, C)``: ``(N, W, C)`` int8.

    Exactly the Python path: protocol decoding (``counts × si_scale`` in float64, rounded to float32),
    the spec's normalization, :func:`mujo_edge.data.preprocess.sliding_windows` and int8 quantization
    (:func:`mujo_edge.firmware_bridge.onwatch.quantize_samples`).
    """
    q = quantize_samples(counts, fmt, acc_range_g, gyro_range_dps, spec, scale, zero_point)
    return np.asarray(sliding_windows(q, spec.window, spec.hop), np.int8)


def _onboard_streams() -> list[dict[str, Any]]:
    rng = np.random.default_rng(13)
    out = []
    cases = [  # name, window, hop, n samples, hole after sample (None: none), ranges
        ("w20_h7", 20, 7, 75, None, (8, 2000)),
        ("w16_h16_hole", 16, 16, 70, 37, (4, 500)),
        ("w8_h11_hop_longer_than_window", 8, 11, 60, None, (16, 125)),
        ("w128_h64_dscnn_shape", 128, 64, 300, 150, (8, 2000)),
    ]
    for name, window, hop, n, hole, (acc, gyro) in cases:
        mean = rng.normal(0.0, 2.0, 6).round(6).tolist()
        std = rng.uniform(0.2, 3.0, 6).round(6).tolist()
        spec = SensorSpec(window=window, hop=hop, normalization=Normalization("standard", tuple(mean), tuple(std)))
        scale, zero = float(np.float32(rng.uniform(0.02, 0.12))), int(rng.integers(-20, 20))
        counts = rng.normal(0, 6000, (n, 6)).round().clip(-32768, 32767).astype(np.int16)
        counts[3] = [32767, -32768, 0, 32767, -32768, 1]  # full scale on every channel
        index = np.arange(n, dtype=np.int64)
        if hole is not None:
            index[hole:] += 5  # five schedule slots missed: the watch restarts its window
        segments = np.split(np.arange(n), [hole] if hole is not None else [])
        windows, ends = [], []
        for seg in segments:
            w = host_window_bytes(counts[seg], P.Format.IMU6, acc, gyro, spec, scale, zero)
            windows += [win.tobytes().hex() for win in w]
            ends += [int(seg[0] + spec.window - 1 + i * spec.hop) for i in range(len(w))]
        out.append({"name": name, "format": int(P.Format.IMU6), "ranges": P.pack_ranges(acc, gyro), "window": window,
                    "hop": hop, "mean": [float(np.float32(v)) for v in mean], "std": [float(np.float32(v)) for v in std],
                    "scale": scale, "zero_point": zero, "counts": counts.tolist(), "index": index.tolist(),
                    "window_end_sample": ends, "windows_hex": windows})
    return out


def _quantize_cases() -> list[dict[str, Any]]:
    rng = np.random.default_rng(14)
    cases = []
    # exact ties at scale 0.5 (x / scale = k + 0.5 goes to the even k), saturation, zero points at the ends
    for x in (0.25, 0.75, -0.25, -0.75, 1.25, -1.25, 0.0, 63.75, -65.25, 1e30, -1e30):
        cases.append((x, 0.0, 1.0, 0.5, -3))
    cases += [(200.0, 0.0, 1.0, 1.0, 127), (-200.0, 0.0, 1.0, 1.0, -128), (5.0, 9.80665, 2.5, 0.03, 4)]
    for _ in range(40):
        cases.append((float(rng.normal(0, 20)), float(rng.normal(0, 3)), float(rng.uniform(0.1, 4)),
                      float(rng.uniform(0.005, 0.2)), int(rng.integers(-128, 128))))
    out = []
    for x, mean, std, scale, zero in cases:
        f = [float(np.float32(v)) for v in (x, mean, std, scale)]
        q = quantize_input((np.float32(f[0]) - np.float32(f[1])) / np.float32(f[2]), f[3], zero)
        out.append({"x": f[0], "mean": f[1], "std": f[2], "scale": f[3], "zero_point": zero, "q": int(q)})
    return out


def _result_cases() -> dict[str, Any]:
    results = []
    for seq, t, cls, k, conf, flt in [(0, 0, 0, 6, 1.0, False), (65535, 4294967000, 5, 6, 0.5, False),
                                      (7, 123456, 2, 12, 0.8125, True), (300, 99, 3, 4, 0.0, False),
                                      (12, 77, 1, 4, 0.999, False), (13, 78, 0, 4, 0.3333, True)]:
        results.append({"seq": seq, "t_end_us": t, "class_index": cls, "num_classes": k, "confidence": conf,
                        "float": flt, "hex": R.encode_result(seq, t, cls, k, conf, flt).hex()})
    codes = [{"p": p, "q": R.confidence_code(p)} for p in (0.0, 1 / 256, 0.5, 0.501953125, 0.99, 1.0, 1.5, -0.2)]
    record = R.ModelRecord(6, 128, 64, 50.0, bytes(range(0xA0, 0xA8)))
    return {"results": results, "confidence_codes": codes,
            "model_record": {"num_classes": 6, "window": 128, "hop": 64, "rate_mhz": 50000,
                             "model_id": bytes(range(0xA0, 0xA8)).hex(), "hex": record.encode().hex()}}


def build_onboard_vectors() -> dict[str, Any]:
    """Golden vectors of the on-board path: window streams, single quantizations, LSBs, result records."""
    lsb = [{"format": int(fmt), "ranges": P.pack_ranges(a, g), "channel": c,
            "lsb": float(P.si_scale(fmt, a, g)[c])}
           for fmt in (P.Format.IMU6, P.Format.ACC3) for a in P.ACC_RANGES_G for g in (125, 2000)
           for c in range(len(P.FORMAT_CHANNELS[fmt]))]
    return {"protocol_version": P.PROTOCOL_VERSION, "lsb": lsb, "quantize": _quantize_cases(),
            "streams": _onboard_streams(), **_result_cases()}


def render_onboard_header(v: dict[str, Any]) -> str:
    """``onboard_vectors.h``: the on-board vectors as C initializers (generated; do not edit)."""
    lines = ["/* Generated by `python -m mujo_edge.firmware_bridge.vectors` from onboard_vectors.json; do not edit. */",
             "#ifndef MUJO_ONBOARD_VECTORS_H", "#define MUJO_ONBOARD_VECTORS_H", "#include <stdint.h>", "",
             "typedef struct { uint8_t format, ranges, channel; double lsb; } mujo_vec_lsb_t;",
             "typedef struct { float x, mean, std, scale; int32_t zero_point; int8_t q; } mujo_vec_quantize_t;",
             "typedef struct { const char *name; uint8_t format, ranges; uint16_t window, hop; float mean[6], std[6];",
             "                 float scale; int32_t zero_point; uint16_t n; const int16_t *counts; const uint32_t *index;",
             "                 uint16_t n_windows; const uint16_t *ends; const int8_t *windows; } mujo_vec_stream_t;",
             "typedef struct { uint16_t seq; uint32_t t_end_us; uint8_t class_index, num_classes, is_float; float confidence;",
             "                 const uint8_t *packet; uint8_t len; } mujo_vec_result_t;", ""]
    lines.append("static const mujo_vec_lsb_t MUJO_VEC_LSB[] = {")
    lines += [f"    {{{e['format']}, {e['ranges']}, {e['channel']}, {e['lsb']!r}}}," for e in v["lsb"]]
    lines += ["};", f"#define MUJO_VEC_N_LSB {len(v['lsb'])}", ""]
    lines.append("static const mujo_vec_quantize_t MUJO_VEC_QUANTIZE[] = {")
    lines += [f"    {{{c_float(e['x']) if abs(e['x']) < 1e38 else repr(e['x']) + 'f'}, {c_float(e['mean'])}, "
              f"{c_float(e['std'])}, {c_float(e['scale'])}, {e['zero_point']}, {e['q']}}}," for e in v["quantize"]]
    lines += ["};", f"#define MUJO_VEC_N_QUANTIZE {len(v['quantize'])}", ""]
    for i, s in enumerate(v["streams"]):
        flat = [x for row in s["counts"] for x in row]
        win = [int.from_bytes(bytes([b]), "little", signed=True) for h in s["windows_hex"] for b in bytes.fromhex(h)]
        lines.append(f"static const int16_t vec_counts_{i}[] = {{{', '.join(map(str, flat))}}};")
        lines.append(f"static const uint32_t vec_index_{i}[] = {{{', '.join(f'{x}u' for x in s['index'])}}};")
        lines.append(f"static const uint16_t vec_ends_{i}[] = {{{', '.join(map(str, s['window_end_sample'])) or '0'}}};")
        lines.append(f"static const int8_t vec_windows_{i}[] = {{{', '.join(map(str, win)) or '0'}}};")
    lines.append("static const mujo_vec_stream_t MUJO_VEC_STREAMS[] = {")
    for i, s in enumerate(v["streams"]):
        lines.append(f'    {{"{s["name"]}", {s["format"]}, {s["ranges"]}, {s["window"]}, {s["hop"]}, '
                     f'{{{", ".join(c_float(x) for x in s["mean"])}}}, {{{", ".join(c_float(x) for x in s["std"])}}}, '
                     f'{c_float(s["scale"])}, {s["zero_point"]}, {len(s["counts"])}, vec_counts_{i}, vec_index_{i}, '
                     f'{len(s["windows_hex"])}, vec_ends_{i}, vec_windows_{i}}},')
    lines += ["};", f"#define MUJO_VEC_N_STREAMS {len(v['streams'])}", ""]
    for i, r in enumerate(v["results"]):
        lines.append(f"static const uint8_t vec_result_{i}[] = {{{_c_bytes(r['hex'])}}};")
    lines.append("static const mujo_vec_result_t MUJO_VEC_RESULTS[] = {")
    for i, r in enumerate(v["results"]):
        lines.append(f"    {{{r['seq']}, {r['t_end_us']}u, {r['class_index']}, {r['num_classes']}, {int(r['float'])}, "
                     f"{c_float(r['confidence'])}, vec_result_{i}, {len(r['hex']) // 2}}},")
    lines += ["};", f"#define MUJO_VEC_N_RESULTS {len(v['results'])}", ""]
    lines.append("static const struct { float p; int8_t q; } MUJO_VEC_CONFIDENCE[] = {")
    lines += [f"    {{{c_float(c['p'])}, {c['q']}}}," for c in v["confidence_codes"]]
    lines += ["};", f"#define MUJO_VEC_N_CONFIDENCE {len(v['confidence_codes'])}", ""]
    mr = v["model_record"]
    lines += [f"static const uint8_t MUJO_VEC_MODEL_ID[] = {{{_c_bytes(mr['model_id'])}}};",
              f"static const uint8_t MUJO_VEC_MODEL_RECORD[] = {{{_c_bytes(mr['hex'])}}};",
              f"#define MUJO_VEC_MODEL_RECORD_ARGS {mr['num_classes']}, {mr['window']}, {mr['hop']}, {mr['rate_mhz']}u",
              "", "#endif", ""]
    return "\n".join(lines)


def render_onboard_json(v: dict[str, Any]) -> str:
    """``onboard_vectors.json``: one vector per line."""
    parts = [f' "protocol_version": {v["protocol_version"]}']
    for key in ("lsb", "quantize", "streams", "results", "confidence_codes"):
        items = ",\n".join("  " + json.dumps(item) for item in v[key])
        parts.append(f' "{key}": [\n{items}\n ]')
    parts.append(f' "model_record": {json.dumps(v["model_record"])}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_vectors() -> None:
    """Regenerate ``vectors.json`` / ``vectors.h`` (protocol) and ``onboard_vectors.json`` / ``onboard_vectors.h``."""
    v = build_vectors()
    JSON_PATH.parent.mkdir(parents=True, exist_ok=True)
    JSON_PATH.write_text(render_json(v))
    HEADER_PATH.write_text(render_header(v))
    ob = build_onboard_vectors()
    ONBOARD_JSON_PATH.write_text(render_onboard_json(ob))
    ONBOARD_HEADER_PATH.write_text(render_onboard_header(ob))


if __name__ == "__main__":
    write_vectors()
