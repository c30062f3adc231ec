"""Critical points and their kinds, within the time bound; constrained extrema by Lagrange multipliers."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy
from data.critical_cases import CONSTRAINED, UNCONSTRAINED

import symcalc as sc


def _coords(coords: tuple) -> np.ndarray:
    return np.array([float(sympy.sympify(c)) if isinstance(c, str) else float(c) for c in coords])


@pytest.mark.parametrize("case", UNCONSTRAINED, ids=[c[0] for c in UNCONSTRAINED])
def test_unconstrained(case) -> None:
    name, text, variables, points, infinite, complete = case
    timeout = 5.0
    start = time.perf_counter()
    cp = sc.critical_points(text, variables, timeout=timeout)
    assert time.perf_counter() - start < timeout + 6.0
    assert cp.infinite == infinite, name
    fn = sc.compile(sc.parse(text), variables, on_domain_error="ignore")
    found = [(p.as_floats(), p) for p in cp]
    for x, p in found:
        assert np.linalg.norm(fn.grad(x)) < 1e-9, (name, x)
        assert p.kind in sc.critical.KINDS
        eig = np.linalg.eigvalsh(fn.hess(x))
        scale = max(1.0, float(np.max(np.abs(eig))))
        if len(variables) > 1 and p.kind == "local minimum":
            assert np.all(eig > -1e-8 * scale)
        if len(variables) > 1 and p.kind == "local maximum":
            assert np.all(eig < 1e-8 * scale)
    for coords, kind, decides in points:
        want = _coords(coords)
        match = [p for x, p in found if np.linalg.norm(x - want) < 1e-8 * max(1.0, np.linalg.norm(want))]
        if infinite and not match:
            continue  # a representative of an infinite family need not be listed
        assert match, f"{name}: {coords} not found among {[tuple(x) for x, _ in found]}"
        got = match[0].kind
        if decides or got != "inconclusive":
            assert got == kind, f"{name} at {coords}: {got} (expected {kind}): {match[0].reason}"
    if complete and not infinite:
        assert len(found) == len(points), f"{name}: found {[tuple(x) for x, _ in found]}"


def test_himmelblau_all_nine_within_the_bound() -> None:
    start = time.perf_counter()
    cp = sc.critical_points("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", timeout=2.0)
    assert time.perf_counter() - start < 2.0 + 6.0
    kinds = sorted(p.kind for p in cp)
    assert (
        kinds.count("local minimum") == 4
        and kinds.count("saddle point") == 4
        and kinds.count("local maximum") == 1
    )


def test_line_of_critical_points_is_reported() -> None:
    cp = sc.critical_points("x^2*y^2")
    assert cp.infinite and len(cp.families) == 2


def test_nondifferentiable_points_are_reported_apart() -> None:
    cp = sc.critical_points("abs(x)")
    assert [n.kind for n in cp.nondifferentiable] == ["local minimum"]


@pytest.mark.parametrize("case", CONSTRAINED, ids=[c[0] for c in CONSTRAINED])
def test_constrained(case) -> None:
    name, objective, constraints, variables, maximum, minimum = case
    r = sc.lagrange(objective, constraints, variables)
    for want, got in ((maximum, r.maximum), (minimum, r.minimum)):
        if want is None:
            assert got is None, (
                f"{name}: expected none, got {got and [p.coords for p in got]}; notes {r.notes}"
            )
            continue
        assert got is not None, f"{name}: {r.notes}"
        value, where = want
        assert float(got[0].value) == pytest.approx(value, rel=1e-8, abs=1e-10)
        at = sorted(tuple(round(float(c), 6) for c in p.coords) for p in got)
        assert at == sorted(tuple(round(c, 6) for c in w) for w in where), name


def test_cli_critical_prints_both_points_with_their_tests(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    assert main(["critical", "x^3 - 3*x*y + y^3"]) == 0
    out = capsys.readouterr().out
    assert "(x = 0, y = 0): saddle point, f = 0" in out
    assert "(x = 1, y = 1): local minimum, f = -1" in out
    assert "D = f_xx f_yy - f_xy^2 = -9 (D < 0: saddle)" in out
    assert main(["lagrange", "x*y", "--constraint", "x + y = 10"]) == 0
    assert "Maximum: 25 at (x = 5, y = 5)" in capsys.readouterr().out


@pytest.mark.parametrize("case", CONSTRAINED, ids=[c[0] for c in CONSTRAINED])
def test_bordered_hessian_agrees_with_the_global_answer(case) -> None:
    _name, objective, constraints, variables, _maximum, _minimum = case
    r = sc.lagrange(objective, constraints, variables)
    for p in r.maximum or ():
        assert p.local in ("local constrained maximum", "inconclusive"), (p.coords, p.reason)
    for p in r.minimum or ():
        assert p.local in ("local constrained minimum", "inconclusive"), (p.coords, p.reason)
