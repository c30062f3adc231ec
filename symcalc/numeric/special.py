r"""The gamma family on NumPy arrays of real numbers: ``gamma``, ``loggamma`` and ``polygamma``.

NumPy has none of them, and SciPy is not a dependency of symcalc. Compiled code uses ``scipy.special`` when SciPy
is installed, and otherwise these element-wise forms: :math:`\Gamma` and :math:`\ln\Gamma` from Python's ``math``
module, and :math:`\psi^{(n)}` (``polygamma(n, x)``, the n-th derivative of digamma
:math:`\psi = \Gamma'/\Gamma`) by the recurrence :math:`\psi^{(n)}(x) = \psi^{(n)}(x + 1) - (-1)^n n!/x^{n+1}` up to
:math:`x \ge 20 + n`, then the asymptotic series in Bernoulli numbers (agreeing with SciPy to about 1e-14).

Where a function is undefined (a pole of gamma at 0, -1, -2, ...; ``loggamma`` at :math:`x \le 0`, where it is
complex), the value is nan, so that a compiled function reports it as outside the domain.

Example:
    >>> import numpy as np
    >>> gamma(np.array([0.5, 5.0, -1.0]))
    array([ 1.77245385, 24.        ,         nan])
    >>> float(polygamma(0, 1.0))  # -(Euler's constant)
    -0.5772156649015329
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["gamma", "loggamma", "polygamma"]

Array = NDArray[np.float64]

#: The Bernoulli numbers B_2k for k = 1..9, for the asymptotic series of digamma and its derivatives.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798)
#: Most unit steps the recurrence takes for a negative argument (x = -10^5 needs 10^5 array steps).
_MAX_SHIFT = 100_000


def _scipy_special() -> Any:
    try:
        import scipy.special

        return scipy.special
    except ImportError:  # SciPy is optional
        return None


def _gamma_scalar(v: float) -> float:
    if v <= 0 and v == math.floor(v):
        return math.nan  # a pole
    try:
        return math.gamma(v)
    except OverflowError:  # past 171.6, or just beside a pole: the sign is that of gamma on that interval
        return math.inf if v > 0 or math.floor(v) % 2 == 0 else -math.inf
    except ValueError:
        return math.nan


def _loggamma_scalar(v: float) -> float:
    if not v > 0:
        return math.nan  # log(gamma(x)) is complex for x < 0 where gamma is negative; SymPy's loggamma is too
    return math.lgamma(v)


_gamma_loop = np.vectorize(_gamma_scalar, otypes=[np.float64])
_loggamma_loop = np.vectorize(_loggamma_scalar, otypes=[np.float64])


def gamma(x: Any) -> Array:
    r""":math:`\Gamma(x)` element-wise; nan at the poles 0, -1, -2, ..."""
    special = _scipy_special()
    if special is not None:
        x = np.asarray(x, dtype=np.float64)
        return np.where((x <= 0) & (x == np.floor(x)), np.nan, special.gamma(x))
    return np.asarray(_gamma_loop(x), dtype=np.float64)


def loggamma(x: Any) -> Array:
    r""":math:`\ln\Gamma(x)` element-wise for :math:`x > 0`; nan elsewhere (it is complex there)."""
    special = _scipy_special()
    if special is not None:
        x = np.asarray(x, dtype=np.float64)
        return np.where(x > 0, special.gammaln(np.where(x > 0, x, 1.0)), np.nan)
    return np.asarray(_loggamma_loop(x), dtype=np.float64)


def polygamma(n: Any, x: Any) -> Array:
    r""":math:`\psi^{(n)}(x)`, the n-th derivative of digamma, element-wise; nan at the poles 0, -1, -2, ..."""
    order = int(np.asarray(n).flat[0])
    special = _scipy_special()
    if special is not None:
        x = np.asarray(x, dtype=np.float64)
        return np.where((x <= 0) & (x == np.floor(x)), np.nan, special.polygamma(order, x))
    return polygamma_numpy(order, x)


def polygamma_numpy(n: int, x: Any) -> Array:
    """:func:`polygamma` without SciPy: the recurrence, then the asymptotic series."""
    x = np.array(x, dtype=np.float64)
    pole = (x <= 0) & (x == np.floor(x))
    y = np.where(pole | ~np.isfinite(x), 30.0 + n, x)
    limit = 20.0 + n
    steps = min(int(max(0.0, math.ceil(limit - float(np.min(y, initial=limit))))), _MAX_SHIFT)
    total = np.zeros_like(y)
    term = (-1.0) ** n * math.factorial(n)
    for _ in range(steps):  # psi^(n)(y) = psi^(n)(y + 1) - (-1)^n n! / y^(n+1), while y is small
        small = y < limit
        if not small.any():
            break
        total = np.where(small, total - term / np.where(small, y, 1.0) ** (n + 1), total)
        y = np.where(small, y + 1.0, y)
    total = total + _asymptotic(n, y)
    total = np.where(y < limit, np.nan, total)  # more steps than _MAX_SHIFT
    total = np.where(pole, np.nan, total)
    total = np.where(np.isnan(x), np.nan, total)
    if n == 0:
        total = np.where(np.isposinf(x), np.inf, total)
    else:
        total = np.where(np.isposinf(x), 0.0, total)
    return total[()] if total.ndim == 0 else total


def _asymptotic(n: int, y: Array) -> Array:
    """The asymptotic series of :math:`\\psi^{(n)}(y)` for large y."""
    if n == 0:
        out = np.log(y) - 0.5 / y
        inv2 = 1.0 / (y * y)
        power = inv2.copy()
        for k, b in enumerate(_B2K, start=1):
            out = out - b / (2 * k) * power
            power = power * inv2
        return out
    # (-1)^(n+1) [ (n-1)!/y^n + n!/(2 y^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! y^(2k+n)) ]
    series = math.factorial(n - 1) / y**n + math.factorial(n) / (2 * y ** (n + 1))
    for k, b in enumerate(_B2K, start=1):
        series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / y ** (2 * k + n)
    return (-1.0) ** (n + 1) * series
