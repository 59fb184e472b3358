"""Kinematics shared by the BVH reader, the procedural generator and the virtual IMU.

Quaternions are numpy arrays in scipy's ``(x, y, z, w)`` order; a rotation ``q`` maps vectors of its
local frame to the parent (or world) frame. All functions are vectorized over leading axes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a ⊗ b`` of ``(..., 4)`` quaternions (rotation ``b`` first, then ``a``)."""
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ], axis=-1)


def qconj(q: np.ndarray) -> np.ndarray:
    """Inverse of unit quaternions ``(..., 4)``."""
    return q * np.array([-1.0, -1.0, -1.0, 1.0])


def qrot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v (..., 3)`` by unit quaternions ``q (..., 4)`` (broadcasting)."""
    u = q[..., :3]
    w = q[..., 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def qnormalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternions, with the sign made continuous along axis 0 (no 360° flips between frames)."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    if q.shape[0] > 1:
        dots = np.sum(q[1:] * q[:-1], axis=-1)
        flips = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
        q = q.copy()
        q[1:] *= flips[..., None]
    return q


def axis_angle(axis: np.ndarray | tuple[float, float, float], angle: np.ndarray | float) -> np.ndarray:
    """Quaternions ``(..., 4)`` rotating by ``angle`` radians about the unit ``axis``."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    half = 0.5 * np.asarray(angle, dtype=float)[..., None]
    return np.concatenate([np.sin(half) * axis, np.cos(half)], axis=-1)


def forward_kinematics(parents: tuple[int, ...] | np.ndarray, offsets: np.ndarray, local: np.ndarray,
                       root_pos: np.ndarray, root_rot: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions and rotations of a joint tree.

    Args:
        parents: parent index of each of the J joints (-1 for the root; parents precede children).
        offsets: ``(J, 3)`` (or ``(T, J, 3)``) offset of each joint from its parent in the parent frame.
        local: ``(T, J, 4)`` local joint rotations (the root's is its global rotation unless ``root_rot``).
        root_pos: ``(T, 3)`` root position.
        root_rot: optional ``(T, 4)`` rotation applied before the root's local rotation (heading).

    Returns:
        ``(positions (T, J, 3), rotations (T, J, 4))`` in the frame of ``root_pos``.
    """
    t, j = local.shape[:2]
    offsets = np.broadcast_to(offsets, (t, j, 3))
    rot = np.empty((t, j, 4))
    pos = np.empty((t, j, 3))
    for i, p in enumerate(parents):
        if p < 0:
            rot[:, i] = local[:, i] if root_rot is None else qmul(root_rot, local[:, i])
            pos[:, i] = root_pos + (qrot(root_rot, offsets[:, i]) if root_rot is not None else offsets[:, i])
        else:
            rot[:, i] = qmul(rot[:, p], local[:, i])
            pos[:, i] = pos[:, p] + qrot(rot[:, p], offsets[:, i])
    return pos, rot


def angular_velocity_body(q: np.ndarray, rate_hz: float) -> np.ndarray:
    """Body-frame angular velocity ``(T, 3)`` rad/s of an orientation track ``q (T, 4)`` sampled at ``rate_hz``.

    Central differences ``log(q[t-1]⁻¹ q[t+1]) / (2 dt)`` (exact for a constant rate of turn),
    one-sided at the ends; uses :mod:`scipy.spatial.transform`.
    """
    if len(q) < 2:
        return np.zeros((len(q), 3))
    dt = 1.0 / rate_hz
    r = Rotation.from_quat(q)
    out = np.empty((len(q), 3))
    if len(q) > 2:
        out[1:-1] = (r[:-2].inv() * r[2:]).as_rotvec() / (2 * dt)
    out[0] = (r[0].inv() * r[1]).as_rotvec() / dt
    out[-1] = (r[-2].inv() * r[-1]).as_rotvec() / dt
    return out


def second_derivative(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """``d²x/dt²`` along axis 0 (second-order accurate, exact for quadratics), same shape as ``x``."""
    dt = 1.0 / rate_hz
    if len(x) < 3:
        return np.zeros_like(x)
    return np.gradient(np.gradient(x, dt, axis=0, edge_order=2), dt, axis=0, edge_order=2)


def lowpass(x: np.ndarray, rate_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass of ``(T, ...)`` data along axis 0 (no-op when cutoff ≥ Nyquist)."""
    from scipy.signal import butter, sosfiltfilt

    if cutoff_hz >= 0.5 * rate_hz or len(x) < 16:
        return x
    sos = butter(order, cutoff_hz, fs=rate_hz, output="sos")
    return sosfiltfilt(sos, x, axis=0, padtype="odd", padlen=min(len(x) - 1, int(rate_hz)))


def lowpass_quat(q: np.ndarray, rate_hz: float, cutoff_hz: float) -> np.ndarray:
    """Low-pass an orientation track ``(T, ..., 4)`` (sign-continuous, filtered, renormalized)."""
    q = qnormalize(q)
    return qnormalize(lowpass(q, rate_hz, cutoff_hz))


def planar_ik(dy: np.ndarray, dz: np.ndarray, a: float, b: float, bend: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-link inverse kinematics in a sagittal (y-z) plane.

    A limb hanging along ``-z`` at rest with links ``a`` (proximal) and ``b`` (distal), metres, must reach
    the point ``(dy, dz)`` relative to its proximal joint. ``bend=+1`` bends the distal link forward
    (elbow), ``-1`` backward (knee). Returns ``(proximal, distal)`` flexion angles in degrees (positive
    proximal = forward swing; distal angle as a positive flexion magnitude). Unreachable targets are
    clamped to the reachable annulus.
    """
    d = np.clip(np.hypot(dy, dz), abs(a - b) + 1e-6, a + b - 1e-6)
    alpha = np.arctan2(dy, -dz)  # direction of the target, measured forward from straight down
    cos_knee = np.clip((a * a + b * b - d * d) / (2 * a * b), -1.0, 1.0)
    distal = np.pi - np.arccos(cos_knee)
    cos_prox = np.clip((a * a + d * d - b * b) / (2 * a * d), -1.0, 1.0)
    proximal = alpha + (1.0 if bend < 0 else -1.0) * np.arccos(cos_prox)
    return np.degrees(proximal), np.degrees(distal)


def minimum_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend ``10s³ - 15s⁴ + 6s⁵`` of ``s`` clipped to [0, 1] (zero velocity and acceleration at the ends)."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10 - 15 * s + 6 * s * s)


def keyframes(times: list[float], values: list[float], t: np.ndarray) -> np.ndarray:
    """Piecewise minimum-jerk interpolation through ``(time, value)`` keys (held before the first / after the last)."""
    times_a = np.asarray(times, dtype=float)
    vals = np.asarray(values, dtype=float)
    out = np.full(t.shape, vals[0])
    for k in range(len(times_a) - 1):
        t0, t1 = times_a[k], times_a[k + 1]
        m = (t >= t0) & (t < t1) if k < len(times_a) - 2 else t >= t0
        s = minimum_jerk((t[m] - t0) / max(t1 - t0, 1e-9))
        out[m] = vals[k] + (vals[k + 1] - vals[k]) * s
    return out


def yaw_of(q: np.ndarray, forward: tuple[float, float, float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    """Heading angle (radians, about +z) of the rotated ``forward`` axis projected on the floor."""
    f = qrot(q, np.asarray(forward, dtype=float))
    return np.arctan2(-f[..., 0], f[..., 1])
