"""Property tests: what SymPy prints, symcalc reads back; random input raises only SymcalcError."""

from __future__ import annotations

import time

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from numeric import same
from strategies import expressions

import symcalc as sc


@given(expressions(kinked=True))
def test_latex_round_trip(e: sympy.Expr) -> None:
    assert same(sc.parse(sympy.latex(e)), e)


@given(expressions(kinked=True))
def test_text_round_trip(e: sympy.Expr) -> None:
    assert same(sc.parse(str(e)), e)


ALPHABET = st.sampled_from(
    list("xyz0123456789+-*/^()[]|,.=! eEpisnco_\\{}'\"$#@;:") + ["sin", "log", "\\frac", "**"]
)


@settings(max_examples=300)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_random_text_raises_only_symcalc_errors(source: str) -> None:
    start = time.process_time()
    try:
        result = sc.parse(source)
    except sc.SymcalcError:
        pass
    else:
        assert isinstance(result, sympy.Basic)
    assert time.process_time() - start < 2.0


@settings(max_examples=100)
@given(st.text(max_size=40))
def test_arbitrary_unicode_raises_only_symcalc_errors(source: str) -> None:
    try:
        sc.parse(source)
    except sc.SymcalcError:
        pass
