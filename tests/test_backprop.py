"""Backpropagation: the gradient equals the symbolic and compiled ones; forward mode; DOT; the picture; CLI."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from strategies import a, expressions, x, y

import symcalc as sc
from symcalc.teach.backprop import examples

FIXED = [
    "x*y + sin(x*y)",  # a shared subexpression: the node x*y has two users
    "exp(x)*exp(x) + x^x",
    "(x + y)^2 / (1 + x^2)",
    "tanh(x*y) + tanh(x*y)^2",
    "sigmoid(x) * (1 - sigmoid(x))",
    "softplus(2*x - y) + relu(x + y)",
    "sqrt(x^2 + y^2 + 1)",
    "ln(1 + exp(x)) - x*y",
    "atan(x/y) + asin(x/3)",
    "cosh(x) - sinh(y) + abs(x - 3)",
]


def _point(e: sympy.Expr, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {s.name: float(rng.uniform(0.2, 1.4)) for s in e.free_symbols}


@pytest.mark.parametrize("source", FIXED)
def test_backprop_equals_symbolic_and_compiled(source: str) -> None:
    e = sc.parse(source)
    t = sc.backprop(e, _point(e))
    np.testing.assert_allclose(t.gradient, t.symbolic, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.gradient, t.compiled, rtol=1e-12, atol=1e-14)
    assert t.matches


@settings(max_examples=45)
@given(expressions(max_leaves=7))
def test_random_expressions(e: sympy.Expr) -> None:
    at = {"x": 0.7, "y": 1.3, "a": 0.45}
    try:
        t = sc.backprop(e, {k: v for k, v in at.items() if sympy.Symbol(k, real=True) in e.free_symbols})
    except sc.SymcalcError as err:
        assert "not a real number" in str(err)  # e.g. log(-x): outside the domain at this point
        return
    if not (np.all(np.isfinite(t.symbolic)) and np.all(np.isfinite(t.gradient))):
        return
    np.testing.assert_allclose(t.gradient, t.symbolic, rtol=1e-9, atol=1e-12)


def test_shared_subexpression_is_one_node_with_two_users() -> None:
    g = sc.graph("sin(x*y) + x*y")
    muls = [n for n in g.nodes if n.op == "mul"]
    assert len(muls) == 1 and len(g.users()[muls[0].id]) == 2


@pytest.mark.parametrize("name", list(examples()))
def test_ml_examples(name: str) -> None:
    expr, at = examples()[name]
    t = sc.backprop(expr, at)
    assert t.matches
    np.testing.assert_allclose(t.gradient, t.compiled, rtol=1e-12, atol=1e-14)


def test_forward_mode_is_the_gradient_dotted_with_the_direction() -> None:
    for direction in ([1.0, 0.0], [0.3, -0.7]):
        f = sc.forward_mode("x*y + sin(x)*exp(y)", {"x": 0.4, "y": 1.1}, direction)
        assert f.result == pytest.approx(f.gradient_dot_direction, rel=1e-12)


def test_reverse_mode_counts_beat_forward_mode_with_many_inputs() -> None:
    e = " + ".join(f"(x{i} - {i})^2" for i in range(1, 21))
    t = sc.backprop(e, {f"x{i}": 0.5 for i in range(1, 21)})
    c = t.operation_counts
    assert c["reverse_mode_multiplies"] * 5 < c["forward_mode_multiplies_for_full_gradient"]


def test_dot_export_structure_and_picture(tmp_path) -> None:
    t = sc.backprop("(sigmoid(w*x + b) - y)^2", "w=0.5,b=0.1,x=2,y=1")
    dot = t.to_dot()
    assert dot.startswith("digraph computational_graph {") and dot.rstrip().endswith("}")
    nodes = set(re.findall(r"^  (n\d+) \[label=", dot, re.M))
    edges = re.findall(r"^  (n\d+) -> (n\d+)", dot, re.M)
    assert len(nodes) == len(t.graph.nodes) and all(a in nodes and b in nodes for a, b in edges)
    assert len(edges) == sum(len(n.inputs) for n in t.graph.nodes)
    fig = t.to_figure(save=tmp_path / "graph.png")
    assert (tmp_path / "graph.png").stat().st_size > 1000 and fig.axes


def test_wrt_selects_and_orders_the_gradient() -> None:
    t = sc.backprop("w*x + b", {"w": 2.0, "x": 3.0, "b": 1.0}, wrt="w,b")
    assert [s.name for s in t.wrt] == ["b", "w"] and t.gradient.tolist() == [1.0, 3.0]


def test_cli_backprop(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from symcalc.cli import main

    assert (
        main(
            [
                "backprop",
                "(sigmoid(w*x + b) - y)^2",
                "--at",
                "w=0.5,b=0.1,x=2,y=1",
                "--dot",
                str(tmp_path / "g.dot"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Forward pass" in out and "Backward pass" in out
    assert "The backprop gradient matches the symbolic gradient" in out
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert main(["backprop", "x*y", "--at", "x=1"]) == 2
    assert "no value given for y" in capsys.readouterr().err


def test_unused_symbols_in_strategies() -> None:
    assert {x, y, a}  # the shared strategy symbols are the ones this file evaluates at


# --- where the derivative does not exist, and values that are not numbers ----------------------------------


@pytest.mark.parametrize(
    ("source", "at", "node", "point"),
    [
        ("sqrt(w)", {"w": 0.0}, "v2 = sqrt(w)", "w = 0"),
        ("w^(1/3) + w", {"w": 0.0}, "v2 = w**(1/3)", "w = 0"),
        ("asin(w)", {"w": 1.0}, "v1 = asin(w)", "w = 1"),
        ("acos(w) * x", {"w": -1.0, "x": 2.0}, "v2 = acos(w)", "w = -1, x = 2"),
    ],
)
def test_an_infinite_local_derivative_is_a_domain_error_naming_the_node(
    source: str, at: dict[str, float], node: str, point: str
) -> None:
    with pytest.raises(sc.DomainError) as info:
        sc.backprop(source, at)
    message = str(info.value)
    assert message.startswith(
        f"the derivative does not exist at {point}: node {node} has the local derivative "
    )
    assert message.endswith(", which is not finite there")


@pytest.mark.parametrize(
    ("source", "at", "node"),
    [("log(w)", 0.0, "v1 = log(w)"), ("1/w", 0.0, "v2 = 1/w"), ("sqrt(w)", -1.0, "v2 = sqrt(w)")],
)
def test_outside_the_domain_the_node_is_named(source: str, at: float, node: str) -> None:
    with pytest.raises(sc.DomainError) as info:
        sc.backprop(source, {"w": at})
    assert str(info.value) == (
        f"the function is not defined at w = {at:g}, so neither is its derivative: "
        f"node {node} is not a real number there (outside its domain)"
    )


def test_an_overflow_is_named_as_one() -> None:
    with pytest.raises(sc.DomainError, match=r"^node v1 = exp\(w\) is too large for a float at w = 1000 "):
        sc.backprop("exp(w)", {"w": 1000.0})


def test_acot_at_zero_is_defined() -> None:
    t = sc.backprop("acot(w)", {"w": 0.0})
    assert t.values[t.graph.output] == pytest.approx(np.pi / 2)
    assert t.gradient.tolist() == [-1.0] and t.matches


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("w=abc,x=1", "w=abc: abc is not a finite number"),
        ("w=nan,x=1", "w=nan: nan is not a finite number"),
        ("w=1,x=-inf", "x=-inf: -inf is not a finite number"),
        ("w=1,x", "x: expected name=value"),
        ("=1,x=1", "=1: expected name=value"),
        ("w=1,x=1,w=2", "w has two values"),
        ({"w": "abc", "x": 1}, "w=abc: abc is not a finite number"),
        ({"w": float("nan"), "x": 1}, "w=nan: nan is not a finite number"),
        ({"w": [1, 2], "x": 1}, "w=[1, 2]: [1, 2] is not a finite number"),
    ],
)
def test_values_must_be_finite_numbers(at: object, message: str) -> None:
    with pytest.raises(sc.SymcalcError) as info:
        sc.backprop("w*x", at)  # type: ignore[arg-type]
    assert str(info.value) == f"{message} (give each symbol a value as name=number, e.g. w=0.5,b=0.1)"


def test_wrt_must_name_symbols_of_the_expression() -> None:
    with pytest.raises(sc.SymcalcError) as info:
        sc.backprop("w*x", "w=1,x=2", wrt="w,z")
    assert str(info.value) == "z is not a symbol of the expression (its symbols are w, x)"
    with pytest.raises(sc.SymcalcError, match="wrt names no symbol"):
        sc.backprop("w*x", "w=1,x=2", wrt="")


def test_forward_mode_direction_must_be_numbers() -> None:
    with pytest.raises(sc.SymcalcError, match="the direction must be finite numbers"):
        sc.forward_mode("x*y", {"x": 1.0, "y": 2.0}, ["a", 1])
    with pytest.raises(sc.SymcalcError, match="the direction must be finite numbers"):
        sc.forward_mode("x*y", {"x": 1.0, "y": 2.0}, [float("nan"), 1])


def test_names_in_at_are_read_as_in_the_expression() -> None:
    t = sc.backprop("θ*x", "θ=1.5,x=2")
    assert [s.name for s in t.wrt] == ["theta", "x"] and t.gradient.tolist() == [2.0, 1.5]
    with pytest.raises(sc.SymcalcError, match="theta has two values"):
        sc.backprop("θ*x", "θ=1.5,theta=2,x=2")
    t = sc.backprop("θ*x", "θ=1.5,x=2", wrt="θ")
    assert [s.name for s in t.wrt] == ["theta"] and t.gradient.tolist() == [2.0]
