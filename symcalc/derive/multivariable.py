r"""Functions of several variables: gradients, Jacobians, Hessians, directional derivatives, tangent planes and
the quadratic Taylor model, each with its trace.

The bulk work (``.result``) is done by SymEngine where the expression uses only elementary functions, and by
SymPy otherwise; each entry is differentiated only by the variables it contains (Rosenbrock's Hessian is
tridiagonal). Explanations are built on demand: ``.components`` (a :class:`~symcalc.derive.steps.Derivation` per
partial derivative) costs nothing until it is read.

Example:
    >>> import symcalc as sc
    >>> g = sc.gradient("x^2*y + y^3", ["x", "y"])
    >>> g.result.T
    Matrix([[2*x*y, x**2 + 3*y**2]])
    >>> sc.hessian("x^2*y + y^3", ["x", "y"]).result
    Matrix([
    [2*y, 2*x],
    [2*x, 6*y]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from ..errors import SymcalcError
from ..parse import Source, parse
from ..variables import Variables, resolve_variables
from .derivative import derivative
from .steps import Derivation

__all__ = [
    "Gradient",
    "Hessian",
    "Jacobian",
    "LocalModel",
    "bulk_diff",
    "directional_derivative",
    "gradient",
    "hessian",
    "jacobian",
    "resolve_variables",
    "taylor",
    "tangent_plane",
]


#: Functions SymEngine differentiates exactly as SymPy does; anything else goes through SymPy.
_SYMENGINE_SAFE = (
    sympy.exp,
    sympy.log,
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.cot,
    sympy.sec,
    sympy.csc,
    sympy.asin,
    sympy.acos,
    sympy.atan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.asinh,
    sympy.acosh,
    sympy.atanh,
)


# -- variables ------------------------------------------------------------------------------------------


# -- bulk differentiation -------------------------------------------------------------------------------


def _symengine_ok(e: sympy.Expr) -> bool:
    if e.has(sympy.Piecewise, sympy.Sum, sympy.Indexed, sympy.Derivative, sympy.Max, sympy.Min):
        return False
    if not all(isinstance(f, _SYMENGINE_SAFE) for f in e.atoms(sympy.Function)):
        return False
    # symbols come back from SymEngine as plain or real symbols only
    return all(s in (sympy.Symbol(s.name), sympy.Symbol(s.name, real=True)) for s in e.free_symbols)


def _engine() -> tuple[Any, type]:
    import symengine as se

    class RealSymbol(se.Symbol):  # type: ignore[misc]
        """A SymEngine symbol that comes back to SymPy as symcalc's real symbol (no substitution needed)."""

        def _sympy_(self) -> sympy.Symbol:
            return sympy.Symbol(str(self), real=True)

    return se, RealSymbol


_ENGINE: tuple[Any, type] | None = None


def _to_engine(e: sympy.Expr) -> Any:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _engine()
    se, real_symbol = _ENGINE
    plain = se.sympify(e)
    reals = {se.Symbol(s.name): real_symbol(s.name) for s in e.free_symbols if s.is_real}
    return plain.subs(reals) if reals else plain


def _engine_var(v: sympy.Symbol) -> Any:
    assert _ENGINE is not None
    se, real_symbol = _ENGINE
    return real_symbol(v.name) if v.is_real else se.Symbol(v.name)


def bulk_diff(
    exprs: Sequence[sympy.Expr], variables: Sequence[sympy.Symbol], *, second: bool = False
) -> list[list[sympy.Expr]] | tuple[list[list[sympy.Expr]], list[list[list[sympy.Expr]]]]:
    """``[[diff(e, v) for v in variables] for e in exprs]``, fast: SymEngine where it applies, and only by the
    variables each expression contains (the other entries are 0 without any work). With ``second=True`` also
    the second derivatives ``[e][i][j]``, differentiating each first derivative only by its own variables."""
    zero = sympy.S.Zero
    n = len(variables)
    index = {v: j for j, v in enumerate(variables)}
    by_name = {v.name: j for j, v in enumerate(variables)}
    first = [[zero] * n for _ in exprs]
    hess = [[[zero] * n for _ in range(n)] for _ in exprs] if second else []
    for k, e in enumerate(exprs):
        mine = sorted(index[v] for v in e.free_symbols if v in index)
        mine_set = set(mine)
        if _symengine_ok(e):
            E = _to_engine(e)
            for i in mine:
                d = E.diff(_engine_var(variables[i]))
                first[k][i] = sympy.sympify(d)  # a SymEngine object, never a string
                if second:
                    # only the variables this first derivative still contains: n² checks for a sparse one
                    # (Rosenbrock's) were most of the work
                    for j in sorted({by_name[str(s)] for s in d.free_symbols if str(s) in by_name}):
                        if j >= i and j in mine_set:
                            hess[k][i][j] = hess[k][j][i] = sympy.sympify(d.diff(_engine_var(variables[j])))
        else:
            for i in mine:
                d = sympy.diff(e, variables[i])
                first[k][i] = d
                if second:
                    for j in mine:
                        if j >= i and variables[j] in d.free_symbols:
                            hess[k][i][j] = hess[k][j][i] = sympy.diff(d, variables[j])
    return (first, hess) if second else first


# -- results --------------------------------------------------------------------------------------------


def _matrix_latex(m: sympy.Matrix) -> str:
    return str(sympy.latex(m, mat_str="bmatrix", mat_delim=""))


@dataclass(frozen=True, eq=False)
class Gradient:
    """The gradient of a scalar function: ``.result`` (a column ``sympy.Matrix``), ``.components`` (one
    :class:`Derivation` per partial derivative, built when first read), ``.variables`` (the order used)."""

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    result: sympy.Matrix
    detail: str = "standard"

    @cached_property
    def components(self) -> tuple[Derivation, ...]:
        """One worked partial derivative per variable, the others held constant."""
        return tuple(derivative(self.expr, v, detail=self.detail) for v in self.variables)

    def __iter__(self) -> Any:
        return iter(self.result)

    def __len__(self) -> int:
        return len(self.variables)

    def to_text(self) -> str:
        from ..render import gradient_to_text

        return gradient_to_text(self)

    def to_markdown(self) -> str:
        from ..render import gradient_to_markdown

        return gradient_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import gradient_to_latex

        return gradient_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import gradient_to_dict

        return gradient_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return rf"$$\nabla f = {_matrix_latex(self.result)}$$"

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True, eq=False)
class Jacobian:
    """The Jacobian of a vector function: ``.result`` (m x n ``sympy.Matrix``), ``.rows`` (a :class:`Gradient`
    per component function, built when first read)."""

    exprs: tuple[sympy.Expr, ...]
    variables: tuple[sympy.Symbol, ...]
    result: sympy.Matrix
    detail: str = "standard"

    @cached_property
    def rows(self) -> tuple[Gradient, ...]:
        return tuple(
            Gradient(e, self.variables, self.result[i, :].T, self.detail) for i, e in enumerate(self.exprs)
        )

    def to_text(self) -> str:
        from ..render import matrix_result_to_text

        return matrix_result_to_text("Jacobian", self)

    def to_markdown(self) -> str:
        from ..render import matrix_result_to_markdown

        return matrix_result_to_markdown("Jacobian", self)

    def to_latex(self) -> str:
        from ..render import matrix_result_to_latex

        return matrix_result_to_latex("Jacobian", self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import matrix_result_to_dict

        return matrix_result_to_dict("jacobian", self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$$J = {_matrix_latex(self.result)}$$"


@dataclass(frozen=True, eq=False)
class Hessian:
    """The Hessian: ``.result`` (symmetric n x n ``sympy.Matrix``), ``.gradient``, and ``.entries`` (the worked
    second partials, built when first read: each differentiates a gradient component, and an entry below the
    diagonal reuses the one above it where Schwarz's theorem applies)."""

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    result: sympy.Matrix
    gradient: Gradient
    detail: str = "standard"

    @cached_property
    def entries(self) -> dict[tuple[int, int], Derivation]:
        """The worked second partials for i <= j, each the derivative by x_j of the i-th gradient component."""
        out: dict[tuple[int, int], Derivation] = {}
        for i, gi in enumerate(self.gradient.result):
            for j in range(i, len(self.variables)):
                out[(i, j)] = derivative(gi, self.variables[j], detail=self.detail)
        return out

    @property
    def symmetric(self) -> bool:
        """Whether the mixed partials agree, as Schwarz's theorem says they do where they are continuous."""
        return bool((self.result - self.result.T).is_zero_matrix)

    def to_text(self) -> str:
        from ..render import hessian_to_text

        return hessian_to_text(self)

    def to_markdown(self) -> str:
        from ..render import hessian_to_markdown

        return hessian_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import hessian_to_latex

        return hessian_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import matrix_result_to_dict

        return matrix_result_to_dict("hessian", self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$$H = {_matrix_latex(self.result)}$$"

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True, eq=False)
class LocalModel:
    """A directional derivative, tangent plane or Taylor model, with its worked lines.

    Attributes:
        kind: ``"directional derivative"``, ``"tangent plane"`` or ``"taylor"``.
        result: the derivative's value or expression, or the model as an expression in the variables.
        lines: the worked solution, as ``(explanation, expression)`` pairs, in order.
    """

    kind: str
    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    result: sympy.Expr
    lines: tuple[tuple[str, Any], ...] = field(default_factory=tuple)
    point: dict[sympy.Symbol, sympy.Expr] | None = None

    def to_text(self) -> str:
        from ..render import model_to_text

        return model_to_text(self)

    def to_markdown(self) -> str:
        from ..render import model_to_markdown

        return model_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import model_to_latex

        return model_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import model_to_dict

        return model_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


# -- the functions --------------------------------------------------------------------------------------


def _scalar(expr: Source) -> sympy.Expr:
    e = parse(expr)
    if isinstance(e, sympy.MatrixBase) or not isinstance(e, sympy.Expr):
        raise SymcalcError("expected a scalar expression")
    return e


def gradient(expr: Source, variables: Variables = None, *, detail: str = "standard") -> Gradient:
    """The gradient (column vector of partial derivatives).

    Example:
        >>> gradient("x1^2 + x10*x2").variables
        (x1, x2, x10)
    """
    e = _scalar(expr)
    xs = resolve_variables([e], variables)
    row = bulk_diff([e], xs)[0]
    return Gradient(e, tuple(xs), sympy.Matrix(row), detail)


def jacobian(
    exprs: Sequence[Source] | Source, variables: Variables = None, *, detail: str = "standard"
) -> Jacobian:
    """The Jacobian of a vector function, one row per component.

    Example:
        >>> jacobian(["x*y", "x + y"], ["x", "y"]).result
        Matrix([
        [y, x],
        [1, 1]])
    """
    items = [exprs] if isinstance(exprs, str | int | float | sympy.Basic) else list(exprs)
    es = tuple(_scalar(e) for e in items)
    xs = resolve_variables(es, variables)
    return Jacobian(es, tuple(xs), sympy.Matrix(bulk_diff(es, xs)), detail)


def hessian(expr: Source, variables: Variables = None, *, detail: str = "standard") -> Hessian:
    """The Hessian, from the gradient's components, each differentiated only by the variables it contains.

    Example:
        >>> hessian("x^3 - 3*x*y + y^3").result
        Matrix([
        [6*x,  -3],
        [ -3, 6*y]])
    """
    e = _scalar(expr)
    xs = resolve_variables([e], variables)
    first, second = bulk_diff([e], xs, second=True)
    g = Gradient(e, tuple(xs), sympy.Matrix(first[0]), detail)
    return Hessian(e, tuple(xs), sympy.Matrix(second[0]), g, detail)


def _point(
    point: Mapping[str | sympy.Symbol, Any] | Sequence[Any], xs: Sequence[sympy.Symbol]
) -> dict[sympy.Symbol, sympy.Expr]:
    if isinstance(point, Mapping):
        by_name = {str(k): v for k, v in point.items()}
        missing = [x.name for x in xs if x.name not in by_name]
        if missing:
            raise SymcalcError(f"the point gives no value for {', '.join(missing)}")
        return {x: _number(by_name[x.name]) for x in xs}
    values = list(point)
    if len(values) != len(xs):
        raise SymcalcError(f"the point has {len(values)} coordinates; the function has {len(xs)} variables")
    return {x: _number(v) for x, v in zip(xs, values, strict=True)}


def _number(v: Any) -> sympy.Expr:
    if isinstance(v, str):
        return parse(v)
    if isinstance(v, float):
        return sympy.nsimplify(v, rational=True) if abs(v) < 1e12 else sympy.Float(v)
    return sympy.sympify(v)  # a number or SymPy object, never a string


def directional_derivative(
    expr: Source,
    point: Mapping[str | sympy.Symbol, Any] | Sequence[Any] | None,
    direction: Sequence[Any],
    variables: Variables = None,
) -> LocalModel:
    """The rate of change of f in a direction (normalised first; the trace says so): grad f . u.

    ``point=None`` gives the directional derivative as an expression.

    Example:
        >>> directional_derivative("x^2 + y^2", [1, 2], [3, 4]).result
        22/5
    """
    g = gradient(expr, variables)
    xs = list(g.variables)
    v = sympy.Matrix([_number(c) for c in direction])
    if len(v) != len(xs):
        raise SymcalcError(f"the direction has {len(v)} components; the function has {len(xs)} variables")
    norm = sympy.sqrt(sum(c**2 for c in v))
    if norm == 0:
        raise SymcalcError("the direction is the zero vector")
    u = v / norm
    lines: list[tuple[str, Any]] = [("the gradient", g.result)]
    if norm != 1:
        lines.append((f"normalise the direction: |v| = {sympy.sstr(norm)}, u = v/|v|", u))
    at = g.result
    pt = None
    if point is not None:
        pt = _point(point, xs)
        at = g.result.subs(pt)
        lines.append(("the gradient at the point", at))
    value = sympy.simplify((at.T * u)[0])
    lines.append(("D_u f = grad f . u", value))
    return LocalModel("directional derivative", g.expr, tuple(xs), value, tuple(lines), pt)


def tangent_plane(
    expr: Source, point: Mapping[str | sympy.Symbol, Any] | Sequence[Any], variables: Variables = None
) -> LocalModel:
    """The tangent plane (tangent line for one variable) z = f(p) + grad f(p) . (x - p).

    Example:
        >>> tangent_plane("x^2 + y^2", [1, 2]).result
        2*x + 4*y - 5
    """
    return _taylor(expr, point, 1, variables, kind="tangent plane")


def taylor(
    expr: Source,
    point: Mapping[str | sympy.Symbol, Any] | Sequence[Any],
    order: int = 2,
    variables: Variables = None,
) -> LocalModel:
    """The Taylor model of order 1 or 2 at a point: f(p) + g.(x-p) + (x-p)^T H (x-p)/2, the quadratic model
    that Newton's method minimises.

    Example:
        >>> taylor("e^x*y", [0, 1]).result
        x**2/2 + x*y + y
    """
    if order not in (1, 2):
        raise SymcalcError("taylor supports order 1 (the tangent plane) and order 2 (the quadratic model)")
    return _taylor(expr, point, order, variables, kind="taylor")


def _taylor(expr: Source, point: Any, order: int, variables: Variables, kind: str) -> LocalModel:
    h = hessian(expr, variables) if order == 2 else None
    g = h.gradient if h is not None else gradient(expr, variables)
    xs = list(g.variables)
    pt = _point(point, xs)
    f0 = sympy.simplify(g.expr.subs(pt))
    g0 = sympy.simplify(g.result.subs(pt))
    dx = sympy.Matrix([x - pt[x] for x in xs])
    lines: list[tuple[str, Any]] = [("f at the point", f0), ("the gradient at the point", g0)]
    model = f0 + (g0.T * dx)[0]
    if h is not None:
        h0 = sympy.simplify(h.result.subs(pt))
        lines.append(("the Hessian at the point", h0))
        model += (dx.T * h0 * dx)[0] / 2
    model = sympy.expand(model)
    formula = "f(p) + grad f(p) . (x - p)" + (" + (x - p)^T H(p) (x - p) / 2" if h is not None else "")
    lines.append((formula, model))
    return LocalModel(
        kind if kind != "taylor" else f"taylor order {order}", g.expr, tuple(xs), model, tuple(lines), pt
    )
