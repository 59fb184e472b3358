"""Procedural motion generator: parametric, physically plausible full-body motion for the canonical
activities (see :mod:`mujo_edge.activities`), on the canonical skeleton of :mod:`mujo_edge.sim.skeleton`.

``generate("walking", style, duration_s=7.0, rate_hz=100.0, rng=rng)`` returns a :class:`Motion`.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.data.spec import STANDARD_GRAVITY
from mujo_edge.sim.motion import Motion
from mujo_edge.sim.procedural import arms, exercises, gait, postures  # noqa: F401  (register generators)
from mujo_edge.sim.procedural.base import GENERATORS, Context, Style, realize


def generate(activity: str, style: Style, duration_s: float, rate_hz: float, rng: np.random.Generator,
             gravity: float = STANDARD_GRAVITY) -> Motion:
    """One clip of ``activity`` (unknown names raise with the valid list) for subject ``style``."""
    gen = GENERATORS.get(activity)
    ctx = Context(style, duration_s, rate_hz, rng)
    return realize(gen(ctx), ctx, activity, gravity)


def activity_names() -> list[str]:
    """Activities the generator can produce."""
    return GENERATORS.names()


__all__ = ["GENERATORS", "Context", "Style", "activity_names", "generate"]
