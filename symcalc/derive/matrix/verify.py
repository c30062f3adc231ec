r"""Every matrix-form result and every step, checked entry by entry against the scalar derivative.

The sizes are instantiated small (``n = 3, m = 2``, then ``n = 2, m = 3``: different numbers for different size
symbols, so a swapped size shows), each expression is expanded into explicit SymPy matrices of scalars, and the
scalar derivative of the expanded function is compared with the matrix-form result, entry by entry:

* symbolically where the function is a polynomial in the entries: every variable a matrix of symbols, the
  partial derivatives taken with ``sympy.diff``, ``expand`` of each difference is 0;
* otherwise exactly (rationals) or to 30 digits at two random points in the domain (invertible square matrices
  with ``det > 0``, positive entries under a log, no entry at a kink): for each entry ``W_ij``, the function
  with ``W_ij`` moved by a symbol ``t`` and everything else a number, differentiated by ``t`` at 0 (SymEngine,
  or SymPy where SymEngine cannot), which is the partial derivative there, from an expression in one symbol.

Then a random numeric check at a third, larger size: a central difference of ``L`` along random directions
against ``⟨∂L/∂W, V⟩``, in 30-digit arithmetic. A step is checked the same way: a gradient step claims
``∂⟨G, Y⟩/∂W`` with ``G`` held fixed, a Jacobian step ``∂Y/∂xᵀ``, a rewrite that its two sides are equal.

Example:
    >>> import symcalc as sc
    >>> g = sc.matrix_gradient("log det(X)", "X", shapes="X: n x n")
    >>> g.verification.ok, g.verification.sizes[0]
    (True, {'n': 3})
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import symengine as se
import sympy

from ...errors import LimitError, UnsupportedError
from ...functions import lower
from . import nodes as N
from .differential import MatrixStep
from .nodes import ONE, Node, Var

__all__ = ["MatrixVerification", "instantiate", "sample_sizes", "verify_gradient", "verify_jacobian"]

#: The sizes tried, in order: the first two for the entrywise checks, the third for the numeric check.
SIZE_SETS = ((3, 2, 4, 2, 3, 2, 3, 2), (2, 3, 2, 4, 2, 3, 2, 3), (5, 4, 3, 6, 2, 5, 4, 3))
DIGITS = 30
#: The largest size, given as a number in a declaration, that the entrywise checks expand.
MAX_CHECK_SIZE = 8
RTOL = sympy.Float("1e-20", DIGITS)


@dataclass(frozen=True)
class MatrixVerification:
    """How a result was checked.

    Attributes:
        ok: every comparison agreed.
        sizes: the sizes used for the entrywise checks (``[{"n": 3, "m": 2}, {"n": 2, "m": 3}]``).
        method: ``"symbolic"`` (expanded polynomials compared) or ``"exact at random points"``.
        entries: how many entries were compared, over all sizes and points.
        steps_checked: how many steps of the trace were checked; ``failed_steps`` lists any that failed.
        numeric: the random numeric check: ``size``, ``directions``, ``max_rel_error``, ``h``.
        message: one sentence.
    """

    ok: bool
    sizes: tuple[dict[str, int], ...]
    method: str
    entries: int
    steps_checked: int
    failed_steps: tuple[MatrixStep, ...] = ()
    numeric: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def __str__(self) -> str:
        return self.message


# -- explicit matrices ----------------------------------------------------------------------------------


def _int(d: sympy.Expr, sizes: Mapping[sympy.Symbol, int]) -> int:
    return int(d.xreplace(dict(sizes)))


class Instance:
    """Nodes as explicit SymPy matrices, for given sizes and given values of the variables."""

    def __init__(
        self,
        sizes: Mapping[sympy.Symbol, int],
        values: Mapping[str, sympy.Matrix],
        constants: Mapping[sympy.Symbol, sympy.Expr],
    ) -> None:
        self.sizes = dict(sizes)
        self.values = values
        self.subs = {**self.sizes, **constants}
        self.cache: dict[Node, sympy.Matrix] = {}

    def __call__(self, node: Node) -> sympy.Matrix:
        hit = self.cache.get(node)
        if hit is None:
            hit = self._eval(node)
            self.cache[node] = hit
        return hit

    def scalar(self, e: sympy.Expr) -> sympy.Expr:
        return sympy.sympify(e).xreplace(self.subs)

    def _eval(self, node: Node) -> sympy.Matrix:
        if isinstance(node, Var):
            return self.values[node.name]
        if isinstance(node, N.Const):
            return sympy.Matrix([[self.scalar(node.value)]])
        r, c = (_int(d, self.sizes) for d in node.shape)
        if isinstance(node, N.Identity):
            return sympy.eye(r)
        if isinstance(node, N.Ones):
            return sympy.ones(r, c)
        if isinstance(node, N.Zero):
            return sympy.zeros(r, c)
        if isinstance(node, N.Add):
            return reduce(lambda a, b: a + b, (self(t) for t in node.terms))
        if isinstance(node, N.Mul):
            s = self.scalar(node.coeff)
            for f in node.scalars:
                s = s * self(f)[0, 0]
            if not node.chain:
                return sympy.Matrix([[s]])
            product = reduce(lambda a, b: a * b, (self(f) for f in node.chain))
            return product * s if s != 1 else product
        if isinstance(node, N.Transpose):
            return self(node.arg).T
        if isinstance(node, N.Inverse):
            A = self(node.arg)
            return A.adjugate() / A.det(method="berkowitz") if A.free_symbols else A.inv()
        if isinstance(node, N.Trace):
            return sympy.Matrix([[self(node.arg).trace()]])
        if isinstance(node, N.Det):
            return sympy.Matrix([[self(node.arg).det(method="berkowitz")]])
        if isinstance(node, N.LogDet):
            return sympy.Matrix([[sympy.log(self(node.arg).det(method="berkowitz"))]])
        if isinstance(node, N.Hadamard):
            return reduce(lambda a, b: a.multiply_elementwise(b), (self(f) for f in node.factors))
        if isinstance(node, N.Elementwise):
            fn = N.ELEMENTWISE[node.fn]
            return self(node.arg).applyfunc(fn)
        if isinstance(node, N.Power):
            k = self.scalar(node.k)
            return self(node.arg).applyfunc(lambda e: e**k)
        if isinstance(node, N.Norm):
            entries = list(self(node.arg))
            if node.kind == "1":
                return sympy.Matrix([[sympy.Add(*[sympy.Abs(e) for e in entries])]])
            sq = sympy.Add(*[e**2 for e in entries])
            return sympy.Matrix([[sq if node.squared else sympy.sqrt(sq)]])
        if isinstance(node, N.Softmax):
            e = self(node.arg).applyfunc(sympy.exp)
            total = sympy.Add(*list(e))
            return e / total
        if isinstance(node, N.LogSumExp):
            return sympy.Matrix([[sympy.log(sympy.Add(*[sympy.exp(v) for v in self(node.arg)]))]])
        if isinstance(node, N.Diag):
            return sympy.diag(*list(self(node.arg)))
        raise TypeError(f"cannot instantiate {type(node).__name__}")


def instantiate(
    node: Node, sizes: Mapping[str, int], values: Mapping[str, Any] | None = None
) -> sympy.Matrix:
    """The node as an explicit SymPy matrix at the given sizes; variables default to matrices of symbols.

    >>> from symcalc.derive.matrix import parse_matrix
    >>> instantiate(parse_matrix("X^T y", "X: n x m, y: n"), {"n": 2, "m": 1})
    Matrix([[X_0_0*y_0 + X_1_0*y_1]])
    """
    syms = {s.name: s for s in N.sizes_of(node)}
    size_map = {syms[k]: int(v) for k, v in sizes.items() if k in syms}
    missing = set(syms) - set(sizes)
    if missing:
        raise N.ShapeError(f"give a value for the size(s) {', '.join(sorted(missing))}")
    vals: dict[str, sympy.Matrix] = {}
    for v in N.variables_of(node):
        given = (values or {}).get(v.name)
        vals[v.name] = sympy.Matrix(given) if given is not None else symbol_matrix(v, size_map)
        if vals[v.name].shape != tuple(_int(d, size_map) for d in v.shape):
            raise N.ShapeError(f"the value of {v.name} has shape {vals[v.name].shape}")
    return Instance(size_map, vals, {})(node)


def symbol_matrix(v: Var, sizes: Mapping[sympy.Symbol, int]) -> sympy.Matrix:
    """The entries of a variable as real symbols: ``X_0_1``, ``w_0`` (a vector), ``b`` (a scalar)."""
    r, c = _int(v.nrows, sizes), _int(v.ncols, sizes)
    if (r, c) == (1, 1) and v.is_scalar:
        return sympy.Matrix([[sympy.Symbol(v.name, real=True)]])
    if c == 1 and v.ncols == ONE:
        return sympy.Matrix([[sympy.Symbol(f"{v.name}_{i}", real=True)] for i in range(r)])
    return sympy.Matrix(r, c, lambda i, j: sympy.Symbol(f"{v.name}_{i}_{j}", real=True))


# -- choosing sizes and values ----------------------------------------------------------------------------


def sample_sizes(symbols: Iterable[sympy.Symbol], which: int) -> dict[sympy.Symbol, int]:
    """Small distinct sizes for the size symbols (set 0 and 1: entrywise; set 2: the numeric check)."""
    ordered = sorted(symbols, key=lambda s: s.name, reverse=True)
    table = SIZE_SETS[which]
    return {s: table[i % len(table)] for i, s in enumerate(ordered)}


def _rational(rng: random.Random, positive: bool) -> sympy.Rational:
    v = sympy.Rational(rng.randint(2, 13), rng.choice((5, 7, 9)))
    return v if positive or rng.random() < 0.5 else -v


def _random_value(
    v: Var, sizes: Mapping[sympy.Symbol, int], rng: random.Random, positive: bool
) -> sympy.Matrix:
    r, c = _int(v.nrows, sizes), _int(v.ncols, sizes)
    if r == c and r > 1:
        # square: 2I + small entries, so invertible with a positive determinant (log det, inverses)
        return sympy.Matrix(
            r, c, lambda i, j: (2 if i == j else 0) + sympy.Rational(rng.randint(-4, 4), rng.choice((9, 11)))
        )
    return sympy.Matrix(r, c, lambda i, j: _rational(rng, positive))


def _float_value(
    v: Var, sizes: Mapping[sympy.Symbol, int], rng: random.Random, positive: bool
) -> sympy.Matrix:
    r, c = _int(v.nrows, sizes), _int(v.ncols, sizes)
    if r == c and r > 1:
        return sympy.Matrix(
            r, c, lambda i, j: sympy.Float((2.0 if i == j else 0.0) + rng.uniform(-0.4, 0.4), DIGITS)
        )
    lo = 0.2
    return sympy.Matrix(
        r,
        c,
        lambda i, j: sympy.Float(
            rng.uniform(lo, 1.3) * (1 if positive or rng.random() < 0.5 else -1), DIGITS
        ),
    )


def _number(e: sympy.Expr) -> complex | None:
    try:
        v = complex(sympy.N(lower(e), DIGITS))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf") or abs(v.imag) > 1e-12 * max(1.0, abs(v)):
        return None
    return v


def _kink_args(node: Node) -> list[Node]:
    out = []
    for n in node.walk():
        if isinstance(n, N.Elementwise) and N.ELEMENTWISE[n.fn].kink:
            out.append(n.arg)
        elif isinstance(n, N.Norm) and (n.kind == "1" or not n.squared):
            out.append(n.arg)
    return out


def _usable(inst: Instance, nodes: Iterable[Node], kinks: Iterable[Node]) -> bool:
    for n in nodes:
        for e in inst(n):
            if _number(e) is None:
                return False
    for k in kinks:
        for e in inst(k):
            v = _number(e)
            if v is None or abs(v) < 1e-3:
                return False
    return True


class _Setup:
    """The sizes, the constants and a point in the domain, for one size set."""

    def __init__(
        self, L: Node, wrt: Var, others: list[Node], which: int, seed: int, floats: bool = False
    ) -> None:
        self.wrt = wrt
        self.size_syms = N.sizes_of(L) | set().union(*(N.sizes_of(o) for o in others))
        self.sizes = sample_sizes(self.size_syms, which)
        self.rng = random.Random(seed + 101 * which)
        self.variables = {v.name: v for n in [L, *others] for v in N.variables_of(n)}
        self.constants = sorted(N.constants_of(L).union(*(N.constants_of(o) for o in others)), key=str)
        for v in self.variables.values():
            big = max(_int(v.nrows, self.sizes), _int(v.ncols, self.sizes))
            if big > MAX_CHECK_SIZE:
                raise LimitError(
                    f"{v.name} is declared with a size of {big}; the entrywise checks expand every variable into "
                    f"its entries, so a size given as a number can be at most {MAX_CHECK_SIZE}: give it a name "
                    "(such as n), which the checks instantiate small"
                )
        kinks = _kink_args(L)
        for attempt in range(24):
            positive = attempt >= 8
            make = _float_value if floats else _random_value
            values = {name: make(v, self.sizes, self.rng, positive) for name, v in self.variables.items()}
            consts = {
                s: (
                    sympy.Float(self.rng.uniform(0.5, 1.5), DIGITS)
                    if floats
                    else sympy.Rational(self.rng.randint(3, 12), 7)
                )
                for s in self.constants
            }
            inst = Instance(self.sizes, values, consts)
            if _usable(inst, [L], kinks):
                self.values, self.consts, self.positive = values, consts, positive
                self.point = values[wrt.name]
                return
        raise UnsupportedError(
            "could not find a point where the function is defined to check the result "
            "(a log of a non-positive entry, a singular matrix?)"
        )

    def numeric(self, point: sympy.Matrix | None = None) -> Instance:
        return Instance(
            self.sizes, {**self.values, self.wrt.name: self.point if point is None else point}, self.consts
        )

    def second_point(self, L: Node) -> sympy.Matrix | None:
        kinks = _kink_args(L)
        for attempt in range(16):
            p = _random_value(self.wrt, self.sizes, self.rng, self.positive or attempt >= 8)
            if _usable(self.numeric(p), [L], kinks):
                return p
        return None

    def size_names(self) -> dict[str, int]:
        return {s.name: v for s, v in sorted(self.sizes.items(), key=lambda kv: kv[0].name)}


def _se(e: Any) -> Any:
    """The SymEngine form of an expression (after lowering σ, softplus), or None where SymEngine cannot hold it."""
    if isinstance(e, se.Basic):
        return e
    try:
        return se.sympify(lower(sympy.sympify(e)))
    except Exception:  # noqa: BLE001 - SymEngine refuses some functions; SymPy then does the work
        return None


def _derivatives(E: sympy.Expr, symbols: Iterable[sympy.Symbol]) -> list[Any]:
    """``∂E/∂s`` for each symbol: with SymEngine where it can (tens of times faster), else SymPy."""
    symbols = list(symbols)
    sE = _se(E)
    if sE is not None:
        try:
            out = [sE.diff(se.Symbol(s.name)) for s in symbols]
        except RuntimeError:
            out = None
        # SymEngine leaves what it cannot differentiate (|x|, max) as an unevaluated Derivative
        if out is not None and not any("Derivative(" in str(d) or "Subs(" in str(d) for d in out):
            return out
    return [sympy.diff(E, s) for s in symbols]


def _se_value(e: Any, at: Mapping[Any, Any]) -> complex | None:
    try:
        v = complex(e.subs(at).n(100))
    except (RuntimeError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf"):
        return None
    return v


def _agree(a: Any, b: Any, at: Mapping[sympy.Symbol, sympy.Expr]) -> bool:
    """Whether two expressions are equal at a point: exactly for rationals, to 30 digits otherwise."""
    sa, sb = _se(a), _se(b)
    if sa is not None and sb is not None:
        point = {se.Symbol(k.name): se.sympify(v) for k, v in at.items()}
        va, vb, diff = _se_value(sa, point), _se_value(sb, point), _se_value(sa - sb, point)
        if va is not None and vb is not None and diff is not None:
            if max(abs(va.imag), abs(vb.imag)) > 1e-12 * max(1.0, abs(va), abs(vb)):
                return False
            return abs(diff) <= float(RTOL) * max(1.0, abs(va), abs(vb)) or abs(diff) < 1e-25
    a = a._sympy_() if isinstance(a, se.Basic) else a
    b = b._sympy_() if isinstance(b, se.Basic) else b
    va, vb = _number(sympy.sympify(a).xreplace(dict(at))), _number(sympy.sympify(b).xreplace(dict(at)))
    if va is None or vb is None:
        return False
    return abs(va - vb) <= float(RTOL) * max(1.0, abs(va), abs(vb)) or abs(va - vb) < 1e-25


_POLY_NODES = (
    N.Var,
    N.Const,
    N.Identity,
    N.Ones,
    N.Zero,
    N.Add,
    N.Mul,
    N.Transpose,
    N.Trace,
    N.Hadamard,
    N.Diag,
)


def is_polynomial(node: Node) -> bool:
    """Whether the entries are polynomials in the variables' entries (so expansion decides equality)."""
    for n in node.walk():
        if isinstance(n, N.Power):
            if not (n.k.is_integer and n.k >= 0):
                return False
        elif isinstance(n, N.Norm):
            if not n.squared or n.kind == "1":
                return False
        elif not isinstance(n, _POLY_NODES):
            return False
    return True


# -- the checks -----------------------------------------------------------------------------------------


_T = sympy.Symbol("t_", real=True)


def _along(setup: _Setup, point: sympy.Matrix, idx: int) -> Instance:
    """The variable at ``point`` with its entry ``idx`` moved by ``t``; every other value a number.

    ``d/dt`` at ``t = 0`` of a function of this instance is the scalar partial derivative by that entry, exactly,
    from an expression in one symbol (an inverse or a determinant of numbers and one ``t`` stays small).
    """
    W = sympy.Matrix(point)
    W[idx] = W[idx] + _T
    return Instance(setup.sizes, {**setup.values, setup.wrt.name: W}, setup.consts)


def _d0(e: sympy.Expr) -> Any:
    """``d/dt`` at ``t = 0``: with SymEngine where it can, else SymPy."""
    t = se.Symbol(_T.name)
    se_e = _se(e)
    if se_e is not None:
        try:
            d = se_e.diff(t)
            if "Derivative(" not in str(d) and "Subs(" not in str(d):
                return d.subs({t: se.Integer(0)})
        except RuntimeError:
            pass
    return sympy.diff(e, _T).subs(_T, 0)


def _gradient_entries(L: Node, wrt: Var, result: Node, setup: _Setup, symbolic: bool) -> tuple[int, bool]:
    """Compare the claimed gradient with the scalar derivative of the expanded ``L``, entry by entry."""
    if symbolic:
        sizes = setup.sizes
        values = {name: symbol_matrix(v, sizes) for name, v in setup.variables.items()}
        consts = {s: s for s in setup.constants}
        inst = Instance(sizes, values, consts)
        E = inst(L)[0, 0]
        R = inst(result)
        W = values[wrt.name]
        count = 0
        for idx, w in enumerate(W):
            if sympy.expand(sympy.diff(E, w) - R[idx]) != 0:
                return count, False
            count += 1
        return count, True
    points = [setup.point]
    second = setup.second_point(L)
    if second is not None:
        points.append(second)
    count = 0
    for p in points:
        R = setup.numeric(p)(result)
        if R.shape != p.shape:
            return count, False
        for idx in range(len(p)):
            if not _agree(_d0(_along(setup, p, idx)(L)[0, 0]), R[idx], {}):
                return count, False
            count += 1
    return count, True


def _check_gradient_step(step: MatrixStep, setup: _Setup, num: Instance) -> bool:
    """A gradient step claims ``∂⟨G, Y⟩/∂W`` with ``G`` held fixed; a rewrite that its sides are equal."""
    if step.kind == "rewrite":
        return _equal_nodes(step.expr, step.result, num)
    if step.kind != "gradient" or step.upstream is None:
        return True
    G = num(step.upstream)
    R = num(step.result)
    if G.shape != num(step.expr).shape or R.shape != setup.point.shape:
        return False
    for idx in range(len(setup.point)):
        Y = _along(setup, setup.point, idx)(step.expr)
        S = sympy.Add(*[g * y for g, y in zip(G, Y, strict=True)])
        if not _agree(_d0(S), R[idx], {}):
            return False
    return True


def _equal_nodes(a: Node, b: Node, num: Instance) -> bool:
    A, B = num(a), num(b)
    if A.shape != B.shape:
        return False
    return all(_agree(x, y, {}) for x, y in zip(A, B, strict=True))


def _numeric_gradient_check(L: Node, wrt: Var, result: Node, seed: int) -> dict[str, Any]:
    """A central difference of L along random directions against ⟨∂L/∂W, V⟩, at a larger size, 30 digits."""
    setup = _Setup(L, wrt, [result], 2, seed, floats=True)
    rng = random.Random(seed + 7)
    h = sympy.Float("1e-9", DIGITS)
    worst = 0.0
    grad = setup.numeric()(result)
    for _ in range(2):
        V = sympy.Matrix(*setup.point.shape, lambda i, j: sympy.Float(rng.uniform(-1, 1), DIGITS))
        up = setup.numeric(setup.point + h * V)(L)[0, 0]
        down = setup.numeric(setup.point - h * V)(L)[0, 0]
        central = _number((lower(up) - lower(down)) / (2 * h))
        exact = _number(sympy.Add(*[g * v for g, v in zip(grad, V, strict=True)]))
        if central is None or exact is None:
            return {"size": setup.size_names(), "directions": 0, "max_rel_error": None, "h": float(h)}
        worst = max(worst, abs(central - exact) / max(1.0, abs(exact)))
    return {"size": setup.size_names(), "directions": 2, "max_rel_error": worst, "h": float(h)}


def verify_gradient(
    L: Node, wrt: Var, result: Node, steps: MatrixStep, *, seed: int = 2024, check_steps: bool = True
) -> MatrixVerification:
    """Check ``result == ∂L/∂W`` entrywise at two size sets, every step at the first, and numerically."""
    poly = is_polynomial(L) and is_polynomial(result)
    entries = 0
    sizes = []
    ok = True
    for which in (0, 1):
        setup = _Setup(L, wrt, [result], which, seed)
        sizes.append(setup.size_names())
        n, good = _gradient_entries(L, wrt, result, setup, symbolic=poly and which == 0)
        entries += n
        ok = ok and good
    setup = _Setup(L, wrt, [result], 0, seed)
    failed: list[MatrixStep] = []
    checked = 0
    if check_steps:
        num = setup.numeric()
        for step in steps.walk():
            if step.kind in ("gradient", "rewrite"):
                checked += 1
                if not _check_gradient_step(step, setup, num):
                    failed.append(step)
    numeric = _numeric_gradient_check(L, wrt, result, seed)
    num_ok = numeric["max_rel_error"] is not None and numeric["max_rel_error"] < 1e-8
    ok = ok and not failed and num_ok
    method = "symbolic" if poly else "exact at random points"
    where = " and ".join(", ".join(f"{k} = {v}" for k, v in s.items()) or "as declared" for s in sizes)
    message = (
        f"checked entry by entry against the scalar derivative at {where} ({entries} entries, {method}); "
        f"{checked} steps checked"
        + (f", {len(failed)} failed" if failed else "")
        + (
            f"; random numeric check at {', '.join(f'{k} = {v}' for k, v in numeric['size'].items()) or 'the declared sizes'}: "
            f"relative error {numeric['max_rel_error']:.1e}"
            if numeric["max_rel_error"] is not None
            else "; the numeric check found no usable point"
        )
    )
    return MatrixVerification(ok, tuple(sizes), method, entries, checked, tuple(failed), numeric, message)


def verify_jacobian(
    F: Node, wrt: Var, result: Node, steps: MatrixStep | None, *, seed: int = 2024, symmetric: bool = False
) -> MatrixVerification:
    """Check ``result == ∂F/∂xᵀ`` entrywise (and, for a Hessian, that it is symmetric)."""
    entries = 0
    sizes = []
    ok = True
    failed: list[MatrixStep] = []
    checked = 0

    def columns(setup: _Setup, point: sympy.Matrix, node: Node) -> list[list[Any]]:
        """``∂node/∂x_j`` at the point, one list per j (the scalar derivatives, entry by entry)."""
        return [[_d0(e) for e in _along(setup, point, j)(node)] for j in range(len(point))]

    for which in (0, 1):
        setup = _Setup(F, wrt, [result], which, seed)
        sizes.append(setup.size_names())
        points = [setup.point]
        second = setup.second_point(F)
        if second is not None:
            points.append(second)
        for p in points:
            num = setup.numeric(p)
            Fm, J = num(F), num(result)
            if J.shape != (Fm.shape[0], len(p)):
                ok = False
                continue
            for j, col in enumerate(columns(setup, p, F)):
                for i, d in enumerate(col):
                    if not _agree(d, J[i, j], {}):
                        ok = False
                    entries += 1
            if symmetric:
                ok = ok and all(_agree(J[i, j], J[j, i], {}) for i in range(J.shape[0]) for j in range(i))
        if which == 0 and steps is not None:
            num = setup.numeric()
            for step in steps.walk():
                if step.kind == "jacobian":
                    checked += 1
                    JY = num(step.result)
                    cols = columns(setup, setup.point, step.expr)
                    good = JY.shape == (len(cols[0]), len(cols)) and all(
                        _agree(d, JY[i, j], {}) for j, col in enumerate(cols) for i, d in enumerate(col)
                    )
                    if not good:
                        failed.append(step)
                elif step.kind in ("gradient", "rewrite"):
                    checked += 1
                    if not _check_gradient_step(step, setup, num):
                        failed.append(step)
    ok = ok and not failed
    where = " and ".join(", ".join(f"{k} = {v}" for k, v in s.items()) for s in sizes)
    message = (
        f"checked entry by entry against the scalar derivatives at {where} ({entries} entries, exact at random "
        f"points); {checked} steps checked"
        + (f", {len(failed)} failed" if failed else "")
        + ("; symmetric" if symmetric and ok else "")
    )
    return MatrixVerification(
        ok, tuple(sizes), "exact at random points", entries, checked, tuple(failed), {}, message
    )
