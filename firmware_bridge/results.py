"""On-watch classification over BLE: the result characteristic and its model record (``PROTOCOL.md`` §10).

A watch that runs the exported TensorFlow Lite Micro model itself sends one notification per classified
window on the result characteristic instead of (or beside) the raw samples::

    offset  type     field
    0       u8       version (1)
    1       u8       flags: bit 0 = confidence is float32 (else int8); other bits 0
    2       u16      seq: result number since START, wraps 65535 -> 0
    4       u32      t_end_us: device time of the window's last sample, µs (same clock as data packets)
    8       u8       class index (the model's label_names order)
    9       u8       num_classes K of the model
    10      u16      CRC-16/CCITT-FALSE over bytes 0-9, then the confidence bytes
    12      i8|f32   confidence: int8 code q (p = (q + 128) / 256), or the float32 probability

Reading the characteristic returns the 20-byte **model record** (version, flags, K, window, hop, rate in
mHz and the first 8 bytes of the model file's sha256), so the host can check that the watch runs the
model whose sidecar it holds. The host starts on-board classification by setting bit 7 of START's
``format`` (:data:`ON_BOARD`): ``0x80`` = results only, ``0x81`` = results and IMU6 samples.

:class:`ResultDecoder` turns a notification into a :class:`WatchResult`; the live pipeline orders
results by ``seq`` with the same reorderer and loss counters as data packets.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from typing import Any

import numpy as np
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.timing import OrderCounts, Reorderer, unwrap

from mujo_edge.errors import BridgeError, ProtocolError

RESULT_UUID = "6d756a6f-6564-6765-0000-000000000003"
RESULT_HEADER = struct.Struct("<BBHIBBH")  # version, flags, seq, t_end_us, class, num_classes, crc
RESULT_HEADER_SIZE = RESULT_HEADER.size  # 12
MODEL_RECORD = struct.Struct("<BBBBHHI8s")  # version, flags, num_classes, reserved, window, hop, rate_mhz, model id
MODEL_RECORD_SIZE = MODEL_RECORD.size  # 20
FLAG_FLOAT = 0x01
#: START ``format`` bit: classify on board and send results
ON_BOARD = P.ON_BOARD


def confidence_code(p: float) -> int:
    """int8 code of probability ``p``: ``clip(rint(p·256) − 128, −128, 127)`` (float32, as the firmware)."""
    r = float(np.rint(np.float32(p) * np.float32(256.0)) - np.float32(128.0))
    return -128 if math.isnan(r) else int(min(127.0, max(-128.0, r)))


def code_probability(q: int) -> float:
    """Probability of int8 confidence code ``q``: ``(q + 128) / 256``."""
    return (int(q) + 128) / 256.0


@dataclass(frozen=True)
class WatchResult:
    """One decoded result notification.

    Attributes:
        seq: result sequence number (raw, wraps at 2**16).
        t_end_us: device time of the window's last sample, µs (raw, wraps at 2**32).
        class_index: predicted class; num_classes: the watch model's K.
        confidence: probability of the predicted class (from the int8 code or the float32).
        float_confidence: the watch sent a float32.
    """

    seq: int
    t_end_us: int
    class_index: int
    num_classes: int
    confidence: float
    float_confidence: bool = False


def encode_result(seq: int, t_end_us: int, class_index: int, num_classes: int, confidence: float,
                  float_confidence: bool = False) -> bytes:
    """One result notification (13 bytes with an int8 confidence, 16 with float32)."""
    if not 0 <= class_index < num_classes <= 255:
        raise ProtocolError(f"class {class_index} of {num_classes} does not fit a result record")
    flags = FLAG_FLOAT if float_confidence else 0
    conf = struct.pack("<f", confidence) if float_confidence else struct.pack("<b", confidence_code(confidence))
    head = RESULT_HEADER.pack(P.PROTOCOL_VERSION, flags, seq % P.SEQ_MODULO, t_end_us % P.TIME_MODULO, class_index,
                              num_classes, 0)
    crc = P.crc16(head[:10] + conf)
    return head[:10] + struct.pack("<H", crc) + conf


def decode_result(data: bytes) -> WatchResult:
    """Decode a result notification; malformed input raises :class:`ProtocolError` (checked as data packets:
    length, version, CRC, then fields)."""
    data = bytes(data)
    if len(data) < RESULT_HEADER_SIZE + 1:
        raise ProtocolError(f"result of {len(data)} bytes is shorter than the {RESULT_HEADER_SIZE + 1}-byte minimum")
    version, flags, seq, t_us, cls, k, crc = RESULT_HEADER.unpack_from(data)
    if version != P.PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version} not supported; this decoder speaks {P.PROTOCOL_VERSION}")
    got = P.crc16(data[:10] + data[RESULT_HEADER_SIZE:])
    if got != crc:
        raise ProtocolError(f"CRC mismatch (result says 0x{crc:04x}, content gives 0x{got:04x})")
    if flags & ~FLAG_FLOAT:
        raise ProtocolError(f"result flags 0x{flags:02x} have reserved bits set")
    size = 4 if flags & FLAG_FLOAT else 1
    if len(data) != RESULT_HEADER_SIZE + size:
        raise ProtocolError(f"result length {len(data)} does not fit a {'float32' if size == 4 else 'int8'} confidence "
                            f"({RESULT_HEADER_SIZE} + {size} bytes)")
    if k == 0 or cls >= k:
        raise ProtocolError(f"result class {cls} outside the model's {k} classes")
    if size == 4:
        conf = struct.unpack_from("<f", data, RESULT_HEADER_SIZE)[0]
        if not (math.isfinite(conf) and 0.0 <= conf <= 1.0):
            raise ProtocolError(f"result confidence {conf} is not a probability")
    else:
        conf = code_probability(struct.unpack_from("<b", data, RESULT_HEADER_SIZE)[0])
    return WatchResult(seq, t_us, cls, k, float(conf), bool(flags & FLAG_FLOAT))


@dataclass(frozen=True)
class ModelRecord:
    """What the watch says about its on-board model (read from the result characteristic)."""

    num_classes: int
    window: int
    hop: int
    rate_hz: float
    model_id: bytes
    present: bool = True
    version: int = P.PROTOCOL_VERSION

    def encode(self) -> bytes:
        """The 20-byte record."""
        return MODEL_RECORD.pack(self.version, 1 if self.present else 0, self.num_classes, 0, self.window, self.hop,
                                 int(round(self.rate_hz * 1000)), bytes(self.model_id)[:8].ljust(8, b"\0"))

    @classmethod
    def decode(cls, data: bytes) -> ModelRecord:
        """Parse the record; malformed input raises :class:`ProtocolError`."""
        data = bytes(data)
        if len(data) != MODEL_RECORD_SIZE:
            raise ProtocolError(f"model record must be {MODEL_RECORD_SIZE} bytes, got {len(data)}")
        version, flags, k, _, window, hop, rate_mhz, model_id = MODEL_RECORD.unpack(data)
        if version != P.PROTOCOL_VERSION:
            raise ProtocolError(f"model record version {version} not supported")
        return cls(k, window, hop, rate_mhz / 1000.0, model_id, bool(flags & 1), version)

    @classmethod
    def for_sidecar(cls, meta: dict) -> ModelRecord:
        """The record a watch running the model of sidecar ``meta`` reports."""
        spec = meta["sensor_spec"]
        return cls(len(meta["label_names"]), int(spec["window"]), int(spec["hop"]), float(spec["rate_hz"]),
                   bytes.fromhex(meta["sha256"])[:8])

    def check(self, meta: dict) -> None:
        """Raise :class:`ProtocolError` unless this watch model is the one of sidecar ``meta`` (same id, K, window)."""
        want = ModelRecord.for_sidecar(meta)
        if not self.present:
            raise ProtocolError("the watch has no on-board model (its model record says so); stream samples instead")
        if self.model_id != want.model_id:
            raise ProtocolError(f"the watch runs model {self.model_id.hex()} (first bytes of its sha256), the host's "
                                f"sidecar describes {want.model_id.hex()}: flash the exported model or use its sidecar")
        if (self.num_classes, self.window, self.hop, self.rate_hz) != (want.num_classes, want.window, want.hop,
                                                                       want.rate_hz):
            raise ProtocolError(f"watch model: {self.num_classes} classes, window {self.window}, hop {self.hop} at "
                                f"{self.rate_hz:g} Hz; sidecar: {want.num_classes}, {want.window}, {want.hop} at "
                                f"{want.rate_hz:g} Hz")


@dataclass(frozen=True)
class ResultDecoder:
    """Decoder of a started on-board classification stream (the watch model's K and window timing)."""

    num_classes: int
    window: int
    rate_hz: float
    name: str = "mujo-results"

    def decode(self, data: bytes) -> WatchResult:
        """Decode one notification; a result for another number of classes is a ProtocolError."""
        r = decode_result(data)
        if r.num_classes != self.num_classes:
            raise ProtocolError(f"result for a {r.num_classes}-class model, the stream was started for {self.num_classes}")
        return r


class SilentDecoder:
    """The decoder of a results-only stream (START format ``0x80``): it carries the applied rate and expects
    no data packets (one that arrives anyway is counted as corrupt)."""

    channels: tuple[str, ...] = ()

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = float(rate_hz)

    def decode(self, data: bytes) -> Any:
        """Always :class:`ProtocolError`: results-only streams send no samples."""
        raise ProtocolError("data packet on a results-only (on-board classification) stream")


class ResultNotification(bytes):
    """The bytes of a result-characteristic notification; the type tells the live pipeline's queue where they came from."""


class ResultStream:
    """Host-side state of the results of one session: decoding, device-time unwrapping and ordering by ``seq``.

    Results are ordered like data packets (a :class:`~mujo_edge.firmware_bridge.timing.Reorderer` with the
    same depth and wait), so lost, duplicated, late and reordered results are counted the same way.
    """

    def __init__(self, decoder: ResultDecoder, reorder_depth: int, reorder_wait_s: float) -> None:
        self.decoder = decoder
        self.reorderer: Reorderer[tuple[WatchResult, float, float]] = Reorderer(reorder_depth, reorder_wait_s)
        self._t_us: int | None = None
        self.received = 0

    def restart(self) -> None:
        """A new START: result numbers begin again at 0 (the device clock continues)."""
        self.reorderer.reset()

    def push(self, t_recv: float, data: bytes, now: float) -> list[tuple[WatchResult, float, float]]:
        """Decode one notification (raises :class:`ProtocolError`); returns the results now in order, each with
        the device time of its window's last sample (unwrapped, s) and its host receive time (s)."""
        r = self.decoder.decode(data)
        self.received += 1
        self._t_us = unwrap(r.t_end_us, self._t_us, P.TIME_MODULO)
        return self.reorderer.push(r.seq, (r, self._t_us / 1e6, t_recv), now)

    def flush(self, now: float, force: bool = False) -> list[tuple[WatchResult, float, float]]:
        """Results released by the reorder wait (all held ones with ``force``)."""
        return self.reorderer.flush(now, force=force)

    @property
    def counts(self) -> OrderCounts:
        """Missing / duplicate / late / reordered results."""
        return self.reorderer.counts


async def start_results(client: Any, meta: dict[str, Any], callback: Any, notify_args: dict[str, Any]) -> ResultDecoder:
    """Before START: read the watch's model record, check it against the host's sidecar ``meta``, subscribe
    ``callback`` to the result characteristic; returns the decoder of the coming results.

    Raises:
        BridgeError: the device has no result characteristic, or its model is not the sidecar's.
    """
    if not all(k in meta for k in ("sha256", "sensor_spec", "label_names")):
        raise BridgeError("on-board classification needs the exported model file the watch runs (the .tflite of "
                          "`mujo-edge export --format tflm --int8`, with its sidecar), not a checkpoint")
    if client.services.get_characteristic(RESULT_UUID) is None:
        raise BridgeError(f"the device has no result characteristic {RESULT_UUID}: it cannot classify on board "
                          "(stream samples instead: live without --on-watch)")
    try:
        record = ModelRecord.decode(await client.read_gatt_char(RESULT_UUID))
        record.check(meta)
    except ProtocolError as exc:
        raise BridgeError(f"on-board classification: {exc}") from exc
    await client.start_notify(RESULT_UUID, callback, **notify_args)
    return ResultDecoder(record.num_classes, record.window, record.rate_hz)


__all__ = ["FLAG_FLOAT", "MODEL_RECORD_SIZE", "ModelRecord", "ON_BOARD", "RESULT_UUID", "ResultDecoder",
           "ResultNotification", "ResultStream", "SilentDecoder", "WatchResult", "code_probability", "confidence_code",
           "decode_result", "encode_result", "start_results"]
