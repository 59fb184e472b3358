"""The bleak side of the bridge: find the watch, connect with retry and backoff, start its stream,
and reconnect after a drop, feeding every notification to a :class:`LivePipeline`.

Device profiles (registry :data:`PROFILES`) know how to start a stream on one kind of device and
which decoder reads it: ``mujo`` (our protocol, ``PROTOCOL.md``) and ``polar`` (Polar PMD ACC).
bleak is imported lazily; without it a :class:`~mujo_edge.errors.DependencyError` names the ``ble`` extra.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.pipeline import LivePipeline
from mujo_edge.firmware_bridge.results import SilentDecoder, start_results

from mujo_edge.errors import BridgeError, ConfigError, ProtocolError, require
from mujo_edge.registry import Registry

log = logging.getLogger(__name__)

ADDRESS_RE = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
#: notifications per second the client aims for when it picks the batch size itself
TARGET_NOTIFY_HZ = 25.0


@dataclass(frozen=True)
class ClientConfig:
    """How to find, connect to and start the device.

    Attributes:
        target: device name, Bluetooth address (``AA:BB:CC:DD:EE:FF``) or service UUID.
        profile: ``auto`` (from the advertised services), ``mujo`` or ``polar``.
        rate_hz: sample rate to ask for (``None``: the model's rate); the device may apply another.
        acc_range_g / gyro_range_dps: full-scale ranges to ask for (mujo profile).
        batch: samples per notification (0: about 25 notifications/s, within the ATT MTU).
        scan_timeout_s / connect_timeout_s: per attempt, s.
        retries: failed connection attempts in a row before giving up.
        backoff_s / backoff_max_s: first and largest wait between failed attempts (doubling, ±20 % jitter).
        reconnect: reconnect automatically after the link drops.
        acquire_notify: BlueZ only: subscribe with ``AcquireNotify`` (notifications arrive as datagrams
            on a socket BlueZ passes over D-Bus) instead of bleak's default ``StartNotify`` (one D-Bus
            signal per notification). bleak falls back to StartNotify where BlueZ does not offer it.
        on_watch: the watch classifies on board (PROTOCOL.md §10, mujo profile only): the host checks the
            watch's model record against its sidecar and receives results instead of samples.
        on_watch_samples: with ``on_watch``, stream the IMU6 samples as well (START format ``0x81``).
    """

    target: str
    profile: str = "auto"
    rate_hz: float | None = None
    acc_range_g: int = 8
    gyro_range_dps: int = 2000
    batch: int = 0
    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    retries: int = 8
    backoff_s: float = 0.1
    backoff_max_s: float = 2.0
    reconnect: bool = True
    acquire_notify: bool = False
    on_watch: bool = False
    on_watch_samples: bool = False

    def __post_init__(self) -> None:
        if not self.target:
            raise ConfigError("a device name, address or service UUID is needed")
        if self.profile != "auto":
            PROFILES.get(self.profile)
        if self.on_watch and self.profile not in ("auto", "mujo"):
            raise ConfigError(f"on-watch classification needs the mujo protocol, not profile {self.profile!r}")
        if self.on_watch_samples and not self.on_watch:
            raise ConfigError("on_watch_samples needs on_watch")
        if self.retries < 0 or self.backoff_s < 0 or self.backoff_max_s < self.backoff_s:
            raise ConfigError(f"bad retry settings: retries={self.retries}, backoff {self.backoff_s}..{self.backoff_max_s}")

    @property
    def target_kind(self) -> str:
        """``address``, ``uuid`` or ``name``."""
        return "address" if ADDRESS_RE.match(self.target) else "uuid" if UUID_RE.match(self.target) else "name"

    @property
    def notify_args(self) -> dict[str, Any]:
        """Keyword arguments of bleak's ``start_notify`` for the chosen subscription method."""
        return {"bluez": {"use_start_notify": not self.acquire_notify}}

    def backoff(self, failures: int) -> float:
        """Wait after ``failures`` failed attempts in a row, s."""
        return min(self.backoff_max_s, self.backoff_s * 2 ** max(0, failures - 1)) * random.uniform(0.8, 1.2)


def usable_att_mtu(host_mtu: int | None, device_mtu: int | None) -> int:
    """The ATT MTU to size batches for, from what the host stack and the device report.

    bleak reports ``MTU − 3`` of the data characteristic, from BlueZ's ``MTU`` property; before BlueZ
    5.62, or before the MTU exchange, that is the 23-byte default whatever the link negotiated. The
    device's status record (``att_mtu``, PROTOCOL.md §4) is the MTU the device checks batches against.
    So: the device's value when it reports one (≥ 23); if the host knows a *larger-than-default* but
    smaller MTU, the smaller of the two (a notification must fit both); else the host's value, else 23.
    """
    dev = device_mtu if device_mtu is not None and device_mtu >= P.DEFAULT_ATT_MTU else None
    host = host_mtu if host_mtu is not None and host_mtu > P.DEFAULT_ATT_MTU else None
    if dev is not None and host is not None:
        return min(dev, host)
    return dev or host or P.DEFAULT_ATT_MTU


class MujoProfile:
    """Our protocol: subscribe to data, read the status (ATT MTU), write START, read the status again to
    learn what was applied."""

    name = "mujo"
    service_uuid = P.SERVICE_UUID
    data_uuid = P.DATA_UUID

    async def start(self, client: Any, cfg: ClientConfig, rate_hz: float) -> P.MujoDecoder:
        data_char = client.services.get_characteristic(P.DATA_UUID)
        if data_char is None:
            raise BridgeError(f"device has no mujo data characteristic {P.DATA_UUID}")
        host_mtu = data_char.max_write_without_response_size + P.ATT_OVERHEAD
        try:
            device_mtu: int | None = P.DeviceStatus.decode(await client.read_gatt_char(P.CONTROL_UUID)).att_mtu
        except ProtocolError as exc:  # an unreadable status: size for what the host stack says
            log.warning("could not read the device status before START (%s); using the host's ATT MTU", exc)
            device_mtu = None
        att_mtu = usable_att_mtu(host_mtu, device_mtu)
        log.debug("ATT MTU: host %s, device %s -> %d", host_mtu, device_mtu, att_mtu)
        samples = not cfg.on_watch or cfg.on_watch_samples
        batch = choose_batch(cfg.batch, rate_hz, att_mtu) if samples else 0
        fmt = (P.Format.IMU6 if samples else 0) | (P.ON_BOARD if cfg.on_watch else 0)
        cmd = P.StartCommand(rate_hz=rate_hz, fmt=fmt, acc_range_g=cfg.acc_range_g,
                             gyro_range_dps=cfg.gyro_range_dps, batch=batch)
        await client.write_gatt_char(P.CONTROL_UUID, cmd.encode(), response=True)
        status = P.DeviceStatus.decode(await client.read_gatt_char(P.CONTROL_UUID))
        if status.error != P.DeviceError.OK or status.state != P.State.STREAMING:
            raise BridgeError(f"device refused START ({P.DeviceError(status.error).name}): asked {rate_hz} Hz, "
                              f"batch {batch}, ±{cfg.acc_range_g} g, ±{cfg.gyro_range_dps} dps at ATT MTU {att_mtu} "
                              f"(device reports {status.att_mtu})")
        if status.rate_hz != rate_hz:
            log.warning("device applied %g Hz (asked %g Hz); the stream is resampled to the model's rate",
                        status.rate_hz, rate_hz)
        if not samples:
            return SilentDecoder(status.rate_hz)
        return P.MujoDecoder(status.rate_hz, P.sample_format(status.fmt))

    async def stop(self, client: Any) -> None:
        await client.write_gatt_char(P.CONTROL_UUID, bytes([P.Opcode.STOP]), response=True)


def choose_batch(requested: int, rate_hz: float, att_mtu: int, fmt: int = P.Format.IMU6) -> int:
    """Samples per notification: ``requested`` (0: about :data:`TARGET_NOTIFY_HZ` notifications/s), at
    most what one notification holds at ``att_mtu``; raises BridgeError when not even one sample fits."""
    most = P.max_batch(fmt, att_mtu)
    if most < 1:
        need = P.ATT_OVERHEAD + P.HEADER_SIZE + P.sample_size(fmt)
        raise BridgeError(f"the ATT MTU is {att_mtu} bytes, too small for one {P.Format(fmt).name} sample (needs "
                          f">= {need}); the link kept the BLE default: let the device and host exchange a larger "
                          "MTU (e.g. Zephyr CONFIG_BT_L2CAP_TX_MTU=247, CONFIG_BT_BUF_ACL_RX_SIZE=251)")
    if requested > most:
        log.warning("batch %d does not fit one notification at ATT MTU %d; using %d", requested, att_mtu, most)
        return most
    return requested or max(1, min(most, round(rate_hz / TARGET_NOTIFY_HZ)))


class PolarProfile:
    """Polar PMD ACC: ask for the settings, pick the rate nearest the request, start, check the response.

    The decoder takes the scale factor (and resolution) of the compressed frames from the START
    response, as Polar's SDK does; without it type-0x80 frames would be off by orders of magnitude.
    """

    name = "polar"
    service_uuid = polar.PMD_SERVICE_UUID
    data_uuid = polar.PMD_DATA_UUID

    def __init__(self) -> None:
        self._responses: asyncio.Queue[bytes] | None = None

    async def _command(self, client: Any, data: bytes, timeout: float = 5.0) -> polar.ControlResponse:
        assert self._responses is not None
        await client.write_gatt_char(polar.PMD_CONTROL_UUID, data, response=True)
        resp = polar.ControlResponse.decode(await asyncio.wait_for(self._responses.get(), timeout))
        if resp.op != data[0]:
            raise BridgeError(f"PMD answered op {resp.op} to op {data[0]}")
        return resp

    async def start(self, client: Any, cfg: ClientConfig, rate_hz: float) -> polar.PolarDecoder:
        self._responses = asyncio.Queue()
        await client.start_notify(polar.PMD_CONTROL_UUID, lambda _c, d: self._responses.put_nowait(bytes(d)),
                                  **cfg.notify_args)
        settings = await self._command(client, polar.get_settings_command())
        rates = [int(r) for r in settings.settings.get(polar.Setting.SAMPLE_RATE, [])] or [int(rate_hz)]
        ranges = [int(r) for r in settings.settings.get(polar.Setting.RANGE, [])] or [8]
        rate = min(rates, key=lambda r: (abs(r - rate_hz), -r))
        rng = min((r for r in ranges if r >= cfg.acc_range_g), default=max(ranges))
        command = polar.start_command(rate, rng)
        resp = await self._command(client, command)
        if not resp.ok:
            raise BridgeError(f"Polar device refused the ACC stream ({resp.error_name}) at {rate} Hz, ±{rng} g")
        factor, resolution = resp.applied(polar.parse_settings(command[2:]))
        log.info("Polar ACC started at %d Hz, ±%d g, factor %g, %d-bit", rate, rng, factor, resolution)
        return polar.PolarDecoder(float(rate), factor=factor, resolution=resolution)

    async def stop(self, client: Any) -> None:
        await self._command(client, polar.stop_command())


PROFILES: Registry[type] = Registry("device profile")
PROFILES.add("mujo", MujoProfile)
PROFILES.add("polar", PolarProfile)


async def find_device(cfg: ClientConfig) -> tuple[Any, list[str]]:
    """Scan for the target; returns ``(BLEDevice, advertised service UUIDs)`` or raises BridgeError."""
    bleak = require("bleak", "ble", "the BLE bridge")
    found: dict[str, Any] = {}

    def match(dev: Any, adv: Any) -> bool:
        kind = cfg.target_kind
        ok = (dev.address.upper() == cfg.target.upper() if kind == "address"
              else cfg.target.lower() in [u.lower() for u in adv.service_uuids] if kind == "uuid"
              else cfg.target in (adv.local_name, dev.name))
        if ok:
            found["uuids"] = list(adv.service_uuids)
        return ok

    try:
        dev = await bleak.BleakScanner.find_device_by_filter(match, timeout=cfg.scan_timeout_s)
    except (OSError, bleak.exc.BleakError) as exc:
        raise BridgeError(f"Bluetooth is not available ({type(exc).__name__}: {exc}); is BlueZ running? For the "
                          "simulated watch use `live --simulate`, or export DBUS_SYSTEM_BUS_ADDRESS as "
                          "`mujo-edge watch-sim` prints it") from exc
    if dev is None:
        raise BridgeError(f"no BLE device with {cfg.target_kind} {cfg.target!r} found within {cfg.scan_timeout_s:g} s")
    return dev, found.get("uuids", [])


def resolve_profile(name: str, service_uuids: list[str]) -> Any:
    """The profile object for ``name``, or (``auto``) the one whose service the device advertises."""
    if name != "auto":
        return PROFILES.get(name)()
    uuids = {u.lower() for u in service_uuids}
    for pname in PROFILES:
        if PROFILES.get(pname).service_uuid in uuids:
            return PROFILES.get(pname)()
    raise BridgeError(f"the device advertises none of the known services ({sorted(uuids)}); pick a profile: "
                      + ", ".join(PROFILES.names()))


async def stream(cfg: ClientConfig, pipeline: LivePipeline, duration_s: float | None = None,
                 stop: asyncio.Event | None = None) -> None:
    """Connect and feed ``pipeline`` until ``duration_s`` passed or ``stop`` is set.

    Bookkeeping in ``pipeline.metrics``: ``connects`` counts links established, ``disconnects`` links
    that dropped while in use (while starting the stream, streaming or closing; not the ones we ended),
    ``connect_failures`` attempts that failed otherwise (no link, or an error while starting). A
    dropped link is reconnected (immediately, then with backoff while attempts fail or the link drops
    before the stream runs); the time from the drop to the restarted stream is appended to
    ``reconnect_s``.
    """
    bleak = require("bleak", "ble", "the BLE bridge")
    stop = stop or asyncio.Event()
    m = pipeline.metrics
    device, uuids = await find_device(cfg)
    profile = resolve_profile(cfg.profile, uuids)
    rate = cfg.rate_hz or pipeline.spec.rate_hz
    deadline = None if duration_s is None else time.monotonic() + duration_s
    failures = 0
    dropped_at: float | None = None  # first drop of the current outage
    errors = (bleak.exc.BleakError, asyncio.TimeoutError, EOFError, ConnectionError)
    while not stop.is_set():
        lost = asyncio.Event()
        lost_at: list[float] = []
        leaving_at: list[float] = []  # when we started to close the link (a disconnect after it is ours)

        def on_lost(_client: Any, lost: asyncio.Event = lost, lost_at: list[float] = lost_at) -> None:
            lost_at.append(time.monotonic())
            lost.set()

        started = False
        error: BaseException | None = None
        try:
            async with bleak.BleakClient(device, disconnected_callback=on_lost,
                                         timeout=cfg.connect_timeout_s) as client:
                m.connects += 1
                try:
                    pipeline.open_stream()
                    await client.start_notify(profile.data_uuid, pipeline.notification_callback, **cfg.notify_args)
                    if cfg.on_watch:  # model record checked, results subscribed before START
                        pipeline.begin_results(await start_results(client, getattr(pipeline.clf, "meta", {}),
                                                                   pipeline.result_callback, cfg.notify_args))
                    decoder = await profile.start(client, cfg, rate)
                    pipeline.begin_stream(decoder)
                    started, failures = True, 0
                    if dropped_at is not None:
                        m.reconnect_s.append(time.monotonic() - dropped_at)
                        dropped_at = None
                        log.info("reconnected after %.3f s", m.reconnect_s[-1])
                    await _wait_for_end(lost, stop, deadline)
                    if not lost.is_set():  # finished on purpose: stop the stream politely
                        stop.set()
                        try:
                            await profile.stop(client)
                        except errors as exc:
                            log.info("could not send STOP (%s)", exc)
                finally:
                    if not lost.is_set():
                        await asyncio.sleep(0)  # let a link loss that is already reported arrive first
                    leaving_at.append(time.monotonic())
        except errors as exc:
            error = exc
        dropped = bool(lost_at) and bool(leaving_at) and lost_at[0] <= leaving_at[0]
        if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
            break
        if dropped:
            pipeline.link_lost(lost_at[0])
            m.disconnects += 1
            if dropped_at is None:
                dropped_at = lost_at[0]
            log.warning("link to %s lost%s; reconnecting", cfg.target, "" if started else " while starting the stream")
            if not cfg.reconnect:
                break
            if started:
                continue
        elif error is not None:
            m.connect_failures += 1
        else:
            continue
        failures += 1  # no link, or a link that did not get the stream going: back off
        reason = f"the link dropped while starting the stream ({error})" if dropped else str(error)
        if failures > cfg.retries:
            raise BridgeError(f"could not (re)connect to {cfg.target!r} after {failures} attempts: {reason}") from error
        wait = cfg.backoff(failures)
        log.info("connection attempt %d failed (%s); retrying in %.2f s", failures, reason, wait)
        await asyncio.sleep(wait)


async def _wait_for_end(lost: asyncio.Event, stop: asyncio.Event, deadline: float | None) -> None:
    """Until the link is lost, ``stop`` is set or ``deadline`` (host monotonic s) passed."""
    waits = [asyncio.create_task(lost.wait()), asyncio.create_task(stop.wait())]
    left = None if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
