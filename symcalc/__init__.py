"""symcalc: calculus for machine learning, explained and checked.

Parse what a student types, derive with a step-by-step trace that is checked against SymPy, and turn the
results into fast NumPy functions.

Example:
    >>> import symcalc as sc
    >>> sc.parse("x^2 sin(x)")
    x**2*sin(x)
"""

from __future__ import annotations

from . import regression
from ._backprop import BackpropTrace, ComputationalGraph, backprop, forward_mode, graph
from ._compile import CompiledFunction, DomainError, DomainWarning, compile
from ._derivative import derivative, implicit_derivative
from ._descend import LearningRate, Verification, minimize, suggest_lr
from ._verify import check_trace
from .check import GradientCheck, check_gradient, gradcheck, numerical_gradient
from .critical import CriticalPoint, CriticalPoints, LagrangeResult, critical_points, lagrange
from .errors import LimitError, OptimizationError, ParseError, SymcalcError, UnsupportedError
from .functions import logsumexp, relu, sigmoid, softplus
from .multivariable import (
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
from .optimize import OptimizeResult
from .parsing import parse, parse_equation, parse_latex, parse_text
from .steps import CATALOGUE, Derivation, Rule, Step

__version__ = "0.1.0"

__all__ = [
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
    "GradientCheck",
    "check_gradient",
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
    "parse",
    "parse_equation",
    "parse_latex",
    "parse_text",
    "relu",
    "sigmoid",
    "softplus",
]
