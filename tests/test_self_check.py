"""The self-check is never the thing that fails (issue 15): a right answer is not refused because the numbers
could not decide, an input symcalc cannot take is a clear SymcalcError, and a check that cannot decide says so."""

from __future__ import annotations

from typing import Any

import pytest
import sympy

import symcalc as sc
from symcalc.derive import derivative as derivative_module
from symcalc.derive.verify import check_trace, compare

X = sympy.Symbol("x")  # a plain SymPy symbol: it may be complex
x = sympy.Symbol("x", real=True)


def test_a_complex_exponential_is_verified_with_complex_values() -> None:
    e = sympy.exp(sympy.I * X) / (X + 1)
    d = sc.derivative(e, X)
    assert sympy.simplify(d.result - sympy.diff(e, X)) == 0
    assert d.notes == ()
    # the comparison itself: no real point exists, and complex values agree
    assert compare(d.result, sympy.diff(e, X)).equal is True
    assert (
        compare(sympy.exp(sympy.I * x), sympy.exp(-sympy.I * x) + 0 * x).equal is None
    )  # never False on branches


@pytest.mark.parametrize(
    "func", [sympy.Abs, sympy.sign, sympy.re, sympy.im, sympy.conjugate, sympy.Heaviside]
)
def test_a_function_that_is_not_complex_differentiable_of_a_complex_symbol_is_refused(func: Any) -> None:
    with pytest.raises(sc.UnsupportedError, match="declare the symbols real"):
        sc.derivative(func(X) * X, X)
    d = sc.derivative(func(x) * x, x)  # the same of a real symbol is fine
    assert compare(d.result, sympy.diff(func(x) * x, x)).equal is True  # off the kink, DiracDelta is 0


@pytest.mark.parametrize(
    "obj",
    [
        sympy.Matrix([X**2, sympy.sin(X)]),
        sympy.ImmutableMatrix([[X, 1], [0, X]]),
        sympy.MatrixSymbol("A", 2, 2),
        sympy.Eq(X**2, 1),
        sympy.Tuple(X, X**2),
        X > 1,
    ],
    ids=["Matrix", "ImmutableMatrix", "MatrixSymbol", "Eq", "Tuple", "relational"],
)
def test_what_is_not_one_expression_is_a_clear_error(obj: Any) -> None:
    with pytest.raises(sc.UnsupportedError, match="one expression"):
        sc.derivative(obj, X)


def test_a_rule_engine_failure_is_an_unsupported_error_not_a_raw_one() -> None:
    with pytest.raises(sc.UnsupportedError, match="step by step"):
        sc.derivative((1 + sympy.I) ** X, X)


def test_a_check_that_cannot_decide_gives_the_answer_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derivative_module, "_agrees", lambda *args: None)
    d = sc.derivative("x^2")
    assert d.result == 2 * x
    assert d.notes == (
        "Not verified: no sample point gives a usable value, and SymPy could not show the forms equal.",
    )


def test_a_check_that_fails_with_an_error_gives_the_answer_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any) -> bool:
        raise TypeError("SymPy could not differentiate this")

    monkeypatch.setattr(derivative_module, "_agrees", broken)
    d = sc.derivative("x^2")
    assert d.result == 2 * x and d.notes[0].startswith("Not verified")


def test_a_real_disagreement_is_a_symcalc_error_never_an_assertion(monkeypatch: pytest.MonkeyPatch) -> None:
    real_derive = derivative_module.derive

    def wrong(e: Any, var: Any, ctx: Any) -> Any:
        step = real_derive(e, var, ctx)
        return sc.Step(step.rule, step.kind, step.expr, step.var, step.result + 1, step.substeps)

    monkeypatch.setattr(derivative_module, "derive", wrong)
    with pytest.raises(sc.UnsupportedError, match="disagrees with SymPy"):
        sc.derivative("x^2")


def test_a_kinked_result_is_checked_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    # a rule that is right for x > 0 only (|x|' = 1) must not pass the self-check
    real_derive = derivative_module.derive

    def right_for_positive_x(e: Any, var: Any, ctx: Any) -> Any:
        step = real_derive(e, var, ctx)
        return sc.Step(
            step.rule, step.kind, step.expr, step.var, step.result.subs(sympy.sign(var), 1), step.substeps
        )

    monkeypatch.setattr(derivative_module, "derive", right_for_positive_x)
    with pytest.raises(sc.UnsupportedError, match="disagrees"):
        sc.derivative("x^2 abs(x)")


def test_two_forms_that_differ_only_outside_the_domain_agree() -> None:
    # d/dx acosh(x): 1/sqrt(x^2 - 1) and 1/(sqrt(x - 1) sqrt(x + 1)) differ in sign for x < -1, where acosh is
    # not real; the check counts only points inside the function's domain
    d = sc.derivative("acosh(x)")
    assert d.notes == ()
    assert not check_trace(d)


def test_sums_with_a_symbolic_bound_compare_by_their_terms() -> None:
    n, a = sympy.symbols("n a")
    d = sc.derivative(sympy.gegenbauer(n, a, X), a)
    assert d.notes == () or all(n.startswith("Not tidied") for n in d.notes)
    assert compare(d.result, sympy.diff(sympy.gegenbauer(n, a, X), a)).equal is True


def test_every_public_error_of_derivative_is_a_symcalc_error() -> None:
    for bad in (sympy.Matrix([X]), sympy.Abs(X), sympy.Eq(X, 1), "x +", "sin(x"):
        with pytest.raises(sc.SymcalcError):
            sc.derivative(bad)  # type: ignore[arg-type]


def test_the_check_line_does_not_claim_a_comparison_that_was_not_made() -> None:
    import dataclasses

    import symcalc as sc

    d = sc.derivative("x^2 sin(x)")
    assert "equals SymPy's derivative" in d.to_text()
    unverified = dataclasses.replace(
        d, notes=("Not verified: the comparison did not finish within the deadline.",)
    )
    text = unverified.to_text()
    assert "equals SymPy's derivative" not in text
    assert "could not be made" in text and "Not verified" in text
