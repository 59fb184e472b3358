"""The simulated watch: a test double of real hardware, not part of the path to a real device.

* ``watch`` — the watch itself: our GATT protocol or Polar PMD, streaming a data reference
  (:mod:`mujo_edge.data.refs`), with fault injection;
* ``fake_bluez`` — a BlueZ stand-in on a private D-Bus, so the real, unmodified bleak client talks to it;
* ``dbus_session`` — the private ``dbus-daemon``;
* ``process`` — the watch in a child process (:class:`~mujo_edge.firmware_bridge.sim.process.SimulatedWatch`).
"""
