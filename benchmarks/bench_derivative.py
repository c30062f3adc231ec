"""Time ``symcalc.derivative`` (full trace, tidy-up and check) against bare ``sympy.diff``, cold and warm.

Run: ``python benchmarks/bench_derivative.py`` from the repository root (``python benchmarks/bench_derivative.py
50`` times the first 50 corpus problems only).

Times are this process's CPU time (``time.process_time``), so that other work on a shared machine, which only
makes a run wait for a core, changes little. It prints:

* over the derivative corpus (``tests/data/derivative_corpus.py``), the median time per problem of
  ``symcalc.derivative`` and of ``sympy.diff``, and the median of the per-problem ratios, **cold** (SymPy's
  cache cleared before each call, so every problem is met for the first time) and **warm** (the same call
  repeated, the cache full);
* for sums of N sines, ``sin(x) + sin(2x) + ... + sin(Nx)`` and ``sin(x) + sin(x^2) + ... + sin(x^N)``, at
  N = 5, 10, 20, 40, 80: the cold time of each and the growth exponents (least-squares slopes of log time
  against log N and against log of the size of the derivative, in SymPy operations), N = 5 to 80.

Goals (issue 19): corpus median cold at most 5x ``sympy.diff`` cold and under 20 ms, warm at most 30x; the
sum of 20 sines under 50 ms, its time growing at most linearly in the size of the derivative (exponent <= 1).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy
from sympy.core.cache import clear_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from data.derivative_corpus import CASES  # noqa: E402

import symcalc as sc  # noqa: E402

SIZES = (5, 10, 20, 40, 80)


def _best(f: Callable[[], object], repeat: int, *, cold: bool) -> float:
    """The best of ``repeat`` runs; ``cold``: SymPy's cache cleared before each (outside the timing)."""
    best = math.inf
    for _ in range(repeat):
        if cold:
            clear_cache()
        start = time.process_time()
        f()
        best = min(best, time.process_time() - start)
    return best


def _slope(xs: list[float], ys: list[float]) -> float:
    """The least-squares slope of log y against log x: the growth exponent."""
    lx, ly = [math.log(v) for v in xs], [math.log(v) for v in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def corpus(limit: int | None = None) -> None:
    cases = CASES[:limit] if limit else CASES
    rows: dict[str, list[float]] = {k: [] for k in ("ours_cold", "bare_cold", "ours_warm", "bare_warm")}
    ratios: dict[str, list[float]] = {"cold": [], "warm": []}
    for text, var, *_ in cases:
        expr = sc.parse(text)
        x = sympy.Symbol(var, real=True)

        def ours(expr: sympy.Expr = expr, x: sympy.Symbol = x) -> object:
            return sc.derivative(expr, x)

        def bare(expr: sympy.Expr = expr, x: sympy.Symbol = x) -> object:
            return sympy.diff(expr, x)

        for mode in ("cold", "warm"):
            t_ours = _best(ours, 2 if mode == "cold" else 3, cold=mode == "cold")
            t_bare = _best(bare, 2 if mode == "cold" else 3, cold=mode == "cold")
            rows[f"ours_{mode}"].append(t_ours)
            rows[f"bare_{mode}"].append(t_bare)
            ratios[mode].append(t_ours / t_bare)
    print(f"corpus: {len(cases)} problems (median per problem; ratio = median of the per-problem ratios)")
    for mode, goal in (("cold", "<= 5x, under 20 ms"), ("warm", "<= 30x")):
        ours_ms = statistics.median(rows[f"ours_{mode}"]) * 1e3
        bare_ms = statistics.median(rows[f"bare_{mode}"]) * 1e3
        print(
            f"  {mode}: symcalc.derivative {ours_ms:7.2f} ms   sympy.diff {bare_ms:6.3f} ms   "
            f"ratio {statistics.median(ratios[mode]):6.1f}x   (goal {goal})"
        )


def sines() -> None:
    x = sympy.Symbol("x", real=True)
    families = {
        "sin(kx), k = 1..N": lambda n: sympy.Add(*[sympy.sin(k * x) for k in range(1, n + 1)]),
        "sin(x^k), k = 1..N": lambda n: sympy.Add(*[sympy.sin(x**k) for k in range(1, n + 1)]),
    }
    for name, build in families.items():
        print(f"sum of N sines, {name} (cold; sympy.diff cold beside it)")
        times, sizes = [], []
        for n in SIZES:
            expr = build(n)
            t_ours = _best(lambda expr=expr: sc.derivative(expr, x), 1 if n >= 40 else 2, cold=True)
            t_bare = _best(lambda expr=expr: sympy.diff(expr, x), 2, cold=True)
            size = int(sympy.count_ops(sympy.diff(expr, x)))
            times.append(t_ours)
            sizes.append(size)
            print(
                f"  N = {n:3d}: {t_ours * 1e3:8.1f} ms   sympy.diff {t_bare * 1e3:6.2f} ms   "
                f"ratio {t_ours / t_bare:7.1f}x   derivative size {size} ops"
            )
        print(
            f"  growth exponent, N = {SIZES[0]}..{SIZES[-1]}: {_slope([float(n) for n in SIZES], times):.2f} in N, "
            f"{_slope([float(s) for s in sizes], times):.2f} in the size of the derivative "
            "(goal: N = 20 under 50 ms, exponent <= 1)"
        )


def main(limit: int | None = None) -> None:
    corpus(limit)
    sines()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
