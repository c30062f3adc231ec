r"""Checking hand-derived gradients: symbolic claims and NumPy code against the truth, with a diagnosis.

``check_gradient(expr, claimed, variables)`` says, per component, whether a claimed partial derivative is
right. ``claimed`` is a list (expressions, plain text or LaTeX) or a callable (hand-written NumPy gradient
code). For a wrong component it gives a point where it differs, both values there, the true partial, and
(where one fits) the classic mistake that produces exactly the claim, found by applying each mistake as an
error model to the correct derivation, at each place in the expression where it can happen.

Finite differences: :func:`numerical_gradient` (central differences, step scaled to x) and :func:`gradcheck`
(a gradient against them, reporting the largest absolute and relative errors with the tolerance stated).

Example:
    >>> import symcalc as sc
    >>> c = sc.check_gradient("sin(x^2)", ["cos(x^2)"], ["x"])
    >>> c.ok, c.mistakes
    (False, ('chain.missing_inner',))
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import sympy

from ..derive.verify import compare, sample_points, within
from ..errors import SymcalcError, UnsupportedError
from ..functions import lower
from ..numeric.gradcheck import GradCheck, numerical_gradient  # noqa: F401  (symcalc.check.numerical_gradient)
from ..numeric.gradcheck import gradcheck as _finite_difference_check
from ..parse import Source, parse
from ..variables import Variables, natural_order, real_symbol, resolve_variables

__all__ = [
    "MISTAKES",
    "ComponentVerdict",
    "GradientCheck",
    "check_gradient",
    "gradcheck",
]

#: The classic mistakes symcalc diagnoses, by stable id, with the sentence a learner reads.
MISTAKES: dict[str, str] = {
    # the most specific models come first: ln(u) -> 1/u is also a missing inner factor
    "ln.missing_inner": "d/dx ln(u) = u'/u: the factor u' is missing for {node}",
    "chain.missing_inner": "the chain rule's inner derivative is missing: the derivative of {node} needs the "
    "factor d/d{var} of its inner function",
    "product.missing_term": "a term of the product rule is missing in the derivative of {node}: "
    "(u v)' = u' v + u v'",
    "product.f_prime_g_prime": "the derivative of the product {node} was taken as u' v'; the product rule is "
    "(u v)' = u' v + u v'",
    "quotient.sign": "the quotient rule's numerator is reversed for {node}: it is u' v - u v', not u v' - u' v",
    "quotient.denominator": "the quotient rule's denominator is v^2 (not v) for {node}",
    "power.exponent": "the exponent was not lowered in the derivative of {node}: d/dx x^n = n x^(n-1)",
    "power.on_exponential": "the power rule was applied to the exponential {node}: the variable is in the "
    "exponent, so d/dx a^u = a^u ln(a) u'",
    "trig.sign": "a sign is lost in the derivative of {node} (d/dx cos x = -sin x, d/dx cot x = -csc^2 x, "
    "d/dx csc x = -csc x cot x)",
    "partial.not_constant": "another variable was not held constant: in d/d{var}, {other} is a constant",
    "constant.not_zero": "the derivative of a constant term is 0, but {node} was kept",
    # added later: after the models above, so that a claim they name keeps its name
    "power.coefficient": "the factor n was dropped in the derivative of {node}: d/dx x^n = n x^(n-1)",
    "constant.factor_dropped": "the constant factor {factor} of {node} was dropped: d/dx (c u) = c u' (the 1/m "
    "of a mean stays in its gradient)",
    "function.not_differentiated": "{node} was copied instead of differentiated: only e^u is its own "
    "derivative (d/dx sin u = cos(u) u', d/dx ln u = u'/u, d/dx sigmoid(u) = sigmoid(u) (1 - sigmoid(u)) u')",
    "sign.flipped": "the sign of the whole derivative is flipped: a minus sign was lost (a loss such as -log p "
    "keeps its minus)",
}


@dataclass(frozen=True)
class ComponentVerdict:
    """The verdict on one component of a claimed gradient."""

    variable: sympy.Symbol
    ok: bool
    expected: sympy.Expr | None
    claimed: sympy.Expr | None
    point: dict[str, float] | None = None
    expected_value: float | None = None
    claimed_value: float | None = None
    mistake: str | None = None
    hint: str | None = None
    #: names in the claim that the problem does not have: such a claim is not compared at all
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradientCheck:
    """The result of :func:`check_gradient`: ``.ok``, ``.components``, ``.mistakes`` (ids), ``.hints``."""

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    components: tuple[ComponentVerdict, ...]
    #: the equations given with ``assume=``, as the comparison used them
    assumptions: tuple[sympy.Eq, ...] = ()
    #: how they were used: each eliminated symbol with its value, ``Eq(y3, 1 - y1 - y2)``
    substitutions: tuple[sympy.Eq, ...] = ()

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    @property
    def mistakes(self) -> tuple[str, ...]:
        return tuple(c.mistake for c in self.components if c.mistake)

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(c.hint for c in self.components if c.hint)

    @property
    def wrong(self) -> tuple[int, ...]:
        """Indices of the wrong components."""
        return tuple(i for i, c in enumerate(self.components) if not c.ok)

    def to_text(self) -> str:
        """The verdict per component in the learner's notation: ``d/dx`` for a function of one variable (its
        derivative), ``∂f/∂x`` for several (the partial derivatives), the right answer in its tidy form."""
        from ..derive.tidy import tidy
        from ..render.notation import text

        one = len(self.components) == 1
        what = "derivative" if one else "gradient"
        lines = [f"Checking the {what} of {text(self.expr)}:"]
        if self.assumptions:
            lines.append(f"  {self._assuming()}")
        for c in self.components:
            label = f"d/d{text(c.variable)}" if one else f"∂f/∂{text(c.variable)}"
            if c.ok:
                lines.append(
                    f"  {label}: correct" + (f" ({text(c.claimed)})" if c.claimed is not None else "")
                )
                continue
            if c.unknown:
                lines.append(
                    f"  {label}: not compared: unknown variable{'s' if len(c.unknown) > 1 else ''} "
                    f"{', '.join(c.unknown)} in the claim {text(c.claimed)}"
                )
                lines.append(f"      hint: {c.hint}")
                continue
            lines.append(
                f"  {label}: WRONG" + (f": claimed {text(c.claimed)}" if c.claimed is not None else "")
            )
            if c.point is not None:
                where = ", ".join(f"{k} = {v:g}" for k, v in c.point.items())
                claimed = "not a real number" if c.claimed_value is None else f"{c.claimed_value:.10g}"
                lines.append(f"      at {where}: expected {c.expected_value:.10g}, claimed {claimed}")
            if c.expected is not None:
                shown = tidy(c.expected, self.expr, c.variable).result
                lines.append(f"      the {'derivative' if one else 'partial derivative'} is {text(shown)}")
            if c.hint:
                lines.append(f"      hint: {c.hint}")
        if one:
            verdict = "The derivative is correct" if self.ok else "The derivative is wrong"
        else:
            verdict = (
                "All components are correct"
                if self.ok
                else f"{len(self.wrong)} of {len(self.components)} components are wrong"
            )
        lines.append(verdict + (" (using the assumptions)." if self.assumptions else "."))
        return "\n".join(lines)

    def _assuming(self) -> str:
        """``assuming y1 + y2 + y3 = 1 (used as y3 = 1 - y1 - y2)``: the assumptions and how they were used."""
        from ..render.notation import text

        given = "; ".join(text(a) for a in self.assumptions)
        used = ", ".join(text(u) for u in self.substitutions)
        return f"assuming {given}" + (f" (used as {used})" if used else " (already true of the constants)")

    def to_markdown(self) -> str:
        return "```text\n" + self.to_text() + "\n```\n"

    def to_latex(self) -> str:
        from ..render.derivation import _escape

        return "".join(rf"\noindent {_escape(line)}\par" + "\n" for line in self.to_text().splitlines())

    def to_dict(self) -> dict[str, Any]:
        from ..render.derivation import SCHEMA_VERSION, _expr

        return {
            "schema_version": SCHEMA_VERSION,
            "type": "gradient_check",
            "expr": _expr(self.expr),
            "variables": [str(v) for v in self.variables],
            "ok": self.ok,
            "mistakes": list(self.mistakes),
            "assumptions": [_expr(a) for a in self.assumptions],
            "substitutions": {str(u.lhs): _expr(u.rhs) for u in self.substitutions},
            "components": [
                {
                    "variable": str(c.variable),
                    "ok": c.ok,
                    "expected": _expr(c.expected),
                    "claimed": _expr(c.claimed),
                    "point": c.point,
                    "expected_value": c.expected_value,
                    "claimed_value": c.claimed_value,
                    "mistake": c.mistake,
                    "hint": c.hint,
                    "unknown": list(c.unknown),
                }
                for c in self.components
            ],
        }

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


# -- sampling -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """The points every comparison of one check uses: they cover each region where the function, its partial
    derivatives or the claims change form (both signs of each variable, both sides of each kink, step and
    piecewise boundary, and of each edge of the domain), and count only inside the function's domain."""

    context: tuple[sympy.Expr, ...]
    points: tuple[dict[sympy.Symbol, float], ...]


def _sample(e: sympy.Expr, exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]) -> _Sample:
    return _Sample((e,), tuple(sample_points([e, *exprs], symbols, seed=7, domain=True)))


def _close(a: float, b: float, rtol: float = 1e-7) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def _compare(
    expected: sympy.Expr, claimed: sympy.Expr, sample: _Sample
) -> tuple[bool, dict[sympy.Symbol, float] | None, float | None, float | None]:
    """(equal?, a point where they differ, expected there, claimed there (None: not a real number there)).

    Symbolically first, then at every point of ``sample`` (a claim undefined where the derivative exists is
    wrong there); where no point decides, a ``simplify`` of the difference bounded to one second."""
    c = compare(
        expected, claimed, context=sample.context, points=sample.points, rtol=1e-7, b_defined_where_a_is=True
    )
    if c.equal is None:
        try:
            zero = within(sympy.simplify, (lower(expected) - lower(claimed),), 1.0) == 0
        except Exception:  # noqa: BLE001 - a simplify that fails or times out decides nothing: not shown equal
            zero = False
        return zero, None, None, None
    if c.equal:
        return True, None, None, None
    return False, c.point, _real_part(c.a_value), _real_part(c.b_value)


def _real_part(v: complex | None) -> float | None:
    return None if v is None else float(v.real)


# -- error models ---------------------------------------------------------------------------------------

_TRIG_WRONG_SIGN = {
    sympy.cos: lambda u: sympy.sin(u),
    sympy.cot: lambda u: sympy.csc(u) ** 2,
    sympy.csc: lambda u: sympy.csc(u) * sympy.cot(u),
    sympy.sin: lambda u: -sympy.cos(u),
    sympy.tan: lambda u: -(sympy.sec(u) ** 2),
    sympy.sec: lambda u: -sympy.sec(u) * sympy.tan(u),
}


def _nodes(e: sympy.Expr) -> list[sympy.Expr]:
    return list(sympy.preorder_traversal(e))


def _mistaken(
    e: sympy.Expr, x: sympy.Symbol, mistake: str, target: sympy.Expr, variant: int
) -> sympy.Expr | None:
    """The derivative of the node ``target`` with ``mistake`` made there, or None where it cannot be made."""

    def d(u: sympy.Expr) -> sympy.Expr:  # the correct derivative of the parts
        return sympy.diff(u, x)

    if mistake == "chain.missing_inner":
        if isinstance(target, sympy.Pow) and not target.exp.has(x) and target.base != x:
            return target.exp * target.base ** (target.exp - 1)
        if isinstance(target, sympy.Function) and len(target.args) == 1 and target.args[0] != x:
            u = sympy.Dummy("u")
            return sympy.diff(target.func(u), u).subs(u, target.args[0])
        if isinstance(target, sympy.Pow) and not target.base.has(x) and target.exp != x:
            return target * sympy.log(target.base)
        return None
    if mistake in ("product.missing_term", "product.f_prime_g_prime") and isinstance(target, sympy.Mul):
        factors = [f for f in target.args if f.has(x)]
        const = sympy.Mul(*[f for f in target.args if not f.has(x)])
        if len(factors) < 2:
            return None
        if mistake == "product.f_prime_g_prime":
            return const * sympy.Mul(*[d(f) for f in factors])
        if variant >= len(factors):
            return None
        terms = [d(f) * sympy.Mul(*[g for g in factors if g is not f]) for f in factors]
        return const * sympy.Add(*[t for i, t in enumerate(terms) if i != variant])
    if mistake in ("quotient.sign", "quotient.denominator") and isinstance(target, sympy.Mul):
        num, den = sympy.fraction(target, exact=True)
        if den == 1 or not den.has(x):
            return None
        if mistake == "quotient.sign":
            return (num * d(den) - d(num) * den) / den**2
        return (d(num) * den - num * d(den)) / den
    if mistake == "power.exponent" and isinstance(target, sympy.Pow) and not target.exp.has(x):
        return target.exp * target * d(target.base)
    if mistake == "power.on_exponential":
        if isinstance(target, sympy.Pow) and not target.base.has(x) and target.exp.has(x):
            return target.exp * target.base ** (target.exp - 1) * d(target.exp)
        if isinstance(target, sympy.exp):
            u = target.args[0]
            return u * sympy.E ** (u - 1) * d(u)
        return None
    if mistake == "ln.missing_inner" and isinstance(target, sympy.log) and target.args[0] != x:
        return 1 / target.args[0]
    if mistake == "trig.sign" and type(target) in _TRIG_WRONG_SIGN:
        u = target.args[0]
        return _TRIG_WRONG_SIGN[type(target)](u) * d(u)
    if mistake == "constant.not_zero" and isinstance(target, sympy.Add):
        consts = [t for t in target.args if not t.has(x)]
        return d(target) + sympy.Add(*consts) if consts else None
    if mistake == "power.coefficient" and isinstance(target, sympy.Pow) and not target.exp.has(x):
        return target.base ** (target.exp - 1) * d(target.base)
    if mistake == "constant.factor_dropped" and isinstance(target, sympy.Mul | sympy.Add):
        const, rest = _constant_factor(target, x)
        return None if const in (sympy.S.One, sympy.S.NegativeOne) else d(rest)
    if (
        mistake == "function.not_differentiated"
        and isinstance(target, sympy.Function)
        and len(target.args) == 1
        and not isinstance(target, sympy.exp)
    ):
        return target * d(target.args[0])
    return None


def _constant_factor(target: sympy.Expr, x: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """``(c, u)`` with ``target = c u`` and c free of x: the factors of a product that do not hold x, or the
    number common to every term of a sum (SymPy spreads the 1/m of a mean over the terms)."""
    if isinstance(target, sympy.Add):
        const, rest = target.primitive()
        return sympy.S(const), rest
    if isinstance(target, sympy.Mul):
        return (
            sympy.Mul(*[f for f in target.args if not f.has(x)]),
            sympy.Mul(*[f for f in target.args if f.has(x)]),
        )
    return sympy.S.One, target


def _replace_derivative(e: sympy.Expr, x: sympy.Symbol, target: sympy.Expr, wrong: sympy.Expr) -> sympy.Expr:
    """d/dx e with the derivative of the node ``target`` replaced by ``wrong`` (the chain rule carries it up)."""
    marker = sympy.Symbol("_symcalc_target_", real=True)
    replaced = e.xreplace({target: marker})
    if not replaced.has(marker):
        return sympy.diff(e, x)
    # d/dx F(x, g(x)) = F_x + F_g g', with g the target node and g' taken as the mistaken derivative
    outer_x = sympy.diff(replaced, x)
    outer_g = sympy.diff(replaced, marker)
    return (outer_x + outer_g * wrong).xreplace({marker: target})


def _variants(
    e: sympy.Expr, x: sympy.Symbol, variables: Sequence[sympy.Symbol]
) -> Iterator[tuple[str, Callable[[], str], sympy.Expr]]:
    """Every error model's wrong d/dx e, one at a time, in the catalogue's order: ``(mistake, hint, variant)``,
    the hint built only when asked for. The same catalogue serves claims as formulas and as NumPy code."""
    for mistake in MISTAKES:
        if mistake == "partial.not_constant":
            for other in variables:
                if other == x or not e.has(other):
                    continue
                hint = MISTAKES[mistake].format(var=x, other=other, node="", factor="")
                yield mistake, partial(str, hint), sympy.diff(e, x) + sympy.diff(e, other)
            continue
        if mistake == "sign.flipped":
            yield mistake, partial(str, MISTAKES[mistake]), -sympy.diff(e, x)
            continue
        for target in _nodes(e):
            if not target.has(x) or target == x:
                continue
            for variant in range(3 if mistake == "product.missing_term" else 1):
                wrong = _mistaken(e, x, mistake, target, variant)
                if wrong is None:
                    break
                yield mistake, partial(_hint, mistake, target, x), _replace_derivative(e, x, target, wrong)


def _hint(mistake: str, target: sympy.Expr, x: sympy.Symbol) -> str:
    factor = _constant_factor(target, x)[0]
    return MISTAKES[mistake].format(node=_text(target), var=x, other="", factor=_text(factor))


def _diagnose(
    e: sympy.Expr,
    x: sympy.Symbol,
    claimed: sympy.Expr,
    variables: Sequence[sympy.Symbol],
    sample: _Sample,
    given: dict[sympy.Symbol, sympy.Expr] | None = None,
) -> tuple[str, str] | None:
    """The first mistake (an id and a hint) whose error model reproduces the claim exactly (with the symbols
    that the assumptions ``given`` eliminate replaced by their values)."""
    probe = _probe(sample)
    target = _value_at(claimed, probe)
    for mistake, hint, variant in _variants(e, x, variables):
        if given:
            variant = variant.xreplace(given)
        if _apart(_value_at(variant, probe), target):
            continue  # a clear difference at one point of the domain: the full comparison would say so
        if _compare(variant, claimed, sample)[0]:
            return mistake, hint()
    return None


def _probe(sample: _Sample) -> dict[sympy.Symbol, float] | None:
    """The first sample point where the function is a real number: one evaluation there rules out most error
    models before the full comparison (which builds NumPy functions of every expression it compares)."""
    for point in sample.points:
        if all(_value_at(c, point) is not None for c in sample.context):
            return point
    return None


def _value_at(e: sympy.Expr, point: dict[sympy.Symbol, float] | None) -> float | None:
    """e at the point, if it is a finite real number there (else None: nothing is decided by it)."""
    if point is None:
        return None
    try:
        v = complex(lower(e).xreplace({s: sympy.Float(t) for s, t in point.items()}).evalf(15))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not np.isfinite(v) or abs(v.imag) > 1e-12 * (1 + abs(v.real)):
        return None
    return v.real


def _apart(a: float | None, b: float | None) -> bool:
    """Clearly different: far beyond the comparison's own tolerance (1e-7 relative), so no match is lost."""
    return a is not None and b is not None and abs(a - b) > 1e-4 * max(1.0, abs(a), abs(b))


def _text(e: sympy.Expr) -> str:
    """An expression in a hint, in the notation the learner types."""
    from ..render.notation import text

    return text(e)


# -- the checks -----------------------------------------------------------------------------------------


def _claims(claimed: Any, n: int, known: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    """The claims read with the problem's names declared (``2xy`` is ``2*x*y`` when x and y are variables), each
    name matched to the problem's own symbol of that name."""
    if isinstance(claimed, str):
        raise SymcalcError(
            "give the claimed gradient as a list, one component per variable (log(x, 2) has a comma)"
        )
    items = list(claimed)
    if len(items) != n:
        raise SymcalcError(f"the claim has {len(items)} components; the function has {n} variables")
    by_name = {s.name: s for s in known}
    out = []
    for c in items:
        got = parse(c, list(by_name))
        if not isinstance(got, sympy.Expr) or isinstance(got, sympy.MatrixExpr):
            raise SymcalcError(f"a claimed component is one expression; {sympy.sstr(got)} is not one")
        out.append(got.xreplace({s: by_name[s.name] for s in got.free_symbols if s.name in by_name}))
    return out


def _unknown(claim: sympy.Expr, known: Sequence[sympy.Symbol]) -> tuple[str, ...]:
    """The names in a claim that are neither variables nor constants of the problem."""
    names = {s.name for s in known}
    return tuple(sorted(str(s) for s in claim.free_symbols if str(s) not in names))


def check_gradient(
    expr: Source,
    claimed: Sequence[Source] | Callable[[np.ndarray], Any],
    variables: Variables = None,
    *,
    diagnose: bool = True,
    constants: Any = None,
    shapes: Any = None,
    assume: Any = None,
) -> GradientCheck:
    """Check a hand-derived gradient: a list of claimed partial derivatives, or a callable (NumPy code).

    ``constants`` gives values for the symbols that are not variables (``{"a": 2.0}``), in the function and in
    the claims, as :func:`symcalc.compile` takes them.

    A claim is read with the problem's names declared (its variables and constants), so ``2xy`` is ``2*x*y``;
    a name the problem does not have is reported in the verdict (``unknown``, "unknown variable xz"), never
    compared. Claims are compared symbolically where that is cheap, else at points covering every region where
    the function, its derivatives or the claim change form (both signs of each variable, both sides of each
    kink, step and piecewise boundary, inside the function's domain): a claim wrong on any region is wrong,
    with a point of that region. A claim that is not a real number where the derivative is, is wrong there.

    A wrong component is diagnosed with the error models of :data:`MISTAKES` (``.mistakes``, ``.hints``), for
    a claim written as code too: the code's values at the sample points are compared with the values of
    each model's wrong derivative, and a mistake is named only when they agree at every point.

    ``assume``: equations the comparison may use (``"y1 + y2 + y3 = 1"``, a ``sympy.Eq``, or an expression
    meaning ``= 0``; one or a list). Each is solved for one symbol that is not a variable of differentiation
    (it must be linear in that symbol), which is then replaced by its value in the derivative and the claims,
    so that every sample point satisfies the assumptions; the verdict lists them and how they were used. An
    assumption that mentions only variables of differentiation, is not linear in any other symbol, or
    contradicts the others (or the constants) is an error.

    Example:
        >>> check_gradient("x^2*y", ["2*x*y", "x^2"], ["x", "y"]).ok
        True
        >>> check_gradient("x^2 y", ["2xy", "x^2"]).ok
        True
        >>> check_gradient("abs(x)", ["1"]).ok  # right for x > 0 only
        False
        >>> check_gradient("a*x^2", lambda p: 2 * 3.0 * p, ["x"], constants={"a": 3.0}).ok
        True
        >>> check_gradient("exp(2x)", lambda p: np.exp(2 * p), ["x"]).mistakes
        ('chain.missing_inner',)
        >>> check_gradient("(a + b) * x", ["1"], ["x"], assume=["a + b = 1"]).ok
        True
    """
    if shapes is not None:  # a claim in matrix form ("2X^T(Xw - y)"), with the shapes declared
        if assume is not None:
            raise SymcalcError("assume= is not available for a claim in matrix form (with shapes=)")
        from .matrix_check import check_matrix_gradient

        return check_matrix_gradient(expr, claimed, variables, shapes=shapes)
    e = parse(expr)
    if constants:
        from ..numeric.compile import bind_constants

        e = bind_constants(e, constants)
    xs = resolve_variables([e], variables)
    true = [sympy.diff(e, x) for x in xs]
    known = list(dict.fromkeys([*xs, *natural_order(e.free_symbols)]))
    names = [
        *known,
        *(real_symbol(str(k)) for k in (constants or {}) if str(k) not in {s.name for s in known}),
    ]
    given, solved = _assumptions(assume, xs, names, constants)
    if callable(claimed):
        return _check_callable(e, xs, true, claimed, diagnose, given, solved)
    claims = _claims(claimed, len(xs), names)
    if constants:
        claims = [bind_constants(c, constants, require_all=False) for c in claims]
    symbols = [
        s for s in natural_order(set(known).union(*[c.free_symbols for c in claims])) if s not in solved
    ]
    used = [_using(t, solved) for t in true]
    seen = [_using(c, solved) for c in claims]
    sample = _sample(_using(e, solved), [*used, *seen], symbols)
    verdicts = []
    for x, want, got, want_used, got_used in zip(xs, true, claims, used, seen, strict=True):
        strangers = _unknown(got, known)
        if strangers:
            verdicts.append(_unknown_verdict(x, want, got, strangers, known))
            continue
        equal, at, a, b = _compare(want_used, got_used, sample)
        if equal:
            verdicts.append(ComponentVerdict(x, True, want, got))
            continue
        found = _diagnose(e, x, got_used, xs, sample, solved) if diagnose else None
        point = _point(at, solved) if at else None
        verdicts.append(
            ComponentVerdict(
                x, False, want, got, point, a, b, found[0] if found else None, found[1] if found else None
            )
        )
    return GradientCheck(e, tuple(xs), tuple(verdicts), *_recorded(given, solved))


def gradcheck(
    fn: Any,
    points: Any,
    grad: Callable[[np.ndarray], Any] | None = None,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    diagnose: bool = True,
) -> GradCheck:
    """Compare a gradient (``grad``, or ``fn.grad``) with central differences of ``fn`` at ``points``; where a
    hand-written ``grad`` of a compiled function fails, name the classic mistake it makes.

    The comparison is :func:`symcalc.numeric.gradcheck.gradcheck`'s (the largest absolute and relative errors,
    the tolerance stated). When it fails, ``fn`` is a compiled function (it has ``expr`` and ``variables``)
    and ``diagnose`` is true, ``grad`` is also checked as :func:`check_gradient` checks code: each wrong
    component whose values match an error model of :data:`MISTAKES` at every sample point is named in
    ``.named`` (component, id, sentence), ``.mistakes`` and ``.hints``.

    Example:
        >>> import symcalc as sc
        >>> fn = sc.compile("x1^2 * sin(x2)")
        >>> g = lambda v: np.array([2 * v[0] * np.sin(v[1]), v[0] ** 2 * np.sin(v[1])])
        >>> r = gradcheck(fn, [[1.0, 2.0], [0.5, -1.0]], grad=g)
        >>> r.ok, r.mistakes
        (False, ('function.not_differentiated',))
    """
    result = _finite_difference_check(fn, points, grad, rtol=rtol, atol=atol)
    if result.ok or grad is None or not diagnose:
        return result
    expr, variables = getattr(fn, "expr", None), getattr(fn, "variables", None)
    if (
        not isinstance(expr, sympy.Expr)
        or not variables
        or not expr.free_symbols <= set(variables)
        or expr.has(sympy.Indexed, sympy.Sum)
    ):
        return result
    try:
        c = check_gradient(expr, grad, list(variables))
    except SymcalcError:  # the code fails at a sample point, say: the finite differences have spoken
        return result
    named = tuple((i, v.mistake, v.hint) for i, v in enumerate(c.components) if v.mistake and v.hint)
    return replace(result, named=named) if named else result


# -- assumptions ----------------------------------------------------------------------------------------


def _using(e: sympy.Expr, solved: dict[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``e`` with the symbols the assumptions eliminate replaced by their values."""
    return e.xreplace(solved) if solved else e


def _point(at: dict[sympy.Symbol, float], solved: dict[sympy.Symbol, sympy.Expr]) -> dict[str, float]:
    """A sample point by name, with the values the assumptions give the eliminated symbols there."""
    point = {s.name: float(v) for s, v in at.items()}
    for s, value in solved.items():
        try:
            point[s.name] = float(value.xreplace(at))
        except TypeError:  # a value that needs a symbol the point lacks: nothing to show
            continue
    return point


def _recorded(
    given: tuple[sympy.Eq, ...], solved: dict[sympy.Symbol, sympy.Expr]
) -> tuple[tuple[sympy.Eq, ...], tuple[sympy.Eq, ...]]:
    return given, tuple(sympy.Eq(s, v, evaluate=False) for s, v in solved.items())


def _assumptions(
    assume: Any, xs: Sequence[sympy.Symbol], names: Sequence[sympy.Symbol], constants: Any
) -> tuple[tuple[sympy.Eq, ...], dict[sympy.Symbol, sympy.Expr]]:
    """The equations of ``assume=`` (with the problem's own symbols) and the values they give, each solved in
    turn for one symbol that is not a variable of differentiation (the last in natural order it is linear in)."""
    from ..parse import parse_equation
    from ..render.notation import text

    if assume is None:
        return (), {}
    items = [assume] if isinstance(assume, str | sympy.Basic) else list(assume)
    by_name = {s.name: s for s in names}
    given = []
    for item in items:
        if not isinstance(item, str | sympy.Basic):
            raise SymcalcError(
                f"an assumption is an equation (text such as 'y1 + y2 + y3 = 1', a sympy.Eq, or an expression "
                f"meaning = 0), not a {type(item).__name__}"
            )
        eq = parse_equation(item, list(by_name)) if isinstance(item, str) else parse_equation(item)
        if not isinstance(eq, sympy.Equality):
            raise SymcalcError(f"an assumption is one equation; {sympy.sstr(item)} is not one")
        strangers = sorted(s.name for s in eq.free_symbols if s.name not in by_name)
        if strangers:
            raise SymcalcError(
                f"the assumption {text(eq)} uses {', '.join(strangers)}, which the problem does not have (its "
                f"symbols: {', '.join(by_name) or 'none'})"
            )
        given.append(eq.xreplace({s: by_name[s.name] for s in eq.free_symbols}))
    solved: dict[sympy.Symbol, sympy.Expr] = {}
    for eq in given:
        g = eq.lhs - eq.rhs
        if constants:
            from ..numeric.compile import bind_constants

            g = bind_constants(g, constants, require_all=False)
        g = sympy.expand(g.xreplace(solved))
        if not g.free_symbols:
            if g == 0 or sympy.simplify(g) == 0:
                continue  # already true (of the constants, or given the assumptions before it)
            which = "the constants" if not solved else "the assumptions before it (or the constants)"
            raise SymcalcError(f"the assumption {text(eq)} contradicts {which}: it reads {text(g)} = 0")
        others = [s for s in natural_order(g.free_symbols) if s not in xs]
        if not others:
            only = ", ".join(s.name for s in natural_order(g.free_symbols))
            raise SymcalcError(
                f"the assumption {text(eq)} mentions only variables of differentiation ({only}): an assumption "
                "is used by eliminating a symbol that is not one (a constant, or a label such as y1); give the "
                "variables (variables=[...], or --vars) if some of these are not"
            )
        pick = _solve_for(g, others)
        if pick is None:
            raise UnsupportedError(
                f"the assumption {text(eq)} cannot be used: it is not linear in any of "
                f"{', '.join(s.name for s in others)} (each assumption is solved for one symbol that is not a "
                "variable of differentiation)"
            )
        s, value = pick
        solved = {k: v.xreplace({s: value}) for k, v in solved.items()}
        solved[s] = value
    return tuple(given), solved


def _solve_for(g: sympy.Expr, others: Sequence[sympy.Symbol]) -> tuple[sympy.Symbol, sympy.Expr] | None:
    """The last symbol of ``others`` that ``g = 0`` is linear in, with a constant coefficient (else any nonzero
    coefficient free of it), and its value."""
    linear = []
    for s in reversed(others):
        coefficient = sympy.diff(g, s)
        if coefficient.has(s) or coefficient == 0:
            continue
        rest = sympy.expand(g - coefficient * s)
        if rest.has(s):
            continue
        linear.append((s, coefficient, rest))
    for s, coefficient, rest in [
        *[c for c in linear if not c[1].free_symbols],
        *[c for c in linear if c[1].free_symbols],
    ]:
        return s, sympy.expand(-rest / coefficient) if not coefficient.free_symbols else -rest / coefficient
    return None


def _unknown_verdict(
    x: sympy.Symbol,
    want: sympy.Expr,
    got: sympy.Expr,
    strangers: tuple[str, ...],
    known: Sequence[sympy.Symbol],
) -> ComponentVerdict:
    """A claim with a name the problem does not have is never compared: the verdict says which name."""
    plural = "s" if len(strangers) > 1 else ""
    hint = (
        f"unknown variable{plural} {', '.join(strangers)}: the function's variables and constants are "
        f"{', '.join(s.name for s in known) or 'none'} (write a product of variables as x*y or x y)"
    )
    return ComponentVerdict(x, False, want, got, hint=hint, unknown=strangers)


def _check_callable(
    e: sympy.Expr,
    xs: Sequence[sympy.Symbol],
    true: list[sympy.Expr],
    grad: Callable[[np.ndarray], Any],
    diagnose: bool,
    given: tuple[sympy.Eq, ...] = (),
    solved: dict[sympy.Symbol, sympy.Expr] | None = None,
) -> GradientCheck:
    from ..numeric.compile import compile as compile_

    solved = solved or {}
    if any(v.has(*xs) for v in solved.values()):
        raise SymcalcError(
            "with gradient code, an assumption may only give values to symbols that are not variables in terms "
            "of the constants (the code is called at points of the variables alone)"
        )
    fn = compile_(_using(e, solved), xs, on_domain_error="ignore")
    used = [_using(t, solved) for t in true]
    points, wants, gots = [], [], []
    for at in sample_points([_using(e, solved), *used], xs, seed=11, domain=True):
        p = np.array([at[x] for x in xs])
        want = fn.grad(p)
        if not np.all(np.isfinite(want)):
            continue
        try:
            got = np.asarray(grad(p.copy()), dtype=np.float64).reshape(-1)
        except Exception as err:  # noqa: BLE001 - the learner's code failing is their answer's fault, said so
            where = ", ".join(f"{x} = {v:g}" for x, v in zip(xs, p, strict=True))
            raise SymcalcError(f"the gradient code failed at {where}: {type(err).__name__}: {err}") from err
        if got.shape != want.shape:
            raise SymcalcError(f"the gradient code returned shape {got.shape}; expected {want.shape}")
        points.append(p)
        wants.append(np.asarray(want, dtype=np.float64))
        gots.append(got)
    at_points = np.array(points).reshape(len(points), len(xs))
    want_all = np.array(wants).reshape(len(points), len(xs))
    got_all = np.array(gots).reshape(len(points), len(xs))
    verdicts = []
    for i, x in enumerate(xs):
        bad = [k for k in range(len(points)) if not _close(float(want_all[k, i]), float(got_all[k, i]), 1e-6)]
        if not bad:
            verdicts.append(ComponentVerdict(x, True, true[i], None))
            continue
        k = bad[0]
        point = _point({s: float(v) for s, v in zip(xs, at_points[k], strict=True)}, solved)
        a, b = float(want_all[k, i]), float(got_all[k, i])
        found = (
            _diagnose_code(e, x, xs, solved, at_points, want_all[:, i], got_all[:, i], k)
            if diagnose
            else None
        )
        if found is None:
            hint = f"component {i} (∂f/∂{x}) differs from the true partial derivative {_text(true[i])}"
            verdicts.append(ComponentVerdict(x, False, true[i], None, point, a, b, None, hint))
        else:
            verdicts.append(ComponentVerdict(x, False, true[i], None, point, a, b, found[0], found[1]))
    return GradientCheck(e, tuple(xs), tuple(verdicts), *_recorded(given, solved))


#: How many distinct wrong derivatives the diagnosis of one component of gradient code evaluates at most: the
#: models are tried in the catalogue's order, so a large expression gives up on the rarer mistakes, never on
#: the common ones.
CODE_VARIANTS = 400


def _diagnose_code(
    e: sympy.Expr,
    x: sympy.Symbol,
    xs: Sequence[sympy.Symbol],
    solved: dict[sympy.Symbol, sympy.Expr],
    points: np.ndarray,
    want: np.ndarray,
    got: np.ndarray,
    first_bad: int,
) -> tuple[str, str] | None:
    """The first mistake whose error model gives the code's values of one component at every sample point.

    Each model's wrong derivative is compiled only when reached (only for a wrong component), evaluated at all
    the points at once, and accepted only where it agrees with the code everywhere (a tolerance relative to
    the scale of the component: 1e-6 of the values compared, plus 1e-9 of the largest value the component
    takes), and differs from the true derivative where the code does."""
    finite = np.isfinite(want) & np.isfinite(got)
    scale = float(np.max(np.abs(np.concatenate([want[finite], got[finite]])), initial=0.0))
    columns = [points[:, j] for j in range(len(xs))]
    seen: set[sympy.Expr] = set()
    for mistake, hint, variant in _variants(e, x, xs):
        variant = _using(variant, solved)
        if variant in seen:
            continue
        if len(seen) >= CODE_VARIANTS:
            return None
        seen.add(variant)
        values = _values(variant, xs, columns, len(points))
        if values is None:
            continue
        if _agree(values[first_bad : first_bad + 1], want[first_bad : first_bad + 1], scale):
            continue  # the model makes no mistake where the code does
        if _agree(values, got, scale):
            return mistake, hint()
    return None


def _agree(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    """Equal at every point, to 1e-6 of the values plus 1e-9 of ``scale`` (the same where neither is finite)."""
    both = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(both, np.isfinite(a) | np.isfinite(b)):
        return False
    if np.any(~both & ~((a == b) | (np.isnan(a) & np.isnan(b)))):
        return False
    a, b = a[both], b[both]
    return bool(np.all(np.abs(a - b) <= 1e-6 * np.maximum(np.abs(a), np.abs(b)) + 1e-9 * scale))


def _values(
    variant: sympy.Expr, xs: Sequence[sympy.Symbol], columns: list[np.ndarray], n: int
) -> np.ndarray | None:
    """A wrong derivative's values at the sample points (real; nan where not real), or None if NumPy cannot
    evaluate it. Generated from the SymPy tree, never from user text; lambdify's source is not kept in
    ``linecache`` (a diagnosis makes many short-lived functions)."""
    if variant.free_symbols - set(xs):
        return None
    try:
        fn = sympy.lambdify(list(xs), lower(variant), modules="numpy")
        linecache.cache.pop(fn.__code__.co_filename, None)
        with np.errstate(all="ignore"):
            raw = np.asarray(fn(*columns), dtype=complex) * np.ones(n)
    except Exception:  # noqa: BLE001 - a model NumPy cannot evaluate names nothing
        return None
    real = np.abs(raw.imag) <= 1e-12 * (1 + np.abs(raw.real))
    return np.where(real, raw.real, np.nan)
