"""The API layer over :mod:`symcalc.optimize`: minimize an expression (compiled on the way), choose the step
from calculus (:func:`suggest_lr`), and check the answer against the symbolic critical points (``verify``).

Example:
    >>> import symcalc as sc
    >>> res = sc.minimize("(x - 3)^2 + 2*(y + 1)^2", [0.0, 0.0])
    >>> res.success, [round(float(v), 6) for v in res.x]
    (True, [3.0, -1.0])
    >>> res.verify().reached
    'local minimum'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import sympy

from ..errors import OptimizationError
from ..parse import Source
from ..render.notation import text
from .compile import CompiledFunction, compile
from .updates import OptimizeResult, UpdateRule
from .updates import minimize as _minimize

__all__ = ["LearningRate", "Verification", "minimize", "suggest_lr"]


@dataclass(frozen=True)
class LearningRate:
    """A step size from calculus: ``lr`` below ``2/L``, where ``L`` bounds the Hessian's largest eigenvalue."""

    lr: float
    L: float
    exact: bool
    explanation: str

    def __float__(self) -> float:
        return self.lr


def _region_points(region: Any, n: int, count: int = 400) -> np.ndarray:
    rng = np.random.default_rng(0)
    if region is None:
        box = [(-2.0, 2.0)] * n
    elif isinstance(region, Mapping):
        box = list(region.values())
    else:
        box = list(region)
    lo = np.array([b[0] for b in box], dtype=float)
    hi = np.array([b[1] for b in box], dtype=float)
    corners = (
        np.array(np.meshgrid(*[np.linspace(a, b, 5) for a, b in box])).reshape(n, -1).T
        if 5**n <= count
        else np.empty((0, n))
    )
    return np.vstack([corners, lo + (hi - lo) * rng.random((count, n))])


def suggest_lr(expr: Source | CompiledFunction, region: Any = None, variables: Any = None) -> LearningRate:
    """A fixed step for gradient descent: ``1/L`` (safely below the divergence bound ``2/L``).

    ``L`` is the Hessian's largest eigenvalue: exactly for a quadratic (a constant Hessian), else the largest
    found over a grid and random points of ``region`` (a box, ``{"x": (lo, hi)}`` or ``[(lo, hi), ...]``;
    default ``[-2, 2]`` in every variable), which is an estimate, as the explanation says.

    Example:
        >>> suggest_lr("x^2 + 10*y^2").lr
        0.05
    """
    fn = expr if isinstance(expr, CompiledFunction) else compile(expr, variables, on_domain_error="ignore")
    H = fn.hessian_expr
    if not H.free_symbols:
        eig = np.linalg.eigvalsh(np.array(H.tolist(), dtype=float))
        L, exact = float(max(abs(eig.max()), abs(eig.min()))), True
        how = "the Hessian is constant (a quadratic), so L is exact"
    else:
        pts = _region_points(region, fn.n)
        hs = fn.hess(pts)
        ok = np.all(np.isfinite(hs), axis=(1, 2))
        if not ok.any():
            raise OptimizationError(
                "the Hessian is not finite anywhere in the region, so no step size can be suggested; "
                "start inside the domain of f, or pass lr=..."
            )
        eig = np.linalg.eigvalsh(hs[ok])
        L, exact = float(np.max(np.abs(eig))), False
        how = f"L is the largest |eigenvalue| of the Hessian over {int(ok.sum())} points of the region (an estimate)"
    if L <= 0:
        raise OptimizationError(
            "the Hessian is zero in the region: f is linear there, so no step size is safe"
        )
    lr = 1.0 / L
    text = (
        f"L = {L:.6g}: {how}. Gradient descent diverges on a quadratic with a step above 2/L = {2 / L:.6g}; "
        f"the step 1/L = {lr:.6g} is safe."
    )
    return LearningRate(lr, L, exact, text)


@dataclass(frozen=True)
class Verification:
    """What ``OptimizeResult.verify()`` found: the nearest critical point, how far, its kind, and a gradient check."""

    reached: str
    point: dict[str, Any] | None
    distance: float | None
    is_minimum: bool
    gradient_check: Any
    message: str

    def __str__(self) -> str:
        return self.message


def _verifier(fn: CompiledFunction, timeout: float) -> Callable[[OptimizeResult], Verification]:
    # a partial of a module-level function, not a closure, so that the result pickles
    return partial(_verify, fn, timeout)


def _verify(fn: CompiledFunction, timeout: float, res: OptimizeResult) -> Verification:
    """Compare the end point of a run with the critical points of ``fn`` (``OptimizeResult.verify()``)."""
    from ..derive.critical import critical_points
    from .gradcheck import gradcheck

    x = np.asarray(res.x, dtype=float)
    if res.status == 3 or not np.all(np.isfinite(x)):  # status 3: the run diverged
        return Verification(
            "diverged",
            None,
            None,
            False,
            None,
            "the run diverged: there is no end point to compare with the critical points",
        )
    gc = gradcheck(fn, [x])
    try:
        cps = critical_points(fn.expr, list(fn.variables), timeout=timeout)
    except Exception as err:  # noqa: BLE001 - a failed search is reported, not raised
        return Verification("unknown", None, None, False, gc, f"could not find the critical points: {err}")
    best, dist = None, float("inf")
    for cp in cps:
        d = float(np.linalg.norm(cp.as_floats() - x))
        if best is None or d < dist:
            best, dist = cp, d
    if best is None:
        return Verification(
            "none", None, None, False, gc, "f has no isolated critical points to compare with"
        )
    near = dist <= 1e-3 * max(1.0, float(np.linalg.norm(best.as_floats())))
    kind = best.kind if near else "no critical point"
    where = ", ".join(f"{k} = {text(v)}" for k, v in best.point.items())  # data in, decimals out
    if near:
        msg = f"reached the {best.kind} at ({where}), distance {dist:.3g}"
        if best.kind != "local minimum":
            msg += f": NOT a minimum ({best.reason})"
    else:
        msg = f"did not reach a critical point: the nearest is the {best.kind} at ({where}), {dist:.3g} away"
    msg += f"; gradient check at the end point: {'ok' if gc.ok else 'FAILED'}"
    point = {str(k): v for k, v in best.point.items()}
    return Verification(kind, point, dist, near and best.kind == "local minimum", gc, msg)


def minimize(
    fun: Source | CompiledFunction | Callable[[np.ndarray], float],
    x0: Any,
    method: str | UpdateRule = "gd",
    *,
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    hess: Callable[[np.ndarray], np.ndarray] | None = None,
    lr: float | None = None,
    variables: Sequence[str] | None = None,
    max_iter: int = 10_000,
    gtol: float = 1e-8,
    verify_timeout: float = 5.0,
    **options: Any,
) -> OptimizeResult:
    """Minimize an expression (compiled on the way), a :class:`CompiledFunction`, or plain callables.

    With an expression, ``lr=None`` for ``"gd"``, ``"momentum"`` and ``"nesterov"`` uses :func:`suggest_lr`
    around ``x0``, and the result's ``verify()`` compares the end point with the symbolic critical points.

    Example:
        >>> minimize("x^2", [1.0], method="newton").x
        array([0.])
    """
    from .matrix import MatrixFunction  # a matrix-form objective brings its gradient, Hessian and check

    if isinstance(fun, MatrixFunction):
        return fun.minimize(x0, method, lr=lr, max_iter=max_iter, gtol=gtol, **options)
    if callable(fun) and not isinstance(fun, CompiledFunction | sympy.Basic):
        if jac is None:
            raise OptimizationError("with a plain callable, pass jac=... (its gradient)")
        return _minimize(
            fun, x0, jac=jac, hess=hess, method=method, lr=lr, max_iter=max_iter, gtol=gtol, **options
        )
    fn = fun if isinstance(fun, CompiledFunction) else compile(fun, variables, on_domain_error="ignore")
    try:
        x0 = np.asarray(x0, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise OptimizationError(f"x0 must be numbers, one per variable, got {x0!r}") from None
    if len(x0) != fn.n:
        raise OptimizationError(
            f"x0 has {len(x0)} coordinates; f has {fn.n} variable{'s' if fn.n != 1 else ''} "
            f"({', '.join(map(str, fn.variables))})"
        )
    if not np.all(np.isfinite(x0)):
        raise OptimizationError(f"x0 must be finite numbers, got {x0.tolist()}")
    with np.errstate(all="ignore"):
        f0, g0 = fn.f(x0), fn.grad(x0)
    if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(g0))):
        bad_f = not np.all(np.isfinite(f0))
        what = f"f(x0) = {float(f0):g}" if bad_f else f"grad f(x0) = {np.asarray(g0).tolist()}"
        raise OptimizationError(
            f"{'f' if bad_f else 'the gradient of f'} is not finite at the start x0 = {x0.tolist()}: {what}; "
            "start where f and its gradient are finite numbers"
        )
    if lr is None and method in ("gd", "momentum", "nesterov"):
        box = [(c - 2.0, c + 2.0) for c in x0]
        suggested = suggest_lr(fn, box).lr
        lr = suggested * (0.1 if method != "gd" else 1.0)
    res = _minimize(
        fn.f,  # type: ignore[arg-type]  # a point (n,) gives a float
        x0,
        jac=fn.grad,
        hess=fn.hess,
        method=method,
        lr=lr,
        max_iter=max_iter,
        gtol=gtol,
        # unchecked: the loop watches f and the gradient's norm, where a nan or inf shows at no extra cost
        value_and_grad=fn._value_and_grad_at,
        **options,
    )
    if res.status == 3 and fn.on_domain_error != "ignore":
        fn.value_and_grad(res.x)  # the full check where the run diverged: a DomainWarning or DomainError
    res["_verify"] = _verifier(fn, verify_timeout)
    return res
