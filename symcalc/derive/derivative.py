"""``derivative``: the rule engine's trace, tidied, with its conditions, checked (``implicit_derivative`` lives in
:mod:`symcalc.derive.implicit` and is importable from here too).

Example:
    >>> import symcalc as sc
    >>> d = sc.derivative("x^2 sin(x)")
    >>> d.result
    x**2*cos(x) + 2*x*sin(x)
    >>> d.steps.substeps[0].pieces["u"], d.steps.substeps[0].pieces["v"]
    (x**2, sin(x))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import sympy
from sympy.core.cache import cacheit

from ..bounded import TimedOut
from ..errors import SymcalcError, UnsupportedError
from ..functions import lower, relu
from ..parse import Source, parse
from ..variables import natural_order, resolve_var
from .conditions import find_kinks, readable_conditions
from .implicit import implicit_derivative
from .rules import Context, derive
from .steps import Derivation, Step
from .tidy import equivalent_forms, tidy_with_candidates
from .verify import compare, thread_clock, within

__all__ = ["DETAILS", "derivative", "implicit_derivative"]

DETAILS = ("brief", "standard", "full")
#: Seconds for everything after the rules (the tidy-up, the conditions, the check) unless ``timeout`` says.
TIMEOUT = 2.0
#: Shares of the deadline: the tidy-up ends by 60% of it, the conditions and kinks by 80%, the check by 100%
#: (with at least :data:`CHECK_FLOOR` of it, so a raw result can still be verified).
TIDY_SHARE, CONDITIONS_SHARE = 0.6, 0.8
CHECK_FLOOR = 0.25
#: Where f may have kinks (the functions :func:`~symcalc.derive.conditions.find_kinks` looks at).
_KINKS = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min, relu)
#: Functions that are not complex-differentiable: the rules read them as functions of a real variable.
_REAL_ONLY = (
    sympy.Abs,
    sympy.sign,
    sympy.re,
    sympy.im,
    sympy.arg,
    sympy.conjugate,
    sympy.Heaviside,
    sympy.Max,
    sympy.Min,
    sympy.floor,
    sympy.ceiling,
)
#: How the rounds of a higher derivative are named.
ORDINALS = (
    "First derivative",
    "Second derivative",
    "Third derivative",
    "Fourth derivative",
    "Fifth derivative",
)


def derivative(
    expr: Source,
    var: str | sympy.Symbol | None = None,
    order: int = 1,
    *,
    detail: str = "standard",
    known: Iterable[str] = (),
    check: bool = True,
    timeout: float | None = TIMEOUT,
) -> Derivation:
    """Differentiate with a worked solution.

    Args:
        expr: anything :func:`symcalc.parse` takes; ``d/dx (...)`` sets ``var`` and ``order`` itself.
        var: the variable; may be omitted for a function of one variable. Other symbols are held constant.
        order: how many times to differentiate; each derivative is shown.
        detail: ``"brief"``, ``"standard"`` or ``"full"``: how much of the working the renderings show.
        known: rule ids the learner knows already; the renderings apply them silently.
        check: compare the result with SymPy's ``diff`` before returning: symbolically where that is cheap,
            else at points covering every region where the form changes (both signs, both sides of each kink).
        timeout: seconds of computing (this thread's CPU time, so a busy machine changes nothing) for the work
            after the rules (``None``: no limit). The tidy-up ends by 60% of it:
            past that the result is the rules' raw form, verified, and ``.notes`` says it was not tidied. A
            check that cannot decide in the time left says so in ``.notes`` ("Not verified: ...").

    Returns:
        A :class:`~symcalc.derive.steps.Derivation`; ``.result`` equals ``sympy.diff(expr, var, order)``.

    Raises:
        UnsupportedError: the input is not one expression (a Matrix, an equation), a function that is not
            complex-differentiable (``Abs``, ``sign``, ...) of a variable not declared real, or an input whose
            worked solution disagrees with SymPy's derivative.

    Example:
        >>> derivative("sin(x^2)").result
        2*x*cos(x**2)
        >>> derivative("x^3", order=2).result
        6*x
    """
    _check_timeout(timeout)
    e = _expression(expr)
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
    _refuse_complex_kinks(e, x)
    clock = _Clock(timeout)
    notes: list[str] = []
    ctx = Context(x, {str(s) for s in e.free_symbols})
    rounds: list[Step] = []
    current = e
    for k in range(order):
        worked = _derive(current, x, ctx)
        final, candidates = _tidy(worked, current, x, clock.left(TIDY_SHARE), notes)
        solution = _solution(current, x, worked, final)
        if order > 1:
            solution = Step(
                "higher_order",
                "derivative",
                current,
                x,
                final.result,
                solution.substeps,
                explanation=f"{ORDINALS[k] if k < len(ORDINALS) else f'Derivative {k + 1}'}: differentiate "
                + ("the function." if k == 0 else "the previous result."),
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
    kinks: tuple[Any, ...] = ()
    if order == 1 and e.has(*_KINKS):
        kinks = _bounded(_kinks, (e, x, result), clock.left(CONDITIONS_SHARE), None)
        if kinks is None:
            kinks = ()
            notes.append(
                "Kinks not searched: the search for points where f is not differentiable ran out of time."
            )
    raw_conditions = tuple(dict.fromkeys(ctx.conditions))
    conditions = _bounded(_conditions, (raw_conditions, x), clock.left(CONDITIONS_SHARE), raw_conditions)
    forms = _bounded(_forms, (result, e, tuple(candidates)), clock.left(CONDITIONS_SHARE), ())
    if check:
        _check(e, x, order, result, clock, notes)
    constants = tuple(natural_order(s for s in e.free_symbols if isinstance(s, sympy.Symbol) and s != x))
    return Derivation(
        expr=e,
        var=x,
        order=order,
        result=result,
        steps=root,
        conditions=tuple(conditions),
        constants=constants,
        equivalent_forms=tuple(forms),
        detail=detail,
        known=frozenset(known),
        kinks=tuple(kinks),
        notes=tuple(notes),
    )


class _Clock:
    """The deadline of one derivative, on this thread's CPU clock: how many seconds of computing are left until a
    share of ``timeout`` is used."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout, self.clock = timeout, thread_clock()
        self.start = self.clock()

    def left(self, share: float, floor: float = 0.0) -> float | None:
        if self.timeout is None:
            return None
        return max(self.start + share * self.timeout - self.clock(), floor * self.timeout)


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not (math.isfinite(timeout) and timeout > 0)
    ):
        raise SymcalcError(f"timeout must be a positive number of seconds (or None), not {timeout!r}")


def _expression(expr: Source) -> sympy.Expr:
    """The input as one scalar expression, or a clear error for anything else (a Matrix, an equation)."""
    if isinstance(expr, sympy.MatrixBase | sympy.MatrixExpr) or getattr(expr, "is_Matrix", False):
        raise UnsupportedError(
            "derivative takes one expression, not a matrix: differentiate each entry, or use symcalc.jacobian "
            "for a vector of functions and symcalc.matrix_gradient for matrix calculus"
        )
    e = parse(expr)
    if isinstance(e, sympy.MatrixBase | sympy.MatrixExpr) or not isinstance(e, sympy.Expr):
        raise UnsupportedError(f"derivative takes one expression; {type(e).__name__} is not one")
    return e


def _refuse_complex_kinks(e: sympy.Expr, x: sympy.Symbol) -> None:
    """Abs, sign, max, ... of a variable that may be complex have no derivative in x (SymPy's answer is in
    terms of re and im): the rules read them as real functions, so such an input is refused, with the fix."""
    for node in sympy.preorder_traversal(e):
        if isinstance(node, _REAL_ONLY) and node.has(x):
            loose = sorted(str(s) for s in node.free_symbols if s.is_real is not True)
            if loose:
                names = ", ".join(loose)
                raise UnsupportedError(
                    f"{sympy.sstr(node)} is not complex-differentiable and {names} may be complex here: declare "
                    f"the symbols real (sympy.Symbol('{loose[0]}', real=True)), as symcalc.parse does"
                )


def _derive(e: sympy.Expr, x: sympy.Symbol, ctx: Context) -> Step:
    """The rule engine's trace; an input it cannot take apart is an UnsupportedError, never a raw error."""
    try:
        return derive(e, x, ctx)
    except SymcalcError:
        raise
    except (
        TypeError,
        ValueError,
        NotImplementedError,
        AttributeError,
        IndexError,
        KeyError,
        RecursionError,
    ) as err:
        raise UnsupportedError(f"symcalc cannot differentiate {sympy.sstr(e)} step by step ({err})") from err


def _tidy(
    worked: Step, current: sympy.Expr, x: sympy.Symbol, seconds: float | None, notes: list[str]
) -> tuple[Step, list[sympy.Expr]]:
    """The tidy-up within ``seconds``; past them (or if it fails) the raw form stands, with a note."""
    try:
        return within(tidy_with_candidates, (worked.result, current, x), seconds)
    except TimedOut:
        why = "did not finish within its deadline"
    except Exception as err:  # noqa: BLE001 - a failed tidy-up leaves the verified raw form, said so
        why = f"failed ({type(err).__name__})"
    note = f"Not tidied: the tidy-up {why}, so the result is the raw form the rules give."
    if note not in notes:
        notes.append(note)
    return worked, [worked.result]


def _bounded(func: Callable[..., Any], args: tuple[Any, ...], seconds: float | None, fallback: Any) -> Any:
    """``func(*args)`` within ``seconds``, else (or on any error) ``fallback``: for the finishing touches."""
    try:
        return within(func, args, seconds)
    except Exception:  # noqa: BLE001 - TimedOut or a failure: conditions and kinks are extras, the fallback holds
        return fallback


def _check(
    e: sympy.Expr, x: sympy.Symbol, order: int, result: sympy.Expr, clock: _Clock, notes: list[str]
) -> None:
    """Compare with SymPy's derivative in the time left: a disagreement is an error; no decision, a note."""
    try:
        verdict = within(_agrees, (result, e, x, order), clock.left(1.0, CHECK_FLOOR))
    except TimedOut:
        notes.append(
            "Not verified: the comparison with SymPy's derivative did not finish within the deadline."
        )
        return
    except Exception as err:  # noqa: BLE001 - SymPy could not produce or compare its own derivative
        notes.append(f"Not verified: SymPy's derivative could not be compared ({type(err).__name__}).")
        return
    if verdict is None:
        notes.append(
            "Not verified: no sample point gives a usable value, and SymPy could not show the forms equal."
        )
    elif not verdict:
        raise UnsupportedError(
            f"symcalc's worked derivative of {sympy.sstr(e)} disagrees with SymPy's, so none is given; "
            "please report this"
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
        says=("Differentiate ", e, " with respect to ", x, "."),
    )


# The finishing touches and the check depend on their arguments alone, so each is kept in SymPy's cache, as
# the tidy-up is (``sympy.core.cache.clear_cache()`` forgets them): the same problem asked again (a tutor page, a
# batch with repeats) costs little more than its rule walk. A deadline's interrupt is an exception, so a
# cut-short run is never kept. Each returns a tuple, never a list that a caller could change in the cache.


def _kinks_now(e: sympy.Expr, x: sympy.Symbol, result: sympy.Expr) -> tuple[Any, ...]:
    return tuple(find_kinks(e, x, result))


def _conditions_now(raw: tuple[sympy.Basic, ...], x: sympy.Symbol) -> tuple[sympy.Basic, ...]:
    return tuple(readable_conditions(list(raw), x))


def _forms_now(
    result: sympy.Expr, e: sympy.Expr, candidates: tuple[sympy.Expr, ...]
) -> tuple[sympy.Expr, ...]:
    return tuple(equivalent_forms(result, e, list(candidates)))


_kinks: Callable[[sympy.Expr, sympy.Symbol, sympy.Expr], tuple[Any, ...]] = cacheit(_kinks_now)
_conditions: Callable[[tuple[sympy.Basic, ...], sympy.Symbol], tuple[sympy.Basic, ...]] = cacheit(
    _conditions_now
)
_forms: Callable[[sympy.Expr, sympy.Expr, tuple[sympy.Expr, ...]], tuple[sympy.Expr, ...]] = cacheit(
    _forms_now
)


def _agrees_now(result: sympy.Expr, e: sympy.Expr, x: sympy.Symbol, order: int) -> bool | None:
    """Whether ``result`` is SymPy's derivative: the same tree, else the numbers at points covering each region
    (:func:`~symcalc.derive.verify.compare`), else ``simplify``; None when nothing decides."""
    a, b = lower(result), lower(sympy.diff(e, x, order))
    if a.has(sympy.Sum, sympy.Product, sympy.Integral, sympy.Indexed):
        # no numbers to try (data, a symbolic bound): the same tree up to bound variables, or simplify
        if compare(a, b, points=[]).equal:
            return True
        forms = [a - b, sympy.factor_terms(a - b), (a - b).expand()]
        return True if any(sympy.simplify(f) == 0 for f in forms) else None
    verdict = compare(a, b, context=[lower(e)]).equal
    if verdict is None:
        try:
            return True if sympy.simplify(a - b) == 0 else None
        except Exception:  # noqa: BLE001 - simplify can fail on odd forms: then nothing decides
            return None
    return verdict


#: :func:`_agrees_now` in SymPy's cache.
_agrees: Callable[[sympy.Expr, sympy.Expr, sympy.Symbol, int], bool | None] = cacheit(_agrees_now)
