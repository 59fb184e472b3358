"""A motion on the canonical skeleton: joint positions and segment orientations over time.

Both motion sources (BVH motion capture, procedural generator) produce :class:`Motion` objects; the
virtual IMU, the video renderer and the captioner consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mujo_edge.errors import DataError
from mujo_edge.sim.skeleton import JOINTS, MIRROR_PERM

_MIRROR_X = np.diag([-1.0, 1.0, 1.0])


@dataclass
class Motion:
    """Joint positions and orientations of one subject over time (see :mod:`mujo_edge.sim.skeleton`).

    Attributes:
        rate_hz: frame rate, Hz.
        positions: ``(T, J, 3)`` joint positions, metres, world frame (Z up, floor at z = 0).
        rotations: ``(T, J, 4)`` segment orientations (x, y, z, w), segment frame → world.
        activity: canonical activity name (see :mod:`mujo_edge.activities`).
        subject: motion subject id (``"cmu_13"``, ``"proc_0042"``).
        source: ``"mocap"`` or ``"procedural"``.
        descriptions: free-text descriptions of this motion (e.g. the CMU trial description).
        params: generator parameters (tempo, repetitions, form, ...) used by the captioner.
        meta: anything else (source file, looping, dropped frames).
    """

    rate_hz: float
    positions: np.ndarray
    rotations: np.ndarray
    activity: str
    subject: str
    source: str
    descriptions: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        j = len(JOINTS)
        t = self.positions.shape[0]
        if self.positions.shape != (t, j, 3) or self.rotations.shape != (t, j, 4):
            raise DataError(f"motion {self.subject}/{self.activity}: positions {self.positions.shape} and rotations "
                            f"{self.rotations.shape} must be (T, {j}, 3) and (T, {j}, 4)")
        if not (np.isfinite(self.positions).all() and np.isfinite(self.rotations).all()):
            raise DataError(f"motion {self.subject}/{self.activity}: positions or rotations contain NaN/inf")

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.positions.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.n_frames / self.rate_hz

    def crop(self, start: int, stop: int) -> Motion:
        """Frames ``start:stop`` as a new motion."""
        if not 0 <= start < stop <= self.n_frames:
            raise DataError(f"cannot crop frames {start}:{stop} of a {self.n_frames}-frame motion")
        return Motion(self.rate_hz, self.positions[start:stop].copy(), self.rotations[start:stop].copy(), self.activity,
                      self.subject, self.source, self.descriptions, dict(self.params), dict(self.meta))

    def mirrored(self) -> Motion:
        """Left/right mirror image (x → -x, left and right joints swapped); handedness flips."""
        pos = self.positions[:, MIRROR_PERM] @ _MIRROR_X
        q = self.rotations[:, MIRROR_PERM]
        # M R M for M = diag(-1, 1, 1): quaternion (x, y, z, w) -> (x, -y, -z, w)
        rot = q * np.array([1.0, -1.0, -1.0, 1.0])
        params = dict(self.params)
        if "handedness" in params:
            params["handedness"] = {"left": "right", "right": "left"}.get(params["handedness"], params["handedness"])
        meta = dict(self.meta, mirrored=not self.meta.get("mirrored", False))
        return Motion(self.rate_hz, pos, rot, self.activity, self.subject, self.source, self.descriptions, params, meta)

