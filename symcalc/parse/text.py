"""The plain-text parser: a Lark grammar for what a student types, built straight into SymPy objects.

Nothing here calls ``eval``, ``sympify`` or ``parse_expr``: the grammar accepts numbers, names, operators,
brackets and whitelisted functions, and every node is built by :mod:`symcalc.parse.build`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sympy
from lark import Lark, Token, Transformer_NonRecursive, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import LimitError, ParseError, SymcalcError
from . import build as B

ABS_OPEN, ABS_CLOSE = "\ue000", "\ue001"  # stand-ins for | bars, one character each so positions hold

_FUNC_NAMES = sorted((n for n in B.TRIG_LIKE if n.isascii()), key=len, reverse=True)
_LETTER = r"A-Za-z\u0370-\u03ff"

GRAMMAR = rf"""
?start: sum
      | sum "=" sum                         -> equation
      | DDX sum                             -> request

?sum: product
    | sum "+" product                       -> add
    | sum MINUS product                     -> sub

?product: signed
        | product MUL signed                -> mul
        | product "/" signed                -> div

?signed: juxt
       | MINUS signed                       -> neg
       | "+" signed

?juxt: power
     | juxt power                           -> imul

?power: postfix
      | postfix POW exponent                -> pow

?exponent: power
         | MINUS exponent                   -> neg
         | "+" exponent

?postfix: atom
        | postfix "!"                       -> fact
        | postfix SUPERSCRIPT               -> supers

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

fexp: NUMBER
    | MINUS NUMBER

args: sum ("," sum)*

DDX.5: /d(\^[0-9])?\/d[A-Za-z][A-Za-z0-9_]*(\^[0-9])?/
CALLNAME.4: /[{_LETTER}][{_LETTER}0-9]*(_[{_LETTER}0-9]+)?(?=\()/
FUNC.3: /(log_[{_LETTER}0-9]+|{"|".join(_FUNC_NAMES)})(?![{_LETTER}0-9_])/
NAME.1: /[{_LETTER}][{_LETTER}0-9]*(_[{_LETTER}0-9]+)?/
NUMBER: /([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?/
POW: "^" | "**"
MUL: "*" | "\u00b7" | "\u00d7" | "\u22c5"
MINUS: "-" | "\u2212" | "\u2013"
SQRT: "\u221a"
SUPERSCRIPT: /\u207b?[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+/

%ignore /[ \t\r\n\u00a0]+/
"""

_SUPERSCRIPT_DIGITS = str.maketrans(
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-"
)
_GLUED = re.compile(rf"^({'|'.join(_FUNC_NAMES)})([A-Za-z])$")
_DDX = re.compile(r"d(?:\^([0-9]))?/d([A-Za-z][A-Za-z0-9_]*)(?:\^([0-9]))?")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=False, maybe_placeholders=False)


class _Build(Transformer_NonRecursive):
    """Turns the parse tree into a SymPy expression through the whitelisted builders."""

    def __init__(self, source: str, conv: B.Conventions) -> None:
        super().__init__()
        self.source = source
        self.conv = conv

    # -- atoms --
    def number(self, children: list[Token]) -> sympy.Expr:
        text = str(children[0])
        if re.fullmatch(r"[0-9]+", text):
            return sympy.Integer(int(text))
        if "e" not in text.lower():
            return sympy.Rational(text) if len(text) <= 30 else sympy.Float(text)
        return sympy.Float(text)

    def name(self, children: list[Token]) -> sympy.Expr:
        token = children[0]
        return self._name(str(token), token.start_pos)

    def _name(self, name: str, pos: int | None) -> sympy.Expr:
        if self.conv.is_declared(name):
            return B.real_symbol(name)
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
        if name in B.FUNCTIONS:
            raise ParseError(f"the function '{name}' needs an argument, e.g. {name}(x)", self.source, pos)
        return B.name_to_atom(name, self.conv)

    def args(self, children: list[Any]) -> list[sympy.Expr]:
        return list(children)

    def call(self, children: list[Any]) -> sympy.Expr:
        token, args = children
        name = str(token)
        if name in B.FUNCTIONS or name.startswith("log_"):
            return self._apply(name, args, token.start_pos)
        if len(name) == 1 or name in B.GREEK or name in B.UNICODE_GREEK or self.conv.is_declared(name):
            if len(args) != 1:
                raise ParseError(
                    f"'{name}' is not a function; a product needs one factor in brackets",
                    self.source,
                    token.start_pos,
                )
            return self._name(name, token.start_pos) * args[0]
        raise ParseError(f"unknown function '{name}'", self.source, token.start_pos)

    def _apply(self, name: str, args: list[sympy.Expr], pos: int) -> sympy.Expr:
        if name.startswith("log_"):
            if len(args) != 1:
                raise ParseError(f"{name} takes one argument", self.source, pos)
            base_text = name[4:]
            base = sympy.Integer(int(base_text)) if base_text.isdigit() else self._name(base_text, pos + 4)
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

    def fexp(self, children: list[Any]) -> sympy.Expr:
        value = self.number([children[-1]])
        return -value if len(children) == 2 else value

    def coeff(self, children: list[Any]) -> sympy.Expr:
        return self.number([children[0]]) * children[1]

    def rootsym(self, children: list[Any]) -> sympy.Expr:
        return sympy.sqrt(children[1])

    def absval(self, children: list[Any]) -> sympy.Expr:
        return sympy.Abs(children[0])

    # -- operators --
    def add(self, c: list[Any]) -> sympy.Expr:
        return c[0] + c[1]

    def sub(self, c: list[Any]) -> sympy.Expr:
        return c[0] - c[2]

    def mul(self, c: list[Any]) -> sympy.Expr:
        return c[0] * c[2]

    def imul(self, c: list[Any]) -> sympy.Expr:
        return c[0] * c[1]

    def div(self, c: list[Any]) -> sympy.Expr:
        if c[1] == 0:
            raise ParseError("division by zero", self.source, None)
        return c[0] / c[1]

    def neg(self, c: list[Any]) -> sympy.Expr:
        return -c[-1]

    def pow(self, c: list[Any]) -> sympy.Expr:
        base, _op, exponent = c
        if base == sympy.E:
            return sympy.exp(exponent)
        return B.power(base, exponent)

    def supers(self, c: list[Any]) -> sympy.Expr:
        exponent = sympy.Integer(int(str(c[1]).translate(_SUPERSCRIPT_DIGITS)))
        return sympy.exp(exponent) if c[0] == sympy.E else B.power(c[0], exponent)

    def fact(self, c: list[Any]) -> sympy.Expr:
        return B.factorial(c[0])

    # -- whole inputs --
    def equation(self, c: list[Any]) -> sympy.Eq:
        return sympy.Eq(c[0], c[1], evaluate=False)

    def request(self, c: list[Any]) -> sympy.Expr:
        token, body = c
        m = _DDX.fullmatch(str(token))
        assert m is not None
        top, var, bottom = m.groups()
        if (top or "1") != (bottom or "1"):
            raise ParseError("the orders in d^n/dx^n do not match", self.source, token.start_pos)
        return sympy.Derivative(body, (self._name(var, token.start_pos + 3), int(top or 1)))


def _mark_bars(text: str) -> str:
    """Tell opening bars from closing ones: a bar opens after an operator or at the start, else closes."""
    out: list[str] = []
    depth = 0
    last = ""
    for ch in text:
        if ch == "|":
            opening = depth == 0 or last in (
                "",
                "(",
                "[",
                ",",
                "+",
                "-",
                "*",
                "/",
                "^",
                "=",
                ABS_OPEN,
                "\u2212",
            )
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


def parse_text_tree(source: str, conv: B.Conventions) -> sympy.Basic:
    """Parse plain text into a SymPy expression, an ``Eq`` or a ``Derivative`` request."""
    text = _mark_bars(source)
    _check_nesting(text)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    try:
        result = _Build(source, conv).transform(tree)
    except VisitError as err:
        inner = err.orig_exc
        if isinstance(inner, SymcalcError):
            raise inner from None
        if isinstance(inner, RecursionError | MemoryError | OverflowError):
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
        pos = err.pos_in_stream
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
