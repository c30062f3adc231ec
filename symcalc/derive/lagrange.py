"""Constrained extrema by Lagrange multipliers: the stationary points of the Lagrangian, each classified by
the bordered Hessian and compared globally.

Example:
    >>> import symcalc as sc
    >>> r = sc.lagrange("x*y", ["x + y = 10"], ["x", "y"])
    >>> [(p.point, p.value) for p in r.maximum]
    [({x: 5, y: 5}, 25)]
    >>> r.minimum is None  # x*y has no minimum on the line x + y = 10
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from ..bounded import TimedOut, run_bounded
from ..errors import SymcalcError
from ..functions import lower
from ..parse import Source, parse, parse_equation
from ..variables import Variables, resolve_variables
from .critical import _is_real_number, _nice, _to_real, check_timeout

__all__ = ["LagrangePoint", "LagrangeResult", "lagrange"]


@dataclass(frozen=True)
class LagrangePoint:
    """A stationary point of the Lagrangian: ``.kind`` compares values (the global constrained maximum or
    minimum), ``.local`` is what the bordered Hessian says there, with ``.reason``."""

    point: dict[sympy.Symbol, sympy.Expr]
    value: sympy.Expr
    multipliers: tuple[sympy.Expr, ...]
    kind: str
    local: str = "inconclusive"
    reason: str = ""

    @property
    def coords(self) -> tuple[sympy.Expr, ...]:
        return tuple(self.point.values())


@dataclass(frozen=True)
class LagrangeResult:
    """Constrained extrema: ``.points`` (each with ``.multipliers`` and a kind), ``.maximum``, ``.minimum``
    (the best points, or None with the reason in ``.notes``)."""

    objective: sympy.Expr
    constraints: tuple[sympy.Expr, ...]
    variables: tuple[sympy.Symbol, ...]
    lagrangian: sympy.Expr
    points: tuple[LagrangePoint, ...]
    maximum: tuple[LagrangePoint, ...] | None
    minimum: tuple[LagrangePoint, ...] | None
    notes: tuple[str, ...]
    lines: tuple[tuple[str, Any], ...] = ()

    def __iter__(self) -> Iterator[LagrangePoint]:
        return iter(self.points)

    def to_text(self) -> str:
        from ..render import lagrange_to_text

        return lagrange_to_text(self)

    def to_markdown(self) -> str:
        from ..render import lagrange_to_markdown

        return lagrange_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import lagrange_to_latex

        return lagrange_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import lagrange_to_dict

        return lagrange_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


def _constraint(c: Source) -> sympy.Expr:
    eq = parse_equation(c)
    return eq.lhs - eq.rhs


def lagrange(
    objective: Source,
    constraints: Sequence[Source] | Source,
    variables: Variables = None,
    *,
    timeout: float = 5.0,
) -> LagrangeResult:
    """Extrema of f under equality constraints g_i = 0: stationary points of L = f - sum(lambda_i g_i).

    Which stationary point is the constrained maximum and which the minimum is decided by comparing values;
    where f takes larger (smaller) values far out on an unbounded constraint set, the maximum (minimum) does
    not exist, and ``.notes`` says so.

    Example:
        >>> r = lagrange("x*y", ["x + y = 10"], ["x", "y"])
        >>> [p.coords for p in r.maximum], r.minimum
        ([(5, 5)], None)
    """
    check_timeout(timeout)
    f = parse(objective)
    items = [constraints] if isinstance(constraints, str | sympy.Basic | int | float) else list(constraints)
    if not items:
        raise SymcalcError(
            "lagrange needs at least one constraint (g = 0 or lhs = rhs); for extrema without constraints use "
            "symcalc.critical_points, which classifies each point by the Hessian"
        )
    gs = [_constraint(c) for c in items]
    xs = resolve_variables([f, *gs], variables)
    others = sorted({s for e in (f, *gs) for s in e.free_symbols} - set(xs), key=str)
    if others:
        raise SymcalcError(
            f"the problem has symbols that are not variables: {', '.join(map(str, others))} "
            f"(the variables are {', '.join(map(str, xs))}); list them among the variables or give them values first"
        )
    lams = [sympy.Symbol(f"lambda_{i + 1}" if len(gs) > 1 else "lambda", real=True) for i in range(len(gs))]
    L = f - sum(lam * g for lam, g in zip(lams, gs, strict=True))
    unknowns = [*xs, *lams]
    system = [sympy.diff(L, v) for v in xs] + gs
    lines: list[tuple[str, Any]] = [("the Lagrangian", L), ("its stationary system", system)]
    try:
        sols = run_bounded(_solve_dicts, (system, unknowns), timeout)
        method = "symbolic"
    except (TimedOut, NotImplementedError, TypeError, ValueError):
        sols, method = [], "numeric"
    found: list[dict[sympy.Symbol, sympy.Expr]] = []
    for s in sols:
        if set(s) >= set(unknowns) and all(_is_real_number(s[v]) for v in unknowns):
            found.append({v: _to_real(s[v]) for v in unknowns})
    found += _numeric_lagrange(system, unknowns, found)
    found = [s for s in found if _on_constraints(f, gs, {x: s[x] for x in xs})]
    points = []
    for s in found:
        pt = {x: s[x] for x in xs}
        exact = all(not v.has(sympy.Float) for v in pt.values())
        value = f.subs(pt)
        value = sympy.simplify(value) if exact and sympy.count_ops(value) <= 60 else value.evalf(15)
        local, reason = _bordered_hessian(L, gs, xs, lams, s)
        points.append(LagrangePoint(pt, value, tuple(s[lam] for lam in lams), "neither", local, reason))
    lines.append((f"stationary points ({method})", [p.coords for p in points]))
    notes: list[str] = []
    maximum = minimum = None
    if points:
        values = [float(p.value) for p in points]
        hi, lo = max(values), min(values)
        far_hi, far_lo = _far_values(f, gs, xs)
        tol = 1e-9 * max(1.0, abs(hi), abs(lo))
        if far_hi is not None and far_hi > hi + tol:
            notes.append(
                f"no maximum: f reaches {far_hi:.4g} far out on the constraint set, above every stationary value"
            )
        else:
            maximum = tuple(p for p, v in zip(points, values, strict=True) if abs(v - hi) <= tol)
        if far_lo is not None and far_lo < lo - tol:
            notes.append(
                f"no minimum: f reaches {far_lo:.4g} far out on the constraint set, below every stationary value"
            )
        else:
            minimum = tuple(p for p, v in zip(points, values, strict=True) if abs(v - lo) <= tol)
        if maximum and minimum and abs(hi - lo) <= tol:
            notes.append("f is constant at its stationary points")
        kinds = {
            id(p): (
                "constrained maximum"
                if maximum and p in maximum
                else "constrained minimum"
                if minimum and p in minimum
                else "neither"
            )
            for p in points
        }
        points = [
            LagrangePoint(p.point, p.value, p.multipliers, kinds[id(p)], p.local, p.reason) for p in points
        ]
        maximum = tuple(p for p in points if p.kind == "constrained maximum") or None
        minimum = tuple(p for p in points if p.kind == "constrained minimum") or None
    else:
        notes.append("the stationary system has no real solution")
    return LagrangeResult(
        f, tuple(gs), tuple(xs), L, tuple(points), maximum, minimum, tuple(notes), tuple(lines)
    )


def _on_constraints(f: sympy.Expr, gs: list[sympy.Expr], pt: dict[sympy.Symbol, sympy.Expr]) -> bool:
    """The last guard before a point is reported: every constraint holds there and f is real there."""
    subs = {k: sympy.sympify(v).evalf(30) for k, v in pt.items()}
    try:
        values = [complex(lower(e).evalf(30, subs=subs)) for e in (f, *gs)]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return False
    scale = max([1.0, *(abs(complex(v)) for v in subs.values())])
    fv, residuals = values[0], values[1:]
    return (
        all(np.isfinite(v) for v in values)
        and abs(fv.imag) <= 1e-9 * max(1.0, abs(fv))
        and all(abs(r) <= 1e-8 * scale for r in residuals)
    )


def _real_parts(v: Any) -> np.ndarray:
    """Residuals as real numbers: a complex residual r counts as the two equations Re r = 0 and Im r = 0 (a
    constraint x + y = i has no real point, and casting would drop the i)."""
    a = np.asarray(v, dtype=complex).reshape(-1)
    return np.concatenate([a.real, a.imag]) if np.any(a.imag) else a.real


def _real_jacobian(v: Any, rows: int, cols: int) -> np.ndarray:
    a = np.asarray(v, dtype=complex).reshape(rows, cols)
    return np.vstack([a.real, a.imag]) if np.any(a.imag) else a.real


def _bordered_hessian(
    L: sympy.Expr,
    gs: list[sympy.Expr],
    xs: list[sympy.Symbol],
    lams: list[sympy.Symbol],
    at: dict[sympy.Symbol, sympy.Expr],
) -> tuple[str, str]:
    """The bordered Hessian test at a stationary point: the signs of its last n - m leading principal minors."""
    n, m = len(xs), len(gs)
    subs = {k: sympy.sympify(v).evalf(30) for k, v in at.items()}
    try:
        J = np.array(sympy.Matrix(gs).jacobian(xs).evalf(30, subs=subs).tolist(), dtype=float)
        H = np.array(sympy.hessian(L, xs).evalf(30, subs=subs).tolist(), dtype=float)
    except (TypeError, ValueError):
        return "inconclusive", "the bordered Hessian cannot be evaluated here"
    B = np.block([[np.zeros((m, m)), J], [J.T, H]])
    orders = list(range(2 * m + 1, n + m + 1))
    minors = [float(np.linalg.det(B[:k, :k])) for k in orders]
    if not minors:
        return "inconclusive", "no free direction along the constraints"
    scale = max(1.0, float(np.max(np.abs(B))) ** 2)
    if any(abs(d) <= 1e-10 * scale for d in minors):
        return (
            "inconclusive",
            f"a minor of the bordered Hessian is 0 ({', '.join(f'{d:.4g}' for d in minors)})",
        )
    shown = ", ".join(f"{d:.4g}" for d in minors)
    if all(np.sign(d) == (-1) ** m for d in minors):
        return "local constrained minimum", f"bordered Hessian minors {shown} all have the sign of (-1)^m"
    if all(np.sign(d) == (-1) ** (k - m) for k, d in zip(orders, minors, strict=True)):
        return (
            "local constrained maximum",
            f"bordered Hessian minors {shown}: the one of order k has the sign of (-1)^(k-m)",
        )
    return "neither", f"bordered Hessian minors {shown} follow neither sign pattern"


def _solve_dicts(
    system: list[sympy.Expr], unknowns: list[sympy.Symbol]
) -> list[dict[sympy.Symbol, sympy.Expr]]:
    return [s for s in sympy.solve(system, unknowns, dict=True) if isinstance(s, dict)]


def _numeric_lagrange(
    system: list[sympy.Expr], unknowns: list[sympy.Symbol], known: list[dict[sympy.Symbol, sympy.Expr]]
) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """Newton on the stationary system from seeded starts: points the symbolic solve missed."""
    F = sympy.lambdify(unknowns, system, modules="numpy")
    J = sympy.lambdify(unknowns, sympy.Matrix(system).jacobian(unknowns), modules="numpy")
    # the size of each equation's terms, so that a residual is judged relative to them (exp underflow is no root)
    terms = sympy.lambdify(
        unknowns, [sympy.Add(*[abs(t) for t in sympy.Add.make_args(eq)]) for eq in system], modules="numpy"
    )
    rng = np.random.default_rng(1)
    found = [np.array([float(s[v]) for v in unknowns]) for s in known]
    new: list[dict[sympy.Symbol, sympy.Expr]] = []
    with np.errstate(all="ignore"):
        for _ in range(120):
            x = rng.uniform(-6, 6, len(unknowns))
            for _ in range(50):
                try:
                    fx = np.asarray(F(*x), dtype=complex).reshape(-1)
                    jx = _real_jacobian(J(*x), len(system), len(unknowns))
                    fx = np.concatenate([fx.real, fx.imag]) if len(jx) > len(system) else fx.real
                    if not (np.all(np.isfinite(fx)) and np.all(np.isfinite(jx))):
                        break  # LAPACK may not return on non-finite input
                    x = x - np.linalg.lstsq(jx, fx, rcond=None)[0]
                except (ValueError, TypeError, ZeroDivisionError, np.linalg.LinAlgError):
                    break
                if not np.all(np.isfinite(x)):
                    break
            try:
                residual = np.abs(np.asarray(F(*x), dtype=complex).reshape(-1))
                scale = np.abs(np.asarray(terms(*x), dtype=complex).reshape(-1))
            except (ValueError, TypeError, ZeroDivisionError):
                continue
            near_zero = np.linalg.norm(x) < 1e-6
            solved = (residual <= 1e-8 * scale) | (residual == 0) | ((scale < 1e-12) & near_zero)
            if not np.all(np.isfinite(x)) or not np.all(solved):
                continue
            if any(np.linalg.norm(x - q) < 1e-6 for q in found):
                continue
            found.append(x)
            new.append({v: _nice(float(c)) for v, c in zip(unknowns, x, strict=True)})
    return new


def _far_values(
    f: sympy.Expr, gs: list[sympy.Expr], xs: list[sympy.Symbol]
) -> tuple[float | None, float | None]:
    """The largest and smallest values of f at points of the constraint set far from the origin (if any)."""
    if not gs:
        return None, None
    G = sympy.lambdify(xs, gs, modules="numpy")
    JG = sympy.lambdify(xs, sympy.Matrix(gs).jacobian(xs), modules="numpy")
    Fn = sympy.lambdify(xs, lower(f), modules="numpy")
    rng = np.random.default_rng(2)
    values = []
    with np.errstate(all="ignore"):
        for radius in (1e2, 1e3):
            for _ in range(40):
                x = rng.normal(size=len(xs))
                x = radius * x / np.linalg.norm(x)
                for _ in range(30):  # project onto the constraint set (least-change Newton)
                    try:
                        gx = _real_parts(G(*x))
                        jx = _real_jacobian(JG(*x), len(gs), len(xs))
                        if len(jx) != len(gx):
                            break
                        if not (np.all(np.isfinite(gx)) and np.all(np.isfinite(jx))):
                            break
                        x = x - np.linalg.lstsq(jx, gx, rcond=None)[0]
                    except (ValueError, TypeError, np.linalg.LinAlgError):
                        break
                try:
                    ok = np.linalg.norm(np.asarray(G(*x), dtype=complex)) < 1e-8 * max(
                        1.0, float(np.linalg.norm(x))
                    )
                    fv = complex(Fn(*x))
                    if abs(fv.imag) > 1e-9 * max(1.0, abs(fv)):
                        continue
                    v = fv.real
                except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                    continue
                if ok and np.linalg.norm(x) > radius / 4 and np.isfinite(v):
                    values.append(v)
    if not values:
        return None, None
    return max(values), min(values)
