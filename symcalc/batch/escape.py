r"""Text from students and problem sets, made safe for the files people open: spreadsheets and Markdown.

**CSV (``grades.csv``).** A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``), and some also after a leading tab or carriage return.
Following OWASP's advice on CSV injection, such a cell is written with a single quote in front
(``'=HYPERLINK(...)``), which spreadsheets show as text; quotes and commas inside a cell are quoted by the
``csv`` module as usual. So an answer ``-2*x`` appears in the CSV as ``'-2*x``. ``grades.sqlite`` and the
JSON files keep the exact text.

**Markdown (``index.md``, ``summary.md``).** In a table cell, ``|`` would end the cell and ``*``, ``_``,
``[``, ``<``, ``&``, ``$``, ``~`` and a backtick would start emphasis, a link, HTML, an entity, maths, a
strike-through or code: each is backslash-escaped (CommonMark allows a backslash before any ASCII punctuation),
and a line break becomes a space, so a cell shows exactly its text.

Example:
    >>> csv_cell("=1+1"), csv_cell("x^2")
    ("'=1+1", 'x^2')
    >>> md_cell("a|b *c*")
    'a\\|b \\*c\\*'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_PREFIXES", "csv_cell", "md_cell", "md_code"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MD_PUNCTUATION = frozenset("\\`*_[]<>|$~&")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: text starting with a formula character gets a ``'``
    in front; numbers and ``None`` pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def md_cell(text: Any) -> str:
    """Text for a Markdown table cell, shown as written."""
    s = _BREAKS.sub(" ", str(text))
    return "".join("\\" + c if c in _MD_PUNCTUATION else c for c in s)


def md_code(text: Any) -> str:
    r"""Text as inline code in a Markdown table cell: a backtick fence longer than any run of backticks in it,
    ``|`` escaped (a table splits on it even inside code), line breaks as spaces.

    Example:
        >>> md_code("x|y")
        '`x\\|y`'
    """
    s = _BREAKS.sub(" ", str(text)).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"
