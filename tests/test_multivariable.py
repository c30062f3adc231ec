"""Gradients, Hessians, Jacobians and local models over textbook functions, losses and test functions."""

from __future__ import annotations

import pytest
import sympy
from data.multivariable_cases import CASES
from hypothesis import given, settings
from numeric import same
from strategies import expressions, x, y

import symcalc as sc


def _ns(*srcs: str) -> dict[str, object]:
    ns: dict[str, object] = {"sigmoid": sc.sigmoid, "softplus": sc.softplus, "relu": sc.relu, "E": sympy.E}
    for src in srcs:
        for s in sympy.sympify(src, locals=dict(ns)).free_symbols:
            ns.setdefault(s.name, sympy.Symbol(s.name, real=True))
    return ns


@pytest.mark.parametrize(("name", "text", "variables", "grad", "hess"), CASES, ids=[c[0] for c in CASES])
def test_gradient_and_hessian(name, text, variables, grad, hess) -> None:
    g = sc.gradient(text, variables)
    h = sc.hessian(text, variables)
    ns = _ns(*grad, *[e for row in hess for e in row])
    assert [v.name for v in g.variables] == list(variables)
    for got, want in zip(g.result, grad, strict=True):
        assert same(got, sympy.sympify(want, locals=ns)), (name, got, want)
    for i, row in enumerate(hess):
        for j, want in enumerate(row):
            assert same(h.result[i, j], sympy.sympify(want, locals=ns)), (name, i, j)
    assert h.symmetric


@pytest.mark.parametrize("case", CASES[:12], ids=[c[0] for c in CASES[:12]])
def test_invariant_on_every_node_of_every_component(case) -> None:
    _name, text, variables, _g, _h = case
    g = sc.gradient(text, variables)
    for d in g.components:
        assert not sc.check_trace(d)
    h = sc.hessian(text, variables)
    for d in h.entries.values():
        assert not sc.check_trace(d)


def test_natural_order_of_default_variables() -> None:
    g = sc.gradient("x10*x2 + x1^2 + z + y")
    assert [v.name for v in g.variables] == ["x1", "x2", "x10", "y", "z"]


def test_components_hold_the_others_constant_and_are_lazy() -> None:
    g = sc.gradient("x^2*y + y^3", ["x", "y"])
    assert "components" not in g.__dict__  # nothing explained until asked
    assert [c.name for c in g.components[0].constants] == ["y"]
    assert "holding y constant" in g.components[0].to_text()


def test_jacobian_directional_tangent_taylor() -> None:
    j = sc.jacobian(["x*y", "x + y", "sin(x)"], ["x", "y"])
    assert j.result == sympy.Matrix([[y, x], [1, 1], [sympy.cos(x), 0]])
    dd = sc.directional_derivative("x^2 + y^2", [1, 2], [3, 4])
    assert dd.result == sympy.Rational(22, 5)
    assert any("normalise" in label for label, _v in dd.lines)
    assert sc.tangent_plane("x^2 + y^2", [1, 2]).result == 2 * x + 4 * y - 5
    assert sc.taylor("e^x*y", [0, 1]).result == x**2 / 2 + x * y + y


@settings(max_examples=40)
@given(expressions(max_leaves=5))
def test_hessian_is_symmetric(e: sympy.Expr) -> None:
    h = sc.hessian(e, [x, y])
    assert all(same(h.result[0, 1], h.result[1, 0]) for _ in [0])


@settings(max_examples=25)
@given(expressions(max_leaves=4))
def test_taylor_matches_value_gradient_and_hessian(e: sympy.Expr) -> None:
    p = {x: sympy.Rational(7, 10), y: sympy.Rational(13, 10)}
    a = sympy.Symbol("a", real=True)
    e = e.subs(a, sympy.Rational(3, 2))
    f0 = e.subs(p)
    if not f0.is_finite or not f0.is_real:
        return
    m = sc.taylor(e, [p[x], p[y]], 2, [x, y]).result
    assert same(m.subs(p), f0)
    for v in (x, y):
        assert same(sympy.diff(m, v).subs(p), sympy.diff(e, v).subs(p))
        for w in (x, y):
            assert same(sympy.diff(m, v, w).subs(p), sympy.diff(e, v, w).subs(p))


def test_renderings_and_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    h = sc.hessian("x^3 - 3*x*y + y^3")
    assert r"\begin{bmatrix}" in h.to_markdown()
    assert h.to_dict()["type"] == "hessian"
    assert sc.gradient("x*y").to_dict()["type"] == "gradient"
    assert main(["hessian", "x^3 - 3*x*y + y^3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "Answer: H = [6x, -3; -3, 6y]"
    assert "Schwarz" in out
    assert main(["grad", "x^2*y + y^3", "--vars", "x,y"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Answer: grad f = (2x y, x^2 + 3y^2)"
