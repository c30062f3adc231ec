"""Rules the corpus cannot write as text: sums over data with Indexed symbols, undefined functions, fallbacks."""

from __future__ import annotations

import sympy

import symcalc as sc


def test_mean_squared_error_over_data_by_linearity() -> None:
    w, b = sympy.symbols("w b", real=True)
    i, m = sympy.symbols("i m", integer=True, positive=True)
    X, Y = sympy.IndexedBase("X", real=True), sympy.IndexedBase("y", real=True)
    mse = sympy.Sum((w * X[i] + b - Y[i]) ** 2, (i, 1, m)) / m
    d = sc.derivative(mse, w)
    expected = sympy.Sum(2 * X[i] * (w * X[i] + b - Y[i]), (i, 1, m)) / m
    assert sympy.simplify((d.result - expected).doit()) == 0
    assert any(s.rule == "sum_index" for s in d.walk())
    assert not sc.check_trace(d)


def test_undefined_function_chain_rule_keeps_f_prime() -> None:
    x = sympy.Symbol("x", real=True)
    f = sympy.Function("f", real=True)
    d = sc.derivative(f(x**2), x)
    assert d.result == sympy.diff(f(x**2), x)
    assert d.steps.substeps[0].rule == "chain"
    assert sc.parse(r"f{\left(x^2 \right)}") == f(x**2)


def test_order_n_chains_each_derivative() -> None:
    d = sc.derivative("x^5", order=3)
    assert d.result == 60 * d.var**2
    assert [s.rule for s in d.steps.substeps] == ["higher_order"] * 3
    assert not sc.check_trace(d)


def test_derivative_request_is_understood() -> None:
    d = sc.derivative(r"\frac{d^2}{dx^2} x^4")
    assert d.order == 2 and d.result == 12 * d.var**2


def test_jupyter_reprs() -> None:
    d = sc.derivative("sin(x)")
    assert d._repr_latex_() == r"$$\frac{d}{dx}\left[\sin{\left(x \right)}\right] = \cos{\left(x \right)}$$"
    assert d._repr_markdown_().startswith("**Find**")


def test_root_is_rewritten_as_a_power_and_the_trace_says_so() -> None:
    d = sc.derivative("sqrt(x)")
    rules = [s.rule for s in d.walk()]
    assert "rewrite" in rules
    assert d.conditions == (d.var > 0,)
