r"""In LaTeX, ``d`` is a differential only in ``\frac{d}{dx}`` (in front) or ``\,dx``; elsewhere it is a letter.

latex2sympy2_extended glues a ``d`` to whatever letter or command follows it (``d t^{3}`` became the symbol
``dt`` cubed, ``d \cdot t`` the symbol ``dcdot`` times t), and ``sympy.latex(d*t**3)`` prints exactly
``d t^{3}``. Whatever ``sympy.latex`` prints for an expression with a symbol d must read back as itself.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from numeric import same

import symcalc as sc

d, t, x, y, k = sympy.symbols("d t x y k", real=True)

AS_A_LETTER = [
    (r"d t^{3}", d * t**3),
    (r"d \cdot t", d * t),
    (r"d \sin{x}", d * sympy.sin(x)),
    (r"d \sin{\left(x \right)}", d * sympy.sin(x)),
    ("d x", d * x),
    (r"d\alpha", d * sympy.Symbol("alpha", real=True)),
    (r"d \left(x + 1\right)", d * (x + 1)),
    (r"x_{d} t", sympy.Symbol("x_d", real=True) * t),
    (r"d_{1} t", sympy.Symbol("d_1", real=True) * t),
    (r"\frac{y}{d t}", y / (d * t)),
    (r"\frac{d + y}{d x}", (d + y) / (d * x)),  # was Derivative(y, x)
    (r"\frac{d}{d t + 1}", d / (d * t + 1)),
    (r"\frac{1}{d x}", 1 / (d * x)),
    (r"\sqrt{d t}", sympy.sqrt(d * t)),
    (r"e^{- d t}", sympy.exp(-d * t)),
    (r"\frac{d}{dt} d t^{3}", sympy.Derivative(d * t**3, t)),
    (r"\frac{\partial}{\partial t} d t", sympy.Derivative(d * t, t)),
    (r"\frac{d^{2}}{dt^{2}} d t^{3}", sympy.Derivative(d * t**3, (t, 2))),
]


@pytest.mark.parametrize(("source", "expected"), AS_A_LETTER, ids=[s for s, _ in AS_A_LETTER])
def test_d_is_a_letter_outside_a_derivative(source: str, expected: sympy.Expr) -> None:
    assert sc.parse(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        r"x \, dx",
        r"x^{2}\,dx",
        r"\sin x \; dt",
        r"\mathrm{d}x",
        r"x \operatorname{d}t",
        r"2 \frac{d}{dx} x",
        r"x + \frac{dy}{dx}",
    ],
)
def test_a_differential_inside_an_expression_is_refused(source: str) -> None:
    with pytest.raises(sc.UnsupportedError) as info:
        sc.parse(source)
    assert "position" in str(info.value)


def test_glued_letters_multiply_in_latex_d_among_them() -> None:
    assert sc.parse_latex("2dx") == 2 * d * x
    assert sc.parse_latex("dt") == d * t


def test_the_derivative_request_still_works() -> None:
    assert sc.derivative(r"\frac{d}{dt} d t^{3}").result == 3 * d * t**2
    assert sc.derivative(r"\frac{d}{dx} \left(d x^{2}\right)").result == 2 * d * x


#: Textbook expressions with a symbol d (and t, x), as SymPy prints them.
TEXTBOOK = [
    d * t**3,
    d * x,
    d * sympy.sin(x),
    sympy.sin(d * t),
    d * sympy.exp(-d * t),
    sympy.exp(d * t) / d,
    d / t,
    t / d,
    1 / (d * t),
    (d + t) / (d * x),
    d**2 * t,
    sympy.sqrt(d * t),
    sympy.log(d * t),
    t * sympy.log(d),
    (d * t + 1) ** 2,
    d * x**2 + t,
    x / (d * t**2),
    d * t * x,
    -d * t,
    d * sympy.cos(t) ** 2,
    sympy.Abs(d - t),
    d * sympy.atan(t),
    d ** sympy.Rational(1, 2) * t,
    d * t / (d * t + 1),
    sympy.Max(d, t),
    d * sympy.sinh(x),
    d * sympy.coth(x),
    d * sympy.sech(t),
    d * sympy.asinh(t),
    d * t**k,
    2 * sympy.pi * d,
    d * sympy.E ** (x * t),
]


@pytest.mark.parametrize("expr", TEXTBOOK, ids=[sympy.latex(e) for e in TEXTBOOK])
def test_what_sympy_prints_with_d_reads_back(expr: sympy.Expr) -> None:
    assert sc.parse(sympy.latex(expr)) == expr


LEAVES = st.sampled_from([d, t, x, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2), -d])
UNARY = [sympy.sin, sympy.cos, sympy.exp, sympy.log, sympy.sqrt, sympy.tanh, sympy.atan, sympy.Abs]


def _extend(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.builds(lambda f, e: f(e), st.sampled_from(UNARY), children),
        st.builds(sympy.Add, children, children),
        st.builds(sympy.Mul, children, children),
        st.builds(lambda e, p: e**p, children, st.sampled_from([2, 3, -1, sympy.Rational(1, 2)])),
        st.builds(lambda e, f: e / f, children, children),
    )


EXPRESSIONS_WITH_D = st.recursive(LEAVES, _extend, max_leaves=6).filter(
    lambda e: d in e.free_symbols and not e.has(sympy.zoo, sympy.nan, sympy.oo)
)


@given(EXPRESSIONS_WITH_D)
def test_latex_round_trip_with_d(expr: sympy.Expr) -> None:
    assert same(sc.parse(sympy.latex(expr)), expr)
