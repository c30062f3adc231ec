"""The LaTeX parser: a checked pre-pass, latex2sympy2_extended, then a rebuild through the whitelist.

latex2sympy2_extended returns unevaluated trees and misreads several things SymPy itself prints
(``\\coth x`` as cot(h x), ``\\operatorname{asinh}`` rejected, ``\\log`` as base 10), so:

1. the pre-pass refuses commands outside a whitelist (with the position), bounds the nesting, reads a
   leading ``\\frac{d}{dx}`` itself, and rewrites ``\\operatorname{name}`` and the hyperbolic commands into a
   form the converter reads as a named function;
2. the converter builds a tree;
3. the rebuild walks that tree and rebuilds every node with evaluation on, through :mod:`symcalc.parse.build`
   (real symbols, the function whitelist, the limits on exact numbers), refusing anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from ..errors import LimitError, ParseError, SymcalcError, UnsupportedError
from ..variables import GREEK, real_symbol
from . import build as B

#: LaTeX commands the pre-pass lets through (besides Greek letters and the function names in FUNCTIONS).
_COMMANDS = frozenset(
    "frac dfrac tfrac sqrt left right cdot times div ln log exp lvert rvert vert mid operatorname mathrm "
    "text rm max min pi arcsin arccos arctan arccot arcsec arccsc sin cos tan cot sec csc sinh cosh tanh "
    "coth sech csch arsinh arcosh artanh arcsinh arccosh arctanh arccoth arcsech arccsch sigma cdotp "
    "quad qquad displaystyle textstyle bigl bigr Bigl Bigr big Big mathit".split()
) | frozenset(GREEK)
_SPACING = re.compile(r"\\[,;:! ]")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_NAMED = re.compile(r"\\(?:operatorname|mathrm|text|rm|mathit)\s*\{\s*([A-Za-z]+)\s*\}")
_BARE_HYPERBOLIC = re.compile(
    r"\\(coth|sech|csch|arsinh|arcosh|artanh|arccoth|arcsech|arccsch|arcoth)(?![A-Za-z])"
)
#: ``\mathrm{coth} x`` (no bracket) -> ``\mathrm{coth}(x)``; the argument is a number and/or a letter or command.
_BARE_NAMED_ARG = re.compile(
    r"\\mathrm\{([A-Za-z]+)\}\s*+(?![({]|\\left)((?:[0-9]+(?:\.[0-9]+)?)?\s*(?:[A-Za-z]|\\[A-Za-z]+)?)"
)
#: A function command the converter reads itself, with a braced argument (after an optional subscript/power).
_BRACED_CALL = re.compile(
    r"\\(?:arcsin|arccos|arctan|arccot|arcsec|arccsc|arsinh|arcosh|artanh|arcsinh|arccosh|arctanh|"
    r"sinh|cosh|tanh|sin|cos|tan|cot|sec|csc|ln|log|exp)(?![A-Za-z])"
    r"\s*(?:_\s*(?:\{[^{}]*\}|[0-9A-Za-z]))?\s*(?:\^\s*(?:\{[^{}]*\}|[0-9A-Za-z]))?\s*\{"
)
_SIGMA_CALL = re.compile(r"\\sigma(?=\s*(\\left\s*)?\()")
#: ``\gamma`` and a bare ``\Gamma`` are letters; the converter reads them as Euler's constant, and ``\gamma(x)`` as
#: the gamma function, so symcalc holds them as symbols before it converts.
_GAMMA_LETTER = re.compile(
    r"\\(gamma|Gamma)(?![A-Za-z])(\s*_\s*(?:\{\s*[A-Za-z0-9]+\s*\}|[A-Za-z0-9]))?(?=(\s*(?:\(|\\left))?)"
)
#: ``\Gamma(x)`` (as ``sympy.latex`` prints the gamma function) is read by symcalc, with its limits: the converter
#: alone computes ``\Gamma(10^6)`` as a factorial of 5.5 million digits.
_GAMMA_CALL = re.compile(r"\\Gamma(?=\s*(?:\^\s*(?:\{[^{}]*\}|[0-9]))?\s*(?:\\left\s*)?\()")
#: A function application latex2sympy2_extended misreads (it takes ``\mathrm{coth}(x+1)`` as a product):
#: symcalc reads the name, the optional power and the argument itself.
_APPLICATION = re.compile(r"\\mathrm\{([A-Za-z]+)\}|(?<![A-Za-z\\])([fghFGH])(?=\s*(\{\s*)?(\\left\s*)?\()")
_BARE_ARGUMENT = re.compile(
    r"\s*((?:[0-9]+(?:\.[0-9]+)?)?\s*(?:[A-Za-z]|\\[A-Za-z]+)?(?:\^(?:\{[^{}]*\}|[0-9A-Za-z]))?)"
)
_POWER = re.compile(r"\s*\^\s*(\{\s*(-?\s*[0-9]+)\s*\}|(-?[0-9]))")
_NATURAL_LOG = re.compile(r"\\log(?![A-Za-z])(?!\s*_)")
_SHORT_FRAC = re.compile(r"\\([dt]?frac)\s*([0-9])\s*([0-9])")
_HEAVISIDE = re.compile(r"\\theta\s*\\left\s*\(")
_NAME = r"[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?|\\[A-Za-z]+"
_ORDER = r"\^\s*\{?\s*([0-9])\s*\}?"
#: ``\frac{d}{dx}``, ``\frac{d^2}{dx^2}``, ``\frac{\partial}{\partial x}`` in front of an expression.
_REQUEST = re.compile(
    rf"\s*\\[dt]?frac\s*\{{\s*(d|\\partial)\s*(?:{_ORDER})?\s*\}}\s*"
    rf"\{{\s*(?:d|\\partial)\s*({_NAME})\s*(?:{_ORDER})?\s*\}}"
)
#: ``d/dx`` written as in plain text, in front of LaTeX: ``d/dx \sin x``.
_TEXT_REQUEST = re.compile(rf"\s*(d)\s*(?:{_ORDER})?\s*/\s*d\s*({_NAME})\s*(?:{_ORDER})?(?![A-Za-z])")
#: Leibniz's ``\frac{dy}{dx}`` (a name on top): a request when it is the whole input, refused inside one.
_LEIBNIZ = re.compile(
    rf"\\[dt]?frac\s*\{{\s*(d|\\partial)\s*(?:{_ORDER})?\s*({_NAME})?\s*\}}\s*"
    rf"\{{\s*(?:d|\\partial)\s*({_NAME})\s*(?:{_ORDER})?\s*\}}"
)
#: ``d/dx`` inside an expression (a derivative that is not in front).
_STRAY_TEXT_REQUEST = re.compile(
    r"(?<![A-Za-z\\_])d\s*(?:\^\s*\{?\s*[0-9]\s*\}?)?\s*/\s*d\s*(?:[A-Za-z]|\\[A-Za-z])"
)
#: A differential: ``\,dx`` (as after an integral) or an upright ``\mathrm{d}x``.
_DIFFERENTIAL = re.compile(
    r"(?:\\[,;:]\s*d|\\(?:mathrm|operatorname|text|rm)\s*\{\s*d\s*\})\s*(?:[A-Za-z]|\\[A-Za-z])"
)
#: Everywhere else ``d`` is a letter; the converter would glue it to what follows (``d t`` -> the symbol dt),
#: so it is braced before the converter sees it. Command names (``\cdot``, ``\ddot``) are skipped.
_LETTER_D = re.compile(r"\\[A-Za-z]+|d(?=\s*(?:[A-Za-z]|\\[A-Za-z]))")
#: Numbers the converter builds: digits (with its thousands commas), a decimal part, an ``E`` exponent.
_LATEX_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]*)?(?:E[-+]?[0-9]+)?|\.[0-9]+(?:E[-+]?[0-9]+)?")
_LATEX_NAMES = {
    "sigma": "sigmoid",
    "text{sigma}": "sigmoid",
    "heaviside": "heaviside",
    "arsinh": "asinh",
    "arcosh": "acosh",
    "artanh": "atanh",
    "arcoth": "acoth",
    "relu": "relu",
    "softplus": "softplus",
    "sigmoid": "sigmoid",
    "sgn": "sign",
    "ReLU": "relu",
    "Heaviside": "heaviside",
}
#: Undefined functions (``f(x)``) are kept only under these names; other letters before a bracket multiply.
UNDEFINED_FUNCTION_NAMES = frozenset("f g h F G H".split())
#: Deepest chain of powers accepted in LaTeX: the converter's time grows steeply past it (12 took 0.5 s).
MAX_POWER_CHAIN = 8


def _check_source(source: str) -> None:
    for i, ch in enumerate(source):
        if ch == ";" and i > 0 and source[i - 1] == "\\":
            continue  # \; is a space
        if ch in "'\"`$%#&@;?" and not (i > 0 and source[i - 1] == "\\" and ch in "%$#&"):
            raise ParseError(f"unexpected character {ch!r} in LaTeX", source, i)
        if ch in "%$#&":
            raise ParseError(f"unexpected character {ch!r} in LaTeX", source, i)
    for m in _COMMAND.finditer(source):
        name = m.group(1)
        if name not in _COMMANDS and name not in B.FUNCTIONS:
            if name in ("int", "iint", "oint", "lim", "sum", "prod", "infty", "in", "partial", "nabla"):
                raise UnsupportedError(
                    f"'\\{name}' at position {m.start()}: symcalc reads expressions to differentiate, "
                    f"not integrals, limits, sums, sets or operators"
                )
            raise ParseError(f"unknown or unsupported LaTeX command '\\{name}'", source, m.start())
    for m in _NAMED.finditer(source):
        name = m.group(1)
        if name not in B.FUNCTIONS and name not in _LATEX_NAMES and name != "e" and len(name) > 1:
            raise ParseError(f"unknown function '{name}'", source, m.start(1))
    if _power_depth(source) > MAX_POWER_CHAIN:
        raise LimitError(
            f"powers are chained more than {MAX_POWER_CHAIN} deep (x^x^x^...); deeper chains take the LaTeX "
            "converter seconds"
        )
    depth = 0
    for i, ch in enumerate(source):
        if ch in "{([":
            depth += 1
            if depth > B.MAX_LATEX_NESTING:
                raise LimitError(
                    f"LaTeX brackets are nested more than {B.MAX_LATEX_NESTING} deep (at position {i}); "
                    "deeper input takes the LaTeX converter seconds"
                )
        elif ch in "})]":
            depth -= 1
            if depth < 0:
                raise ParseError(f"unbalanced {ch!r}", source, i)
    if depth > 0:
        raise ParseError("an opening bracket or brace is never closed", source, len(source))


def _power_depth(text: str) -> int:
    """How deeply powers are chained: ``x^2`` is 1, ``x^{y^z}`` and ``x^y^z`` are 2."""
    best, i = 0, 0
    while i < len(text):
        if text[i] == "^":
            depth, i = _power_chain(text, i)
            best = max(best, depth)
        else:
            i += 1
    return best


def _power_chain(text: str, i: int) -> tuple[int, int]:
    i += 1
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        close = _matching(text, i, "{", "}", text)
        depth, i = 1 + _power_depth(text[i + 1 : close]), close + 1
    elif i < len(text) and text[i] == "\\":
        i += 1
        while i < len(text) and text[i].isalpha():
            i += 1
        depth = 1
    else:
        depth, i = 1, i + 1
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "^":
        more, i = _power_chain(text, i)
        depth += more
    return depth, i


def _bracket_braced_arguments(text: str) -> str:
    """``\\sin{\\left(x \\right)} x`` -> ``\\sin\\left(\\left(x \\right)\\right) x``: braces end a function's argument.

    latex2sympy2_extended reads a braced argument as the start of a longer one, so ``\\sin{(x)} x`` became
    sin(x^2) and ``\\sin{(x)} (x+1)^2`` sin(x (x+1)^2); in brackets the argument ends where the braces do.
    """
    out: list[str] = []
    pos = 0
    while (m := _BRACED_CALL.search(text, pos)) is not None:
        open_at = m.end() - 1
        close = _matching(text, open_at, "{", "}", text)
        out.append(text[pos:open_at])
        out.append(r"\left(" + text[open_at + 1 : close] + r"\right)")
        pos = close + 1
    out.append(text[pos:])
    return "".join(out)


def _normalise(latex: str) -> str:
    text = _SPACING.sub(" ", latex)
    text = _NAMED.sub(lambda m: "e" if m.group(1) == "e" else rf"\mathrm{{{m.group(1)}}}", text)
    text = _BARE_HYPERBOLIC.sub(lambda m: rf"\mathrm{{{m.group(1)}}}", text)
    text = _NATURAL_LOG.sub(r"\\ln", text)
    text = _bracket_braced_arguments(text)
    text = _SHORT_FRAC.sub(r"\\frac{\2}{\3}", text)
    text = _HEAVISIDE.sub(r"\\mathrm{heaviside}\\left(", text)
    text = _GAMMA_CALL.sub(r"\\mathrm{gamma}", text)
    return _SIGMA_CALL.sub(r"\\mathrm{sigmoid}", text)


#: A whole input the converter would read as one number with thousands commas (through ``sympify``).
_COMMA_NUMBER = re.compile(r"\s*-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?\s*")


@lru_cache(maxsize=1)
def _converter() -> Callable[[str], Any]:
    """latex2sympy2_extended's converter, with its numbers built by :func:`symcalc.parse.build.number`.

    The converter builds each number with ``sympy.Number(text)``, which hands the text to ``sympify`` and so
    to ``eval``. The text is only digits there, but a string from a user never reaches ``eval`` in symcalc
    (STYLE trap 5), and the magnitude check belongs before the number is built, so the one method that does
    it is replaced.
    """
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig, _Latex2Sympy
    from latex2sympy2_extended.math_normalization import NormalizationConfig, normalize_latex

    class _CheckedNumbers(_Latex2Sympy):  # type: ignore[misc]
        def parse_number(self, text: str) -> sympy.Expr:
            digits = text.replace(",", "").lstrip("0")
            return B.number(digits if digits[:1].isdigit() else "0" + digits)

    config = ConversionConfig(lowercase_symbols=False)
    normalisation = NormalizationConfig()

    def convert(text: str) -> Any:
        if _COMMA_NUMBER.fullmatch(text):
            raise ParseError(
                "a number with commas is ambiguous (1,000 or 1,5?); write it without them", text, None
            )
        return _CheckedNumbers(None, None, False, config=config).parse(normalize_latex(text, normalisation))

    return convert


def _requests(source: str) -> tuple[list[tuple[str, str, int]], int]:
    """The derivative requests in front (``\\frac{d}{dx} \\frac{d}{dx} x`` has two), and where the body starts.

    Each request is (the variable as written, where it is, the order)."""
    requests: list[tuple[str, str, int]] = []
    i = 0
    while (m := _REQUEST.match(source, i) or _TEXT_REQUEST.match(source, i)) is not None:
        _kind, top, var, bottom = m.groups()
        if (top or "1") != (bottom or "1"):
            raise ParseError("the orders in d^n/dx^n do not match", source, m.start())
        requests.append((var, source[m.start(3) :], int(top or 1)))
        i = m.end()
    return requests, i


def _check_differentials(body: str, whole: bool) -> None:
    """``d`` is a differential only in front (``\\frac{d}{dx}``) or in ``\\,dx``; a derivative or a differential
    inside an expression is refused, never read as a product of letters."""
    m = _DIFFERENTIAL.search(body)
    if m is not None:
        raise UnsupportedError(
            f"'{m.group().strip()}' at position {m.start()} is a differential, as in an integral; symcalc "
            "differentiates (put \\frac{d}{dx} in front). Elsewhere d is a letter: write d \\cdot x for a product"
        )
    for m in _LEIBNIZ.finditer(body):
        if not (whole and m.group(3) and not body[: m.start()].strip() and not body[m.end() :].strip()):
            raise UnsupportedError(
                f"a derivative '{m.group()}' inside an expression (at position {m.start()}) is not read; put "
                "\\frac{d}{dx} in front of the whole expression"
            )
    m = _STRAY_TEXT_REQUEST.search(body)
    if m is not None:
        raise ParseError(
            "d/dx stands only at the start, as in d/dx \\sin x; a derivative inside an expression is not read",
            body,
            m.start(),
        )


def _check_numbers(body: str) -> None:
    """Every number the converter would build gets the magnitude check first (``1E999999`` took 30 s)."""
    for m in _LATEX_NUMBER.finditer(body):
        B.number(m.group().replace(",", ""), body, m.start())


def parse_latex_tree(source: str, conv: B.Conventions) -> sympy.Basic:
    """Parse LaTeX into a SymPy expression, an ``Eq`` or a ``Derivative`` request."""
    requests, start = _requests(source)
    body = " " * start + source[start:]
    if requests and not body.strip():
        raise ParseError("a derivative request needs an expression after it", source, len(source))
    _check_source(body)
    _check_differentials(body, whole=True)
    _check_numbers(body)
    leibniz = _LEIBNIZ.fullmatch(body.strip())
    if leibniz is not None:
        _kind, top, name, var, bottom = leibniz.groups()
        if (top or "1") != (bottom or "1"):
            raise ParseError("the orders in d^n y/dx^n do not match", source, 0)
        requests.append((var, var, int(top or 1)))
        body = name
    result = _Reader(source, conv).read(_normalise(body), top=True)
    for var, _where, order in reversed(requests):
        result = B.derivative_request(result, B.name_to_atom(_symbol_name(var.lstrip("\\")), conv), order)
    return result


def _symbol_name(name: str) -> str:
    """``x_{10}`` -> ``x_10``; ``\\alpha`` -> ``alpha``."""
    name = name.replace("\\", "").replace("{", "").replace("}", "").replace(" ", "")
    return name


def _by_name(name: str) -> Callable[..., sympy.Expr]:
    return lambda *args: B.call(name, args)


#: The one-argument functions the converter builds itself, rebuilt through the whitelist by their names.
_UNARY: dict[Any, Callable[..., sympy.Expr]] = {
    f: _by_name(f.__name__)
    for f in (
        sympy.exp, sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc,
        sympy.asin, sympy.acos, sympy.atan, sympy.acot, sympy.asec, sympy.acsc,
        sympy.sinh, sympy.cosh, sympy.tanh, sympy.coth, sympy.sech, sympy.csch,
        sympy.asinh, sympy.acosh, sympy.atanh, sympy.acoth, sympy.asech, sympy.acsch,
        sympy.Abs, sympy.sign, sympy.factorial, sympy.erf, sympy.erfc, sympy.gamma, sympy.loggamma,
    )
}  # fmt: skip


class _Reader:
    """Reads normalised LaTeX: named function applications by itself, the rest through latex2sympy2_extended,
    then rebuilds the tree with evaluation on, through the whitelist."""

    def __init__(self, source: str, conv: B.Conventions) -> None:
        self.source = source
        self.conv = conv
        self.placeholders: dict[str, sympy.Expr] = {}

    def read(self, text: str, top: bool = False) -> Any:
        text = self.extract_applications(text)
        text = _GAMMA_LETTER.sub(
            lambda m: self.hold(self.symbol(m.group(1) + (m.group(2) or "")), braced=bool(m.group(3))), text
        )
        text = _LETTER_D.sub(lambda m: m.group() if m.group().startswith("\\") else "{d}", text)
        convert = _converter()
        try:
            raw = convert(text)
        except SymcalcError as err:
            if isinstance(err, ParseError):
                raise ParseError(err.reason, self.source, None) from None
            raise
        except RecursionError:
            raise LimitError("the LaTeX input is nested too deeply") from None
        except Exception as err:  # the converter raises bare Exceptions with a caret picture
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ParseError(f"could not read the LaTeX: {reason}", self.source, None) from None
        if B.tree_depth(raw) > B.MAX_TREE_DEPTH:
            raise LimitError(f"the expression is nested more than {B.MAX_TREE_DEPTH} levels deep")
        return self.top(raw) if top else self.expr(raw)

    def extract_applications(self, text: str) -> str:
        """Replace each named function application by a placeholder symbol holding its parsed value."""
        out: list[str] = []
        pos = 0
        while True:
            m = _APPLICATION.search(text, pos)
            if m is None:
                out.append(text[pos:])
                return "".join(out)
            name = m.group(1) or m.group(2)
            end = m.end()
            exponent = None
            pm = _POWER.match(text, end)
            if pm and m.group(1):
                exponent = int((pm.group(2) or pm.group(3)).replace(" ", ""))
                end = pm.end()
            argument, end = _take_argument(text, end, self.source)
            args = [self.read(a) for a in _split_commas(argument)]
            value = self.apply(name, args, exponent)
            key = f"Z_{{{len(self.placeholders) + 9000}}}"
            self.placeholders[key.replace("{", "").replace("}", "")] = value
            out.append(text[pos : m.start()])
            out.append(f" {key} ")
            pos = end

    def hold(self, value: sympy.Expr, braced: bool) -> str:
        """A placeholder symbol for ``value``; braced before a bracket, so that the converter reads it as a
        factor rather than a function (a lone braced symbol would be a set)."""
        key = f"Z_{{{len(self.placeholders) + 9000}}}"
        self.placeholders[key.replace("{", "").replace("}", "")] = value
        return f"{{{key}}}" if braced else f" {key} "

    def apply(self, name: str, args: list[sympy.Expr], exponent: int | None) -> sympy.Expr:
        name = _LATEX_NAMES.get(name, name)
        if exponent == -1:
            inverse = B.inverse_of(name)
            if inverse is None:
                raise ParseError(
                    f"{name}^{{-1}} is ambiguous; write the inverse function by name", self.source, None
                )
            return inverse(*args)
        if name in B.FUNCTIONS:
            value = B.call(name, args, source=self.source)
        elif name in UNDEFINED_FUNCTION_NAMES:
            value = sympy.Function(name, real=True)(*args)
        else:
            raise ParseError(f"unknown function '{name}'", self.source, None)
        return value if exponent is None else B.power(value, sympy.Integer(exponent))

    def top(self, node: sympy.Basic) -> sympy.Basic:
        if isinstance(node, sympy.Equality):
            return sympy.Eq(self.expr(node.lhs), self.expr(node.rhs), evaluate=False)
        if isinstance(node, sympy.Derivative):
            var, order = node.variable_count[0]
            return sympy.Derivative(self.expr(node.expr), (self.expr(var), int(order)))
        return self.expr(node)

    def expr(self, node: Any) -> sympy.Expr:
        return B.settle(self._expr(node))

    def _expr(self, node: Any) -> sympy.Expr:
        if isinstance(node, sympy.Symbol):
            return self.symbol(node.name)
        if isinstance(node, sympy.Float):
            return sympy.Rational(str(node)) if abs(node) < 1e15 else node
        if node is sympy.zoo or node is sympy.nan:
            raise ParseError("the expression is undefined (a division by zero)", self.source, None)
        if node is sympy.EulerGamma:  # the converter reads a bare \Gamma as Euler's constant: it is a letter
            return self.symbol("Gamma")
        if isinstance(node, sympy.Number) or node in (sympy.E, sympy.pi):
            if node.has(sympy.zoo, sympy.oo, sympy.nan) or node in (sympy.oo, -sympy.oo):
                raise UnsupportedError("infinity is not a value symcalc differentiates")
            return node
        if isinstance(node, sympy.Add):
            return sympy.Add(*[self.expr(a) for a in node.args])
        if isinstance(node, sympy.Mul):
            return self.mul(node)
        if isinstance(node, sympy.Pow):
            letter = self.letter_before_bracket(node.base)
            if letter is not None:  # x(p)^k: the converter took x(p) for a call; the power is p's alone
                return B.product(letter, B.power(self.expr(node.base.args[0]), self.expr(node.exp)))
            base, exponent = self.expr(node.base), self.expr(node.exp)
            if base == sympy.E:
                return B.exp(exponent)
            return B.power(base, exponent)
        if isinstance(node, sympy.log):
            args = [self.expr(a) for a in node.args]
            return sympy.log(args[0]) if len(args) == 1 else B.log_base(args[0], args[1])
        if isinstance(node, sympy.Max | sympy.Min):
            return type(node)(*[self.expr(a) for a in node.args])
        if isinstance(node, sympy.Heaviside):
            return sympy.Heaviside(*[self.expr(a) for a in node.args])
        func = _UNARY.get(type(node))
        if (
            isinstance(node, sympy.factorial)
            and (letter := self.letter_before_bracket(node.args[0])) is not None
        ):
            return B.product(letter, B.factorial(self.expr(node.args[0].args[0])))  # x(p)! is x p!
        if func is not None:
            return func(*[self.expr(a) for a in node.args])
        if isinstance(node, AppliedUndef):
            return self.applied(node)
        if isinstance(node, sympy.Derivative):
            raise UnsupportedError("a derivative inside an expression is not supported; put d/dx in front")
        if not isinstance(node, sympy.Expr):
            raise ParseError(
                f"this is not an expression symcalc reads (it reads as a {type(node).__name__})",
                self.source,
                None,
            )
        raise UnsupportedError(f"symcalc does not support {type(node).__name__} in its input")

    def mul(self, node: sympy.Mul) -> sympy.Expr:
        return B.product(*[self.expr(a) for a in node.args])

    def symbol(self, name: str) -> sympy.Expr:
        clean = _symbol_name(name)
        if clean in self.placeholders:
            return self.placeholders[clean]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?", clean):
            raise ParseError(
                f"'{name}' is not a name symcalc reads (letters, digits, one subscript)", self.source, None
            )
        if clean in ("E", "I") and not self.conv.is_declared(clean):
            return real_symbol(clean)
        return B.name_to_atom(clean, self.conv)

    def letter_before_bracket(self, node: sympy.Basic) -> sympy.Expr | None:
        """The letter of ``x(p)``, which the converter reads as a call of x, when it is a product."""
        if not isinstance(node, AppliedUndef) or len(node.args) != 1:
            return None
        name = _symbol_name(node.func.__name__)
        if name in B.GREEK_FUNCTIONS:
            return self.symbol(name)  # \gamma(p) is the letter gamma times p; the gamma function is \Gamma(p)
        if name in UNDEFINED_FUNCTION_NAMES or _LATEX_NAMES.get(name, name) in B.FUNCTIONS:
            return None
        if name in B.UNSUPPORTED_FUNCTIONS and not self.conv.is_declared(name):
            return None  # refused by applied()
        if len(name) == 1 or name in GREEK:
            return self.symbol(name)
        return None

    def applied(self, node: AppliedUndef) -> sympy.Expr:
        raw = node.func.__name__
        name = _symbol_name(raw.replace("\\text{", "").replace("\\mathrm{", ""))
        args = [self.expr(a) for a in node.args]
        name = _LATEX_NAMES.get(name, name)
        if name in B.GREEK_FUNCTIONS and len(args) == 1:  # \gamma(p) is a letter; the function is \Gamma(p)
            return B.product(self.symbol(name), args[0])
        if name in B.FUNCTIONS:
            return B.call(name, args, source=self.source)
        if name in UNDEFINED_FUNCTION_NAMES:
            return sympy.Function(name, real=True)(*args)
        what = B.UNSUPPORTED_FUNCTIONS.get(name)
        if what is not None and not self.conv.is_declared(name):
            raise ParseError(
                f"\\{name}(...) is {what} in SymPy, which symcalc does not support; write \\{name} \\cdot (...) "
                "for a product, or declare it as a variable",
                self.source,
                None,
            )
        if len(args) == 1 and (len(name) == 1 or name in GREEK):
            return B.product(self.symbol(name), args[0])
        raise ParseError(f"unknown function '{name}'", self.source, None)


def _take_argument(text: str, start: int, source: str) -> tuple[str, int]:
    """The argument after a function name: a bracketed group, a braced group, or a bare factor (``2x``)."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if text.startswith("{", i):
        close = _matching(text, i, "{", "}", source)
        inner = text[i + 1 : close].strip()
        if inner.startswith("\\left") or inner.startswith("("):
            return _strip_brackets(inner), close + 1
        return inner, close + 1
    if text.startswith("\\left", i) or text.startswith("(", i):
        open_at = text.index("(", i)
        close = _matching(text, open_at, "(", ")", source)
        end = close + 1
        return text[open_at + 1 : close].removesuffix("\\right").strip(), end
    m = _BARE_ARGUMENT.match(text, i)
    if m is None or not m.group(1).strip():
        raise ParseError("a function name needs an argument", source, None)
    return m.group(1), m.end()


def _strip_brackets(text: str) -> str:
    text = text.strip()
    if text.startswith("\\left"):
        text = text[len("\\left") :].lstrip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.removesuffix("\\right").strip()


def _matching(text: str, open_at: int, opening: str, closing: str, source: str) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == opening:
            depth += 1
        elif text[j] == closing:
            depth -= 1
            if depth == 0:
                return j
    raise ParseError(f"an opening {opening!r} is never closed", source, None)


def _split_commas(text: str) -> list[str]:
    """Split a function's arguments on the commas at the top level."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (q.strip() for q in parts)]
