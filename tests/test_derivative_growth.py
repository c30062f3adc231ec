"""The work of a worked derivative, counted (issue 19): the tidy-up tries ``simplify`` and ``factor`` only where
they may help, and the work after the rule walk does not grow with the number of terms. Counts of calls, never
the clock (speed itself is measured in ``benchmarks/bench_derivative.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sympy
from sympy.core.cache import clear_cache

import symcalc as sc
from symcalc.derive import derivative as derivative_module
from symcalc.derive import tidy as tidy_module

x = sympy.Symbol("x", real=True)

#: What the tidy-up may call, by name, as ``sympy.<name>``.
REWRITES = ("factor_terms", "together", "cancel", "expand", "powsimp", "factor", "simplify")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often each rewrite and the check's ``compare`` are called in the test (SymPy's cache cleared first,
    so that no earlier tidy-up or check is reused)."""
    counts: Counter[str] = Counter()

    def counted(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return func(*args, **kwargs)

        wrapper.__name__ = func.__name__
        return wrapper

    for name in REWRITES:
        monkeypatch.setattr(sympy, name, counted(name, getattr(sympy, name)))
    monkeypatch.setattr(derivative_module, "compare", counted("compare", derivative_module.compare))
    clear_cache()
    yield counts
    clear_cache()


def _sines(n: int) -> sympy.Expr:
    return sympy.Add(*[sympy.sin(k * x) for k in range(1, n + 1)])


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("x^3 - 4x^2 + 7x - 9", 3 * x**2 - 8 * x + 7),
        ("x e^x", x * sympy.exp(x) + sympy.exp(x)),
        ("sin(3x)", 3 * sympy.cos(3 * x)),
        ("(x^2 + 1)/(x - 1)", (x**2 - 2 * x - 1) / (x - 1) ** 2),
    ],
)
def test_simplify_is_not_called_where_the_cheap_forms_are_the_textbook_one(
    calls: Counter[str], source: str, result: sympy.Expr
) -> None:
    assert sc.derivative(source, "x").result == result
    assert calls["simplify"] == 0


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("sin(x) cos(x)", sympy.cos(2 * x)),
        ("sin^2(x)", sympy.sin(2 * x)),
        ("sin(x)/(1 + cos(x))", 1 / (sympy.cos(x) + 1)),
    ],
)
def test_simplify_is_called_where_trig_identities_shorten_the_result(
    calls: Counter[str], source: str, result: sympy.Expr
) -> None:
    assert sc.derivative(source, "x").result == result
    assert calls["simplify"] == 1


def test_the_gate_of_simplify() -> None:
    sin, cos = sympy.sin(x), sympy.cos(x)
    may = tidy_module._simplify_may_help
    assert may(2 * sin * cos, 0) and may(cos**2 - sin**2, 0) and may(x / cos, 0)
    assert may(sympy.Piecewise((0, x < 0), (1, True)), 0) and may(sympy.sign(x) * x, 0)
    assert not may(sympy.Add(*[k * sympy.cos(k * x) for k in range(1, 30)]), 500)
    assert not may(3 * x**2 - 8 * x + 7, tidy_module.SIMPLIFY_ABOVE_SCORE)
    # large and without trig functions: simplify may help
    assert may(3 * x**2 - 8 * x + 7, tidy_module.SIMPLIFY_ABOVE_SCORE + 1)


@pytest.mark.parametrize("n", [10, 20, 40])
def test_a_sum_of_sines_is_tidied_and_checked_once_not_per_term(calls: Counter[str], n: int) -> None:
    d = sc.derivative(_sines(n), x)
    assert d.result == sympy.Add(*[k * sympy.cos(k * x) for k in range(1, n + 1)])
    assert d.notes == ()
    # one cheap rewrite each at most, neither simplify nor factor (n variables for factor: too many), whatever n
    assert calls["simplify"] == 0 and calls["factor"] == 0
    assert all(calls[name] <= 1 for name in ("factor_terms", "together", "cancel", "expand", "powsimp"))
    # one comparison with SymPy's derivative for the whole result
    assert calls["compare"] == 1
    # the trace itself grows linearly: the sum, then a chain rule (outer, inner, constant multiple) per term
    assert sum(1 for _ in d.walk()) <= 6 * n + 4


def test_the_work_counted_does_not_grow_with_the_number_of_terms(calls: Counter[str]) -> None:
    seen = []
    for n in (10, 20, 40, 80):
        calls.clear()
        clear_cache()
        sc.derivative(_sines(n), x)
        seen.append(sum(calls.values()))
    assert len(set(seen)) == 1, seen


def test_factor_is_not_tried_on_many_variables() -> None:
    assert len(tidy_module._generators(sympy.Add(*[k * sympy.cos(k * x) for k in range(1, 21)]))) == 20
    assert len(tidy_module._generators(x**2 * sympy.exp(x) + sympy.sqrt(x) * sympy.log(x))) == 4
    assert tidy_module.FACTOR_MAX_GENERATORS < 10


def test_the_tidy_up_is_kept_in_sympys_cache(calls: Counter[str]) -> None:
    first = sc.derivative("x^2 sin(x)", "x")
    done = sum(calls.values())
    assert done > 0
    again = sc.derivative("x^2 sin(x)", "x")
    assert sum(calls.values()) == done  # nothing recomputed: the tidy-up, forms and check come from the cache
    assert again.result == first.result and again.equivalent_forms == first.equivalent_forms
    clear_cache()
    sc.derivative("x^2 sin(x)", "x")
    assert sum(calls.values()) == 2 * done  # cleared with SymPy's cache
