"""Look-alike characters: harmless ones are read as what they look like, the rest refused with the position."""

from __future__ import annotations

import unicodedata

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import symcalc as sc
from symcalc.parse.characters import normalise

x, y, t, alpha, theta, mu = sympy.symbols("x y t alpha theta mu", real=True)
x_1, x_2, x_10 = sympy.symbols("x_1 x_2 x_10", real=True)

READ_AS = [
    ("2\u00b7x", 2 * x),  # MIDDLE DOT
    ("2\u22c5x", 2 * x),  # DOT OPERATOR
    ("2\u2219x", 2 * x),  # BULLET OPERATOR
    ("2\u00d7x", 2 * x),  # MULTIPLICATION SIGN
    ("2\u2217x", 2 * x),  # ASTERISK OPERATOR
    ("x \u2212 1", x - 1),  # MINUS SIGN
    ("x \u2013 1", x - 1),  # EN DASH
    ("x \u2010 1", x - 1),  # HYPHEN
    ("x \u00f7 2", x / 2),  # DIVISION SIGN
    ("x\u00a0+\u2009y", x + y),  # NO-BREAK SPACE, THIN SPACE
    ("\uff58\uff3e\uff12\uff0b\uff11", x**2 + 1),  # full-width x^2+1
    ("\uff53\uff49\uff4e\uff08\uff58\uff09", sympy.sin(x)),  # full-width sin(x)
    ("\U0001d465^2", x**2),  # MATHEMATICAL ITALIC SMALL X
    ("\u212f^x", sympy.exp(x)),  # SCRIPT SMALL E: Euler's number
    ("x\u2081 + x\u2082", x_1 + x_2),  # subscript digits after a name
    ("x\u2081\u2080", x_10),
    ("\u03d1^2", theta**2),  # GREEK THETA SYMBOL is theta
    ("\u00b5 x", mu * x),  # MICRO SIGN is mu
    ("\u2223x\u2223", sympy.Abs(x)),  # DIVIDES used as a bar
    # Greek letters as names keep working
    ("α + θ", alpha + theta),
    ("2θ", 2 * theta),
    ("sin(θ)^2", sympy.sin(theta) ** 2),
    ("α(x+1)^2", alpha * (x + 1) ** 2),
    ("θ²", theta**2),
    ("π x", sympy.pi * x),
    ("√x", sympy.sqrt(x)),
]


@pytest.mark.parametrize(("source", "expected"), READ_AS, ids=[repr(s) for s, _ in READ_AS])
def test_harmless_look_alikes_are_read_as_what_they_look_like(source: str, expected: sympy.Expr) -> None:
    assert sc.parse(source) == expected


def test_greek_names_as_declared_variables() -> None:
    assert sc.parse("α x + θ", variables=["α", "θ", "x"]) == alpha * x + theta
    assert sc.parse("αx + θ", variables=["alpha", "theta", "x"]) == alpha * x + theta
    assert sc.derivative("θ^2", "θ").result == 2 * theta


REFUSED = [
    ("x\u0387y", 1, "GREEK ANO TELEIA"),
    ("x\u037ey", 1, "GREEK QUESTION MARK"),
    ("\u0430 + 1", 0, "CYRILLIC SMALL LETTER A"),
    ("x + \u0391", 4, "GREEK CAPITAL LETTER ALPHA"),
    ("x\u200by", 1, "ZERO WIDTH SPACE"),
    ("x + \u202e1", 4, "RIGHT-TO-LEFT OVERRIDE"),
    ("x\u0302 + 1", 1, "COMBINING CIRCUMFLEX ACCENT"),
    ("2\u00bd", 1, "VULGAR FRACTION ONE HALF"),
    ("x\u207f", 1, "SUPERSCRIPT LATIN SMALL LETTER N"),
    ("\ufb01", 0, "LATIN SMALL LIGATURE FI"),
    ("x + \u221e", 4, "INFINITY"),
    ("x \u2264 1", 2, "LESS-THAN OR EQUAL TO"),
    ("f\u2032(x)", 1, "PRIME"),
    ("\u2081x", 0, "SUBSCRIPT ONE"),
    ("\uff1b", 0, "FULLWIDTH SEMICOLON"),
    ("x\u00e9", 1, "LATIN SMALL LETTER E WITH ACUTE"),
    ("x\x07", 1, None),  # a control character
]


@pytest.mark.parametrize(("source", "position", "name"), REFUSED, ids=[repr(s) for s, _, _ in REFUSED])
def test_other_characters_are_refused_with_position_and_name(
    source: str, position: int, name: str | None
) -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse(source)
    assert info.value.position == position, str(info.value)
    assert info.value.source == source
    if name is not None:
        assert name in str(info.value)


def test_ano_teleia_never_joins_a_symbol_name() -> None:
    """The issue's reproducer: x·y typed with U+0387 parsed as one symbol named 'x·y'."""
    for source in ("x\u0387y", "x\u037ey", "2x\u0387y + 1"):
        with pytest.raises(sc.ParseError):
            sc.parse(source)
    with pytest.raises(sc.ParseError):
        sc.parse("x\u0387y", variables=["x\u0387y"])
    with pytest.raises(sc.ParseError):
        sc.derivative("x^2", "x\u0387y")  # a variable given by name is checked the same way


def test_positions_point_into_what_was_typed() -> None:
    """Subscripts make the normalised text longer; an error still points at the typed character."""
    with pytest.raises(sc.ParseError) as info:
        sc.parse("x\u2081\u2082 + $")
    assert info.value.position == 6
    assert info.value.source == "x\u2081\u2082 + $"
    with pytest.raises(sc.ParseError) as info:
        sc.parse("\uff58 + \uff58 + $ ")
    assert info.value.position == 8


def test_latex_gets_the_same_normalisation() -> None:
    assert sc.parse(r"\frac{1}{2}\u00b7x".replace(r"\u00b7", "\u00b7")) == x / 2
    assert sc.parse("\\frac{x}{2} \u2212 1") == x / 2 - 1
    with pytest.raises(sc.ParseError) as info:
        sc.parse("\\frac{x}{2}\u0387y")
    assert info.value.position == 11


def test_normalise_keeps_a_position_map() -> None:
    text, origin = normalise("x\u2081\u00b7y")
    assert text == "x_1*y"
    assert origin == [0, 1, 1, 2, 3, 4]


def test_every_mapped_character_is_a_look_alike() -> None:
    """The table maps only what Unicode itself names as a dot, times, minus, dash, slash or bar."""
    from symcalc.parse.characters import _MAP

    words = {"*": ("DOT", "TIMES", "MULTIPLICATION", "ASTERISK", "BULLET"), "-": ("MINUS", "DASH", "HYPHEN")}
    words["/"] = ("DIVISION", "SLASH")
    words["|"] = ("DIVIDES",)
    for ch, ascii_ in _MAP.items():
        assert any(word in unicodedata.name(ch) for word in words[ascii_]), unicodedata.name(ch)


SWAPS = {
    "*": ["\u00b7", "\u22c5", "\u2219", "\u00d7", "\u2217"],
    "-": ["\u2212", "\u2013"],
    " ": ["\u00a0", "\u2009"],
}
TEMPLATES = ["2*x - 1", "x*y - y*x", "3 * (x - 1)^2 - x", "x^2 - 2*x*y", "sin(x) * cos(x) - 1"]


@given(st.sampled_from(TEMPLATES), st.data())
def test_look_alike_spellings_read_the_same(template: str, data: st.DataObject) -> None:
    typed = "".join(data.draw(st.sampled_from([ch, *SWAPS.get(ch, [])])) for ch in template)
    assert sc.parse(typed) == sc.parse(template)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
def test_normalise_maps_or_refuses_and_keeps_positions(source: str) -> None:
    try:
        text, origin = normalise(source)
    except sc.ParseError as err:
        assert err.position is not None and 0 <= err.position < len(source)
        return
    assert len(origin) == len(text) + 1
    assert all(0 <= i <= len(source) for i in origin)
    assert origin == sorted(origin)
    allowed = set(unicodedata.normalize("NFC", "αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ√⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    assert all(ch.isascii() or ch in allowed for ch in text)
