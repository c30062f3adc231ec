"""Numeric comparison of expressions at random points, for where ``simplify`` cannot decide."""

from __future__ import annotations

import random

import sympy

from symcalc.functions import lower


def equal_at_points(
    a: sympy.Expr, b: sympy.Expr, symbols=None, *, points: int = 6, seed: int = 0, rtol: float = 1e-8
) -> bool:
    """True when a and b agree at every random point where both are real and finite (and at least one is)."""
    a, b = lower(sympy.sympify(a)), lower(sympy.sympify(b))
    symbols = sorted((a.free_symbols | b.free_symbols) if symbols is None else symbols, key=str)
    rng = random.Random(seed)
    checked = 0
    for _ in range(points * 8):
        subs = {s: sympy.Float(rng.uniform(0.1, 2.5) * rng.choice([1, 1, -1])) for s in symbols}
        try:
            va = complex(a.evalf(30, subs=subs))
            vb = complex(b.evalf(30, subs=subs))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if any(v != v or abs(v) == float("inf") or abs(v.imag) > 1e-12 * max(1, abs(v)) for v in (va, vb)):
            continue
        if abs(va - vb) > rtol * max(1.0, abs(va), abs(vb)):
            return False
        checked += 1
        if checked >= points:
            break
    return checked > 0


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Equal: structurally, by expansion, numerically at random points (where both are real and finite), or,
    where no point can be evaluated, by ``simplify``."""
    a, b = lower(sympy.sympify(a)), lower(sympy.sympify(b))
    if a == b or sympy.expand(a - b) == 0:
        return True
    verdict = _numeric_verdict(a, b)
    if verdict is not None:
        return verdict
    try:
        return sympy.simplify(a - b) == 0
    except Exception:  # noqa: BLE001 - simplify can fail on odd forms
        return False


def _numeric_verdict(a: sympy.Expr, b: sympy.Expr) -> bool | None:
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if any(not isinstance(s, sympy.Symbol) for s in symbols):
        return None
    rng = random.Random(3)
    checked = 0
    for k in range(60):
        # positive points first: a claim may differ only where the function is not real (acosh at x < -1)
        sign = (lambda: 1) if k < 30 else (lambda: rng.choice([1, 1, -1]))
        subs = {s: sympy.Float(rng.uniform(0.1, 2.5) * sign(), 30) for s in symbols}
        try:
            va, vb = complex(a.evalf(30, subs=subs)), complex(b.evalf(30, subs=subs))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if any(v != v or abs(v) == float("inf") or abs(v.imag) > 1e-12 * max(1, abs(v)) for v in (va, vb)):
            continue
        if abs(va - vb) > 1e-8 * max(1.0, abs(va), abs(vb)):
            return False
        checked += 1
        if checked >= 6:
            return True
    return True if checked else None
