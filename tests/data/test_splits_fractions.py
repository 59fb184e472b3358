"""Subject-wise splits and nested stratified label fractions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mujo_edge.data import Fold, fixed_split, label_fractions, subject_kfold
from mujo_edge.errors import ConfigError, DataError

# From evaluation_protocol.md (seed 0): test and validation subjects of fold 0..4.
PROTOCOL = {
    24: ([[5, 11, 12, 19, 22], [3, 4, 7, 23, 24], [1, 9, 13, 17, 21], [6, 8, 14, 18, 20], [2, 10, 15, 16]],
         [[3, 15, 16, 18], [8, 10, 16, 20], [4, 10, 12, 15], [2, 5, 7, 11], [8, 14, 18, 20]]),
    14: ([[1, 3, 4], [5, 6, 8], [11, 12, 14], [7, 10, 13], [2, 9]],
         [[11, 13], [4, 14], [2, 5], [4, 6], [10, 13]]),
    30: ([[3, 5, 11, 12, 22, 27], [7, 17, 19, 24, 26, 29], [1, 4, 9, 13, 20, 30], [6, 8, 14, 15, 18, 21],
          [2, 10, 16, 23, 25, 28]],
         [[2, 4, 18, 20, 23], [4, 8, 10, 18, 23], [6, 8, 12, 16, 18], [2, 7, 9, 16, 24], [8, 9, 18, 19, 21]]),
}


@pytest.mark.parametrize("n", sorted(PROTOCOL))
def test_kfold_reproduces_the_published_folds(n):
    folds = subject_kfold([str(i) for i in range(1, n + 1)], k=5, seed=0)
    tests, vals = PROTOCOL[n]
    assert [list(map(int, f.test_subjects)) for f in folds] == tests
    assert [list(map(int, f.val_subjects)) for f in folds] == vals


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 40), k=st.integers(2, 5), seed=st.integers(0, 1000))
def test_kfold_invariants(n, k, seed):
    subjects = [f"s{i}" for i in range(n)]
    folds = subject_kfold(subjects, k=k, seed=seed, val_fraction=0.2, min_val=1)
    tested = [s for f in folds for s in f.test_subjects]
    assert sorted(tested) == sorted(subjects)  # every subject tested exactly once
    for f in folds:
        parts = [set(f.fit_subjects), set(f.val_subjects), set(f.test_subjects)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert parts[0] | parts[1] | parts[2] == set(subjects)


def test_fold_refuses_a_subject_in_two_parts():
    with pytest.raises(DataError, match=r"\['3'\].*fit and test"):
        Fold("bad", ("1", "2", "3"), ("4",), ("3", "5"))


def test_fold_indices_split_windows_by_subject():
    subj = np.array(["1", "1", "2", "3", "3", "4"])
    ws = type("W", (), {"subjects": subj})()
    idx = Fold("f", ("1", "4"), ("2",), ("3",)).indices(ws)
    assert idx["fit"].tolist() == [0, 1, 5] and idx["val"].tolist() == [2] and idx["test"].tolist() == [3, 4]


def test_fixed_split_and_errors():
    f = fixed_split("official", [str(i) for i in range(1, 11)], test=["9", "10"], val=["7", "8"])
    assert f.fit_subjects == ("1", "2", "3", "4", "5", "6")
    with pytest.raises(DataError, match="99"):
        fixed_split("x", ["1", "2", "3"], test=["99"])
    with pytest.raises(ConfigError, match="k must be"):
        subject_kfold(["1", "2"], k=5)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=2, max_size=8), seed=st.integers(0, 10_000))
def test_fractions_are_nested_stratified_and_seeded(sizes, seed):
    y = np.random.default_rng(seed).permutation(np.repeat(np.arange(len(sizes)), sizes))
    fr = label_fractions(y, [0.01, 0.02, 0.05, 0.1, 1.0], seed)
    keys = [0.01, 0.02, 0.05, 0.1, 1.0]
    for a, b in zip(keys, keys[1:]):
        assert set(fr[a]) <= set(fr[b])
    for p in keys:
        per_class = np.bincount(y[fr[p]], minlength=len(sizes))
        assert (per_class >= 1).all()
        assert per_class.tolist() == [max(1, round(p * n)) for n in sizes]
    again = label_fractions(y, keys, seed)
    assert all(np.array_equal(fr[p], again[p]) for p in keys)


def test_invalid_fraction_is_an_error():
    with pytest.raises(ConfigError, match="1.5"):
        label_fractions(np.zeros(10, int), [1.5], 0)
