"""Golden vectors for the Android app's JVM core (``android/core``): the Python pipeline's own numbers.

``python -m mujo_edge.firmware_bridge.golden [--out DIR]`` writes JSON files (default: the source
checkout's ``android/core/src/test/resources/golden/``); the JVM tests read every file and compare,
and ``tests/android/test_jvm_core.py`` regenerates them into a temporary folder and fails while the
committed files are out of date (the Python preprocessing changed without regenerating them).

Files:

* ``sidecar_int8_pte.json`` / ``sidecar_int8_tflite.json``: sidecars as ``mujo-edge export --int8``
  writes them (float32 model input for ``.pte``; int8 input with scale and zero point for ``.tflite``),
  volatile provenance fields pinned;
* ``units.json``: per-function cases: CRC-16, our protocol's packets (decoded) and malformed packets,
  START / status records, batch sizing, Polar PMD responses and frames, counter unwrapping, the
  reorderer, rate ratios, polyphase resampling, uniform-grid interpolation, normalization, int8
  quantization ties, phone sensor-event merging and sidecars that must be rejected;
* ``stream_<case>.json``: one stream each: notification bytes (or phone sensor events) in →
  decoded samples, windows at the model's spec, normalized and int8-quantized model inputs,
  probabilities of a deterministic stand-in model, smoothed probabilities and NULL decisions from the
  real :class:`~mujo_edge.firmware_bridge.pipeline.LivePipeline`, and its loss / duplicate / reorder /
  gap counts. Device streams carry a real recording (MotionSense, read from ``MUJO_EDGE_DATA_DIR``),
  or, where the data is missing, a deterministic synthetic one (``recording.real`` says which);
* ``MANIFEST.json``: every file's sha256, the recording used and a hash of the Python sources the
  numbers come from.

Arrays are ``{"dtype", "shape", "b64"}`` (little-endian bytes, base64), so float32 values are exact.
The intermediate grid follows :func:`mujo_edge.data.preprocess.grid_plan` (grid at the device rate when
``rate_ratio`` gives ``up, down <= 64``, else at ``r_out * round(r_dev / r_out)``), as
:mod:`~mujo_edge.firmware_bridge.stream` does; the 104.3 Hz case exercises the second branch.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import hashlib
import inspect
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.client import choose_batch, usable_att_mtu
from mujo_edge.firmware_bridge.pipeline import LivePipeline, PipelineConfig
from mujo_edge.firmware_bridge.stream import StreamAssembler, StreamResampler, check_channels
from mujo_edge.firmware_bridge.timing import Reorderer, unwrap
from mujo_edge.firmware_bridge.vectors import build_vectors

from mujo_edge.artifacts import sidecar as sidecar_io
from mujo_edge.data.preprocess import grid_plan, interpolate_uniform, rate_ratio, resample, sliding_windows
from mujo_edge.data.recording import Recording
from mujo_edge.data.refs import load_recording
from mujo_edge.data.sensor_events import merge_sensor_streams
from mujo_edge.data.spec import IMU_CHANNELS, Normalization, SensorSpec
from mujo_edge.errors import DataError, MujoEdgeError

log = logging.getLogger(__name__)

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "android" / "core" / "src" / "test" / "resources" / "golden"
REAL_SOURCE = "dataset:motionsense:3:jog_9"
SYNTHETIC_SOURCE = "synthetic:40"
MODEL_LABELS = ("walking_downstairs", "walking_upstairs", "walking", "jogging", "standing", "sitting")
#: The model every stream case feeds: the default 50 Hz / 128 / 64 spec, normalization as a fit would give.
MODEL_SPEC = SensorSpec(placement="thigh_right", normalization=Normalization(
    "standard", (0.31, -8.62, 1.05, 0.02, -0.04, 0.01), (4.9, 6.3, 4.1, 1.3, 1.7, 0.9)))
INT8_INPUT = {"dtype": "int8", "scale": float(np.float32(0.0392156876)), "zero_point": -3}
INT8_OUTPUT = {"dtype": "int8", "scale": float(np.float32(0.0714285746)), "zero_point": 10}
PIPELINE = PipelineConfig(queue_size=1 << 20, window_queue_size=1 << 20, reorder_depth=4, reorder_wait_s=1e6,
                          max_gap_s=1.0, smoothing=0.6, reject_below=0.5)
N_INPUTS = 1  # normalized / quantized model inputs stored per stream (the JVM recomputes them from the windows)
N_DECODED = 12  # packets whose decoded samples are stored in full (all of them are covered by a sha256)


# --------------------------------------------------------------------------------------------- helpers
def arr(x: np.ndarray, dtype: str) -> dict[str, Any]:
    """A numpy array as ``{"dtype", "shape", "b64"}`` (little-endian)."""
    a = np.ascontiguousarray(np.asarray(x).astype(np.dtype(dtype).newbyteorder("<")))
    return {"dtype": dtype, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def quantize_input(x_norm: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """The sidecar's input formula ``clip(round(x_norm / scale) + zero_point, -128, 127)`` (float32, half-even)."""
    q = np.round(np.asarray(x_norm, np.float32) / np.float32(scale)) + np.float32(zero_point)
    return np.clip(q, -128, 127).astype(np.int8)


class GoldenClassifier:
    """Deterministic stand-in for a model: softmax of a fixed linear map of per-channel window statistics
    (mean, standard deviation, mean of the first quarter of the normalized window).

    Records every window the pipeline hands it (``(N, W, C)`` SI units, ``spec.channels`` order).
    """

    def __init__(self, spec: SensorSpec, label_names: tuple[str, ...], seed: int = 3) -> None:
        self.spec, self.label_names = spec, tuple(label_names)
        self.weights = np.random.default_rng(seed).normal(0.0, 1.1, (len(label_names), 3 * len(spec.channels)))
        self.seen: list[np.ndarray] = []

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        x = np.asarray(windows, np.float32)
        self.seen.append(x.copy())
        z = self.spec.normalize(x).astype(np.float64)  # (N, W, C)
        quarter = z[:, : z.shape[1] // 4].mean(axis=1)
        logits = np.concatenate([z.mean(axis=1), z.std(axis=1), quarter], axis=1) @ self.weights.T  # (N, K)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def windows(self) -> np.ndarray:
        """All windows seen, in order: ``(N, W, C)`` float32."""
        if not self.seen:
            return np.zeros((0, self.spec.window, len(self.spec.channels)), np.float32)
        return np.concatenate(self.seen)


def golden_recording(seconds: float) -> tuple[Recording, dict[str, Any]]:
    """The real recording (MotionSense, 3 / jog_9) or, without the data, a deterministic synthetic one.

    Values are rounded to 6 significant digits (float32), which is what the recording cache stores, so
    the numbers are the same whether the recording came from the archive or from the cache.
    """
    try:
        rec, _ = load_recording(REAL_SOURCE)
        info = {"source": REAL_SOURCE, "real": True}
    except (DataError, MujoEdgeError) as exc:
        log.warning("real recording unavailable (%s); golden vectors use %s", exc, SYNTHETIC_SOURCE)
        rec, _ = load_recording(SYNTHETIC_SOURCE)
        info = {"source": SYNTHETIC_SOURCE, "real": False}
    start = int(2.0 * rec.rate_hz)  # skip the first seconds of the trial
    data = np.array([[float(f"{v:.6g}") for v in row] for row in rec.data[start:start + int(seconds * rec.rate_hz)]],
                    dtype=np.float32)
    if data.shape[0] < int(seconds * rec.rate_hz):
        raise DataError(f"{info['source']}: recording shorter than {seconds + 2:g} s")
    info.update(rate_hz=rec.rate_hz, seconds=seconds, start_s=2.0, channels=list(rec.channels))
    return Recording(dataset=rec.dataset, subject=rec.subject, session=rec.session, rate_hz=rec.rate_hz,
                     channels=rec.channels, data=data, labels=np.full(len(data), -1, np.int16),
                     placement=rec.placement), info


def at_rate(rec: Recording, rate_hz: float) -> np.ndarray:
    """The recording as a device sampling at ``rate_hz`` would see it (polyphase resampling), ``(T, C)``."""
    return rec.data if rate_hz == rec.rate_hz else resample(rec.data, rec.rate_hz, rate_hz)


def make_sidecar(kind: str) -> dict[str, Any]:
    """A sidecar as ``mujo-edge export --int8`` writes it (``kind``: ``pte`` or ``tflite``), provenance pinned."""
    suffix = {"pte": ".pte", "tflite": ".tflite"}[kind]
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / f"golden_dscnn_int8{suffix}"
        model.write_bytes(b"mujo-edge golden vectors: placeholder model file\n")
        io = None if kind == "pte" else {"input": INT8_INPUT, "output": INT8_OUTPUT}
        meta = sidecar_io.build_sidecar(model, "executorch" if kind == "pte" else "tflite", "int8", MODEL_SPEC,
                                        MODEL_LABELS, {"name": "dscnn", "parameters": 25000},
                                        {"path": "golden", "kind": "student"}, io=io)
        meta.update(mujo_edge_version="golden", git_commit="golden", created="golden")
        sidecar_io.write_sidecar(model, meta)
        meta = sidecar_io.read_sidecar(model)  # what an app reads back, validated by the Python reader
    return meta


# --------------------------------------------------------------------------------------------- unit cases
def _error(fn: Any) -> str | None:
    """The message of the MujoEdgeError ``fn()`` raises, or None when it succeeds."""
    try:
        fn()
    except MujoEdgeError as exc:
        return str(exc)
    return None


def _with_crc(head10: bytes, payload: bytes) -> bytes:
    """A packet whose CRC is right for its (possibly malformed) content."""
    return head10 + P.crc16(head10 + payload).to_bytes(2, "little") + payload


def _batch(b: P.SampleBatch) -> dict[str, Any]:
    return {"seq": b.seq, "t_first_us": b.t_first_us, "period_us": b.period_us, "saturated": b.saturated,
            "channels": list(b.channels), "samples": arr(b.samples, "float32")}


def protocol_cases() -> dict[str, Any]:
    """Packets of ``firmware/vectors`` decoded; malformed packets with the error Python raises; control records."""
    vec = build_vectors()
    packets = [{"name": v["name"], "hex": v["hex"], "rate_hz": 50.0,
                "decoded": _batch(P.decode_packet(bytes.fromhex(v["hex"]), 50.0))} for v in vec["packets"]]
    good = bytes.fromhex(vec["packets"][0]["hex"])
    head, payload = good[:10], good[12:]
    bad = {"short": good[:11], "version": bytes([2]) + good[1:], "crc": good[:-1] + bytes([good[-1] ^ 1]),
           "format": _with_crc(bytes([1, 3]) + head[2:], payload),
           "length": _with_crc(head, payload + b"\0"), "count_zero": _with_crc(head[:8] + bytes([0]) + head[9:], b""),
           "ranges": _with_crc(head[:9] + bytes([0xC2]), payload)}
    bad_cases = [{"kind": k, "hex": d.hex(), "python_error": _error(lambda d=d: P.decode_packet(d, 50.0))}
                 for k, d in bad.items()]
    start = [{"rate_hz": c.rate_hz, "format": int(c.fmt), "acc_range_g": c.acc_range_g, "gyro_range_dps": c.gyro_range_dps,
              "batch": c.batch, "hex": c.encode().hex()}
             for c in (P.StartCommand(50.0, P.Format.IMU6, 8, 2000, 2), P.StartCommand(52.0, P.Format.ACC3, 4, 250, 0),
                       P.StartCommand(62.5, P.Format.IMU6, 16, 125, 19))]
    st = P.DeviceStatus(state=1, error=0, fmt=1, acc_range_g=8, gyro_range_dps=2000, batch=2, att_mtu=247,
                        rate_hz=52.0, t_now_us=3_000_000_123)
    status = {"hex": st.encode().hex(), "decoded": dataclasses.asdict(P.DeviceStatus.decode(st.encode())),
              "bad_hex": st.encode()[:15].hex(), "bad_error": _error(lambda: P.DeviceStatus.decode(st.encode()[:15]))}
    batches = [{"requested": r, "rate_hz": hz, "att_mtu": mtu, "format": int(f),
                "batch": None if _error(lambda: choose_batch(r, hz, mtu, f)) else choose_batch(r, hz, mtu, f)}
               for r, hz, mtu, f in [(0, 50.0, 247, 1), (0, 200.0, 247, 1), (0, 200.0, 27, 1), (0, 52.0, 185, 1),
                                     (30, 100.0, 247, 1), (5, 100.0, 247, 1), (0, 50.0, 23, 1), (0, 62.5, 247, 1),
                                     (0, 37.5, 247, 1), (0, 100.0, 23, 2)]]
    mtus = [{"host": h, "device": d, "att_mtu": usable_att_mtu(h, d)}
            for h, d in [(None, None), (23, None), (247, None), (None, 185), (247, 185), (185, 247), (23, 247), (100, 10)]]
    max_batch = [{"format": int(f), "att_mtu": m, "max_batch": P.max_batch(f, m)}
                 for f in (1, 2) for m in (23, 27, 185, 247, 517)]
    return {"crc16": {"input_hex": b"123456789".hex(), "crc": P.crc16(b"123456789")}, "packets": packets,
            "bad_packets": bad_cases, "start": start, "status": status, "choose_batch": batches,
            "usable_att_mtu": mtus, "max_batch": max_batch}


def polar_cases() -> dict[str, Any]:
    """PMD control responses and ACC frames (raw 8/16/24-bit, delta 0x80/0x81 incl. a zero-width block), decoded."""
    S = polar.Setting
    responses = []
    for resp, requested in [
        (polar.ControlResponse(2, 2, 0, False, {S.FACTOR: [float(np.float32(2.44140625e-4))], S.RESOLUTION: [16]}),
         {S.SAMPLE_RATE: [52], S.RESOLUTION: [16], S.RANGE: [8], S.CHANNELS: [3]}),
        (polar.ControlResponse(2, 2, 0, False, {}), {S.SAMPLE_RATE: [50], S.RESOLUTION: [14]}),
        (polar.ControlResponse(1, 2, 0, True, {S.SAMPLE_RATE: [25, 50, 100, 200], S.RANGE: [2, 4, 8]}), {}),
        (polar.ControlResponse(2, 2, 8, False, {}), {S.SAMPLE_RATE: [55]}),
    ]:
        parsed = polar.ControlResponse.decode(resp.encode())
        applied = None if parsed.op != 2 or not parsed.ok else parsed.applied(requested)
        responses.append({"hex": resp.encode().hex(), "op": parsed.op, "measurement": parsed.measurement,
                          "error": parsed.error, "error_name": parsed.error_name, "more": parsed.more,
                          "settings": {str(k): v for k, v in parsed.settings.items()},
                          "requested": {str(int(k)): v for k, v in requested.items()}, "applied": applied})
    rng = np.random.default_rng(11)
    t_last = 820_000_000_987_654_321
    counts = rng.integers(-900, 900, (9, 3))
    counts[4:7] = counts[3]  # repeated samples: a zero-width delta block
    frames = [("raw8", polar.encode_raw_frame(t_last, np.clip(counts // 8, -128, 127), 0), 1.0, 16),
              ("raw16", polar.encode_raw_frame(t_last, counts, 1), 1.0, 16),
              ("raw24", polar.encode_raw_frame(t_last, counts * 300, 2), 1.0, 16),
              ("delta81", polar.encode_delta_frame(t_last, counts, resolution=16, block=3, frame_type=0x81), 1.0, 16),
              ("delta80", polar.encode_delta_frame(t_last, counts * 4, resolution=14, block=4, frame_type=0x80),
               float(np.float32(2.44140625e-4)), 14)]
    decoded = [{"name": n, "hex": f.hex(), "rate_hz": 52.0, "factor": fac, "resolution": res,
                "decoded": _batch(polar.decode_frame(f, 52.0, fac, res))} for n, f, fac, res in frames]
    good = frames[3][1]
    bad = {"ecg": bytes([0]) + good[1:], "short": good[:10], "raw_partial": frames[1][1][:-1],
           "raw_type3": good[:9] + bytes([3]) + good[10:16], "delta_type82": good[:9] + bytes([0x82]) + good[10:],
           "delta_truncated": good[:-1], "delta_width33": good[:16] + bytes([33, 1]) + bytes(13),
           "delta_no_reference": good[:14]}
    bad_cases = [{"kind": k, "hex": d.hex(), "python_error": _error(lambda d=d: polar.decode_frame(d, 52.0))}
                 for k, d in bad.items()]
    commands = {"start_52_8": polar.start_command(52, 8).hex(), "stop": polar.stop_command().hex(),
                "get_settings": polar.get_settings_command().hex()}
    return {"responses": responses, "frames": decoded, "bad_frames": bad_cases, "commands": commands}


def reorderer_cases() -> list[dict[str, Any]]:
    """Scripts of ``push(seq, now)`` / ``flush(now, force)`` on a Reorderer(depth 4, 50 ms), with what each releases."""
    scripts = [
        [("push", 65533, 0.0), ("push", 65534, 0.01), ("push", 0, 0.02), ("push", 65535, 0.03), ("push", 1, 0.04)],
        [("push", 10, 0.0), ("push", 12, 0.01), ("flush", 0.04, False), ("flush", 0.07, False), ("push", 11, 0.08),
         ("push", 13, 0.09), ("push", 13, 0.1), ("push", 9, 0.11)],
        [("push", 0, 0.0), ("push", 2, 0.01), ("push", 3, 0.02), ("push", 4, 0.03), ("push", 5, 0.04),
         ("push", 1, 0.05), ("push", 7, 0.06), ("flush", 0.07, True), ("push", 8, 0.08)],
        [("push", 100, 0.0), ("push", 104, 0.001), ("push", 103, 0.002), ("push", 102, 0.003), ("push", 101, 0.004)],
    ]
    out = []
    for script in scripts:
        r: Reorderer[int] = Reorderer(depth=4, max_wait_s=0.05)
        steps = []
        for op in script:
            got = r.push(op[1], op[1], op[2]) if op[0] == "push" else r.flush(op[1], force=op[2])
            steps.append({"op": op[0], "args": list(op[1:]), "released": got, "counts": dataclasses.asdict(r.counts)})
        out.append({"depth": 4, "max_wait_s": 0.05, "modulo": 1 << 16, "steps": steps})
    return out


def dsp_cases() -> dict[str, Any]:
    """Rate ratios, batch and streamed polyphase resampling, uniform-grid interpolation, phone-event merging."""
    pairs = [(100.0, 50.0), (52.0, 50.0), (50.0, 52.0), (200.0, 50.0), (25.0, 50.0), (20.0, 50.0), (32.0, 50.0),
             (48.0, 50.0), (104.3, 50.0), (30.7, 50.0), (104.0, 50.0), (1000.0, 50.0), (100.0000001, 50.0),
             (12.5, 50.0), (416.0, 50.0), (62.5, 50.0), (50.0, 50.0)]
    ratios = [{"from_hz": a, "to_hz": b, "ratio": None if _error(lambda: rate_ratio(a, b)) else list(rate_ratio(a, b)),
               "python_error": _error(lambda: rate_ratio(a, b))} for a, b in pairs]
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, (61, 2)).astype(np.float32)
    batch = [{"from_hz": a, "to_hz": b, "x": arr(x, "float32"), "y": arr(resample(x, a, b), "float32")}
             for a, b in [(100.0, 50.0), (52.0, 50.0), (50.0, 52.0), (200.0, 50.0), (25.0, 50.0), (48.0, 50.0),
                          (30.0, 50.0)]]
    long = rng.normal(0, 3, (400, 2)).astype(np.float32)
    streamed: list[dict[str, Any]] = []
    for a, b, chunks in [(100.0, 50.0, [3, 7, 1, 20, 64, 5, 100, 200]), (52.0, 50.0, [1, 1, 50, 13, 300, 35]),
                         (25.0, 50.0, [10, 30, 360])]:
        sr, outs, i = StreamResampler(a, b), [], 0
        for c in chunks:
            outs.append(sr.push(long[i:i + c]))
            i += c
        streamed.append({"from_hz": a, "to_hz": b, "chunks": chunks,
                         "emitted": [len(o) for o in outs], "y": arr(np.concatenate(outs), "float32"),
                         "lookahead_s": sr.lookahead_s})
    t = np.cumsum(rng.uniform(0.005, 0.015, 40))
    xi = rng.normal(0, 1, (40, 3)).astype(np.float32)
    interp = []
    for t0, t1, rate in [(None, None, 100.0), (float(t[3]) + 0.0012, float(t[-5]), 64.0), (float(t[0]), None, 52.0)]:
        g, y = interpolate_uniform(t, xi, rate, t0=t0, t1=t1)
        interp.append({"t": arr(t, "float64"), "x": arr(xi, "float32"), "rate_hz": rate, "t0": t0, "t1": t1,
                       "grid": arr(g, "float64"), "y": arr(y, "float32")})
    acc_t = 10_000_000_000 + np.array([0, 9_800_000, 20_300_000, 29_900_000, 29_900_000, 40_100_000, 50_000_000,
                                       61_000_000], np.int64)
    gyro_t = 10_000_000_000 + np.array([4_000_000, 14_100_000, 23_900_000, 34_000_000, 44_200_000, 53_800_000],
                                       np.int64)
    acc_v, gyro_v = rng.normal(0, 5, (8, 3)).astype(np.float32), rng.normal(0, 1, (6, 3)).astype(np.float32)
    t_s, merged = merge_sensor_streams([(acc_t, acc_v), (gyro_t, gyro_v)], 100.0)
    merge = {"acc_t_ns": arr(acc_t, "int64"), "acc": arr(acc_v, "float32"), "gyro_t_ns": arr(gyro_t, "int64"),
             "gyro": arr(gyro_v, "float32"), "rate_hz": 100.0, "t_s": arr(t_s, "float64"), "merged": arr(merged, "float32"),
             "disjoint_error": _error(lambda: merge_sensor_streams([(acc_t[:3], acc_v[:3]), (gyro_t[4:], gyro_v[4:])],
                                                                     100.0))}
    return {"rate_ratio": ratios, "resample": batch, "stream_resample": {"x": arr(long, "float32"), "cases": streamed},
            "interpolate": interp, "sensor_merge": merge}


def model_io_cases(meta: dict[str, Any]) -> dict[str, Any]:
    """Normalization, int8 quantization (ties and clipping), sidecar and device-channel checks."""
    rng = np.random.default_rng(9)
    x = rng.normal(0, 6, (5, 6)).astype(np.float32)
    ties = np.array([0.25, 0.75, -0.25, -0.75, 1.25, -1.25, 0.0, -0.0, 100.0, -100.0, 63.75, -65.25, 1.2499999],
                    np.float32)
    q = meta["input"]["quantization"] or INT8_INPUT
    xn = rng.normal(0, 2, 64).astype(np.float32)
    quant = [{"scale": 0.5, "zero_point": -3, "x": arr(ties, "float32"), "q": arr(quantize_input(ties, 0.5, -3), "int8")},
             {"scale": q["scale"], "zero_point": q["zero_point"], "x": arr(xn, "float32"),
              "q": arr(quantize_input(xn, q["scale"], q["zero_point"]), "int8")}]

    def mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
        m = json.loads(json.dumps(meta))
        node = m
        for k in path[:-1]:
            node = node[k]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return m

    rejects = []  # patches of ``meta`` (value null: the key is deleted) that every reader must refuse
    for why, path, value in [
        ("rate_hz 0", ("sensor_spec", "rate_hz"), 0.0), ("acc in g", ("sensor_spec", "units", 0), "g"),
        ("unknown channel", ("sensor_spec", "channels", 5), "mag_z"),
        ("std 0", ("sensor_spec", "normalization", "std", 2), 0.0),
        ("3 means for 6 channels", ("sensor_spec", "normalization", "mean"), [0.0, 0.0, 0.0]),
        ("window 1", ("sensor_spec", "window", ), 1), ("hop 0", ("sensor_spec", "hop"), 0),
        ("other format", ("format",), "onnx-sidecar"), ("newer format", ("format_version",), 3),
        ("no label names", ("label_names",), None), ("input window 64", ("input", "shape", 1), 64),
        ("5 logits for 6 labels", ("output", "shape", 1), 5), ("input uint16", ("input", "dtype"), "uint16"),
        ("normalization kind", ("sensor_spec", "normalization", "kind"), "minmax")]:
        rejects.append({"why": why, "path": list(path), "value": value,
                        "python_error": _sidecar_error(mutated(path, value))})

    acc3, imu6 = ("acc_x", "acc_y", "acc_z"), IMU_CHANNELS
    acc_spec = SensorSpec(channels=acc3)
    channels = [{"spec_channels": list(s.channels), "device_channels": list(d), "allow_missing": a,
                 "python_error": _error(lambda s=s, d=d, a=a: check_channels(s, d, None, a))}
                for s, d, a in [(MODEL_SPEC, acc3, False), (MODEL_SPEC, acc3, True), (acc_spec, imu6, False),
                                (MODEL_SPEC, imu6, False), (MODEL_SPEC, ("acc_x", "acc_y", "acc_z", "gyro_x"), False)]]
    return {"normalize": {"x": arr(x, "float32"), "y": arr(MODEL_SPEC.normalize(x), "float32")},
            "quantize": quant, "sidecar_rejects": rejects, "check_channels": channels}


def _sidecar_error(meta: dict[str, Any]) -> str | None:
    """What Python's sidecar reader says about ``meta`` (None: it accepts it)."""
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "m.pte"
        sidecar_io.sidecar_path(model).write_text(json.dumps(meta))
        msg = _error(lambda: sidecar_io.read_sidecar(model, check_hash=False))
        return None if msg is None else msg.split(": ", 1)[-1]  # without the temporary path


def unit_cases(meta: dict[str, Any]) -> dict[str, Any]:
    """Everything of ``units.json``."""
    unwraps = [{"raw": r, "previous": p, "modulo": m, "value": unwrap(r, p, m)}
               for r, p, m in [(5, None, 65536), (0, 65535, 65536), (65535, 65536, 65536), (3, 131070, 65536),
                               (100, 70000, 65536), (10, 20, 0), (4294967000, None, 1 << 32), (1000, 4294967000, 1 << 32),
                               (4294967290, 4294968296, 1 << 32), (32768, 0, 65536), (32769, 0, 65536)]]
    return {"protocol": protocol_cases(), "polar": polar_cases(), "unwrap": unwraps, "reorderer": reorderer_cases(),
            **dsp_cases(), **model_io_cases(meta)}


# --------------------------------------------------------------------------------------------- streams
def _run_pipeline(clf: GoldenClassifier, decoder: Any, packets: list[bytes], cfg: PipelineConfig) -> LivePipeline:
    """All ``packets`` through a real LivePipeline (queued up front; the reorder wait is long, so only the
    reorder depth releases holes and the result does not depend on the machine's speed)."""
    pipe = LivePipeline(clf, cfg)
    pipe.open_stream()
    pipe.begin_stream(decoder)
    for data in packets:
        pipe.notification_callback(None, bytearray(data))
    pipe.stop()
    asyncio.run(pipe.run())
    return pipe


def _stream_outputs(pipe: LivePipeline, clf: GoldenClassifier, sidecar: dict[str, Any]) -> dict[str, Any]:
    spec = MODEL_SPEC
    wins = clf.windows()
    preds = pipe.predictions
    if len(preds) != len(wins):
        raise MujoEdgeError(f"pipeline made {len(wins)} windows but {len(preds)} predictions")
    norm = spec.normalize(wins[:N_INPUTS])
    q = sidecar["input"]["quantization"]
    m = pipe.metrics
    return {
        "windows": arr(wins, "float32"),
        "window_segment": [p.segment for p in preds],
        "window_t_end_device_s": [p.t_end_device_s for p in preds],
        "normalized": arr(norm, "float32"),
        "quantized": arr(quantize_input(norm, q["scale"], q["zero_point"]), "int8"),
        "probs": arr(np.stack([p.probs for p in preds]) if preds else np.zeros((0, len(MODEL_LABELS))), "float32"),
        "smoothed": arr(np.stack([p.smoothed for p in preds]) if preds else np.zeros((0, len(MODEL_LABELS))),
                        "float32"),
        "labels": [p.label for p in preds],
        "confidence": [p.confidence for p in preds],
        "counts": {"packets_decoded": m.packets_decoded, "packets_corrupt": m.packets_corrupt,
                   "packets_missing": m.packets_missing, "packets_duplicate": m.packets_duplicate,
                   "packets_late": m.packets_late, "packets_reordered": m.packets_reordered,
                   "samples_received": m.samples_received, "samples_lost": m.samples_lost,
                   "samples_overlap": m.samples_overlap, "samples_saturated": m.samples_saturated,
                   "windows": m.windows, "gaps": m.gaps, "rejected": m.rejected,
                   "outages": [{k: v for k, v in o.items() if k != "start_host_s"} for o in m.outages]},
    }


def _decoded(decoder: Any, packets: list[bytes]) -> dict[str, Any]:
    """Decoded samples of the first packets in full, and a sha256 over all decodable packets' float32 samples."""
    digest, first = hashlib.sha256(), []
    for data in packets:
        try:
            b = decoder.decode(data)
        except P.ProtocolError:
            continue
        digest.update(np.ascontiguousarray(b.samples, "<f4").tobytes())
        if len(first) < N_DECODED:
            first.append({"seq": b.seq, "t_first_us": b.t_first_us, "period_us": b.period_us,
                          "saturated": b.saturated, "samples": arr(b.samples, "float32")})
    return {"first": first, "samples_sha256": digest.hexdigest()}


def _grid(device_hz: float, channels: tuple[str, ...]) -> dict[str, Any]:
    asm = StreamAssembler(MODEL_SPEC, device_hz, channels, allow_missing_channels=True)
    plan = grid_plan(device_hz, MODEL_SPEC.rate_hz)
    return {"grid_rate_hz": plan.grid_hz, "up": plan.up, "down": plan.down, "lookahead_s": asm.lookahead_s}


def mujo_packets(x: np.ndarray, rate_hz: float, batch: int, seq0: int = 0, t0_us: int = 5_000_000,
                 drift_ppm: float = 0.0) -> list[tuple[int, int, bytes]]:
    """``(T, 6)`` SI samples → ``(seq, t_first_us, packet)`` per notification (IMU6, ±8 g, ±2000 dps)."""
    counts = P.quantize(x, P.Format.IMU6, 8, 2000)
    out = []
    for k, i in enumerate(range(0, len(counts) - batch + 1, batch)):
        t_us = t0_us + int(round(i * 1e6 / rate_hz * (1.0 + drift_ppm * 1e-6)))
        out.append((seq0 + k, t_us, P.encode_packet(P.Format.IMU6, seq0 + k, t_us, counts[i:i + batch], 8, 2000)))
    return out


def mujo_stream(name: str, rec: Recording, rate_hz: float, seconds: float, sidecar: dict[str, Any],
                sidecar_file: str, drift_ppm: float = 0.0, faults: bool = False) -> dict[str, Any]:
    """A case of our protocol: the recording streamed by a watch at ``rate_hz`` (``faults``: see below)."""
    batch = choose_batch(0, rate_hz, 247)
    x = at_rate(rec, rate_hz)[: int(round(seconds * rate_hz))]
    if faults:  # seq and the µs clock wrap inside the case; then lost, duplicated, reordered, late, corrupt
        cut = 140 * batch  # the hole comes after packet 139, leaving room for windows after the split
        pk = mujo_packets(x[:cut], rate_hz, batch, seq0=65_520, t0_us=(1 << 32) - 1_000_000)
        jump_us = 1_500_000  # a hole longer than max_gap_s (firmware ring overflow): the stream splits
        t_next = pk[-1][1] + int(round(batch * 1e6 / rate_hz)) + jump_us
        pk += mujo_packets(x[cut:], rate_hz, batch, seq0=pk[-1][0] + 1, t0_us=t_next)
        packets = [p[2] for p in pk]
        bad = bytearray(packets[120])
        bad[-1] ^= 0x10  # one payload bit flipped: CRC mismatch, the packet is counted corrupt and its seq missing
        packets[120] = bytes(bad)
        v2 = bytearray(packets[130])
        v2[0] = 2  # another protocol version: rejected
        packets[130] = bytes(v2)
        order = list(range(len(packets)))
        for lost in (30, 31, 32):
            order.remove(lost)  # a short hole, bridged by interpolation
        order.insert(order.index(50) + 1, 50)  # immediate duplicate
        order.insert(order.index(62) + 1, 60)  # duplicate of a delivered packet
        i70 = order.index(70)
        order[i70], order[i70 + 1] = order[i70 + 1], order[i70]  # swapped pair: reordered
        order.remove(80)
        order.insert(order.index(83) + 1, 80)  # three later packets first: still in the reorder window
        order.remove(100)
        order.insert(order.index(106) + 1, 100)  # too late: declared missing, then discarded as late
        arrivals = [packets[i] for i in order]
        t_host = [pk[i][1] / 1e6 for i in order]
    else:
        pk = mujo_packets(x, rate_hz, batch, drift_ppm=drift_ppm)
        arrivals = [p[2] for p in pk]
        t_host = [p[1] / 1e6 for p in pk]
    decoder = P.MujoDecoder(rate_hz, P.Format.IMU6)
    clf = GoldenClassifier(MODEL_SPEC, MODEL_LABELS)
    pipe = _run_pipeline(clf, decoder, arrivals, PIPELINE)
    return {"case": name, "kind": "mujo", "sidecar": sidecar_file,
            "device": {"rate_hz": rate_hz, "format": int(P.Format.IMU6), "acc_range_g": 8, "gyro_range_dps": 2000,
                       "batch": batch, "drift_ppm": drift_ppm, "channels": list(IMU_CHANNELS)},
            "pipeline": _pipeline_cfg(PIPELINE, allow_missing=False), "grid": _grid(rate_hz, IMU_CHANNELS),
            **_packets(arrivals, t_host), "decoded": _decoded(decoder, arrivals), **_stream_outputs(pipe, clf, sidecar)}


def polar_stream(name: str, rec: Recording, rate_hz: float, seconds: float, sidecar: dict[str, Any],
                 sidecar_file: str, delta: bool) -> dict[str, Any]:
    """A Polar PMD ACC case: raw int16 milli-g frames, or delta frames of type 0x80 (g × factor) whose factor
    comes from the START response (one frame is sent twice: a duplicate by timestamp)."""
    x = at_rate(rec, rate_hz)[: int(round(seconds * rate_hz)), :3]
    t0_ns = 820_000_000_123_456_789  # ns since 2000-01-01 (2025-12)
    factor = float(np.float32(8.0 / 32768))  # g per count, as a Verity Sense reports it
    requested = polar.parse_settings(polar.start_command(int(rate_hz), 8)[2:])
    response = polar.ControlResponse(polar.Op.START, polar.Measurement.ACC, 0, False,
                                     {polar.Setting.FACTOR: [factor], polar.Setting.RESOLUTION: [16]})
    applied = polar.ControlResponse.decode(response.encode()).applied(requested)
    frame_n = 36 if delta else 18
    frames, t_host = [], []
    for i in range(0, len(x) - frame_n + 1, frame_n):
        t_last = t0_ns + int(round((i + frame_n - 1) * 1e9 / rate_hz))
        if delta:
            counts = np.rint(x[i:i + frame_n] / polar.MILLI_G / 1000.0 / applied[0]).astype(np.int64)
            frames.append(polar.encode_delta_frame(t_last, counts, resolution=16, block=12, frame_type=0x80))
        else:
            counts = np.rint(x[i:i + frame_n] / polar.MILLI_G).astype(np.int64)
            frames.append(polar.encode_raw_frame(t_last, counts, frame_type=1))
        t_host.append((t_last - t0_ns) / 1e9 + 0.02)
    frames.insert(5, frames[4])  # the same frame twice
    t_host.insert(5, t_host[4] + 0.001)
    decoder = polar.PolarDecoder(rate_hz, factor=applied[0], resolution=applied[1])
    clf = GoldenClassifier(MODEL_SPEC, MODEL_LABELS)
    cfg = dataclasses.replace(PIPELINE, allow_missing_channels=True)
    pipe = _run_pipeline(clf, decoder, frames, cfg)
    return {"case": name, "kind": "polar", "sidecar": sidecar_file,
            "device": {"rate_hz": rate_hz, "frame_type": 0x80 if delta else 1, "start_command": polar.start_command(
                int(rate_hz), 8).hex(), "start_response": response.encode().hex(), "factor": applied[0],
                "resolution": applied[1], "channels": list(decoder.channels)},
            "pipeline": _pipeline_cfg(cfg, allow_missing=True), "grid": _grid(rate_hz, decoder.channels),
            **_packets(frames, t_host), "decoded": _decoded(decoder, frames), **_stream_outputs(pipe, clf, sidecar)}


def phone_events(rec: Recording, seconds: float, seed: int = 3) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                          tuple[np.ndarray, np.ndarray]]:
    """Separate accelerometer and gyroscope event streams as a phone delivers them: ~100 Hz each, jittered
    ns timestamps on one boot clock, float32 values, one repeated timestamp (dropped by the merger)."""
    rng = np.random.default_rng(seed)
    fine = at_rate(rec, 200.0).astype(np.float64)
    t_fine = np.arange(len(fine)) / 200.0
    boot_ns = 123_456_789_012_345  # ~34 h of uptime

    def events(period_s: float, offset_s: float, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        n = int((seconds - 0.1) / period_s)
        t = offset_s + np.arange(n) * period_s + rng.uniform(-0.0008, 0.0008, n)
        t_ns = boot_ns + np.round(t * 1e9).astype(np.int64)
        vals = np.stack([np.interp(t, t_fine, fine[:, c]) for c in range(cols.start, cols.stop)], axis=1)
        return t_ns, vals.astype(np.float32)

    acc = events(0.01, 0.013, slice(0, 3))
    gyro = events(0.0099, 0.004, slice(3, 6))
    acc[0][40] = acc[0][39]  # a repeated timestamp
    return acc, gyro


def phone_stream(rec: Recording, seconds: float, sidecar: dict[str, Any], sidecar_file: str) -> dict[str, Any]:
    """Phone sensors: acc and gyro events merged on a 100 Hz grid, resampled to the model's rate, windowed."""
    acc, gyro = phone_events(rec, seconds)
    grid_hz = 100.0
    t_s, merged = merge_sensor_streams([acc, gyro], grid_hz)
    model = StreamResampler(grid_hz, MODEL_SPEC.rate_hz).push(merged)  # what a stream emits (look-ahead kept)
    wins = sliding_windows(model, MODEL_SPEC.window, MODEL_SPEC.hop)
    norm = MODEL_SPEC.normalize(wins[:N_INPUTS])
    q = sidecar["input"]["quantization"]
    return {"case": "phone_events_100hz", "kind": "phone", "sidecar": sidecar_file,
            "device": {"rate_hz": grid_hz, "channels": list(IMU_CHANNELS)},
            "grid": _grid(grid_hz, IMU_CHANNELS),
            "events": {"acc_t_ns": arr(acc[0], "int64"), "acc": arr(acc[1], "float32"),
                       "gyro_t_ns": arr(gyro[0], "int64"), "gyro": arr(gyro[1], "float32")},
            "merged_origin_ns": int(max(acc[0][0], gyro[0][0])), "merged_head": arr(merged[:200], "float32"),
            "merged_rows": int(len(merged)),
            "merged_t_s_last": float(t_s[-1]), "model_rate_samples": int(len(model)),
            "windows": arr(wins, "float32"), "normalized": arr(norm, "float32"),
            "quantized": arr(quantize_input(norm, q["scale"], q["zero_point"]), "int8")}


def _packets(data: list[bytes], t_host: list[float]) -> dict[str, Any]:
    """Notifications in arrival order (base64) with their host arrival times, s."""
    return {"packets_b64": [base64.b64encode(d).decode() for d in data], "t_host_s": t_host}


def _pipeline_cfg(cfg: PipelineConfig, allow_missing: bool) -> dict[str, Any]:
    return {"queue_size": cfg.queue_size, "window_queue_size": cfg.window_queue_size,
            "reorder_depth": cfg.reorder_depth, "reorder_wait_s": cfg.reorder_wait_s, "max_gap_s": cfg.max_gap_s,
            "smoothing": cfg.smoothing, "reject_below": cfg.reject_below, "allow_missing_channels": allow_missing}


# --------------------------------------------------------------------------------------------- entry points
def python_sources_sha256() -> str:
    """sha256 over the source of every module the golden numbers come from (keyed by module name)."""
    objs = (interpolate_uniform, merge_sensor_streams, SensorSpec, StreamAssembler, Reorderer, P.decode_packet,
            polar.decode_frame, LivePipeline, choose_batch, sidecar_io.io_contract, GoldenClassifier)
    digest = hashlib.sha256()
    for name in sorted({o.__module__ for o in objs}):
        digest.update(name.encode() + b"\0" + inspect.getsource(sys.modules[name]).encode() + b"\0")
    return digest.hexdigest()


def build_golden() -> dict[str, dict[str, Any]]:
    """Every golden file as ``{file name: JSON object}`` (``MANIFEST.json`` included)."""
    rec, rec_info = golden_recording(seconds=10.0)
    pte, tfl = make_sidecar("pte"), make_sidecar("tflite")
    files: dict[str, dict[str, Any]] = {"sidecar_int8_pte.json": pte, "sidecar_int8_tflite.json": tfl,
                                        "units.json": unit_cases(pte)}
    streams = [
        mujo_stream("mujo_imu6_50hz", rec, 50.0, 6.5, tfl, "sidecar_int8_tflite.json"),
        mujo_stream("mujo_imu6_100hz", rec, 100.0, 6.5, tfl, "sidecar_int8_tflite.json"),
        mujo_stream("mujo_imu6_200hz", rec, 200.0, 5.5, tfl, "sidecar_int8_tflite.json"),
        mujo_stream("mujo_imu6_52hz_drift", rec, 52.0, 6.5, tfl, "sidecar_int8_tflite.json", drift_ppm=40.0),
        mujo_stream("mujo_imu6_104p3hz", rec, 104.3, 6.5, tfl, "sidecar_int8_tflite.json"),
        mujo_stream("mujo_faults_100hz", rec, 100.0, 9.5, tfl, "sidecar_int8_tflite.json", faults=True),
        polar_stream("polar_raw_100hz", rec, 100.0, 6.0, tfl, "sidecar_int8_tflite.json", delta=False),
        polar_stream("polar_delta_52hz", rec, 52.0, 6.5, tfl, "sidecar_int8_tflite.json", delta=True),
        phone_stream(rec, 6.5, tfl, "sidecar_int8_tflite.json"),
    ]
    for s in streams:
        s["recording"] = rec_info
        files[f"stream_{s['case']}.json"] = s
    files["MANIFEST.json"] = {
        "generator": "python -m mujo_edge.firmware_bridge.golden", "recording": rec_info,
        "python_sources_sha256": python_sources_sha256(),
        "files": {name: hashlib.sha256(render(obj).encode()).hexdigest() for name, obj in sorted(files.items())}}
    return files


def render(obj: dict[str, Any]) -> str:
    """The text a golden file holds."""
    return json.dumps(obj, indent=1, allow_nan=False) + "\n"


def write_golden(out: Path = GOLDEN_DIR) -> list[Path]:
    """Regenerate every golden file into ``out``; returns the paths written (stale ``*.json`` removed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = build_golden()
    for old in out.glob("*.json"):
        if old.name not in files:
            old.unlink()
    paths = []
    for name, obj in files.items():
        path = out / name
        path.write_text(render(obj), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mujo_edge.firmware_bridge.golden", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR, help=f"output folder (default: {GOLDEN_DIR})")
    args = parser.parse_args(argv)
    if args.out == GOLDEN_DIR and not GOLDEN_DIR.parents[3].is_dir():
        parser.error(f"{GOLDEN_DIR.parents[3]} does not exist (not a source checkout); pass --out DIR")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("mujo_edge.firmware_bridge.timing").setLevel(logging.ERROR)  # clock-jump notes of the replay
    paths = write_golden(args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} golden files ({total / 1024:.0f} KB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
