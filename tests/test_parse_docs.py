"""docs/parsing.md states what the parser does: its examples run, and its limits are the code's."""

from __future__ import annotations

import doctest
from pathlib import Path

from symcalc.parse import build as B
from symcalc.parse import latex as L

PAGE = Path(__file__).resolve().parent.parent / "docs" / "parsing.md"


def test_the_examples_on_the_parsing_page_run() -> None:
    text = PAGE.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "parsing.md", str(PAGE), 0)
    assert len(test.examples) >= 10
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def test_the_limits_on_the_page_are_the_code_limits() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for value in (
        B.MAX_INPUT_LENGTH,
        B.MAX_LATEX_LENGTH,
        B.MAX_TEXT_NESTING,
        B.MAX_LATEX_NESTING,
        B.MAX_TREE_DEPTH,
        B.MAX_DIGITS,
        B.MAX_ROOT_DIGITS,
        B.MAX_FACTORIAL,
        L.MAX_POWER_CHAIN,
    ):
        assert f"| {value}" in text or f" {value} " in text or f"{value}," in text, value
    for section in ("## Implicit multiplication", "## Characters a student pastes", "**`d` is a letter**"):
        assert section in text
