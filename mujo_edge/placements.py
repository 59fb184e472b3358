"""Body placements (sensor sites) shared by the real datasets, the simulator and the IMU encoder.

Each name is one site; the simulator places virtual IMUs there and the IMU encoder learns one
embedding per site, so a model can be told where its sensor sits.
"""

from __future__ import annotations

from mujo_edge.errors import ConfigError, UnknownNameError

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

#: Where phones and watches are worn: trouser pockets, belt (front and back), hips, chest, upper arms (armband) and
#: wrists. ``pretrain --sites wearable`` samples the corpus's virtual IMU only at these 11 sites (the packaged
#: ``default`` weights and the README's leave-one-dataset-out tables; docs/pretraining.md, "wearable sites").
WEARABLE_SITES: tuple[str, ...] = ("thigh_left", "thigh_right", "hip_left", "hip_right", "waist", "lower_back", "chest",
                                   "upper_arm_left", "upper_arm_right", "wrist_left", "wrist_right")
#: Named site sets that ``expand_sites`` accepts beside single sites.
SITE_SETS: dict[str, tuple[str, ...]] = {"wearable": WEARABLE_SITES}


def expand_sites(names: str) -> tuple[str, ...]:
    """A comma list of sites and set names (:data:`SITE_SETS`) as a tuple of sites, in order, each once.

    Raises :class:`UnknownNameError` for a name that is neither a placement nor a set and :class:`ConfigError` when
    the list names nothing (``","``; "every site" is said by giving no list). A site given twice is kept once
    (``"wearable,head"`` is the 11 wearable sites and the head).
    """
    out: list[str] = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        if name in SITE_SETS:
            out += [s for s in SITE_SETS[name] if s not in out]
        elif name in PLACEMENTS:
            out += [name] if name not in out else []
        else:
            raise UnknownNameError("site", name, PLACEMENTS + tuple(SITE_SETS))
    if not out:
        raise ConfigError(f"sites {names!r} name no site; give sites or a set ({', '.join(SITE_SETS)}), or none at all "
                          "for every corpus site")
    return tuple(out)


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
