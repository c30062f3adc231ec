"""Time ``symcalc.derivative`` (full trace, tidy-up and check) against bare ``sympy.diff`` over the corpus.

Run: ``python benchmarks/bench_derivative.py`` (from the repository root). Prints the median time per problem
for both and the median ratio. Goals (issue 3): under 50 ms median, within 10x of bare ``sympy.diff``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from data.derivative_corpus import CASES  # noqa: E402

import symcalc as sc  # noqa: E402


def _time(f, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def main(limit: int | None = None) -> None:
    cases = CASES[:limit] if limit else CASES
    ours, bare, ratios = [], [], []
    for text, var, *_ in cases:
        expr = sc.parse(text)
        x = sympy.Symbol(var, real=True)
        t_ours = _time(lambda expr=expr, x=x: sc.derivative(expr, x))
        t_bare = _time(lambda expr=expr, x=x: sympy.diff(expr, x))
        ours.append(t_ours)
        bare.append(t_bare)
        ratios.append(t_ours / t_bare)
    print(f"problems: {len(cases)}")
    print(f"symcalc.derivative (trace + tidy + check): median {statistics.median(ours) * 1e3:.2f} ms")
    print(f"sympy.diff:                               median {statistics.median(bare) * 1e3:.3f} ms")
    print(f"median ratio: {statistics.median(ratios):.1f}x   (goal: median < 50 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
