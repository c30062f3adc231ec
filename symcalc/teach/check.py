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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from ..derive.verify import compare, sample_points, within
from ..errors import SymcalcError
from ..functions import lower
from ..numeric.gradcheck import GradCheck, gradcheck, numerical_gradient  # noqa: F401  (symcalc.check.gradcheck, as before)
from ..parse import Source, parse
from ..variables import Variables, natural_order, real_symbol, resolve_variables

__all__ = [
    "MISTAKES",
    "ComponentVerdict",
    "GradientCheck",
    "check_gradient",
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
            lines.append("The derivative is correct." if self.ok else "The derivative is wrong.")
        else:
            lines.append(
                "All components are correct."
                if self.ok
                else f"{len(self.wrong)} of {len(self.components)} components are wrong."
            )
        return "\n".join(lines)

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
    return None


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


def _diagnose(
    e: sympy.Expr,
    x: sympy.Symbol,
    claimed: sympy.Expr,
    variables: Sequence[sympy.Symbol],
    sample: _Sample,
) -> tuple[str, str] | None:
    """The first mistake (an id and a hint) whose error model reproduces the claim exactly."""
    for mistake in MISTAKES:
        if mistake == "partial.not_constant":
            for other in variables:
                if other == x or not e.has(other):
                    continue
                candidate = sympy.diff(e, x) + sympy.diff(e, other)
                if _compare(candidate, claimed, sample)[0]:
                    return mistake, MISTAKES[mistake].format(var=x, other=other, node="")
            continue
        for target in _nodes(e):
            if not target.has(x) or target == x:
                continue
            for variant in range(3 if mistake == "product.missing_term" else 1):
                wrong = _mistaken(e, x, mistake, target, variant)
                if wrong is None:
                    break
                candidate = _replace_derivative(e, x, target, wrong)
                if _compare(candidate, claimed, sample)[0]:
                    return mistake, MISTAKES[mistake].format(node=_text(target), var=x, other="")
    return None


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

    Example:
        >>> check_gradient("x^2*y", ["2*x*y", "x^2"], ["x", "y"]).ok
        True
        >>> check_gradient("x^2 y", ["2xy", "x^2"]).ok
        True
        >>> check_gradient("abs(x)", ["1"]).ok  # right for x > 0 only
        False
        >>> check_gradient("a*x^2", lambda p: 2 * 3.0 * p, ["x"], constants={"a": 3.0}).ok
        True
    """
    if shapes is not None:  # a claim in matrix form ("2X^T(Xw - y)"), with the shapes declared
        from .matrix_check import check_matrix_gradient

        return check_matrix_gradient(expr, claimed, variables, shapes=shapes)
    e = parse(expr)
    if constants:
        from ..numeric.compile import bind_constants

        e = bind_constants(e, constants)
    xs = resolve_variables([e], variables)
    true = [sympy.diff(e, x) for x in xs]
    if callable(claimed):
        return _check_callable(e, xs, true, claimed, diagnose)
    known = list(dict.fromkeys([*xs, *natural_order(e.free_symbols)]))
    names = [
        *known,
        *(real_symbol(str(k)) for k in (constants or {}) if str(k) not in {s.name for s in known}),
    ]
    claims = _claims(claimed, len(xs), names)
    if constants:
        claims = [bind_constants(c, constants, require_all=False) for c in claims]
    symbols = natural_order(set(known).union(*[c.free_symbols for c in claims]))
    sample = _sample(e, [*true, *claims], symbols)
    verdicts = []
    for x, want, got in zip(xs, true, claims, strict=True):
        strangers = _unknown(got, known)
        if strangers:
            verdicts.append(_unknown_verdict(x, want, got, strangers, known))
            continue
        equal, at, a, b = _compare(want, got, sample)
        if equal:
            verdicts.append(ComponentVerdict(x, True, want, got))
            continue
        found = _diagnose(e, x, got, xs, sample) if diagnose else None
        point = {s.name: v for s, v in at.items()} if at else None
        verdicts.append(
            ComponentVerdict(
                x, False, want, got, point, a, b, found[0] if found else None, found[1] if found else None
            )
        )
    return GradientCheck(e, tuple(xs), tuple(verdicts))


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
) -> GradientCheck:
    from ..numeric.compile import compile as compile_

    fn = compile_(e, xs, on_domain_error="ignore")
    bad: dict[int, tuple[dict[str, float], float, float]] = {}
    for at in sample_points([e, *true], xs, seed=11, domain=True):
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
        for i in range(len(xs)):
            if i not in bad and not _close(float(want[i]), float(got[i]), 1e-6):
                bad[i] = (
                    {x.name: float(v) for x, v in zip(xs, p, strict=True)},
                    float(want[i]),
                    float(got[i]),
                )
    verdicts = []
    for i, x in enumerate(xs):
        if i not in bad:
            verdicts.append(ComponentVerdict(x, True, true[i], None))
            continue
        point, a, b = bad[i]
        hint = f"component {i} (∂f/∂{x}) differs from the true partial derivative {_text(true[i])}"
        verdicts.append(ComponentVerdict(x, False, true[i], None, point, a, b, None, hint))
    return GradientCheck(e, tuple(xs), tuple(verdicts))
