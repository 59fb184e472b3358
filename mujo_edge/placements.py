"""Body placements (sensor sites) shared by the real datasets, the simulator and the IMU encoder.

Each name is one site; the simulator places virtual IMUs there and the IMU encoder learns one
embedding per site, so a model can be told where its sensor sits.
"""

from __future__ import annotations

from mujo_edge.errors import UnknownNameError

#: Canonical sensor sites, in the order of the IMU encoder's site embedding table.
PLACEMENTS: tuple[str, ...] = (
    "head",
    "chest",
    "upper_back",
    "lower_back",
    "waist",
    "hip_left",
    "hip_right",
    "upper_arm_left",
    "upper_arm_right",
    "forearm_left",
    "forearm_right",
    "wrist_left",
    "wrist_right",
    "thigh_left",
    "thigh_right",
    "shin_left",
    "shin_right",
    "ankle_left",
    "ankle_right",
)


def check_placement(name: str, allow_any: bool = False) -> str:
    """Return ``name`` if it is a known placement (or ``"any"`` when allowed), else raise."""
    if name in PLACEMENTS or (allow_any and name == "any"):
        return name
    valid = PLACEMENTS + (("any",) if allow_any else ())
    raise UnknownNameError("placement", name, valid)


def placement_index(name: str) -> int:
    """Index of a placement in :data:`PLACEMENTS` (the IMU encoder's site embedding row)."""
    check_placement(name)
    return PLACEMENTS.index(name)
