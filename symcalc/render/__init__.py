"""Renderings of every result: plain text, Markdown, LaTeX and JSON, one module per family of results.

The JSON schema is documented in ``docs/schema.md``; its version is :data:`SCHEMA_VERSION`. Results call
these from their ``to_text()``/``to_markdown()``/``to_latex()``/``to_dict()`` methods.
"""

from .backprop import backprop_to_dict, backprop_to_latex, backprop_to_markdown, backprop_to_text
from .critical import (
    critical_to_dict,
    critical_to_latex,
    critical_to_markdown,
    critical_to_text,
    lagrange_to_dict,
    lagrange_to_latex,
    lagrange_to_markdown,
    lagrange_to_text,
)
from .derivation import (
    SCHEMA_VERSION,
    condition_text,
    derivation_to_dict,
    derivation_to_latex,
    derivation_to_markdown,
    derivation_to_text,
    step_to_dict,
)
from .multivariable import (
    gradient_to_dict,
    gradient_to_latex,
    gradient_to_markdown,
    gradient_to_text,
    hessian_to_latex,
    hessian_to_markdown,
    hessian_to_text,
    matrix_result_to_dict,
    matrix_result_to_latex,
    matrix_result_to_markdown,
    matrix_result_to_text,
    model_to_dict,
    model_to_latex,
    model_to_markdown,
    model_to_text,
)

__all__ = [
    "SCHEMA_VERSION",
    "backprop_to_dict",
    "backprop_to_latex",
    "backprop_to_markdown",
    "backprop_to_text",
    "condition_text",
    "critical_to_dict",
    "critical_to_latex",
    "critical_to_markdown",
    "critical_to_text",
    "derivation_to_dict",
    "derivation_to_latex",
    "derivation_to_markdown",
    "derivation_to_text",
    "gradient_to_dict",
    "gradient_to_latex",
    "gradient_to_markdown",
    "gradient_to_text",
    "hessian_to_latex",
    "hessian_to_markdown",
    "hessian_to_text",
    "lagrange_to_dict",
    "lagrange_to_latex",
    "lagrange_to_markdown",
    "lagrange_to_text",
    "matrix_result_to_dict",
    "matrix_result_to_latex",
    "matrix_result_to_markdown",
    "matrix_result_to_text",
    "model_to_dict",
    "model_to_latex",
    "model_to_markdown",
    "model_to_text",
    "step_to_dict",
]
