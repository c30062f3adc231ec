"""Matrix-form gradients: derivation + compile time, and the compiled gradient against hand-written NumPy.

Run: ``python benchmarks/bench_matrix.py [--quick]``. Prints

* the time to derive ``∇(‖Xw − y‖²/n)`` in matrix form (with its trace and the entrywise verification) and compile
  it, in a fresh interpreter after ``import symcalc`` (cold) and again in this one (warm);
* the median time of one gradient at ``n = 10^6`` rows and ``m = 10`` columns (``--quick``: ``n = 10^5``) for the
  compiled gradient and for hand-written NumPy, ``2 * X.T @ (X @ w - y) / n`` as the issue writes it (which
  scales all of ``X`` by 2 first) and ``X.T @ (X @ w - y) * (2 / n)``, as ratios measured in the same run, the
  calls interleaved so that drift hits all of them alike;
* the same for the logistic-regression gradient.

Goals (issue 18): at most 1.2x hand-written NumPy; derivation + compile under 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

import symcalc as sc

SHAPES = "X: n x m, w: m, y: n"

COLD = """
import time
import numpy as np
import symcalc as sc
X, y = np.ones((20, 3)), np.ones(20)
t = time.perf_counter()
g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
fn = sc.compile_matrix(g, data={"X": X, "y": y})
fn.grad(np.zeros(3))
print(time.perf_counter() - t)
"""


def interleaved_medians(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    for f in calls.values():
        f()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for name, f in calls.items():
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main(quick: bool = False) -> None:
    n, m = (10**5 if quick else 10**6), 10
    rounds = 7 if quick else 15

    cold = [
        float(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True).stdout)
    ]
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m)
    t = time.perf_counter()
    g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes=SHAPES)
    fn = sc.compile_matrix(g, data={"X": X, "y": y}, on_domain_error="ignore")
    first = time.perf_counter() - t

    def again() -> None:
        again_g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes=SHAPES)
        sc.compile_matrix(again_g, data={"X": X, "y": y}, on_domain_error="ignore")

    warm = interleaved_medians({"again": again}, 5)["again"]
    print(
        f"derivation + compile of 2Xᵀ(Xw − y)/n: {cold[0] * 1e3:.0f} ms in a fresh process, {first * 1e3:.0f} ms "
        f"for the first call here, {warm * 1e3:.0f} ms warm   (goal: under 500 ms)"
    )
    print(f"  verification: {g.verification.message}")

    np.testing.assert_allclose(fn.grad(w), 2 * X.T @ (X @ w - y) / n, rtol=1e-10)
    times = interleaved_medians(
        {
            "symcalc compile_matrix(...).grad": lambda: fn.grad(w),
            "hand-written 2 * X.T @ (X @ w - y) / n": lambda: 2 * X.T @ (X @ w - y) / n,
            "hand-written X.T @ (X @ w - y) * (2 / n)": lambda: X.T @ (X @ w - y) * (2 / n),
            "symcalc value_and_grad": lambda: fn.value_and_grad(w),
        },
        rounds,
    )
    ref = times["hand-written 2 * X.T @ (X @ w - y) / n"]
    best = times["hand-written X.T @ (X @ w - y) * (2 / n)"]
    print(f"regression gradient, n = {n:,}, m = {m} (median of {rounds}):")
    for name, v in times.items():
        print(
            f"  {name:45s} {v * 1e3:8.2f} ms   {v / ref:5.2f}x the issue's NumPy   {v / best:5.2f}x the best"
        )
    print("  (goal: the compiled gradient at most 1.2x hand-written NumPy)")

    lg = sc.matrix_gradient("1^T log(1 + exp(-y ⊙ Xw))/n", "w", shapes=SHAPES)
    labels = np.sign(y)
    lfn = sc.compile_matrix(lg, data={"X": X, "y": labels}, on_domain_error="ignore")

    def logistic_numpy() -> np.ndarray:
        z = labels * (X @ w)
        return -X.T @ (labels * (0.5 * (1 + np.tanh(-0.5 * z)))) / n

    np.testing.assert_allclose(lfn.grad(w), logistic_numpy(), rtol=1e-9)
    times = interleaved_medians({"symcalc": lambda: lfn.grad(w), "hand-written": logistic_numpy}, rounds)
    print(f"logistic gradient {lg.gradient}, n = {n:,}: symcalc {times['symcalc'] * 1e3:.2f} ms, "
          f"hand-written {times['hand-written'] * 1e3:.2f} ms ({times['symcalc'] / times['hand-written']:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
