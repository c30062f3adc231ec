"""Where a derivative holds, read as a person reads it, and the kinks where it does not exist.

Example:
    >>> import sympy
    >>> from symcalc.derive.conditions import readable_conditions
    >>> x = sympy.Symbol("x", real=True)
    >>> readable_conditions([1 - x**2 > 0], x)
    [Abs(x) < 1]
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy
from sympy import S

from ..functions import lower, relu
from ..variables import natural_order
from .steps import Kink

__all__ = ["MAX_KINKS", "find_kinks", "readable_conditions"]


_PERIODIC = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)


def readable_conditions(
    conditions: Iterable[sympy.Basic], x: sympy.Symbol | None = None
) -> list[sympy.Basic]:
    """Conditions a person reads: those that always hold dropped; one-variable ones solved and intersected
    (``1 - x^2 > 0`` -> ``|x| < 1``; ``x > 0`` and ``ln(x) > 0`` -> ``x > 1``; ``x^2 - 4 != 0`` -> ``x != -2``,
    ``x != 2``); a periodic one such as ``sin(x) != 0`` is kept as stated, never "solved" (SymPy would answer
    with one period only)."""
    kept: list[sympy.Basic] = []
    sets: dict[sympy.Symbol, sympy.Set] = {}
    for c in conditions:
        if c is S.true or _always_holds(c):
            continue
        solved = _solve_condition(c)
        if solved is None:
            c = _balanced(c)
            if c not in kept:
                kept.append(c)
            continue
        symbol, region = solved
        sets[symbol] = sets[symbol].intersect(region) if symbol in sets else region
    out: list[sympy.Basic] = []
    for symbol in natural_order(sets):
        out.extend(_set_to_relations(sets[symbol], symbol))
    for c in kept:
        if isinstance(c, sympy.core.relational.Relational) and c.lhs.is_number and not c.rhs.is_number:
            c = c.reversed
        if c not in out:
            out.append(c)
    return out


def _always_holds(c: sympy.Basic) -> bool:
    """A condition true for every real value of its symbols (``1 - sigmoid(u) > 0``, ``e^u + 1 ≠ 0``): stating
    it would only make a reader look for a restriction that is not there."""
    if not isinstance(c, sympy.core.relational.Relational) or not isinstance(
        c, sympy.StrictGreaterThan | sympy.StrictLessThan | sympy.GreaterThan | sympy.LessThan | sympy.Ne
    ):
        return False
    gap = lower(c.lhs - c.rhs)
    if isinstance(c, sympy.StrictLessThan | sympy.LessThan):
        gap = -gap
    candidates = [gap]
    try:
        candidates.append(sympy.factor_terms(sympy.together(gap.rewrite(sympy.exp))))
    except Exception:  # noqa: BLE001 - a form that cannot be built is not a reason
        pass
    for g in candidates:
        if isinstance(c, sympy.Ne):
            if g.is_positive or g.is_negative:
                return True
        elif g.is_positive or (isinstance(c, sympy.GreaterThan | sympy.LessThan) and g.is_nonnegative):
            return True
    return False


def _balanced(c: sympy.Basic) -> sympy.Basic:
    """``3y^2 - 6x ≠ 0`` as ``y^2 ≠ 2x``: the common factor dropped and each term on the side where it is
    positive (only for conditions with several symbols or none solved, which are kept as stated)."""
    if not isinstance(c, sympy.Ne) or c.rhs != 0 or not isinstance(c.lhs, sympy.Add):
        return c
    _, primitive = sympy.factor_terms(c.lhs).as_coeff_Mul()
    primitive = sympy.expand(primitive) if isinstance(primitive, sympy.Add) else primitive
    if not isinstance(primitive, sympy.Add):
        return sympy.Ne(primitive, 0)
    pos = [t for t in primitive.args if not t.could_extract_minus_sign()]
    neg = [-t for t in primitive.args if t.could_extract_minus_sign()]
    if not pos or not neg:
        return sympy.Ne(primitive if pos else -primitive, 0)
    lhs, rhs = sympy.Add(*pos), sympy.Add(*neg)
    if lhs.is_number and not rhs.is_number:
        lhs, rhs = rhs, lhs
    return sympy.Ne(lhs, rhs)


def _solve_condition(c: sympy.Basic) -> tuple[sympy.Symbol, sympy.Set] | None:
    if not isinstance(c, sympy.core.relational.Relational):
        return None
    symbols = c.free_symbols
    if len(symbols) != 1 or c.has(*_PERIODIC):
        return None
    (s,) = symbols
    simple = _simple_region(c, s)
    if simple is not None:
        return s, simple
    try:
        if isinstance(c, sympy.Ne):
            roots = sympy.solveset(c.lhs - c.rhs, s, domain=S.Reals)
            return (s, S.Reals - roots) if isinstance(roots, sympy.FiniteSet) else None
        return s, sympy.solve_univariate_inequality(c, s, relational=False)
    except Exception:  # noqa: BLE001 - a condition SymPy cannot solve is kept as stated
        return None


def _simple_region(c: sympy.Basic, s: sympy.Symbol) -> sympy.Set | None:
    """The region of ``x > a``, ``x <= a``, ``x != a`` (``a`` a real number, on either side) without a solver:
    the same set ``solve_univariate_inequality`` gives, at a small part of its cost (most conditions are these)."""
    if s not in (sympy.Symbol(s.name, real=True), sympy.Symbol(s.name)):
        return None  # a symbol with more assumptions (positive, say) is left to the solver, which reads them
    lhs, rhs = c.lhs, c.rhs
    if lhs != s:
        if rhs != s:
            return None
        c = c.reversed
        lhs, rhs = c.lhs, c.rhs
    if not (rhs.is_number and rhs.is_extended_real and rhs.is_finite):
        return None
    if isinstance(c, sympy.Ne):
        return S.Reals - sympy.FiniteSet(rhs)
    if isinstance(c, sympy.StrictGreaterThan):
        return sympy.Interval.open(rhs, S.Infinity)
    if isinstance(c, sympy.GreaterThan):
        return sympy.Interval(rhs, S.Infinity)
    if isinstance(c, sympy.StrictLessThan):
        return sympy.Interval.open(S.NegativeInfinity, rhs)
    if isinstance(c, sympy.LessThan):
        return sympy.Interval(S.NegativeInfinity, rhs)
    return None


def _set_to_relations(region: sympy.Set, s: sympy.Symbol) -> list[sympy.Basic]:
    if region == S.Reals:
        return []
    if region is S.EmptySet:
        return [S.false]
    if isinstance(region, sympy.Interval):
        lo, hi = region.start, region.end
        if lo.is_finite and hi.is_finite and lo == -hi and region.left_open == region.right_open:
            return [sympy.Abs(s) < hi if region.left_open else sympy.Abs(s) <= hi]
        if lo == -S.Infinity:
            return [s < hi if region.right_open else s <= hi]
        if hi == S.Infinity:
            return [s > lo if region.left_open else s >= lo]
        return [region.as_relational(s)]
    if (
        isinstance(region, sympy.Complement)
        and region.args[0] == S.Reals
        and isinstance(region.args[1], sympy.FiniteSet)
    ):
        return [sympy.Ne(s, p) for p in sorted(region.args[1], key=float)]
    if isinstance(region, sympy.Union) and all(isinstance(p, sympy.Interval) for p in region.args):
        parts = list(region.args)
        if len(parts) == 2 and parts[0].start == -S.Infinity and parts[1].end == S.Infinity:
            a, b = parts[0].end, parts[1].start
            if a == b:
                return [sympy.Ne(s, a)]
            if a == -b and parts[0].right_open and parts[1].left_open:
                return [sympy.Abs(s) > b]
        points = [p.end for p in parts[:-1]]
        if (
            all(
                p.end == q.start and p.right_open and q.left_open
                for p, q in zip(parts, parts[1:], strict=False)
            )
            and parts[0].start == -S.Infinity
            and parts[-1].end == S.Infinity
        ):
            return [sympy.Ne(s, p) for p in points]
    try:
        return [region.as_relational(s)]
    except Exception:  # noqa: BLE001
        return []


# -- kinks ----------------------------------------------------------------------------------------------

#: At most this many kink points are examined.
MAX_KINKS = 6


def _kink_arguments(e: sympy.Expr) -> list[tuple[sympy.Expr, str]]:
    out: list[tuple[sympy.Expr, str]] = []
    for node in sympy.preorder_traversal(e):
        if isinstance(node, sympy.Abs | sympy.sign):
            out.append((node.args[0], "abs"))
        elif isinstance(node, relu):
            out.append((node.args[0], "relu"))
        elif isinstance(node, sympy.Heaviside):
            out.append((node.args[0], "step"))
        elif isinstance(node, sympy.Max | sympy.Min) and len(node.args) == 2:
            out.append((node.args[0] - node.args[1], "max"))
    return out


def find_kinks(e: sympy.Expr, x: sympy.Symbol, derivative_expr: sympy.Expr) -> list:  # type: ignore[type-arg]
    """Points where f is not differentiable in x (|u| = 0, relu, max ties, the jump of sign and the step
    function): the one-sided derivatives there, and the values on each side where f jumps."""
    from .steps import Kink

    if e.free_symbols - {x}:
        return []
    found: list[Kink] = []
    seen: set[sympy.Expr] = set()
    for arg, kind in _kink_arguments(e):
        if not arg.has(x):
            continue
        try:
            roots = sympy.solveset(arg, x, domain=sympy.S.Reals)
        except Exception:  # noqa: BLE001 - a kink SymPy cannot locate is not reported
            continue
        if not isinstance(roots, sympy.FiniteSet):
            continue
        for p in roots:
            if p in seen or len(found) >= MAX_KINKS or not p.is_real:
                continue
            seen.add(p)
            left, right = _one_sided(derivative_expr, x, p)
            if left is None or right is None:
                continue
            below, above = _one_sided(e, x, p)
            jump = (below, above) if below is not None and above is not None and below != above else None
            if left == right and jump is None:
                continue
            framework = sympy.S.Zero if kind in ("relu", "abs") and jump is None else None
            found.append(Kink(p, left, right, framework, jump))
    return found


def _one_sided(d: sympy.Expr, x: sympy.Symbol, p: sympy.Expr) -> tuple[sympy.Expr | None, sympy.Expr | None]:
    low = lower(d).replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)
    out = []
    for eps in (-sympy.Rational(1, 10**9), sympy.Rational(1, 10**9)):
        try:
            v = complex(low.evalf(30, subs={x: p + eps}))
        except (TypeError, ValueError, ZeroDivisionError):
            return None, None
        if v != v or abs(v.imag) > 1e-9:
            return None, None
        out.append(sympy.nsimplify(round(v.real, 6), rational=True))
    return out[0], out[1]
