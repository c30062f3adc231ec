"""Renderings: the golden worked solutions, the JSON schema, detail levels, partials, the CLI's diff."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import sympy
from make_golden import DETAILS, FORMATS, PROBLEMS, derive, golden_path, render

import symcalc as sc
from symcalc.cli import main

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text())
CASES = [(name, detail, fmt) for name in PROBLEMS for detail in DETAILS for fmt in FORMATS]


@pytest.mark.parametrize(("name", "detail", "fmt"), CASES, ids=["-".join(c) for c in CASES])
def test_golden(name: str, detail: str, fmt: str) -> None:
    """The ten canonical problems in four formats at three detail levels, reviewed by eye once."""
    assert render(name, detail, fmt) == golden_path(name, detail, fmt).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_golden_json_validates_against_the_documented_schema(name: str) -> None:
    for detail in DETAILS:
        data = json.loads(golden_path(name, detail, "json").read_text(encoding="utf-8"))
        if data["type"] == "derivation":
            jsonschema.validate(data, SCHEMA)
        else:
            for component in data["components"]:
                jsonschema.validate(component, SCHEMA)


@pytest.mark.parametrize(
    "expr", ["x^2 sin(x)", "x^(sin x)", "1/(1+e^(-x))", "ln(1-x^2)", "relu(x)", "x^3", "sign(x)", "max(0, x)"]
)
def test_json_validates_against_documented_schema(expr: str) -> None:
    data = sc.derivative(expr).to_dict()
    jsonschema.validate(data, SCHEMA)
    assert json.loads(json.dumps(data)) == data


def test_higher_order_implicit_and_softmax_json_validate() -> None:
    jsonschema.validate(sc.derivative("x^4", order=3).to_dict(), SCHEMA)
    jsonschema.validate(sc.implicit_derivative("x^2 + y^2 = 25", order=2).to_dict(), SCHEMA)
    data = sc.derivative("logsumexp(z1, z2, z3) - z1", "z1").to_dict()
    jsonschema.validate(data, SCHEMA)
    assert data["named_result"]["result"]["text"] == "p_1 - 1"
    assert data["named_result"]["meaning"] == "p = softmax(z1, z2, z3)"


def test_json_text_is_the_learners_notation() -> None:
    data = sc.derivative("x^2 sin(x)").to_dict()
    assert data["result"]["text"] == "x^2 cos(x) + 2x sin(x)"
    assert data["steps"]["substeps"][0]["pieces"]["u"]["text"] == "x^2"


def test_product_rule_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 sin(x)"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == [
        "Find d/dx of x^2 sin(x).",
        "1. Product rule: d/dx [x^2 sin(x)]. A product of two factors.",
        "   with u = x^2, v = sin(x): u' = 2x (power rule), v' = cos(x) (sine rule)",
        "   plug in: 2x sin(x) + x^2 cos(x)",
        "   = x^2 cos(x) + 2x sin(x)",
    ]
    assert lines[5] == "Answer: d/dx [x^2 sin(x)] = x^2 cos(x) + 2x sin(x)"


def test_no_python_or_sympy_syntax_in_text() -> None:
    """The notation a student types: no ``**``, ``Abs``, ``Ne``, ``Derivative``, ``Heaviside``, ``&``."""
    sources = [
        ("ln(1 - x^2)", None),
        ("x^2 sin(x)", None),
        ("(x^2 + 1)/(x - 1)", None),
        ("relu(x)", None),
        ("max(0, x)", None),
        ("sign(x)", None),
        ("abs(x)", None),
        ("sqrt(x)", None),
        ("ln(x) sqrt(x - 1)", None),
        ("asin(x) + ln(-x)", None),
    ]
    texts = [sc.derivative(e, v, detail=d).to_text() for e, v in sources for d in DETAILS]
    texts += [sc.implicit_derivative("x^3 + y^3 = 6 x y", order=o).to_text() for o in (1, 2)]
    bad = re.compile(r"\*\*|\*|Abs\(|Ne\(|Derivative|Heaviside|DiracDelta|y\(x\)|&|!=|<=|>=|Max\(|Piecewise")
    for t in texts:
        assert not bad.search(t), bad.search(t)


def test_conditions_read_as_a_student_writes_them() -> None:
    assert "Conditions: |x| < 1" in sc.derivative("ln(1 - x^2)").to_text()
    assert "Conditions: -1 < x < 0" in sc.derivative("asin(x) + ln(-x)").to_text()
    assert "Conditions: y ≠ 0" in sc.implicit_derivative("x^2 + y^2 = 25").to_text()
    assert "Conditions: y^2 ≠ 2x" in sc.implicit_derivative("x^3 + y^3 = 6 x y").to_text()


def test_plug_in_lines_have_no_unevaluated_noise() -> None:
    text = sc.derivative("(x^2 + 1)/(x - 1)").to_text()
    assert "   plug in: (2x (x - 1) - (x^2 + 1))/(x - 1)^2" in text.splitlines()
    full = sc.derivative("x^2 sin(x)", detail="full").to_text()
    assert "plug in: 2x^(2 - 1)" in full and "-1 + 2" not in full
    assert "1*" not in text and "*1" not in text


def test_the_tidy_result_follows_the_plug_in_on_its_own_line() -> None:
    lines = sc.derivative("(3x^2 - 1)^5").to_text().splitlines()
    i = lines.index("   plug in: 5(3x^2 - 1)^4 · 6x")
    assert lines[i + 1] == "   = 30x (3x^2 - 1)^4"


# -- detail levels --------------------------------------------------------------------------------------


def test_brief_keeps_rules_and_bindings_and_folds_trivial_steps() -> None:
    brief = sc.derivative("x^2 sin(x)", detail="brief").to_text()
    assert "with u = x^2, v = sin(x): u' = 2x (power rule), v' = cos(x) (sine rule)" in brief
    assert "plug in" not in brief
    chain = sc.derivative("(3x^2 - 1)^5", detail="brief").to_text()
    assert "Constant rule" not in chain and "d/dx [-1]" not in chain
    assert "u' = 6x" in chain
    neg = sc.derivative("e^(1 - x)", detail="brief").to_text()
    assert "1.1." not in neg and "u' = -1 (sum rule)" in neg


def test_standard_adds_plug_ins_and_full_adds_formulas_and_every_step() -> None:
    for name in PROBLEMS:
        brief, standard, full = (render(name, d, "text") for d in DETAILS)
        assert brief != standard != full, name
        assert "plug in" not in brief
        assert "((u v)' = u' v + u v')" not in standard
    full = render("product", "full", "text")
    assert "Product rule ((u v)' = u' v + u v')" in full
    assert "1.1. Power rule (d/dx x^n = n x^(n-1))" in full
    assert "Constant rule" in render("quotient", "full", "text")


def test_nesting_never_goes_deeper_than_three_levels() -> None:
    d = sc.derivative("ln(1 + e^(-y (w x + b)))", "w")
    deep = sc.derivative("sin(cos(tan(e^(x^2))))")
    for text in (d.to_text(), deep.to_text(), *(render(n, "full", "text") for n in PROBLEMS)):
        numbers = re.findall(r"^\s*((?:\d+\.)+) ", text, flags=re.M)
        assert all(n.count(".") <= 3 for n in numbers), numbers
    lines = deep.to_text().splitlines()
    assert lines[1] == "Intermediate result: let v = tan(e^(x^2)); then v' = 2x e^(x^2) sec(e^(x^2))^2:"
    assert "      1.1.1. Chain rule: d/dx [tan(e^(x^2))] = v' = 2x e^(x^2) sec(e^(x^2))^2, " in "\n".join(
        lines
    )


def test_known_rules_are_applied_silently() -> None:
    text = sc.derivative("x^3 + sin(x)", known={"power"}).to_text()
    assert "power rule" not in text.lower() and "(sine rule)" in text
    top = sc.derivative("x^3 sin(x) + cos(x)", known={"sum"}).to_text()
    assert "Sum rule" not in top and "1. Product rule" in top


def test_known_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^3 sin(x) + x^2", "--known", "power,sum"]) == 0
    out = capsys.readouterr().out
    assert "Sum rule" not in out and "power rule" not in out.lower() and "Product rule" in out
    assert main(["diff", "x^3", "--known", "powr"]) == 2
    assert "powr" in capsys.readouterr().err


def test_higher_derivatives_are_labelled_first_and_second() -> None:
    text = sc.derivative("x^3", order=2).to_text()
    assert "Derivative number" not in text
    lines = text.splitlines()
    assert lines[0] == "Find d^2/dx^2 of x^3."
    assert lines[1] == "First derivative:" and "Second derivative:" in lines
    assert lines[-1] == "Answer: d^2/dx^2 [x^3] = 6x"


# -- one letter, one thing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr", ["ln(sqrt((1+x)/(1-x)))", "(3x^2 - 1)^5", "x^2 sin(x) cos(x)", "(x sin(x))/(1 + x^2)"]
)
def test_each_letter_names_one_thing_in_a_solution(expr: str) -> None:
    d = sc.derivative(expr, detail="full")
    seen: dict[str, sympy.Expr] = {}
    for step in d.walk():
        for key, value in step.pieces.items():
            if "'" in key or key in ("outer",):
                continue
            assert seen.setdefault(key, value) == value, (key, seen[key], value)
    text = d.to_text()
    assert "with c = " not in text


# -- partial derivatives --------------------------------------------------------------------------------


def test_partial_derivatives_use_the_partial_sign_everywhere() -> None:
    d = sc.derivative("x^2 y + sin(x y)", "y")
    assert d.to_text().startswith("Find ∂/∂y of x^2 y + sin(x y), holding x constant.")
    assert "d/dy" not in d.to_text()
    assert r"\frac{\partial}{\partial y}" in d.to_markdown() and r"\frac{d}{dy}" not in d.to_latex()
    assert "Answer: ∂/∂y [x^2 y + sin(x y)] = x^2 + x cos(x y)" in d.to_text()
    one = sc.derivative("x^2 sin(x)").to_text()
    assert "∂" not in one


def test_diff_with_several_variables_gives_each_partial(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 y + sin(x y)", "--vars", "x,y"]) == 0
    out = capsys.readouterr().out
    assert "Answer: ∂/∂x [x^2 y + sin(x y)] = 2x y + y cos(x y)" in out
    assert "Answer: ∂/∂y [x^2 y + sin(x y)] = x^2 + x cos(x y)" in out
    assert out.rstrip().endswith("symcalc gradient gives them as one vector.")
    assert main(["diff", "x^2 y", "--vars", "x,y", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["type"] == "partials" and [p["var"] for p in data["partials"]] == ["x", "y"]


def test_gradient_summary_uses_the_forms_derived() -> None:
    g = sc.gradient("(w x + b - y)^2", ["w", "b"])
    answers = [line for line in g.to_text().splitlines() if line.strip().startswith("Answer:")]
    assert answers[-1] == "Answer: grad f = (2x (b + w x - y), 2(b + w x - y))"
    assert answers[0].endswith("= 2x (b + w x - y)") and answers[1].endswith("= 2(b + w x - y)")


# -- the command line -----------------------------------------------------------------------------------


def test_diff_cli_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "sin(x^2)", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["text"] == "2x cos(x^2)"
    assert main(["diff", "x^2 + y^2 = 25", "--implicit", "y"]) == 0
    out = capsys.readouterr().out
    assert "Answer: dy/dx = -x/y" in out and "Conditions: y ≠ 0" in out
    assert main(["diff", "x^(sin x)"]) == 0
    assert "Conditions: x > 0" in capsys.readouterr().out
    assert main(["diff", "ln(1 - x^2)"]) == 0
    assert "Conditions: |x| < 1" in capsys.readouterr().out


def test_diff_cli_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x*y"]) == 2
    assert "several variables" in capsys.readouterr().err


def test_output_to_a_pipe_is_never_wrapped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 sin(x)"]) == 0  # captured: not a terminal
    out = capsys.readouterr().out
    assert out == golden_path("product", "standard", "text").read_text(encoding="utf-8")
    assert max(len(line) for line in out.splitlines()) > 120


def test_a_terminal_wraps_between_expressions_never_inside_one() -> None:
    from symcalc.render.derivation import Notation, derivation_to_text, plan

    d = derive("sin(cos(tan(e^(x^2)))) + ln(1 + x^2) sqrt(1 + x^4)")
    wrapped = derivation_to_text(d, width=60)
    whole = derivation_to_text(d)
    assert wrapped != whole
    assert " ".join(wrapped.split()) == " ".join(whole.split())
    doc = plan(d, Notation())
    lines = [*doc.find, *(seg for b in doc.blocks for item in b.items for seg in _segments(item))]
    lines += [seg for _, tail in doc.tail for line in tail for seg in line]
    expressions = {seg.s for seg in lines if seg.math and " " in seg.s}
    assert len(expressions) > 10
    for expr in expressions:
        assert any(expr in line for line in wrapped.splitlines()), expr  # never broken across lines
    expressions.add(doc.answer)
    assert max(len(line) for line in wrapped.splitlines() if not any(e in line for e in expressions)) <= 60


def _segments(item):  # type: ignore[no-untyped-def]
    yield from item.head
    for note in item.notes:
        yield from note
    for child in item.children:
        yield from _segments(child)


def test_numbers_from_data_print_as_decimals() -> None:
    from symcalc.render.notation import number_text, text

    w = sympy.Symbol("w", real=True)
    assert number_text(sympy.Rational(1605141465, 661407859)) == "2.426855749"
    assert text(sympy.Rational(1605141465, 661407859) * w) == "2.426855749 w"
    c = sc.critical_points("(0.548 w - 1.23)^2 + (1.771 w + 0.4)^2")
    assert "/" not in sc.render.critical_to_text(c).splitlines()[-1]


def test_a_fit_to_data_reports_its_point_in_decimals() -> None:
    """Notebook 4: the data are decimals, so the critical point reached is printed as decimals too."""
    fit = sc.minimize("((0.548) w - (1.23))^2 + ((1.771) w + (0.4))^2", [0.0], "newton", variables=["w"])
    message = fit.verify().message
    assert "reached the local minimum at (w = " in message and "/" not in message.split("distance")[0]
