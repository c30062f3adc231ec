"""A hand-written NumPy gradient is diagnosed with the same error models as a formula claim: the same mistake
ids and the same sentences come back, only where the code matches a model at every sample point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import symcalc as sc
from symcalc.teach import check as check_module


def _sigmoid(t: Any) -> Any:
    return 1 / (1 + np.exp(-t))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


_S = "(exp(z1) + exp(z2) + exp(z3))"
_CE = f"-(y1*log(exp(z1)/{_S}) + y2*log(exp(z2)/{_S}) + y3*log(exp(z3)/{_S}))"
_LOGISTIC = "-(y*log(sigmoid(w*x + b)) + (1 - y)*log(1 - sigmoid(w*x + b)))"

# (id, function, variables, constants, the wrong claim as formulas, the same wrong claim as code, the wrong
# components, the mistake the formula path names)
CASES: list[
    tuple[
        str, str, list[str], dict[str, float] | None, list[str], Callable[[np.ndarray], Any], list[int], str
    ]
] = [
    # d/dx cos x = -sin x: the sign lost
    ("cos sign", "cos(3x)", ["x"], None, ["3 sin(3x)"], lambda v: 3 * np.sin(3 * v), [0], "trig.sign"),
    # d/dx e^(2x) = 2 e^(2x): the inner factor 2 missing
    ("exp chain", "exp(2x)", ["x"], None, ["exp(2x)"], lambda v: np.exp(2 * v), [0], "chain.missing_inner"),
    # d/dx x^3 = 3x^2: the exponent not lowered
    (
        "power rule",
        "x^3 + y",
        ["x", "y"],
        None,
        ["3x^3", "1"],
        lambda v: np.array([3 * v[0] ** 3, 1.0]),
        [0],
        "power.exponent",
    ),
    # the mean of three squared errors: the 1/3 dropped
    (
        "mean 1/m",
        "((w - 1)^2 + (w - 2)^2 + (w - 4)^2)/3",
        ["w"],
        None,
        ["2(w - 1) + 2(w - 2) + 2(w - 4)"],
        lambda v: 2 * (v - 1) + 2 * (v - 2) + 2 * (v - 4),
        [0],
        "constant.factor_dropped",
    ),
    # logistic loss of one example (x = 1.5, y = 1): the factor x of d/dw (w x + b) missing
    (
        "sigmoid chain",
        _LOGISTIC,
        ["w", "b"],
        {"x": 1.5, "y": 1.0},
        ["sigmoid(1.5w + b) - 1", "sigmoid(1.5w + b) - 1"],
        lambda v: np.array([_sigmoid(1.5 * v[0] + v[1]) - 1.0, _sigmoid(1.5 * v[0] + v[1]) - 1.0]),
        [0],
        "chain.missing_inner",
    ),
    # d/dw sigmoid(w) taken as sigmoid(w)
    ("sigmoid kept", "sigmoid(w)", ["w"], None, ["sigmoid(w)"], _sigmoid, [0], "function.not_differentiated"),
    # softmax cross-entropy with the one-hot y = (0, 1, 0): y - p instead of p - y
    (
        "softmax sign",
        _CE,
        ["z1", "z2", "z3"],
        {"y1": 0.0, "y2": 1.0, "y3": 0.0},
        [f"-exp(z1)/{_S}", f"1 - exp(z2)/{_S}", f"-exp(z3)/{_S}"],
        lambda v: np.array([0.0, 1.0, 0.0]) - _softmax(v),
        [0, 1, 2],
        "quotient.sign",
    ),
    # the issue's example: the derivative of sin(x2) taken as sin(x2)
    (
        "sin kept",
        "x1^2 * sin(x2)",
        ["x1", "x2"],
        None,
        ["2 x1 sin(x2)", "x1^2 sin(x2)"],
        lambda v: np.array([2 * v[0] * np.sin(v[1]), v[0] ** 2 * np.sin(v[1])]),
        [1],
        "function.not_differentiated",
    ),
]


@pytest.mark.parametrize(
    ("expr", "variables", "constants", "formulas", "code", "wrong", "mistake"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_formula_and_code_claims_name_the_same_mistake(
    expr: str,
    variables: list[str],
    constants: dict[str, float] | None,
    formulas: list[str],
    code: Callable[[np.ndarray], Any],
    wrong: list[int],
    mistake: str,
) -> None:
    as_formula = sc.check_gradient(expr, formulas, variables, constants=constants)
    as_code = sc.check_gradient(expr, code, variables, constants=constants)
    assert list(as_formula.wrong) == wrong and list(as_code.wrong) == wrong
    assert as_formula.mistakes == (mistake,) * len(wrong)
    assert as_code.mistakes == as_formula.mistakes
    assert as_code.hints == as_formula.hints  # the same sentence, word for word
    for i in wrong:
        f, c = as_formula.to_dict()["components"][i], as_code.to_dict()["components"][i]
        assert (c["mistake"], c["hint"]) == (f["mistake"], f["hint"])
    assert as_code.hints[0] in as_code.to_text()


def test_the_issue_example_names_the_sin_that_was_not_differentiated() -> None:
    c = sc.check_gradient(
        "x1^2 * sin(x2)", lambda v: np.array([2 * v[0] * np.sin(v[1]), v[0] ** 2 * np.sin(v[1])])
    )
    assert c.wrong == (1,) and c.components[0].ok
    bad = c.components[1]
    assert bad.mistake == "function.not_differentiated"
    assert bad.hint is not None and bad.hint.startswith("sin(x2) was copied instead of differentiated")
    assert bad.point is not None and bad.expected_value == pytest.approx(
        bad.point["x1"] ** 2 * np.cos(bad.point["x2"])
    )
    assert bad.claimed_value == pytest.approx(bad.point["x1"] ** 2 * np.sin(bad.point["x2"]))


def test_a_match_at_all_points_but_some_names_nothing() -> None:
    # e^(2x) without the factor 2 for x > 0 only: wrong, but no model reproduces it everywhere
    c = sc.check_gradient("exp(2x)", lambda v: np.where(v > 0, np.exp(2 * v), 2.5 * np.exp(2 * v)), ["x"])
    assert c.wrong == (0,) and c.mistakes == ()
    assert c.components[0].hint is not None and "component 0" in c.components[0].hint


def test_a_near_miss_beyond_the_tolerance_names_nothing() -> None:
    # 1e-4 off the model everywhere: far outside 1e-6 of the values
    c = sc.check_gradient("exp(2x)", lambda v: np.exp(2 * v) * (1 + 1e-4), ["x"])
    assert c.wrong == (0,) and c.mistakes == ()


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e6])
def test_rounding_noise_in_the_code_still_matches_at_any_scale(scale: float) -> None:
    # the tolerance is relative to the values: 1e-9 relative noise is 1e-3 in absolute terms at scale 1e6
    c = sc.check_gradient(f"{scale} * cos(x)", lambda v: scale * np.sin(v) * (1 + 1e-9), ["x"])
    assert c.mistakes == ("trig.sign",)


def test_models_are_compiled_only_for_wrong_components(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = check_module._values

    def counting(*args: Any) -> Any:
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(check_module, "_values", counting)
    assert sc.check_gradient("x^2 y", lambda v: np.array([2 * v[0] * v[1], v[0] ** 2]), ["x", "y"]).ok
    assert calls == []
    c = sc.check_gradient("x^2 y", lambda v: np.array([2 * v[0] * v[1], 2 * v[0]]), ["x", "y"])
    assert c.wrong == (1,) and calls  # the models of the wrong component only
    y = c.variables[1]
    assert all(v != 2 * y * c.variables[0] for v in calls)  # none of them is a variant of d/dx


def test_the_number_of_models_tried_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "CODE_VARIANTS", 0)
    c = sc.check_gradient("exp(2x)", lambda v: np.exp(2 * v), ["x"])
    assert c.wrong == (0,) and c.mistakes == ()


def test_diagnose_false_names_nothing() -> None:
    c = sc.check_gradient("exp(2x)", lambda v: np.exp(2 * v), ["x"], diagnose=False)
    assert c.wrong == (0,) and c.mistakes == ()


def test_gradcheck_names_the_mistake_of_a_hand_written_gradient() -> None:
    fn = sc.compile("x1^2 * sin(x2)")
    pts = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3]]
    r = sc.gradcheck(fn, pts, grad=lambda v: np.array([2 * v[0] * np.sin(v[1]), v[0] ** 2 * np.sin(v[1])]))
    assert not r.ok and r.worst_component == 1
    assert r.mistakes == ("function.not_differentiated",)
    assert r.named[0][0] == 1
    assert r.hints == sc.check_gradient("x1^2 * sin(x2)", ["2 x1 sin(x2)", "x1^2 sin(x2)"]).hints
    assert "component 1: mistake function.not_differentiated" in str(r)
    assert "function.not_differentiated" in r._repr_markdown_()


def test_gradcheck_of_a_right_or_unexplained_gradient_names_nothing() -> None:
    fn = sc.compile("sin(x)*y^2 + e^(x*y)", ["x", "y"])
    pts = np.random.default_rng(0).uniform(-1, 1, size=(5, 2))
    assert sc.gradcheck(fn, pts, grad=fn.grad).named == ()
    broken = sc.gradcheck(fn, pts, grad=lambda p: fn.grad(p) * np.array([1.0, 1.01]))
    assert not broken.ok and broken.mistakes == () and "mistake" not in str(broken)
    # a plain callable has no expression to take the models from
    plain = sc.gradcheck(lambda p: float(np.exp(2 * p[0])), [[0.5]], grad=lambda p: np.exp(2 * p))
    assert not plain.ok and plain.named == ()
