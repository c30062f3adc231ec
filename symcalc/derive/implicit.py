r"""Implicit differentiation with the algebra shown: dy/dx (and d²y/dx²) of a curve given by an equation.

The worked solution is the one a teacher writes on the board:

1. differentiate both sides with ``y`` a function of ``x`` (each side a verified trace; ``d/dx y = dy/dx``);
2. collect the terms with ``dy/dx`` on the left and the rest on the right;
3. factor ``dy/dx`` out (when more than one term has it);
4. divide by its factor, where that factor is not 0 (the condition of the answer);
5. for the second derivative, differentiate ``dy/dx`` again, substitute ``dy/dx``, and use the equation of
   the curve to shorten the result (``x^2 + y^2 = 25`` gives ``-25/y^3``).

Each of these moves is a step of kind ``"solve"`` with its own claim, which :func:`check_solve_step` checks
(``symcalc.check_trace`` calls it): both sides differentiated; the equation unchanged by collecting and
factoring; the quotient solves the equation; the substitution done right; the last form equal to the one
before it on the curve.

Example:
    >>> d = implicit_derivative("x^2 + y^2 = 25", "y", "x", order=2)
    >>> d.result
    -25/y**3
    >>> [s.rule for s in d.steps.substeps]
    ['differentiate_equation', 'collect', 'divide', 'constant_multiple', 'substitute', 'use_equation']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from ..errors import SymcalcError, UnsupportedError
from ..parse import Source, parse_equation
from ..variables import to_symbol
from .conditions import readable_conditions
from .rules import Context, derive
from .steps import Derivation, Step
from .tidy import equivalent_forms, tidy_with_candidates
from .verify import _same, equal_at_random_points

__all__ = ["check_solve_step", "implicit_derivative"]

DETAILS = ("brief", "standard", "full")


def implicit_derivative(
    equation: Source,
    y: str | sympy.Symbol = "y",
    x: str | sympy.Symbol = "x",
    *,
    order: int = 1,
    detail: str = "standard",
    known: Iterable[str] = (),
) -> Derivation:
    """dy/dx for a curve given by an equation in x and y, by implicit differentiation, with the algebra shown.

    Args:
        equation: ``"lhs = rhs"``, or an expression meaning ``expr = 0``, or a ``sympy.Eq``.
        y: the function defined implicitly (treated as ``y(x)`` while differentiating).
        x: the variable.
        order: 1 for dy/dx, 2 for d²y/dx² (written in x and y, shortened with the equation).
        detail: ``"brief"``, ``"standard"`` or ``"full"``: how much of the working the renderings show.
        known: rule ids the learner knows already; the renderings apply them silently.

    Returns:
        A :class:`~symcalc.derive.steps.Derivation` whose root step (rule ``"implicit"``) holds the equation in
        its ``pieces``; ``conditions`` say where the factor divided by is not 0.

    Example:
        >>> implicit_derivative("x^2 + y^2 = 25", "y", "x").result
        -x/y
        >>> implicit_derivative("x^3 + y^3 = 6 x y").conditions
        (Ne(y**2, 2*x),)
    """
    if detail not in DETAILS:
        raise SymcalcError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    if order not in (1, 2):
        raise SymcalcError("implicit_derivative gives the first or second derivative (order=1 or 2)")
    eq = parse_equation(equation)
    xs, ys = to_symbol(x), to_symbol(y)
    xs = next((s for s in eq.free_symbols if getattr(s, "name", None) == xs.name), xs)
    ys = next((s for s in eq.free_symbols if getattr(s, "name", None) == ys.name), ys)
    lhs, rhs = eq.lhs, eq.rhs
    F = lhs - rhs
    Y = sympy.Function(ys.name, real=True)(xs)
    dY = sympy.Derivative(Y, xs)
    ctx = Context(xs, {str(s) for s in F.free_symbols} | {ys.name})

    slope, factor, substeps, candidates = _first_derivative(lhs, rhs, xs, ys, Y, dY, ctx)
    conditions = [sympy.Ne(_plain(factor), 0)]
    result = slope
    if order == 2:
        more, result, candidates = _second_derivative(slope, lhs, rhs, xs, ys, Y, dY, ctx)
        substeps += more
    root = Step(
        "implicit",
        "solve",
        sympy.Eq(lhs.subs(ys, Y), rhs.subs(ys, Y), evaluate=False),
        xs,
        result,
        substeps,
        says=(
            "Differentiate both sides with ",
            ys,
            " a function of ",
            xs,
            ", then solve for ",
            sympy.Derivative(Y, (xs, order)),
            ".",
        ),
        pieces={
            "y": Y,
            "equation": sympy.Eq(lhs, rhs, evaluate=False),
            "for": sympy.Derivative(Y, (xs, order)) if order == 2 else dY,
        },
        order=order,
    )
    conditions += [_plain(c) for c in ctx.conditions]
    return Derivation(
        expr=F,
        var=xs,
        order=order,
        result=result,
        steps=root,
        conditions=tuple(readable_conditions(conditions)),
        constants=(),
        equivalent_forms=tuple(equivalent_forms(result, F, candidates)),
        detail=detail,
        known=frozenset(known),
    )


def _first_derivative(
    lhs: sympy.Expr,
    rhs: sympy.Expr,
    xs: sympy.Symbol,
    ys: sympy.Symbol,
    Y: sympy.Expr,
    dY: sympy.Expr,
    ctx: Context,
) -> tuple[sympy.Expr, sympy.Expr, tuple[Step, ...], list[sympy.Expr]]:
    """dy/dx, the factor divided by, the steps from the equation to dy/dx (differentiate, collect, factor,
    divide, tidy), and the tidy-up's candidate forms."""
    L, R = lhs.subs(ys, Y), rhs.subs(ys, Y)
    left, right = derive(L, xs, ctx), derive(R, xs, ctx)
    differentiated = sympy.Eq(left.result, right.result, evaluate=False)
    steps: list[Step] = [
        Step(
            "differentiate_equation",
            "solve",
            sympy.Eq(L, R, evaluate=False),
            xs,
            differentiated,
            (left, right),
            says=(
                "Differentiate both sides with respect to ",
                xs,
                ", with ",
                ys,
                " a function of ",
                xs,
                ": the derivative of ",
                ys,
                " is ",
                dY,
                ".",
            ),
        )
    ]
    whole = sympy.expand(left.result - right.result)
    terms = sympy.Add.make_args(whole)
    with_d = [t for t in terms if t.has(dY)]
    without = [t for t in terms if not t.has(dY)]
    if not with_d:
        raise UnsupportedError(
            f"the differentiated equation has no d{ys}/d{xs}: {ys} does not depend on {xs}"
        )
    if any(t.coeff(dY) * dY != t for t in with_d):
        raise UnsupportedError(f"could not solve the differentiated equation for d{ys}/d{xs}")
    factor = _positive_first([t.coeff(dY) for t in with_d])
    other = _positive_first([-t for t in without])
    collected = sympy.Eq(_positive_first(with_d), other, evaluate=False)
    if collected != differentiated:
        steps.append(
            Step(
                "collect",
                "solve",
                differentiated,
                xs,
                collected,
                says=("Collect the terms with ", dY, " on the left and the others on the right."),
            )
        )
    divided_eq = sympy.Eq(factor * dY, other, evaluate=False)
    if len(with_d) > 1:
        factored = sympy.Eq(sympy.Mul(factor, dY, evaluate=False), other, evaluate=False)
        steps.append(Step("factor_out", "solve", collected, xs, factored, says=("Factor out ", dY, ".")))
        divided_eq = factored
    factor_y = _positive_first([_plain(t.coeff(dY)) for t in with_d])
    other_y = _positive_first([_plain(-t) for t in without])
    slope_raw = sympy.Mul(other_y, sympy.Pow(factor_y, -1, evaluate=False), evaluate=False)
    steps.append(
        Step(
            "divide",
            "solve",
            divided_eq,
            xs,
            slope_raw,
            says=(
                "Divide both sides by ",
                factor_y,
                ", where ",
                sympy.Ne(factor_y, 0, evaluate=False),
                ".",
            ),
            pieces={"for": dY, "by": factor},
        )
    )
    final, candidates = tidy_with_candidates(_plain(other / factor), lhs - rhs, None)
    if final.result != _plain(other / factor):
        steps.append(final)
    return final.result, factor, tuple(steps), candidates


def _second_derivative(
    slope: sympy.Expr,
    lhs: sympy.Expr,
    rhs: sympy.Expr,
    xs: sympy.Symbol,
    ys: sympy.Symbol,
    Y: sympy.Expr,
    dY: sympy.Expr,
    ctx: Context,
) -> tuple[tuple[Step, ...], sympy.Expr, list[sympy.Expr]]:
    """d²y/dx²: differentiate dy/dx again (y a function of x), substitute dy/dx, use the curve's equation."""
    slope_y = slope.subs(ys, Y)
    again = derive(slope_y, xs, ctx)
    substituted = sympy.factor_terms(sympy.together(_plain(again.result.subs(dY, slope_y))))
    steps: list[Step] = [
        again,
        Step(
            "substitute",
            "solve",
            again.result,
            xs,
            substituted,
            says=("Substitute ", sympy.Eq(dY, slope_y, evaluate=False), "."),
            pieces={"given": sympy.Eq(dY, slope_y, evaluate=False)},
        ),
    ]
    current = substituted
    shorter = _use_equation(current, lhs - rhs, xs, ys)
    if shorter is not None:
        steps.append(
            Step(
                "use_equation",
                "solve",
                current,
                xs,
                shorter,
                says=("On the curve ", sympy.Eq(lhs, rhs, evaluate=False), ", so the result shortens."),
                pieces={"given": sympy.Eq(lhs, rhs, evaluate=False)},
            )
        )
        current = shorter
    final, candidates = tidy_with_candidates(current, lhs - rhs, None)
    if final.result != current:
        steps.append(final)
    return tuple(steps), final.result, candidates


def _use_equation(e: sympy.Expr, F: sympy.Expr, xs: sympy.Symbol, ys: sympy.Symbol) -> sympy.Expr | None:
    """``e`` shortened with ``F = 0`` (the numerator reduced modulo F, a polynomial), or None."""
    num, den = sympy.fraction(sympy.cancel(sympy.together(e)))
    try:
        if not (num.is_polynomial(xs, ys) and F.is_polynomial(xs, ys)):
            return None
        best = None
        for gens in ((xs, ys), (ys, xs)):
            _, remainder = sympy.reduced(sympy.expand(num), [sympy.expand(F)], *gens)
            candidate = sympy.factor_terms(sympy.cancel(remainder / den))
            if best is None or sympy.count_ops(candidate) < sympy.count_ops(best):
                best = candidate
    except Exception:  # noqa: BLE001 - no shorter form is not an error
        return None
    if best is None or sympy.count_ops(best) >= sympy.count_ops(e):
        return None
    return best


def _positive_first(terms: list[sympy.Expr]) -> sympy.Expr:
    """A sum written as a teacher writes it on the board: the terms with a plus sign first, in their order
    (``3y^2 - 6x`` rather than ``-6x + 3y^2``); one term alone as it is."""
    if not terms:
        return sympy.S.Zero
    if len(terms) == 1:
        return terms[0]
    ordered = sorted(sympy.Add(*terms).as_ordered_terms(), key=lambda t: t.could_extract_minus_sign())
    return sympy.Add(*ordered, evaluate=False)


# -- checking the "solve" steps -------------------------------------------------------------------------


def _plain(e: Any) -> Any:
    """Every y(x) as the symbol y, dy/dx and d²y/dx² as the symbols y' and y''."""
    reps: dict[sympy.Basic, sympy.Basic] = {}
    for d in sorted(e.atoms(sympy.Derivative), key=lambda d: -d.derivative_count):
        if isinstance(d.expr, AppliedUndef):
            name = d.expr.func.__name__ + "'" * int(d.derivative_count)
            reps[d] = sympy.Symbol(name, real=True)
    out = e.xreplace(reps) if reps else e
    for f in out.atoms(AppliedUndef):
        out = out.xreplace({f: sympy.Symbol(f.func.__name__, real=True)})
    return out


def _difference(eq: sympy.Basic) -> sympy.Expr:
    return eq.lhs - eq.rhs if isinstance(eq, sympy.Equality) else eq


def check_solve_step(step: Step) -> bool:
    """Whether one ``"solve"`` step of implicit differentiation holds (its sub-steps are checked apart).

    * ``differentiate_equation``: each side of the result is the derivative of that side;
    * ``collect``, ``factor_out``: the equation is unchanged (the same difference of its sides);
    * ``divide``: the result solves the equation for the unknown (``pieces["for"]``);
    * ``substitute``: the result is the expression with ``pieces["given"]`` substituted;
    * ``use_equation``: the result equals the expression on the curve ``pieces["given"]``;
    * ``implicit`` (the root): the result is ``-F_x/F_y`` (order 1), or the second derivative from it, on the
      curve (order 2).
    """
    rule = step.rule
    if rule == "differentiate_equation":
        eq, res, x = step.expr, step.result, step.var
        return _same(_plain(res.lhs), _plain(sympy.diff(eq.lhs, x))) and _same(
            _plain(res.rhs), _plain(sympy.diff(eq.rhs, x))
        )
    if rule in ("collect", "factor_out"):
        return _same(_plain(_difference(step.expr)), _plain(_difference(step.result)))
    if rule == "divide":
        unknown = step.pieces["for"]
        filled = _difference(step.expr).subs(unknown, step.result.subs(_implicit_symbols(step.expr)))
        return _same(_plain(filled), sympy.S.Zero)
    if rule == "substitute":
        given = step.pieces["given"]
        return _same(_plain(step.expr.subs(given.lhs, given.rhs)), _plain(step.result))
    if rule == "use_equation":
        return on_curve(_plain(step.expr) - _plain(step.result), step.pieces["given"])
    if rule == "implicit":
        return _check_root(step)
    return False


def _implicit_symbols(e: sympy.Basic) -> dict[sympy.Symbol, sympy.Expr]:
    """``{y: y(x)}`` for each implicit function in ``e``."""
    return {sympy.Symbol(f.func.__name__, real=True): f for f in e.atoms(AppliedUndef)}


def _check_root(step: Step) -> bool:
    equation = step.pieces["equation"]
    Y = step.pieces["y"]
    x = step.var
    ys = sympy.Symbol(Y.func.__name__, real=True)
    F = equation.lhs - equation.rhs
    first = -sympy.diff(F, x) / sympy.diff(F, ys)
    if step.order == 1:
        return _same(step.result, first)
    first_y = first.subs(ys, Y)
    second = _plain(sympy.diff(first_y, x).subs(sympy.Derivative(Y, x), first_y))
    return on_curve(step.result - second, equation)


def on_curve(e: sympy.Expr, equation: sympy.Basic, points: int = 4) -> bool:
    """Whether ``e`` is 0 at every point of the curve ``equation`` (in two symbols): exactly where the curve
    is polynomial (the numerator reduces to 0 modulo the equation), else at points found on it."""
    F = _difference(equation)
    if _same(e, sympy.S.Zero):
        return True
    symbols = sorted(F.free_symbols, key=str)
    num, _den = sympy.fraction(sympy.cancel(sympy.together(e)))
    if len(symbols) == 2 and num.is_polynomial(*symbols) and F.is_polynomial(*symbols):
        for gens in (symbols, symbols[::-1]):
            try:
                if sympy.reduced(sympy.expand(num), [sympy.expand(F)], *gens)[1] == 0:
                    return True
            except Exception:  # noqa: BLE001 - the numeric check decides
                continue
    if len(symbols) != 2:
        return equal_at_random_points(e, sympy.S.Zero)
    a, b = symbols
    found = 0
    for a0 in (sympy.Rational(3, 10), sympy.Rational(7, 10), sympy.Rational(11, 10), sympy.Rational(-1, 2)):
        section = F.subs(a, a0)
        for start in (-2.3, -0.7, 0.6, 1.9, 4.1):
            try:
                b0 = sympy.nsolve(section, b, start, prec=30)
            except Exception:  # noqa: BLE001 - no point from this start
                continue
            if not b0.is_real:
                continue
            try:
                value = complex(e.evalf(30, subs={a: a0, b: b0}))
            except (TypeError, ValueError, ZeroDivisionError):
                continue
            if value != value or abs(value) == float("inf"):
                continue
            if abs(value) > 1e-8:
                return False
            found += 1
            if found >= points:
                return True
    return found > 0
