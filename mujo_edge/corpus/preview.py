"""Preview picture of corpus clips: video frames, skeleton, IMU traces and captions, one block per clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mujo_edge.corpus.store import CorpusDataset
from mujo_edge.errors import ConfigError, require

#: Sites whose traces are drawn (when present in the corpus).
PREVIEW_SITES = ("wrist_right", "thigh_right", "waist")


def pick_clips(ds: CorpusDataset, n: int, seed: int = 0) -> list[int]:
    """``n`` clip indices covering as many different activities as possible (deterministic)."""
    if len(ds) == 0:
        raise ConfigError(f"corpus {ds.root} has no clips to preview")
    rng = np.random.default_rng(seed)
    labels = ds.labels
    order = rng.permutation(len(ds))
    chosen, seen = [], set()
    for i in order:
        if labels[i] not in seen:
            chosen.append(int(i))
            seen.add(labels[i])
        if len(chosen) == n:
            return chosen
    rest = [int(i) for i in order if int(i) not in chosen]
    return (chosen + rest)[:n]


def plot_clips(ds: CorpusDataset, indices: list[int], out: str | Path) -> Path:
    """Write a PNG with one block per clip: 8 video frames, skeleton, acc/gyro traces, captions."""
    require("matplotlib", "all", "corpus preview figures")
    from matplotlib.figure import Figure  # loaded only when a figure is drawn

    out = Path(out)
    bones = ds.meta["bones"]
    rate = ds.meta["rate_hz"]
    sites = [s for s in PREVIEW_SITES if s in ds.imu_sites]
    fig = Figure(figsize=(16, 4.2 * len(indices)))
    outer = fig.add_gridspec(len(indices), 1, hspace=0.35)
    for row, i in enumerate(indices):
        clip = ds[i]
        info = ds.clip_info(i)
        g = outer[row].subgridspec(2, 8, height_ratios=[1, 1.5], hspace=0.3, wspace=0.15)
        video = clip["video"]
        for k, f in enumerate(np.linspace(0, len(video) - 1, 8).round().astype(int)):
            ax = fig.add_subplot(g[0, k])
            ax.imshow(video[f], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{f / ds.meta['video_fps']:.1f} s", fontsize=7)
        ax = fig.add_subplot(g[1, 0:2], projection="3d")
        pose = clip["pose"]
        for t, alpha in zip(np.linspace(0, len(pose) - 1, 4).round().astype(int), (0.25, 0.45, 0.7, 1.0)):
            for a, b in bones:
                ax.plot(*pose[t, [a, b]].T, color="C0", alpha=alpha, lw=1.5)
        mid = pose[:, 0].mean(0)
        span = max(1.0, float(np.ptp(pose[..., :2], axis=(0, 1)).max()) / 2 + 0.3)
        ax.set_xlim(mid[0] - span, mid[0] + span)
        ax.set_ylim(mid[1] - span, mid[1] + span)
        ax.set_zlim(0, 2 * span)
        ax.set_title("pose (4 instants)", fontsize=8)
        ax.tick_params(labelsize=6)
        t = np.arange(len(clip["imu"])) / rate
        for col, (sl, unit, name) in enumerate(((slice(0, 3), "m/s²", "acc"), (slice(3, 6), "rad/s", "gyro"))):
            ax = fig.add_subplot(g[1, 2 + 2 * col:4 + 2 * col])
            for k, s in enumerate(sites):
                x = clip["imu"][:, ds.imu_sites.index(s), sl]
                ax.plot(t, np.linalg.norm(x, axis=1) if name == "acc" else x[:, 0], lw=0.8, color=f"C{k}",
                        label=s)
            ax.set_title(f"{'|acc|' if name == 'acc' else 'gyro x'} ({unit})", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.legend(fontsize=6, loc="upper right")
        ax = fig.add_subplot(g[1, 6:8])
        ax.axis("off")
        text = [f"{clip['label']}  ({clip['source']}, {clip['subject']})", f"id {clip['clip_id']}"]
        text += [f"• {c}" for c in clip["texts"]]
        params = info.get("params", {})
        keep = {k: v for k, v in params.items() if k not in ("height_m", "handedness")}
        text.append(", ".join(f"{k}={v}" for k, v in list(keep.items())[:4]))
        ax.text(0, 1, "\n".join(_wrap(s, 48) for s in text), va="top", fontsize=7.5, family="monospace")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, bbox_inches="tight")
    return out


def _wrap(s: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(s, width)) or s
