"""Verdicts without false ones (issue 15): claims read with the problem's variables, every region of a kinked
or piecewise function sampled, a gradient check scaled to the magnitudes involved, and Lagrange points that are
real and on the constraint."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

import symcalc as sc
from symcalc.derive.verify import compare, sample_points
from symcalc.functions import lower

x, y = sympy.symbols("x y", real=True)


# -- claims are read with the problem's variables ----------------------------------------------------------


def test_a_glued_claim_is_read_with_the_problems_variables() -> None:
    c = sc.check_gradient("x^2 y + y^3", ["2xy", "x^2 + 3y^2"])
    assert c.ok, c.to_text()
    assert c.components[0].claimed == 2 * x * y


def test_a_name_the_problem_does_not_have_is_reported_never_compared() -> None:
    c = sc.check_gradient("x^2 y + y^3", ["2xz", "x^2 + 3y^2"])
    bad = c.components[0]
    assert not c.ok and list(c.wrong) == [0]
    assert bad.unknown == ("xz",) and bad.point is None and bad.claimed_value is None
    assert "unknown variable xz" in bad.hint
    assert "not compared: unknown variable xz" in c.to_text()
    assert c.to_dict()["components"][0]["unknown"] == ["xz"]
    assert c.components[1].ok


def test_constants_of_the_problem_are_known_names() -> None:
    c = sc.check_gradient("a x^2 + b", ["2ax"], ["x"])
    assert c.ok and c.components[0].claimed == 2 * sympy.Symbol("a", real=True) * x


def test_claims_match_the_callers_symbols_by_name() -> None:
    X = sympy.Symbol("x")  # not real, as a caller may build it
    c = sc.check_gradient(X**3, ["3x^2"], [X])
    assert c.ok, c.to_text()


def test_check_cli_reads_glued_claims(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    assert main(["check", "x^2 y + y^3", "--claim", "2xy", "--claim", "x^2 + 3y^2"]) == 0
    assert "All components are correct." in capsys.readouterr().out
    assert main(["check", "x^2 y + y^3", "--claim", "2xz", "--claim", "x^2 + 3y^2"]) == 1
    assert "unknown variable xz" in capsys.readouterr().out


# -- no false verdict on kinks, steps and pieces -----------------------------------------------------------

#: (function, claim, where the claim is wrong)
WRONG_ON_A_REGION = [
    ("sqrt(x^2)", "1", lambda t: t < 0),  # right for x > 0 only
    ("abs(x)", "1", lambda t: t < 0),
    ("relu(x)", "1", lambda t: t < 0),
    ("x abs(x)", "2x", lambda t: t < 0),
    ("x^2", "2x + heaviside(x - 5)", lambda t: t > 5),  # wrong only beyond 5, outside any box around 0
    ("max(x, 3)", "1", lambda t: t < 3),
    ("min(x^2, 4)", "2x", lambda t: abs(t) > 2),
    ("abs(x - 7)", "-1", lambda t: t > 7),
    ("sign(x) x^2", "2x", lambda t: t < 0),
]


@pytest.mark.parametrize(
    ("expr", "claim", "wrong_at"), WRONG_ON_A_REGION, ids=[c[0] + " -> " + c[1] for c in WRONG_ON_A_REGION]
)
def test_a_claim_wrong_on_one_region_is_caught_there(expr: str, claim: str, wrong_at: Any) -> None:
    c = sc.check_gradient(expr, [claim], ["x"], diagnose=False)
    assert not c.ok, c.to_text()
    bad = c.components[0]
    (at,) = bad.point.values()
    assert wrong_at(at)
    assert bad.expected_value != pytest.approx(bad.claimed_value)


RIGHT = [
    ("sqrt(x^2)", "sign(x)"),
    ("sqrt(x^2)", "x/abs(x)"),
    ("abs(x)", "sign(x)"),
    ("relu(x)", "heaviside(x)"),
    ("x abs(x)", "2 abs(x)"),
    ("max(x, 3)", "heaviside(x - 3)"),
    ("sqrt(x - 5)", "1/(2 sqrt(x - 5))"),  # defined only beyond 5: the points go there
    ("ln(x - 10)", "1/(x - 10)"),
    ("asin(x/20)", "1/sqrt(400 - x^2)"),
]


@pytest.mark.parametrize(("expr", "claim"), RIGHT)
def test_a_right_claim_on_a_kinked_or_narrow_domain_is_accepted(expr: str, claim: str) -> None:
    c = sc.check_gradient(expr, [claim], ["x"])
    assert c.ok, c.to_text()


def test_a_claim_undefined_where_the_derivative_exists_is_wrong_there() -> None:
    c = sc.check_gradient("abs(x)^(3/2)", ["(3/2) sqrt(x)"], ["x"], diagnose=False)
    bad = c.components[0]
    assert not c.ok and bad.claimed_value is None and next(iter(bad.point.values())) < 0
    assert "claimed not a real number" in c.to_text()


def test_the_sample_covers_both_sides_of_every_boundary_and_both_signs() -> None:
    pts = sample_points([sympy.Heaviside(x - 5) + sympy.Abs(x + y - 1)], [x, y])
    xs = np.array([p[x] for p in pts])
    s = np.array([p[x] + p[y] - 1 for p in pts])
    assert (xs < 0).any() and ((0 < xs) & (xs < 5)).any() and (xs > 5).any()
    assert ((-0.01 < s) & (s < 0)).any() and ((0 < s) & (s < 0.01)).any()
    quadrants = {(p[x] > 0, p[y] > 0) for p in pts}
    assert len(quadrants) == 4


def test_numpy_gradient_code_is_checked_on_every_region() -> None:
    c = sc.check_gradient("abs(x) + y^2", lambda p: np.array([1.0, 2 * p[1]]), ["x", "y"])
    assert list(c.wrong) == [0] and c.components[0].point["x"] < 0
    assert sc.check_gradient("abs(x) + y^2", lambda p: np.array([np.sign(p[0]), 2 * p[1]]), ["x", "y"]).ok


# -- the property: for random functions with kinks or pieces ----------------------------------------------

_c = st.integers(-3, 3)
_smooth = st.sampled_from([x, x**2 / 2, sympy.sin(x), x**3 / 6, sympy.exp(x / 3), 2 * x - 1])


def _linear(c: int, k: int) -> sympy.Expr:
    return k * (x - c)


_kink = st.one_of(
    st.builds(lambda c, k: sympy.Abs(_linear(c, k)), _c, st.sampled_from([1, -2])),
    st.builds(lambda c: sc.relu(x - c), _c),
    st.builds(lambda c, g: sympy.Max(g, c), _c, _smooth),
    st.builds(lambda c, g: sympy.Min(g, x + c), _c, _smooth),
    st.builds(lambda c: sympy.Heaviside(x - c) * x, _c),
    st.builds(lambda c, g: sympy.sign(x - c) * g, _c, _smooth),
    st.builds(
        lambda c, g, h: sympy.Piecewise((g, x < c), (h + g.subs(x, c) - h.subs(x, c), True)),
        _c,
        _smooth,
        _smooth,
    ),
)
_function = st.builds(lambda k, g, w: k * g + w, _kink, _smooth, st.sampled_from([0, 1, x]))


def _derivative(f: sympy.Expr) -> sympy.Expr:
    return sympy.diff(lower(f), x)


def _boundaries(f: sympy.Expr) -> list[float]:
    """Where f's pieces meet: jumps of f' on a fine grid, each far larger than its neighbours' steps (the
    test's own way, not the library's)."""
    grid = np.linspace(-12, 12, 24001)
    fn = sympy.lambdify(x, _derivative(f).replace(sympy.DiracDelta, lambda *a: 0), modules="numpy")
    with np.errstate(all="ignore"):
        v = np.broadcast_to(np.asarray(fn(grid), dtype=float), grid.shape)
    step = np.abs(np.diff(v))
    around = np.maximum(
        np.r_[step[3:], 0, 0, 0], np.r_[0, 0, 0, step[:-3]]
    )  # steps three away: no jump there
    jumps = np.nonzero(step > 10 * around + 1e-6)[0]
    marks: list[float] = []
    for j in jumps:
        t = round(float(grid[j]) + 0.0005, 3)
        if not marks or t - marks[-1] > 0.01:
            marks.append(t)
    return marks[:10]


@given(_function, st.data())
def test_no_claim_wrong_on_one_region_is_accepted_and_no_right_claim_rejected(
    f: sympy.Expr, data: st.DataObject
) -> None:
    d = _derivative(f)
    assert sc.check_gradient(f, [d], [x], diagnose=False).ok, f"the right claim {d} for {f} was rejected"
    # wrong on one region only: left or right of one of f's own boundaries, or between two of them (a narrow
    # band included), by a nonzero constant
    marks = sorted(set(_boundaries(f)) | {data.draw(st.integers(-6, 6), label="extra mark") + 0.5})
    i = data.draw(st.integers(0, len(marks)), label="region")
    lo = marks[i - 1] if i > 0 else None
    hi = marks[i] if i < len(marks) else None
    assume(lo is None or hi is None or hi - lo > 0.05)
    cond = sympy.And(*([x > lo] if lo is not None else []), *([x < hi] if hi is not None else []))
    k = data.draw(st.sampled_from([1, -1, sympy.Rational(1, 10), 3]), label="error")
    wrong = d + sympy.Piecewise((k, cond), (0, True))
    c = sc.check_gradient(f, [wrong], [x], diagnose=False)
    assert not c.ok, f"accepted {wrong} for d/dx {f}, wrong on {cond}"
    (at,) = c.components[0].point.values()
    assert bool(cond.subs(x, at)), f"the point {at} given is outside the wrong region {cond}"


@given(st.integers(-2, 2), st.sampled_from([sympy.Abs, sc.relu, sympy.Heaviside, sympy.sign]))
def test_two_variables_a_claim_wrong_on_one_side_of_a_tie_is_caught(c: int, kink: type) -> None:
    f = kink(x - y + c) * y + x**2
    grad = [sympy.diff(lower(f), v) for v in (x, y)]
    assert sc.check_gradient(f, grad, [x, y], diagnose=False).ok
    wrong = [grad[0] + sympy.Heaviside(y - x - c), grad[1]]  # wrong where x - y + c < 0 only
    assert list(sc.check_gradient(f, wrong, [x, y], diagnose=False).wrong) == [0]


def test_compare_counts_only_points_inside_the_functions_domain() -> None:
    # two forms of d/dx acosh(x): equal for x > 1, of opposite signs for x < -1 where acosh(x) is not real
    a, b = 1 / sympy.sqrt(x**2 - 1), 1 / (sympy.sqrt(x - 1) * sympy.sqrt(x + 1))
    assert compare(a, b).equal is False
    assert compare(a, b, context=[sympy.acosh(x)]).equal is True


# -- the gradient check is scaled to the magnitudes involved ----------------------------------------------


def test_gradient_check_allows_for_rounding_where_f_is_huge() -> None:
    fn = sc.compile("x^2 + 10*y^2", ["x", "y"])
    far = [4.02466868e-06, 9.10043815e03]  # where `descend --lr 0.11` ends: f = 8.3e8
    gc = sc.gradcheck(fn, [far])
    assert gc.ok, str(gc)
    assert gc.roundoff > 1e-3 and "rounding error" in str(gc)
    # a wrong component is still caught there, where the differences can resolve it
    assert not sc.gradcheck(fn, [far], grad=lambda p: fn.grad(p) * np.array([1.0, 1.001])).ok
    # and at ordinary points nothing is loosened
    assert not sc.gradcheck(fn, [[1.0, 1.0]], grad=lambda p: fn.grad(p) + np.array([1e-3, 0.0])).ok


def test_gradient_check_fails_on_values_that_are_not_finite_and_refuses_such_points() -> None:
    fn = sc.compile("x^2", ["x"])
    assert not sc.gradcheck(fn, [[1.0]], grad=lambda p: np.array([np.nan])).ok
    with pytest.raises(sc.SymcalcError, match="finite"):
        sc.gradcheck(fn, [[np.nan]])


def test_a_run_that_ends_far_out_keeps_a_true_gradient_check() -> None:
    res = sc.minimize("x^2 + 10*y^2", [1.0, 1.0], lr=0.11, max_iter=45)
    assert np.abs(res.x).max() > 1e3
    v = res.verify()
    assert v.gradient_check.ok and "gradient check at the end point: ok" in v.message


# -- Lagrange: real points on the constraint, and a clear error without constraints ------------------------


def test_lagrange_never_reports_a_complex_point_as_real() -> None:
    r = sc.lagrange("x*y", ["x+y=sqrt(-1)"])
    assert r.points == () and r.maximum is None and r.minimum is None
    assert "no real solution" in " ".join(r.notes)


def test_lagrange_without_constraints_is_an_error_pointing_to_critical_points() -> None:
    with pytest.raises(sc.SymcalcError, match="critical_points"):
        sc.lagrange("x*y", [])


@pytest.mark.parametrize(
    ("objective", "constraints"),
    [
        ("x*y", ["x + y = 10"]),
        ("x + y", ["x^2 + y^2 = 1"]),
        ("x^2 + y^2 + z^2", ["x + y + z = 3", "x - y = 1"]),
    ],
)
def test_every_lagrange_point_is_on_its_constraints(objective: str, constraints: list[str]) -> None:
    r = sc.lagrange(objective, constraints)
    assert r.points
    for p in r.points:
        for g in r.constraints:
            assert abs(complex(g.subs(p.point).evalf())) < 1e-9


# -- every bad input is a SymcalcError -------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim", [sympy.Eq(x, 1), x > 1, sympy.MatrixSymbol("A", 1, 1), None, [1, 2], "2x +"]
)
def test_a_claim_that_is_not_one_expression_is_a_symcalc_error(claim: Any) -> None:
    with pytest.raises(sc.SymcalcError):
        sc.check_gradient("x^2", [claim], ["x"])


@pytest.mark.parametrize("code", [lambda p: "a", lambda p: 1 / 0, lambda p: np.zeros(3)])
def test_gradient_code_that_fails_is_a_symcalc_error(code: Any) -> None:
    with pytest.raises(sc.SymcalcError, match="gradient code"):
        sc.check_gradient("x^2", code, ["x"])
