"""Objectives over data: sums over an index, lowered to vectorised NumPy instead of unrolled or looped.

A lambdified ``Sum`` is a Python loop (0.03 s per gradient component at m = 1e5). Here each ``Sum(term, (i,
lo, hi))`` whose term reads data through ``IndexedBase`` symbols (``X[i]``, ``X[i, j]``, ``y[i]``) becomes
``numpy.sum`` of the term evaluated on whole columns at once; the sum's count ``m`` takes the data's length.

Example:
    >>> import numpy as np, sympy
    >>> w, b = sympy.symbols("w b", real=True)
    >>> i, m = sympy.Symbol("i", integer=True), sympy.Symbol("m", integer=True, positive=True)
    >>> X, y = sympy.IndexedBase("X"), sympy.IndexedBase("y")
    >>> mse = sympy.Sum((w * X[i] + b - y[i]) ** 2, (i, 1, m)) / m
    >>> f = lower_data(mse, [w, b], {"X": np.array([1.0, 2.0]), "y": np.array([2.0, 4.0])})
    >>> f(np.array([2.0, 0.0]))
    0.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..errors import SymcalcError

__all__ = ["lower_data"]


def _column_symbol(ix: sympy.Indexed) -> sympy.Symbol:
    extra = "_".join(str(k) for k in ix.indices[1:])
    return sympy.Symbol(f"__data_{ix.base.label}_{extra}", real=True)


def lower_data(
    expr: sympy.Expr, variables: Sequence[sympy.Symbol], data: Mapping[str, Any]
) -> Callable[[np.ndarray], float]:
    """A function of a point (the variables' values) that evaluates ``expr`` with every data sum vectorised."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise SymcalcError(f"the data arrays have different lengths: {sorted(lengths)}")
    (m,) = lengths
    sums: list[tuple[sympy.Symbol, Callable[..., Any], list[Any]]] = []
    replaced: dict[sympy.Basic, sympy.Symbol] = {}
    for k, s in enumerate(expr.atoms(sympy.Sum)):
        term, limits = s.function, s.limits
        if len(limits) != 1:
            raise SymcalcError("only single sums over the data are supported")
        index, lo, hi = limits[0]
        columns: dict[sympy.Indexed, sympy.Symbol] = {}
        values: list[Any] = []
        for ix in term.atoms(sympy.Indexed):
            name = str(ix.base.label)
            if name not in arrays:
                raise SymcalcError(f"no data given for {name}")
            if ix.indices[0] != index:
                raise SymcalcError(f"{ix} is not indexed by the sum's index {index}")
            col = (
                arrays[name]
                if len(ix.indices) == 1
                else arrays[name][(slice(None), *map(int, ix.indices[1:]))]  # type: ignore[arg-type]
            )
            columns[ix] = _column_symbol(ix)
            values.append(col)
        body = term.xreplace(columns)
        if body.has(index):
            raise SymcalcError(f"the sum's index {index} is used outside the data in {term}")
        fn = sympy.lambdify([*variables, *columns.values()], body, modules="numpy")
        placeholder = sympy.Symbol(f"__sum_{k}", real=True)
        replaced[s] = placeholder
        sums.append((placeholder, fn, values))
        count = hi - lo + 1
        if not count.free_symbols and int(count) != m:
            raise SymcalcError(f"the sum runs over {count} terms but the data has {m} rows")
    outer = expr.xreplace(replaced)
    outer = outer.subs({sym: m for sym in outer.free_symbols if sym.is_integer and sym not in variables})
    outer_fn = sympy.lambdify([*variables, *[p for p, _f, _v in sums]], outer, modules="numpy")

    def evaluate(x: np.ndarray) -> float:
        point = list(np.asarray(x, dtype=np.float64).reshape(-1))
        # a value outside the domain is reported once, as a DomainWarning, by the compiled function
        with np.errstate(all="ignore"):
            totals = [float(np.sum(np.broadcast_to(f(*point, *vals), (m,)))) for _p, f, vals in sums]
            return float(outer_fn(*point, *totals))

    return evaluate
