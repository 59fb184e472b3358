"""The linear probe of ``evaluate --modes linear``: converged, scale-free, penalty chosen on validation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mujo_edge.errors import ConfigError
from mujo_edge.eval.probe import L2_GRID, fit_linear_probe


def _blobs(n: int, seed: int, k: int = 4, dim: int = 16, spread: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(0, 1, (k, dim))
    y = rng.integers(0, k, n)
    return (centres[y] + rng.normal(0, spread, (n, dim))).astype(np.float32), y


def test_the_probe_reaches_the_logistic_regression_optimum() -> None:
    x, y = _blobs(600, 0)
    xv, yv = _blobs(300, 1)
    xt, _ = _blobs(500, 2)
    probe = fit_linear_probe(x, y, xv, yv, 4, grid=(1e-3,))
    # the same objective in scikit-learn: C * sum CE + ||W||^2 / 2  ==  n * C * (mean CE + ||W||^2 / (2 n C))
    std = (x - probe.mean) / probe.std
    ref = LogisticRegression(C=1 / (2 * len(x) * 1e-3), max_iter=5000, tol=1e-10).fit(std, y)
    agree = (probe.predict(xt) == ref.predict((xt - probe.mean) / probe.std)).mean()
    assert agree >= 0.99 and np.allclose(probe.weight, ref.coef_ - ref.coef_.mean(0), atol=0.05)


def test_the_probe_ignores_feature_scale_and_is_deterministic() -> None:
    x, y = _blobs(400, 0)
    xv, yv = _blobs(200, 1)
    xt, _ = _blobs(300, 2)
    scale = np.geomspace(1e-3, 1e3, x.shape[1]).astype(np.float32)  # raw encoder features span decades
    a = fit_linear_probe(x, y, xv, yv, 4)
    b = fit_linear_probe(x * scale, y, xv * scale, yv, 4)
    again = fit_linear_probe(x, y, xv, yv, 4)
    assert (a.predict(xt) == b.predict(xt * scale)).mean() >= 0.99
    assert a.l2 == again.l2 and np.array_equal(a.weight, again.weight)


def test_the_penalty_is_chosen_on_the_validation_windows() -> None:
    # 20 training windows in 16 dimensions: unpenalised, the fit memorises noise; validation must pick a penalty
    x, y = _blobs(20, 0, spread=3.0)
    xv, yv = _blobs(400, 1, spread=3.0)
    probe = fit_linear_probe(x, y, xv, yv, 4)
    assert probe.l2 in L2_GRID
    scored = {l2: fit_linear_probe(x, y, xv, yv, 4, grid=(l2,)).val_f1 for l2 in L2_GRID}
    assert probe.val_f1 == max(scored.values()) and scored[probe.l2] == probe.val_f1
    assert probe.l2 == max(l2 for l2, f1 in scored.items() if f1 == probe.val_f1)  # ties go to the stronger penalty


def test_bad_probe_inputs_raise() -> None:
    x, y = _blobs(50, 0)
    with pytest.raises(ConfigError, match="validation windows, got 50 and 0"):
        fit_linear_probe(x, y, x[:0], y[:0], 4)
    with pytest.raises(ConfigError, match="feature shapes differ"):
        fit_linear_probe(x, y, x[:, :8], y, 4)
    with pytest.raises(ConfigError, match="at least one L2 penalty"):
        fit_linear_probe(x, y, x, y, 4, grid=())
