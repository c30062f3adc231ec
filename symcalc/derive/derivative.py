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

from ..errors import SymcalcError, UnsupportedError
from ..functions import lower
from ..parse import Source, parse, parse_equation
from ..variables import natural_order, resolve_var, to_symbol
from .conditions import find_kinks, readable_conditions
from .rules import Context, derive
from .steps import Derivation, Step
from .tidy import equivalent_forms, tidy_with_candidates
from .verify import equal_at_random_points

__all__ = ["DETAILS", "derivative", "implicit_derivative"]

DETAILS = ("brief", "standard", "full")


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
        A :class:`~symcalc.derive.steps.Derivation`; ``.result`` equals ``sympy.diff(expr, var, order)``.

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
    x = resolve_var(e, var)
    ctx = Context(x, {str(s) for s in e.free_symbols})
    rounds: list[Step] = []
    current = e
    for k in range(order):
        worked = derive(current, x, ctx)
        final, candidates = tidy_with_candidates(worked.result, current, x)
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
        equivalent_forms=tuple(equivalent_forms(result, e, candidates)),
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
    final, candidates = tidy_with_candidates(slope, F, None)
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
        second, candidates = tidy_with_candidates(sympy.together(raw2), F, None)
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
        equivalent_forms=tuple(equivalent_forms(result, F, candidates)),
        detail=detail,
    )
