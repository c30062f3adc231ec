"""The machine-learning functions symcalc knows as functions of their own.

``sigmoid``, ``softplus`` and ``relu`` are SymPy functions, so a trace can name them and a final answer can be
written in terms of them (``sigma(x)(1 - sigma(x))``). Each knows its derivative, its LaTeX, a rewrite into
elementary functions (``rewrite(sympy.exp)``), and :func:`lower` replaces them by elementary functions before
anything numeric happens.

Example:
    >>> import sympy
    >>> from symcalc.functions import sigmoid
    >>> x = sympy.Symbol("x", real=True)
    >>> sympy.diff(sigmoid(x), x)
    (1 - sigmoid(x))*sigmoid(x)
    >>> sigmoid(x).rewrite(sympy.exp)
    1/(1 + exp(-x))
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy import Function, Heaviside, Max, exp, log

__all__ = ["ML_FUNCTIONS", "logsumexp", "lower", "relu", "sigmoid", "softplus"]


class sigmoid(Function):  # noqa: N801  (a SymPy function is named like a function)
    r"""The logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})`, with :math:`\sigma' = \sigma(1 - \sigma)`."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        if arg.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return 1 / (1 + exp(-arg))

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class softplus(Function):  # noqa: N801
    r"""Softplus :math:`\log(1 + e^{x})`, a smooth ReLU, with :math:`\operatorname{softplus}' = \sigma`."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        if arg.is_zero:
            return log(2)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return log(1 + exp(arg))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class relu(Function):  # noqa: N801
    r"""The rectifier :math:`\max(0, x)`. Its derivative is :math:`H(x)` with :math:`H(0) = 0`, as ML frameworks take it."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return Max(0, arg)

    def _eval_is_nonnegative(self) -> bool | None:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


def logsumexp(*args: sympy.Expr) -> sympy.Expr:
    r""":math:`\log \sum_i e^{a_i}`, written out: its gradient is the softmax of the arguments.

    >>> import sympy
    >>> a, b = sympy.symbols("a b", real=True)
    >>> logsumexp(a, b)
    log(exp(a) + exp(b))
    """
    if not args:
        raise ValueError("logsumexp needs at least one argument")
    return log(sympy.Add(*[exp(a) for a in args]))


ML_FUNCTIONS: tuple[type[Function], ...] = (sigmoid, softplus, relu)


def lower(expr: sympy.Expr) -> sympy.Expr:
    """Replace symcalc's ML functions by elementary ones (for numeric evaluation and for SymPy's ``simplify``).

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> lower(softplus(x) + relu(x))
    log(exp(x) + 1) + Max(0, x)
    """
    if not expr.has(*ML_FUNCTIONS):
        return expr
    return expr.replace(
        lambda e: isinstance(e, ML_FUNCTIONS),
        lambda e: _LOWERINGS[type(e)](e.args[0]),
    )


_LOWERINGS = {
    sigmoid: lambda a: 1 / (1 + exp(-a)),
    softplus: lambda a: log(1 + exp(a)),
    relu: lambda a: Max(0, a),
}
