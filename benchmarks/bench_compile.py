"""Compiled gradients against hand-written NumPy, ``sympy.lambdify`` and finite differences.

Run: ``python benchmarks/bench_compile.py [--quick]``. For the extended Rosenbrock function at n = 2, 10, 100,
at one point and for a batch of 10,000 points, prints the median time per call and the ratio to hand-written
vectorised NumPy (lower is better), plus symcalc's compile time. JAX and autograd are timed where installed
(``pip install jax``); they are not dependencies. Goals (issue 6), n = 100: one point at most 0.5x
hand-written NumPy, a batch at most 0.2x, compile under 0.5 s.

Then the logistic loss over a small data set (10 features, 20 rows), whose compiled form is the stable one
(softplus with log1p, the sigmoid from the same exponential): the cost of stability, against hand-written
NumPy that is stable the same way (``np.logaddexp``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.optimize
import sympy

import symcalc as sc


def rosen_grad_numpy(x: np.ndarray) -> np.ndarray:
    """Hand-written, vectorised over a batch (last axis = coordinates)."""
    g = np.zeros_like(x)
    a, b = x[..., :-1], x[..., 1:]
    g[..., :-1] += -400 * a * (b - a**2) - 2 * (1 - a)
    g[..., 1:] += 200 * (b - a**2)
    return g


def rosen_numpy(x: np.ndarray) -> np.ndarray:
    a, b = x[..., :-1], x[..., 1:]
    return np.sum(100 * (b - a**2) ** 2 + (1 - a) ** 2, axis=-1)


def median_time(f: Callable[[], object], budget: float = 0.3) -> float:
    f()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(times) < 5:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
        if len(times) > 20000:
            break
    return statistics.median(times)


def main(quick: bool = False) -> None:
    sizes = [2, 10] if quick else [2, 10, 100]
    m = 1000 if quick else 10_000
    rng = np.random.default_rng(0)
    for n in sizes:
        xs = sympy.symbols(f"x1:{n + 1}", real=True)
        f = sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1))
        t0 = time.perf_counter()
        fn = sc.compile(f, list(xs), on_domain_error="ignore")
        compile_s = time.perf_counter() - t0
        lam = sympy.lambdify(xs, [sympy.diff(f, v) for v in xs], modules="numpy", cse=True)
        p, batch = rng.normal(size=n), rng.normal(size=(m, n))
        np.testing.assert_allclose(fn.grad(p), rosen_grad_numpy(p), rtol=1e-10)
        one = {
            "symcalc compile().grad": lambda: fn.grad(p),
            "hand-written NumPy": lambda: rosen_grad_numpy(p),
            "sympy.lambdify(cse=True)": lambda: lam(*p),
            "scipy approx_fprime": lambda: scipy.optimize.approx_fprime(p, rosen_numpy),
        }
        many = {
            "symcalc compile().grad": lambda: fn.grad(batch),
            "hand-written NumPy": lambda: rosen_grad_numpy(batch),
            "sympy.lambdify(cse=True)": lambda: lam(*batch.T),
        }
        try:
            import jax

            jax.config.update("jax_enable_x64", True)
            jg = jax.jit(
                jax.grad(lambda v: jax.numpy.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2))
            )
            one["jax.jit(jax.grad)"] = lambda: jg(p).block_until_ready()
            jvg = jax.jit(
                jax.vmap(
                    jax.grad(lambda v: jax.numpy.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2))
                )
            )
            many["jax.jit(jax.grad)"] = lambda: jvg(batch).block_until_ready()
        except ImportError:
            pass
        print(f"n = {n}: compile {compile_s:.3f} s (backend {fn.backend})")
        for label, cases in (("one point", one), (f"batch of {m}", many)):
            ref = median_time(cases["hand-written NumPy"])
            for name, call in cases.items():
                t = median_time(call)
                print(f"  {label:16s} {name:26s} {t * 1e6:10.1f} us   {t / ref:6.2f}x NumPy")


def logistic(quick: bool = False) -> None:
    """The logistic loss in its sigmoid form, compiled, against the same loss in stable hand-written NumPy."""
    rng = np.random.default_rng(1)
    n, rows, m = 10, 20, 1000 if quick else 10_000
    X = rng.normal(size=(rows, n)).round(2)
    y = rng.choice([0.0, 1.0], size=rows)
    w = sympy.symbols(f"w1:{n + 1}", real=True)
    z = [sum(sympy.Float(X[j, i]) * w[i] for i in range(n)) for j in range(rows)]
    loss = sum(
        -y[j] * sympy.log(sc.sigmoid(z[j])) - (1 - y[j]) * sympy.log(1 - sc.sigmoid(z[j]))
        for j in range(rows)
    )
    t0 = time.perf_counter()
    fn = sc.compile(loss / rows, list(w), on_domain_error="ignore")
    compile_s = time.perf_counter() - t0

    def numpy_value_and_grad(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits = v @ X.T  # (..., rows)
        value = np.mean(np.logaddexp(0, logits) - y * logits, axis=-1)
        p = np.exp(-np.logaddexp(0, -logits))  # the sigmoid, stable
        return value, (p - y) @ X / rows

    p, batch = 100 * rng.normal(size=n), 100 * rng.normal(size=(m, n))  # large logits: both stay finite
    got, want = fn.value_and_grad(batch), numpy_value_and_grad(batch)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-8, atol=1e-12)
    print(f"logistic loss, 10 features x 20 rows: compile {compile_s:.3f} s (backend {fn.backend})")
    for label, arg in (("one point", p), (f"batch of {m}", batch)):
        ref = median_time(lambda: numpy_value_and_grad(arg))
        for name, call in (
            ("symcalc value_and_grad", lambda: fn.value_and_grad(arg)),
            ("hand-written NumPy", lambda: numpy_value_and_grad(arg)),
        ):
            t = median_time(call)
            print(f"  {label:16s} {name:26s} {t * 1e6:10.1f} us   {t / ref:6.2f}x NumPy")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
    logistic(quick="--quick" in sys.argv)
