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

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from ..errors import SymcalcError
from ..functions import lower
from ..numeric.gradcheck import GradCheck, gradcheck, numerical_gradient  # noqa: F401  (symcalc.check.gradcheck, as before)
from ..parse import Source, parse
from ..variables import Variables, resolve_variables

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
        lines = [f"Checking the gradient of {sympy.sstr(self.expr)}:"]
        for c in self.components:
            if c.ok:
                lines.append(
                    f"  d/d{c.variable}: correct"
                    + (f" ({sympy.sstr(c.claimed)})" if c.claimed is not None else "")
                )
                continue
            lines.append(
                f"  d/d{c.variable}: WRONG"
                + (f": claimed {sympy.sstr(c.claimed)}" if c.claimed is not None else "")
            )
            if c.point is not None:
                where = ", ".join(f"{k} = {v:g}" for k, v in c.point.items())
                lines.append(
                    f"      at {where}: expected {c.expected_value:.10g}, claimed {c.claimed_value:.10g}"
                )
            if c.expected is not None:
                lines.append(f"      the partial derivative is {sympy.sstr(c.expected)}")
            if c.hint:
                lines.append(f"      hint: {c.hint}")
        lines.append(
            "All components are correct."
            if self.ok
            else f"{len(self.wrong)} of {len(self.components)} components are wrong."
        )
        return "\n".join(lines)

    def to_markdown(self) -> str:
        return "```text\n" + self.to_text() + "\n```\n"

    def to_latex(self) -> str:
        return "\\begin{verbatim}\n" + self.to_text() + "\n\\end{verbatim}\n"

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
                }
                for c in self.components
            ],
        }

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


# -- sampling -------------------------------------------------------------------------------------------


def _sample_points(
    symbols: Sequence[sympy.Symbol], count: int, seed: int
) -> Iterator[dict[sympy.Symbol, float]]:
    """Random points, first in a positive box (where logs and roots are defined), then anywhere."""
    rng = random.Random(seed)
    for k in range(count * 6):
        lo, hi, signed = (0.3, 2.0, False) if k < count * 3 else (0.2, 2.5, True)
        yield {s: rng.uniform(lo, hi) * (rng.choice((1, -1)) if signed else 1) for s in symbols}


def _value(e: sympy.Expr, at: dict[sympy.Symbol, float]) -> float | None:
    try:
        v = complex(e.evalf(20, subs={s: sympy.Float(x, 20) for s, x in at.items()}))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf") or abs(v.imag) > 1e-9 * max(1.0, abs(v)):
        return None
    return v.real


def _close(a: float, b: float, rtol: float = 1e-7) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def _compare(
    expected: sympy.Expr, claimed: sympy.Expr, symbols: Sequence[sympy.Symbol], points: int = 6, seed: int = 7
) -> tuple[bool, dict[sympy.Symbol, float] | None, float | None, float | None]:
    """(equal?, a point where they differ, expected there, claimed there)."""
    expected, claimed = lower(expected), lower(claimed)
    if sympy.expand(expected - claimed) == 0:
        return True, None, None, None
    agreed = 0
    for at in _sample_points(symbols, points, seed):
        a, b = _value(expected, at), _value(claimed, at)
        if a is None or b is None:
            continue
        if not _close(a, b):
            return False, at, a, b
        agreed += 1
        if agreed >= points:
            return True, None, None, None
    try:
        return sympy.simplify(expected - claimed) == 0, None, None, None
    except Exception:  # noqa: BLE001
        return False, None, None, None


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
    d = lambda u: sympy.diff(u, x)  # noqa: E731 - the correct derivative of the parts
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
    symbols: Sequence[sympy.Symbol],
) -> tuple[str, str] | None:
    """The first mistake (an id and a hint) whose error model reproduces the claim exactly."""
    for mistake in MISTAKES:
        if mistake == "partial.not_constant":
            for other in variables:
                if other == x or not e.has(other):
                    continue
                candidate = sympy.diff(e, x) + sympy.diff(e, other)
                if _compare(candidate, claimed, symbols, points=4)[0]:
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
                if _compare(candidate, claimed, symbols, points=4)[0]:
                    return mistake, MISTAKES[mistake].format(node=sympy.sstr(target), var=x, other="")
    return None


# -- the checks -----------------------------------------------------------------------------------------


def _claims(claimed: Any, n: int) -> list[sympy.Expr]:
    if isinstance(claimed, str):
        raise SymcalcError(
            "give the claimed gradient as a list, one component per variable (log(x, 2) has a comma)"
        )
    items = list(claimed)
    if len(items) != n:
        raise SymcalcError(f"the claim has {len(items)} components; the function has {n} variables")
    return [parse(c) for c in items]


def check_gradient(
    expr: Source,
    claimed: Sequence[Source] | Callable[[np.ndarray], Any],
    variables: Variables = None,
    *,
    diagnose: bool = True,
) -> GradientCheck:
    """Check a hand-derived gradient: a list of claimed partial derivatives, or a callable (NumPy code).

    Example:
        >>> check_gradient("x^2*y", ["2*x*y", "x^2"], ["x", "y"]).ok
        True
    """
    e = parse(expr)
    xs = resolve_variables([e], variables)
    true = [sympy.diff(e, x) for x in xs]
    if callable(claimed):
        return _check_callable(e, xs, true, claimed, diagnose)
    claims = _claims(claimed, len(xs))
    symbols = sorted(e.free_symbols.union(*[c.free_symbols for c in claims]), key=lambda s: s.name)
    verdicts = []
    for x, want, got in zip(xs, true, claims, strict=True):
        equal, at, a, b = _compare(want, got, symbols)
        if equal:
            verdicts.append(ComponentVerdict(x, True, want, got))
            continue
        found = _diagnose(e, x, got, xs, symbols) if diagnose else None
        point = {s.name: v for s, v in at.items()} if at else None
        verdicts.append(
            ComponentVerdict(
                x, False, want, got, point, a, b, found[0] if found else None, found[1] if found else None
            )
        )
    return GradientCheck(e, tuple(xs), tuple(verdicts))


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
    for at in _sample_points(xs, 5, 11):
        p = np.array([at[x] for x in xs])
        want = fn.grad(p)
        if not np.all(np.isfinite(want)):
            continue
        got = np.asarray(grad(p.copy()), dtype=np.float64).reshape(-1)
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
        hint = f"component {i} (d/d{x}) differs from the true partial derivative {sympy.sstr(true[i])}"
        verdicts.append(ComponentVerdict(x, False, true[i], None, point, a, b, None, hint))
    return GradientCheck(e, tuple(xs), tuple(verdicts))
