"""symcalc: calculus for machine learning, explained and checked.

Parse what a student types, derive with a step-by-step trace that is checked against SymPy, and turn the
results into fast NumPy functions.

Example:
    >>> import symcalc as sc
    >>> sc.parse("x^2 sin(x)")
    x**2*sin(x)
"""

from __future__ import annotations

import sys as _sys
from importlib import import_module as _import_module

from .derive.critical import CriticalPoint, CriticalPoints, critical_points
from .derive.derivative import derivative
from .derive.implicit import implicit_derivative
from .derive.lagrange import LagrangeResult, lagrange
from .derive.matrix import (
    IDENTITIES as MATRIX_IDENTITIES,
)
from .derive.matrix import (
    MatrixCriticalPoints,
    MatrixGradient,
    MatrixHessian,
    MatrixJacobian,
    MatrixStep,
    ShapeError,
    matrix,
    matrix_critical_points,
    matrix_gradient,
    matrix_hessian,
    matrix_jacobian,
    parse_matrix,
    scalar,
    vector,
)
from .derive.multivariable import (
    Gradient,
    Hessian,
    Jacobian,
    LocalModel,
    directional_derivative,
    gradient,
    hessian,
    jacobian,
    tangent_plane,
    taylor,
)
from .derive.steps import CATALOGUE, Derivation, Rule, Step
from .derive.verify import check_trace
from .errors import LimitError, OptimizationError, ParseError, SymcalcError, UnsupportedError
from .functions import logsumexp, lower, relu, sigmoid, softplus
from .numeric import regression
from .numeric.compile import CompiledFunction, DomainError, DomainWarning, compile
from .numeric.gradcheck import GradCheck, numerical_gradient
from .numeric.matrix import MatrixFunction, compile_matrix
from .numeric.minimize import LearningRate, Verification, minimize, suggest_lr
from .numeric.updates import OptimizeResult
from .parse import parse, parse_equation, parse_latex, parse_text
from .teach.backprop import BackpropTrace, ComputationalGraph, backprop, forward_mode, graph
from .teach.check import GradientCheck, check_gradient, gradcheck
from .teach.exercise import Exercise, ExerciseSet, Verdict
from .teach.matrix_check import MatrixGradientCheck, check_matrix_gradient
from .variables import symbols

#: Module paths from before the package was laid out by stage (``symcalc.check``, ``symcalc.critical``, ...),
#: kept importable: each is the new module itself, so patching one patches the other.
_MOVED_MODULES = {
    "parsing": "parse",
    "steps": "derive.steps",
    "differentiate": "derive.rules",
    "multivariable": "derive.multivariable",
    "critical": "derive.critical",
    "optimize": "numeric.updates",
    "regression": "numeric.regression",
    "check": "teach.check",
}
for _old, _new in _MOVED_MODULES.items():
    _module = _import_module(f"{__name__}.{_new}")
    _sys.modules[f"{__name__}.{_old}"] = _module
    if _old not in ("check",):  # ``sc.check`` was never a name of the package itself
        globals().setdefault(_old, _module)
del _old, _new, _module

__version__ = "0.1.0"

__all__ = [
    "MATRIX_IDENTITIES",
    "MatrixCriticalPoints",
    "MatrixFunction",
    "MatrixGradient",
    "MatrixGradientCheck",
    "MatrixHessian",
    "MatrixJacobian",
    "MatrixStep",
    "ShapeError",
    "check_matrix_gradient",
    "compile_matrix",
    "matrix",
    "matrix_critical_points",
    "matrix_gradient",
    "matrix_hessian",
    "matrix_jacobian",
    "parse_matrix",
    "scalar",
    "vector",
    "BackpropTrace",
    "CATALOGUE",
    "ComputationalGraph",
    "backprop",
    "forward_mode",
    "graph",
    "CompiledFunction",
    "LearningRate",
    "OptimizeResult",
    "Verification",
    "minimize",
    "suggest_lr",
    "CriticalPoint",
    "CriticalPoints",
    "LagrangeResult",
    "critical_points",
    "lagrange",
    "DomainError",
    "DomainWarning",
    "GradCheck",
    "GradientCheck",
    "check_gradient",
    "Exercise",
    "ExerciseSet",
    "Verdict",
    "compile",
    "gradcheck",
    "numerical_gradient",
    "Derivation",
    "Gradient",
    "Hessian",
    "Jacobian",
    "LocalModel",
    "directional_derivative",
    "gradient",
    "hessian",
    "jacobian",
    "taylor",
    "tangent_plane",
    "Rule",
    "Step",
    "check_trace",
    "derivative",
    "implicit_derivative",
    "LimitError",
    "OptimizationError",
    "ParseError",
    "SymcalcError",
    "UnsupportedError",
    "regression",
    "__version__",
    "logsumexp",
    "lower",
    "parse",
    "parse_equation",
    "parse_latex",
    "parse_text",
    "relu",
    "sigmoid",
    "softplus",
    "symbols",
]
