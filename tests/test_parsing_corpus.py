"""Data-driven corpus for ``symcalc.parse`` / ``parse_text`` / ``parse_latex`` / ``parse_equation``.

Layout:

* ``LATEX_CASES``  (latex source, expected SymPy expression), read with ``sc.parse_latex``;
* ``TEXT_CASES``   (plain-text source, expected SymPy expression), read with ``sc.parse_text``;
* ``HOSTILE``      inputs that must raise a given symcalc error quickly and without side effects;
* ``BOUNDED``      inputs that may either parse or raise a ``SymcalcError``, but must do so quickly;
* focused tests for error positions, conventions and "no eval of user text".

Expected values are built with real symbols and ordinary (evaluating) SymPy arithmetic, so they are in
SymPy's canonical form and most cases are compared with exact ``==``. Cases wrapped in ``loose(...)`` are
compared with :func:`same` (``==`` or ``simplify(a - b) == 0``) because their form may legitimately differ.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from typing import NamedTuple

import pytest
import sympy

import symcalc as sc

x, y, z, a, b, n, r, w, theta = sympy.symbols("x y z a b n r w theta", real=True)
m, F, X = sympy.symbols("m F X", real=True)
alpha, beta = sympy.symbols("alpha beta", real=True)
x_1, x_2, x_10, w_10 = sympy.symbols("x_1 x_2 x_10 w_10", real=True)
x1, xy = sympy.symbols("x1 xy", real=True)

TIME_BUDGET = (
    1.0  # CPU seconds a hostile or bounded input may take (process time: a busy machine is not slow input)
)


class Loose(NamedTuple):
    """Marks an expected value that is compared with :func:`same` instead of ``==``."""

    expr: sympy.Basic


def loose(expr: sympy.Basic) -> Loose:
    return Loose(expr)


def same(left: sympy.Basic, right: sympy.Basic) -> bool:
    """True when the two expressions are equal structurally or mathematically."""
    if left == right:
        return True
    return sympy.simplify(left - right) == 0


def check(parsed: object, expected: sympy.Basic | Loose) -> None:
    assert isinstance(parsed, sympy.Basic), f"parser returned {type(parsed).__name__}, not a SymPy object"
    if isinstance(expected, Loose):
        assert same(parsed, expected.expr), f"got {parsed!r}, expected {expected.expr!r}"
    else:
        assert parsed == expected, f"got {parsed!r} ({sympy.srepr(parsed)}), expected {expected!r}"


def roundtrip(expr: sympy.Basic) -> tuple[str, sympy.Basic]:
    """A LaTeX case whose source is whatever ``sympy.latex`` prints for ``expr``."""
    return sympy.latex(expr), expr


# ---------------------------------------------------------------------------------------------------------
# LaTeX corpus
# ---------------------------------------------------------------------------------------------------------

ROUNDTRIP_FUNCTIONS = [
    sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc,
    sympy.asin, sympy.acos, sympy.atan, sympy.acot, sympy.asec, sympy.acsc,
    sympy.sinh, sympy.cosh, sympy.tanh, sympy.coth, sympy.sech, sympy.csch,
    sympy.asinh, sympy.acosh, sympy.atanh, sympy.acoth, sympy.asech, sympy.acsch,
    sympy.exp, sympy.log, sympy.sqrt, sympy.Abs, sympy.cbrt,
]  # fmt: skip

LATEX_HAND_WRITTEN: list[tuple[str, sympy.Basic | Loose]] = [
    # logarithms: \log is the natural log (SymPy's convention)
    (r"\log x", sympy.log(x)),
    (r"\ln x", sympy.log(x)),
    (r"\ln(x + 1)", sympy.log(x + 1)),
    (r"\log_{10} x", sympy.log(x, 10)),
    (r"\log_2 x", sympy.log(x, 2)),
    (r"\log_{2}(x)", sympy.log(x, 2)),
    # products with functions
    (r"x^2 \sin x", x**2 * sympy.sin(x)),
    (r"\sin(x) \cos(x)", sympy.sin(x) * sympy.cos(x)),
    # fractions, roots, powers
    (r"\frac{1}{x}", 1 / x),
    (r"\frac12", sympy.Rational(1, 2)),
    (r"\frac{x+1}{x-1}", (x + 1) / (x - 1)),
    (r"\frac{1}{2} x^2", x**2 / 2),
    (r"\sqrt{x}", sympy.sqrt(x)),
    (r"\sqrt{x^2 + y^2}", sympy.sqrt(x**2 + y**2)),
    (r"\sqrt[3]{x}", x ** sympy.Rational(1, 3)),
    (r"x^{2} + 2x + 1", x**2 + 2 * x + 1),
    (r"x^{-1}", 1 / x),
    (r"-x^2", -(x**2)),
    (r"2^{10}", sympy.Integer(1024)),
    (r"a^{b}", a**b),
    (r"\left(x + 1\right)^{2}", (x + 1) ** 2),
    (r"\left(x + 1\right)\left(x - 1\right)", (x + 1) * (x - 1)),
    # exponentials
    (r"e^{2x}", sympy.exp(2 * x)),
    (r"e^x", sympy.exp(x)),
    (r"\exp(x)", sympy.exp(x)),
    (r"\exp\left(-x^2\right)", sympy.exp(-(x**2))),
    (r"\exp(x) \cdot \sin(x)", sympy.exp(x) * sympy.sin(x)),
    # absolute value
    (r"\left|x\right|", sympy.Abs(x)),
    (r"|x - 1|", sympy.Abs(x - 1)),
    # powers of functions and inverse notation
    (r"\sin^2 x", sympy.sin(x) ** 2),
    (r"\sin^{2}(x)", sympy.sin(x) ** 2),
    (r"\sin^{-1} x", sympy.asin(x)),
    (r"\cos^{-1}(x)", sympy.acos(x)),
    # trigonometric and hyperbolic names
    (r"\tan x", sympy.tan(x)),
    (r"\sec x", sympy.sec(x)),
    (r"\arcsin x", sympy.asin(x)),
    (r"\arccos(x)", sympy.acos(x)),
    (r"\arctan x", sympy.atan(x)),
    (r"\arccot x", sympy.acot(x)),
    (r"\operatorname{arccot}(x)", sympy.acot(x)),
    (r"\operatorname{acot}(x)", sympy.acot(x)),
    (r"\sinh(x)", sympy.sinh(x)),
    (r"\cosh x", sympy.cosh(x)),
    (r"\tanh x", sympy.tanh(x)),
    (r"\coth x", sympy.coth(x)),  # not cot(h*x)
    (r"\operatorname{sech}(x)", sympy.sech(x)),
    (r"\operatorname{csch}(x)", sympy.csch(x)),
    (r"\operatorname{asinh}{\left(x \right)}", sympy.asinh(x)),
    # max / min
    (r"\max(0, x)", sympy.Max(0, x)),
    (r"\min(x, y)", sympy.Min(x, y)),
    # machine-learning functions
    (r"\sigma(x)", sc.sigmoid(x)),
    (r"\operatorname{softplus}(x)", sc.softplus(x)),
    (r"\operatorname{ReLU}(x)", sc.relu(x)),
    (r"\operatorname{ReLU}(x - 1)", sc.relu(x - 1)),
    (r"\frac{1}{1 + e^{-x}}", 1 / (1 + sympy.exp(-x))),
    (r"\log\left(1 + e^{x}\right)", sympy.log(1 + sympy.exp(x))),
    # multiplication operators
    (r"2 \cdot x", 2 * x),
    (r"a \times b", a * b),
    # subscripts and Greek letters
    (r"x_{1}", x_1),
    (r"x_1", x_1),
    (r"x_{10}", x_10),
    (r"x_{1} + x_{2}", x_1 + x_2),
    (r"\theta", theta),
    (r"\theta^2", theta**2),
    (r"\alpha", alpha),
    (r"\alpha x + \beta", alpha * x + beta),
    (r"\pi", sympy.pi),
    (r"2\pi r", 2 * sympy.pi * r),
    # LaTeX letter conventions: adjacent letters multiply, uppercase is kept
    (r"xy", x * y),
    (r"2xy", 2 * x * y),
    (r"X + x", X + x),
    (r"F - ma", F - m * a),
    # derivatives
    (r"\frac{d}{dx} x^2", sympy.Derivative(x**2, x)),
    (r"\frac{d}{dx} \left(x^2 + 1\right)", sympy.Derivative(x**2 + 1, x)),
    (r"\frac{d}{dx} \frac{d}{dx} x^3", sympy.Derivative(x**3, (x, 2))),
    (r"\frac{\partial}{\partial x} x y", sympy.Derivative(x * y, x)),
    # implicit multiplication binds looser than ^, in LaTeX too
    (r"x(x+1)^{2}", x * (x + 1) ** 2),
    (r"10x\left(x^{2}+1\right)^{4}", 10 * x * (x**2 + 1) ** 4),
    # d is a letter except in \frac{d}{dx} (issue 15)
    (r"d t^{3}", sympy.Symbol("d", real=True) * sympy.Symbol("t", real=True) ** 3),
    (r"d \cdot t", sympy.Symbol("d", real=True) * sympy.Symbol("t", real=True)),
    (r"d \sin{x}", sympy.Symbol("d", real=True) * sympy.sin(x)),
]

# Whatever sympy.latex prints for a supported expression must be read back.
LATEX_ROUNDTRIPS: list[tuple[str, sympy.Basic | Loose]] = [roundtrip(f(x)) for f in ROUNDTRIP_FUNCTIONS] + [
    roundtrip(sympy.Max(0, x)),
    roundtrip(sympy.Min(x, y)),
    roundtrip(sympy.sin(x) ** 2),
    roundtrip(sympy.log(x, 2)),
    roundtrip(sympy.log(x, 10)),
    roundtrip(x**2 * sympy.sin(x)),
    roundtrip(1 / (1 + sympy.exp(-x))),
    roundtrip(sympy.log(1 + sympy.exp(x))),
    roundtrip(sympy.exp(-(x**2) / 2)),
    roundtrip(sympy.sqrt(x**2 + y**2)),
    roundtrip(sympy.Abs(x - 1)),
    roundtrip(x_1**2),
    roundtrip(theta * x),
    roundtrip(sympy.pi * x),
    roundtrip(sympy.Derivative(x**2, x)),
]

LATEX_CASES: list[tuple[str, sympy.Basic | Loose]] = LATEX_HAND_WRITTEN + [
    case for case in LATEX_ROUNDTRIPS if case[0] not in {src for src, _ in LATEX_HAND_WRITTEN}
]


# ---------------------------------------------------------------------------------------------------------
# Plain-text corpus
# ---------------------------------------------------------------------------------------------------------

TRIG = ["sin", "cos", "tan", "cot", "sec", "csc"]
HYPERBOLIC = ["sinh", "cosh", "tanh", "coth", "sech", "csch"]


def _function_cases() -> list[tuple[str, sympy.Basic | Loose]]:
    """name(x) for every whitelisted trig/hyperbolic function, plus the a- and arc- inverse spellings."""
    cases: list[tuple[str, sympy.Basic | Loose]] = []
    for name in TRIG + HYPERBOLIC:
        cases.append((f"{name}(x)", getattr(sympy, name)(x)))
        inverse = getattr(sympy, "a" + name)
        cases.append((f"a{name}(x)", inverse(x)))
        cases.append((f"arc{name}(x)", inverse(x)))
    return cases


TEXT_HAND_WRITTEN: list[tuple[str, sympy.Basic | Loose]] = [
    # power: ^ and **, right-associative, tighter than unary minus
    ("x^2", x**2),
    ("x**2", x**2),
    ("2^3^2", sympy.Integer(512)),
    ("2**3**2", sympy.Integer(512)),
    ("x^2^3", x**8),
    ("-x^2", -(x**2)),
    ("-2^2", sympy.Integer(-4)),
    ("(-x)^2", x**2),
    ("x^-1", 1 / x),
    ("2^-1", sympy.Rational(1, 2)),
    ("2^100", sympy.Integer(2) ** 100),
    ("(x+1)^2", (x + 1) ** 2),
    ("1/3", sympy.Rational(1, 3)),
    ("x/y", x / y),
    ("x^2 + 2x + 1", x**2 + 2 * x + 1),
    ("((((x))))", x),
    # implicit multiplication
    ("3x", 3 * x),
    ("2x^2", 2 * x**2),
    ("2(x+1)", 2 * (x + 1)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("x(x+1)", x * (x + 1)),
    # implicit multiplication binds looser than ^ (issue 15): the power belongs to the bracket alone
    ("x(x+1)^2", x * (x + 1) ** 2),
    ("10x(x^2+1)^4", 10 * x * (x**2 + 1) ** 4),
    ("2x(y)^n", 2 * x * y**n),
    ("x(y)^n", x * y**n),
    ("sin(x)(x+1)^2", sympy.sin(x) * (x + 1) ** 2),
    ("e^x(x+1)^2", sympy.exp(x) * (x + 1) ** 2),
    ("3(x+1)^2", 3 * (x + 1) ** 2),
    ("-x(x+1)^2", -x * (x + 1) ** 2),
    ("x(x+1)^-2", x / (x + 1) ** 2),
    ("x(x+1)²", x * (x + 1) ** 2),
    ("x[x+1]^2", x * (x + 1) ** 2),
    ("theta(x+1)^2", theta * (x + 1) ** 2),
    ("e(x+1)^2", sympy.E * (x + 1) ** 2),
    ("x_1(x+1)^2", x_1 * (x + 1) ** 2),
    ("sin(x+1)^2", sympy.sin(x + 1) ** 2),
    ("sqrt(x+1)^3", (x + 1) ** sympy.Rational(3, 2)),
    ("x y", x * y),
    ("x y z", x * y * z),
    ("x^2 y", x**2 * y),
    ("2 pi x", 2 * sympy.pi * x),
    ("a*x + b", a * x + b),
    # multi-letter names are one symbol
    ("xy", xy),
    ("theta", theta),
    ("theta^2", theta**2),
    ("alpha x", alpha * x),
    ("x1", x1),
    ("x_1", x_1),
    ("w_10", w_10),
    ("x_1 + x_2", x_1 + x_2),
    # constants
    ("e", sympy.E),
    ("e*x", sympy.E * x),
    ("e^(2x)", sympy.exp(2 * x)),
    ("e^x", sympy.exp(x)),
    ("e^(-x)", sympy.exp(-x)),
    ("exp(x)", sympy.exp(x)),
    ("exp(-x^2/2)", sympy.exp(-(x**2) / 2)),
    ("pi", sympy.pi),
    ("π", sympy.pi),
    ("2π", 2 * sympy.pi),
    # logarithms
    ("ln(x)", sympy.log(x)),
    ("log(x)", sympy.log(x)),
    ("log(x, 2)", sympy.log(x, 2)),
    ("log_2(x)", sympy.log(x, 2)),
    ("log_10(x)", sympy.log(x, 10)),
    ("log(1 + e^x)", sympy.log(1 + sympy.exp(x))),
    # roots, absolute value
    ("sqrt(x)", sympy.sqrt(x)),
    ("sqrt(x^2 + y^2)", sympy.sqrt(x**2 + y**2)),
    ("cbrt(x)", sympy.cbrt(x)),
    ("abs(x)", sympy.Abs(x)),
    ("|x|", sympy.Abs(x)),
    ("|x - 1| + 1", sympy.Abs(x - 1) + 1),
    # other whitelisted functions
    ("max(0, x)", sympy.Max(0, x)),
    ("min(x, y)", sympy.Min(x, y)),
    ("sign(x)", sympy.sign(x)),
    ("heaviside(x)", sympy.Heaviside(x)),
    ("factorial(5)", sympy.Integer(120)),
    ("factorial(n)", sympy.factorial(n)),
    ("sigmoid(x)", sc.sigmoid(x)),
    ("sigmoid(w x + b)", sc.sigmoid(w * x + b)),
    ("softplus(x)", sc.softplus(x)),
    ("relu(x)", sc.relu(x)),
    ("1/(1 + e^(-x))", 1 / (1 + sympy.exp(-x))),
    # function powers and inverse notation
    ("sin^2(x)", sympy.sin(x) ** 2),
    ("sin(x)^2", sympy.sin(x) ** 2),
    ("sin^-1(x)", sympy.asin(x)),
    # functions without parentheses take the following product of non-function factors
    ("sin x", sympy.sin(x)),
    ("cos x", sympy.cos(x)),
    ("ln x", sympy.log(x)),
    ("sin 2x", sympy.sin(2 * x)),
    ("sin x^2", sympy.sin(x**2)),
    ("sin x y", sympy.sin(x) * y),  # without brackets a function takes one factor: write sin(x y)
    ("x^2 sin x", x**2 * sympy.sin(x)),
    ("2 sin x", 2 * sympy.sin(x)),
    ("sin x cos x", sympy.sin(x) * sympy.cos(x)),
    ("sin x + 1", sympy.sin(x) + 1),
    ("sin(x)cos(x)", sympy.sin(x) * sympy.cos(x)),
    ("sin(theta)", sympy.sin(theta)),
    # Unicode
    ("√x", sympy.sqrt(x)),
    ("√2", sympy.sqrt(2)),
    ("√(x+1)", sympy.sqrt(x + 1)),
    ("2·x", 2 * x),
    ("2×x", 2 * x),
    ("2⋅x", 2 * x),
    ("2∙x", 2 * x),
    ("x − 1", x - 1),
    ("ｘ＾２＋１", x**2 + 1),
    ("α + θ", alpha + theta),
    ("x²", x**2),
    ("x³", x**3),
    ("x² + y²", x**2 + y**2),
    # equations give their right-hand side; derivatives stay unevaluated
    ("f(x) = x^2", x**2),
    ("y = x^2", x**2),
    ("d/dx (x^2)", sympy.Derivative(x**2, x)),
    ("d/dx (sin(x))", sympy.Derivative(sympy.sin(x), x)),
    ("d/dx d/dx x", sympy.Derivative(x, (x, 2))),
    ("d/dx d/dx x^3", sympy.Derivative(x**3, (x, 2))),
    # decimals become Floats
    ("1.5x", loose(sympy.Float(1.5) * x)),
    ("0.5 x^2", loose(sympy.Float(0.5) * x**2)),
]

TEXT_CASES: list[tuple[str, sympy.Basic | Loose]] = TEXT_HAND_WRITTEN + _function_cases()


def _ids(cases: list[tuple[str, object]]) -> list[str]:
    return [src for src, _ in cases]


def _looks_like_latex(source: str) -> bool:
    return any(ch in source for ch in "\\{}")


def test_corpora_have_no_duplicate_sources() -> None:
    for corpus in (LATEX_CASES, TEXT_CASES):
        sources = _ids(corpus)
        assert len(sources) == len(set(sources))
    assert len(LATEX_CASES) >= 65
    assert len(TEXT_CASES) >= 65
    assert not any(_looks_like_latex(src) for src in _ids(TEXT_CASES))


@pytest.mark.parametrize(("source", "expected"), LATEX_CASES, ids=_ids(LATEX_CASES))
def test_latex_corpus(source: str, expected: sympy.Basic | Loose) -> None:
    check(sc.parse_latex(source), expected)


@pytest.mark.parametrize(("source", "expected"), TEXT_CASES, ids=_ids(TEXT_CASES))
def test_text_corpus(source: str, expected: sympy.Basic | Loose) -> None:
    check(sc.parse_text(source), expected)


AUTODETECT_CASES = TEXT_CASES + [case for case in LATEX_CASES if _looks_like_latex(case[0])]


@pytest.mark.parametrize(("source", "expected"), AUTODETECT_CASES, ids=_ids(AUTODETECT_CASES))
def test_parse_autodetects_syntax(source: str, expected: sympy.Basic | Loose) -> None:
    """``sc.parse`` reads LaTeX when the input has a backslash or braces, plain text otherwise."""
    check(sc.parse(source), expected)


# ---------------------------------------------------------------------------------------------------------
# Hostile inputs
# ---------------------------------------------------------------------------------------------------------

MARKER = "{MARKER}"  # replaced by a path inside tmp_path; the file must never be created

# Either "could not read it" or "read it but will not do it" -- used where the spec leaves the choice open.
PARSE_OR_UNSUPPORTED = (sc.ParseError, sc.UnsupportedError)

LONG_SUM = "x+" * 5000 + "x"
DEEP_PARENS = "(" * 200 + "x" + ")" * 200
DEEP_LATEX = "\\left(" * 60 + "x" + "\\right)" * 60
JUNK_TEXT = "\x00\x07\x1b[31m\xff\xfe\x80 \u202e\x9c\x01~`"
JUNK_ANY = bytes(range(256)).decode("latin-1")

# (id, parser, source, expected exception class or tuple of classes)
HOSTILE: list[tuple[str, str, str, type[BaseException] | tuple[type[BaseException], ...]]] = [
    # empty / malformed
    ("empty", "parse", "", sc.ParseError),
    ("whitespace", "parse", "  \t\n ", sc.ParseError),
    ("unclosed-paren", "parse_text", "(x+1", sc.ParseError),
    ("unopened-paren", "parse_text", "x+1)", sc.ParseError),
    ("unclosed-bar", "parse", "|x", sc.ParseError),
    ("empty-parens", "parse_text", "()", sc.ParseError),
    ("empty-call", "parse_text", "sin()", sc.ParseError),
    ("trailing-op", "parse", "x +", sc.ParseError),
    ("leading-star", "parse_text", "*x", sc.ParseError),
    ("empty-rhs", "parse_text", "x = ", sc.ParseError),
    ("unknown-function", "parse", "foo(x)", sc.ParseError),
    ("glued-sinx", "parse_text", "sinx", sc.ParseError),
    ("glued-cosx", "parse", "cosx", sc.ParseError),
    ("glued-lnx", "parse_text", "lnx", sc.ParseError),
    # stray characters
    ("dollar", "parse", "x $ y", sc.ParseError),
    ("semicolon", "parse_text", "x ; y", sc.ParseError),
    ("greek-question-mark", "parse_text", "x\u037ey", sc.ParseError),
    ("greek-ano-teleia", "parse", "x\u0387y", sc.ParseError),
    ("at", "parse", "x @ y", sc.ParseError),
    ("ampersand", "parse_text", "x & y", sc.ParseError),
    ("hash-comment", "parse_text", "x # comment", sc.ParseError),
    ("nul", "parse", "x\x00", sc.ParseError),
    ("junk-text", "parse_text", JUNK_TEXT, sc.ParseError),
    ("junk-bytes", "parse", JUNK_ANY, PARSE_OR_UNSUPPORTED),
    # Python code injection
    ("dunder-import", "parse", f"__import__('os').system('touch {MARKER}')", sc.ParseError),
    ("lambda", "parse_text", "lambda: 1", sc.ParseError),
    ("attr-class", "parse", "x.__class__", sc.ParseError),
    ("tuple-bases", "parse_text", "().__class__.__bases__", sc.ParseError),
    ("exec", "parse", f'exec(\'open("{MARKER}", "w")\')', sc.ParseError),
    ("eval", "parse_text", f"eval(\"__import__('os').system('touch {MARKER}')\")", sc.ParseError),
    ("open", "parse", f"open('{MARKER}','w')", sc.ParseError),
    ("import", "parse_text", "import os", sc.ParseError),
    ("single-quoted", "parse", "'x'", sc.ParseError),
    ("double-quoted", "parse_text", '"x + 1"', sc.ParseError),
    ("string-repeat", "parse_text", "x + 'a'*9", sc.ParseError),
    ("attr-real", "parse", "x.real", sc.ParseError),
    ("dunder-name", "parse_text", "__class__", sc.ParseError),
    ("dunder-builtins", "parse", "__builtins__", sc.ParseError),
    ("dunder-custom", "parse_text", "__x__ + 1", sc.ParseError),
    ("globals", "parse", "globals()", sc.ParseError),
    ("getattr", "parse_text", "getattr(x, 'real')", sc.ParseError),
    # LaTeX injection and unsupported constructs
    ("latex-input", "parse_latex", r"\input{/etc/passwd}", PARSE_OR_UNSUPPORTED),
    ("latex-def", "parse_latex", r"\def\x{1} \x", PARSE_OR_UNSUPPORTED),
    ("latex-newcommand", "parse", r"\newcommand{\foo}{x} \foo", PARSE_OR_UNSUPPORTED),
    ("latex-write18", "parse", "\\immediate\\write18{touch " + MARKER + "}", PARSE_OR_UNSUPPORTED),
    ("latex-begin", "parse_latex", r"\begin{document} x \end{document}", PARSE_OR_UNSUPPORTED),
    ("latex-unknown", "parse_latex", r"\foo{x}", PARSE_OR_UNSUPPORTED),
    ("latex-int", "parse_latex", r"\int x dx", sc.SymcalcError),
    ("latex-int-bounds", "parse", r"\int_0^1 x\,dx", sc.SymcalcError),
    ("latex-lim", "parse_latex", r"\lim_{x \to 0} \frac{\sin x}{x}", sc.SymcalcError),
    ("latex-frac-one-arg", "parse_latex", r"\frac{1}", sc.ParseError),
    ("latex-unclosed-brace", "parse_latex", r"\sqrt{x", sc.ParseError),
    ("latex-unclosed-left", "parse_latex", r"\left(x", sc.ParseError),
    ("latex-bare-sin", "parse_latex", r"\sin", sc.ParseError),
    ("latex-empty-braces", "parse", "{}", sc.ParseError),
    ("latex-lone-backslash", "parse", "\\", sc.ParseError),
    # size, depth and magnitude limits
    ("too-long", "parse", LONG_SUM, sc.LimitError),
    ("too-long-latex", "parse_latex", LONG_SUM, sc.LimitError),
    ("deep-parens", "parse_text", DEEP_PARENS, sc.LimitError),
    ("deep-latex", "parse_latex", DEEP_LATEX, sc.LimitError),
    ("tower-caret", "parse", "9^9^9^9", sc.LimitError),
    ("tower-starstar", "parse_text", "9**9**9**9", sc.LimitError),
    ("tower-10", "parse_text", "10^10^10", sc.LimitError),
    ("tower-2345", "parse", "2^3^4^5", sc.LimitError),
    ("tower-nested", "parse_text", "2^(2^(2^(2^(2^2))))", sc.LimitError),
    ("tower-latex", "parse_latex", "10^{10^{10}}", sc.LimitError),
    ("factorial-huge", "parse", "factorial(10^9)", sc.LimitError),
    # issue 15: every number and power a person can type is refused before it is built
    ("exp-notation-huge", "parse", "1e999999", sc.LimitError),
    ("exp-notation-tiny", "parse_text", "1e-999999", sc.LimitError),
    ("exp-notation-absurd", "parse", "1e99999999999999999999999999", sc.LimitError),
    ("sqrt2-tower", "parse", "sqrt(2)^(10^10)", sc.LimitError),
    ("sqrt2-tower-100", "parse_text", "sqrt(2)^(10^100)", sc.LimitError),
    ("coefficient-tower", "parse", "(2x)^(10^9)", sc.LimitError),
    ("latex-sqrt2-tower", "parse", r"\sqrt{2}^{10^{100}}", sc.LimitError),
    ("latex-overflow", "parse", "2^{10^{4999}}", sc.LimitError),
    ("unprintable-integer", "parse", "1" * 4400, sc.LimitError),
    ("unprintable-power", "parse", "2^14000", sc.LimitError),
    # postfix "!" is not in the spec: rejecting it (ParseError) or bounding it (LimitError) are both fine
    ("bang-huge", "parse_text", "100000000!", (sc.LimitError, sc.ParseError)),
    # undefined values
    ("div-zero", "parse", "1/0", sc.SymcalcError),
    ("div-zero-latex", "parse_latex", r"\frac{1}{0}", sc.SymcalcError),
]


@pytest.fixture(scope="module")
def warm_parsers() -> None:
    """Build grammars / load LaTeX machinery once so that timings measure the input, not start-up."""
    for fn, source in ((sc.parse_text, "x + 1"), (sc.parse_latex, r"\frac{1}{x}")):
        with contextlib.suppress(Exception):
            fn(source)


@pytest.mark.parametrize(
    ("parser", "source", "error"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_input_is_rejected(warm_parsers, tmp_path, parser, source, error) -> None:
    marker = tmp_path / "MARKER"
    source = source.replace(MARKER, str(marker))
    fn = getattr(sc, parser)
    start = time.process_time()
    try:
        with pytest.raises(error):
            fn(source)
    finally:
        elapsed = time.process_time() - start
    assert elapsed < TIME_BUDGET, f"{parser} took {elapsed:.2f}s"
    assert not marker.exists(), "the input was executed"


def test_hostile_corpus_size() -> None:
    assert len(HOSTILE) >= 42
    assert {case[1] for case in HOSTILE} == {"parse", "parse_text", "parse_latex"}


# Inputs that may be accepted or refused (with a SymcalcError), as long as the answer comes quickly.
BOUNDED: list[tuple[str, str, str]] = [
    ("caret-chain", "parse", "^".join(["x"] * 300)),
    ("starstar-chain", "parse_text", "**".join(["x"] * 300)),
    ("short-caret-chain", "parse_text", "x^x^x^x^x"),
    ("two-tower", "parse", "2^" * 50 + "1"),
    ("long-product", "parse", "x*" * 3000 + "x"),
    ("many-minus", "parse_text", "-" * 500 + "x"),
    ("nested-sin", "parse", "sin(" * 50 + "x" + ")" * 50),
    ("big-literal", "parse_text", "1" * 5000),
    ("printable-literal", "parse_text", "9" * 1000),
    ("nested-frac", "parse_latex", "\\frac{1}{" * 30 + "x" + "}" * 30),
    ("latex-caret-chain", "parse_latex", "^".join(["x"] * 100)),
]


@pytest.mark.parametrize(("parser", "source"), [c[1:] for c in BOUNDED], ids=[c[0] for c in BOUNDED])
def test_bounded_input_finishes_quickly(warm_parsers, parser, source) -> None:
    fn = getattr(sc, parser)
    start = time.process_time()
    try:
        result = fn(source)
    except sc.SymcalcError:
        result = None
    elapsed = time.process_time() - start
    assert elapsed < TIME_BUDGET, f"{parser} took {elapsed:.2f}s"
    assert result is None or isinstance(result, sympy.Basic)


# ---------------------------------------------------------------------------------------------------------
# Error positions and messages
# ---------------------------------------------------------------------------------------------------------


def _has_caret_line(message: str) -> bool:
    return any(line.strip() == "^" for line in message.splitlines())


def test_unclosed_call_reports_position_and_caret() -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse("sin(x")
    err = info.value
    assert err.source == "sin(x"
    assert err.position is not None
    assert 0 <= err.position <= len("sin(x")
    assert _has_caret_line(str(err)), str(err)


def test_stray_character_position() -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse("x + $")
    assert info.value.position == 4
    assert _has_caret_line(str(info.value)), str(info.value)


def test_unknown_function_is_named() -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse("foo(x)")
    assert "foo" in str(info.value)


@pytest.mark.parametrize(
    ("source", "hints"), [("sinx", ["sin(x)"]), ("cosx", ["cos(x)"]), ("lnx", ["ln(x)", "log(x)"])]
)
def test_glued_function_name_suggests_call(source: str, hints: list[str]) -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse(source)
    assert any(hint in str(info.value) for hint in hints), str(info.value)


def test_parse_errors_are_symcalc_errors() -> None:
    assert issubclass(sc.ParseError, sc.SymcalcError)
    assert issubclass(sc.UnsupportedError, sc.SymcalcError)
    assert issubclass(sc.LimitError, sc.SymcalcError)


# ---------------------------------------------------------------------------------------------------------
# Conventions
# ---------------------------------------------------------------------------------------------------------


def test_declared_e_is_a_symbol() -> None:
    e = sympy.Symbol("e", real=True)
    assert sc.parse("e*x", variables=["e"]) == e * x
    assert sc.parse("e^x", variables=["e"]) == e**x
    assert sc.parse("e*x") == sympy.E * x


@pytest.mark.parametrize("name", ["sinx", "cosx", "lnx"])
def test_declared_glued_name_is_a_symbol(name: str) -> None:
    assert sc.parse(name, variables=[name]) == sympy.Symbol(name, real=True)


def test_function_definition_gives_right_hand_side() -> None:
    assert sc.parse("f(x) = x^2") == x**2
    assert sc.parse("y = x^2") == x**2


def test_parse_equation() -> None:
    eq = sc.parse_equation("x^2 + y^2 = 1")
    assert isinstance(eq, sympy.Eq)
    assert eq == sympy.Eq(x**2 + y**2, 1)


@pytest.mark.parametrize(
    "source",
    ["x + y", "theta^2 + w_10", "xy + a b", "sigmoid(w x + b)", r"\alpha x + \beta", r"x_{1} + F", r"\sin x"],
)
def test_all_symbols_are_real(source: str) -> None:
    expr = sc.parse(source)
    assert expr.free_symbols
    assert all(s.is_real for s in expr.free_symbols)
    assert all(s.assumptions0.get("real") is True for s in expr.free_symbols)


def test_sympy_objects_pass_through() -> None:
    expr = x**2 + sympy.sin(y)
    assert sc.parse(expr) == expr


# ---------------------------------------------------------------------------------------------------------
# The text path never hands user text to eval-based SymPy machinery
# ---------------------------------------------------------------------------------------------------------

NO_EVAL_SOURCES = [
    "x^2 + 2x + 1",
    "sin x cos x",
    "e^(2x)",
    "log(x, 2)",
    "sqrt(x^2 + y^2)",
    "|x - 1| + 1",
    "max(0, x)",
    "sigmoid(w x + b)",
    "x_1 + x_2",
    "2^3^2",
    "1.5x",
    "d/dx (x^2)",
    "√(x+1)",
]


def test_text_path_never_evals(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy.core.singleton
    import sympy.parsing.sympy_parser

    # ``sympy.core.sympify`` the attribute is the function; the module is only reachable by its name.
    sympify_module = importlib.import_module("sympy.core.sympify")

    sc.parse_text("x + 1")  # warm-up with the real SymPy machinery

    calls: list[str] = []
    real_sympify = sympify_module.sympify

    def guarded_sympify(arg, *args, **kwargs):
        # Non-string sympify is harmless (SymPy itself uses it); strings go through eval.
        if isinstance(arg, str):
            calls.append(f"sympify({arg!r})")
            raise AssertionError(f"sympify called on text {arg!r}")
        return real_sympify(arg, *args, **kwargs)

    def forbidden(name: str):
        def _raise(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} called")

        return _raise

    monkeypatch.setattr(sympy, "sympify", guarded_sympify)
    monkeypatch.setattr(sympy.core, "sympify", guarded_sympify)
    monkeypatch.setattr(sympify_module, "sympify", guarded_sympify)
    monkeypatch.setattr(sympy.core.singleton.SingletonRegistry, "__call__", staticmethod(guarded_sympify))
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden("parse_expr"))
    monkeypatch.setattr(sympy.parsing.sympy_parser, "eval_expr", forbidden("eval_expr"))
    # Names that symcalc modules imported directly (``from sympy import sympify``) are patched too.
    for mod_name, module in list(sys.modules.items()):
        if module is None or not (mod_name == "symcalc" or mod_name.startswith("symcalc.")):
            continue
        if hasattr(module, "sympify"):
            monkeypatch.setattr(module, "sympify", guarded_sympify)
        if hasattr(module, "parse_expr"):
            monkeypatch.setattr(module, "parse_expr", forbidden("parse_expr"))

    expected = dict(TEXT_CASES)
    for source in NO_EVAL_SOURCES:
        check(sc.parse(source), expected[source])
        check(sc.parse_text(source), expected[source])
    assert calls == []
