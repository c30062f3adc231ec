"""``check_gradient(..., assume=[...])``: equations the comparison may use, each solved for a symbol that is not
a variable of differentiation; the verdict says they were used, and an assumption that cannot be used is a
clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy

import symcalc as sc

_S = "(exp(z1) + exp(z2) + exp(z3))"
CE = f"-(y1*log(exp(z1)/{_S}) + y2*log(exp(z2)/{_S}) + y3*log(exp(z3)/{_S}))"
P_MINUS_Y = [f"exp(z{i})/{_S} - y{i}" for i in (1, 2, 3)]
ZS = ["z1", "z2", "z3"]


def test_softmax_cross_entropy_p_minus_y_needs_the_labels_to_sum_to_one() -> None:
    without = sc.check_gradient(CE, P_MINUS_Y, ZS)
    assert not without.ok and without.wrong == (0, 1, 2)
    assert without.assumptions == () and "assuming" not in without.to_text()
    c = sc.check_gradient(CE, P_MINUS_Y, ZS, assume=["y1 + y2 + y3 = 1"])
    assert c.ok and c.mistakes == ()
    y1, y2, y3 = (next(s for s in c.expr.free_symbols if s.name == n) for n in ("y1", "y2", "y3"))
    assert c.assumptions == (sympy.Eq(y1 + y2 + y3, 1),)
    assert c.substitutions == (sympy.Eq(y3, 1 - y1 - y2),)
    text = c.to_text().splitlines()
    assert text[1] == "  assuming y1 + y2 + y3 = 1 (used as y3 = -y1 - y2 + 1)"
    assert text[-1] == "All components are correct (using the assumptions)."
    data = json.loads(json.dumps(c.to_dict()))
    assert data["assumptions"] == [{"text": "y1 + y2 + y3 = 1", "latex": "y_{1} + y_{2} + y_{3} = 1"}]
    assert data["substitutions"]["y3"]["text"] == "-y1 - y2 + 1"


@pytest.mark.parametrize(
    "assume",
    [
        "y1 + y2 + y3 = 1",  # one equation as text
        ["1 = y1 + y2 + y3"],
        ["y1 + y2 + y3 - 1"],  # an expression meaning = 0
        [sympy.Eq(sympy.Symbol("y1") + sympy.Symbol("y2") + sympy.Symbol("y3"), 1)],  # SymPy's own symbols
        (sympy.Symbol("y1") + sympy.Symbol("y2") + sympy.Symbol("y3") - 1,),
    ],
)
def test_the_ways_to_write_an_assumption(assume: object) -> None:
    assert sc.check_gradient(CE, P_MINUS_Y, ZS, assume=assume).ok


def test_the_sample_points_satisfy_the_assumptions() -> None:
    # a wrong claim under the assumption: the point shown has y1 + y2 + y3 = 1, with y3 computed
    claims = [*P_MINUS_Y[:2], f"exp(z3)/{_S} + y3"]
    c = sc.check_gradient(CE, claims, ZS, assume=["y1 + y2 + y3 = 1"])
    assert c.wrong == (2,)
    point = c.components[2].point
    assert point is not None and set(point) == {"z1", "z2", "z3", "y1", "y2", "y3"}
    assert point["y1"] + point["y2"] + point["y3"] == pytest.approx(1.0)
    z = np.array([point["z1"], point["z2"], point["z3"]])
    p3 = np.exp(z[2]) / np.exp(z).sum()
    assert c.components[2].expected_value == pytest.approx(p3 - point["y3"])
    assert c.components[2].claimed_value == pytest.approx(p3 + point["y3"])
    assert c.to_text().endswith("1 of 3 components are wrong (using the assumptions).")


def test_a_mistake_is_still_named_under_an_assumption() -> None:
    # d/dx of (a + b) sin(x) with a + b = 1 is cos(x); the claim -cos(x) loses the sign of the derivative
    c = sc.check_gradient("(a + b)*cos(x)", ["sin(x)"], ["x"], assume="a + b = 1")
    assert not c.ok and c.mistakes == ("trig.sign",)


def test_several_assumptions_are_solved_in_turn() -> None:
    # a + b = 1 gives b = 1 - a; then b = c, with b replaced, gives c = 1 - a
    f, claim = "(a + b)*x + (b - c)*y", ["1", "0"]
    assert not sc.check_gradient(f, claim, ["x", "y"], assume=["a + b = 1"]).ok
    c = sc.check_gradient(f, claim, ["x", "y"], assume=["a + b = 1", "b = c"])
    assert c.ok
    assert {str(s.lhs): str(s.rhs) for s in c.substitutions} == {"b": "1 - a", "c": "1 - a"}


def test_an_assumption_already_true_of_the_constants_is_accepted_and_shown() -> None:
    c = sc.check_gradient(CE, P_MINUS_Y, ZS, constants={"y1": 0, "y2": 1, "y3": 0}, assume="y1 + y2 + y3 = 1")
    assert c.ok and c.substitutions == ()
    assert "(already true of the constants)" in c.to_text()


def test_gradient_code_with_an_assumption_that_fixes_a_constant() -> None:
    def p_minus_y(z: np.ndarray) -> np.ndarray:
        p = np.exp(z - z.max())
        return p / p.sum() - np.array([0.0, 1.0, 0.0])

    c = sc.check_gradient(CE, p_minus_y, ZS, constants={"y1": 0, "y2": 1}, assume="y1 + y2 + y3 = 1")
    assert c.ok and [str(s.lhs) for s in c.substitutions] == ["y3"]
    wrong = sc.check_gradient(
        CE, lambda z: -p_minus_y(z), ZS, constants={"y1": 0, "y2": 1}, assume="y1 + y2 + y3 = 1"
    )
    assert wrong.wrong == (0, 1, 2) and wrong.mistakes == ("quotient.sign",) * 3


@pytest.mark.parametrize(
    ("expr", "assume", "kwargs", "error", "message"),
    [
        ("x*(a + b)", ["a^2 + b^2 = 1"], {}, sc.UnsupportedError, "not linear in any of a, b"),
        ("x*(a + b)", ["x = 1"], {}, sc.SymcalcError, "mentions only variables of differentiation (x)"),
        (
            "x*(a + b)",
            ["a + b = 1", "a + b = 2"],
            {},
            sc.SymcalcError,
            "contradicts the assumptions before it",
        ),
        ("x*(a + b)", ["q = 1"], {}, sc.SymcalcError, "uses q, which the problem does not have"),
        ("x*(a + b)", ["1 = 2"], {}, sc.SymcalcError, "contradicts the constants"),
        ("x*(a + b)", ["a + b = 1"], {"constants": {"a": 1, "b": 1}}, sc.SymcalcError, "contradicts"),
        ("x*(a + b)", [3], {}, sc.SymcalcError, "an assumption is an equation"),
    ],
)
def test_an_assumption_that_cannot_be_used_is_a_clear_error(
    expr: str, assume: list[object], kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        sc.check_gradient(expr, ["1"], ["x"], assume=assume, **kwargs)  # type: ignore[arg-type]


def test_gradient_code_cannot_use_an_assumption_in_terms_of_the_variables() -> None:
    with pytest.raises(sc.SymcalcError, match="in terms of the constants"):
        sc.check_gradient("x*a", lambda v: v, ["x"], assume=["a = x"])


def test_check_command_takes_assume(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    args = ["check", CE, "--vars", "z1,z2,z3", *[a for c in P_MINUS_Y for a in ("--claim", c)]]
    assert main(args) == 1
    capsys.readouterr()
    assert main([*args, "--assume", "y1 + y2 + y3 = 1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  assuming y1 + y2 + y3 = 1 (used as y3 = -y1 - y2 + 1)"
    assert out[-1] == "All components are correct (using the assumptions)."
    assert main(["check", "x*(a + b)", "--claim", "1", "--vars", "x", "--assume", "x = 1"]) == 2
    assert "mentions only variables of differentiation" in capsys.readouterr().err
