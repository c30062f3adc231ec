"""Building SymPy expressions from parsed input, safely.

Both parsers (plain text and LaTeX) go through these functions, so the whitelist of functions, the
conventions (``e``, natural ``log``, real symbols) and the limits on values that would explode are decided
in one place. Nothing here evaluates a string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

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
#: Most decimal digits an exact number may have, while the input is built and in the result. Python refuses to
#: print an integer of more than 4,300 digits (``sys.get_int_max_str_digits()``), and SymPy's assumptions may
#: test a positive integer for primality when asked its sign (``Abs``, ``log``, ``relu``): 0.07 s at 1,000
#: digits, 1.3 s at 2,735, 3.9 s at 4,000. :func:`settle` answers the sign first where symcalc builds a number.
MAX_DIGITS = 1000
#: Most digits of an integer (or of a fraction's numerator or denominator) under a root: SymPy looks for its
#: factors, which took 0.75 s at 800 digits and 5.5 s at 1,600 (``(7*(10^1600+1))^(2/3)``).
MAX_ROOT_DIGITS = 100
#: Largest integer whose factorial is computed exactly (400! has 869 digits, 450! would pass MAX_DIGITS).
MAX_FACTORIAL = 400

PYTHON_KEYWORDS = frozenset(
    "and as assert async await break class continue def del elif else except finally for from global if "
    "import in is lambda nonlocal not or pass raise return try while with yield print eval exec "
    "compile open getattr setattr globals locals vars".split()
)


@dataclass(frozen=True)
class Conventions:
    """What names mean: ``variables`` are declared names that stay symbols (``e`` included).

    A Greek letter is declared by its letter or its name alike: ``α`` and ``alpha`` are the symbol alpha.
    """

    variables: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", frozenset(UNICODE_GREEK.get(v, v) for v in self.variables))

    def is_declared(self, name: str) -> bool:
        return UNICODE_GREEK.get(name, name) in self.variables

    def spellings(self) -> frozenset[str]:
        """Every way a declared name may be typed: its name, and its Greek letter where it has one."""
        letters = {letter for letter, name in UNICODE_GREEK.items() if name in self.variables}
        return self.variables | letters


def name_to_atom(name: str, conv: Conventions) -> sympy.Expr:
    """A bare name: a declared variable, Euler's ``e``, ``pi``, or a real symbol."""
    name = UNICODE_GREEK.get(name, name)
    if conv.is_declared(name):
        return real_symbol(UNICODE_GREEK.get(name, name))
    if name == "e":
        return sympy.E
    if name in ("pi", "π"):
        return sympy.pi
    if name == "lamda":  # SymPy's spelling, so that lambda (a Python keyword) can be typed as a name
        name = "lambda"
    return real_symbol(name)


_LOG10_2 = math.log10(2)
_TOO_MANY_DIGITS = 10**MAX_DIGITS  # the smallest integer with MAX_DIGITS + 1 digits
_BIG = 10**18  # integers past this get their sign settled (see settle)
_LOG10_E = math.log10(math.e)
_NUMBER = re.compile(r"(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[-+]?[0-9]+))?")


def _int_digits(n: int) -> float:
    """log10 of ``|n|`` (0 for 0 and 1); ``math.log10`` takes an int of any size without making it a float."""
    n = abs(n)
    return math.log10(n) if n > 1 else 0.0


def _log10_abs(value: sympy.Expr) -> float:
    """log10 of ``|value|`` for a Rational or a Float, without converting a huge value to a Python float."""
    if isinstance(value, sympy.Rational):
        return _int_digits(int(value.p)) - _int_digits(int(value.q))
    if isinstance(value, sympy.Float):
        _sign, mantissa, exponent, bits = value._mpf_
        if not mantissa:
            return 0.0
        binary = exponent + bits  # an arbitrary-precision exponent: 2^(10^349) is a valid Float
        if abs(binary) >= 2**1000:
            return math.inf if binary > 0 else -math.inf
        if abs(binary) < 1000:  # within a double's range: exact
            return float(math.log10(abs(float(value))))
        return float(binary * _LOG10_2)
    return 0.0


def _digits(value: sympy.Expr) -> float:
    """How many decimal digits an exact number takes: numerator and denominator together; a Float's magnitude."""
    if isinstance(value, sympy.Rational):
        return _int_digits(int(value.p)) + _int_digits(int(value.q))
    if isinstance(value, sympy.Float):
        return abs(_log10_abs(value))
    return 0.0


def _growth(factor: sympy.Expr) -> float | None:
    """Digits that ``factor ** n`` takes per unit of ``n`` when SymPy computes it, or None when it stays symbolic.

    Integers, fractions and decimals are computed; so are roots of them (``sqrt(2)^(10^10)`` is
    ``2^(5*10^9)``); ``pi`` and ``E`` stay symbolic but are counted too, so that no power of a number that
    would have more than :data:`MAX_DIGITS` digits gets in.
    """
    if isinstance(factor, sympy.Rational | sympy.Float):
        return _digits(factor)
    if isinstance(factor, sympy.Pow) and isinstance(factor.base, sympy.Rational | sympy.Float):
        if isinstance(factor.exp, sympy.Rational | sympy.Float):
            return _digits(factor.base) * abs(float(factor.exp))
    if factor is sympy.pi or factor is sympy.E:
        return math.log10(float(factor))
    return None


def _check_power(base: sympy.Expr, exponent: sympy.Expr) -> None:
    """Refuse ``base ** exponent`` before SymPy computes it when the value would pass :data:`MAX_DIGITS` digits,
    or when it would look for the factors of a large radicand."""
    if not isinstance(exponent, sympy.Rational | sympy.Float):
        return  # a symbolic exponent (2^x, 2^pi) stays unevaluated
    size = _log10_abs(exponent) if exponent != 0 else -math.inf
    for factor in sympy.Mul.make_args(base):
        if factor in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
            continue
        growth = _growth(factor)
        if growth is None or growth == 0:
            continue
        if math.log10(growth) + size > math.log10(MAX_DIGITS):
            raise LimitError(
                f"the number {_short(factor)}^{_short(exponent)} would have about "
                f"{_short_digits(math.log10(growth) + size)} digits; symcalc reads exact numbers of at most "
                f"{MAX_DIGITS} digits"
            )
        if (
            isinstance(factor, sympy.Rational)
            and isinstance(exponent, sympy.Rational)
            and not exponent.is_Integer
            and max(_int_digits(int(factor.p)), _int_digits(int(factor.q))) > MAX_ROOT_DIGITS
        ):
            raise LimitError(
                f"a root of a number of about {_digits(factor):,.0f} digits; symcalc takes roots of numbers of at "
                f"most {MAX_ROOT_DIGITS} digits, since SymPy searches the radicand for factors (seconds at 800)"
            )


def _short_digits(log10_digits: float) -> str:
    if log10_digits < 15:
        return f"{10**log10_digits:,.0f}"
    return f"10^{log10_digits:.0f}"


def settle(expr: sympy.Expr) -> sympy.Expr:
    """Answer the sign of the large integers in ``expr`` (and in its arguments) before anything asks.

    SymPy's assumption system looks for a fact through related facts in a random order, and for an integer one
    of them is primality: ``Abs(5233^736)`` took 1.3 s one time in two. Asking the sign directly (a comparison)
    first settles every fact a later ``Abs``, ``log`` or ``relu`` asks, in microseconds.
    """
    for atom in (expr, *expr.args):
        if isinstance(atom, sympy.Integer) and not -_BIG < atom < _BIG:
            _ = atom.is_extended_positive, atom.is_extended_negative
    if isinstance(expr, sympy.Expr):
        _check_size(lambda: _short(expr), size(expr))
    return expr


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base ** exponent``, refusing numbers that would grow past :data:`MAX_DIGITS` digits before they are built."""
    _check_power(base, exponent)
    _check_size(lambda: f"{_short(base)}^{_short(exponent)}", size(sympy.Pow(base, exponent, evaluate=False)))
    return settle(sympy.Pow(base, exponent))


def _grows(big: float) -> float:
    """Digits of ``exp(a)`` (either way: huge or tiny) when ``|a|`` is at most ``10^big``: |a| / ln 10."""
    return math.inf if big > 300 else _LOG10_E * 10**big


#: Functions whose value is as large (or as small) as exp of their argument.
_EXP_LIKE = frozenset({"exp", "sinh", "cosh", "sech", "csch", "sigmoid", "softplus", "logsumexp"})


def _size_of_call(kind: str, measures: list[tuple[float, float]]) -> tuple[float, float]:
    if kind in _EXP_LIKE:
        grown = _grows(max(big for big, _ in measures))
        return grown, grown
    largest = max((digits for _, digits in measures), default=0.0)
    return largest, largest  # log, roots, trigonometric and the rest do not make a number larger


def _of_value(log10: float) -> tuple[float, float]:
    return max(0.0, log10), abs(log10)


@lru_cache(maxsize=8192)
def _measure(expr: sympy.Basic) -> tuple[float, float] | None:
    """(an upper bound on ``max(0, log10 |value|)``, one on ``|log10 |value||``), or None with a variable."""
    if isinstance(expr, sympy.Rational | sympy.Float):
        return _of_value(_log10_abs(expr)) if expr != 0 else (0.0, 0.0)
    if isinstance(expr, sympy.NumberSymbol):
        return _of_value(math.log10(float(expr)))
    if isinstance(expr, sympy.core.numbers.ImaginaryUnit) or expr in (
        sympy.oo,
        -sympy.oo,
        sympy.zoo,
        sympy.nan,
    ):
        return 0.0, 0.0  # infinities are refused as undefined, later
    if not expr.args or not isinstance(expr, sympy.Expr):
        return None  # a symbol, or something that is not a number
    measures = []
    for arg in expr.args:
        m = _measure(arg)
        if m is None:
            return None
        measures.append(m)
    if isinstance(expr, sympy.Add):
        spread = math.log10(len(measures))
        return max(b for b, _ in measures) + spread, max(d for _, d in measures) + spread
    if isinstance(expr, sympy.Mul):
        return sum(b for b, _ in measures), sum(d for _, d in measures)
    if isinstance(expr, sympy.Pow):
        (_, base), (exponent_big, _) = measures
        if exponent_big > 300:
            return math.inf, math.inf
        power = (
            abs(float(expr.exp)) if isinstance(expr.exp, sympy.Rational | sympy.Float) else 10**exponent_big
        )
        return base * power, base * power
    kind = "exp" if isinstance(expr, sympy.exp) else type(expr).__name__.lower()
    return _size_of_call(kind, measures)


def size(expr: sympy.Basic) -> float | None:
    """An upper bound on the digits of a number's size, ``|log10 |value||``, or None for an expression with a
    variable in it; computed from the tree alone, without evaluating anything.

    SymPy evaluates a number (an expression without variables) whenever something asks its sign, and mpmath's
    time grows with the size of the number: ``|cosh(cosh(865069))|`` never finished. Every number symcalc
    builds must have at most :data:`MAX_DIGITS` digits either way, ``exp(2000)`` included and ``exp(10^5)``
    (43,430 digits) not.

    >>> size(sympy.exp(sympy.Integer(2000))) < MAX_DIGITS < size(sympy.exp(sympy.Integer(10**5)))
    True
    """
    measured = _measure(expr)
    return None if measured is None else measured[1]


def _check_size(what: Callable[[], str], predicted: float | None) -> None:
    if predicted is not None and predicted > MAX_DIGITS:
        shown = f"about {predicted:,.0f}" if predicted < 1e15 else "more than 10^15"
        raise LimitError(
            f"{what()} is a number of {shown} digits; symcalc reads numbers of at most {MAX_DIGITS} "
            "digits (SymPy evaluates numbers, and its time grows with their size)"
        )


def exp(arg: sympy.Expr) -> sympy.Expr:
    """``exp(arg)``, refused when its value would pass :data:`MAX_DIGITS` digits; SymPy turns ``exp(n log 2)``
    into ``2^n``, so such terms get the power's magnitude check too."""
    measured = _measure(arg)
    _check_size(lambda: f"exp({_short(arg)})", None if measured is None else _grows(measured[0]))
    for term in sympy.Add.make_args(arg):
        coeff, rest = term.as_coeff_Mul()
        if isinstance(rest, sympy.log) and len(rest.args) == 1 and rest.args[0].is_number:
            _check_power(rest.args[0], coeff)
    return settle(sympy.exp(arg))


def _coefficient_digits(factor: sympy.Expr) -> float:
    """Digits of the numeric coefficient SymPy multiplies out of ``factor`` (the largest one of a sum's terms)."""
    if isinstance(factor, sympy.Add):
        return max(_coefficient_digits(term) for term in factor.args)
    coeff = factor.as_coeff_Mul()[0]
    return _digits(coeff) if isinstance(coeff, sympy.Rational | sympy.Float) else 0.0


def product(*factors: sympy.Expr) -> sympy.Expr:
    """The product of ``factors``, refusing an exact coefficient that would pass :data:`MAX_DIGITS` digits."""
    digits = sum(_coefficient_digits(f) for f in factors)
    if digits > MAX_DIGITS:
        raise LimitError(
            f"a product of numbers with about {digits:,.0f} digits; symcalc reads exact numbers of at most "
            f"{MAX_DIGITS} digits"
        )
    return settle(sympy.Mul(*factors))


def quotient(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Expr:
    """``numerator / denominator`` under the same checks as :func:`product`."""
    return product(numerator, power(denominator, sympy.S.NegativeOne))


def number(text: str, source: str | None = None, position: int | None = None) -> sympy.Expr:
    """A number as written (``12``, ``1.5``, ``.5``, ``6.02e23``), checked before it is built.

    Whole numbers and decimals are exact (``1.5`` is ``3/2``); a number with an exponent is a ``Float``. A
    number whose written-out form would have more than :data:`MAX_DIGITS` digits is refused:
    ``1e999999`` would take SymPy minutes to build, and Python refuses to print an integer of 4,300 digits.
    """
    m = _NUMBER.fullmatch(text)
    if m is None or not (m.group("int") or m.group("frac")):
        raise ParseError(f"{text!r} is not a number", source, position)
    whole, fraction, power10 = m.group("int") or "", m.group("frac") or "", m.group("exp")
    digits = len(whole.lstrip("0")) + len(fraction)
    if power10 is not None:
        magnitude = power10.lstrip("+-").lstrip("0")
        if len(magnitude) > len(str(MAX_DIGITS)) or int(magnitude or 0) + digits > MAX_DIGITS:
            raise LimitError(
                f"the number {_short_text(text)} would have more than {MAX_DIGITS} digits written out; "
                f"symcalc reads numbers of at most {MAX_DIGITS} digits",
            )
    elif digits > MAX_DIGITS:
        raise LimitError(
            f"the number {_short_text(text)} has {digits} digits; symcalc reads numbers of at most {MAX_DIGITS}"
        )
    if power10 is not None:
        return sympy.Float(text)
    if not fraction:
        return settle(sympy.Integer(int(whole)))
    if len(text) > 30:
        return sympy.Float(text)  # a long decimal keeps its digits as precision rather than a huge fraction
    return sympy.Rational(int(whole + fraction), 10 ** len(fraction))


def _short_text(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} characters)"


def _short(value: sympy.Expr) -> str:
    if isinstance(value, sympy.Float):
        return str(sympy.Float(value, 4))
    if isinstance(value, sympy.Rational) and not isinstance(value, sympy.Integer) and _digits(value) <= 18:
        return f"({value})"
    if isinstance(value, sympy.Integer) and _int_digits(int(value)) > 18:
        return f"(a number of about {_short_digits(math.log10(_int_digits(int(value)) + 1))} digits)"
    if isinstance(value, sympy.Rational) and _digits(value) > 18:
        return f"(a fraction of about {_digits(value):,.0f} digits)"
    text = str(value)
    return text if len(text) <= 20 else f"{text[:8]}...({len(text)} characters)"


def factorial(arg: sympy.Expr) -> sympy.Expr:
    """``arg!``, computed exactly only up to :data:`MAX_FACTORIAL`."""
    if arg.is_Integer and int(arg) > MAX_FACTORIAL:
        raise LimitError(
            f"factorial({_short(arg)}) is too large; symcalc computes n! for n <= {MAX_FACTORIAL}"
        )
    if arg.is_number and not arg.is_Integer:
        raise ParseError(f"factorial needs a whole number or a symbol, not {arg}")
    return sympy.factorial(arg)


#: Highest order of ``polygamma(n, x)`` read (the n-th derivative of digamma); each derivative adds one.
MAX_POLYGAMMA_ORDER = 50


def _gamma_argument(name: str, arg: sympy.Expr) -> None:
    """Refuse a number too large for the gamma family before SymPy computes it: ``gamma(n)`` is ``(n-1)!`` and
    ``digamma(n)`` a harmonic sum, both exact, so a number's size is bounded as the factorial's is."""
    if not arg.is_number:
        return
    measured = _measure(arg)
    if measured is not None and measured[0] > math.log10(MAX_FACTORIAL):
        raise LimitError(
            f"{name}({_short(arg)}) is too large; symcalc applies {name} to numbers of size at most {MAX_FACTORIAL}"
        )


def gamma(arg: sympy.Expr) -> sympy.Expr:
    """The gamma function, :math:`\\Gamma(n) = (n-1)!`, with numbers bounded as :func:`factorial` bounds them."""
    _gamma_argument("gamma", arg)
    return sympy.gamma(arg)


def loggamma(arg: sympy.Expr) -> sympy.Expr:
    """:math:`\\log \\Gamma(x)` (real for x > 0), with numbers bounded as :func:`gamma` bounds them."""
    _gamma_argument("loggamma", arg)
    if arg.is_number and arg.is_negative:
        raise ParseError(f"loggamma({_short(arg)}) is a complex number: loggamma is real for x > 0")
    return sympy.loggamma(arg)


def polygamma(order: sympy.Expr, arg: sympy.Expr) -> sympy.Expr:
    """``polygamma(n, x)``, the n-th derivative of digamma (``polygamma(0, x)`` is digamma, the derivative of
    ``log(gamma(x))``); the order is a whole number from 0 to :data:`MAX_POLYGAMMA_ORDER`."""
    if not (order.is_Integer and 0 <= int(order) <= MAX_POLYGAMMA_ORDER):
        raise ParseError(
            f"polygamma(n, x) needs a whole number n from 0 to {MAX_POLYGAMMA_ORDER} as its order, not {_short(order)}"
        )
    _gamma_argument("polygamma", arg)
    measured = _measure(arg) if arg.is_number else None
    if measured is not None and 0.44 * (int(order) + 1) * 10 ** measured[0] > MAX_DIGITS:
        raise LimitError(
            f"polygamma({order}, {_short(arg)}) is an exact number of more than {MAX_DIGITS} digits; symcalc "
            "reads exact numbers of at most that many"
        )
    return sympy.polygamma(order, arg)


def digamma(arg: sympy.Expr) -> sympy.Expr:
    """The digamma function, ``polygamma(0, x)``: SymPy writes it that way."""
    return polygamma(sympy.S.Zero, arg)


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
    "exp": _one(exp),
    "ln": _one(sympy.log),
    "log": _arity(_log, 1, 2),
    "sqrt": _one(lambda a: power(a, sympy.S.Half)),
    "cbrt": _one(lambda a: power(a, sympy.Rational(1, 3))),
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
    # special functions: the Gaussian error function (GELU, the normal CDF) and the gamma family (statistics)
    "erf": _one(sympy.erf),
    "erfc": _one(sympy.erfc),
    "gamma": _one(gamma),
    "loggamma": _one(loggamma),
    "digamma": _one(digamma),
    "polygamma": _arity(polygamma, 2, 2),
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
FUNCTIONS["Gamma"] = FUNCTIONS["gamma"]
FUNCTIONS["Γ"] = FUNCTIONS["gamma"]

#: Names that are a function directly before a bracket (``gamma(x)``, ``Γ(x)``) and a Greek letter anywhere
#: else (``gamma*x``, ``gamma x``, the discount factor ``gamma``): never called without a bracket.
GREEK_FUNCTIONS = frozenset({"gamma", "Gamma", "Γ"})

#: Functions SymPy has (and prints) that symcalc does not support, with what each is: before a bracket they are
#: refused, never read as a product of a variable and the bracket (``beta(x)`` was ``beta*x``).
UNSUPPORTED_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(("beta", "Beta"), "the beta function"),
    **dict.fromkeys(("zeta", "dirichlet_eta", "stieltjes"), "a zeta function"),
    **dict.fromkeys(("lowergamma", "uppergamma", "multigamma", "trigamma"), "a gamma-family function"),
    **dict.fromkeys(("erfi", "erf2", "erfinv", "erfcinv", "erf2inv"), "an error-function variant"),
    **dict.fromkeys(
        ("besselj", "bessely", "besseli", "besselk", "hankel1", "hankel2", "jn", "yn", "airyai", "airybi",
         "airyaiprime", "airybiprime"),
        "a Bessel or Airy function",
    ),
    **dict.fromkeys(
        ("Ei", "Si", "Ci", "Shi", "Chi", "li", "Li", "expint", "fresnels", "fresnelc", "polylog",
         "lerchphi", "LambertW", "hyper", "meijerg", "appellf1", "elliptic_k", "elliptic_e", "elliptic_f",
         "elliptic_pi", "mathieus", "mathieuc", "sinc", "atan2", "Ynm", "Znm"),
        "a special function",
    ),
    **dict.fromkeys(
        ("legendre", "assoc_legendre", "chebyshevt", "chebyshevu", "hermite", "laguerre", "assoc_laguerre",
         "jacobi", "gegenbauer"),
        "an orthogonal polynomial",
    ),
    **dict.fromkeys(
        ("binomial", "factorial2", "subfactorial", "RisingFactorial", "FallingFactorial", "rf", "ff",
         "harmonic", "bernoulli", "fibonacci", "lucas", "catalan", "euler", "floor", "ceiling", "frac", "Mod",
         "gcd", "lcm", "re", "im", "arg", "conjugate", "root", "real_root", "DiracDelta", "KroneckerDelta",
         "Piecewise", "Integral", "Sum", "Product", "Limit", "Derivative", "Subs", "exp_polar", "Lambda"),
        "a SymPy function",
    ),
}  # fmt: skip

#: Functions that can be written without parentheses (``sin x``) and with a power (``sin^2 x``).
TRIG_LIKE = frozenset(
    n
    for n in FUNCTIONS
    if n not in {"max", "min", "Max", "Min", "logsumexp", "factorial", "log", "σ", "polygamma"}
    and n not in GREEK_FUNCTIONS
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
    measures = [_measure(a) for a in args]
    if all(m is not None for m in measures):
        kind = {"sigma": "sigmoid", "σ": "sigmoid"}.get(name, name)
        _check_size(
            lambda: f"{name}({', '.join(_short(a) for a in args)})",
            _size_of_call(kind, [m for m in measures if m is not None])[1],
        )
    try:
        return settle(f(*args))
    except OverflowError:
        raise LimitError(f"{name} of these arguments is too large to evaluate") from None
    except (ParseError, LimitError) as err:
        if isinstance(err, ParseError) and err.source is None:
            raise ParseError(err.reason, source, position) from None
        raise


def derivative_request(body: sympy.Basic, var: sympy.Basic, order: int) -> sympy.Derivative:
    """``d^order/dvar^order body``, unevaluated; ``d/dx d/dx f`` is one request of order 2, and
    ``d/dx d/dy f`` a mixed one."""
    if not isinstance(var, sympy.Symbol):
        raise ParseError(f"cannot differentiate with respect to {var}; the variable must be a name")
    if isinstance(body, sympy.Derivative):
        counts = dict(body.variable_count)
        counts[var] = counts.get(var, 0) + order
        return sympy.Derivative(body.expr, *counts.items())
    return sympy.Derivative(body, (var, order))


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


def check_numbers(expr: sympy.Basic) -> None:
    """Refuse a result holding an exact number of more than :data:`MAX_DIGITS` digits, or a decimal beyond
    ``10^MAX_DIGITS``: the checks on each power and product keep them out, this makes sure of it."""
    for atom in expr.atoms(sympy.Rational, sympy.Float):
        if isinstance(atom, sympy.Rational):
            too_big = max(abs(int(atom.p)), int(atom.q)) >= _TOO_MANY_DIGITS
        else:
            too_big = _digits(atom) > MAX_DIGITS
        if too_big:
            raise LimitError(f"the expression holds a number of more than {MAX_DIGITS} digits")


def check_result(expr: sympy.Basic, source: str) -> sympy.Basic:
    """Final checks every parse goes through: depth, the size of numbers, and no undefined values (1/0)."""
    if tree_depth(expr) > MAX_TREE_DEPTH:
        raise LimitError(f"the expression is nested more than {MAX_TREE_DEPTH} levels deep")
    check_numbers(expr)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError(
            "the expression is undefined (a division by zero or an infinite value)", source, None
        )
    return expr
