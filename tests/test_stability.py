"""Compiled code in the stable forms a NumPy user writes: finite wherever the value is, on every backend.

Each case is compiled three ways (SymEngine's LLVM JIT, SymEngine's interpreter for the Hessian, and
``sympy.lambdify``) and compared, for f, its gradient and its Hessian, with the value at 60 digits over
``|z| <= 1e4``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

import symcalc as sc
from symcalc.numeric import compile as compile_module
from symcalc.numeric.compile import CompiledFunction, _LogSumExp, _stable

# name -> (text, variables, how a triple of numbers in [-1e4, 1e4] becomes a point)
CASES: dict[str, tuple[str, list[str], Callable[[list[float]], list[float]]]] = {
    "sigmoid": ("sigmoid(z)", ["z"], lambda t: t[:1]),
    "softplus": ("softplus(z)", ["z"], lambda t: t[:1]),
    "log(1 + exp(z))": ("log(1 + exp(z))", ["z"], lambda t: t[:1]),
    "1/(1 + exp(-z))": ("1/(1 + exp(-z))", ["z"], lambda t: t[:1]),
    "exp(z)/(1 + exp(z))": ("exp(z)/(1 + exp(z))", ["z"], lambda t: t[:1]),
    "log(sigmoid(z))": ("log(sigmoid(z))", ["z"], lambda t: t[:1]),
    "log(1 - sigmoid(z))": ("log(1 - sigmoid(z))", ["z"], lambda t: t[:1]),
    "logistic loss, sigmoid form": (
        "-y*log(sigmoid(z)) - (1 - y)*log(1 - sigmoid(z))",
        ["z", "y"],
        lambda t: [t[0], abs(t[1]) / 1e4],
    ),
    "logistic loss, exp form": ("log(1 + exp(-y*(w - 2*b)))", ["w", "b", "y"], lambda t: [t[0], t[1], 1.0]),
    "logsumexp of 3": ("logsumexp(z, 2*z, -z)", ["z"], lambda t: t[:1]),
    "softmax cross-entropy": ("logsumexp(a, b, c) - b", ["a", "b", "c"], lambda t: t),
    "logsumexp of 2": ("logsumexp(a, b)", ["a", "b"], lambda t: t[:2]),
}
BACKENDS = ["llvm", "interpreter", "numpy"]
EDGES = [0.0, 1e-8, 1.0, 40.0, 709.0, 710.0, 745.0, 800.0, 1e4]


@cache
def _compiled(name: str, backend: str) -> CompiledFunction:
    text, names, _ = CASES[name]
    e = sc.parse(text)
    xs = [next(s for s in e.free_symbols if s.name == n) for n in names]
    fn = CompiledFunction(e, xs, on_domain_error="raise", backend="numpy" if backend == "numpy" else "auto")
    limit = compile_module.LLVM_HESSIAN_MAX_OPS
    compile_module.LLVM_HESSIAN_MAX_OPS = -1 if backend == "interpreter" else limit
    try:
        fn.hess(np.zeros(len(xs)))  # compile the Hessian now, with the backend asked for
    finally:
        compile_module.LLVM_HESSIAN_MAX_OPS = limit
    expected = {"llvm": ("symengine-llvm", "symengine-llvm"), "interpreter": ("symengine-llvm", "symengine")}
    assert (fn.backend, fn.hess_backend) == expected.get(backend, ("sympy", "sympy"))
    return fn


def _without_cancellation(e: sympy.Expr) -> sympy.Expr:
    """The same function as one fraction in the exponentials (inside each log too), so that 60 digits give it to
    full precision however large the exponentials are: ``1 - 1/(1 + exp(-z))`` is ``exp(-z)/(1 + exp(-z))``,
    which mpmath (it has no overflow) evaluates at ``z = 1e4`` to all its digits."""
    e = e.replace(lambda n: isinstance(n, sympy.log), lambda n: sympy.log(sympy.cancel(n.args[0])))
    return sympy.cancel(e)


@cache
def _reference(
    name: str,
) -> tuple[Callable[..., object], list[Callable[..., object]], list[Callable[..., object]]]:
    text, names, _ = CASES[name]
    e = sc.lower(sc.parse(text))
    xs = [next(s for s in e.free_symbols if s.name == n) for n in names]
    f = sympy.lambdify(xs, _without_cancellation(e), "mpmath")
    g = [sympy.lambdify(xs, _without_cancellation(e.diff(x)), "mpmath") for x in xs]
    h = [sympy.lambdify(xs, _without_cancellation(e.diff(x, y)), "mpmath") for x in xs for y in xs]
    return f, g, h


def _exact(name: str, p: list[float]) -> tuple[float, np.ndarray, np.ndarray]:
    f, g, h = _reference(name)
    n = len(p)
    with mpmath.workdps(60):
        args = [mpmath.mpf(v) for v in p]
        return (
            float(f(*args)),  # type: ignore[arg-type]
            np.array([float(gi(*args)) for gi in g]),  # type: ignore[arg-type]
            np.array([float(hi(*args)) for hi in h]).reshape(n, n),  # type: ignore[arg-type]
        )


def _check(name: str, backend: str, triple: list[float]) -> None:
    point = CASES[name][2](triple)
    fn = _compiled(name, backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DomainWarning, no NumPy RuntimeWarning
        value, grad = fn.value_and_grad(point)
        hess = fn.hess(point)
    want_f, want_g, want_h = _exact(name, point)
    for got, want in ((value, want_f), (grad, want_g), (hess, want_h)):
        assert np.all(np.isfinite(got)), (name, backend, point, got)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=f"{name} {backend} at {point}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(CASES))
def test_finite_and_right_at_the_edges(name: str, backend: str) -> None:
    for z in EDGES:
        for sign in (1.0, -1.0):
            _check(name, backend, [sign * z, -sign * z / 2, sign * z / 3])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(CASES))
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=3, max_size=3))
@example([1e4, -1e4, 1e4])
@example([-800.0, 800.0, 0.0])
def test_finite_and_right_everywhere(name: str, backend: str, triple: list[float]) -> None:
    _check(name, backend, triple)


# -- the reproducers of issue 20 --------------------------------------------------------------------------


def test_logistic_loss_in_sigmoid_form_at_large_logits() -> None:
    fn = sc.compile("-y*log(sigmoid(z)) - (1 - y)*log(1 - sigmoid(z))", ["z", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fn.f([800.0, 0.0]) == 800.0
        assert fn.f([-800.0, 1.0]) == 800.0
        # d/dz = sigmoid(z) - y and d/dy = softplus(-z) - softplus(z) = -z
        np.testing.assert_allclose(fn.grad([-800.0, 1.0]), [-1.0, 800.0])
        np.testing.assert_allclose(fn.grad(np.array([[800.0, 0.0], [0.0, 0.5]])), [[1.0, -800.0], [0.0, 0.0]])


def test_softplus_logsumexp_and_the_sigmoid_gradient() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softplus = sc.compile("softplus(x)")
        assert softplus.f(800.0) == 800.0 and softplus.grad(800.0).tolist() == [1.0]
        assert softplus.f(-40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)  # not rounded to 0
        lse = sc.compile("logsumexp(x, y)")
        assert lse.f([800.0, 800.0]) == pytest.approx(800 + np.log(2), rel=1e-15)
        np.testing.assert_allclose(lse.grad([800.0, 800.0]), [0.5, 0.5])
        sigmoid = sc.compile("sigmoid(x)")
        assert sigmoid.grad(-800.0).tolist() == [0.0] and sigmoid.hess(-800.0).tolist() == [[0.0]]
        assert sigmoid.grad(-40.0)[0] == pytest.approx(4.248354255291589e-18, rel=1e-14)


def test_objectives_over_data_are_stable_too() -> None:
    w, b = sympy.symbols("w b", real=True)
    i, m = sympy.Symbol("i", integer=True), sympy.Symbol("m", integer=True, positive=True)
    X, y = sympy.IndexedBase("X"), sympy.IndexedBase("y")
    loss = sympy.Sum(-sympy.log(sc.sigmoid(y[i] * (w * X[i] + b))), (i, 1, m)) / m
    fn = sc.compile(
        loss, [w, b], data={"X": np.array([1000.0, -2000.0, 3.0]), "y": np.array([-1.0, 1.0, 1.0])}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the logits y (w X + b) are -5000, -10000 and 15: softplus of minus each, averaged
        assert fn.f([5.0, 0.0]) == pytest.approx((15000 + np.log1p(np.exp(-15.0))) / 3, rel=1e-12)
        np.testing.assert_allclose(fn.grad([5.0, 0.0])[0], 1000.0, rtol=1e-9)
        assert np.all(np.isfinite(fn.hess([5.0, 0.0])))


def test_a_real_overflow_is_named_as_such() -> None:
    with pytest.warns(sc.DomainWarning, match="beyond the range of a float"):
        assert sc.compile("exp(x)").f(800.0) == np.inf


# -- the rewrites themselves ------------------------------------------------------------------------------

Z = sympy.Symbol("z", real=True)
W = sympy.Symbol("w", real=True)
E, sp = sympy.exp, sc.softplus


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (sympy.log(1 + E(Z)), sp(Z)),
        (1 / (1 + E(-Z)), E(-sp(-Z))),  # sigmoid(z)
        (E(Z) / (1 + E(Z)), E(-sp(-Z))),  # the same sigmoid
        (E(-Z) / (1 + E(-Z)) ** 2, E(-Z - 2 * sp(-Z))),  # its derivative
        (sympy.log(1 / (1 + E(-Z))), -sp(-Z)),  # log(sigmoid(z))
        (sympy.log(1 - 1 / (1 + E(-Z))), -sp(Z)),  # log(1 - sigmoid(z))
        (Z - sympy.log(1 + E(Z)), -sp(-Z)),
        (E(Z) * E(-2 * Z), E(-Z)),
        (sympy.log(E(Z) + E(W)), _LogSumExp(W, Z)),
        (E(Z) / (E(Z) + E(W)), E(Z - _LogSumExp(W, Z))),  # a softmax
        ((E(2 * Z) - E(-Z)) / (E(Z) + E(W)), E(2 * Z - _LogSumExp(W, Z)) - E(-Z - _LogSumExp(W, Z))),
        (sympy.log(2 + E(Z)), _LogSumExp(sympy.log(2), Z)),
        (sympy.log(1 + 3 * E(Z)), sp(Z + sympy.log(3))),
        (sympy.log(1 - E(Z)), sympy.log(1 - E(Z))),  # not a log-sum-exp: left alone
        (E(Z) + Z**2, E(Z) + Z**2),
        ((sympy.sin(Z) + 1) * E(Z), (sympy.sin(Z) + 1) * E(Z)),
    ],
)
def test_stable_rewrites(before: sympy.Expr, after: sympy.Expr) -> None:
    assert _stable(before) == after


def test_plain_expressions_are_not_touched() -> None:
    e = sc.parse("(1 - x)^2 + 100*(y - x^2)^2 + sin(x*y) + exp(x)")
    assert _stable(e) is e
    fn = sc.compile(e)
    assert fn._numeric is e


def test_what_a_reader_sees_is_elementary() -> None:
    fn = sc.compile("logsumexp(a, b, c) - b + softplus(a)")
    assert not fn.gradient_expr.has(_LogSumExp, sc.sigmoid, sc.softplus)
    assert not fn.hessian_expr.has(_LogSumExp, sc.sigmoid, sc.softplus)
    assert fn._grad_numeric[0].has(_LogSumExp)  # what runs is the stable form
    a, b, c = fn.variables
    point = {a: 0.3, b: -1.2, c: 2.0}
    want = sympy.Matrix([sympy.diff(sc.lower(fn.expr), v) for v in fn.variables]).subs(point)
    np.testing.assert_allclose(
        np.array(fn.gradient_expr.subs(point), dtype=float).ravel(),
        np.array(want, dtype=float).ravel(),
        rtol=1e-14,
    )


def test_compiled_derivatives_agree_with_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    fn = sc.compile(
        "-y*log(sigmoid(w*x + b)) - (1 - y)*log(1 - sigmoid(w*x + b)) + logsumexp(w, b, 0)",
        ["w", "b"],
        constants={"x": 3.0, "y": 1.0},
    )

    def loss(p: object) -> object:
        w, b = p[0], p[1]  # type: ignore[index]
        return jnp.logaddexp(0.0, -(3.0 * w + b)) + jax.scipy.special.logsumexp(jnp.stack([w, b, 0.0]))

    for p in ([0.3, -0.2], [400.0, -900.0], [-5000.0, 20.0]):
        x = np.array(p)
        np.testing.assert_allclose(fn.f(x), float(loss(x)), rtol=1e-14)
        # atol: at (-5000, 20) d/db is -1 + (1 - 2e-9), a difference both compute to 1e-15, not relatively
        np.testing.assert_allclose(fn.grad(x), np.asarray(jax.grad(loss)(x)), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fn.hess(x), np.asarray(jax.hessian(loss)(x)), rtol=1e-10, atol=1e-15)
