"""Checking hand-derived gradients: verdicts, diagnosis of classic mistakes, NumPy code, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from data.gradient_claims import NUMPY_BUGGY, RIGHT, WRONG

import symcalc as sc


@pytest.mark.parametrize(
    ("expr", "variables", "claimed", "wrong", "mistake"), WRONG, ids=[c[0] for c in WRONG]
)
def test_wrong_claim_is_caught(expr, variables, claimed, wrong, mistake) -> None:
    c = sc.check_gradient(expr, claimed, variables)
    assert not c.ok
    assert list(c.wrong) == wrong
    bad = c.components[wrong[0]]
    assert bad.point is not None and bad.expected_value != pytest.approx(bad.claimed_value)
    assert bad.expected is not None


def test_diagnosis_names_the_mistake_for_most_claims() -> None:
    named = 0
    misnamed = []
    for expr, variables, claimed, _wrong, mistake in WRONG:
        got = sc.check_gradient(expr, claimed, variables).mistakes
        if got == (mistake,):
            named += 1
        elif got:
            misnamed.append((expr, mistake, got))
    assert named >= 20, f"named {named} of {len(WRONG)}; misnamed: {misnamed}"
    assert named >= 0.75 * len(WRONG)


@pytest.mark.parametrize(("expr", "variables", "claimed"), RIGHT, ids=[c[0] for c in RIGHT])
def test_a_correct_claim_is_never_called_wrong(expr, variables, claimed) -> None:
    c = sc.check_gradient(expr, claimed, variables)
    assert c.ok, c.to_text()
    assert c.mistakes == ()


@pytest.mark.parametrize(("expr", "variables", "code", "wrong"), NUMPY_BUGGY, ids=[c[0] for c in NUMPY_BUGGY])
def test_buggy_numpy_gradient_is_caught_with_the_component_named(expr, variables, code, wrong) -> None:
    namespace: dict[str, object] = {"np": np}
    exec(code, namespace)  # a trusted test fixture, not user input
    c = sc.check_gradient(expr, namespace["grad"], variables)
    assert list(c.wrong) == [wrong]
    bad = c.components[wrong]
    # a bug that an error model reproduces is named as for a formula claim; any other says which component
    assert (bad.mistake is not None and bad.hint == c.hints[0]) or f"component {wrong}" in bad.hint


def test_numerical_gradient_and_gradcheck() -> None:
    fn = sc.compile("sin(x)*y^2 + e^(x*y)", ["x", "y"])
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, size=(5, 2))
    assert sc.gradcheck(fn, pts).ok
    broken = sc.gradcheck(fn, pts, grad=lambda p: fn.grad(p) * np.array([1.0, 1.01]))
    assert not broken.ok and broken.worst_component == 1 and "FAILED" in str(broken)
    for p in pts:
        np.testing.assert_allclose(sc.numerical_gradient(fn.f, p), fn.grad(p), rtol=1e-7, atol=1e-8)


def test_claim_given_as_one_string_is_refused() -> None:
    with pytest.raises(sc.SymcalcError, match="list"):
        sc.check_gradient("x*y", "y, x", ["x", "y"])


def test_check_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    assert main(["check", "x^2*y", "--claim", "2*x*y", "--claim", "x^2", "--vars", "x,y"]) == 0
    assert "All components are correct." in capsys.readouterr().out
    assert main(["check", "sin(x^2)", "--claim", "cos(x^2)"]) == 1
    out = capsys.readouterr().out
    assert "WRONG" in out and "chain rule's inner derivative is missing" in out
