"""erf, erfc and the gamma family (issue 20): derived with a rule of their own, rendered in every format (the LaTeX
compiles), and compiled to NumPy with or without SciPy."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy
from make_golden import compile_latex, pdflatex_available

import symcalc as sc
from symcalc.numeric import special

x = sympy.Symbol("x", real=True)
SQRT_PI = sympy.sqrt(sympy.pi)


@pytest.mark.parametrize(
    ("source", "rule", "result"),
    [
        ("erf(x)", "erf", 2 * sympy.exp(-(x**2)) / SQRT_PI),
        ("erfc(x)", "erfc", -2 * sympy.exp(-(x**2)) / SQRT_PI),
        ("gamma(x)", "gamma", sympy.gamma(x) * sympy.polygamma(0, x)),
        ("loggamma(x)", "loggamma", sympy.polygamma(0, x)),
        ("digamma(x)", "polygamma", sympy.polygamma(1, x)),
        ("polygamma(2, x)", "polygamma", sympy.polygamma(3, x)),
    ],
)
def test_each_function_has_its_rule(source: str, rule: str, result: sympy.Expr) -> None:
    d = sc.derivative(source, "x")
    (step,) = d.steps.substeps
    assert step.rule == rule
    assert sympy.simplify(step.result - result) == 0
    assert sympy.simplify(d.result - result) == 0
    assert sc.CATALOGUE[rule].formula_text.startswith("d/dx")


@pytest.mark.parametrize(
    ("source", "rule", "expected"),
    [
        ("erf(x^2)", "erf", 4 * x * sympy.exp(-(x**4)) / SQRT_PI),
        ("erfc(3x)", "erfc", -6 * sympy.exp(-9 * x**2) / SQRT_PI),
        ("gamma(x^2 + 1)", "gamma", 2 * x * sympy.gamma(x**2 + 1) * sympy.polygamma(0, x**2 + 1)),
        ("loggamma(2x)", "loggamma", 2 * sympy.polygamma(0, 2 * x)),
        ("polygamma(1, x^2)", "polygamma", 2 * x * sympy.polygamma(2, x**2)),
    ],
)
def test_the_chain_rule_names_the_outer_rule(source: str, rule: str, expected: sympy.Expr) -> None:
    d = sc.derivative(source, "x")
    (chain,) = d.steps.substeps
    assert chain.rule == "chain"
    assert chain.substeps[0].rule == rule
    assert sympy.simplify(d.result - expected) == 0
    assert sympy.simplify(d.result - sympy.diff(sc.parse(source), x)) == 0


def test_the_explanations_read_as_the_textbook_writes_them() -> None:
    text = sc.derivative("erf(x^2)", "x").to_text()
    assert "d/du [erf(u)] = 2 e^(-u^2)/sqrt(pi) (error function rule)" in text
    text = sc.derivative("gamma(2x)", "x").to_text()
    assert "d/du [gamma(u)] = gamma(u) polygamma(0, u) (gamma function rule)" in text
    assert "Answer: d/dx [gamma(2x)] = 2 gamma(2x) polygamma(0, 2x)" in text
    assert sc.CATALOGUE["erf"].formula_text == "d/dx erf(x) = 2/sqrt(pi) e^(-x^2)"
    assert "digamma" in sc.CATALOGUE["gamma"].formula_text


def test_loggamma_states_where_it_is_real() -> None:
    d = sc.derivative("loggamma(x)", "x")
    assert any(str(c) == "x > 0" for c in d.conditions)


def test_gelu_derivative() -> None:
    d = sc.derivative("x*(1+erf(x/sqrt(2)))/2", "x")
    expected = (1 + sympy.erf(x / sympy.sqrt(2))) / 2 + x * sympy.exp(-(x**2) / 2) / sympy.sqrt(2 * sympy.pi)
    assert sympy.simplify(d.result - expected) == 0


def test_the_answers_read_back() -> None:
    """The plain-text answer of a derivative with gamma in it is text that parse reads."""
    for source in ["gamma(x)^2", "loggamma(x^2 + 1)", "erf(x) gamma(x)"]:
        d = sc.derivative(source, "x")
        assert sympy.simplify(sc.parse(sc.render.notation.text(d.result)) - d.result) == 0


@pytest.mark.skipif(not pdflatex_available(), reason="pdflatex is not installed")
def test_the_latex_compiles(tmp_path: Path) -> None:
    fragments = [
        sc.derivative(s, "x").to_latex()
        for s in ["erf(x^2)", "erfc(3x)", "gamma(x^2 + 1)", "loggamma(2x)", "polygamma(1, x^2)", "gamma(x)^2"]
    ]
    ok, errors = compile_latex("\n\\bigskip\n".join(fragments), tmp_path)
    assert ok, errors


def test_markdown_names_the_rules() -> None:
    md = sc.derivative("gamma(2x)", "x").to_markdown()
    assert "gamma function rule" in md and r"\Gamma\left(u\right)" in md


# -- compiled -------------------------------------------------------------------------------------------------

POINTS = np.array([0.3, 0.5, 1.0, 1.5, 2.7, 5.0, 9.9, 20.5, 80.0, -0.5, -1.3, -2.7, -10.25])


def _digamma(v: float) -> float:
    h = 1e-5 * max(1.0, abs(v))
    return (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h)


def test_compiled_gamma_matches_math() -> None:
    fn = sc.compile("gamma(x)")
    got = fn.f(POINTS[:, None])
    np.testing.assert_allclose(got, [math.gamma(v) for v in POINTS], rtol=1e-13)


def test_compiled_gamma_gradient_and_hessian() -> None:
    fn = sc.compile("gamma(x)")
    scipy_special = pytest.importorskip("scipy.special")
    g = scipy_special.gamma(POINTS)
    psi = scipy_special.digamma(POINTS)
    np.testing.assert_allclose(fn.grad(POINTS[:, None])[:, 0], g * psi, rtol=1e-12)
    np.testing.assert_allclose(
        fn.hess(POINTS[:, None])[:, 0, 0], g * (psi**2 + scipy_special.polygamma(1, POINTS)), rtol=1e-11
    )


def test_compiled_loggamma_is_real_for_positive_x() -> None:
    fn = sc.compile("loggamma(x)")
    positive = POINTS[POINTS > 0]
    np.testing.assert_allclose(fn.f(positive[:, None]), [math.lgamma(v) for v in positive], rtol=1e-13)
    np.testing.assert_allclose(fn.grad(positive[:, None])[:, 0], [_digamma(v) for v in positive], rtol=1e-7)
    with pytest.warns(sc.DomainWarning):
        fn.f(np.array([[-1.5]]))


def test_a_pole_of_gamma_is_outside_the_domain() -> None:
    with pytest.warns(sc.DomainWarning):
        value = sc.compile("gamma(x)").f(np.array([[-2.0]]))
    assert np.isnan(value).all()


def test_compiled_gelu() -> None:
    fn = sc.compile("x*(1+erf(x/sqrt(2)))/2")
    pts = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in pts])
    pdf = np.exp(-(pts**2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(fn.f(pts[:, None]), pts * cdf, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(fn.grad(pts[:, None])[:, 0], cdf + pts * pdf, rtol=1e-14)


@pytest.mark.parametrize("n", range(6))
def test_polygamma_without_scipy_agrees_with_scipy(n: int) -> None:
    scipy_special = pytest.importorskip("scipy.special")
    xs = np.array(
        [1e-3, 0.3, 1.0, 1.4616321449683622, 2.7, 9.9, 19.5, 25.0, 1e3, 1e6, -0.5, -1.3, -10.25, -200.1]
    )
    want = scipy_special.polygamma(n, xs)
    got = special.polygamma_numpy(n, xs)
    scale = np.maximum(np.abs(want), 1.0)
    np.testing.assert_allclose(got / scale, want / scale, rtol=0, atol=2e-14)


def test_without_scipy_the_gamma_family_still_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(special, "_scipy_special", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = special.gamma(np.array([0.5, 5.0, -1.0, -0.5, 200.0]))
    np.testing.assert_allclose(values[:2], [math.sqrt(math.pi), 24.0], rtol=1e-15)
    assert np.isnan(values[2]) and values[3] == pytest.approx(-2 * math.sqrt(math.pi)) and values[4] == np.inf
    assert np.isnan(special.loggamma(np.array([-1.0]))).all()
    assert float(special.polygamma(0, 1.0)) == pytest.approx(-0.5772156649015329, rel=1e-15)
    fn = sc.compile("gamma(x) + loggamma(x)")
    pts = np.array([[0.7], [3.0]])
    np.testing.assert_allclose(
        fn.f(pts), [math.gamma(0.7) + math.lgamma(0.7), 2.0 + math.log(2.0)], rtol=1e-13
    )
    np.testing.assert_allclose(
        fn.grad(pts)[:, 0], [math.gamma(v) * _digamma(v) + _digamma(v) for v in (0.7, 3.0)], rtol=1e-7
    )


def test_an_unsupported_special_function_is_still_refused_at_compile_time() -> None:
    with pytest.raises(sc.UnsupportedError, match="zeta"):
        sc.compile(sympy.zeta(x))
