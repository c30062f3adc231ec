"""20,000 fixed-step GD iterations on the 2-D Rosenbrock function: ``symcalc.minimize`` with the compiled
gradient, against a bare Python loop with a hand-written NumPy gradient, and SciPy's BFGS as what a user would
pick instead. Also one linear-regression gradient at m = 1,000,000 rows and 10 features.

Run: ``python benchmarks/bench_descend.py``. Goal (issue 19): ``sc.minimize`` on a compiled function, checks on, within
1.15x of the bare loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.optimize
from symcalc.optimize import minimize as minimize_callables

import symcalc as sc

N = 20_000


def grad_numpy(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def f_numpy(p: np.ndarray) -> float:
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def bare_loop(x0: np.ndarray) -> None:
    p = x0.copy()
    for _ in range(N):
        p = p - 1e-3 * grad_numpy(p)
        f_numpy(p)


def best_of(run: Callable[[], object], repeats: int = 5) -> float:
    """The fastest of a few runs: on a shared machine, the least disturbed one."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    x0 = np.array([-1.2, 1.0])
    checked = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"])  # on_domain_error="warn": checks on
    unchecked = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"], on_domain_error="ignore")
    bare = best_of(lambda: bare_loop(x0))
    ours = best_of(lambda: sc.minimize(checked, x0, "gd", lr=1e-3, max_iter=N, gtol=0.0))
    plain = best_of(
        lambda: minimize_callables(
            unchecked.f,
            x0,
            jac=unchecked.grad,
            method="gd",
            lr=1e-3,
            max_iter=N,
            gtol=0.0,
            value_and_grad=unchecked.value_and_grad,
        )
    )
    ours_numpy = best_of(
        lambda: minimize_callables(f_numpy, x0, jac=grad_numpy, method="gd", lr=1e-3, max_iter=N, gtol=0.0)
    )
    bfgs = best_of(lambda: scipy.optimize.minimize(checked.f, x0, jac=checked.grad, method="BFGS"))
    print(f"{N} GD iterations on Rosenbrock (f and gradient each step), the best of 5 runs:")
    print(f"  bare loop, hand-written NumPy gradient           {bare:7.3f} s   1.00x")
    print(f"  sc.minimize(CompiledFunction), checks on         {ours:7.3f} s   {ours / bare:5.2f}x")
    print(f"  the plain-callable loop, fn.value_and_grad        {plain:7.3f} s   {plain / bare:5.2f}x")
    print(
        f"  the plain-callable loop, hand-written gradient   {ours_numpy:7.3f} s   {ours_numpy / bare:5.2f}x"
    )
    print(f"  scipy BFGS to convergence (what a user would pick instead)  {bfgs:7.4f} s")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1_000_000, 10))
    y = X @ np.arange(10.0) + 1
    start = time.perf_counter()
    sc.regression.linear_regression(X, y, max_iter=20)
    print(
        f"linear regression, m = 1e6, 10 features: {(time.perf_counter() - start) / 20 * 1e3:.1f} ms per GD step"
    )


if __name__ == "__main__":
    main()
