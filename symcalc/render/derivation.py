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

from ..derive.steps import CATALOGUE, Derivation, Step

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
    from ..derive.verify import numeric_check

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
    from ..derive.verify import numeric_check

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
