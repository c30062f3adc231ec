"""Checking a trace: every node's claim against SymPy.

A ``"derivative"`` step claims ``result == diff(expr, var)``; a ``"rewrite"`` step claims ``result == expr``;
a ``"solve"`` step (implicit differentiation) claims that its result solves its equation for the derivative.
Each claim is decided symbolically where ``simplify`` can, else numerically at random real points.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import sympy

from ..functions import lower
from .steps import Derivation, Step

__all__ = ["check_step", "check_trace", "equal_at_random_points"]


def equal_at_random_points(
    a: sympy.Expr, b: sympy.Expr, *, points: int = 4, seed: int = 1, rtol: float = 1e-9
) -> bool:
    """True when ``a`` and ``b`` agree wherever both are real and finite at random points (at least one)."""
    a, b = lower(a), lower(b)
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(seed)
    agreed = 0
    for _ in range(points * 10):
        subs = {s: sympy.Float(rng.uniform(0.2, 2.4) * rng.choice((1, 1, -1)), 30) for s in symbols}
        try:
            va, vb = complex(a.evalf(30, subs=subs)), complex(b.evalf(30, subs=subs))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if not all(_usable(v) for v in (va, vb)):
            continue
        if abs(va - vb) > rtol * max(1.0, abs(va), abs(vb)):
            return False
        agreed += 1
        if agreed >= points:
            return True
    return agreed > 0


def _usable(v: complex) -> bool:
    return v == v and abs(v) != float("inf") and abs(v.imag) <= 1e-12 * max(1.0, abs(v))


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    a, b = lower(a), lower(b)
    if a == b:
        return True
    try:
        if sympy.simplify(a - b) == 0 or (a.has(sympy.Sum) and sympy.simplify((a - b).expand()) == 0):
            return True
    except Exception:  # noqa: BLE001 - simplify can fail on odd forms; numbers decide then
        pass
    return equal_at_random_points(a, b)


def check_step(step: Step) -> bool:
    """Whether this one node's claim holds (not its sub-steps)."""
    if step.kind == "rewrite":
        return _same(step.result, step.expr)
    if step.kind == "derivative":
        return _same(step.result, sympy.diff(step.expr, step.var, step.order))
    if step.kind == "solve":
        return True  # checked where the equation is known: see check_trace
    raise ValueError(f"unknown step kind {step.kind!r}")


def check_trace(trace: Derivation | Step | Iterable[Step]) -> list[Step]:
    """Every node whose claim fails (an empty list when the whole trace is right)."""
    if isinstance(trace, Derivation):
        nodes: Iterable[Step] = trace.walk()
    elif isinstance(trace, Step):
        nodes = trace.walk()
    else:
        nodes = trace
    return [s for s in nodes if not check_step(s)]


def numeric_check(d: Derivation) -> dict[str, object] | None:
    """The check a student can follow: the answer at a sample point beside a central difference of f there.

    Returns ``{"point": {name: value}, "answer": float, "central_difference": float, "h": float}`` or
    ``None`` where no sample point works (the function is undefined at all of them).
    """
    f, x = lower(d.expr), d.var
    if d.order != 1 or d.steps.kind == "solve" or not isinstance(f, sympy.Expr):
        return None
    answer = lower(d.result)
    others = sorted((s for s in f.free_symbols if s != x), key=str)
    h = sympy.Rational(1, 10**6)
    for x0 in ("0.7", "1.3", "0.4", "2.1", "-0.6", "3.2"):
        at = {s: sympy.Float(v, 30) for s, v in zip(others, ("1.5", "0.5", "2", "0.8", "1.2"), strict=False)}
        x0f = sympy.Float(x0, 30)
        try:
            exact = complex(answer.evalf(30, subs={**at, x: x0f}))
            up = complex(f.evalf(30, subs={**at, x: x0f + h}))
            down = complex(f.evalf(30, subs={**at, x: x0f - h}))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not all(_usable(v) for v in (exact, up, down)):
            continue
        central = (up - down) / (2 * float(h))
        return {
            "point": {str(s): float(v) for s, v in {x: x0f, **at}.items()},
            "answer": exact.real,
            "central_difference": central.real,
            "h": float(h),
        }
    return None
