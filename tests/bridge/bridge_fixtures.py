"""Fixtures of the BLE bridge tests: models, the simulated watch on a private D-Bus, session runner.

Not a conftest.py: a second module named ``conftest`` would shadow ``tests/conftest.py`` for the
folders that do ``from conftest import require_dataset``. Test files import what they use from here.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from mujo_edge.data.spec import ACC_CHANNELS, DEFAULT_SPEC, SensorSpec


class EnergyClassifier:
    """A cheap stand-in for a runtime classifier: class from the window's acceleration variance.

    Same interface as ``mujo_edge.runtime.load(...)`` (spec, label_names, predict_proba); ``delay_s``
    makes it slow on purpose (slow-consumer tests). Records every window it saw.
    """

    label_names = ("rest", "walk", "run")

    def __init__(self, spec: SensorSpec = DEFAULT_SPEC, delay_s: float = 0.0) -> None:
        self.spec, self.delay_s = spec, delay_s
        self.seen: list[np.ndarray] = []

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        import time

        assert windows.ndim == 3 and windows.shape[1:] == (self.spec.window, len(self.spec.channels))
        self.seen.extend(windows)
        if self.delay_s:
            time.sleep(self.delay_s)
        acc = windows[:, :, : min(3, windows.shape[2])]
        var = np.linalg.norm(acc, axis=2).std(axis=1)
        centers = np.array([0.1, 1.2, 2.2])  # std of |acc| of the synthetic rest / walk / run (mujo_edge.data.synthetic)
        logits = -np.abs(np.log(var[:, None] + 1e-3) - np.log(centers[None, :]))
        e = np.exp(2 * logits)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def energy_clf() -> EnergyClassifier:
    return EnergyClassifier()


@pytest.fixture
def acc_only_clf() -> EnergyClassifier:
    return EnergyClassifier(SensorSpec(channels=ACC_CHANNELS))


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory) -> Path:
    """A small CNN checkpoint trained briefly on the synthetic signal (loaded through mujo_edge.runtime)."""
    import torch

    from mujo_edge.quickstart.live import train_fallback_model

    torch.set_num_threads(1)
    return train_fallback_model(tmp_path_factory.mktemp("live_model") / "cnn", max_steps=60)


@pytest.fixture(scope="session")
def dbus_available() -> None:
    if shutil.which("dbus-daemon") is None and not Path("/usr/bin/dbus-daemon").exists():
        pytest.skip("dbus-daemon is not installed (apt package 'dbus')")
    pytest.importorskip("bleak", reason="the BLE tests need the 'ble' extra (bleak, dbus-fast)")
    pytest.importorskip("dbus_fast", reason="the BLE tests need the 'ble' extra (bleak, dbus-fast)")


@pytest.fixture
def run_session(dbus_available):
    """``run_session(clf, sim_cfg, seconds, client=..., pipeline=..., windows=N) -> (pipeline, sim_stats, sim_info)``.

    Starts the simulated watch (own private bus), streams with the real bleak client, always cleans up.
    """
    from dataclasses import replace

    from mujo_edge.firmware_bridge.client import ClientConfig
    from mujo_edge.firmware_bridge.live import session
    from mujo_edge.firmware_bridge.pipeline import PipelineConfig
    from mujo_edge.firmware_bridge.sim.process import SimulatedWatch
    from mujo_edge.firmware_bridge.sim.watch import WatchSimConfig

    def run(clf, sim: WatchSimConfig = WatchSimConfig(), seconds: float = 60.0, client: ClientConfig | None = None,
            pipeline: PipelineConfig = PipelineConfig(), windows: int | None = None):
        """Stream until ``windows`` predictions were made (``seconds`` is then only a timeout), or for ``seconds``."""
        client = client or ClientConfig(target=sim.name, scan_timeout_s=5.0)

        async def go():
            stop, made = asyncio.Event(), [0]

            def counted(_prediction) -> None:
                made[0] += 1
                if windows is not None and made[0] >= windows:
                    stop.set()

            return await session(clf, client, pipeline, seconds, counted, stop)

        with SimulatedWatch(replace(sim)) as watch:
            pipe = asyncio.run(asyncio.wait_for(go(), seconds + 30))
        if windows is not None:
            assert len(pipe.predictions) >= windows, f"only {len(pipe.predictions)} of {windows} windows in {seconds} s"
        return pipe, watch.stats.get("stats", {}), watch.stats

    return run
