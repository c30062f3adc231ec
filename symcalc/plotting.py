"""Plots (extra ``plot``: matplotlib): a function with its tangent line, a contour plot with descent paths,
and a loss curve. Each returns a ``matplotlib.figure.Figure`` (never pyplot state) and can save a PNG.

Example (needs matplotlib)::

    fig = contour_paths("(1-x)^2 + 100*(y-x^2)^2", {"adam": res.history["x"]}, save="path.png")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SymcalcError

__all__ = ["contour_paths", "loss_curves", "regression_fit", "tangent_line"]


def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise SymcalcError("plots need matplotlib: pip install 'symcalc[plot]'") from err
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    fig._repr_png_ = lambda: _png_bytes(fig)  # type: ignore[attr-defined]  # Jupyter shows a bare Figure
    return fig


def _png_bytes(fig: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _save(fig: Any, save: str | Path | None) -> Any:
    """Write ``fig`` to ``save`` (when given) and return it.

    Only the file asked for is written: a missing folder is an error, never created, and so is any other
    reason the file cannot be written (a folder in its place, no permission, a format matplotlib lacks).
    """
    if save is None:
        return fig
    target = Path(save)
    if not target.absolute().parent.is_dir():
        raise SymcalcError(f"cannot write {save}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise SymcalcError(f"cannot write {save}: it is a folder")
    try:
        fig.savefig(target)
    except OSError as err:
        raise SymcalcError(f"cannot write {save}: {err.strerror or err}") from None
    except ValueError as err:  # an unknown format: "Format 'xyz' is not supported (supported formats: ...)"
        raise SymcalcError(f"cannot write {save}: {err}") from None
    return fig


def contour_paths(
    expr: Any,
    paths: Mapping[str, np.ndarray],
    *,
    variables: Any = None,
    margin: float = 0.5,
    save: str | Path | None = None,
) -> Any:
    """Contours of f(x, y) with one line per descent path (``{label: (k, 2) array of iterates}``)."""
    from .numeric.compile import compile

    fn = compile(expr, variables, on_domain_error="ignore")
    if fn.n != 2:
        raise SymcalcError("a contour plot needs a function of two variables")
    pts = np.vstack([np.asarray(p)[:, :2] for p in paths.values()])
    lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    z = np.asarray(fn.f(np.stack([gx.ravel(), gy.ravel()], axis=1))).reshape(gx.shape)
    fig = _figure()
    ax = fig.add_subplot()
    levels = np.quantile(z[np.isfinite(z)], np.linspace(0.0, 0.95, 25))
    ax.contour(gx, gy, z, levels=np.unique(levels), cmap="viridis", linewidths=0.7)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(
            path[:, 0],
            path[:, 1],
            marker=".",
            markersize=2,
            linewidth=1.2,
            label=f"{label} ({len(path) - 1} steps)",
        )
    ax.set_xlabel(str(fn.variables[0]))
    ax.set_ylabel(str(fn.variables[1]))
    ax.legend(loc="best", fontsize="small")
    ax.set_title("descent paths")
    return _save(fig, save)


def loss_curves(histories: Mapping[str, np.ndarray], *, save: str | Path | None = None) -> Any:
    """f per iteration, log scale, one line per run (``{label: values}``)."""
    fig = _figure()
    ax = fig.add_subplot()
    for label, values in histories.items():
        v = np.asarray(values, dtype=float)
        ax.semilogy(np.arange(len(v)), np.maximum(v - min(0.0, float(np.nanmin(v))), 1e-300), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("f (log scale)")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, save)


def tangent_line(
    expr: Any, at: float, *, var: Any = None, width: float = 2.0, save: str | Path | None = None
) -> Any:
    """f(x) with its tangent line at ``x = at``."""
    from .numeric.compile import compile

    fn = compile(expr, [var] if var else None, on_domain_error="ignore")
    if fn.n != 1:
        raise SymcalcError("a tangent line needs a function of one variable")
    xs = np.linspace(at - width, at + width, 400)
    ys = fn.f(xs[:, None])
    f0, slope = fn.f(at), float(fn.grad(at)[0])
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(xs, ys, label=f"f({fn.variables[0]})")
    ax.plot(xs, f0 + slope * (xs - at), "--", label=f"tangent at {at:g} (slope {slope:.4g})")
    ax.plot([at], [f0], "o")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, save)


def regression_fit(
    X: Any, y: Any, params: Any, *, closed_form: Any = None, save: str | Path | None = None
) -> Any:
    """The data and the fitted line (one feature), with the closed-form line for comparison when given."""
    x = np.asarray(X, dtype=float).reshape(-1)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(x, np.asarray(y, dtype=float), ".", markersize=3, label="data")
    grid = np.linspace(x.min(), x.max(), 100)
    w, b = float(params[0]), float(params[-1])
    ax.plot(grid, w * grid + b, label=f"gradient descent: y = {w:.4g} x + {b:.4g}")
    if closed_form is not None:
        ax.plot(grid, closed_form[0] * grid + closed_form[-1], "--", label="closed form (lstsq)")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, save)
