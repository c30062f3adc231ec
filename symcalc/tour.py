"""``symcalc tour``: a guided run through the pipeline, in the terminal."""

from __future__ import annotations

from pathlib import Path

import sympy
from rich.console import Console
from rich.panel import Panel

from .parse import parse
from .render.notation import text

LOSS_LATEX = r"(w x + b - y)^2 + \frac{1}{2} \lambda w^2"


def run_tour(out: str | Path = "symcalc-tour", console: Console | None = None) -> int:
    """Run the tour, printing to ``console``; plots (where there are any) go to ``out``. Returns 0.

    Lines are never wrapped by the console (``soft_wrap``): a worked solution breaks its own lines between
    expressions at the terminal's width, and output to a pipe or a file keeps whole lines.
    """
    console = console or Console(soft_wrap=True)
    console.print(
        Panel.fit("symcalc tour: calculus for machine learning, explained and checked", style="bold")
    )
    _parsing(console)
    _derive(console)
    _pipeline(console, Path(out))
    return 0


def _parsing(console: Console) -> None:
    console.rule("1. Parse what a person types")
    for source in [LOSS_LATEX, "x^2 sin(x)", "e^(2x) + ln|x|", "sigmoid(w x + b)"]:
        expr = parse(source)
        console.print(f"  {source!r:40} -> {text(expr)}    [dim]{sympy.latex(expr)}[/dim]", highlight=False)
    console.print(
        "  Conventions: log is the natural log, e is Euler's number, 3x and x(x+1) multiply, "
        "every symbol is real."
    )


def _derive(console: Console) -> None:
    from .derive.derivative import derivative
    from .derive.verify import check_trace
    from .render.derivation import derivation_to_text
    from .render.notation import conditions_text

    console.rule("2. Derive with steps, every step checked")
    d = derivative("x^2 sin(x)", detail="standard")
    width = console.width if console.is_terminal else None
    console.print(derivation_to_text(d, width), markup=False, highlight=False)
    console.print(f"  every step checked against sympy.diff: {len(check_trace(d)) == 0}")
    console.rule("3. A loss: the partial derivative by w, and the sigmoid's derivative")
    for source, var in [("(w x + b - y)^2", "w"), ("1/(1+e^(-x))", "x")]:
        d = derivative(source, var)
        op = "∂/∂" if d.constants else "d/d"
        console.print(f"  {op}{var} [{text(d.expr)}] = {text(d.result)}", markup=False, highlight=False)
    d = derivative("ln(1 - x^2)")
    where = ", ".join(conditions_text(d.conditions))
    console.print(f"  d/dx [ln(1 - x^2)] = {text(d.result)}, where {where}", markup=False, highlight=False)


def _pipeline(console: Console, out: Path) -> None:
    import numpy as np

    from .derive.critical import critical_points
    from .derive.multivariable import gradient
    from .numeric.compile import compile
    from .numeric.minimize import minimize
    from .teach.check import check_gradient

    loss = "(1-x)^2 + 100*(y-x^2)^2"
    console.rule("4. The gradient of a loss (Rosenbrock), and its critical points")
    g = gradient(loss, ["x", "y"])
    console.print(f"  grad f = {text(g.result)}", markup=False, highlight=False)
    cps = critical_points(loss, ["x", "y"])
    for p in cps:
        console.print(f"  critical point {p.coords}: {p.kind} ({p.reason})", markup=False)
    console.rule("5. Compile to NumPy and descend with two methods")
    fn = compile(loss, ["x", "y"])
    console.print(
        f"  compiled with {fn.backend}; grad at (-1.2, 1) = {fn.grad(np.array([-1.2, 1.0]))}", markup=False
    )
    runs = {
        m: minimize(fn, [-1.2, 1.0], m, lr=lr, max_iter=20000, gtol=1e-6)
        for m, lr in (("adam", 0.01), ("newton", 1.0))
    }
    for m, r in runs.items():
        console.print(f"  {m:7s} {r.nit:6d} iterations -> x = {np.round(r.x, 6)}: {r.message}", markup=False)
        console.print(f"          check: {r.verify()}", markup=False)
    try:
        from .plotting import contour_paths

        png = out / "descent.png"
        contour_paths(loss, {m: r.history["x"] for m, r in runs.items()}, save=png)
        console.print(f"  plot written to {png}")
    except Exception as err:  # noqa: BLE001 - no matplotlib: say how to get the plots and go on
        console.print(
            f"  (no plot: {err}; install the plot extra: pip install 'symcalc[plot]')", markup=False
        )
    console.rule("6. A hand-derived gradient with one deliberate mistake")
    claim = ["-2*(1-x) + 200*(y-x^2)", "200*(y-x^2)"]  # d/dx forgets the inner factor -2x
    result = check_gradient(loss, claim, ["x", "y"])
    console.print(result.to_text(), markup=False, highlight=False)
