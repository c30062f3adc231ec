"""Linear regression: GD equals lstsq to 1e-6, SGD gets close, data objectives compile without unrolling."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from symcalc.regression import linear_regression, mse_expression

import symcalc as sc


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3))
    return X, X @ np.array([2.0, -1.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=3000)


def test_gradient_descent_equals_the_closed_form(data) -> None:
    fit = linear_regression(*data)
    np.testing.assert_allclose(
        fit.params,
        np.linalg.lstsq(np.hstack([data[0], np.ones((3000, 1))]), data[1], rcond=None)[0],
        atol=1e-6,
    )
    assert fit.max_abs_difference < 1e-6 and fit.history[0] > fit.history[-1]


def test_minibatch_sgd_gets_close(data) -> None:
    fit = linear_regression(*data, method="sgd", batch_size=32, epochs=20, lr=0.01)
    assert fit.max_abs_difference < 0.02


def test_too_large_a_step_is_reported(data) -> None:
    with pytest.raises(sc.OptimizationError, match="diverged"):
        linear_regression(*data, lr=10.0, max_iter=2000)


def test_gradient_trace_is_a_sum_over_the_data(data) -> None:
    d = linear_regression(*data).gradient_trace(0)
    assert any(s.rule == "sum_index" for s in d.walk())
    assert isinstance(d.result, sympy.Expr) and d.result.has(sympy.Sum)


def test_data_objective_compiles_to_the_same_numbers(data) -> None:
    X, y = data
    expr, params = mse_expression(3)
    fn = sc.compile(expr, params, data={"X": X, "y": y})
    theta = np.array([1.0, 2.0, -1.0, 0.5])
    A = np.hstack([X, np.ones((len(X), 1))])
    r = A @ theta - y
    assert fn.f(theta) == pytest.approx(float(r @ r) / len(X), rel=1e-12)
    np.testing.assert_allclose(fn.grad(theta), 2 / len(X) * A.T @ r, rtol=1e-10)
    np.testing.assert_allclose(fn.hess(theta), 2 / len(X) * A.T @ A, rtol=1e-10)
    res = sc.minimize(fn, np.zeros(4), "newton", max_iter=5)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, y, rcond=None)[0], atol=1e-8)


def test_regression_fit_plot(tmp_path) -> None:
    from symcalc.plotting import regression_fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=100)
    y = 2 * X + 1 + 0.1 * rng.normal(size=100)
    fit = linear_regression(X, y)
    fig = regression_fit(X, y, fit.params, closed_form=fit.closed_form, save=tmp_path / "fit.png")
    assert (tmp_path / "fit.png").exists() and len(fig.axes[0].lines) == 3
