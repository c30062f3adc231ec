r"""From the chain rule to backpropagation: the computational graph of an expression, its forward and backward
passes, and forward mode for comparison, each shown as a table and checked against the symbolic gradient.

``graph(expr)`` turns the expression into a DAG, one node per operation, a shared subexpression once. Each node
knows its operation, its inputs and its local derivatives (tied to the rule catalogue: the local derivative of
``sin`` is the sine rule's formula). ``backprop(expr, at)`` runs the forward pass (each node's value), then the
backward pass (each node's adjoint: the sum over the nodes that use it of their adjoint times the local
derivative) in the order a framework runs them, and compares the gradient with the symbolic one.

Example:
    >>> import symcalc as sc
    >>> t = sc.backprop("(sigmoid(w*x + b) - y)^2", {"w": 0.5, "b": 0.1, "x": 2, "y": 1})
    >>> t.matches
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from ..errors import SymcalcError, UnsupportedError
from ..functions import relu, sigmoid, softplus
from ..numeric.compile import DomainError
from ..parse import Source, parse

__all__ = [
    "BackpropTrace",
    "ComputationalGraph",
    "ForwardModeTrace",
    "Node",
    "backprop",
    "examples",
    "forward_mode",
    "graph",
]


def _sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


# op name -> (rule id, value f(a), local derivative f'(a, y) given the input a and the output y)
_UNARY: dict[type, tuple[str, str, Any, Any]] = {
    sympy.sin: ("sin", "sin", math.sin, lambda a, y: math.cos(a)),
    sympy.cos: ("cos", "cos", math.cos, lambda a, y: -math.sin(a)),
    sympy.tan: ("tan", "tan", math.tan, lambda a, y: 1.0 + y * y),
    sympy.exp: ("exp", "exp", math.exp, lambda a, y: y),
    sympy.log: ("ln", "ln", math.log, lambda a, y: 1.0 / a),
    sympy.tanh: ("tanh", "tanh", math.tanh, lambda a, y: 1.0 - y * y),
    sympy.sinh: ("sinh", "sinh", math.sinh, lambda a, y: math.cosh(a)),
    sympy.cosh: ("cosh", "cosh", math.cosh, lambda a, y: math.sinh(a)),
    sympy.atan: ("atan", "atan", math.atan, lambda a, y: 1.0 / (1.0 + a * a)),
    sympy.asin: ("asin", "asin", math.asin, lambda a, y: 1.0 / math.sqrt(1.0 - a * a)),
    sympy.Abs: ("abs", "abs", abs, lambda a, y: float(np.sign(a))),
    sigmoid: ("sigmoid", "sigmoid", _sig, lambda a, y: y * (1.0 - y)),
    softplus: (
        "softplus",
        "softplus",
        lambda a: math.log1p(math.exp(-abs(a))) + max(a, 0.0),
        lambda a, y: _sig(a),
    ),
    relu: ("relu", "relu", lambda a: max(a, 0.0), lambda a, y: 1.0 if a > 0 else 0.0),
    sympy.asinh: ("asinh", "asinh", math.asinh, lambda a, y: 1.0 / math.sqrt(a * a + 1.0)),
    sympy.acos: ("acos", "acos", math.acos, lambda a, y: -1.0 / math.sqrt(1.0 - a * a)),
    sympy.cot: ("cot", "cot", lambda a: 1.0 / math.tan(a), lambda a, y: -(1.0 + y * y)),
    sympy.sec: ("sec", "sec", lambda a: 1.0 / math.cos(a), lambda a, y: y * math.tan(a)),
    sympy.csc: ("csc", "csc", lambda a: 1.0 / math.sin(a), lambda a, y: -y / math.tan(a)),
    sympy.acot: (
        "acot",
        "acot",
        lambda a: math.atan(1.0 / a) if a != 0 else math.pi / 2,  # SymPy's acot(0) = pi/2
        lambda a, y: -1.0 / (1.0 + a * a),
    ),
    sympy.sech: ("sech", "sech", lambda a: 1.0 / math.cosh(a), lambda a, y: -y * math.tanh(a)),
    sympy.csch: ("csch", "csch", lambda a: 1.0 / math.sinh(a), lambda a, y: -y / math.tanh(a)),
    sympy.coth: ("coth", "coth", lambda a: 1.0 / math.tanh(a), lambda a, y: 1.0 - y * y),
}


@dataclass(frozen=True)
class Node:
    """One operation of the graph. ``inputs`` are node ids; ``local`` the local derivative formulas (text)."""

    id: int
    op: str
    expr: sympy.Expr
    inputs: tuple[int, ...]
    rule: str
    local: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class ComputationalGraph:
    """The expression as a DAG: ``.nodes`` in topological order (inputs first, the output last)."""

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    nodes: tuple[Node, ...]

    @property
    def output(self) -> int:
        return self.nodes[-1].id

    def users(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i].append(n.id)
        return out

    def to_dot(
        self, values: Mapping[int, float] | None = None, adjoints: Mapping[int, float] | None = None
    ) -> str:
        """Graphviz DOT text (needs no Graphviz to produce); values and adjoints on the nodes when given."""
        lines = [
            "digraph computational_graph {",
            "  rankdir=LR;",
            '  node [shape=box, fontname="monospace"];',
        ]
        for n in self.nodes:
            label = f"{n.name}: {n.op}"
            if values is not None:
                label += f"\\nvalue = {values[n.id]:.6g}"
            if adjoints is not None:
                label += f"\\nadjoint = {adjoints.get(n.id, 0.0):.6g}"
            shape = ", shape=ellipse" if n.op in ("input", "const") else ""
            lines.append(f'  n{n.id} [label="{label}"{shape}];')
        for n in self.nodes:
            for k, i in enumerate(n.inputs):
                lines.append(f'  n{i} -> n{n.id} [label="{n.local[k]}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_figure(
        self,
        values: Mapping[int, float] | None = None,
        adjoints: Mapping[int, float] | None = None,
        save: Any = None,
    ) -> Any:
        """A matplotlib Figure of the graph (extra ``plot``): inputs on the left, the output on the right, one
        column per depth, each node a box with its operation, its value and its adjoint; constants are written
        into the operation that uses them. The figure grows with the graph, so boxes never overlap."""
        from ..plotting import _figure, _save

        shown = [n for n in self.nodes if n.op != "const"]
        depth: dict[int, int] = {}
        for n in self.nodes:
            inputs = [depth[i] for i in n.inputs if self.nodes[i].op != "const"]
            depth[n.id] = 1 + max(inputs, default=-1)
        users = self.users()
        for n in reversed(shown):  # every node sits just left of its first user, so edges stay short
            if users.get(n.id):
                depth[n.id] = min(depth[u] for u in users[n.id]) - 1
        layers: dict[int, list[int]] = {}
        for n in shown:
            layers.setdefault(depth[n.id], []).append(n.id)
        y: dict[int, float] = {}
        # each column ordered by where its neighbours sit (inputs by their first user), which keeps edges short
        for d in sorted(layers, reverse=True):
            near = {nid: [y[u] for u in users.get(nid, []) if u in y] for nid in layers[d]}
            mean = {nid: -sum(v) / len(v) if v else 0.0 for nid, v in near.items()}
            ids = sorted(layers[d], key=mean.__getitem__) if d < max(layers) else layers[d]
            for k, nid in enumerate(ids):
                y[nid] = (len(ids) - 1) / 2 - k
        tallest = max(len(ids) for ids in layers.values())
        fig = _figure()
        fig.set_size_inches(1.0 + 1.7 * (max(layers) - min(layers) + 1), 0.6 + 0.95 * tallest)
        ax = fig.add_axes((0, 0, 1, 1))
        boxes = {}
        for n in shown:
            consts = [sympy.sstr(self.nodes[i].expr) for i in n.inputs if self.nodes[i].op == "const"]
            label = n.name
            if n.op != "input":
                label = f"{n.name} = {n.op}" + (f" ({', '.join(consts)})" if consts else "")
            if values is not None:
                label += f"\nvalue {values[n.id]:.4g}"
            if adjoints is not None:
                label += f"\nadjoint {adjoints.get(n.id, 0.0):.4g}"
            boxes[n.id] = ax.text(
                depth[n.id],
                y[n.id],
                label,
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.4", "fc": "lightblue" if n.op == "input" else "lightyellow"},
            )
        for n in shown:
            for i in n.inputs:
                if i in boxes:
                    ax.annotate(
                        "",
                        xy=(depth[n.id], y[n.id]),
                        xytext=(depth[i], y[i]),
                        arrowprops={
                            "arrowstyle": "->",
                            "color": "0.45",
                            "patchA": boxes[i].get_bbox_patch(),
                            "patchB": boxes[n.id].get_bbox_patch(),
                            "shrinkA": 3,
                            "shrinkB": 3,
                        },
                    )
        ax.set_xlim(min(layers) - 0.6, max(layers) + 0.6)
        ax.set_ylim(-(tallest - 1) / 2 - 0.6, (tallest - 1) / 2 + 0.6)
        ax.axis("off")
        return _save(fig, save)

    def _table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        names = {n.id: n.name or f"v{n.id}" for n in self.nodes}
        rows: list[tuple[str, ...]] = [
            (
                names[n.id],
                n.op,
                sympy.sstr(n.expr),
                ", ".join(names[i] for i in n.inputs),
                ", ".join(
                    f"d{names[n.id]}/d{names[i]} = {d}" for i, d in zip(n.inputs, n.local, strict=False)
                ),
            )
            for n in self.nodes
        ]
        header: tuple[str, ...] = ("node", "operation", "expression", "inputs", "local derivatives")
        return header, rows

    def _repr_markdown_(self) -> str:
        header, rows = self._table()
        out = [
            f"**Computational graph** of ${sympy.latex(self.expr)}$: {len(self.nodes)} nodes, inputs first",
            "",
            "| " + " | ".join(header) + " |",
            "|" + " --- |" * len(header),
        ]
        out += ["| " + " | ".join(f"`{c}`" if c else "" for c in row) + " |" for row in rows]
        return "\n".join(out) + "\n"

    def _repr_html_(self) -> str:
        from html import escape

        header, rows = self._table()
        head = "".join(f"<th>{escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>"
            + "".join(f"<td style='text-align:left'><code>{escape(c)}</code></td>" for c in row)
            + "</tr>"
            for row in rows
        )
        title = f"<p><b>Computational graph</b> of <code>{escape(sympy.sstr(self.expr))}</code></p>"
        return f"{title}<table><tr>{head}</tr>{body}</table>"


def _local_texts(e: sympy.Expr, names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(e, sympy.Add):
        return tuple("1" for _ in names)
    if isinstance(e, sympy.Mul):
        return tuple("*".join(m for j, m in enumerate(names) if j != i) or "1" for i in range(len(names)))
    if isinstance(e, sympy.Pow):
        a, b = names
        return (f"{b}*{a}^({b}-1)", f"{a}^{b}*ln({a})")
    rule = _UNARY[type(e)][0]
    from ..derive.steps import CATALOGUE

    return (CATALOGUE[rule].formula_text.split("=", 1)[1].strip().replace("x", names[0]),)


def graph(expr: Source, variables: Sequence[str | sympy.Symbol] | None = None) -> ComputationalGraph:
    """The computational graph of an expression: one node per operation, shared subexpressions once.

    Example:
        >>> g = graph("sin(x*y) + x*y")
        >>> [n.op for n in g.nodes]
        ['input', 'input', 'mul', 'sin', 'add']
    """
    from ..variables import resolve_variables

    e = parse(expr)
    if e.has(sympy.Sum):
        e = e.doit()
    if e.has(sympy.Sum, sympy.Indexed):
        raise UnsupportedError(
            "give the data values first: a Sum over data must be expanded to build the graph"
        )
    xs = resolve_variables([e], variables)
    ids: dict[sympy.Expr, int] = {}
    nodes: list[Node] = []
    for x in xs:
        ids[x] = len(nodes)
        nodes.append(Node(len(nodes), "input", x, (), "variable", (), str(x)))
    stack: list[tuple[sympy.Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if node in ids:
            continue
        if node.is_Number or node.is_NumberSymbol:
            ids[node] = len(nodes)
            nodes.append(Node(len(nodes), "const", node, (), "constant", (), sympy.sstr(node)))
            continue
        if isinstance(node, sympy.Symbol):
            raise SymcalcError(f"{node} has no value: list it among the variables")
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args) if a not in ids)
            continue
        op = _op_name(node)
        inputs = tuple(ids[a] for a in node.args)
        names = [nodes[i].name for i in inputs]
        ids[node] = len(nodes)
        nodes.append(
            Node(len(nodes), op, node, inputs, _rule(node), _local_texts(node, names), f"v{len(nodes)}")
        )
    return ComputationalGraph(e, tuple(xs), tuple(nodes))


def _op_name(e: sympy.Expr) -> str:
    if isinstance(e, sympy.Add):
        return "add"
    if isinstance(e, sympy.Mul):
        return "mul"
    if isinstance(e, sympy.Pow):
        return "pow"
    if type(e) in _UNARY:
        return _UNARY[type(e)][1]
    raise UnsupportedError(f"backprop has no local derivative for {type(e).__name__}")


def _rule(e: sympy.Expr) -> str:
    return {"add": "sum", "mul": "product", "pow": "power"}.get(_op_name(e), _UNARY.get(type(e), ("",))[0])


def _where(g: ComputationalGraph, at: Mapping[str, float]) -> str:
    """The point, as a person writes it: ``w = 0.5, x = 2``."""
    return ", ".join(f"{x} = {at[str(x)]:.15g}" for x in g.variables if str(x) in at)


def _forward_values(g: ComputationalGraph, at: Mapping[str, float]) -> dict[int, float]:
    """Each node's value; a node that has none at this point is a :class:`DomainError` that names it."""
    values: dict[int, float] = {}
    for n in g.nodes:
        if n.op == "input":
            if str(n.expr) not in at:
                raise SymcalcError(f"no value given for {n.expr}")
            values[n.id] = float(at[str(n.expr)])
        elif n.op == "const":
            try:
                values[n.id] = float(n.expr)
            except (TypeError, ValueError):  # zoo, nan or I: a constant that is no real number
                raise DomainError(f"the constant {sympy.sstr(n.expr)} is not a real number") from None
        else:
            a = [values[i] for i in n.inputs]
            overflow = False
            try:
                value = _apply(n, a)
            except OverflowError:
                value, overflow = math.inf, True
            except (ValueError, ZeroDivisionError, TypeError):  # outside the domain, or a complex value
                value = math.nan
            if overflow or math.isinf(value):  # the inputs are finite: a pole raises, so inf is an overflow
                raise DomainError(
                    f"node {n.name} = {sympy.sstr(n.expr)} is too large for a float at {_where(g, at)} "
                    "(it overflows)"
                )
            if not math.isfinite(value):
                raise DomainError(
                    f"the function is not defined at {_where(g, at)}, so neither is its derivative: "
                    f"node {n.name} = {sympy.sstr(n.expr)} is not a real number there (outside its domain)"
                )
            values[n.id] = value
    return values


def _apply(n: Node, a: list[float]) -> float:
    if n.op == "add":
        return math.fsum(a)
    if n.op == "mul":
        return math.prod(a)
    if n.op == "pow":
        return float(a[0] ** a[1])
    return float(_UNARY[type(n.expr)][2](a[0]))


def _local(compute: Any) -> float:
    """One local derivative, or nan where it has no finite real value (sqrt at 0, asin at 1)."""
    try:
        value = compute()
        return float(value) if not isinstance(value, complex) else math.nan
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


def _locals(n: Node, a: list[float], y: float) -> list[float]:
    """The local derivatives of node ``n`` by each of its inputs at the input values ``a`` (output ``y``)."""
    if n.op == "add":
        return [1.0] * len(a)
    if n.op == "mul":
        return [_local(lambda i=i: math.prod(a[:i] + a[i + 1 :])) for i in range(len(a))]
    if n.op == "pow":
        base, expo = a
        d_base = _local(lambda: expo * base ** (expo - 1)) if expo != 0 else 0.0
        d_exp = _local(lambda: y * math.log(base)) if base > 0 else 0.0
        return [d_base, d_exp]
    return [_local(lambda: _UNARY[type(n.expr)][3](a[0], y))]


@dataclass(frozen=True)
class BackpropTrace:
    """The forward and backward passes, the gradient (in ``wrt`` order), and its check."""

    graph: ComputationalGraph
    at: dict[str, float]
    wrt: tuple[sympy.Symbol, ...]
    values: dict[int, float]
    adjoints: dict[int, float]
    forward_rows: tuple[tuple[str, str, str, float], ...]
    backward_rows: tuple[tuple[str, str, str, float], ...]
    gradient: np.ndarray
    symbolic: np.ndarray
    compiled: np.ndarray
    max_rel_error: float
    operation_counts: dict[str, int] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return self.max_rel_error <= 1e-12

    def to_text(self) -> str:
        from ..render import backprop_to_text

        return backprop_to_text(self)

    def to_markdown(self) -> str:
        from ..render import backprop_to_markdown

        return backprop_to_markdown(self)

    def to_latex(self) -> str:
        from ..render import backprop_to_latex

        return backprop_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render import backprop_to_dict

        return backprop_to_dict(self)

    def to_dot(self) -> str:
        return self.graph.to_dot(self.values, self.adjoints)

    def to_figure(self, save: Any = None) -> Any:
        return self.graph.to_figure(self.values, self.adjoints, save)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return self.to_text()


_AT_HINT = "(give each symbol a value as name=number, e.g. w=0.5,b=0.1)"


def _number(name: str, value: Any) -> float:
    """``value`` as a finite float, or a :class:`SymcalcError` that quotes ``name=value``."""
    text = value.strip() if isinstance(value, str) else str(value)
    try:
        number = float(text if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not text:
        raise SymcalcError(f"{name}=: the value is missing {_AT_HINT}")
    if not math.isfinite(number):
        raise SymcalcError(f"{name}={text}: {text} is not a finite number {_AT_HINT}")
    return number


def _resolve_at(at: Mapping[str, Any] | str) -> dict[str, float]:
    """``{"w": 0.5, ...}`` or ``"w=0.5,b=0.1"`` as ``{name: finite float}``; a name given twice is an error."""
    pairs: list[tuple[str, Any]] = []
    if isinstance(at, str):
        for part in at.split(","):
            if not part.strip():
                continue
            name, eq, value = part.partition("=")
            if not eq or not name.strip():
                raise SymcalcError(f"{part.strip()}: expected name=value {_AT_HINT}")
            pairs.append((name.strip(), value))
    elif isinstance(at, Mapping):
        pairs = [(str(k), v) for k, v in at.items()]
    else:
        raise SymcalcError(f"expected a mapping or a string of name=value pairs, got {type(at).__name__}")
    out: dict[str, float] = {}
    for name, value in pairs:
        if name in out:
            raise SymcalcError(f"{name} has two values {_AT_HINT}")
        out[name] = _number(name, value)
    return out


def _read_name(name: str, known: set[str]) -> str:
    """``name`` as the parser reads a symbol (``θ`` is ``theta``), or as given when it is no single symbol."""
    if name in known:
        return name
    try:
        read = parse(name)
    except SymcalcError:
        return name
    return read.name if isinstance(read, sympy.Symbol) else name


def _as_parsed(values: dict[str, float], symbols: Any) -> dict[str, float]:
    """The names in ``at`` read as the expression's were: ``θ=1`` gives theta its value, as ``θ`` in the input."""
    known = {str(s) for s in symbols}
    out: dict[str, float] = {}
    for name, value in values.items():
        key = _read_name(name, known)
        if key in out:
            raise SymcalcError(f"{key} has two values {_AT_HINT}")
        out[key] = value
    return out


def backprop(
    expr: Source, at: Mapping[str, Any] | str, wrt: Sequence[str | sympy.Symbol] | str | None = None
) -> BackpropTrace:
    """Reverse-mode differentiation shown step by step: forward pass, backward pass, gradient, and its check.

    ``at`` gives a value for every symbol (``{"w": 0.5, ...}`` or ``"w=0.5,b=0.1"``); ``wrt`` the symbols to
    differentiate by (default: all of them).
    """
    from ..numeric.compile import compile as compile_

    e = parse(expr)
    at_values = _as_parsed(_resolve_at(at), e.free_symbols)
    names = sorted(str(s) for s in e.free_symbols)
    missing = [n for n in names if n not in at_values]
    if missing:
        raise SymcalcError(f"no value given for {', '.join(missing)} (every symbol needs one in --at)")
    from ..variables import natural_order

    allsyms = natural_order(s for s in e.free_symbols if isinstance(s, sympy.Symbol))
    g = graph(e, allsyms)
    if isinstance(wrt, str):
        wrt = [w for w in wrt.replace(",", " ").split() if w]
    if wrt is not None:
        if not wrt:
            raise SymcalcError("wrt names no symbol: leave it out to differentiate by every symbol")
        known = {s.name for s in allsyms}
        wrt = [_read_name(str(w), known) for w in wrt]
        for w in wrt:
            if w not in known:
                raise SymcalcError(
                    f"{w} is not a symbol of the expression (its symbols are {', '.join(map(str, allsyms))})"
                )
    targets = [s for s in allsyms if wrt is None or s.name in set(wrt)]
    values = _forward_values(g, at_values)
    forward_rows = tuple(
        (
            n.name,
            n.op if n.op != "input" else "input",
            sympy.sstr(n.expr)
            if n.op in ("input", "const")
            else f"{n.op}({', '.join(g.nodes[i].name for i in n.inputs)})",
            values[n.id],
        )
        for n in g.nodes
    )
    adjoints: dict[int, float] = {g.output: 1.0}
    backward_rows: list[tuple[str, str, str, float]] = [(g.nodes[-1].name, "seed", "d out/d out = 1", 1.0)]
    mults = 0
    for n in reversed(g.nodes):
        if not n.inputs or n.id not in adjoints:
            continue
        a = [values[i] for i in n.inputs]
        local = _locals(n, a, values[n.id])
        for k, i in enumerate(n.inputs):
            if g.nodes[i].op == "const":
                continue
            if not math.isfinite(local[k]):
                raise DomainError(
                    f"the derivative does not exist at {_where(g, at_values)}: node {n.name} = "
                    f"{sympy.sstr(n.expr)} has the local derivative d{n.name}/d{g.nodes[i].name} = {n.local[k]}, "
                    "which is not finite there"
                )
            contribution = adjoints[n.id] * local[k]
            if not math.isfinite(contribution):
                raise DomainError(
                    f"the derivative is too large for a float at {_where(g, at_values)}: the adjoint of node "
                    f"{g.nodes[i].name} overflows"
                )
            mults += 1
            adjoints[i] = adjoints.get(i, 0.0) + contribution
            backward_rows.append(
                (
                    g.nodes[i].name,
                    f"from {n.name}",
                    f"+= adjoint({n.name}) * {n.local[k]} = {adjoints[n.id]:.6g} * {local[k]:.6g}",
                    adjoints[i],
                )
            )
    index = {x: k for k, x in enumerate(g.variables)}
    grad = np.array([adjoints.get(index[x], 0.0) for x in targets])
    point = {s: sympy.Float(at_values[s.name], 30) for s in allsyms}
    from ..functions import lower

    symbolic = np.array([_real(lower(sympy.diff(e, x)).evalf(30, subs=point)) for x in targets])
    fn = compile_(e, allsyms, on_domain_error="ignore")
    full = fn.grad(np.array([at_values[s.name] for s in allsyms]))
    compiled = np.array([full[allsyms.index(x)] for x in targets])
    scale = np.maximum(np.abs(symbolic), 1e-300)
    rel = float(np.max(np.abs(grad - symbolic) / np.maximum(scale, 1.0))) if len(grad) else 0.0
    edges = sum(len(n.inputs) for n in g.nodes)
    counts = {
        "nodes": len(g.nodes),
        "edges": edges,
        "reverse_mode_multiplies": mults,
        "forward_mode_multiplies_for_full_gradient": edges * len(targets),
    }
    return BackpropTrace(
        g,
        at_values,
        tuple(targets),
        values,
        adjoints,
        forward_rows,
        tuple(backward_rows),
        grad,
        symbolic,
        compiled,
        rel,
        counts,
    )


def _real(value: sympy.Expr) -> float:
    """A SymPy number as a float; nan when it is not a real number (then the trace does not match)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class ForwardModeTrace:
    """A Jacobian-vector product by forward mode: each node's value and tangent, and the result grad f . v."""

    graph: ComputationalGraph
    direction: np.ndarray
    tangents: dict[int, float]
    result: float
    gradient_dot_direction: float
    multiplies: int

    def _repr_markdown_(self) -> str:
        rows = [
            f"| `{n.name or f'v{n.id}'}` | `{n.op}` | `{sympy.sstr(n.expr)}` | {self.tangents[n.id]:.6g} |"
            for n in self.graph.nodes
        ]
        v = np.array2string(self.direction, precision=6)
        return (
            "\n".join(
                [
                    f"**Forward mode** along v = `{v}`: the tangent of each node, inputs first",
                    "",
                    "| node | operation | expression | tangent |",
                    "| --- | --- | --- | --- |",
                    *rows,
                    "",
                    f"Result: {self.result:.10g}; the gradient dotted with v gives {self.gradient_dot_direction:.10g} "
                    f"({self.multiplies} multiplications).",
                ]
            )
            + "\n"
        )


def forward_mode(expr: Source, at: Mapping[str, Any] | str, direction: Sequence[float]) -> ForwardModeTrace:
    """Forward mode: push the tangent ``direction`` (one entry per variable, natural order) through the graph.

    Example:
        >>> t = forward_mode("x*y + sin(x)", {"x": 1.0, "y": 2.0}, [1.0, 0.0])
        >>> round(t.result, 10) == round(t.gradient_dot_direction, 10)
        True
    """
    bp = backprop(expr, at)
    g = bp.graph
    try:
        v = np.asarray(direction, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        v = np.array([math.nan])
    if not np.all(np.isfinite(v)):
        raise SymcalcError(f"the direction must be finite numbers, one per variable, got {direction!r}")
    if len(v) != len(g.variables):
        raise SymcalcError(
            f"the direction has {len(v)} entries; the variables are {[str(x) for x in g.variables]}"
        )
    tangents: dict[int, float] = {}
    mults = 0
    for n in g.nodes:
        if n.op == "input":
            tangents[n.id] = float(v[list(g.variables).index(n.expr)])
        elif n.op == "const":
            tangents[n.id] = 0.0
        else:
            local = _locals(n, [bp.values[i] for i in n.inputs], bp.values[n.id])
            tangents[n.id] = math.fsum(  # a constant input has tangent 0, whatever its local derivative
                lk * tangents[i] for lk, i in zip(local, n.inputs, strict=True) if g.nodes[i].op != "const"
            )
            mults += len(n.inputs)
    return ForwardModeTrace(g, v, tangents, tangents[g.output], float(bp.symbolic @ v), mults)


def examples() -> dict[str, tuple[str, dict[str, float]]]:
    """ML examples that work out of the box: ``{name: (expression, a point)}``.

    * ``neuron``: one sigmoid neuron with squared loss;
    * ``logistic_regression``: the logistic loss over a small stored data set (written as a sum over it);
    * ``two_layer``: a two-layer network with tanh on 2 inputs, squared loss.
    """
    data = [(0.5, 1.0, 1), (-1.0, 0.5, 0), (1.5, -0.5, 1), (-0.5, -1.5, 0)]
    logistic = " + ".join(
        f"-{y}*ln(sigmoid(w1*{a} + w2*{b} + b)) - {1 - y}*ln(1 - sigmoid(w1*{a} + w2*{b} + b))"
        for a, b, y in data
    )
    return {
        "neuron": ("(sigmoid(w*x + b) - y)^2", {"w": 0.5, "b": 0.1, "x": 2.0, "y": 1.0}),
        "logistic_regression": (logistic, {"w1": 0.3, "w2": -0.2, "b": 0.1}),
        "two_layer": (
            "(v1*tanh(a11*x1 + a12*x2 + c1) + v2*tanh(a21*x1 + a22*x2 + c2) + d - t)^2",
            {
                "a11": 0.1,
                "a12": -0.2,
                "a21": 0.3,
                "a22": 0.4,
                "c1": 0.0,
                "c2": 0.1,
                "v1": 0.5,
                "v2": -0.6,
                "d": 0.05,
                "x1": 1.0,
                "x2": -1.0,
                "t": 0.5,
            },
        ),
    }
