"""Characters a person pastes: harmless look-alikes become ASCII, anything else is refused with its position.

Text copied from a word processor, a PDF or a phone keyboard carries characters that look like the ones the
grammar reads but are not: a middle dot for ``*``, a minus sign for ``-``, full-width letters, mathematical
italic letters. :func:`normalise` maps each of them to the character it stands for and refuses every other
character outside ASCII, naming it and pointing at it. Two rules keep that safe:

* a character is replaced only by what it *looks like and means*: ``·`` (middle dot), ``⋅`` (dot operator),
  ``∙`` (bullet operator), ``×``, ``∗`` become ``*``; ``−``, ``–``, ``‐``, ``‑`` become ``-``; ``÷``, ``∕``,
  ``⁄`` become ``/``; ``∣`` becomes ``|``; unusual spaces become a space; full-width ASCII and the
  mathematical alphanumerics (``𝑥``, ``ℯ``) become ASCII through their NFKC form;
* NFKC is used only where it changes the look and not the meaning: never for superscripts (``xⁿ`` is not
  ``xn``), vulgar fractions (``2½`` is not ``21/2``), ligatures or circled numbers, which are refused. Subscript
  digits after a name are a subscript: ``x₁`` is ``x_1``.

Punctuation that only looks like an operator is refused, never read as part of a name: U+0387 (Greek ano
teleia, a raised dot) and U+037E (Greek question mark, a semicolon) most of all. Greek letters that look like
Latin ones (capital alpha, Cyrillic ``а``) are refused with their name, since ``A`` and ``Α`` would be two
different symbols that print alike.

Example:
    >>> normalise("2·x − 1")[0]
    '2*x - 1'
"""

from __future__ import annotations

import unicodedata

from ..errors import ParseError
from ..variables import UNICODE_GREEK

__all__ = ["normalise"]

_TIMES = "*"
_MAP = {
    "\u00b7": _TIMES,  # MIDDLE DOT
    "\u22c5": _TIMES,  # DOT OPERATOR
    "\u2219": _TIMES,  # BULLET OPERATOR
    "\u00d7": _TIMES,  # MULTIPLICATION SIGN
    "\u2217": _TIMES,  # ASTERISK OPERATOR
    "\u2212": "-",  # MINUS SIGN
    "\u2013": "-",  # EN DASH
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u00f7": "/",  # DIVISION SIGN
    "\u2215": "/",  # DIVISION SLASH
    "\u2044": "/",  # FRACTION SLASH
    "\u2223": "|",  # DIVIDES (what some equation editors write for |x|)
}
#: Characters the grammar itself reads beyond ASCII: Greek letters, pi, the root sign, superscript digits.
_KEEP = frozenset(UNICODE_GREEK) | frozenset(
    "\u221a\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b"
)
#: Punctuation that looks like an operator but is not one; named in the refusal.
_REFUSED = {
    "\u0387": "a Greek ano teleia, which looks like a middle dot: type * for a product",
    "\u037e": "a Greek question mark, which looks like a semicolon",
    "\u2024": "a one-dot leader, which looks like a full stop",
    "\u2032": "a prime: write the derivative with d/dx, or a name such as f1",
    "\u2033": "a double prime: write the derivative with d^2/dx^2",
}
#: NFKC forms that keep the meaning: fonts (𝑥, ℯ), full- and half-width forms, small forms, canonical twins.
_SAFE_TAGS = frozenset({"", "<font>", "<wide>", "<narrow>", "<small>", "<noBreak>"})
_SUBSCRIPT_DIGITS = {chr(0x2080 + d): str(d) for d in range(10)}
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_GREEK_SHOWN = "".join(UNICODE_GREEK)
_ASCII_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-*/^()[]|,.=!_{}\\ ")


def _refuse(source: str, i: int, why: str) -> ParseError:
    ch = source[i]
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return ParseError(f"the character {ch!r} (U+{ord(ch):04X} {name}) is not read: {why}", source, i)


def _tag(ch: str) -> str:
    decomposition = unicodedata.decomposition(ch)
    return decomposition.split(" ", 1)[0] if decomposition.startswith("<") else ""


def _replacement(source: str, i: int) -> str:
    """What the non-ASCII character at ``i`` stands for, or a ParseError naming it."""
    ch = source[i]
    if ch in _KEEP:
        return ch
    if ch in _MAP:
        return _MAP[ch]
    if ch in _REFUSED:
        raise _refuse(source, i, _REFUSED[ch])
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category in ("Cf", "Cc", "Co", "Cs", "Cn"):
        raise _refuse(source, i, "an invisible or control character")
    if category in ("Mn", "Me", "Mc"):
        raise _refuse(source, i, "an accent or other combining mark; type plain letters")
    nfkc, tag = unicodedata.normalize("NFKC", ch), _tag(ch)
    if nfkc != ch and len(nfkc) == 1:
        if tag in _SAFE_TAGS and (nfkc in _ASCII_OK or nfkc in _KEEP):
            return nfkc
        if tag == "<compat>" and (nfkc in _LETTERS or nfkc in UNICODE_GREEK):
            return nfkc  # a letter variant: ϑ, ϕ, µ (micro sign), ſ
    if tag == "<super>":
        raise _refuse(source, i, "a superscript other than a digit; write the power with ^")
    if tag == "<fraction>":
        raise _refuse(source, i, "a fraction character; write it with / (e.g. 1/2)")
    if category.startswith("L"):
        raise _refuse(source, i, f"names are made of Latin letters and the Greek letters {_GREEK_SHOWN}")
    raise _refuse(source, i, "not part of what symcalc reads")


def normalise(source: str) -> tuple[str, list[int]]:
    """Map harmless look-alikes to ASCII; refuse every other character outside ASCII with its position.

    Args:
        source: what the person typed.

    Returns:
        The normalised text and, for each of its positions (and one past the end), the position in
        ``source`` it came from, so that an error found later points into what the person typed.

    Raises:
        ParseError: a character that is not read (a control character, an accent, a look-alike that is not
            harmless), with its Unicode name and position.
    """
    out: list[str] = []
    origin: list[int] = []
    previous = ""
    for i, ch in enumerate(source):
        if ch.isascii():
            if ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 127:
                raise ParseError("the input has a control character", source, i)
            piece = ch
        elif ch in _SUBSCRIPT_DIGITS:
            if not (previous.isalnum() or previous == "_"):
                raise _refuse(source, i, "a subscript digit must follow a name (x₁ is x_1)")
            piece = (
                _SUBSCRIPT_DIGITS[ch]
                if previous.isdigit() and out and "_" in _tail(out)
                else "_" + _SUBSCRIPT_DIGITS[ch]
            )
        else:
            piece = _replacement(source, i)
        out.append(piece)
        origin.extend([i] * len(piece))
        previous = piece[-1]
    origin.append(len(source))
    return "".join(out), origin


def _tail(pieces: list[str]) -> str:
    """The name being written at the end of ``pieces`` (letters, digits and underscores)."""
    text = "".join(pieces[-40:])
    j = len(text)
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return text[j:]
