"""Compiled f, gradient and Hessian: values, shapes, dtypes, backends, domain errors, SciPy."""

from __future__ import annotations

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
