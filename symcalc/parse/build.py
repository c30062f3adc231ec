"""Building SymPy expressions from parsed input, safely.

Both parsers (plain text and LaTeX) go through these functions, so the whitelist of functions, the
conventions (``e``, natural ``log``, real symbols) and the limits on values that would explode are decided
in one place. Nothing here evaluates a string.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sympy

from ..errors import LimitError, ParseError
from ..functions import logsumexp, relu, sigmoid, softplus
from ..variables import UNICODE_GREEK, real_symbol

#: Longest plain-text input accepted, in characters (a typed 100-variable Rosenbrock is about 3,500; 10,000 parse in about 0.5 s).
MAX_INPUT_LENGTH = 10000
#: Longest LaTeX input accepted, in characters (the LaTeX converter is far slower than the text grammar).
MAX_LATEX_LENGTH = 2000
#: Deepest bracket nesting accepted in plain text.
MAX_TEXT_NESTING = 50
#: Deepest bracket / brace nesting accepted in LaTeX (latex2sympy2_extended slows down sharply past it).
MAX_LATEX_NESTING = 10
#: Deepest expression tree accepted (a chain x^x^x^... counts one level a link).
MAX_TREE_DEPTH = 100
#: Largest number of decimal digits an exact number may reach while the input is evaluated.
MAX_DIGITS = 5000
#: Largest integer whose factorial is computed exactly.
MAX_FACTORIAL = 1000

PYTHON_KEYWORDS = frozenset(
    "and as assert async await break class continue def del elif else except finally for from global if "
    "import in is lambda nonlocal not or pass raise return try while with yield print eval exec "
    "compile open getattr setattr globals locals vars".split()
)


@dataclass(frozen=True)
class Conventions:
    """What names mean: ``variables`` are declared names that stay symbols (``e`` included)."""

    variables: frozenset[str] = frozenset()

    def is_declared(self, name: str) -> bool:
        return name in self.variables


def name_to_atom(name: str, conv: Conventions) -> sympy.Expr:
    """A bare name: a declared variable, Euler's ``e``, ``pi``, or a real symbol."""
    name = UNICODE_GREEK.get(name, name)
    if conv.is_declared(name):
        return real_symbol(name)
    if name == "e":
        return sympy.E
    if name in ("pi", "π"):
        return sympy.pi
    if name == "lamda":  # SymPy's spelling, so that lambda (a Python keyword) can be typed as a name
        name = "lambda"
    return real_symbol(name)


def _digits(value: sympy.Expr) -> float:
    """Decimal digits of an exact number's numerator and denominator together."""
    if isinstance(value, sympy.Integer):
        return _int_digits(int(value))
    if isinstance(value, sympy.Rational):
        return _int_digits(int(value.p)) + _int_digits(int(value.q))
    return 0.0


def _int_digits(n: int) -> float:
    n = abs(n)
    if n < 2**53:
        return math.log10(n) if n > 1 else 0.0
    return n.bit_length() * math.log10(2)


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base ** exponent``, refusing exact numbers that would grow past :data:`MAX_DIGITS` digits."""
    if exponent.is_Number and not exponent.is_Integer and exponent.is_Rational and base.is_Rational:
        # A rational power of a rational: the radical stays symbolic, the integer part may still explode.
        _check_magnitude(base, sympy.floor(abs(exponent)))
    elif exponent.is_Integer and base.is_Rational:
        _check_magnitude(base, exponent)
    elif base.is_Rational and exponent.is_number and not exponent.is_Number:
        # e.g. 9^(9^9) arrives as an Integer already; a symbolic-number exponent (2^pi) stays unevaluated.
        pass
    return sympy.Pow(base, exponent)


def _check_magnitude(base: sympy.Expr, exponent: sympy.Expr) -> None:
    digits = _digits(base) * abs(int(exponent))
    if base in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
        return
    if digits > MAX_DIGITS:
        raise LimitError(
            f"the number {base}^{_short(exponent)} would have about {_short_float(digits)} digits; "
            f"symcalc evaluates exact numbers of at most {MAX_DIGITS} digits"
        )


def _short(value: sympy.Expr) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"{text[:8]}...({len(text)} digits)"


def _short_float(value: float) -> str:
    return f"{value:.3g}"


def factorial(arg: sympy.Expr) -> sympy.Expr:
    """``arg!``, computed exactly only up to :data:`MAX_FACTORIAL`."""
    if arg.is_Integer and int(arg) > MAX_FACTORIAL:
        raise LimitError(
            f"factorial({_short(arg)}) is too large; symcalc computes n! for n <= {MAX_FACTORIAL}"
        )
    if arg.is_number and not arg.is_Integer:
        raise ParseError(f"factorial needs a whole number or a symbol, not {arg}")
    return sympy.factorial(arg)


def log_base(arg: sympy.Expr, base: sympy.Expr) -> sympy.Expr:
    """``log_base(arg)``; base e gives the natural log."""
    if base == sympy.E:
        return sympy.log(arg)
    return sympy.log(arg, base)


def _one(f: Callable[[sympy.Expr], sympy.Expr]) -> Callable[..., sympy.Expr]:
    def apply(*args: sympy.Expr) -> sympy.Expr:
        return f(*args)

    apply.arity = (1, 1)  # type: ignore[attr-defined]
    return apply


def _arity(f: Callable[..., sympy.Expr], lo: int, hi: int | None) -> Callable[..., sympy.Expr]:
    f.arity = (lo, hi)  # type: ignore[attr-defined]
    return f


def _log(*args: sympy.Expr) -> sympy.Expr:
    return sympy.log(args[0]) if len(args) == 1 else log_base(args[0], args[1])


#: The whitelist: every function a student may type, by every accepted spelling.
FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "exp": _one(sympy.exp),
    "ln": _one(sympy.log),
    "log": _arity(_log, 1, 2),
    "sqrt": _one(sympy.sqrt),
    "cbrt": _one(sympy.cbrt),
    "abs": _one(sympy.Abs),
    "sin": _one(sympy.sin),
    "cos": _one(sympy.cos),
    "tan": _one(sympy.tan),
    "cot": _one(sympy.cot),
    "sec": _one(sympy.sec),
    "csc": _one(sympy.csc),
    "sinh": _one(sympy.sinh),
    "cosh": _one(sympy.cosh),
    "tanh": _one(sympy.tanh),
    "coth": _one(sympy.coth),
    "sech": _one(sympy.sech),
    "csch": _one(sympy.csch),
    "max": _arity(sympy.Max, 2, None),
    "min": _arity(sympy.Min, 2, None),
    "sign": _one(sympy.sign),
    "heaviside": _one(sympy.Heaviside),
    "factorial": _one(factorial),
    "sigmoid": _one(sigmoid),
    "softplus": _one(softplus),
    "relu": _one(relu),
    "logsumexp": _arity(logsumexp, 1, None),
}
_INVERSE = {
    "sin": sympy.asin,
    "cos": sympy.acos,
    "tan": sympy.atan,
    "cot": sympy.acot,
    "sec": sympy.asec,
    "csc": sympy.acsc,
    "sinh": sympy.asinh,
    "cosh": sympy.acosh,
    "tanh": sympy.atanh,
    "coth": sympy.acoth,
    "sech": sympy.asech,
    "csch": sympy.acsch,
}
for _name, _inv in _INVERSE.items():
    FUNCTIONS["a" + _name] = _one(_inv)
    FUNCTIONS["arc" + _name] = _one(_inv)
FUNCTIONS["arg" + "sinh"] = FUNCTIONS["asinh"]
FUNCTIONS["arg" + "cosh"] = FUNCTIONS["acosh"]
FUNCTIONS["arg" + "tanh"] = FUNCTIONS["atanh"]
FUNCTIONS["sigma"] = FUNCTIONS["sigmoid"]
FUNCTIONS["σ"] = FUNCTIONS["sigmoid"]
FUNCTIONS["ReLU"] = FUNCTIONS["relu"]
FUNCTIONS["Abs"] = FUNCTIONS["abs"]
FUNCTIONS["Max"] = FUNCTIONS["max"]
FUNCTIONS["Min"] = FUNCTIONS["min"]
FUNCTIONS["Heaviside"] = FUNCTIONS["heaviside"]

#: Functions that can be written without parentheses (``sin x``) and with a power (``sin^2 x``).
TRIG_LIKE = frozenset(
    n for n in FUNCTIONS if n not in {"max", "min", "Max", "Min", "logsumexp", "factorial", "log", "σ"}
) | {"log"}


def inverse_of(name: str) -> Callable[..., sympy.Expr] | None:
    """The inverse function meant by ``name^{-1}`` (``sin^-1 x`` is arcsin)."""
    inv = _INVERSE.get(name)
    return _one(inv) if inv is not None else None


def call(
    name: str, args: Iterable[sympy.Expr], *, source: str | None = None, position: int | None = None
) -> sympy.Expr:
    """Apply the whitelisted function ``name`` to ``args``, or raise :class:`ParseError`."""
    args = list(args)
    f = FUNCTIONS.get(name)
    if f is None:
        raise ParseError(f"unknown function '{name}'", source, position)
    lo, hi = f.arity  # type: ignore[attr-defined]
    if len(args) < lo or (hi is not None and len(args) > hi):
        want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} or {hi}"
        raise ParseError(f"{name} takes {want} argument(s), got {len(args)}", source, position)
    try:
        return f(*args)
    except (ParseError, LimitError) as err:
        if isinstance(err, ParseError) and err.source is None:
            raise ParseError(err.reason, source, position) from None
        raise


def tree_depth(expr: sympy.Basic) -> int:
    """Depth of an expression tree, computed without recursion."""
    deepest = 0
    stack: list[tuple[sympy.Basic, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_TREE_DEPTH:
            return deepest
        stack.extend((arg, depth + 1) for arg in node.args)
    return deepest


def check_result(expr: sympy.Basic, source: str) -> sympy.Basic:
    """Final checks every parse goes through: depth, and no undefined values (1/0)."""
    if tree_depth(expr) > MAX_TREE_DEPTH:
        raise LimitError(f"the expression is nested more than {MAX_TREE_DEPTH} levels deep")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError(
            "the expression is undefined (a division by zero or an infinite value)", source, None
        )
    return expr
