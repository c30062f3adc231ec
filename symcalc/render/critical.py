"""Critical points and Lagrange multipliers in text, Markdown, LaTeX and JSON.

The worked lines of a search are ``(label, content)`` pairs: the label is prose, the content an expression, a
list of them (equations set to 0, points), a gradient, or prose. Each format writes the content in its own
notation; numbers that came from data (a long fraction) print as decimals.
"""

from __future__ import annotations

from typing import Any

import sympy

from .derivation import SCHEMA_VERSION, _escape, _expr, _md_prose
from .multivariable import _bmatrix_learner
from .notation import latex, text

__all__ = [
    "critical_to_dict",
    "critical_to_latex",
    "critical_to_markdown",
    "critical_to_text",
    "lagrange_to_dict",
    "lagrange_to_latex",
    "lagrange_to_markdown",
    "lagrange_to_text",
]


def _point_text(point: Any) -> str:
    return "(" + ", ".join(f"{text(k)} = {text(v)}" for k, v in point.items()) + ")"


def _point_latex(point: Any) -> str:
    return r"\left(" + ", ".join(f"{latex(k)} = {latex(v)}" for k, v in point.items()) + r"\right)"


def _is_equation_list(label: str) -> bool:
    return "set every partial derivative to 0" in label or "stationary system" in label


def _content(content: Any, fmt: str, label: str = "") -> str:
    """A line's content in a format: ``text``, or ``math`` (LaTeX without the dollars), or prose."""
    show = text if fmt == "text" else latex
    if hasattr(content, "result") and hasattr(content, "variables"):
        return text(content.result) if fmt == "text" else _bmatrix_learner(content.result)
    if isinstance(content, list | tuple):
        if not content:
            return "none"
        if _is_equation_list(label) and all(isinstance(c, sympy.Expr) for c in content):
            return ", ".join(show(sympy.Eq(c, 0, evaluate=False)) for c in content)
        parts = [show(sympy.Tuple(*c)) if isinstance(c, tuple) else show(c) for c in content]
        return ", ".join(parts)
    if isinstance(content, sympy.Basic):
        return show(content)
    return str(content)


def _is_math(content: Any) -> bool:
    if isinstance(content, list | tuple):
        return bool(content)
    return isinstance(content, sympy.Basic) or (hasattr(content, "result") and hasattr(content, "variables"))


def _lines(c: Any) -> list[tuple[str, Any]]:
    """The worked lines, without the per-point "classify" lines (the answer lists the points with their test)."""
    return [(label, content) for label, content in c.lines if not label.startswith("classify ")]


def critical_to_text(c: Any) -> str:
    out = [f"Critical points of {text(c.expr)} (variables {', '.join(text(v) for v in c.variables)})."]
    k = 0
    for label, content in _lines(c):
        k += 1
        out.append(f"{k}. {label}: {_content(content, 'text', label)}")
    for p in c.points:
        k += 1
        out.append(f"{k}. classify {_point_text(p.point)}: {p.kind} ({p.test}: {p.reason})")
    if c.points:
        out.append("Answer:")
        for p in c.points:
            exact = "" if p.exact else " (numeric)"
            out.append(f"  {_point_text(p.point)}{exact}: {p.kind}, f = {text(p.value)}")
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
    out = [f"**Critical points** of ${latex(c.expr)}$", ""]
    k = 0
    for label, content in _lines(c):
        k += 1
        shown = _content(content, "math", label)
        out.append(f"{k}. {_md_prose(label)}: " + (f"${shown}$" if _is_math(content) else _md_prose(shown)))
    for p in c.points:
        k += 1
        out.append(f"{k}. classify ${_point_latex(p.point)}$: {_md_prose(p.kind)}")
    out += ["", "| point | kind | f | test |", "| --- | --- | --- | --- |"]
    for p in c.points:
        out.append(
            f"| ${_point_latex(p.point)}$ | {_md_prose(p.kind)} | ${latex(p.value)}$ | "
            f"{_md_prose(f'{p.test}: {p.reason}')} |"
        )
    for fam in c.families:
        out.append(f"| infinitely many: {_md_prose(fam.description)} | {_md_prose(fam.kind)} | | |")
    for nd in c.nondifferentiable:
        out.append(
            f"| ${_point_latex(nd.point)}$ | {_md_prose(nd.kind)} (not differentiable) | | {_md_prose(nd.reason)} |"
        )
    return "\n".join(out) + "\n"


def critical_to_latex(c: Any) -> str:
    items = []
    for label, content in _lines(c):
        shown = _content(content, "math", label)
        items.append(rf"\item {_escape(label)}: " + (f"${shown}$" if _is_math(content) else _escape(shown)))
    for p in c.points:
        items.append(
            rf"\item classify ${_point_latex(p.point)}$: {_escape(p.kind)} ({_escape(p.test)}: {_escape(p.reason)})"
        )
    rows = [rf"${_point_latex(p.point)}$ & {_escape(p.kind)} & ${latex(p.value)}$ \\" for p in c.points]
    rows += [rf"\multicolumn{{3}}{{l}}{{infinitely many: {_escape(f.description)}}} \\" for f in c.families]
    out = [rf"\noindent\textbf{{Critical points}} of ${latex(c.expr)}$:"]
    if items:
        out += [r"\begin{enumerate}", *items, r"\end{enumerate}"]
    out += [r"\begin{tabular}{lll}", r"point & kind & $f$ \\ \hline", *rows, r"\end{tabular}"]
    return "\n".join(out) + "\n"


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
        "lines": [
            {"label": label, "content": _content(content, "text", label)} for label, content in c.lines
        ],
    }


# -- Lagrange multipliers -------------------------------------------------------------------------------


def _multipliers(p: Any, fmt: str) -> str:
    show = text if fmt == "text" else latex
    return ", ".join(show(m) for m in p.multipliers)


def _best(points: Any, fmt: str) -> str:
    if not points:
        return "none"
    show = text if fmt == "text" else latex
    where = ", ".join(_point_text(p.point) if fmt == "text" else f"${_point_latex(p.point)}$" for p in points)
    value = show(points[0].value)
    return f"{value} at {where}" if fmt == "text" else f"${value}$ at {where}"


def lagrange_to_text(r: Any) -> str:
    out = [
        f"Extrema of {text(r.objective)} subject to "
        + ", ".join(f"{text(g)} = 0" for g in r.constraints)
        + "."
    ]
    for k, (label, content) in enumerate(r.lines, 1):
        out.append(f"{k}. {label}: {_content(content, 'text', label)}")
    lam = "λ" if len(r.constraints) == 1 else "λ_i"
    for p in r.points:
        out.append(
            f"  {_point_text(p.point)}: f = {text(p.value)}, {lam} = {_multipliers(p, 'text')}: {p.kind}; "
            f"bordered Hessian: {p.local} ({p.reason})"
        )
    out.append("Maximum: " + _best(r.maximum, "text"))
    out.append("Minimum: " + _best(r.minimum, "text"))
    out.extend(f"Note: {n}" for n in r.notes)
    return "\n".join(out)


def lagrange_to_markdown(r: Any) -> str:
    constraints = ", ".join(f"${latex(g)} = 0$" for g in r.constraints)
    out = [f"**Extrema** of ${latex(r.objective)}$ subject to {constraints}", ""]
    for k, (label, content) in enumerate(r.lines, 1):
        shown = _content(content, "math", label)
        out.append(f"{k}. {_md_prose(label)}: " + (f"${shown}$" if _is_math(content) else _md_prose(shown)))
    out += ["", r"| point | $f$ | $\lambda$ | kind | bordered Hessian |", "| --- | --- | --- | --- | --- |"]
    for p in r.points:
        out.append(
            f"| ${_point_latex(p.point)}$ | ${latex(p.value)}$ | ${_multipliers(p, 'math')}$ | {_md_prose(p.kind)} | "
            f"{_md_prose(f'{p.local} ({p.reason})')} |"
        )
    out += ["", f"- Maximum: {_md_best(r.maximum)}", f"- Minimum: {_md_best(r.minimum)}"]
    out += [f"- Note: {_md_prose(n)}" for n in r.notes]
    return "\n".join(out) + "\n"


def _md_best(points: Any) -> str:
    if not points:
        return "none"
    return f"${latex(points[0].value)}$ at " + ", ".join(f"${_point_latex(p.point)}$" for p in points)


def lagrange_to_latex(r: Any) -> str:
    constraints = ", ".join(f"${latex(g)} = 0$" for g in r.constraints)
    items = []
    for label, content in r.lines:
        shown = _content(content, "math", label)
        items.append(rf"\item {_escape(label)}: " + (f"${shown}$" if _is_math(content) else _escape(shown)))
    rows = [
        rf"${_point_latex(p.point)}$ & ${latex(p.value)}$ & ${_multipliers(p, 'math')}$ & {_escape(p.kind)} \\"
        for p in r.points
    ]
    out = [
        rf"\noindent\textbf{{Extrema}} of ${latex(r.objective)}$ subject to {constraints}.",
        r"\begin{enumerate}",
        *items,
        r"\end{enumerate}",
        r"\begin{tabular}{llll}",
        r"point & $f$ & $\lambda$ & kind \\ \hline",
        *rows,
        r"\end{tabular}",
        r"\par\noindent Maximum: " + _tex_best(r.maximum) + r"\par",
        r"\noindent Minimum: " + _tex_best(r.minimum) + r"\par",
    ]
    out += [rf"\noindent Note: {_escape(n)}\par" for n in r.notes]
    return "\n".join(out) + "\n"


def _tex_best(points: Any) -> str:
    if not points:
        return "none"
    return f"${latex(points[0].value)}$ at " + ", ".join(f"${_point_latex(p.point)}$" for p in points)


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
