"""``mujo-edge watch-sim``: serve the simulated smartwatch on a private D-Bus until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mujo_edge.cli.common import DataDirOption, echo_json
from mujo_edge.firmware_bridge.sim.dbus_session import ENV_VAR, PrivateBus
from mujo_edge.firmware_bridge.sim.watch import FaultConfig, WatchSimConfig, serve


def watch_sim(
    source: str = typer.Option("synthetic", "--source",
                               help="synthetic[:SECONDS], dataset:NAME[:SUBJECT[:SESSION]] or a recording CSV."),
    profile: str = typer.Option("mujo", "--profile", help="Protocol the watch speaks: mujo or polar."),
    name: Optional[str] = typer.Option(None, "--name", help="Advertised name (default MujoWatch / Polar Sense SIM)."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Support only this sample rate, Hz (a wrong-rate device)."),
    faults: Optional[str] = typer.Option(None, "--faults",
                                         help="e.g. loss=0.02,reorder=0.01,duplicate=0.01,corrupt=0.01,drop=5+12,down=0.5"),
    drift_ppm: float = typer.Option(0.0, "--drift-ppm", help="Device clock runs fast by this much, ppm."),
    mtu: int = typer.Option(247, "--mtu", help="ATT MTU the watch reports."),
    bus: Optional[str] = typer.Option(None, "--bus", help="Use this D-Bus address instead of starting a private bus."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after this many seconds (default: Ctrl-C)."),
    as_json: bool = typer.Option(False, "--json", help="Print the final counters as JSON."),
    data_dir: Optional[Path] = DataDirOption,
) -> None:
    """Serve a simulated watch over a fake BlueZ on a private D-Bus; connect with `mujo-edge live --device`."""
    import asyncio
    import contextlib
    import signal


    cfg = WatchSimConfig(source=source, profile=profile,
                         name=name or ("MujoWatch" if profile == "mujo" else "Polar Sense SIM"),
                         faults=FaultConfig.parse(faults), clock_drift_ppm=drift_ppm, mtu=mtu,
                         data_dir=str(data_dir) if data_dir else None, **({"rates_hz": (rate,)} if rate else {}))
    private = PrivateBus() if bus is None else None
    address = private.start() if private is not None else bus

    async def main():  # noqa: ANN202
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if duration is not None:
            loop.call_later(duration, stop.set)

        def ready(dev) -> None:  # noqa: ANN001
            typer.echo(f"{cfg.name} ({cfg.profile}) is advertising; source {source} "
                       f"({dev.rec.n_samples} samples at {dev.rec.rate_hz:g} Hz). Connect from another shell with:\n"
                       f"  export {ENV_VAR}='{address}'\n  mujo-edge live --device {cfg.name} --model MODEL\n"
                       f"Ctrl-C stops the watch.", err=as_json)

        return await serve(cfg, address, stop, ready)

    try:
        device = asyncio.run(main())
    finally:
        if private is not None:
            private.stop()
    info = device.info()
    if as_json:
        echo_json(info)
    else:
        typer.echo("watch counters: " + ", ".join(f"{k} {v}" for k, v in sorted(info["stats"].items())))


def register(app: typer.Typer) -> None:
    """Add ``watch-sim`` to the main app."""
    app.command("watch-sim")(watch_sim)
