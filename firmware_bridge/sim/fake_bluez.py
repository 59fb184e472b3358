"""A fake ``org.bluez`` D-Bus service (dbus-fast) that the unmodified bleak client talks to.

It serves one adapter (``/org/bluez/hci0``) and any number of peripherals, each with GATT services
and characteristics, on a (private) system bus. It implements what bleak 3.x's BlueZ backend uses
(``../shared/research/ble_testing.md``): ``Adapter1`` (Roles, Powered, discovery), ``Device1``
(advertising by RSSI updates while discovering, Connect/Disconnect, ServicesResolved),
``GattService1`` and ``GattCharacteristic1`` (ReadValue, WriteValue, MTU). Both ways of subscribing
that bleak has are served:

* ``StartNotify``/``StopNotify`` (bleak's default): each notification is a
  ``PropertiesChanged(Value)`` signal;
* ``AcquireNotify`` (bleak with ``bluez={"use_start_notify": False}``, which it only tries when the
  characteristic has a ``NotifyAcquired`` property): as BlueZ does, the reply passes one end of an
  ``AF_UNIX``/``SOCK_SEQPACKET`` socket pair (D-Bus fd passing) and the MTU; each notification is one
  datagram on it. The client unsubscribes by closing its end; a disconnection closes ours.

``Peripheral.expose_mtu = False`` hides the ``MTU`` property, as BlueZ before 5.62 does.

This module imports dbus-fast at import time; import it lazily (only the simulated watch does).
"""

# ruff: noqa: F722, F821 - dbus-fast reads D-Bus type signatures ("s", "as", "a{sv}") from the annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from typing import Callable, Optional

from mujo_edge.errors import BridgeError, require

require("dbus_fast", "ble", "the fake BlueZ service of the simulated watch")

from dbus_fast import BusType, DBusError, Message, MessageType, Variant  # noqa: E402
from dbus_fast.aio import MessageBus  # noqa: E402
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method  # noqa: E402

log = logging.getLogger(__name__)
R = PropertyAccess.READ
ADAPTER_PATH = "/org/bluez/hci0"
CHAR_IFACE = "org.bluez.GattCharacteristic1"


class Characteristic:
    """A GATT characteristic: ``read() -> bytes`` and ``write(bytes)`` callbacks, ``flags`` as BlueZ names them."""

    def __init__(self, uuid: str, flags: list[str], read: Optional[Callable[[], bytes]] = None,
                 write: Optional[Callable[[bytes], None]] = None) -> None:
        self.uuid, self.flags, self.read, self.write = uuid.lower(), flags, read, write
        self.iface: Optional["_Char"] = None


class Peripheral:
    """A simulated BLE device: name, address, GATT services ``[(uuid, [Characteristic, ...]), ...]``.

    ``on_connect`` / ``on_disconnect`` / ``on_subscribe(uuid, enabled)`` are called from the event loop.
    ``refuse_until`` (host monotonic s): Connect calls fail before that time (a device out of range).
    ``expose_mtu``: serve the characteristics' ``MTU`` property (BlueZ >= 5.62).
    ``subscriptions`` counts subscriptions by method (``StartNotify``, ``AcquireNotify``).
    """

    def __init__(self, name: str, address: str, services: list, mtu: int = 247, expose_mtu: bool = True) -> None:
        self.name, self.address, self.services, self.mtu = name, address.upper(), services, mtu
        self.expose_mtu = expose_mtu
        self.subscriptions: Counter = Counter()
        self.on_connect: Callable[[], None] = lambda: None
        self.on_disconnect: Callable[[], None] = lambda: None
        self.on_subscribe: Callable[[str, bool], None] = lambda uuid, on: None
        self.refuse_until = 0.0
        self.device: Optional["_Device"] = None

    @property
    def path(self) -> str:
        """D-Bus object path of the device."""
        return f"{ADAPTER_PATH}/dev_{self.address.replace(':', '_')}"

    @property
    def connected(self) -> bool:
        """True while a central is connected."""
        return bool(self.device and self.device.connected)

    def characteristic(self, uuid: str) -> Characteristic:
        """The characteristic with ``uuid`` (KeyError naming the known ones)."""
        for _, chars in self.services:
            for c in chars:
                if c.uuid == uuid.lower():
                    return c
        raise BridgeError(f"{self.name} has no characteristic {uuid}")

    def notify(self, uuid: str, data: bytes) -> bool:
        """Send one notification; returns False when nobody is connected and subscribed."""
        c = self.characteristic(uuid)
        if c.iface is None or not self.connected:
            return False
        if c.iface.sock is not None:  # AcquireNotify: one datagram per notification
            try:
                c.iface.sock.send(bytes(data))
            except OSError as exc:  # full (the client does not read) or closed: the notification is lost
                log.debug("notification on the acquired socket of %s failed: %s", uuid, exc)
                return False
            return True
        if not c.iface.notifying:
            return False
        c.iface.value = bytes(data)
        c.iface.emit_properties_changed({"Value": c.iface.value})
        return True

    def disconnect(self) -> None:
        """Drop the connection from the peripheral side (link loss)."""
        if self.device is not None and self.device.connected:
            self.device.set_connected(False)


class _Adapter(ServiceInterface):
    def __init__(self, bluez: "FakeBlueZ") -> None:
        super().__init__("org.bluez.Adapter1")
        self.bluez = bluez
        self.discovering = False

    @dbus_property(access=R)
    def Address(self) -> "s":
        return "00:1A:7D:DA:71:13"

    @dbus_property(access=R)
    def Name(self) -> "s":
        return "mujo-fake-hci0"

    @dbus_property(access=R)
    def Alias(self) -> "s":
        return "mujo-fake-hci0"

    @dbus_property(access=R)
    def Powered(self) -> "b":
        return True

    @dbus_property(access=R)
    def Discovering(self) -> "b":
        return self.discovering

    @dbus_property(access=R)
    def Roles(self) -> "as":
        return ["central", "peripheral"]

    @method()
    def SetDiscoveryFilter(self, properties: "a{sv}") -> None:
        return None

    @method()
    def StartDiscovery(self) -> None:
        self.discovering = True
        self.emit_properties_changed({"Discovering": True})

    @method()
    def StopDiscovery(self) -> None:
        self.discovering = False
        self.emit_properties_changed({"Discovering": False})

    @method()
    def RemoveDevice(self, device: "o") -> None:
        return None


class _Device(ServiceInterface):
    def __init__(self, p: Peripheral) -> None:
        super().__init__("org.bluez.Device1")
        self.p = p
        self.connected = False
        self.resolved = False
        self.rssi = -55

    def set_connected(self, on: bool) -> None:
        if not on:
            for _, chars in self.p.services:
                for c in chars:
                    if c.iface is not None and c.iface.notifying:
                        c.iface.notifying = False
                        self.p.on_subscribe(c.uuid, False)
                    if c.iface is not None:
                        c.iface.release_acquired()  # BlueZ closes its end: the client sees the hang-up
        self.connected, self.resolved = on, on
        if on:
            self.emit_properties_changed({"Connected": True})
            self.emit_properties_changed({"ServicesResolved": True})
            self.p.on_connect()
        else:
            self.emit_properties_changed({"ServicesResolved": False})
            self.emit_properties_changed({"Connected": False})
            self.p.on_disconnect()

    @dbus_property(access=R)
    def Address(self) -> "s":
        return self.p.address

    @dbus_property(access=R)
    def AddressType(self) -> "s":
        return "random"

    @dbus_property(access=R)
    def Name(self) -> "s":
        return self.p.name

    @dbus_property(access=R)
    def Alias(self) -> "s":
        return self.p.name

    @dbus_property(access=R)
    def Adapter(self) -> "o":
        return ADAPTER_PATH

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return [uuid for uuid, _ in self.p.services]

    @dbus_property(access=R)
    def RSSI(self) -> "n":
        return self.rssi

    @dbus_property(access=R)
    def TxPower(self) -> "n":
        return 0

    @dbus_property(access=R)
    def ManufacturerData(self) -> "a{qv}":
        return {0xFFFF: Variant("ay", b"mujo")}

    @dbus_property(access=R)
    def ServiceData(self) -> "a{sv}":
        return {}

    @dbus_property(access=R)
    def Connected(self) -> "b":
        return self.connected

    @dbus_property(access=R)
    def ServicesResolved(self) -> "b":
        return self.resolved

    @dbus_property(access=R)
    def Paired(self) -> "b":
        return False

    @dbus_property(access=R)
    def Bonded(self) -> "b":
        return False

    @dbus_property(access=R)
    def Trusted(self) -> "b":
        return False

    @dbus_property(access=R)
    def Blocked(self) -> "b":
        return False

    @dbus_property(access=R)
    def LegacyPairing(self) -> "b":
        return False

    @method()
    async def Connect(self) -> None:
        if time.monotonic() < self.p.refuse_until:
            raise DBusError("org.bluez.Error.Failed", "Page Timeout (simulated: device out of range)")
        if not self.connected:
            await asyncio.sleep(0.005)
            self.set_connected(True)

    @method()
    def Disconnect(self) -> None:
        if self.connected:
            self.set_connected(False)

    @method()
    def Pair(self) -> None:
        raise DBusError("org.bluez.Error.NotSupported", "pairing is not simulated")


class _Service(ServiceInterface):
    def __init__(self, uuid: str, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.uuid, self.device_path = uuid, device_path

    @dbus_property(access=R)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=R)
    def Device(self) -> "o":
        return self.device_path

    @dbus_property(access=R)
    def Primary(self) -> "b":
        return True


class _Char(ServiceInterface):
    def __init__(self, c: Characteristic, service_path: str, p: Peripheral) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.c, self.service_path, self.p = c, service_path, p
        self.notifying = False
        self.value = b""
        self.sock: Optional[socket.socket] = None  # our end of an AcquireNotify socket pair

    @dbus_property(access=R)
    def UUID(self) -> "s":
        return self.c.uuid

    @dbus_property(access=R)
    def Service(self) -> "o":
        return self.service_path

    @dbus_property(access=R)
    def Flags(self) -> "as":
        return self.c.flags

    @dbus_property(access=R)
    def Notifying(self) -> "b":
        return self.notifying

    @dbus_property(access=R)
    def Value(self) -> "ay":
        return self.value

    @dbus_property(access=R)
    def MTU(self) -> "q":
        return self.p.mtu

    @dbus_property(access=R)
    def NotifyAcquired(self) -> "b":
        return self.sock is not None

    def _check(self) -> None:
        if not self.p.connected:
            raise DBusError("org.bluez.Error.NotConnected", "Not connected")

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        self._check()
        if self.c.read is None:
            raise DBusError("org.bluez.Error.NotPermitted", "Read not permitted")
        return self.c.read()

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}") -> None:
        self._check()
        if self.c.write is None:
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        self.c.write(bytes(value))

    @method()
    def StartNotify(self) -> None:
        self._check()
        if self.sock is not None:
            raise DBusError("org.bluez.Error.NotPermitted", "Notify acquired")
        if not self.notifying:
            self.notifying = True
            self.p.subscriptions["StartNotify"] += 1
            self.emit_properties_changed({"Notifying": True})
            self.p.on_subscribe(self.c.uuid, True)

    def acquire(self) -> socket.socket:
        """AcquireNotify: make the socket pair, keep our end, return the client's (sent in the reply)."""
        self._check()
        if not {"notify", "indicate"} & set(self.c.flags):
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        if self.notifying or self.sock is not None:
            raise DBusError("org.bluez.Error.NotPermitted", "Notify acquired" if self.sock else "Notifying")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setblocking(False)
        self.sock = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._on_socket)
        self.p.subscriptions["AcquireNotify"] += 1
        self.emit_properties_changed({"NotifyAcquired": True})
        self.p.on_subscribe(self.c.uuid, True)
        return theirs

    def _on_socket(self) -> None:
        """Our end became readable: the client closed its end (unsubscribed) or wrote (ignored)."""
        assert self.sock is not None
        try:
            if self.sock.recv(1024):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self.release_acquired()

    def release_acquired(self) -> None:
        """End an AcquireNotify subscription (client hang-up or disconnection); no-op without one."""
        if self.sock is None:
            return
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()
        self.sock = None
        self.emit_properties_changed({"NotifyAcquired": False})
        self.p.on_subscribe(self.c.uuid, False)

    @method()
    def StopNotify(self) -> None:
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})
            self.p.on_subscribe(self.c.uuid, False)


class _CharOldBlueZ(_Char):
    """A characteristic as BlueZ < 5.62 serves it: no ``MTU`` property (bleak then assumes 23)."""

    @dbus_property(access=R, disabled=True)
    def MTU(self) -> "q":
        return self.p.mtu


class FakeBlueZ:
    """Export the adapter and ``peripherals`` as ``org.bluez`` on the bus at ``bus_address``."""

    def __init__(self, bus_address: str, peripherals: list[Peripheral]) -> None:
        self.bus_address, self.peripherals = bus_address, peripherals
        self.bus: Optional[MessageBus] = None
        self._adv: Optional[asyncio.Task] = None
        self._chars: dict[str, _Char] = {}

    async def start(self) -> None:
        """Connect to the bus, export every object, own ``org.bluez`` and start advertising."""
        self.bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM,
                                    negotiate_unix_fd=True).connect()
        self.bus.add_message_handler(self._acquire_notify)
        self.adapter = _Adapter(self)
        self.bus.export(ADAPTER_PATH, self.adapter)
        handle = 0x000A
        for p in self.peripherals:
            p.device = _Device(p)
            self.bus.export(p.path, p.device)
            for uuid, chars in p.services:
                spath = f"{p.path}/service{handle:04x}"
                handle += 1
                self.bus.export(spath, _Service(uuid.lower(), p.path))
                for c in chars:
                    c.iface = (_Char if p.expose_mtu else _CharOldBlueZ)(c, spath, p)
                    cpath = f"{spath}/char{handle:04x}"
                    self._chars[cpath] = c.iface
                    self.bus.export(cpath, c.iface)
                    handle += 1
        await self.bus.request_name("org.bluez")
        self._adv = asyncio.create_task(self._advertise())

    def _acquire_notify(self, msg: Message) -> Optional[bool]:
        """Serve ``GattCharacteristic1.AcquireNotify(a{sv}) -> (h fd, q mtu)``.

        A raw message handler rather than a ``@method``: the reply carries a file descriptor, and our
        copy of the client's end may only be closed once the reply is on the wire (else the client's
        hang-up would never reach our end).
        """
        if (msg.message_type != MessageType.METHOD_CALL or msg.member != "AcquireNotify"
                or msg.interface != CHAR_IFACE or msg.path not in self._chars):
            return None
        char = self._chars[msg.path]
        theirs = char.acquire()  # a DBusError becomes the error reply
        assert self.bus is not None
        sent = self.bus.send(Message.new_method_return(msg, "hq", [0, char.p.mtu], [theirs.fileno()]))
        sent.add_done_callback(lambda _f: theirs.close())
        return True

    async def _advertise(self) -> None:
        """While the adapter discovers, every unconnected peripheral "advertises" (RSSI update, 10 Hz)."""
        k = 0
        while True:
            await asyncio.sleep(0.1)
            if not self.adapter.discovering:
                continue
            k += 1
            for p in self.peripherals:
                if p.device is not None and not p.device.connected:
                    p.device.rssi = -55 - (k % 3)
                    p.device.emit_properties_changed({"RSSI": p.device.rssi})

    async def close(self) -> None:
        """Stop advertising and leave the bus."""
        if self._adv is not None:
            self._adv.cancel()
        for char in self._chars.values():
            char.release_acquired()
        if self.bus is not None:
            self.bus.disconnect()
            self.bus = None
