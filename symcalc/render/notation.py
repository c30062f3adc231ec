r"""The notation a learner reads and types: plain text that :func:`symcalc.parse` reads back, and LaTeX.

Plain text is what a student types (``x^2 sin(x)``, ``e^(-x)``, ``|x| < 1``, ``y ≠ 0``, ``-1 < x < 0``,
``dy/dx``), never Python (``x**2*sin(x)``, ``Abs(x)``, ``Ne(y, 0)``). Every expression printed by :func:`text`
parses back through :func:`symcalc.parse` to the same expression; the exceptions are the objects the grammar
has no spelling for (a piecewise derivative, the derivative dy/dx of an implicit function, sums over data),
which print in the textbook's words.

LaTeX comes from SymPy's printer with a few changes a textbook makes: ``H(x)`` for the step function, short
decimals, relations with ``\neq`` and chained intervals, ``\frac{dy}{dx}`` for the implicit derivative.

Example:
    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> text(x**2 * sympy.sin(x) + sympy.exp(-x) / 2)
    'x^2 sin(x) + e^(-x)/2'
    >>> conditions_text([x > -1, x < 0, sympy.Ne(y, 0), sympy.Abs(x) < 1])
    ['-1 < x < 0', 'y ≠ 0', '|x| < 1']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import sympy
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = [
    "conditions_latex",
    "conditions_text",
    "d_latex",
    "d_text",
    "latex",
    "number_text",
    "relation_latex",
    "relation_text",
    "text",
]

#: Function names as a student types them (where SymPy's differ).
_TEXT_NAMES = {
    "log": "ln",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "acot": "arccot",
    "asec": "arcsec",
    "acsc": "arccsc",
    "Heaviside": "heaviside",
    "Max": "max",
    "Min": "min",
}
#: A rational prints as a fraction while its denominator has at most this many digits; past it (numbers
#: from data, e.g. a least-squares fit), as a decimal.
MAX_FRACTION_DIGITS = 4
#: Significant digits of a decimal.
DIGITS = 10

_NAME = re.compile(r"^[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*(\^.+)?$")
_REL_TEXT = {"==": "=", "!=": "≠", "<": "<", ">": ">", "<=": "≤", ">=": "≥"}
_REL_LATEX = {"==": "=", "!=": r"\neq", "<": "<", ">": ">", "<=": r"\leq", ">=": r"\geq"}


def number_text(v: Any) -> str:
    """A number as a learner reads it: ``3``, ``1/2``, ``-0.25``; a float or an unwieldy fraction as a decimal.

    >>> number_text(sympy.Rational(1605141465, 661407859)), number_text(0.1 + 0.2), number_text(sympy.Rational(-3, 4))
    ('2.426855749', '0.3', '-3/4')
    """
    if isinstance(v, sympy.Integer | int) and not isinstance(v, bool):
        return str(int(v))
    if isinstance(v, sympy.Rational) and len(str(abs(v.q))) <= MAX_FRACTION_DIGITS:
        return f"{v.p}/{v.q}"
    value = float(v)
    out = f"{value:.{DIGITS}g}"
    return out.replace("e+", "e") if "e" in out else out


def _is_atom_text(e: sympy.Basic) -> bool:
    """Needs no brackets as a base or an exponent: a symbol, a whole number >= 0, a function call."""
    if isinstance(e, sympy.Symbol | sympy.NumberSymbol):
        return True
    if isinstance(e, sympy.Integer):
        return bool(e >= 0)
    if isinstance(e, sympy.Abs):
        return True
    return isinstance(e, sympy.Function) and not isinstance(e, sympy.exp | sympy.Piecewise)


def _is_name(e: sympy.Basic) -> bool:
    """A symbol, or an implicit function ``y(x)`` printed as its name."""
    return isinstance(e, sympy.Symbol) or (isinstance(e, AppliedUndef) and len(e.args) == 1)


def _flattened(e: sympy.Mul) -> sympy.Mul:
    """A product with the products inside it spread out (as SymPy itself builds them), numbers multiplied, but
    no number distributed over a sum (``2(b + w x)`` stays as the tidy-up wrote it)."""
    factors: list[sympy.Expr] = []
    stack = list(e.args)
    while stack:
        a = stack.pop(0)
        if isinstance(a, sympy.Mul):
            stack = list(a.args) + stack
        else:
            factors.append(a)
    number = sympy.Mul(*[f for f in factors if f.is_Number])
    rest = [f for f in factors if not f.is_Number]
    if number == 1 and len(rest) == 1:
        return rest[0]
    return sympy.Mul(*([number] if number != 1 else []), *rest, evaluate=False)


def _is_unevaluated_mul(e: sympy.Mul) -> bool:
    try:
        return bool(sympy.Mul(*e.args).args != e.args)
    except Exception:  # noqa: BLE001 - an odd product is printed as it stands
        return False


class LearnerTextPrinter(StrPrinter):  # type: ignore[misc]
    """SymPy's string printer, speaking the notation of :mod:`symcalc.parse`'s text grammar."""

    _default_settings = {**StrPrinter._default_settings, "implicit": (), "plug_in": False}

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._abs_depth = 0
        self._implicit = {str(n) for n in self._settings.get("implicit", ())}

    # -- atoms --
    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return "λ" if expr.name in ("lambda", "lamda") else expr.name

    _print_Dummy = _print_Symbol

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(int(expr))

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return number_text(expr)

    def _print_Float(self, expr: sympy.Float) -> str:
        return number_text(expr)

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Pi(self, expr: Any) -> str:
        return "pi"

    def _print_Infinity(self, expr: Any) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-∞"

    # -- operators --
    def _wrap(self, e: sympy.Basic) -> str:
        s = self._print(e)
        return s if _is_atom_text(e) else f"({s})"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, ex = expr.args
        if ex is sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if ex.is_Number and ex.is_negative:
            return "1/" + self._denominator(base if ex == -1 else sympy.Pow(base, -ex, evaluate=False))
        if base is sympy.E:
            return str(self._print(sympy.exp(ex, evaluate=False)))
        return f"{self._wrap(base)}^{self._wrap(ex)}"

    def _print_exp(self, expr: sympy.Expr) -> str:
        (u,) = expr.args
        return "e^" + (self._print(u) if _is_atom_text(u) else f"({self._print(u)})")

    def _denominator(self, e: sympy.Expr) -> str:
        s = self._print(e)
        if isinstance(e, sympy.Add | sympy.Mul) or (e.is_Number and (e.is_negative or not e.is_Integer)):
            return f"({s})"
        return str(s)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if _is_unevaluated_mul(expr):
            if self._settings["plug_in"]:
                return self._unevaluated_mul(expr)
            if any(isinstance(a, sympy.Mul) for a in expr.args):
                return str(self._print(_flattened(expr)))
        c, rest = expr.as_coeff_Mul()
        sign = ""
        if c.is_negative:
            sign, c = "-", -c
        factors = list(sympy.Mul.make_args(rest)) if rest != 1 else []
        factors = self._ordered_factors(factors)
        num: list[sympy.Expr] = []
        den: list[sympy.Expr] = []
        for f in factors:
            if isinstance(f, sympy.Pow) and f.args[1].is_Number and f.args[1].is_negative:
                den.append(sympy.Pow(f.args[0], -f.args[1]))
            else:
                num.append(f)
        p, q = (c.p, c.q) if isinstance(c, sympy.Rational) else (c, 1)
        if isinstance(c, sympy.Rational) and len(str(q)) > MAX_FRACTION_DIGITS:
            p, q = c, 1
        parts: list[str] = []
        if p != 1 or not num:
            parts.append(self._print(sympy.sympify(p)))
        for f in num:
            parts.append(self._factor(f, len(num) + (p != 1) > 1))
        top = self._join(parts, [sympy.sympify(p)] * (p != 1 or not num) + num)
        if q != 1:
            den.insert(0, sympy.Integer(q))
        if not den:
            return sign + top
        if len(den) == 1:
            bottom = self._denominator(den[0])
        else:
            bottom = "(" + self._join([self._factor(d, True) for d in den], den) + ")"
        return f"{sign}{top}/{bottom}"

    def _ordered_factors(self, factors: list[sympy.Expr]) -> list[sympy.Expr]:
        """SymPy's order, with the sums last as a teacher writes them: ``sigmoid(x) (1 - sigmoid(x))``."""
        if self._settings["plug_in"]:
            return factors
        if self.order != "none" and len(factors) > 1:
            factors = list(sympy.Mul(*factors).as_ordered_factors())
        return sorted(factors, key=lambda f: isinstance(f, sympy.Add))

    def _factor(self, f: sympy.Expr, several: bool) -> str:
        s = self._print(f)
        if isinstance(f, sympy.Add) or (several and isinstance(f, sympy.Piecewise)):
            return f"({s})"
        if isinstance(f, sympy.Mul) or (f.is_Number and (f.is_negative or not f.is_Integer)):
            return f"({s})"
        if several and s.startswith("-"):
            return f"({s})"
        return str(s)

    @staticmethod
    def _join(parts: list[str], factors: Sequence[sympy.Expr]) -> str:
        """Factors side by side as a student writes them: ``3x``, ``2(x + 1)``, ``x sin(x)``, ``2·3^x``."""
        out = parts[0] if parts else "1"
        for i in range(1, len(parts)):
            prev, f, s = factors[i - 1], factors[i], parts[i]
            simple = _NAME.match(s) is not None and (
                _is_name(f) or (isinstance(f, sympy.Pow) and _is_name(f.args[0]))
            )

            if s[:1].isdigit():
                out += "·" + s
            elif prev.is_Integer and (simple or s.startswith("(")):
                out += s  # 3x, 2x^2, 2(x + 1)
            else:
                out += " " + s
        return out

    def _unevaluated_mul(self, expr: sympy.Mul) -> str:
        """A product kept as substituted (a plug-in line): a leading -1 as a sign, the factors with a negative
        power as the denominator, a dot before a factor that starts with a digit."""
        args = list(expr.args)
        sign = ""
        if args and args[0] == -1:
            sign, args = "-", args[1:]

        def negative_power(a: sympy.Expr) -> bool:
            return isinstance(a, sympy.Pow) and a.args[1].is_Number and a.args[1].is_negative

        if len(args) == 2 and negative_power(args[1]) and args[1].args[1] == -1:
            num, den = [args[0]], [args[1].args[0]]  # a quotient as substituted: top/bottom
        else:
            num, den = args, []
        shown = []
        for a in num:
            t = self._print(a)
            if (
                isinstance(a, sympy.Add | sympy.Piecewise)
                or (a.is_Number and a.is_negative)
                or t.startswith("-")
            ):
                t = f"({t})"
            shown.append(t)
        top = shown[0] if shown else "1"
        for prev, a, t, p in zip(num, num[1:], shown[1:], shown, strict=False):
            if prev.is_Integer and prev > 0 and (isinstance(a, sympy.Symbol) or t.startswith("(")):
                top += t  # 2x, 3(x + 1)
            elif t[:1].isdigit() or "/" in t or "/" in p or (_NAME.match(t) and not prev.is_Number):
                top += " · " + t  # 5(3x^2 - 1)^4 · 6x, 1/u · u', cos(x y) · x
            else:
                top += " " + t  # 2x sin(x), x^2 cos(x)
        if not den:
            return sign + top
        if len(num) > 1:
            top = f"({top})"
        bottom = (
            self._denominator(den[0])
            if len(den) == 1
            else "(" + " ".join(self._factor(d, True) for d in den) + ")"
        )
        return f"{sign}{top}/{bottom}"

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """A sum; one kept as substituted (a plug-in line) keeps its terms in the formula's order."""
        try:
            canonical = sympy.Add(*expr.args)
        except Exception:  # noqa: BLE001
            canonical = expr
        if canonical.args != expr.args and not self._settings["plug_in"]:
            return str(self._print(canonical))
        return str(super()._print_Add(expr, order="none" if canonical.args != expr.args else order))

    # -- functions --
    def _print_Function(self, expr: sympy.Function) -> str:
        if isinstance(expr, AppliedUndef):
            if expr.func.__name__ in self._implicit and len(expr.args) == 1:
                return str(expr.func.__name__)
            return f"{expr.func.__name__}({', '.join(self._print(a) for a in expr.args)})"
        name = _TEXT_NAMES.get(type(expr).__name__, type(expr).__name__)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Abs(self, expr: sympy.Abs) -> str:
        self._abs_depth += 1
        try:
            inner = self._print(expr.args[0])
        finally:
            self._abs_depth -= 1
        return f"abs({inner})" if self._abs_depth else f"|{inner}|"

    def _print_Heaviside(self, expr: sympy.Heaviside) -> str:
        return f"heaviside({self._print(expr.args[0])})"

    def _print_DiracDelta(self, expr: sympy.Expr) -> str:
        return f"delta({self._print(expr.args[0])})"

    def _print_MinMaxBase(self, expr: sympy.Expr) -> str:
        name = "max" if isinstance(expr, sympy.Max) else "min"
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    _print_Max = _print_MinMaxBase
    _print_Min = _print_MinMaxBase

    def _print_factorial(self, expr: sympy.Expr) -> str:
        return f"{self._wrap(expr.args[0])}!"

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        f = expr.expr
        (v, n), *more = expr.variable_count
        if isinstance(f, AppliedUndef) and not more:
            name = f.func.__name__
            if name in self._implicit:
                return f"d{name}/d{self._print(v)}" if n == 1 else f"d^{n}{name}/d{self._print(v)}^{n}"
            return f"{name}{chr(39) * int(n)}({', '.join(self._print(a) for a in f.args)})"
        return f"d/d{self._print(v)} [{self._print(f)}]"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        pieces = [
            f"{self._print(value)}" + ("" if cond is sympy.true else f" for {relation_text(cond)}")
            for value, cond in expr.args
        ]
        return "(" + "; ".join(pieces) + ")"

    # -- relations --
    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        c = _oriented(expr)
        return f"{self._print(c.lhs)} {_REL_TEXT.get(c.rel_op, c.rel_op)} {self._print(c.rhs)}"

    def _print_And(self, expr: sympy.And) -> str:
        return " and ".join(conditions_text(expr.args))

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "always"

    # -- containers --
    def _print_MatrixBase(self, expr: sympy.MatrixBase) -> str:
        rows = expr.tolist()
        if expr.shape[1] == 1:
            return "(" + ", ".join(self._print(r[0]) for r in rows) + ")"
        return "[" + "; ".join(", ".join(self._print(v) for v in r) for r in rows) + "]"

    _print_ImmutableDenseMatrix = _print_MatrixBase
    _print_MutableDenseMatrix = _print_MatrixBase

    def _print_Tuple(self, expr: Any) -> str:
        return "(" + ", ".join(self._print(a) for a in expr) + ")"

    _print_tuple = _print_Tuple


def text(expr: Any, *, plug_in: bool = False, implicit: Iterable[str] = ()) -> str:
    """An expression in the learner's text notation.

    Args:
        expr: a SymPy expression, relation or matrix.
        plug_in: keep the order of the terms as built (a plug-in line follows its formula's order).
        implicit: names of functions given implicitly (``y`` for ``y(x)``): printed ``y``, with ``dy/dx``.

    >>> x = sympy.Symbol("x", real=True)
    >>> text(sympy.sqrt(1 - x**2)), text(sympy.Abs(x) / (x**2 + 1)), text(sympy.log(x) / sympy.log(2))
    ('sqrt(1 - x^2)', '|x|/(x^2 + 1)', 'ln(x)/ln(2)')
    """
    settings: dict[str, Any] = {"implicit": tuple(implicit), "plug_in": plug_in}
    return str(LearnerTextPrinter(settings).doprint(expr))


# -- relations ------------------------------------------------------------------------------------------


def _oriented(c: sympy.Basic) -> sympy.Basic:
    """The variable on the left (``x > 0``, not ``0 < x``)."""
    if isinstance(c, sympy.core.relational.Relational) and c.lhs.is_number and not c.rhs.is_number:
        return c.reversed
    return c


def relation_text(c: Any, *, implicit: Iterable[str] = (), plug_in: bool = False) -> str:
    """A condition as a person writes it: ``x ≠ 0``, ``x > 0`` (the variable on the left), ``|x| < 1``."""
    c = _oriented(c)
    if isinstance(c, sympy.core.relational.Relational):
        return text(c, implicit=implicit, plug_in=plug_in)
    if isinstance(c, sympy.And):
        return " and ".join(conditions_text(c.args))
    return text(c, implicit=implicit)


def relation_latex(c: Any, *, implicit: Iterable[str] = (), plug_in: bool = False) -> str:
    r"""A condition in LaTeX: ``x \neq 0``, ``\left|x\right| < 1``."""
    c = _oriented(c)
    if isinstance(c, sympy.core.relational.Relational):
        return latex(c, implicit=implicit, plug_in=plug_in)
    if isinstance(c, sympy.And):
        return r" \text{ and } ".join(conditions_latex(c.args))
    return latex(c)


def _chains(conditions: Iterable[sympy.Basic]) -> list[tuple[Any, ...]]:
    """Pair a lower and an upper bound on the same expression into one chain ``a < x < b``."""
    items = [_oriented(c) for c in conditions]
    out: list[tuple[Any, ...]] = []
    used: set[int] = set()
    for i, c in enumerate(items):
        if i in used:
            continue
        if isinstance(c, sympy.StrictGreaterThan | sympy.GreaterThan) and c.rhs.is_number:
            for j, d in enumerate(items):
                if (
                    j not in used
                    and j != i
                    and isinstance(d, sympy.StrictLessThan | sympy.LessThan)
                    and d.lhs == c.lhs
                    and d.rhs.is_number
                ):
                    used |= {i, j}
                    low = "<" if isinstance(c, sympy.StrictGreaterThan) else "<="
                    high = "<" if isinstance(d, sympy.StrictLessThan) else "<="
                    out.append(("chain", c.rhs, low, c.lhs, high, d.rhs))
                    break
            else:
                out.append(("one", c))
                used.add(i)
            continue
        if isinstance(c, sympy.StrictLessThan | sympy.LessThan) and c.rhs.is_number:
            for j, d in enumerate(items):
                if (
                    j not in used
                    and j != i
                    and isinstance(d, sympy.StrictGreaterThan | sympy.GreaterThan)
                    and d.lhs == c.lhs
                    and d.rhs.is_number
                ):
                    used |= {i, j}
                    low = "<" if isinstance(d, sympy.StrictGreaterThan) else "<="
                    high = "<" if isinstance(c, sympy.StrictLessThan) else "<="
                    out.append(("chain", d.rhs, low, c.lhs, high, c.rhs))
                    break
            else:
                out.append(("one", c))
                used.add(i)
            continue
        if isinstance(c, sympy.And):
            out.extend(_chains(c.args))
            used.add(i)
            continue
        out.append(("one", c))
        used.add(i)
    return out


def conditions_text(conditions: Iterable[sympy.Basic], *, implicit: Iterable[str] = ()) -> list[str]:
    """Conditions as a person writes them, a lower and an upper bound joined: ``-1 < x < 0``."""
    out = []
    for item in _chains(conditions):
        if item[0] == "chain":
            _, lo, a, mid, b, hi = item
            out.append(f"{text(lo)} {_REL_TEXT[a]} {text(mid)} {_REL_TEXT[b]} {text(hi)}")
        else:
            out.append(relation_text(item[1], implicit=implicit))
    return out


def conditions_latex(conditions: Iterable[sympy.Basic]) -> list[str]:
    r"""Conditions in LaTeX, chained like :func:`conditions_text`: ``-1 < x < 0``, ``y \neq 0``."""
    out = []
    for item in _chains(conditions):
        if item[0] == "chain":
            _, lo, a, mid, b, hi = item
            out.append(f"{latex(lo)} {_REL_LATEX[a]} {latex(mid)} {_REL_LATEX[b]} {latex(hi)}")
        else:
            out.append(relation_latex(item[1]))
    return out


# -- LaTeX ----------------------------------------------------------------------------------------------


class LearnerLatexPrinter(LatexPrinter):  # type: ignore[misc]
    r"""SymPy's LaTeX printer with a textbook's choices: ``H(x)``, short decimals, ``\frac{dy}{dx}``."""

    _default_settings = {**LatexPrinter._default_settings, "implicit": (), "plug_in": False}

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._implicit = {str(n) for n in self._settings.get("implicit", ())}

    def _print_Float(self, expr: sympy.Float) -> str:
        s = number_text(expr)
        if "e" in s:
            mant, ex = s.split("e")
            return rf"{mant} \cdot 10^{{{int(ex)}}}"
        return s

    def _print_Rational(self, expr: sympy.Rational) -> str:
        if len(str(abs(expr.q))) > MAX_FRACTION_DIGITS:
            return self._print_Float(sympy.Float(expr, 15))
        return str(super()._print_Rational(expr))

    def _print_Heaviside(self, expr: sympy.Expr, exp: Any = None) -> str:
        body = rf"H\left({self._print(expr.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _print_Function(self, expr: sympy.Function, exp: Any = None) -> str:
        if isinstance(expr, AppliedUndef) and expr.func.__name__ in self._implicit and len(expr.args) == 1:
            name = self._print(sympy.Symbol(expr.func.__name__))
            return name if exp is None else f"{name}^{{{exp}}}"
        return str(super()._print_Function(expr, exp))

    def _print_Derivative(self, expr: sympy.Derivative) -> str:
        f = expr.expr
        (v, n), *more = expr.variable_count
        if isinstance(f, AppliedUndef) and not more and f.func.__name__ in self._implicit:
            name = self._print(sympy.Symbol(f.func.__name__))
            power = "" if n == 1 else f"^{{{n}}}"
            return rf"\frac{{d{power}{name}}}{{d{self._print(v)}{power}}}"
        return str(super()._print_Derivative(expr))

    def _print_Relational(self, expr: Any) -> str:
        c = _oriented(expr)
        return f"{self._print(c.lhs)} {_REL_LATEX.get(c.rel_op, c.rel_op)} {self._print(c.rhs)}"

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        try:
            canonical = sympy.Add(*expr.args)
        except Exception:  # noqa: BLE001
            canonical = expr
        if canonical.args != expr.args and not self._settings["plug_in"]:
            return str(self._print(canonical))
        return str(super()._print_Add(expr, order="none" if canonical.args != expr.args else order))

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if not self._settings["plug_in"] and any(isinstance(a, sympy.Mul) for a in expr.args):
            return str(self._print(_flattened(expr)))
        if self._settings["plug_in"] and _is_unevaluated_mul(expr):
            return self._unevaluated_mul(expr)
        return str(super()._print_Mul(expr))

    def _unevaluated_mul(self, expr: sympy.Mul) -> str:
        """A product as substituted: a quotient ``top/bottom`` as a fraction, other factors side by side
        (a sum in brackets), a dot before a number or after a fraction."""
        args = list(expr.args)
        sign = ""
        if args and args[0] == -1:
            sign, args = "-", args[1:]
        if len(args) == 2 and isinstance(args[1], sympy.Pow) and args[1].args[1] == -1:
            return rf"{sign}\frac{{{self._print(args[0])}}}{{{self._print(args[1].args[0])}}}"
        out = ""
        for i, a in enumerate(args):
            s = self._print(a)
            if isinstance(a, sympy.Add) or s.startswith("-"):
                s = rf"\left({s}\right)"
            if i and (s[:1].isdigit() or r"\frac" in out[-40:]):
                out += r" \cdot " + s
            else:
                out += (" " if i else "") + s
        return sign + out


def latex(expr: Any, *, implicit: Iterable[str] = (), plug_in: bool = False) -> str:
    r"""An expression in LaTeX (renders with KaTeX and compiles with pdflatex and ``amsmath``).

    >>> x = sympy.Symbol("x", real=True)
    >>> latex(sympy.Heaviside(x) + sympy.Float(0.25))
    'H\\left(x\\right) + 0.25'
    """
    return str(LearnerLatexPrinter({"implicit": tuple(implicit), "plug_in": plug_in}).doprint(expr))


# -- derivative operators -------------------------------------------------------------------------------


def d_text(var: Any, *, partial: bool = False, order: int = 1, of: str | None = None) -> str:
    """``d/dx``, ``∂/∂y``, ``d^2/dx^2``, or with a function: ``dy/dx``, ``∂f/∂y``."""
    d = "∂" if partial else "d"
    top = of or ""
    if order == 1:
        return f"{d}{top}/{d}{text(var)}"
    return f"{d}^{order}{top}/{d}{text(var)}^{order}"


def d_latex(var: Any, *, partial: bool = False, order: int = 1, of: str | None = None) -> str:
    r"""``\frac{d}{dx}``, ``\frac{\partial}{\partial y}``, ``\frac{d^{2}}{dx^{2}}``."""
    d = r"\partial " if partial else "d"
    power = "" if order == 1 else f"^{{{order}}}"
    top = f"{d.strip()}{power}{(' ' + of) if of and partial else (of or '')}"
    return rf"\frac{{{top}}}{{{d}{latex(var)}{power}}}"
