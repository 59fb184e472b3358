"""The mujo-edge IMU GATT protocol, version 1 (byte-exact specification: ``PROTOCOL.md`` beside this file).

Three pieces, all little-endian:

* data notifications: a 12-byte header (version, format, sequence number, device timestamp of the
  first sample in µs, sample count, range codes, CRC-16) followed by ``count`` interleaved int16
  samples (acc x/y/z then gyro x/y/z for ``IMU6``);
* control writes: ``START`` (protocol version, format, ranges, rate in mHz, batch) and ``STOP``;
* control reads: a 16-byte status record (applied configuration, last error, ATT MTU, device clock).

This module is pure Python + numpy; the C encoder in ``firmware/`` produces the same bytes (shared
test vectors in ``firmware/vectors/vectors.json``).
"""

from __future__ import annotations

import binascii
import enum
import functools
import math
import struct
from dataclasses import dataclass

import numpy as np

from mujo_edge.data.spec import ACC_CHANNELS, IMU_CHANNELS, STANDARD_GRAVITY
from mujo_edge.errors import ProtocolError

PROTOCOL_VERSION = 1
#: GATT service and characteristics ("mujo" "ed" "ge" in the first bytes).
SERVICE_UUID = "6d756a6f-6564-6765-0000-000000000000"
CONTROL_UUID = "6d756a6f-6564-6765-0000-000000000001"
DATA_UUID = "6d756a6f-6564-6765-0000-000000000002"

HEADER = struct.Struct("<BBHIBBH")  # version, format, seq, t_first_us, count, ranges, crc16
HEADER_SIZE = HEADER.size  # 12
STATUS = struct.Struct("<BBBBBBHII")  # version, state, error, format, ranges, batch, att_mtu, rate_mhz, t_now_us
START = struct.Struct("<BBBBIB")  # opcode, version, format, ranges, rate_mhz, batch
ATT_OVERHEAD = 3  # opcode + handle of a Handle Value Notification
DEFAULT_ATT_MTU = 23  # the BLE minimum, in force until an MTU exchange
SEQ_MODULO = 1 << 16
TIME_MODULO = 1 << 32  # device µs clock wraps every 71.6 min

#: full-scale ranges selectable by code (index = code): accelerometer ±g, gyroscope ±deg/s.
ACC_RANGES_G: tuple[int, ...] = (2, 4, 8, 16)
GYRO_RANGES_DPS: tuple[int, ...] = (125, 250, 500, 1000, 2000)


class Format(enum.IntEnum):
    """Sample layout of a data notification."""

    IMU6 = 1  # acc x,y,z + gyro x,y,z, int16 each (12 bytes per sample)
    ACC3 = 2  # acc x,y,z, int16 each (6 bytes per sample)


FORMAT_CHANNELS: dict[int, tuple[str, ...]] = {Format.IMU6: IMU_CHANNELS, Format.ACC3: ACC_CHANNELS}
#: START / status ``format`` bit 7: the device classifies on board and notifies results (PROTOCOL.md §10);
#: ``0x80`` alone = results only (no data packets), ``0x81`` = results and IMU6 packets.
ON_BOARD = 0x80


def sample_format(fmt: int) -> int:
    """The sample layout of a START / status ``format`` (the on-board bit removed; 0 = no samples)."""
    return fmt & ~ON_BOARD & 0xFF


class Opcode(enum.IntEnum):
    """First byte of a control write."""

    START = 0x01
    STOP = 0x02


class State(enum.IntEnum):
    """Device state in the status record."""

    IDLE = 0
    STREAMING = 1


class DeviceError(enum.IntEnum):
    """``error`` field of the status record: why the last control write was refused."""

    OK = 0
    UNKNOWN_OPCODE = 1
    BAD_LENGTH = 2
    UNSUPPORTED_VERSION = 3
    UNSUPPORTED_FORMAT = 4
    UNSUPPORTED_RATE = 5
    UNSUPPORTED_RANGE = 6
    BATCH_TOO_LARGE = 7


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection); ``crc16(b"123456789") == 0x29B1``."""
    return binascii.crc_hqx(data, 0xFFFF)


def sample_size(fmt: int) -> int:
    """Bytes per sample of format ``fmt``."""
    return 2 * len(_channels(fmt))


def _channels(fmt: int) -> tuple[str, ...]:
    try:
        return FORMAT_CHANNELS[fmt]
    except KeyError:
        raise ProtocolError(f"unknown sample format {fmt}; valid: "
                            + ", ".join(f"{f.value} ({f.name})" for f in Format)) from None


def max_batch(fmt: int, att_mtu: int) -> int:
    """Most samples of format ``fmt`` one notification can carry at ATT MTU ``att_mtu`` (capped at 255)."""
    return max(0, min(255, (att_mtu - ATT_OVERHEAD - HEADER_SIZE) // sample_size(fmt)))


def pack_ranges(acc_range_g: int, gyro_range_dps: int) -> int:
    """Range byte: accelerometer code in bits 0-2, gyroscope code in bits 3-5 (bits 6-7 zero)."""
    if acc_range_g not in ACC_RANGES_G:
        raise ProtocolError(f"accelerometer range ±{acc_range_g} g not supported; valid: {ACC_RANGES_G}")
    if gyro_range_dps not in GYRO_RANGES_DPS:
        raise ProtocolError(f"gyroscope range ±{gyro_range_dps} dps not supported; valid: {GYRO_RANGES_DPS}")
    return ACC_RANGES_G.index(acc_range_g) | (GYRO_RANGES_DPS.index(gyro_range_dps) << 3)


def unpack_ranges(byte: int) -> tuple[int, int]:
    """Inverse of :func:`pack_ranges`: ``(acc_range_g, gyro_range_dps)``; invalid codes raise ProtocolError."""
    acc, gyro = byte & 0x07, (byte >> 3) & 0x07
    if byte & 0xC0 or acc >= len(ACC_RANGES_G) or gyro >= len(GYRO_RANGES_DPS):
        raise ProtocolError(f"invalid range byte 0x{byte:02x} (acc code {acc}, gyro code {gyro}, reserved bits "
                            f"{byte >> 6}); acc codes 0-{len(ACC_RANGES_G) - 1}, gyro codes 0-{len(GYRO_RANGES_DPS) - 1}")
    return ACC_RANGES_G[acc], GYRO_RANGES_DPS[gyro]


@functools.lru_cache(maxsize=64)
def si_scale(fmt: int, acc_range_g: int, gyro_range_dps: int) -> np.ndarray:
    """SI units per LSB of each channel of ``fmt``: acc ``range·g/32768`` m/s², gyro ``range·π/180/32768`` rad/s."""
    acc = acc_range_g * STANDARD_GRAVITY / 32768.0
    gyro = gyro_range_dps * math.pi / 180.0 / 32768.0
    out = np.array([acc if c.startswith("acc") else gyro for c in _channels(fmt)], dtype=np.float64)
    out.flags.writeable = False  # cached: shared between calls
    return out


def quantize(x: np.ndarray, fmt: int, acc_range_g: int, gyro_range_dps: int) -> np.ndarray:
    """SI samples ``(n, C)`` → int16 counts (rounded, clipped to the range); the device-side conversion."""
    counts = np.rint(np.asarray(x, np.float64) / si_scale(fmt, acc_range_g, gyro_range_dps))
    return np.clip(counts, -32768, 32767).astype(np.int16)


@dataclass(frozen=True)
class SampleBatch:
    """One decoded notification.

    Attributes:
        t_first_us: device time of the first sample, µs (raw: wraps at ``time_modulo``).
        period_us: nominal sample period on the device clock, µs.
        samples: ``(n, C)`` float32 in SI units (m/s², rad/s), channels in ``channels`` order.
        channels: channel names.
        seq: packet sequence number (``None`` for sources without one, e.g. Polar PMD).
        seq_modulo: sequence numbers wrap at this value.
        time_modulo: device timestamps wrap at this value (µs).
        saturated: samples with at least one channel at the int16 limits (clipped by the sensor).
    """

    t_first_us: int
    period_us: float
    samples: np.ndarray
    channels: tuple[str, ...]
    seq: int | None = None
    seq_modulo: int = SEQ_MODULO
    time_modulo: int = TIME_MODULO
    saturated: int = 0

    @property
    def count(self) -> int:
        """Number of samples n."""
        return int(self.samples.shape[0])


def encode_packet(fmt: int, seq: int, t_first_us: int, counts: np.ndarray, acc_range_g: int = 8,
                  gyro_range_dps: int = 2000) -> bytes:
    """One data notification carrying int16 ``counts (n, C)`` (1 ≤ n ≤ 255) of format ``fmt``."""
    counts = np.asarray(counts)
    chans = _channels(fmt)
    if counts.ndim != 2 or counts.shape[1] != len(chans) or not 1 <= counts.shape[0] <= 255:
        raise ProtocolError(f"format {Format(fmt).name} needs (1..255, {len(chans)}) samples, got {counts.shape}")
    payload = np.ascontiguousarray(counts, dtype="<i2").tobytes()
    head = HEADER.pack(PROTOCOL_VERSION, fmt, seq % SEQ_MODULO, t_first_us % TIME_MODULO, counts.shape[0],
                       pack_ranges(acc_range_g, gyro_range_dps), 0)
    crc = crc16(head[:-2] + payload)
    return head[:-2] + struct.pack("<H", crc) + payload


def decode_packet(data: bytes, rate_hz: float) -> SampleBatch:
    """Decode one data notification (device streaming at ``rate_hz``); malformed input raises ProtocolError."""
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        raise ProtocolError(f"packet of {len(data)} bytes is shorter than the {HEADER_SIZE}-byte header")
    version, fmt, seq, t_us, count, ranges, crc = HEADER.unpack_from(data)
    if version != PROTOCOL_VERSION:  # the version fixes the layout, so it is checked first
        raise ProtocolError(f"protocol version {version} not supported; this decoder speaks {PROTOCOL_VERSION}")
    got = crc16(data[:HEADER_SIZE - 2] + data[HEADER_SIZE:])
    if got != crc:  # then integrity: a damaged field is reported as damage, not as a bad value
        raise ProtocolError(f"CRC mismatch (packet says 0x{crc:04x}, content gives 0x{got:04x})")
    chans = _channels(fmt)
    size = 2 * len(chans)
    if count == 0 or len(data) != HEADER_SIZE + count * size:
        raise ProtocolError(f"packet length {len(data)} does not fit {count} {Format(fmt).name} samples "
                            f"({HEADER_SIZE} + {count}×{size} bytes)")
    acc_g, gyro_dps = unpack_ranges(ranges)
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise ProtocolError(f"stream rate must be > 0 Hz, got {rate_hz}")
    raw = np.frombuffer(data, dtype="<i2", offset=HEADER_SIZE).reshape(count, len(chans))
    saturated = int(((raw == 32767) | (raw == -32768)).any(axis=1).sum())
    samples = (raw * si_scale(fmt, acc_g, gyro_dps)).astype(np.float32)
    return SampleBatch(t_first_us=t_us, period_us=1e6 / rate_hz, samples=samples, channels=chans, seq=seq,
                       saturated=saturated)


# --------------------------------------------------------------------------- control characteristic
@dataclass(frozen=True)
class StartCommand:
    """The ``START`` control write: what the client asks for."""

    rate_hz: float = 50.0
    fmt: int = Format.IMU6
    acc_range_g: int = 8
    gyro_range_dps: int = 2000
    batch: int = 0  # samples per notification; 0 = as many as the ATT MTU allows
    version: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        """9 bytes: opcode, version, format, ranges, rate (mHz, u32), batch."""
        rate_mhz = int(round(self.rate_hz * 1000))
        if not 0 < rate_mhz < 1 << 32 or not 0 <= self.batch <= 255:
            raise ProtocolError(f"START needs 0 < rate < 4.29 MHz and batch 0..255, got {self.rate_hz} Hz, {self.batch}")
        return START.pack(Opcode.START, self.version, self.fmt, pack_ranges(self.acc_range_g, self.gyro_range_dps),
                          rate_mhz, self.batch)


@dataclass(frozen=True)
class DeviceStatus:
    """The 16-byte status record read from the control characteristic."""

    state: int = State.IDLE
    error: int = DeviceError.OK
    fmt: int = Format.IMU6
    acc_range_g: int = 8
    gyro_range_dps: int = 2000
    batch: int = 0
    att_mtu: int = 23
    rate_hz: float = 0.0
    t_now_us: int = 0
    version: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        """Pack into the 16-byte record."""
        return STATUS.pack(self.version, self.state, self.error, self.fmt,
                           pack_ranges(self.acc_range_g, self.gyro_range_dps), self.batch, self.att_mtu,
                           int(round(self.rate_hz * 1000)), self.t_now_us % TIME_MODULO)

    @classmethod
    def decode(cls, data: bytes) -> DeviceStatus:
        """Parse a status record; malformed input raises ProtocolError."""
        data = bytes(data)
        if len(data) != STATUS.size:
            raise ProtocolError(f"status record must be {STATUS.size} bytes, got {len(data)}")
        version, state, error, fmt, ranges, batch, mtu, rate_mhz, t_now = STATUS.unpack(data)
        acc, gyro = unpack_ranges(ranges)
        if state not in State._value2member_map_ or error not in DeviceError._value2member_map_:
            raise ProtocolError(f"status has unknown state {state} or error {error}")
        return cls(state=state, error=error, fmt=fmt, acc_range_g=acc, gyro_range_dps=gyro, batch=batch,
                   att_mtu=mtu, rate_hz=rate_mhz / 1000.0, t_now_us=t_now, version=version)


def parse_command(data: bytes) -> tuple[int, StartCommand | None, int]:
    """Device side: parse a control write into ``(opcode, start_command_or_None, error)``."""
    data = bytes(data)
    if not data:
        return 0, None, DeviceError.BAD_LENGTH
    op = data[0]
    if op == Opcode.STOP:
        return op, None, DeviceError.OK if len(data) == 1 else DeviceError.BAD_LENGTH
    if op != Opcode.START:
        return op, None, DeviceError.UNKNOWN_OPCODE
    if len(data) != START.size:
        return op, None, DeviceError.BAD_LENGTH
    _, version, fmt, ranges, rate_mhz, batch = START.unpack(data)
    if version != PROTOCOL_VERSION:
        return op, None, DeviceError.UNSUPPORTED_VERSION
    if sample_format(fmt) not in FORMAT_CHANNELS and fmt != ON_BOARD:
        return op, None, DeviceError.UNSUPPORTED_FORMAT
    try:
        acc, gyro = unpack_ranges(ranges)
    except ProtocolError:
        return op, None, DeviceError.UNSUPPORTED_RANGE
    if rate_mhz == 0:
        return op, None, DeviceError.UNSUPPORTED_RATE
    return op, StartCommand(rate_mhz / 1000.0, fmt, acc, gyro, batch, version), DeviceError.OK


def negotiate(cmd: StartCommand, rates_hz: tuple[float, ...], att_mtu: int) -> tuple[int, float, int]:
    """Device side: ``(error, applied_rate_hz, applied_batch)`` for a START at ATT MTU ``att_mtu``.

    The device applies the supported rate closest to the request (the client must use the rate the
    status reports, never the one it asked for) and the requested batch, or the largest that fits
    one notification when ``batch == 0``; a batch that does not fit is refused.
    """
    if not rates_hz:
        return DeviceError.UNSUPPORTED_RATE, 0.0, 0
    rate = min(rates_hz, key=lambda r: (abs(r - cmd.rate_hz), -r))
    if cmd.fmt == ON_BOARD:  # results only: no data packets, no batch
        return DeviceError.OK, rate, 0
    most = max_batch(sample_format(cmd.fmt), att_mtu)
    if most < 1 or cmd.batch > most:
        return DeviceError.BATCH_TOO_LARGE, rate, 0
    return DeviceError.OK, rate, cmd.batch or most


@dataclass(frozen=True)
class MujoDecoder:
    """Decoder of one started stream: the rate and format the device's status reported."""

    rate_hz: float
    fmt: int = Format.IMU6
    name: str = "mujo"

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names of the stream."""
        return _channels(self.fmt)

    def decode(self, data: bytes) -> SampleBatch:
        """Decode one notification; a packet of another format than the started one is a ProtocolError."""
        batch = decode_packet(data, self.rate_hz)
        if batch.channels != self.channels:
            raise ProtocolError(f"packet format carries {batch.channels}, the stream was started as {self.channels}")
        return batch
