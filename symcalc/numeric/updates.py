r"""Gradient descent and its variants, on plain callables.

The contract, written once: an update rule is a pair of pure functions,

* ``init(x) -> state`` and
* ``update(grad, state, x, f) -> (step, state)``,

where ``step`` is what is added to ``x``. ``f`` is the objective's callable (only line searches use it) and
``state`` a small NamedTuple. A named method is a short function returning such a pair, reading like the
textbook rule; a user passes their own pair the same way. This module knows nothing of SymPy: ``minimize``
takes ``fun`` and ``jac`` (and ``hess`` for Newton), so SciPy-style callables and a user's own NumPy code work.

Example:
    >>> import numpy as np
    >>> res = minimize(lambda x: float(x @ x), [3.0, -4.0], jac=lambda x: 2 * x, method="gd", lr=0.25)
    >>> res.success, np.round(res.x, 8)
    (True, array([ 0., -0.]))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..errors import OptimizationError

__all__ = [
    "METHODS",
    "OptimizeResult",
    "UpdateRule",
    "adagrad",
    "adam",
    "backtracking",
    "gd",
    "minimize",
    "momentum",
    "nesterov",
    "newton",
    "rmsprop",
]

Array = np.ndarray


class UpdateRule(NamedTuple):
    """An optimizer: ``init(x) -> state``, ``update(g, state, x, f) -> (step, state)``."""

    init: Callable[[Array], Any]
    update: Callable[..., tuple[Array, Any]]
    needs_hessian: bool = False


class _Empty(NamedTuple):
    pass


class _Velocity(NamedTuple):
    v: Array


class _Moments(NamedTuple):
    m: Array
    v: Array
    t: int


class _Accumulator(NamedTuple):
    s: Array


def gd(lr: float) -> UpdateRule:
    """Fixed step: x <- x - lr g."""
    return UpdateRule(lambda x: _Empty(), lambda g, s, x, f: (-lr * g, s))


def momentum(lr: float, beta: float = 0.9) -> UpdateRule:
    """Heavy ball: v <- beta v + g; x <- x - lr v."""

    def update(g: Array, s: _Velocity, x: Array, f: Any) -> tuple[Array, _Velocity]:
        v = beta * s.v + g
        return -lr * v, _Velocity(v)

    return UpdateRule(lambda x: _Velocity(np.zeros_like(x)), update)


def nesterov(lr: float, beta: float = 0.9) -> UpdateRule:
    """Nesterov momentum (the look-ahead written on the current gradient): v <- beta v + g; step -lr (g + beta v)."""

    def update(g: Array, s: _Velocity, x: Array, f: Any) -> tuple[Array, _Velocity]:
        v = beta * s.v + g
        return -lr * (g + beta * v), _Velocity(v)

    return UpdateRule(lambda x: _Velocity(np.zeros_like(x)), update)


def adagrad(lr: float, eps: float = 1e-10) -> UpdateRule:
    """s <- s + g^2; x <- x - lr g / (sqrt(s) + eps)."""

    def update(g: Array, s: _Accumulator, x: Array, f: Any) -> tuple[Array, _Accumulator]:
        acc = s.s + g * g
        return -lr * g / (np.sqrt(acc) + eps), _Accumulator(acc)

    return UpdateRule(lambda x: _Accumulator(np.zeros_like(x)), update)


def rmsprop(lr: float, decay: float = 0.9, eps: float = 1e-8) -> UpdateRule:
    """s <- decay s + (1 - decay) g^2; x <- x - lr g / (sqrt(s) + eps)."""

    def update(g: Array, s: _Accumulator, x: Array, f: Any) -> tuple[Array, _Accumulator]:
        acc = decay * s.s + (1 - decay) * g * g
        return -lr * g / (np.sqrt(acc) + eps), _Accumulator(acc)

    return UpdateRule(lambda x: _Accumulator(np.zeros_like(x)), update)


def adam(lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> UpdateRule:
    """m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; bias-corrected; x <- x - lr m_hat / (sqrt(v_hat) + eps)."""

    def update(g: Array, s: _Moments, x: Array, f: Any) -> tuple[Array, _Moments]:
        t = s.t + 1
        m = b1 * s.m + (1 - b1) * g
        v = b2 * s.v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return -lr * m_hat / (np.sqrt(v_hat) + eps), _Moments(m, v, t)

    return UpdateRule(lambda x: _Moments(np.zeros_like(x), np.zeros_like(x), 0), update)


def backtracking(lr: float = 1.0, shrink: float = 0.5, c: float = 1e-4, max_halvings: int = 50) -> UpdateRule:
    """Armijo line search along -g: halve the step until f(x - t g) <= f(x) - c t |g|^2."""

    def update(g: Array, s: _Empty, x: Array, f: Callable[[Array], float]) -> tuple[Array, _Empty]:
        fx, gg, t = f(x), float(g @ g), lr
        for _ in range(max_halvings):
            if f(x - t * g) <= fx - c * t * gg:
                break
            t *= shrink
        return -t * g, s

    return UpdateRule(lambda x: _Empty(), update)


def newton(lr: float = 1.0, damping: float = 1e-3) -> UpdateRule:
    """Newton's step -H^-1 g; where H is not positive definite it is shifted (H + mu I) until it is."""

    def update(g: Array, s: _Empty, x: Array, f: Any, h: Array) -> tuple[Array, _Empty]:
        eig_min = float(np.linalg.eigvalsh((h + h.T) / 2).min())
        mu = 0.0 if eig_min > 0 else damping - eig_min
        return -lr * np.linalg.solve(h + mu * np.eye(len(x)), g), s

    return UpdateRule(lambda x: _Empty(), update, needs_hessian=True)


#: Named methods and the step size each uses when none is given.
METHODS: dict[str, tuple[Callable[..., UpdateRule], float]] = {
    "gd": (gd, 1e-3),
    "backtracking": (backtracking, 1.0),
    "momentum": (momentum, 1e-3),
    "nesterov": (nesterov, 1e-3),
    "adagrad": (adagrad, 0.1),
    "rmsprop": (rmsprop, 1e-2),
    "adam": (adam, 1e-2),
    "newton": (newton, 1.0),
}


class OptimizeResult(dict):  # type: ignore[type-arg]
    """SciPy's result fields (``x, fun, jac, nit, nfev, njev, success, status, message``) plus ``method`` and
    ``history`` (``x``, ``fun``, ``grad_norm``, ``step`` as arrays, one row per iterate). Attribute access, as
    SciPy's. ``verify()`` is there when the problem came from an expression (see :func:`symcalc.minimize`).

    It pickles, and shows itself in Jupyter as a table (Markdown and HTML).

    Example:
        >>> res = OptimizeResult(x=np.array([1.0]), fun=0.5, method="gd", success=True, message="converged")
        >>> res.fun
        0.5
        >>> "| f(x) | 0.5 |" in res._repr_markdown_()
        True
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __repr__(self) -> str:
        return (
            f"OptimizeResult(method={self.get('method')!r}, success={self.get('success')}, "
            f"nit={self.get('nit')}, fun={self.get('fun')!r}, x={self.get('x')!r}, message={self.get('message')!r})"
        )

    def _display_rows(self) -> list[tuple[str, str]]:
        rows = []
        if "x" in self:
            rows.append(("x", np.array2string(np.asarray(self["x"]), precision=6, threshold=20)))
        if "fun" in self:
            rows.append(("f(x)", f"{self['fun']:.6g}"))
        if self.get("jac") is not None:
            rows.append(("gradient norm", f"{float(np.linalg.norm(self['jac'])):.3g}"))
        if "nit" in self:
            rows.append(("iterations", str(self["nit"])))
        if "nfev" in self:
            rows.append(("evaluations", f"{self['nfev']} of f, {self.get('njev', 0)} of the gradient"))
        if "status" in self:
            rows.append(("status", str(self["status"])))
        if "message" in self:
            rows.append(("message", str(self["message"])))
        history = self.get("history")
        if history:
            fields = ", ".join(history)
            rows.append(("history", f"{len(history.get('fun', ()))} iterates ({fields})"))
        return rows

    def _headline(self) -> str:
        verdict = "converged" if self.get("success") else "did not converge"
        return f"{self.get('method', 'minimize')}: {verdict}"

    def _repr_markdown_(self) -> str:
        rows = [f"| {k} | {_markdown_cell(v)} |" for k, v in self._display_rows()]
        head = f"**OptimizeResult**, {self._headline()}"
        return "\n".join([head, "", "| | |", "| --- | --- |", *rows]) + "\n"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
            f"<code>{escape(v)}</code></td></tr>"
            for k, v in self._display_rows()
        )
        return f"<p><b>OptimizeResult</b>, {escape(self._headline())}</p><table>{rows}</table>"

    def verify(self) -> Any:
        checker = self.get("_verify")
        if checker is None:
            raise OptimizationError(
                "verify() needs the problem as an expression: use symcalc.minimize with one"
            )
        return checker(self)


def _markdown_cell(text: str) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return text.replace("|", "&#124;").replace("\n", " ")


def minimize(
    fun: Callable[[Array], float],
    x0: Any,
    *,
    jac: Callable[[Array], Array],
    hess: Callable[[Array], Array] | None = None,
    method: str | UpdateRule = "gd",
    lr: float | None = None,
    max_iter: int = 10_000,
    gtol: float = 1e-8,
    ftol: float = 0.0,
    callback: Callable[[OptimizeResult], Any] | None = None,
    divergence_window: int = 50,
    value_and_grad: Callable[[Array], tuple[float, Array]] | None = None,
    **options: Any,
) -> OptimizeResult:
    """Minimize ``fun`` from ``x0`` with a first-order method (or Newton), stopping on a small gradient, a small
    relative change in f (``ftol``), ``max_iter``, or divergence (a NaN or inf, or f growing for
    ``divergence_window`` steps in a row), always with the reason in ``message``.

    ``callback(intermediate_result)`` is called after each step; raising ``StopIteration`` ends the run with
    ``success=False``. ``value_and_grad`` (optional) computes f and its gradient in one call, sharing their work.
    """
    x = np.array(x0, dtype=np.float64).reshape(-1).copy()
    step_size: float | None
    if isinstance(method, str):
        if method not in METHODS:
            raise OptimizationError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        make, default_lr = METHODS[method]
        rule, name, step_size = (
            make(lr if lr is not None else default_lr, **options),
            method,
            lr or default_lr,
        )
    else:
        rule, name, step_size = method, "custom", lr
    if rule.needs_hessian and hess is None:
        raise OptimizationError(f"{name} needs the Hessian: pass hess=...")
    if value_and_grad is None:

        def value_and_grad(p: Array) -> tuple[float, Array]:
            return fun(p), jac(p)

    f0, g = value_and_grad(x)
    f0 = _scalar(f0)
    g = _vector(g, len(x))
    state = rule.init(x)
    hist_x, hist_f, hist_g, hist_s = [x.copy()], [f0], [], []
    fx, grows = f0, 0
    status, message = 1, f"stopped after max_iter = {max_iter} iterations"
    nit = 0
    # the loop runs 20,000 times a second on a small problem: its names are local, and g is checked only where
    # a value and gradient function of unknown make could give something else than a float64 vector
    sqrt, isfinite, update, needs_hessian = math.sqrt, math.isfinite, rule.update, rule.needs_hessian
    n, vector = len(x), np.ndarray
    for nit in range(1, max_iter + 1):
        gn = sqrt(g.dot(g))  # a nan or inf anywhere in g shows here: the loop's only finiteness check on g
        hist_g.append(gn)
        if not isfinite(gn):
            status, message = 3, _diverged(name, step_size, "the gradient is not finite")
            nit -= 1
            break
        if gn <= gtol:
            status, message = 0, f"converged: the gradient norm {gn:.3g} is below gtol = {gtol:g}"
            nit -= 1
            break
        if needs_hessian:
            step, state = update(g, state, x, fun, np.asarray(hess(x), dtype=np.float64))  # type: ignore[misc]
        else:
            step, state = update(g, state, x, fun)
        x = x + step  # a new array: the history keeps each iterate without copying
        f_new, g = value_and_grad(x)
        if type(f_new) is not float:
            f_new = _scalar(f_new)
        if type(g) is not vector or g.shape != (n,) or g.dtype != np.float64:
            g = _vector(g, n)
        hist_x.append(x)
        hist_f.append(f_new)
        hist_s.append(step)  # its length is taken once, at the end
        if not isfinite(f_new):
            status, message = 3, _diverged(name, step_size, "f became NaN or infinite")
            fx = f_new
            break
        grows = grows + 1 if f_new > fx else 0
        if grows >= divergence_window:
            status, message = 3, _diverged(name, step_size, f"f grew for {divergence_window} steps in a row")
            fx = f_new
            break
        if ftol > 0 and abs(fx - f_new) <= ftol * max(1.0, abs(fx)):
            fx = f_new
            status, message = 0, f"converged: the relative change in f is below ftol = {ftol:g}"
            break
        fx = f_new
        if callback is not None:
            try:
                callback(
                    _result(
                        x, fx, g, nit, len(hist_f), False, 1, "running", name, hist_x, hist_f, hist_g, hist_s
                    )
                )
            except StopIteration:
                status, message = 2, "stopped by the callback"
                break
    else:
        hist_g.append(sqrt(g.dot(g)))
    return _result(
        x, fx, g, nit, len(hist_f), status == 0, status, message, name, hist_x, hist_f, hist_g, hist_s
    )


def _vector(g: Any, n: int) -> Array:
    if type(g) is np.ndarray and g.dtype == np.float64 and g.shape == (n,):
        return g
    arr = np.asarray(g, dtype=np.float64).reshape(-1)
    if arr.shape != (n,):
        raise OptimizationError(f"the gradient has shape {np.shape(g)}; expected ({n},)")
    return arr


def _scalar(value: Any) -> float:
    if type(value) is float:
        return value
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise OptimizationError(f"the objective must return a scalar, not an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _diverged(name: str, lr: float | None, what: str) -> str:
    advice = f"try a smaller step than lr = {lr:g}" if lr else "try a smaller step"
    return f"diverged: {what}; {advice} (symcalc.suggest_lr gives one below 2/L), or method='backtracking'"


def _result(
    x: Array,
    fx: float,
    g: Array,
    nit: int,
    nfev: int,
    success: bool,
    status: int,
    message: str,
    method: str,
    hx: list[Array],
    hf: list[float],
    hg: list[float],
    hs: list[Array],
) -> OptimizeResult:
    taken = np.array(hs, dtype=np.float64).reshape(len(hs), -1) if hs else np.zeros((0, len(x)))
    steps = np.sqrt(np.einsum("ij,ij->i", taken, taken))
    return OptimizeResult(
        x=x.copy(),
        fun=fx,
        jac=np.asarray(g).copy(),
        nit=nit,
        nfev=nfev,
        njev=nfev,  # f and the gradient are evaluated together
        success=success,
        status=status,
        message=message,
        method=method,
        history={"x": np.array(hx), "fun": np.array(hf), "grad_norm": np.array(hg), "step": steps},
    )
