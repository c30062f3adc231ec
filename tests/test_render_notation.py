"""The learner's notation: every expression a worked solution prints in text parses back through ``sc.parse`` to
the same expression, over the whole derivative corpus and over random expressions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sympy
from data.derivative_corpus import CASES
from hypothesis import given
from numeric import same
from strategies import expressions

import symcalc as sc
from symcalc.render.notation import conditions_text, latex, number_text, relation_text, text

pytestmark = pytest.mark.filterwarnings("ignore")

#: What the text grammar has no spelling for, printed in a textbook's words instead (see notation.py).
UNSPELLABLE = (sympy.Piecewise, sympy.Derivative, sympy.Sum, sympy.Indexed, sympy.DiracDelta, sympy.Float)


def canonical(e: sympy.Basic) -> sympy.Basic:
    """The expression as SymPy builds it from scratch (what parsing produces): every node re-evaluated."""
    if not e.args or isinstance(e, sympy.Symbol | sympy.Number):
        return e
    return e.func(*[canonical(a) for a in e.args])


def _spellable(e: sympy.Basic) -> bool:
    if e.has(*UNSPELLABLE) or any(
        isinstance(a, sympy.core.function.AppliedUndef) for a in sympy.preorder_traversal(e)
    ):
        return False
    return not any(isinstance(r, sympy.Rational) and len(str(r.q)) > 4 for r in e.atoms(sympy.Rational))


def _printed(d: sc.Derivation) -> Iterator[tuple[str, sympy.Basic, bool]]:
    """Every expression the text rendering prints: (where, expression, whether it is a plug-in line)."""
    for step in d.walk():
        yield f"{step.rule}.expr", step.expr, False
        yield f"{step.rule}.result", step.result, False
        for key, value in step.pieces.items():
            yield f"{step.rule}.{key}", value, False
        if step.plug_in is not None:
            yield f"{step.rule}.plug_in", step.plug_in, True
    yield "result", d.result, False
    for f in d.equivalent_forms:
        yield "equivalent form", f, False
    for c in d.conditions:
        if isinstance(c, sympy.core.relational.Relational):
            yield "condition lhs", c.lhs, False
            yield "condition rhs", c.rhs, False


def _round_trip_failures(d: sc.Derivation) -> list[str]:
    bad = []
    for where, e, plug in _printed(d):
        if not isinstance(e, sympy.Expr) or not _spellable(e):
            continue
        shown = text(e, plug_in=plug)
        back = sc.parse(shown)
        if plug:
            ok = same(back, canonical(e))  # a plug-in line evaluates to what was substituted
        else:
            # the same tree, or (where SymPy keeps a tidy form such as 2(x + 1) that it would not build from
            # scratch) the same expression up to expanding it: never only equal at sample points
            ok = back == canonical(e) or sympy.expand(back - e) == 0
        if not ok:
            bad.append(f"{where}: {e!r} printed {shown!r}, read back as {back!r}")
    return bad


@pytest.mark.parametrize(("source", "var"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_every_expression_printed_parses_back(source: str, var: str) -> None:
    d = sc.derivative(source, var, detail="full")
    assert _round_trip_failures(d) == []


@given(expressions(kinked=True, max_leaves=6))
def test_random_expressions_parse_back(e: sympy.Expr) -> None:
    if not _spellable(e):
        return
    assert sc.parse(text(e)) == canonical(e), text(e)


# -- the notation itself --------------------------------------------------------------------------------

x, y, w, b = sympy.symbols("x y w b", real=True)


@pytest.mark.parametrize(
    ("expr", "shown"),
    [
        (x**2 * sympy.sin(x), "x^2 sin(x)"),
        (sympy.exp(-x) / 2, "e^(-x)/2"),
        (sympy.Abs(x) / (x**2 + 1), "|x|/(x^2 + 1)"),
        (sympy.log(x) / sympy.log(2), "ln(x)/ln(2)"),
        (2 * 2**x, "2·2^x"),
        (1 / (2 * x), "1/(2x)"),
        (sympy.Symbol("lambda", real=True) * x, "λ x"),
        (sympy.sqrt(1 - x**2), "sqrt(1 - x^2)"),
        (sc.sigmoid(x) * (1 - sc.sigmoid(x)), "sigmoid(x) (1 - sigmoid(x))"),
        (sympy.atan(1 / x), "arctan(1/x)"),
        (sympy.Max(0, x), "max(0, x)"),
        (sympy.Piecewise((0, x < 0), (1, x > 0)), "(0 for x < 0; 1 for x > 0)"),
        (sympy.Float(0.25) * w, "0.25 w"),
        (sympy.Rational(1605141465, 661407859), "2.426855749"),
    ],
)
def test_expressions_read_as_a_student_types_them(expr: sympy.Expr, shown: str) -> None:
    assert text(expr) == shown


def test_relations_and_chains() -> None:
    assert relation_text(sympy.Ne(y, 0)) == "y ≠ 0"
    assert relation_text(0 < x) == "x > 0"
    assert relation_text(sympy.Abs(x) < 1) == "|x| < 1"
    assert conditions_text([x > -1, x < 0, sympy.Ne(y, 0)]) == ["-1 < x < 0", "y ≠ 0"]
    assert conditions_text([x <= 2, x >= 1]) == ["1 ≤ x ≤ 2"]


def test_implicit_functions_read_as_y_and_dy_dx() -> None:
    Y = sympy.Function("y", real=True)(x)
    assert text(3 * Y**2 * sympy.Derivative(Y, x), implicit=("y",)) == "3y^2 dy/dx"
    assert text(sympy.Derivative(Y, (x, 2)), implicit=("y",)) == "d^2y/dx^2"
    assert latex(sympy.Derivative(Y, x), implicit=("y",)) == r"\frac{dy}{dx}"
    assert text(sympy.Derivative(sympy.Function("f")(x), x)) == "f'(x)"


def test_decimals_and_numbers() -> None:
    assert number_text(1e-06) == "1e-06" and number_text(0.1 + 0.2) == "0.3"
    assert number_text(sympy.Rational(3, 4)) == "3/4" and number_text(2) == "2"
    assert latex(sympy.Float(1e-6)) == r"1 \cdot 10^{-6}"
