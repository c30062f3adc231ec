"""Renderings: golden Markdown, the JSON schema, balanced LaTeX, the CLI, detail levels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from make_golden import GOLDEN, HERE, render

import symcalc as sc
from symcalc.cli import main

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text())


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_markdown(name: str) -> None:
    assert render(name) == (HERE / f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("expr", ["x^2 sin(x)", "x^(sin x)", "1/(1+e^(-x))", "ln(1-x^2)", "relu(x)", "x^3"])
def test_json_validates_against_documented_schema(expr: str) -> None:
    data = sc.derivative(expr).to_dict()
    jsonschema.validate(data, SCHEMA)
    assert json.loads(json.dumps(data)) == data


def test_higher_order_and_implicit_json_validate() -> None:
    jsonschema.validate(sc.derivative("x^4", order=3).to_dict(), SCHEMA)
    jsonschema.validate(sc.implicit_derivative("x^2 + y^2 = 25").to_dict(), SCHEMA)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_latex_fragment_is_balanced(name: str) -> None:
    expr, var = GOLDEN[name]
    d = sc.implicit_derivative(expr) if var == "implicit" else sc.derivative(expr, var)
    tex = d.to_latex()
    assert tex.count(r"\begin{") == tex.count(r"\end{")
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert tex.count("$") % 2 == 0


def test_product_rule_names_its_pieces_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x^2 sin(x)"]) == 0
    out = capsys.readouterr().out
    assert "Product rule" in out
    assert "u = x**2, u' = 2*x, v = sin(x), v' = cos(x)" in out
    assert out.splitlines()[-3] == "Answer: d/dx [x**2*sin(x)] = x**2*cos(x) + 2*x*sin(x)"


def test_diff_cli_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "sin(x^2)", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["text"] == "2*x*cos(x**2)"
    assert main(["diff", "x^2 + y^2 = 25", "--implicit", "y"]) == 0
    out = capsys.readouterr().out
    assert "Answer: dy/dx = -x/y" in out and "Conditions: y != 0" in out
    assert main(["diff", "x^(sin x)"]) == 0
    assert "Conditions: x > 0" in capsys.readouterr().out
    assert main(["diff", "ln(1 - x^2)"]) == 0
    assert "Conditions: |x| < 1" in capsys.readouterr().out


def test_diff_cli_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "x*y"]) == 2
    assert "several variables" in capsys.readouterr().err


def test_typed_sigmoid_ends_in_sigma_form_with_exponential_equivalent() -> None:
    d = sc.derivative("1/(1+e^(-x))")
    x = d.var
    assert d.result == sc.sigmoid(x) * (1 - sc.sigmoid(x))
    assert any(f.has(sc.parse("e^(-x)")) for f in d.equivalent_forms)


def test_brief_is_at_most_about_half_of_full() -> None:
    brief = sc.derivative("sin(cos(tan(x^2)))", detail="brief").to_text().splitlines()
    full = sc.derivative("sin(cos(tan(x^2)))", detail="full").to_text().splitlines()
    assert len(brief) <= 0.6 * len(full)


def test_known_rules_are_applied_silently() -> None:
    text = sc.derivative("x^3 + sin(x)", known={"power"}).to_text()
    assert "Power rule" not in text and "Sine rule" in text


def test_quotient_rule_shows_plug_in_before_tidying() -> None:
    text = sc.derivative("(x^2 + 1)/(x - 1)").to_text()
    assert "plug in: ((2*x)*(x - 1) - 1*(x**2 + 1)*1)/((x - 1)**2)" in text


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_output_compiles_with_pdflatex(tmp_path) -> None:
    import subprocess

    body = "\n".join(
        sc.derivative(e, v).to_latex() for e, v in [("x^2 sin(x)", None), ("1/(1+e^(-x))", None)]
    )
    doc = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\\end{document}\n"
    (tmp_path / "s.tex").write_text(doc)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "s.tex"], cwd=tmp_path, capture_output=True, timeout=120
    )
    assert done.returncode == 0 and (tmp_path / "s.pdf").exists()
