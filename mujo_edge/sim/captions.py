"""Captions for corpus clips: the activity name plus varied descriptions (tempo, counts, body parts, form).

Captions of one clip are all different; captions of the same activity differ in wording between clips
(templates and canonical descriptions are drawn at random, numbers come from the clip's parameters).
"""

from __future__ import annotations

import numpy as np

from mujo_edge.activities import get_activity
from mujo_edge.sim.motion import Motion

_PACE_WORDS = {"slow": ["slowly", "at a slow pace", "unhurried"], "normal": ["at a normal pace", "at a steady pace"],
               "brisk": ["briskly", "at a brisk pace", "quickly"]}


def _tempo_phrases(m: Motion, duration_s: float, unit: str) -> list[str]:
    p = m.params
    out = []
    if "cadence_steps_per_s" in p:
        c = p["cadence_steps_per_s"]
        out += [f"about {c:.1f} steps per second", f"roughly {round(c * 60)} steps a minute",
                f"{round(c * duration_s)} steps in {duration_s:.0f} seconds"]
    if "cadence_rpm" in p:
        out += [f"pedalling at about {round(p['cadence_rpm'])} rpm", f"a cadence near {round(p['cadence_rpm'])} rpm"]
    if "period_s" in p and unit:
        per = p["period_s"]
        reps = max(1, round(duration_s / per))
        out += [f"about {reps} {unit}{'s' if reps != 1 else ''} in {duration_s:.0f} seconds",
                f"one {unit} every {per:.1f} seconds", f"{'fast' if per < 1.2 else 'slow' if per > 2.8 else 'steady'} "
                f"{unit}s, about {60 / per:.0f} per minute"]
    if p.get("speed_mps", 0) > 0.3 and m.activity in ("walking", "jogging", "running", "cycling"):
        out.append(f"moving at about {p['speed_mps'] * 3.6:.0f} km/h")
    return out


def captions(m: Motion, duration_s: float, rng: np.random.Generator, n: int = 4) -> list[str]:
    """``n`` (>= 3) distinct captions for a clip of ``m`` lasting ``duration_s`` seconds."""
    act = get_activity(m.activity)
    descs = list(act.descriptions)
    rng.shuffle(descs)
    title = act.title
    pool: list[str] = [title, descs[0], descs[1]]
    for d in m.descriptions:  # verbatim motion-capture descriptions
        if d and d.lower() != "unknown":
            pool.append(d)
            pool.append(f"motion capture of a person: {d}")
    tempo = _tempo_phrases(m, duration_s, act.unit)
    if tempo:
        pool.append(f"{title}, {tempo[int(rng.integers(len(tempo)))]}")
    pace = m.params.get("pace")
    if pace in _PACE_WORDS:
        words = _PACE_WORDS[pace]
        pool.append(f"{descs[2].rstrip('.')} {words[int(rng.integers(len(words)))]}")
    form = m.params.get("form")
    if form:
        pool.append(f"{title} ({form})")
    if act.unit and act.category in ("fitness", "strength"):
        pool.append(f"{title}, an exercise for the {act.body}")
    if m.params.get("handedness") == "left" and form and "arm" in str(form):
        pool.append(f"{title} done by a left-handed person")
    seen: set[str] = set()
    unique = [c for c in pool if not (c.lower() in seen or seen.add(c.lower()))]
    first, rest = unique[:1], unique[1:]
    order = rng.permutation(len(rest))
    out = first + [rest[i] for i in order]
    n = max(3, n)
    while len(out) < n:  # always enough wording variants
        out.append(f"{title}: {descs[(len(out)) % len(descs)]}")
    return out[:n]
