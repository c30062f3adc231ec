"""One problem, solved in this process: strings in, JSON-ready data out (SymPy never crosses a process).

Example:
    >>> solve_job({"task": "check", "expr": "x^2", "vars": ["x"], "claim": "2*x"}, "json")["ok"]
    True
"""

from __future__ import annotations

import json
from typing import Any

from ..derive.critical import critical_points
from ..derive.derivative import derivative
from ..derive.lagrange import lagrange
from ..derive.multivariable import gradient, hessian
from ..errors import SymcalcError
from ..parse import parse
from ..teach.check import check_gradient
from .read import TASKS

__all__ = ["solve_job"]


def _render(result: Any, fmt: str) -> str | None:
    if fmt == "none":  # grading needs the verdict only
        return None
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, sort_keys=True)
    return {"markdown": result.to_markdown, "latex": result.to_latex, "text": result.to_text}[fmt]()  # type: ignore[no-any-return]


def solve_job(job: dict[str, Any], fmt: str = "markdown") -> dict[str, Any]:
    """Run one job in this process and return plain JSON-ready data (the rendering or the verdict).

    ``job`` has ``task`` (``derivative``, ``gradient``, ``hessian``, ``critical``, ``lagrange``, ``check``
    or ``auto``), ``expr``, and as the task needs ``vars``, ``constraints`` and ``claim`` (or ``answer``;
    components separated by ``;``). ``fmt`` is ``markdown``, ``latex``, ``text``, ``json``, or ``none`` for
    no rendering (a verdict is all grading needs).
    """
    task = job.get("task", "auto")
    expr = job["expr"]
    variables = job.get("vars")
    if task == "auto":
        n = len(parse(expr).free_symbols)
        task = "derivative" if n <= 1 else "gradient"
    if task not in TASKS:
        raise SymcalcError(f"unknown task {task!r}; one of {', '.join(TASKS)}")
    if task == "derivative":
        var = variables[0] if isinstance(variables, list) and variables else variables
        return {"task": task, "rendering": _render(derivative(expr, var), fmt)}
    if task == "gradient":
        return {"task": task, "rendering": _render(gradient(expr, variables), fmt)}
    if task == "hessian":
        return {"task": task, "rendering": _render(hessian(expr, variables), fmt)}
    if task == "critical":
        return {"task": task, "rendering": _render(critical_points(expr, variables, timeout=5.0), fmt)}
    if task == "lagrange":
        return {"task": task, "rendering": _render(lagrange(expr, job["constraints"], variables), fmt)}
    claim = job.get("claim")
    if claim is None:
        claim = job.get("answer")
    if claim is None:
        raise SymcalcError("a check problem needs a claim (the gradient to check)")
    if isinstance(claim, str):
        claim = [c.strip() for c in claim.split(";")]
    result = check_gradient(expr, claim, variables)
    return {
        "task": "check",
        "ok": result.ok,
        "mistakes": list(result.mistakes),
        "hints": list(result.hints),
        "wrong": list(result.wrong),
        "rendering": _render(result, fmt),
    }
