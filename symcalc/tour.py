"""``symcalc tour``: a guided run through the pipeline, in the terminal."""

from __future__ import annotations

from pathlib import Path

import sympy
from rich.console import Console
from rich.panel import Panel

from .parsing import parse

LOSS_LATEX = r"(w x + b - y)^2 + \frac{1}{2} \lambda w^2"


def run_tour(out: str | Path = "symcalc-tour", console: Console | None = None) -> int:
    """Run the tour, printing to ``console``; plots (where there are any) go to ``out``. Returns 0."""
    console = console or Console()
    console.print(
        Panel.fit("symcalc tour: calculus for machine learning, explained and checked", style="bold")
    )
    _parsing(console)
    _derive(console)
    console.rule("Next")
    console.print(
        "  Gradients, Hessians, critical points, compiled gradients and gradient descent join the tour "
        "as they land (see the open issues)."
    )
    return 0


def _parsing(console: Console) -> None:
    console.rule("1. Parse what a person types")
    for source in [LOSS_LATEX, "x^2 sin(x)", "e^(2x) + ln|x|", "sigmoid(w x + b)"]:
        expr = parse(source)
        console.print(f"  {source!r:40} -> {expr}    [dim]{sympy.latex(expr)}[/dim]")
    console.print(
        "  Conventions: log is the natural log, e is Euler's number, 3x and x(x+1) multiply, "
        "every symbol is real."
    )


def _derive(console: Console) -> None:
    from ._derivative import derivative
    from ._verify import check_trace

    console.rule("2. Derive with steps, every step checked")
    d = derivative("x^2 sin(x)", detail="standard")
    console.print(d.to_text(), markup=False, highlight=False)
    console.print(f"  every step checked against sympy.diff: {len(check_trace(d)) == 0}")
    console.rule("3. A loss: the partial derivative by w, and the sigmoid's derivative")
    for source, var in [("(w x + b - y)^2", "w"), ("1/(1+e^(-x))", "x")]:
        d = derivative(source, var)
        console.print(f"  d/d{var} {source} = {d.result}", markup=False)
    d = derivative("ln(1 - x^2)")
    console.print(f"  d/dx ln(1 - x^2) = {d.result}, where {', '.join(map(str, d.conditions))}", markup=False)
