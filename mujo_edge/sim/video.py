"""Low-resolution video of a motion: the skeleton drawn as thick, depth-shaded segments from a random camera.

The camera has a random azimuth (all around), elevation and distance, follows the pelvis like a
tracking shot (so walking stays in view) and renders ``frames`` grey-scale images evenly spanning the
clip. Left limbs are drawn darker than right limbs, nearer parts brighter; the background is optional
random clutter (smooth texture and lines). Everything is deterministic for a given random generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mujo_edge.errors import ConfigError
from mujo_edge.sim.skeleton import BONES, JOINT_INDEX, JOINTS


@dataclass(frozen=True)
class VideoConfig:
    """Rendering options.

    Attributes:
        frames: frames per clip F (evenly spanning the clip).
        size: image height and width H = W, pixels.
        azimuth_deg: camera azimuth range around the body (0 = in front of the clip's initial heading).
        elevation_deg: camera elevation range above the horizon.
        distance_m: camera distance range from the pelvis.
        fov_deg: vertical field of view.
        limb_width_m: drawn limb thickness (metres, projected).
        clutter: draw a random textured background with lines.
    """

    frames: int = 16
    size: int = 64
    azimuth_deg: tuple[float, float] = (-180.0, 180.0)
    elevation_deg: tuple[float, float] = (-5.0, 35.0)
    distance_m: tuple[float, float] = (2.2, 3.5)
    fov_deg: float = 50.0
    limb_width_m: float = 0.075
    clutter: bool = True

    def __post_init__(self) -> None:
        if self.frames < 1 or self.size < 8:
            raise ConfigError(f"video needs >= 1 frame and >= 8 pixels, got {self.frames} frames of {self.size} px")
        if not (0 < self.distance_m[0] <= self.distance_m[1]) or not 5 < self.fov_deg < 170:
            raise ConfigError(f"bad camera distance {self.distance_m} or field of view {self.fov_deg}")


def _background(cfg: VideoConfig, rng: np.random.Generator) -> np.ndarray:
    """``(H, W)`` float background, 0-255."""
    from scipy.ndimage import zoom

    s = cfg.size
    base = rng.uniform(15, 60)
    if not cfg.clutter:
        return np.full((s, s), base)
    coarse = rng.uniform(-1, 1, (6, 6))
    tex = zoom(coarse, s / 6, order=3)[:s, :s] * rng.uniform(8, 25)
    img = base + tex + np.linspace(0, rng.uniform(-15, 15), s)[:, None]
    yy, xx = np.mgrid[0:s, 0:s]
    for _ in range(int(rng.integers(0, 4))):  # a few straight edges (furniture, door frames, floor line)
        ang = rng.uniform(0, np.pi)
        off = rng.uniform(-0.5, 0.5) * s
        d = np.abs((xx - s / 2) * np.cos(ang) + (yy - s / 2) * np.sin(ang) - off)
        img += rng.uniform(10, 30) * np.clip(1.2 - d, 0, 1)
    return np.clip(img, 0, 110)


def _segment_distance(px: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance ``(..., P)`` from pixel centres ``px (P, 2)`` to segments from ``a`` to ``b`` ``(..., 2)`` (float32)."""
    x, y = px[:, 0].astype(np.float32), px[:, 1].astype(np.float32)
    ax, ay = a[..., 0:1].astype(np.float32), a[..., 1:2].astype(np.float32)
    abx, aby = (b[..., 0:1] - a[..., 0:1]).astype(np.float32), (b[..., 1:2] - a[..., 1:2]).astype(np.float32)
    l2 = np.maximum(abx * abx + aby * aby, np.float32(1e-9))
    t = np.clip(((x - ax) * abx + (y - ay) * aby) / l2, 0.0, 1.0)
    dx = x - (ax + t * abx)
    dy = y - (ay + t * aby)
    return np.sqrt(dx * dx + dy * dy)


def render(positions: np.ndarray, cfg: VideoConfig, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Render ``positions (T, J, 3)`` (metres, world) to ``(F, H, W)`` uint8; returns the video and camera parameters."""
    t = positions.shape[0]
    idx = np.linspace(0, t - 1, cfg.frames).round().astype(int)
    pts = positions[idx]  # (F, J, 3)
    pelvis = positions[:, JOINT_INDEX["pelvis"]]
    # heading of the clip start: face direction from hips (right hip - left hip) rotated by 90 degrees
    hips = positions[0, JOINT_INDEX["hip_r"]] - positions[0, JOINT_INDEX["hip_l"]]
    face = np.arctan2(hips[1], hips[0]) + np.pi / 2 if np.hypot(*hips[:2]) > 1e-6 else 0.0
    az = np.radians(rng.uniform(*cfg.azimuth_deg)) + face
    el = np.radians(rng.uniform(*cfg.elevation_deg))
    dist = rng.uniform(*cfg.distance_m)
    target = np.column_stack([pelvis[idx, :2], np.full(cfg.frames, 0.5 * (pts[..., 2].max() + max(pts[..., 2].min(), 0)))])
    target += rng.normal(0, 0.08, 3)
    view = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    cam = target + dist * view  # (F, 3)
    fwd = -view
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    rel = pts - cam[:, None, :]
    xc, yc, zc = rel @ right, rel @ up, np.maximum(rel @ fwd, 0.1)
    s = cfg.size
    focal = 0.5 * s / np.tan(np.radians(cfg.fov_deg) / 2)
    uv = np.stack([s / 2 + focal * xc / zc, s / 2 - focal * yc / zc], axis=-1)  # (F, J, 2)
    depth = zc
    yy, xx = np.mgrid[0:s, 0:s]
    px = np.stack([xx.ravel() + 0.5, yy.ravel() + 0.5], axis=-1).astype(float)
    bones = np.array(BONES)
    a, b = uv[:, bones[:, 0]], uv[:, bones[:, 1]]  # (F, B, 2)
    dist_px = _segment_distance(px, a, b)  # (F, B, P)
    seg_depth = 0.5 * (depth[:, bones[:, 0]] + depth[:, bones[:, 1]])
    width = np.maximum(focal * cfg.limb_width_m / seg_depth, 1.0)  # (F, B) pixels
    cover = np.clip(width[..., None] / 2 - dist_px + 0.5, 0.0, 1.0)
    dmin, dmax = depth.min(), depth.max()
    near = 1.0 - (seg_depth - dmin) / max(dmax - dmin, 1e-6)
    side = np.array([0.72 if JOINTS[c].endswith("_l") else 1.0 for _, c in BONES])
    shade = (150 + 100 * near) * side  # (F, B)
    head = JOINT_INDEX["head_top"]
    hc = 0.5 * (uv[:, head] + uv[:, JOINT_INDEX["head"]])
    hr = np.maximum(focal * 0.1 / depth[:, head], 1.5)
    dh = np.sqrt(((px[None] - hc[:, None]) ** 2).sum(-1))
    head_cover = np.clip(hr[:, None] - dh + 0.5, 0, 1)
    fg = np.max(cover * shade[..., None], axis=1)  # (F, P)
    alpha = np.max(cover, axis=1)
    fg = np.maximum(fg, head_cover * 235)
    alpha = np.maximum(alpha, head_cover)
    bg = _background(cfg, rng).ravel()[None]
    img = alpha * fg + (1 - alpha) * bg
    video = np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).round().astype(np.uint8).reshape(cfg.frames, s, s)
    camera = {"azimuth_deg": round(float(np.degrees(az - face)), 1), "elevation_deg": round(float(np.degrees(el)), 1),
              "distance_m": round(float(dist), 2)}
    return video, camera
