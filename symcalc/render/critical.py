"""Critical points and Lagrange multipliers in text, Markdown, LaTeX and JSON."""

from __future__ import annotations

from typing import Any

import sympy

from .derivation import SCHEMA_VERSION, _escape, _expr
from .multivariable import _matrix_text


def _point_text(point: Any) -> str:
    return "(" + ", ".join(f"{k} = {sympy.sstr(v)}" for k, v in point.items()) + ")"


def _content_text(content: Any) -> str:
    if hasattr(content, "result") and hasattr(content, "variables"):
        return _matrix_text(content.result)
    if isinstance(content, list | tuple):
        return "[" + ", ".join(_content_text(c) for c in content) + "]" if content else "none"
    if isinstance(content, sympy.Basic):
        return sympy.sstr(content)
    return str(content)


def critical_to_text(c: Any) -> str:
    out = [f"Critical points of {sympy.sstr(c.expr)} (variables {', '.join(map(str, c.variables))})."]
    for k, (label, content) in enumerate(c.lines, 1):
        out.append(f"{k}. {label}: {_content_text(content)}")
    if c.points:
        out.append("Answer:")
        for p in c.points:
            exact = "" if p.exact else " (numeric)"
            out.append(f"  {_point_text(p.point)}{exact}: {p.kind}, f = {sympy.sstr(p.value)}")
    else:
        out.append(
            "Answer: no isolated critical points" + (" (see the infinite families)" if c.infinite else "")
        )
    for fam in c.families:
        out.append(f"  infinitely many: {fam.description}")
    for nd in c.nondifferentiable:
        out.append(f"  not differentiable at {_point_text(nd.point)}: {nd.kind} ({nd.reason})")
    return "\n".join(out)


def critical_to_markdown(c: Any) -> str:
    out = [f"**Critical points** of ${sympy.latex(c.expr)}$", ""]
    for k, (label, content) in enumerate(c.lines, 1):
        out.append(f"{k}. {label}: `{_content_text(content)}`")
    out.append("")
    out.append("| point | kind | f | test |")
    out.append("| --- | --- | --- | --- |")
    for p in c.points:
        out.append(
            f"| ${sympy.latex(tuple(p.coords))}$ | {p.kind} | ${sympy.latex(p.value)}$ | {p.test}: {p.reason} |"
        )
    for fam in c.families:
        out.append(f"| infinitely many: {fam.description} | {fam.kind} | | |")
    return "\n".join(out) + "\n"


def critical_to_latex(c: Any) -> str:
    rows = [
        rf"${sympy.latex(tuple(p.coords))}$ & {_escape(p.kind)} & ${sympy.latex(p.value)}$ \\"
        for p in c.points
    ]
    return (
        "\n".join(
            [
                rf"\noindent\textbf{{Critical points}} of ${sympy.latex(c.expr)}$:",
                r"\begin{tabular}{lll}",
                r"point & kind & $f$ \\ \hline",
                *rows,
                r"\end{tabular}",
            ]
        )
        + "\n"
    )


def critical_to_dict(c: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "critical_points",
        "expr": _expr(c.expr),
        "variables": [str(v) for v in c.variables],
        "exact": c.exact,
        "infinite": c.infinite,
        "method": c.method,
        "points": [
            {
                "point": {str(k): _expr(v) for k, v in p.point.items()},
                "value": _expr(p.value),
                "kind": p.kind,
                "exact": p.exact,
                "eigenvalues": list(p.eigenvalues),
                "test": p.test,
                "reason": p.reason,
            }
            for p in c.points
        ],
        "families": [{"description": f.description, "kind": f.kind} for f in c.families],
        "nondifferentiable": [
            {"point": {str(k): _expr(v) for k, v in n.point.items()}, "kind": n.kind, "reason": n.reason}
            for n in c.nondifferentiable
        ],
        "lines": [{"label": label, "content": _content_text(content)} for label, content in c.lines],
    }


def lagrange_to_text(r: Any) -> str:
    out = [
        f"Extrema of {sympy.sstr(r.objective)} subject to "
        + ", ".join(f"{sympy.sstr(g)} = 0" for g in r.constraints)
        + "."
    ]
    for k, (label, content) in enumerate(r.lines, 1):
        out.append(f"{k}. {label}: {_content_text(content)}")
    for p in r.points:
        lams = ", ".join(sympy.sstr(m) for m in p.multipliers)
        out.append(
            f"  {_point_text(p.point)}: f = {sympy.sstr(p.value)}, lambda = {lams}: {p.kind}; "
            f"bordered Hessian: {p.local} ({p.reason})"
        )
    out.append(
        "Maximum: "
        + (
            "none"
            if not r.maximum
            else f"{sympy.sstr(r.maximum[0].value)} at " + ", ".join(_point_text(p.point) for p in r.maximum)
        )
    )
    out.append(
        "Minimum: "
        + (
            "none"
            if not r.minimum
            else f"{sympy.sstr(r.minimum[0].value)} at " + ", ".join(_point_text(p.point) for p in r.minimum)
        )
    )
    out.extend(f"Note: {n}" for n in r.notes)
    return "\n".join(out)


def lagrange_to_dict(r: Any) -> dict[str, Any]:
    def pt(p: Any) -> dict[str, Any]:
        return {
            "point": {str(k): _expr(v) for k, v in p.point.items()},
            "value": _expr(p.value),
            "multipliers": [_expr(m) for m in p.multipliers],
            "kind": p.kind,
        }

    return {
        "schema_version": SCHEMA_VERSION,
        "type": "lagrange",
        "objective": _expr(r.objective),
        "constraints": [_expr(g) for g in r.constraints],
        "variables": [str(v) for v in r.variables],
        "lagrangian": _expr(r.lagrangian),
        "points": [pt(p) for p in r.points],
        "maximum": None if r.maximum is None else [pt(p) for p in r.maximum],
        "minimum": None if r.minimum is None else [pt(p) for p in r.minimum],
        "notes": list(r.notes),
    }


# -- backpropagation ------------------------------------------------------------------------------------
