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

__all__ = ["ROUNDOFF_FACTOR", "GradCheck", "gradcheck", "numerical_gradient"]

#: How many times the rounding error of a central difference (eps |f| / h) a gradient check allows: a compiled
#: f may lose a few more digits than one rounding in its own arithmetic.
ROUNDOFF_FACTOR = 16.0


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, *, h: float | None = None) -> np.ndarray:
    """Central differences, each step scaled to its coordinate: ``h_i = eps^(1/3) * max(1, |x_i|)``.

    Example:
        >>> numerical_gradient(lambda p: p[0] ** 2 + 3 * p[1], [1.0, 2.0]).round(6)
        array([2., 3.])
    """
    return _central(f, x, h)[0]


def _central(f: Callable[[np.ndarray], Any], x: Any, h: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Central differences, and for each component the rounding error they may carry: each value of f is off
    by up to eps |f|, so their difference over the step 2h by up to eps (|f(x+h)| + |f(x-h)|) / (2h)."""
    x = np.asarray(x, dtype=np.float64).copy()
    steps = (
        np.full(x.shape, h) if h is not None else np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    )
    g = np.empty_like(x)
    roundoff = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += steps[i]
        down[i] -= steps[i]
        fu, fd = float(f(up)), float(f(down))
        g[i] = (fu - fd) / (up[i] - down[i])
        roundoff[i] = np.finfo(float).eps * (abs(fu) + abs(fd)) / (up[i] - down[i])
    return g, roundoff


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
    #: the largest allowance made for the rounding error of the differences (see :func:`gradcheck`)
    roundoff: float = 0.0
    #: the classic mistakes named in the gradient, as ``(component, mistake id, sentence)``: filled by
    #: :func:`symcalc.gradcheck` for a compiled function and a hand-written gradient (the ids and sentences of
    #: :func:`symcalc.check_gradient`)
    named: tuple[tuple[int, str, str], ...] = ()

    @property
    def mistakes(self) -> tuple[str, ...]:
        """The ids of the mistakes named (``"chain.missing_inner"``, ...), in component order."""
        return tuple(m for _, m, _ in self.named)

    @property
    def hints(self) -> tuple[str, ...]:
        """One sentence per mistake named."""
        return tuple(h for _, _, h in self.named)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (
            f"gradcheck {verdict}: max abs error {self.max_abs_error:.3g}, max rel error "
            f"{self.max_rel_error:.3g} (tolerance: |a - b| <= atol + rtol max(|a|, |b|) + the rounding error of "
            f"the differences, with rtol={self.rtol:g}, atol={self.atol:g}, rounding error up to "
            f"{self.roundoff:.3g}; central differences)"
            + ("" if self.ok else f"; worst at component {self.worst_component}, point {self.worst_point}")
            + "".join(f"; component {i}: mistake {m}: {h}" for i, m, h in self.named)
        )

    def _display_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("verdict", "ok" if self.ok else "FAILED"),
            ("max abs error", f"{self.max_abs_error:.3g}"),
            ("max rel error", f"{self.max_rel_error:.3g}"),
            ("tolerance", f"|a - b| <= atol + rtol |b|, rtol = {self.rtol:g}, atol = {self.atol:g}"),
            ("points", f"{len(self.errors)}, central differences"),
        ]
        if self.worst_point is not None:
            where = np.array2string(self.worst_point, precision=6, threshold=20)
            rows.append(("largest error", f"component {self.worst_component} at {where}"))
        rows += [(f"mistake (component {i})", f"{m}: {h}") for i, m, h in self.named]
        return rows

    def _repr_markdown_(self) -> str:
        rows = [f"| {k} | {v.replace('|', '&#124;')} |" for k, v in self._display_rows()]
        head = f"**gradcheck {'ok' if self.ok else 'FAILED'}**"
        return "\n".join([head, "", "| | |", "| --- | --- |", *rows]) + "\n"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>{escape(v)}</td></tr>"
            for k, v in self._display_rows()
        )
        return f"<p><b>gradcheck {'ok' if self.ok else 'FAILED'}</b></p><table>{rows}</table>"


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
    does, rather than scipy's single absolute 2-norm. A component passes when

    :math:`|a - b| \\le \\mathrm{atol} + \\mathrm{rtol} \\max(|a|, |b|) + 16\\,\\varepsilon (|f(x + h)| + |f(x - h)|) / 2h`,

    the last term being what rounding can do to the difference of two large values of f: where f is huge
    (a run that diverged) a right gradient is not called wrong. A value that is not finite fails.

    Example:
        >>> import symcalc as sc
        >>> gradcheck(sc.compile("x^2*y", ["x", "y"]), [[1.0, 2.0], [0.5, -1.0]]).ok
        True
    """
    f = getattr(fn, "f", fn)
    g = grad if grad is not None else getattr(fn, "grad", None)
    if g is None:
        raise SymcalcError("gradcheck needs a gradient: pass grad=... or a CompiledFunction")
    try:
        pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise SymcalcError(f"gradcheck needs points as numbers: {exc}") from None
    if not np.all(np.isfinite(pts)):
        raise SymcalcError("gradcheck needs finite points (no nan or inf)")
    worst_abs, worst_rel, worst_point, worst_comp, ok, allowance = 0.0, 0.0, None, None, True, 0.0
    errors = []
    for p in pts:
        analytic = np.asarray(g(p.copy()), dtype=np.float64).reshape(-1)
        with np.errstate(all="ignore"):
            numeric, roundoff = _central(f, p)
            err = np.abs(analytic - numeric)
            rel = err / np.maximum(np.abs(numeric), 1e-12)
            allowed = atol + rtol * np.maximum(np.abs(analytic), np.abs(numeric)) + ROUNDOFF_FACTOR * roundoff
        errors.append(err)
        finite = np.isfinite(analytic) & np.isfinite(numeric)
        if not np.all(finite) or np.any(err > allowed):
            ok = False
        allowance = max(
            allowance, float(np.max(np.where(finite, ROUNDOFF_FACTOR * roundoff, 0.0), initial=0.0))
        )
        err_seen = np.where(finite, err, np.inf)
        i = int(np.argmax(err_seen))
        if err_seen[i] >= worst_abs:
            worst_abs, worst_point, worst_comp = float(err_seen[i]), p.copy(), i
        worst_rel = max(worst_rel, float(np.max(np.where(finite & (err > atol), rel, 0.0), initial=0.0)))
    return GradCheck(ok, worst_abs, worst_rel, worst_point, worst_comp, rtol, atol, errors, allowance)
