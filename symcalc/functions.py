"""The machine-learning functions symcalc knows as functions of their own.

``sigmoid``, ``softplus`` and ``relu`` are SymPy functions, so a trace can name them and a final answer can be
written in terms of them (``sigma(x)(1 - sigma(x))``). Each knows its derivative, its LaTeX, a rewrite into
elementary functions (``rewrite(sympy.exp)``), and :func:`lower` replaces them by elementary functions.

Each also prints itself for SymPy's code printers, in the numerically stable form a careful programmer writes,
so that any SymPy tool can use a symcalc result: ``sympy.lambdify`` with ``"numpy"``, ``"scipy"``, ``"jax"``,
``"cupy"``, ``"math"`` or ``"mpmath"``, ``sympy.pycode``, ``sympy.ccode`` and the other C-like printers,
TensorFlow and PyTorch. NumPy and JAX get ``logaddexp`` (``softplus(z) = logaddexp(0, z)``,
``sigmoid(z) = exp(-logaddexp(0, -z))``), SciPy gets ``scipy.special.expit``, and scalar languages get
``max(z, 0) + log1p(exp(-|z|))`` and ``exp(min(z, 0)) / (1 + exp(-|z|))``: nothing overflows, at any z.

Example:
    >>> import sympy
    >>> from symcalc.functions import sigmoid
    >>> x = sympy.Symbol("x", real=True)
    >>> sympy.diff(sigmoid(x), x)
    (1 - sigmoid(x))*sigmoid(x)
    >>> sigmoid(x).rewrite(sympy.exp)
    1/(1 + exp(-x))
    >>> sympy.lambdify(x, softplus(x), "numpy")(800.0)
    np.float64(800.0)
    >>> sympy.pycode(softplus(x))
    '(math.log1p(math.exp(-abs(x))) + max(0, x))'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from sympy import Abs, Function, Heaviside, Max, Min, exp, log
from sympy.codegen.cfunctions import log1p

__all__ = ["ML_FUNCTIONS", "logsumexp", "lower", "relu", "sigmoid", "softplus"]


def _log1p(printer: Any, t: sympy.Expr) -> sympy.Expr:
    """``log1p(t)`` where the printer's language has it (C99, C++, Python, mpmath), else ``log(1 + t)``."""
    if "log1p" in getattr(printer, "known_functions", {}) or hasattr(printer, "_print_log1p"):
        return log1p(t)
    return log(1 + t)


class _CodePrinting:
    """The hooks SymPy's code printers look for (``printer.printmethod``), shared by the ML functions.

    A subclass gives ``_scalar_form`` (a stable SymPy expression in elementary functions, for scalar languages),
    ``_array_form`` (a stable expression in an array module's functions) and the names TensorFlow and PyTorch
    use for the function.
    """

    args: tuple[sympy.Expr, ...]
    _tensorflow = ""
    _torch = ""

    def _scalar_form(self, printer: Any) -> sympy.Expr:
        raise NotImplementedError

    def _array_form(self, printer: Any, module: str, z: str) -> str:
        raise NotImplementedError

    def _numpycode(self, printer: Any) -> str:
        # the NumPy printer and its family: SciPy (module numpy), JAX (jax.numpy), CuPy (cupy)
        module = getattr(printer, "_module", "numpy")
        return self._array_form(printer, module, printer._print(self.args[0]))

    _jaxcode = _cupycode = _numpycode

    def _tensorflowcode(self, printer: Any) -> str:
        return f"{printer._module_format(self._tensorflow)}({printer._print(self.args[0])})"

    def _torchcode(self, printer: Any) -> str:
        return f"{printer._module_format(self._torch)}({printer._print(self.args[0])})"

    def _scalar_code(self, printer: Any) -> str:
        form = self._scalar_form(printer)
        code = str(printer._print(form))
        # the printer sees a function call, so an enclosing product or power adds no brackets of its own
        return code if form.is_Atom or isinstance(form, Function | Max | Min) else f"({code})"

    # plain Python (lambdify's "math"), mpmath, C, C++, Fortran, Octave, Julia, Rust, JavaScript, R
    _pythoncode = _lambdacode = _mpmathcode = _cmathcode = _scalar_code
    _ccode = _cxxcode = _fcode = _octave = _julia = _rust_code = _javascript = _rcode = _scalar_code

    def _eval_evalf(self, prec: int) -> Any:
        if not self.args[0].is_number:
            return super()._eval_evalf(prec)  # type: ignore[misc]
        return _LOWERINGS[type(self)](self.args[0])._eval_evalf(prec)


class sigmoid(_CodePrinting, Function):  # type: ignore[misc]  # noqa: N801 (SymPy has no types; a function is named like one)
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

    def _eval_rewrite_as_tanh(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return (1 + sympy.tanh(arg / 2)) / 2

    def _eval_is_positive(self) -> bool | None:
        real: bool | None = self.args[0].is_real
        return real

    _tensorflow = "tensorflow.math.sigmoid"
    _torch = "torch.sigmoid"

    def _scalar_form(self, printer: Any) -> sympy.Expr:
        z = self.args[0]
        return exp(Min(z, 0)) / (1 + exp(-Abs(z)))  # no branch, no overflow, full relative precision

    def _array_form(self, printer: Any, module: str, z: str) -> str:
        if type(printer).__name__ == "SciPyPrinter":
            return f"{printer._module_format('scipy.special.expit')}({z})"
        m = printer._module_format
        return f"{m(module + '.exp')}(-{m(module + '.logaddexp')}(0, -({z})))"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class softplus(_CodePrinting, Function):  # type: ignore[misc]  # noqa: N801 (SymPy has no types)
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
        real: bool | None = self.args[0].is_real
        return real

    _tensorflow = "tensorflow.math.softplus"
    _torch = "torch.nn.functional.softplus"

    def _scalar_form(self, printer: Any) -> sympy.Expr:
        z = self.args[0]
        return Max(z, 0) + _log1p(printer, exp(-Abs(z)))

    def _array_form(self, printer: Any, module: str, z: str) -> str:
        return f"{printer._module_format(module + '.logaddexp')}(0, {z})"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class relu(_CodePrinting, Function):  # type: ignore[misc]  # noqa: N801 (SymPy has no types)
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

    def _eval_rewrite_as_Piecewise(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Piecewise((arg, arg > 0), (0, True))

    def _eval_rewrite_as_Heaviside(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return arg * Heaviside(arg, 0)

    def _eval_is_nonnegative(self) -> bool | None:
        real: bool | None = self.args[0].is_real
        return real

    _tensorflow = "tensorflow.nn.relu"
    _torch = "torch.relu"

    def _scalar_form(self, printer: Any) -> sympy.Expr:
        return Max(self.args[0], 0)

    def _array_form(self, printer: Any, module: str, z: str) -> str:
        return f"{printer._module_format(module + '.maximum')}({z}, 0)"

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


_LOWERINGS: dict[type, Callable[[Any], Any]] = {
    sigmoid: lambda a: 1 / (1 + exp(-a)),
    softplus: lambda a: log(1 + exp(a)),
    relu: lambda a: Max(0, a),
}
