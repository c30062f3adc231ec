"""The plain-text parser: a Lark grammar for what a student types, built straight into SymPy objects.

Nothing here calls ``eval``, ``sympify`` or ``parse_expr``: the grammar accepts numbers, names, operators,
brackets and whitelisted functions, and every node is built by :mod:`symcalc.parse.build`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import sympy
from lark import Lark, Token, Transformer_NonRecursive, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.lark import PostLex
from sympy.core.evalf import PrecisionExhausted

from ..errors import LimitError, ParseError, SymcalcError
from ..variables import GREEK, UNICODE_GREEK, split_name
from . import build as B

ABS_OPEN, ABS_CLOSE = "\ue000", "\ue001"  # stand-ins for | bars, one character each so positions hold

_FUNC_NAMES = sorted((n for n in B.TRIG_LIKE if n.isascii()), key=len, reverse=True)
_CALL_NAMES = sorted(B.FUNCTIONS, key=len, reverse=True)
#: Letters of a name: Latin, and the Greek letters symcalc reads (look-alikes are refused before parsing).
_LETTER = "A-Za-z" + "".join(sorted(UNICODE_GREEK))

GRAMMAR = rf"""
?start: sum
      | sum "=" sum                         -> equation
      | request

request: DDX (request | sum)

?sum: product
    | sum "+" product                       -> add
    | sum "-" product                       -> sub

?product: signed
        | product "*" signed                -> mul
        | product "/" signed                -> div

?signed: juxt
       | "-" signed                         -> neg
       | "+" signed

// Implicit multiplication joins whole powers: x(x+1)^2 is x * (x+1)^2, never (x(x+1))^2.
?juxt: power
     | juxt power                           -> imul

?power: postfix
      | postfix POW exponent                -> pow

?exponent: power
         | "-" exponent                     -> neg
         | "+" exponent

?postfix: atom
        | postfix "!"                       -> fact
        | postfix SUPERSCRIPT               -> supers

// A name before a bracket is a call only for a whitelisted function (CALLNAME); any other name before a
// bracket is a factor of its own, so a power after the bracket belongs to the bracket alone.
?atom: NUMBER                               -> number
     | NAME                                 -> name
     | "(" sum ")"
     | "[" sum "]"
     | "{ABS_OPEN}" sum "{ABS_CLOSE}"       -> absval
     | CALLNAME "(" args ")"                -> call
     | FUNC POW fexp "(" args ")"           -> powcall
     | FUNC bare_arg                        -> barecall
     | FUNC POW fexp bare_arg               -> barepowcall
     | SQRT postfix                         -> rootsym

?bare_arg: power
         | NUMBER power                     -> coeff

?fexp: NUMBER                              -> number
     | "-" NUMBER                           -> negative_number

args: sum ("," sum)*

DDX.5: /d(\^[0-9])?[ \t]*\/[ \t]*d[A-Za-z][A-Za-z0-9_]*(\^[0-9])?/
CALLNAME.4: /(log_[{_LETTER}0-9]+|{"|".join(map(re.escape, _CALL_NAMES))})(?=\()/
FUNC.3: /(log_[{_LETTER}0-9]+|{"|".join(_FUNC_NAMES)})(?![{_LETTER}0-9_])/
NAME.1: /[{_LETTER}][{_LETTER}0-9]*(_[{_LETTER}0-9]+)?/
NUMBER: /([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?/
POW: "^" | "**"
SQRT: "\u221a"
SUPERSCRIPT: /\u207b?[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+/

%ignore /[ \t\r\n]+/
"""

_SUPERSCRIPT_DIGITS = str.maketrans(
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-"
)
_GLUED = re.compile(rf"^({'|'.join(_FUNC_NAMES)})([A-Za-z])$")
_DDX = re.compile(r"d(?:\^([0-9]))?\s*/\s*d([A-Za-z][A-Za-z0-9_]*)(?:\^([0-9]))?")
#: ``d/dx`` anywhere: only at the start of the input (after other ``d/dx``) is it a derivative.
_DDX_ANYWHERE = re.compile(r"(?<![A-Za-z_])d(\^\s*[0-9])?\s*/\s*d[A-Za-z]")
_STEM = re.compile(r"([^0-9_]+)[0-9]*(_.*)?")
#: Names SymPy prints for its constants (``sympy.sstr``), read as SymPy means them unless declared: ``E`` is
#: Euler's number and ``oo`` infinity (an infinite result is refused later, as 1/0 is).
_SYMPY_CONSTANTS: dict[str, sympy.Expr] = {"E": sympy.E, "oo": sympy.oo}
#: Names SymPy prints for values symcalc does not read, and why.
_SYMPY_REFUSED = {
    "I": "I is SymPy's imaginary unit, and symcalc works with real numbers only: complex numbers are not "
    "supported",
    "zoo": "zoo is SymPy's complex infinity (the value of 1/0): an undefined value, not a number symcalc reads",
    "nan": "nan is SymPy's 'not a number' (an undefined value such as 0/0), not a number symcalc reads",
}
#: Constants that may be glued to declared variables: with x declared, ``xe^x`` is ``x e^x``.
_CONSTANTS = frozenset({"e", "pi"})
#: The declared variables of the parse in progress: the lexer splits an undeclared name into them.
_DECLARED: ContextVar[frozenset[str]] = ContextVar("symcalc_declared", default=frozenset())


class _SplitNames(PostLex):
    """Splits a name made of declared variables into one token each: with x and y declared, ``2xy^2`` is
    ``2 x y^2`` (so the power belongs to y alone), ``xy(x+y)`` is ``x y (x+y)`` and ``xe^x`` is ``x e^x``.
    Without declared variables a multi-letter name stays one symbol."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        declared = _DECLARED.get()
        for token in stream:
            if token.type != "NAME" or not declared:
                yield token
                continue
            parts = split_name(str(token), declared | _CONSTANTS, keep=_keep_whole)
            if parts is None or all(part in _CONSTANTS and part not in declared for part in parts):
                yield token
                continue
            offset = token.start_pos or 0
            for part in parts:
                yield Token("NAME", part, start_pos=offset, end_pos=offset + len(part))
                offset += len(part)


def _keep_whole(name: str) -> bool:
    """Names never split: functions, constants, Greek letters, Python words (refused later)."""
    return (
        name in B.FUNCTIONS
        or name in ("e", "pi", "lamda")
        or name in GREEK
        or name in UNICODE_GREEK
        or name in B.PYTHON_KEYWORDS
    )


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="contextual",
        postlex=_SplitNames(),
        propagate_positions=False,
        maybe_placeholders=False,
    )


class _Build(Transformer_NonRecursive[Token, Any]):
    """Turns the parse tree into a SymPy expression through the whitelisted builders."""

    def __init__(self, source: str, text: str, conv: B.Conventions) -> None:
        super().__init__()
        self.source = source
        self.text = text  # what the grammar read: the source with | bars marked, same positions
        self.conv = conv

    def _call_userfunc(self, tree: Tree[Token], new_children: list[Any] | None = None) -> Any:
        result = super()._call_userfunc(tree, new_children)  # type: ignore[no-untyped-call]
        return B.settle(result) if isinstance(result, sympy.Expr) else result

    # -- atoms --
    def number(self, children: list[Token]) -> sympy.Expr:
        token = children[0]
        return B.number(str(token), self.source, token.start_pos)

    def name(self, children: list[Token]) -> sympy.Expr:
        token = children[0]
        name, pos = str(token), token.start_pos
        end = token.end_pos if token.end_pos is not None else (pos or 0) + len(name)
        if end < len(self.text) and self.text[end] == "(" and not self._multiplies(name):
            known = next((f for f in _CALL_NAMES if name.endswith(f) and len(name) > len(f)), None)
            hint = (
                f"did you mean {name[: -len(known)]} {known}(...)?" if known else f"a product is {name}*(...)"
            )
            raise ParseError(f"unknown function '{name}' ({hint})", self.source, pos)
        return self._name(name, pos)

    def _multiplies(self, name: str) -> bool:
        """A name that may stand before a bracket as a factor: one letter (with digits or a subscript), a
        Greek letter, a constant, or a declared variable. Any other name before a bracket looks like a call
        of an unknown function, and is refused rather than guessed."""
        if self.conv.is_declared(name) or name in ("e", "pi") or name in GREEK or name in UNICODE_GREEK:
            return True
        stem = _STEM.fullmatch(name)
        letters = stem.group(1) if stem else name
        return len(letters) == 1 or letters in GREEK or letters in UNICODE_GREEK

    def _name(self, name: str, pos: int | None) -> sympy.Expr:
        if self.conv.is_declared(name):
            return B.name_to_atom(name, self.conv)
        constant = _SYMPY_CONSTANTS.get(name)
        if constant is not None:
            return constant
        refused = _SYMPY_REFUSED.get(name)
        if refused is not None:
            raise ParseError(
                f"{refused}; to use '{name}' as a variable, declare it (variables=['{name}'])",
                self.source,
                pos,
            )
        if name in B.PYTHON_KEYWORDS:
            raise ParseError(
                f"'{name}' is a Python word, not mathematics; symcalc never runs code", self.source, pos
            )
        glued = _GLUED.match(name)
        if glued:
            f, v = glued.groups()
            raise ParseError(
                f"unknown name '{name}': did you mean {f}({v})? (a variable named '{name}' must be declared)",
                self.source,
                pos,
            )
        if name in B.FUNCTIONS and name not in B.GREEK_FUNCTIONS:
            raise ParseError(f"the function '{name}' needs an argument, e.g. {name}(x)", self.source, pos)
        return B.name_to_atom(name, self.conv)

    def args(self, children: list[Any]) -> list[sympy.Expr]:
        return list(children)

    def call(self, children: list[Any]) -> sympy.Expr:
        token, args = children
        name = str(token)
        if name in B.GREEK_FUNCTIONS and self.conv.is_declared(name):
            if len(args) != 1:
                raise ParseError(
                    f"{name} is a declared variable; a product is {name}*(...)", self.source, None
                )
            return B.product(self._name(name, token.start_pos), args[0])
        return self._apply(name, args, token.start_pos)

    def _apply(self, name: str, args: list[sympy.Expr], pos: int | None) -> sympy.Expr:
        if name.startswith("log_"):
            if len(args) != 1:
                raise ParseError(f"{name} takes one argument", self.source, pos)
            base_text, base_pos = name[4:], None if pos is None else pos + 4
            base = (
                B.number(base_text, self.source, base_pos)
                if base_text.isdigit()
                else self._name(base_text, base_pos)
            )
            return B.log_base(args[0], base)
        return B.call(name, args, source=self.source, position=pos)

    def powcall(self, children: list[Any]) -> sympy.Expr:
        token, _pow, k, args = children
        return self._powered(token, k, args)

    def barecall(self, children: list[Any]) -> sympy.Expr:
        token, arg = children
        return self._apply(str(token), [arg], token.start_pos)

    def barepowcall(self, children: list[Any]) -> sympy.Expr:
        token, _pow, k, arg = children
        return self._powered(token, k, [arg])

    def _powered(self, token: Token, k: sympy.Expr, args: list[sympy.Expr]) -> sympy.Expr:
        name = str(token)
        if k == -1:
            inverse = B.inverse_of(name)
            if inverse is None:
                raise ParseError(
                    f"{name}^-1 is ambiguous; write 1/{name}(...) or the inverse function",
                    self.source,
                    token.start_pos,
                )
            return inverse(*args)
        return B.power(self._apply(name, args, token.start_pos), k)

    def negative_number(self, children: list[Token]) -> sympy.Expr:
        return -self.number(children)

    def coeff(self, children: list[Any]) -> sympy.Expr:
        return B.product(self.number([children[0]]), children[1])

    def rootsym(self, children: list[Any]) -> sympy.Expr:
        return B.power(children[1], sympy.S.Half)

    def absval(self, children: list[Any]) -> sympy.Expr:
        return sympy.Abs(children[0])

    # -- operators --
    def add(self, c: list[Any]) -> sympy.Expr:
        return c[0] + c[1]

    def sub(self, c: list[Any]) -> sympy.Expr:
        return c[0] - c[1]

    def mul(self, c: list[Any]) -> sympy.Expr:
        return B.product(c[0], c[1])

    def imul(self, c: list[Any]) -> sympy.Expr:
        return B.product(c[0], c[1])

    def div(self, c: list[Any]) -> sympy.Expr:
        if c[1] == 0:
            raise ParseError("division by zero", self.source, None)
        return B.quotient(c[0], c[1])

    def neg(self, c: list[Any]) -> sympy.Expr:
        return -c[-1]

    def pow(self, c: list[Any]) -> sympy.Expr:
        base, _op, exponent = c
        if base == sympy.E:
            return B.exp(exponent)
        return B.power(base, exponent)

    def supers(self, c: list[Any]) -> sympy.Expr:
        token = c[1]
        exponent = B.number(
            str(token).translate(_SUPERSCRIPT_DIGITS).lstrip("-"), self.source, token.start_pos
        )
        if str(token).startswith("\u207b"):
            exponent = -exponent
        return B.exp(exponent) if c[0] == sympy.E else B.power(c[0], exponent)

    def fact(self, c: list[Any]) -> sympy.Expr:
        return B.factorial(c[0])

    # -- whole inputs --
    def equation(self, c: list[Any]) -> sympy.Eq:
        return sympy.Eq(c[0], c[1], evaluate=False)

    def request(self, c: list[Any]) -> sympy.Expr:
        token, body = c
        m = _DDX.fullmatch(str(token))
        if m is None:
            raise ParseError("could not read the derivative", self.source, token.start_pos)
        top, var, bottom = m.groups()
        if (top or "1") != (bottom or "1"):
            raise ParseError("the orders in d^n/dx^n do not match", self.source, token.start_pos)
        return B.derivative_request(body, self._name(var, (token.start_pos or 0) + m.start(2)), int(top or 1))


def _mark_bars(text: str) -> str:
    """Tell opening bars from closing ones: a bar opens after an operator or at the start, else closes."""
    out: list[str] = []
    depth = 0
    last = ""
    for ch in text:
        if ch == "|":
            opening = depth == 0 or last in ("", "(", "[", ",", "+", "-", "*", "/", "^", "=", ABS_OPEN)
            if opening:
                depth += 1
                ch = ABS_OPEN
            else:
                depth -= 1
                ch = ABS_CLOSE
        if not ch.isspace():
            last = ch
        out.append(ch)
    return "".join(out)


def _check_nesting(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([" + ABS_OPEN:
            depth += 1
            if depth > B.MAX_TEXT_NESTING:
                raise LimitError(f"brackets are nested more than {B.MAX_TEXT_NESTING} deep (at position {i})")
        elif ch in ")]" + ABS_CLOSE:
            depth -= 1


_FUNCTION_BEFORE_BRACKET = re.compile(
    rf"(?<![{_LETTER}_])({'|'.join(sorted({*B.UNSUPPORTED_FUNCTIONS, *B.GREEK_FUNCTIONS}, key=len, reverse=True))})"
    rf"(\s*)\("
)


def _check_function_names(text: str, source: str, conv: B.Conventions) -> None:
    """A SymPy function name before a bracket is never read as a product: ``beta(x)`` is refused (symcalc has
    no beta function), and ``gamma (x)``, with a space, is refused as ambiguous. A declared name is a variable,
    and multiplies."""
    for m in _FUNCTION_BEFORE_BRACKET.finditer(text):
        name, space = m.group(1), m.group(2)
        start = m.start()
        while start > 0 and text[start - 1].isdigit():
            start -= 1
        if conv.is_declared(name) or (start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_")):
            continue  # a variable, or the end of a longer name (x2beta)
        what = B.UNSUPPORTED_FUNCTIONS.get(name)
        if what is not None:
            raise ParseError(
                f"{name}(...) is {what} in SymPy, which symcalc does not support; write {name}*(...) for a "
                f"product, or declare {name} as a variable",
                source,
                m.start(),
            )
        if space:
            raise ParseError(
                f"'{name} (' with a space is ambiguous: write {name}(...) for the gamma function or {name}*(...) "
                "for a product",
                source,
                m.start(),
            )


def _check_requests(text: str, source: str) -> None:
    """``d/dx`` is a derivative only at the start (``d/dx d/dx x`` included); anywhere else it is refused
    rather than read as the fraction d/(dx)."""
    i = len(text) - len(text.lstrip())
    while (head := _DDX.match(text, i)) is not None:
        i = head.end()
        while i < len(text) and text[i].isspace():
            i += 1
    stray = _DDX_ANYWHERE.search(text, i)
    if stray is not None:
        raise ParseError(
            "d/dx stands only at the start, as in d/dx (x^2); a derivative inside an expression is not read",
            source,
            stray.start(),
        )


def parse_text_tree(source: str, conv: B.Conventions) -> sympy.Basic:
    """Parse plain text into a SymPy expression, an ``Eq`` or a ``Derivative`` request."""
    text = _mark_bars(source)
    _check_nesting(text)
    _check_requests(text, source)
    _check_function_names(text, source, conv)
    token = _DECLARED.set(conv.spellings())
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    finally:
        _DECLARED.reset(token)
    try:
        result = _Build(source, text, conv).transform(tree)
    except VisitError as err:
        inner = err.orig_exc
        if isinstance(inner, SymcalcError):
            raise inner from None
        if isinstance(inner, RecursionError | MemoryError | OverflowError | PrecisionExhausted):
            raise LimitError(f"the expression is too large to build ({type(inner).__name__})") from None
        raise ParseError(f"could not build the expression: {inner}", source, None) from None
    assert not isinstance(result, Tree | Token)
    return result


def _syntax_error(err: UnexpectedInput, source: str) -> ParseError:
    if isinstance(err, UnexpectedEOF):
        return ParseError(
            "the input ended too early (an unclosed bracket or a missing operand?)", source, len(source)
        )
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream if err.pos_in_stream is not None else len(source)
        ch = source[pos] if pos < len(source) else ""
        if ch in "|":
            return ParseError("unbalanced | bars", source, pos)
        if ch in "_":
            return ParseError("names cannot start with '_' (Python names are not accepted)", source, pos)
        if ch in "'\"":
            return ParseError("quotes are not part of mathematics input", source, pos)
        if ch in "{}\\":
            return ParseError("LaTeX input must be given to parse_latex", source, pos)
        return ParseError(f"unexpected character {ch!r}", source, pos)
    if isinstance(err, UnexpectedToken):
        token = err.token
        pos = token.start_pos if token.start_pos is not None else len(source)
        if token.type == "$END":
            return ParseError(
                "the input ended too early (an unclosed bracket or a missing operand?)", source, len(source)
            )
        shown = {ABS_OPEN: "|", ABS_CLOSE: "|"}.get(str(token), str(token))
        if str(token) in (")", "]", ABS_CLOSE):
            return ParseError(f"unbalanced bracket {shown!r}", source, pos)
        return ParseError(f"unexpected {shown!r}", source, pos)
    return ParseError("could not parse the input", source, None)
