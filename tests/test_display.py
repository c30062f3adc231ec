"""Every result shows itself in Jupyter: Markdown or LaTeX, and HTML where a table reads better."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy

import symcalc as sc

formatters = pytest.importorskip("IPython.core.formatters")


def _bundle(obj: Any) -> dict[str, Any]:
    """What Jupyter receives for ``obj``: one entry per MIME type."""
    data, _metadata = formatters.DisplayFormatter().format(obj)
    return data


def _crit() -> sc.CriticalPoints:
    return sc.critical_points("x^3 - 3*x*y + y^3", ["x", "y"])


# every result type, and what its richest display must say
RESULTS: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "Derivation": (lambda: sc.derivative("x^2*sin(x)", "x"), [r"\cos"]),
    "Step": (
        lambda: sc.derivative("x^2*sin(x)", "x").steps.substeps[0],
        ["**Product rule**", r"\frac{d}{dx}"],
    ),
    "Gradient": (lambda: sc.gradient("x^2*y", ["x", "y"]), ["2 x y"]),
    "Hessian": (lambda: sc.hessian("x^2*y", ["x", "y"]), ["2 y"]),
    "Jacobian": (lambda: sc.jacobian(["x*y", "x + y"], ["x", "y"]), ["x"]),
    "LocalModel": (lambda: sc.taylor("exp(x)*y", {"x": 0, "y": 1}, order=2), ["x"]),
    "CriticalPoints": (_crit, ["saddle point", "local minimum"]),
    "CriticalPoint": (
        lambda: _crit()[1],
        ["**local minimum**", "$(x, y) = (1, 1)$", "$f = -1$", "eigenvalues 3, 9"],
    ),
    "Family": (lambda: sc.critical_points("x^2*y^2", ["x", "y"]).families[0], ["**inconclusive**", "x = 0"]),
    "NondifferentiablePoint": (
        lambda: sc.critical_points("abs(x)", ["x"]).nondifferentiable[0],
        ["**local minimum**", "$x = 0$", "not differentiable"],
    ),
    "LagrangeResult": (lambda: sc.lagrange("x*y", ["x + y - 10"], ["x", "y"]), ["25"]),
    "GradientCheck": (
        lambda: sc.check_gradient("x^2*y", ["2*x", "x^2"], ["x", "y"]),
        ["WRONG", "the partial derivative is"],
    ),
    "GradCheck": (
        lambda: sc.gradcheck(sc.compile("x^2*y", ["x", "y"]), [[1.0, 2.0]]),
        ["**gradcheck ok**", "| max abs error |", "rtol = 1e-05"],
    ),
    "OptimizeResult": (
        lambda: sc.minimize("(x - 1)^2 + 2*(y + 3)^2", [0.0, 0.0], "newton"),
        ["**OptimizeResult**, newton: converged", "| x | [ 1. -3.] |", "| iterations | 1 |", "history"],
    ),
    "CompiledFunction": (
        lambda: sc.compile("a*sigmoid(x*y) + x^2", ["x", "y"], constants={"a": 2.0}),
        [
            "**Compiled function** $f(x, y) = ",
            r"\sigma\left(x y\right)",
            "`symengine-llvm`",
            "a = 2.0",
            r"\nabla f",
        ],
    ),
    "BackpropTrace": (lambda: sc.backprop("w*x + b", {"w": 1.0, "x": 2.0, "b": 3.0}), ["adjoint"]),
    "ComputationalGraph": (
        lambda: sc.graph("sin(x*y) + x*y", ["x", "y"]),
        [
            "**Computational graph**",
            "| node | operation | expression | inputs | local derivatives |",
            "`sin`",
        ],
    ),
    "ForwardModeTrace": (
        lambda: sc.forward_mode("x*y + sin(x)", {"x": 1.0, "y": 2.0}, [1.0, 0.0]),
        ["**Forward mode**", "| node | operation | expression | tangent |", "2.540302306"],
    ),
    "RegressionFit": (
        lambda: sc.regression.linear_regression(
            np.array([[0.0], [1.0], [2.0]]), [1.0, 3.0, 5.0], max_iter=20000
        ),
        ["**Linear regression**", "| parameter | fitted | closed form |", "| $w_{1}$ | 2 | 2 |"],
    ),
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_every_result_has_a_rich_display(name: str) -> None:
    make, says = RESULTS[name]
    bundle = _bundle(make())
    rich = bundle.get("text/markdown") or bundle.get("text/latex")
    assert rich, f"{name} shows only {sorted(bundle)}"
    for text in says:
        assert text in rich, (name, text, rich)


@pytest.mark.parametrize("name", ["OptimizeResult", "GradCheck", "ComputationalGraph", "RegressionFit"])
def test_tables_also_come_as_html(name: str) -> None:
    html = _bundle(RESULTS[name][0]())["text/html"]
    assert html.startswith("<p><b>") and "<table>" in html and "</table>" in html
    assert "<script" not in html


def test_html_is_escaped() -> None:
    res = sc.OptimizeResult(
        x=np.array([1.0]), fun=0.0, method="<b>mine</b>", success=False, message="a < b & c"
    )
    html = res._repr_html_()
    assert "&lt;b&gt;mine&lt;/b&gt;" in html and "a &lt; b &amp; c" in html
    assert "**OptimizeResult**, <b>mine</b>: did not converge" in res._repr_markdown_()


def test_compiled_function_latex_and_long_expressions() -> None:
    fn = sc.compile("x^2 + 3*y", ["x", "y"])
    assert fn._repr_latex_() == "$$f(x, y) = x^{2} + 3 y$$"
    assert "compiled on first use" in fn._repr_markdown_()
    fn.hess([1.0, 2.0])
    assert "(the Hessian: `symengine-llvm`)" in fn._repr_markdown_()
    xs = sympy.symbols("x1:60", real=True)
    big = sc.compile(sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(len(xs) - 1)))
    assert "too long to show" in big._repr_latex_() and len(big._repr_markdown_()) < 4000


def test_step_latex() -> None:
    d = sc.derivative("x^2*sin(x)", "x")
    product = d.steps.substeps[0]
    assert product._repr_latex_() == (
        r"$$\frac{d}{dx}\left[x^{2} \sin{\left(x \right)}\right] = " + sympy.latex(product.result) + "$$"
    )
    assert product._repr_markdown_().count("\n    - ") == len(product.substeps)
