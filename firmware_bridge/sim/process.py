"""Start and stop the simulated watch as a child process on a private D-Bus (for ``live --simulate``,
the quickstart, tests and benchmarks).

::

    with SimulatedWatch(WatchSimConfig(source="synthetic")) as sim:
        # DBUS_SYSTEM_BUS_ADDRESS now points at the private bus; bleak finds "MujoWatch" there
        ...
    sim.stats   # the simulator's ground-truth counters (packets sent, faults injected, ...)
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mujo_edge.firmware_bridge.sim.dbus_session import ENV_VAR, PrivateBus, dbus_daemon_path
from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig

from mujo_edge.config import to_dict
from mujo_edge.errors import BridgeError, MujoEdgeError

log = logging.getLogger(__name__)


#: Runs the watch-sim module without the working directory on ``sys.path`` (what ``python -m`` would put
#: first): started from a source checkout with a non-editable install, ``./mujo_edge`` would otherwise
#: shadow the installed package, which alone holds ``mujo_edge.firmware_bridge``.
_BOOTSTRAP = ("import runpy, sys; sys.path.pop(0); "
              "runpy.run_module('mujo_edge.firmware_bridge.sim.watch', run_name='__main__', alter_sys=True)")


def simulator_unavailable() -> str | None:
    """Why the simulated watch cannot run here (no dbus-daemon, no bleak / dbus-fast), or None."""
    try:
        dbus_daemon_path()
    except MujoEdgeError as exc:
        return str(exc)
    lacking = [m for m in ("bleak", "dbus_fast") if importlib.util.find_spec(m) is None]
    return f"{' and '.join(lacking)} not installed (pip install 'mujo-edge[ble]')" if lacking else None


def watch_sim_command(*args: str) -> list[str]:
    """The command line of a watch-sim child process with ``args`` (this interpreter, the installed package)."""
    return [sys.executable, "-c", _BOOTSTRAP, *args]


class SimulatedWatch:
    """A watch-sim child process (and, unless ``bus_address`` is given, its private dbus-daemon).

    While started, ``DBUS_SYSTEM_BUS_ADDRESS`` in this process points at the private bus (the previous
    value is restored by :meth:`stop`). ``info`` is the simulator's ready record, ``stats`` its final one.
    """

    def __init__(self, cfg: WatchSimConfig, bus_address: str | None = None, start_timeout_s: float = 60.0,
                 set_env: bool = True) -> None:
        self.cfg, self.start_timeout_s, self.set_env = cfg, start_timeout_s, set_env
        self.bus_address = bus_address
        self.info: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self._bus: PrivateBus | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._old_env: str | None = None

    def start(self) -> SimulatedWatch:
        """Start the bus (if needed) and the simulator; wait until it is advertising."""
        try:
            if self.bus_address is None:
                self._bus = PrivateBus()
                self.bus_address = self._bus.start()
            self._tmp = tempfile.TemporaryDirectory(prefix="mujo-watch-")
            stats = Path(self._tmp.name) / "stats.json"
            cmd = watch_sim_command("--bus", self.bus_address, "--config", json.dumps(to_dict(self.cfg)),
                                    "--stats", str(stats))
            self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.info = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        if self.set_env:
            self._old_env = os.environ.get(ENV_VAR)
            os.environ[ENV_VAR] = self.bus_address
        log.info("simulated watch %s (%s) on %s", self.cfg.name, self.cfg.profile, self.bus_address)
        return self

    def _wait_ready(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout_s
        buf = b""
        while True:
            if b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.startswith(b"READY "):
                    return json.loads(line[6:])
                continue
            left = deadline - time.monotonic()
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace")
                said = [ln[6:] for ln in err.splitlines() if ln.startswith("ERROR ")]
                if said:  # the simulator's own clear error (a bad source, a missing dataset, ...)
                    raise BridgeError(f"the simulated watch could not start: {said[-1]}")
                raise BridgeError(f"the simulated watch exited (code {self._proc.returncode}) before it was ready"
                                  + (f": {err.strip()[-2000:]}" if err.strip() else ""))
            if left <= 0:
                raise BridgeError(f"the simulated watch did not start within {self.start_timeout_s:.0f} s")
            ready, _, _ = select.select([self._proc.stdout], [], [], min(left, 0.5))
            if ready:
                buf += os.read(self._proc.stdout.fileno(), 65536)

    def cpu_seconds(self) -> dict[str, float | None]:
        """CPU time (user + system, s) used so far by the simulator and the bus daemon (Linux ``/proc``)."""
        return {"watch_sim": _proc_cpu_s(self._proc.pid if self._proc else None),
                "dbus_daemon": _proc_cpu_s(self._bus.pid if self._bus else None)}

    def stop(self) -> dict[str, Any]:
        """Stop the simulator (SIGTERM, then kill) and the bus; returns the final stats."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(5)
            if self._proc.returncode not in (0, None):
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                log.warning("watch-sim exited with %s: %s", self._proc.returncode, err[-2000:])
            for s in (self._proc.stdout, self._proc.stderr):
                if s is not None:
                    s.close()
            self._proc = None
        if self._tmp is not None:
            stats = Path(self._tmp.name) / "stats.json"
            if stats.exists():
                self.stats = json.loads(stats.read_text())
            self._tmp.cleanup()
            self._tmp = None
        if self._bus is not None:
            self._bus.stop()
            self._bus = None
        if self.set_env and self._old_env is not None:
            os.environ[ENV_VAR] = self._old_env
        elif self.set_env and os.environ.get(ENV_VAR) == self.bus_address:
            os.environ.pop(ENV_VAR, None)
        return self.stats

    def __enter__(self) -> SimulatedWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _proc_cpu_s(pid: int | None) -> float | None:
    """utime + stime of process ``pid`` in seconds from ``/proc/<pid>/stat`` (None where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None
