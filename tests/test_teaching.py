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


def test_logsumexp_gradient_equals_the_softmax() -> None:
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


def test_relu_and_max_agree_and_state_the_kink_apart() -> None:
    x0 = sympy.Symbol("x", real=True)
    piecewise = sympy.Piecewise((0, x0 < 0), (1, x0 > 0))
    for source in ("relu(x)", "max(0, x)"):
        d = sc.derivative(source)
        assert d.result == piecewise
        assert d.conditions == (sympy.Ne(x0, 0),)
        assert "= (0 for x < 0; 1 for x > 0)" in d.to_text()
        assert (
            "Not differentiable at x = 0: the derivative is 0 from the left and 1 from the right"
            in d.to_text()
        )
        assert not d.result.has(sympy.Heaviside)


def test_sign_rule_formula_and_answer_agree() -> None:
    d = sc.derivative("sign(x)")
    assert d.result == 0 and not d.to_text().count("DiracDelta")
    assert "Sign rule: d/dx [sign(x)] = 0." in d.to_text()
    (k,) = d.kinks
    assert k.jump == (-1, 1)
    assert "Not differentiable at x = 0: the function jumps from -1 to 1 there" in d.to_text()
    assert sc.derivative("heaviside(x)").result == 0


def test_a_rewrite_shows_the_new_form() -> None:
    full = sc.derivative("sqrt(x)", detail="full").to_text()
    assert "Rewrite: sqrt(x) = x^(1/2)." in full
    assert "as a power: sqrt(x) = x^(1/2)" in sc.derivative("sqrt(x)").to_text()
    assert "x^{\\frac{1}{2}}" in sc.derivative("sqrt(x)", detail="full").to_latex()


# -- ML forms -------------------------------------------------------------------------------------------


def test_logsumexp_gradient_is_named_softmax() -> None:
    g = sc.gradient("logsumexp(a, b, c)")
    text = g.to_text()
    assert "Answer: grad f = (p_1, p_2, p_3)" in text
    assert "where p = softmax(a, b, c): p_1 = e^a/(e^a + e^b + e^c)" in text
    assert "libraries compute log-sum-exp as m + ln(e^(a - m) + e^(b - m) + e^(c - m))" in text


def test_softmax_cross_entropy_gives_p_minus_y() -> None:
    z1 = sympy.Symbol("z1", real=True)
    for source in ("-ln(e^(z1)/(e^(z1) + e^(z2) + e^(z3)))", "logsumexp(z1, z2, z3) - z1"):
        d = sc.derivative(source, "z1")
        text = d.to_text()
        assert f"Answer: ∂/∂z1 [{sc.render.notation.text(d.expr)}] = p_1 - 1" in text
        assert "where p = softmax(z1, z2, z3): p_1 = e^z1/(e^z1 + e^z2 + e^z3)" in text
        assert (
            sympy.simplify(
                sc.functions.lower(d.result)
                - (sympy.exp(z1) / sum(sympy.exp(sympy.Symbol(f"z{i}", real=True)) for i in (1, 2, 3)) - 1)
            )
            == 0
        )


def test_logistic_loss_has_no_vacuous_condition_and_a_stability_note() -> None:
    w, x0, b, y0 = sympy.symbols("w x b y", real=True)
    d = sc.derivative("-y ln(sigmoid(w x + b)) - (1 - y) ln(1 - sigmoid(w x + b))", "w")
    assert d.conditions == ()
    assert sympy.simplify(d.result - x0 * (sc.sigmoid(b + w * x0) - y0)) == 0
    assert "-softplus(b + w x)" in d.to_text()
    typed = sc.derivative("-y ln(1/(1 + e^(-z))) - (1 - y) ln(1 - 1/(1 + e^(-z)))", "z")
    assert typed.result == sc.sigmoid(sympy.Symbol("z", real=True)) - sympy.Symbol("y", real=True)
    assert typed.conditions == ()


def test_typed_softplus_gets_its_note() -> None:
    d = sc.derivative("ln(1 + e^x)")
    assert d.result == sc.sigmoid(sympy.Symbol("x", real=True))
    assert "libraries compute it as softplus" in d.to_text()


# -- implicit differentiation ---------------------------------------------------------------------------


def test_implicit_shows_the_algebra() -> None:
    d = sc.implicit_derivative("x^3 + y^3 = 6 x y")
    assert [s.rule for s in d.steps.substeps] == [
        "differentiate_equation",
        "collect",
        "factor_out",
        "divide",
        "simplify",
    ]
    lines = d.to_text().splitlines()
    assert lines[0] == "Find dy/dx on the curve x^3 + y^3 = 6x y, with y a function of x."
    assert "   so 3x^2 + 3y^2 dy/dx = 6x dy/dx + 6y" in lines
    assert any(line.startswith("2. Collect the terms: 3y^2 dy/dx - 6x dy/dx = 6y - 3x^2.") for line in lines)
    assert any(line.startswith("3. Factor out: (3y^2 - 6x) dy/dx = 6y - 3x^2.") for line in lines)
    assert any(
        line.startswith(
            "4. Divide: dy/dx = (6y - 3x^2)/(3y^2 - 6x). Divide both sides by 3y^2 - 6x, where 3y^2 - 6x ≠ 0."
        )
        for line in lines
    )
    assert "Conditions: y^2 ≠ 2x" in lines
    assert sc.check_trace(d) == []


def test_implicit_second_derivative_uses_the_equation() -> None:
    d = sc.implicit_derivative("x^2 + y^2 = 25", order=2)
    assert d.result == -25 / y**3
    assert sympy.Ne(y, 0) in d.conditions
    text = d.to_text()
    assert "Substitute: d^2y/dx^2 = -(x^2 + y^2)/y^3. Substitute dy/dx = -x/y." in text
    assert "Use the equation: d^2y/dx^2 = -25/y^3." in text
    assert text.splitlines()[-2] == "Answer: d^2y/dx^2 = -25/y^3"
    assert sc.check_trace(d) == []


@pytest.mark.parametrize(
    ("equation", "order"),
    [
        ("x^2 + y^2 = 25", 1),
        ("x^3 + y^3 = 6 x y", 2),
        ("sin(x y) = y", 1),
        ("e^y = x", 2),
        ("x^2 - x y + y^2 = 3", 2),
    ],
)
def test_every_solve_step_is_checked(equation: str, order: int) -> None:
    d = sc.implicit_derivative(equation, order=order)
    solve_steps = [s for s in d.walk() if s.kind == "solve"]
    assert solve_steps and sc.check_trace(d) == []


def test_a_wrong_solve_step_is_caught() -> None:
    import dataclasses

    d = sc.implicit_derivative("x^2 + y^2 = 25")
    divide = next(s for s in d.walk() if s.rule == "divide")
    wrong = dataclasses.replace(divide, result=x / y)
    assert sc.check_trace([wrong]) == [wrong]
    collect = next(s for s in d.walk() if s.rule == "collect")
    moved = dataclasses.replace(
        collect, result=sympy.Eq(collect.result.lhs, -collect.result.rhs, evaluate=False)
    )
    assert sc.check_trace([moved]) == [moved]
    root = dataclasses.replace(d.steps, result=-y / x)
    assert sc.check_trace([root]) == [root]


def test_implicit_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    assert main(["diff", "x^2 + y^2 = 25", "--implicit", "y"]) == 0
    out = capsys.readouterr().out
    assert "Answer: dy/dx = -x/y" in out and "Conditions: y ≠ 0" in out
    assert main(["diff", "x^2 + y^2 = 25", "--implicit", "y", "--order", "2"]) == 0
    assert "Answer: d^2y/dx^2 = -25/y^3" in capsys.readouterr().out


def test_check_calls_one_variable_the_derivative_and_prints_the_tidy_form() -> None:
    out = sc.check_gradient("(x^2 + 1)/(x - 1)", ["2x/(x-1)"], ["x"]).to_text().splitlines()
    assert out[0] == "Checking the derivative of (x^2 + 1)/(x - 1):"
    assert "      the derivative is (x^2 - 2x - 1)/(x - 1)^2" in out
    assert out[-1] == "The derivative is wrong."
    several = sc.check_gradient("x^2 y", ["2 x y", "x^2 + 1"], ["x", "y"]).to_text()
    assert "  ∂f/∂y: WRONG: claimed x^2 + 1" in several and "the partial derivative is x^2" in several
