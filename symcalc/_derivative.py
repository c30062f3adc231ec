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
from .functions import lower, sigmoid
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


def readable_conditions(
    conditions: Iterable[sympy.Basic], x: sympy.Symbol | None = None
) -> list[sympy.Basic]:
    """Drop conditions that always hold, solve one-variable polynomial ones (``1 - x^2 > 0`` -> ``|x| < 1``),
    keep the rest as stated (a periodic one such as ``sin(x) != 0`` is never "solved")."""
    out: list[sympy.Basic] = []
    for c in conditions:
        c = _simplify_condition(c)
        if isinstance(c, sympy.core.relational.Relational) and c.lhs.is_number and not c.rhs.is_number:
            c = c.reversed
        if c is S.true or c in out:
            continue
        if c is S.false:
            out.append(c)
            continue
        out.append(c)
    return out


def _simplify_condition(c: sympy.Basic) -> sympy.Basic:
    if not isinstance(c, sympy.core.relational.Relational):
        return c
    symbols = c.free_symbols
    expr = c.lhs - c.rhs
    if len(symbols) != 1 or not expr.is_polynomial(*symbols) or sympy.degree(expr, *symbols) > 4:
        return c
    (s,) = symbols
    try:
        solved = sympy.solve_univariate_inequality(c, s, relational=False)
    except Exception:  # noqa: BLE001 - an inequality SymPy cannot solve is kept as stated
        return c
    return _interval_to_relation(solved, s, c)


def _interval_to_relation(solved: sympy.Set, s: sympy.Symbol, original: sympy.Basic) -> sympy.Basic:
    if solved == S.Reals:
        return S.true
    if solved is S.EmptySet:
        return S.false
    if isinstance(solved, sympy.Interval):
        lo, hi = solved.start, solved.end
        if lo.is_finite and hi.is_finite and lo == -hi and solved.left_open == solved.right_open:
            return sympy.Abs(s) < hi if solved.left_open else sympy.Abs(s) <= hi
        return solved.as_relational(s)
    if isinstance(solved, sympy.Union) and len(solved.args) == 2:
        a, b = solved.args
        if isinstance(a, sympy.Interval) and isinstance(b, sympy.Interval):
            if (
                a.start == -S.Infinity
                and b.end == S.Infinity
                and a.end == -b.start
                and a.right_open
                and b.left_open
            ):
                if a.end == b.start:
                    return sympy.Ne(s, a.end)
                return sympy.Abs(s) > b.start
    try:
        return solved.as_relational(s)
    except Exception:  # noqa: BLE001
        return original


# -- implicit differentiation ---------------------------------------------------------------------------


def implicit_derivative(
    equation: Source, y: str | sympy.Symbol = "y", x: str | sympy.Symbol = "x", *, detail: str = "standard"
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
    root = Step(
        "solution",
        "solve",
        G,
        xs,
        final.result,
        (worked, solve_step),
        explanation=f"Differentiate both sides with {ys} a function of {xs}, then solve for d{ys}/d{xs}.",
        pieces={"y": Y},
    )
    return Derivation(
        expr=F,
        var=xs,
        order=1,
        result=final.result,
        steps=root,
        conditions=tuple(readable_conditions(conds + list(ctx.conditions))),
        constants=(),
        equivalent_forms=tuple(_equivalent_forms(final.result, F, candidates)),
        detail=detail,
    )
