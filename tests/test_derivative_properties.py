"""Property tests: on random expressions the trace's invariant holds on every node, and the result is SymPy's."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from numeric import same
from strategies import expressions, x

import symcalc as sc


@settings(max_examples=500)
@given(expressions(kinked=True, max_leaves=6))
def test_invariant_on_every_node(e: sympy.Expr) -> None:
    d = sc.derivative(e, x, check=False)
    assert same(d.result, sympy.diff(e, x))
    bad = sc.check_trace(d)
    assert not bad, [(s.rule, s.expr, s.result) for s in bad]


@settings(max_examples=60)
@given(expressions(max_leaves=4))
def test_second_derivative(e: sympy.Expr) -> None:
    d = sc.derivative(e, x, order=2, check=False)
    assert same(d.result, sympy.diff(e, x, 2))
    assert not sc.check_trace(d)
