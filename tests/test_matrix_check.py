"""A student's gradient in matrix form, checked and diagnosed: each classic mistake named by its id."""

from __future__ import annotations

import json

import pytest

import symcalc as sc

REGRESSION = ("‖Xw - y‖^2/n", "w", "X: n x m, w: m, y: n")

#: (function, variable, shapes, claim, the mistakes diagnosed)
CLAIMS = [
    (*REGRESSION, "2X^T(Xw - y)/n", ()),
    (*REGRESSION, r"\frac{2}{n} X^\top (Xw - y)", ()),
    (*REGRESSION, "2X^T(Xw - y)", ("factor.missing_1_over_n",)),
    (*REGRESSION, "X^T(Xw - y)/n", ("factor.missing_2",)),
    (*REGRESSION, "X^T(Xw - y)", ("factor.missing_2", "factor.missing_1_over_n")),
    (*REGRESSION, "2X(Xw - y)/n", ("shape.mismatch", "transpose.missing")),
    (*REGRESSION, "2(Xw - y)^T X/n", ("layout.numerator",)),
    (*REGRESSION, "2X^T(y - Xw)/n", ("sign.flipped",)),
    (*REGRESSION, "2Xw/n", ("shape.wrong",)),
    (*REGRESSION, "4X^T(Xw - y)/n", ("factor.extra_2",)),
    ("x^T A x", "x", "A: n x n, x: n", "(A + A^T)x", ()),
    ("x^T A x", "x", "A: n x n, x: n", "2Ax", ("quadratic.assumed_symmetric",)),
    ("x^T A x", "x", "A: n x n, x: n", "2A^T x", ("quadratic.assumed_symmetric",)),
    ("x^T A x", "x", "A: n x n, x: n", "Ax", ("quadratic.assumed_symmetric", "factor.missing_2")),
    ("x^T A x", "x", "A: n x n, x: n", "x^T(A + A^T)", ("layout.numerator",)),
    ("log det(X)", "X", "X: n x n", "X^{-T}", ()),
    ("log det(X)", "X", "X: n x n", "X^{-1}", ("transpose.missing",)),
    ("tr(A X)", "X", "A: n x n, X: n x n", "A", ("transpose.missing",)),
    ("a^T X b", "X", "a: n, X: n x m, b: m", "b a^T", ("layout.numerator",)),
    ("‖Xw - y‖^2", "X", "X: n x m, w: m, y: n", "2(Xw - y)w", ("shape.mismatch", "transpose.missing")),
    (
        "1^T log(1 + exp(-y ⊙ Xw))",
        "w",
        "X: n x m, w: m, y: n",
        "-X^T(y ⊙ σ(-y ⊙ Xw))",
        (),
    ),
    ("1^T log(1 + exp(-y ⊙ Xw))", "w", "X: n x m, w: m, y: n", "X^T(y ⊙ σ(-y ⊙ Xw))", ("sign.flipped",)),
    (
        "‖Wx + b - t‖^2/2",
        "W",
        "W: k x m, x: m, b: k, t: k",
        "x(Wx + b - t)^T",
        ("layout.numerator",),
    ),
]


@pytest.mark.parametrize(("expr", "wrt", "shapes", "claim", "mistakes"), CLAIMS, ids=[c[3] for c in CLAIMS])
def test_claims_are_diagnosed(
    expr: str, wrt: str, shapes: str, claim: str, mistakes: tuple[str, ...]
) -> None:
    c = sc.check_matrix_gradient(expr, claim, wrt, shapes=shapes)
    assert c.ok == (not mistakes)
    assert c.mistakes == mistakes
    assert len(c.hints) == len(mistakes)
    assert all(h for h in c.hints)


def test_hints_name_what_to_fix() -> None:
    c = sc.check_matrix_gradient(*REGRESSION[:1], "2X(Xw - y)/n", "w", shapes=REGRESSION[2])
    assert c.hints[0] == (
        "the claim cannot be formed: cannot multiply 2X (n × m) by Xw − y (n × 1): the inner sizes m and n differ"
    )
    assert c.hints[1] == "a transpose is missing: X should be Xᵀ"
    sym = sc.check_matrix_gradient("x^T A x", "2Ax", "x", shapes="A: n x n, x: n")
    assert "(A + Aᵀ)x" in sym.hints[0] and "symmetric" in sym.hints[0]
    mean = sc.check_matrix_gradient(*REGRESSION[:1], "2X^T(Xw - y)", "w", shapes=REGRESSION[2])
    assert mean.hints == ("the factor 1/n is missing (the loss is a mean over n terms)",)
    assert mean.point is not None and mean.expected_value != mean.claimed_value


def test_check_gradient_takes_a_matrix_claim_when_shapes_are_given() -> None:
    c = sc.check_gradient("‖Xw - y‖^2/n", "2X^T(Xw - y)", "w", shapes="X: n x m, w: m, y: n")
    assert isinstance(c, sc.GradientCheck) and isinstance(c, sc.MatrixGradientCheck)
    assert not c.ok and c.mistakes == ("factor.missing_1_over_n",)
    assert c.components[0].mistake == "factor.missing_1_over_n"
    assert sc.check_gradient("‖Xw - y‖^2/n", ["2X^T(Xw - y)/n"], ["w"], shapes="X: n x m, w: m, y: n").ok
    # without shapes, check_gradient is unchanged
    assert sc.check_gradient("x^2*y", ["2*x*y", "x^2"], ["x", "y"]).ok


def test_renderings_of_a_check() -> None:
    c = sc.check_matrix_gradient("x^T A x", "2Ax", "x", shapes="A: n x n, x: n")
    out = c.to_text().splitlines()
    assert out[0] == "Checking the claimed gradient of xᵀAx with respect to x:"
    assert "  expected: (A + Aᵀ)x   (n × 1, the shape of x)" in out
    data = json.loads(json.dumps(c.to_dict()))
    assert data["type"] == "matrix_gradient_check" and data["mistakes"] == ["quadratic.assumed_symmetric"]
    assert data["expected"]["shape"] == ["n", "1"]
    assert c.to_markdown().startswith("```text")
    assert r"\texttt{quadratic.assumed\_symmetric}" in c.to_latex()


def test_claims_with_names_that_are_not_declared_are_read_as_scalars() -> None:
    c = sc.check_matrix_gradient(
        "‖Xw - y‖^2 + λ‖w‖^2", "2X^T(Xw - y) + 2λw", "w", shapes="X: n x m, w: m, y: n"
    )
    assert c.ok


def test_a_list_of_several_claims_is_refused() -> None:
    with pytest.raises(sc.ParseError, match="one expression"):
        sc.check_matrix_gradient(*REGRESSION[:1], ["a", "b"], "w", shapes=REGRESSION[2])
