r"""Objectives over data: a sum over the rows of a data set, evaluated as a few array operations.

An objective over data is a ``Sum`` over an index whose term reads data columns (``X[i]``, ``X[i, k]``,
``y[i]`` on ``IndexedBase`` symbols), or the text a student types: ``"mean((w*x + b - y)^2)"`` with
``data={"x": x, "y": y}``. In text, ``mean(...)`` and ``sum(...)`` run over the rows, a name in ``data`` is a
column (its value on the current row), and a 2-D array ``X`` of shape ``(m, k)`` gives the columns ``X1, ...,
Xk``. ``mean``/``sum`` exist only where data is given.

How it is evaluated (the way a NumPy programmer writes it by hand):

1. The data is read once into float64 arrays (same length, finite, checked).
2. In each term, every *linear predictor* (a sum of parameters times data, such as ``w1 x1 + ... + b - y``) is
   replaced by a per-row quantity :math:`L = A\theta + c`, computed with one matrix-vector product.
3. The term is differentiated by the chain rule through the predictors, in a handful of scalar symbols:
   :math:`\nabla \sum_i t_i = \sum_j A_j^\top t_{L_j}` and the Hessian is
   :math:`\sum_{j,l} A_j^\top (t_{L_j L_l} \cdot A_l)` (plus the parts where parameters enter directly).
   For the logistic loss that is ``X.T @ (p - y)`` and ``X.T @ (d * X)``.
4. All per-row quantities one call needs are evaluated together on whole columns (one ``lambdify`` with
   common subexpressions shared), in the numerically stable forms of :mod:`symcalc.numeric.compile`.

Example:
    >>> import numpy as np
    >>> import symcalc as sc
    >>> x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 7.0])
    >>> fn = sc.compile("mean((w*x + b - y)^2)", ["w", "b"], data={"x": x, "y": y})
    >>> fn.f([2.0, 1.0]), fn.grad([0.0, 0.0])
    (0.0, array([-22.66666667, -10.        ]))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..errors import SymcalcError
from ..functions import softplus
from ..parse import parse
from .compile import (
    _NUMERIC_EXTRAS,
    CompiledFunction,
    _LogSumExp,
    _require_numpy_functions,
    _stable,
)

__all__ = ["DataFunction", "parse_over_data", "read_data"]

#: The aggregates of the text form: ``mean(...)`` and ``sum(...)`` over the rows of the data.
_AGGREGATE = re.compile(r"(?<![A-Za-z0-9_])(mean|sum)\s*\(")
#: Probe values for a per-row quantity (a predictor or a parameter): ordinary ones and ones that overflow.
_PROBE = np.array([-1e4, -800.0, -30.0, -1.5, 0.0, 0.7, 2.0, 30.0, 800.0, 1e4])


# -- the data --------------------------------------------------------------------------------------------


def read_data(data: Any) -> dict[str, np.ndarray]:
    """The data as float64 arrays of one length, each 1-D (a column) or 2-D (columns side by side).

    Raises:
        SymcalcError: naming the array at fault: not numbers, not 1-D or 2-D, empty, of another length, or
            with a nan or an infinity.

    Example:
        >>> read_data({"x": [1, 2], "y": [3.0, 4.0]})["x"]
        array([1., 2.])
    """
    if not isinstance(data, Mapping) or not data:
        raise SymcalcError("data= takes a mapping of column names to arrays, such as {'x': x, 'y': y}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in data.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise SymcalcError(f"a data column is named by a plain name such as 'x' or 'y1'; got {name!r}")
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise SymcalcError(f"the data {name} is not an array of real numbers ({err})") from None
        if arr.ndim not in (1, 2):
            raise SymcalcError(
                f"the data {name} has shape {arr.shape}: a column is 1-D (m,), several columns 2-D (m, k)"
            )
        if arr.shape[0] == 0:
            raise SymcalcError(f"the data {name} is empty")
        bad = ~np.isfinite(arr)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise SymcalcError(f"the data {name} is not finite (nan or inf) at row {row}: {arr[row]}")
        arrays[name] = arr
    lengths = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise SymcalcError(f"the data arrays have different lengths ({listed}): each row is one example")
    return arrays


# -- the text form -----------------------------------------------------------------------------------------


def _columns_of(arrays: Mapping[str, np.ndarray]) -> dict[str, tuple[str, int | None]]:
    """Column name in text -> (array, column of a 2-D array or None)."""
    columns: dict[str, tuple[str, int | None]] = {}
    for name, arr in arrays.items():
        if arr.ndim == 1:
            columns[name] = (name, None)
    for name, arr in arrays.items():
        if arr.ndim == 2:
            for k in range(arr.shape[1]):
                col = f"{name}{k + 1}"
                if col in columns:
                    raise SymcalcError(
                        f"the column {col} is given twice: as data {col} and as column {k + 1} of {name}"
                    )
                columns[col] = (name, k)
    return columns


def _split_aggregates(text: str) -> tuple[str, list[tuple[str, str, int]]]:
    """The text with each ``mean(...)``/``sum(...)`` replaced by a placeholder, and the calls (kind, inside,
    position of the inside)."""
    calls: list[tuple[str, str, int]] = []
    out: list[str] = []
    pos = 0
    while True:
        found = _AGGREGATE.search(text, pos)
        if found is None:
            out.append(text[pos:])
            break
        depth, k = 1, found.end()
        while k < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
        if depth:
            raise SymcalcError(f"{found.group(1)}( at position {found.start()} is never closed")
        inside = text[found.end() : k - 1]
        if _AGGREGATE.search(inside):
            raise SymcalcError(f"{found.group(1)}(...) inside another mean(...) or sum(...) is not supported")
        out.append(text[pos : found.start()] + f"(symcalcrows{len(calls)})")
        calls.append((found.group(1), inside, found.end()))
        pos = k
    return "".join(out), calls


def parse_over_data(text: str, variables: Any, data: Any) -> sympy.Expr:
    """The text of an objective over data as a ``Sum`` over the rows (the form :class:`DataFunction` takes).

    ``mean(t)`` is ``Sum(t, (i, 1, m)) / m`` and ``sum(t)`` is ``Sum(t, (i, 1, m))``; a column ``x`` reads
    ``x[i]`` and the column ``Xk`` of a 2-D array ``X`` reads ``X[i, k-1]``.

    Example:
        >>> parse_over_data("mean((w*x - y)^2)", ["w"], {"x": [1.0], "y": [2.0]})
        Sum((w*x[i] - y[i])**2, (i, 1, m))/m
    """
    from ..errors import ParseError

    arrays = read_data(data)
    columns = _columns_of(arrays)
    outer_text, calls = _split_aggregates(text)
    if not calls:
        raise SymcalcError(
            "an objective over data needs mean(...) or sum(...) around what is computed on each row, "
            "e.g. mean((w*x + b - y)^2)"
        )
    names = [str(v) for v in (variables or [])] if not isinstance(variables, str) else variables.split()
    placeholders = [f"symcalcrows{k}" for k in range(len(calls))]
    keep = [*names, *columns, *placeholders]
    outer = parse(outer_text, variables=keep)
    index = sympy.Symbol("i", integer=True)
    count = sympy.Symbol("m", integer=True, positive=True)
    taken = {s.name for s in outer.free_symbols} | set(names)
    if "i" in taken or "m" in taken:
        index = sympy.Symbol("i_row", integer=True)
        count = sympy.Symbol("m_rows", integer=True, positive=True)
    used = {s.name for s in outer.free_symbols} & set(columns)
    if used:
        raise SymcalcError(
            f"{', '.join(sorted(used))} is a data column: use it inside mean(...) or sum(...), which run over "
            "the rows"
        )
    bases = {name: sympy.IndexedBase(name, real=True) for name in arrays}
    sums: dict[sympy.Symbol, sympy.Expr] = {}
    for placeholder, (kind, inside, at) in zip(placeholders, calls, strict=True):
        try:
            term = parse(inside, variables=keep)
        except ParseError as err:
            position = None if err.position is None else err.position + at
            raise ParseError(err.reason, text, position) from None
        rows = {
            s: bases[columns[s.name][0]][
                (index,) if columns[s.name][1] is None else (index, columns[s.name][1])
            ]
            for s in term.free_symbols
            if s.name in columns
        }
        if not rows:
            raise SymcalcError(f"{kind}({inside}) reads no data column (the columns: {', '.join(columns)})")
        total = sympy.Sum(term.xreplace(rows), (index, 1, count))
        sums[next(s for s in outer.free_symbols if s.name == placeholder)] = (
            total / count if kind == "mean" else total
        )
    return outer.xreplace(sums)


# -- fast NumPy forms of the stable functions --------------------------------------------------------------


class _Positive(sympy.Function):  # type: ignore[misc]  # SymPy ships no types
    """``max(z, 0)``, printed as ``numpy.maximum`` (SymPy's ``Max`` prints as a slow ``amax`` of a stack)."""

    def _numpycode(self, printer: Any) -> str:
        return f"numpy.maximum({printer._print(self.args[0])}, 0.0)"


class _Log1p(sympy.Function):  # type: ignore[misc]
    def _numpycode(self, printer: Any) -> str:
        return f"numpy.log1p({printer._print(self.args[0])})"


class _Sigmoid(sympy.Function):  # type: ignore[misc]
    """``sigmoid(w)`` from ``u = 1/(1 + exp(-|w|))``, which ``sigmoid(-w)`` and ``softplus(+-w)`` share:
    ``u exp(min(w, 0))``, exact on both sides (``numpy.where`` on a mixed mask costs twice as much)."""

    def _numpycode(self, printer: Any) -> str:
        w, u = (printer._print(a) for a in self.args)
        return f"({u})*numpy.exp(numpy.minimum({w}, 0.0))"


class _Reciprocal1p(sympy.Function):  # type: ignore[misc]
    """``1/(1 + t)``, printed as a division (a power -1.0 costs more)."""

    def _numpycode(self, printer: Any) -> str:
        return f"1.0/(1.0 + {printer._print(self.args[0])})"


def _fast(e: sympy.Expr) -> sympy.Expr:
    """``e`` with softplus and the sigmoid powers ``exp(c softplus(w))`` (c < 0) written for NumPy from shared
    pieces (one exponential per argument), instead of one ``logaddexp`` each (ten times the cost of ``exp``)."""
    if not e.has(softplus):
        return e

    def pieces(w: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
        t = sympy.exp(-sympy.Abs(w))
        return t, _Reciprocal1p(t)

    def walk(node: sympy.Basic) -> sympy.Basic:
        if not node.args:
            return node
        if isinstance(node, sympy.exp):
            c, rest = node.args[0].as_coeff_Mul()
            if isinstance(rest, softplus) and c.is_negative and c.is_Integer:
                w = walk(rest.args[0])
                return _Sigmoid(-w, pieces(w)[1]) ** (-c)
        if isinstance(node, softplus):
            w = walk(node.args[0])
            return _Positive(w) + _Log1p(pieces(w)[0])
        return node.func(*[walk(a) for a in node.args])

    return walk(e)


def _cost(e: sympy.Expr) -> int:
    """What evaluating ``e`` on arrays costs, roughly: operations, a transcendental function counting five."""
    heavy = e.atoms(sympy.exp, sympy.log, _Log1p, _LogSumExp)
    return int(sympy.count_ops(e)) + 4 * len(heavy)


# -- the lowering ----------------------------------------------------------------------------------------


class _Predictor:
    """A linear predictor ``L = A @ theta[cols] + c0`` over the rows (A and c0 data, bound once)."""

    def __init__(self, symbol: sympy.Symbol, coefficients: dict[int, np.ndarray], offset: np.ndarray | float):
        self.symbol = symbol
        self.index = np.array(sorted(coefficients))
        self.A = np.ascontiguousarray(np.stack([coefficients[k] for k in self.index], axis=1))
        self.AT = np.ascontiguousarray(self.A.T)
        self.offset = offset

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.A @ theta[self.index] + self.offset
        return out


class _Lowering:
    """Everything bound once: the columns, the predictors, each sum's term in the per-row symbols."""

    def __init__(self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], arrays: dict[str, np.ndarray]):
        self.variables = tuple(variables)
        self.n = len(self.variables)
        self.arrays = arrays
        self.m = next(iter(arrays.values())).shape[0]
        self.column_values: dict[sympy.Symbol, np.ndarray] = {}
        self.predictors: dict[sympy.Expr, _Predictor] = {}
        self.terms: list[sympy.Expr] = []
        replaced: dict[sympy.Basic, sympy.Symbol] = {}
        sums = sorted(expr.atoms(sympy.Sum), key=sympy.default_sort_key)
        if not sums:
            raise SymcalcError(
                "data= was given but the objective has no sum over the data: write mean(...) or sum(...) in "
                "text, or a sympy.Sum over an index"
            )
        for k, s in enumerate(sums):
            self.terms.append(self._term(s))
            replaced[s] = sympy.Symbol(f"_symcalc_sum_{k}", real=True)
        outer = expr.xreplace(replaced)
        counts = {sym: self.m for sym in outer.free_symbols if sym.is_integer and sym not in self.variables}
        self.outer = outer.subs(counts)
        self.sum_symbols = [replaced[s] for s in sums]
        stray = self.outer.free_symbols - set(self.variables) - set(self.sum_symbols)
        if stray:
            raise SymcalcError(_unknown(stray))
        self.by_symbol = {p.symbol: p for p in self.predictors.values()}
        self.row_symbols = [
            *self.variables,
            *[p.symbol for p in self.predictors.values()],
            *self.column_values,
        ]

    # -- reading a sum -----------------------------------------------------------------------------------
    def _column(self, ix: sympy.Indexed, index: sympy.Symbol) -> sympy.Symbol:
        name = str(ix.base.label)
        if name not in self.arrays:
            raise SymcalcError(f"no data given for {name} (the data: {', '.join(self.arrays)})")
        if ix.indices[0] != index:
            raise SymcalcError(f"{ix} is not indexed by the sum's index {index}")
        arr = self.arrays[name]
        rest = ix.indices[1:]
        if arr.ndim == 1 and rest:
            raise SymcalcError(
                f"{ix} reads a column of {name}, but the data {name} is 1-D, shape {arr.shape}"
            )
        if arr.ndim == 2 and len(rest) != 1:
            raise SymcalcError(
                f"{ix} reads the 2-D data {name} (shape {arr.shape}) as one column: write {name}[{index}, k]"
            )
        if rest and not (rest[0].is_Integer and 0 <= int(rest[0]) < arr.shape[1]):
            raise SymcalcError(
                f"{ix}: the column of {name} must be a whole number from 0 to {arr.shape[1] - 1}"
            )
        symbol = sympy.Symbol(f"_symcalc_col_{name}_{'_'.join(map(str, rest))}", real=True)
        self.column_values[symbol] = arr if not rest else np.ascontiguousarray(arr[:, int(rest[0])])
        return symbol

    def _term(self, s: sympy.Sum) -> sympy.Expr:
        if len(s.limits) != 1 or len(s.limits[0]) != 3:
            raise SymcalcError("only single sums over the data, Sum(term, (i, 1, m)), are supported")
        index, lo, hi = s.limits[0]
        count = hi - lo + 1
        if not count.free_symbols and int(count) != self.m:
            raise SymcalcError(f"the sum runs over {count} terms but the data has {self.m} rows")
        term = s.function
        columns = {ix: self._column(ix, index) for ix in term.atoms(sympy.Indexed)}
        body = term.xreplace(columns)
        if body.has(index):
            raise SymcalcError(f"the sum's index {index} is used outside the data in {term}")
        stray = body.free_symbols - set(self.variables) - set(columns.values())
        if stray:
            raise SymcalcError(_unknown(stray))
        if not body.free_symbols & set(columns.values()):
            raise SymcalcError(f"the sum of {term} reads no data")
        return self._with_predictors(body)

    def _with_predictors(self, body: sympy.Expr) -> sympy.Expr:
        """``body`` with its linear predictors replaced by per-row symbols."""
        thetas = set(self.variables)
        cols = set(self.column_values)

        def linear(t: sympy.Expr) -> sympy.Symbol | None | bool:
            """The parameter of a term ``data * theta``; None for a data-only term; False otherwise."""
            free = t.free_symbols
            if not free & thetas:
                return None if free <= cols else False
            inside = free & thetas
            if len(inside) != 1:
                return False
            (theta,) = inside
            coeff = t / theta
            return theta if not coeff.free_symbols & thetas and coeff.free_symbols <= cols else False

        def walk(e: sympy.Basic) -> sympy.Basic:
            if not e.args:
                return e
            e = e.func(*[walk(a) for a in e.args])
            if not e.is_Add:
                return e
            found = [(t, linear(t)) for t in e.args]
            part = [t for t, kind in found if kind is not False]
            if len(part) < 2 or all(kind is None for _t, kind in found):
                return e
            rest = [t for t, kind in found if kind is False]
            c, prim = sympy.Add(*part).as_content_primitive()
            if prim.could_extract_minus_sign():
                c, prim = -c, -prim
            return sympy.Add(*rest) + c * self._predictor(prim)

        return walk(body)

    def _predictor(self, prim: sympy.Expr) -> sympy.Symbol:
        if prim in self.predictors:
            return self.predictors[prim].symbol
        coefficients: dict[int, np.ndarray] = {}
        offset: Any = 0.0
        for t in sympy.Add.make_args(prim):
            theta = next((v for v in self.variables if t.has(v)), None)
            value = self._evaluate(t if theta is None else t / theta)
            if theta is None:
                offset = offset + value
            else:
                k = self.variables.index(theta)
                coefficients[k] = coefficients.get(k, 0.0) + value
        full = {k: np.broadcast_to(v, (self.m,)).astype(np.float64) for k, v in coefficients.items()}
        symbol = sympy.Symbol(f"_symcalc_L{len(self.predictors)}", real=True)
        self.predictors[prim] = _Predictor(symbol, full, offset)
        return symbol

    def _evaluate(self, data_expr: sympy.Expr) -> np.ndarray:
        cols = sorted(data_expr.free_symbols, key=lambda s: s.name)
        fn = sympy.lambdify(cols, data_expr, modules=[_NUMERIC_EXTRAS, "numpy"])
        with np.errstate(all="ignore"):
            return np.broadcast_to(
                np.asarray(fn(*[self.column_values[c] for c in cols]), dtype=np.float64), (self.m,)
            )

    # -- per-row derivatives ------------------------------------------------------------------------------
    def direct(self, term: sympy.Expr) -> list[tuple[int | None, sympy.Symbol]]:
        """The per-row symbols a term depends on: ``(k, theta_k)`` for a parameter, ``(None, L)`` for a predictor."""
        found: list[tuple[int | None, sympy.Symbol]] = [
            (k, v) for k, v in enumerate(self.variables) if term.has(v)
        ]
        found += [(None, p.symbol) for p in self.predictors.values() if term.has(p.symbol)]
        return found

    def numeric(self, raw: sympy.Expr, memo: dict[sympy.Basic, sympy.Basic]) -> sympy.Expr:
        """The stable, fast form of a per-row quantity: the raw derivative or its factored form, whichever is
        cheaper among those that stay finite wherever the raw one does."""
        best = _fast(_stable(raw, memo))
        if raw.is_number or sympy.count_ops(raw) > 200:
            return best
        try:
            factored = sympy.factor(raw)
        except (sympy.PolynomialError, NotImplementedError, RecursionError):
            return best
        other = _fast(_stable(factored, memo))
        if _cost(other) >= _cost(best) or not self._as_finite(other, best):
            return best
        return other

    def _as_finite(self, candidate: sympy.Expr, reference: sympy.Expr) -> bool:
        """Whether ``candidate`` is finite wherever ``reference`` is, and equal, at probe points."""
        symbols = self.row_symbols
        rows = np.arange(len(_PROBE)) % self.m
        values = [np.roll(_PROBE, k) for k in range(self.n + len(self.predictors))]
        values += [self.column_values[c][rows] for c in self.column_values]
        with np.errstate(all="ignore"):
            got = [
                np.broadcast_to(
                    np.asarray(
                        sympy.lambdify(symbols, e, modules=[_NUMERIC_EXTRAS, "numpy"])(*values),
                        dtype=np.float64,
                    ),
                    _PROBE.shape,
                )
                for e in (candidate, reference)
            ]
        ok = np.isfinite(got[1])
        if not np.all(np.isfinite(got[0][ok])):
            return False
        small = ok & (np.abs(values[0]) <= 30)
        return bool(np.allclose(got[0][small], got[1][small], rtol=1e-9, atol=1e-12))

    def kernel(self, exprs: Sequence[sympy.Expr]) -> Callable[..., list[Any]]:
        _require_numpy_functions(exprs)
        return sympy.lambdify(self.row_symbols, list(exprs), modules=[_NUMERIC_EXTRAS, "numpy"], cse=True)  # type: ignore[no-any-return]

    def row_values(self, theta: np.ndarray) -> list[Any]:
        return [*theta, *[p(theta) for p in self.predictors.values()], *self.column_values.values()]


def _unknown(symbols: set[Any]) -> str:
    names = ", ".join(sorted(str(s) for s in symbols))
    return (
        f"the objective has symbols that are neither variables nor data columns: {names}; list them among the "
        "variables, give them values with constants={...}, or give their data"
    )


def _row_sum(values: Any, m: int) -> float:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.sum()) if arr.ndim else float(arr) * m


class DataFunction(CompiledFunction):
    """A compiled objective over data: the value, gradient and Hessian of its sums as a few array operations.

    Built by :func:`symcalc.compile` with ``data=``; see :mod:`symcalc.numeric.data` for how it is evaluated. A
    batch of points is evaluated point by point. The Hessian is compiled on first use.

    Example:
        >>> import numpy as np, symcalc as sc
        >>> fn = sc.compile("sum((w*x - y)^2)", ["w"], data={"x": np.array([1.0, 2.0]), "y": np.array([2.0, 4.0])})
        >>> fn.hess([0.0])
        array([[10.]])
    """

    def __init__(
        self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], data: Any, *, on_domain_error: str = "warn"
    ) -> None:
        self._setup(expr, variables, on_domain_error, "numpy")
        self.data = data
        self.backend = "numpy-data"
        self._plan = _Lowering(self._lowered, self.variables, read_data(data))
        self._wrt = [self._plan.direct(t) for t in self._plan.terms]
        self._values = [self._plan.numeric(t, self._memo) for t in self._plan.terms]
        self._derivatives = [
            self._plan.numeric(sympy.diff(t, v), self._memo)
            for t, wrt in zip(self._plan.terms, self._wrt, strict=True)
            for _k, v in wrt
        ]
        # where each per-row derivative goes: its parameter, or the predictor's coefficients (A^T, bound once)
        self._targets: list[tuple[int | np.ndarray, np.ndarray | None]] = [
            (k, None) if k is not None else (self._plan.by_symbol[v].index, self._plan.by_symbol[v].AT)
            for wrt in self._wrt
            for k, v in wrt
        ]
        self._kernels: dict[str, Callable[..., list[Any]]] = {}
        self._grams: dict[tuple[sympy.Symbol, sympy.Symbol], np.ndarray] = {}
        sums = self._plan.sum_symbols
        outer = _stable(self._plan.outer, self._memo)
        self._outer_symbols = [*self.variables, *sums]
        self._outer = sympy.lambdify(
            self._outer_symbols,
            [outer, *[sympy.diff(outer, v) for v in self._outer_symbols]],
            modules=[_NUMERIC_EXTRAS, "numpy"],
        )
        self._kernel("fg")  # the value and the gradient now, the Hessian on first use

    def _kernel(self, which: str) -> Callable[..., list[Any]]:
        """The per-row quantities of the value (``"f"``), the gradient (``"g"``) or both (``"fg"``)."""
        if which not in self._kernels:
            exprs = ([*self._values] if "f" in which else []) + ([*self._derivatives] if "g" in which else [])
            self._kernels[which] = self._plan.kernel(exprs)
        return self._kernels[which]

    @cached_property
    def gradient_expr(self) -> sympy.Matrix:
        return sympy.Matrix([sympy.diff(self._lowered, v) for v in self.variables])

    @cached_property
    def hessian_expr(self) -> sympy.Matrix:
        return sympy.Matrix([[sympy.diff(g, v) for v in self.variables] for g in self.gradient_expr])

    # -- one point ---------------------------------------------------------------------------------------
    def _sums_and_grads(self, theta: np.ndarray, which: str = "fg") -> tuple[list[float], list[np.ndarray]]:
        """The sums (``"f"``), their gradients (``"g"``) or both at one point."""
        plan = self._plan
        m = plan.m
        with np.errstate(all="ignore"):
            out = self._kernel(which)(*plan.row_values(theta))
        k = len(plan.terms) if "f" in which else 0
        totals = [_row_sum(v, m) for v in out[:k]]
        grads: list[np.ndarray] = []
        if "g" not in which:
            return totals, grads
        at = k
        targets = iter(self._targets)
        for wrt in self._wrt:
            g = np.zeros(self.n)
            for _ in wrt:
                index, AT = next(targets)
                w = out[at]
                at += 1
                if AT is None:
                    g[index] += _row_sum(w, m)
                else:
                    g[index] += AT @ (w if np.ndim(w) else np.full(m, float(w)))
            grads.append(g)
        return totals, grads

    def _one(self, theta: np.ndarray, which: str = "fg") -> np.ndarray:
        """``[f, *grad]`` at one point; with ``which="g"`` the value is left out (nan) and not computed when the
        outer expression does not need it."""
        needs_totals = "f" in which or self._outer_reads_sums
        mode = which if which != "g" else ("fg" if needs_totals else "g")
        totals, grads = self._sums_and_grads(theta, mode)
        with np.errstate(all="ignore"):
            value, *d = self._outer(*theta, *(totals or [np.nan] * len(grads)))
        if "g" not in which:
            return np.array([float(value)])
        grad = np.array(d[: self.n], dtype=np.float64)
        for ds, g in zip(d[self.n :], grads, strict=True):
            grad += float(ds) * g
        return np.concatenate([[float(value) if needs_totals else np.nan], grad])

    @cached_property
    def _outer_mixes(self) -> bool:
        """Whether the outer expression has second derivatives in a sum (a mean or a sum has none)."""
        sums = self._plan.sum_symbols
        return any(sympy.diff(self._plan.outer, s, v) != 0 for s in sums for v in self._outer_symbols)

    @cached_property
    def _outer_reads_sums(self) -> bool:
        """Whether the outer expression's derivatives depend on the sums' values (not for a mean or a sum)."""
        sums = set(self._plan.sum_symbols)
        return any(sympy.diff(self._plan.outer, v).free_symbols & sums for v in self._outer_symbols)

    # -- the Hessian -------------------------------------------------------------------------------------
    @cached_property
    def _hess_plan(self) -> tuple[Callable[..., list[Any]], list[list[tuple[Any, Any]]], Callable[..., Any]]:
        plan = self._plan
        pairs: list[list[tuple[Any, Any]]] = []
        exprs = []
        for t, wrt in zip(plan.terms, self._wrt, strict=True):
            these = []
            for a, (ka, va) in enumerate(wrt):
                for kb, vb in wrt[a:]:
                    these.append(((ka, va), (kb, vb)))
                    exprs.append(plan.numeric(sympy.diff(t, va, vb), self._memo))
            pairs.append(these)
        outer = _stable(plan.outer, self._memo)
        symbols = self._outer_symbols
        second = sympy.lambdify(
            symbols,
            [sympy.diff(outer, a, b) for a in symbols for b in symbols],
            modules=[_NUMERIC_EXTRAS, "numpy"],
        )
        return plan.kernel(exprs), pairs, second

    def _block(self, side: tuple[Any, Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """The parameters a per-row symbol moves and its coefficients (None: the parameter itself)."""
        index, symbol = side
        if index is not None:
            return np.array([index]), None
        p = self._plan.by_symbol[symbol]
        return p.index, p.A

    def _one_hess(self, theta: np.ndarray) -> np.ndarray:
        plan = self._plan
        kernel, pairs, second = self._hess_plan
        n, m = self.n, plan.m
        mode = "fg" if self._outer_reads_sums else ("g" if self._outer_mixes else "")
        totals, grads = self._sums_and_grads(theta, mode) if mode else ([], [np.zeros(n) for _ in pairs])
        if not totals:
            totals = [np.nan] * len(grads)
        with np.errstate(all="ignore"):
            out = kernel(*plan.row_values(theta))
            _value, *d = self._outer(*theta, *totals)
            dd = np.asarray(second(*theta, *totals), dtype=np.float64).reshape(len(self._outer_symbols), -1)
        H = dd[:n, :n].copy()
        at = 0
        for s, these in enumerate(pairs):
            Hs = np.zeros((n, n))
            for left, right in these:
                w = np.broadcast_to(np.asarray(out[at], dtype=np.float64), (m,))
                constant = np.ndim(out[at]) == 0
                at += 1
                ia, A = self._block(left)
                ib, B = self._block(right)
                if constant and A is not None and B is not None:
                    # a per-row weight that is a number: A^T B is data only, computed once
                    key = (left[1], right[1])
                    if key not in self._grams:
                        self._grams[key] = A.T @ B
                    block = float(w[0]) * self._grams[key]
                elif A is None and B is None:
                    block = np.array([[w.sum()]])
                elif A is None:
                    block = (w @ B)[None, :]  # type: ignore[operator]
                elif B is None:
                    block = (w @ A)[:, None]
                else:
                    block = A.T @ (w[:, None] * B)
                Hs[np.ix_(ia, ib)] += block
                if left != right:
                    Hs[np.ix_(ib, ia)] += block.T
            gs = grads[s]
            j = n + s
            H += float(d[j]) * Hs + np.outer(dd[:n, j], gs) + np.outer(gs, dd[j, :n])
            for r, gr in enumerate(grads):
                H += dd[j, n + r] * np.outer(gs, gr)
        return H

    # -- the public calls --------------------------------------------------------------------------------
    def _rows(self, x: Any, one: Callable[[np.ndarray], np.ndarray], width: tuple[int, ...]) -> np.ndarray:
        arr = self._point(x)
        if arr.ndim == 1:
            return one(arr)
        if len(arr) == 0:
            return np.empty((0, *width))
        return np.stack([one(row) for row in arr])

    def value_and_grad(self, x: Any) -> tuple[float | np.ndarray, np.ndarray]:
        out = self._checked(self._rows(x, self._one, (self.n + 1,)), "f or its gradient")
        value = out[..., 0]
        return (float(value) if out.ndim == 1 else value), out[..., 1:]

    def _value_and_grad_at(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        out = self._one(x)
        return float(out[0]), out[1:]

    def f(self, x: Any) -> float | np.ndarray:
        out = self._rows(x, lambda p: self._one(p, "f"), (1,))
        value = self._checked(out, "f")[..., 0]
        return float(value) if out.ndim == 1 else value

    __call__ = f

    def grad(self, x: Any) -> np.ndarray:
        return self._checked(self._rows(x, lambda p: self._one(p, "g")[1:], (self.n,)), "the gradient")

    def hess(self, x: Any) -> np.ndarray:
        return self._checked(self._rows(x, self._one_hess, (self.n, self.n)), "the Hessian")

    @property
    def hess_backend(self) -> str:
        return "numpy-data"

    def __reduce__(self) -> tuple[Any, ...]:
        from .compile import _load

        return (_load, (self.expr, self.variables, self.on_domain_error, "numpy", self.constants, self.data))

    def _display_rows(self) -> list[tuple[str, str]]:
        shapes = ", ".join(f"{k}: {np.shape(v)}" for k, v in self.data.items())
        return [("data", shapes), *super()._display_rows()]
