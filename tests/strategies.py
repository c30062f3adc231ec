"""Hypothesis strategies shared by the tests: random expressions from the functions symcalc supports."""

from __future__ import annotations

import sympy
from hypothesis import strategies as st

import symcalc as sc

x, y, a = sympy.symbols("x y a", real=True)

SMOOTH_UNARY = [
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.exp,
    sympy.log,
    sympy.sqrt,
    sympy.atan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.asinh,
    sc.sigmoid,
    sc.softplus,
    sympy.cot,
    sympy.sec,
    sympy.acot,
    sympy.csch,
    sympy.sech,
]
KINKED_UNARY = [sympy.Abs, sc.relu]

leaves = st.sampled_from([x, y, a, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2), -x, sympy.pi])


def _extend(children: st.SearchStrategy[sympy.Expr], unary: list) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.builds(lambda f, e: f(e), st.sampled_from(unary), children),
        st.builds(sympy.Add, children, children),
        st.builds(sympy.Mul, children, children),
        st.builds(lambda e, k: e**k, children, st.sampled_from([2, 3, -1, sympy.Rational(1, 2), -2])),
        st.builds(lambda e, f: e / f, children, children),
    )


def expressions(kinked: bool = False, max_leaves: int = 8) -> st.SearchStrategy[sympy.Expr]:
    """Random expressions in x, y and a parameter a; non-constant, finite."""
    unary = SMOOTH_UNARY + (KINKED_UNARY if kinked else [])
    return st.recursive(leaves, lambda c: _extend(c, unary), max_leaves=max_leaves).filter(
        lambda e: e.free_symbols and not e.has(sympy.zoo, sympy.nan, sympy.oo)
    )
