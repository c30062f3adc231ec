"""Exercises that check themselves: right answers in several spellings are accepted, typical wrong answers get
the right mistake and hint, progress is kept and exported, the shipped sets are sound, and the widget works."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy

import symcalc as sc
from symcalc.teach.check import MISTAKES
from symcalc.teach.exercise import EXERCISE_MISTAKES, Exercise, ExerciseSet, split_answer

# -- right answers, spelled as learners spell them ---------------------------------------------------------

RIGHT = [
    (
        Exercise.derivative("sin(x^2)"),
        ["2x cos(x^2)", "2*x*cos(x**2)", "cos(x^2) 2x", r"2x\cos\left(x^{2}\right)"],
    ),
    (
        Exercise.derivative("x^2 sin(x)"),
        ["2x sin(x) + x^2 cos(x)", r"x^2 \cos x + 2 x \sin x", "x(x cos(x) + 2 sin(x))"],
    ),
    (
        Exercise.derivative("x/(x^2 + 1)"),
        ["(1 - x^2)/(x^2 + 1)^2", r"\frac{1 - x^2}{(x^2+1)^2}", "(x^2 + 1 - 2x^2)/(x^2+1)^2"],
    ),
    (
        Exercise.derivative("1/(1 + e^(-x))"),
        ["sigmoid(x)(1 - sigmoid(x))", "e^(-x)/(1 + e^(-x))^2", "exp(-x)/(1+exp(-x))^2"],
    ),
    (Exercise.derivative("ln(1 + x^2)"), ["2x/(1 + x^2)", r"\frac{2x}{x^2+1}"]),
    (Exercise.derivative("x^3", order=2), ["6x", "6*x"]),
    (
        Exercise.gradient("x^2 y + y^3", ["x", "y"]),
        [
            "[2x y, x^2 + 3y^2]",
            "2 x y; x^2 + 3 y^2",
            "(2*x*y, x**2 + 3*y**2)",
            r"\left( 2 x y,\ x^{2} + 3 y^{2} \right)",
            ["2xy".replace("xy", "x y"), "x^2+3y^2"],
        ],
    ),
    (Exercise.gradient("log(x, 2) + y", ["x", "y"]), ["1/(x ln(2)), 1", "[1/(x*log(2)); 1]"]),
    (
        Exercise.hessian("x^2 y + y^3", ["x", "y"]),
        [
            "[[2y, 2x], [2x, 6y]]",
            "2y, 2x; 2x, 6y",
            r"\begin{pmatrix} 2y & 2x \\ 2x & 6y \end{pmatrix}",
            [["2y", "2x"], ["2x", "6y"]],
        ],
    ),
    (
        Exercise.critical_points("x^3 - 3x y + y^3", ["x", "y"]),
        [
            "(0, 0) saddle; (1, 1) min",
            "(1, 1) minimum, (0, 0) saddle point",
            [((1, 1), "local minimum"), ((0, 0), "saddle")],
        ],
    ),
    (Exercise.critical_points("x^3 - 3x"), ["x = -1 max, x = 1 min", "1 minimum; -1 maximum"]),
    (
        Exercise.descent_step("x^2 + 10y^2", [1.0, 1.0], 0.05),
        ["(0.9, 0)", "0.9, 0", "(1 - 0.05*2, 1 - 0.05*20)", [0.9, 0.0], np.array([0.9, 0.0])],
    ),
    (
        Exercise.backprop("(w x - y)^2", {"w": 0.5, "x": 2.0, "y": 3.0}, ["w"]),
        ["-8", "2 (0.5*2 - 3) * 2", [-8.0], {"w": -8}],
    ),
    (Exercise.backprop("x y + sin(x)", {"x": 0.0, "y": 2.0}), ["3, 0", "(2 + cos(0), 0)"]),
]


@pytest.mark.parametrize(
    ("exercise", "answers"), RIGHT, ids=lambda v: v.id if isinstance(v, Exercise) else ""
)
def test_right_answers_in_several_spellings_are_accepted(exercise: Exercise, answers: list[object]) -> None:
    for answer in answers:
        verdict = exercise.check(answer)
        assert verdict.ok, (answer, verdict.to_text())
        assert verdict.mistakes == () and verdict.hints == () and verdict.error is None
    assert exercise.solved and exercise.attempts == len(answers)


# -- typical wrong answers: the mistake named and the hint that goes with it -------------------------------

WRONG = [
    # exercise, answer, mistake id, words the first hint (the rule) contains
    (Exercise.derivative("sin(x^2)"), "cos(x^2)", "chain.missing_inner", "chain rule"),
    (Exercise.derivative("x^3 e^(2x)"), "3x^2 e^(2x) + x^3 e^(2x)", "chain.missing_inner", "chain rule"),
    (Exercise.derivative("x^3 e^(2x)"), "3x^2 e^(2x)", "product.missing_term", "product rule"),
    (Exercise.derivative("x^3 e^(2x)"), "6x^2 e^(2x)", "product.f_prime_g_prime", "product rule"),
    (Exercise.derivative("x/(x^2 + 1)"), "(2x^2 - (x^2 + 1))/(x^2 + 1)^2", "quotient.sign", "quotient rule"),
    (Exercise.derivative("x/(x^2 + 1)"), "(1 - x^2)/(x^2 + 1)", "quotient.denominator", "quotient rule"),
    (Exercise.derivative("cos(x)"), "sin(x)", "trig.sign", "cosine rule"),
    (Exercise.derivative("ln(1 + x^2)"), "1/(1 + x^2)", "ln.missing_inner", "chain rule"),
    (Exercise.derivative("2^x"), "x 2^(x - 1)", "power.on_exponential", "base a"),
    (Exercise.gradient("x^2 y + y^3", ["x", "y"]), "[2x y, x^2 + 3y^3]", "power.exponent", "power rule"),
    (
        Exercise.gradient("x^2 y", ["x", "y"]),
        "[2x y + x^2, x^2]",
        "partial.not_constant",
        "holding y constant",
    ),
    (
        Exercise.hessian("sin(x y)", ["x", "y"]),
        "[[y^2 sin(x y), 0], [0, 0]]",
        "trig.sign",
        "Entry (1, 1) is d/dx",
    ),
    (
        Exercise.critical_points("x^3 - 3x y + y^3", ["x", "y"]),
        "(1, 1) min",
        "critical.missing_point",
        "Set every partial",
    ),
    (
        Exercise.critical_points("x^3 - 3x y + y^3", ["x", "y"]),
        "(0, 0) min; (1, 1) min",
        "critical.kind",
        "Hessian",
    ),
    (
        Exercise.critical_points("x^2 + y^2 - 2x", ["x", "y"]),
        "(1, 0) min; (2, 0) min",
        "critical.not_critical",
        "Set every",
    ),
    (
        Exercise.descent_step("x^2 + 10y^2", [1.0, 1.0], 0.05),
        "(1.1, 2)",
        "descent.sign",
        "x - lr * grad f(x)",
    ),
    (
        Exercise.descent_step("x^2 + 10y^2", [1.0, 1.0], 0.05),
        "(-1, -19)",
        "descent.no_lr",
        "x - lr * grad f(x)",
    ),
    (
        Exercise.descent_step("x^2 + 10y^2", [1.0, 1.0], 0.05),
        "(0.9, 0.5)",
        "descent.gradient",
        "x - lr * grad f(x)",
    ),
    (Exercise.backprop("x y + sin(x)", {"x": 0.0, "y": 2.0}), "2, 0", "backprop.missing_path", "adds up"),
    (
        Exercise.backprop("(w x - y)^2", {"w": 0.5, "x": 2.0, "y": 3.0}, ["w"]),
        "8",
        "backprop.sign",
        "adjoint 1",
    ),
]


@pytest.mark.parametrize(
    ("exercise", "answer", "mistake", "hint"), WRONG, ids=[f"{w[0].id}:{w[2]}" for w in WRONG]
)
def test_typical_wrong_answers_get_the_right_mistake_and_hint(
    exercise: Exercise, answer: str, mistake: str, hint: str
) -> None:
    verdict = exercise.check(answer)
    assert not verdict.ok
    assert verdict.mistakes[0] == mistake, verdict.to_text()
    assert mistake in MISTAKES or mistake in EXERCISE_MISTAKES
    assert len(verdict.explanations) == len(verdict.mistakes) and all(verdict.explanations)
    assert hint in verdict.hints[0], verdict.hints
    assert len(verdict.hints) == 3  # the rule, the bindings, the first step
    assert mistake in verdict.message
    assert not exercise.solved


def test_a_backprop_answer_that_skips_a_local_derivative_names_the_node() -> None:
    ex = Exercise.backprop("(sigmoid(w x + b) - y)^2", {"w": 0.5, "b": 0.1, "x": 2.0, "y": 1.0}, ["w", "b"])
    s = 1 / (1 + math.exp(-1.1))
    right = [2 * (s - 1) * s * (1 - s) * 2, 2 * (s - 1) * s * (1 - s)]
    assert ex.check(right).ok
    v = ex.check([2 * (s - 1) * 2, 2 * (s - 1)])  # the sigmoid's local derivative s(1 - s) left out
    assert v.mistakes == ("backprop.missing_local",)
    assert "sigmoid(b + w*x)" in v.explanations[0]


def test_the_hints_for_a_mistake_point_at_its_place() -> None:
    v = Exercise.derivative("x^3 e^(2x)").check("3x^2 e^(2x) + x^3 e^(2x)")
    rule, bindings, first_step = v.hints
    assert rule.startswith("Use the chain rule")
    assert re.fullmatch(r"Here outer = exp\((\w)\), \1 = 2\*x\. Their derivatives: inner' = 2\.", bindings), (
        bindings
    )
    assert first_step == "The first step: d/dx [exp(2*x)] = exp(2*x)*2."


def test_hints_come_one_at_a_time_in_increasing_detail_and_are_counted() -> None:
    ex = Exercise.derivative("x^2 sin(x)")
    first, second, third = ex.hint(), ex.hint(), ex.hint()
    assert first.startswith("Use the product rule: (u v)' = u' v + u v'.")
    assert second == "Here u = x^2, v = sin(x). Their derivatives: u' = 2*x, v' = cos(x)."
    assert third == "The first step: d/dx [x^2*sin(x)] = x^2*cos(x) + (2*x)*sin(x)."
    assert ex.hint().startswith("No more hints")
    assert ex.hints_used == 3 and ex.hint_count == 3
    assert ex.hint(0) == first  # asking again for an earlier one does not count twice
    assert ex.hints_used == 3


def test_the_solution_stays_hidden_until_asked_for() -> None:
    ex = Exercise.derivative("sin(x^2)")
    assert "cos" not in repr(ex.to_dict()) and "cos" not in ex._repr_markdown_()
    assert not ex.revealed
    assert ex.solution().result == sympy.diff(
        sympy.sin(sympy.Symbol("x", real=True) ** 2), sympy.Symbol("x", real=True)
    )
    assert ex.revealed


def test_answers_that_cannot_be_read_say_where_and_why_without_counting_as_a_mistake() -> None:
    ex = Exercise.derivative("sin(x^2)")
    v = ex.check("2x cos(x^2")
    assert not v.ok and v.mistakes == ()
    assert v.position == 10 and "ended too early" in (v.error or "")
    v = Exercise.gradient("x y", ["x", "y"]).check("y")
    assert v.error == "the answer has 1 components; the gradient has 2 (one per variable: x, y)"
    assert ex.check("   ").message == "Type your answer between the quotes, then run the cell again."
    v = Exercise.gradient("x^2 y", ["x", "y"]).check("2xz, x^2")
    assert "uses xz, which the function does not have" in v.details[0]
    # glued letters that are all variables of the problem are a product (issue 15): right, not unknown
    assert Exercise.gradient("x^2 y", ["x", "y"]).check("2xy, x^2").ok


def test_a_critical_point_answer_without_kinds_is_half_right() -> None:
    v = Exercise.critical_points("x^3 - 3x y + y^3", ["x", "y"]).check("(0, 0), (1, 1)")
    assert not v.ok and v.mistakes == ()
    assert "say what kind" in v.message


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("[2*x*y, x^2 + log(y, 2)]", ["2*x*y", "x^2 + log(y, 2)"]),
        ("2xy; x^2", ["2xy", "x^2"]),
        (r"\left(\frac{1}{2}, x\,y\right)", [r"\frac{1}{2}", r"x\,y"]),
        ("max(x, y), 1", ["max(x, y)", "1"]),
    ],
)
def test_answers_split_at_top_level_separators_only(text: str, parts: list[str]) -> None:
    assert split_answer(text) == parts


def test_the_exercise_constructors_reject_what_cannot_be_an_exercise() -> None:
    with pytest.raises(sc.SymcalcError, match="name the variable"):
        Exercise.derivative("x y")
    with pytest.raises(sc.UnsupportedError, match="finitely many"):
        Exercise.critical_points("sin(x)")
    with pytest.raises(sc.SymcalcError, match="give a value for y"):
        Exercise.backprop("x y", {"x": 1.0})
    with pytest.raises(sc.SymcalcError, match="x0 has 1 coordinates"):
        Exercise.descent_step("x^2 + y^2", [1.0], 0.1)
    with pytest.raises(sc.ParseError):
        Exercise.derivative("sin(x")


# -- sets, JSONL and progress ------------------------------------------------------------------------------


def test_an_exercise_set_round_trips_through_jsonl(tmp_path: Path) -> None:
    exercises = [
        Exercise.derivative("sin(x^2)", id="a", title="Chain rule"),
        Exercise.derivative("x^4", order=2, id="a2"),
        Exercise.gradient("x^2 y", ["x", "y"], id="b"),
        Exercise.hessian("x^2 y", ["x", "y"], id="c"),
        Exercise.critical_points("x^2 - 2x", id="d"),
        Exercise.descent_step("x^2", [1.0], 0.1, id="e"),
        Exercise.backprop("sigmoid(w x)", {"w": 1.0, "x": 2.0}, ["w"], id="f"),
    ]
    original = ExerciseSet("mine", exercises, "My set")
    path = tmp_path / "mine.jsonl"
    path.write_text(original.to_jsonl(), encoding="utf-8")
    loaded = ExerciseSet.load(path)
    assert loaded.title == "My set" and [e.id for e in loaded] == ["a", "a2", "b", "c", "d", "e", "f"]
    assert [e.to_dict() for e in loaded] == [e.to_dict() for e in exercises]
    assert loaded["a2"].params == {"order": 2}
    assert loaded["a2"].check("12x^2").ok
    for line in path.read_text(encoding="utf-8").splitlines():  # no solution is written down
        assert "cos" not in line


def test_a_bad_exercise_file_says_which_line(tmp_path: Path) -> None:
    with pytest.raises(sc.SymcalcError, match="set:2: not valid JSON"):
        ExerciseSet.loads('{"task": "derivative", "expr": "x^2"}\n{oops\n', "set")
    with pytest.raises(sc.SymcalcError, match="set:1: unknown task 'integral'"):
        ExerciseSet.loads('{"task": "integral", "expr": "x^2"}\n', "set")
    with pytest.raises(sc.SymcalcError, match="set:1: missing 'lr'"):
        ExerciseSet.loads('{"task": "descent_step", "expr": "x^2", "x0": [1]}\n', "set")
    with pytest.raises(sc.SymcalcError, match="ids must be unique"):
        ExerciseSet.loads('{"id": "a", "expr": "x^2"}\n{"id": "a", "expr": "x^3"}\n', "set")


def test_progress_is_kept_over_a_set_and_exported_as_json(tmp_path: Path) -> None:
    s = ExerciseSet.builtin("derivatives")
    s[0].check("12x^3")  # wrong
    s[0].hint()
    s[0].check("12x^3 - 10x")  # right
    s[1].hint()
    s[1].hint()
    s[2].check("1")
    p = s.progress()
    assert (p["total"], p["tried"], p["right"], p["hints_used"]) == (len(s), 2, 1, 3)
    assert p["exercises"][0] == {
        "id": "d1",
        "task": "derivative",
        "attempts": 2,
        "tried": True,
        "right": True,
        "hints_used": 1,
        "revealed": False,
    }
    assert s.next() is s[1]
    out = tmp_path / "progress.json"
    text = s.export_progress(out)
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(text) == p
    assert "1 of 8 right, 2 tried, 3 hints used" in s._repr_markdown_()


@pytest.mark.parametrize("name", ExerciseSet.builtin_names())
def test_every_shipped_exercise_accepts_its_own_solution(name: str) -> None:
    s = ExerciseSet.builtin(name)
    assert 5 <= len(s) <= 10 and s.title
    for ex in s:
        expected = ex.expected()
        answer = [(c, k) for c, k in expected] if ex.task == "critical" else expected
        assert ex.check(answer).ok, ex.id
        assert len(ex._ladder()) == 3, ex.id
        assert ex.prompt and ex.prompt_latex


def test_the_learning_path_has_a_set_per_notebook() -> None:
    assert ExerciseSet.builtin_names() == [
        "derivatives",
        "optimization",
        "multivariable",
        "descent",
        "backprop",
    ]
    with pytest.raises(sc.SymcalcError, match="no exercise set 'nope'"):
        ExerciseSet.builtin("nope")


# -- the notebook widget -----------------------------------------------------------------------------------


def test_the_widget_previews_as_you_type_and_checks_escaping_what_was_typed() -> None:
    pytest.importorskip("ipywidgets")
    s = ExerciseSet.builtin("derivatives")
    w = s.widget()
    prompt, box, preview, buttons, out, progress = w.children
    assert "\\frac{d}{dx}" in prompt.value
    box.value = "12 x^3 - 10x"
    assert preview.value == "$$12 x^{3} - 10 x$$"
    box.value = "sin(x"
    assert "ended too early" in preview.value and "^" in preview.value
    box.value = "<script>alert(1)</script>"
    assert "<script>" not in preview.value
    check, hint, nxt = buttons.children
    check.click()
    assert "<script>" not in out.value and "&lt;script&gt;" in out.value
    box.value = "12x^3"
    check.click()
    assert "Not yet" in out.value
    hint.click()
    assert "Hint: Use the sum rule" in out.value
    box.value = "12x^3 - 10x"
    check.click()
    assert "Right" in out.value
    assert "1 right, 1 tried, 1 hints used" in progress.value
    nxt.click()
    assert "exercise 2 of 8" in progress.value and box.value == ""


def test_a_matrix_form_gradient_exercise_names_the_layout_mistake() -> None:
    if not hasattr(sc, "matrix_gradient"):
        pytest.skip("symcalc.matrix_gradient is not in this version")
    ex = Exercise.matrix_gradient("(X w - y)^T (X w - y)", "w", "X: n x m, w: m, y: n")
    assert ex.check("2 X^T (X w - y)").ok and ex.check(r"2X^\top(Xw - y)").ok
    v = ex.check("2 (X w - y)^T X")
    assert v.mistakes == ("layout.numerator",) and "denominator layout" in v.hints[0]
    again = Exercise.from_dict(json.loads(json.dumps(ex.to_dict())))
    assert again.to_dict() == ex.to_dict() and again.check("2 X^T (X w - y)").ok
    assert "\\nabla_{w}" in ex.prompt_latex and "matrix form" in ex.prompt
