"""``derivative`` and ``implicit_derivative``: the rule engine's trace, tidied, with its conditions, checked.

Example:
    >>> import symcalc as sc
    >>> d = sc.derivative("x^2 sin(x)")
    >>> d.result
    x**2*cos(x) + 2*x*sin(x)
    >>> d.steps.substeps[0].pieces["u"], d.steps.substeps[0].pieces["v"]
    (x**2, sin(x))
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy
from sympy import S

from ._verify import equal_at_random_points
from .differentiate import Context, derive
from .errors import SymcalcError, UnsupportedError
from .functions import lower, relu, sigmoid
from .parsing import Source, parse, parse_equation, to_symbol
from .steps import Derivation, Step

__all__ = ["derivative", "implicit_derivative", "natural_order", "tidy"]

#: Above this size (SymPy operations) the tidy-up tries only cheap forms, never ``simplify``.
SIMPLIFY_MAX_OPS = 80
DETAILS = ("brief", "standard", "full")


def natural_order(symbols: Iterable[sympy.Symbol]) -> list[sympy.Symbol]:
    """Symbols sorted as a person would: ``x, y, z``; ``x1, x2, ..., x10`` (not ``x1, x10, x2``)."""
    import re

    def key(s: sympy.Symbol) -> tuple:
        return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s.name))

    return sorted(symbols, key=key)


def _resolve_var(expr: sympy.Expr, var: str | sympy.Symbol | None) -> sympy.Symbol:
    if var is not None:
        wanted = to_symbol(var)
        for s in expr.free_symbols:
            if isinstance(s, sympy.Symbol) and s.name == wanted.name:
                return s
        return wanted
    symbols = natural_order(s for s in expr.free_symbols if isinstance(s, sympy.Symbol))
    if len(symbols) == 1:
        return symbols[0]
    if not symbols:
        return sympy.Symbol("x", real=True)
    names = ", ".join(s.name for s in symbols)
    raise SymcalcError(f"the expression has several variables ({names}); say which one to differentiate by")


def derivative(
    expr: Source,
    var: str | sympy.Symbol | None = None,
    order: int = 1,
    *,
    detail: str = "standard",
    known: Iterable[str] = (),
    check: bool = True,
) -> Derivation:
    """Differentiate with a worked solution.

    Args:
        expr: anything :func:`symcalc.parse` takes; ``d/dx (...)`` sets ``var`` and ``order`` itself.
        var: the variable; may be omitted for a function of one variable. Other symbols are held constant.
        order: how many times to differentiate; each derivative is shown.
        detail: ``"brief"``, ``"standard"`` or ``"full"``: how much of the working the renderings show.
        known: rule ids the learner knows already; the renderings apply them silently.
        check: compare the result with SymPy's ``diff`` (numerically, at random points) before returning.

    Returns:
        A :class:`~symcalc.steps.Derivation`; ``.result`` equals ``sympy.diff(expr, var, order)``.

    Example:
        >>> derivative("sin(x^2)").result
        2*x*cos(x**2)
        >>> derivative("x^3", order=2).result
        6*x
    """
    e = parse(expr)
    if isinstance(e, sympy.Derivative):
        ((req_var, req_order),) = e.variable_count if len(e.variable_count) == 1 else (None,)  # type: ignore[misc]
        if req_var is None:
            raise UnsupportedError("a mixed derivative request; use symcalc.gradient or hessian")
        e, var, order = e.expr, req_var, int(req_order)
    if detail not in DETAILS:
        raise SymcalcError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    if not isinstance(order, int) or order < 1 or order > 20:
        raise SymcalcError("order must be a whole number from 1 to 20")
    x = _resolve_var(e, var)
    ctx = Context(x, {str(s) for s in e.free_symbols})
    rounds: list[Step] = []
    current = e
    for k in range(order):
        worked = derive(current, x, ctx)
        final, candidates = _tidy(worked.result, current, x)
        solution = _solution(current, x, worked, final)
        if order > 1:
            solution = Step(
                "higher_order",
                "derivative",
                current,
                x,
                final.result,
                solution.substeps,
                explanation=f"Derivative number {k + 1}: differentiate the previous result.",
            )
        rounds.append(solution)
        current = final.result
    result = current
    root = rounds[0]
    if order > 1:
        root = Step(
            "solution",
            "derivative",
            e,
            x,
            result,
            tuple(rounds),
            order=order,
            explanation=f"Differentiate {order} times.",
        )
    if check and not _agrees(result, sympy.diff(e, x, order), x):
        raise AssertionError(f"symcalc's derivative of {e} disagrees with SymPy's; please report this")
    constants = tuple(natural_order(s for s in e.free_symbols if isinstance(s, sympy.Symbol) and s != x))
    return Derivation(
        expr=e,
        var=x,
        order=order,
        result=result,
        steps=root,
        conditions=tuple(readable_conditions(ctx.conditions, x)),
        constants=constants,
        equivalent_forms=tuple(_equivalent_forms(result, e, candidates)),
        detail=detail,
        known=frozenset(known),
        kinks=tuple(find_kinks(e, x, result)) if order == 1 else (),
    )


def _solution(e: sympy.Expr, x: sympy.Symbol, worked: Step, final: Step) -> Step:
    substeps = (worked,) if final.result == worked.result else (worked, final)
    return Step(
        "solution",
        "derivative",
        e,
        x,
        final.result,
        substeps,
        explanation=f"Differentiate {sympy.sstr(e)} with respect to {x}.",
    )


def _agrees(a: sympy.Expr, b: sympy.Expr, x: sympy.Symbol) -> bool:
    a, b = lower(a), lower(b)
    if a == b or sympy.expand(a - b) == 0:
        return True
    if a.has(sympy.Sum, sympy.Indexed):  # no numbers to try: sums over data compare by their terms
        return sympy.simplify(sympy.factor_terms(a - b)) == 0 or sympy.simplify((a - b).expand()) == 0
    return equal_at_random_points(a, b)


# -- the final form -------------------------------------------------------------------------------------


def _functions_of(e: sympy.Expr) -> set[type]:
    return {type(f) for f in e.atoms(sympy.Function)} | ({sympy.exp} if e.has(sympy.exp) else set())


def _score(form: sympy.Expr, allowed: set[type]) -> int:
    """Smaller is better: the size, plus a heavy price for each function the input did not have."""
    new = _functions_of(form) - allowed
    return int(sympy.count_ops(form)) + 20 * len(new)


def _candidates(raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None = None) -> list[sympy.Expr]:
    forms = [raw]
    cheap = [sympy.factor_terms, sympy.together, sympy.cancel, sympy.expand, sympy.powsimp]
    for f in cheap:
        try:
            forms.append(f(raw))
        except Exception:  # noqa: BLE001 - a form that cannot be built is simply not a candidate
            continue
    if sympy.count_ops(raw) <= SIMPLIFY_MAX_OPS:
        for f in (sympy.factor, sympy.simplify):
            try:
                forms.append(f(raw))
            except Exception:  # noqa: BLE001
                continue
    ml = _ml_form(original, var)
    if ml is not None:
        forms.append(ml)
    unique: list[sympy.Expr] = []
    for f in forms:
        if f not in unique and not f.has(sympy.zoo, sympy.nan):
            unique.append(f)
    return unique


def _ml_form(original: sympy.Expr, var: sympy.Symbol | None) -> sympy.Expr | None:
    """A typed sigmoid ``1/(1 + e^(-u))`` has derivative ``sigma(u)(1 - sigma(u)) u'``: the form ML courses use."""
    if var is None or not (isinstance(original, sympy.Pow) and original.exp == -1):
        return None
    base = original.base
    if not (isinstance(base, sympy.Add) and len(base.args) == 2 and S.One in base.args):
        return None
    other = base.args[1] if base.args[0] == S.One else base.args[0]
    if not isinstance(other, sympy.exp):
        return None
    u = -other.args[0]
    return sigmoid(u) * (1 - sigmoid(u)) * sympy.diff(u, var)


#: The rule's own form wins unless another is clearly smaller (by more than this many operations).
RAW_FORM_BONUS = 1


def tidy(raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None = None) -> Step:
    """The final tidy-up: the best-scored of a few equal forms (size, and no functions the input lacks).

    A recognised ML form (``sigma(x)(1 - sigma(x))`` for a typed sigmoid) is chosen whenever it exists.
    """
    return _tidy(raw, original, var)[0]


def _tidy(raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None) -> tuple[Step, list[sympy.Expr]]:
    """The tidy step, and every candidate form it chose from (all equal to ``raw``)."""
    allowed = _functions_of(original) | _functions_of(raw)
    forms = _candidates(raw, original, var)
    ml = _ml_form(original, var)

    natural = {raw, _safe(sympy.cancel, raw)}

    def score(f: sympy.Expr) -> tuple[int, int]:
        if ml is not None and f == ml:
            return (-1000, 0)
        return (_score(f, allowed) - (RAW_FORM_BONUS if f in natural else 0), forms.index(f))

    best = min(forms, key=score)
    if ml is not None and best == ml:
        explanation = "Written with the sigmoid, sigma(u)(1 - sigma(u)), as ML courses write it."
    else:
        explanation = "Tidy the result."
    return Step("simplify", "rewrite", raw, None, best, explanation=explanation), forms


def _safe(f, e: sympy.Expr) -> sympy.Expr:  # type: ignore[no-untyped-def]
    try:
        return f(e)
    except Exception:  # noqa: BLE001
        return e


def _equivalent_forms(
    result: sympy.Expr, original: sympy.Expr, candidates: list[sympy.Expr], limit: int = 3
) -> list[sympy.Expr]:
    """Other forms of the result (from the tidy-up's candidates), without functions the input did not have."""
    forms = [f for f in candidates if f != result]
    allowed = (
        _functions_of(original) | _functions_of(result) | ({sympy.exp} if original.has(sympy.exp) else set())
    )
    forms = [f for f in forms if not (_functions_of(f) - allowed)]
    forms.sort(key=lambda f: _score(f, allowed))
    out: list[sympy.Expr] = []
    for f in forms:
        if sympy.count_ops(f) < 200 and f not in out:
            out.append(f)
        if len(out) == limit:
            break
    return out


# -- conditions -----------------------------------------------------------------------------------------


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
        if c is S.true:
            continue
        solved = _solve_condition(c)
        if solved is None:
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


def _solve_condition(c: sympy.Basic) -> tuple[sympy.Symbol, sympy.Set] | None:
    if not isinstance(c, sympy.core.relational.Relational):
        return None
    symbols = c.free_symbols
    if len(symbols) != 1 or c.has(*_PERIODIC):
        return None
    (s,) = symbols
    try:
        if isinstance(c, sympy.Ne):
            roots = sympy.solveset(c.lhs - c.rhs, s, domain=S.Reals)
            return (s, S.Reals - roots) if isinstance(roots, sympy.FiniteSet) else None
        return s, sympy.solve_univariate_inequality(c, s, relational=False)
    except Exception:  # noqa: BLE001 - a condition SymPy cannot solve is kept as stated
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
    """Points where f is not differentiable in x (|u| = 0, relu, max ties): the one-sided derivatives there."""
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
            if left is None or right is None or left == right:
                continue
            framework = sympy.S.Zero if kind in ("relu", "abs") else None
            found.append(Kink(p, left, right, framework))
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


# -- implicit differentiation ---------------------------------------------------------------------------


def implicit_derivative(
    equation: Source,
    y: str | sympy.Symbol = "y",
    x: str | sympy.Symbol = "x",
    *,
    order: int = 1,
    detail: str = "standard",
) -> Derivation:
    """dy/dx for a curve given by an equation in x and y, by implicit differentiation.

    ``y`` is treated as a function y(x): every step differentiates with it, so each step satisfies the
    trace's invariant; the last step solves the differentiated equation for dy/dx.

    Example:
        >>> implicit_derivative("x^2 + y^2 = 25", "y", "x").result
        -x/y
    """
    eq = parse_equation(equation)
    xs, ys = to_symbol(x), to_symbol(y)
    xs = next((s for s in eq.free_symbols if getattr(s, "name", None) == xs.name), xs)
    ys = next((s for s in eq.free_symbols if getattr(s, "name", None) == ys.name), ys)
    F = eq.lhs - eq.rhs
    Y = sympy.Function(ys.name, real=True)(xs)
    G = F.subs(ys, Y)
    ctx = Context(xs, {str(s) for s in F.free_symbols})
    worked = derive(G, xs, ctx)
    dY = sympy.Derivative(Y, xs)
    solutions = sympy.solve(sympy.Eq(worked.result, 0), dY)
    if len(solutions) != 1:
        raise UnsupportedError(f"could not solve the differentiated equation for d{ys}/d{xs}")
    slope = solutions[0].subs(Y, ys)
    final, candidates = _tidy(slope, F, None)
    Fy = sympy.diff(F, ys)
    conds = [sympy.Ne(Fy, 0)]
    solve_step = Step(
        "implicit",
        "solve",
        worked.result,
        xs,
        final.result,
        explanation=f"Set the differentiated equation to 0 and solve for d{ys}/d{xs} "
        f"(where {sympy.sstr(Fy)} != 0).",
        pieces={"F": F, "F_x": sympy.diff(F, xs), "F_y": Fy, "dy/dx": dY},
    )
    substeps: tuple[Step, ...] = (worked, solve_step)
    result = final.result
    if order == 2:
        slope_y = final.result.subs(ys, Y)
        raw2 = sympy.diff(slope_y, xs).subs(dY, slope_y).subs(Y, ys)
        second, candidates = _tidy(sympy.together(raw2), F, None)
        result = second.result
        substeps += (
            Step(
                "implicit",
                "solve",
                slope_y,
                xs,
                result,
                explanation=f"Differentiate d{ys}/d{xs} again (with {ys} a function of {xs}) and replace "
                f"d{ys}/d{xs} by its value: d^2{ys}/d{xs}^2 in {xs} and {ys}.",
                pieces={"dy/dx": final.result},
            ),
        )
    elif order != 1:
        raise SymcalcError("implicit_derivative gives the first or second derivative (order=1 or 2)")
    root = Step(
        "solution",
        "solve",
        G,
        xs,
        result,
        substeps,
        explanation=f"Differentiate both sides with {ys} a function of {xs}, then solve for d{ys}/d{xs}.",
        pieces={"y": Y},
    )
    return Derivation(
        expr=F,
        var=xs,
        order=order,
        result=result,
        steps=root,
        conditions=tuple(readable_conditions(conds + list(ctx.conditions))),
        constants=(),
        equivalent_forms=tuple(_equivalent_forms(result, F, candidates)),
        detail=detail,
    )
