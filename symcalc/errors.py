"""The exceptions symcalc raises.

Every error symcalc raises on purpose is a :class:`SymcalcError`::

    SymcalcError
    ├── ParseError          the input could not be read (keeps the input and the position)
    ├── UnsupportedError    the input was read but symcalc cannot do what was asked with it
    ├── LimitError          the input or the work it asks for is too large (size, depth, time budget)
    └── OptimizationError   an optimizer was misused or cannot run

Example:
    >>> import symcalc as sc
    >>> try:
    ...     sc.parse("sin(x")
    ... except sc.ParseError as err:
    ...     print(err.position)
    5
"""

from __future__ import annotations

__all__ = ["LimitError", "OptimizationError", "ParseError", "SymcalcError", "UnsupportedError"]


class SymcalcError(Exception):
    """Base class of every error symcalc raises on purpose."""


class ParseError(SymcalcError, ValueError):
    """The input could not be parsed.

    Attributes:
        source: the text that was being parsed.
        position: 0-based index into ``source`` where the problem is, or ``None`` when there is no
            single place to point at.
        reason: the message without the caret picture.
    """

    def __init__(self, reason: str, source: str | None = None, position: int | None = None) -> None:
        self.reason = reason
        self.source = source
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.source is None:
            return self.reason
        if self.position is None:
            return f"{self.reason}\n  {self.source}"
        line = self.source.replace("\n", " ")
        pos = max(0, min(self.position, len(line)))
        where = f" (at position {pos})"
        return f"{self.reason}{where}\n  {line}\n  {' ' * pos}^"


class UnsupportedError(SymcalcError):
    """The input was understood, but symcalc does not support what was asked with it."""


class LimitError(SymcalcError):
    """The input, or the work it asks for, exceeds a limit (size, nesting, magnitude or time)."""


class OptimizationError(SymcalcError):
    """An optimizer cannot run as asked (bad arguments, missing derivatives)."""
