"""The derivative corpus: every problem parses as intended, matches SymPy, and its trace holds on every node."""

from __future__ import annotations

import pytest
import sympy
from data.derivative_corpus import CASES
from numeric import same

import symcalc as sc

pytestmark = pytest.mark.filterwarnings("ignore")


def _namespace(*sources: str) -> dict[str, object]:
    names = {"sigmoid": sc.sigmoid, "softplus": sc.softplus, "relu": sc.relu, "E": sympy.E}
    for src in sources:
        for token in sympy.sympify(
            src, locals={**names, **{c: sympy.Symbol(c) for c in "xyzabcdkmnstw"}}
        ).free_symbols:
            names.setdefault(token.name, sympy.Symbol(token.name, real=True))
    for extra in ("theta", "phi", "lambda_"):
        names.setdefault(extra, sympy.Symbol(extra, real=True))
    return names


def _trusted(src: str, ns: dict[str, object]) -> sympy.Expr:
    """Test data is ours, so sympify is fine here (never on user input in the library)."""
    return sympy.sympify(src, locals=ns)


@pytest.mark.parametrize(("text", "var", "sympy_src", "expected", "tags"), CASES, ids=[c[0] for c in CASES])
def test_corpus(text: str, var: str, sympy_src: str, expected: str, tags: tuple[str, ...]) -> None:
    ns = _namespace(sympy_src, expected)
    f = _trusted(sympy_src, ns)
    parsed = sc.parse(text)
    assert same(parsed, f), f"{text!r} parsed as {parsed}, meant {f}"
    d = sc.derivative(text, var)
    want = _trusted(expected, ns)
    assert same(d.result, want), f"{text}: got {d.result}, expected {want}"
    assert same(d.result, sympy.diff(parsed, d.var))
    bad = sc.check_trace(d)
    assert not bad, f"steps whose claim fails: {[(s.rule, s.expr, s.result) for s in bad]}"


def test_every_rule_of_the_issue_is_in_the_corpus() -> None:
    tags = {t for case in CASES for t in case[4]}
    assert {
        "power",
        "product",
        "quotient",
        "chain",
        "deep_chain",
        "log_diff",
        "abs",
        "inverse_trig",
        "hyperbolic",
        "inverse_hyperbolic",
        "sigmoid",
        "softplus",
        "relu",
        "max_min",
        "partial",
    } <= tags
    assert len(CASES) >= 200
