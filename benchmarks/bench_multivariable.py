"""Gradient + Hessian: symcalc (SymEngine bulk, only the variables each entry contains) against
``sympy.hessian`` (which re-derives from f), for the extended Rosenbrock function and a dense function.

Run: ``python benchmarks/bench_multivariable.py [--quick]``. Prints seconds, the ratio and the growth
exponent (slope of log time against log n). Goal (issue 4): n = 100 Rosenbrock gradient + Hessian under
0.1 s and at least 100 times faster than ``sympy.hessian``.
"""

from __future__ import annotations

import math
import random
import sys
import time

import sympy

import symcalc as sc


def rosenbrock(n: int) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    xs = sympy.symbols(f"x1:{n + 1}", real=True)
    return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1)), list(xs)


def dense(n: int, terms: int = 3) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    """log-sum-exp of random integer-weighted linear forms, plus a quadratic: every Hessian entry nonzero."""
    rng = random.Random(0)
    xs = sympy.symbols(f"x1:{n + 1}", real=True)
    forms = [sum(rng.randint(-3, 3) * x for x in xs) for _ in range(terms)]
    return sympy.log(sum(sympy.exp(f) for f in forms)) + sum(x**2 for x in xs) / 2, list(xs)


def _time(f) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main(quick: bool = False) -> None:
    sizes = [2, 10, 50] if quick else [2, 10, 50, 100]
    for name, make in [("rosenbrock", rosenbrock), ("dense", dense)]:
        ours = []
        print(f"{name}:")
        for n in sizes:
            f, xs = make(n)
            t_ours = _time(lambda f=f, xs=xs: sc.hessian(f, xs))
            skip_sympy = name == "dense" and n > 10 or n > 50 and quick
            t_sympy = float("nan") if skip_sympy else _time(lambda f=f, xs=xs: sympy.hessian(f, xs))
            ours.append(t_ours)
            ratio = t_sympy / t_ours if t_sympy == t_sympy else float("nan")
            print(
                f"  n={n:4d}  symcalc {t_ours:8.4f} s   sympy.hessian {t_sympy:8.3f} s   ratio {ratio:7.1f}x"
            )
        k = math.log(ours[-1] / ours[1]) / math.log(sizes[-1] / sizes[1])
        print(f"  growth exponent (n={sizes[1]}..{sizes[-1]}): {k:.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
