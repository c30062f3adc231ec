r"""Vector and matrix calculus with worked steps: the gradients ML is written in, checked entry by entry.

Declare shapes (:func:`vector`, :func:`matrix`, :func:`scalar`, or text ``"X: n x m, w: m, y: n"``), write the
function in text or LaTeX (``‖Xw − y‖^2/n``, ``\|Xw - y\|^2``, ``X^\top``, ``\odot``), and get the gradient
in matrix form by the differential method, in the denominator layout (the gradient has the shape of the
variable), with the identity used at each step named and its source given, the shape of every intermediate
stated, and every step and the result checked entry by entry at small sizes against the scalar derivative.

* ``nodes.py``: the expressions and the constructors that check shapes; ``printing.py``: text and LaTeX;
* ``text.py``: the parser and the shape declarations; ``identities.py``: the catalogue;
* ``differential.py``: the rules; ``verify.py``: the entrywise checks; ``sympy_form.py``: SymPy's form;
* ``results.py``: :func:`matrix_gradient`, :func:`matrix_jacobian`, :func:`matrix_hessian`,
  :func:`matrix_critical_points`.

Example:
    >>> import symcalc as sc
    >>> X, w, y = sc.matrix("X", "n", "m"), sc.vector("w", "m"), sc.vector("y", "n")
    >>> print(sc.matrix_gradient((X @ w - y).norm() ** 2, w).gradient)
    2Xᵀ(Xw − y)
"""

from .differential import MatrixStep
from .identities import IDENTITIES, Identity
from .nodes import Node, ShapeError, Var
from .results import (
    MatrixCriticalPoints,
    MatrixGradient,
    MatrixHessian,
    MatrixJacobian,
    matrix_critical_points,
    matrix_gradient,
    matrix_hessian,
    matrix_jacobian,
)
from .text import Shapes, matrix, parse_matrix, parse_shapes, scalar, vector
from .verify import MatrixVerification, instantiate

__all__ = [
    "IDENTITIES",
    "Identity",
    "MatrixCriticalPoints",
    "MatrixGradient",
    "MatrixHessian",
    "MatrixJacobian",
    "MatrixStep",
    "MatrixVerification",
    "Node",
    "ShapeError",
    "Shapes",
    "Var",
    "instantiate",
    "matrix",
    "matrix_critical_points",
    "matrix_gradient",
    "matrix_hessian",
    "matrix_jacobian",
    "parse_matrix",
    "parse_shapes",
    "scalar",
    "vector",
]
