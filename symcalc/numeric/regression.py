r"""Linear regression, the seed exercise: the mean squared error written symbolically (as a sum over the data,
so nothing is unrolled), its gradient with a worked trace, gradient descent and mini-batch SGD on it, and the
comparison with the closed form (``numpy.linalg.lstsq``).

The numeric work uses the vector form :math:`\nabla = \frac{2}{m} A^\top (A\theta - y)` with
:math:`A = [X, 1]`: about 10 ms a gradient at m = 1,000,000 rows and 10 features.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = X @ [2.0, -1.0] + 0.5
    >>> fit = linear_regression(X, y)
    >>> fit.max_abs_difference < 1e-6
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from ..errors import OptimizationError

__all__ = ["RegressionFit", "linear_regression", "mse_expression"]


def mse_expression(n_features: int) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    """The MSE over data as SymPy: ``Sum((w_1 X[i,0] + ... + b - y[i])^2, (i, 1, m)) / m``, and its parameters."""
    i = sympy.Symbol("i", integer=True)
    m = sympy.Symbol("m", integer=True, positive=True)
    X, y = sympy.IndexedBase("X", real=True), sympy.IndexedBase("y", real=True)
    ws = [sympy.Symbol(f"w_{k + 1}", real=True) for k in range(n_features)]
    b = sympy.Symbol("b", real=True)
    prediction = sum(w * X[i, k] for k, w in enumerate(ws)) + b
    return sympy.Sum((prediction - y[i]) ** 2, (i, 1, m)) / m, [*ws, b]


@dataclass(frozen=True)
class RegressionFit:
    """The parameters found, the closed form, and how they compare; ``history`` holds the MSE per step."""

    params: np.ndarray
    closed_form: np.ndarray
    max_abs_difference: float
    method: str
    iterations: int
    mse: float
    history: np.ndarray = field(repr=False)
    expression: sympy.Expr = field(repr=False)
    parameters: tuple[sympy.Symbol, ...] = field(repr=False)

    def gradient_trace(self, k: int = 0) -> Any:
        """The worked derivative of the MSE by parameter ``k`` (the sum rule over the data, then the chain rule)."""
        from ..derive.derivative import derivative

        return derivative(self.expression, self.parameters[k])

    def _summary(self) -> str:
        return (
            f"{self.method} took {self.iterations} steps to an MSE of {self.mse:.6g}; it is "
            f"{self.max_abs_difference:.3g} from the closed form (lstsq) at most"
        )

    def _rows(self) -> list[tuple[str, str, str]]:
        return [
            (sympy.latex(p), f"{a:.8g}", f"{b:.8g}")
            for p, a, b in zip(self.parameters, self.params, self.closed_form, strict=True)
        ]

    def _repr_markdown_(self) -> str:
        rows = [f"| ${p}$ | {a} | {b} |" for p, a, b in self._rows()]
        table = ["| parameter | fitted | closed form |", "| --- | --- | --- |", *rows]
        return "\n".join([f"**Linear regression**: {self._summary()}.", "", *table]) + "\n"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>\\({escape(p)}\\)</td><td>{a}</td><td>{b}</td></tr>" for p, a, b in self._rows()
        )
        head = "<tr><th>parameter</th><th>fitted</th><th>closed form</th></tr>"
        return f"<p><b>Linear regression</b>: {escape(self._summary())}.</p><table>{head}{rows}</table>"


def linear_regression(
    X: Any,
    y: Any,
    *,
    method: str = "gd",
    lr: float | None = None,
    max_iter: int = 20_000,
    tol: float = 1e-10,
    batch_size: int | None = None,
    epochs: int = 50,
    seed: int = 0,
) -> RegressionFit:
    """Fit y ~ X w + b by gradient descent (``"gd"``) or mini-batch SGD (``"sgd"``) and compare with ``lstsq``.

    ``lr=None`` takes 1/L, with L the largest eigenvalue of the MSE's (constant) Hessian 2 A^T A / m: the
    largest step that is safe for a quadratic is 2/L.
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    ya = np.asarray(y, dtype=np.float64).reshape(-1)
    m, n = Xa.shape
    if len(ya) != m:
        raise OptimizationError(f"X has {m} rows but y has {len(ya)}")
    A = np.hstack([Xa, np.ones((m, 1))])
    closed = np.linalg.lstsq(A, ya, rcond=None)[0]
    L = 2.0 * float(np.linalg.eigvalsh(A.T @ A / m).max())
    step = lr if lr is not None else 1.0 / L
    theta = np.zeros(n + 1)
    history = []
    it = 0
    diverged = False
    if method == "gd":
        with np.errstate(all="ignore"):
            while it < max_iter:
                it += 1
                r = A @ theta - ya
                history.append(float(r @ r) / m)
                g = (2.0 / m) * (A.T @ r)
                theta -= step * g
                gn = float(np.linalg.norm(g))
                if not np.isfinite(gn) or gn < tol:
                    diverged = not np.isfinite(gn)
                    break
    elif method == "sgd":
        rng = np.random.default_rng(seed)
        bs = batch_size or min(m, 64)
        for _epoch in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, bs):
                rows = order[start : start + bs]
                r = A[rows] @ theta - ya[rows]
                theta -= step * (2.0 / len(rows)) * (A[rows].T @ r)
                it += 1
            r = A @ theta - ya
            history.append(float(r @ r) / m)
    else:
        raise OptimizationError(f"method must be 'gd' or 'sgd', not {method!r}")
    if diverged or not np.all(np.isfinite(theta)):
        raise OptimizationError(f"diverged: the step {step:g} is above 2/L = {2 / L:g}")
    expr, params = mse_expression(n)
    with np.errstate(all="ignore"):
        r = A @ theta - ya
    return RegressionFit(
        theta,
        closed,
        float(np.max(np.abs(theta - closed))),
        method,
        it,
        float(r @ r) / m,
        np.array(history),
        expr,
        tuple(params),
    )
