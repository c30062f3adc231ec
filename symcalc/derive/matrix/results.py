r"""Gradients, Jacobians and Hessians in matrix form, each with its worked, checked trace; critical points in
matrix form where they are closed.

Example:
    >>> import symcalc as sc
    >>> g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    >>> print(g.gradient)
    2Xᵀ(Xw − y)/n
    >>> g.result
    (2/n)*X.T*(X*w - y)
    >>> g.verification.ok
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import sympy

from ...errors import SymcalcError, UnsupportedError
from . import nodes as N
from .differential import MatrixStep, backward, conditions_of, forward, recognize, tidy
from .nodes import ONE, Node, ShapeError, Var
from .printing import text
from .sympy_form import to_sympy
from .text import Shapes, parse_matrix
from .verify import Instance, MatrixVerification, instantiate, sample_sizes, verify_gradient, verify_jacobian

__all__ = [
    "MatrixCriticalPoints",
    "MatrixGradient",
    "MatrixHessian",
    "MatrixJacobian",
    "matrix_critical_points",
    "matrix_gradient",
    "matrix_hessian",
    "matrix_jacobian",
]

LAYOUT = "denominator"


def _read(expr: Any, shapes: Any) -> tuple[Node, Shapes]:
    declared = Shapes.of(shapes)
    node = parse_matrix(expr, declared)
    present = N.variables_of(node)
    if len(declared):
        declared.merge(Shapes.of(present))  # the same name declared with two shapes is an error
        order = list(declared.variables)
        present.sort(key=lambda v: order.index(v.name) if v.name in order else len(order))
    return node, Shapes.of(present)


def _declared(shapes: Any) -> Shapes:
    return Shapes.of(shapes) if not isinstance(shapes, Node) else Shapes.of(None)


def _resolve_wrt(node: Node, shapes: Shapes, wrt: Any) -> Var:
    present = N.variables_of(node)
    if wrt is None:
        if len(present) == 1:
            return present[0]
        names = ", ".join(v.name for v in present)
        raise SymcalcError(
            f"the expression has several variables ({names}); say which one (wrt=... in Python, --wrt on the command line)"
        )
    if isinstance(wrt, Var):
        name = wrt.name
    elif isinstance(wrt, str):
        from .text import canonical_name

        name = canonical_name(wrt)
    else:
        raise SymcalcError(f"wrt must be a variable name or a declared variable, not {wrt!r}")
    for v in present:
        if v.name == name:
            return v
    if name in shapes:
        raise SymcalcError(f"{name} does not appear in {text(node)}: its gradient is 0")
    raise SymcalcError(f'{name} is not declared: give its shape, e.g. shapes="{name}: m"')


def _scalar_required(node: Node, what: str) -> None:
    if not node.is_scalar:
        raise ShapeError(
            f"{what} needs a scalar function; {text(node)} is {N.shape_text(node.shape)} "
            "(use matrix_jacobian for a vector function)"
        )


@dataclass(frozen=True)
class MatrixGradient:
    """``∂L/∂W`` in matrix form, with its trace by the differential method.

    Attributes:
        expr: the scalar function ``L`` (a node; ``str(expr)`` is its text).
        wrt: the variable ``W``.
        gradient: ``∂L/∂W`` as a node, in its tidy form; it has the shape of ``W`` (denominator layout).
        steps: the root step (rule ``"solution"``): recognised forms, the differential method, the tidy-up.
        shapes: the declared shapes.
        verification: how the result and every step were checked (``.ok``).
        conditions: where the result holds, as ``(text, latex)`` pairs.
        layout: ``"denominator"``.
    """

    expr: Node
    wrt: Var
    gradient: Node
    steps: MatrixStep
    shapes: Shapes
    verification: MatrixVerification
    conditions: tuple[tuple[str, str], ...] = ()
    layout: str = LAYOUT

    @property
    def result(self) -> Any:
        """The gradient as a SymPy matrix expression (``(2/n)*X.T*(X*w - y)``)."""
        return to_sympy(self.gradient)

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.gradient.shape

    def instantiate(self, **sizes: int) -> sympy.Matrix:
        """The gradient as an explicit matrix of scalars at the given sizes (``n=3, m=2``)."""
        return instantiate(self.gradient, sizes)

    def hessian(self) -> MatrixHessian:
        """The Hessian ``∂²L/∂w∂wᵀ`` (a vector variable), the Jacobian of this gradient."""
        return matrix_hessian(self.expr, self.wrt, self.shapes)

    def critical_points(self) -> MatrixCriticalPoints:
        """``∇L = 0`` solved in matrix form where it is closed (the normal equations)."""
        return matrix_critical_points(self.expr, self.wrt, self.shapes)

    def compare_with_sympy(self) -> dict[str, Any]:
        """SymPy's own matrix derivative beside this one, evaluated at a random point of small sizes.

        Returns ``{"sympy": its answer or None, "agrees": True/False/None, "note": a sentence}``. Where SymPy
        disagrees, the entrywise check decides: this result was checked against the scalar derivative.
        """
        return compare_with_sympy(self.expr, self.wrt, self.gradient)

    def to_text(self) -> str:
        from ...render.matrix import matrix_gradient_to_text

        return matrix_gradient_to_text(self)

    def to_markdown(self) -> str:
        from ...render.matrix import matrix_gradient_to_markdown

        return matrix_gradient_to_markdown(self)

    def to_latex(self) -> str:
        from ...render.matrix import matrix_gradient_to_latex

        return matrix_gradient_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ...render.matrix import matrix_gradient_to_dict

        return matrix_gradient_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


def matrix_gradient(expr: Any, wrt: Any = None, shapes: Any = None, *, seed: int = 2024) -> MatrixGradient:
    r"""The gradient of a scalar function of vectors and matrices, in matrix form, with a checked trace.

    Args:
        expr: text or LaTeX (``"‖Xw - y‖^2/n"``, ``r"\frac{1}{n}\|Xw - y\|^2"``) or a node built from
            :func:`symcalc.vector`, :func:`symcalc.matrix`.
        wrt: the variable (a name or a declared variable); may be omitted when there is one.
        shapes: the declared shapes: ``"X: n x m, w: m, y: n"``, a dict, or declared variables.
        seed: the random points of the entrywise check.

    The layout is the denominator layout: the gradient has the shape of ``wrt``. Every step and the result are
    checked entry by entry at small sizes against the scalar derivative (see :mod:`.verify`).

    Example:
        >>> g = matrix_gradient("x^T A x", "x", shapes="A: n x n, x: n")
        >>> print(g.gradient), g.steps.substeps[0].rule
        (A + Aᵀ)x
        (None, 'quadratic_form')
    """
    L, declared = _read(expr, shapes)
    _scalar_required(L, "a gradient")
    W = _resolve_wrt(L, _declared(shapes).merge(declared), wrt)
    prepared, recognitions = recognize(L)
    raw, root = backward(prepared, W)
    final, tidy_steps = tidy(raw)
    if isinstance(raw, N.Add) and isinstance(root.result, N.Add):
        combine = MatrixStep(
            "combine",
            "rewrite",
            root.result,
            raw,
            explanation=f"{W.name} occurs more than once: its gradient is the sum of the contributions",
        )
        tidy_steps = [combine, *tidy_steps]
    if final.shape != W.shape:
        raise SymcalcError(
            f"internal: the gradient has shape {N.shape_text(final.shape)}, not that of {W.name}"
        )
    solution = MatrixStep(
        "solution",
        "solution",
        L,
        final,
        upstream=N.Const(ONE),
        substeps=(*recognitions, root, *tidy_steps),
        explanation=f"find G with dL = tr(Gᵀ d{W.name}); then ∂L/∂{W.name} = G, of shape {N.shape_text(W.shape)}",
    )
    verification = verify_gradient(L, W, final, solution, seed=seed)
    if not verification.ok and not verification.failed_steps:
        raise SymcalcError(
            f"the matrix-form gradient {text(final)} of {text(L)} did not match the entrywise derivative "
            f"({verification.message}); this is a bug in symcalc's rules: please report it"
        )
    return MatrixGradient(L, W, final, solution, declared, verification, tuple(conditions_of(prepared)))


@dataclass(frozen=True)
class MatrixJacobian:
    """``J = ∂f/∂xᵀ`` of a vector function ``f`` (``k × 1``) by a vector ``x`` (``m × 1``): ``k × m``.

    In the denominator layout ``∂f/∂x = Jᵀ`` (``m × k``); for a scalar ``f`` the gradient is ``Jᵀ``.
    """

    expr: Node
    wrt: Var
    jacobian: Node
    steps: MatrixStep
    shapes: Shapes
    verification: MatrixVerification
    conditions: tuple[tuple[str, str], ...] = ()

    @property
    def result(self) -> Any:
        return to_sympy(self.jacobian)

    def instantiate(self, **sizes: int) -> sympy.Matrix:
        return instantiate(self.jacobian, sizes)

    def to_text(self) -> str:
        from ...render.matrix import matrix_jacobian_to_text

        return matrix_jacobian_to_text(self)

    def to_markdown(self) -> str:
        from ...render.matrix import matrix_jacobian_to_markdown

        return matrix_jacobian_to_markdown(self)

    def to_latex(self) -> str:
        from ...render.matrix import matrix_jacobian_to_latex

        return matrix_jacobian_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ...render.matrix import matrix_jacobian_to_dict

        return matrix_jacobian_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


def _vector_wrt(W: Var, what: str) -> None:
    if W.kind != "vector":
        raise UnsupportedError(
            f"{what} by {W.name} ({N.shape_text(W.shape)}) is not supported: only by a vector "
            "(by a matrix it is a tensor of order 3 or 4)"
        )


def matrix_jacobian(expr: Any, wrt: Any = None, shapes: Any = None, *, seed: int = 2024) -> MatrixJacobian:
    """The Jacobian ``∂f/∂xᵀ`` of a vector function by a vector, in matrix form, with a checked trace.

    Example:
        >>> J = matrix_jacobian("σ(Wx)", "x", shapes="W: k x m, x: m")
        >>> print(J.jacobian)
        diag(σ′(Wx))W
    """
    F, declared = _read(expr, shapes)
    if F.is_row:
        F = N.transpose(F)
    if not (F.is_column or F.is_scalar):
        raise ShapeError(f"a Jacobian needs a vector function; {text(F)} is {N.shape_text(F.shape)}")
    x = _resolve_wrt(F, declared, wrt)
    _vector_wrt(x, "a Jacobian")
    J, root = forward(F, x)
    final, tidy_steps = tidy(J)
    solution = MatrixStep(
        "jacobian",
        "solution",
        F,
        final,
        substeps=(root, *tidy_steps),
        explanation=f"J = ∂f/∂{x.name}ᵀ has one row per entry of f and one column per entry of {x.name}: "
        f"{N.shape_text(final.shape)}",
    )
    verification = verify_jacobian(F, x, final, solution, seed=seed)
    if not verification.ok and not verification.failed_steps:
        raise SymcalcError(
            f"the Jacobian {text(final)} did not match the entrywise derivative; please report it"
        )
    return MatrixJacobian(F, x, final, solution, declared, verification, tuple(conditions_of(F)))


@dataclass(frozen=True)
class MatrixHessian:
    """``H = ∂²L/∂x∂xᵀ`` (``m × m``, symmetric): the Jacobian of the gradient, with both traces."""

    expr: Node
    wrt: Var
    gradient: MatrixGradient
    hessian: Node
    steps: MatrixStep
    shapes: Shapes
    verification: MatrixVerification
    conditions: tuple[tuple[str, str], ...] = ()

    @property
    def result(self) -> Any:
        return to_sympy(self.hessian)

    def instantiate(self, **sizes: int) -> sympy.Matrix:
        return instantiate(self.hessian, sizes)

    @property
    def constant(self) -> bool:
        """Whether H does not depend on the variable (a quadratic function)."""
        return not N.contains(self.hessian, self.wrt)

    def to_text(self) -> str:
        from ...render.matrix import matrix_hessian_to_text

        return matrix_hessian_to_text(self)

    def to_markdown(self) -> str:
        from ...render.matrix import matrix_hessian_to_markdown

        return matrix_hessian_to_markdown(self)

    def to_latex(self) -> str:
        from ...render.matrix import matrix_hessian_to_latex

        return matrix_hessian_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ...render.matrix import matrix_hessian_to_dict

        return matrix_hessian_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


def matrix_hessian(expr: Any, wrt: Any = None, shapes: Any = None, *, seed: int = 2024) -> MatrixHessian:
    """The Hessian of a scalar function by a vector, in matrix form: the Jacobian of the matrix-form gradient.

    Example:
        >>> print(matrix_hessian("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n").hessian)
        2XᵀX/n
    """
    g = matrix_gradient(expr, wrt, shapes, seed=seed)
    _vector_wrt(g.wrt, "a Hessian")
    J, root = forward(g.gradient, g.wrt)
    final, tidy_steps = tidy(J)
    solution = MatrixStep(
        "hessian",
        "solution",
        g.expr,
        final,
        substeps=(g.steps, root, *tidy_steps),
        explanation=f"H = ∂(∇L)/∂{g.wrt.name}ᵀ: differentiate the gradient {text(g.gradient)} once more",
    )
    verification = verify_jacobian(g.gradient, g.wrt, final, root, seed=seed, symmetric=True)
    if not verification.ok and not verification.failed_steps:
        raise SymcalcError(
            f"the Hessian {text(final)} did not match the entrywise derivative; please report it"
        )
    return MatrixHessian(g.expr, g.wrt, g, final, solution, g.shapes, verification, g.conditions)


# -- critical points in matrix form -------------------------------------------------------------------------


def _coeff(node: Node) -> sympy.Expr:
    if isinstance(node, N.Mul):
        return node.coeff
    if isinstance(node, N.Add):
        return sympy.gcd([_coeff(t) for t in node.terms])
    return ONE


def _divide(node: Node, c: sympy.Expr) -> Node:
    """``node / c``, term by term in a sum (``(2XᵀX + 2λI)/2 = XᵀX + λI``)."""
    if isinstance(node, N.Add):
        return N.add(*(N.scale(1 / c, t) for t in node.terms))
    return N.scale(1 / c, node)


def _semidefinite(H: Node) -> tuple[str, list[str]]:
    """``("definite" | "semidefinite" | "unknown", assumptions)``: what the form of a constant Hessian shows."""
    assume: list[str] = []

    def coeff_ok(c: sympy.Expr) -> bool:
        if c.is_positive:
            return True
        if c.is_negative or c.is_zero:
            return False
        free = sorted(c.free_symbols, key=str)
        if c.is_Mul and all(f.is_positive or f.is_Symbol for f in c.args):
            assume.extend(f"{text(N.Const(f))} > 0" for f in free if not f.is_positive)
            return True
        return False

    def term(t: Node) -> str:
        c, core = N._split_coeff(t)
        if core is None or not coeff_ok(c):
            return "unknown"
        if isinstance(core, N.Identity):
            return "definite"
        if (
            isinstance(core, N.Mul)
            and not core.scalars
            and len(core.chain) == 2
            and core.chain[0] == N.transpose(core.chain[1])
        ):
            return "semidefinite"
        if (
            isinstance(core, N.Mul)
            and not core.scalars
            and len(core.chain) == 3
            and core.chain[0] == N.transpose(core.chain[2])
            and isinstance(core.chain[1], N.Identity)
        ):
            return "semidefinite"
        return "unknown"

    terms = H.terms if isinstance(H, N.Add) else (H,)
    kinds = [term(t) for t in terms]
    if "unknown" in kinds:
        return "unknown", []
    return ("definite" if "definite" in kinds else "semidefinite"), sorted(set(assume))


def _least_squares(H: Node, rhs: Node) -> tuple[Node, Node] | None:
    """``(A, b)`` when ``H = AᵀA`` and ``rhs = Aᵀb``: the normal equations of ``min ‖Aw − b‖²``."""
    if (
        isinstance(H, N.Mul)
        and H.coeff == 1
        and not H.scalars
        and len(H.chain) == 2
        and H.chain[0] == N.transpose(H.chain[1])
        and isinstance(rhs, N.Mul)
        and rhs.coeff == 1
        and not rhs.scalars
        and len(rhs.chain) == 2
        and rhs.chain[0] == H.chain[0]
    ):
        return H.chain[1], rhs.chain[1]
    return None


@dataclass(frozen=True)
class MatrixCriticalPoints:
    """``∇L = 0`` in matrix form.

    Attributes:
        closed: whether the equations were solved in closed form (the gradient is affine in the variable).
        lhs, rhs: the linear equations ``lhs · w = rhs`` (``XᵀX w = Xᵀy``), after a common factor is cancelled.
        solution: ``lhs⁻¹ rhs`` (``(XᵀX)⁻¹Xᵀy``), valid under ``condition``.
        condition: when the solution is the unique critical point (``XᵀX`` invertible).
        kind: what the Hessian says (a global minimum for a positive semidefinite Hessian).
        least_squares: ``(A, b)`` when the equations are the normal equations of ``‖Aw − b‖²`` (solve them with
            ``lstsq(A, b)``, which never forms ``AᵀA``).
        reason: why there is no closed form, when ``closed`` is False.
    """

    expr: Node
    wrt: Var
    gradient: MatrixGradient
    closed: bool
    hessian: Node | None = None
    lhs: Node | None = None
    rhs: Node | None = None
    solution: Node | None = None
    condition: str = ""
    kind: str = ""
    least_squares: tuple[Node, Node] | None = None
    reason: str = ""
    checked: bool = False

    def to_text(self) -> str:
        from ...render.matrix import matrix_critical_to_text

        return matrix_critical_to_text(self)

    def to_markdown(self) -> str:
        from ...render.matrix import matrix_critical_to_markdown

        return matrix_critical_to_markdown(self)

    def to_latex(self) -> str:
        from ...render.matrix import matrix_critical_to_latex

        return matrix_critical_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ...render.matrix import matrix_critical_to_dict

        return matrix_critical_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


def matrix_critical_points(
    expr: Any, wrt: Any = None, shapes: Any = None, *, seed: int = 2024
) -> MatrixCriticalPoints:
    """Critical points in matrix form where they are closed: ``∇L = Hw + c`` affine in ``w`` gives ``Hw = −c``.

    Example:
        >>> cp = matrix_critical_points("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
        >>> print(cp.lhs, "w =", cp.rhs)
        XᵀX w = Xᵀy
        >>> print(cp.solution, "|", cp.condition)
        (XᵀX)⁻¹Xᵀy | XᵀX is invertible (X has full column rank m, which needs n ≥ m)
    """
    g = matrix_gradient(expr, wrt, shapes, seed=seed)
    w = g.wrt
    if w.kind != "vector":
        return MatrixCriticalPoints(
            g.expr, w, g, False, reason=f"a closed form is given for a vector variable; {w.name} is {w.kind}"
        )
    try:
        H, _ = forward(g.gradient, w)
    except UnsupportedError as err:
        return MatrixCriticalPoints(g.expr, w, g, False, reason=str(err))
    H, _ = tidy(H)
    if N.contains(H, w):
        return MatrixCriticalPoints(
            g.expr,
            w,
            g,
            False,
            hessian=H,
            reason=f"the gradient is not affine in {w.name} (the Hessian {text(H)} depends on it): the equation "
            f"∇L = 0 has no closed form; minimize numerically (sc.minimize)",
        )
    c = N.map_nodes(g.gradient, lambda n: N.Zero(*w.shape) if n == w else None)
    rhs = N.neg(c)
    common = sympy.gcd(_coeff(H), _coeff(rhs))
    if common != 1:
        lhs_n, rhs_n = _divide(H, common), _divide(rhs, common)
    else:
        lhs_n, rhs_n = H, rhs
    solution = N.mul(N.inverse(lhs_n), rhs_n)
    ls = _least_squares(lhs_n, rhs_n)
    if ls is not None:
        A = ls[0]
        condition = (
            f"{text(lhs_n)} is invertible ({text(A)} has full column rank {N._dim_text(A.cols)}, which needs "
            f"{N._dim_text(A.rows)} ≥ {N._dim_text(A.cols)})"
        )
        kind = (
            f"a global minimum: the Hessian {text(H)} is positive semidefinite (convex), and positive definite when "
            f"{text(lhs_n)} is invertible; otherwise every solution of the equations is a minimum (lstsq gives the "
            "one of least norm)"
        )
    else:
        condition = f"{text(lhs_n)} is invertible"
        psd, assume = _semidefinite(H)
        if psd == "definite":
            when = f" (for {', '.join(assume)})" if assume else ""
            kind = (
                f"the unique global minimum{when}: the constant Hessian {text(H)} is positive definite "
                "(a sum of positive semidefinite terms, one of them a positive multiple of I), so it is also invertible"
            )
            condition = f"{condition}, which holds" + (f" for {', '.join(assume)}" if assume else "")
        elif psd == "semidefinite":
            when = f" (for {', '.join(assume)})" if assume else ""
            kind = f"a global minimum{when}: the constant Hessian {text(H)} is positive semidefinite (convex)"
        else:
            kind = f"decided by the eigenvalues of the constant Hessian {text(H)}: a minimum where it is positive definite"
    checked = _check_solution(g, solution, seed)
    return MatrixCriticalPoints(
        g.expr, w, g, True, H, lhs_n, rhs_n, solution, condition, kind, ls, "", checked
    )


def _check_solution(g: MatrixGradient, solution: Node, seed: int) -> bool:
    """The closed form makes the gradient 0, checked exactly at random values of small sizes."""
    grad_at = N.map_nodes(g.gradient, lambda n: solution if n == g.wrt else None)
    syms = N.sizes_of(g.expr)
    rng = random.Random(seed)
    for which in (0, 2):
        sizes = sample_sizes(syms, which)
        values = {}
        for v in N.variables_of(g.expr):
            r, c = int(v.nrows.xreplace(sizes)), int(v.ncols.xreplace(sizes))
            values[v.name] = sympy.Matrix(r, c, lambda i, j: sympy.Rational(rng.randint(-9, 9), 7))
        consts = {s: sympy.Rational(rng.randint(3, 12), 7) for s in N.constants_of(g.expr)}
        try:
            out = Instance(sizes, values, consts)(grad_at)
        except (ZeroDivisionError, ValueError, sympy.matrices.exceptions.NonInvertibleMatrixError):
            continue
        if any(sympy.simplify(e) != 0 for e in out):
            return False
        return True
    return False


def compare_with_sympy(L: Node, W: Var, ours: Node) -> dict[str, Any]:
    """SymPy's matrix derivative of ``L`` by ``W`` against ours, at a random point of small sizes."""
    try:
        theirs = sympy.diff(to_sympy(L), to_sympy(W))
    except Exception as err:  # noqa: BLE001 - SymPy fails in many ways on matrix expressions
        return {
            "sympy": None,
            "agrees": None,
            "note": f"SymPy could not differentiate it ({type(err).__name__})",
        }
    syms = N.sizes_of(L)
    sizes = sample_sizes(syms, 0)
    rng = random.Random(7)
    values: dict[str, sympy.Matrix] = {}
    replace: dict[Any, Any] = {}
    for v in N.variables_of(L):
        r, c = int(v.nrows.xreplace(sizes)), int(v.ncols.xreplace(sizes))
        m = sympy.Matrix(
            r,
            c,
            lambda i, j, square=(r == c): (
                (2 if (i == j and square) else 0) + sympy.Rational(rng.randint(-4, 4), 9)
            ),
        )
        values[v.name] = m
        if v.is_scalar:
            replace[sympy.Symbol(v.name, real=True)] = m[0, 0]
        else:
            replace[sympy.MatrixSymbol(v.name, v.nrows.xreplace(sizes), v.ncols.xreplace(sizes))] = (
                sympy.ImmutableMatrix(m)
            )
    mine = Instance(sizes, values, {})(ours)
    try:
        t = sympy.sympify(theirs).xreplace(sizes)
        t = t.xreplace(replace)
        t = t.doit()
        explicit = sympy.Matrix(t.as_explicit()) if hasattr(t, "as_explicit") else sympy.Matrix([[t]])
        explicit = explicit.applyfunc(lambda e: sympy.simplify(e))
    except Exception as err:  # noqa: BLE001
        return {
            "sympy": theirs,
            "agrees": None,
            "note": f"SymPy's answer could not be evaluated ({type(err).__name__})",
        }
    if explicit.shape != mine.shape and explicit.T.shape == mine.shape:
        explicit = explicit.T
    agrees = explicit.shape == mine.shape and all(
        sympy.simplify(a - b) == 0 for a, b in zip(explicit, mine, strict=True)
    )
    note = (
        "SymPy's matrix derivative agrees with the entrywise-checked result"
        if agrees
        else f"SymPy's matrix derivative ({sympy.sstr(theirs)}) disagrees with the entrywise derivative; the "
        "expansion wins: symcalc's result was checked entry by entry against the scalar derivative"
    )
    return {"sympy": theirs, "agrees": agrees, "note": note}
