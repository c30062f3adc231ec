"""Worked solutions a learner can trust: conditions, recognisable final forms, kinks, implicit curves."""

from __future__ import annotations

import pytest
import sympy

import symcalc as sc

x, y = sympy.symbols("x y", real=True)

# (function, the conditions the solution must state, as SymPy relationals on real x)
CONDITIONS = [
    ("x^(sin x)", [x > 0]),
    ("x^x", [x > 0]),
    ("ln(1 - x^2)", [sympy.Abs(x) < 1]),
    ("ln(x)", [x > 0]),
    ("ln(x^2 + 1)", []),
    ("sqrt(x)", [x > 0]),
    ("sqrt(x - 2)", [x > 2]),
    ("1/x", [sympy.Ne(x, 0)]),
    ("1/(x - 3)", [sympy.Ne(x, 3)]),
    ("x/(x^2 - 4)", [sympy.Ne(x, -2), sympy.Ne(x, 2)]),
    ("abs(x)", [sympy.Ne(x, 0)]),
    ("abs(x - 1)", [sympy.Ne(x, 1)]),
    ("tan(x)", [sympy.Ne(sympy.cos(x), 0)]),
    ("sec(x)", [sympy.Ne(sympy.cos(x), 0)]),
    ("cot(x)", [sympy.Ne(sympy.sin(x), 0)]),
    ("csc(x)", [sympy.Ne(sympy.sin(x), 0)]),
    ("asin(x)", [sympy.Abs(x) < 1]),
    ("acos(x)", [sympy.Abs(x) < 1]),
    ("atanh(x)", [sympy.Abs(x) < 1]),
    ("acosh(x)", [x > 1]),
    ("asec(x)", [sympy.Abs(x) > 1]),
    ("log_2(x)", [x > 0]),
    ("ln(ln(x))", [x > 1]),
    ("x^(1/3)", [sympy.Ne(x, 0)]),
    ("x^(-2)", [sympy.Ne(x, 0)]),
    ("sin(x)^x", [sympy.sin(x) > 0]),
    ("sqrt(4 - x^2)", [sympy.Abs(x) < 2]),
    ("ln(x) + sqrt(x)", [x > 0]),
    ("x^2 + 3x", []),
    ("e^(2x) sin(x)", []),
    ("sigmoid(x)", []),
    ("atan(x)", []),
]


@pytest.mark.parametrize(("source", "expected"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_conditions(source: str, expected: list) -> None:
    got = list(sc.derivative(source).conditions)
    for cond in expected:
        assert any(sympy.simplify(sympy.Equivalent(c, cond)) is sympy.true or c == cond for c in got), (
            got,
            cond,
        )
    if not expected:
        assert got == []


def test_answers_are_compared_under_conditions_not_by_rewriting_sqrt_x2() -> None:
    d = sc.derivative("sqrt(x^2)")
    assert d.result == sympy.sign(x) or sympy.simplify(d.result - x / sympy.Abs(x)) == 0


@pytest.mark.parametrize(
    ("source", "form"),
    [
        ("1/(1+e^(-x))", sc.sigmoid(x) * (1 - sc.sigmoid(x))),
        ("sigmoid(x)", sc.sigmoid(x) * (1 - sc.sigmoid(x))),
        ("tanh(x)", 1 - sympy.tanh(x) ** 2),
        ("softplus(x)", sc.sigmoid(x)),
        ("tan(x)", sympy.sec(x) ** 2),
    ],
)
def test_final_forms_of_ml_functions(source: str, form: sympy.Expr) -> None:
    d = sc.derivative(source)
    assert d.result == form
    for f in d.equivalent_forms:
        assert sympy.simplify(sc.functions.lower(f - d.result)) == 0
    assert not d.result.has(sympy.cosh)


def test_logsumexp_gradient_is_the_softmax() -> None:
    a, b, c = sympy.symbols("a b c", real=True)
    g = sc.gradient(sc.logsumexp(a, b, c), [a, b, c])
    softmax = [sympy.exp(v) / (sympy.exp(a) + sympy.exp(b) + sympy.exp(c)) for v in (a, b, c)]
    assert all(sympy.simplify(gi - si) == 0 for gi, si in zip(g.result, softmax, strict=True))


def test_relu_kink_has_one_sided_derivatives_and_the_framework_convention() -> None:
    d = sc.derivative("relu(x)")
    (k,) = d.kinks
    assert (k.point, k.left, k.right, k.framework_value) == (0, 0, 1, 0)
    assert "ML frameworks take 0 at the kink" in d.to_text()
    (k,) = sc.derivative("abs(x)").kinks
    assert k.subgradients == (-1, 1)


def test_implicit_second_derivative() -> None:
    d = sc.implicit_derivative("x^2 + y^2 = 25", order=2)
    assert sympy.simplify(d.result - (-(x**2 + y**2) / y**3)) == 0
    assert sympy.Ne(y, 0) in d.conditions


def test_implicit_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    assert main(["diff", "x^2 + y^2 = 25", "--implicit", "y"]) == 0
    out = capsys.readouterr().out
    assert "Answer: dy/dx = -x/y" in out and "Conditions: y != 0" in out
