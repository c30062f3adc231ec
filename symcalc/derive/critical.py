r"""Critical points and their classification, with a worked trace.

``critical_points`` solves grad f = 0 symbolically within a time budget, and always also searches numerically
(Newton's method on the gradient with the compiled Hessian, from a grid and random starts, deduplicated and
refined), because ``sympy.solve`` misses points (on Himmelblau's function it returns 4 of the 9). Points
found only numerically are marked ``exact=False``. Each point is classified by the second-derivative test
(for one variable with higher derivatives or the sign test when f'' = 0; for several by the Hessian's
eigenvalues and, for two, the discriminant D); a singular Hessian gives ``"inconclusive"`` with the reason,
never a guess.

Example:
    >>> import symcalc as sc
    >>> cp = sc.critical_points("x^3 - 3*x*y + y^3", ["x", "y"])
    >>> [(p.coords, p.kind) for p in cp]
    [((0, 0), 'saddle point'), ((1, 1), 'local minimum')]
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from ..bounded import TimedOut, run_bounded
from ..errors import LimitError, SymcalcError
from ..functions import lower
from ..parse import Source, parse
from ..variables import Variables, resolve_variables
from .multivariable import gradient
from .steps import reduce_as_stored

__all__ = [
    "CriticalPoint",
    "CriticalPoints",
    "Family",
    "critical_points",
]

KINDS = ("local minimum", "local maximum", "saddle point", "neither", "inconclusive")
#: Newton refinement stops at this gradient norm.
TOL = 1e-12
#: Two numeric points closer than this are the same point.
SAME_POINT = 1e-6
#: Starts of the numeric search (a grid plus seeded random points: deterministic).
STARTS = 400
NEWTON_STEPS = 60
#: A closed form longer than this (quartic radicals) is shown as a 15-digit number instead (exact=False).
MAX_EXACT_OPS = 40
DEFAULT_RADIUS = 10.0


@dataclass(frozen=True)
class CriticalPoint:
    """A critical point: ``.point`` (symbol -> value), ``.value``, ``.kind``, ``.exact``, the Hessian there, its
    eigenvalues, and ``.reason`` (the test that decided, or why none could)."""

    point: dict[sympy.Symbol, sympy.Expr]
    value: sympy.Expr
    kind: str
    exact: bool
    hessian: sympy.Matrix
    eigenvalues: tuple[float, ...]
    reason: str
    test: str = ""

    @property
    def coords(self) -> tuple[sympy.Expr, ...]:
        """The coordinates in variable order."""
        return tuple(self.point.values())

    def as_floats(self) -> np.ndarray:
        return np.array([float(v) for v in self.point.values()])

    def _repr_latex_(self) -> str:
        return rf"$${_point_latex(self.point)}:\ \text{{{self.kind}}},\ f = {sympy.latex(self.value)}$$"

    def _repr_markdown_(self) -> str:
        eig = ", ".join(f"{v:.6g}" for v in self.eigenvalues)
        lines = [
            f"**{self.kind}** at ${_point_latex(self.point)}$, $f = {sympy.latex(self.value)}$",
            "",
            f"- Hessian: ${sympy.latex(self.hessian, mat_str='bmatrix', mat_delim='')}$"
            + (f", eigenvalues {eig}" if eig else ""),
        ]
        if self.reason:
            lines.append(f"- {self.reason}")
        if not self.exact:
            lines.append("- found numerically (15 digits)")
        return "\n".join(lines) + "\n"


def _point_latex(point: dict[sympy.Symbol, sympy.Expr]) -> str:
    names = ", ".join(sympy.latex(k) for k in point)
    values = ", ".join(sympy.latex(v) for v in point.values())
    return f"({names}) = ({values})" if len(point) > 1 else f"{names} = {values}"


@dataclass(frozen=True)
class Family:
    """Infinitely many critical points: a description, a parametric form where one exists, and their kind."""

    description: str
    equations: tuple[sympy.Basic, ...]
    kind: str = "inconclusive"

    def _repr_markdown_(self) -> str:
        eqs = ", ".join(f"${sympy.latex(e)}$" for e in self.equations)
        return f"**{self.kind}**: {self.description}" + (f" ({eqs})" if eqs else "") + "\n"


@dataclass(frozen=True)
class NondifferentiablePoint:
    """A point where f is not differentiable (|x| at 0), with what the sign test says."""

    point: dict[sympy.Symbol, sympy.Expr]
    value: sympy.Expr
    kind: str
    reason: str

    def _repr_markdown_(self) -> str:
        return (
            f"**{self.kind}** at ${_point_latex(self.point)}$ (not differentiable there), "
            f"$f = {sympy.latex(self.value)}$: {self.reason}\n"
        )


@dataclass(frozen=True)
class CriticalPoints:
    """The critical points of f: iterate for the :class:`CriticalPoint` list (``.points``).

    Attributes:
        infinite: True when there are infinitely many (a line, a curve, a periodic family).
        families: the infinite families found, described.
        exact: True when every point was found symbolically and the symbolic solution was complete.
        nondifferentiable: points where the gradient does not exist (they are critical points too).
        lines: the worked solution, as ``(label, content)`` pairs.
    """

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    points: tuple[CriticalPoint, ...]
    infinite: bool
    families: tuple[Family, ...]
    exact: bool
    nondifferentiable: tuple[NondifferentiablePoint, ...] = ()
    lines: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    method: str = ""

    def __iter__(self) -> Iterator[CriticalPoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> CriticalPoint:
        return self.points[i]

    def to_text(self) -> str:
        from ..render import critical_to_text

        return critical_to_text(self)

    def to_markdown(self) -> str:
        from ..render import critical_to_markdown

        return critical_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import critical_to_latex

        return critical_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import critical_to_dict

        return critical_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    __reduce__ = reduce_as_stored  # the equations are kept as factored: 3*(x**2 - y)

    def __str__(self) -> str:
        return self.to_text()


# -- solving --------------------------------------------------------------------------------------------


def _solve(equations: list[sympy.Expr], xs: list[sympy.Symbol]) -> list[dict[sympy.Symbol, sympy.Expr]]:
    if len(xs) == 1:
        solved = sympy.solveset(equations[0], xs[0], domain=sympy.S.Reals)
        if isinstance(solved, sympy.FiniteSet):
            return [{xs[0]: s} for s in solved]
        raise _Infinite(solved)
    solutions: list[dict[sympy.Symbol, sympy.Expr]] = sympy.solve(equations, xs, dict=True)
    return solutions


class _Infinite(Exception):
    def __init__(self, solution_set: Any) -> None:
        super().__init__(str(solution_set))
        self.solution_set = solution_set


def _is_real_number(v: sympy.Expr) -> bool:
    if not v.is_number:
        return False
    if v.is_real is False:
        return False
    c = complex(v.evalf(30))
    return abs(c.imag) <= 1e-12 * max(1.0, abs(c))


def _to_real(v: sympy.Expr) -> sympy.Expr:
    """A real number from a closed form (a long one, or one with a vanishing imaginary part, as a number)."""
    if v.is_real and sympy.count_ops(v) <= MAX_EXACT_OPS:
        return v
    return _long_form(v)


def _in_box(values: Sequence[float], box: Sequence[tuple[float, float]] | None) -> bool:
    return box is None or all(lo - 1e-12 <= v <= hi + 1e-12 for v, (lo, hi) in zip(values, box, strict=True))


def _box(domain: Any, xs: Sequence[sympy.Symbol]) -> list[tuple[float, float]] | None:
    if domain is None:
        return None
    if isinstance(domain, Mapping):
        by_name = {str(k): v for k, v in domain.items()}
        return [tuple(map(float, by_name.get(x.name, (-np.inf, np.inf)))) for x in xs]  # type: ignore[misc]
    items = list(domain)
    if len(items) != len(xs):
        raise SymcalcError(f"the domain gives {len(items)} intervals for {len(xs)} variables")
    return [(float(lo), float(hi)) for lo, hi in items]


# -- numeric search -------------------------------------------------------------------------------------


def _starts(n: int, box: list[tuple[float, float]], count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    per_axis = max(2, int(round(count ** (1.0 / n) / 1.5)))
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in box]
    grid = np.array(np.meshgrid(*axes)).reshape(n, -1).T if per_axis**n <= count else np.empty((0, n))
    lo = np.array([b[0] for b in box])
    hi = np.array([b[1] for b in box])
    randoms = lo + (hi - lo) * rng.random((max(0, count - len(grid)), n))
    return np.vstack([grid, randoms])


def _newton(fn: Any, x0: np.ndarray, steps: int = NEWTON_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Batched damped Newton on grad f = 0. Returns the end points and their gradient norms."""
    x = x0.copy()
    for _ in range(steps):
        g = fn.grad(x)
        h = fn.hess(x)
        ok = np.all(np.isfinite(g), axis=1) & np.all(np.isfinite(h), axis=(1, 2))
        step = np.zeros_like(x)
        try:
            step[ok] = np.linalg.solve(h[ok], g[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                step[i] = np.linalg.lstsq(h[i], g[i], rcond=None)[0]
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        step = np.where(norm > 5.0, step * 5.0 / np.maximum(norm, 1e-300), step)
        x = x - step
        x[~np.isfinite(x)] = np.nan
    g = fn.grad(np.nan_to_num(x, nan=1e300))
    # Newton has converged where its last step was tiny; where f underflows (a Gaussian far out) the gradient
    # is tiny too, but the steps are not, so that is no critical point
    last = np.linalg.norm(step, axis=1) / np.maximum(1.0, np.linalg.norm(np.nan_to_num(x), axis=1))
    return x, np.where(last < 1e-6, np.linalg.norm(g, axis=1), np.inf)


def _numeric_points(fn: Any, box: list[tuple[float, float]], deadline: float) -> list[np.ndarray]:
    n = len(box)
    starts = _starts(n, box, STARTS)
    found: list[np.ndarray] = []
    for chunk in np.array_split(starts, max(1, len(starts) // 100)):
        if time.perf_counter() > deadline:
            break
        ends, norms = _newton(fn, chunk)
        for p, r in zip(ends, norms, strict=True):
            if not np.all(np.isfinite(p)) or not r <= 1e-8 or not _in_box(p, box):
                continue
            if not any(
                np.linalg.norm(p - q) < SAME_POINT * max(1.0, float(np.linalg.norm(q))) for q in found
            ):
                found.append(p)
    return found


def _refine(fn: Any, p: np.ndarray) -> np.ndarray:
    """A few more Newton steps, kept only while they lower the gradient norm."""
    x, best = p.copy(), float(np.linalg.norm(fn.grad(p)))
    for _ in range(8):
        if best < TOL:
            break
        g, h = fn.grad(x), fn.hess(x)
        try:
            trial = x - np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            trial = x - np.linalg.lstsq(h, g, rcond=None)[0]
        norm = float(np.linalg.norm(fn.grad(trial)))
        if not np.all(np.isfinite(trial)) or not norm < best:
            break
        x, best = trial, norm
    return x


def _nice(v: float) -> sympy.Expr:
    r = round(v)
    if abs(v - r) < 1e-12:
        return sympy.Integer(r)
    return sympy.Float(v, 15)


# -- classification -------------------------------------------------------------------------------------


def _classify_1d(f: sympy.Expr, x: sympy.Symbol, p: sympy.Expr) -> tuple[str, str, str]:
    """(kind, test, reason) for one variable: f'', then higher derivatives, then the sign of f' on each side."""
    d = sympy.diff(f, x)
    for k in range(2, 9):
        d = sympy.diff(d, x)
        v = _num(d.subs(x, p))
        if v is None:
            break
        if abs(v) > 1e-9:
            if k == 2:
                kind = "local minimum" if v > 0 else "local maximum"
                return kind, "second-derivative test", f"f''({_show(p)}) = {v:.6g} {'>' if v > 0 else '<'} 0"
            if k % 2:
                return (
                    "neither",
                    "higher-derivative test",
                    (
                        f"f'' = ... = f^({k - 1}) = 0 and f^({k}) = {v:.6g} != 0 "
                        f"with {k} odd: neither a minimum nor a maximum"
                    ),
                )
            kind = "local minimum" if v > 0 else "local maximum"
            return (
                kind,
                "higher-derivative test",
                f"the first nonzero derivative is f^({k}) = {v:.6g}, of even order",
            )
    fp = sympy.diff(f, x)
    left, right = (
        _num(fp.subs(x, p - sympy.Rational(1, 10**6))),
        _num(fp.subs(x, p + sympy.Rational(1, 10**6))),
    )
    if left is None or right is None:
        return "inconclusive", "first-derivative test", "f' cannot be evaluated on both sides of the point"
    if left < 0 < right:
        return "local minimum", "first-derivative test", "f' changes sign from - to +"
    if left > 0 > right:
        return "local maximum", "first-derivative test", "f' changes sign from + to -"
    return "neither", "first-derivative test", "f' does not change sign at the point"


def _num(e: sympy.Expr) -> float | None:
    try:
        c = complex(lower(e).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if c != c or abs(c) == float("inf") or abs(c.imag) > 1e-9 * max(1.0, abs(c)):
        return None
    return c.real


def _show(p: Any) -> str:
    return f"{float(p):.10g}" if isinstance(p, sympy.Expr) and p.has(sympy.Float) else sympy.sstr(p)


def _classify_nd(h: np.ndarray) -> tuple[str, str, str, tuple[float, ...]]:
    eig = np.linalg.eigvalsh((h + h.T) / 2)
    scale = max(1.0, float(np.max(np.abs(eig))))
    tol = 1e-8 * scale
    shown = ", ".join(f"{e:.6g}" for e in eig)
    if np.all(eig > tol):
        return "local minimum", "Hessian eigenvalues", f"all eigenvalues positive ({shown})", tuple(eig)
    if np.all(eig < -tol):
        return "local maximum", "Hessian eigenvalues", f"all eigenvalues negative ({shown})", tuple(eig)
    if np.any(eig > tol) and np.any(eig < -tol):
        return "saddle point", "Hessian eigenvalues", f"eigenvalues of both signs ({shown})", tuple(eig)
    return (
        "inconclusive",
        "Hessian eigenvalues",
        f"the Hessian is singular (eigenvalues {shown}) and semi-definite: the second-derivative test cannot "
        "decide; higher-order terms do",
        tuple(eig),
    )


def _discriminant_line(hm: np.ndarray) -> str:
    d = hm[0, 0] * hm[1, 1] - hm[0, 1] ** 2
    verdict = (
        "D > 0 and f_xx > 0: minimum"
        if d > 0 and hm[0, 0] > 0
        else "D > 0 and f_xx < 0: maximum"
        if d > 0
        else "D < 0: saddle"
        if d < 0
        else "D = 0: the test cannot decide"
    )
    return f"D = f_xx f_yy - f_xy^2 = {d:.6g} ({verdict})"


# -- the function ---------------------------------------------------------------------------------------


#: The longest symbolic solve a caller may ask for, in seconds (a day).
MAX_TIMEOUT = 86_400.0


def check_timeout(timeout: float) -> None:
    """Refuse a ``timeout`` that is not a number of seconds above 0 and at most :data:`MAX_TIMEOUT`."""
    if not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT:
        raise SymcalcError(
            f"timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {timeout!r}"
        )


def critical_points(
    expr: Source,
    variables: Variables = None,
    *,
    domain: Mapping[str, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
    timeout: float = 5.0,
) -> CriticalPoints:
    """All critical points of f, classified, with a worked trace.

    Args:
        expr: the function.
        variables: its variables (default: the free symbols in natural order).
        domain: a box, ``{"x": (lo, hi), ...}`` or ``[(lo, hi), ...]`` in variable order; without one, the
            whole real space (the numeric search then covers a box around the origin and the symbolic points).
        timeout: seconds for the symbolic solve; the call returns within about this plus a small margin.

    Example:
        >>> [p.kind for p in critical_points("x^3 - 3*x")]
        ['local maximum', 'local minimum']
    """
    from ..numeric.compile import compile as compile_

    check_timeout(timeout)
    start = time.perf_counter()
    e = parse(expr)
    xs = resolve_variables([e], variables)
    box = _box(domain, xs)
    g = gradient(e, xs)
    eqs = [sympy.factor_terms(c) for c in g.result]
    lines: list[tuple[str, Any]] = [("the gradient", g), ("set every partial derivative to 0", eqs)]
    exact_points: list[dict[sympy.Symbol, sympy.Expr]] = []
    families: list[Family] = []
    complete = False
    method = "symbolic"
    try:
        solutions = run_bounded(_solve, (eqs, xs), timeout)
        complete = True
    except TimedOut:
        solutions = []
        method = "numeric"
        lines.append((f"the symbolic solve did not finish in {timeout:g} s", "searching numerically instead"))
    except _Infinite as inf:
        solutions = []
        families.append(Family(_describe_set(xs[0], inf.solution_set), (sympy.Eq(eqs[0], 0),)))
        lines.append(("the solutions form an infinite set", inf.solution_set))
    except (NotImplementedError, ValueError, TypeError) as err:
        solutions = []
        method = "numeric"
        lines.append(("SymPy cannot solve the system symbolically", str(err).splitlines()[0][:120]))
    for sol in solutions:
        sol = {k: (v if sympy.count_ops(v) <= MAX_EXACT_OPS else _long_form(v)) for k, v in sol.items()}
        if set(sol) != set(xs) or any(not v.is_number for v in sol.values()):
            fixed = ", ".join(f"{k} = {sympy.sstr(v)}" for k, v in sol.items())
            free = [x.name for x in xs if x not in sol]
            families.append(
                Family(
                    f"{fixed}" + (f" (any {', '.join(free)})" if free else ""),
                    tuple(sympy.Eq(k, v) for k, v in sol.items()),
                )
            )
            continue
        if all(_is_real_number(v) for v in sol.values()):
            point = {x: sympy.Float(sol[x], 15) if sol[x].is_Float else _to_real(sol[x]) for x in xs}
            if _in_box([float(v) for v in point.values()], box):
                exact_points.append(point)
    if solutions or complete:
        lines.append(("real solutions found symbolically", [tuple(p.values()) for p in exact_points]))
    fn = compile_(e, xs, on_domain_error="ignore")
    radius = max([DEFAULT_RADIUS] + [2 * abs(float(v)) + 1 for p in exact_points for v in p.values()])
    search_box = box or [(-radius, radius)] * len(xs)
    search_box = [(max(lo, -1e6), min(hi, 1e6)) for lo, hi in search_box]
    numeric = _numeric_points(fn, search_box, deadline=start + timeout + 2.0)
    added = 0
    periodic = len(xs) == 1 and bool(families)
    for p in numeric:
        if families and not periodic and _on_family(p, families, xs):
            continue
        if any(np.linalg.norm(p - np.array([float(v) for v in q.values()])) < 1e-5 for q in exact_points):
            continue
        p = _refine(fn, p)
        exact_points.append({x: _nice(float(v)) for x, v in zip(xs, p, strict=True)})
        added += 1
    if periodic:
        lines.append((f"representatives in {search_box[0]}", f"{added} point(s)"))
    elif added and complete:
        lines.append(
            (
                f"the numeric search found {added} more point(s) that the symbolic solve missed",
                "marked exact=False",
            )
        )
        complete = False
    elif method == "numeric":
        lines.append(
            (f"numeric search in the box {search_box}", f"{added} point(s), refined to |grad f| < {TOL:g}")
        )
    period = (
        _period(fn, exact_points, len(xs)) if e.has(sympy.sin, sympy.cos, sympy.tan) and len(xs) > 1 else None
    )
    if period is not None and not families:
        families.append(
            Family(f"the critical points repeat with period {tuple(round(float(c), 6) for c in period)}", ())
        )
        lines.append(("the points repeat periodically", "infinitely many critical points"))
    if time.perf_counter() - start > timeout + 10:
        raise LimitError("finding the critical points took too long")
    points = [
        _make_point(e, xs, fn, p, exact=all(not v.has(sympy.Float) for v in p.values()))
        for p in _sorted(exact_points)
    ]
    for cp in points:
        lines.append((f"classify {_fmt_point(cp.point)}", f"{cp.kind}: {cp.test}, {cp.reason}"))
    nondiff = _nondifferentiable(e, xs)
    return CriticalPoints(
        e,
        tuple(xs),
        tuple(points),
        bool(families),
        tuple(families),
        complete and not families and all(cp.exact for cp in points),
        tuple(nondiff),
        tuple(lines),
        method,
    )


def _long_form(v: sympy.Expr) -> sympy.Expr:
    """A long closed form (quartic radicals, which evaluate with a tiny imaginary rounding part) as a number."""
    c = v.evalf(30)
    re_part, im_part = c.as_real_imag()
    if abs(im_part) <= 1e-20 * max(1, abs(re_part)):
        return sympy.Float(re_part, 30)
    return c


def _period(fn: Any, points: list[dict[sympy.Symbol, sympy.Expr]], n: int) -> np.ndarray | None:
    """A shift (2 pi along an axis, or pi along a diagonal) that maps a critical point to another one."""
    shifts = [2 * np.pi * np.eye(n)[i] for i in range(n)]
    shifts += [
        np.pi * (np.eye(n)[i] + s * np.eye(n)[j]) for i in range(n) for j in range(i + 1, n) for s in (1, -1)
    ]
    for pt in points[:5]:
        p = np.array([float(v) for v in pt.values()])
        for d in shifts:
            if (
                np.linalg.norm(fn.grad(_refine(fn, p + d))) < 1e-9
                and np.linalg.norm(_refine(fn, p + d) - (p + d)) < 1e-6
            ):
                return np.asarray(d)
    return None


def _describe_set(x: sympy.Symbol, solution_set: Any) -> str:
    """``x = pi/2 + 2 n pi`` rather than SymPy's ImageSet notation, where it is a union of such sets."""
    parts = solution_set.args if isinstance(solution_set, sympy.Union) else [solution_set]
    shown = []
    n = sympy.Symbol("n", integer=True)
    for part in parts:
        if isinstance(part, sympy.ImageSet) and len(part.lamda.variables) == 1:
            shown.append(sympy.sstr(part.lamda.expr.subs(part.lamda.variables[0], n)))
        else:
            return f"{x} in {solution_set}"
    return f"{x} = " + " or ".join(shown) + " (n any integer)"


def _sorted(points: list[dict[sympy.Symbol, sympy.Expr]]) -> list[dict[sympy.Symbol, sympy.Expr]]:
    return sorted(points, key=lambda p: tuple(float(v) for v in p.values()))


def _on_family(p: np.ndarray, families: list[Family], xs: Sequence[sympy.Symbol]) -> bool:
    subs = dict(zip(xs, p, strict=True))
    for fam in families:
        try:
            if all(abs(float((eq.lhs - eq.rhs).subs(subs))) < 1e-6 for eq in fam.equations):
                return True
        except (TypeError, ValueError):
            continue
    return False


def _fmt_point(point: Mapping[sympy.Symbol, sympy.Expr]) -> str:
    return "(" + ", ".join(f"{k} = {sympy.sstr(v)}" for k, v in point.items()) + ")"


def _make_point(
    e: sympy.Expr, xs: Sequence[sympy.Symbol], fn: Any, point: dict[sympy.Symbol, sympy.Expr], exact: bool
) -> CriticalPoint:
    if exact:
        value = e.subs(point)
        value = sympy.simplify(value) if sympy.count_ops(value) <= 60 else value
    else:
        value = sympy.Float(fn.f(np.array([float(v) for v in point.values()])), 15)
    p = np.array([float(v) for v in point.values()])
    hm = fn.hess(p)
    hs = sympy.Matrix(hm.tolist())
    if len(xs) == 1:
        kind, test, reason = _classify_1d(e, xs[0], point[xs[0]] if exact else sympy.Float(p[0], 30))
        return CriticalPoint(point, value, kind, exact, hs, (float(hm[0, 0]),), reason, test)
    kind, test, reason, eig = _classify_nd(hm)
    if len(xs) == 2:
        reason = f"{reason}; {_discriminant_line(hm)}"
    return CriticalPoint(point, value, kind, exact, hs, eig, reason, test)


def _nondifferentiable(e: sympy.Expr, xs: Sequence[sympy.Symbol]) -> list[NondifferentiablePoint]:
    """One variable: the kinks of |u|, max and relu, with what the sign test says."""
    if len(xs) != 1:
        return []
    x = xs[0]
    low = lower(e)
    kinks: set[sympy.Expr] = set()
    for node in sympy.preorder_traversal(low):
        args: list[sympy.Expr] = []
        if isinstance(node, sympy.Abs):
            args = [node.args[0]]
        elif isinstance(node, sympy.Max | sympy.Min) and len(node.args) == 2:
            args = [node.args[0] - node.args[1]]
        for a in args:
            try:
                sols = sympy.solveset(a, x, domain=sympy.S.Reals)
            except Exception:  # noqa: BLE001 - an unsolvable kink is not reported
                continue
            if isinstance(sols, sympy.FiniteSet):
                kinks |= {s for s in sols if s.is_real}
    out = []
    for k in sorted(kinks, key=float):
        fp = sympy.diff(low, x)
        left, right = (
            _num(fp.subs(x, k - sympy.Rational(1, 10**6))),
            _num(fp.subs(x, k + sympy.Rational(1, 10**6))),
        )
        if left is None or right is None:
            continue
        kind = "local minimum" if left < 0 < right else "local maximum" if left > 0 > right else "neither"
        out.append(
            NondifferentiablePoint(
                {x: k},
                sympy.simplify(e.subs(x, k)),
                kind,
                f"f is not differentiable here; f' is {left:.3g} on the left and {right:.3g} on the right",
            )
        )
    return out


def __getattr__(name: str) -> Any:
    """``symcalc.critical.lagrange`` (and its result types) from before Lagrange multipliers had a module."""
    if name in ("lagrange", "LagrangeResult", "LagrangePoint"):
        from . import lagrange as _lagrange_module

        return getattr(_lagrange_module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
