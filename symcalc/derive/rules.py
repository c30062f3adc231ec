r"""The rule engine: one small function per rule, chosen by the expression's type.

:func:`derive` plans nothing and evaluates as it goes: each rule function returns a :class:`~symcalc.derive.steps.Step`
whose ``result`` is the derivative of its ``expr``, built from the steps of its parts. The dispatch table
:data:`UNARY_RULES` holds, for each function of one argument, its rule id and the textbook form of its derivative.
Where no rule applies, the step is SymPy's own derivative, labelled as such (rule ``"sympy"``): never a
silent wrong answer.

Every letter a rule binds (the inner function of a chain rule, the factors of a product, the numerator and
denominator of a quotient) comes from :meth:`Context.fresh`, so one letter names one thing in a whole solution.
A plug-in line is the rule's formula with the pieces substituted, kept unevaluated, without factors of 1 or
terms of 0.

Example:
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> step = derive(sympy.sin(x**2), x)
    >>> step.rule, step.result
    ('chain', 2*x*cos(x**2))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sympy
from sympy import Abs, Mul, Pow, S, cos, cot, csc, log, sec, sin, sqrt, tan
from sympy.core.function import AppliedUndef

from ..errors import LimitError
from ..functions import relu, sigmoid, softplus
from .steps import Step

__all__ = ["UNARY_RULES", "derive"]

#: Largest expression (in SymPy operations) the engine will trace.
MAX_OPS = 5000
#: Largest product the product rule writes out term by term.
MAX_PRODUCT_FACTORS = 12

Outer = Callable[[sympy.Expr], sympy.Expr]

#: For each function of one argument: its rule id and ``f'(u)`` in the textbook form.
UNARY_RULES: dict[type, tuple[str, Outer]] = {
    sympy.exp: ("exp", lambda u: sympy.exp(u)),
    sympy.log: ("ln", lambda u: 1 / u),
    sympy.sin: ("sin", lambda u: cos(u)),
    sympy.cos: ("cos", lambda u: -sin(u)),
    sympy.tan: ("tan", lambda u: sec(u) ** 2),
    sympy.cot: ("cot", lambda u: -(csc(u) ** 2)),
    sympy.sec: ("sec", lambda u: sec(u) * tan(u)),
    sympy.csc: ("csc", lambda u: -csc(u) * cot(u)),
    sympy.asin: ("asin", lambda u: 1 / sqrt(1 - u**2)),
    sympy.acos: ("acos", lambda u: -1 / sqrt(1 - u**2)),
    sympy.atan: ("atan", lambda u: 1 / (1 + u**2)),
    sympy.acot: ("acot", lambda u: -1 / (1 + u**2)),
    sympy.asec: ("asec", lambda u: 1 / (Abs(u) * sqrt(u**2 - 1))),
    sympy.acsc: ("acsc", lambda u: -1 / (Abs(u) * sqrt(u**2 - 1))),
    sympy.sinh: ("sinh", lambda u: sympy.cosh(u)),
    sympy.cosh: ("cosh", lambda u: sympy.sinh(u)),
    sympy.tanh: ("tanh", lambda u: 1 - sympy.tanh(u) ** 2),
    sympy.coth: ("coth", lambda u: 1 - sympy.coth(u) ** 2),
    sympy.sech: ("sech", lambda u: -sympy.sech(u) * sympy.tanh(u)),
    sympy.csch: ("csch", lambda u: -sympy.csch(u) * sympy.coth(u)),
    sympy.asinh: ("asinh", lambda u: 1 / sqrt(u**2 + 1)),
    sympy.acosh: ("acosh", lambda u: 1 / sqrt(u**2 - 1)),
    sympy.atanh: ("atanh", lambda u: 1 / (1 - u**2)),
    sympy.acoth: ("acoth", lambda u: 1 / (1 - u**2)),
    sympy.asech: ("asech", lambda u: -1 / (u * sqrt(1 - u**2))),
    sympy.acsch: ("acsch", lambda u: -1 / (Abs(u) * sqrt(1 + u**2))),
    Abs: ("abs", lambda u: sympy.sign(u)),
    # sign and the step are flat on each side of their jump: 0 where they are differentiable (u != 0)
    sympy.sign: ("sign", lambda u: S.Zero),
    sigmoid: ("sigmoid", lambda u: sigmoid(u) * (1 - sigmoid(u))),
    softplus: ("softplus", lambda u: sigmoid(u)),
    # the piecewise derivative a student writes; the kink at 0 is reported apart (Derivation.kinks)
    relu: ("relu", lambda u: sympy.Piecewise((S.Zero, u < 0), (S.One, u > 0))),
    # special functions: the error function (GELU, the normal CDF) and the gamma family (digamma is polygamma(0, u))
    sympy.erf: ("erf", lambda u: 2 / sqrt(sympy.pi) * sympy.exp(-(u**2))),
    sympy.erfc: ("erfc", lambda u: -2 / sqrt(sympy.pi) * sympy.exp(-(u**2))),
    sympy.gamma: ("gamma", lambda u: sympy.gamma(u) * sympy.polygamma(0, u)),
    sympy.loggamma: ("loggamma", lambda u: sympy.polygamma(0, u)),
}

#: Where each function and its derivative are defined and real, as conditions on the argument u.
DOMAINS: dict[type, Callable[[sympy.Expr], list[sympy.Basic]]] = {
    sympy.log: lambda u: [u > 0],
    sympy.tan: lambda u: [sympy.Ne(cos(u), 0)],
    sympy.sec: lambda u: [sympy.Ne(cos(u), 0)],
    sympy.cot: lambda u: [sympy.Ne(sin(u), 0)],
    sympy.csc: lambda u: [sympy.Ne(sin(u), 0)],
    sympy.asin: lambda u: [Abs(u) < 1],
    sympy.acos: lambda u: [Abs(u) < 1],
    sympy.asec: lambda u: [Abs(u) > 1],
    sympy.acsc: lambda u: [Abs(u) > 1],
    sympy.acosh: lambda u: [u > 1],
    sympy.atanh: lambda u: [Abs(u) < 1],
    sympy.acoth: lambda u: [Abs(u) > 1],
    sympy.asech: lambda u: [u > 0, u < 1],
    sympy.acsch: lambda u: [sympy.Ne(u, 0)],
    sympy.coth: lambda u: [sympy.Ne(u, 0)],
    sympy.csch: lambda u: [sympy.Ne(u, 0)],
    Abs: lambda u: [sympy.Ne(u, 0)],
    sympy.sign: lambda u: [sympy.Ne(u, 0)],
    sympy.Heaviside: lambda u: [sympy.Ne(u, 0)],
    relu: lambda u: [sympy.Ne(u, 0)],
    sympy.loggamma: lambda u: [u > 0],
}

#: Letters for the pieces rules bind, in the order they are handed out (then u_1, u_2, ...). ``e``, ``f`` and
#: ``g`` are never used: Euler's number, and the generic functions of the catalogue's formulas.
_LETTERS = ("u", "v", "w", "p", "q", "r", "s", "t")


@dataclass
class Context:
    """What a derivation carries while it runs: the variable, fresh letters, and the conditions met."""

    var: sympy.Symbol
    taken: set[str] = field(default_factory=set)
    conditions: list[sympy.Basic] = field(default_factory=list)
    _names: Iterator[str] | None = None

    def fresh(self) -> sympy.Symbol:
        """A letter not used yet in this solution: u, v, w, p, q, r, s, t, then u_1, u_2, ..."""
        if self._names is None:
            self._names = self._letters()
        for name in self._names:
            if name not in self.taken:
                self.taken.add(name)
                return sympy.Symbol(name, real=True)
        raise AssertionError("unreachable")

    @staticmethod
    def _letters() -> Iterator[str]:
        yield from _LETTERS
        k = 1
        while True:
            yield f"u_{k}"
            k += 1

    def require(self, *conditions: sympy.Basic) -> None:
        for c in conditions:
            if c is S.true or c in self.conditions:
                continue
            self.conditions.append(c)


def derive(expr: sympy.Expr, var: sympy.Symbol, ctx: Context | None = None) -> Step:
    """The derivative of ``expr`` by ``var`` as a :class:`Step` tree (one rule per node)."""
    if ctx is None:
        ctx = Context(var, {str(s) for s in expr.free_symbols})
    if sympy.count_ops(expr, visual=False) > MAX_OPS:
        raise LimitError(
            f"the expression has more than {MAX_OPS} operations; too large to trace step by step"
        )
    return _derive(expr, ctx)


def _derive(e: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    if not e.has(x):
        return _constant(e, x)
    if e == x:
        return Step("variable", "derivative", e, x, S.One, says=("The derivative of ", x, " by itself is 1."))
    if isinstance(e, sympy.Add):
        return _sum(e, ctx)
    if isinstance(e, Mul):
        return _mul(e, ctx)
    if isinstance(e, Pow):
        return _pow(e, ctx)
    if type(e) in UNARY_RULES and len(e.args) == 1:
        return _unary(e, ctx)
    if isinstance(e, sympy.Heaviside):
        return _unary_with(e, ctx, "heaviside", lambda u: S.Zero, e.args[0])
    if isinstance(e, sympy.polygamma) and not e.args[0].has(x):
        return _polygamma(e, ctx)
    if isinstance(e, sympy.Max | sympy.Min):
        return _max_min(e, ctx)
    if isinstance(e, sympy.Piecewise):
        return _piecewise(e, ctx)
    if isinstance(e, AppliedUndef) and len(e.args) == 1:
        return _undefined(e, ctx)
    if isinstance(e, sympy.Sum):
        return _sum_index(e, ctx)
    return _sympy_fallback(e, x)


# -- plug-in lines --------------------------------------------------------------------------------------


def _times(*factors: sympy.Expr) -> sympy.Expr:
    """A product as substituted, unevaluated, without factors of 1 (0 if a factor is 0)."""
    kept = [f for f in factors if f != 1]
    if any(f == 0 for f in kept):
        return S.Zero
    if not kept:
        return S.One
    if len(kept) == 1:
        return kept[0]
    return Mul(*kept, evaluate=False)


def _plus(*terms: sympy.Expr) -> sympy.Expr:
    """A sum as substituted, unevaluated, without terms of 0."""
    kept = [t for t in terms if t != 0]
    if not kept:
        return S.Zero
    if len(kept) == 1:
        return kept[0]
    return sympy.Add(*kept, evaluate=False)


def _minus(t: sympy.Expr) -> sympy.Expr:
    if t == 0:
        return S.Zero
    return Mul(-1, t, evaluate=False)


def _fold(e: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """A product or sum holding a piecewise expression, as one piecewise expression with readable conditions
    (``x < 1/2`` rather than ``2x - 1 < 0``)."""
    if not e.has(sympy.Piecewise):
        return e
    folded = sympy.piecewise_fold(e)
    if not isinstance(folded, sympy.Piecewise):
        return folded
    pieces = []
    for value, cond in folded.args:
        pieces.append((sympy.factor_terms(value), _readable_condition(cond, x)))
    return sympy.Piecewise(*pieces)


def _readable_condition(cond: sympy.Basic, x: sympy.Symbol) -> sympy.Basic:
    if not isinstance(cond, sympy.core.relational.Relational) or cond.free_symbols != {x}:
        return cond
    diff = cond.lhs - cond.rhs
    if not diff.is_polynomial(x) or sympy.degree(diff, x) != 1:
        return cond
    try:
        solved = sympy.solve_univariate_inequality(cond, x)
    except Exception:  # noqa: BLE001 - a condition SymPy cannot solve stays as it is
        return cond
    return solved if isinstance(solved, sympy.core.relational.Relational) else cond


# -- leaves ---------------------------------------------------------------------------------------------


def _constant(e: sympy.Expr, x: sympy.Symbol) -> Step:
    held = sorted(e.free_symbols, key=str)
    says: tuple[object, ...] = (e, " does not depend on ", x)
    if held:
        says += (" (", *_listing(held), " held constant)")
    return Step("constant", "derivative", e, x, S.Zero, says=(*says, ", so its derivative is 0."))


def _listing(items: list[sympy.Basic]) -> tuple[object, ...]:
    out: list[object] = []
    for i, item in enumerate(items):
        if i:
            out.append(", ")
        out.append(item)
    return tuple(out)


def _sympy_fallback(e: sympy.Expr, x: sympy.Symbol) -> Step:
    return Step(
        "sympy",
        "derivative",
        e,
        x,
        sympy.diff(e, x),
        explanation=f"symcalc has no step-by-step rule for {type(e).__name__}; this is SymPy's result.",
    )


# -- linearity ------------------------------------------------------------------------------------------


def _sum(e: sympy.Add, ctx: Context) -> Step:
    parts = tuple(_derive(t, ctx) for t in e.args)
    result = sympy.Add(*[p.result for p in parts])
    return Step(
        "sum",
        "derivative",
        e,
        ctx.var,
        result,
        parts,
        explanation="Differentiate term by term.",
        plug_in=_plus(*[p.result for p in parts]),
    )


def _mul(e: Mul, ctx: Context) -> Step:
    x = ctx.var
    coeff, rest = e.as_independent(x, as_Add=False)
    if coeff != 1:
        base = _log_base(coeff, rest)
        if base is not None:
            return _log_base_rule(e, rest, base, ctx)
        inner = _derive(rest, ctx)
        says: tuple[object, ...] = (
            ("The sign stays; differentiate ", rest, ".")
            if coeff == -1
            else ("The constant factor ", coeff, " stays; differentiate ", rest, ".")
        )
        return Step(
            "constant_multiple",
            "derivative",
            e,
            x,
            coeff * inner.result,
            (inner,),
            says=says,
            plug_in=_times(coeff, inner.result) if coeff != -1 else _minus(inner.result),
        )
    num, den = sympy.fraction(e, exact=True)
    if den != 1 and den.has(x):
        return _quotient(e, num, den, ctx)
    return _product(e, list(e.args), ctx)


def _log_base(coeff: sympy.Expr, rest: sympy.Expr) -> sympy.Expr | None:
    """``log(u)/log(b)`` (how SymPy stores log_b u): the base b, else None."""
    if not isinstance(rest, log):
        return None
    inv = 1 / coeff
    if isinstance(inv, log) and inv.args[0] != sympy.E:
        return inv.args[0]
    return None


def _log_base_rule(e: sympy.Expr, arg_log: log, base: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    u = arg_log.args[0]
    ctx.require(u > 0, base > 0, sympy.Ne(base, 1))
    if u == x:
        result = 1 / (x * log(base))
        return Step(
            "log_base",
            "derivative",
            e,
            x,
            result,
            says=("The logarithm to base ", base, " of ", x, ": divide by ", x, " ln(", base, ")."),
        )
    return _chain(e, ctx, "log_base", lambda v: sympy.log(v) / log(base), lambda v: 1 / (v * log(base)), u)


def _quotient(e: sympy.Expr, num: sympy.Expr, den: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    u, v = ctx.fresh(), ctx.fresh()
    du, dv = _derive(num, ctx), _derive(den, ctx)
    ctx.require(sympy.Ne(den, 0))
    top = _plus(_times(du.result, den), _minus(_times(num, dv.result)))
    plug_in = Mul(top, Pow(Pow(den, 2, evaluate=False), -1, evaluate=False), evaluate=False)
    result = (du.result * den - num * dv.result) / den**2
    return Step(
        "quotient",
        "derivative",
        e,
        x,
        result,
        (du, dv),
        explanation="A fraction with the variable in the denominator: use the quotient rule.",
        pieces={str(u): num, str(v): den, f"{u}'": du.result, f"{v}'": dv.result},
        plug_in=plug_in,
    )


def _product(e: sympy.Expr, factors: list[sympy.Expr], ctx: Context) -> Step:
    x = ctx.var
    if len(factors) > MAX_PRODUCT_FACTORS:
        return _sympy_fallback(e, x)
    letters = [ctx.fresh() for _ in factors]
    parts = tuple(_derive(f, ctx) for f in factors)
    terms = []
    for i, part in enumerate(parts):
        if part.result == 0:
            continue
        terms.append(_times(*[part.result if j == i else f for j, f in enumerate(factors)]))
    plug_in = _plus(*terms)
    result = sympy.Add(
        *[
            part.result * sympy.Mul(*[f for j, f in enumerate(factors) if j != i])
            for i, part in enumerate(parts)
        ]
    )
    pieces: dict[str, sympy.Expr] = {}
    for letter, f in zip(letters, factors, strict=True):
        pieces[str(letter)] = f
    for letter, part in zip(letters, parts, strict=True):
        pieces[f"{letter}'"] = part.result
    how = (
        "two factors"
        if len(factors) == 2
        else f"{len(factors)} factors: one term for each factor differentiated"
    )
    return Step(
        "product",
        "derivative",
        e,
        x,
        result,
        parts,
        explanation=f"A product of {how}.",
        pieces=pieces,
        plug_in=plug_in,
    )


# -- powers ---------------------------------------------------------------------------------------------


def _pow(e: Pow, ctx: Context) -> Step:
    x = ctx.var
    base, n = e.args
    if not n.has(x):
        _power_conditions(base, n, ctx)
        if base == x:
            return _power(e, x, n)
        return _chain(e, ctx, "power", lambda u: u**n, lambda u: n * u ** (n - 1), base)
    if not base.has(x):
        ctx.require(base > 0)
        if n == x:
            return Step(
                "exp_base",
                "derivative",
                e,
                x,
                e * log(base),
                says=("An exponential with base ", base, ": multiply by ln(", base, ")."),
                plug_in=_times(e, log(base)),
            )
        return _chain(e, ctx, "exp_base", lambda u: base**u, lambda u: base**u * log(base), n)
    return _log_diff(e, ctx)


def _power_conditions(base: sympy.Expr, n: sympy.Expr, ctx: Context) -> None:
    if not n.is_number:
        ctx.require(base > 0)
        return
    if n.is_Rational and not n.is_Integer and n.q % 2 == 0:
        ctx.require(base > 0 if n < 1 else base >= 0)
    elif n.is_Rational and not n.is_Integer and n < 1:
        ctx.require(sympy.Ne(base, 0))
    elif n.is_negative:
        ctx.require(sympy.Ne(base, 0))


def _power(e: Pow, x: sympy.Symbol, n: sympy.Expr) -> Step:
    result = n * x ** (n - 1)
    step = Step(
        "power",
        "derivative",
        e,
        x,
        result,
        says=("Bring the exponent ", n, " down and lower it by one."),
        plug_in=_times(n, Pow(x, sympy.Add(n, -1, evaluate=False), evaluate=False)),
    )
    if n.is_Rational and not n.is_Integer:
        root = Step(
            "rewrite",
            "rewrite",
            e,
            None,
            e,
            explanation="Write the root as a power.",
            pieces={"exponent": n},
        )
        return Step(
            "power",
            "derivative",
            e,
            x,
            result,
            (root, step),
            explanation="A root is a fractional power; use the power rule.",
        )
    return step


def _log_diff(e: Pow, ctx: Context) -> Step:
    x = ctx.var
    u, v = e.args
    ctx.require(u > 0)
    exponent = v * log(u)
    inner = _derive(exponent, ctx)
    result = e * inner.result
    return Step(
        "log_diff",
        "derivative",
        e,
        x,
        result,
        (inner,),
        says=(
            "The variable is in the base and the exponent: ",
            e,
            " = e^(",
            exponent,
            "), so its derivative is ",
            e,
            " times the derivative of ",
            exponent,
            ".",
        ),
        plug_in=_times(e, inner.result),
    )


# -- functions and the chain rule -----------------------------------------------------------------------


def _unary(e: sympy.Expr, ctx: Context) -> Step:
    rule, outer = UNARY_RULES[type(e)]
    return _unary_with(e, ctx, rule, outer, e.args[0])


def _unary_with(e: sympy.Expr, ctx: Context, rule: str, outer: Outer, arg: sympy.Expr) -> Step:
    domain = DOMAINS.get(type(e))
    if domain is not None:
        ctx.require(*domain(arg))
    f = e.func
    if arg == ctx.var:
        d = outer(arg)
        return Step(rule, "derivative", e, ctx.var, d, says=_rule_sentence(e, d))
    return _chain(e, ctx, rule, lambda u: f(u), outer, arg)


def _rule_sentence(e: sympy.Expr, result: sympy.Expr) -> tuple[object, ...]:
    if isinstance(result, sympy.Piecewise):
        return ("The derivative of ", e, " is ", result, "; it does not exist where the pieces meet.")
    return ("The derivative of ", e, " is ", result, ".")


def _polygamma(e: sympy.Expr, ctx: Context) -> Step:
    """``polygamma(n, u)`` with a constant order n: its derivative is ``polygamma(n + 1, u)``, by the chain rule."""
    n, arg = e.args
    outer: Outer = lambda u: sympy.polygamma(n + 1, u)  # noqa: E731
    if arg == ctx.var:
        d = outer(arg)
        return Step("polygamma", "derivative", e, ctx.var, d, says=_rule_sentence(e, d))
    return _chain(e, ctx, "polygamma", lambda u: sympy.polygamma(n, u), outer, arg)


def _chain(
    e: sympy.Expr, ctx: Context, rule: str, make_outer: Outer, outer: Outer, inner: sympy.Expr
) -> Step:
    """f(g(x)): the outer rule on a fresh letter u = g(x), the inner derivative, and their product."""
    x = ctx.var
    u = ctx.fresh()
    outer_expr, outer_result = make_outer(u), outer(u)
    outer_step = Step(
        rule,
        "derivative",
        outer_expr,
        u,
        outer_result,
        says=_rule_sentence(outer_expr, outer_result),
    )
    inner_step = _derive(inner, ctx)
    at_inner = outer_result.subs(u, inner)
    result = _fold(at_inner * inner_step.result, x)
    return Step(
        "chain",
        "derivative",
        e,
        x,
        result,
        (outer_step, inner_step),
        explanation="The outer derivative at the inner function, times the inner derivative.",
        pieces={"outer": outer_expr, str(u): inner, "outer'": outer_result, "inner'": inner_step.result},
        plug_in=_times(at_inner, inner_step.result),
    )


def _undefined(e: AppliedUndef, ctx: Context) -> Step:
    x = ctx.var
    arg = e.args[0]
    f = e.func
    if arg == x:
        d = sympy.Derivative(e, x)
        return Step(
            "undefined_function",
            "derivative",
            e,
            x,
            d,
            says=(e, " is a function of ", x, " that is not given: its derivative stays ", d, "."),
        )
    return _chain(e, ctx, "undefined_function", lambda u: f(u), lambda u: sympy.Derivative(f(u), u), arg)


def _max_min(e: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    which = "max" if isinstance(e, sympy.Max) else "min"
    if len(e.args) == 2:
        p, q = ctx.fresh(), ctx.fresh()
    parts = tuple(_derive(a, ctx) for a in e.args)
    if len(e.args) != 2:
        return Step(
            "max_min",
            "derivative",
            e,
            x,
            sympy.diff(e, x),
            parts,
            explanation=f"{which} takes the derivative of whichever argument is the {which} (SymPy writes the "
            "switch with step functions); it is not differentiable where the arguments tie.",
        )
    (a, b), (da, db) = e.args, parts
    ctx.require(sympy.Ne(a - b, 0))
    first, second = (a > b, b > a) if which == "max" else (a < b, b < a)
    result = _fold(sympy.Piecewise((da.result, first), (db.result, second)), x)
    return Step(
        "max_min",
        "derivative",
        e,
        x,
        result,
        parts,
        says=(
            f"{which} takes the derivative of whichever argument is the {which}; it is not differentiable where ",
            sympy.Eq(a, b, evaluate=False),
            ".",
        ),
        pieces={str(p): a, str(q): b, f"{p}'": da.result, f"{q}'": db.result},
    )


def _piecewise(e: sympy.Piecewise, ctx: Context) -> Step:
    x = ctx.var
    parts = tuple(_derive(piece, ctx) for piece, _cond in e.args)
    result = sympy.Piecewise(*[(p.result, cond) for p, (_piece, cond) in zip(parts, e.args, strict=True)])
    return Step(
        "piecewise",
        "derivative",
        e,
        x,
        result,
        parts,
        explanation="Differentiate each piece on its own interval; at the boundaries the one-sided "
        "derivatives may differ.",
    )


def _sum_index(e: sympy.Sum, ctx: Context) -> Step:
    x = ctx.var
    inner = _derive(e.function, ctx)
    result = sympy.Sum(inner.result, *e.limits)
    return Step(
        "sum_index",
        "derivative",
        e,
        x,
        result,
        (inner,),
        explanation="The derivative of a sum is the sum of the derivatives (linearity).",
        pieces={"term": e.function, "term'": inner.result},
    )
