"""Fixtures for evaluation tests: a small synthetic MotionSense-layout dataset and a random MuJo checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.data.synthetic import activity_signal

#: MotionSense folder, trial number, and the synthetic activity + device pose (rad) that stands in for it.
ACTS = (("dws", 1, "walk", 0.8), ("ups", 3, "wave", 0.0), ("wlk", 7, "walk", 0.0), ("jog", 9, "run", 0.0),
        ("std", 6, "still", 0.0), ("sit", 5, "still", 1.2))
HEADER = (",attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,rotationRate.x,rotationRate.y,"
          "rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z")


def write_separable_motionsense(root: Path, subjects: int = 6, n: int = 448) -> Path:
    """MotionSense file layout, 50 Hz, signals from :func:`mujo_edge.data.synthetic.activity_signal`.

    Core Motion splits specific force into ``gravity`` and ``userAcceleration`` (g, sign flipped); the
    loader turns them back into ``-(gravity + userAcceleration) × 9.80665`` m/s².
    """
    rng = np.random.default_rng(0)
    for act, trial, activity, pose in ACTS:
        d = root / "motionsense" / "A_DeviceMotion_data" / f"{act}_{trial}"
        d.mkdir(parents=True, exist_ok=True)
        for s in range(1, subjects + 1):
            x = activity_signal(activity, n, rng, gain=rng.uniform(0.8, 1.2), tempo=rng.uniform(0.9, 1.1),
                                orientation_rad=pose).astype(np.float64)
            g = -np.array([0.0, np.sin(pose), np.cos(pose)])  # Core Motion gravity, g
            user = -x[:, :3] / STANDARD_GRAVITY - g
            rot = x[:, 3:]
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
