r"""A dense Hessian without its n² symbolic entries: forward mode over the gradient's shared graph.

The symbolic Hessian of a dense function swells: log-sum-exp at n = 100 has 10,000 entries, each an expression
of size n, and deriving, converting and compiling them took minutes. Here the (numerically stable) gradient
is split once into its common subexpressions, the *nodes* (``sympy.cse``). Each node, and each gradient
component, is differentiated only *locally*, by the variables and the earlier nodes it names: small
expressions, their size independent of n. Those local partials are written in terms of the nodes' values,
which one compiled kernel computes; the Hessian is then the chain rule carried forward through the graph, each
node with its row of partial derivatives by the n variables (its tangent):

.. math:: t_k = \sum_i \frac{\partial e_k}{\partial x_i}\, \mathbf{e}_i
              + \sum_{j<k} \frac{\partial e_k}{\partial s_j}\, t_j,
   \qquad H_{m,:} = t_{g_m}\ \text{(the tangent of the m-th gradient component)}.

The work and memory grow as (size of the gradient's graph) x n: n² for a dense problem, where the symbolic
Hessian costs n³. Two ways to carry the tangents:

- ``"graph-llvm"`` (at most :data:`LLVM_MAX_ENTRIES` non-zero entries): the tangents are built symbolically in
  SymEngine (each entry a short expression of node values, such as ``g_i - g_i g_j``) and compiled by LLVM
  together, taking the node values as extra inputs: at n = 10 a batch costs a fraction of hand-written NumPy;
- ``"graph-numpy"`` (larger): the local partials alone are compiled (as many outputs as the graph has edges),
  and the tangents are carried numerically, a level of the graph at a time, each level one matrix product
  with the tangents below it: no symbolic work grows with n², and no code is generated.

Which path a compiled function uses is decided by :func:`symcalc.numeric.compile.CompiledFunction._hess`: a
sparse Hessian (Rosenbrock's, tridiagonal) is cheapest as symbolic entries, a dense one here.

Example:
    >>> import numpy as np, sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> f = sympy.log(sympy.exp(x) + sympy.exp(y))
    >>> kernel = GraphHessian([f.diff(x), f.diff(y)], [x, y])
    >>> kernel(np.array([[0.0, 0.0]])).round(3)
    array([[[ 0.25, -0.25],
            [-0.25,  0.25]]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from .compile import _Kernel, _symengine_ready, _to_engine

__all__ = ["LLVM_MAX_ENTRIES", "GraphHessian", "nonzero_entries"]

#: Past this many non-zero Hessian entries, the tangents are carried by generated NumPy code instead of LLVM
#: (an LLVM compile of 10,000 entries takes seconds; NumPy needs none).
LLVM_MAX_ENTRIES = 400


def nonzero_entries(gradient: Sequence[sympy.Expr], variables: Sequence[sympy.Symbol]) -> int:
    """How many Hessian entries can be non-zero: each gradient component by the variables it contains."""
    names = {v for v in variables}
    return sum(len(g.free_symbols & names) for g in gradient)


class GraphHessian:
    """The Hessian of the function whose gradient is ``gradient``: ``(n,) -> (n, n)``, ``(m, n) -> (m, n, n)``.

    ``gradient`` holds the n components as SymPy expressions (already in their numerically stable form) and
    ``variables`` the n symbols, in the order of a point's coordinates. ``backend`` tells which path was taken
    (``"graph-llvm"`` or ``"graph-numpy"``, see the module).
    """

    def __init__(
        self,
        gradient: Sequence[sympy.Expr],
        variables: Sequence[sympy.Symbol],
    ) -> None:
        self.n = n = len(variables)
        self.variables = tuple(variables)
        nodes, outputs = _graph(gradient)
        self._node_symbols = [s for s, _e in nodes]
        full = _in_variables(nodes)
        self._values = _values_kernel(nodes, full, self.variables) if nodes else None
        partials = _local_partials(nodes, full, set(self.variables))
        entries = sum(len(p) for p in partials.values())  # a rough size before any tangent is built
        ready = all(_symengine_ready(d) for row in partials.values() for d in row.values())
        if ready and nonzero_entries(gradient, variables) <= LLVM_MAX_ENTRIES and entries < 50 * n + 500:
            self._apply = self._llvm(partials, outputs)
            self.backend = "graph-llvm"
        else:
            self._apply = self._numpy(partials, outputs)
            self.backend = "graph-numpy"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch = x if x.ndim == 2 else x.reshape(1, -1)
        if batch.shape[0] == 0:
            return np.empty((0, self.n, self.n))
        if self._values is None:  # a constant gradient: no node to evaluate
            node_values = np.empty((batch.shape[0], 0))
        else:
            node_values = self._values(batch).reshape(batch.shape[0], -1)
        out = self._apply(batch, node_values)
        return out if x.ndim == 2 else out[0]

    # -- the two ways to carry the tangents --------------------------------------------------------------
    def _llvm(
        self, partials: dict[sympy.Symbol, dict[sympy.Symbol, sympy.Expr]], outputs: list[sympy.Expr]
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        import symengine as se

        index = {v: i for i, v in enumerate(self.variables)}
        inputs = [se.Symbol(f"_symcalc_input_{i}") for i in range(self.n)]
        node_inputs = {s: se.Symbol(f"_symcalc_node_{k}") for k, s in enumerate(self._node_symbols)}
        rename = {se.Symbol(v.name): inputs[i] for i, v in enumerate(self.variables)}
        rename |= {se.Symbol(s.name): node_inputs[s] for s in self._node_symbols}
        keys = [(s, d) for s, row in partials.items() for d in row]
        engine = _to_engine([partials[s][d] for s, d in keys]) if keys else []
        local = {key: e.xreplace(rename) for key, e in zip(keys, engine, strict=True)}
        tangents: dict[sympy.Symbol, dict[int, Any]] = {}
        for s in self._node_symbols:
            tangent: dict[int, Any] = {}
            for d in partials.get(s, {}):
                c = local[(s, d)]
                if d in index:
                    tangent[index[d]] = tangent.get(index[d], 0) + c
                else:
                    for i, t in tangents.get(d, {}).items():
                        tangent[i] = tangent.get(i, 0) + c * t
            tangents[s] = tangent
        flat: list[Any] = []
        for g in outputs:
            row = _tangent_of(g, tangents, index)
            flat += [row.get(i, se.Integer(0)) for i in range(self.n)]
        kernel = se.Lambdify([*inputs, *node_inputs.values()], flat, backend="llvm", cse=True, real=True)
        n = self.n

        def apply(x: np.ndarray, node_values: np.ndarray) -> np.ndarray:
            both = np.ascontiguousarray(np.concatenate([x, node_values], axis=1))
            if both.shape[0] == 0:
                return np.empty((0, n, n))
            return np.asarray(kernel(both), dtype=np.float64).reshape(x.shape[0], n, n)

        return apply

    def _numpy(
        self, partials: dict[sympy.Symbol, dict[sympy.Symbol, sympy.Expr]], outputs: list[sympy.Expr]
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """Tangents carried numerically, a level of the graph at a time: the local partials are compiled once
        (one kernel, as many outputs as the graph has edges), and each level's tangents are one matrix product
        with the tangents of the levels below."""
        keys = [(s, d) for s in self._node_symbols for d in partials.get(s, {})]
        slot = {key: k for k, key in enumerate(keys)}
        local = (
            _Kernel(
                [*self.variables, *self._node_symbols],
                [partials[s][d] for s, d in keys],
                llvm=len(keys) <= LLVM_MAX_ENTRIES,
            )
            if keys
            else None
        )
        plan = _levels(self._node_symbols, partials, self.variables, slot)
        position = {s: k for k, s in enumerate(self._node_symbols)}
        index = {v: i for i, v in enumerate(self.variables)}
        n, nodes = self.n, len(self._node_symbols)
        widest = max((level.chain_slots.size for level in plan), default=0)
        chunk = max(1, TANGENT_BYTES // (8 * n * (max(1, nodes) + widest)))

        def apply(x: np.ndarray, node_values: np.ndarray) -> np.ndarray:
            out = np.zeros((x.shape[0], n, n))
            for start in range(0, x.shape[0], chunk):
                part = slice(start, start + chunk)
                out[part] = carry(x[part], node_values[part])
            return out

        def carry(x: np.ndarray, node_values: np.ndarray) -> np.ndarray:
            m = x.shape[0]
            with np.errstate(all="ignore"):
                values = (
                    local(np.concatenate([x, node_values], axis=1)).reshape(m, -1)
                    if local is not None
                    else np.zeros((m, 0))
                )
                tangents = np.zeros((m, nodes, n))
                for level in plan:
                    block = np.zeros((m, len(level.rows), n))
                    if level.direct_slots.size:
                        block[:, level.direct_rows, level.direct_columns] = values[:, level.direct_slots]
                    if level.chain_slots.size:
                        # each edge adds its weight times the tangent below; the edges come sorted by row, so one
                        # reduceat sums each row's
                        terms = values[:, level.chain_slots, None] * tangents[:, level.chain_parents]
                        block[:, level.chain_targets] += np.add.reduceat(terms, level.chain_starts, axis=1)
                    tangents[:, level.rows] = block
            hessian = np.zeros((m, n, n))
            for row, g in enumerate(outputs):
                if g in position:
                    hessian[:, row] = tangents[:, position[g]]
                elif g in index:
                    hessian[:, row, index[g]] = 1.0
            return hessian

        return apply


#: Memory the numerically carried tangents of one batch may take; a larger batch is done in parts.
TANGENT_BYTES = 64 * 2**20


@dataclass(frozen=True)
class _Level:
    """The nodes of one depth of the graph and where their local partials go: by a variable (a column of the
    tangent) or by a node below (a weight on that node's tangent)."""

    rows: np.ndarray
    direct_rows: np.ndarray
    direct_columns: np.ndarray
    direct_slots: np.ndarray
    chain_parents: np.ndarray
    chain_slots: np.ndarray
    chain_targets: np.ndarray
    chain_starts: np.ndarray


def _levels(
    nodes: list[sympy.Symbol],
    partials: dict[sympy.Symbol, dict[sympy.Symbol, sympy.Expr]],
    variables: Sequence[sympy.Symbol],
    slot: dict[tuple[sympy.Symbol, sympy.Symbol], int],
) -> list[_Level]:
    """The graph's nodes grouped by depth (a node is one deeper than the deepest node it names)."""
    position = {s: k for k, s in enumerate(nodes)}
    index = {v: i for i, v in enumerate(variables)}
    depth: dict[sympy.Symbol, int] = {}
    for s in nodes:
        depth[s] = 1 + max((depth[d] for d in partials.get(s, {}) if d in position), default=0)
    plan = []
    for level in sorted(set(depth.values())):
        members = [s for s in nodes if depth[s] == level]
        direct = [
            (r, index[d], slot[(s, d)]) for r, s in enumerate(members) for d in partials[s] if d in index
        ]
        chain = [
            (r, position[d], slot[(s, d)])
            for r, s in enumerate(members)
            for d in partials[s]
            if d in position
        ]

        def column(items: list[tuple[int, int, int]], k: int) -> np.ndarray:
            return np.array([t[k] for t in items], dtype=np.intp)

        rows = column(chain, 0)  # sorted already: the edges are listed row by row
        targets, starts = np.unique(rows, return_index=True) if rows.size else (rows, rows)
        plan.append(
            _Level(
                np.array([position[s] for s in members], dtype=np.intp),
                column(direct, 0),
                column(direct, 1),
                column(direct, 2),
                column(chain, 1),
                column(chain, 2),
                targets.astype(np.intp),
                starts.astype(np.intp),
            )
        )
    return plan


def _tangent_of(
    g: sympy.Expr, tangents: dict[sympy.Symbol, dict[int, Any]], index: dict[sympy.Symbol, int]
) -> dict[int, Any]:
    """The row of the Hessian for one gradient component: a node's tangent, a variable's unit row, or 0."""
    if g in tangents:
        return tangents[g]
    if g in index:
        import symengine as se

        return {index[g]: se.Integer(1)}
    return {}


# -- the graph ------------------------------------------------------------------------------------------


def _graph(gradient: Sequence[sympy.Expr]) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """The nodes ``(symbol, definition in earlier nodes)``, every gradient component among them, and the
    outputs: for each component its node's symbol (or the constant or variable it is)."""
    fresh = sympy.numbered_symbols("_symcalc_node_", real=True)
    replacements, reduced = sympy.cse(list(gradient), symbols=fresh, order="none")
    nodes = list(replacements)
    outputs: list[sympy.Expr] = []
    for r in reduced:
        if r.is_Atom:
            outputs.append(r)  # a constant, a variable, or a node already
            continue
        s = next(fresh)
        nodes.append((s, r))
        outputs.append(s)
    return nodes, outputs


def _in_variables(nodes: list[tuple[sympy.Symbol, sympy.Expr]]) -> dict[sympy.Symbol, sympy.Expr]:
    """Each node's definition written out in the variables (sharing the earlier nodes' objects)."""
    full: dict[sympy.Symbol, sympy.Expr] = {}
    for s, e in nodes:
        used = {t: full[t] for t in e.free_symbols if t in full}
        full[s] = e.xreplace(used) if used else e
    return full


def _values_kernel(
    nodes: list[tuple[sympy.Symbol, sympy.Expr]],
    full: dict[sympy.Symbol, sympy.Expr],
    variables: Sequence[sympy.Symbol],
) -> _Kernel:
    """One kernel for every node's value. Each definition is converted to SymEngine on its own (small) and
    then given the earlier nodes' SymEngine forms, which it shares: converting the written-out forms instead
    would walk a shared log-sum-exp of n arguments once per node, n² work."""
    import symengine as se

    exprs = [full[s] for s, _e in nodes]
    if not all(_symengine_ready(e) for _s, e in nodes):
        return _Kernel(variables, exprs, llvm=True)
    engine: dict[Any, Any] = {}
    for s, e in nodes:
        (form,) = _to_engine([e])
        names = [se.Symbol(t.name) for t in e.free_symbols]
        earlier = {t: engine[t] for t in names if t in engine}
        engine[se.Symbol(s.name)] = form.xreplace(earlier) if earlier else form
    return _Kernel(variables, exprs, llvm=True, engine=list(engine.values()))


def _local_partials(
    nodes: list[tuple[sympy.Symbol, sympy.Expr]],
    full: dict[sympy.Symbol, sympy.Expr],
    variables: set[sympy.Symbol],
) -> dict[sympy.Symbol, dict[sympy.Symbol, sympy.Expr]]:
    """For each node, its partial derivatives by the variables and the earlier nodes it names, written in the
    nodes' values wherever a node's definition reappears (the derivative of ``exp(u)`` is the node itself)."""
    known = {s for s, _e in nodes}
    # every node's value is computed before any partial: a partial may name any node, later ones included
    by_definition: dict[sympy.Expr, sympy.Symbol] = {e: s for s, e in nodes}
    by_definition |= {full[s]: s for s, _e in nodes}
    partials: dict[sympy.Symbol, dict[sympy.Symbol, sympy.Expr]] = {}
    for s, e in nodes:
        row: dict[sympy.Symbol, sympy.Expr] = {}
        for d, c in sorted(
            _partials(e, variables | known).items(), key=lambda item: sympy.default_sort_key(item[0])
        ):
            if c != 0:
                row[d] = _in_nodes(c, by_definition)
        partials[s] = row
    return partials


def _partials(e: sympy.Expr, wanted: set[sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr]:
    """The partial derivatives of ``e`` by each wanted symbol it contains, in time linear in its size: a sum
    term by term, a function of distinct symbols (a log-sum-exp of n arguments) through its ``fdiff``, where
    ``sympy.diff`` by each of n symbols would walk all n arguments each time."""
    if e.is_Add:
        out: dict[sympy.Symbol, sympy.Expr] = {}
        for term in e.args:
            for d, c in _partials(term, wanted).items():
                out[d] = out[d] + c if d in out else c
        return out
    coefficient, rest = e.as_coeff_Mul()
    if coefficient != 1 and rest is not e:
        return {d: coefficient * c for d, c in _partials(rest, wanted).items()}
    args = e.args
    if (
        isinstance(e, sympy.Function)
        and len(args) > 1
        and all(a.is_Symbol for a in args)
        and len(set(args)) == len(args)
    ):
        try:
            return {a: e.fdiff(k + 1) for k, a in enumerate(args) if a in wanted}
        except (sympy.ArgumentIndexError, NotImplementedError, TypeError):
            pass
    return {d: sympy.diff(e, d) for d in e.free_symbols & wanted}


def _in_nodes(e: sympy.Expr, by_definition: dict[sympy.Expr, sympy.Symbol]) -> sympy.Expr:
    """``e`` with every earlier node's definition (in nodes or written out) replaced by the node, to a fixed
    point: ``exp(x_k - lse(x))`` becomes ``exp(x_k - s0)``, then the node ``g_k`` of that exponential."""
    for _ in range(8):
        again = e.xreplace(by_definition)
        if again == e:
            return e
        e = again
    return e
