"""Objectives over data (issues 19 and 20): the text a student types, the values of hand-written NumPy, the
errors that name the culprit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy

import symcalc as sc

RNG = np.random.default_rng(7)
M, K = 300, 3
X = RNG.normal(size=(M, K))
Y01 = (RNG.random(M) < 0.5).astype(float)
YR = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * RNG.normal(size=M)
COLUMNS = {f"x{k + 1}": X[:, k] for k in range(K)}
Z = " + ".join(f"w{k + 1}*x{k + 1}" for k in range(K))
WS = [f"w{k + 1}" for k in range(K)]
THETA = np.array([0.4, -0.3, 0.8])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def close(a: object, b: object) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_logistic_regression_in_text_equals_hand_numpy() -> None:
    text = f"mean(-(y*log(sigmoid({Z})) + (1 - y)*log(1 - sigmoid({Z}))))"
    fn = sc.compile(text, WS, data={**COLUMNS, "y": Y01})
    z = X @ THETA
    p = sigmoid(z)
    close(fn.f(THETA), np.mean(np.logaddexp(0, z) - Y01 * z))
    close(fn.grad(THETA), X.T @ (p - Y01) / M)
    close(fn.hess(THETA), X.T @ ((p * (1 - p))[:, None] * X) / M)
    value, grad = fn.value_and_grad(THETA)
    close(value, fn.f(THETA))
    close(grad, fn.grad(THETA))


@pytest.mark.parametrize("form", ["text", "2-D", "Sum"])
def test_least_squares_every_way_of_writing_it(form: str) -> None:
    theta = np.array([0.5, 1.0, -1.0, 0.2])
    A = np.hstack([X, np.ones((M, 1))])
    r = A @ theta - YR
    if form == "text":
        fn = sc.compile(f"mean(({Z} + b - y)^2)", [*WS, "b"], data={**COLUMNS, "y": YR})
    elif form == "2-D":  # a 2-D array X gives the columns X1, X2, X3
        fn = sc.compile("mean((w1*X1 + w2*X2 + w3*X3 + b - y)^2)", [*WS, "b"], data={"X": X, "y": YR})
    else:
        expr, params = sc.regression.mse_expression(K)
        fn = sc.compile(expr, params, data={"X": X, "y": YR})
    close(fn.f(theta), r @ r / M)
    close(fn.grad(theta), 2 / M * A.T @ r)
    close(fn.hess(theta), 2 / M * A.T @ A)
    res = sc.minimize(fn, np.zeros(4), "newton", max_iter=5)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, YR, rcond=None)[0], atol=1e-8)


def test_sum_constants_and_terms_outside_the_sum() -> None:
    x, y = X[:, 0], YR
    fn = sc.compile("sum((w*x - y)^2)/2 + lam*w^2", ["w"], data={"x": x, "y": y}, constants={"lam": 0.1})
    w = 0.7
    close(fn.f([w]), np.sum((w * x - y) ** 2) / 2 + 0.1 * w**2)
    close(fn.grad([w]), [np.sum((w * x - y) * x) + 0.2 * w])
    close(fn.hess([w]), [[np.sum(x * x) + 0.2]])
    # a function of several sums: the chain rule through the outer expression
    ratio = sc.compile("sum(exp(a*x)) / sum(x^2 + a^2)", ["a"], data={"x": x})
    a, h = 0.3, 1e-5
    f = lambda a: np.sum(np.exp(a * x)) / np.sum(x**2 + a**2)  # noqa: E731
    assert ratio.f([a]) == pytest.approx(f(a), rel=1e-12)
    assert ratio.grad([a])[0] == pytest.approx((f(a + h) - f(a - h)) / (2 * h), rel=1e-8)
    assert ratio.hess([a])[0, 0] == pytest.approx((f(a + h) - 2 * f(a) + f(a - h)) / h**2, rel=1e-4)


def test_a_batch_of_points_and_the_variables_found() -> None:
    fn = sc.compile("mean((w*x + b - y)^2)", data={"x": X[:, 0], "y": YR})
    assert [v.name for v in fn.variables] == ["b", "w"]  # the data's names are not variables
    points = np.array([[0.1, 0.2], [1.0, -1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(fn.grad(points), np.stack([fn.grad(p) for p in points]))
    np.testing.assert_array_equal(fn.f(points), [fn.f(p) for p in points])
    assert fn.hess(points).shape == (3, 2, 2)


def test_stable_over_data_at_huge_logits() -> None:
    fn = sc.compile(
        "mean(softplus(-y*(w*x)))", ["w"], data={"x": np.array([1e3, -2e3, 3.0]), "y": np.array([-1.0, 1, 1])}
    )
    with np.errstate(all="raise"):
        assert fn.f([5.0]) == pytest.approx((5000 + 10000 + np.log1p(np.exp(-15.0))) / 3, rel=1e-12)
        assert np.all(np.isfinite(fn.grad([5.0]))) and np.all(np.isfinite(fn.hess([5.0])))


def test_pickles() -> None:
    fn = sc.compile(f"mean(({Z} - y)^2)", WS, data={**COLUMNS, "y": YR})
    back = pickle.loads(pickle.dumps(fn))
    close(back.grad(THETA), fn.grad(THETA))
    close(back.hess(THETA), fn.hess(THETA))


@pytest.mark.parametrize(
    ("text", "data", "match"),
    [
        ("mean((w*x - y)^2)", {"x": np.ones(3), "y": np.ones(4)}, r"different lengths \(x: 3, y: 4\)"),
        ("mean((w*x - q)^2)", {"x": np.ones(3)}, "neither variables nor data columns: q"),
        (
            "mean((w*x - y)^2)",
            {"x": np.array([1.0, np.nan]), "y": np.ones(2)},
            "data x is not finite .* row 1",
        ),
        ("mean(w*x)", {"x": np.ones((2, 2, 2))}, r"data x has shape \(2, 2, 2\)"),
        ("mean(w*x)", {"x": ["a", "b"]}, "data x is not an array of real numbers"),
        ("(w*x - y)^2", {"x": np.ones(2), "y": np.ones(2)}, r"needs mean\(...\) or sum\(...\)"),
        ("mean(w*x) + y", {"x": np.ones(2), "y": np.ones(2)}, "y is a data column: use it inside mean"),
        ("mean(w^2)", {"x": np.ones(2)}, "reads no data column"),
        ("mean(mean(w*x))", {"x": np.ones(2)}, "inside another mean"),
        ("mean(w*x", {"x": np.ones(2)}, "never closed"),
        ("mean(w*x)", {"x": np.ones(2), "X1": np.ones(2), "X": np.ones((2, 1))}, "column X1 is given twice"),
    ],
)
def test_errors_name_the_culprit(text: str, data: dict, match: str) -> None:
    with pytest.raises(sc.SymcalcError, match=match):
        sc.compile(text, ["w"], data=data)


def test_a_parse_error_inside_mean_points_into_the_whole_text() -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.compile("mean((w*x - y)^^2)", ["w"], data={"x": np.ones(2), "y": np.ones(2)})
    assert info.value.position is not None and "^^" in "mean((w*x - y)^^2)"[info.value.position - 1 :]


def test_mean_and_sum_exist_only_with_data() -> None:
    with pytest.raises(sc.ParseError, match="unknown function 'mean'"):
        sc.compile("mean(x)", ["x"])


def test_a_2d_array_read_as_one_column_is_an_error() -> None:
    i, m = sympy.Symbol("i", integer=True), sympy.Symbol("m", integer=True, positive=True)
    w = sympy.Symbol("w", real=True)
    y = sympy.IndexedBase("y")
    with pytest.raises(sc.SymcalcError, match=r"reads the 2-D data y \(shape \(3, 2\)\) as one column"):
        sc.compile(sympy.Sum((w - y[i]) ** 2, (i, 1, m)) / m, [w], data={"y": np.ones((3, 2))})
