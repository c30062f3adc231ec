"""20,000 fixed-step GD iterations on the 2-D Rosenbrock function: ``symcalc.minimize`` with the compiled
gradient, against a bare Python loop with a hand-written NumPy gradient, and SciPy's BFGS as what a user would
pick instead. Also one linear-regression gradient at m = 1,000,000 rows and 10 features.

Run: ``python benchmarks/bench_descend.py``. Goal (issue 7): minimize's per-iteration overhead within 1.3x of
the bare loop.
"""

from __future__ import annotations

import time

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


def main() -> None:
    fn = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"], on_domain_error="ignore")
    x0 = np.array([-1.2, 1.0])
    start = time.perf_counter()
    p = x0.copy()
    for _ in range(N):
        p = p - 1e-3 * grad_numpy(p)
        f_numpy(p)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    minimize_callables(
        fn.f, x0, jac=fn.grad, method="gd", lr=1e-3, max_iter=N, gtol=0.0, value_and_grad=fn.value_and_grad
    )
    ours = time.perf_counter() - start
    start = time.perf_counter()
    minimize_callables(f_numpy, x0, jac=grad_numpy, method="gd", lr=1e-3, max_iter=N, gtol=0.0)
    ours_numpy = time.perf_counter() - start
    start = time.perf_counter()
    scipy.optimize.minimize(fn.f, x0, jac=fn.grad, method="BFGS")
    bfgs = time.perf_counter() - start
    print(f"{N} GD iterations on Rosenbrock (f and gradient each step):")
    print(f"  bare loop, hand-written NumPy gradient   {bare:7.3f} s   1.00x")
    print(f"  symcalc minimize, compiled gradient       {ours:7.3f} s   {ours / bare:5.2f}x")
    print(f"  symcalc minimize, hand-written gradient   {ours_numpy:7.3f} s   {ours_numpy / bare:5.2f}x")
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
