r"""Checking a gradient a student wrote in matrix form (``"2X^T(Xw - y)"``) and naming the mistake.

The claim is read with the same shapes as the function, compared entry by entry with the checked gradient at
random values of two size sets, and when it is wrong each classic mistake is tried as an error model (a claim
that is exactly what the mistake produces is diagnosed with it):

* ``shape.mismatch``: the claim cannot be formed (``X(Xw − y)`` multiplies ``n × m`` by ``n × 1``);
* ``shape.wrong``: it has another shape than the variable (the denominator layout: ``∂L/∂w`` is ``m × 1``);
* ``layout.numerator``: it is the transpose of the gradient (``(Xw − y)ᵀX``, the numerator layout);
* ``transpose.missing`` / ``transpose.extra``: one transpose more or less makes it right;
* ``quadratic.assumed_symmetric``: ``(A + Aᵀ)x`` written as ``2Ax``: right only for a symmetric ``A``;
* ``factor.missing_2`` / ``factor.extra_2``, ``factor.missing_1_over_n`` / ``factor.extra_1_over_n`` (``n`` any
  size of the problem), ``sign.flipped``, ``factor.wrong``: off by a constant.

Example:
    >>> import symcalc as sc
    >>> c = sc.check_matrix_gradient("‖Xw - y‖^2/n", "2X^T(Xw - y)", "w", shapes="X: n x m, w: m, y: n")
    >>> c.ok, c.mistakes
    (False, ('factor.missing_1_over_n',))
    >>> sc.check_gradient("‖Xw - y‖^2/n", "2X^T(Xw - y)/n", "w", shapes="X: n x m, w: m, y: n").ok
    True
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import sympy

from ..derive.matrix import nodes as N
from ..derive.matrix.nodes import Node, ShapeError, Var
from ..derive.matrix.printing import text
from ..derive.matrix.results import MatrixGradient, matrix_gradient
from ..derive.matrix.text import _NAME_RE, Shapes, canonical_name, normalize, parse_matrix
from ..derive.matrix.verify import _agree, _number, _Setup
from ..errors import ParseError
from .check import ComponentVerdict, GradientCheck

__all__ = ["MATRIX_MISTAKES", "MatrixGradientCheck", "check_matrix_gradient"]

#: The mistakes diagnosed in a matrix-form gradient, by stable id, with the sentence a learner reads.
MATRIX_MISTAKES: dict[str, str] = {
    "shape.mismatch": "the claim cannot be formed: {detail}",
    "shape.wrong": "∂L/∂{wrt} has the shape of {wrt} ({want}) in the denominator layout; the claim is {got}",
    "layout.numerator": "the claim is the transpose of the gradient, as the numerator layout writes it; in the "
    "denominator layout ∂L/∂{wrt} has the shape of {wrt} ({want})",
    "transpose.missing": "a transpose is missing: {before} should be {after}",
    "transpose.extra": "a transpose too many: {before} should be {after}",
    "quadratic.assumed_symmetric": "the gradient of xᵀ{A}x is ({A} + {A}ᵀ)x; 2{A}x holds only when {A} is symmetric, "
    "and {A} is not assumed symmetric",
    "factor.missing_2": "a factor 2 is missing (∂‖r‖²/∂r = 2r, ∂(xᵀx)/∂x = 2x)",
    "factor.extra_2": "there is a factor 2 too many",
    "factor.missing_1_over_n": "the factor 1/{n} is missing (the loss is a mean over {n} terms)",
    "factor.extra_1_over_n": "there is a factor 1/{n} too many",
    "sign.flipped": "the sign is wrong: the claim is minus the gradient",
    "factor.wrong": "the claim is {c} times the gradient",
}


@dataclass(frozen=True)
class MatrixGradientCheck(GradientCheck):
    """The verdict on a matrix-form gradient: ``.ok``, ``.mistakes`` (ids), ``.hints``, and where it differs.

    Beyond :class:`~symcalc.teach.check.GradientCheck`'s fields: ``matrix_expr`` (the function, a node), ``wrt``
    (the variable), ``truth`` (the checked gradient, a node), ``claim`` (the claim as a node, None when it cannot
    be formed) and ``claim_text`` (as given); ``point`` (the sizes and the first entry where claim and gradient
    differ), ``expected_value`` and ``claimed_value`` (the two values there).
    """

    matrix_expr: Node | None = None
    wrt: Var | None = None
    truth: Node | None = None
    claim: Node | None = None
    claim_text: str = ""
    found: tuple[tuple[str, str], ...] = ()
    correct: bool = False
    point: str | None = None
    expected_value: float | None = None
    claimed_value: float | None = None
    gradient: MatrixGradient | None = None

    @property
    def ok(self) -> bool:
        return self.correct

    @property
    def mistakes(self) -> tuple[str, ...]:
        return tuple(m for m, _ in self.found)

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(h for _, h in self.found)

    def to_text(self) -> str:
        from ..render.matrix import matrix_check_to_text

        return matrix_check_to_text(self)

    def to_markdown(self) -> str:
        return "```text\n" + self.to_text() + "\n```\n"

    def to_latex(self) -> str:
        from ..render.matrix import matrix_check_to_latex

        return matrix_check_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        from ..render.matrix import matrix_check_to_dict

        return matrix_check_to_dict(self)

    def __str__(self) -> str:
        return self.to_text()


# -- comparing two nodes at random values ----------------------------------------------------------------------


class _Compare:
    """Evaluate the truth and candidates at fixed random values of two size sets (the same for every candidate)."""

    def __init__(self, L: Node, wrt: Var, truth: Node, extra: list[Node], seed: int) -> None:
        self.setups = [_Setup(L, wrt, [truth, *extra], which, seed) for which in (0, 1)]
        self.truth = truth
        self._truth_values = [s.numeric()(truth) for s in self.setups]

    def values(self, node: Node, symmetric: str | None = None) -> list[sympy.Matrix] | None:
        out = []
        for setup in self.setups:
            inst = setup.numeric()
            if symmetric is not None:
                A = inst.values[symmetric]
                inst.values = {**inst.values, symmetric: (A + A.T) / 2}
                inst.cache.clear()
            try:
                out.append(inst(node))
            except (ZeroDivisionError, ValueError, KeyError):
                return None
        return out

    def truth_values(self, symmetric: str | None = None) -> list[sympy.Matrix]:
        if symmetric is None:
            return self._truth_values
        got = self.values(self.truth, symmetric)
        assert got is not None
        return got

    def equal(self, node: Node, symmetric: str | None = None) -> bool:
        got = self.values(node, symmetric)
        want = self.truth_values(symmetric)
        if got is None or any(g.shape != w.shape for g, w in zip(got, want, strict=True)):
            return False
        return all(
            _agree(a, b, {}) for g, w in zip(got, want, strict=True) for a, b in zip(g, w, strict=True)
        )

    def ratios(self, node: Node, symmetric: str | None = None) -> list[sympy.Expr] | None:
        """The constant ``c`` with ``node = c · truth`` at each size set, or None where there is none."""
        got = self.values(node, symmetric)
        want = self.truth_values(symmetric)
        if got is None:
            return None
        out = []
        for g, w in zip(got, want, strict=True):
            if g.shape != w.shape:
                return None
            c = None
            for a, b in zip(g, w, strict=True):
                vb = _number(b)
                va = _number(a)
                if va is None or vb is None:
                    return None
                if abs(vb) < 1e-12:
                    if abs(va) > 1e-12:
                        return None
                    continue
                r = va / vb
                if c is None:
                    c = r
                elif abs(r - c) > 1e-9 * max(1.0, abs(c)):
                    return None
            if c is None:
                return None
            out.append(sympy.nsimplify(c.real, rational=True, tolerance=1e-9))
        return out

    def first_difference(self, node: Node) -> tuple[str, float, float] | None:
        got = self.values(node)
        if got is None:
            return None
        for setup, g, w in zip(self.setups, got, self._truth_values, strict=True):
            if g.shape != w.shape:
                return None
            for idx, (a, b) in enumerate(zip(g, w, strict=True)):
                if not _agree(a, b, {}):
                    sizes = ", ".join(f"{k} = {v}" for k, v in setup.size_names().items())
                    i, j = divmod(idx, w.shape[1])
                    where = f"entry ({i + 1}, {j + 1})" + (f" at {sizes}" if sizes else "")
                    va, vb = _number(b), _number(a)
                    return where, (va.real if va else float("nan")), (vb.real if vb else float("nan"))
        return None


# -- the error models -------------------------------------------------------------------------------------


def _occurrences(node: Node) -> list[Node]:
    return [
        n
        for n in node.walk()
        if (isinstance(n, Var) and not n.is_scalar) or isinstance(n, N.Inverse | N.Transpose)
    ]


def _replace_nth(node: Node, target: Node, new: Node, k: int) -> Node:
    """``node`` with the ``k``-th occurrence (pre-order) of ``target`` replaced by ``new``."""
    count = [0]

    def visit(n: Node) -> Node:
        if n == target:
            count[0] += 1
            if count[0] - 1 == k:
                return new
            # an occurrence inside the target is not another occurrence of it
            return n
        if not n.children:
            return n
        kids = tuple(visit(c) for c in n.children)
        return n.rebuild(kids) if any(a is not b for a, b in zip(kids, n.children, strict=True)) else n

    return visit(node)


def _toggles(claim: Node) -> list[tuple[Node, str, str, str]]:
    """Each claim with one transpose added or removed: ``(candidate, mistake, before, after)``."""
    out = []
    seen: dict[Node, int] = {}
    for occ in _occurrences(claim):
        k = seen.get(occ, 0)
        seen[occ] = k + 1
        if isinstance(occ, N.Transpose):
            new: Node = occ.arg
            mistake = "transpose.extra"
        else:
            try:
                new = N.transpose(occ)
            except ShapeError:
                continue
            mistake = "transpose.missing"
        if new == occ:
            continue
        try:
            candidate = _replace_nth(claim, occ, new, k)
        except ShapeError:
            continue
        out.append((candidate, mistake, text(occ), text(new)))
    return out


def _size_names(L: Node) -> list[sympy.Symbol]:
    return sorted(N.sizes_of(L), key=lambda s: s.name)


def _explain_factor(c_values: list[sympy.Expr], cmp: _Compare, L: Node) -> list[tuple[str, str]] | None:
    """Name a constant factor ``claim = c · truth`` as missing/extra 2, missing/extra 1/n, a sign."""
    sizes = [s.sizes for s in cmp.setups]
    names = _size_names(L)
    for sign, two, powers in itertools.product(
        (1, -1), (1, sympy.Rational(1, 2), 2), itertools.product((0, 1, -1), repeat=len(names))
    ):
        if all(
            sympy.nsimplify(
                sign * two * sympy.Mul(*[sizes_k[s] ** p for s, p in zip(names, powers, strict=True)])
            )
            == c
            for c, sizes_k in zip(c_values, sizes, strict=True)
        ):
            found: list[tuple[str, str]] = []
            if two == sympy.Rational(1, 2):
                found.append(("factor.missing_2", MATRIX_MISTAKES["factor.missing_2"]))
            elif two == 2:
                found.append(("factor.extra_2", MATRIX_MISTAKES["factor.extra_2"]))
            for s, p in zip(names, powers, strict=True):
                if p == 1:
                    found.append(
                        ("factor.missing_1_over_n", MATRIX_MISTAKES["factor.missing_1_over_n"].format(n=s))
                    )
                elif p == -1:
                    found.append(
                        ("factor.extra_1_over_n", MATRIX_MISTAKES["factor.extra_1_over_n"].format(n=s))
                    )
            if sign == -1:
                found.append(("sign.flipped", MATRIX_MISTAKES["sign.flipped"]))
            return found or None
    c = c_values[0]
    return [("factor.wrong", MATRIX_MISTAKES["factor.wrong"].format(c=sympy.sstr(c)))]


def _diagnose(claim: Node, g: MatrixGradient, cmp: _Compare) -> list[tuple[str, str]]:
    truth, W, L = g.gradient, g.wrt, g.expr
    want = N.shape_text(W.shape)
    toggles = _toggles(claim) if claim.shape == truth.shape else []
    if W.is_square:
        # a square variable: one transpose more or less reads better than "the transpose of the gradient"
        for candidate, mistake, before, after in toggles:
            if candidate.shape == truth.shape and cmp.equal(candidate):
                return [(mistake, MATRIX_MISTAKES[mistake].format(before=before, after=after))]
    # the transpose of the gradient (the numerator layout)
    if claim.shape != truth.shape or W.is_square:
        flipped = N.transpose(claim)
        if flipped.shape == truth.shape and cmp.equal(flipped) and not cmp.equal(claim):
            return [("layout.numerator", MATRIX_MISTAKES["layout.numerator"].format(wrt=W.name, want=want))]
    if claim.shape != truth.shape:
        return [
            (
                "shape.wrong",
                MATRIX_MISTAKES["shape.wrong"].format(wrt=W.name, want=want, got=N.shape_text(claim.shape)),
            )
        ]
    # off by a constant
    ratios = cmp.ratios(claim)
    if ratios is not None:
        found = _explain_factor(ratios, cmp, L)
        if found:
            return found
    # (A + Aᵀ)x as 2Ax: right (up to a constant) when A is symmetric
    for A in N.variables_of(L):
        if A.kind != "matrix" or not A.is_square:
            continue
        if cmp.equal(claim, symmetric=A.name):
            hint = MATRIX_MISTAKES["quadratic.assumed_symmetric"].format(A=A.name)
            return [("quadratic.assumed_symmetric", hint)]
        sym_ratios = cmp.ratios(claim, symmetric=A.name)
        if sym_ratios is not None:
            extra = _explain_factor(sym_ratios, cmp, L) or []
            hint = MATRIX_MISTAKES["quadratic.assumed_symmetric"].format(A=A.name)
            return [("quadratic.assumed_symmetric", hint), *[f for f in extra if f[0] != "factor.wrong"]]
    # one transpose more or less
    for candidate, mistake, before, after in toggles:
        if candidate.shape != truth.shape:
            continue
        if cmp.equal(candidate):
            return [(mistake, MATRIX_MISTAKES[mistake].format(before=before, after=after))]
        r = cmp.ratios(candidate)
        if r is not None:
            extra = _explain_factor(r, cmp, L) or []
            if extra and extra[0][0] != "factor.wrong":
                return [(mistake, MATRIX_MISTAKES[mistake].format(before=before, after=after)), *extra]
    return []


def _text_toggles(source: str, shapes: Shapes) -> list[tuple[str, str, str]]:
    """The claim's text with a transpose added after one name, or one transpose removed (for claims that cannot
    be formed): ``(variant, name, fixed)``."""
    norm = normalize(source)
    out = []
    for m in _NAME_RE.finditer(norm):
        name = canonical_name(m.group(0))
        if name not in shapes or shapes[name].is_scalar:
            continue
        before = norm[: m.end()]
        after = norm[m.end() :]
        t = re.match(r"\s*(\^\s*\{?\s*T\s*\}?|ᵀ|')", after)
        if t:
            out.append((before + " " * len(t.group(0)) + after[t.end() :], m.group(0) + "ᵀ", m.group(0)))
        else:
            out.append((before + "ᵀ" + after, m.group(0), m.group(0) + "ᵀ"))
    return out


def check_matrix_gradient(
    expr: Any, claimed: Any, wrt: Any = None, *, shapes: Any = None, seed: int = 11
) -> MatrixGradientCheck:
    """Check a claimed gradient in matrix form against the checked one, and name the mistake.

    Args:
        expr: the scalar function (text, LaTeX or a node), e.g. ``"‖Xw - y‖^2/n"``.
        claimed: the claimed ``∂L/∂W`` (text, LaTeX or a node), e.g. ``"2X^T(Xw - y)/n"``.
        wrt: the variable (a name; may be omitted when there is one); a one-element list is accepted.
        shapes: the declared shapes, ``"X: n x m, w: m, y: n"``.

    Example:
        >>> c = check_matrix_gradient("x^T A x", "2Ax", "x", shapes="A: n x n, x: n")
        >>> c.mistakes
        ('quadratic.assumed_symmetric',)
    """
    if isinstance(wrt, list | tuple):
        if len(wrt) != 1:
            raise ParseError("a matrix-form claim is checked against one variable", str(wrt), None)
        wrt = wrt[0]
    if isinstance(claimed, list | tuple):
        if len(claimed) != 1:
            raise ParseError(
                "a matrix-form claim is one expression, not a list of components", str(claimed), None
            )
        claimed = claimed[0]
    g = matrix_gradient(expr, wrt, shapes)
    declared = Shapes.of(shapes).merge(g.shapes) if shapes is not None else g.shapes
    truth, W = g.gradient, g.wrt
    claim_text = claimed if isinstance(claimed, str) else text(claimed)
    claim: Node | None
    found: list[tuple[str, str]] = []
    try:
        claim = parse_matrix(claimed, declared)
    except ShapeError as err:
        claim = None
        cmp = _Compare(g.expr, W, truth, [], seed)
        for variant, before, after in _text_toggles(claim_text, declared) if isinstance(claimed, str) else []:
            try:
                candidate = parse_matrix(variant, declared)
            except (ShapeError, ParseError):
                continue
            if candidate.shape == truth.shape and cmp.equal(candidate):
                mistake = "transpose.missing" if after.endswith("ᵀ") else "transpose.extra"
                found = [(mistake, MATRIX_MISTAKES[mistake].format(before=before, after=after))]
                break
        if not found:
            found = [("shape.mismatch", MATRIX_MISTAKES["shape.mismatch"].format(detail=err.reason))]
        else:
            found.insert(0, ("shape.mismatch", MATRIX_MISTAKES["shape.mismatch"].format(detail=err.reason)))
        return _result(g, None, claim_text, found, False, None)
    cmp = _Compare(g.expr, W, truth, [claim], seed)
    if claim.shape == truth.shape and cmp.equal(claim):
        return _result(g, claim, claim_text, [], True, None)
    found = _diagnose(claim, g, cmp)
    return _result(
        g,
        claim,
        claim_text,
        found,
        False,
        cmp.first_difference(claim) if claim.shape == truth.shape else None,
    )


def _result(
    g: MatrixGradient,
    claim: Node | None,
    claim_text: str,
    found: list[tuple[str, str]],
    ok: bool,
    where: tuple[str, float, float] | None,
) -> MatrixGradientCheck:
    from ..derive.matrix.sympy_form import to_sympy

    symbol = sympy.Symbol(g.wrt.name, real=True)
    verdict = ComponentVerdict(
        symbol,
        ok,
        to_sympy(g.gradient),
        to_sympy(claim) if claim is not None else None,
        None,
        where[1] if where else None,
        where[2] if where else None,
        found[0][0] if found else None,
        found[0][1] if found else None,
    )
    return MatrixGradientCheck(
        expr=sympy.Symbol("L"),
        variables=(symbol,),
        components=(verdict,),
        matrix_expr=g.expr,
        wrt=g.wrt,
        truth=g.gradient,
        claim=claim,
        claim_text=claim_text,
        found=tuple(found),
        correct=ok,
        point=where[0] if where else None,
        expected_value=where[1] if where else None,
        claimed_value=where[2] if where else None,
        gradient=g,
    )
