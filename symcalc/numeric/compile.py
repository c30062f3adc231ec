r"""Compiling symbolic results into fast NumPy functions: f, its gradient and its Hessian.

``compile(expr, variables)`` returns a :class:`CompiledFunction` whose ``f``, ``grad``, ``hess`` and
``value_and_grad`` take a point of shape ``(n,)`` (giving a float, ``(n,)``, ``(n, n)``) or a batch of shape
``(m, n)`` (giving ``(m,)``, ``(m, n)``, ``(m, n, n)``), always float64, whatever the expression (a constant
gradient component still fills its place: the classic lambdify pitfall is handled here once).

Backends: SymEngine's LLVM JIT (``symengine.Lambdify(..., backend="llvm", cse=True)``) for expressions made of
elementary functions, and ``sympy.lambdify(..., modules="numpy", cse=True)`` for the rest (Piecewise, Max,
Heaviside, ...). The Hessian is compiled on first use, with SymEngine's interpreter instead of LLVM past a size
(an LLVM compile of a dense 100 x 100 Hessian takes seconds). Both backends give the same function (tested).

Example:
    >>> import numpy as np
    >>> import symcalc as sc
    >>> fn = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"])
    >>> fn.f(np.array([1.0, 1.0]))
    0.0
    >>> fn.grad(np.array([[0.0, 0.0], [1.0, 1.0]]))
    array([[-2.,  0.],
           [ 0.,  0.]])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..derive.multivariable import _symengine_ok, bulk_diff
from ..errors import SymcalcError
from ..functions import lower
from ..parse import Source, parse
from ..variables import Variables, resolve_variables

__all__ = ["CompiledFunction", "DomainWarning", "compile"]

#: Above this many operations in the Hessian, SymEngine's interpreter is used instead of its LLVM JIT.
LLVM_HESSIAN_MAX_OPS = 4000
ON_DOMAIN_ERROR = ("warn", "raise", "ignore")


class DomainWarning(RuntimeWarning):
    """A compiled function was evaluated outside its domain (log of a negative, division by zero)."""


class DomainError(SymcalcError, ArithmeticError):
    """Raised instead of :class:`DomainWarning` when ``on_domain_error="raise"``."""


def _dirac_delta(x: Any, *args: Any) -> Any:
    """The derivative of a step, as numbers: 0 away from the kink (where the step is not differentiable)."""
    return np.zeros_like(np.asarray(x, dtype=np.float64))


_NUMERIC_EXTRAS = {"DiracDelta": _dirac_delta}


class _Kernel:
    """Evaluates a list of expressions at points: ``(n,) -> (k,)`` and ``(m, n) -> (m, k)``."""

    def __init__(self, variables: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr], *, llvm: bool) -> None:
        self.k = len(exprs)
        self.backend = "sympy"
        if all(_symengine_ok(e) for e in exprs):
            import symengine as se

            try:
                self._se = se.Lambdify(
                    [se.Symbol(v.name) for v in variables],
                    [
                        se.sympify(e).subs({se.Symbol(s.name): se.Symbol(s.name) for s in e.free_symbols})
                        for e in exprs
                    ],
                    backend="llvm" if llvm else "lambda",
                    cse=True,
                    real=True,
                )
                self.backend = "symengine-llvm" if llvm else "symengine"
                self._buffer = np.empty(self.k)
                return
            except (RuntimeError, TypeError, NotImplementedError):
                pass
        self._np = sympy.lambdify(list(variables), list(exprs), modules=[_NUMERIC_EXTRAS, "numpy"], cse=True)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.backend != "sympy":
            if x.ndim == 1 and x.flags.c_contiguous:
                # one point: straight into a buffer (the checked call costs more than the work at small n)
                self._se.unsafe_real(x, self._buffer)
                return self._buffer.copy()
            return np.asarray(self._se(x), dtype=np.float64).reshape(x.shape[:-1] + (self.k,))
        with np.errstate(all="ignore"):
            values = self._np(*np.moveaxis(x, -1, 0))
        shape = x.shape[:-1]
        return np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in values], axis=-1)


class CompiledFunction:
    """f, its gradient and its Hessian as NumPy functions of a point ``(n,)`` or a batch ``(m, n)``.

    Attributes:
        expr: the function, as SymPy.
        variables: the variables, in the order of a point's coordinates.
        gradient_expr: the symbolic gradient (a column ``sympy.Matrix``).
        backend: which backend evaluates f and the gradient (``"symengine-llvm"`` or ``"sympy"``).
    """

    def __init__(
        self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], *, on_domain_error: str = "warn"
    ) -> None:
        self._setup(expr, variables, on_domain_error)
        first, self._second = bulk_diff([self._lowered], self.variables, second=True)  # type: ignore[misc]
        self.gradient_expr = sympy.Matrix(first[0])
        self._value_grad = _Kernel(self.variables, [self._lowered, *first[0]], llvm=True)
        self.backend = self._value_grad.backend

    def _setup(self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], on_domain_error: str) -> None:
        """What every compiled function keeps: the expression, its variables, the domain-error policy."""
        if on_domain_error not in ON_DOMAIN_ERROR:
            raise SymcalcError(f"on_domain_error must be one of {', '.join(ON_DOMAIN_ERROR)}")
        self.expr = expr
        self.variables = tuple(variables)
        self.n = len(self.variables)
        self.on_domain_error = on_domain_error
        self._lowered = lower(expr)

    # -- symbolic ----------------------------------------------------------------------------------------
    @cached_property
    def hessian_expr(self) -> sympy.Matrix:
        """The symbolic Hessian (a ``sympy.Matrix``)."""
        return sympy.Matrix(self._second[0])

    @cached_property
    def _hess(self) -> _Kernel:
        entries = [self.hessian_expr[i, j] for i in range(self.n) for j in range(self.n)]
        ops = sum(sympy.count_ops(e) for e in entries if e != 0)
        return _Kernel(self.variables, entries, llvm=ops <= LLVM_HESSIAN_MAX_OPS)

    # -- numeric -----------------------------------------------------------------------------------------
    def _point(self, x: Any) -> np.ndarray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 and self.n == 1:
            arr = arr.reshape(1)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise SymcalcError(
                f"expected a point of shape ({self.n},) or a batch of shape (m, {self.n}); got shape {arr.shape}"
            )
        return arr

    def _checked(self, out: np.ndarray, what: str) -> np.ndarray:
        if self.on_domain_error != "ignore" and not np.all(np.isfinite(out)):
            message = (
                f"{what} of {sympy.sstr(self.expr)} is not finite at some point (outside the domain: a log "
                "of a non-positive number, a division by zero, a root of a negative number?)"
            )
            if self.on_domain_error == "raise":
                raise DomainError(message)
            warnings.warn(message, DomainWarning, stacklevel=3)
        return out

    def value_and_grad(self, x: Any) -> tuple[float | np.ndarray, np.ndarray]:
        """f and its gradient together, sharing their common subexpressions."""
        arr = self._point(x)
        out = self._checked(self._value_grad(arr), "f or its gradient")
        value = out[..., 0]
        return (float(value) if arr.ndim == 1 else value), out[..., 1:]

    def f(self, x: Any) -> float | np.ndarray:
        """f at a point (a float) or at a batch of points (shape ``(m,)``)."""
        return self.value_and_grad(x)[0]

    __call__ = f

    def grad(self, x: Any) -> np.ndarray:
        """The gradient, shape ``(n,)`` or ``(m, n)``."""
        return self.value_and_grad(x)[1]

    def hess(self, x: Any) -> np.ndarray:
        """The Hessian, shape ``(n, n)`` or ``(m, n, n)`` (compiled on first use)."""
        arr = self._point(x)
        out = self._checked(self._hess(arr), "the Hessian")
        return out.reshape(arr.shape[:-1] + (self.n, self.n))

    @property
    def hess_backend(self) -> str:
        return self._hess.backend

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.variables)
        return f"CompiledFunction({sympy.sstr(self.expr)}, variables=({names}), backend={self.backend!r})"


class DataFunction(CompiledFunction):
    """A compiled objective over data: sums over the data run as vectorised NumPy (see :mod:`symcalc.numeric.data`).

    Points are evaluated one at a time (a batch is a loop over its rows); the Hessian is compiled on first use.
    """

    def __init__(
        self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], data: Any, *, on_domain_error: str = "warn"
    ) -> None:
        from .data import lower_data

        self._setup(expr, variables, on_domain_error)
        self.data = data
        self.gradient_expr = sympy.Matrix([sympy.diff(self._lowered, v) for v in self.variables])
        self._f = lower_data(self._lowered, self.variables, data)
        self._g = [lower_data(g, self.variables, data) for g in self.gradient_expr]
        self.backend = "numpy-data"

    @cached_property
    def hessian_expr(self) -> sympy.Matrix:
        return sympy.Matrix([[sympy.diff(g, v) for v in self.variables] for g in self.gradient_expr])

    @cached_property
    def _h(self) -> list[Callable[[np.ndarray], float]]:
        from .data import lower_data

        return [lower_data(h, self.variables, self.data) for h in self.hessian_expr]

    def _rows(self, x: Any, one: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        arr = self._point(x)
        if arr.ndim == 1:
            return one(arr)
        return np.stack([one(row) for row in arr])

    def value_and_grad(self, x: Any) -> tuple[float | np.ndarray, np.ndarray]:
        out = self._rows(x, lambda p: np.array([self._f(p), *[g(p) for g in self._g]]))
        out = self._checked(out, "f or its gradient")
        value = out[..., 0]
        return (float(value) if out.ndim == 1 else value), out[..., 1:]

    def hess(self, x: Any) -> np.ndarray:
        out = self._rows(x, lambda p: np.array([h(p) for h in self._h]).reshape(self.n, self.n))
        return self._checked(out, "the Hessian")

    @property
    def hess_backend(self) -> str:
        return "numpy-data"


def compile(  # noqa: A001 - symcalc.compile is the public name (DESIGN.md)
    expr: Source | CompiledFunction,
    variables: Variables = None,
    *,
    on_domain_error: str = "warn",
    data: Any = None,
) -> CompiledFunction:
    """Compile f (and, lazily, its gradient and Hessian) into NumPy functions.

    Args:
        expr: anything :func:`symcalc.parse` takes.
        variables: the order of a point's coordinates (default: the free symbols in natural order).
        on_domain_error: ``"warn"`` (a :class:`DomainWarning` when a result is nan or inf), ``"raise"``
            (:class:`DomainError`) or ``"ignore"`` (fastest).
        data: arrays for the ``IndexedBase`` symbols of an objective over data (``{"X": X, "y": y}``); its sums
            over the data are evaluated as vectorised NumPy, never unrolled.

    Example:
        >>> fn = compile("x^2 + 3*y", ["x", "y"])
        >>> fn.grad([2.0, 5.0])
        array([4., 3.])
    """
    if isinstance(expr, CompiledFunction):
        return expr
    e = parse(expr)
    if not isinstance(e, sympy.Expr) or isinstance(e, sympy.Derivative):
        raise SymcalcError("compile takes a scalar expression")
    if data is not None:
        xs = resolve_variables([e], variables) if variables is not None else _non_index_symbols(e)
        return DataFunction(e, xs, data, on_domain_error=on_domain_error)
    xs = resolve_variables([e], variables)
    missing = {s for s in e.free_symbols if isinstance(s, sympy.Symbol)} - set(xs)
    if missing:
        names = ", ".join(sorted(s.name for s in missing))
        raise SymcalcError(
            f"the expression has symbols that are not variables: {names}; give them values first"
        )
    return CompiledFunction(e, xs, on_domain_error=on_domain_error)


def _non_index_symbols(e: sympy.Expr) -> list[sympy.Symbol]:
    from ..variables import natural_order

    bound = {lim[0] for s in e.atoms(sympy.Sum) for lim in s.limits}
    return natural_order(
        s for s in e.free_symbols if isinstance(s, sympy.Symbol) and s not in bound and not s.is_integer
    )


def as_callables(fn: CompiledFunction) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``(f, grad)`` as plain callables, for code that takes callables only."""
    return fn.f, fn.grad
