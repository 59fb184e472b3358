"""Pictures of a prepared dataset: example windows per class and the class histogram (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mujo_edge.data.spec import ACC_CHANNELS, GYRO_CHANNELS
from mujo_edge.data.windows import WindowSet


def plot_dataset(ws: WindowSet, out: str | Path, seed: int = 0) -> Path:
    """Save a PNG: one row per class with an example window (acc, gyro) and a class histogram.

    The example of each class is drawn at random (``seed``) from its windows; time axis in seconds.
    """
    from matplotlib.figure import Figure  # loaded only when a figure is drawn

    rng = np.random.default_rng(seed)
    k = ws.num_classes
    t = np.arange(ws.spec.window) / ws.spec.rate_hz
    acc = [ws.spec.channels.index(c) for c in ACC_CHANNELS if c in ws.spec.channels]
    gyro = [ws.spec.channels.index(c) for c in GYRO_CHANNELS if c in ws.spec.channels and ws.channel_mask[ws.spec.channels.index(c)]]
    ncols = 3 if gyro else 2
    fig = Figure(figsize=(4.2 * ncols, 1.5 * k + 1.5), constrained_layout=True)
    grid = fig.add_gridspec(k, ncols)
    for i, name in enumerate(ws.class_names):
        rows = np.flatnonzero(ws.y == i)
        ax_a = fig.add_subplot(grid[i, 0])
        ax_g = fig.add_subplot(grid[i, 1]) if gyro else None
        if len(rows):
            r = int(rng.choice(rows))
            for j, c in zip(acc, "rgb"):
                ax_a.plot(t, ws.x[r, :, j], c, lw=0.8, label=ws.spec.channels[j])
            if ax_g is not None:
                for j, c in zip(gyro, "rgb"):
                    ax_g.plot(t, ws.x[r, :, j], c, lw=0.8, label=ws.spec.channels[j])
            ax_a.set_title(f"{name}  (subject {ws.subjects[r]})", fontsize=8, loc="left")
        else:
            ax_a.set_title(f"{name}  (no windows)", fontsize=8, loc="left")
        ax_a.set_ylabel("m/s²", fontsize=7)
        ax_a.tick_params(labelsize=6)
        if ax_g is not None:
            ax_g.set_ylabel("rad/s", fontsize=7)
            ax_g.tick_params(labelsize=6)
        if i == 0:
            ax_a.legend(fontsize=6, ncol=3, loc="upper right")
            if ax_g is not None:
                ax_g.legend(fontsize=6, ncol=3, loc="upper right")
        if i == k - 1:
            ax_a.set_xlabel("s", fontsize=7)
            if ax_g is not None:
                ax_g.set_xlabel("s", fontsize=7)
    ax_h = fig.add_subplot(grid[:, ncols - 1])
    counts = np.bincount(ws.y, minlength=k)
    ax_h.barh(np.arange(k), counts, color="tab:blue")
    ax_h.set_yticks(np.arange(k), ws.class_names, fontsize=7)
    ax_h.invert_yaxis()
    ax_h.set_xlabel("windows", fontsize=8)
    for i, c in enumerate(counts):
        ax_h.text(c, i, f" {c}", va="center", fontsize=6)
    fig.suptitle(f"{ws.dataset}: {len(ws)} windows of {ws.spec.window_seconds:.2f} s at {ws.spec.rate_hz:g} Hz, "
                 f"{len(ws.subject_ids)} subjects, placement {ws.placement}", fontsize=10)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
