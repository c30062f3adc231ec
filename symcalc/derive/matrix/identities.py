r"""The catalogue of matrix-calculus identities a trace can name, each with its formula and its source.

The differential method: for a scalar ``L`` and a variable ``W``, find ``G`` with ``dL = tr(Gᵀ dW)``; then
``∂L/∂W = G`` (the denominator layout: the gradient has the shape of ``W``). Each identity below turns
``tr(G_Yᵀ dY)`` for a node ``Y`` into ``tr(G_Xᵀ dX)`` for its operands, so ``G`` travels from ``L`` down to
``W``; the Jacobian identities go the other way, from ``x`` up to a vector function.

Sources: the Matrix Cookbook (K. B. Petersen and M. S. Pedersen, version of November 15, 2012), cited by
equation number; M. B. Giles, *An extended collection of matrix derivative results for forward and reverse
mode automatic differentiation* (2008); T. Parr and J. Howard, *The Matrix Calculus You Need For Deep
Learning* (2018); C. M. Bishop, *Pattern Recognition and Machine Learning* (2006); S. Boyd and
L. Vandenberghe, *Convex Optimization* (2004); J. R. Magnus and H. Neudecker, *Matrix Differential Calculus*
(3rd ed., 2019); A. Ng, *CS229 Lecture Notes*, Part I.

Example:
    >>> IDENTITIES["logdet"].formula_text
    '∂ log det X/∂X = X⁻ᵀ (det X > 0)'
    >>> IDENTITIES["quadratic_form"].source
    'Matrix Cookbook, eq. (81)'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IDENTITIES", "Identity"]


@dataclass(frozen=True)
class Identity:
    """An identity of the catalogue: a stable id, a name, the formula (text and LaTeX), where it comes from."""

    id: str
    name: str
    formula_text: str
    formula_latex: str
    source: str


def _catalogue(*rows: tuple[str, str, str, str, str]) -> dict[str, Identity]:
    return {r[0]: Identity(*r) for r in rows}


_COOKBOOK = "Matrix Cookbook"

#: Every identity a matrix trace can name, by its stable id.
IDENTITIES: dict[str, Identity] = _catalogue(
    (
        "solution",
        "The differential method",
        "dL = tr(Gᵀ dW) for all dW  ⇔  ∂L/∂W = G (denominator layout: G has the shape of W)",
        r"dL = \operatorname{tr}(G^{\top} dW)\ \forall\, dW \iff \frac{\partial L}{\partial W} = G",
        "Magnus and Neudecker, Matrix Differential Calculus, ch. 9 (the first identification theorem)",
    ),
    (
        "constant_multiple",
        "Constant multiple",
        "d(cU) = c dU, so G_U = c G",
        r"d(cU) = c\, dU \Rightarrow G_U = c\, G",
        f"{_COOKBOOK}, eq. (34)",
    ),
    (
        "sum",
        "Sum rule",
        "d(U + V) = dU + dV, so G_U = G_V = G",
        r"d(U + V) = dU + dV \Rightarrow G_U = G_V = G",
        f"{_COOKBOOK}, eq. (35)",
    ),
    (
        "product",
        "Product rule",
        "d(AXB) = A dX B, and tr(Gᵀ A dX B) = tr((AᵀGBᵀ)ᵀ dX), so G_X = Aᵀ G Bᵀ",
        r"d(AXB) = A\, dX\, B \Rightarrow G_X = A^{\top} G B^{\top}",
        f"{_COOKBOOK}, eq. (37); Giles (2008), §3.1",
    ),
    (
        "scalar_factor",
        "A scalar factor",
        "d(sU) = ds U + s dU, so G_s = tr(GᵀU) (⟨G, U⟩) and G_U = s G",
        r"d(sU) = ds\, U + s\, dU \Rightarrow G_s = \operatorname{tr}(G^{\top} U),\ G_U = s\, G",
        f"{_COOKBOOK}, eq. (37) with a 1 × 1 factor",
    ),
    (
        "linear_form",
        "Linear form",
        "∂(aᵀx)/∂x = ∂(xᵀa)/∂x = a",
        r"\frac{\partial\, a^{\top} x}{\partial x} = \frac{\partial\, x^{\top} a}{\partial x} = a",
        f"{_COOKBOOK}, eq. (69)",
    ),
    (
        "bilinear_form",
        "Bilinear form",
        "∂(aᵀXb)/∂X = abᵀ",
        r"\frac{\partial\, a^{\top} X b}{\partial X} = a b^{\top}",
        f"{_COOKBOOK}, eq. (70)",
    ),
    (
        "quadratic_form",
        "Quadratic form",
        "∂(xᵀAx)/∂x = (A + Aᵀ)x (2Ax when A is symmetric)",
        r"\frac{\partial\, x^{\top} A x}{\partial x} = (A + A^{\top}) x",
        f"{_COOKBOOK}, eq. (81)",
    ),
    (
        "inner_self",
        "Inner product with itself",
        "∂(xᵀx)/∂x = 2x",
        r"\frac{\partial\, x^{\top} x}{\partial x} = 2x",
        f"{_COOKBOOK}, eq. (131)",
    ),
    (
        "squared_norm",
        "Squared 2-norm",
        "d‖x‖² = 2xᵀdx, so ∂‖x‖²/∂x = 2x",
        r"\frac{\partial \lVert x \rVert_2^2}{\partial x} = 2x",
        f"{_COOKBOOK}, eq. (131)",
    ),
    (
        "norm2",
        "2-norm",
        "∂‖x‖/∂x = x/‖x‖ (x ≠ 0)",
        r"\frac{\partial \lVert x \rVert_2}{\partial x} = \frac{x}{\lVert x \rVert_2}\ (x \ne 0)",
        f"{_COOKBOOK}, eq. (129) with a = 0",
    ),
    (
        "frobenius_squared",
        "Squared Frobenius norm",
        "‖X‖_F² = tr(XᵀX), so ∂‖X‖_F²/∂X = 2X",
        r"\frac{\partial \lVert X \rVert_F^2}{\partial X} = 2X",
        f"{_COOKBOOK}, §2.5.2 (∂tr(XᵀX)/∂X = 2X)",
    ),
    (
        "frobenius",
        "Frobenius norm",
        "∂‖X‖_F/∂X = X/‖X‖_F (X ≠ 0)",
        r"\frac{\partial \lVert X \rVert_F}{\partial X} = \frac{X}{\lVert X \rVert_F}",
        f"{_COOKBOOK}, §2.5.2, with the chain rule for the square root",
    ),
    (
        "norm1",
        "1-norm",
        "‖x‖₁ = 1ᵀ|x|, so ∂‖x‖₁/∂x = sign(x) where no entry of x is 0",
        r"\frac{\partial \lVert x \rVert_1}{\partial x} = \operatorname{sign}(x)\ (x_i \ne 0)",
        "entry by entry: d|t|/dt = sign(t) for t ≠ 0",
    ),
    (
        "transpose",
        "Transpose",
        "d(Xᵀ) = (dX)ᵀ, and tr(Gᵀ dXᵀ) = tr(G dX), so G_X = Gᵀ",
        r"d(X^{\top}) = (dX)^{\top} \Rightarrow G_X = G^{\top}",
        f"{_COOKBOOK}, eq. (44)",
    ),
    (
        "trace",
        "Trace",
        "d tr(X) = tr(dX) = tr(Iᵀ dX), so ∂tr(X)/∂X = I",
        r"d \operatorname{tr}(X) = \operatorname{tr}(dX) \Rightarrow \frac{\partial \operatorname{tr} X}{\partial X} = I",
        f"{_COOKBOOK}, eqs. (36), (99)",
    ),
    (
        "trace_product",
        "Trace of a product (cyclic)",
        "d tr(AXB) = tr(A dX B) = tr(BA dX), so ∂tr(AXB)/∂X = (BA)ᵀ = AᵀBᵀ",
        r"\frac{\partial \operatorname{tr}(AXB)}{\partial X} = A^{\top} B^{\top}",
        f"{_COOKBOOK}, eqs. (16), (101)",
    ),
    (
        "inverse",
        "Inverse",
        "d(X⁻¹) = −X⁻¹ dX X⁻¹, so G_X = −X⁻ᵀ G X⁻ᵀ",
        r"d(X^{-1}) = -X^{-1}\, dX\, X^{-1} \Rightarrow G_X = -X^{-\top} G X^{-\top}",
        f"{_COOKBOOK}, eqs. (40), (59)",
    ),
    (
        "det",
        "Determinant (Jacobi's formula)",
        "d det X = det(X) tr(X⁻¹ dX), so ∂det X/∂X = det(X) X⁻ᵀ",
        r"\frac{\partial \det X}{\partial X} = \det(X)\, X^{-\top}",
        f"{_COOKBOOK}, eqs. (42), (49)",
    ),
    (
        "logdet",
        "Log-determinant",
        "∂ log det X/∂X = X⁻ᵀ (det X > 0)",
        r"\frac{\partial \log\det X}{\partial X} = X^{-\top}\ (\det X > 0)",
        f"{_COOKBOOK}, eqs. (43), (57)",
    ),
    (
        "hadamard",
        "Hadamard product",
        "d(A ⊙ B) = dA ⊙ B + A ⊙ dB, and tr(Gᵀ(A ⊙ dB)) = tr((G ⊙ A)ᵀ dB), so G_B = A ⊙ G",
        r"d(A \odot B) = dA \odot B + A \odot dB \Rightarrow G_B = A \odot G",
        f"{_COOKBOOK}, eq. (38)",
    ),
    (
        "elementwise",
        "Chain rule through an elementwise function",
        "d f(Z) = f′(Z) ⊙ dZ, so G_Z = G ⊙ f′(Z) (the Jacobian of f is the diagonal diag(f′(z)))",
        r"d f(Z) = f'(Z) \odot dZ \Rightarrow G_Z = G \odot f'(Z)",
        "Parr and Howard (2018), §4.3 (element-wise operations); Magnus and Neudecker, ch. 9",
    ),
    (
        "scalar_function",
        "Chain rule for a scalar function",
        "d f(s) = f′(s) ds, so G_s = g f′(s)",
        r"d f(s) = f'(s)\, ds \Rightarrow G_s = g\, f'(s)",
        "the chain rule of one variable",
    ),
    (
        "power",
        "Entrywise power",
        "d(Z^∘k) = k Z^∘(k−1) ⊙ dZ, so G_Z = k G ⊙ Z^∘(k−1)",
        r"d(Z^{\circ k}) = k\, Z^{\circ (k-1)} \odot dZ",
        "the power rule, entry by entry",
    ),
    (
        "softmax",
        "Softmax",
        "d softmax(z) = (diag(s) − ssᵀ) dz with s = softmax(z), so G_z = s ⊙ G − s(sᵀG)",
        r"d\, \operatorname{softmax}(z) = (\operatorname{diag}(s) - s s^{\top})\, dz",
        "Bishop, Pattern Recognition and Machine Learning, eq. (4.106)",
    ),
    (
        "logsumexp",
        "Log-sum-exp",
        "∂ logsumexp(z)/∂z = softmax(z)",
        r"\frac{\partial \operatorname{logsumexp}(z)}{\partial z} = \operatorname{softmax}(z)",
        "Boyd and Vandenberghe, Convex Optimization, §3.1.5",
    ),
    (
        "diag",
        "Diagonal matrix",
        "d diag(v) = diag(dv), so G_v is the diagonal of G: (G ⊙ I)1",
        r"d \operatorname{diag}(v) = \operatorname{diag}(dv) \Rightarrow G_v = (G \odot I)\mathbf{1}",
        "linearity",
    ),
    # -- Jacobians: forward, numerator rows -----------------------------------------------------------------
    (
        "jacobian",
        "The Jacobian",
        "J = ∂f/∂xᵀ, with J_ij = ∂f_i/∂x_j (rows follow f); in the denominator layout ∂f/∂x = Jᵀ",
        r"J = \frac{\partial f}{\partial x^{\top}},\ J_{ij} = \frac{\partial f_i}{\partial x_j}",
        "Magnus and Neudecker, ch. 9; Matrix Cookbook, §2.4",
    ),
    (
        "jacobian_identity",
        "Jacobian of the variable",
        "∂x/∂xᵀ = I",
        r"\frac{\partial x}{\partial x^{\top}} = I",
        "definition",
    ),
    (
        "jacobian_linear",
        "Jacobian of a linear map",
        "∂(Az)/∂xᵀ = A ∂z/∂xᵀ for a constant A",
        r"\frac{\partial (A z)}{\partial x^{\top}} = A \frac{\partial z}{\partial x^{\top}}",
        f"{_COOKBOOK}, eq. (37) with A constant",
    ),
    (
        "jacobian_product",
        "Jacobian of a scalar times a vector",
        "∂(s v)/∂xᵀ = v (∇s)ᵀ + s ∂v/∂xᵀ",
        r"\frac{\partial (s v)}{\partial x^{\top}} = v\, (\nabla s)^{\top} + s \frac{\partial v}{\partial x^{\top}}",
        f"{_COOKBOOK}, eq. (37)",
    ),
    (
        "jacobian_sum",
        "Jacobian of a sum",
        "∂(u + v)/∂xᵀ = ∂u/∂xᵀ + ∂v/∂xᵀ",
        r"\frac{\partial (u + v)}{\partial x^{\top}} = \frac{\partial u}{\partial x^{\top}} + \frac{\partial v}{\partial x^{\top}}",
        f"{_COOKBOOK}, eq. (35)",
    ),
    (
        "jacobian_elementwise",
        "Jacobian of an elementwise function",
        "∂f(z)/∂xᵀ = diag(f′(z)) ∂z/∂xᵀ",
        r"\frac{\partial f(z)}{\partial x^{\top}} = \operatorname{diag}(f'(z)) \frac{\partial z}{\partial x^{\top}}",
        "Parr and Howard (2018), §4.3",
    ),
    (
        "jacobian_hadamard",
        "Jacobian of a Hadamard product",
        "∂(u ⊙ v)/∂xᵀ = diag(v) ∂u/∂xᵀ + diag(u) ∂v/∂xᵀ",
        r"\frac{\partial (u \odot v)}{\partial x^{\top}} = \operatorname{diag}(v) \frac{\partial u}{\partial x^{\top}} + \operatorname{diag}(u) \frac{\partial v}{\partial x^{\top}}",
        f"{_COOKBOOK}, eq. (38)",
    ),
    (
        "jacobian_softmax",
        "Jacobian of softmax",
        "∂softmax(z)/∂zᵀ = diag(s) − ssᵀ with s = softmax(z)",
        r"\frac{\partial \operatorname{softmax}(z)}{\partial z^{\top}} = \operatorname{diag}(s) - s s^{\top}",
        "Bishop, Pattern Recognition and Machine Learning, eq. (4.106)",
    ),
    (
        "jacobian_scalar",
        "Jacobian of a scalar",
        "∂s/∂xᵀ = (∇s)ᵀ, a row (the gradient, found by the differential method, transposed)",
        r"\frac{\partial s}{\partial x^{\top}} = (\nabla s)^{\top}",
        "denominator layout: ∇s has the shape of x",
    ),
    (
        "hessian",
        "The Hessian",
        "H = ∂(∇L)/∂xᵀ: the Jacobian of the gradient, symmetric (H_ij = ∂²L/∂x_i∂x_j)",
        r"H = \frac{\partial^2 L}{\partial x\, \partial x^{\top}} = \frac{\partial \nabla L}{\partial x^{\top}}",
        "Magnus and Neudecker, ch. 10; Matrix Cookbook, §2.4",
    ),
    # -- rewrites -------------------------------------------------------------------------------------------
    (
        "softplus_form",
        "Softplus",
        "log(1 + exp(z)) = softplus(z), whose derivative is σ(z)",
        r"\log(1 + e^{z}) = \operatorname{softplus}(z),\ \operatorname{softplus}' = \sigma",
        "definition",
    ),
    (
        "log_sigmoid",
        "Log of the sigmoid",
        "log σ(z) = −softplus(−z)",
        r"\log \sigma(z) = -\operatorname{softplus}(-z)",
        "σ(z) = 1/(1 + exp(−z))",
    ),
    (
        "log_one_minus_sigmoid",
        "Log of one minus the sigmoid",
        "log(1 − σ(z)) = −softplus(z)",
        r"\log(1 - \sigma(z)) = -\operatorname{softplus}(z)",
        "1 − σ(z) = σ(−z)",
    ),
    (
        "log_softmax",
        "Log-softmax",
        "log softmax(z) = z − logsumexp(z) 1",
        r"\log \operatorname{softmax}(z) = z - \operatorname{logsumexp}(z)\, \mathbf{1}",
        "softmax(z) = exp(z)/1ᵀexp(z)",
    ),
    (
        "collect",
        "Collect a common factor",
        "AX + BX = (A + B)X, XA + XB = X(A + B)",
        r"AX + BX = (A + B)X",
        "distributivity",
    ),
    (
        "combine",
        "Add the contributions",
        "a variable that occurs several times receives the sum of the gradients of its occurrences",
        r"G_W = \sum_k G_W^{(k)}",
        "linearity of the differential",
    ),
    (
        "critical",
        "A critical point",
        "∇L = 0; where ∇L = Hw + c is affine in w, the equations Hw = −c",
        r"\nabla L = 0",
        "Fermat's theorem (first-order condition)",
    ),
    (
        "normal_equations",
        "The normal equations",
        "∇‖Xw − y‖² = 2Xᵀ(Xw − y) = 0  ⇔  XᵀXw = Xᵀy; w = (XᵀX)⁻¹Xᵀy when XᵀX is invertible",
        r"X^{\top} X w = X^{\top} y",
        "Ng, CS229 Lecture Notes, Part I, §2 (The normal equations)",
    ),
)
