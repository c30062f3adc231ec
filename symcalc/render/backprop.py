"""Backpropagation traces (forward and backward tables) in text, Markdown, LaTeX and JSON."""

from __future__ import annotations

from typing import Any

import sympy

from .derivation import SCHEMA_VERSION, _escape, _expr, _md_prose
from .notation import latex, number_text, text


def _table_text(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    cells = [tuple(str(c) if not isinstance(c, float) else f"{c:.6g}" for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return [line, "-" * len(line)] + [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells
    ]


def backprop_to_text(t: Any) -> str:
    g = t.graph
    out = [
        f"Backpropagation for {text(g.expr)} at "
        + ", ".join(f"{k} = {number_text(v)}" for k, v in t.at.items()),
        "",
        "Forward pass (each node's value):",
    ]
    out += _table_text(("node", "op", "computes", "value"), list(t.forward_rows))
    out += ["", "Local derivatives (the rule for each operation):"]
    local_rows = [
        (
            n.name,
            n.op,
            ", ".join(
                f"d{n.name}/d{g.nodes[i].name} = {f}"
                for i, f in zip(n.inputs, n.local, strict=True)
                if g.nodes[i].op != "const"
            ),
        )
        for n in g.nodes
        if n.inputs
    ]
    out += _table_text(("node", "op", "local derivatives"), local_rows)
    out += ["", "Backward pass (adjoints, output first; a node used twice collects both contributions):"]
    out += _table_text(("node", "from", "update", "adjoint so far"), list(t.backward_rows))
    out += [""]
    for x, gv, sv, cv in zip(t.wrt, t.gradient, t.symbolic, t.compiled, strict=True):
        out.append(f"∂f/∂{text(x)}: backprop {gv:.15g}, symbolic {sv:.15g}, compiled {cv:.15g}")
    verdict = "matches" if t.matches else "DOES NOT match"
    out.append(
        f"The backprop gradient {verdict} the symbolic gradient (max relative error {t.max_rel_error:.2g})."
    )
    c = t.operation_counts
    out.append(
        f"Cost: {c['nodes']} nodes, {c['edges']} edges; reverse mode used {c['reverse_mode_multiplies']} "
        f"multiplies for the whole gradient, forward mode would need about "
        f"{c['forward_mode_multiplies_for_full_gradient']} (one pass per variable)."
    )
    return "\n".join(out)


def backprop_to_markdown(t: Any) -> str:
    g = t.graph
    at = ", ".join(f"${latex(sympy.Symbol(k))} = {number_text(v)}$" for k, v in t.at.items())
    out = [
        f"**Backpropagation** for ${latex(g.expr)}$ at {at}",
        "",
        "| node | op | value | local derivatives | adjoint |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n in g.nodes:
        local = ", ".join(
            f"`d{n.name}/d{g.nodes[i].name} = {f}`" for i, f in zip(n.inputs, n.local, strict=True)
        )
        out.append(
            f"| {_md_prose(n.name)} | {_md_prose(n.op)} | {t.values[n.id]:.6g} | {local} | "
            f"{t.adjoints.get(n.id, 0.0):.6g} |"
        )
    out.append("")
    for x, gv, sv in zip(t.wrt, t.gradient, t.symbolic, strict=True):
        out.append(rf"- $\frac{{\partial f}}{{\partial {latex(x)}}}$: backprop {gv:.12g}, symbolic {sv:.12g}")
    verdict = "matches" if t.matches else "does NOT match"
    out.append(
        f"- The backprop gradient {verdict} the symbolic gradient (max relative error {t.max_rel_error:.2g})."
    )
    return "\n".join(out) + "\n"


def backprop_to_latex(t: Any) -> str:
    g = t.graph
    rows = [
        rf"{_escape(n.name)} & {_escape(n.op)} & {t.values[n.id]:.6g} & {t.adjoints.get(n.id, 0.0):.6g} \\"
        for n in g.nodes
    ]
    grads = [
        rf"\item $\frac{{\partial f}}{{\partial {latex(x)}}}$: backprop {gv:.12g}, symbolic {sv:.12g}"
        for x, gv, sv in zip(t.wrt, t.gradient, t.symbolic, strict=True)
    ]
    return (
        "\n".join(
            [
                rf"\noindent\textbf{{Backpropagation}} for ${latex(g.expr)}$:",
                r"\begin{tabular}{llrr}",
                r"node & op & value & adjoint \\ \hline",
                *rows,
                r"\end{tabular}",
                r"\begin{itemize}",
                *grads,
                r"\end{itemize}",
            ]
        )
        + "\n"
    )


def backprop_to_dict(t: Any) -> dict[str, Any]:
    g = t.graph
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "backprop",
        "expr": _expr(g.expr),
        "at": t.at,
        "wrt": [str(x) for x in t.wrt],
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "op": n.op,
                "rule": n.rule,
                "inputs": list(n.inputs),
                "local": list(n.local),
                "value": t.values[n.id],
                "adjoint": t.adjoints.get(n.id, 0.0),
            }
            for n in g.nodes
        ],
        "gradient": t.gradient.tolist(),
        "symbolic": t.symbolic.tolist(),
        "compiled": t.compiled.tolist(),
        "max_rel_error": t.max_rel_error,
        "operation_counts": t.operation_counts,
    }
