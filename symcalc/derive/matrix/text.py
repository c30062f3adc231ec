r"""Reading vector and matrix expressions and shape declarations, in plain text and LaTeX, safely.

A Lark grammar of its own (nothing reaches ``eval``, ``sympify`` or ``parse_expr``): names are one letter,
optionally with digits or a subscript (``X``, ``w``, ``W1``, ``W_1``, ``b_2``) or a Greek letter, so ``Xw`` is
``X`` times ``w``. Juxtaposition and ``*`` (or ``@``) are the matrix product, ``⊙`` (``\odot``, ``∘``) the
Hadamard product, ``⊘`` entrywise division; ``Xᵀ``, ``X^T``, ``X'``, ``X^\top`` the transpose; ``X^{-1}``,
``X⁻¹`` the inverse; ``‖r‖^2``, ``||r||^2``, ``\|r\|_2^2``, ``\lVert r \rVert`` norms (``_1``, ``_F``);
``1^T x`` (``\mathbf{1}^\top x``) the sum of the entries; ``I`` the identity of the size that fits. Functions:
``exp log ln sigmoid σ softplus tanh relu abs sign square sqrt tr det logdet softmax logsumexp sum diag inv``.
A name that is not declared is a scalar constant (``λ`` in ``λ‖w‖²``); a declared size used as a number is that
number (``/n``).

Declarations: ``"X: n x m, w: m, y: n"`` (also ``n × m``, ``n by m``, ``(n, m)``, ``X \in \mathbb{R}^{n \times m}``,
``b: scalar``).

Example:
    >>> from symcalc.derive.matrix.text import parse_matrix, parse_shapes
    >>> shapes = parse_shapes("X: n x m, w: m, y: n")
    >>> print(parse_matrix(r"\frac{1}{n}\|Xw - y\|^2", shapes))
    ‖Xw − y‖²/n
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy
from lark import Lark, Token, Transformer_NonRecursive, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ...errors import LimitError, ParseError, SymcalcError, UnsupportedError
from ...variables import GREEK
from . import nodes as N
from .nodes import Node, ShapeError, Var

__all__ = ["Shapes", "matrix", "parse_matrix", "parse_shapes", "scalar", "vector"]

MAX_LENGTH = 2000
MAX_NESTING = 60

_UNICODE_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
        "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
        strict=True,
    )
)
_GREEK_WORDS = sorted({*GREEK, "lambda", "pi"} - {"varepsilon", "vartheta", "varphi"}, key=len, reverse=True)
_LETTER_OF = {v: k for k, v in _UNICODE_GREEK.items()}


def canonical_name(raw: str) -> str:
    """One spelling per name: ``θ`` -> ``theta``, ``lamda`` -> ``lambda``, ``W_{1}`` and ``W_1`` -> ``W1``."""
    name = raw.strip()
    m = re.fullmatch(r"(.+?)_\{?([0-9]+)\}?", name)
    if m:
        name = m.group(1) + m.group(2)
    m = re.fullmatch(r"(.+?)_\{([A-Za-z0-9]+)\}", name)
    if m:
        name = m.group(1) + "_" + m.group(2)
    head = re.match(r"[\u0370-\u03ff]", name)
    if head:
        name = _UNICODE_GREEK.get(head.group(0), head.group(0)) + name[1:]
    if name.startswith("lamda"):
        name = "lambda" + name[5:]
    return name


_NAME_RE = re.compile(
    r"(?:[A-Za-z]|" + "|".join(_GREEK_WORDS) + r"|[\u0370-\u03ff])(?:[0-9]+|_[A-Za-z0-9]+|_\{[A-Za-z0-9]+\})?"
)


def _check_name(raw: str) -> str:
    if not _NAME_RE.fullmatch(raw.strip()):
        raise ParseError(
            f"{raw.strip()!r} is not a variable name: one letter, optionally with digits or a subscript "
            "(X, w, W1, W_1, b_2), or a Greek letter",
            raw,
            0,
        )
    name = canonical_name(raw)
    if name == "T":
        raise ParseError("T is kept for the transpose (X^T); choose another name", raw, 0)
    if name == "I":
        raise ParseError("I is kept for the identity matrix; choose another name", raw, 0)
    return name


# -- declarations ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shapes:
    """Declared variables by name, and the sizes they use.

    Example:
        >>> s = parse_shapes("X: n x m, w: m, b: scalar")
        >>> str(s)
        'X: n × m, w: m × 1, b: 1 × 1'
    """

    variables: Mapping[str, Var]
    sizes: Mapping[str, sympy.Symbol] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Var:
        return self.variables[canonical_name(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name) in self.variables

    def __iter__(self) -> Iterator[Var]:
        return iter(self.variables.values())

    def __len__(self) -> int:
        return len(self.variables)

    def __str__(self) -> str:
        return ", ".join(f"{N.display_text(v)}: {N.shape_text(v.shape)}" for v in self.variables.values())

    def merge(self, other: Shapes) -> Shapes:
        variables = dict(self.variables)
        for name, v in other.variables.items():
            if name in variables and variables[name] != v:
                raise ShapeError(
                    f"{name} is declared twice with different shapes "
                    f"({N.shape_text(variables[name].shape)} and {N.shape_text(v.shape)})"
                )
            variables[name] = v
        return _shapes_of(variables.values())

    @classmethod
    def of(cls, spec: Any) -> Shapes:
        """Shapes from a declaration text, a dict (``{"X": ("n", "m"), "w": "m"}``), variables, or Shapes."""
        if spec is None:
            return cls({})
        if isinstance(spec, Shapes):
            return spec
        if isinstance(spec, str):
            return parse_shapes(spec)
        if isinstance(spec, Var):
            return _shapes_of([spec])
        if isinstance(spec, Mapping):
            out = []
            for name, size in spec.items():
                if isinstance(size, Var):
                    out.append(size)
                elif isinstance(size, str):
                    out.append(_declare(name, size, f"{name}: {size}"))
                elif isinstance(size, int | sympy.Expr):
                    out.append(vector(name, size))
                else:
                    dims = tuple(size)
                    if len(dims) == 1:
                        out.append(vector(name, dims[0]))
                    elif len(dims) == 2:
                        out.append(matrix(name, dims[0], dims[1]))
                    else:
                        raise ShapeError(
                            f"{name}: a shape has one size (a vector) or two (a matrix), not {dims}"
                        )
            return _shapes_of(out)
        if isinstance(spec, Iterable):
            return _shapes_of(list(spec))
        raise SymcalcError(f"cannot read shapes from {spec!r}")


def _shapes_of(variables: Iterable[Var]) -> Shapes:
    out: dict[str, Var] = {}
    sizes: dict[str, sympy.Symbol] = {}
    for v in variables:
        if not isinstance(v, Var):
            raise SymcalcError(f"{v!r} is not a declared variable (use sc.vector, sc.matrix or sc.scalar)")
        if v.name in out and out[v.name] != v:
            raise ShapeError(f"{v.name} is declared twice with different shapes")
        out[v.name] = v
        for d in v.shape:
            for s in d.free_symbols:
                sizes[s.name] = s
    clash = set(out) & set(sizes)
    if clash:
        name = sorted(clash)[0]
        raise ShapeError(
            f"{name} is declared as a variable and used as a size; use another name for one of them"
        )
    return Shapes(out, sizes)


def vector(name: str, size: str | int | sympy.Expr) -> Var:
    """A column vector ``size × 1``.

    >>> vector("w", "m").shape
    (m, 1)
    """
    return Var(_check_name(name), N.dim(size), N.ONE)


def matrix(name: str, rows: str | int | sympy.Expr, cols: str | int | sympy.Expr) -> Var:
    """A matrix ``rows × cols``.

    >>> matrix("X", "n", "m").shape
    (n, m)
    """
    return Var(_check_name(name), N.dim(rows), N.dim(cols))


def scalar(name: str) -> Var:
    """A scalar variable (``1 × 1``), such as a bias ``b``."""
    return Var(_check_name(name), N.ONE, N.ONE)


def _split_top(text: str) -> list[tuple[int, str]]:
    """Split at commas, semicolons and newlines outside brackets, keeping each piece's start."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in ",;\n" and depth == 0:
            out.append((start, text[start:i]))
            start = i + 1
    out.append((start, text[start:]))
    return [(s, piece) for s, piece in out if piece.strip()]


def _declare(name: str, spec: str, source: str, offset: int = 0) -> Var:
    s = spec
    for pattern in (r"\\mathbb\s*\{\s*R\s*\}", "ℝ", r"\\R\b", r"^\s*R\s*\^"):
        s = re.sub(pattern, " ", s)
    s = s.replace("\\times", " x ").replace("×", " x ").replace("*", " x ").replace(",", " x ")
    s = re.sub(r"\bby\b", " x ", s)
    s = re.sub(r"(?<=\d)x(?=\d)", " x ", s)
    s = s.replace("^", " ").replace("{", " ").replace("}", " ").replace("(", " ").replace(")", " ")
    words = s.split()
    if words in (["scalar"], ["1"], ["1", "x", "1"], ["R"]):
        return scalar(name)
    if len(words) == 1:
        return vector(name, _size(words[0], source, offset))
    if len(words) == 3 and words[1] == "x":
        rows, cols = _size(words[0], source, offset), _size(words[2], source, offset)
        if cols == 1 and rows != 1:
            return vector(name, rows)
        return matrix(name, rows, cols)
    raise ParseError(
        f"cannot read the shape of {name} from {spec.strip()!r}: write 'n x m' for a matrix, 'm' for a vector, "
        "'scalar' for a scalar",
        source,
        offset,
    )


def _size(word: str, source: str, offset: int) -> sympy.Expr:
    if word.isdigit():
        return N.dim(int(word))
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", word) and word not in ("x", "T"):
        return N.dim(word)
    raise ParseError(f"{word!r} is not a size (a positive integer or a name such as n)", source, offset)


def parse_shapes(source: str) -> Shapes:
    """Read a declaration such as ``"X: n x m, w: m, y: n"``.

    >>> parse_shapes("A: n x n, x: n")["x"].shape
    (n, 1)
    """
    if len(source) > MAX_LENGTH:
        raise LimitError(f"the declaration is {len(source)} characters long; the limit is {MAX_LENGTH}")
    out: list[Var] = []
    for start, piece in _split_top(source):
        m = re.match(r"\s*(.+?)\s*(?::|∈|\\in\b|\bin\b)\s*(.*)$", piece, re.S)
        if not m:
            raise ParseError(
                "a declaration is 'name: shape', e.g. 'X: n x m, w: m, y: n'", source, start + len(piece)
            )
        raw_name = m.group(1)
        raw_name = re.sub(r"\\(mathbf|boldsymbol|bm|vec)\s*\{(.*)\}", r"\2", raw_name).strip()
        raw_name = re.sub(r"^\\([A-Za-z]+)$", r"\1", raw_name)
        try:
            name = _check_name(raw_name)
        except ParseError as err:
            raise ParseError(err.reason, source, start + piece.find(raw_name)) from None
        out.append(_declare(name, m.group(2), source, start + m.start(2)))
    if not out:
        raise ParseError("the declaration is empty: write e.g. 'X: n x m, w: m, y: n'", source, 0)
    return _shapes_of(out)


# -- LaTeX and bars, read into one alphabet (same length, so error positions stay right) --------------------

NORM_OPEN, NORM_CLOSE, ABS_OPEN, ABS_CLOSE = "\ue010", "\ue011", "\ue012", "\ue013"
_WRAPPERS = re.compile(
    r"\\(mathbf|boldsymbol|bm|mathrm|mathit|mathsf|mathbb|mathnormal|vec|operatorname\*?|textrm|textbf|text)"
    r"\s*\{([^{}]*)\}"
)
_BLANK = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl",
    "Biggr", "displaystyle", "limits", "quad", "qquad",
}  # fmt: skip
_REPLACE = {
    "top": "T",
    "intercal": "T",
    "odot": "⊙",
    "circ": "⊙",
    "oslash": "⊘",
    "cdot": "·",
    "times": "·",
    "ast": "·",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "mid": "|",
    "tfrac": "\\frac",
    "dfrac": "\\frac",
    "frac": "\\frac",
    "sigma": "σ",
    **{w: w for w in ("exp", "log", "ln", "tanh", "det", "sqrt", "tr", "max", "min")},
}


def _pad(replacement: str, length: int) -> str:
    """Blank before the replacement, so what follows stays attached (``\tanh'`` -> `` tanh'``)."""
    return " " * (length - len(replacement)) + replacement


def normalize(source: str) -> str:
    """LaTeX commands and bars as the grammar's symbols, padded so every character keeps its position."""
    s = source
    while True:
        new = _WRAPPERS.sub(lambda m: _pad(m.group(2), len(m.group(0))), s)
        if new == s:
            break
        s = new
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        assert m is not None
        cmd, length = m.group(1), len(m.group(0))
        if cmd in _BLANK:
            if cmd in ("left", "right") and s[i + length : i + length + 1] == ".":
                length += 1
            out.append(" " * length)
        elif cmd == "|":
            out.append("‖ ")
        elif cmd in (",", ";", ":", "!", " "):
            out.append(" " * length)
        elif cmd in _REPLACE:
            out.append(_pad(_REPLACE[cmd], length))
        elif cmd in GREEK or cmd == "lambda":
            letter = _LETTER_OF.get(cmd if cmd != "lambda" else "lambda", cmd)
            out.append(_pad(letter, length))
        elif cmd == "sum":
            raise ParseError(
                r"write a sum as \mathbf{1}^\top x (or sum(x)); \sum with limits is not read", source, i
            )
        else:
            raise ParseError(f"unknown LaTeX command \\{cmd}", source, i)
        i += length
    return "".join(out).replace("⊤", "T")


def _mark_bars(text: str) -> str:
    """‖ and || are norm bars, | an absolute value; a bar opens after an operator or at the start."""
    chars = list(text)
    depth = 0
    last = ""
    i = 0
    stack: list[str] = []
    while i < len(chars):
        ch = chars[i]
        kind = None
        if ch == "‖":
            kind = "norm"
        elif ch == "|":
            if i + 1 < len(chars) and chars[i + 1] == "|":
                kind = "norm"
                chars[i + 1] = " "
            else:
                kind = "abs"
        if kind is not None:
            opening = depth == 0 or last in ("", "(", "[", "{", ",", "+", "-", "−", "*", "/", "^", "_", "·", "⊙",
                                             "⊘", NORM_OPEN, ABS_OPEN)  # fmt: skip
            if not opening and stack and stack[-1] != kind:
                opening = True
            if opening:
                depth += 1
                stack.append(kind)
                chars[i] = NORM_OPEN if kind == "norm" else ABS_OPEN
            else:
                depth -= 1
                stack.pop()
                chars[i] = NORM_CLOSE if kind == "norm" else ABS_CLOSE
            last = chars[i]
        elif not ch.isspace():
            last = ch
        i += 1
    return "".join(chars)


# -- the grammar ----------------------------------------------------------------------------------------

_FUNCS = sorted(
    """exp log ln sigmoid softplus tanh relu ReLU abs sign step square sqrt tr trace Tr det logdet softmax
    logsumexp lse LSE sum diag inv norm σ""".split(),
    key=len,
    reverse=True,
)
_FUNC_RE = "(?:" + "|".join(_FUNCS) + ")(?:'|′)?"

GRAMMAR = rf"""
?start: sum

?sum: product
    | sum PLUS product                 -> add
    | sum MINUS product                -> sub

?product: signed
        | product MUL signed           -> mul
        | product DIV signed           -> div
        | product HADAMARD signed      -> hadamard
        | product HDIV signed          -> hdiv

?signed: juxt
       | MINUS signed                  -> neg
       | PLUS signed                   -> pos

?juxt: postfix
     | juxt postfix                    -> imul

?postfix: atom
        | postfix POW exponent         -> pow
        | postfix TRANSPOSE            -> transpose
        | postfix INVSUP               -> inverse
        | postfix INVTSUP              -> inverse_transpose
        | postfix SUPERSCRIPT          -> supers

exponent: NUMBER                       -> exp_number
        | MINUS NUMBER                 -> exp_negnumber
        | NAME                         -> exp_name
        | HADAMARD NUMBER              -> exp_hpow
        | "{{" HADAMARD NUMBER "}}"      -> exp_hpow
        | "{{" HADAMARD MINUS NUMBER "}}" -> exp_hpow_neg
        | "{{" sum "}}"                  -> exp_group
        | "(" sum ")"                  -> exp_group

?atom: NUMBER                          -> number
     | NAME                            -> name
     | ONES                            -> ones
     | "(" sum ")"
     | "[" sum "]"
     | "{{" sum "}}"
     | NORM_OPEN sum NORM_CLOSE        -> norm
     | NORM_OPEN sum NORM_CLOSE normsub -> norm
     | ABS_OPEN sum ABS_CLOSE          -> absval
     | CALLFUNC "(" args ")"           -> call
     | FUNC postfix                    -> barecall
     | FRAC "{{" sum "}}" "{{" sum "}}"    -> frac

normsub: "_" NUMBER
       | "_" NAME
       | "_" "{{" NUMBER "}}"
       | "_" "{{" NAME "}}"
       | SUBDIGIT

args: sum ("," sum)*

CALLFUNC.5: /{_FUNC_RE}(?=\s*\()/
FUNC.4: /{_FUNC_RE}(?![A-Za-z0-9_])/
NAME.2: /(?:{"|".join(_GREEK_WORDS)})(?![A-Za-z])(?:[0-9]+|_[A-Za-z0-9]+|_\{{[A-Za-z0-9]+\}})?|[A-Za-z\u0370-\u03ff](?:[0-9]+|_[A-Za-z0-9]+|_\{{[A-Za-z0-9]+\}})?/
NUMBER: /([0-9]+\.?[0-9]*|\.[0-9]+)/
FRAC: "\\frac"
PLUS: "+"
MINUS: "-" | "−" | "–"
MUL: "*" | "·" | "×" | "@" | "⋅"
DIV: "/"
HADAMARD: "⊙" | "∘" | ".*"
HDIV: "⊘" | "./"
POW: "^" | "**"
TRANSPOSE: "ᵀ" | "'" | "′"
INVSUP: "⁻¹"
INVTSUP: "⁻ᵀ"
SUPERSCRIPT: "²" | "³"
SUBDIGIT: "₁" | "₂"
ONES: "𝟏"
NORM_OPEN: "{NORM_OPEN}"
NORM_CLOSE: "{NORM_CLOSE}"
ABS_OPEN: "{ABS_OPEN}"
ABS_CLOSE: "{ABS_CLOSE}"

%ignore /[ \t\r\n\u00a0]+/
"""


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


_T_MARK = sympy.Symbol("T", real=True)
_CALLS = {
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "sigmoid": "sigmoid",
    "σ": "sigmoid",
    "softplus": "softplus",
    "tanh": "tanh",
    "relu": "relu",
    "ReLU": "relu",
    "abs": "abs",
    "sign": "sign",
    "step": "step",
    "square": "square",
    "sqrt": "sqrt",
    "sigmoid'": "sigmoid_prime",
    "σ'": "sigmoid_prime",
    "tanh'": "tanh_prime",
    "relu'": "step",
    "ReLU'": "step",
}


class _Build(Transformer_NonRecursive):  # type: ignore[type-arg]
    """The parse tree, built into nodes through the checking constructors."""

    def __init__(self, source: str, shapes: Shapes) -> None:
        super().__init__()
        self.source = source
        self.shapes = shapes
        self.undeclared: list[str] = []

    def _shape_error(self, err: ShapeError, token: Token | None) -> ShapeError:
        note = ""
        if self.undeclared:
            names = ", ".join(sorted(set(self.undeclared)))
            note = f" ({names} {'is' if len(set(self.undeclared)) == 1 else 'are'} not declared, so taken as a scalar)"
        pos = token.start_pos if token is not None else None
        return ShapeError(str(err.reason) + note, self.source, pos)

    def _guard(self, fn: Any, token: Token | None, *args: Any) -> Node:
        try:
            return fn(*args)  # type: ignore[no-any-return]
        except ShapeError as err:
            raise self._shape_error(err, token) from None

    # atoms
    def number(self, c: list[Token]) -> Node:
        text = str(c[0])
        return N.Const(sympy.Integer(int(text)) if text.isdigit() else sympy.Rational(text))

    def name(self, c: list[Token]) -> Node:
        return self._name(str(c[0]), c[0])

    def _name(self, raw: str, token: Token | None) -> Node:
        name = canonical_name(raw)
        if name in self.shapes.variables:
            return self.shapes.variables[name]
        if name in self.shapes.sizes:
            return N.Const(self.shapes.sizes[name])
        if name == "I":
            return N.Identity(N.wild_size())
        m = re.fullmatch(r"I_?\{?([A-Za-z0-9]+)\}?", name)
        if m and (m.group(1) in self.shapes.sizes or m.group(1).isdigit()):
            size = self.shapes.sizes.get(m.group(1)) or N.dim(int(m.group(1)))
            return N.Identity(size)
        if name == "e":
            return N.Const(sympy.E)
        if name == "pi":
            return N.Const(sympy.pi)
        if name == "T":
            return N.Const(_T_MARK)
        self.undeclared.append(name)
        return N.Const(sympy.Symbol(name, real=True))

    def ones(self, c: list[Token]) -> Node:
        return N.Ones(N.wild_size(), N.ONE)  # 𝟏: a vector of ones, its size from the product or sum it is in

    def norm(self, c: list[Any]) -> Node:
        arg = c[1]
        kind = c[3] if len(c) > 3 else None
        if kind == "2" and not (arg.cols == N.ONE or arg.rows == N.ONE):
            raise self._shape_error(N.spectral_norm_error(arg), c[0])
        return self._guard(N.norm, c[0], arg, kind or "2")

    def normsub(self, c: list[Token]) -> str:
        value = str(c[-1])
        value = {"₁": "1", "₂": "2"}.get(value, value)
        if value not in ("1", "2", "F"):
            raise ParseError(
                f"the norm ‖·‖_{value} is not supported (use _1, _2 or _F)", self.source, c[-1].start_pos
            )
        return value

    def absval(self, c: list[Any]) -> Node:
        return N.elementwise("abs", c[1])

    def args(self, c: list[Any]) -> list[Node]:
        return list(c)

    def call(self, c: list[Any]) -> Node:
        return self._apply(c[0], c[1])

    def barecall(self, c: list[Any]) -> Node:
        return self._apply(c[0], [c[1]])

    def _apply(self, token: Token, args: list[Node]) -> Node:
        name = str(token).replace("′", "'")
        pos = token.start_pos
        if name == "norm":
            if len(args) == 2 and isinstance(args[1], N.Const):
                kind = str(args[1].value)
                if kind == "2" and not (args[0].cols == N.ONE or args[0].rows == N.ONE):
                    raise self._shape_error(N.spectral_norm_error(args[0]), token)
                return self._guard(N.norm, token, args[0], kind)
            if len(args) != 1:
                raise ParseError("norm takes a vector or matrix, and optionally 1, 2 or F", self.source, pos)
            return self._guard(N.norm, token, args[0], "2")
        if len(args) != 1:
            raise ParseError(f"{name} takes one argument", self.source, pos)
        arg = args[0]
        if name in _CALLS:
            return self._guard(N.apply, token, _CALLS[name], arg)
        table = {
            "tr": N.trace,
            "trace": N.trace,
            "Tr": N.trace,
            "det": N.det,
            "logdet": N.logdet,
            "softmax": N.softmax,
            "logsumexp": N.logsumexp,
            "lse": N.logsumexp,
            "LSE": N.logsumexp,
            "sum": N.sum_entries,
            "diag": N.diag,
            "inv": N.inverse,
        }
        if name not in table:
            raise ParseError(f"unknown function {name}", self.source, pos)
        return self._guard(table[name], token, arg)

    def frac(self, c: list[Any]) -> Node:
        return self._guard(N.divide, c[0], c[1], c[2])

    # exponents: ("T",), ("num", k), ("node", node), ("hpow", k)
    def exp_number(self, c: list[Token]) -> tuple[Any, ...]:
        return ("num", self.number(c).value)  # type: ignore[attr-defined]

    def exp_negnumber(self, c: list[Token]) -> tuple[Any, ...]:
        return ("num", -self.number([c[1]]).value)  # type: ignore[attr-defined]

    def exp_name(self, c: list[Token]) -> tuple[Any, ...]:
        if str(c[0]) == "T":
            return ("T",)
        return ("node", self._name(str(c[0]), c[0]))

    def exp_hpow(self, c: list[Token]) -> tuple[Any, ...]:
        return ("hpow", self.number([c[-1]]).value)  # type: ignore[attr-defined]

    def exp_hpow_neg(self, c: list[Token]) -> tuple[Any, ...]:
        return ("hpow", -self.number([c[-1]]).value)  # type: ignore[attr-defined]

    def exp_group(self, c: list[Any]) -> tuple[Any, ...]:
        node = c[0]
        if node == N.Const(_T_MARK):
            return ("T",)
        if node == N.Const(-_T_MARK):
            return ("-T",)
        if isinstance(node, N.Const) and node.value.is_number:
            return ("num", node.value)
        return ("node", node)

    # postfix
    def _transpose(self, base: Node, token: Token | None) -> Node:
        if base == N.Const(sympy.Integer(1)):
            return N.Ones(N.ONE, N.wild_size())  # 1ᵀ: a row of ones, its size from the product it is in
        return self._guard(N.transpose, token, base)

    def transpose(self, c: list[Any]) -> Node:
        return self._transpose(c[0], c[1])

    def inverse(self, c: list[Any]) -> Node:
        return self._guard(N.inverse, c[1], c[0])

    def inverse_transpose(self, c: list[Any]) -> Node:
        return self._guard(lambda a: N.transpose(N.inverse(a)), c[1], c[0])

    def supers(self, c: list[Any]) -> Node:
        k = sympy.Integer({"²": 2, "³": 3}[str(c[1])])
        return self._guard(N.matrix_power, c[1], c[0], k)

    def pow(self, c: list[Any]) -> Node:
        base, token, exponent = c
        kind = exponent[0]
        if kind == "T":
            return self._transpose(base, token)
        if kind == "-T":
            return self._guard(lambda a: N.transpose(N.inverse(a)), token, base)
        if kind == "hpow":
            return self._guard(N.power, token, base, exponent[1])
        value = exponent[1]
        if base == N.Const(sympy.E):
            return self._guard(N.apply, token, "exp", value if isinstance(value, Node) else N.Const(value))
        if kind == "num":
            return self._guard(N.matrix_power, token, base, value)
        if isinstance(value, N.Const) and base.is_scalar:
            return self._guard(N.power, token, base, value.value)
        raise UnsupportedError(
            f"the exponent {N.display_text(value)} is not a number: a power with a variable exponent is not "
            "supported in a matrix expression"
        )

    # operators
    def add(self, c: list[Any]) -> Node:
        return self._guard(N.add, c[1], c[0], c[2])

    def sub(self, c: list[Any]) -> Node:
        return self._guard(N.sub, c[1], c[0], c[2])

    def mul(self, c: list[Any]) -> Node:
        return self._guard(N.mul, c[1], c[0], c[2])

    def imul(self, c: list[Any]) -> Node:
        return self._guard(N.mul, None, c[0], c[1])

    def div(self, c: list[Any]) -> Node:
        return self._guard(N.divide, c[1], c[0], c[2])

    def hadamard(self, c: list[Any]) -> Node:
        return self._guard(N.hadamard, c[1], c[0], c[2])

    def hdiv(self, c: list[Any]) -> Node:
        return self._guard(N.hadamard_divide, c[1], c[0], c[2])

    def neg(self, c: list[Any]) -> Node:
        return N.neg(c[1])

    def pos(self, c: list[Any]) -> Node:
        return c[1]  # type: ignore[no-any-return]


def _check_nesting(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{" + NORM_OPEN + ABS_OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise LimitError(f"brackets are nested more than {MAX_NESTING} deep (at position {i})")
        elif ch in ")]}" + NORM_CLOSE + ABS_CLOSE:
            depth -= 1


def parse_matrix(source: str | Node, shapes: Any = None) -> Node:
    r"""Read a vector or matrix expression (plain text or LaTeX) with the declared shapes.

    Every product, sum and function is checked for shape; a mismatch raises :class:`ShapeError` naming both
    operands, their shapes and the place.

    Example:
        >>> e = parse_matrix("x^T A x", "A: n x n, x: n")
        >>> print(e)
        xᵀAx
        >>> e.shape
        (1, 1)
        >>> print(parse_matrix(r"\mathbf{1}^\top \log(1 + \exp(-y \odot Xw))", "X: n x m, w: m, y: n"))
        𝟏ᵀlog(1 + exp(−y ⊙ Xw))
    """
    if isinstance(source, Node):
        return source
    if not isinstance(source, str):
        raise SymcalcError(f"expected text or a matrix expression, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise LimitError(f"the input is {len(source)} characters long; the limit is {MAX_LENGTH}")
    if not source.strip():
        raise ParseError("the input is empty", source, 0)
    bad = next((i for i, ch in enumerate(source) if ord(ch) < 32 and ch not in "\t\n\r"), None)
    if bad is not None:
        raise ParseError("the input has a control character", source, bad)
    declared = Shapes.of(shapes)
    text = _mark_bars(normalize(source))
    _check_nesting(text)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    builder = _Build(source, declared)
    try:
        result = builder.transform(tree)
    except VisitError as err:
        inner = err.orig_exc
        if isinstance(inner, SymcalcError):
            raise inner from None
        if isinstance(inner, RecursionError | MemoryError | OverflowError):
            raise LimitError(f"the expression is too large to build ({type(inner).__name__})") from None
        raise ParseError(f"could not build the expression: {inner}", source, None) from None
    assert not isinstance(result, Tree | Token)
    if not isinstance(result, Node):
        raise ParseError("could not read a matrix expression", source, None)
    if N.wild_sizes(result):
        raise ShapeError(
            "cannot tell the size of 1ᵀ, 𝟏 or I here: write it where a product or a sum fixes it (1ᵀx, X + λI)",
            source,
            None,
        )
    if any(isinstance(n, N.Const) and n.value.has(_T_MARK) for n in result.walk()):
        raise ParseError("T is kept for the transpose (X^T); a scalar named T is not allowed", source, None)
    return result


def _syntax_error(err: UnexpectedInput, source: str) -> ParseError:
    if isinstance(err, UnexpectedEOF):
        return ParseError(
            "the input ended too early (an unclosed bracket or a missing operand?)", source, len(source)
        )
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        ch = source[pos] if pos < len(source) else ""
        if ch in "|‖":
            return ParseError("unbalanced bars", source, pos)
        if ch in "'\"" and ch != "'":
            return ParseError("quotes are not part of mathematics input", source, pos)
        return ParseError(f"unexpected character {ch!r}", source, pos)
    if isinstance(err, UnexpectedToken):
        token = err.token
        pos = token.start_pos if token.start_pos is not None else len(source)
        if token.type == "$END":
            return ParseError(
                "the input ended too early (an unclosed bracket or a missing operand?)", source, len(source)
            )
        shown = {NORM_OPEN: "‖", NORM_CLOSE: "‖", ABS_OPEN: "|", ABS_CLOSE: "|"}.get(str(token), str(token))
        return ParseError(f"unexpected {shown!r}", source, pos)
    return ParseError("could not parse the input", source, None)
