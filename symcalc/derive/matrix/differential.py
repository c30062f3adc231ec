r"""The rules of the differential method, one small function per kind of node, and the trace they leave.

Gradient (reverse): the scalar ``L`` starts with ``G = 1``; a node ``Y`` that receives ``G_Y`` (so that
``dL = tr(G_Yᵀ dY) + ...``) writes ``dY`` in its operands' differentials with one identity of the catalogue
and hands each operand ``X`` its own ``G_X`` (``dL = tr(G_Xᵀ dX) + ...``). Where the variable ``W`` is reached,
``G_W`` is a contribution to ``∂L/∂W``; several occurrences add up. A rule returns its id, the operands with their
``G``, and the differential it used: planning (these rules), checking (``verify.py``) and writing
(``printing.py``, ``render/matrix.py``) are separate.

Jacobian (forward): ``∂x/∂xᵀ = I`` and each node builds ``J_Y = ∂Y/∂xᵀ`` from its operands'.

Every step records what it claims; ``verify.py`` checks each claim entry by entry at small sizes.

Example:
    >>> from symcalc.derive.matrix import parse_matrix
    >>> from symcalc.derive.matrix.differential import backward
    >>> L = parse_matrix("‖Xw - y‖^2/n", "X: n x m, w: m, y: n")
    >>> g, step = backward(L, L.children[0].arg.children[0].chain[1])
    >>> print(g)
    2Xᵀ(Xw − y)/n
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sympy

from ...errors import UnsupportedError
from . import nodes as N
from .identities import IDENTITIES
from .nodes import ONE, Node, Var

__all__ = ["MatrixStep", "backward", "forward", "recognize", "tidy", "conditions_of"]


@dataclass(frozen=True)
class MatrixStep:
    """One move of a matrix-calculus derivation.

    Attributes:
        rule: the identity's id in :data:`~symcalc.derive.matrix.identities.IDENTITIES`.
        kind: ``"gradient"`` (reverse: claims ``result = ∂⟨G, Y⟩/∂W`` with ``G = upstream`` held fixed),
            ``"jacobian"`` (claims ``result = ∂Y/∂xᵀ``), ``"rewrite"`` (claims ``result = expr``) or
            ``"solution"`` (the root: claims ``result = ∂L/∂W``).
        expr: the node ``Y`` the identity is applied to (its shape is ``expr.shape``).
        result: what the step claims (see ``kind``); its shape is stated and checked.
        upstream: ``G_Y``, the gradient of ``L`` with respect to ``Y`` (gradient steps), shape of ``Y``.
        differential: ``dY`` written in the operands' differentials (``d(Xw) = X dw``).
        cotangents: each operand that depends on the variable, with the ``G`` it receives.
        substeps: the steps below this one.
        explanation: one sentence.
    """

    rule: str
    kind: str
    expr: Node
    result: Node
    upstream: Node | None = None
    differential: Node | None = None
    cotangents: tuple[tuple[Node, Node], ...] = ()
    substeps: tuple[MatrixStep, ...] = ()
    explanation: str = ""

    @property
    def identity(self) -> Any:
        """The identity used, from the catalogue (name, formula, source)."""
        return IDENTITIES[self.rule]

    def walk(self) -> Iterator[MatrixStep]:
        """This step and every step below it, depth first."""
        stack = [self]
        while stack:
            step = stack.pop()
            yield step
            stack.extend(reversed(step.substeps))


# -- reverse: gradients ----------------------------------------------------------------------------------

_Rule = Callable[["_Backward", Any, Node], tuple[str, list[tuple[Node, Node]], Node | None, str]]


def inner(G: Node, R: Node) -> Node:
    """``⟨G, R⟩ = tr(GᵀR)``: the sum of the entrywise products, as a ``1 × 1`` node."""
    if G.is_scalar:
        return N.mul(G, R)
    if G.cols == ONE or G.rows == ONE:
        return N.mul(N.transpose(G), R) if G.cols == ONE else N.mul(G, N.transpose(R))
    return N.trace(N.mul(N.transpose(G), R))


class _Backward:
    def __init__(self, wrt: Var) -> None:
        self.wrt = wrt
        self._dep: dict[Node, bool] = {}

    def depends(self, node: Node) -> bool:
        found = self._dep.get(node)
        if found is None:
            found = node == self.wrt or any(self.depends(c) for c in node.children)
            self._dep[node] = found
        return found

    def back(self, node: Node, G: Node) -> tuple[list[Node], MatrixStep]:
        rule_fn = _RULES.get(type(node))
        if rule_fn is None:
            raise UnsupportedError(f"no rule for {type(node).__name__} in a gradient")
        rule, cots, differential, explanation = rule_fn(self, node, G)
        cots = [(child, g) for child, g in cots if self.depends(child)]
        contributions: list[Node] = []
        substeps: list[MatrixStep] = []
        for child, g in cots:
            if child == self.wrt:
                contributions.append(g)
            else:
                c, s = self.back(child, g)
                contributions.extend(c)
                substeps.append(s)
        result = N.add(*contributions) if contributions else N.Zero(*self.wrt.shape)
        step = MatrixStep(
            rule, "gradient", node, result, G, differential, tuple(cots), tuple(substeps), explanation
        )
        return contributions, step


def _d(node: Node) -> Node:
    return N.Differential(node)


def _rule_add(b: _Backward, node: N.Add, G: Node) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    cots = [(t, G) for t in node.terms if b.depends(t)]
    differential = N.add(*(_d(t) for t in node.terms if b.depends(t)))
    return (
        "sum",
        cots,
        differential,
        "the differential of a sum is the sum of the differentials; each term receives G",
    )


def _rule_mul(b: _Backward, node: N.Mul, G: Node) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    coeff, scalars, chain = node.coeff, node.scalars, node.chain
    dep_s = [i for i, s in enumerate(scalars) if b.depends(s)]
    dep_c = [j for j, f in enumerate(chain) if b.depends(f)]
    cots: list[tuple[Node, Node]] = []
    diffs: list[Node] = []
    for i in dep_s:
        rest = N._mul_parts(coeff, scalars[:i] + scalars[i + 1 :], chain)
        cots.append((scalars[i], inner(G, rest)))
        diffs.append(N.mul(_d(scalars[i]), rest))
    scalar_part = N.mul(N.Const(coeff), *scalars)
    if not dep_s and chain:
        pattern = _chain_pattern(b, chain, dep_c, N.mul(scalar_part, G) if G.is_scalar else None)
        if pattern is not None:
            rule, pcots, differential, explanation = pattern
            return rule, pcots, N.mul(scalar_part, differential), explanation
    for j in dep_c:
        g = N.mul(scalar_part, G)
        if j > 0:
            g = N.mul(N.transpose(N.mul(*chain[:j])), g)
        if j < len(chain) - 1:
            g = N.mul(g, N.transpose(N.mul(*chain[j + 1 :])))
        cots.append((chain[j], g))
        diffs.append(N.mul(scalar_part, *chain[:j], _d(chain[j]), *chain[j + 1 :]))
    differential = N.add(*diffs)
    if dep_s:
        return (
            "scalar_factor",
            cots,
            differential,
            "a 1 × 1 factor s receives ⟨G, rest⟩ = tr(Gᵀ rest); the rest receives s G",
        )
    if len(chain) == 1:
        return (
            "constant_multiple",
            cots,
            differential,
            "a constant factor multiplies the gradient passed down",
        )
    return (
        "product",
        cots,
        differential,
        "in d(A X B) = A dX B the factors around dX move to G: G_X = Aᵀ G Bᵀ (cyclic property of the trace)",
    )


def _chain_pattern(
    b: _Backward, chain: tuple[Node, ...], dep_c: list[int], g: Node | None
) -> tuple[str, list[tuple[Node, Node]], Node, str] | None:
    """The named identities for a 1 × 1 product: xᵀx, xᵀAx, aᵀx, aᵀXb (``g`` is the scalar gradient)."""
    if g is None or len(chain) < 2 or not (chain[0].is_row and chain[-1].is_column):
        return None
    first, last = chain[0], chain[-1]
    u = last
    if N.transpose(first) == u and dep_c == [0, len(chain) - 1]:
        middle = chain[1:-1]
        if not middle:
            return (
                "inner_self",
                [(u, N.mul(N.Const(2), g, u))],
                N.mul(N.Const(2), N.transpose(u), _d(u)),
                "uᵀu = ‖u‖²: its gradient is 2u",
            )
        M = N.mul(*middle)
        if not any(b.depends(f) for f in middle):
            if N.is_symmetric(M):
                gu = N.mul(N.Const(2), g, M, u)
                why = f"the middle matrix {M} is symmetric, so (A + Aᵀ)u = 2Au"
            else:
                gu = N.mul(g, N.add(M, N.transpose(M)), u)
                why = "the gradient of uᵀAu is (A + Aᵀ)u; A need not be symmetric"
            differential = N.add(N.mul(_d(N.transpose(u)), M, u), N.mul(N.transpose(u), M, _d(u)))
            return "quadratic_form", [(u, gu)], differential, why
    if len(chain) == 2 and len(dep_c) == 1:
        if dep_c == [1]:
            a = N.transpose(first)
            return (
                "linear_form",
                [(u, N.mul(g, a))],
                N.mul(first, _d(u)),
                "aᵀu is linear in u: its gradient is a",
            )
        v = N.transpose(first)
        return (
            "linear_form",
            [(v, N.mul(g, last))],
            N.mul(_d(first), last),
            "uᵀa is linear in u: its gradient is a",
        )
    if len(chain) == 3 and dep_c == [1] and isinstance(chain[1], Var):
        a, bb = N.transpose(first), last
        return (
            "bilinear_form",
            [(chain[1], N.mul(g, a, N.transpose(bb)))],
            N.mul(first, _d(chain[1]), last),
            "aᵀXb is linear in X: its gradient is abᵀ",
        )
    return None


def _rule_transpose(
    b: _Backward, node: N.Transpose, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    return (
        "transpose",
        [(node.arg, N.transpose(G))],
        N.transpose(_d(node.arg)),
        "d(Aᵀ) = (dA)ᵀ: the gradient is transposed",
    )


def _rule_inverse(
    b: _Backward, node: N.Inverse, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    A = node.arg
    inv_t = N.transpose(node)
    g = N.neg(N.mul(inv_t, G, inv_t))
    return "inverse", [(A, g)], N.neg(N.mul(node, _d(A), node)), "d(A⁻¹) = −A⁻¹ dA A⁻¹"


def _rule_trace(
    b: _Backward, node: N.Trace, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    A = node.arg
    if isinstance(A, N.Mul) and len(A.chain) > 1 and A.coeff == 1 and not A.scalars:
        chain = A.chain
        cots = []
        diffs = []
        for j, f in enumerate(chain):
            if not b.depends(f):
                continue
            left, right = chain[:j], chain[j + 1 :]
            # tr(L dF R) = tr(R L dF): G_F = g (R L)ᵀ
            around = N.mul(*right, *left) if (left or right) else None
            g = N.mul(G, N.transpose(around)) if around is not None else N.mul(G, N.Identity(f.rows))
            cots.append((f, g))
            diffs.append(N.trace(N.mul(*right, *left, _d(f))) if around is not None else N.trace(_d(f)))
        return (
            "trace_product",
            cots,
            N.add(*diffs),
            "move the factors around dX by the cyclic property: tr(AXB) = tr(BAX)",
        )
    return (
        "trace",
        [(A, N.mul(G, N.Identity(A.rows)))],
        N.trace(_d(A)),
        "d tr(A) = tr(I dA): the gradient is g I",
    )


def _rule_det(b: _Backward, node: N.Det, G: Node) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    A = node.arg
    g = N.mul(G, node, N.transpose(N.inverse(A)))
    return (
        "det",
        [(A, g)],
        N.mul(node, N.trace(N.mul(N.inverse(A), _d(A)))),
        "Jacobi's formula: d det A = det(A) tr(A⁻¹ dA)",
    )


def _rule_logdet(
    b: _Backward, node: N.LogDet, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    A = node.arg
    return (
        "logdet",
        [(A, N.mul(G, N.transpose(N.inverse(A))))],
        N.trace(N.mul(N.inverse(A), _d(A))),
        "d log det A = tr(A⁻¹ dA), so the gradient is A⁻ᵀ",
    )


def _rule_hadamard(
    b: _Backward, node: N.Hadamard, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    cots, diffs = [], []
    for i, f in enumerate(node.factors):
        if not b.depends(f):
            continue
        others = node.factors[:i] + node.factors[i + 1 :]
        cots.append((f, N.hadamard(*others, G)))
        diffs.append(N.hadamard(*others, _d(f)))
    return "hadamard", cots, N.add(*diffs), "each factor receives G ⊙ (the other factors)"


def derivative_node(fn: str, z: Node) -> Node:
    """``f′(Z)`` entry by entry, written with the named derivatives (σ′, tanh′, the step)."""
    d = N.derivative_fn(fn)
    if d.startswith("power:"):
        return N.power(z, sympy.Integer(int(d.split(":")[1])))
    if d == "zero":
        return N.Zero(*z.shape) if not z.is_scalar else N.Const(sympy.Integer(0))
    return N.elementwise(d, z)


_PRIME_NOTE = {
    "exp": "exp′ = exp",
    "log": "log′(z) = 1/z",
    "sigmoid": "σ′ = σ(1 − σ)",
    "softplus": "softplus′ = σ",
    "tanh": "tanh′ = 1 − tanh²",
    "relu": "relu′ is the step (0 for z < 0, 1 for z > 0; 0 at the kink, as ML frameworks take it)",
    "abs": "|z|′ = sign(z) for z ≠ 0",
    "sign": "sign′ = 0 away from 0",
    "step": "the step's derivative is 0 away from 0",
    "sigmoid_prime": "σ″ = σ′(1 − 2σ)",
    "tanh_prime": "tanh″ = −2 tanh (1 − tanh²)",
}


def _rule_elementwise(
    b: _Backward, node: N.Elementwise, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    z = node.arg
    fprime = derivative_node(node.fn, z)
    note = _PRIME_NOTE.get(node.fn, "")
    if z.is_scalar:
        return "scalar_function", [(z, N.mul(G, fprime))], N.mul(fprime, _d(z)), note
    return "elementwise", [(z, N.hadamard(G, fprime))], N.hadamard(fprime, _d(z)), note


def _rule_power(
    b: _Backward, node: N.Power, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    z, k = node.arg, node.k
    fprime = N.scale(k, N.power(z, k - 1))
    if z.is_scalar:
        return (
            "scalar_function",
            [(z, N.mul(G, fprime))],
            N.mul(fprime, _d(z)),
            f"d(s^{k}) = {k} s^{k - 1} ds",
        )
    return "power", [(z, N.hadamard(G, fprime))], N.hadamard(fprime, _d(z)), "the power rule, entry by entry"


def _rule_norm(b: _Backward, node: N.Norm, G: Node) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    u = node.arg
    matrix = not (u.cols == ONE)
    if node.kind == "1":
        sign = N.elementwise("sign", u)
        return (
            "norm1",
            [(u, N.mul(G, sign))],
            N.mul(N.transpose(sign), _d(u)) if not matrix else N.trace(N.mul(N.transpose(sign), _d(u))),
            "‖u‖₁ = Σ|u_i|: each entry contributes sign(u_i)",
        )
    if node.squared:
        rule = "frobenius_squared" if matrix else "squared_norm"
        differential = N.scale(
            2, N.trace(N.mul(N.transpose(u), _d(u))) if matrix else N.mul(N.transpose(u), _d(u))
        )
        return rule, [(u, N.mul(N.Const(2), G, u))], differential, "‖u‖² = uᵀu, whose gradient is 2u"
    rule = "frobenius" if matrix else "norm2"
    g = N.mul(G, N.power(node, sympy.Integer(-1)), u)
    differential = (
        N.mul(N.power(node, sympy.Integer(-1)), N.transpose(u), _d(u))
        if not matrix
        else N.mul(N.power(node, sympy.Integer(-1)), N.trace(N.mul(N.transpose(u), _d(u))))
    )
    return rule, [(u, g)], differential, "‖u‖ = (uᵀu)^(1/2): its gradient is u/‖u‖"


def _rule_softmax(
    b: _Backward, node: N.Softmax, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    s = node
    g = N.sub(N.hadamard(s, G), N.mul(s, N.mul(N.transpose(s), G)))
    jac = N.sub(N.diag(s), N.mul(s, N.transpose(s)))
    return (
        "softmax",
        [(node.arg, g)],
        N.mul(jac, _d(node.arg)),
        "the softmax Jacobian diag(s) − ssᵀ is symmetric",
    )


def _rule_lse(
    b: _Backward, node: N.LogSumExp, G: Node
) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    s = N.softmax(node.arg)
    return (
        "logsumexp",
        [(node.arg, N.mul(G, s))],
        N.mul(N.transpose(s), _d(node.arg)),
        "the gradient of log-sum-exp is the softmax",
    )


def _rule_diag(b: _Backward, node: N.Diag, G: Node) -> tuple[str, list[tuple[Node, Node]], Node | None, str]:
    k = node.arg.rows
    g = N.mul(N.hadamard(G, N.Identity(k)), N.Ones(k, ONE))
    return "diag", [(node.arg, g)], N.diag(_d(node.arg)), "only the diagonal of G reaches v"


_RULES: dict[type, _Rule] = {
    N.Add: _rule_add,
    N.Mul: _rule_mul,
    N.Transpose: _rule_transpose,
    N.Inverse: _rule_inverse,
    N.Trace: _rule_trace,
    N.Det: _rule_det,
    N.LogDet: _rule_logdet,
    N.Hadamard: _rule_hadamard,
    N.Elementwise: _rule_elementwise,
    N.Power: _rule_power,
    N.Norm: _rule_norm,
    N.Softmax: _rule_softmax,
    N.LogSumExp: _rule_lse,
    N.Diag: _rule_diag,
}


def backward(L: Node, wrt: Var) -> tuple[Node, MatrixStep]:
    """``∂L/∂W`` by the differential method: the raw gradient (before tidying) and its trace.

    ``L`` must be ``1 × 1`` and contain ``wrt``.
    """
    b = _Backward(wrt)
    if L == wrt:
        return N.Const(ONE) if wrt.is_scalar else N.Ones(*wrt.shape), MatrixStep(
            "solution", "gradient", L, N.Const(ONE), N.Const(ONE)
        )
    contributions, step = b.back(L, N.Const(ONE))
    return N.add(*contributions) if contributions else N.Zero(*wrt.shape), step


# -- forward: Jacobians ----------------------------------------------------------------------------------


class _Forward:
    def __init__(self, wrt: Var) -> None:
        self.wrt = wrt
        self.b = _Backward(wrt)
        self.m = wrt.rows

    def zero(self, node: Node) -> Node:
        return N.Zero(node.rows, self.m) if (node.rows, self.m) != (ONE, ONE) else N.Const(sympy.Integer(0))

    def fwd(self, node: Node) -> tuple[Node, MatrixStep | None]:
        if node == self.wrt:
            J: Node = N.Identity(self.m)
            return J, MatrixStep("jacobian_identity", "jacobian", node, J, explanation="∂x/∂xᵀ = I")
        if not self.b.depends(node):
            return self.zero(node), None
        if node.is_scalar:
            g, gstep = backward(node, self.wrt)
            J = N.transpose(g)
            return J, MatrixStep(
                "jacobian_scalar",
                "jacobian",
                node,
                J,
                substeps=(gstep,),
                explanation="a scalar's Jacobian is its gradient transposed (a row)",
            )
        if isinstance(node, N.Add):
            parts = [(t, *self.fwd(t)) for t in node.terms if self.b.depends(t)]
            J = N.add(*(p[1] for p in parts))
            return J, self._step(
                "jacobian_sum", node, J, parts, "the Jacobian of a sum is the sum of the Jacobians"
            )
        if isinstance(node, N.Mul):
            return self._mul(node)
        if isinstance(node, N.Elementwise | N.Power):
            z = node.arg
            fprime = (
                derivative_node(node.fn, z)
                if isinstance(node, N.Elementwise)
                else N.scale(node.k, N.power(z, node.k - 1))
            )
            Jz, sz = self.fwd(z)
            J = N.mul(N.diag(fprime), Jz)
            note = _PRIME_NOTE.get(node.fn, "") if isinstance(node, N.Elementwise) else "the power rule"
            return J, self._step("jacobian_elementwise", node, J, [(z, Jz, sz)], note)
        if isinstance(node, N.Hadamard):
            parts = []
            terms = []
            for i, f in enumerate(node.factors):
                if not self.b.depends(f):
                    continue
                Jf, sf = self.fwd(f)
                others = N.hadamard(*(node.factors[:i] + node.factors[i + 1 :]))
                terms.append(N.mul(N.diag(others), Jf))
                parts.append((f, Jf, sf))
            J = N.add(*terms)
            return J, self._step("jacobian_hadamard", node, J, parts, "diag(v) du + diag(u) dv")
        if isinstance(node, N.Softmax):
            s = node
            Jz, sz = self.fwd(node.arg)
            J = N.mul(N.sub(N.diag(s), N.mul(s, N.transpose(s))), Jz)
            return J, self._step("jacobian_softmax", node, J, [(node.arg, Jz, sz)], "diag(s) − ssᵀ")
        raise UnsupportedError(
            f"the Jacobian of {N.display_text(node)} ({N.shape_text(node.shape)}) by {self.wrt.name} is not "
            "supported: x must enter a vector function through products with constant matrices, sums, "
            "elementwise functions, Hadamard products, softmax or scalars"
        )

    def _step(
        self, rule: str, node: Node, J: Node, parts: list[tuple[Node, Node, MatrixStep | None]], why: str
    ) -> MatrixStep:
        subs = tuple(s for _, _, s in parts if s is not None)
        return MatrixStep(rule, "jacobian", node, J, substeps=subs, explanation=why)

    def _mul(self, node: N.Mul) -> tuple[Node, MatrixStep]:
        coeff, scalars, chain = node.coeff, node.scalars, node.chain
        dep_c = [j for j, f in enumerate(chain) if self.b.depends(f)]
        if any(j != len(chain) - 1 for j in dep_c) or (dep_c and not chain[-1].is_column):
            bad = chain[dep_c[0]]
            raise UnsupportedError(
                f"the Jacobian of {N.display_text(node)} by {self.wrt.name}: the factor {N.display_text(bad)} "
                f"({N.shape_text(bad.shape)}) depends on {self.wrt.name} and is not the last vector of the "
                "product (its derivative is a third-order tensor); rewrite so the variable enters through a vector"
            )
        terms: list[Node] = []
        parts: list[tuple[Node, Node, MatrixStep | None]] = []
        for i, s in enumerate(scalars):
            if not self.b.depends(s):
                continue
            Js, ss = self.fwd(s)
            rest = N._mul_parts(coeff, scalars[:i] + scalars[i + 1 :], chain)
            terms.append(N.mul(rest, Js))
            parts.append((s, Js, ss))
        if dep_c:
            v = chain[-1]
            Jv, sv = self.fwd(v)
            terms.append(N.mul(N.Const(coeff), *scalars, *chain[:-1], Jv))
            parts.append((v, Jv, sv))
        J = N.add(*terms)
        if any(self.b.depends(s) for s in scalars):
            return J, self._step("jacobian_product", node, J, parts, "v (∇s)ᵀ + s ∂v/∂xᵀ")
        return J, self._step(
            "jacobian_linear", node, J, parts, "constant factors multiply the Jacobian from the left"
        )


def forward(F: Node, wrt: Var) -> tuple[Node, MatrixStep]:
    """``J = ∂F/∂xᵀ`` (``rows(F) × rows(x)``) of a column vector ``F`` by a column vector ``x``, with its trace."""
    f = _Forward(wrt)
    J, step = f.fwd(F)
    if step is None:
        step = MatrixStep(
            "jacobian", "jacobian", F, J, explanation=f"{N.display_text(F)} does not depend on {wrt.name}"
        )
    return J, step


# -- rewrites: recognised forms before, a tidy form after ---------------------------------------------------


def _is_one(node: Node) -> bool:
    return isinstance(node, N.Ones) or node == N.Const(ONE)


def _recognise_one(node: Node) -> tuple[str, Node] | None:
    if not (isinstance(node, N.Elementwise) and node.fn == "log"):
        return None
    z = node.arg
    if isinstance(z, N.Add) and len(z.terms) == 2:
        a, c = z.terms
        if _is_one(c) and not _is_one(a):
            a, c = c, a
        if _is_one(a) and isinstance(c, N.Elementwise) and c.fn == "exp":
            return "softplus_form", N.elementwise("softplus", c.arg)
        if _is_one(a) and isinstance(c, N.Mul) and c.coeff == -1 and len(c.children) == 1:
            inner_node = c.children[0]
            if isinstance(inner_node, N.Elementwise) and inner_node.fn == "sigmoid":
                return "log_one_minus_sigmoid", N.neg(N.elementwise("softplus", inner_node.arg))
    if isinstance(z, N.Elementwise) and z.fn == "sigmoid":
        return "log_sigmoid", N.neg(N.elementwise("softplus", N.neg(z.arg)))
    if isinstance(z, N.Softmax):
        x = z.arg
        return "log_softmax", N.sub(x, N.mul(N.logsumexp(x), N.Ones(x.rows, ONE)))
    return None


def recognize(L: Node) -> tuple[Node, list[MatrixStep]]:
    """The ML forms a course names, recognised (``log(1 + exp(z)) = softplus(z)``), each as a rewrite step."""
    steps: list[MatrixStep] = []

    def visit(node: Node) -> Node | None:
        found = _recognise_one(node)
        if found is None:
            return None
        rule, new = found
        steps.append(MatrixStep(rule, "rewrite", node, new, explanation=IDENTITIES[rule].formula_text))
        return new

    return N.map_nodes(L, visit), steps


def _collect(node: Node) -> Node | None:
    """``AX + BX -> (A + B)X`` and ``XA + XB -> X(A + B)`` for a sum whose terms all share the factor."""
    if not isinstance(node, N.Add) or len(node.terms) < 2:
        return None
    parts = []
    for t in node.terms:
        if not isinstance(t, N.Mul) or t.scalars or len(t.chain) < 2:
            return None
        parts.append(t)
    last = parts[0].chain[-1]
    if all(p.chain[-1] == last for p in parts):
        inner_terms = [N._mul_parts(p.coeff, (), p.chain[:-1]) for p in parts]
        return N.mul(N.add(*sorted(inner_terms, key=_transposes)), last)
    first = parts[0].chain[0]
    if all(p.chain[0] == first for p in parts):
        inner_terms = [N._mul_parts(p.coeff, (), p.chain[1:]) for p in parts]
        return N.mul(first, N.add(*sorted(inner_terms, key=_transposes)))
    return None


def _transposes(node: Node) -> int:
    """How many transposes a node shows: ``A + Aᵀ`` reads better than ``Aᵀ + A``."""
    return sum(isinstance(n, N.Transpose) for n in node.walk())


def tidy(raw: Node) -> tuple[Node, list[MatrixStep]]:
    """The final form: common factors collected, as rewrite steps (each one checked)."""
    steps: list[MatrixStep] = []

    def visit(node: Node) -> Node | None:
        new = _collect(node)
        if new is None or new == node:
            return None
        steps.append(MatrixStep("collect", "rewrite", node, new, explanation="collect the common factor"))
        return new

    return N.map_nodes(raw, visit), steps


# -- where the result holds -------------------------------------------------------------------------------


def conditions_of(node: Node) -> list[tuple[str, str]]:
    """Where a derivative of ``node`` holds, as ``(text, latex)`` pairs (invertible, positive, no kink)."""
    from .printing import latex, text

    out: list[tuple[str, str]] = []

    def emit(t: str, lx: str) -> None:
        if (t, lx) not in out:
            out.append((t, lx))

    for n in node.walk():
        if isinstance(n, N.Inverse):
            emit(f"{text(n.arg)} is invertible", rf"{latex(n.arg)} \text{{ is invertible}}")
        elif isinstance(n, N.LogDet):
            emit(f"det({text(n.arg)}) > 0", rf"\det\left({latex(n.arg)}\right) > 0")
        elif isinstance(n, N.Elementwise) and N.ELEMENTWISE[n.fn].positive_domain:
            what = "is positive" if n.arg.is_scalar else "has positive entries"
            emit(f"{text(n.arg)} {what}", rf"{latex(n.arg)} > 0")
        elif isinstance(n, N.Elementwise) and N.ELEMENTWISE[n.fn].kink:
            emit(
                f"no entry of {text(n.arg)} is 0 (a kink of {N.ELEMENTWISE[n.fn].text}; the formula gives the "
                "value ML frameworks use there)",
                rf"{latex(n.arg)}_i \ne 0",
            )
        elif isinstance(n, N.Norm) and n.kind == "1":
            emit(f"no entry of {text(n.arg)} is 0 (|·| has a kink at 0)", rf"{latex(n.arg)}_i \ne 0")
        elif isinstance(n, N.Norm) and not n.squared:
            emit(f"{text(n.arg)} ≠ 0", rf"{latex(n.arg)} \ne \mathbf{{0}}")
        elif isinstance(n, N.Power) and (n.k.is_negative or not n.k.is_integer):
            what = "≠ 0" if n.k.is_integer else "> 0"
            relation = r"\ne 0" if n.k.is_integer else "> 0"
            emit(f"{text(n.arg)} {what} (entry by entry)", f"{latex(n.arg)} {relation}")
    return out
