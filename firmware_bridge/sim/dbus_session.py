"""A private D-Bus "system" bus (``dbus-daemon``) for the simulated watch and tests.

Nothing here touches the machine's real system bus: the daemon listens on a socket in a temporary
folder with an allow-all policy, and clients find it through ``DBUS_SYSTEM_BUS_ADDRESS`` (which
dbus-fast, and therefore bleak, honours).
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mujo_edge.errors import BridgeError

log = logging.getLogger(__name__)

ENV_VAR = "DBUS_SYSTEM_BUS_ADDRESS"

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
</busconfig>
"""


def dbus_daemon_path() -> str:
    """Path of the ``dbus-daemon`` executable (BridgeError naming the system package if it is missing)."""
    found = shutil.which("dbus-daemon") or ("/usr/bin/dbus-daemon" if os.path.exists("/usr/bin/dbus-daemon") else None)
    if found is None:
        raise BridgeError("the simulated watch needs dbus-daemon for its private D-Bus; install the system "
                          "package 'dbus' (e.g. apt-get install dbus)")
    return found


class PrivateBus:
    """Start/stop a private ``dbus-daemon``; use as a context manager.

    Attributes:
        address: the bus address (``unix:path=...``) once started.
    """

    def __init__(self, start_timeout_s: float = 10.0) -> None:
        self.start_timeout_s = start_timeout_s
        self.address: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> str:
        """Launch the daemon and return its address (raises BridgeError if it does not come up)."""
        exe = dbus_daemon_path()
        self._dir = tempfile.TemporaryDirectory(prefix="mujo-dbus-")
        sock = Path(self._dir.name) / "bus.sock"
        conf = Path(self._dir.name) / "bus.conf"
        conf.write_text(_CONFIG.format(socket=sock))
        cmd = [exe, f"--config-file={conf}", "--nofork", "--print-address=1"]
        setpriv = shutil.which("setpriv")
        if setpriv is not None:  # Linux: the daemon gets SIGTERM if this process dies without stop()
            cmd = [setpriv, "--pdeathsig", "TERM", *cmd]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout_s
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self._proc.poll() is not None:
                self.stop()
                raise BridgeError(f"dbus-daemon did not start within {self.start_timeout_s} s")
            ready, _, _ = select.select([self._proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self._proc.stdout.fileno(), 4096)
                if not chunk:
                    continue
                line += chunk
        self.address = line.decode().strip().splitlines()[0]
        log.info("private D-Bus at %s (pid %d)", self.address, self._proc.pid)
        return self.address

    @property
    def pid(self) -> int | None:
        """Process id of the running daemon."""
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        """Terminate the daemon (kill after 3 s) and remove its folder."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(3)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(3)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> PrivateBus:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
