"""The simulated watch's configuration and child process."""

from __future__ import annotations

import pytest

from mujo_edge.errors import ConfigError
from mujo_edge.firmware_bridge.sim.watch import FaultConfig, WatchSimConfig


def test_fault_spec_parsing():
    f = FaultConfig.parse("loss=0.02,reorder=0.01,drop=5+12.5,down=0.5,seed=3")
    assert (f.loss, f.reorder, f.drop_at_s, f.down_s, f.seed) == (0.02, 0.01, (5.0, 12.5), 0.5, 3)
    with pytest.raises(ConfigError, match="sum to <= 1"):
        FaultConfig(loss=0.7, corrupt=0.5)
    with pytest.raises(ConfigError, match="unknown watch profile 'fitbit'; valid: mujo, polar"):
        WatchSimConfig(profile="fitbit")


def test_watch_sim_child_uses_the_installed_package_not_a_mujo_edge_folder_in_the_cwd(tmp_path):
    """Started from a source checkout with a non-editable install, ``./mujo_edge`` (which has no
    ``firmware_bridge``) must not shadow the installed package in the simulator's child process."""
    import subprocess

    from mujo_edge.firmware_bridge.sim.process import watch_sim_command

    (tmp_path / "mujo_edge").mkdir()
    (tmp_path / "mujo_edge" / "__init__.py").write_text("")
    proc = subprocess.run(watch_sim_command("--help"), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--bus" in proc.stdout
