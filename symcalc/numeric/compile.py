r"""Compiling symbolic results into fast NumPy functions: f, its gradient and its Hessian.

``compile(expr, variables)`` returns a :class:`CompiledFunction` whose ``f``, ``grad``, ``hess`` and
``value_and_grad`` take a point of shape ``(n,)`` (giving a float, ``(n,)``, ``(n, n)``) or a batch of shape
``(m, n)`` (giving ``(m,)``, ``(m, n)``, ``(m, n, n)``, an empty batch included), always float64, whatever the
expression (a constant gradient component still fills its place: the classic lambdify pitfall is handled here
once). ``constants={"a": 2.0}`` binds values for the symbols that are not variables.

Backends: SymEngine's LLVM JIT (``symengine.Lambdify(..., backend="llvm", cse=True)``) for expressions made of
elementary and ML functions, and ``sympy.lambdify(..., modules="numpy", cse=True)`` for the rest (Piecewise,
Max, Heaviside, ...). The Hessian is compiled on first use, with SymEngine's interpreter instead of LLVM past a
size (an LLVM compile of a dense 100 x 100 Hessian takes seconds). Both backends give the same function (tested).

Numerically stable forms. f is written in elementary functions (``sigmoid`` and ``softplus`` lowered) and
differentiated as such; then f, each gradient component and each Hessian entry have the forms that overflow in
floating point rewritten into the ones a careful NumPy programmer writes:

- ``log(1 + exp(z))`` -> ``softplus(z)``, evaluated as ``max(z, 0) + log1p(exp(-|z|))`` (``logaddexp(0, z)``);
- ``log(exp(a) + exp(b) + ...)`` (``logsumexp``) -> the log-sum-exp with the largest argument taken out;
- a power ``(exp(a) + exp(b) + ...)^-k`` -> ``exp(-k lse(a, b, ...))``, so ``sigmoid(z) = 1/(1 + exp(-z))``
  becomes ``exp(-softplus(-z))``, and a quotient such as ``exp(z)/(1 + exp(z))`` or a softmax
  ``exp(a)/(exp(a) + exp(b))`` one exponential whose exponent never overflows (``exp(a - lse(a, b))``);
- ``log(sigmoid(z))`` then reads ``-softplus(-z)``, ``1 - sigmoid(z)`` reads ``sigmoid(-z)``, so that
  ``log(1 - sigmoid(z)) = -softplus(z)``, and ``z - softplus(z)`` reads ``-softplus(-z)``.

So the logistic loss, softplus and log-sum-exp stay finite wherever their value is (tested over ``|z| <= 1e4``
on both backends, for f, its gradient and its Hessian). ``gradient_expr`` and ``hessian_expr`` stay the
elementary derivatives a reader expects.

Example:
    >>> import numpy as np
    >>> import symcalc as sc
    >>> fn = sc.compile("(1-x)^2 + 100*(y-x^2)^2", ["x", "y"])
    >>> fn.f(np.array([1.0, 1.0]))
    0.0
    >>> fn.grad(np.array([[0.0, 0.0], [1.0, 1.0]]))
    array([[-2.,  0.],
           [ 0.,  0.]])
    >>> sc.compile("logsumexp(x, y)").f([800.0, 800.0])
    800.6931471805599
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import sympy

from ..derive.multivariable import _SYMENGINE_SAFE, _symengine_ok, bulk_diff
from ..errors import SymcalcError, UnsupportedError
from ..functions import lower, sigmoid, softplus
from ..parse import Source, parse
from ..variables import Variables, resolve_variables
from . import special

__all__ = ["CompiledFunction", "DomainError", "DomainWarning", "bind_constants", "compile"]

#: Above this many operations in the Hessian, SymEngine's interpreter is used instead of its LLVM JIT.
LLVM_HESSIAN_MAX_OPS = 4000
#: A Hessian with more non-zero entries than this many per row is compiled by forward mode over the gradient's
#: graph (:mod:`symcalc.numeric.hessian`), not from its symbolic entries.
SPARSE_HESSIAN_PER_ROW = 4
ON_DOMAIN_ERROR = ("warn", "raise", "ignore")
#: Past this many characters of LaTeX, a rich display names the size of an expression instead of printing it.
DISPLAY_MAX_LATEX = 1500


class DomainWarning(RuntimeWarning):
    """A compiled function was evaluated outside its domain (log of a negative, division by zero)."""


class DomainError(SymcalcError, ArithmeticError):
    """Raised instead of :class:`DomainWarning` when ``on_domain_error="raise"``."""


def _dirac_delta(x: Any, *args: Any) -> Any:
    """The derivative of a step, as numbers: 0 away from the kink (where the step is not differentiable)."""
    return np.zeros_like(np.asarray(x, dtype=np.float64))


#: What ``sympy.lambdify`` is given beside NumPy: NumPy has neither a Dirac delta nor erf (the Gaussian error
#: function, in GELU); SymEngine's JIT computes erf itself, these element-wise loops are the fallback.
_NUMERIC_EXTRAS: dict[str, Callable[..., Any]] = {
    "DiracDelta": _dirac_delta,
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "erfc": np.vectorize(math.erfc, otypes=[np.float64]),
    # the gamma family (scipy.special when SciPy is installed, else element-wise forms; nan where undefined)
    "gamma": special.gamma,
    "loggamma": special.loggamma,
    "polygamma": special.polygamma,
}
#: Functions SymEngine's JIT evaluates (SymPy differentiates them: their derivatives are elementary).
_ENGINE_EVALUATES = (sympy.erf, sympy.erfc)


# -- the stable forms -----------------------------------------------------------------------------------


class _LogSumExp(sympy.Function):  # type: ignore[misc]  # SymPy ships no types
    r""":math:`\log \sum_i e^{a_i}` kept whole for computing, and evaluated with the largest :math:`a_i` taken
    out. It lives only inside compiled functions (what a user reads, ``gradient_expr``, is elementary)."""

    is_real = True

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.exp(self.args[argindex - 1] - self)

    def _numpycode(self, printer: Any) -> str:
        logaddexp = printer._module_format(f"{getattr(printer, '_module', 'numpy')}.logaddexp")
        out = printer._print(self.args[0])
        for a in self.args[1:]:
            out = f"{logaddexp}({out}, {printer._print(a)})"
        return str(out)

    _jaxcode = _cupycode = _numpycode


#: The functions compiled code evaluates in a stable form of its own.
_STABLE_FUNCTIONS: tuple[type[sympy.Function], ...] = (sigmoid, softplus, _LogSumExp)

Memo = dict[sympy.Basic, sympy.Basic]


def _log_sum_exp(e: sympy.Expr) -> sympy.Expr | None:
    """``log(e)`` as a log-sum-exp when ``e`` is a sum of exponentials with positive coefficients (and perhaps a
    positive constant): ``softplus(u)`` for ``1 + exp(u)``, else a :class:`_LogSumExp`; otherwise None."""
    if not e.is_Add:
        return None
    exponents = []
    for term in e.args:
        if term.is_Number:
            if not term.is_positive:
                return None
            exponents.append(sympy.log(term))
            continue
        c, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sympy.exp) and c.is_positive):
            return None
        exponents.append(rest.args[0] + sympy.log(c) if c != 1 else rest.args[0])
    if len(exponents) == 2 and sympy.S.Zero in exponents:
        return softplus(exponents[1] if exponents[0] is sympy.S.Zero else exponents[0])
    return _LogSumExp(*exponents)


def _softplus_term(t: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(c, w)`` when ``t`` is ``c * softplus(w)`` for a number ``c``."""
    c, rest = t.as_coeff_Mul()
    return (c, rest.args[0]) if isinstance(rest, softplus) else None


def _sum_with_exp(f: sympy.Expr) -> bool:
    """Whether ``f`` is a sum (or a whole power of one) with an exponential among its terms."""
    if f.is_Pow and f.exp.is_Integer and f.exp.is_positive:
        f = f.base
    return bool(f.is_Add) and any(isinstance(t.as_coeff_Mul()[1], sympy.exp) for t in f.args)


def _rule(e: sympy.Expr) -> sympy.Expr:
    """One rewrite at the top of ``e`` (its arguments are stable already), or ``e`` itself."""
    if isinstance(e, sympy.log):
        # log(1 + exp(u)) -> softplus(u); log(exp(a) + exp(b) + ...) -> the log-sum-exp
        return _log_sum_exp(e.args[0]) or e
    if e.is_Pow and e.exp.is_Number and e.exp.is_negative:
        # (exp(a) + exp(b))^-k -> exp(-k lse(a, b)): 1/(1 + exp(-z)) is exp(-softplus(-z)), and the exponentials
        # of a quotient merge into one whose exponent stays small: exp(z)/(1 + exp(z)) = exp(z - softplus(z))
        lse = _log_sum_exp(e.base)
        return sympy.exp(e.exp * lse) if lse is not None else e
    if e.is_Mul:
        # exp(a) exp(b) -> exp(a + b): exp(800) exp(-801) is inf * 0 = nan, exp(-1) is not
        exps = [f for f in e.args if isinstance(f, sympy.exp)]
        if len(exps) > 1:
            rest = [f for f in e.args if not isinstance(f, sympy.exp)]
            return sympy.Mul(*rest, sympy.exp(sympy.Add(*[f.args[0] for f in exps])))
        # and into a sum of exponentials: (exp(2z) - exp(-z)) exp(-lse) -> exp(2z - lse) - exp(-z - lse)
        if exps and any(_sum_with_exp(f) for f in e.args):
            factors = [sympy.expand_multinomial(f, deep=False) if f.is_Pow else f for f in e.args]
            return sympy.expand_mul(sympy.Mul(*factors), deep=False)
        return e
    if e.is_Add:
        if len(e.args) == 2 and sympy.S.One in e.args:
            # 1 - exp(-softplus(w)), that is 1 - sigmoid(-w), is sigmoid(w) = exp(-softplus(-w))
            other = -(e.args[1] if e.args[0] is sympy.S.One else e.args[0])
            found = _softplus_term(other.args[0]) if isinstance(other, sympy.exp) else None
            if found is not None and found[0] == -1:
                return sympy.exp(-softplus(-found[1]))
        for t in e.args:
            # c (softplus(w) - w) = c softplus(-w), as z - softplus(z) = -softplus(-z): no cancellation at large w
            found = _softplus_term(t)
            if (
                found is not None
                and len(sympy.Add.make_args(found[1])) == len(e.args) - 1  # a quick test before the real one
                and e - t == -found[0] * found[1]
            ):
                return found[0] * softplus(-found[1])
    return e


def _stable(expr: sympy.Expr, memo: Memo | None = None) -> sympy.Expr:
    """``expr`` with the forms that overflow in floating point rewritten into stable ones (see the module).

    ``memo`` may be shared by the entries of one gradient or Hessian, which share their subexpressions.

    >>> z = sympy.Symbol("z", real=True)
    >>> _stable(sympy.log(1 - 1 / (1 + sympy.exp(-z))))
    -softplus(z)
    """
    if not expr.has(sympy.exp):
        return expr
    seen: Memo = {} if memo is None else memo

    def walk(e: sympy.Basic) -> sympy.Basic:
        if not e.args:
            return e
        done = seen.get(e)
        if done is not None:
            return done
        args = tuple(walk(a) for a in e.args)
        rebuilt = e.func(*args) if args != e.args else e
        out = _rule(rebuilt) if isinstance(rebuilt, sympy.Expr) else rebuilt
        if out is not rebuilt:
            out = walk(out)  # what the rule (and SymPy's evaluation) built may match a rule again
        seen[e] = out
        return out

    return walk(expr)


def _engine(e: sympy.Expr) -> Any:
    """``e`` as SymEngine, its symbols plain (the compiled function takes the values by position)."""
    import symengine as se

    return se.sympify(e).subs({se.Symbol(s.name): se.Symbol(s.name) for s in e.free_symbols})


def _engine_stable(kind: type, args: Sequence[Any]) -> Any:
    """The stable form of one ML function, built in SymEngine from its arguments (already SymEngine)."""
    import symengine as se

    def log1p_exp(d: Any) -> Any:
        """``log(1 + exp(-d))`` for ``d >= 0`` to full precision (SymEngine's JIT has no log1p): Kahan's
        ``log(w) t / (w - 1)`` with ``w = 1 + t``, written ``Max(1 + t, 1)`` so that SymEngine cannot simplify
        ``w - 1`` back to ``t``; past ``d = 36``, ``t`` alone is exact."""
        t = se.exp(-d)
        w = se.Max(1 + t, 1)
        return se.Piecewise((t, d > 36), (se.log(w) * t / (w - 1), True))

    if kind is sympy.exp:
        # exp(c softplus(w)) for c < 0 is sigmoid(-w)^-c, from the exp(-|w|) softplus(w) has computed already
        c, w = args
        t = se.exp(-se.Abs(w))
        return se.Piecewise((t / (1 + t), w >= 0), (1 / (1 + t), True)) ** (-c)
    if kind is sigmoid:
        return 1 / (1 + se.exp(-args[0]))
    if kind is softplus:
        return se.Max(args[0], 0) + log1p_exp(se.Abs(args[0]))
    top = se.Max(*args)
    if len(args) == 2:
        return top + log1p_exp(se.Abs(args[0] - args[1]))
    return top + se.log(se.Add(*[se.exp(a - top) for a in args]))


def _sigmoid_power(e: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(c, w)`` when ``e`` is ``exp(c softplus(w))`` with ``c < 0``."""
    found = _softplus_term(e.args[0])
    return found if found is not None and found[0].is_negative else None


def _to_engine(exprs: Sequence[sympy.Expr]) -> list[Any]:
    """The expressions as SymEngine, each ML function written out in its stable form.

    Each distinct ML function is written out once, in SymEngine, and put in place of a placeholder symbol: the
    n x n entries of a log-sum-exp Hessian share one log-sum-exp, which the compiled code computes once (cse).
    """
    found: set[sympy.Basic] = set()
    for e in exprs:
        if e.has(*_STABLE_FUNCTIONS):
            found |= e.atoms(*_STABLE_FUNCTIONS)
            found |= {a for a in e.atoms(sympy.exp) if _sigmoid_power(a) is not None}
    if not found:
        return [_engine(e) for e in exprs]
    inner_first = sorted(found, key=lambda a: (len(a.atoms(*_STABLE_FUNCTIONS)), sympy.default_sort_key(a)))
    placeholder = {a: sympy.Symbol(f"_symcalc_stable_{k}", real=True) for k, a in enumerate(inner_first)}
    forms: dict[Any, Any] = {}
    for a in inner_first:
        power = _sigmoid_power(a) if isinstance(a, sympy.exp) else None
        parts = power if power is not None else a.args
        args = [_engine(arg.xreplace(placeholder)).subs(forms) for arg in parts]
        forms[_engine(placeholder[a])] = _engine_stable(type(a), args)
    return [_engine(e.xreplace(placeholder)).subs(forms) for e in exprs]


def _symengine_ready(e: sympy.Expr) -> bool:
    """Whether SymEngine can compile ``e`` once its stable functions are written out."""
    extra = (*_STABLE_FUNCTIONS, *_ENGINE_EVALUATES)
    if not e.has(*extra):
        return _symengine_ok(e)
    if e.has(sympy.Piecewise, sympy.Sum, sympy.Indexed, sympy.Derivative, sympy.Max, sympy.Min):
        return False
    if not all(isinstance(f, (*_SYMENGINE_SAFE, *extra)) for f in e.atoms(sympy.Function)):
        return False
    return all(s in (sympy.Symbol(s.name), sympy.Symbol(s.name, real=True)) for s in e.free_symbols)


def _all_symengine_ready(exprs: Sequence[sympy.Expr]) -> bool:
    """:func:`_symengine_ready` of every expression at once, each shared subexpression looked at once (the n
    components of a log-sum-exp gradient share its n arguments: one at a time, that is n² work)."""
    allowed = (*_SYMENGINE_SAFE, *_STABLE_FUNCTIONS, *_ENGINE_EVALUATES)
    refused = (sympy.Piecewise, sympy.Sum, sympy.Indexed, sympy.Derivative, sympy.Max, sympy.Min)
    seen: set[sympy.Basic] = set()
    stack: list[sympy.Basic] = [sympy.sympify(e) for e in exprs]
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if isinstance(e, refused) or (isinstance(e, sympy.Function) and not isinstance(e, allowed)):
            return False
        if e.is_Symbol and e not in (sympy.Symbol(e.name), sympy.Symbol(e.name, real=True)):
            return False
        stack.extend(e.args)
    return True


def _require_numpy_functions(exprs: Sequence[sympy.Expr]) -> None:
    """Refuse, before anything runs, a function NumPy cannot evaluate on an array of real numbers."""
    from sympy.printing.numpy import NumPyPrinter

    by_class: dict[type, sympy.Basic] = {}
    for e in exprs:
        for f in sympy.sympify(e).atoms(sympy.Function):
            if type(f).__name__ not in _NUMERIC_EXTRAS:
                by_class.setdefault(type(f), f)
    settings = {"allow_unknown_functions": False, "fully_qualified_modules": True, "inline": True}
    # the innermost first, so that the error names the function at fault
    for f in sorted(by_class.values(), key=lambda f: len(f.atoms(sympy.Function))):
        printer = NumPyPrinter(settings)
        try:
            printer.doprint(f)
            scalar_only = {"math", "mpmath", "cmath"} & set(printer.module_imports)
        except Exception:  # noqa: BLE001 - the printer has no form for it
            scalar_only = {"none"}
        if scalar_only:
            name = getattr(f.func, "__name__", str(f.func))
            why = (
                " (a factorial is defined on whole numbers; its real extension is gamma(x + 1))"
                if name == "factorial"
                else ""
            )
            raise UnsupportedError(
                f"compile cannot evaluate {name}(...) on arrays of real numbers: NumPy has no vectorised "
                f"{name}{why}"
            )


class HessianKernel(Protocol):
    """What evaluates a compiled Hessian: ``(n,) -> (n*n,)``-or-``(n, n)``, ``(m, n) -> (m, n*n)``-or-``(m, n, n)``,
    and names its backend."""

    backend: str

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


class _Kernel:
    """Evaluates a list of expressions at points: ``(n,) -> (k,)`` and ``(m, n) -> (m, k)``."""

    def __init__(
        self,
        variables: Sequence[sympy.Symbol],
        exprs: Sequence[sympy.Expr],
        *,
        llvm: bool,
        numpy_only: bool = False,
        engine: Sequence[Any] | None = None,
    ) -> None:
        """``engine``, when given, holds the SymEngine forms of ``exprs`` (as :func:`_to_engine` writes them),
        built by a caller that can share their common parts (the nodes of a graph)."""
        self.k = len(exprs)
        self.backend = "sympy"
        if not numpy_only and (engine is not None or _all_symengine_ready(exprs)):
            import symengine as se

            try:
                # SymEngine's cse names its temporaries x0, x1, ..., skipping the names the expressions use, and
                # would read an input that no expression uses (a variable named x1, say) in place of the
                # temporary of that name: one more output, the sum of the inputs, makes every input used.
                inputs = [se.Symbol(v.name) for v in variables]
                forms = _to_engine(exprs) if engine is None else list(engine)
                self._se = se.Lambdify(
                    inputs,
                    [*forms, se.Add(*inputs)],
                    backend="llvm" if llvm else "lambda",
                    cse=True,
                    real=True,
                )
                self.backend = "symengine-llvm" if llvm else "symengine"
                self._buffer = np.empty(self.k + 1)
                return
            except (RuntimeError, TypeError, NotImplementedError):
                pass
        _require_numpy_functions(exprs)
        self._np = sympy.lambdify(list(variables), list(exprs), modules=[_NUMERIC_EXTRAS, "numpy"], cse=True)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.backend != "sympy":
            if x.ndim == 1 and x.flags.c_contiguous:
                # one point: straight into a buffer (the checked call costs more than the work at small n)
                self._se.unsafe_real(x, self._buffer)
                return self._buffer[: self.k].copy()
            if x.shape[0] == 0:  # SymEngine refuses an empty batch
                return np.empty((0, self.k))
            out = np.asarray(self._se(x), dtype=np.float64).reshape(x.shape[:-1] + (self.k + 1,))
            return out[..., : self.k]
        with np.errstate(all="ignore"):
            values = self._np(*np.moveaxis(x, -1, 0))
        shape = x.shape[:-1]
        return np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in values], axis=-1)


class _Scattered:
    """The non-zero entries of a sparse Hessian, compiled alone and put in their places (Rosenbrock's at
    n = 400 has 1,198 of 160,000: compiling the zeros too took seconds)."""

    def __init__(self, kernel: _Kernel | None, places: Sequence[int], size: int) -> None:
        self.kernel, self.size = kernel, size
        self.places = np.asarray(places, dtype=np.intp)
        self.backend = kernel.backend if kernel is not None else "constant"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(x.shape[:-1] + (self.size,))
        if self.kernel is not None:
            out[..., self.places] = self.kernel(x)
        return out


# -- constants ------------------------------------------------------------------------------------------


def _constant_value(name: str, value: Any) -> sympy.Expr:
    if isinstance(value, sympy.Basic):
        if value.is_number and value.is_extended_real and value.is_finite:
            return value
        raise SymcalcError(f"the constant {name} must be a finite real number; got {value}")
    if isinstance(value, bool | np.bool_) or isinstance(value, str):
        raise SymcalcError(f"the constant {name} must be a number; got {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything numpy cannot read is reported the same way
        raise SymcalcError(f"the constant {name} must be a number; got {value!r}") from err
    if arr.ndim != 0:
        raise SymcalcError(
            f"the constant {name} must be a number, not an array of shape {arr.shape}; arrays of data go in "
            "data={...}"
        )
    if arr.dtype.kind in "iu":
        return sympy.Integer(int(arr))
    if arr.dtype.kind != "f" or not np.isfinite(arr):
        raise SymcalcError(f"the constant {name} must be a finite real number; got {value!r}")
    return sympy.Float(float(arr))


def bind_constants(expr: sympy.Expr, constants: Mapping[Any, Any], *, require_all: bool = True) -> sympy.Expr:
    """``expr`` with values for some of its symbols, matched by name (``{"a": 2.0}`` or ``{a: 2.0}``).

    A whole number stays exact; a float stays the float it is. A name the expression lacks is an error unless
    ``require_all=False`` (for a claim, which need not mention every constant).

    Example:
        >>> import symcalc as sc
        >>> bind_constants(sc.parse("a*x^2 + b"), {"a": 3, "b": 0.5})
        3*x**2 + 0.5
    """
    by_name: dict[str, list[sympy.Symbol]] = {}
    for s in expr.free_symbols:
        if isinstance(s, sympy.Symbol):
            by_name.setdefault(s.name, []).append(s)
    subs: dict[sympy.Basic, sympy.Expr] = {}
    unknown = []
    for name, value in _plain_constants(constants).items():
        if name not in by_name:
            unknown.append(name)
            continue
        bound = _constant_value(name, value)
        for s in by_name[name]:
            subs[s] = bound
    if unknown and require_all:
        have = ", ".join(sorted(by_name)) or "none"
        raise SymcalcError(
            f"constants given for symbols the expression does not have: {', '.join(sorted(unknown))} "
            f"(its symbols: {have})"
        )
    return expr.xreplace(subs) if subs else expr


def _constant_name(key: Any) -> str:
    if not isinstance(key, str | sympy.Symbol):
        raise SymcalcError(f"a constant is named by a string or a symbol; got {key!r}")
    return key if isinstance(key, str) else key.name


def _plain_constants(constants: Mapping[Any, Any] | None) -> dict[str, Any]:
    if not constants:
        return {}
    if not isinstance(constants, Mapping):
        raise SymcalcError("constants= takes a mapping of names to values, such as {'a': 2.0}")
    return {_constant_name(k): v for k, v in constants.items()}


# -- compiled functions ---------------------------------------------------------------------------------


def _latex_or_size(e: Any) -> str:
    text = str(
        sympy.latex(e, mat_str="bmatrix", mat_delim="") if isinstance(e, sympy.MatrixBase) else sympy.latex(e)
    )
    if len(text) <= DISPLAY_MAX_LATEX:
        return text
    ops = sympy.count_ops(e)
    return rf"\text{{(an expression of {ops} operations, too long to show)}}"


class CompiledFunction:
    """f, its gradient and its Hessian as NumPy functions of a point ``(n,)`` or a batch ``(m, n)``.

    Attributes:
        expr: the function, as SymPy (with the constants bound).
        variables: the variables, in the order of a point's coordinates.
        constants: the values bound with ``constants=`` (name -> value).
        gradient_expr: the symbolic gradient (a column ``sympy.Matrix``).
        backend: which backend evaluates f and the gradient (``"symengine-llvm"`` or ``"sympy"``).

    A compiled function pickles (it is compiled again when loaded) and shows itself in Jupyter.

    Example:
        >>> fn = CompiledFunction(sympy.Symbol("x", real=True) ** 2, [sympy.Symbol("x", real=True)])
        >>> fn.value_and_grad([3.0])
        (9.0, array([6.]))
    """

    def __init__(
        self,
        expr: sympy.Expr,
        variables: Sequence[sympy.Symbol],
        *,
        on_domain_error: str = "warn",
        backend: str = "auto",
    ) -> None:
        self._setup(expr, variables, on_domain_error, backend)
        first: Any = bulk_diff([self._lowered], self.variables)
        self.gradient_expr = sympy.Matrix(first[0])
        self._grad_numeric = [_stable(g, self._memo) for g in first[0]]
        self._value_grad = _Kernel(
            self.variables, [self._numeric, *self._grad_numeric], llvm=True, numpy_only=backend == "numpy"
        )
        self.backend = self._value_grad.backend

    def _setup(
        self, expr: sympy.Expr, variables: Sequence[sympy.Symbol], on_domain_error: str, backend: str
    ) -> None:
        """What every compiled function keeps: the expression, its variables, the domain-error policy."""
        if on_domain_error not in ON_DOMAIN_ERROR:
            raise SymcalcError(f"on_domain_error must be one of {', '.join(ON_DOMAIN_ERROR)}")
        if backend not in ("auto", "numpy"):
            raise SymcalcError("backend must be 'auto' (SymEngine where it can) or 'numpy' (sympy.lambdify)")
        self.expr = expr
        self.variables = tuple(variables)
        self.n = len(self.variables)
        self.on_domain_error = on_domain_error
        self.constants: dict[str, Any] = {}
        self._requested_backend = backend
        self._lowered = lower(expr)
        self._memo: Memo = {}  # shared by f, the gradient and the Hessian, which share subexpressions
        self._numeric = _stable(self._lowered, self._memo)

    # -- symbolic ----------------------------------------------------------------------------------------
    @cached_property
    def _second(self) -> list[list[sympy.Expr]]:
        """The second derivatives, built when first needed (a dense Hessian is compiled without them)."""
        derivatives: Any = bulk_diff([self._lowered], self.variables, second=True)
        return list(derivatives[1][0])

    @cached_property
    def hessian_expr(self) -> sympy.Matrix:
        """The symbolic Hessian (a ``sympy.Matrix``), built when first read."""
        return sympy.Matrix(self._second)

    @cached_property
    def _hess_numeric(self) -> list[list[sympy.Expr]]:
        return [[_stable(h, self._memo) for h in row] for row in self._second]

    @cached_property
    def _hess(self) -> HessianKernel:
        """The compiled Hessian. A sparse one (each gradient component in a few variables, as Rosenbrock's) is
        compiled from its symbolic entries; a dense one by forward mode over the gradient's graph
        (:mod:`symcalc.numeric.hessian`), which never builds the n² symbolic entries."""
        from .hessian import GraphHessian, nonzero_entries

        numpy_only = self._requested_backend == "numpy"
        if (
            not numpy_only
            and nonzero_entries(self._grad_numeric, self.variables) > SPARSE_HESSIAN_PER_ROW * self.n
        ):
            try:
                return GraphHessian(self._grad_numeric, self.variables)
            except (UnsupportedError, RuntimeError, TypeError, NotImplementedError, SyntaxError, NameError):
                pass  # a function the graph's printers lack: the symbolic entries below handle everything
        entries = [self._hess_numeric[i][j] for i in range(self.n) for j in range(self.n)]
        places = [k for k, e in enumerate(entries) if e != 0]
        ops = sum(sympy.count_ops(entries[k]) for k in places)
        kernel = (
            _Kernel(
                self.variables,
                [entries[k] for k in places],
                llvm=ops <= LLVM_HESSIAN_MAX_OPS,
                numpy_only=numpy_only,
            )
            if places
            else None
        )
        return _Scattered(kernel, places, self.n * self.n)

    # -- numeric -----------------------------------------------------------------------------------------
    def _point(self, x: Any) -> np.ndarray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 and self.n == 1:
            arr = arr.reshape(1)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise SymcalcError(
                f"expected a point of shape ({self.n},) or a batch of shape (m, {self.n}); got shape {arr.shape}"
            )
        return arr

    def _checked(self, out: np.ndarray, what: str) -> np.ndarray:
        # a few entries: one sum of squares finds a nan or inf anywhere (it makes the sum one; squares never meet
        # inf - inf, so NumPy has nothing to warn about), and the entries are read only when it is not finite,
        # which the squares of large finite entries can also make it. Many entries: read them (a BLAS dot of
        # thousands may start threads, which on a busy machine costs more than the reading)
        flat = out.reshape(-1)
        if (
            self.on_domain_error == "ignore"
            or (flat.size <= 64 and math.isfinite(flat.dot(flat)))
            or np.isfinite(out).all()
        ):
            return out
        message = (
            f"{what} of {sympy.sstr(self.expr)} is not finite at some point: outside the domain (a log "
            "of a non-positive number, a division by zero, a root of a negative number) or beyond the "
            "range of a float (about 1.8e308)"
        )
        if self.on_domain_error == "raise":
            raise DomainError(message)
        warnings.warn(message, DomainWarning, stacklevel=3)
        return out

    def value_and_grad(self, x: Any) -> tuple[float | np.ndarray, np.ndarray]:
        """f and its gradient together, sharing their common subexpressions."""
        arr = self._point(x)
        out = self._checked(self._value_grad(arr), "f or its gradient")
        value = out[..., 0]
        return (float(value) if arr.ndim == 1 else value), out[..., 1:]

    def _value_and_grad_at(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """f and its gradient at one point ``(n,)`` of float64, unchecked: for a loop that watches f and the
        gradient's norm itself, where a nan or inf shows (``minimize``; the checked call reports it then)."""
        kernel = self._value_grad
        if (
            kernel.backend == "sympy"
            or x.dtype != np.float64
            or x.shape != (self.n,)
            or not x.flags.c_contiguous
        ):
            out = kernel(np.ascontiguousarray(x, dtype=np.float64).reshape(self.n))
        else:
            out = np.empty(self.n + 2)  # f, the gradient, and the kernel's sum of its inputs
            kernel._se.unsafe_real(x, out)  # the length and layout were checked above
            return float(out[0]), out[1 : self.n + 1]
        return float(out[0]), out[1:]

    def f(self, x: Any) -> float | np.ndarray:
        """f at a point (a float) or at a batch of points (shape ``(m,)``)."""
        return self.value_and_grad(x)[0]

    __call__ = f

    def grad(self, x: Any) -> np.ndarray:
        """The gradient, shape ``(n,)`` or ``(m, n)``."""
        return self.value_and_grad(x)[1]

    def hess(self, x: Any) -> np.ndarray:
        """The Hessian, shape ``(n, n)`` or ``(m, n, n)`` (compiled on first use)."""
        arr = self._point(x)
        out = self._checked(self._hess(arr), "the Hessian")
        return out.reshape(arr.shape[:-1] + (self.n, self.n))

    @property
    def hess_backend(self) -> str:
        return self._hess.backend

    # -- pickling and display ----------------------------------------------------------------------------
    def __reduce__(self) -> tuple[Any, ...]:
        # the compiled kernels are machine code or generated functions: compile again when loaded
        return (
            _load,
            (self.expr, self.variables, self.on_domain_error, self._requested_backend, self.constants, None),
        )

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.variables)
        return f"CompiledFunction({sympy.sstr(self.expr)}, variables=({names}), backend={self.backend!r})"

    def _signature_latex(self) -> str:
        return f"f({', '.join(sympy.latex(v) for v in self.variables)})"

    def _repr_latex_(self) -> str:
        return f"$${self._signature_latex()} = {_latex_or_size(self.expr)}$$"

    def _display_rows(self) -> list[tuple[str, str]]:
        names = ", ".join(sympy.latex(v) for v in self.variables)
        hess = f"`{self._hess.backend}`" if "_hess" in self.__dict__ else "compiled on first use"
        rows = [
            ("variables", f"${names}$: a point has shape ({self.n},), a batch ({'m'}, {self.n})"),
            ("backend", f"`{self.backend}` (the Hessian: {hess})"),
            ("gradient", rf"$\nabla f = {_latex_or_size(self.gradient_expr)}$"),
        ]
        if self.constants:
            rows.append(("constants", ", ".join(f"{k} = {v}" for k, v in self.constants.items())))
        rows.append(("outside the domain", f"`on_domain_error={self.on_domain_error!r}`"))
        return rows

    def _repr_markdown_(self) -> str:
        head = f"**Compiled function** ${self._signature_latex()} = {_latex_or_size(self.expr)}$"
        table = ["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in self._display_rows()]
        return "\n".join([head, "", *table]) + "\n"


def _load(
    expr: sympy.Expr,
    variables: Sequence[sympy.Symbol],
    on_domain_error: str,
    backend: str,
    constants: dict[str, Any],
    data: Any,
) -> CompiledFunction:
    """A pickled compiled function, compiled again."""
    from .data import DataFunction

    fn = (
        DataFunction(expr, variables, data, on_domain_error=on_domain_error)
        if data is not None
        else CompiledFunction(expr, variables, on_domain_error=on_domain_error, backend=backend)
    )
    fn.constants = dict(constants)
    return fn


def _refuse_non_real(e: sympy.Expr) -> None:
    """Compiled functions are real: refuse I, infinities and constants that are not real, before any work."""
    if e.has(sympy.I):
        raise UnsupportedError(
            f"{sympy.sstr(e)} is complex-valued (it has the imaginary unit I, e.g. from sqrt(-1)); compile "
            "evaluates real functions only"
        )
    if e.has(sympy.S.Infinity, sympy.S.NegativeInfinity, sympy.S.ComplexInfinity, sympy.S.NaN):
        raise UnsupportedError(f"{sympy.sstr(e)} has an infinite or undefined constant (oo, zoo or nan)")
    for p in e.atoms(sympy.Pow):
        if p.is_number and p.is_extended_real is False:
            raise UnsupportedError(f"{sympy.sstr(p)} in {sympy.sstr(e)} is not a real number")


def compile(  # noqa: A001 - symcalc.compile is the public name (DESIGN.md)
    expr: Source | CompiledFunction,
    variables: Variables = None,
    *,
    on_domain_error: str = "warn",
    data: Any = None,
    constants: Mapping[Any, Any] | None = None,
) -> CompiledFunction:
    """Compile f (and, lazily, its gradient and Hessian) into NumPy functions.

    Args:
        expr: anything :func:`symcalc.parse` takes.
        variables: the order of a point's coordinates (default: the free symbols in natural order, once the
            constants are bound).
        on_domain_error: ``"warn"`` (a :class:`DomainWarning` when a result is nan or inf), ``"raise"``
            (:class:`DomainError`) or ``"ignore"`` (fastest).
        data: arrays for the ``IndexedBase`` symbols of an objective over data (``{"X": X, "y": y}``); its sums
            over the data are evaluated as vectorised NumPy, never unrolled.
        constants: values for the symbols that are not variables, by name (``{"a": 2.0, "lam": 0.1}``).

    Raises:
        UnsupportedError: for a complex-valued expression, or a function NumPy cannot evaluate on arrays.
        SymcalcError: for a symbol with neither a value nor a place among the variables.

    Example:
        >>> fn = compile("x^2 + 3*y", ["x", "y"])
        >>> fn.grad([2.0, 5.0])
        array([4., 3.])
        >>> compile("a*x^2", ["x"], constants={"a": 2.0}).grad([3.0])
        array([12.])
    """
    if isinstance(expr, CompiledFunction):
        return expr
    if data is not None and isinstance(expr, str):
        from .data import parse_over_data  # mean(...) and sum(...) over the rows of the data

        e = parse_over_data(expr, variables, data)
    else:
        e = parse(expr)
    if not isinstance(e, sympy.Expr) or isinstance(e, sympy.Derivative):
        raise SymcalcError("compile takes a scalar expression")
    bound = _plain_constants(constants)
    if bound:
        listed = {v.name if isinstance(v, sympy.Symbol) else str(v) for v in _listed(variables)}
        both = sorted(listed & set(bound))
        if both:
            raise SymcalcError(f"{', '.join(both)} cannot be both a variable and a constant")
        e = bind_constants(e, bound)
    _refuse_non_real(e)
    if data is not None:
        from .data import DataFunction

        xs = resolve_variables([e], variables) if variables is not None else _non_index_symbols(e)
        fn: CompiledFunction = DataFunction(e, xs, data, on_domain_error=on_domain_error)
    else:
        xs = resolve_variables([e], variables)
        missing = {s for s in e.free_symbols if isinstance(s, sympy.Symbol)} - set(xs)
        if missing:
            names = ", ".join(sorted(s.name for s in missing))
            raise SymcalcError(
                f"the expression has symbols that are not variables: {names}; give them values with "
                f"constants={{...}} or list them among the variables"
            )
        fn = CompiledFunction(e, xs, on_domain_error=on_domain_error)
    fn.constants = bound
    return fn


def _listed(variables: Variables) -> list[Any]:
    if variables is None:
        return []
    if isinstance(variables, str):
        return [v for v in variables.replace(",", " ").split() if v]
    return list(variables)


def _non_index_symbols(e: sympy.Expr) -> list[sympy.Symbol]:
    from ..variables import natural_order

    bound = {lim[0] for s in e.atoms(sympy.Sum) for lim in s.limits}
    bound |= {ix.base.label for ix in e.atoms(sympy.Indexed)}  # the data's names are not variables
    return natural_order(
        s for s in e.free_symbols if isinstance(s, sympy.Symbol) and s not in bound and not s.is_integer
    )


def as_callables(fn: CompiledFunction) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``(f, grad)`` as plain callables, for code that takes callables only."""
    return fn.f, fn.grad
