"""Dense Hessians ready to call: derive + compile + first call, and a batch of points, against peers in one run.

Run: ``python benchmarks/bench_hessian.py [--quick]``. A dense Hessian is compiled by forward mode over the
gradient's graph (``symcalc/numeric/hessian.py``), never as n² symbolic entries.

- log-sum-exp ``log(sum(exp(x_i)))`` for n = 10 .. 400: seconds from the expression to the first Hessian
  value, and the growth exponent in n (slope of log time against log n). Peers in the same run: SymEngine's
  LLVM ``Lambdify`` on the symbolic Hessian (skipped past n = 50: it takes many seconds) and ``jax.jit`` of
  ``jax.hessian`` (skipped when JAX is not installed).
- the stages apart, for Rosenbrock (sparse) and log-sum-exp (dense): compile (f and the gradient), first
  gradient, first Hessian, with the growth exponent of each in n;
- a batch of 10,000 points at n = 10: the compiled Hessian against hand-written NumPy (the ratio is the
  figure; below 1 is faster than the hand-written code).

Every Hessian is compared with the closed form ``diag(p) - p p^T`` (``p = softmax(x)``) before it is timed.
Goals (issue 19): under 1 s at n = 100, growth at most n^2, batch at most 0.2x hand-written NumPy.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import sympy

import symcalc as sc


def closed_form(x: np.ndarray) -> np.ndarray:
    """The log-sum-exp Hessian, by hand: one point ``(n,)`` or a batch ``(m, n)``."""
    p = np.exp(x - x.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return p[..., :, None] * np.eye(x.shape[-1]) - p[..., :, None] * p[..., None, :]


def lse(n: int) -> tuple[str, list[str]]:
    names = [f"x{i}" for i in range(1, n + 1)]
    return "log(" + " + ".join(f"exp({v})" for v in names) + ")", names


def ready_to_call(n: int) -> float:
    text, names = lse(n)
    x = np.linspace(-1.0, 1.0, n)
    start = time.perf_counter()
    fn = sc.compile(text, names)
    h = fn.hess(x)
    elapsed = time.perf_counter() - start
    assert np.allclose(h, closed_form(x), atol=1e-12), "the compiled Hessian is wrong"
    return elapsed


def symengine_llvm(n: int) -> float:
    import symengine as se

    xs = se.symbols(f"x1:{n + 1}")
    start = time.perf_counter()
    f = se.log(sum(se.exp(v) for v in xs))
    g = [f.diff(v) for v in xs]
    h = [[gi.diff(v) for v in xs] for gi in g]
    kernel = se.Lambdify(xs, h, backend="llvm", cse=True)
    kernel(np.linspace(-1.0, 1.0, n))
    return time.perf_counter() - start


def jax_hessian(n: int) -> float:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return float("nan")
    jax.config.update("jax_enable_x64", True)
    start = time.perf_counter()
    h = jax.jit(jax.hessian(lambda v: jnp.log(jnp.sum(jnp.exp(v)))))
    h(jnp.linspace(-1.0, 1.0, n)).block_until_ready()
    return time.perf_counter() - start


def median_time(run: Callable[[], object], repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def batch_ratio(n: int = 10, m: int = 10_000) -> tuple[float, float, str]:
    """symcalc's compiled Hessian and SymEngine's LLVM on the symbolic Hessian, each over hand-written NumPy."""
    import symengine as se

    text, names = lse(n)
    fn = sc.compile(text, names)
    x = np.random.default_rng(0).normal(size=(m, n))
    assert np.allclose(fn.hess(x), closed_form(x), atol=1e-12)
    xs = se.symbols(f"x1:{n + 1}")
    f = se.log(sum(se.exp(v) for v in xs))
    peer = se.Lambdify(xs, [[f.diff(a).diff(b) for b in xs] for a in xs], backend="llvm", cse=True)
    hand = median_time(lambda: closed_form(x))
    return median_time(lambda: fn.hess(x)) / hand, median_time(lambda: peer(x)) / hand, fn.hess_backend


def one_point_ratio(n: int = 100) -> tuple[float, str]:
    text, names = lse(n)
    fn = sc.compile(text, names)
    x = np.linspace(-1.0, 1.0, n)
    fn.hess(x)
    ours = median_time(lambda: [fn.hess(x) for _ in range(100)])
    return ours / median_time(lambda: [closed_form(x) for _ in range(100)]), fn.hess_backend


def rosenbrock(n: int) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    xs = list(sc.symbols(" ".join(f"x{i}" for i in range(1, n + 1))))
    return sympy.Add(*[100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1)]), xs


def log_sum_exp(n: int) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    xs = list(sc.symbols(" ".join(f"x{i}" for i in range(1, n + 1))))
    return sympy.log(sympy.Add(*[sympy.exp(v) for v in xs])), xs


def stages(sizes: list[int]) -> None:
    """Seconds to compile (f and the gradient) and to the first gradient and Hessian values, by n, for a sparse
    (Rosenbrock) and a dense (log-sum-exp) function, with the growth exponent of each stage."""
    for label, build in (("Rosenbrock", rosenbrock), ("log-sum-exp", log_sum_exp)):
        rows = []
        for n in sizes:
            expr, names = build(n)  # built in SymPy: parsing is not part of what is timed
            x = np.linspace(-1.0, 1.0, n)
            start = time.perf_counter()
            fn = sc.compile(expr, names)
            compiled = time.perf_counter()
            fn.grad(x)
            graded = time.perf_counter()
            fn.hess(x)
            done = time.perf_counter()
            rows.append((compiled - start, graded - compiled, done - graded))
            print(
                f"  {label:12s} n={n:4d}  compile {rows[-1][0]:7.3f} s   first gradient {rows[-1][1] * 1e3:7.2f} ms"
                f"   first Hessian {rows[-1][2]:7.3f} s   ({fn.hess_backend})"
            )
        logs = np.log(sizes[1:])
        slopes = [
            float(np.polyfit(logs, np.log([max(r[k], 1e-7) for r in rows[1:]]), 1)[0]) for k in range(3)
        ]
        print(
            f"  {label}: growth exponents (n={sizes[1]}..{sizes[-1]}): compile {slopes[0]:.2f}, "
            f"first gradient {slopes[1]:.2f}, first Hessian {slopes[2]:.2f}"
        )


def main(quick: bool = False) -> None:
    sizes = [10, 25, 50, 100] if quick else [10, 25, 50, 100, 200, 400]
    times = []
    print("log-sum-exp Hessian, ready to call (derive + compile + first call):")
    for n in sizes:
        t = ready_to_call(n)
        times.append(t)
        llvm = symengine_llvm(n) if n <= (25 if quick else 50) else float("nan")
        jx = jax_hessian(n)
        print(f"  n={n:4d}  symcalc {t:7.3f} s   SymEngine LLVM {llvm:7.3f} s   jax.jit {jx:7.3f} s")
    k = float(np.polyfit(np.log(sizes[1:]), np.log(times[1:]), 1)[0])
    print(f"  growth exponent (n={sizes[1]}..{sizes[-1]}): {k:.2f}")
    stages(sizes)
    ratio, peer, backend = batch_ratio()
    print(
        f"batch of 10,000 points, n = 10: {ratio:.2f}x hand-written NumPy (backend {backend}); "
        f"SymEngine LLVM on the symbolic Hessian {peer:.2f}x"
    )
    ratio, backend = one_point_ratio()
    print(f"one point, n = 100: {ratio:.2f}x hand-written NumPy (backend {backend})")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
