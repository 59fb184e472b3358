"""The simulated smartwatch: a fake BlueZ peripheral that streams a recording over our protocol.

It runs as its own process (``python -m mujo_edge.firmware_bridge.sim.watch``, or ``mujo-edge
watch-sim``) on a private D-Bus, so the real bleak client in another process scans, connects,
subscribes and receives notifications exactly as with hardware. Two device profiles:

* ``mujo``: our GATT protocol (``PROTOCOL.md``): START/STOP and status on the control
  characteristic, IMU6 packets with sequence numbers, µs timestamps and CRC on the data one;
* ``polar``: Polar PMD ACC (control point + data, raw or delta-compressed frames, ns since 2000).

The device has its own clock (random start, optional drift) and samples at the applied rate on
that clock; the source recording is resampled to that rate through
:func:`mujo_edge.data.preprocess.resample`. Faults (lost, duplicated, reordered, corrupted packets;
link drops with a period of refused reconnects) are drawn from a seeded RNG and counted, so tests
can compare what the bridge reports with what really happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge import results as R
from mujo_edge.firmware_bridge.sim.onboard import OnBoardSession

from mujo_edge.config import from_dict
from mujo_edge.data.preprocess import to_rate
from mujo_edge.data.refs import RECORDING_KINDS, load_recording, parse_ref
from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import ConfigError, MujoEdgeError
from mujo_edge.provenance import atomic_write_text

log = logging.getLogger(__name__)

PROFILES = ("mujo", "polar")
POLAR_RATES = (25, 50, 100, 200)
POLAR_FRAMES = ("delta", "delta_g", "raw")


@dataclass(frozen=True)
class FaultConfig:
    """Injected faults. Probabilities are per packet and exclusive (one fault per packet at most).

    Attributes:
        loss / corrupt / reorder / duplicate: probability of dropping the packet, flipping one bit of
            it (mujo) or mangling its header (polar, which has no checksum), sending it after the next
            packet, sending it twice.
        drop_at_s: stream seconds (from the first START) at which the link drops.
        down_s: after a drop, connection attempts fail for this long, s.
        seed: RNG seed of the fault draws.
    """

    loss: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    duplicate: float = 0.0
    drop_at_s: tuple[float, ...] = ()
    down_s: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        probs = (self.loss, self.corrupt, self.reorder, self.duplicate)
        if any(not 0 <= p <= 1 for p in probs) or sum(probs) > 1:
            raise ConfigError(f"fault probabilities must be in [0, 1] and sum to <= 1, got {probs}")
        if self.down_s < 0 or any(t < 0 for t in self.drop_at_s):
            raise ConfigError(f"drop times and down_s must be >= 0: {self.drop_at_s}, {self.down_s}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ConfigError(f"fault seed must be a whole number in 0 .. 2**32 - 1, got {self.seed!r}")

    @classmethod
    def parse(cls, text: str | None) -> FaultConfig:
        """``"loss=0.02,reorder=0.01,duplicate=0.01,corrupt=0.01,drop=5+12,down=0.5,seed=1"`` → config."""
        if not text:
            return cls()
        keys = {"loss": "loss", "corrupt": "corrupt", "reorder": "reorder", "duplicate": "duplicate",
                "drop": "drop_at_s", "down": "down_s", "seed": "seed"}
        values: dict[str, Any] = {}
        for item in text.split(","):
            k, _, v = item.partition("=")
            k = k.strip()
            if k not in keys or not v:
                raise ConfigError(f"bad fault {item!r}; use key=value with keys {', '.join(keys)}")
            try:
                values[keys[k]] = (tuple(float(s) for s in v.split("+")) if k == "drop"
                                   else int(v) if k == "seed" else float(v))
            except ValueError:
                raise ConfigError(f"bad fault value in {item!r}") from None
        return cls(**values)


@dataclass(frozen=True)
class WatchSimConfig:
    """The simulated watch (saved as JSON and passed to the simulator process).

    Attributes:
        source: what to stream, a recording reference (:mod:`mujo_edge.data.refs`): ``synthetic[:SECONDS]``,
            ``dataset:NAME[:SUBJECT[:SESSION]]`` or a recording CSV path.
        profile: ``mujo`` or ``polar``.
        name / address: what the watch advertises.
        rates_hz: sample rates the device supports; it applies the one nearest to the request
            (a single rate makes a device that ignores the requested rate).
        true_rate_factor: the device really samples at applied rate × this (a device whose real
            rate differs from the one it reports; timestamps stay honest).
        clock_drift_ppm: device clock runs fast by this much against the host clock.
        mtu: ATT MTU the device reports.
        loop: repeat the source; otherwise the stream stops at its end.
        polar_frame: PMD frames: ``delta`` (compressed 0x81, milli-g, factor 1), ``delta_g`` (compressed
            0x80, g / factor with factor = range / 32768, as devices such as the Verity Sense send) or
            ``raw`` (0x01, milli-g). The START response carries the factor.
        bluez_mtu: the fake BlueZ exposes the characteristics' ``MTU`` property (BlueZ >= 5.62);
            ``False`` mimics older BlueZ, where bleak reports a 23-byte ATT MTU whatever the link has
            (the device's status record still reports ``mtu``).
        faults: injected faults.
        data_dir: dataset root for ``dataset:`` sources.
        model: an exported TensorFlow Lite Micro model (``*_tflm.tflite`` with its sidecar): the watch can then
            classify on board (mujo profile; PROTOCOL.md §10, START format bit 7) and serves the result characteristic.
        float_confidence: on-board results carry a float32 probability instead of the int8 code.
    """

    source: str = "synthetic"
    profile: str = "mujo"
    name: str = "MujoWatch"
    address: str = "F0:0D:4D:55:4A:4F"
    rates_hz: tuple[float, ...] = (25.0, 50.0, 52.0, 100.0, 104.0, 200.0)
    true_rate_factor: float = 1.0
    clock_drift_ppm: float = 0.0
    mtu: int = 247
    loop: bool = True
    polar_frame: str = "delta"
    bluez_mtu: bool = True
    faults: FaultConfig = field(default_factory=FaultConfig)
    data_dir: str | None = None
    model: str | None = None
    float_confidence: bool = False

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(f"unknown watch profile {self.profile!r}; valid: {', '.join(PROFILES)}")
        if self.polar_frame not in POLAR_FRAMES:
            raise ConfigError(f"polar_frame must be one of {', '.join(POLAR_FRAMES)}, got {self.polar_frame!r}")
        if not self.rates_hz or any(r <= 0 for r in self.rates_hz) or not 0.5 < self.true_rate_factor < 2:
            raise ConfigError(f"bad rates {self.rates_hz} or true_rate_factor {self.true_rate_factor}")
        if self.mtu < 23:
            raise ConfigError(f"ATT MTU must be >= 23, got {self.mtu}")
        parse_ref(self.source, RECORDING_KINDS)  # a bad source fails here, not in the simulator process
        if self.model is not None and (self.profile != "mujo" or not Path(self.model).is_file()):
            raise ConfigError(f"on-board classification needs the mujo profile and an exported model file, got "
                              f"profile {self.profile!r} and model {self.model!r}")


class WatchDevice:
    """The watch's behaviour behind the fake BlueZ peripheral (one per simulator process)."""

    def __init__(self, cfg: WatchSimConfig) -> None:
        from mujo_edge.firmware_bridge.sim.fake_bluez import Characteristic, Peripheral  # needs dbus-fast (ble extra)

        self.cfg = cfg
        self.rec, self.class_names = load_recording(cfg.source, cfg.data_dir)
        self.rng = np.random.default_rng(cfg.faults.seed)
        self.stats: Counter = Counter()
        self.boot = time.monotonic()
        self.offset_us = int(np.random.default_rng(cfg.faults.seed + 1).integers(0, 1 << 32))
        self.polar_base_ns = int((time.time() - 946_684_800) * 1e9)
        self.status = P.DeviceStatus(att_mtu=cfg.mtu)
        self.source0_us: int | None = None  # device time of source sample 0
        self.first_start_host: float | None = None
        self._task: asyncio.Task | None = None
        self._drops: asyncio.Task | None = None
        self._held: list[tuple[str, bytes]] = []  # (characteristic, packet) held back by a reorder fault
        self._resampled: dict[float, np.ndarray] = {}
        self.onboard = (OnBoardSession(cfg.model, lambda pkt: self._send(pkt, R.RESULT_UUID), cfg.float_confidence)
                        if cfg.model else None)
        if cfg.profile == "mujo":
            chars = [Characteristic(P.CONTROL_UUID, ["read", "write"], self._read_status, self._mujo_write),
                     Characteristic(P.DATA_UUID, ["notify"])]
            if self.onboard is not None:  # the result characteristic: model record on read, results by notification
                onboard = self.onboard
                chars.append(Characteristic(R.RESULT_UUID, ["read", "notify"], lambda: onboard.record))
            services = [(P.SERVICE_UUID, chars)]
            self.data_uuid = P.DATA_UUID
        else:
            chars = [Characteristic(polar.PMD_CONTROL_UUID, ["read", "write", "indicate"],
                                    lambda: bytes([0x0F, 1 << polar.Measurement.ACC, 0]), self._polar_write),
                     Characteristic(polar.PMD_DATA_UUID, ["notify"])]
            services = [(polar.PMD_SERVICE_UUID, chars)]
            self.data_uuid = polar.PMD_DATA_UUID
        self.peripheral = Peripheral(cfg.name, cfg.address, services, mtu=cfg.mtu, expose_mtu=cfg.bluez_mtu)
        self.peripheral.on_connect = lambda: self.stats.update(["connects"])
        self.peripheral.on_disconnect = self._stop_stream

    # ------------------------------------------------------------------ device clock
    def device_us(self, host_s: float) -> int:
        """Unwrapped device clock (µs) at host monotonic time ``host_s``."""
        return int((host_s - self.boot) * (1 + self.cfg.clock_drift_ppm * 1e-6) * 1e6) + self.offset_us

    def host_s(self, device_us: float) -> float:
        """Host monotonic time at device time ``device_us``."""
        return self.boot + (device_us - self.offset_us) / 1e6 / (1 + self.cfg.clock_drift_ppm * 1e-6)

    # ------------------------------------------------------------------ mujo control characteristic
    def _read_status(self) -> bytes:
        from dataclasses import replace

        return replace(self.status, t_now_us=self.device_us(time.monotonic()) % P.TIME_MODULO).encode()

    def _mujo_write(self, data: bytes) -> None:
        from dataclasses import replace

        op, cmd, err = P.parse_command(data)
        self.stats["control_writes"] += 1
        if err:
            self.status = replace(self.status, error=err)
            return
        if op == P.Opcode.STOP:
            self._stop_stream()
            self.status = replace(self.status, state=P.State.IDLE, error=P.DeviceError.OK)
            return
        assert cmd is not None
        err, rate, batch = P.negotiate(cmd, self.cfg.rates_hz, self.cfg.mtu)
        on_board = bool(cmd.fmt & P.ON_BOARD)
        if not err and on_board and self.onboard is not None and rate != self.onboard.rate_hz:
            err = P.DeviceError.UNSUPPORTED_RATE  # the model classifies at its own rate only
        if err or P.sample_format(cmd.fmt) not in (P.Format.IMU6, 0) or (on_board and self.onboard is None) \
                or cmd.fmt == 0:
            self.status = replace(self.status, error=err or P.DeviceError.UNSUPPORTED_FORMAT)
            return
        self.status = replace(self.status, state=P.State.STREAMING, error=P.DeviceError.OK, fmt=cmd.fmt,
                              acc_range_g=cmd.acc_range_g, gyro_range_dps=cmd.gyro_range_dps, batch=batch,
                              rate_hz=rate)
        s = self.status
        sample_fmt, true_rate = P.sample_format(s.fmt), rate * self.cfg.true_rate_factor

        def encode(seq: int, t_first_us: int, x: np.ndarray, t_last_us: int) -> bytes | None:
            counts = P.quantize(x, P.Format.IMU6, s.acc_range_g, s.gyro_range_dps)
            if on_board:  # the watch's own window assembler and model see the same counts it would stream
                assert self.onboard is not None and self.source0_us is not None
                self.onboard.feed(round((t_first_us - self.source0_us) * true_rate / 1e6), counts)
            if not sample_fmt:
                return None
            return P.encode_packet(sample_fmt, seq, t_first_us, counts, s.acc_range_g, s.gyro_range_dps)

        self._start_stream(rate, batch or max(1, round(rate / 25)), encode)
        if on_board:
            assert self.onboard is not None and self.source0_us is not None
            self.onboard.start(s, self.source0_us, true_rate)

    # ------------------------------------------------------------------ polar control point
    def _polar_write(self, data: bytes) -> None:
        self.stats["control_writes"] += 1
        op = data[0] if data else 0
        meas = data[1] if len(data) > 1 else 0
        reply = polar.ControlResponse(op, meas, 0)
        if meas != polar.Measurement.ACC or op not in polar.Op._value2member_map_:
            reply = polar.ControlResponse(op, meas, 2 if op in polar.Op._value2member_map_ else 1)
        elif op == polar.Op.GET_SETTINGS:
            reply = polar.ControlResponse(op, meas, 0, settings={
                polar.Setting.SAMPLE_RATE: list(POLAR_RATES), polar.Setting.RESOLUTION: [16],
                polar.Setting.RANGE: [2, 4, 8], polar.Setting.CHANNELS: [3]})
        elif op == polar.Op.STOP:
            self._stop_stream()
        else:
            try:
                settings = polar.parse_settings(data[2:])
            except Exception:  # noqa: BLE001 - any malformed command is an "invalid parameter"
                settings = None
            rate = (settings or {}).get(polar.Setting.SAMPLE_RATE, [0])[0]
            if settings is None:
                reply = polar.ControlResponse(op, meas, 5)
            elif rate not in POLAR_RATES:
                reply = polar.ControlResponse(op, meas, 8)
            else:
                frame = self.cfg.polar_frame
                range_g = int((settings.get(polar.Setting.RANGE) or [8])[0])
                factor = range_g / 32768.0 if frame == "delta_g" else 1.0  # g per count of a 16-bit sensor
                reply = polar.ControlResponse(op, meas, 0, settings={polar.Setting.FACTOR: [factor]})

                def encode(seq: int, t_first_us: int, x: np.ndarray, t_last_us: int) -> bytes:
                    t_ns = self.polar_base_ns + t_last_us * 1000
                    if frame == "delta_g":
                        g = np.clip(np.rint(x[:, :3] / STANDARD_GRAVITY / factor), -32768, 32767).astype(np.int64)
                        return polar.encode_delta_frame(t_ns, g, frame_type=0x80)
                    mg = np.clip(np.rint(x[:, :3] / polar.MILLI_G), -32768, 32767).astype(np.int64)
                    return polar.encode_raw_frame(t_ns, mg) if frame == "raw" else polar.encode_delta_frame(t_ns, mg)

                self._start_stream(float(rate), max(1, int(rate) // 25), encode)
        # the control point answers by indication, after the write completes
        asyncio.get_running_loop().call_soon(self.peripheral.notify, polar.PMD_CONTROL_UUID, reply.encode())

    # ------------------------------------------------------------------ streaming
    def _source_at(self, rate: float) -> np.ndarray:
        """The source at ``rate`` Hz through the one timing path (its timestamps, if it has them)."""
        if rate not in self._resampled:
            self._resampled[rate], _, _ = to_rate(self.rec, rate, P.FORMAT_CHANNELS[P.Format.IMU6])
            if len(self._resampled[rate]) == 0:
                raise ConfigError(f"source {self.cfg.source}: too short to stream ({self.rec.n_samples} samples)")
        return self._resampled[rate]

    def _start_stream(self, rate: float, batch: int, encode: Any) -> None:
        self._stop_stream(count=False)
        self.stats["starts"] += 1
        now = time.monotonic()
        if self.source0_us is None:
            self.source0_us, self.first_start_host = self.device_us(now), now
            self._drops = asyncio.get_running_loop().create_task(self._drop_schedule())
        self._task = asyncio.get_running_loop().create_task(self._stream(rate, batch, encode))

    def _stop_stream(self, count: bool = True) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.stats["unsent_held"] += len(self._held)
        self._held.clear()

    async def _stream(self, rate: float, batch: int, encode: Any) -> None:
        true_rate = rate * self.cfg.true_rate_factor
        src = self._source_at(true_rate)
        assert self.source0_us is not None
        k = round((self.device_us(time.monotonic()) - self.source0_us) * true_rate / 1e6)  # first START: 0
        seq = 0
        while True:
            last_us = self.source0_us + (k + batch - 1) * 1e6 / true_rate
            await asyncio.sleep(max(0.0, self.host_s(last_us) - time.monotonic()))
            if not self.cfg.loop and k + batch > len(src):
                self.stats["source_end"] = 1
                return
            x = src[np.arange(k, k + batch) % len(src)]
            first_us = int(round(self.source0_us + k * 1e6 / true_rate))
            pkt = encode(seq, first_us, x, int(round(last_us)))
            if pkt is not None:  # None: results-only on-board classification sends no samples
                self._send(pkt)
                self.stats["packets_generated"] += 1
            self.stats["samples_generated"] += batch
            seq += 1
            k += batch

    def _send(self, pkt: bytes, uuid: str | None = None) -> None:
        """Notify ``pkt`` on ``uuid`` (default: the data characteristic) through the fault injection."""
        uuid = uuid or self.data_uuid
        f = self.cfg.faults
        u = self.rng.random()
        held, self._held = self._held, []
        if u < f.loss:
            self.stats["fault_lost"] += 1
        elif u < f.loss + f.corrupt:
            self.stats["fault_corrupted"] += 1
            self._notify(self._corrupt(pkt), uuid)
        elif u < f.loss + f.corrupt + f.reorder:
            self.stats["fault_reordered"] += 1
            self._held = held + [(uuid, pkt)]
            return
        else:
            self._notify(pkt, uuid)
            if u < f.loss + f.corrupt + f.reorder + f.duplicate:
                self.stats["fault_duplicated"] += 1
                self._notify(pkt, uuid)
        for held_uuid, h in held:
            self._notify(h, held_uuid)

    def _corrupt(self, pkt: bytes) -> bytes:
        b = bytearray(pkt)
        if self.cfg.profile == "mujo":
            i = int(self.rng.integers(0, len(b)))
            b[i] ^= 1 << int(self.rng.integers(0, 8))
            if i == 0:  # the version byte: decoders report a version error, not a CRC mismatch
                self.stats["fault_corrupted_version"] += 1
        else:  # PMD frames have no checksum: mangle the header so the corruption is detectable
            b[0] = polar.Measurement.ECG
        return bytes(b)

    def _notify(self, pkt: bytes, uuid: str | None = None) -> None:
        if self.peripheral.notify(uuid or self.data_uuid, pkt):
            self.stats["packets_sent"] += 1
        else:
            self.stats["unsent_not_subscribed"] += 1

    async def _drop_schedule(self) -> None:
        assert self.first_start_host is not None
        for t in sorted(self.cfg.faults.drop_at_s):
            await asyncio.sleep(max(0.0, self.first_start_host + t - time.monotonic()))
            if self.peripheral.connected:
                self.peripheral.refuse_until = time.monotonic() + self.cfg.faults.down_s
                self.stats["fault_disconnects"] += 1
                self.peripheral.disconnect()

    def info(self) -> dict[str, Any]:
        """Ground truth for tests: clocks, source, counters."""
        return {"name": self.cfg.name, "address": self.cfg.address, "profile": self.cfg.profile,
                "boot_host_s": self.boot, "offset_us": self.offset_us, "source0_us": self.source0_us,
                "device_epoch_us": self.polar_base_ns // 1000 if self.cfg.profile == "polar" else 0,
                "time_modulo_us": P.TIME_MODULO if self.cfg.profile == "mujo" else 0,
                "clock_drift_ppm": self.cfg.clock_drift_ppm, "source": self.cfg.source,
                "source_rate_hz": self.rec.rate_hz, "source_samples": self.rec.n_samples,
                "class_names": list(self.class_names), "status": {k: int(v) if isinstance(v, int) else v for k, v in
                                                                 vars(self.status).items()},
                "stats": dict(self.stats), "subscriptions": dict(self.peripheral.subscriptions),
                "on_board": None if self.onboard is None or self.onboard.clf is None else
                {"results": self.onboard.results, "windows": self.onboard.clf.windows,
                 "restarts": self.onboard.clf.restarts, "model": self.onboard.model}}


async def serve(cfg: WatchSimConfig, bus_address: str, stop: asyncio.Event, on_ready: Any = None) -> WatchDevice:
    """Run the watch on the bus until ``stop`` is set; returns the device (its ``info()`` has the counts)."""
    from mujo_edge.firmware_bridge.sim.fake_bluez import FakeBlueZ  # needs dbus-fast (ble extra)

    device = WatchDevice(cfg)
    bluez = FakeBlueZ(bus_address, [device.peripheral])
    await bluez.start()
    try:
        if on_ready is not None:
            on_ready(device)
        await stop.wait()
    finally:
        device._stop_stream()
        if device._drops is not None:
            device._drops.cancel()
        await bluez.close()
    return device


def main(argv: list[str] | None = None) -> int:
    """Simulator process: ``--bus ADDRESS --config JSON [--stats FILE]``; prints ``READY {json}`` when up."""
    ap = argparse.ArgumentParser(prog="python -m mujo_edge.firmware_bridge.sim.watch")
    ap.add_argument("--bus", required=True)
    ap.add_argument("--config", required=True, help="WatchSimConfig as JSON")
    ap.add_argument("--stats", help="write the final counters here as JSON")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="watch-sim %(levelname)s %(name)s: %(message)s")
    cfg = from_dict(WatchSimConfig, json.loads(args.config))

    async def run() -> WatchDevice:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def ready(dev: WatchDevice) -> None:
            print("READY " + json.dumps(dev.info()), flush=True)

        async def exit_with_parent(parent: int = os.getppid()) -> None:  # never outlive a crashed parent
            while os.getppid() == parent:
                await asyncio.sleep(0.5)
            stop.set()

        watchdog = asyncio.create_task(exit_with_parent())
        try:
            return await serve(cfg, args.bus, stop, ready)
        finally:
            watchdog.cancel()

    try:
        device = asyncio.run(run())
    except MujoEdgeError as exc:  # e.g. the source cannot be read: one line for the parent, no traceback
        print(f"ERROR {exc}", file=sys.stderr, flush=True)
        return 2
    if args.stats:
        atomic_write_text(args.stats, json.dumps(device.info(), indent=2))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
