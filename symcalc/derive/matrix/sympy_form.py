r"""A node as a SymPy matrix expression (``MatrixSymbol``, ``MatMul``, ``HadamardProduct``, ...), for ``.result``.

A ``1 × 1`` product used as a scalar is written as its trace ``Trace(wᵀx)``; an elementwise function as
``ElementwiseApplyFunction``; softmax as ``exp(z)/tr(1ᵀexp(z))``. SymPy's own derivatives of these are not
trusted (``log(Determinant(W)).diff(W)`` is 0 in SymPy 1.14): symcalc derives them itself and checks entry by
entry; :meth:`~symcalc.derive.matrix.MatrixGradient.compare_with_sympy` reports where SymPy disagrees.

Example:
    >>> from symcalc.derive.matrix import parse_matrix
    >>> to_sympy(parse_matrix("2X^T(Xw - y)/n", "X: n x m, w: m, y: n"))
    (2/n)*X.T*(X*w - y)
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import sympy
from sympy.matrices.expressions import (
    HadamardPower,
    HadamardProduct,
    MatrixExpr,
    MatrixSymbol,
    OneMatrix,
    ZeroMatrix,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from . import nodes as N
from .nodes import Node

__all__ = ["to_sympy"]


def _scalar(x: Any) -> Any:
    """A 1 × 1 matrix expression as a scalar: its trace (SymPy differentiates a trace; an entry it does not)."""
    if isinstance(x, MatrixExpr):
        return sympy.Trace(x)
    return x


def _apply(fn: str, m: Any, scalar: bool) -> Any:
    f = N.ELEMENTWISE[fn]
    if scalar:
        return f(_scalar(m))
    u = sympy.Dummy("u", real=True)
    return ElementwiseApplyFunction(sympy.Lambda(u, f(u)), m)


def to_sympy(node: Node) -> Any:
    """The node as a SymPy matrix expression (a scalar ``Expr`` for a ``1 × 1`` node used as a number)."""
    if isinstance(node, N.Var):
        if node.is_scalar:
            return sympy.Symbol(node.name, real=True)
        return MatrixSymbol(node.name, node.nrows, node.ncols)
    if isinstance(node, N.Const):
        return node.value
    if isinstance(node, N.Identity):
        return sympy.Identity(node.size)
    if isinstance(node, N.Ones):
        return OneMatrix(node.nrows, node.ncols)
    if isinstance(node, N.Zero):
        return ZeroMatrix(node.nrows, node.ncols)
    if isinstance(node, N.Add):
        parts = [to_sympy(t) for t in node.terms]
        if node.is_scalar:
            return sympy.Add(*[_scalar(p) for p in parts])
        return reduce(lambda a, b: a + b, parts)
    if isinstance(node, N.Mul):
        s = node.coeff * sympy.Mul(*[_scalar(to_sympy(f)) for f in node.scalars])
        if not node.chain:
            return s
        product = reduce(lambda a, b: a * b, [to_sympy(f) for f in node.chain])
        if node.is_scalar:
            return s * _scalar(product)
        return s * product if s != 1 else product
    if isinstance(node, N.Transpose):
        return to_sympy(node.arg).T
    if isinstance(node, N.Inverse):
        return to_sympy(node.arg).I
    if isinstance(node, N.Trace):
        return sympy.Trace(to_sympy(node.arg))
    if isinstance(node, N.Det):
        return sympy.Determinant(to_sympy(node.arg))
    if isinstance(node, N.LogDet):
        return sympy.log(sympy.Determinant(to_sympy(node.arg)))
    if isinstance(node, N.Hadamard):
        return HadamardProduct(*[to_sympy(f) for f in node.factors])
    if isinstance(node, N.Elementwise):
        return _apply(node.fn, to_sympy(node.arg), node.arg.is_scalar)
    if isinstance(node, N.Power):
        if node.arg.is_scalar:
            return _scalar(to_sympy(node.arg)) ** node.k
        return HadamardPower(to_sympy(node.arg), node.k)
    if isinstance(node, N.Norm):
        u = to_sympy(node.arg)
        if node.kind == "1":
            ones = OneMatrix(1, node.arg.rows)
            total = _scalar(ones * _apply("abs", u, False))
            return (
                total
                if node.arg.cols == 1
                else sympy.Trace(_apply("abs", u, False).T * OneMatrix(*node.arg.shape))
            )
        sq = sympy.Trace(u.T * u)
        return sq if node.squared else sympy.sqrt(sq)
    if isinstance(node, N.Softmax):
        e = _apply("exp", to_sympy(node.arg), False)
        return e * (1 / _scalar(OneMatrix(1, node.arg.rows) * e))
    if isinstance(node, N.LogSumExp):
        e = _apply("exp", to_sympy(node.arg), False)
        return sympy.log(_scalar(OneMatrix(1, node.arg.rows) * e))
    if isinstance(node, N.Diag):
        return DiagMatrix(to_sympy(node.arg))
    raise TypeError(f"cannot convert {type(node).__name__} to SymPy")
