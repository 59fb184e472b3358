"""Polar PMD (Polar Measurement Data) accelerometer stream: control point commands and data frames.

Layout (from Polar's public SDK documentation and issue threads; see ``PROTOCOL.md``):

* service ``FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8``, control point ``…5C81`` (write + indicate),
  data ``…5C82`` (notify);
* control write ``[op, measurement type, settings TLVs…]`` with op 1 = get settings, 2 = start,
  3 = stop; TLV = ``[setting type, count, count × value]`` (u16 values, u8 for channels, float32 factor);
* control response ``[0xF0, op, measurement type, error, more frames, settings TLVs…]``; the
  response to a successful START carries the settings the device applied, notably the ``factor``
  the compressed frames are scaled by (Polar's SDK reads it from there; devices that send type
  0x80 frames give e.g. 2.44e-4 g per count, so ignoring it is off by a factor of thousands);
* data frame ``[measurement type, u64 timestamp (ns since 2000-01-01, of the LAST sample), frame type,
  payload]``. Frame type bit 7 = delta-compressed. Raw ACC frames carry 3 × int8/int16/int24 (types
  0/1/2) in milli-g. Compressed frames carry a reference sample (3 × ``resolution`` bits, little-endian)
  then blocks ``[delta bit width, sample count, count × 3 deltas packed LSB-first, signed]``;
  type 0x80 values are g × factor, type 0x81 milli-g × factor (raw frames ignore the factor).

Only the accelerometer is decoded; other measurement types raise :class:`ProtocolError` naming it.
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass, field

import numpy as np
from mujo_edge.firmware_bridge.protocol import SampleBatch

from mujo_edge.data.spec import ACC_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import ProtocolError

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
#: Polar timestamps count nanoseconds since 2000-01-01T00:00:00Z; this is that instant in Unix ns.
FRAME_HEADER = 10
RESPONSE_CODE = 0xF0
MILLI_G = STANDARD_GRAVITY / 1000.0  # m/s² per mG


class Measurement(enum.IntEnum):
    """PMD measurement types (byte 0 of a data frame)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6


class Op(enum.IntEnum):
    """Control point op codes."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3


class Setting(enum.IntEnum):
    """Setting TLV types."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


_SETTING_SIZE = {Setting.SAMPLE_RATE: 2, Setting.RESOLUTION: 2, Setting.RANGE: 2, Setting.RANGE_MILLIUNIT: 4,
                 Setting.CHANNELS: 1, Setting.FACTOR: 4}
ERRORS = ("success", "invalid op code", "invalid measurement type", "not supported", "invalid length",
          "invalid parameter", "already in state", "invalid resolution", "invalid sample rate", "invalid range",
          "invalid MTU", "invalid number of channels", "invalid state", "device in charger")
RAW_BYTES = {0: 1, 1: 2, 2: 3}  # raw ACC frame type -> bytes per axis


# --------------------------------------------------------------------------- control point
def encode_settings(settings: dict[int, list[float]]) -> bytes:
    """TLV bytes for ``{setting type: values}`` (factor as float32, the rest as integers)."""
    out = bytearray()
    for kind, values in settings.items():
        kind = Setting(kind)
        out += bytes([kind, len(values)])
        for v in values:
            if kind == Setting.FACTOR:
                out += struct.pack("<f", float(v))
            else:
                out += int(v).to_bytes(_SETTING_SIZE[kind], "little")
    return bytes(out)


def parse_settings(data: bytes) -> dict[int, list[float]]:
    """Inverse of :func:`encode_settings`; truncated or unknown TLVs raise ProtocolError."""
    out: dict[int, list[float]] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise ProtocolError(f"settings TLV truncated at byte {i} of {len(data)}")
        kind, n = data[i], data[i + 1]
        if kind not in _SETTING_SIZE:
            raise ProtocolError(f"unknown PMD setting type {kind}; known: {', '.join(s.name for s in Setting)}")
        size = _SETTING_SIZE[Setting(kind)]
        end = i + 2 + n * size
        if end > len(data):
            raise ProtocolError(f"settings TLV type {kind} needs {n * size} bytes, {len(data) - i - 2} left")
        chunk = data[i + 2:end]
        if kind == Setting.FACTOR:
            values = [v for (v,) in struct.iter_unpack("<f", chunk)]
        else:
            values = [int.from_bytes(chunk[j:j + size], "little") for j in range(0, len(chunk), size)]
        out[kind] = values
        i = end
    return out


def start_command(rate_hz: int, range_g: int = 8, resolution: int = 16, channels: int = 3) -> bytes:
    """Control write that starts the ACC stream with the given settings."""
    return bytes([Op.START, Measurement.ACC]) + encode_settings({
        Setting.SAMPLE_RATE: [rate_hz], Setting.RESOLUTION: [resolution], Setting.RANGE: [range_g],
        Setting.CHANNELS: [channels]})


def stop_command() -> bytes:
    """Control write that stops the ACC stream."""
    return bytes([Op.STOP, Measurement.ACC])


def get_settings_command() -> bytes:
    """Control write asking for the ACC settings the device supports."""
    return bytes([Op.GET_SETTINGS, Measurement.ACC])


@dataclass(frozen=True)
class ControlResponse:
    """A parsed control point response."""

    op: int
    measurement: int
    error: int
    more: bool = False
    settings: dict[int, list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the device accepted the command."""
        return self.error == 0

    @property
    def error_name(self) -> str:
        """The error code as text."""
        return ERRORS[self.error] if self.error < len(ERRORS) else f"unknown error {self.error}"

    def encode(self) -> bytes:
        """Device side: the response bytes."""
        return bytes([RESPONSE_CODE, self.op, self.measurement, self.error, int(self.more)]) + encode_settings(
            self.settings)

    @classmethod
    def decode(cls, data: bytes) -> ControlResponse:
        """Parse a response; anything else raises ProtocolError.

        The settings TLVs of a successful GET_SETTINGS response list what the device supports; those
        of a successful START response what it applied (with the scale ``factor``).
        """
        data = bytes(data)
        if len(data) < 5 or data[0] != RESPONSE_CODE:
            raise ProtocolError(f"not a PMD control response: {data[:8].hex()} ({len(data)} bytes)")
        settings = parse_settings(data[5:]) if data[3] == 0 and data[1] in (Op.GET_SETTINGS, Op.START) else {}
        return cls(op=data[1], measurement=data[2], error=data[3], more=bool(data[4]), settings=settings)

    def applied(self, requested: dict[int, list[float]]) -> tuple[float, int]:
        """``(factor, resolution)`` of a START response: the device's applied settings, else the requested
        ones; the factor defaults to 1.0 when neither names it (as in Polar's SDK)."""
        merged = {**requested, **self.settings}
        factor = float((merged.get(Setting.FACTOR) or [1.0])[0])
        resolution = int((merged.get(Setting.RESOLUTION) or [16])[0])
        if not (math.isfinite(factor) and factor > 0) or not 1 <= resolution <= 32:
            raise ProtocolError(f"PMD start response has factor {factor} and resolution {resolution} bits "
                                "(factor > 0, resolution 1..32)")
        return factor, resolution


# --------------------------------------------------------------------------- data frames
def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement sign extension of unsigned ``bits``-wide integers (int64 array)."""
    if bits == 0:
        return values
    sign = np.int64(1) << np.int64(bits - 1)
    return (values ^ sign) - sign


def _unpack_bits(data: bytes, n_values: int, width: int) -> np.ndarray:
    """``n_values`` signed integers of ``width`` bits packed LSB-first in ``data``."""
    if width == 0:
        return np.zeros(n_values, dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")[: n_values * width]
    weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
    return _signed(bits.reshape(n_values, width).astype(np.int64) @ weights, width)


def _delta_samples(payload: bytes, resolution: int) -> np.ndarray:
    """Reference sample + delta blocks → ``(n, 3)`` int64 values."""
    ref_bytes = (resolution + 7) // 8
    if len(payload) < 3 * ref_bytes:
        raise ProtocolError(f"delta frame of {len(payload)} bytes lacks the {3 * ref_bytes}-byte reference sample")
    ref = np.array([int.from_bytes(payload[i * ref_bytes:(i + 1) * ref_bytes], "little") for i in range(3)],
                   dtype=np.int64)
    rows = [_signed(ref, resolution)[None, :]]
    i = 3 * ref_bytes
    while i < len(payload):
        if i + 2 > len(payload):
            raise ProtocolError(f"delta block header truncated at byte {i} of {len(payload)}")
        width, count = payload[i], payload[i + 1]
        if width > 32 or count == 0:
            raise ProtocolError(f"delta block with bit width {width} and {count} samples (width 0-32, count ≥ 1)")
        nbytes = (width * count * 3 + 7) // 8
        if i + 2 + nbytes > len(payload):
            raise ProtocolError(f"delta block needs {nbytes} bytes, {len(payload) - i - 2} left")
        deltas = _unpack_bits(payload[i + 2:i + 2 + nbytes], 3 * count, width).reshape(count, 3)
        rows.append(rows[-1][-1] + np.cumsum(deltas, axis=0))
        i += 2 + nbytes
    return np.concatenate(rows)


def decode_frame(data: bytes, rate_hz: float, factor: float = 1.0, resolution: int = 16) -> SampleBatch:
    """Decode one PMD ACC data frame into m/s² samples (sample times from ``rate_hz``).

    ``factor`` scales compressed frames (type 0x80: g per count, 0x81: milli-g per count; take it from
    the START response, :meth:`ControlResponse.applied`); ``resolution`` is the reference sample's width.
    """
    data = bytes(data)
    if len(data) < FRAME_HEADER + 1:
        raise ProtocolError(f"PMD frame of {len(data)} bytes is shorter than header + payload")
    if data[0] != Measurement.ACC:
        name = Measurement(data[0]).name if data[0] in Measurement._value2member_map_ else f"type {data[0]}"
        raise ProtocolError(f"PMD measurement {name} is not decoded; supported: ACC")
    if not rate_hz > 0 or not 1 <= resolution <= 32:
        raise ProtocolError(f"PMD decoding needs rate > 0 and resolution 1..32 bits, got {rate_hz}, {resolution}")
    t_last_ns = int.from_bytes(data[1:9], "little")
    ftype = data[9]
    payload = data[FRAME_HEADER:]
    if ftype & 0x80:
        kind = ftype & 0x7F
        if kind not in (0, 1):
            raise ProtocolError(f"compressed ACC frame type 0x{ftype:02x} unknown; known: 0x80, 0x81")
        values = _delta_samples(payload, resolution).astype(np.float64) * factor * (1000.0 if kind == 0 else 1.0)
    else:
        if ftype not in RAW_BYTES:
            raise ProtocolError(f"raw ACC frame type {ftype} unknown; known: {sorted(RAW_BYTES)}")
        width = RAW_BYTES[ftype]
        if len(payload) % (3 * width):
            raise ProtocolError(f"raw ACC payload of {len(payload)} bytes is not a multiple of {3 * width}")
        b = np.frombuffer(payload, dtype=np.uint8).reshape(-1, width).astype(np.int64)
        values = _signed(b @ (np.int64(1) << (8 * np.arange(width, dtype=np.int64))), 8 * width)
        values = values.reshape(-1, 3).astype(np.float64)
    period_ns = 1e9 / rate_hz
    n = values.shape[0]
    t_first_ns = t_last_ns - (n - 1) * period_ns
    return SampleBatch(t_first_us=int(round(t_first_ns / 1000.0)), period_us=period_ns / 1000.0,
                       samples=(values * MILLI_G).astype(np.float32), channels=ACC_CHANNELS, seq=None,
                       time_modulo=0)


def encode_raw_frame(t_last_ns: int, counts_mg: np.ndarray, frame_type: int = 1) -> bytes:
    """Device side: a raw ACC frame of ``(n, 3)`` milli-g integers (type 0/1/2 = 8/16/24-bit)."""
    width = RAW_BYTES[frame_type]
    counts = np.asarray(counts_mg, dtype=np.int64).reshape(-1, 3)
    body = b"".join(int(v).to_bytes(width, "little", signed=True) for v in counts.ravel())
    return bytes([Measurement.ACC]) + int(t_last_ns).to_bytes(8, "little") + bytes([frame_type]) + body


def _pack_bits(values: np.ndarray, width: int) -> bytes:
    if width == 0:
        return b""
    bits = (values[:, None] >> np.arange(width)) & 1
    return np.packbits(bits.ravel().astype(np.uint8), bitorder="little").tobytes()


def encode_delta_frame(t_last_ns: int, counts_mg: np.ndarray, resolution: int = 16, block: int = 16,
                       frame_type: int = 0x81) -> bytes:
    """Device side: a compressed ACC frame of ``(n, 3)`` integers; each block uses the narrowest signed width.

    ``frame_type`` 0x81: the integers are milli-g / factor; 0x80: g / factor (see :func:`decode_frame`).
    """
    if frame_type not in (0x80, 0x81):
        raise ProtocolError(f"compressed ACC frame type 0x{frame_type:02x} unknown; known: 0x80, 0x81")
    counts = np.asarray(counts_mg, dtype=np.int64).reshape(-1, 3)
    ref_bytes = (resolution + 7) // 8
    body = bytearray(b"".join(int(v & ((1 << resolution) - 1)).to_bytes(ref_bytes, "little") for v in counts[0]))
    deltas = np.diff(counts, axis=0)
    for s in range(0, len(deltas), block):
        d = deltas[s:s + block]
        big = int(np.abs(d).max()) if d.size else 0
        width = 0 if big == 0 else max(2, (big).bit_length() + 1)
        body += bytes([width, len(d)]) + _pack_bits(d.ravel() & ((1 << max(width, 1)) - 1), width)
    return bytes([Measurement.ACC]) + int(t_last_ns).to_bytes(8, "little") + bytes([frame_type]) + bytes(body)


@dataclass(frozen=True)
class PolarDecoder:
    """Decoder of a started PMD ACC stream.

    ``rate_hz`` is the started rate; ``factor`` and ``resolution`` come from the START response's
    settings (:meth:`ControlResponse.applied`), so compressed frames are scaled as the device meant.
    """

    rate_hz: float
    factor: float = 1.0
    resolution: int = 16
    name: str = "polar"
    channels: tuple[str, ...] = ACC_CHANNELS

    def decode(self, data: bytes) -> SampleBatch:
        """Decode one PMD data frame."""
        return decode_frame(data, self.rate_hz, self.factor, self.resolution)
