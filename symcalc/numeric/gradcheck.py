"""Finite-difference checks of a gradient: central differences with the step scaled to each coordinate,
and the largest absolute and relative errors over a set of points (per component, the tolerance stated).

Plain callables in, NumPy out: nothing here knows SymPy, so it checks a user's own NumPy gradient as well as a
compiled one.

Example:
    >>> from symcalc.numeric.gradcheck import gradcheck
    >>> gradcheck(lambda p: p[0] ** 2, [[3.0]], grad=lambda p: 2 * p).ok
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SymcalcError

__all__ = ["GradCheck", "gradcheck", "numerical_gradient"]


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, *, h: float | None = None) -> np.ndarray:
    """Central differences, each step scaled to its coordinate: ``h_i = eps^(1/3) * max(1, |x_i|)``.

    Example:
        >>> numerical_gradient(lambda p: p[0] ** 2 + 3 * p[1], [1.0, 2.0]).round(6)
        array([2., 3.])
    """
    x = np.asarray(x, dtype=np.float64).copy()
    steps = (
        np.full(x.shape, h) if h is not None else np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    )
    g = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += steps[i]
        down[i] -= steps[i]
        g[i] = (float(f(up)) - float(f(down))) / (up[i] - down[i])
    return g


@dataclass(frozen=True)
class GradCheck:
    """The result of :func:`gradcheck`: the largest errors over all points, and whether they are within tolerance."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    worst_point: np.ndarray | None
    worst_component: int | None
    rtol: float
    atol: float
    errors: list[np.ndarray] = field(default_factory=list)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"gradcheck {verdict}: max abs error {self.max_abs_error:.3g}, max rel error "
            f"{self.max_rel_error:.3g} (tolerance: |a - b| <= atol + rtol |b| with rtol={self.rtol:g}, "
            f"atol={self.atol:g}; central differences)"
            + ("" if self.ok else f"; worst at component {self.worst_component}, point {self.worst_point}")
        )


def gradcheck(
    fn: Any,
    points: Any,
    grad: Callable[[np.ndarray], Any] | None = None,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> GradCheck:
    """Compare a gradient (``grad``, or ``fn.grad``) with central differences of ``fn.f`` (or ``fn``) at points.

    Reports the largest absolute and relative errors per component, the way ``torch.autograd.gradcheck``
    does, rather than scipy's single absolute 2-norm.

    Example:
        >>> import symcalc as sc
        >>> gradcheck(sc.compile("x^2*y", ["x", "y"]), [[1.0, 2.0], [0.5, -1.0]]).ok
        True
    """
    f = getattr(fn, "f", fn)
    g = grad if grad is not None else getattr(fn, "grad", None)
    if g is None:
        raise SymcalcError("gradcheck needs a gradient: pass grad=... or a CompiledFunction")
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    worst_abs, worst_rel, worst_point, worst_comp, ok = 0.0, 0.0, None, None, True
    errors = []
    for p in pts:
        analytic = np.asarray(g(p.copy()), dtype=np.float64).reshape(-1)
        numeric = numerical_gradient(f, p)
        err = np.abs(analytic - numeric)
        rel = err / np.maximum(np.abs(numeric), 1e-12)
        errors.append(err)
        if np.any(err > atol + rtol * np.abs(numeric)):
            ok = False
        i = int(np.argmax(err))
        if err[i] >= worst_abs:
            worst_abs, worst_point, worst_comp = float(err[i]), p.copy(), i
        worst_rel = max(worst_rel, float(np.max(np.where(err > atol, rel, 0.0))))
    return GradCheck(ok, worst_abs, worst_rel, worst_point, worst_comp, rtol, atol, errors)
