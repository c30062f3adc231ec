"""Every result object pickles (for Dask and multiprocessing), and comes back with the same values."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy

import symcalc as sc

POINTS = np.array([[0.5, -1.0], [2.0, 0.25]])


def _round_trip(obj: Any) -> Any:
    loaded = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(loaded) is type(obj)
    return loaded


def _same_step(a: sc.Step, b: sc.Step) -> None:
    assert (a.rule, a.kind, a.expr, a.var, a.result, a.explanation) == (
        b.rule,
        b.kind,
        b.expr,
        b.var,
        b.result,
        b.explanation,
    )
    assert len(a.substeps) == len(b.substeps)
    for x, y in zip(a.substeps, b.substeps, strict=True):
        _same_step(x, y)


def _derivation(d: sc.Derivation, e: sc.Derivation) -> None:
    assert (e.expr, e.var, e.order, e.result, e.conditions) == (
        d.expr,
        d.var,
        d.order,
        d.result,
        d.conditions,
    )
    _same_step(d.steps, e.steps)
    assert e.to_text() == d.to_text()


def _matrix_result(a: Any, b: Any) -> None:
    assert b.result == a.result and tuple(b.variables) == tuple(a.variables)


def _critical(a: sc.CriticalPoints, b: sc.CriticalPoints) -> None:
    assert [(p.point, p.value, p.kind) for p in b] == [(p.point, p.value, p.kind) for p in a]
    assert (b.infinite, b.exact) == (a.infinite, a.exact)


def _lagrange(a: sc.LagrangeResult, b: sc.LagrangeResult) -> None:
    assert [(p.point, p.value, p.kind) for p in b.points] == [(p.point, p.value, p.kind) for p in a.points]


def _gradient_check(a: sc.GradientCheck, b: sc.GradientCheck) -> None:
    assert (b.ok, b.mistakes, b.hints) == (a.ok, a.mistakes, a.hints)


def _gradcheck(a: sc.GradCheck, b: sc.GradCheck) -> None:
    assert (b.ok, b.max_abs_error, b.max_rel_error, b.worst_component) == (
        a.ok,
        a.max_abs_error,
        a.max_rel_error,
        a.worst_component,
    )
    np.testing.assert_array_equal(b.worst_point, a.worst_point)


def _optimize(a: sc.OptimizeResult, b: sc.OptimizeResult) -> None:
    np.testing.assert_array_equal(b.x, a.x)
    assert (b.fun, b.nit, b.success, b.message, b.method) == (a.fun, a.nit, a.success, a.message, a.method)
    for key in a.history:
        np.testing.assert_array_equal(b.history[key], a.history[key])
    assert b.verify().reached == a.verify().reached == "local minimum"


def _compiled(a: sc.CompiledFunction, b: sc.CompiledFunction) -> None:
    assert (b.expr, b.variables, b.backend, b.constants) == (a.expr, a.variables, a.backend, a.constants)
    for p in [*POINTS, POINTS]:
        np.testing.assert_array_equal(b.f(p), a.f(p))
        np.testing.assert_array_equal(b.grad(p), a.grad(p))
        np.testing.assert_array_equal(b.hess(p), a.hess(p))


def _backprop(a: sc.BackpropTrace, b: sc.BackpropTrace) -> None:
    np.testing.assert_array_equal(b.gradient, a.gradient)
    assert (b.values, b.adjoints, b.at) == (a.values, a.adjoints, a.at)
    assert b.to_text() == a.to_text()


def _graph(a: sc.ComputationalGraph, b: sc.ComputationalGraph) -> None:
    assert b.nodes == a.nodes and b.expr == a.expr


def _regression(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(b.params, a.params)
    np.testing.assert_array_equal(b.history, a.history)
    assert b.expression == a.expression and b.gradient_trace(0).result == a.gradient_trace(0).result


def _data_function() -> sc.CompiledFunction:
    w, b = sympy.symbols("w b", real=True)
    i, m = sympy.Symbol("i", integer=True), sympy.Symbol("m", integer=True, positive=True)
    X, y = sympy.IndexedBase("X"), sympy.IndexedBase("y")
    loss = sympy.Sum(sc.softplus(-y[i] * (w * X[i] + b)), (i, 1, m)) / m
    return sc.compile(loss, [w, b], data={"X": np.array([1.0, -2.0, 3.0]), "y": np.array([1.0, -1.0, 1.0])})


CASES: dict[str, tuple[Callable[[], Any], Callable[[Any, Any], None]]] = {
    "Derivation": (lambda: sc.derivative("x^2*sin(x) + sigmoid(x)", "x"), _derivation),
    "Step": (lambda: sc.derivative("x^2*sin(x)", "x").steps, _same_step),
    "Gradient": (lambda: sc.gradient("x^2*y + y^3", ["x", "y"]), _matrix_result),
    "Hessian": (lambda: sc.hessian("x^2*y + y^3", ["x", "y"]), _matrix_result),
    "Jacobian": (lambda: sc.jacobian(["x*y", "x + y"], ["x", "y"]), _matrix_result),
    "LocalModel": (
        lambda: sc.taylor("exp(x)*y", {"x": 0, "y": 1}, order=2),
        lambda a, b: (b.result == a.result) or pytest.fail("the model changed"),
    ),
    "CriticalPoints": (lambda: sc.critical_points("x^3 - 3*x*y + y^3", ["x", "y"]), _critical),
    "LagrangeResult": (lambda: sc.lagrange("x*y", ["x + y - 10"], ["x", "y"]), _lagrange),
    "GradientCheck": (lambda: sc.check_gradient("x^2*y", ["2*x", "x^2"], ["x", "y"]), _gradient_check),
    "GradCheck": (lambda: sc.gradcheck(sc.compile("x^2*y", ["x", "y"]), POINTS), _gradcheck),
    "OptimizeResult": (lambda: sc.minimize("(x - 1)^2 + 2*(y + 3)^2", [0.0, 0.0], "newton"), _optimize),
    "CompiledFunction": (
        lambda: sc.compile("a*sigmoid(x*y) + x^2", ["x", "y"], constants={"a": 2.0}),
        _compiled,
    ),
    "CompiledFunction, lambdify": (lambda: sc.compile("relu(x) + max(x, y)^2", ["x", "y"]), _compiled),
    "CompiledFunction over data": (_data_function, _compiled),
    "BackpropTrace": (lambda: sc.backprop("sigmoid(w*x + b)", {"w": 0.5, "x": 2.0, "b": -1.0}), _backprop),
    "ComputationalGraph": (lambda: sc.graph("sin(x*y) + x*y", ["x", "y"]), _graph),
    "RegressionFit": (
        lambda: sc.regression.linear_regression(POINTS, [1.0, 2.0], max_iter=50),
        _regression,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_keeps_the_values(name: str) -> None:
    make, same = CASES[name]
    original = make()
    loaded = _round_trip(original)
    same(original, loaded)
    # and every rendering: expressions kept unevaluated (a plug-in line, 3*(x**2 - y)) come back as they were
    for method in ("to_text", "to_markdown", "to_dict", "_repr_markdown_", "_repr_latex_"):
        if hasattr(original, method):
            assert getattr(loaded, method)() == getattr(original, method)(), method


def test_unevaluated_expressions_stay_unevaluated() -> None:
    d = sc.derivative("x^2*sin(x)", "x")
    plug_ins = [s.plug_in for s in d.walk() if s.plug_in is not None and s.plug_in != s.result]
    assert plug_ins, "the product rule's plug-in line is kept unevaluated"
    loaded = _round_trip(d)
    assert [s.plug_in for s in loaded.walk() if s.plug_in is not None and s.plug_in != s.result] == plug_ins
    cps = sc.critical_points("x^3 - 3*x*y + y^3", ["x", "y"])
    equations = dict(cps.lines)["set every partial derivative to 0"]
    assert (
        [str(e) for e in dict(_round_trip(cps).lines)["set every partial derivative to 0"]]
        == [str(e) for e in equations]
        == ["3*(x**2 - y)", "3*(-x + y**2)"]
    )
