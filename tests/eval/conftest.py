"""Fixtures for evaluation tests: a small synthetic MotionSense-layout dataset and a random MuJo checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

ACTS = (("dws", 1), ("ups", 3), ("wlk", 7), ("jog", 9), ("std", 6), ("sit", 5))
HEADER = (",attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,rotationRate.x,rotationRate.y,"
          "rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z")


def write_separable_motionsense(root: Path, subjects: int = 6, n: int = 448) -> Path:
    """MotionSense file layout, 50 Hz; each activity has its own frequency, amplitude and gravity direction."""
    rng = np.random.default_rng(0)
    t = np.arange(n) / 50.0
    for k, (act, trial) in enumerate(ACTS):
        d = root / "motionsense" / "A_DeviceMotion_data" / f"{act}_{trial}"
        d.mkdir(parents=True, exist_ok=True)
        for s in range(1, subjects + 1):
            f, amp = 0.5 + 0.6 * k, 0.05 + 0.08 * k
            g = np.array([np.sin(0.3 * k), np.cos(0.3 * k), 0.0])
            user = amp * np.sin(2 * np.pi * f * t)[:, None] * np.array([1.0, 0.5, 0.2]) + rng.normal(0, 0.02, (n, 3))
            rot = amp * 4 * np.cos(2 * np.pi * f * t)[:, None] * np.array([0.2, 1.0, 0.5]) + rng.normal(0, 0.05, (n, 3))
            rows = [HEADER] + [f"{i},0,0,0,{g[0]:.5f},{g[1]:.5f},{g[2]:.5f},{rot[i, 0]:.5f},{rot[i, 1]:.5f},{rot[i, 2]:.5f},"
                               f"{user[i, 0]:.5f},{user[i, 1]:.5f},{user[i, 2]:.5f}" for i in range(n)]
            (d / f"sub_{s}.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data root holding the synthetic MotionSense."""
    return write_separable_motionsense(tmp_path_factory.mktemp("synth_data"))


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``kind="mujo"`` checkpoint of a randomly initialised small model with the trainable text encoder."""
    from mujo_edge.data.spec import DEFAULT_SPEC, Normalization
    from mujo_edge.models import create_model, save_mujo

    torch.manual_seed(0)
    model = create_model("tiny-hashtext", imu={"widths": [16, 32]}, text={"dim": 32}, embed_dim=32)
    norm = Normalization("standard", (0.0, 0.0, 4.0, 0.0, 0.0, 0.0), (5.0, 5.0, 5.0, 1.0, 1.0, 1.0))
    return save_mujo(tmp_path_factory.mktemp("ckpt") / "mujo", model, DEFAULT_SPEC.replace(normalization=norm),
                     "tiny-hashtext", step=1)
