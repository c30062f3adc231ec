"""Objectives over data (``compile(..., data=...)``) against hand-written NumPy, in one run.

Run: ``python benchmarks/bench_data.py [--quick]``. Two problems over a data set of 10,000 rows (1,000 with
``--quick``): logistic regression with 5 features (no intercept) and least squares with 5 features and an
intercept. For each, the median time of the value, the gradient and the Hessian as a ratio to hand-written
NumPy (``X.T @ (sigmoid(X @ w) - y) / m``, ``X.T @ (d[:, None] * X) / m``), and the first call: compile plus
the first value, gradient and Hessian, in seconds (hand NumPy has nothing to build). Each objective is compiled
twice: as a hand-built ``sympy.Sum`` over ``IndexedBase`` symbols and as the text a student types
(``"mean(...)"`` with the columns ``x1..x5``). Goals (issue 19): value, gradient and Hessian at most 1.5x hand
NumPy; the first call under 0.5 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

import symcalc as sc

K = 5


def median_time(f: Callable[[], object], budget: float = 0.3) -> float:
    f()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(times) < 5:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# -- hand-written NumPy ----------------------------------------------------------------------------------


def logistic_hand(X: np.ndarray, y: np.ndarray) -> dict[str, Callable[[np.ndarray], Any]]:
    m = len(y)

    def f(w: np.ndarray) -> float:
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def grad(w: np.ndarray) -> np.ndarray:
        return X.T @ (sigmoid(X @ w) - y) / m

    def hess(w: np.ndarray) -> np.ndarray:
        p = sigmoid(X @ w)
        d = p * (1.0 - p)
        return X.T @ (d[:, None] * X) / m

    return {"f": f, "grad": grad, "hess": hess}


def least_squares_hand(X: np.ndarray, y: np.ndarray) -> dict[str, Callable[[np.ndarray], Any]]:
    m = len(y)
    A = np.hstack([X, np.ones((m, 1))])

    def f(t: np.ndarray) -> float:
        r = A @ t - y
        return float(r @ r) / m

    def grad(t: np.ndarray) -> np.ndarray:
        return 2.0 / m * (A.T @ (A @ t - y))

    def hess(t: np.ndarray) -> np.ndarray:
        return 2.0 / m * (A.T @ A)

    return {"f": f, "grad": grad, "hess": hess}


# -- the same objectives for symcalc ---------------------------------------------------------------------


def _sum_form(kind: str) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    i = sympy.Symbol("i", integer=True)
    m = sympy.Symbol("m", integer=True, positive=True)
    X, y = sympy.IndexedBase("X"), sympy.IndexedBase("y")
    ws = list(sympy.symbols(f"w1:{K + 1}", real=True))
    z = sum(w * X[i, k] for k, w in enumerate(ws))
    if kind == "logistic":
        term = -(y[i] * sympy.log(sc.sigmoid(z)) + (1 - y[i]) * sympy.log(1 - sc.sigmoid(z)))
        return sympy.Sum(term, (i, 1, m)) / m, ws
    b = sympy.Symbol("b", real=True)
    return sympy.Sum((z + b - y[i]) ** 2, (i, 1, m)) / m, [*ws, b]


def _text_form(kind: str) -> tuple[str, list[str]]:
    z = " + ".join(f"w{k}*x{k}" for k in range(1, K + 1))
    ws = [f"w{k}" for k in range(1, K + 1)]
    if kind == "logistic":
        return f"mean(-(y*log(sigmoid({z})) + (1 - y)*log(1 - sigmoid({z}))))", ws
    return f"mean(({z} + b - y)^2)", [*ws, "b"]


def build(kind: str, form: str, X: np.ndarray, y: np.ndarray) -> Any:
    if form == "Sum":
        expr, ws = _sum_form(kind)
        return sc.compile(expr, ws, data={"X": X, "y": y})
    text, names = _text_form(kind)
    columns = {f"x{k + 1}": X[:, k] for k in range(K)}
    return sc.compile(text, names, data={**columns, "y": y})


def main(quick: bool = False) -> None:
    m = 1_000 if quick else 10_000
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, K))
    w_true = rng.normal(size=K)
    problems = {
        "logistic": (X, (rng.random(m) < sigmoid(X @ w_true)).astype(float), logistic_hand, K),
        "least squares": (X, X @ w_true + 0.5 + 0.1 * rng.normal(size=m), least_squares_hand, K + 1),
    }
    budget = 0.1 if quick else 0.3
    print(f"objectives over data, m = {m} rows, {K} features; ratio = symcalc / hand NumPy (lower is better)")
    print(f"{'problem':<14} {'form':<5} {'what':<6} {'hand':>10} {'symcalc':>10} {'ratio':>7}")
    for name, (Xd, yd, hand_of, n) in problems.items():
        kind = "logistic" if name == "logistic" else "lsq"
        hand = hand_of(Xd, yd)
        point = 0.1 * rng.normal(size=n)
        hand_times = {what: median_time(lambda g=g: g(point), budget) for what, g in hand.items()}
        for form in ("Sum", "text"):
            start = time.perf_counter()
            try:
                fn = build(kind, form, Xd, yd)
            except sc.SymcalcError as err:
                print(f"{name:<14} {form:<5} not supported: {err}")
                continue
            fn.f(point), fn.grad(point), fn.hess(point)
            first = time.perf_counter() - start
            for what, g in (("f", fn.f), ("grad", fn.grad), ("hess", fn.hess)):
                mine = median_time(lambda g=g: g(point), budget)
                np.testing.assert_allclose(g(point), hand[what](point), rtol=1e-9, atol=1e-12)
                ref = hand_times[what]
                print(
                    f"{name:<14} {form:<5} {what:<6} {ref * 1e3:>8.3f}ms {mine * 1e3:>8.3f}ms {mine / ref:>6.2f}x"
                )
            print(f"{name:<14} {form:<5} first call (compile + f + grad + hess): {first:.3f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
