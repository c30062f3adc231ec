"""Compiled f, gradient and Hessian: values, shapes, dtypes, backends, domain errors, SciPy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
import sympy
from data.multivariable_cases import CASES

import symcalc as sc
from symcalc.numeric.compile import _Kernel

RNG = np.random.default_rng(42)


def _points(n: int, m: int) -> np.ndarray:
    return RNG.uniform(0.3, 1.7, size=(m, n))


def _symbolic_values(fn: sc.CompiledFunction, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    subs = {v: sympy.Float(float(c), 30) for v, c in zip(fn.variables, p, strict=True)}
    f = float(sc.functions.lower(fn.expr).evalf(30, subs=subs))
    g = np.array([float(e.evalf(30, subs=subs)) for e in fn.gradient_expr], dtype=float)
    h = np.array(
        [[float(e.evalf(30, subs=subs)) for e in row] for row in fn.hessian_expr.tolist()], dtype=float
    )
    return f, g, h


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_compiled_equals_symbolic(case) -> None:
    _name, text, variables, _g, _h = case
    expr = sc.parse(text)
    constants = {s: sympy.Rational(3, 2) for s in expr.free_symbols if s.name not in variables}
    fn = sc.compile(expr.subs(constants), variables)
    pts = _points(len(variables), 4)
    for p in pts:
        f, g, h = _symbolic_values(fn, p)
        np.testing.assert_allclose(fn.f(p), f, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fn.grad(p), g, rtol=1e-12, atol=1e-11)
        np.testing.assert_allclose(fn.hess(p), h, rtol=1e-11, atol=1e-10)
    batch_f, batch_g = fn.value_and_grad(pts)
    assert batch_f.shape == (4,) and batch_g.shape == (4, len(variables)) and batch_g.dtype == np.float64
    assert fn.hess(pts).shape == (4, len(variables), len(variables))
    np.testing.assert_allclose(batch_g[1], fn.grad(pts[1]), rtol=1e-14)


def test_shapes_and_dtypes_with_constant_components() -> None:
    fn = sc.compile("3*x + y^2", ["x", "y"])
    assert isinstance(fn.f(np.array([1.0, 2.0])), float)
    g = fn.grad(np.array([1.0, 2.0]))
    assert g.shape == (2,) and g.dtype == np.float64 and g[0] == 3.0
    assert fn.grad(np.zeros((5, 2))).shape == (5, 2)
    h = fn.hess(np.array([1.0, 2.0]))
    assert h.shape == (2, 2) and h.dtype == np.float64  # a constant Hessian is float, not int
    assert fn.hess(np.zeros((3, 2))).shape == (3, 2, 2)


def test_one_variable_accepts_a_scalar() -> None:
    fn = sc.compile("x^3")
    assert fn.f(2.0) == 8.0 and fn.grad(2.0).tolist() == [12.0] and fn.hess(2.0).tolist() == [[12.0]]


def test_wrong_shape_is_a_clear_error() -> None:
    fn = sc.compile("x*y", ["x", "y"])
    with pytest.raises(sc.SymcalcError, match=r"shape \(2,\)"):
        fn.f(np.zeros(3))


def test_backends_give_the_same_function() -> None:
    expr = sc.parse("sin(x*y) + e^(x - y^2) + ln(1 + x^2)")
    xs = sorted(expr.free_symbols, key=str)
    exprs = [expr, *[sympy.diff(expr, v) for v in xs]]
    llvm = _Kernel(xs, exprs, llvm=True)
    pts = _points(2, 50)
    assert llvm.backend == "symengine-llvm"
    reference = _Kernel.__new__(_Kernel)
    reference.k, reference.backend = len(exprs), "sympy"
    reference._np = sympy.lambdify(xs, exprs, modules="numpy", cse=True)
    np.testing.assert_allclose(llvm(pts), reference(pts), rtol=1e-13)


def test_piecewise_functions_fall_back_to_lambdify() -> None:
    fn = sc.compile("relu(x) + abs(y) + max(x, y)", ["x", "y"])
    assert fn.backend == "sympy"
    np.testing.assert_allclose(fn.grad([[1.0, -2.0], [-1.0, 3.0]]), [[2.0, -1.0], [0.0, 2.0]])


def test_domain_errors_warn_or_raise_never_complex() -> None:
    fn = sc.compile("ln(x) + sqrt(y)", ["x", "y"])
    with pytest.warns(sc.DomainWarning, match="not finite"):
        value = fn.f([-1.0, 4.0])
    assert np.isnan(value) and not np.iscomplexobj(value)
    strict = sc.compile("1/x", on_domain_error="raise")
    with pytest.raises(sc.DomainError):
        strict.f(0.0)
    quiet = sc.compile("ln(x)", on_domain_error="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(quiet.f(-1.0))


def test_scipy_takes_it_as_it_is() -> None:
    fn = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"])
    for method in ("BFGS", "Newton-CG", "trust-exact"):
        kwargs = {"hess": fn.hess} if method != "BFGS" else {}
        res = scipy.optimize.minimize(fn.f, [-1.2, 1.0], jac=fn.grad, method=method, **kwargs)
        np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)


def test_symbols_without_values_are_refused() -> None:
    with pytest.raises(sc.SymcalcError, match="not variables: a"):
        sc.compile("a*x^2", ["x"])


# -- every path ends in a clear error (issue 15) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        ("sqrt(-1)*x", "complex-valued"),
        ("log(-1)*x", "complex-valued"),
        ("x!", "factorial"),
        (sympy.zeta(sympy.Symbol("x", real=True)), "zeta"),  # gamma compiles now (issue 20)
        (sympy.Function("g")(sympy.Symbol("x", real=True)), "g"),
        (sympy.Symbol("x", real=True) + sympy.oo, "infinite"),
    ],
)
def test_what_cannot_be_compiled_is_refused_at_compile_time(expr, match) -> None:
    with pytest.raises(sc.UnsupportedError, match=match):
        sc.compile(expr)


@pytest.mark.parametrize("backend", ["auto", "numpy"])
@pytest.mark.parametrize("text", ["x*y", "sigmoid(x)*y^2", "max(x, y) + x"])
def test_an_empty_batch_gives_empty_results_on_every_backend(text: str, backend: str) -> None:
    e = sc.parse(text)
    fn = sc.CompiledFunction(e, sorted(e.free_symbols, key=str), backend=backend)
    empty = np.zeros((0, 2))
    value, grad = fn.value_and_grad(empty)
    assert value.shape == (0,) and grad.shape == (0, 2) and grad.dtype == np.float64
    assert fn.f(empty).shape == (0,) and fn.hess(empty).shape == (0, 2, 2)


def test_an_empty_batch_over_data() -> None:
    w = sympy.Symbol("w", real=True)
    i, m = sympy.Symbol("i", integer=True), sympy.Symbol("m", integer=True, positive=True)
    X = sympy.IndexedBase("X")
    fn = sc.compile(sympy.Sum((w * X[i]) ** 2, (i, 1, m)) / m, [w], data={"X": np.array([1.0, 2.0])})
    assert fn.f(np.zeros((0, 1))).shape == (0,) and fn.grad(np.zeros((0, 1))).shape == (0, 1)
    assert fn.hess(np.zeros((0, 1))).shape == (0, 1, 1)
    assert fn.f([3.0]) == pytest.approx(9.0 * 2.5)


# -- constants= (issue 20) -------------------------------------------------------------------------------


def test_constants_bind_the_other_symbols() -> None:
    fn = sc.compile("a*x^2 + b*y", ["x", "y"], constants={"a": 2.0, "b": 3})
    assert fn.f([1.0, 2.0]) == 8.0
    np.testing.assert_allclose(fn.grad([1.0, 2.0]), [4.0, 3.0])
    assert fn.constants == {"a": 2.0, "b": 3}
    assert str(fn.expr) == "2.0*x**2 + 3*y"  # a whole number stays exact, a float stays the float it is
    a = sympy.Symbol("a", real=True)
    by_symbol = sc.compile("a*x^2", constants={a: np.float64(0.5)})
    assert by_symbol.variables == (sympy.Symbol("x", real=True),) and by_symbol.f(2.0) == 2.0
    over_data = sc.compile(
        sympy.Sum(
            (a * sympy.IndexedBase("X")[sympy.Symbol("i", integer=True)] - sympy.Symbol("w", real=True)) ** 2,
            (sympy.Symbol("i", integer=True), 1, 2),
        ),
        ["w"],
        data={"X": np.array([1.0, 3.0])},
        constants={"a": 2.0},
    )
    assert over_data.f([0.0]) == pytest.approx(4.0 + 36.0)


@pytest.mark.parametrize(
    ("constants", "match"),
    [
        ({"q": 1.0}, "does not have: q"),
        ({"x": 1.0}, "both a variable and a constant"),
        ({"a": np.array([1.0, 2.0])}, r"not an array of shape \(2,\); arrays of data go in data="),
        ({"a": float("nan")}, "finite real number"),
        ({"a": "2"}, "must be a number"),
        ({"a": 1j}, "finite real number"),
        ({"a": sympy.I}, "finite real number"),
        ({3: 1.0}, "named by a string or a symbol"),
    ],
)
def test_bad_constants_are_clear_errors(constants, match) -> None:
    with pytest.raises(sc.SymcalcError, match=match):
        sc.compile("a*x^2", ["x"], constants=constants)


def test_check_gradient_takes_constants() -> None:
    def grad(p: np.ndarray) -> np.ndarray:
        x, y = p
        return np.array([2 * 1.5 * x, 0.25])

    good = sc.check_gradient("a*x^2 + b*y", grad, ["x", "y"], constants={"a": 1.5, "b": 0.25})
    assert good.ok
    bad = sc.check_gradient("a*x^2 + b*y", grad, ["x", "y"], constants={"a": 2.0, "b": 0.25})
    assert not bad.ok and [c.ok for c in bad.components] == [False, True]
    claims = sc.check_gradient("a*x^2 + b*y", ["2*a*x", "b"], ["x", "y"], constants={"a": 1.5, "b": 0.25})
    assert claims.ok
    wrong = sc.check_gradient("a*x^2 + b*y", ["a*x", "b"], ["x", "y"], constants={"a": 1.5, "b": 0.25})
    assert [c.ok for c in wrong.components] == [False, True]


@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_gelu_compiles_with_erf(backend: str) -> None:
    x = sympy.Symbol("x", real=True)
    gelu = x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2
    fn = sc.CompiledFunction(gelu, [x], backend=backend)
    assert fn.backend == ("symengine-llvm" if backend == "auto" else "sympy")
    pts = np.array([[-2.0], [0.7], [3.0]])
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in pts[:, 0]])
    pdf = np.exp(-(pts[:, 0] ** 2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(fn.f(pts), pts[:, 0] * cdf, rtol=1e-14)
    np.testing.assert_allclose(fn.grad(pts)[:, 0], cdf + pts[:, 0] * pdf, rtol=1e-13)
    np.testing.assert_allclose(fn.hess(pts)[:, 0, 0], pdf * (2 - pts[:, 0] ** 2), rtol=1e-12)
