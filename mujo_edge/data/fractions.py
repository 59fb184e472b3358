"""Label-fraction sampling: stratified, seeded and nested (1 % ⊂ 2 % ⊂ 5 % ⊂ 10 % ⊂ 100 %).

For each class (in index order) one permutation of its windows is drawn from a single
``default_rng(seed)``; a fraction ``p`` takes the first ``max(1, round(p · n_class))`` of it. The
same permutation serves every fraction, which makes the sets nested by construction.
"""

from __future__ import annotations

import numpy as np

from mujo_edge.errors import ConfigError

DEFAULT_FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 1.0)


def check_fraction(p: float) -> float:
    """Return ``p`` if it is in (0, 1], else raise :class:`ConfigError`."""
    if not (0.0 < float(p) <= 1.0):
        raise ConfigError(f"label fraction must be in (0, 1], got {p}")
    return float(p)


def class_permutations(y: np.ndarray, seed: int) -> dict[int, np.ndarray]:
    """One seeded permutation of the row indices of each class present in ``y``."""
    rng = np.random.default_rng(seed)
    return {int(c): rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)}


def label_fractions(y: np.ndarray, fractions: tuple[float, ...] | list[float], seed: int) -> dict[float, np.ndarray]:
    """Sorted row indices of each fraction's labelled subset of ``y`` (``(N,)`` class indices)."""
    perms = class_permutations(np.asarray(y), seed)
    out = {}
    for p in fractions:
        p = check_fraction(p)
        parts = [perm[: max(1, int(round(p * len(perm))))] for perm in perms.values()]
        out[p] = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    return out


def label_fraction(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted row indices of one fraction (see :func:`label_fractions`)."""
    return label_fractions(y, [fraction], seed)[check_fraction(fraction)]
