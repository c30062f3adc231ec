r"""Gradients, Jacobians, Hessians and local models (tangent plane, Taylor) in text, Markdown, LaTeX and JSON.

A partial derivative is written with ∂ (``∂f/∂y``, ``\frac{\partial f}{\partial y}``); the summary of a
gradient is made of the forms its components derived (so a component reads the same in its working and in the
answer); a softmax in the components is named once for all of them.
"""

from __future__ import annotations

from typing import Any

import sympy

from . import ml
from .derivation import (
    SCHEMA_VERSION,
    LatexNotation,
    Notation,
    Seg,
    _escape,
    _expr,
    _md_line,
    _tex_line,
    component_latex,
    component_markdown,
    component_text,
    derivation_to_dict,
    derivation_to_latex,
    derivation_to_markdown,
    derivation_to_text,
)
from .notation import latex, text

__all__ = [
    "gradient_to_dict",
    "gradient_to_latex",
    "gradient_to_markdown",
    "gradient_to_text",
    "hessian_to_latex",
    "hessian_to_markdown",
    "hessian_to_text",
    "matrix_result_to_dict",
    "matrix_result_to_latex",
    "matrix_result_to_markdown",
    "matrix_result_to_text",
    "model_to_dict",
    "model_to_latex",
    "model_to_markdown",
    "model_to_text",
]


def _matrix_text(m: Any) -> str:
    return text(sympy.Matrix(m))


def _bmatrix_learner(m: sympy.Matrix) -> str:
    rows = [" & ".join(latex(v) for v in row) for row in m.tolist()]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


#: A matrix in LaTeX (``bmatrix``, learner notation in each entry).
def _bmatrix(m: Any) -> str:
    return _bmatrix_learner(sympy.Matrix(m))


def _indent(body: str, prefix: str = "   ") -> str:
    return "\n".join(prefix + line if line else line for line in body.splitlines())


def _partial_text(v: Any, of: str = "f", order: int = 1, other: Any = None) -> str:
    if order == 1:
        return f"∂{of}/∂{text(v)}"
    if other is None or other == v:
        return f"∂^2{of}/∂{text(v)}^2"
    return f"∂^2{of}/∂{text(v)}∂{text(other)}"


def _partial_latex(v: Any, of: str = "f", order: int = 1, other: Any = None) -> str:
    if order == 1:
        return rf"\frac{{\partial {of}}}{{\partial {latex(v)}}}"
    if other is None or other == v:
        return rf"\frac{{\partial^{{2}} {of}}}{{\partial {latex(v)}^{{2}}}}"
    return rf"\frac{{\partial^{{2}} {of}}}{{\partial {latex(v)}\,\partial {latex(other)}}}"


def _gradient_reading(g: Any) -> ml.Reading:
    return ml.reading_of([d.result for d in g.components], g.expr, {str(v) for v in g.variables})


def _summary(g: Any, r: ml.Reading) -> list[sympy.Expr]:
    """The gradient as its components derived it (the names of the softmax in place)."""
    return [r.named(d.result) for d in g.components]


def _where(r: ml.Reading, n: Notation) -> list[Any]:
    if not r.names:
        return []
    line: list[Any] = [Seg("where "), Seg(r.meaning(n), True), Seg(": ")]
    for i, (name, value) in enumerate(r.names.items()):
        if i:
            line.append(Seg(", "))
        line.append(Seg(f"{n.e(name)} = {n.e(value)}", True))
    return line


def gradient_to_text(g: Any, width: int | None = None) -> str:
    names = ", ".join(text(v) for v in g.variables)
    out = [
        f"Find the gradient of {text(g.expr)} with respect to ({names}): one partial derivative per variable, "
        "the others held constant."
    ]
    for v, d in zip(g.variables, g.components, strict=True):
        out.append(f"{_partial_text(v)}:")
        out.append(_indent(component_text(d, None if width is None else width - 3)))
    r = _gradient_reading(g)
    out.append(f"Answer: grad f = ({', '.join(text(c) for c in _summary(g, r))})")
    where = _where(r, Notation())
    if where:
        out.append("  " + "".join(s.s for s in where))
    out += [f"Note: {note.text}" for note in r.notes]
    return "\n".join(out)


def gradient_to_markdown(g: Any) -> str:
    names = ", ".join(f"${latex(v)}$" for v in g.variables)
    out = [f"**Gradient** of ${latex(g.expr)}$ with respect to {names}", ""]
    for v, d in zip(g.variables, g.components, strict=True):
        out += [
            f"### The partial derivative ${_partial_latex(v)}$",
            "",
            component_markdown(d).rstrip("\n"),
            "",
        ]
    r = _gradient_reading(g)
    out += ["**Answer:**", "", rf"$$\nabla f = {_bmatrix_learner(sympy.Matrix(_summary(g, r)))}$$", ""]
    where = _where(r, LatexNotation())
    if where:
        out += [_md_line(where), ""]
    out += [f"- Note: {_md_line(note.line(LatexNotation()))}" for note in r.notes]
    return "\n".join(out).rstrip("\n") + "\n"


def gradient_to_latex(g: Any) -> str:
    parts = [rf"\noindent\textbf{{Gradient}} of ${latex(g.expr)}$."]
    for v, d in zip(g.variables, g.components, strict=True):
        parts.append(rf"\paragraph{{The partial derivative ${_partial_latex(v)}$}}")
        parts.append(component_latex(d).rstrip("\n"))
    r = _gradient_reading(g)
    parts.append(
        rf"\noindent\textbf{{Answer:}} \[ \nabla f = {_bmatrix_learner(sympy.Matrix(_summary(g, r)))} \]"
    )
    where = _where(r, LatexNotation())
    if where:
        parts.append(rf"\noindent {_tex_line(where)}\par")
    parts += [rf"\noindent Note: {_tex_line(note.line(LatexNotation()))}\par" for note in r.notes]
    return "\n".join(parts) + "\n"


def gradient_to_dict(g: Any) -> dict[str, Any]:
    r = _gradient_reading(g)
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "gradient",
        "expr": _expr(g.expr),
        "variables": [str(v) for v in g.variables],
        "result": [_expr(d.result) for d in g.components],
        "components": [derivation_to_dict(d) for d in g.components],
        "names": {str(k): _expr(v) for k, v in r.names.items()},
    }


# -- the Hessian ----------------------------------------------------------------------------------------


def _entry_steps(d: Any, fmt: str) -> str:
    """The working of one entry, without its own heading and answer (the entry's line says both)."""
    if fmt == "text":
        lines = derivation_to_text(d).splitlines()
        body = [line for line in lines[1:] if not line.startswith(("Answer:", "Check:", "Equivalent form"))]
        return "\n".join(body)
    if fmt == "markdown":
        md = derivation_to_markdown(d)
        start = md.index("\n\n") + 2
        end = md.index("**Answer:**")
        return md[start:end].strip("\n")
    tex = derivation_to_latex(d)
    start = tex.index("\n") + 1
    end = tex.index(r"\noindent\textbf{Answer:}")
    return tex[start:end].strip("\n")


def hessian_to_text(h: Any) -> str:
    xs = h.variables
    out = [
        f"Find the Hessian of {text(h.expr)}: differentiate each component of the gradient by each variable.",
        f"Gradient: grad f = {_matrix_text(h.gradient.result)}",
    ]
    for k, ((i, j), d) in enumerate(h.entries.items(), 1):
        label = _partial_text(xs[i], order=2, other=xs[j])
        out.append(f"{k}. {label} = ∂/∂{text(xs[j])} [{text(h.gradient.result[i])}] = {text(d.result)}")
        if h.detail != "brief":
            working = _entry_steps(d, "text")
            if working:
                out.append(_indent(working, "      "))
        if i != j:
            same = sympy.simplify(h.result[j, i] - d.result) == 0
            note = (
                "equal (Schwarz's theorem: the mixed partials agree)"
                if same
                else "NOT equal: Schwarz's theorem does not apply here"
            )
            out.append(
                f"   {_partial_text(xs[j], order=2, other=xs[i])} is {note}; the entry below the diagonal reuses it."
            )
    out.append(f"Answer: H = {_matrix_text(h.result)}")
    return "\n".join(out)


def hessian_to_markdown(h: Any) -> str:
    xs = h.variables
    out = [
        f"**Hessian** of ${latex(h.expr)}$",
        "",
        rf"Gradient: $\nabla f = {_bmatrix_learner(h.gradient.result)}$",
        "",
    ]
    for k, ((i, j), d) in enumerate(h.entries.items(), 1):
        lhs = _partial_latex(xs[i], order=2, other=xs[j])
        line = (
            rf"{k}. ${lhs} = \frac{{\partial}}{{\partial {latex(xs[j])}}}\left[{latex(h.gradient.result[i])}\right] "
            rf"= {latex(d.result)}$" + (" (the mixed partials agree: Schwarz's theorem)" if i != j else "")
        )
        out.append(line)
        if h.detail != "brief":
            working = _entry_steps(d, "markdown")
            if working:
                out.append(_indent(working, " " * (len(str(k)) + 2)))
    out += ["", "**Answer:**", "", f"$$H = {_bmatrix_learner(h.result)}$$", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def hessian_to_latex(h: Any) -> str:
    xs = h.variables
    out = [
        rf"\noindent\textbf{{Hessian}} of ${latex(h.expr)}$; gradient $\nabla f = {_bmatrix_learner(h.gradient.result)}$.",
        r"\begin{enumerate}",
    ]
    for (i, j), d in h.entries.items():
        lhs = _partial_latex(xs[i], order=2, other=xs[j])
        out.append(
            rf"\item ${lhs} = \frac{{\partial}}{{\partial {latex(xs[j])}}}\left[{latex(h.gradient.result[i])}\right] "
            rf"= {latex(d.result)}$" + (" (the mixed partials agree: Schwarz's theorem)" if i != j else "")
        )
        if h.detail != "brief":
            working = _entry_steps(d, "latex")
            if working:
                out.append(working)
    out.append(r"\end{enumerate}")
    out.append(rf"\noindent\textbf{{Answer:}} \[ H = {_bmatrix_learner(h.result)} \]")
    return "\n".join(out) + "\n"


# -- Jacobians and other matrices -----------------------------------------------------------------------


def matrix_result_to_text(title: str, r: Any) -> str:
    return f"{title} with respect to ({', '.join(text(v) for v in r.variables)}):\n{_matrix_text(r.result)}"


def matrix_result_to_markdown(title: str, r: Any) -> str:
    return (
        f"**{title}** with respect to {', '.join(f'${latex(v)}$' for v in r.variables)}\n\n"
        f"$${_bmatrix_learner(r.result)}$$\n"
    )


def matrix_result_to_latex(title: str, r: Any) -> str:
    return rf"\noindent\textbf{{{_escape(title)}}}: \[ {_bmatrix_learner(r.result)} \]" + "\n"


def matrix_result_to_dict(kind: str, r: Any) -> dict[str, Any]:
    exprs = getattr(r, "exprs", None)
    return {
        "schema_version": SCHEMA_VERSION,
        "type": kind,
        "expr": [_expr(e) for e in exprs] if exprs is not None else _expr(r.expr),
        "variables": [str(v) for v in r.variables],
        "result": [[_expr(v) for v in row] for row in r.result.tolist()],
    }


# -- local models ---------------------------------------------------------------------------------------


def _shown(value: Any, fmt: str) -> str:
    if isinstance(value, sympy.MatrixBase):
        return _matrix_text(value) if fmt == "text" else _bmatrix_learner(value)
    if isinstance(value, sympy.Basic):
        return text(value) if fmt == "text" else latex(value)
    return str(value) if fmt == "text" else _escape(str(value))


def model_to_text(m: Any) -> str:
    out = [
        f"{m.kind.capitalize()} of {text(m.expr)}"
        + (f" at {', '.join(f'{text(k)} = {text(v)}' for k, v in m.point.items())}" if m.point else "")
        + "."
    ]
    for k, (label, value) in enumerate(m.lines, 1):
        out.append(f"{k}. {label}: {_shown(value, 'text')}")
    out.append(f"Answer: {text(m.result)}")
    return "\n".join(out)


def model_to_markdown(m: Any) -> str:
    from .derivation import _md_prose

    out = [f"**{_md_prose(m.kind.capitalize())}** of ${latex(m.expr)}$", ""]
    for k, (label, value) in enumerate(m.lines, 1):
        shown = _shown(value, "latex")
        out.append(
            f"{k}. {_md_prose(label)}: ${shown}$"
            if isinstance(value, sympy.Basic)
            else f"{k}. {_md_prose(label)}: {_md_prose(str(value))}"
        )
    out += ["", "**Answer:**", "", f"$${latex(m.result)}$$"]
    return "\n".join(out) + "\n"


def model_to_latex(m: Any) -> str:
    items = []
    for label, value in m.lines:
        shown = f"${_shown(value, 'latex')}$" if isinstance(value, sympy.Basic) else _escape(str(value))
        items.append(rf"\item {_escape(label)}: {shown}")
    return (
        "\n".join(
            [
                rf"\noindent\textbf{{{_escape(m.kind.capitalize())}}} of ${latex(m.expr)}$.",
                r"\begin{enumerate}",
                *items,
                r"\end{enumerate}",
                rf"\noindent\textbf{{Answer:}} \[ {latex(m.result)} \]",
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
