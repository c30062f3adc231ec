"""Matrix-form results as NumPy functions of the arrays: against hand-written NumPy and central differences,
shapes checked at the call, the closed-form critical point with lstsq, and ``sc.minimize`` on the result."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import symcalc as sc

SHAPES = "X: n x m, w: m, y: n, A: m x m, a: m, W: k x m, x: m, z: k, B: m x m"


@pytest.fixture
def arrays() -> dict[str, np.ndarray | float]:
    rng = np.random.default_rng(0)
    n, m, k = 9, 4, 3
    return {
        "X": rng.normal(size=(n, m)),
        "w": rng.normal(size=m),
        "y": rng.normal(size=n),
        "A": rng.normal(size=(m, m)) + 3 * np.eye(m),
        "B": rng.normal(size=(m, m)) + 3 * np.eye(m),
        "a": rng.normal(size=m),
        "W": rng.normal(size=(k, m)),
        "x": rng.normal(size=m),
        "z": rng.normal(size=k),
        "lambda": 0.3,
    }


HAND_WRITTEN = [
    ("‖Xw - y‖^2/n", "w", lambda X, w, y, **_: 2 * X.T @ (X @ w - y) / len(y)),
    ("x^T A x", "x", lambda A, x, **_: (A + A.T) @ x),
    ("log det(B)", "B", lambda B, **_: np.linalg.inv(B).T),
    ("det(B)", "B", lambda B, **_: np.linalg.det(B) * np.linalg.inv(B).T),
    ("tr(A B)", "B", lambda A, **_: A.T),
    ("a^T B^{-1} a", "B", lambda a, B, **_: -np.linalg.inv(B).T @ np.outer(a, a) @ np.linalg.inv(B).T),
    (
        "1^T log(1 + exp(-y ⊙ Xw))",
        "w",
        lambda X, w, y, **_: -X.T @ (y / (1 + np.exp(y * (X @ w)))),
    ),
    (
        "logsumexp(Wx) - z^T W x",
        "W",
        lambda W, x, z, **_: np.outer(np.exp(W @ x) / np.exp(W @ x).sum() - z, x),
    ),
    ("‖Xw - y‖^2 + λ‖w‖^2", "w", lambda X, w, y, **kw: 2 * X.T @ (X @ w - y) + 2 * kw["lambda"] * w),
    ("‖Xw - y‖^2", "X", lambda X, w, y, **_: 2 * np.outer(X @ w - y, w)),
    ("‖w‖_1", "w", lambda w, **_: np.sign(w)),
    ("1^T tanh(Xw)", "w", lambda X, w, **_: X.T @ (1 - np.tanh(X @ w) ** 2)),
]


@pytest.mark.parametrize(("expr", "wrt", "hand"), HAND_WRITTEN, ids=[h[0] for h in HAND_WRITTEN])
def test_compiled_gradient_matches_hand_written_numpy_and_central_differences(
    expr, wrt, hand, arrays
) -> None:
    fn = sc.compile_matrix(expr, wrt, SHAPES)
    given = {v.name: arrays[v.name] for v in fn.arguments} | {c: arrays[c] for c in fn.constants}
    g = fn.grad(**given)
    assert g.shape == np.shape(arrays[wrt])
    np.testing.assert_allclose(g, hand(**arrays), rtol=1e-10, atol=1e-12)
    # central differences of the compiled function, entry by entry
    base = np.array(arrays[wrt], dtype=float)
    h = 1e-6
    for idx in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[idx] += h
        down[idx] -= h
        fd = (fn.f(**{**given, wrt: up}) - fn.f(**{**given, wrt: down})) / (2 * h)
        assert abs(fd - g[idx]) <= 1e-5 * max(1.0, abs(fd))
    value, g2 = fn.value_and_grad(**given)
    assert value == pytest.approx(fn.f(**given)) and np.array_equal(g, g2)


def test_hessian_compiles(arrays) -> None:
    fn = sc.compile_matrix(
        "1^T log(1 + exp(-y ⊙ Xw))", "w", SHAPES, data={"X": arrays["X"], "y": arrays["y"]}
    )
    w = arrays["w"]
    H = fn.hess(w)
    X, y = arrays["X"], arrays["y"]
    s = 1 / (1 + np.exp(-(-y * (X @ w))))
    np.testing.assert_allclose(H, X.T @ np.diag(y * y * s * (1 - s)) @ X, rtol=1e-10)
    h = 1e-6
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        np.testing.assert_allclose(H[:, i], (fn.grad(w + e) - fn.grad(w - e)) / (2 * h), rtol=1e-5, atol=1e-7)


def test_data_binding_and_shapes_checked_at_the_call(arrays) -> None:
    fn = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": arrays["X"], "y": arrays["y"]})
    assert [v.name for v in fn.arguments] == ["w"]
    np.testing.assert_allclose(fn.grad(arrays["w"]), fn.grad(arrays["w"].reshape(-1, 1)))
    with pytest.raises(
        sc.ShapeError, match=r"w is m × 1 with shape \(5,\), so m = 5, but X \(shape \(9, 4\)\) gives m = 4"
    ):
        fn.grad(np.zeros(5))
    with pytest.raises(sc.ShapeError, match="X is a matrix"):
        sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": np.zeros(3), "y": np.zeros(3)})
    with pytest.raises(sc.SymcalcError, match="give values for w"):
        fn.grad()
    free = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES)
    with pytest.raises(sc.ShapeError, match="the arrays do not fit the shapes"):
        free.grad(X=np.zeros((4, 2)), w=np.zeros(2), y=np.zeros(5))


def test_closed_form_critical_point_with_lstsq(arrays) -> None:
    X, y = arrays["X"], arrays["y"]
    fn = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": X, "y": y})
    sol = fn.solve_critical()
    np.testing.assert_allclose(sol.x, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    assert sol.full_rank and sol.method == "lstsq(X, y)"
    np.testing.assert_allclose(fn.grad(sol.x), 0, atol=1e-12)
    ridge = sc.compile_matrix("‖Xw - y‖^2 + λ‖w‖^2", "w", SHAPES, data={"X": X, "y": y, "lambda": 0.5})
    want = np.linalg.solve(X.T @ X + 0.5 * np.eye(X.shape[1]), X.T @ y)
    np.testing.assert_allclose(ridge.solve_critical().x, want, rtol=1e-10)
    # rank deficient: the solution of least norm, and it says so
    Xd = np.hstack([X[:, :2], X[:, :2]])
    deficient = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": Xd, "y": y}).solve_critical()
    assert not deficient.full_rank and "least norm" in deficient.message


@pytest.mark.parametrize("method", ["gd", "momentum", "adam", "newton"])
def test_minimize_takes_the_compiled_result(method, arrays) -> None:
    X, y = arrays["X"], arrays["y"]
    g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    fn = sc.compile_matrix(g, data={"X": X, "y": y})
    lr = 0.05 if method == "adam" else None
    res = sc.minimize(fn, np.zeros(X.shape[1]), method, lr=lr, max_iter=20000, gtol=1e-9)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-6)
    check = res.verify()
    assert check.reached == "global minimum" and check.is_minimum


def test_minimize_over_a_matrix_variable(arrays) -> None:
    fn = sc.compile_matrix(
        "logsumexp(Wx) - z^T W x + λ‖W‖_F^2",
        "W",
        SHAPES,
        data={"x": arrays["x"], "z": np.eye(3)[1], "lambda": 0.1},
    )
    res = sc.minimize(fn, np.zeros((3, 4)), "gd", max_iter=5000, gtol=1e-8)
    assert res.success and res.x.shape == (3, 4)
    assert np.linalg.norm(fn.grad(res.x)) < 1e-7


def test_compiled_functions_pickle(arrays) -> None:
    fn = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": arrays["X"], "y": arrays["y"]})
    back = pickle.loads(pickle.dumps(fn))
    np.testing.assert_array_equal(back.grad(arrays["w"]), fn.grad(arrays["w"]))
    res = sc.minimize(fn, np.zeros(4), "gd", max_iter=50)
    assert pickle.loads(pickle.dumps(res)).verify().message


def test_no_python_loop_over_the_rows() -> None:
    """The gradient at 200,000 rows takes about the time of the hand-written expression (a loop over rows
    would take seconds); the benchmark measures it properly at 10^6 rows."""
    import time

    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(200_000, 10)), rng.normal(size=200_000), rng.normal(size=10)
    fn = sc.compile_matrix("‖Xw - y‖^2/n", "w", SHAPES, data={"X": X, "y": y}, on_domain_error="ignore")
    fn.grad(w)
    t = time.perf_counter()
    for _ in range(5):
        fn.grad(w)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(5):
        _ = 2 * X.T @ (X @ w - y) / len(y)
    hand = time.perf_counter() - t
    assert ours < 5 * hand + 0.05
