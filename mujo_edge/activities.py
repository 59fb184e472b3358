"""The canonical activity vocabulary: names, several descriptions each, and maps from real datasets.

Every corpus clip is labelled with one canonical activity. :data:`DATASET_CLASSES` maps every class of
every registered real dataset to the canonical activities it corresponds to (empty tuple = no
counterpart); :func:`canonical_activity` gives the single activity (or ``None``) and
:func:`class_texts` the descriptions to use as zero-shot text prompts for a real class.
"""

from __future__ import annotations

from dataclasses import dataclass

from mujo_edge.errors import UnknownNameError


@dataclass(frozen=True)
class Activity:
    """One canonical activity.

    Attributes:
        name: identifier (``"walking"``).
        title: short human name (``"walking"``, ``"push-ups"``).
        category: ``locomotion``, ``posture``, ``transition``, ``fitness`` or ``strength``.
        descriptions: differently worded one-sentence descriptions.
        body: main body parts involved (used in captions).
        unit: what one repetition / cycle is called (``"step"``, ``"rep"``, ``"jump"``), or ``""`` for static.
    """

    name: str
    title: str
    category: str
    descriptions: tuple[str, ...]
    body: str
    unit: str = "rep"


_A = Activity
ACTIVITIES: tuple[Activity, ...] = (
    _A("walking", "walking", "locomotion", (
        "a person walking on level ground", "walking forward at a comfortable pace",
        "someone strolling along, legs alternating steps and arms swinging", "a walk on flat ground"), "legs", "step"),
    _A("jogging", "jogging", "locomotion", (
        "a person jogging at an easy pace", "slow running with short flight phases",
        "someone jogging, elbows bent and feet bouncing off the ground", "light running"), "legs", "step"),
    _A("running", "running", "locomotion", (
        "a person running fast", "running with long strides and a strong arm swing",
        "someone sprinting or running at speed", "a fast run with both feet leaving the ground"), "legs", "step"),
    _A("stairs_up", "climbing stairs", "locomotion", (
        "a person walking up a staircase", "climbing stairs step by step",
        "someone going upstairs, lifting the knees onto each step", "ascending a flight of stairs"), "legs", "step"),
    _A("stairs_down", "descending stairs", "locomotion", (
        "a person walking down a staircase", "going downstairs step by step",
        "someone descending stairs, lowering the body onto each step", "walking down a flight of stairs"),
       "legs", "step"),
    _A("sitting", "sitting", "posture", (
        "a person sitting on a chair", "sitting still, maybe typing or looking at a phone",
        "someone seated at a desk", "sitting down and resting"), "whole body", ""),
    _A("standing", "standing", "posture", (
        "a person standing still", "standing upright in place, shifting weight a little",
        "someone standing and waiting", "quiet standing"), "whole body", ""),
    _A("lying", "lying down", "posture", (
        "a person lying down", "lying on the back or side, resting", "someone lying flat on the floor or in bed",
        "a person asleep or resting horizontally"), "whole body", ""),
    _A("sit_to_stand", "standing up", "transition", (
        "a person getting up from a chair", "standing up from a seated position",
        "someone rising from sitting to standing", "a sit-to-stand transition"), "legs", ""),
    _A("stand_to_sit", "sitting down", "transition", (
        "a person sitting down on a chair", "lowering from standing into a seat",
        "someone going from standing to sitting", "a stand-to-sit transition"), "legs", ""),
    _A("jumping", "jumping", "fitness", (
        "a person jumping up and down", "jumping in place or forward with both feet",
        "someone doing repeated jumps", "hops with both feet leaving the ground"), "legs", "jump"),
    _A("jumping_jacks", "jumping jacks", "fitness", (
        "a person doing jumping jacks", "star jumps: arms overhead as the feet jump apart",
        "someone doing jumping jacks, hopping the legs out and in", "jumping jack exercise"), "whole body", "jack"),
    _A("squats", "squats", "fitness", (
        "a person doing squats", "bending the knees and hips to lower the body, then standing back up",
        "someone performing bodyweight or dumbbell squats", "squat exercise"), "legs", "rep"),
    _A("lunges", "lunges", "fitness", (
        "a person doing lunges", "stepping forward and lowering the back knee towards the floor",
        "someone performing alternating forward lunges", "lunge exercise"), "legs", "rep"),
    _A("push_ups", "push-ups", "fitness", (
        "a person doing push-ups", "lowering the chest to the floor and pushing back up with the arms",
        "someone performing press-ups on the floor", "push-up exercise"), "arms and chest", "rep"),
    _A("sit_ups", "sit-ups", "fitness", (
        "a person doing sit-ups", "lying on the back and curling the trunk up towards the knees",
        "someone performing crunches or sit-ups", "abdominal sit-up exercise"), "trunk", "rep"),
    _A("burpees", "burpees", "fitness", (
        "a person doing burpees", "squat, kick back into a plank, jump in and jump up",
        "someone performing burpees at a steady pace", "burpee exercise"), "whole body", "burpee"),
    _A("bicep_curls", "bicep curls", "strength", (
        "a person doing bicep curls", "bending the elbows to curl dumbbells up to the shoulders",
        "someone curling weights with the arms", "dumbbell curl exercise"), "arms", "rep"),
    _A("shoulder_press", "shoulder press", "strength", (
        "a person doing a shoulder press", "pressing dumbbells from the shoulders overhead",
        "someone performing an overhead press", "dumbbell shoulder press exercise"), "arms and shoulders", "rep"),
    _A("lateral_raises", "lateral raises", "strength", (
        "a person doing lateral raises", "lifting the arms sideways to shoulder height",
        "someone raising dumbbells out to the sides", "lateral shoulder raise exercise"), "shoulders", "rep"),
    _A("front_raises", "front raises", "strength", (
        "a person doing front raises", "lifting straight arms forward to shoulder height",
        "someone raising dumbbells in front of the body", "frontal arm elevation exercise"), "shoulders", "rep"),
    _A("triceps_extensions", "triceps extensions", "strength", (
        "a person doing overhead triceps extensions", "straightening the elbows to lift a weight overhead",
        "someone performing triceps extensions", "overhead triceps exercise"), "arms", "rep"),
    _A("dumbbell_rows", "dumbbell rows", "strength", (
        "a person doing bent-over dumbbell rows", "leaning forward and pulling a dumbbell up to the hip",
        "someone rowing a weight with the back and arm", "bent-over row exercise"), "back and arms", "rep"),
    _A("high_knees", "high knees", "fitness", (
        "a person doing high knees", "running in place lifting the knees to hip height",
        "someone jogging on the spot with high knee lifts", "high knee drill"), "legs", "step"),
    _A("mountain_climbers", "mountain climbers", "fitness", (
        "a person doing mountain climbers", "in a plank, driving the knees to the chest in turn",
        "someone performing mountain climbers on the floor", "mountain climber exercise"), "whole body", "step"),
    _A("plank", "plank", "fitness", (
        "a person holding a plank", "holding the body straight on forearms or hands and toes",
        "someone in a static plank position", "plank hold exercise"), "trunk", ""),
    _A("cycling", "cycling", "locomotion", (
        "a person riding a bicycle", "pedalling on a bike",
        "someone cycling on the road or on a stationary bike", "bike riding"), "legs", "pedal stroke"),
    _A("waist_bends", "waist bends", "fitness", (
        "a person bending forward at the waist", "bending the trunk forward and coming back up",
        "someone doing forward waist bends", "trunk flexion exercise"), "trunk", "rep"),
)

#: Canonical activity names, in vocabulary order (the corpus' ``label_index``).
ACTIVITY_NAMES: tuple[str, ...] = tuple(a.name for a in ACTIVITIES)
_BY_NAME = {a.name: a for a in ACTIVITIES}


def get_activity(name: str) -> Activity:
    """The activity named ``name`` (unknown names raise with the valid list)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownNameError("activity", name, ACTIVITY_NAMES) from None


def activity_index(name: str) -> int:
    """Index of ``name`` in :data:`ACTIVITY_NAMES`."""
    get_activity(name)
    return ACTIVITY_NAMES.index(name)


_CURL = ("bicep_curls",)
_ROW = ("dumbbell_rows",)
#: Real dataset class → canonical activities (empty: no counterpart in the vocabulary).
DATASET_CLASSES: dict[str, dict[str, tuple[str, ...]]] = {
    "motionsense": {"walking_downstairs": ("stairs_down",), "walking_upstairs": ("stairs_up",), "walking": ("walking",),
                    "jogging": ("jogging",), "standing": ("standing",), "sitting": ("sitting",)},
    "usc_had": {"walking_forward": ("walking",), "walking_left": (), "walking_right": (), "walking_upstairs": ("stairs_up",),
                "walking_downstairs": ("stairs_down",), "running_forward": ("running",), "jumping_up": ("jumping",),
                "sitting": ("sitting",), "standing": ("standing",), "sleeping": ("lying",), "elevator_up": (),
                "elevator_down": ()},
    "uci_hapt": {"walking": ("walking",), "walking_upstairs": ("stairs_up",), "walking_downstairs": ("stairs_down",),
                 "sitting": ("sitting",), "standing": ("standing",), "laying": ("lying",),
                 "stand_to_sit": ("stand_to_sit",), "sit_to_stand": ("sit_to_stand",), "sit_to_lie": (),
                 "lie_to_sit": (), "stand_to_lie": (), "lie_to_stand": ()},
    "hmp": {"brush_teeth": (), "climb_stairs": ("stairs_up",), "comb_hair": (), "descend_stairs": ("stairs_down",),
            "drink_glass": (), "eat_meat": (), "eat_soup": (), "getup_bed": (), "liedown_bed": (), "pour_water": (),
            "sitdown_chair": ("stand_to_sit",), "standup_chair": ("sit_to_stand",), "use_telephone": (),
            "walk": ("walking",)},
    "mmfit": {"squats": ("squats",), "lunges": ("lunges",), "bicep_curls": _CURL, "situps": ("sit_ups",),
              "pushups": ("push_ups",), "tricep_extensions": ("triceps_extensions",), "dumbbell_rows": _ROW,
              "jumping_jacks": ("jumping_jacks",), "dumbbell_shoulder_press": ("shoulder_press",),
              "lateral_shoulder_raises": ("lateral_raises",)},
    "myogym": {"seated_cable_rows": (), "one_arm_dumbbell_row": _ROW, "wide_grip_pulldown_behind_the_neck": (),
               "bent_over_barbell_row": _ROW, "reverse_grip_bent_over_row": _ROW, "wide_grip_front_pulldown": (),
               "bench_press": (), "incline_dumbbell_flyes": (), "incline_dumbbell_press": (), "dumbbell_flyes": (),
               "pushups": ("push_ups",), "leverage_chest_press": (), "close_grip_barbell_bench_press": (),
               "bar_skullcrusher": (), "triceps_pushdown": (), "bench_dip": (),
               "overhead_triceps_extension": ("triceps_extensions",), "tricep_dumbbell_kickback": (),
               "spider_curl": _CURL, "dumbbell_alternate_bicep_curl": _CURL, "incline_hammer_curl": _CURL,
               "concentration_curl": _CURL, "cable_curl": _CURL, "hammer_curl": _CURL, "upright_barbell_row": (),
               "side_lateral_raise": ("lateral_raises",), "front_dumbbell_raise": ("front_raises",),
               "seated_dumbbell_shoulder_press": ("shoulder_press",), "car_drivers": (), "lying_rear_delt_raise": ()},
    "mhealth": {"standing_still": ("standing",), "sitting_and_relaxing": ("sitting",), "lying_down": ("lying",),
                "walking": ("walking",), "climbing_stairs": ("stairs_up",), "waist_bends_forward": ("waist_bends",),
                "frontal_elevation_of_arms": ("front_raises",), "knees_bending": ("squats",), "cycling": ("cycling",),
                "jogging": ("jogging",), "running": ("running",), "jump_front_and_back": ("jumping",)},
}
_WISDM = {"walking": ("walking",), "jogging": ("jogging",), "stairs": ("stairs_up", "stairs_down"),
          "sitting": ("sitting",), "standing": ("standing",), "kicking": ()}
DATASET_CLASSES["wisdm2019"] = {**_WISDM, **{c: () for c in (
    "typing", "brushing_teeth", "eating_soup", "eating_chips", "eating_pasta", "drinking", "eating_sandwich",
    "playing_catch", "dribbling", "writing", "clapping", "folding_clothes")}}
DATASET_CLASSES["wisdm2019_watch6"] = dict(_WISDM)

#: CMU motion-capture heuristic labels (``activity_label`` of the mocap manifest) → canonical activity.
CMU_LABELS: dict[str, str | None] = {
    "walk": "walking", "jog": "jogging", "run": "running", "jump": "jumping", "jumping_jacks": "jumping_jacks",
    "squat": "squats", "lunge": "lunges", "stairs": None, "sit_stand": None, "stretch": None, "exercise": None,
    "boxing": None, "dance": None, "sport": None, "daily_living": None, "other": None,
}


def _classes(dataset: str) -> dict[str, tuple[str, ...]]:
    try:
        return DATASET_CLASSES[dataset]
    except KeyError:
        raise UnknownNameError("dataset with an activity map", dataset, DATASET_CLASSES) from None


def canonical_activities(dataset: str, class_name: str) -> tuple[str, ...]:
    """Every canonical activity a real class corresponds to (``()`` when none)."""
    classes = _classes(dataset)
    if class_name not in classes:
        raise UnknownNameError(f"class of {dataset}", class_name, classes)
    return classes[class_name]


def canonical_activity(dataset: str, class_name: str) -> str | None:
    """The one canonical activity of a real class, or ``None`` (no counterpart, or ambiguous like WISDM 'stairs')."""
    acts = canonical_activities(dataset, class_name)
    return acts[0] if len(acts) == 1 else None


def class_texts(dataset: str, class_name: str) -> list[str]:
    """Text prompts for a real class: the descriptions of its canonical activities, or its own name in words."""
    acts = canonical_activities(dataset, class_name)
    if not acts:
        words = class_name.replace("_", " ")
        return [f"a person {words}", words]
    texts: list[str] = []
    for a in acts:
        act = get_activity(a)
        texts += [act.title, *act.descriptions]
    return texts


def overlap(dataset: str) -> dict[str, tuple[str, ...]]:
    """Classes of ``dataset`` that have canonical counterparts, with those activities."""
    return {c: a for c, a in _classes(dataset).items() if a}
