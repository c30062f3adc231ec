r"""Vector and matrix expressions with shapes: the nodes, and constructors that check every shape.

Every node has a ``shape`` ``(rows, cols)`` whose sizes are SymPy integers or symbols (``n``, ``m``); a column
vector is ``m × 1`` and a scalar ``1 × 1``. A ``1 × 1`` node is a scalar wherever it meets a bigger one (``(wᵀx)x``
is a scalar times a vector, as courses write it). Nodes are built only through the constructors below
(:func:`add`, :func:`mul`, :func:`transpose`, ...), which check that the shapes fit and raise
:class:`ShapeError` naming both operands and their shapes when they do not, and which keep expressions in a
readable normal form: constants in front (``2Xᵀ(Xw − y)/n``), transposes pushed onto the variables through
products (``(Xw)ᵀ = wᵀXᵀ``), like terms combined, identity factors dropped.

Example:
    >>> from symcalc.derive.matrix import matrix, vector
    >>> X, w = matrix("X", "n", "m"), vector("w", "m")
    >>> (X @ w).shape
    (n, 1)
    >>> try:
    ...     w @ X
    ... except ShapeError as err:
    ...     print(err)
    cannot multiply w (m × 1) by X (n × m): the inner sizes 1 and n differ
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeAlias

import sympy

from ...errors import SymcalcError, UnsupportedError
from ...functions import relu, sigmoid, softplus

__all__ = [
    "ELEMENTWISE",
    "Add",
    "Const",
    "Det",
    "Diag",
    "Differential",
    "Elementwise",
    "ElementwiseFn",
    "Hadamard",
    "Identity",
    "Inverse",
    "LogDet",
    "LogSumExp",
    "Mul",
    "Node",
    "Norm",
    "Ones",
    "Power",
    "ShapeError",
    "Softmax",
    "Trace",
    "Transpose",
    "Var",
    "Zero",
    "add",
    "contains",
    "diag",
    "det",
    "dim",
    "elementwise",
    "hadamard",
    "inverse",
    "logdet",
    "logsumexp",
    "mul",
    "neg",
    "norm",
    "power",
    "scale",
    "shape_text",
    "softmax",
    "sub",
    "trace",
    "transpose",
]

Dim: TypeAlias = sympy.Expr
ONE = sympy.Integer(1)


class ShapeError(SymcalcError, ValueError):
    """The shapes of two operands do not fit the operation (the message names both and their shapes).

    Attributes:
        reason: the message without the caret picture.
        source, position: the input text and the 0-based place of the operator, where known.
    """

    def __init__(self, reason: str, source: str | None = None, position: int | None = None) -> None:
        self.reason = reason
        self.source = source
        self.position = position
        text = reason
        if source is not None and position is not None:
            line = source.replace("\n", " ")
            text = f"{reason} (at position {position})\n  {line}\n  {' ' * position}^"
        super().__init__(text)


def dim(size: str | int | sympy.Expr) -> sympy.Expr:
    """A size: a positive integer, or a symbol such as ``n`` (an integer, positive).

    >>> dim("n").is_positive, dim(3)
    (True, 3)
    """
    if isinstance(size, sympy.Expr):
        return size
    if isinstance(size, int) or (isinstance(size, str) and size.strip().isdigit()):
        value = int(size)
        if value < 1:
            raise ShapeError(f"a size must be a positive integer, not {value}")
        return sympy.Integer(value)
    name = size.strip()
    if not name.isidentifier() or not name[0].isalpha():
        raise ShapeError(f"{size!r} is not a size (a positive integer or a name such as n)")
    return sympy.Symbol(name, integer=True, positive=True)


def wild_size() -> sympy.Dummy:
    """A size not known yet (of ``1ᵀ`` or ``I``), settled by the first product or sum it meets."""
    return sympy.Dummy("size", integer=True, positive=True)


def is_wild(d: sympy.Expr) -> bool:
    return isinstance(d, sympy.Dummy) and d.name == "size"


def shape_text(shape: tuple[Dim, Dim]) -> str:
    """``n × m``, as the courses write shapes.

    >>> shape_text((dim("n"), dim(1)))
    'n × 1'
    """
    return f"{_dim_text(shape[0])} × {_dim_text(shape[1])}"


def shape_latex(shape: tuple[Dim, Dim]) -> str:
    return rf"{sympy.latex(shape[0])} \times {sympy.latex(shape[1])}"


def _dim_text(d: Dim) -> str:
    if is_wild(d):
        return "?"
    text = sympy.sstr(d)
    return text if d.is_Atom else f"({text})"


# -- elementwise functions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElementwiseFn:
    """A scalar function applied entry by entry: its name, its SymPy form, how it is written, its derivative.

    ``derivative`` names another entry of :data:`ELEMENTWISE` (``"sigmoid"`` for softplus), or is ``"power:k"``
    for ``k z^(k-1)`` written as a Hadamard power, or ``"zero"`` (sign and the step, away from their jump).
    ``kink`` is True where the function is not differentiable at 0 (ReLU, abs, sign, the step).
    """

    name: str
    text: str
    latex: str
    scalar: Callable[[sympy.Expr], sympy.Expr]
    derivative: str
    kink: bool = False
    positive_domain: bool = False

    def __call__(self, u: sympy.Expr) -> sympy.Expr:
        return self.scalar(u)


def _fn(*args: Any, **kwargs: Any) -> tuple[str, ElementwiseFn]:
    f = ElementwiseFn(*args, **kwargs)
    return f.name, f


#: The elementwise functions, by name. Derivatives that are not in the input (sigmoid′, tanh′, the step) are
#: here too, so a gradient or a Hessian can be written with them.
ELEMENTWISE: dict[str, ElementwiseFn] = dict(
    [
        _fn("exp", "exp", r"\exp", sympy.exp, "exp"),
        _fn("log", "log", r"\log", sympy.log, "power:-1", positive_domain=True),
        _fn("sigmoid", "σ", r"\sigma", sigmoid, "sigmoid_prime"),
        _fn("softplus", "softplus", r"\operatorname{softplus}", softplus, "sigmoid"),
        _fn("tanh", "tanh", r"\tanh", sympy.tanh, "tanh_prime"),
        _fn("relu", "relu", r"\operatorname{ReLU}", relu, "step", kink=True),
        _fn("abs", "abs", r"\operatorname{abs}", sympy.Abs, "sign", kink=True),
        _fn("sign", "sign", r"\operatorname{sign}", sympy.sign, "zero", kink=True),
        _fn("step", "step", r"\operatorname{step}", lambda u: sympy.Heaviside(u, 0), "zero", kink=True),
        _fn(
            "sigmoid_prime",
            "σ′",
            r"\sigma'",
            lambda u: sigmoid(u) * (1 - sigmoid(u)),
            "sigmoid_second",
        ),
        _fn(
            "sigmoid_second",
            "σ″",
            r"\sigma''",
            lambda u: sigmoid(u) * (1 - sigmoid(u)) * (1 - 2 * sigmoid(u)),
            "sigmoid_third",
        ),
        _fn("tanh_prime", "tanh′", r"\tanh'", lambda u: 1 - sympy.tanh(u) ** 2, "tanh_second"),
        _fn(
            "tanh_second",
            "tanh″",
            r"\tanh''",
            lambda u: -2 * sympy.tanh(u) * (1 - sympy.tanh(u) ** 2),
            "tanh_third",
        ),
    ]
)


@dataclass(frozen=True)
class _Substitute:
    """``u -> body(u)``: a derived function's SymPy body (a class, not a lambda, so that it pickles)."""

    body: sympy.Expr
    u: sympy.Symbol

    def __call__(self, v: sympy.Expr) -> sympy.Expr:
        return self.body.xreplace({self.u: v})


def derivative_fn(name: str) -> str:
    """The name of the derivative of an elementwise function (registering a generic one where needed)."""
    f = ELEMENTWISE[name]
    if f.derivative.startswith("power:") or f.derivative == "zero" or f.derivative in ELEMENTWISE:
        return f.derivative
    # a third derivative nobody asked for by name: f' from SymPy, written with a prime
    u = sympy.Dummy("u", real=True)
    body = sympy.diff(f(u), u)
    derived = ElementwiseFn(
        f.derivative,
        f.text + "′",
        f.latex + "'",
        _Substitute(body, u),
        f.derivative + "_next",
    )
    ELEMENTWISE.setdefault(derived.name, derived)
    return derived.name


# -- nodes ----------------------------------------------------------------------------------------------


class Node:
    """A vector or matrix expression with a shape. Build nodes with the constructors, not the classes."""

    __slots__ = ()
    precedence: ClassVar[int] = 100

    @property
    def shape(self) -> tuple[Dim, Dim]:
        raise NotImplementedError

    @property
    def rows(self) -> Dim:
        return self.shape[0]

    @property
    def cols(self) -> Dim:
        return self.shape[1]

    @property
    def is_scalar(self) -> bool:
        return bool(self.shape == (ONE, ONE))

    @property
    def is_column(self) -> bool:
        return bool(self.shape[1] == ONE and self.shape[0] != ONE)

    @property
    def is_row(self) -> bool:
        return bool(self.shape[0] == ONE and self.shape[1] != ONE)

    @property
    def is_square(self) -> bool:
        return bool(self.shape[0] == self.shape[1])

    @property
    def children(self) -> tuple[Node, ...]:
        return ()

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        """The same operation on new children (through the checking constructors)."""
        return self

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    # -- Python operators, NumPy's meaning: @ is the matrix product, * elementwise (or by a scalar) --
    def __add__(self, other: Any) -> Node:
        return add(self, as_node(other))

    def __radd__(self, other: Any) -> Node:
        return add(as_node(other), self)

    def __sub__(self, other: Any) -> Node:
        return sub(self, as_node(other))

    def __rsub__(self, other: Any) -> Node:
        return sub(as_node(other), self)

    def __neg__(self) -> Node:
        return neg(self)

    def __matmul__(self, other: Any) -> Node:
        return mul(self, as_node(other))

    def __rmatmul__(self, other: Any) -> Node:
        return mul(as_node(other), self)

    def __mul__(self, other: Any) -> Node:
        other = as_node(other)
        if self.is_scalar or other.is_scalar:
            return mul(self, other)
        return hadamard(self, other)

    def __rmul__(self, other: Any) -> Node:
        return as_node(other).__mul__(self)

    def __truediv__(self, other: Any) -> Node:
        return divide(self, as_node(other))

    def __rtruediv__(self, other: Any) -> Node:
        return divide(as_node(other), self)

    def __pow__(self, k: Any) -> Node:
        return matrix_power(self, sympy.sympify(k) if isinstance(k, int | float) else k)

    @property
    def T(self) -> Node:  # noqa: N802 - NumPy's name
        """The transpose."""
        return transpose(self)

    def inv(self) -> Node:
        """The inverse (a square matrix)."""
        return inverse(self)

    def trace(self) -> Node:
        return trace(self)

    def det(self) -> Node:
        return det(self)

    def logdet(self) -> Node:
        return logdet(self)

    def norm(self, kind: str | int = 2) -> Node:
        """‖·‖ (2-norm of a vector, Frobenius of a matrix), ``kind=1`` the 1-norm, ``"F"`` Frobenius."""
        return norm(self, str(kind))

    def sum(self) -> Node:
        """The sum of the entries: ``1ᵀx``, or ``1ᵀX1``."""
        return sum_entries(self)

    def apply(self, fn: str) -> Node:
        """An elementwise function by name: ``"exp"``, ``"log"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ..."""
        return apply(fn, self)

    def __str__(self) -> str:
        from .printing import text

        return text(self)

    def _repr_latex_(self) -> str:
        from .printing import latex

        return f"${latex(self)}$"

    def to_latex(self) -> str:
        from .printing import latex

        return latex(self)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Var(Node):
    """A declared variable: a matrix ``n × m``, a vector ``m × 1``, or a scalar ``1 × 1``."""

    name: str
    nrows: Dim
    ncols: Dim

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.nrows, self.ncols)

    @property
    def kind(self) -> str:
        if self.is_scalar:
            return "scalar"
        if self.ncols == ONE:
            return "vector"
        return "matrix"

    def __repr__(self) -> str:
        return f"Var({self.name!r}, {shape_text(self.shape)})"


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Const(Node):
    """A scalar constant: a number, a size used as a number (``n`` in ``/n``), or an undeclared scalar (``λ``)."""

    value: sympy.Expr

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def __repr__(self) -> str:
        return f"Const({self.value})"


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Identity(Node):
    """The identity ``I`` (``k × k``)."""

    size: Dim

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.size, self.size)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Ones(Node):
    """All ones: the vector ``1`` (``k × 1``), ``1ᵀ`` (``1 × k``), or a matrix of ones."""

    nrows: Dim
    ncols: Dim

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.nrows, self.ncols)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Zero(Node):
    """All zeros."""

    nrows: Dim
    ncols: Dim

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.nrows, self.ncols)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Add(Node):
    """A sum of terms of one shape."""

    terms: tuple[Node, ...]
    precedence: ClassVar[int] = 10

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.terms[0].shape

    @property
    def children(self) -> tuple[Node, ...]:
        return self.terms

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return add(*children)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Mul(Node):
    """``coeff · (scalar factors) · (the matrix product of the chain)``.

    ``coeff`` is a constant (a number, a size, an undeclared scalar); ``scalars`` are ``1 × 1`` factors used as
    scalars; ``chain`` is a matrix product whose consecutive sizes fit.
    """

    coeff: sympy.Expr
    scalars: tuple[Node, ...]
    chain: tuple[Node, ...]
    precedence: ClassVar[int] = 20

    @property
    def shape(self) -> tuple[Dim, Dim]:
        if not self.chain:
            return (ONE, ONE)
        return (self.chain[0].rows, self.chain[-1].cols)

    @property
    def children(self) -> tuple[Node, ...]:
        return self.scalars + self.chain

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        k = len(self.scalars)
        return _mul_parts(self.coeff, children[:k], children[k:])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Transpose(Node):
    """``Aᵀ`` (kept on variables and inverses; constructors push it through products)."""

    arg: Node
    precedence: ClassVar[int] = 40

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.arg.cols, self.arg.rows)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return transpose(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Inverse(Node):
    """``A⁻¹`` of a square matrix."""

    arg: Node
    precedence: ClassVar[int] = 40

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.arg.shape

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return inverse(children[0])


class _Unary(Node):
    __slots__ = ()
    arg: Node

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Trace(_Unary):
    """``tr(A)`` of a square matrix: a scalar."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return trace(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Det(_Unary):
    """``det(A)`` of a square matrix: a scalar."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return det(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class LogDet(_Unary):
    """``log det(A)`` (defined where ``det A > 0``): a scalar."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return logdet(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Hadamard(Node):
    """``A ⊙ B ⊙ ...``: the entrywise product of factors of one shape."""

    factors: tuple[Node, ...]
    precedence: ClassVar[int] = 15

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.factors[0].shape

    @property
    def children(self) -> tuple[Node, ...]:
        return self.factors

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return hadamard(*children)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Elementwise(_Unary):
    """``f(A)`` applied entry by entry (``exp``, ``log``, ``σ``, ``softplus``, ``tanh``, ``relu``, ...)."""

    fn: str
    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.arg.shape

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return elementwise(self.fn, children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Power(_Unary):
    """``A^∘k``, the entrywise power (``s^k`` for a scalar; ``k = 2`` is ``square``, ``-1`` the reciprocal)."""

    arg: Node
    k: sympy.Expr
    precedence: ClassVar[int] = 40

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.arg.shape

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return power(children[0], self.k)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Norm(_Unary):
    """``‖u‖`` (``kind`` ``"2"``: the 2-norm of a vector; ``"F"``: Frobenius; ``"1"``: the sum of |entries|),
    squared when ``squared`` is True (``‖u‖²``)."""

    arg: Node
    kind: str
    squared: bool

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return norm(children[0], self.kind, squared=self.squared)


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Softmax(_Unary):
    """``softmax(z) = exp(z)/(1ᵀexp(z))`` of a column vector."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.arg.shape

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return softmax(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class LogSumExp(_Unary):
    """``logsumexp(z) = log(1ᵀexp(z))`` of a column vector: a scalar."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (ONE, ONE)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return logsumexp(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Diag(_Unary):
    """``diag(v)``: the square matrix with the column vector ``v`` on its diagonal."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return (self.arg.rows, self.arg.rows)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return diag(children[0])


@dataclass(frozen=True, repr=False)  # equality and hashing by structure: equal subexpressions are found
class Differential(_Unary):
    """``dX``: the differential of a node, in the working of the differential method (never evaluated)."""

    arg: Node

    @property
    def shape(self) -> tuple[Dim, Dim]:
        return self.arg.shape

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Differential(children[0])


for _cls in (
    Var,
    Const,
    Identity,
    Ones,
    Zero,
    Add,
    Mul,
    Transpose,
    Inverse,
    Trace,
    Det,
    LogDet,
    Hadamard,
    Elementwise,
    Power,
    Norm,
    Softmax,
    LogSumExp,
    Diag,
    Differential,
):
    if _cls is not Var and _cls is not Const:
        _cls.__repr__ = lambda self: f"<{type(self).__name__} {self}>"  # type: ignore[method-assign]
del _cls


# -- helpers --------------------------------------------------------------------------------------------


def as_node(value: Any) -> Node:
    """A node from a node, a number or a SymPy scalar."""
    if isinstance(value, Node):
        return value
    if isinstance(value, int | float | sympy.Expr):
        v = sympy.nsimplify(value) if isinstance(value, float) else sympy.sympify(value)
        return Const(v)
    raise SymcalcError(f"cannot use {value!r} in a matrix expression")


def contains(node: Node, target: Node) -> bool:
    """Whether ``target`` occurs in ``node``."""
    return any(n == target for n in node.walk())


def display_text(node: Node) -> str:
    """The node as plain text."""
    from .printing import text

    return text(node)


def _name(node: Node) -> str:
    s = display_text(node)
    return s if len(s) <= 40 else s[:37] + "..."


def _describe(node: Node) -> str:
    return f"{_name(node)} ({shape_text(node.shape)})"


def substitute_sizes(node: Node, mapping: dict[sympy.Expr, sympy.Expr]) -> Node:
    """The node with the sizes in ``mapping`` replaced (settles the size of ``1ᵀ`` and ``I``)."""
    if not mapping:
        return node
    if isinstance(node, Identity):
        return Identity(node.size.xreplace(mapping))
    if isinstance(node, Ones | Zero):
        return type(node)(node.nrows.xreplace(mapping), node.ncols.xreplace(mapping))
    if not node.children:
        return node
    return node.rebuild(tuple(substitute_sizes(c, mapping) for c in node.children))


def wild_sizes(node: Node) -> set[sympy.Expr]:
    out: set[sympy.Expr] = set()
    for n in node.walk():
        if isinstance(n, Identity | Ones | Zero):
            out |= {d for d in n.shape if is_wild(d)}
    return out


def _unify(a: Node, b: Node, da: Dim, db: Dim, what: Callable[[], str]) -> tuple[Node, Node]:
    """Make the size ``da`` of ``a`` and ``db`` of ``b`` agree (settling an unknown size), or raise."""
    if da == db:
        return a, b
    if is_wild(da):
        return substitute_sizes(a, {da: db}), b
    if is_wild(db):
        return a, substitute_sizes(b, {db: da})
    raise ShapeError(what())


# -- constructors ---------------------------------------------------------------------------------------


def _split_coeff(node: Node) -> tuple[sympy.Expr, Node | None]:
    """``(c, core)`` with ``node == c · core``; ``core`` None for a constant."""
    if isinstance(node, Const):
        return node.value, None
    if isinstance(node, Mul) and node.coeff != 1:
        return node.coeff, _mul_parts(ONE, node.scalars, node.chain)
    return ONE, node


def add(*terms: Node) -> Node:
    """The sum; a scalar added to a matrix is added to every entry (``1 + exp(z)``)."""
    flat: list[Node] = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, Add) else (t,))
    big = [t for t in flat if not t.is_scalar]
    if big:
        ref = next((t for t in big if not wild_sizes(t)), big[0])
        unified: list[Node] = []
        for t in flat:
            if t.is_scalar:
                t = mul(t, Ones(*ref.shape))
            else:
                t, ref = _unify_shapes(t, ref, "add")
            unified.append(t)
        flat = [_unify_shapes(t, ref, "add")[0] for t in unified]
    # combine like terms, keeping the order in which they first appear
    order: list[Node | None] = []
    coeffs: dict[Node | None, sympy.Expr] = {}
    for t in flat:
        if isinstance(t, Zero):
            continue
        c, core = _split_coeff(t)
        if core not in coeffs:
            order.append(core)
            coeffs[core] = sympy.Integer(0)
        coeffs[core] += c
    out: list[Node] = []
    for core in order:
        c = sympy.expand(coeffs[core]) if coeffs[core].is_Add else coeffs[core]
        if c == 0:
            continue
        out.append(Const(c) if core is None else scale(c, core))
    if not out:
        shape = flat[0].shape if flat else (ONE, ONE)
        return Zero(*shape) if shape != (ONE, ONE) else Const(sympy.Integer(0))
    if len(out) == 1:
        return out[0]
    return Add(tuple(out))


def _unify_shapes(a: Node, b: Node, op: str) -> tuple[Node, Node]:
    def what() -> str:
        if op == "add":
            return f"cannot add {_describe(b)} and {_describe(a)}: the shapes differ"
        return f"cannot take the Hadamard product of {_describe(b)} and {_describe(a)}: the shapes differ"

    a, b = _unify(a, b, a.rows, b.rows, what)
    a, b = _unify(a, b, a.cols, b.cols, what)
    return a, b


def neg(node: Node) -> Node:
    return scale(sympy.Integer(-1), node)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def scale(c: sympy.Expr | int, node: Node) -> Node:
    """``c · node`` for a constant ``c``."""
    return mul(Const(sympy.sympify(c)), node)


def _parts(node: Node, *, as_scalar: bool) -> tuple[sympy.Expr, tuple[Node, ...], tuple[Node, ...]]:
    """A factor as ``(coeff, scalar factors, chain)``."""
    if isinstance(node, Const):
        return node.value, (), ()
    if isinstance(node, Mul):
        if node.chain and node.is_scalar and as_scalar:
            # a 1 x 1 product (a'x) stays one unit, a scalar, next to a bigger factor
            return node.coeff, (*node.scalars, _mul_parts(ONE, (), node.chain)), ()
        return node.coeff, node.scalars, node.chain
    if node.is_scalar:
        return ONE, (node,), ()
    return ONE, (), (node,)


def mul(*factors: Node) -> Node:
    """The product, left to right: a matrix product where the sizes fit, scalar times matrix for ``1 × 1``."""
    if not factors:
        return Const(ONE)
    out = factors[0]
    for f in factors[1:]:
        out = _mul2(out, f)
    return out


def _mul2(a: Node, b: Node) -> Node:
    if isinstance(a, Const):
        cb, sb, chb = _parts(b, as_scalar=False)
        return _mul_parts(a.value * cb, sb, chb)
    if isinstance(b, Const):
        ca, sa, cha = _parts(a, as_scalar=False)
        return _mul_parts(ca * b.value, sa, cha)
    ca, sa, cha = _parts(a, as_scalar=True)
    cb, sb, chb = _parts(b, as_scalar=True)
    if cha and chb:
        left, right = cha[-1], chb[0]

        def what() -> str:
            return (
                f"cannot multiply {_describe(a)} by {_describe(b)}: the inner sizes "
                f"{_dim_text(left.cols)} and {_dim_text(right.rows)} differ"
            )

        left2, right2 = _unify(left, right, left.cols, right.rows, what)
        if left2 is not left or right2 is not right:
            new_a = _mul_parts(ca, sa, cha[:-1] + (left2,)) if left2 is not left else a
            new_b = _mul_parts(cb, sb, (right2,) + chb[1:]) if right2 is not right else b
            return _mul2(new_a, new_b)
    return _mul_parts(ca * cb, sa + sb, cha + chb)


def _mul_parts(coeff: sympy.Expr, scalars: tuple[Node, ...], chain: tuple[Node, ...]) -> Node:
    """A product from its parts, tidied: zeros absorb, identities and unit constants drop, diagonals merge."""
    if coeff == 0 or any(isinstance(f, Zero) for f in scalars + chain) or _is_zero_const(scalars):
        shape = (chain[0].rows, chain[-1].cols) if chain else (ONE, ONE)
        return Zero(*shape) if shape != (ONE, ONE) else Const(sympy.Integer(0))
    new_scalars: list[Node] = []
    for s in scalars:
        if isinstance(s, Const):
            coeff *= s.value
        elif isinstance(s, Mul) and not s.chain:
            coeff *= s.coeff
            new_scalars.extend(s.scalars)
        else:
            new_scalars.append(s)
    tidy: list[Node] = []
    for f in chain:
        if isinstance(f, Mul):
            coeff *= f.coeff
            new_scalars.extend(f.scalars)
            parts = f.chain
        else:
            parts = (f,)
        for p in parts:
            if tidy and isinstance(p, Diag) and isinstance(tidy[-1], Diag):
                tidy[-1] = diag(hadamard(tidy[-1].arg, p.arg))
            elif (
                tidy
                and isinstance(p, Ones)
                and isinstance(tidy[-1], Ones)
                and p.ncols == ONE
                and tidy[-1].nrows == ONE
            ):
                # 1ᵀ1 = k
                coeff *= p.nrows
                tidy.pop()
            else:
                tidy.append(p)
    if len(tidy) > 1:
        kept = [f for f in tidy if not isinstance(f, Identity)]
        tidy = kept if kept else tidy[:1]
    if (
        len(tidy) > 1
        and isinstance(tidy[-1], Ones)
        and tidy[-1].ncols == ONE
        and tidy[0].rows == ONE
        and not isinstance(tidy[0], Ones)
    ):
        tidy = [transpose(f) for f in reversed(tidy)]  # a scalar: zᵀ1 = 1ᵀz, as courses write a sum
    if not tidy and not new_scalars:
        return Const(coeff)
    if tidy and tidy[0].is_scalar and len(tidy) == 1:
        new_scalars.append(tidy.pop())
    # a canonical order: divisors (negative powers) after the other scalar factors, as a/b is written
    new_scalars.sort(key=lambda f: isinstance(f, Power) and bool(f.k.is_negative))
    if coeff == 1 and not new_scalars and len(tidy) == 1:
        return tidy[0]
    if coeff == 1 and len(new_scalars) == 1 and not tidy:
        return new_scalars[0]
    return Mul(coeff, tuple(new_scalars), tuple(tidy))


def _is_zero_const(scalars: tuple[Node, ...]) -> bool:
    return any(isinstance(s, Const) and s.value == 0 for s in scalars)


def divide(a: Node, b: Node) -> Node:
    """``a / b`` for a scalar ``b``."""
    if not b.is_scalar:
        raise ShapeError(
            f"cannot divide {_describe(a)} by {_describe(b)}: only division by a scalar is defined "
            "(use ^-1 for the inverse of a square matrix, ⊘ for entrywise division)"
        )
    if isinstance(b, Const):
        if b.value == 0:
            raise ShapeError("division by zero")
        return scale(1 / b.value, a)
    return mul(a, power(b, sympy.Integer(-1)))


def transpose(node: Node) -> Node:
    """``Aᵀ``, pushed through products (``(AB)ᵀ = BᵀAᵀ``) and onto variables; ``(Aᵀ)ᵀ = A``."""
    if node.is_scalar:
        return node
    if isinstance(node, Transpose):
        return node.arg
    if isinstance(node, Identity | Diag):
        return node
    if isinstance(node, Ones | Zero):
        return type(node)(node.ncols, node.nrows)
    if isinstance(node, Mul):
        return _mul_parts(node.coeff, node.scalars, tuple(transpose(f) for f in reversed(node.chain)))
    if isinstance(node, Hadamard):
        return hadamard(*(transpose(f) for f in node.factors))
    if isinstance(node, Elementwise):
        return elementwise(node.fn, transpose(node.arg))
    if isinstance(node, Power):
        return power(transpose(node.arg), node.k)
    if isinstance(node, Inverse) and is_symmetric(node.arg):
        return node
    if isinstance(node, Add) and is_symmetric(node):
        return node
    return Transpose(node)


def is_symmetric(node: Node) -> bool:
    """Whether the node is symmetric by its form (``XᵀX``, ``A + Aᵀ``, ``I``, ``diag(v)``, their inverses)."""
    if not node.is_square:
        return False
    if node.is_scalar or isinstance(node, Identity | Diag | Zero):
        return True
    if isinstance(node, Ones):
        return True
    if isinstance(node, Inverse):
        return is_symmetric(node.arg)
    if isinstance(node, Mul):
        chain = node.chain
        if all(is_symmetric(f) for f in chain) and len(chain) == 1:
            return True
        # palindromic up to transposes: A B Aᵀ with B symmetric
        k = len(chain)
        for i in range(k // 2):
            if transpose(chain[i]) != chain[k - 1 - i]:
                return False
        return k % 2 == 0 or is_symmetric(chain[k // 2])
    if isinstance(node, Add):
        terms = list(node.terms)
        if all(is_symmetric(t) for t in terms):
            return True
        transposed = [transpose_plain(t) for t in terms]
        return sorted(map(repr_key, transposed)) == sorted(map(repr_key, terms))
    if isinstance(node, Hadamard):
        return all(is_symmetric(f) for f in node.factors)
    if isinstance(node, Elementwise | Power):
        return is_symmetric(node.arg)
    return False


def transpose_plain(node: Node) -> Node:
    """Transpose without the symmetric shortcut (used to test symmetry)."""
    if isinstance(node, Add):
        return add(*(transpose_plain(t) for t in node.terms))
    if isinstance(node, Transpose):
        return node.arg
    if isinstance(node, Mul):
        return _mul_parts(node.coeff, node.scalars, tuple(transpose_plain(f) for f in reversed(node.chain)))
    if isinstance(node, Var):
        return Transpose(node) if not node.is_scalar else node
    return transpose(node)


def repr_key(node: Node) -> str:
    from .printing import text

    return text(node)


def _square(node: Node, what: str) -> None:
    if not node.is_square:
        raise ShapeError(f"{what} needs a square matrix; {_describe(node)} is not square")


def inverse(node: Node) -> Node:
    """``A⁻¹`` of a square matrix."""
    _square(node, "the inverse")
    if isinstance(node, Inverse):
        return node.arg
    if isinstance(node, Identity):
        return node
    if isinstance(node, Const):
        return Const(1 / node.value)
    if node.is_scalar:
        return power(node, sympy.Integer(-1))
    if isinstance(node, Transpose):
        return transpose(inverse(node.arg))
    return Inverse(node)


def trace(node: Node) -> Node:
    """``tr(A)`` of a square matrix."""
    _square(node, "the trace")
    if node.is_scalar:
        return node
    if isinstance(node, Identity):
        return Const(node.size)
    if isinstance(node, Zero):
        return Const(sympy.Integer(0))
    if isinstance(node, Mul) and (node.coeff != 1 or node.scalars):
        return _mul_parts(node.coeff, node.scalars, (trace(_mul_parts(ONE, (), node.chain)),))
    if isinstance(node, Transpose):
        return trace(node.arg)
    return Trace(node)


def det(node: Node) -> Node:
    """``det(A)`` of a square matrix."""
    _square(node, "the determinant")
    if node.is_scalar:
        return node
    if isinstance(node, Identity):
        return Const(ONE)
    if isinstance(node, Transpose):
        return det(node.arg)
    return Det(node)


def logdet(node: Node) -> Node:
    """``log det(A)`` of a square matrix (where ``det A > 0``)."""
    _square(node, "the log-determinant")
    if node.is_scalar:
        return elementwise("log", node)
    if isinstance(node, Identity):
        return Const(sympy.Integer(0))
    if isinstance(node, Transpose):
        return logdet(node.arg)
    return LogDet(node)


def hadamard(*factors: Node) -> Node:
    """``A ⊙ B ⊙ ...`` of one shape; ones drop, constants come out in front, repeats become powers."""
    flat: list[Node] = []
    pulled: sympy.Expr = ONE
    pulled_scalars: list[Node] = []
    for f in factors:
        if isinstance(f, Mul) and f.chain and not f.is_scalar and (f.coeff != 1 or f.scalars):
            # (s A) ⊙ B = s (A ⊙ B): scalars come out, so one product has one form
            pulled *= f.coeff
            pulled_scalars.extend(f.scalars)
            f = _mul_parts(ONE, (), f.chain)
        flat.extend(f.factors if isinstance(f, Hadamard) else (f,))
    if pulled != 1:
        flat.append(Const(pulled))
    flat.extend(pulled_scalars)
    big = [f for f in flat if not f.is_scalar]
    if not big:
        return mul(*flat)
    shape_node = big[0]
    coeff: sympy.Expr = ONE
    scalars: list[Node] = []
    kept: list[Node] = []
    for f in flat:
        if f.is_scalar:
            scalars.append(f)
            continue
        f, shape_node = _unify_shapes(f, shape_node, "hadamard")
        c, core = _split_coeff(f)
        coeff *= c
        assert core is not None
        kept.append(core)
    kept = [_unify_shapes(f, shape_node, "hadamard")[0] for f in kept]
    if any(isinstance(f, Zero) for f in kept):
        return Zero(*shape_node.shape)
    kept = [f for f in kept if not isinstance(f, Ones)]
    # repeated factors as powers: y ⊙ y = y^∘2
    powers: dict[Node, sympy.Expr] = {}
    order: list[Node] = []
    for f in kept:
        base, k = (f.arg, f.k) if isinstance(f, Power) else (f, ONE)
        if base not in powers:
            order.append(base)
            powers[base] = sympy.Integer(0)
        powers[base] += k
    merged = [power(b, powers[b]) for b in order if powers[b] != 0]
    merged = [f for f in merged if not isinstance(f, Ones)]
    if not merged:
        body: Node = Ones(*shape_node.shape)
    elif len(merged) == 1:
        body = merged[0]
    else:
        body = Hadamard(tuple(merged))
    if coeff == 1 and not scalars:
        return body
    return mul(Const(coeff), *scalars, body)


def hadamard_divide(a: Node, b: Node) -> Node:
    """``A ⊘ B``, entrywise division."""
    return hadamard(a, power(b, sympy.Integer(-1)))


def apply(fn: str, node: Node) -> Node:
    """An elementwise function by name, including ``square`` and ``sqrt`` (entrywise powers)."""
    if fn == "square":
        return power(node, sympy.Integer(2))
    if fn == "sqrt":
        return power(node, sympy.Rational(1, 2))
    if fn not in ELEMENTWISE:
        raise UnsupportedError(
            f"unknown elementwise function {fn!r}; the supported ones are exp, log, sigmoid, softplus, tanh, "
            "relu, abs, sign, square, sqrt"
        )
    return elementwise(fn, node)


def elementwise(fn: str, node: Node) -> Node:
    """``f(A)`` entry by entry."""
    if isinstance(node, Const):
        return Const(ELEMENTWISE[fn](node.value))
    if fn == "log" and isinstance(node, Elementwise) and node.fn == "exp":
        return node.arg
    if fn == "log" and isinstance(node, Det):
        return logdet(node.arg)
    return Elementwise(fn, node)


def power(node: Node, k: sympy.Expr | int) -> Node:
    """``A^∘k`` (entrywise; ``s^k`` for a scalar)."""
    k = sympy.sympify(k)
    if k == 1:
        return node
    if k == 0:
        return Ones(*node.shape) if not node.is_scalar else Const(ONE)
    if isinstance(node, Const):
        return Const(node.value**k)
    if isinstance(node, Ones):
        return node
    if isinstance(node, Power) and k.is_integer and node.k.is_integer:
        return power(node.arg, node.k * k)
    if isinstance(node, Mul) and node.coeff != 1 and (k.is_integer or node.coeff.is_positive):
        return mul(Const(node.coeff**k), power(_mul_parts(ONE, node.scalars, node.chain), k))
    if isinstance(node, Norm) and not node.squared and node.kind != "1" and k % 2 == 0:
        return power(Norm(node.arg, node.kind, True), k / 2)
    return Power(node, k)


def matrix_power(node: Node, k: sympy.Expr) -> Node:
    """``A^k``: a scalar power, the matrix power of a square matrix (``A^2 = AA``, ``A^-1`` the inverse)."""
    if node.is_scalar:
        return power(node, k)
    if k == -1:
        return inverse(node)
    if not node.is_square:
        raise ShapeError(
            f"{_describe(node)} ^ {k} is not defined: a power needs a square matrix; for the squared norm "
            f"write ‖...‖^2, for the entrywise square write square(...) or ...^∘2"
        )
    if k == -1:
        return inverse(node)
    if k.is_integer and k > 0:
        return mul(*([node] * int(k)))
    if k.is_integer and k < 0:
        return inverse(mul(*([node] * int(-k))))
    raise UnsupportedError(f"the matrix power {k} is not supported (only whole powers and -1)")


def norm(node: Node, kind: str = "2", *, squared: bool = False) -> Node:
    """``‖u‖``: the 2-norm of a vector, Frobenius of a matrix, ``kind="1"`` the 1-norm; ``‖u‖²`` if squared."""
    kind = {"2": "2", "F": "F", "fro": "F", "1": "1"}.get(str(kind))  # type: ignore[assignment]
    if kind is None:
        raise UnsupportedError("the supported norms are ‖·‖ (2-norm or Frobenius), ‖·‖_2, ‖·‖_F and ‖·‖_1")
    if node.is_scalar:
        return power(node, sympy.Integer(2)) if squared else elementwise("abs", node)
    is_vector = node.cols == ONE or node.rows == ONE
    if kind == "2" and not is_vector:
        kind = "F"  # ‖W‖ of a matrix, as ML writes it: Frobenius
    if kind == "1" and squared:
        return power(Norm(node, "1", False), sympy.Integer(2))
    if node.rows == ONE:
        node = transpose(node)
    return Norm(node, kind, squared)


def spectral_norm_error(node: Node) -> ShapeError:
    return ShapeError(
        f"‖{_name(node)}‖_2 of a matrix ({shape_text(node.shape)}) is the spectral norm, which is not supported "
        "(it is not differentiable where the top singular value repeats); ‖·‖_F is the Frobenius norm"
    )


def _vector_only(node: Node, what: str) -> Node:
    if node.rows == ONE and node.cols != ONE:
        return transpose(node)
    if node.cols != ONE or node.is_scalar:
        raise ShapeError(f"{what} takes a vector; {_describe(node)} is not a vector")
    return node


def softmax(node: Node) -> Node:
    """``softmax(z)`` of a column vector."""
    return Softmax(_vector_only(node, "softmax"))


def logsumexp(node: Node) -> Node:
    """``logsumexp(z) = log(1ᵀexp(z))`` of a column vector."""
    return LogSumExp(_vector_only(node, "logsumexp"))


def diag(node: Node) -> Node:
    """``diag(v)`` of a column vector."""
    v = _vector_only(node, "diag")
    if isinstance(v, Ones):
        return Identity(v.nrows)
    return Diag(v)


def sum_entries(node: Node) -> Node:
    """The sum of all entries: ``1ᵀx`` for a vector, ``1ᵀX1`` for a matrix."""
    if node.is_scalar:
        return node
    factors: list[Node] = []
    if node.rows != ONE:
        factors.append(Ones(ONE, node.rows))
    factors.append(node)
    if node.cols != ONE:
        factors.append(Ones(node.cols, ONE))
    return mul(*factors)


def variables_of(node: Node) -> list[Var]:
    """The variables in a node, in the order they first appear."""
    seen: dict[str, Var] = {}
    for n in node.walk():
        if isinstance(n, Var):
            seen.setdefault(n.name, n)
    return list(seen.values())


def constants_of(node: Node) -> set[sympy.Symbol]:
    """The symbols in constants that are not sizes: undeclared scalars such as ``λ``."""
    out: set[sympy.Symbol] = set()
    for n in node.walk():
        if isinstance(n, Const):
            out |= {s for s in n.value.free_symbols if not s.is_integer}
        elif isinstance(n, Mul):
            out |= {s for s in n.coeff.free_symbols if not s.is_integer}
    return out


def sizes_of(node: Node) -> set[sympy.Symbol]:
    """The size symbols a node uses (in shapes and as numbers)."""
    out: set[sympy.Symbol] = set()
    for n in node.walk():
        for d in n.shape:
            out |= {s for s in d.free_symbols if not is_wild(s)}
        if isinstance(n, Const):
            out |= {s for s in n.value.free_symbols if s.is_integer}
        if isinstance(n, Mul):
            out |= {s for s in n.coeff.free_symbols if s.is_integer}
        if isinstance(n, Power):
            out |= {s for s in n.k.free_symbols if s.is_integer}
    return out


def map_nodes(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """Rebuild ``node`` bottom-up, replacing each node for which ``fn`` returns a node."""
    children = node.children
    if children:
        new = tuple(map_nodes(c, fn) for c in children)
        if any(a is not b for a, b in zip(new, children, strict=True)):
            node = node.rebuild(new)
    out = fn(node)
    return node if out is None else out


def node_fields(node: Node) -> Iterable[tuple[str, Any]]:
    for f in fields(node):  # type: ignore[arg-type]
        yield f.name, getattr(node, f.name)
