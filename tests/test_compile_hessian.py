"""The compiled Hessian's two paths (symbolic entries for a sparse Hessian, forward mode over the gradient's
graph for a dense one) give the Hessian SymPy gives; the descent loop's cheaper checks still catch a nan."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import a, expressions, x, y

import symcalc as sc
from symcalc.numeric import compile as compile_module
from symcalc.numeric import hessian as hessian_module
from symcalc.numeric.compile import DomainError, DomainWarning


def log_sum_exp(n: int) -> tuple[str, list[str]]:
    names = [f"x{i}" for i in range(1, n + 1)]
    return "log(" + " + ".join(f"exp({v})" for v in names) + ")", names


def softmax_hessian(p: np.ndarray) -> np.ndarray:
    """The log-sum-exp Hessian by hand, ``diag(s) - s s^T`` with ``s = softmax(p)``: a point or a batch."""
    s = np.exp(p - p.max(axis=-1, keepdims=True))
    s /= s.sum(axis=-1, keepdims=True)
    return s[..., :, None] * np.eye(p.shape[-1]) - s[..., :, None] * s[..., None, :]


def sympy_hessian(expr: sympy.Expr, variables: list[sympy.Symbol], point: np.ndarray) -> np.ndarray:
    h = sympy.hessian(sc.lower(expr), variables)
    return np.array(h.subs(dict(zip(variables, map(sympy.Float, point), strict=True))).evalf(30), dtype=float)


@pytest.fixture(params=["graph-llvm", "graph-numpy"])
def graph_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test below runs on both ways of carrying the tangents."""
    if request.param == "graph-numpy":
        monkeypatch.setattr(hessian_module, "LLVM_MAX_ENTRIES", -1)
    return str(request.param)


@pytest.mark.parametrize("n", [5, 8, 12])
def test_a_dense_hessian_goes_through_the_graph_and_equals_the_closed_form(n: int, graph_path: str) -> None:
    text, names = log_sum_exp(n)
    fn = sc.compile(text, names)
    rng = np.random.default_rng(n)
    point = rng.normal(size=n)
    batch = rng.normal(size=(50, n)) * 30  # large logits: the stable forms keep every entry finite
    assert np.abs(fn.hess(point) - softmax_hessian(point)).max() < 1e-14
    assert np.abs(fn.hess(batch) - softmax_hessian(batch)).max() < 1e-13
    assert fn.hess(batch).shape == (50, n, n) and fn.hess(np.empty((0, n))).shape == (0, n, n)
    assert fn.hess_backend == graph_path
    assert "_second" not in fn.__dict__, "the dense symbolic Hessian was built"


def test_a_sparse_hessian_is_compiled_from_its_symbolic_entries() -> None:
    n = 12
    names = [f"x{i}" for i in range(1, n + 1)]
    rosen = " + ".join(f"100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2" for i in range(n - 1))
    fn = sc.compile(rosen, names)
    point = np.linspace(-1.0, 1.5, n)
    assert fn.hess_backend.startswith("symengine")
    expected = sympy_hessian(fn.expr, list(fn.variables), point)
    assert np.abs(fn.hess(point) - expected).max() < 1e-9


@pytest.mark.parametrize(
    "text, names",
    [
        # softmax cross-entropy over three classes, the true class the first
        ("-log(exp(z1)/(exp(z1) + exp(z2) + exp(z3)))", ["z1", "z2", "z3"]),
        # logistic loss of a 4-weight model at one data row
        ("log(1 + exp(-(0.5*w1 - 1.5*w2 + 2*w3 + w4)))", ["w1", "w2", "w3", "w4"]),
        # a one-hidden-unit tanh network, squared error
        ("(v1*tanh(w1*0.3 + w2*1.2 + b) + v2*tanh(w1 - w2) - 1)^2", ["w1", "w2", "b", "v1", "v2"]),
        ("sigmoid(p*q + r)*softplus(p - q*r)", ["p", "q", "r"]),
        ("sin(a*b*c)*exp(a + b + c)/(1 + a^2 + b^2 + c^2)", ["a", "b", "c"]),
    ],
)
def test_the_graph_hessian_equals_sympys_on_ml_losses(text: str, names: list[str], graph_path: str) -> None:
    fn = sc.compile(text, names)
    rng = np.random.default_rng(1)
    for point in rng.normal(size=(4, len(names))):
        expected = sympy_hessian(fn.expr, list(fn.variables), point)
        got = fn.hess(point)
        assert np.abs(got - expected).max() <= 1e-10 * max(1.0, np.abs(expected).max()), (text, point)
    assert fn.hess(rng.normal(size=(6, len(names)))).shape == (6, len(names), len(names))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(expr=expressions(max_leaves=6), seed=st.integers(0, 2**16))
def test_the_graph_hessian_of_random_expressions_equals_sympys(expr: sympy.Expr, seed: int) -> None:
    variables = [x, y, a]
    forced = compile_module.SPARSE_HESSIAN_PER_ROW
    compile_module.SPARSE_HESSIAN_PER_ROW = -1  # every Hessian through the graph
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DomainWarning)
            fn = sc.compile(expr, variables, on_domain_error="ignore")
            point = np.random.default_rng(seed).uniform(0.2, 1.8, size=3)
            got = fn.hess(point)
    except sc.SymcalcError:
        assume(False)
        return
    finally:
        compile_module.SPARSE_HESSIAN_PER_ROW = forced
    expected = sympy_hessian(expr, variables, point)
    assume(np.all(np.isfinite(expected)) and np.abs(expected).max() < 1e8)
    assert fn.hess_backend.startswith("graph")
    assert np.allclose(got, expected, rtol=1e-7, atol=1e-9), (expr, point)


def test_symengine_temporaries_never_meet_a_variable_of_the_same_name() -> None:
    # SymEngine's cse names its temporaries x0, x1, ...: an unused variable so named once read as one
    text = "exp(y+z)*sin(y+z) + cos(y+z)^2 + exp(y+z)^3"
    fn = sc.compile(text, ["x0", "x1", "y", "z"])
    point = np.array([5.0, 7.0, 0.3, -0.7])
    e = sc.parse(text)
    values = {s: point[["x0", "x1", "y", "z"].index(s.name)] for s in e.free_symbols}
    assert fn(point) == pytest.approx(float(e.subs(values)), rel=1e-14)
    grad = [float(sympy.diff(e, v).subs(values)) if v in e.free_symbols else 0.0 for v in fn.variables]
    assert np.allclose(fn.grad(point), grad, rtol=1e-14)
    assert np.allclose(fn.hess(point), sympy_hessian(e, list(fn.variables), point), rtol=1e-12)


def test_the_symbolic_hessian_is_still_there_when_read() -> None:
    text, names = log_sum_exp(4)
    fn = sc.compile(text, names)
    fn.hess(np.zeros(4))
    h = fn.hessian_expr
    assert h.shape == (4, 4)
    assert sympy.simplify(h[0, 1] - sympy.diff(fn.expr, fn.variables[0], fn.variables[1])) == 0
    again = pickle.loads(pickle.dumps(fn))
    assert np.allclose(again.hess(np.ones(4)), softmax_hessian(np.ones(4)))


def test_a_nan_in_the_hessian_is_still_reported() -> None:
    fn = sc.compile("log(x1 + x2 + x3)*(x1*x2*x3)", ["x1", "x2", "x3"], on_domain_error="raise")
    with pytest.raises(DomainError, match="Hessian"):
        fn.hess(np.array([-1.0, -1.0, -1.0]))


# -- the descent loop's checks ------------------------------------------------------------------------------


def test_the_fast_one_point_call_agrees_with_the_checked_one() -> None:
    fn = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"])
    for p in (np.array([-1.2, 1.0]), np.array([3, 4]), np.arange(2.0)[::-1]):
        value, grad = fn._value_and_grad_at(p)
        v2, g2 = fn.value_and_grad(p)
        assert value == v2 and np.array_equal(grad, g2) and type(value) is float


def test_a_run_that_meets_a_nan_stops_and_reports_it_as_before() -> None:
    fn = sc.compile("log(x) + x^2", ["x"], on_domain_error="raise")
    with pytest.raises(DomainError):
        sc.minimize(fn, [1.0], "gd", lr=2.0, max_iter=50)
    warn = sc.compile("log(x) + x^2", ["x"])
    with pytest.warns(DomainWarning):
        res = sc.minimize(warn, [1.0], "gd", lr=2.0, max_iter=50)
    assert res.status == 3 and not res.success


def test_the_history_holds_the_length_of_each_step_taken() -> None:
    res = sc.minimize("(x-1)^2 + 3*(y+2)^2", [4.0, 1.0], "gd", lr=0.05, max_iter=30)
    steps = np.diff(res.history["x"], axis=0)
    assert np.allclose(res.history["step"], np.linalg.norm(steps, axis=1), rtol=1e-12, atol=1e-15)
    assert res.nfev == res.njev == len(res.history["fun"]) == res.nit + 1
    assert math.isclose(res.history["grad_norm"][0], math.hypot(6.0, 18.0))


def test_a_hessian_with_no_nonzero_entry_is_zeros_of_the_right_shape() -> None:
    fn = sc.compile("3*x - 2*y + 1", ["x", "y"])
    assert fn.hess_backend == "constant"
    assert np.array_equal(fn.hess([1.0, 2.0]), np.zeros((2, 2)))
    assert fn.hess(np.ones((4, 2))).shape == (4, 2, 2)
    quad = sc.compile("x^2 + 3*x*y", ["x", "y", "z"])
    assert np.array_equal(
        quad.hess(np.array([[1.0, 2.0, 3.0]])), [[[2.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0] * 3]]
    )
