"""BLE protocol, bleak client, simulated watch and reference firmware (shipped as ``mujo_edge.firmware_bridge``).

bleak and dbus-fast are imported lazily where they are needed.
"""
