r"""The rule engine: one small function per rule, chosen by the expression's type.

:func:`derive` plans nothing and evaluates as it goes: each rule function returns a :class:`~symcalc.derive.steps.Step`
whose ``result`` is the derivative of its ``expr``, built from the steps of its parts. The dispatch table
:data:`UNARY_RULES` holds, for each function of one argument, its rule id and the textbook form of its derivative.
Where no rule applies, the step is SymPy's own derivative, labelled as such (rule ``"sympy"``): never a
silent wrong answer.

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
    sympy.sign: ("sign", lambda u: 2 * sympy.DiracDelta(u)),
    sigmoid: ("sigmoid", lambda u: sigmoid(u) * (1 - sigmoid(u))),
    softplus: ("softplus", lambda u: sigmoid(u)),
    relu: ("relu", lambda u: sympy.Heaviside(u, 0)),
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
}

_LETTERS = ("u", "v", "w", "s", "p", "q")


@dataclass
class Context:
    """What a derivation carries while it runs: the variable, fresh letters, and the conditions met."""

    var: sympy.Symbol
    taken: set[str] = field(default_factory=set)
    conditions: list[sympy.Basic] = field(default_factory=list)
    _names: Iterator[str] | None = None

    def fresh(self) -> sympy.Symbol:
        """A new letter for the inner function of a chain rule: u, v, w, ..., then u_1, u_2, ..."""
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
        return Step(
            "variable", "derivative", e, x, S.One, explanation=f"The derivative of {x} by itself is 1."
        )
    if isinstance(e, sympy.Add):
        return _sum(e, ctx)
    if isinstance(e, Mul):
        return _mul(e, ctx)
    if isinstance(e, Pow):
        return _pow(e, ctx)
    if type(e) in UNARY_RULES and len(e.args) == 1:
        return _unary(e, ctx)
    if isinstance(e, sympy.Heaviside):
        return _unary_with(e, ctx, "heaviside", lambda u: sympy.DiracDelta(u), e.args[0])
    if isinstance(e, sympy.Max | sympy.Min):
        return _max_min(e, ctx)
    if isinstance(e, sympy.Piecewise):
        return _piecewise(e, ctx)
    if isinstance(e, AppliedUndef) and len(e.args) == 1:
        return _undefined(e, ctx)
    if isinstance(e, sympy.Sum):
        return _sum_index(e, ctx)
    return _sympy_fallback(e, x)


# -- leaves ---------------------------------------------------------------------------------------------


def _constant(e: sympy.Expr, x: sympy.Symbol) -> Step:
    held = sorted(str(s) for s in e.free_symbols)
    why = f" ({', '.join(held)} held constant)" if held else ""
    return Step(
        "constant",
        "derivative",
        e,
        x,
        S.Zero,
        explanation=f"{e} does not depend on {x}{why}, so its derivative is 0.",
    )


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
        plug_in=sympy.Add(*[p.result for p in parts], evaluate=False),
    )


def _mul(e: Mul, ctx: Context) -> Step:
    x = ctx.var
    coeff, rest = e.as_independent(x, as_Add=False)
    if coeff != 1:
        base = _log_base(coeff, rest)
        if base is not None:
            return _log_base_rule(e, rest, base, ctx)
        inner = _derive(rest, ctx)
        return Step(
            "constant_multiple",
            "derivative",
            e,
            x,
            coeff * inner.result,
            (inner,),
            explanation=f"The constant factor {coeff} stays; differentiate {rest}.",
            pieces={"c": coeff, "u": rest},
            plug_in=Mul(coeff, inner.result, evaluate=False),
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
            explanation=f"The logarithm to base {base} of {x}.",
            pieces={"b": base},
        )
    return _chain(e, ctx, "log_base", lambda v: sympy.log(v) / log(base), lambda v: 1 / (v * log(base)), u)


def _quotient(e: sympy.Expr, num: sympy.Expr, den: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    du, dv = _derive(num, ctx), _derive(den, ctx)
    ctx.require(sympy.Ne(den, 0))
    plug_in = Mul(
        sympy.Add(
            Mul(du.result, den, evaluate=False), Mul(-1, num, dv.result, evaluate=False), evaluate=False
        ),
        Pow(Pow(den, 2, evaluate=False), -1, evaluate=False),
        evaluate=False,
    )
    result = (du.result * den - num * dv.result) / den**2
    return Step(
        "quotient",
        "derivative",
        e,
        x,
        result,
        (du, dv),
        explanation="A fraction with the variable in the denominator: use the quotient rule.",
        pieces={"u": num, "v": den, "u'": du.result, "v'": dv.result},
        plug_in=plug_in,
    )


def _product(e: sympy.Expr, factors: list[sympy.Expr], ctx: Context) -> Step:
    x = ctx.var
    if len(factors) > MAX_PRODUCT_FACTORS:
        return _sympy_fallback(e, x)
    parts = tuple(_derive(f, ctx) for f in factors)
    terms = []
    for i, part in enumerate(parts):
        if part.result == 0:
            continue
        others = [f for j, f in enumerate(factors) if j != i]
        terms.append(Mul(part.result, *others, evaluate=False))
    plug_in = sympy.Add(*terms, evaluate=False) if terms else S.Zero
    result = sympy.Add(*[Mul(*t.args) for t in terms]) if terms else S.Zero
    names = (
        ("u", "v", "w")[: len(factors)]
        if len(factors) <= 3
        else tuple(f"f_{i + 1}" for i in range(len(factors)))
    )
    pieces: dict[str, sympy.Expr] = {}
    for name, f, part in zip(names, factors, parts, strict=False):
        pieces[name] = f
        pieces[name + "'"] = part.result
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
                explanation=f"An exponential with base {base}: multiply by ln {base}.",
                pieces={"a": base},
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
        explanation=f"Bring the exponent {n} down and lower it by one.",
        pieces={"n": n},
        plug_in=Mul(n, Pow(x, sympy.Add(n, -1, evaluate=False), evaluate=False), evaluate=False),
    )
    if n.is_Rational and not n.is_Integer:
        root = Step(
            "rewrite",
            "rewrite",
            e,
            None,
            e,
            explanation=f"Write the root as a power: {sympy.sstr(e)} = {x}^({n}).",
        )
        return Step(
            "power",
            "derivative",
            e,
            x,
            result,
            (root, step),
            explanation="A root is a fractional power; use the power rule.",
            pieces={"n": n},
        )
    return step


def _log_diff(e: Pow, ctx: Context) -> Step:
    x = ctx.var
    u, v = e.args
    ctx.require(u > 0)
    inner = _derive(v * log(u), ctx)
    result = e * inner.result
    return Step(
        "log_diff",
        "derivative",
        e,
        x,
        result,
        (inner,),
        explanation=f"The variable is in the base and the exponent: take ln of both sides, "
        f"ln y = {sympy.sstr(v)}·ln({sympy.sstr(u)}), differentiate, and multiply by y.",
        pieces={"u": u, "v": v, "ln y": v * log(u)},
        plug_in=Mul(e, inner.result, evaluate=False),
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
        return Step(
            rule, "derivative", e, ctx.var, outer(arg), explanation=_rule_sentence(rule, e, outer(arg))
        )
    return _chain(e, ctx, rule, lambda u: f(u), outer, arg)


def _rule_sentence(rule: str, e: sympy.Expr, result: sympy.Expr) -> str:
    from .steps import CATALOGUE

    del CATALOGUE
    return f"The derivative of {sympy.sstr(e)} is {sympy.sstr(result)}."


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
        explanation=_rule_sentence(rule, outer_expr, outer_result),
    )
    inner_step = _derive(inner, ctx)
    at_inner = outer_result.subs(u, inner)
    result = at_inner * inner_step.result
    return Step(
        "chain",
        "derivative",
        e,
        x,
        result,
        (outer_step, inner_step),
        explanation=f"Chain rule with outer function {sympy.sstr(outer_expr)} and inner function "
        f"{u} = {sympy.sstr(inner)}.",
        pieces={"outer": outer_expr, str(u): inner, "outer'": outer_result, "inner'": inner_step.result},
        plug_in=Mul(at_inner, inner_step.result, evaluate=False),
    )


def _undefined(e: AppliedUndef, ctx: Context) -> Step:
    x = ctx.var
    arg = e.args[0]
    f = e.func
    if arg == x:
        return Step(
            "undefined_function",
            "derivative",
            e,
            x,
            sympy.Derivative(e, x),
            explanation=f"{f} is not given, so its derivative stays {f}'({x}).",
        )
    return _chain(e, ctx, "undefined_function", lambda u: f(u), lambda u: sympy.Derivative(f(u), u), arg)


def _max_min(e: sympy.Expr, ctx: Context) -> Step:
    x = ctx.var
    parts = tuple(_derive(a, ctx) for a in e.args)
    which = "max" if isinstance(e, sympy.Max) else "min"
    return Step(
        "max_min",
        "derivative",
        e,
        x,
        sympy.diff(e, x),
        parts,
        explanation=f"{which} takes the derivative of whichever argument is the {which} "
        f"(SymPy writes the switch with Heaviside steps); it is not differentiable where the arguments tie.",
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
