r"""Matrix-form gradients, Jacobians, Hessians, critical points and checked claims in text, Markdown, LaTeX and
JSON: bold vectors and matrices, ``^\top``, every intermediate with its shape (``n × m``), every identity named
with its formula and source, the layout stated.

JSON (``to_dict()``, schema version :data:`~symcalc.render.derivation.SCHEMA_VERSION`, documented in
``docs/matrix.md``): an expression is ``{"text", "latex", "shape": ["n", "m"], "shape_text": "n × m"}``.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.matrix import nodes as N
from ..derive.matrix.differential import MatrixStep
from ..derive.matrix.identities import IDENTITIES
from ..derive.matrix.printing import latex, text
from .derivation import SCHEMA_VERSION

__all__ = [
    "matrix_check_to_dict",
    "matrix_check_to_latex",
    "matrix_check_to_text",
    "matrix_critical_to_dict",
    "matrix_critical_to_latex",
    "matrix_critical_to_markdown",
    "matrix_critical_to_text",
    "matrix_gradient_to_dict",
    "matrix_gradient_to_latex",
    "matrix_gradient_to_markdown",
    "matrix_gradient_to_text",
    "matrix_hessian_to_dict",
    "matrix_hessian_to_latex",
    "matrix_hessian_to_markdown",
    "matrix_hessian_to_text",
    "matrix_jacobian_to_dict",
    "matrix_jacobian_to_latex",
    "matrix_jacobian_to_markdown",
    "matrix_jacobian_to_text",
]


def _shape(node: N.Node) -> str:
    return N.shape_text(node.shape)


def _shape_tex(node: N.Node) -> str:
    return N.shape_latex(node.shape)


def _shapes_text(shapes: Any) -> str:
    return ", ".join(f"{text(v)}: {N.shape_text(v.shape)}" for v in shapes)


def _shapes_latex(shapes: Any) -> str:
    return ", ".join(rf"{latex(v)} \in \mathbb{{R}}^{{{N.shape_latex(v.shape)}}}" for v in shapes)


def _flat(root: MatrixStep, order: str = "pre") -> list[MatrixStep]:
    """The steps worth a line: pre-order for the differential method (top down), post-order for Jacobians."""
    out: list[MatrixStep] = []

    def visit(step: MatrixStep) -> None:
        if order == "pre":
            out.append(step)
        for s in step.substeps:
            visit(s)
        if order == "post":
            out.append(step)

    visit(root)
    return [s for s in out if s.kind != "solution"]


# -- text -----------------------------------------------------------------------------------------------


def _identity_line(step: MatrixStep) -> str:
    ident = IDENTITIES[step.rule]
    return f"{ident.name}: {ident.formula_text}   [{ident.source}]"


def _gradient_lines(root: MatrixStep, wrt: N.Var, start: int = 1) -> tuple[list[str], int]:
    lines: list[str] = []
    k = start
    for step in _flat(root):
        if step.rule == "combine":
            lines.append(f"{k}. {step.explanation}: {text(step.result)}")
            k += 1
            continue
        if step.kind == "rewrite":
            lines.append(f"{k}. Rewrite {text(step.expr)} = {text(step.result)}")
            lines.append(f"   {_identity_line(step)}")
            k += 1
            continue
        if step.kind != "gradient":
            continue
        assert step.upstream is not None
        lines.append(
            f"{k}. {text(step.expr)} ({_shape(step.expr)}) receives G = {text(step.upstream)} ({_shape(step.upstream)})"
        )
        lines.append(f"   {_identity_line(step)}")
        if step.differential is not None:
            lines.append(f"   d({text(step.expr)}) = {text(step.differential)}")
        for operand, g in step.cotangents:
            reaches = "  <- a contribution to the gradient" if operand == wrt else ""
            lines.append(
                f"   -> {text(operand)} ({_shape(operand)}) receives {text(g)} ({_shape(g)}){reaches}"
            )
        k += 1
    return lines, k


def _verification_text(v: Any) -> str:
    return ("Checked: " if v.ok else "NOT VERIFIED: ") + str(v.message) + "."


def _conditions_text(conditions: Any) -> list[str]:
    if not conditions:
        return []
    return ["Holds where: " + "; ".join(t for t, _ in conditions) + "."]


def matrix_gradient_to_text(g: Any) -> str:
    W = g.wrt
    root = g.steps
    out = [
        f"Gradient of L = {text(g.expr)} with respect to {text(W)}, by the differential method.",
        f"Shapes: {_shapes_text(g.shapes)}; L is a scalar (1 × 1).",
        f"Layout: denominator: ∂L/∂{text(W)} has the shape of {text(W)} ({_shape(W)}). Find G with "
        f"dL = tr(Gᵀ d{text(W)}); then ∂L/∂{text(W)} = G.",
    ]
    lines, k = _gradient_lines(root, W)
    out.extend(lines)
    out.append(f"Answer: ∂L/∂{text(W)} = {text(g.gradient)}   ({_shape(g.gradient)}, the shape of {text(W)})")
    out.extend(_conditions_text(g.conditions))
    out.append(_verification_text(g.verification))
    return "\n".join(out)


def _jacobian_lines(root: MatrixStep, x: N.Var, start: int = 1) -> tuple[list[str], int]:
    lines: list[str] = []
    k = start
    for step in _flat(root, "post"):
        if step.kind == "jacobian":
            lines.append(
                f"{k}. ∂({text(step.expr)})/∂{text(x)}ᵀ = {text(step.result)}   ({_shape(step.result)})"
            )
            lines.append(f"   {_identity_line(step)}")
            k += 1
        elif step.kind == "gradient" and step.rule != "solution":
            continue
    return lines, k


def matrix_jacobian_to_text(J: Any) -> str:
    x = J.wrt
    out = [
        f"Jacobian of f = {text(J.expr)} ({_shape(J.expr)}) with respect to {text(x)} ({_shape(x)}).",
        f"Shapes: {_shapes_text(J.shapes)}.",
        f"J = ∂f/∂{text(x)}ᵀ has one row per entry of f and one column per entry of {text(x)}: J_ij = ∂f_i/∂{text(x)}_j "
        f"({_shape(J.jacobian)}); in the denominator layout ∂f/∂{text(x)} = Jᵀ.",
    ]
    lines, _ = _jacobian_lines(J.steps, x)
    out.extend(lines)
    out.append(f"Answer: J = {text(J.jacobian)}   ({_shape(J.jacobian)})")
    out.extend(_conditions_text(J.conditions))
    out.append(_verification_text(J.verification))
    return "\n".join(out)


def matrix_hessian_to_text(H: Any) -> str:
    x = H.wrt
    out = [
        f"Hessian of L = {text(H.expr)} with respect to {text(x)} ({_shape(x)}): H = ∂(∇L)/∂{text(x)}ᵀ, "
        "the Jacobian of the gradient.",
        f"Shapes: {_shapes_text(H.shapes)}.",
        "First the gradient, by the differential method (denominator layout):",
    ]
    lines, k = _gradient_lines(H.gradient.steps, x)
    out.extend("   " + line for line in lines)
    out.append(f"   ∇L = {text(H.gradient.gradient)}   ({_shape(H.gradient.gradient)})")
    out.append(f"Then its Jacobian (∂{text(x)}/∂{text(x)}ᵀ = I):")
    jac_root = next((s for s in H.steps.substeps if s.kind == "jacobian"), None)
    if jac_root is not None:
        jl, _ = _jacobian_lines(MatrixStep("hessian", "solution", H.expr, H.hessian, substeps=(jac_root,)), x)
        out.extend("   " + line for line in jl)
    out.append(f"Answer: H = {text(H.hessian)}   ({_shape(H.hessian)}, symmetric)")
    if H.constant:
        out.append(f"H does not depend on {text(x)}: L is quadratic in {text(x)}.")
    out.extend(_conditions_text(H.conditions))
    out.append(_verification_text(H.verification))
    return "\n".join(out)


def matrix_critical_to_text(cp: Any) -> str:
    w = cp.wrt
    out = [
        f"Critical points of L = {text(cp.expr)} in {text(w)}: solve ∇L = {text(cp.gradient.gradient)} = 0."
    ]
    if not cp.closed:
        out.append(f"No closed form: {cp.reason}.")
        return "\n".join(out)
    assert cp.lhs is not None and cp.rhs is not None and cp.solution is not None and cp.hessian is not None
    name = "the normal equations" if cp.least_squares else "linear equations"
    out.append(
        f"∇L is affine in {text(w)} (the Hessian {text(cp.hessian)} is constant), so ∇L = 0 is {name}:"
    )
    out.append(f"   {text(N.mul(cp.lhs, w))} = {text(cp.rhs)}")
    out.append(f"When {cp.condition}: {text(w)}* = {text(cp.solution)}")
    if cp.least_squares:
        A, b = cp.least_squares
        out.append(
            f"Numerically, solve least squares with lstsq({text(A)}, {text(b)}) (QR/SVD: it never forms "
            f"{text(cp.lhs)}, whose condition number is the square of {text(A)}'s)."
        )
    out.append(f"Kind: {cp.kind}.")
    out.append(
        "Checked: the closed form makes the gradient 0 exactly at random values of small sizes."
        if cp.checked
        else "Could not check the closed form at random values (singular at every size tried)."
    )
    return "\n".join(out)


# -- Markdown -------------------------------------------------------------------------------------------


def _md(node: N.Node) -> str:
    return f"${latex(node)}$"


def _identity_md(step: MatrixStep) -> str:
    ident = IDENTITIES[step.rule]
    return f"*{ident.name}*: ${ident.formula_latex}$ ({ident.source})"


def _gradient_md(root: MatrixStep, wrt: N.Var) -> list[str]:
    out = []
    k = 1
    for step in _flat(root):
        if step.rule == "combine":
            out.append(f"{k}. {step.explanation}: ${latex(step.result)}$")
            k += 1
            continue
        if step.kind == "rewrite":
            out.append(f"{k}. Rewrite {_md(step.expr)} $= {latex(step.result)}$ — {_identity_md(step)}")
            k += 1
            continue
        if step.kind != "gradient":
            continue
        assert step.upstream is not None
        out.append(
            f"{k}. ${latex(step.expr)}$ (${_shape_tex(step.expr)}$) receives $G = {latex(step.upstream)}$ "
            f"(${_shape_tex(step.upstream)}$) — {_identity_md(step)}"
        )
        if step.differential is not None:
            out.append(f"   - $d\\left({latex(step.expr)}\\right) = {latex(step.differential)}$")
        for operand, g in step.cotangents:
            tag = " (reaches the variable)" if operand == wrt else ""
            out.append(
                f"   - ${latex(operand)}$ (${_shape_tex(operand)}$) receives ${latex(g)}$ (${_shape_tex(g)}$){tag}"
            )
        k += 1
    return out


def _conditions_md(conditions: Any) -> list[str]:
    if not conditions:
        return []
    return ["", "**Holds where:** " + "; ".join(f"${lx}$" for _, lx in conditions)]


def matrix_gradient_to_markdown(g: Any) -> str:
    W = g.wrt
    out = [
        f"**Gradient** of $L = {latex(g.expr)}$ with respect to ${latex(W)}$, by the differential method.",
        "",
        f"Shapes: ${_shapes_latex(g.shapes)}$; $L$ is a scalar.",
        "",
        f"Layout: denominator — $\\partial L/\\partial {latex(W)}$ has the shape of ${latex(W)}$ "
        f"(${_shape_tex(W)}$): find $G$ with $dL = \\operatorname{{tr}}(G^{{\\top}} d{latex(W)})$, then "
        f"$\\partial L/\\partial {latex(W)} = G$.",
        "",
        *_gradient_md(g.steps, W),
        "",
        f"**Answer:** $$\\frac{{\\partial L}}{{\\partial {latex(W)}}} = {latex(g.gradient)} "
        f"\\quad ({_shape_tex(g.gradient)})$$",
        *_conditions_md(g.conditions),
        "",
        f"*{_verification_text(g.verification)}*",
    ]
    return "\n".join(out) + "\n"


def _jacobian_md(root: MatrixStep, x: N.Var) -> list[str]:
    out = []
    k = 1
    for step in _flat(root, "post"):
        if step.kind == "jacobian":
            out.append(
                f"{k}. $\\partial\\left({latex(step.expr)}\\right)/\\partial {latex(x)}^{{\\top}} = {latex(step.result)}$ "
                f"(${_shape_tex(step.result)}$) — {_identity_md(step)}"
            )
            k += 1
    return out


def matrix_jacobian_to_markdown(J: Any) -> str:
    x = J.wrt
    out = [
        f"**Jacobian** of $f = {latex(J.expr)}$ (${_shape_tex(J.expr)}$) with respect to ${latex(x)}$: "
        f"$J = \\partial f/\\partial {latex(x)}^{{\\top}}$, $J_{{ij}} = \\partial f_i/\\partial x_j$ "
        f"(${_shape_tex(J.jacobian)}$; in the denominator layout $\\partial f/\\partial {latex(x)} = J^{{\\top}}$).",
        "",
        *_jacobian_md(J.steps, x),
        "",
        f"**Answer:** $$J = {latex(J.jacobian)} \\quad ({_shape_tex(J.jacobian)})$$",
        *_conditions_md(J.conditions),
        "",
        f"*{_verification_text(J.verification)}*",
    ]
    return "\n".join(out) + "\n"


def matrix_hessian_to_markdown(H: Any) -> str:
    x = H.wrt
    jac_root = next((s for s in H.steps.substeps if s.kind == "jacobian"), None)
    jac = (
        _jacobian_md(MatrixStep("hessian", "solution", H.expr, H.hessian, substeps=(jac_root,)), x)
        if jac_root
        else []
    )
    out = [
        f"**Hessian** of $L = {latex(H.expr)}$ with respect to ${latex(x)}$: "
        f"$H = \\partial(\\nabla L)/\\partial {latex(x)}^{{\\top}}$, the Jacobian of the gradient.",
        "",
        "*The gradient (differential method):*",
        "",
        *_gradient_md(H.gradient.steps, x),
        "",
        f"$\\nabla L = {latex(H.gradient.gradient)}$",
        "",
        "*Its Jacobian:*",
        "",
        *jac,
        "",
        f"**Answer:** $$H = {latex(H.hessian)} \\quad ({_shape_tex(H.hessian)},\\ \\text{{symmetric}})$$",
        *_conditions_md(H.conditions),
        "",
        f"*{_verification_text(H.verification)}*",
    ]
    return "\n".join(out) + "\n"


def matrix_critical_to_markdown(cp: Any) -> str:
    w = cp.wrt
    out = [
        f"**Critical points** of $L = {latex(cp.expr)}$: $\\nabla L = {latex(cp.gradient.gradient)} = \\mathbf{{0}}$.",
        "",
    ]
    if not cp.closed:
        out.append(f"No closed form: {cp.reason}.")
        return "\n".join(out) + "\n"
    assert cp.lhs is not None and cp.rhs is not None and cp.solution is not None
    out += [
        f"$$ {latex(N.mul(cp.lhs, w))} = {latex(cp.rhs)} $$",
        "",
        f"When {cp.condition}: $${latex(w)}^{{*}} = {latex(cp.solution)}$$",
        "",
        f"Kind: {cp.kind}.",
    ]
    if cp.least_squares:
        A, b = cp.least_squares
        out += ["", f"Numerically: `lstsq({text(A)}, {text(b)})`, which never forms ${latex(cp.lhs)}$."]
    return "\n".join(out) + "\n"


# -- LaTeX ----------------------------------------------------------------------------------------------


def _latex_doc(title: str, items: list[str], answer: str, note: str) -> str:
    body = [rf"\noindent {title}", r"\begin{enumerate}"]
    body += [rf"  \item {item}" for item in items] or [r"  \item (nothing to do)"]
    body += [r"\end{enumerate}", rf"\noindent\textbf{{Answer:}} \[ {answer} \]", rf"\noindent\emph{{{note}}}"]
    return "\n".join(body) + "\n"


_UNICODE_MATH = {
    "⁻ᵀ": r"^{-\top}",
    "⁻¹": r"^{-1}",
    "ᵀ": r"^{\top}",
    "²": "^{2}",
    "∂": r"\partial ",
    "‖": r"\|",
    "−": "-",
    "×": r"\times ",
    "≥": r"\geq ",
    "≠": r"\neq ",
    "⊙": r"\odot ",
    "⊘": r"\oslash ",
    "∘": r"\circ ",
    "σ": r"\sigma ",
    "λ": r"\lambda ",
    "′": "'",
    "″": "''",
    "⟨": r"\langle ",
    "⟩": r"\rangle ",
    "∇": r"\nabla ",
    "⇔": r"\iff ",
    "𝟏": r"\mathbf{1}",
    "₁": "_{1}",
    "·": r"\cdot ",
}


def _escape(s: str) -> str:
    """Plain text (with the Unicode of the text renderings: ``Xᵀ``, ``‖r‖²``, ``≠``) as LaTeX text."""
    out = (
        s.replace("\\", r"\textbackslash{}")
        .replace("_", r"\_")
        .replace("&", r"\&")
        .replace("%", r"\%")
        .replace("#", r"\#")
        .replace("|", r"\textbar{}")
        .replace("$", r"\$")
    )
    for k in sorted(_UNICODE_MATH, key=len, reverse=True):
        out = out.replace(k, f"${_UNICODE_MATH[k]}$")
    return out.replace("$$", "")


def _tex_note(v: Any) -> str:
    return _escape(("Checked: " if v.ok else "NOT VERIFIED: ") + v.message)


def _gradient_items(root: MatrixStep, wrt: N.Var) -> list[str]:
    items = []
    for step in _flat(root):
        ident = IDENTITIES[step.rule]
        head = rf"\textit{{{_escape(ident.name)}}}: ${ident.formula_latex}$ ({_escape(ident.source)}). "
        if step.kind == "rewrite":
            items.append(head + rf"$ {latex(step.expr)} = {latex(step.result)} $")
        elif step.kind == "gradient":
            assert step.upstream is not None
            parts = [
                head + rf"$ {latex(step.expr)}$ (${_shape_tex(step.expr)}$) receives "
                rf"$G = {latex(step.upstream)}$."
            ]
            if step.differential is not None:
                parts.append(rf"$d\left({latex(step.expr)}\right) = {latex(step.differential)}$.")
            for operand, g in step.cotangents:
                parts.append(rf"$ {latex(operand)}$ (${_shape_tex(operand)}$) receives ${latex(g)}$.")
            items.append(" ".join(parts))
    return items


def matrix_gradient_to_latex(g: Any) -> str:
    W = g.wrt
    title = (
        rf"\textbf{{Gradient}} of $L = {latex(g.expr)}$ with respect to ${latex(W)}$ (${_shape_tex(W)}$) "
        rf"(denominator layout: $dL = \operatorname{{tr}}(G^{{\top}} d{latex(W)}) \Rightarrow "
        rf"\partial L/\partial {latex(W)} = G$)."
    )
    answer = rf"\frac{{\partial L}}{{\partial {latex(W)}}} = {latex(g.gradient)}"
    return _latex_doc(title, _gradient_items(g.steps, W), answer, _tex_note(g.verification))


def matrix_jacobian_to_latex(J: Any) -> str:
    x = J.wrt
    items = [
        rf"$\partial\left({latex(s.expr)}\right)/\partial {latex(x)}^{{\top}} = {latex(s.result)}$ "
        rf"(${_shape_tex(s.result)}$; \textit{{{_escape(IDENTITIES[s.rule].name)}}})"
        for s in _flat(J.steps, "post")
        if s.kind == "jacobian"
    ]
    return _latex_doc(
        rf"\textbf{{Jacobian}} of $f = {latex(J.expr)}$ with respect to ${latex(x)}$.",
        items,
        rf"J = {latex(J.jacobian)}",
        _tex_note(J.verification),
    )


def matrix_hessian_to_latex(H: Any) -> str:
    x = H.wrt
    items = _gradient_items(H.gradient.steps, x)
    jac_root = next((s for s in H.steps.substeps if s.kind == "jacobian"), None)
    if jac_root is not None:
        items += [
            rf"$\partial\left({latex(s.expr)}\right)/\partial {latex(x)}^{{\top}} = {latex(s.result)}$"
            for s in _flat(MatrixStep("hessian", "solution", H.expr, H.hessian, substeps=(jac_root,)), "post")
            if s.kind == "jacobian"
        ]
    return _latex_doc(
        rf"\textbf{{Hessian}} of $L = {latex(H.expr)}$ with respect to ${latex(x)}$.",
        items,
        rf"H = {latex(H.hessian)}",
        _tex_note(H.verification),
    )


def matrix_critical_to_latex(cp: Any) -> str:
    w = cp.wrt
    if not cp.closed:
        return (
            rf"\noindent No closed form for the critical points of $ {latex(cp.expr)} $: {_escape(cp.reason)}."
            + "\n"
        )
    assert cp.lhs is not None and cp.rhs is not None and cp.solution is not None
    return (
        rf"\noindent\textbf{{Critical points}} of $ {latex(cp.expr)} $: $\nabla L = {latex(cp.gradient.gradient)} = 0$ "
        rf"$\iff$ \[ {latex(N.mul(cp.lhs, w))} = {latex(cp.rhs)} \] "
        rf"When ${latex(cp.lhs)}$ is invertible: \[ {latex(w)}^{{*}} = {latex(cp.solution)} \] "
        rf"Kind: {_escape(cp.kind)}." + "\n"
    )


# -- JSON -----------------------------------------------------------------------------------------------


def node_dict(node: N.Node | None) -> dict[str, Any] | None:
    """An expression as JSON: its text, LaTeX and shape."""
    if node is None:
        return None
    return {
        "text": text(node),
        "latex": latex(node),
        "shape": [sympy.sstr(node.rows), sympy.sstr(node.cols)],
        "shape_text": N.shape_text(node.shape),
    }


def step_dict(step: MatrixStep) -> dict[str, Any]:
    ident = IDENTITIES[step.rule]
    return {
        "rule": step.rule,
        "name": ident.name,
        "kind": step.kind,
        "formula": {"text": ident.formula_text, "latex": ident.formula_latex},
        "source": ident.source,
        "expr": node_dict(step.expr),
        "upstream": node_dict(step.upstream),
        "differential": node_dict(step.differential),
        "cotangents": [{"operand": node_dict(a), "gradient": node_dict(g)} for a, g in step.cotangents],
        "result": node_dict(step.result),
        "explanation": step.explanation,
        "substeps": [step_dict(s) for s in step.substeps],
    }


def _shapes_dict(shapes: Any) -> dict[str, Any]:
    return {
        v.name: {
            "rows": sympy.sstr(v.nrows),
            "cols": sympy.sstr(v.ncols),
            "kind": v.kind,
            "text": N.shape_text(v.shape),
        }
        for v in shapes
    }


def _verification_dict(v: Any) -> dict[str, Any]:
    return {
        "ok": v.ok,
        "sizes": list(v.sizes),
        "method": v.method,
        "entries": v.entries,
        "steps_checked": v.steps_checked,
        "failed_steps": [s.rule for s in v.failed_steps],
        "numeric": v.numeric,
        "message": v.message,
    }


def _sympy_text(obj: Any) -> str:
    try:
        return str(sympy.sstr(obj))
    except Exception:  # noqa: BLE001 - printing is best effort
        return str(obj)


def matrix_gradient_to_dict(g: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "matrix_gradient",
        "expr": node_dict(g.expr),
        "wrt": {"name": g.wrt.name, **(node_dict(g.wrt) or {})},
        "shapes": _shapes_dict(g.shapes),
        "layout": g.layout,
        "result": {**(node_dict(g.gradient) or {}), "sympy": _sympy_text(g.result)},
        "conditions": [{"text": t, "latex": lx} for t, lx in g.conditions],
        "steps": step_dict(g.steps),
        "verification": _verification_dict(g.verification),
    }


def matrix_jacobian_to_dict(J: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "matrix_jacobian",
        "expr": node_dict(J.expr),
        "wrt": {"name": J.wrt.name, **(node_dict(J.wrt) or {})},
        "shapes": _shapes_dict(J.shapes),
        "layout": "numerator rows (J = ∂f/∂xᵀ); ∂f/∂x = Jᵀ in the denominator layout",
        "result": {**(node_dict(J.jacobian) or {}), "sympy": _sympy_text(J.result)},
        "conditions": [{"text": t, "latex": lx} for t, lx in J.conditions],
        "steps": step_dict(J.steps),
        "verification": _verification_dict(J.verification),
    }


def matrix_hessian_to_dict(H: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "matrix_hessian",
        "expr": node_dict(H.expr),
        "wrt": {"name": H.wrt.name, **(node_dict(H.wrt) or {})},
        "shapes": _shapes_dict(H.shapes),
        "gradient": matrix_gradient_to_dict(H.gradient),
        "result": {**(node_dict(H.hessian) or {}), "sympy": _sympy_text(H.result)},
        "constant": H.constant,
        "steps": step_dict(H.steps),
        "verification": _verification_dict(H.verification),
    }


def matrix_critical_to_dict(cp: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "matrix_critical_points",
        "expr": node_dict(cp.expr),
        "wrt": cp.wrt.name,
        "gradient": node_dict(cp.gradient.gradient),
        "closed": cp.closed,
        "hessian": node_dict(cp.hessian),
        "lhs": node_dict(cp.lhs),
        "rhs": node_dict(cp.rhs),
        "solution": node_dict(cp.solution),
        "condition": cp.condition,
        "kind": cp.kind,
        "least_squares": [node_dict(a) for a in cp.least_squares] if cp.least_squares else None,
        "reason": cp.reason,
        "checked": cp.checked,
    }


# -- a checked claim --------------------------------------------------------------------------------------


def matrix_check_to_text(c: Any) -> str:
    lines = [f"Checking the claimed gradient of {text(c.matrix_expr)} with respect to {c.wrt.name}:"]
    claimed = text(c.claim) if c.claim is not None else c.claim_text
    lines.append(
        f"  claimed:  {claimed}" + (f"   ({N.shape_text(c.claim.shape)})" if c.claim is not None else "")
    )
    lines.append(f"  expected: {text(c.truth)}   ({N.shape_text(c.truth.shape)}, the shape of {c.wrt.name})")
    if c.ok:
        lines.append("  correct: equal entry by entry at every size and point tried.")
        return "\n".join(lines)
    if c.point is not None:
        lines.append(f"  at {c.point}: expected {c.expected_value}, claimed {c.claimed_value}")
    for m, h in zip(c.mistakes, c.hints, strict=False):
        lines.append(f"  mistake {m}: {h}")
    if not c.mistakes:
        lines.append("  wrong (no classic mistake reproduces it exactly).")
    return "\n".join(lines)


def matrix_check_to_latex(c: Any) -> str:
    head = rf"\noindent Checking the claimed gradient of $ {latex(c.matrix_expr)} $ with respect to ${latex(c.wrt)}$: "
    claimed = f"${latex(c.claim)}$" if c.claim is not None else rf"\texttt{{{_escape(c.claim_text)}}}"
    body = [head, f"claimed {claimed}, expected $ {latex(c.truth)} $ (${N.shape_latex(c.truth.shape)}$)."]
    if c.ok:
        body.append("Correct: equal entry by entry at every size and point tried.")
    for m, h in zip(c.mistakes, c.hints, strict=False):
        body.append(rf"Mistake \texttt{{{_escape(m)}}}: {_escape(h)}.")
    return " ".join(body) + "\n"


def matrix_check_to_dict(c: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "matrix_gradient_check",
        "expr": node_dict(c.matrix_expr),
        "wrt": c.wrt.name,
        "claim": node_dict(c.claim) if c.claim is not None else {"text": c.claim_text},
        "expected": node_dict(c.truth),
        "ok": c.ok,
        "mistakes": list(c.mistakes),
        "hints": list(c.hints),
        "point": c.point,
        "expected_value": c.expected_value,
        "claimed_value": c.claimed_value,
    }
