"""The bleak client logic without BLE: device profiles, ATT MTU handling and reconnect bookkeeping,
driven by a scripted stand-in for the bleak module (the real bleak runs in ``test_ble.py``)."""

from __future__ import annotations

import asyncio
import struct
import types
from typing import Any

import numpy as np
import pytest

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.errors import BridgeError
from mujo_edge.firmware_bridge import client as C
from mujo_edge.firmware_bridge import polar
from mujo_edge.firmware_bridge import protocol as P
from mujo_edge.firmware_bridge.pipeline import LivePipeline

from bridge_fixtures import EnergyClassifier


# ----------------------------------------------------------------------------- ATT MTU
@pytest.mark.parametrize(("host", "device", "expected"), [
    (23, 247, 247),     # BlueZ < 5.62 (no MTU property): bleak says 23, the device knows better
    (247, 247, 247),
    (185, 247, 185),    # both real: a notification must fit both
    (247, 185, 185),
    (23, 185, 185),
    (23, 23, 23),       # really the default MTU
    (247, None, 247),   # no status: the host's value
    (None, None, 23),
    (23, 0, 23),        # a status without an MTU
])
def test_usable_att_mtu(host, device, expected):
    assert C.usable_att_mtu(host, device) == expected


def test_batch_fits_the_mtu_or_the_error_says_why():
    assert C.choose_batch(0, 50.0, 185) == 2 and C.choose_batch(0, 200.0, 247) == 8
    assert C.choose_batch(0, 1000.0, 185) == 14  # 25 notifications/s would need 40 samples each
    assert C.choose_batch(19, 50.0, 185) == 14   # asked for more than fits: the most that fits
    assert C.choose_batch(1, 50.0, 27) == 1
    with pytest.raises(BridgeError, match=r"ATT MTU is 23 bytes, too small for one IMU6 sample \(needs >= 27\)"):
        C.choose_batch(0, 50.0, 23)


# ----------------------------------------------------------------------------- a scripted bleak
class FakeBleakError(Exception):
    pass


class FakeDevice:
    """The GATT side of one scripted connection: a mujo device (status, START/STOP) or a Polar PMD."""

    def __init__(self, host_mtu: int = 247, device_mtu: int = 247, pmd_factor: float | None = None) -> None:
        self.host_mtu, self.device_mtu, self.pmd_factor = host_mtu, device_mtu, pmd_factor
        self.status = P.DeviceStatus(att_mtu=device_mtu)
        self.writes: list[bytes] = []
        self.callbacks: dict[str, Any] = {}
        self.notify_kwargs: list[dict] = []


class FakeClient:
    """Stands in for ``bleak.BleakClient``; ``kind`` scripts the connection attempt:

    ``refuse`` (connecting fails), ``drop_in_start`` (the link drops while START is written),
    ``drop_on_exit`` (the link drops while streaming and closing it fails), ``ok`` (streams until stopped).
    """

    plan: list[str] = []
    attempts: list[str] = []
    device = FakeDevice()
    stop: asyncio.Event | None = None

    def __init__(self, _device: Any, disconnected_callback: Any, timeout: float) -> None:
        self.kind = self.plan[len(self.attempts)]
        self.attempts.append(self.kind)
        self.on_lost = disconnected_callback
        dev = self.device
        char = types.SimpleNamespace(max_write_without_response_size=dev.host_mtu - 3)
        self.services = types.SimpleNamespace(get_characteristic=lambda uuid: char)

    async def __aenter__(self) -> FakeClient:
        if self.kind == "refuse":
            raise FakeBleakError("Page Timeout")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.on_lost(self)  # bleak reports the disconnections we make, too
        if self.kind == "drop_on_exit":
            raise FakeBleakError("Not connected")

    async def start_notify(self, uuid: str, callback: Any, **kwargs: Any) -> None:
        self.device.callbacks[uuid] = callback
        self.device.notify_kwargs.append(kwargs)

    async def write_gatt_char(self, uuid: str, data: bytes, response: bool = True) -> None:
        dev = self.device
        dev.writes.append(bytes(data))
        if uuid == polar.PMD_CONTROL_UUID:
            settings = ({polar.Setting.SAMPLE_RATE: [25, 50, 100, 200], polar.Setting.RANGE: [2, 4, 8]}
                        if data[0] == polar.Op.GET_SETTINGS else
                        {polar.Setting.FACTOR: [dev.pmd_factor]} if data[0] == polar.Op.START else {})
            reply = polar.ControlResponse(data[0], data[1], 0, settings=settings).encode()
            asyncio.get_running_loop().call_soon(dev.callbacks[uuid], None, bytearray(reply))
            return
        op, cmd, err = P.parse_command(data)
        if op == P.Opcode.START and self.kind == "drop_in_start":
            self.on_lost(self)
            raise FakeBleakError("Not connected")
        if cmd is not None:
            err, rate, batch = P.negotiate(cmd, (50.0,), dev.device_mtu)
            if err == P.DeviceError.OK:
                dev.status = P.DeviceStatus(state=P.State.STREAMING, batch=batch, att_mtu=dev.device_mtu, rate_hz=rate)
            else:
                dev.status = P.DeviceStatus(error=err, att_mtu=dev.device_mtu)
            loop = asyncio.get_running_loop()
            if self.kind == "drop_on_exit":
                loop.call_later(0.01, self.on_lost, self)
            elif self.kind == "ok" and self.stop is not None:
                loop.call_later(0.01, self.stop.set)

    async def read_gatt_char(self, uuid: str) -> bytes:
        return self.device.status.encode()


@pytest.fixture
def fake_bleak(monkeypatch):
    """Install the scripted bleak; returns ``run(plan, device=...) -> (metrics, attempts)``."""

    class Scanner:
        @staticmethod
        async def find_device_by_filter(match: Any, timeout: float) -> Any:
            return types.SimpleNamespace(address="F0:0D:4D:55:4A:4F", name="MujoWatch")

    module = types.SimpleNamespace(BleakClient=FakeClient, BleakScanner=Scanner,
                                   exc=types.SimpleNamespace(BleakError=FakeBleakError))
    monkeypatch.setattr(C, "require", lambda *a, **k: module)

    def run(plan: list[str], device: FakeDevice | None = None, cfg: C.ClientConfig | None = None):
        FakeClient.plan, FakeClient.attempts, FakeClient.device = plan, [], device or FakeDevice()
        pipe = LivePipeline(EnergyClassifier())
        cfg = cfg or C.ClientConfig("MujoWatch", profile="mujo", backoff_s=0.001, backoff_max_s=0.002, retries=3)

        async def main() -> None:
            FakeClient.stop = asyncio.Event()
            await asyncio.wait_for(C.stream(cfg, pipe, None, FakeClient.stop), 10)

        asyncio.run(main())
        return pipe.metrics, FakeClient.attempts

    return run


# ----------------------------------------------------------------------------- reconnect bookkeeping
def test_a_drop_while_starting_is_a_disconnect_not_a_failed_connect(fake_bleak):
    m, attempts = fake_bleak(["drop_in_start", "refuse", "ok"])
    assert attempts == ["drop_in_start", "refuse", "ok"]
    assert m.connects == 2 and m.disconnects == 1 and m.connect_failures == 1
    assert len(m.reconnect_s) == 1 and m.reconnect_s[0] > 0  # from the drop to the restarted stream


def test_a_drop_whose_close_fails_is_still_a_disconnect(fake_bleak):
    m, attempts = fake_bleak(["drop_on_exit", "ok"])
    assert attempts == ["drop_on_exit", "ok"]
    assert m.connects == 2 and m.disconnects == 1 and m.connect_failures == 0 and len(m.reconnect_s) == 1


def test_our_own_disconnect_is_not_a_drop_and_a_dead_device_gives_up(fake_bleak):
    m, _ = fake_bleak(["ok"])
    assert m.connects == 1 and m.disconnects == 0 and m.connect_failures == 0 and m.reconnect_s == []
    with pytest.raises(BridgeError, match="after 4 attempts: Page Timeout"):
        fake_bleak(["refuse"] * 4)
    with pytest.raises(BridgeError, match="after 4 attempts: the link dropped while starting the stream"):
        fake_bleak(["drop_in_start"] * 4)


def test_the_notify_method_reaches_bleak(fake_bleak):
    dev = FakeDevice()
    fake_bleak(["ok"], dev, C.ClientConfig("MujoWatch", profile="mujo", acquire_notify=True))
    assert dev.notify_kwargs == [{"bluez": {"use_start_notify": False}}]


# ----------------------------------------------------------------------------- ATT MTU at START
def test_old_bluez_mtu_is_taken_from_the_device_status(fake_bleak):
    """bleak reports MTU 23 on BlueZ < 5.62; the status record's att_mtu (247) sizes the batch."""
    dev = FakeDevice(host_mtu=23, device_mtu=247)
    m, _ = fake_bleak(["ok"], dev)
    start = P.parse_command(dev.writes[0])[1]
    assert start is not None and start.batch == 2 and dev.status.state == P.State.STREAMING and m.connects == 1


def test_a_batch_that_does_not_fit_mtu_185_is_reduced(fake_bleak):
    dev = FakeDevice(host_mtu=185, device_mtu=185)
    fake_bleak(["ok"], dev, C.ClientConfig("MujoWatch", profile="mujo", batch=19))
    assert P.parse_command(dev.writes[0])[1].batch == 14 and dev.status.batch == 14


def test_mtu_23_is_a_clear_error_before_start(fake_bleak):
    dev = FakeDevice(host_mtu=23, device_mtu=23)
    with pytest.raises(BridgeError, match="ATT MTU is 23 bytes, too small for one IMU6 sample"):
        fake_bleak(["ok"], dev)
    assert dev.writes == []  # nothing was asked of the device


# ----------------------------------------------------------------------------- Polar: factor from START
def test_polar_decoder_takes_the_factor_of_the_start_response(fake_bleak):
    factor = 8 / 32768  # g per count, as a device sending type-0x80 frames reports it
    dev = FakeDevice(pmd_factor=factor)
    cfg = C.ClientConfig("Polar", profile="polar")

    async def main() -> polar.PolarDecoder:
        FakeClient.plan, FakeClient.attempts, FakeClient.device = ["ok"], [], dev
        client = FakeClient(None, lambda _c: None, 1.0)
        return await C.PolarProfile().start(client, cfg, 50.0)

    decoder = asyncio.run(main())
    assert decoder.factor == pytest.approx(factor) and decoder.resolution == 16 and decoder.rate_hz == 50.0
    g = np.array([[0, 0, 4096], [10, -20, 4100]])  # counts: 4096 × 8/32768 = 1 g
    b = decoder.decode(polar.encode_delta_frame(725_000_000 * 10**9, g, frame_type=0x80))
    np.testing.assert_allclose(b.samples, g * factor * STANDARD_GRAVITY, rtol=1e-5)
    assert struct.unpack("<f", struct.pack("<f", factor))[0] == factor  # exact in the float32 TLV
