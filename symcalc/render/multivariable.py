"""Gradients, Jacobians, Hessians and local models (tangent plane, Taylor) in text, Markdown, LaTeX and JSON."""

from __future__ import annotations

from typing import Any

import sympy

from .derivation import SCHEMA_VERSION, _escape, _expr, derivation_to_dict

# -- multivariable results ------------------------------------------------------------------------------


def _matrix_text(m: Any) -> str:
    rows = m.tolist()
    if m.shape[1] == 1:
        return "(" + ", ".join(sympy.sstr(r[0]) for r in rows) + ")"
    return "[" + "; ".join(", ".join(sympy.sstr(v) for v in r) for r in rows) + "]"


def _bmatrix(m: Any) -> str:
    return sympy.latex(m, mat_str="bmatrix", mat_delim="")


def _indent(text: str, prefix: str = "   ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def gradient_to_text(g: Any) -> str:
    names = ", ".join(map(str, g.variables))
    out = [
        f"Gradient of {sympy.sstr(g.expr)} with respect to ({names}): one partial derivative per variable, "
        "the others held constant."
    ]
    for k, (v, d) in enumerate(zip(g.variables, g.components, strict=True), 1):
        out.append(f"{k}. d/d{v}:")
        out.extend(_indent(d.to_text(), "   ").splitlines())
    out.append(f"Answer: grad f = {_matrix_text(g.result)}")
    return "\n".join(out)


def gradient_to_markdown(g: Any) -> str:
    names = ", ".join(f"${sympy.latex(v)}$" for v in g.variables)
    out = [f"**Gradient** of ${sympy.latex(g.expr)}$ with respect to {names}", ""]
    for v, d in zip(g.variables, g.components, strict=True):
        out.append(f"### Partial derivative by ${sympy.latex(v)}$")
        out.append("")
        out.append(d.to_markdown())
    out.append(rf"**Answer:** $$\nabla f = {_bmatrix(g.result)}$$")
    return "\n".join(out) + "\n"


def gradient_to_latex(g: Any) -> str:
    parts = [rf"\noindent\textbf{{Gradient}} of ${sympy.latex(g.expr)}$."]
    for v, d in zip(g.variables, g.components, strict=True):
        parts.append(rf"\paragraph{{Partial derivative by ${sympy.latex(v)}$}}")
        parts.append(d.to_latex())
    parts.append(rf"\noindent\textbf{{Answer:}} \[ \nabla f = {_bmatrix(g.result)} \]")
    return "\n".join(parts) + "\n"


def gradient_to_dict(g: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "gradient",
        "expr": _expr(g.expr),
        "variables": [str(v) for v in g.variables],
        "result": [_expr(c) for c in g.result],
        "components": [derivation_to_dict(d) for d in g.components],
    }


def hessian_to_text(h: Any) -> str:
    xs = h.variables
    out = [
        f"Hessian of {sympy.sstr(h.expr)}: differentiate each gradient component by each variable.",
        f"Gradient: {_matrix_text(h.gradient.result)}",
    ]
    k = 0
    for (i, j), d in h.entries.items():
        k += 1
        label = f"d^2f/d{xs[i]}^2" if i == j else f"d^2f/d{xs[i]}d{xs[j]}"
        out.append(f"{k}. {label} = d/d{xs[j]} [{sympy.sstr(h.gradient.result[i])}] = {sympy.sstr(d.result)}")
        if h.detail == "full":
            out.extend(_indent("\n".join(d.to_text().splitlines()[1:-1]), "      ").splitlines())
        if i != j:
            same = sympy.simplify(h.result[j, i] - d.result) == 0
            note = (
                "equal (Schwarz's theorem: the mixed partials agree)"
                if same
                else "NOT equal: Schwarz's theorem does not apply here"
            )
            out.append(f"   d^2f/d{xs[j]}d{xs[i]} is {note}; the entry below the diagonal reuses it.")
    out.append(f"Answer: H = {_matrix_text(h.result)}")
    return "\n".join(out)


def hessian_to_markdown(h: Any) -> str:
    xs = h.variables
    out = [
        f"**Hessian** of ${sympy.latex(h.expr)}$",
        "",
        rf"Gradient: $\nabla f = {_bmatrix(h.gradient.result)}$",
        "",
    ]
    for (i, j), d in h.entries.items():
        lhs = (
            rf"\frac{{\partial^2 f}}{{\partial {sympy.latex(xs[i])}^2}}"
            if i == j
            else rf"\frac{{\partial^2 f}}{{\partial {sympy.latex(xs[i])}\,\partial {sympy.latex(xs[j])}}}"
        )
        out.append(
            rf"- ${lhs} = \frac{{\partial}}{{\partial {sympy.latex(xs[j])}}}\left[{sympy.latex(h.gradient.result[i])}\right] = {sympy.latex(d.result)}$"
            + (" (the mixed partials agree: Schwarz)" if i != j else "")
        )
    out.append("")
    out.append(f"**Answer:** $$H = {_bmatrix(h.result)}$$")
    return "\n".join(out) + "\n"


def matrix_result_to_text(title: str, r: Any) -> str:
    return f"{title} with respect to ({', '.join(map(str, r.variables))}):\n{_matrix_text(r.result)}"


def matrix_result_to_markdown(title: str, r: Any) -> str:
    return f"**{title}** with respect to {', '.join(f'${sympy.latex(v)}$' for v in r.variables)}\n\n$${_bmatrix(r.result)}$$\n"


def matrix_result_to_latex(title: str, r: Any) -> str:
    return rf"\noindent\textbf{{{title}}}: \[ {_bmatrix(r.result)} \]" + "\n"


def matrix_result_to_dict(kind: str, r: Any) -> dict[str, Any]:
    exprs = getattr(r, "exprs", None)
    return {
        "schema_version": SCHEMA_VERSION,
        "type": kind,
        "expr": [_expr(e) for e in exprs] if exprs is not None else _expr(r.expr),
        "variables": [str(v) for v in r.variables],
        "result": [[_expr(v) for v in row] for row in r.result.tolist()],
    }


def model_to_text(m: Any) -> str:
    out = [
        f"{m.kind.capitalize()} of {sympy.sstr(m.expr)}"
        + (f" at {', '.join(f'{k} = {sympy.sstr(v)}' for k, v in m.point.items())}" if m.point else "")
        + "."
    ]
    for k, (label, value) in enumerate(m.lines, 1):
        shown = _matrix_text(value) if isinstance(value, sympy.MatrixBase) else sympy.sstr(value)
        out.append(f"{k}. {label}: {shown}")
    out.append(f"Answer: {sympy.sstr(m.result)}")
    return "\n".join(out)


def model_to_markdown(m: Any) -> str:
    out = [f"**{m.kind.capitalize()}** of ${sympy.latex(m.expr)}$", ""]
    for k, (label, value) in enumerate(m.lines, 1):
        shown = _bmatrix(value) if isinstance(value, sympy.MatrixBase) else sympy.latex(value)
        out.append(f"{k}. {label}: ${shown}$")
    out.append("")
    out.append(f"**Answer:** $${sympy.latex(m.result)}$$")
    return "\n".join(out) + "\n"


def model_to_latex(m: Any) -> str:
    items = []
    for label, value in m.lines:
        shown = _bmatrix(value) if isinstance(value, sympy.MatrixBase) else sympy.latex(value)
        items.append(rf"\item {_escape(label)}: ${shown}$")
    return (
        "\n".join(
            [
                rf"\noindent\textbf{{{_escape(m.kind.capitalize())}}} of ${sympy.latex(m.expr)}$.",
                r"\begin{enumerate}",
                *items,
                r"\end{enumerate}",
                rf"\noindent\textbf{{Answer:}} \[ {sympy.latex(m.result)} \]",
            ]
        )
        + "\n"
    )


def model_to_dict(m: Any) -> dict[str, Any]:
    def value(v: Any) -> Any:
        if isinstance(v, sympy.MatrixBase):
            return [[_expr(x) for x in row] for row in v.tolist()]
        return _expr(v)

    return {
        "schema_version": SCHEMA_VERSION,
        "type": m.kind.replace(" ", "_"),
        "expr": _expr(m.expr),
        "variables": [str(v) for v in m.variables],
        "point": None if m.point is None else {str(k): _expr(v) for k, v in m.point.items()},
        "lines": [{"label": label, "value": value(v)} for label, v in m.lines],
        "result": _expr(m.result),
    }


# -- critical points and Lagrange -----------------------------------------------------------------------
