r"""Renderings of a trace: plain text, Markdown, LaTeX and JSON.

Each rule's line names the rule, shows its formula the first time it is used in a solution, the pieces
(u, v, u', v', outer, inner), the plug-in line exactly as substituted, then the result. Constant and identity
steps are folded into their parent's line; ``detail="brief"`` shows only the top rules, ``"full"`` every node;
rules the learner already ``known`` are applied silently. ``to_dict`` keeps every node whatever the detail.

The JSON schema is documented in ``docs/schema.md``; its version is :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from .steps import CATALOGUE, Derivation, Step

__all__ = [
    "SCHEMA_VERSION",
    "derivation_to_dict",
    "derivation_to_latex",
    "derivation_to_markdown",
    "derivation_to_text",
    "step_to_dict",
]

SCHEMA_VERSION = "1.0"
#: Steps folded into their parent's line unless detail is "full".
TRIVIAL = frozenset({"constant", "variable"})
#: Rules whose own line says nothing a brief solution needs.
LEAF_RULES = frozenset({"power", "sin", "cos", "exp", "ln", "constant", "variable", "rewrite"})


# -- JSON -----------------------------------------------------------------------------------------------


def _expr(e: Any) -> dict[str, str] | None:
    if e is None:
        return None
    return {"text": sympy.sstr(e), "latex": sympy.latex(e)}


def step_to_dict(step: Step) -> dict[str, Any]:
    """One node and everything under it, as JSON-ready data."""
    return {
        "rule": step.rule,
        "name": step.name,
        "kind": step.kind,
        "expr": _expr(step.expr),
        "var": None if step.var is None else str(step.var),
        "order": step.order,
        "result": _expr(step.result),
        "explanation": step.explanation,
        "formula": {"latex": CATALOGUE[step.rule].formula_latex, "text": CATALOGUE[step.rule].formula_text},
        "pieces": {k: _expr(v) for k, v in step.pieces.items()},
        "plug_in": _expr(step.plug_in),
        "substeps": [step_to_dict(s) for s in step.substeps],
    }


def derivation_to_dict(d: Derivation) -> dict[str, Any]:
    """A derivation as JSON-ready data (schema ``docs/schema.md``)."""
    from ._verify import numeric_check

    return {
        "schema_version": SCHEMA_VERSION,
        "type": "derivation",
        "expr": _expr(d.expr),
        "var": str(d.var),
        "order": d.order,
        "result": _expr(d.result),
        "conditions": [_expr(c) for c in d.conditions],
        "constants": [str(c) for c in d.constants],
        "equivalent_forms": [_expr(f) for f in d.equivalent_forms],
        "check": numeric_check(d),
        "kinks": [
            {
                "point": _expr(k.point),
                "left": _expr(k.left),
                "right": _expr(k.right),
                "subgradients": [_expr(v) for v in k.subgradients],
                "framework_value": None if k.framework_value is None else _expr(k.framework_value),
            }
            for k in d.kinks
        ],
        "detail": d.detail,
        "steps": step_to_dict(d.steps),
    }


# -- the shared walk ------------------------------------------------------------------------------------


class _Writer:
    """Walks a solution once and asks a format for each line."""

    def __init__(self, d: Derivation, fmt: Callable[[Any], str], d_of: Callable[[Any, Any], str]) -> None:
        self.d = d
        self.fmt = fmt
        self.d_of = d_of
        self.seen_rules: set[str] = set()
        self.lines: list[tuple[int, str, str]] = []  # (depth, number, text)

    def visible(self, step: Step) -> bool:
        if step.rule in self.d.known:
            return False
        if self.d.detail == "full":
            return True
        if step.rule in TRIVIAL:
            return False
        return not (self.d.detail == "brief" and step.rule in LEAF_RULES)

    def walk(self, step: Step, depth: int, number: str) -> None:
        children = [s for s in step.substeps]
        if step.rule in ("solution", "higher_order"):
            for i, child in enumerate(children, 1):
                label = f"{number}{i}." if step.rule == "higher_order" or depth else f"{i}."
                if step.rule == "higher_order":
                    self.walk(child, depth, number)
                else:
                    self.emit(child, depth, label)
            return
        self.emit(step, depth, number)

    def emit(self, step: Step, depth: int, number: str) -> None:
        if step.rule == "higher_order":
            self.lines.append((depth, number, f"Derivative number {number.rstrip('.')}: {step.explanation}"))
            for i, child in enumerate(step.substeps, 1):
                self.emit(child, depth + 1, f"{number}{i}.")
            return
        if not self.visible(step) and depth > 0:
            return
        self.lines.append((depth, number, self.headline(step)))
        for detail_line in self.details(step):
            self.lines.append((depth + 1, "", detail_line))
        k = 0
        for child in step.substeps:
            if self.visible(child):
                k += 1
                self.emit(child, depth + 1, f"{number}{k}.")

    def headline(self, step: Step) -> str:
        f = self.fmt
        rule = CATALOGUE[step.rule]
        if step.kind == "rewrite":
            return f"{rule.name}: {f(step.expr)} = {f(step.result)}. {step.explanation}"
        if step.kind == "solve":
            return f"{rule.name}: {step.explanation} {f(step.result)}"
        first = step.rule not in self.seen_rules and step.rule not in ("sympy", "solution")
        self.seen_rules.add(step.rule)
        formula = f" ({self.formula(rule)})" if first else ""
        return (
            f"{rule.name}{formula}: {self.d_of(step.expr, step.var)} = {f(step.result)}. {step.explanation}"
        )

    def formula(self, rule: Any) -> str:
        return rule.formula_text

    def details(self, step: Step) -> list[str]:
        if self.d.detail == "brief":
            return []
        f = self.fmt
        out = []
        shown = {k: v for k, v in step.pieces.items() if k not in ("outer'", "inner'")}
        if shown and step.kind == "derivative":
            out.append("with " + ", ".join(f"{k} = {f(v)}" for k, v in shown.items()))
        if step.plug_in is not None and step.plug_in != step.result:
            out.append(f"plug in: {f(step.plug_in)}")
        return out


def _number_lines(lines: list[tuple[int, str, str]], indent: str = "   ") -> list[str]:
    return [f"{indent * depth}{(number + ' ') if number else ''}{text}" for depth, number, text in lines]


def _check_sentence(d: Derivation, fmt_num: Callable[[float], str]) -> str | None:
    from ._verify import numeric_check

    check = numeric_check(d)
    if check is None:
        return None
    where = ", ".join(f"{k} = {v:g}" for k, v in check["point"].items())  # type: ignore[attr-defined]
    return (
        f"Check: at {where} the answer gives {fmt_num(check['answer'])} and a central difference of f "  # type: ignore[arg-type]
        f"(h = {check['h']:g}) gives {fmt_num(check['central_difference'])}; the answer equals SymPy's diff"  # type: ignore[arg-type]
        + (" under the conditions above." if d.conditions else ".")
    )


def _num(v: float) -> str:
    return f"{v:.10g}"


# -- text -----------------------------------------------------------------------------------------------


def _text_d(e: Any, var: Any) -> str:
    return f"d/d{var} [{sympy.sstr(e)}]"


def derivation_to_text(d: Derivation) -> str:
    """Numbered plain text, indented by depth."""
    w = _Writer(d, sympy.sstr, _text_d)
    w.walk(d.steps, 0, "")
    head = f"Find d/d{d.var} of {sympy.sstr(d.expr)}" + (f" ({d.order} times)" if d.order > 1 else "")
    if d.constants:
        head += f", holding {', '.join(map(str, d.constants))} constant"
    out = [head + "."] + _number_lines(w.lines)
    out.append(f"Answer: {_answer_lhs_text(d)} = {sympy.sstr(d.result)}")
    out.extend(_tail(d, sympy.sstr))
    return "\n".join(out)


def _answer_lhs_text(d: Derivation) -> str:
    if d.steps.kind == "solve":
        y = next(iter(d.steps.pieces.values()))
        return f"d{y.func}/d{d.var}" if d.order == 1 else f"d^2{y.func}/d{d.var}^2"
    return (
        f"d/d{d.var} [{sympy.sstr(d.expr)}]"
        if d.order == 1
        else f"d^{d.order}/d{d.var}^{d.order} [{sympy.sstr(d.expr)}]"
    )


def condition_text(c: Any) -> str:
    """A condition as a person writes it: ``x != 0``, ``x > 0`` (variable on the left), ``|x| < 1``."""
    if isinstance(c, sympy.core.relational.Relational):
        lhs, rhs = c.lhs, c.rhs
        if lhs.is_number and not rhs.is_number:
            c = c.reversed
        op = {"!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}.get(c.rel_op, c.rel_op)
        return f"{sympy.sstr(c.lhs).replace('Abs(', '|').replace(')', '|') if isinstance(c.lhs, sympy.Abs) else sympy.sstr(c.lhs)} {op} {sympy.sstr(c.rhs)}"
    return sympy.sstr(c)


def _condition_latex(c: Any) -> str:
    if isinstance(c, sympy.core.relational.Relational) and c.lhs.is_number and not c.rhs.is_number:
        c = c.reversed
    return f"${sympy.latex(c)}$"


def _tail(d: Derivation, fmt: Callable[[Any], str]) -> list[str]:
    out = []
    if d.conditions:
        cond = condition_text if fmt is sympy.sstr else _condition_latex
        out.append("Conditions: " + "; ".join(cond(c) for c in d.conditions))
    if d.equivalent_forms:
        out.append("Equivalent forms: " + "; ".join(fmt(f) for f in d.equivalent_forms))
    for k in d.kinks:
        lo, hi = k.subgradients
        convention = (
            "" if k.framework_value is None else f" ML frameworks take {fmt(k.framework_value)} at the kink."
        )
        out.append(
            f"Not differentiable at {d.var} = {fmt(k.point)}: the derivative is {fmt(k.left)} from the left and "
            f"{fmt(k.right)} from the right; the slopes in [{fmt(lo)}, {fmt(hi)}] are the generalised gradients "
            f"there (the subgradients where f is convex).{convention}"
        )
    check = _check_sentence(d, _num)
    if check:
        out.append(check)
    return out


# -- Markdown -------------------------------------------------------------------------------------------


def _md(e: Any) -> str:
    return f"${sympy.latex(e)}$"


def _md_d(e: Any, var: Any) -> str:
    return rf"$\frac{{d}}{{d{sympy.latex(var)}}}\left[{sympy.latex(e)}\right]$"


class _LatexWriter(_Writer):
    def formula(self, rule: Any) -> str:
        return f"${rule.formula_latex}$"


def derivation_to_markdown(d: Derivation) -> str:
    """Markdown with ``$...$`` LaTeX: a heading, the numbered working, the answer, conditions and the check."""
    w = _LatexWriter(d, _md, _md_d)
    w.walk(d.steps, 0, "")
    out = [
        f"**Find** {_md_d(d.expr, d.var)}"
        + (f" ({d.order} times)" if d.order > 1 else "")
        + (
            f", holding {', '.join(f'${sympy.latex(c)}$' for c in d.constants)} constant"
            if d.constants
            else ""
        ),
        "",
    ]
    for depth, number, text in w.lines:
        bullet = number if number else "-"
        out.append(f"{'    ' * depth}{bullet} {text}")
    out.append("")
    out.append(f"**Answer:** $${_answer_lhs_latex(d)} = {sympy.latex(d.result)}$$")
    tail = _tail(d, _md)
    if tail:
        out.append("")
        out.extend(f"- {line}" for line in tail)
    return "\n".join(out) + "\n"


def _answer_lhs_latex(d: Derivation) -> str:
    if d.steps.kind == "solve":
        y = next(iter(d.steps.pieces.values()))
        power = "" if d.order == 1 else "^{2}"
        return rf"\frac{{d{power}{y.func}}}{{d{sympy.latex(d.var)}{power}}}"
    power = "" if d.order == 1 else f"^{{{d.order}}}"
    return rf"\frac{{d{power}}}{{d{sympy.latex(d.var)}{power}}}\left[{sympy.latex(d.expr)}\right]"


# -- LaTeX ----------------------------------------------------------------------------------------------


def _tex(e: Any) -> str:
    return f"${sympy.latex(e)}$"


def _escape(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("^", r"\^{}"),
        ("~", r"\~{}"),
    ):
        text = text.replace(a, b)
    return text


def derivation_to_latex(d: Derivation) -> str:
    """A LaTeX fragment (``enumerate`` lists, inline math); needs ``amsmath`` in the preamble."""
    w = _LatexWriter(d, _tex, _md_d)
    w.walk(d.steps, 0, "")
    out = [rf"\noindent\textbf{{Find}} {_md_d(d.expr, d.var)}.", r"\begin{enumerate}"]
    depth_now = 0
    for depth, number, text in w.lines:
        while depth_now < depth:
            out.append(r"\begin{enumerate}" if number else r"\begin{itemize}")
            depth_now += 1
        while depth_now > depth:
            out.append(r"\end{enumerate}")
            depth_now -= 1
        out.append(rf"\item {_latex_text(text)}")
    while depth_now > 0:
        out.append(r"\end{enumerate}")
        depth_now -= 1
    out.append(r"\end{enumerate}")
    out.append(rf"\noindent\textbf{{Answer:}} \[ {_answer_lhs_latex(d)} = {sympy.latex(d.result)} \]")
    for line in _tail(d, _tex):
        out.append(rf"\noindent {_latex_text(line)}\par")
    return "\n".join(out) + "\n"


def _latex_text(text: str) -> str:
    """Escape the prose between ``$...$`` math spans, leave the math alone."""
    parts = text.split("$")
    return "$".join(part if i % 2 else _escape(part) for i, part in enumerate(parts))


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
        f"Backpropagation for {sympy.sstr(g.expr)} at " + ", ".join(f"{k} = {v:g}" for k, v in t.at.items()),
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
        out.append(f"d/d{x}: backprop {gv:.15g}, symbolic {sv:.15g}, compiled {cv:.15g}")
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
    out = [
        f"**Backpropagation** for ${sympy.latex(g.expr)}$",
        "",
        "| node | op | value | local derivatives | adjoint |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n in g.nodes:
        local = ", ".join(
            f"`d{n.name}/d{g.nodes[i].name} = {f}`" for i, f in zip(n.inputs, n.local, strict=True)
        )
        out.append(
            f"| {n.name} | {n.op} | {t.values[n.id]:.6g} | {local} | {t.adjoints.get(n.id, 0.0):.6g} |"
        )
    out.append("")
    for x, gv, sv in zip(t.wrt, t.gradient, t.symbolic, strict=True):
        out.append(f"- $\\partial f/\\partial {sympy.latex(x)}$: backprop {gv:.12g}, symbolic {sv:.12g}")
    return "\n".join(out) + "\n"


def backprop_to_latex(t: Any) -> str:
    g = t.graph
    rows = [
        rf"{_escape(n.name)} & {_escape(n.op)} & {t.values[n.id]:.6g} & {t.adjoints.get(n.id, 0.0):.6g} \\"
        for n in g.nodes
    ]
    return (
        "\n".join(
            [
                rf"\noindent\textbf{{Backpropagation}} for ${sympy.latex(g.expr)}$:",
                r"\begin{tabular}{llrr}",
                r"node & op & value & adjoint \\ \hline",
                *rows,
                r"\end{tabular}",
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
