"""symcalc's results in SymPy's own tools: its ML functions print themselves for every code printer, stably."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
from sympy.printing.numpy import CuPyPrinter, JaxPrinter, NumPyPrinter
from sympy.printing.pytorch import TorchPrinter
from sympy.printing.tensorflow import TensorflowPrinter

import symcalc as sc
from symcalc.functions import relu, sigmoid, softplus

X = sympy.Symbol("x", real=True)
POINTS = [-800.0, -40.0, -1.5, 0.0, 0.3, 2.0, 40.0, 800.0]

# expressions a user meets in symcalc's results: the derivatives of the ML functions, and the functions, with
# the absolute error allowed besides a relative 1e-12 (SymPy's own ``1 - sigmoid(x)`` is as exact as a float
# subtraction; the functions themselves are exact to the last bits, however small their value)
RESULTS = {
    "sigmoid'": (lambda: sc.derivative("sigmoid(x)", "x").result, 1e-15),
    "softplus(2x)'": (lambda: sc.derivative("softplus(2*x)", "x").result, 1e-300),
    "log(sigmoid)'": (lambda: sc.derivative("log(sigmoid(x))", "x").result, 1e-15),
    "sigmoid": (lambda: sigmoid(X), 1e-300),
    "softplus": (lambda: softplus(X), 1e-300),
    "relu": (lambda: relu(X), 1e-300),
}


def _reference(expr: sympy.Expr, x: float) -> float:
    """The value at 50 digits, from the elementary form (mpmath has no overflow)."""
    with mpmath.workdps(50):
        return float(sympy.lambdify(X, sc.lower(expr), "mpmath")(mpmath.mpf(x)))


@pytest.mark.parametrize("module", ["numpy", "math", "mpmath", "scipy"])
@pytest.mark.parametrize("name", list(RESULTS))
def test_lambdify_takes_a_symcalc_result(name: str, module: str) -> None:
    make, atol = RESULTS[name]
    expr = make()
    assert expr.has(sigmoid, softplus, relu)  # the test is about symcalc's own functions
    fn = sympy.lambdify(X, expr, module)
    for x in POINTS:
        got = float(fn(x))
        assert math.isfinite(got), (name, module, x)
        assert got == pytest.approx(_reference(expr, x), rel=1e-12, abs=atol), (name, module, x)


@pytest.mark.parametrize("name", list(RESULTS))
def test_numpy_code_is_vectorised_and_quiet(name: str) -> None:
    make, atol = RESULTS[name]
    expr = make()
    fn = sympy.lambdify(X, expr, "numpy")
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # none, even in a branch thrown away
        got = np.broadcast_to(fn(np.array(POINTS)), (len(POINTS),))
    np.testing.assert_allclose(got, [_reference(expr, x) for x in POINTS], rtol=1e-12, atol=atol)


def test_pycode_and_ccode_print_stable_forms_that_run() -> None:
    expr = sc.derivative("softplus(x)^2", "x").result  # 2 softplus(x) sigmoid(x)
    py = sympy.pycode(expr)
    c = sympy.ccode(expr)
    assert "sigmoid" not in py and "softplus" not in py and "math.log1p" in py
    assert "sigmoid" not in c and "softplus" not in c and "log1p" in c and "fmax" in c
    # the C99 code is also valid Python once the C library's names are given, so both can be run here
    c_names = {"exp": math.exp, "log1p": math.log1p, "fabs": abs, "fmax": max, "fmin": min}
    for x in POINTS:
        want = _reference(expr, x)
        assert eval(py, {"math": math, "x": x}) == pytest.approx(want, rel=1e-12, abs=1e-300)
        assert eval(c, {**c_names, "x": x}) == pytest.approx(want, rel=1e-12, abs=1e-300)
    assert sympy.ccode(relu(X)) == "fmax(0, x)"
    assert sympy.pycode(sigmoid(X)) == "(math.exp(min(0, x))/(1 + math.exp(-abs(x))))"
    assert sympy.pycode(sigmoid(X) ** 2) == "(math.exp(min(0, x))/(1 + math.exp(-abs(x))))**2"


def test_the_numpy_printer_family_uses_its_own_module() -> None:
    expr = sigmoid(X) + softplus(X) + relu(X)
    settings = {"fully_qualified_modules": True}
    assert set(NumPyPrinter(settings).doprint(expr).split(" + ")) == {
        "numpy.exp(-numpy.logaddexp(0, -(x)))",
        "numpy.logaddexp(0, x)",
        "numpy.maximum(x, 0)",
    }
    jax = JaxPrinter(settings).doprint(expr)
    assert "jax.numpy.logaddexp(0, x)" in jax and "jax.numpy.maximum(x, 0)" in jax and "sigmoid" not in jax
    assert "cupy.logaddexp(0, x)" in CuPyPrinter(settings).doprint(expr)
    assert "scipy.special.expit(x)" in sympy.printing.numpy.SciPyPrinter(settings).doprint(sigmoid(X))
    tf = TensorflowPrinter(settings).doprint(expr)
    assert {"tensorflow.math.sigmoid(x)", "tensorflow.math.softplus(x)", "tensorflow.nn.relu(x)"} <= set(
        tf.split(" + ")
    )
    torch = TorchPrinter(settings).doprint(expr)
    assert (
        "torch.sigmoid(x)" in torch
        and "torch.nn.functional.softplus(x)" in torch
        and "torch.relu(x)" in torch
    )


def test_jax_lambdify_agrees_with_numpy() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for name, (make, _atol) in RESULTS.items():
        expr = make()
        got = np.asarray(sympy.lambdify(X, expr, "jax")(jax.numpy.array(POINTS)))
        want = np.broadcast_to(sympy.lambdify(X, expr, "numpy")(np.array(POINTS)), got.shape)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=name)


def test_evalf_and_rewrites() -> None:
    assert float(softplus(2)) == pytest.approx(math.log1p(math.exp(2)), rel=1e-15)
    assert float(sigmoid(sympy.Rational(1, 2))) == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert float(relu(sympy.Float(-2.5))) == 0.0
    assert softplus(2).evalf(30) == pytest.approx(float(sympy.log(1 + sympy.exp(2)).evalf(30)))
    assert softplus(2 * X).evalf() == softplus(2 * X)  # a symbolic argument stays as it is
    for x in (-3.0, 0.5, 7.0):
        assert float(sigmoid(X).rewrite(sympy.tanh).subs(X, x)) == pytest.approx(1 / (1 + math.exp(-x)))
    assert relu(X).rewrite(sympy.Piecewise) == sympy.Piecewise((X, X > 0), (0, True))
    assert relu(X).rewrite(sympy.Heaviside) == X * sympy.Heaviside(X, 0)
    assert softplus(X).rewrite(sympy.exp) == sympy.log(1 + sympy.exp(X))


def test_lower_is_public() -> None:
    assert sc.lower is sc.functions.lower
    assert sc.lower(relu(X) + sigmoid(X)) == sympy.Max(0, X) + 1 / (1 + sympy.exp(-X))
    assert "lower" in sc.__all__


def test_two_symbols_with_one_name_are_an_error_never_merged() -> None:
    """Issue 20: a SymPy x beside symcalc's real x was differentiated as if it were a constant."""
    x = sympy.Symbol("x")
    mixed = sc.parse("x^2") + 3 * x
    for call in (
        lambda: sc.derivative(mixed, x),
        lambda: sc.gradient(mixed, [x]),
        lambda: sc.hessian(mixed, ["x"]),
        lambda: sc.compile(mixed, ["x"]),
        lambda: sc.critical_points(mixed),
    ):
        with pytest.raises(sc.SymcalcError, match="two different symbols are both named x"):
            call()
    # one symbol per name, whichever it is, gives sympy.diff's answer
    assert sc.derivative(x**2 + 3 * x, x).result == 2 * x + 3
    a, b = sc.symbols("a b")
    assert a.is_real and sc.gradient(a**2 * b, [a, b]).result.T.tolist() == [[2 * a * b, a**2]]
