"""Subject-wise splits: k-fold over subjects with validation subjects, and official splits.

No split ever puts one subject in two of fit / validation / test: :class:`Fold` checks it.
The default reproduces ``evaluation_protocol.md``: subject ids sorted, permuted with
``default_rng(seed)``, ``np.array_split`` into k folds; within fold k the validation subjects are
``max(2, round(0.2 × n_train))`` of the training subjects drawn with ``default_rng(100 + k)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mujo_edge.data.windows import WindowSet, natural_key
from mujo_edge.errors import ConfigError, DataError


@dataclass(frozen=True)
class Fold:
    """One split into fit (training), validation (early stopping) and test subjects."""

    name: str
    fit_subjects: tuple[str, ...]
    val_subjects: tuple[str, ...]
    test_subjects: tuple[str, ...]

    def __post_init__(self) -> None:
        sets = [set(self.fit_subjects), set(self.val_subjects), set(self.test_subjects)]
        for a, b, what in ((0, 1, "fit and validation"), (0, 2, "fit and test"), (1, 2, "validation and test")):
            both = sets[a] & sets[b]
            if both:
                raise DataError(f"fold {self.name}: subjects {sorted(both, key=natural_key)} are in both {what}")
        if not self.fit_subjects or not self.test_subjects:
            raise DataError(f"fold {self.name}: needs at least one fit and one test subject")

    @property
    def train_subjects(self) -> tuple[str, ...]:
        """Fit plus validation subjects (those a normalization may be fitted on)."""
        return tuple(sorted(self.fit_subjects + self.val_subjects, key=natural_key))

    def indices(self, ws: WindowSet) -> dict[str, np.ndarray]:
        """Row indices of ``ws`` for ``"fit"``, ``"val"`` and ``"test"``."""
        subj = ws.subjects.astype(str)
        return {
            part: np.flatnonzero(np.isin(subj, np.asarray(s, dtype=str)))
            for part, s in (("fit", self.fit_subjects), ("val", self.val_subjects), ("test", self.test_subjects))
        }


def subject_kfold(subjects: list[str] | tuple[str, ...], k: int = 5, seed: int = 0, val_fraction: float = 0.2,
                  min_val: int = 2) -> list[Fold]:
    """Leave-subjects-out k-fold over ``subjects`` (see module docstring for the exact rule)."""
    ids = sorted({str(s) for s in subjects}, key=natural_key)
    if k < 2 or k > len(ids):
        raise ConfigError(f"k must be between 2 and the number of subjects ({len(ids)}), got {k}")
    perm = np.random.default_rng(seed).permutation(np.asarray(ids, dtype=object))
    folds = []
    for i, test in enumerate(np.array_split(perm, k)):
        train = [s for s in ids if s not in set(test)]
        n_val = max(min_val, int(round(val_fraction * len(train)))) if val_fraction > 0 else 0
        if n_val >= len(train):
            raise ConfigError(f"fold {i}: {len(train)} training subjects cannot spare {n_val} for validation")
        val = np.random.default_rng(100 + i).choice(np.asarray(train, dtype=object), n_val, replace=False)
        val_set = set(val.tolist())
        folds.append(Fold(
            name=f"fold{i}",
            fit_subjects=tuple(s for s in train if s not in val_set),
            val_subjects=tuple(sorted(val_set, key=natural_key)),
            test_subjects=tuple(sorted(test.tolist(), key=natural_key)),
        ))
    return folds


def fixed_split(name: str, subjects: list[str], test: list[str], val: list[str] | None = None,
                val_seed: int = 100, val_fraction: float = 0.2, min_val: int = 2) -> Fold:
    """A split with given test subjects (and validation subjects, else drawn as in k-fold)."""
    ids = sorted({str(s) for s in subjects}, key=natural_key)
    unknown = sorted(set(map(str, test)) - set(ids), key=natural_key)
    if unknown:
        raise DataError(f"split {name}: test subjects {unknown} are not in the data (subjects: {ids})")
    train = [s for s in ids if s not in set(map(str, test))]
    if val is None:
        n_val = max(min_val, int(round(val_fraction * len(train))))
        val = np.random.default_rng(val_seed).choice(np.asarray(train, dtype=object), n_val, replace=False).tolist()
    val_set = {str(v) for v in val}
    return Fold(name=name, fit_subjects=tuple(s for s in train if s not in val_set),
                val_subjects=tuple(sorted(val_set, key=natural_key)),
                test_subjects=tuple(sorted(map(str, test), key=natural_key)))
