r"""Matrix-form results as NumPy functions of the arrays: ``@``, ``einsum`` and ufuncs, no Python loop over data.

``compile_matrix(result)`` (a :class:`~symcalc.derive.matrix.MatrixGradient`, or an expression with its shapes)
returns a :class:`MatrixFunction` whose ``f``, ``grad``, ``value_and_grad`` and (for a vector variable) ``hess``
take the arrays by name (``fn.grad(X=X, w=w, y=y)``), or, with the data bound (``data={"X": X, "y": y}``),
the variable alone (``fn.grad(w)``), so :func:`symcalc.minimize` takes it. Vectors are 1-D arrays (``(m,)``,
a column ``(m, 1)`` is accepted), matrices 2-D, scalars floats; the sizes are read from the arrays and checked
against the declared shapes (``X`` is ``n × m`` and ``w`` is ``m × 1``: a clear error if they do not fit).

How it runs: the expression is a list of array operations, each shared subexpression computed once per call
(``Xw − y`` serves ``f`` and the gradient); a product chain is multiplied in the cheapest order for the actual
sizes (``Xᵀ(Xw − y)`` as two matrix-vector products, never ``XᵀX``), constants are applied to the smallest
array, ``1ᵀA`` is a sum, ``diag(v)A`` a broadcast, softmax and log-sum-exp are shifted by the maximum.

Example:
    >>> import numpy as np
    >>> import symcalc as sc
    >>> g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    >>> X, y = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0])
    >>> fn = sc.compile_matrix(g, data={"X": X, "y": y})
    >>> fn.grad(np.zeros(2))
    array([-2.66666667, -4.66666667])
    >>> np.allclose(fn.grad(np.zeros(2)), 2 * X.T @ (X @ np.zeros(2) - y) / 3)
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import numpy as np
import sympy

from ..derive.matrix import nodes as N
from ..derive.matrix.differential import recognize
from ..derive.matrix.nodes import ONE, Node, ShapeError, Var
from ..derive.matrix.printing import text
from ..derive.matrix.results import (
    MatrixCriticalPoints,
    MatrixGradient,
    matrix_critical_points,
    matrix_gradient,
    matrix_hessian,
)
from ..errors import OptimizationError, SymcalcError
from .compile import DomainError, DomainWarning
from .updates import OptimizeResult, UpdateRule
from .updates import minimize as _minimize

__all__ = ["CriticalSolution", "MatrixFunction", "compile_matrix"]

ON_DOMAIN_ERROR = ("warn", "raise", "ignore")


def _kind(node: Node) -> str:
    r, c = node.shape
    if r == ONE and c == ONE:
        return "scalar"
    if c == ONE:
        return "col"
    if r == ONE:
        return "row"
    return "mat"


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


_UFUNCS: dict[str, Callable[[Any], Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "abs": np.abs,
    "sign": np.sign,
    "step": lambda x: np.heaviside(x, 0.0),
    "sigmoid_prime": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    "sigmoid_second": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (1.0 - 2.0 * _sigmoid(x)),
    "tanh_prime": lambda x: 1.0 - np.tanh(x) ** 2,
    "tanh_second": lambda x: -2.0 * np.tanh(x) * (1.0 - np.tanh(x) ** 2),
}


def _ufunc(name: str) -> Callable[[Any], Any]:
    if name in _UFUNCS:
        return _UFUNCS[name]
    # a derivative without a name of its own: its SymPy body, from symcalc's table (never user text)
    u = sympy.Dummy("u", real=True)
    from ..functions import lower

    body = lower(N.ELEMENTWISE[name](u))
    return sympy.lambdify(u, body, modules="numpy")  # type: ignore[no-any-return]


def _power(x: Any, k: sympy.Expr) -> Any:
    if k == 2:
        return np.square(x)
    if k == -1:
        return 1.0 / x
    if k == sympy.Rational(1, 2):
        return np.sqrt(x)
    return np.power(x, float(k))


def _matmul(a: Any, ka: str, b: Any, kb: str) -> tuple[Any, str]:
    """The product of two factors in the 1-D convention (vectors 1-D, scalars 0-D)."""
    if ka == "scalar" or kb == "scalar":
        out = a * b
        return out, kb if ka == "scalar" else ka
    if ka == "col" and kb == "row":
        return np.outer(a, b), "mat"
    out = a @ b
    if ka == "row" and kb == "col":
        return out, "scalar"
    if ka == "mat" and kb == "col":
        return out, "col"
    if ka == "row" and kb == "mat":
        return out, "row"
    return out, "mat"


def _dims(value: Any, kind: str) -> tuple[int, int]:
    if kind == "scalar":
        return (1, 1)
    if kind == "col":
        return (value.shape[0], 1)
    if kind == "row":
        return (1, value.shape[0])
    return value.shape  # type: ignore[no-any-return]


def _multiply_chain(values: list[Any], kinds: list[str]) -> tuple[Any, str]:
    if len(values) == 1:
        return values[0], kinds[0]
    if len(values) == 2:
        return _matmul(values[0], kinds[0], values[1], kinds[1])
    # the textbook dynamic programme for the cheapest order (k is small)
    dims = [_dims(v, k) for v, k in zip(values, kinds, strict=True)]
    k = len(values)
    p = [dims[0][0]] + [d[1] for d in dims]
    memo: dict[tuple[int, int], tuple[int, int]] = {}

    def best(i: int, j: int) -> tuple[int, int]:
        if i == j:
            return (0, i)
        if (i, j) in memo:
            return memo[(i, j)]
        out = min(
            ((best(i, s)[0] + best(s + 1, j)[0] + p[i] * p[s + 1] * p[j + 1], s) for s in range(i, j)),
            key=lambda t: t[0],
        )
        memo[(i, j)] = out
        return out

    def run(i: int, j: int) -> tuple[Any, str]:
        if i == j:
            return values[i], kinds[i]
        s = best(i, j)[1]
        a, ka = run(i, s)
        b, kb = run(s + 1, j)
        return _matmul(a, ka, b, kb)

    return run(0, k - 1)


class _Program:
    """The unique nodes of some outputs, in an order where every operand comes first; one op per node."""

    def __init__(self, outputs: Sequence[Node], inputs: Sequence[Var]) -> None:
        self.index: dict[Node, int] = {}
        self.nodes: list[Node] = []
        self.ops: list[Callable[[list[Any], dict[str, Any]], Any]] = []
        self.inputs = {v.name for v in inputs}
        for out in outputs:
            self._add(out)
        self.outputs = [self.index[o] for o in outputs]

    def _add(self, node: Node) -> int:
        found = self.index.get(node)
        if found is not None:
            return found
        kids = [self._add(c) for c in self._operands(node)]
        op = self._op(node, kids)
        self.index[node] = len(self.nodes)
        self.nodes.append(node)
        self.ops.append(op)
        return len(self.nodes) - 1

    def _operands(self, node: Node) -> tuple[Node, ...]:
        if isinstance(node, N.Add):
            return tuple(t for _, t in _signed_terms(node))
        if isinstance(node, N.Mul):
            return tuple(node.scalars) + tuple(
                f.arg if isinstance(f, N.Diag) else f
                for f in node.chain
                if not isinstance(f, N.Ones | N.Identity)
            )
        if isinstance(node, N.Trace) and _trace_pair(node):
            assert isinstance(node.arg, N.Mul)
            return node.arg.chain
        return node.children

    def _op(self, node: Node, kids: list[int]) -> Callable[[list[Any], dict[str, Any]], Any]:
        if isinstance(node, Var):
            name = node.name
            return lambda v, env: env[name]
        if isinstance(node, N.Const):
            value = node.value
            return lambda v, env: env["__const__"](value)
        if isinstance(node, N.Identity):
            size = node.size
            return lambda v, env: np.eye(env["__dim__"](size))
        if isinstance(node, N.Ones | N.Zero):
            r, c, kind = node.nrows, node.ncols, _kind(node)
            fill = np.ones if isinstance(node, N.Ones) else np.zeros

            def make(v: list[Any], env: dict[str, Any]) -> Any:
                if kind == "scalar":
                    return 1.0 if fill is np.ones else 0.0
                shape = (
                    (env["__dim__"](r),)
                    if kind in ("col",)
                    else (env["__dim__"](c),)
                    if kind == "row"
                    else (
                        env["__dim__"](r),
                        env["__dim__"](c),
                    )
                )
                return fill(shape)

            return make
        if isinstance(node, N.Add):
            signs = [sign for sign, _ in _signed_terms(node)]
            idx = list(kids)

            def add(v: list[Any], env: dict[str, Any]) -> Any:
                # a − b, not a + (−1)b: no temporary for the negated term
                out = v[idx[0]] if signs[0] > 0 else -v[idx[0]]
                for sign, i in zip(signs[1:], idx[1:], strict=True):
                    out = out + v[i] if sign > 0 else out - v[i]
                return out

            return add
        if isinstance(node, N.Mul):
            return self._mul(node, kids)
        if isinstance(node, N.Transpose):
            (i,) = kids
            if _kind(node) == "mat":
                return lambda v, env: v[i].T
            return lambda v, env: v[i]
        if isinstance(node, N.Inverse):
            (i,) = kids
            return lambda v, env: np.linalg.inv(v[i])
        if isinstance(node, N.Trace):
            if _trace_pair(node):
                i, j = kids
                return lambda v, env: float(np.einsum("ij,ji->", v[i], v[j]))
            (i,) = kids
            return lambda v, env: float(np.trace(v[i]))
        if isinstance(node, N.Det):
            (i,) = kids
            return lambda v, env: float(np.linalg.det(v[i]))
        if isinstance(node, N.LogDet):
            (i,) = kids

            def logdet(v: list[Any], env: dict[str, Any]) -> float:
                sign, value = np.linalg.slogdet(v[i])
                return float(value) if sign > 0 else float("nan")

            return logdet
        if isinstance(node, N.Hadamard):
            idx = list(kids)

            def had(v: list[Any], env: dict[str, Any]) -> Any:
                out = v[idx[0]]
                for i in idx[1:]:
                    out = out * v[i]
                return out

            return had
        if isinstance(node, N.Elementwise):
            (i,) = kids
            f = _ufunc(node.fn)
            return lambda v, env: f(v[i])
        if isinstance(node, N.Power):
            (i,) = kids
            k = node.k
            return lambda v, env: _power(v[i], k)
        if isinstance(node, N.Norm):
            (i,) = kids
            kind, squared, matrix = node.kind, node.squared, _kind(node.arg) == "mat"

            def norm(v: list[Any], env: dict[str, Any]) -> float:
                a = v[i]
                if kind == "1":
                    return float(np.abs(a).sum())
                sq = float(np.einsum("ij,ij->", a, a)) if matrix else float(np.dot(a, a))
                return sq if squared else float(np.sqrt(sq))

            return norm
        if isinstance(node, N.Softmax):
            (i,) = kids

            def softmax(v: list[Any], env: dict[str, Any]) -> Any:
                z = v[i]
                e = np.exp(z - np.max(z))
                return e / e.sum()

            return softmax
        if isinstance(node, N.LogSumExp):
            (i,) = kids

            def lse(v: list[Any], env: dict[str, Any]) -> float:
                z = v[i]
                top = np.max(z)
                return float(top + np.log(np.exp(z - top).sum()))

            return lse
        if isinstance(node, N.Diag):
            (i,) = kids
            return lambda v, env: np.diag(v[i])
        raise SymcalcError(f"cannot compile {type(node).__name__}")

    def _mul(self, node: N.Mul, kids: list[int]) -> Callable[[list[Any], dict[str, Any]], Any]:
        coeff = node.coeff
        ns = len(node.scalars)
        scalar_idx = kids[:ns]
        chain_idx = iter(kids[ns:])
        # each chain factor: ("ones", kind) | ("identity",) | ("diag", index) | ("array", index, kind)
        plan: list[tuple[Any, ...]] = []
        for f in node.chain:
            if isinstance(f, N.Ones):
                plan.append(("ones", _kind(f), f))
            elif isinstance(f, N.Identity):
                plan.append(("identity", f))
            elif isinstance(f, N.Diag):
                plan.append(("diag", next(chain_idx)))
            else:
                plan.append(("array", next(chain_idx), _kind(f)))
        result_kind = _kind(node)

        scaled = coeff != 1 or bool(scalar_idx)

        def mul(v: list[Any], env: dict[str, Any]) -> Any:
            s = env["__const__"](coeff) if coeff != 1 else 1.0
            for i in scalar_idx:
                s = s * v[i]
            if not plan:
                return s
            out, kind = _evaluate_chain(plan, v, env)
            if kind == "ones":
                out = _materialise_ones(out, env)
            if scaled:
                out = out * s
            if result_kind == "scalar":
                return float(out) if np.ndim(out) == 0 else out
            return out

        return mul

    def __call__(self, env: dict[str, Any]) -> list[Any]:
        values: list[Any] = [None] * len(self.ops)
        for k, op in enumerate(self.ops):
            values[k] = op(values, env)
        return [values[i] for i in self.outputs]


def _signed_terms(node: N.Add) -> list[tuple[int, Node]]:
    """The terms of a sum as ``(±1, term)``, a negated term by its positive form (computed once, subtracted)."""
    out = []
    for t in node.terms:
        if isinstance(t, N.Mul) and t.coeff.could_extract_minus_sign():
            out.append((-1, N.scale(-1, t)))
        elif isinstance(t, N.Const) and t.value.could_extract_minus_sign():
            out.append((-1, N.Const(-t.value)))
        else:
            out.append((1, t))
    return out


def _trace_pair(node: N.Trace) -> bool:
    a = node.arg
    return (
        isinstance(a, N.Mul)
        and a.coeff == 1
        and not a.scalars
        and len(a.chain) == 2
        and all(_kind(f) == "mat" for f in a.chain)
    )


def _materialise_ones(marker: Any, env: dict[str, Any]) -> Any:
    f = marker
    kind = _kind(f)
    if kind == "col":
        return np.ones(env["__dim__"](f.nrows))
    if kind == "row":
        return np.ones(env["__dim__"](f.ncols))
    return np.ones((env["__dim__"](f.nrows), env["__dim__"](f.ncols)))


def _evaluate_chain(plan: list[tuple[Any, ...]], v: list[Any], env: dict[str, Any]) -> tuple[Any, str]:
    out: Any
    """A product chain: ones become sums, diagonals broadcasts, the rest a matrix chain in the best order."""
    lead_ones = plan and plan[0][0] == "ones" and plan[0][1] == "row"
    tail_ones = plan and plan[-1][0] == "ones" and plan[-1][1] == "col" and len(plan) > 1
    core = plan[1 if lead_ones else 0 : len(plan) - (1 if tail_ones else 0)]
    values: list[Any] = []
    kinds: list[str] = []
    pending_diag: list[Any] = []
    for item in core:
        if item[0] == "identity":
            continue
        if item[0] == "diag":
            d = v[item[1]]
            if values:
                a, ka = values[-1], kinds[-1]
                values[-1] = a * d if ka in ("row", "scalar") else a * d[None, :]
            else:
                pending_diag.append(d)
            continue
        if item[0] == "ones":
            values.append(_materialise_ones(item[2], env))
            kinds.append(item[1])
        else:
            x, kind = v[item[1]], item[2]
            for d in pending_diag:
                x = d * x if kind == "col" else d[:, None] * x
            pending_diag = []
            values.append(x)
            kinds.append(kind)
    if not values:
        if pending_diag:
            out, kind = np.diag(pending_diag[0]), "mat"
        elif core and core[0][0] == "identity":
            out, kind = np.eye(env["__dim__"](core[0][1].size)), "mat"
        elif lead_ones and tail_ones:
            return float(env["__dim__"](plan[0][2].ncols)), "scalar"
        else:
            return plan[0][2] if plan[0][0] == "ones" else None, "ones"
    else:
        out, kind = _multiply_chain(values, kinds)
    if lead_ones:
        out = out.sum(axis=0) if kind == "mat" else float(np.sum(out))
        kind = "row" if kind == "mat" else "scalar"
    if tail_ones:
        out = out.sum(axis=-1) if kind in ("mat", "row") else out
        kind = {"mat": "col", "row": "scalar"}.get(kind, kind)
        if kind == "scalar":
            out = float(out)
    return out, kind


# -- the compiled function -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalSolution:
    """A critical point in closed form, computed: ``x``, and how (``lstsq`` rank, the condition)."""

    x: np.ndarray
    method: str
    rank: int | None
    full_rank: bool
    condition: str
    message: str


class MatrixFunction:
    """A matrix-form objective and its derivatives as NumPy functions of the arrays.

    Attributes:
        expr: the function ``L`` (a node); ``wrt``: the variable; ``gradient``: ``∂L/∂W`` (a node).
        variables: the variables of ``L``; ``arguments``: those not bound by ``data`` (the call's arguments).
        data: the bound arrays.
    """

    def __init__(
        self,
        expr: Node,
        wrt: Var,
        gradient: Node,
        *,
        data: Mapping[str, Any] | None = None,
        on_domain_error: str = "warn",
        result: MatrixGradient | None = None,
    ) -> None:
        if on_domain_error not in ON_DOMAIN_ERROR:
            raise SymcalcError(f"on_domain_error must be one of {', '.join(ON_DOMAIN_ERROR)}")
        self.expr = expr
        self.wrt = wrt
        self.gradient = gradient
        self.on_domain_error = on_domain_error
        self._result = result
        self.variables = tuple(N.variables_of(expr))
        self.constants = {s.name: s for s in N.constants_of(expr) | N.constants_of(gradient)}
        data = dict(data or {})
        unknown = set(data) - {v.name for v in self.variables} - set(self.constants)
        if unknown:
            raise SymcalcError(f"data names {', '.join(sorted(unknown))}, which the expression does not use")
        if wrt.name in data:
            raise SymcalcError(f"{wrt.name} is the variable; it cannot be bound as data")
        self.data = {
            k: self._array(self._var(k), v) if k not in self.constants else float(v) for k, v in data.items()
        }
        self.arguments = tuple(v for v in self.variables if v.name not in self.data)
        prepared, _ = recognize(expr)
        self._prepared = prepared
        self._program = _Program([prepared, gradient], self.variables)
        self._sizes_from_data = self._bind_sizes(self.data)

    # -- arrays and sizes --
    def _var(self, name: str) -> Var:
        for v in self.variables:
            if v.name == name:
                return v
        raise SymcalcError(f"{name} is not a variable of {text(self.expr)}")

    @staticmethod
    def _array(v: Var, value: Any) -> Any:
        if v.is_scalar:
            return float(value)
        arr = np.asarray(value, dtype=np.float64)
        if v.kind == "vector":
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr.reshape(-1)
            if arr.ndim != 1:
                raise ShapeError(
                    f"{v.name} is a vector ({N.shape_text(v.shape)}); got an array of shape {arr.shape}"
                )
        elif arr.ndim != 2:
            raise ShapeError(
                f"{v.name} is a matrix ({N.shape_text(v.shape)}); got an array of shape {arr.shape}"
            )
        return arr

    def _bind_sizes(
        self, arrays: Mapping[str, Any], known: Mapping[sympy.Expr, int] | None = None
    ) -> dict[Any, int]:
        sizes: dict[Any, int] = dict(known or {})
        origin: dict[Any, str] = dict(getattr(self, "_size_origin", {}))
        for name, arr in arrays.items():
            if name in self.constants:
                continue
            v = self._var(name)
            got = (1, 1) if v.is_scalar else ((arr.shape[0], 1) if v.kind == "vector" else arr.shape)
            for d, k in zip(v.shape, got, strict=True):
                if d.is_Integer:
                    if int(d) != k:
                        raise ShapeError(
                            f"{name} is declared {N.shape_text(v.shape)}; the array has shape {np.shape(arr)}"
                        )
                    continue
                if d in sizes and sizes[d] != k:
                    other = origin.get(d, "the data")
                    raise ShapeError(
                        f"the arrays do not fit the shapes: {name} is {N.shape_text(v.shape)} with shape "
                        f"{np.shape(arr)}, so {d} = {k}, but {other} gives {d} = {sizes[d]}"
                    )
                sizes[d] = k
                origin.setdefault(d, f"{name} (shape {np.shape(arr)})")
        if known is None:
            self._size_origin = origin
        return sizes

    def _env(self, args: tuple[Any, ...], arrays: Mapping[str, Any]) -> dict[str, Any]:
        given: dict[str, Any] = {}
        if args:
            if len(args) > len(self.arguments):
                raise SymcalcError(
                    f"{len(args)} arguments given; the function takes {', '.join(v.name for v in self.arguments)}"
                )
            for v, a in zip(self.arguments, args, strict=False):
                given[v.name] = a
        for k, a in arrays.items():
            if k in given:
                raise SymcalcError(f"{k} is given twice")
            given[k] = a
        missing = [v.name for v in self.arguments if v.name not in given]
        missing += [c for c in self.constants if c not in given and c not in self.data]
        if missing:
            raise SymcalcError(f"give values for {', '.join(missing)}")
        env: dict[str, Any] = dict(self.data)
        for k, a in given.items():
            env[k] = float(a) if k in self.constants else self._array(self._var(k), a)
        sizes = self._bind_sizes({k: v for k, v in env.items() if k not in self.data}, self._sizes_from_data)
        consts = {sympy.Symbol(c, real=True): env[c] for c in self.constants}
        subs = {**{d: k for d, k in sizes.items()}, **consts}
        cache: dict[Any, float] = {}

        def const(value: sympy.Expr) -> float:
            hit = cache.get(value)
            if hit is None:
                hit = float(value.xreplace(subs))
                cache[value] = hit
            return hit

        def dim(d: sympy.Expr) -> int:
            return int(d.xreplace(sizes))

        env["__const__"] = const
        env["__dim__"] = dim
        return env

    def _checked(self, out: Any, what: str) -> Any:
        if self.on_domain_error != "ignore" and not np.all(np.isfinite(out)):
            message = (
                f"{what} of {text(self.expr)} is not finite here (a log of a non-positive entry, det ≤ 0?)"
            )
            if self.on_domain_error == "raise":
                raise DomainError(message)
            warnings.warn(message, DomainWarning, stacklevel=3)
        return out

    # -- the functions --
    def value_and_grad(self, *args: Any, **arrays: Any) -> tuple[float, Any]:
        """``L`` and ``∂L/∂W`` together (their common subexpressions computed once)."""
        value, raw = self._program(self._env(args, arrays))
        grad: Any = float(raw) if np.ndim(raw) == 0 else np.asarray(raw, dtype=np.float64)
        return float(self._checked(value, "the function")), self._checked(grad, "the gradient")

    def f(self, *args: Any, **arrays: Any) -> float:
        """The function's value."""
        return self.value_and_grad(*args, **arrays)[0]

    __call__ = f

    @cached_property
    def _grad_program(self) -> _Program:
        return _Program([self.gradient], self.variables)

    def grad(self, *args: Any, **arrays: Any) -> Any:
        """``∂L/∂W``: an array of the variable's shape (without computing ``L``)."""
        (raw,) = self._grad_program(self._env(args, arrays))
        grad: Any = float(raw) if np.ndim(raw) == 0 else np.asarray(raw, dtype=np.float64)
        return self._checked(grad, "the gradient")

    @cached_property
    def hessian_node(self) -> Node:
        """The Hessian in matrix form (a vector variable), derived on first use."""
        if self.wrt.kind != "vector":
            raise SymcalcError(
                f"the Hessian by {self.wrt.name} ({N.shape_text(self.wrt.shape)}) is not a matrix"
            )
        return matrix_hessian(self.expr, self.wrt).hessian

    @cached_property
    def _hess_program(self) -> _Program:
        return _Program([self.hessian_node], self.variables)

    def hess(self, *args: Any, **arrays: Any) -> np.ndarray:
        """The Hessian ``(m, m)`` of a vector variable."""
        (H,) = self._hess_program(self._env(args, arrays))
        out: np.ndarray = self._checked(np.asarray(H, dtype=np.float64), "the Hessian")
        return out

    def __repr__(self) -> str:
        args = ", ".join(v.name for v in self.arguments)
        return f"MatrixFunction({text(self.expr)}, wrt={self.wrt.name}, arguments=({args}))"

    # -- critical points and descent --
    @cached_property
    def critical(self) -> MatrixCriticalPoints:
        return matrix_critical_points(self.expr, self.wrt)

    def solve_critical(self, *args: Any, **arrays: Any) -> CriticalSolution:
        """The closed-form critical point, computed: ``lstsq(A, b)`` for normal equations, else ``lstsq(H, r)``.

        The arrays other than the variable come from ``data`` or the arguments (a value for the variable is
        not needed).
        """
        cp = self.critical
        if not cp.closed:
            raise SymcalcError(f"no closed form: {cp.reason}")
        assert cp.lhs is not None and cp.rhs is not None
        outputs = list(cp.least_squares) if cp.least_squares else [cp.lhs, cp.rhs]
        given = dict(arrays)
        if self.wrt.name not in given and not args:
            given[self.wrt.name] = np.zeros(self._wrt_shape(self._sizes_from_data))
        env = self._env(args, given)
        A, b = _Program(outputs, self.variables)(env)
        A = np.atleast_2d(np.asarray(A, dtype=np.float64))
        b = np.asarray(b, dtype=np.float64)
        x, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
        full = int(rank) == A.shape[1]
        how = f"lstsq({text(outputs[0])}, {text(outputs[1])})"
        message = f"{how}: rank {int(rank)} of {A.shape[1]}; " + (
            "the unique solution"
            if full
            else "rank deficient: the solution of least norm among infinitely many"
        )
        return CriticalSolution(x, how, int(rank), full, cp.condition, message)

    def _wrt_shape(self, sizes: Mapping[Any, int]) -> tuple[int, ...]:
        r, c = (int(d.xreplace(dict(sizes))) if not d.is_Integer else int(d) for d in self.wrt.shape)
        return (r,) if self.wrt.kind == "vector" else (r, c) if self.wrt.kind == "matrix" else ()

    def suggest_lr(self, x0: Any) -> float:
        """``1/L`` with ``L`` the largest absolute eigenvalue of the Hessian at ``x0`` (exact for a quadratic),
        else estimated by power iteration on finite-difference Hessian-vector products."""
        x0 = np.asarray(x0, dtype=np.float64)
        if self.wrt.kind == "vector" and len(self.arguments) == 1:
            H = self.hess(x0)
            L = float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (H + H.T)))))
        else:
            v = np.random.default_rng(0).normal(size=x0.shape)
            v /= np.linalg.norm(v)
            eps = 1e-6 * max(1.0, float(np.linalg.norm(x0)))
            L = 0.0
            for _ in range(30):
                hv = (self.grad(x0 + eps * v) - self.grad(x0 - eps * v)) / (2 * eps)
                L = float(np.linalg.norm(hv))
                if L == 0:
                    break
                v = hv / L
        if not L > 0:
            raise OptimizationError("the Hessian is zero at x0: no step size follows from it; pass lr=...")
        return 1.0 / L

    def minimize(
        self,
        x0: Any,
        method: str | UpdateRule = "gd",
        *,
        lr: float | None = None,
        max_iter: int = 10_000,
        gtol: float = 1e-8,
        **options: Any,
    ) -> OptimizeResult:
        """Minimize over the variable (the data bound), from ``x0``; ``lr=None`` takes ``1/L`` from the Hessian.

        ``verify()`` on the result compares the end point with the closed-form critical point where there is one.
        """
        if len(self.arguments) != 1:
            raise OptimizationError(
                f"bind every array but {self.wrt.name} with data=... before minimizing (free: "
                f"{', '.join(v.name for v in self.arguments)})"
            )
        start = np.asarray(x0, dtype=np.float64)
        shape = start.shape

        def fun(x: np.ndarray) -> float:
            return self.f(x.reshape(shape))

        def jac(x: np.ndarray) -> np.ndarray:
            return np.asarray(self.grad(x.reshape(shape))).reshape(-1)

        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, g = self.value_and_grad(x.reshape(shape))
            return value, np.asarray(g).reshape(-1)

        hess = (lambda x: self.hess(x)) if self.wrt.kind == "vector" else None
        if lr is None and method in ("gd", "momentum", "nesterov"):
            lr = self.suggest_lr(start) * (0.1 if method != "gd" else 1.0)
        res = _minimize(
            fun, start.reshape(-1), jac=jac, hess=hess, method=method, lr=lr, max_iter=max_iter, gtol=gtol,
            value_and_grad=vg, **options,
        )  # fmt: skip
        res["x"] = np.asarray(res["x"]).reshape(shape)
        res["_verify"] = self._verifier()
        return res

    def _verifier(self) -> Callable[[OptimizeResult], Any]:
        # a partial of a module-level function, not a closure, so that the result pickles
        return partial(_verify_run, self)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "expr": self.expr,
            "wrt": self.wrt,
            "gradient": self.gradient,
            "data": self.data,
            "on_domain_error": self.on_domain_error,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["expr"],
            state["wrt"],
            state["gradient"],
            data=state["data"],
            on_domain_error=state["on_domain_error"],
        )


def _verify_run(fn: MatrixFunction, res: OptimizeResult) -> Any:
    """Compare the end of a run with the closed-form critical point (``OptimizeResult.verify()``)."""
    from .minimize import Verification

    x = np.asarray(res.x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        return Verification("diverged", None, None, False, None, "the run diverged")
    gnorm = float(np.linalg.norm(fn.grad(x)))
    cp = fn.critical
    if cp.closed:
        sol = fn.solve_critical()
        dist = float(np.linalg.norm(x - sol.x))
        near = dist <= 1e-3 * max(1.0, float(np.linalg.norm(sol.x)))
        minimum = "minimum" in cp.kind
        kind = ("global minimum" if minimum else "critical point") if near else "no critical point"
        msg = (
            f"{'reached' if near else 'did not reach'} the closed-form critical point "
            f"{text(fn.wrt)}* = {text(cp.solution) if cp.solution is not None else '?'} ({sol.message}), "
            f"distance {dist:.3g}; "
            f"gradient norm at the end {gnorm:.3g}"
        )
        return Verification(kind, {fn.wrt.name: sol.x}, dist, near and minimum, None, msg)
    msg = f"no closed form ({cp.reason}); the gradient norm at the end is {gnorm:.3g}"
    reached = "stationary point" if gnorm <= 1e-5 * max(1.0, abs(float(res.fun))) else "not stationary"
    return Verification(reached, None, None, False, None, msg)


def compile_matrix(
    expr: Any,
    wrt: Any = None,
    shapes: Any = None,
    *,
    data: Mapping[str, Any] | None = None,
    on_domain_error: str = "warn",
) -> MatrixFunction:
    """A matrix-form function and its gradient (from :func:`symcalc.matrix_gradient`) as NumPy functions.

    Args:
        expr: a :class:`~symcalc.derive.matrix.MatrixGradient`, or an expression (with ``wrt`` and ``shapes``).
        data: arrays to bind by name (``{"X": X, "y": y}``), and values for undeclared scalars (``λ``).
        on_domain_error: ``"warn"``, ``"raise"`` or ``"ignore"`` for a non-finite value.

    Example:
        >>> import numpy as np
        >>> fn = compile_matrix("x^T A x", "x", "A: n x n, x: n")
        >>> fn.grad(A=np.array([[1.0, 2.0], [0.0, 1.0]]), x=np.array([1.0, 1.0]))
        array([4., 4.])
    """
    g = expr if isinstance(expr, MatrixGradient) else matrix_gradient(expr, wrt, shapes)
    return MatrixFunction(g.expr, g.wrt, g.gradient, data=data, on_domain_error=on_domain_error, result=g)
