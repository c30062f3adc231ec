r"""Reading what a person types: plain text or LaTeX, into SymPy, safely.

``parse`` picks LaTeX when the input has a backslash or braces, plain text otherwise; a SymPy object passes
through unchanged. Nothing a person types ever reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

Conventions (see ``docs/parsing.md``):

* every symbol is real; ``e`` is Euler's number unless declared in ``variables``; ``pi`` and ``π`` are pi;
  as ``sympy.sstr`` prints them, ``E`` is Euler's number and ``oo`` infinity, while ``I`` (complex numbers),
  ``zoo`` and ``nan`` are refused unless declared;
* a SymPy function symcalc does not support before a bracket (``beta(x)``, ``zeta(x)``) is refused, never
  multiplied; ``gamma(x)`` is the gamma function and ``gamma`` elsewhere the letter;
* ``log`` with one argument is the natural log, in text and in LaTeX (``\log x``, as SymPy prints it);
  ``log(x, 2)``, ``log_2(x)`` and ``\log_{2} x`` are base 2;
* implicit multiplication: ``3x``, ``2(x+1)``, ``x(x+1)``, ``x y``; it binds tighter than ``*`` and ``/``
  (``1/2x`` is ``1/(2x)``); a multi-letter name is one symbol (``xy``, ``theta``, ``w1``);
* ``f(x) = ...`` and ``y = ...`` give the right-hand side; a leading ``d/dx`` or ``\frac{d}{dx}`` gives an
  unevaluated ``Derivative``, which :func:`symcalc.derivative` understands as the request it is.

Example:
    >>> import symcalc as sc
    >>> sc.parse("x^2 sin(x)")
    x**2*sin(x)
    >>> sc.parse(r"\frac{1}{1 + e^{-x}}")
    1/(1 + exp(-x))
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

import sympy
from sympy.core.evalf import PrecisionExhausted

from ..errors import LimitError, ParseError, SymcalcError
from ..variables import to_symbol, to_symbols
from . import build as B
from .characters import normalise
from .latex import parse_latex_tree
from .text import parse_text_tree

__all__ = ["Source", "parse", "parse_equation", "parse_latex", "parse_text", "to_symbol", "to_symbols"]

#: What ``parse`` takes: text, LaTeX, a SymPy object or a Python number.
Source: TypeAlias = str | sympy.Basic | int | float
_DEFINITION = re.compile(
    r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(\(\s*[A-Za-z][A-Za-z0-9_]*(\s*,\s*[A-Za-z][A-Za-z0-9_]*)*\s*\))?\s*=(?!=)"
)
_LATEX_DEFINITION = re.compile(
    r"^\s*([A-Za-z](_\{?[A-Za-z0-9]+\}?)?)\s*(\\left)?\s*(\(\s*[A-Za-z, ]+\s*(\\right)?\s*\))?\s*=(?!=)"
)


def _conventions(variables: Iterable[str | sympy.Symbol] | str | None) -> B.Conventions:
    if variables is None:
        return B.Conventions()
    if isinstance(variables, str):
        variables = [v for v in re.split(r"[,\s]+", variables) if v]
    return B.Conventions(frozenset(str(v) for v in variables))


def looks_like_latex(source: str) -> bool:
    """LaTeX when the input has a backslash or braces."""
    return any(ch in source for ch in "\\{}")


def _check_length(source: str, syntax: str) -> None:
    limit = B.MAX_LATEX_LENGTH if syntax == "latex" else B.MAX_INPUT_LENGTH
    if len(source) > limit:
        raise LimitError(f"the input is {len(source)} characters long; the limit for {syntax} is {limit}")
    if not source.strip():
        raise ParseError("the input is empty", source, 0)


def _strip_definition(source: str, latex: bool) -> str:
    """``f(x) = rhs`` and ``y = rhs`` -> rhs, with the left side blanked so positions stay right."""
    m = (_LATEX_DEFINITION if latex else _DEFINITION).match(source)
    if not m:
        return source
    return " " * m.end() + source[m.end() :]


def _syntax(source: str) -> str:
    return "latex" if looks_like_latex(source) else "text"


def _relocate(err: ParseError, source: str, origin: list[int]) -> ParseError:
    """The same error, pointing into what the person typed rather than the normalised text."""
    position = err.position
    if position is not None:
        position = origin[min(max(position, 0), len(origin) - 1)]
    return ParseError(err.reason, source, position)


def _read(
    source: str,
    variables: Iterable[str | sympy.Symbol] | str | None,
    syntax: str | None,
    *,
    definition: bool = True,
) -> sympy.Basic:
    """Normalise look-alike characters, pick the syntax, strip ``f(x) =``, parse and check the result."""
    if not isinstance(source, str):
        raise ParseError(f"cannot parse an object of type {type(source).__name__}")
    if len(source) > max(B.MAX_INPUT_LENGTH, B.MAX_LATEX_LENGTH):
        _check_length(source, syntax or "text")
    text, origin = normalise(source)
    syntax = syntax or _syntax(text)
    try:
        if definition:
            text = _strip_definition(text, syntax == "latex")
        _check_length(text, syntax)
        conv = _conventions(variables)
        tree = parse_latex_tree(text, conv) if syntax == "latex" else parse_text_tree(text, conv)
        return B.check_result(tree, text)
    except ParseError as err:
        raise _relocate(err, source, origin) from None
    except SymcalcError:
        raise
    except (RecursionError, MemoryError, OverflowError, PrecisionExhausted) as err:
        # SymPy gave up on a number it evaluated while the input was built; the limits above keep this rare
        raise LimitError(f"the expression is too large to build ({type(err).__name__})") from None
    except Exception as err:  # noqa: BLE001 - every path ends in a SymcalcError, never a traceback
        raise ParseError(
            f"could not build the expression ({type(err).__name__}: {err})", source, None
        ) from None


def _expression(result: sympy.Basic, source: str, hint: str) -> sympy.Expr:
    if isinstance(result, sympy.Equality):
        raise ParseError(f"this is an equation; use {hint}", source, source.find("="))
    return result


def parse(source: Source, variables: Iterable[str | sympy.Symbol] | str | None = None) -> sympy.Expr:
    r"""Parse plain text or LaTeX (or pass a SymPy object through) into a SymPy expression.

    Args:
        source: what the person typed, e.g. ``"x^2 sin(x)"`` or ``r"x^2 \sin x"``; or a SymPy expression.
        variables: names that must stay symbols even where a convention would read them otherwise
            (``e`` as a variable rather than Euler's number, ``cost`` rather than ``cos(t)``).

    Returns:
        A SymPy expression with real symbols. ``d/dx ...`` gives an unevaluated ``sympy.Derivative``.

    Raises:
        ParseError: the input could not be read; the message points at the place.
        LimitError: the input is too long, too deeply nested, or would build a number too large.
        UnsupportedError: the input asks for something symcalc does not do (integrals, limits, ...).

    Example:
        >>> parse("x^2 \\sin x")
        x**2*sin(x)
        >>> parse("e*x", variables=["e"])
        e*x
    """
    if isinstance(source, sympy.Basic):
        return source
    if isinstance(source, int | float) and not isinstance(source, bool):
        number = sympy.Integer(source) if isinstance(source, int) else sympy.Float(source)  # never a string
        return B.check_result(number, f"the Python {type(source).__name__} given")
    if not isinstance(source, str):
        raise ParseError(f"cannot parse an object of type {type(source).__name__}")
    return _expression(
        _read(source, variables, None), source, "parse_equation (or implicit_derivative) for equations"
    )


def parse_text(source: str, variables: Iterable[str | sympy.Symbol] | str | None = None) -> sympy.Expr:
    """Parse plain text, e.g. ``"x^2 sin(x)"``, ``"e^(2x)"``, ``"|x|"``.

    >>> parse_text("sin^2(x) + 3x")
    3*x + sin(x)**2
    """
    return _expression(_read(source, variables, "text"), source, "parse_equation")


def parse_latex(source: str, variables: Iterable[str | sympy.Symbol] | str | None = None) -> sympy.Expr:
    r"""Parse LaTeX, e.g. ``r"\frac{1}{1+e^{-x}}"``, through latex2sympy2_extended with symcalc's conventions.

    >>> parse_latex(r"\log_{2} x")
    log(x)/log(2)
    """
    return _expression(_read(source, variables, "latex"), source, "parse_equation")


def parse_equation(
    source: str | sympy.Basic, variables: Iterable[str | sympy.Symbol] | str | None = None
) -> sympy.Eq:
    """Parse ``lhs = rhs`` into an unevaluated ``sympy.Eq``; an expression alone means ``expr = 0``.

    >>> parse_equation("x^2 + y^2 = 25")
    Eq(x**2 + y**2, 25)
    """
    if isinstance(source, sympy.Equality):
        return source
    if isinstance(source, sympy.Basic):
        return sympy.Eq(source, 0, evaluate=False)
    if not isinstance(source, str):
        raise ParseError(f"cannot parse an object of type {type(source).__name__}")
    result = _read(source, variables, None, definition=False)
    if isinstance(result, sympy.Equality):
        return result
    return sympy.Eq(result, 0, evaluate=False)
