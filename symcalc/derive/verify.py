"""Checking a trace: every node's claim against SymPy.

A ``"derivative"`` step claims ``result == diff(expr, var)``; a ``"rewrite"`` step claims ``result == expr``;
a ``"solve"`` step (the algebra of implicit differentiation) makes the claim of its rule, checked by
:func:`symcalc.derive.implicit.check_solve_step`.
Each claim is decided by :func:`compare`: the same tree, else numbers at points that cover every region where
the form changes (both signs, both sides of each kink and boundary, inside the domain), else a ``simplify``
bounded in time.

Two tools serve the whole package: :func:`compare` (with :func:`sample_points`), which the derivative's own
check and the checking of a learner's claims share, and :func:`within`, the deadline that the tidy-up and the
check run under.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
import sympy

from ..bounded import TimedOut, register_idle_thread_stopper
from ..functions import lower, relu
from .steps import Derivation, Step
from .tidy import EXPAND_MAX_TERMS, expansion_size

__all__ = [
    "Comparison",
    "check_step",
    "check_trace",
    "compare",
    "equal_at_random_points",
    "sample_points",
    "thread_clock",
    "within",
]

T = TypeVar("T")

#: Seconds ``check_step`` gives ``simplify`` before the numbers decide alone.
STEP_SIMPLIFY_SECONDS = 1.0


def equal_at_random_points(
    a: sympy.Expr, b: sympy.Expr, *, points: int = 4, seed: int = 1, rtol: float = 1e-9
) -> bool:
    """True when ``a`` and ``b`` agree at sample points covering every region where either changes form (see
    :func:`compare`), at ``points`` or more of them where both are real and finite (at least one)."""
    return compare(a, b, seed=seed, rtol=rtol, enough=points).equal is True


def _usable(v: complex) -> bool:
    return v == v and abs(v) != float("inf") and abs(v.imag) <= 1e-12 * max(1.0, abs(v))


def _same(a: sympy.Expr, b: sympy.Expr, context: Sequence[sympy.Expr] = ()) -> bool:
    """Equal as functions (where ``context`` is real): the same tree, else the numbers at points covering every
    region decide, else a ``simplify`` bounded by :data:`STEP_SIMPLIFY_SECONDS` (never a hang)."""
    a, b = lower(a), lower(b)
    if a == b:
        return True
    verdict = compare(a, b, context=context).equal
    if verdict is not None:
        return verdict
    try:
        zero = within(_simplifies_to_zero, (a - b,), STEP_SIMPLIFY_SECONDS)
    except TimedOut:
        return False
    return zero


def _simplifies_to_zero(e: sympy.Expr) -> bool:
    try:
        return bool(sympy.simplify(e) == 0 or (e.has(sympy.Sum) and sympy.simplify(e.expand()) == 0))
    except Exception:  # noqa: BLE001 - simplify can fail on odd forms: then it does not decide
        return False


def check_step(step: Step) -> bool:
    """Whether this one node's claim holds (not its sub-steps)."""
    if step.kind == "rewrite":
        return _same(step.result, step.expr, [step.expr])
    if step.kind == "derivative":
        return _same(step.result, sympy.diff(step.expr, step.var, step.order), [step.expr])
    if step.kind == "solve":
        from .implicit import check_solve_step  # the algebra of implicit differentiation, checked there

        return check_solve_step(step)
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


# -- a deadline for work in this thread -----------------------------------------------------------------
#
# A watchdog thread raises an exception inside the work once its deadline passes (CPython's
# PyThreadState_SetAsyncExc; it is checked between bytecodes, so SymPy's pure-Python loops stop there). Rules
# that keep this safe, each learned the hard way:
# - a raise is never withdrawn: withdrawing a pending one (SetAsyncExc with NULL) leaves CPython 3.11's eval
#   breaker set, which loops forever under a profiler or coverage's tracer; instead the exception raised is
#   always caught here, by running a few bytecodes for it if it has not arrived when the work ends;
# - it is raised again every quarter second until the work ends: one that lands in a generator being closed
#   is printed as "Exception ignored" and lost, and the work would go on for ever (seen in SymPy's assumptions);
# - the thread that may be interrupted touches only plain locks (``with lock:``), never an Event or a
#   Condition, whose Python code an exception could leave half done;
# - one watchdog for every deadline of the process, started when none is armed, ended when idle;
# - the clock is the CPU time of the thread doing the work (POSIX), so a busy machine, where the work waits for a
#   core, does not turn an answer that fits its budget into one that does not: the same input gets the same
#   treatment on a laptop and on a loaded CI runner. Where there is no such clock, the wall clock.


class _Interrupt(BaseException):
    """Raised inside work whose deadline has passed. A ``BaseException``, so that no ``except Exception`` in
    SymPy swallows it; :func:`within` turns it into :class:`~symcalc.bounded.TimedOut` for its caller."""


@dataclass(eq=False)
class _Alarm:
    thread_id: int
    token: type[_Interrupt]
    clock: Callable[[], float]
    deadline: float
    fired: bool = False
    #: the wall-clock time of the last raise
    last: float = 0.0


def thread_clock() -> Callable[[], float]:
    """A clock of this thread's CPU time that any thread can read (POSIX), else the wall clock.

    Example:
        >>> clock = thread_clock()
        >>> clock() <= clock()
        True
    """
    try:
        return partial(time.clock_gettime, time.pthread_getcpuclockid(threading.get_ident()))
    except (AttributeError, OSError):  # pragma: no cover - not POSIX
        return time.monotonic


_ALARMS: dict[int, _Alarm] = {}
_LOCK = threading.Lock()
_WATCHDOG: list[threading.Thread] = []
#: How often the watchdog looks at the deadlines, how long it waits idle before it ends, and after how long it
#: raises again in work that is still running (the raise was swallowed).
_TICK, _IDLE, _AGAIN = 0.01, 5.0, 0.25


def _after_fork_in_child() -> None:
    """A forked child (a batch worker) has no watchdog thread and none of its parent's deadlines, and the lock
    may have been held by the parent's watchdog at the fork: start from nothing."""
    global _LOCK
    _LOCK = threading.Lock()
    _ALARMS.clear()
    _WATCHDOG.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _set_async_exc(thread_id: int, exc: type[BaseException]) -> bool:
    """Ask CPython to raise ``exc`` in the thread at its next bytecode check."""
    try:
        import ctypes

        set_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):  # pragma: no cover - not CPython: deadlines are not enforced
        return False
    return bool(set_exc(ctypes.c_ulong(thread_id), ctypes.py_object(exc)))


def _watch() -> None:
    idle = 0.0
    while True:
        time.sleep(_TICK)
        with _LOCK:
            if not _ALARMS:
                if threading.current_thread() not in _WATCHDOG:  # ended by _end_if_idle
                    return
                idle += _TICK
                if idle >= _IDLE:
                    _WATCHDOG.clear()
                    return
                continue
            idle = 0.0
            for alarm in _ALARMS.values():
                try:
                    due = alarm.clock() >= alarm.deadline
                except OSError:  # pragma: no cover - the thread has gone
                    continue
                now = time.monotonic()
                if due and (not alarm.fired or now - alarm.last >= _AGAIN):
                    if _set_async_exc(alarm.thread_id, alarm.token):
                        alarm.fired, alarm.last = True, now


def _end_if_idle() -> None:
    """End the watchdog now if no deadline is armed (the next deadline starts another one). Bounded work calls
    this before it forks this process, so that an idle watchdog does not make the process multi-threaded."""
    with _LOCK:
        if _ALARMS or not _WATCHDOG:
            return
        watchdog = _WATCHDOG.pop()
    watchdog.join(1.0)


register_idle_thread_stopper(_end_if_idle)


def _arm(alarm: _Alarm) -> None:
    with _LOCK:
        if not _WATCHDOG:  # no deadline is armed anywhere, so nothing can interrupt the start
            watchdog = threading.Thread(target=_watch, name="symcalc-deadlines", daemon=True)
            watchdog.start()
            _WATCHDOG.append(watchdog)
        _ALARMS[id(alarm)] = alarm


def _disarm(alarm: _Alarm, delivered: bool) -> bool:
    """Take the alarm down; if it fired and its exception may not have arrived yet, run a few bytecodes for it
    here (a pending one comes at the first check; one that was swallowed never comes, and none is pending).
    Returns whether it fired; another deadline's interrupt meanwhile is raised after."""
    other: BaseException | None = None
    while True:
        try:
            with _LOCK:
                _ALARMS.pop(id(alarm), None)
            if alarm.fired and not delivered:
                for _ in range(10_000):  # each loop is a bytecode check
                    pass
            break
        except alarm.token:
            delivered = True
        except _Interrupt as err:
            other = other or err
    if other is not None:
        raise other
    return alarm.fired


def within(func: Callable[..., T], args: tuple[Any, ...], timeout: float | None) -> T:
    """``func(*args)`` in this thread, or :class:`~symcalc.bounded.TimedOut` once it has computed for
    ``timeout`` seconds (this thread's CPU time, see :func:`thread_clock`; waiting for a core does not count).

    No fork and no second process: a watchdog thread raises an exception inside the work at the deadline
    (CPython checks for it between bytecodes), so pure-Python work such as SymPy's ``simplify`` stops within
    about 10 ms of it; a single long call in C finishes first. ``timeout=None`` runs without a limit.
    Deadlines nest, and each thread has its own.

    Example:
        >>> within(sum, ([1, 2, 3],), 1.0)
        6
    """
    if timeout is None:
        return func(*args)
    if not timeout > 0:
        raise TimedOut
    token: type[_Interrupt] = type("_DeadlinePassed", (_Interrupt,), {})
    clock = thread_clock()
    alarm = _Alarm(threading.get_ident(), token, clock, clock() + timeout)
    saved = _sympy_switches()
    finished = delivered = False
    value: Any = None
    try:
        try:
            _arm(alarm)
            value = func(*args)
            finished = True
        except token:
            delivered = True
    finally:
        fired = _disarm(alarm, delivered)
    if fired:
        _restore_sympy_switches(saved)  # an interrupt inside a `with evaluate(False)` may skip its restore
    if not finished:
        raise TimedOut
    return value  # type: ignore[no-any-return]


def _sympy_switches() -> tuple[Any, ...]:
    from sympy.core.parameters import global_parameters as gp

    return gp.evaluate, gp.distribute, gp.exp_is_pow


def _restore_sympy_switches(saved: tuple[Any, ...]) -> None:
    from sympy.core.parameters import global_parameters as gp

    gp.evaluate, gp.distribute, gp.exp_is_pow = saved


# -- comparing two expressions as real functions --------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found.

    Attributes:
        equal: True (equal everywhere tried), False (they differ at ``point``), None (nothing decided: no
            point gave usable values).
        point: where they differ, by symbol.
        a_value, b_value: their values there (``b_value`` is None where ``b`` is not a real number although
            ``a`` is).
        points: how many points agreed.
    """

    equal: bool | None
    point: dict[sympy.Symbol, float] | None = None
    a_value: complex | None = None
    b_value: complex | None = None
    points: int = 0


#: Nodes whose argument's sign changes the form of the expression (kinks, jumps, pieces).
_KINK_TYPES = (sympy.Abs, sympy.sign, sympy.Heaviside, relu, sympy.floor, sympy.ceiling, sympy.DiracDelta)
_DOMAIN_EDGES: dict[type, tuple[int, ...]] = {
    sympy.asin: (1, -1),
    sympy.acos: (1, -1),
    sympy.atanh: (1, -1),
    sympy.acoth: (1, -1),
    sympy.asec: (1, -1),
    sympy.acsc: (1, -1),
    sympy.acosh: (1,),
}
#: The scan along one variable: both signs, small to large.
_GRID = np.array(
    sorted(
        {
            s * v
            for v in (0.05, 0.15, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 4.5, 7, 10, 15, 25, 50, 100)
            for s in (1, -1)
        }
    )
)
_MAX_BOUNDARIES = 16
#: At most this many sample points (a gradient of many variables with many kinks stops adding there).
_MAX_POINTS = 400
#: At most this many points are evaluated again with evalf where floating point gave no real value.
_MAX_RETRIES = 40
#: Expressions without numbers to try: sums over data, symbolic bounds, unevaluated calculus.
_NO_NUMBERS = (sympy.Indexed, sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative, sympy.Subs)


def _boundaries(exprs: Iterable[sympy.Expr], *, domain: bool) -> list[sympy.Expr]:
    """Expressions whose sign changes the form: kink, jump and piece arguments; with ``domain``, also the edges
    of where roots, logs and inverse functions are real."""
    out: list[sympy.Expr] = []
    for e in exprs:
        for node in sympy.preorder_traversal(e):
            found: list[sympy.Expr] = []
            if isinstance(node, _KINK_TYPES):
                found.append(node.args[0])
            elif isinstance(node, sympy.Max | sympy.Min):
                args = node.args[:4]
                found += [p - q for i, p in enumerate(args) for q in args[i + 1 :]]
            elif isinstance(node, sympy.Piecewise):
                for _, cond in node.args:
                    if isinstance(cond, sympy.Basic):
                        found += [r.lhs - r.rhs for r in cond.atoms(sympy.core.relational.Relational)]
            elif domain and isinstance(node, sympy.Pow) and not node.exp.is_integer:
                found.append(node.base)
            elif domain and isinstance(node, sympy.log):
                found.append(node.args[0])
            elif domain and type(node) in _DOMAIN_EDGES:
                found += [node.args[0] - c for c in _DOMAIN_EDGES[type(node)]]
            for g in found:
                g = _normal(g)
                if g.free_symbols and g not in out:
                    out.append(g)
                if len(out) >= _MAX_BOUNDARIES:
                    return out
    return out


def _normal(g: sympy.Expr) -> sympy.Expr:
    """g up to sign and a constant factor (``w x y - 1`` and ``2 - 2 w x y`` are one boundary)."""
    _, g = g.as_content_primitive()
    return -g if g.could_extract_minus_sign() else g


def _evaluator(g: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[..., Any] | None:
    """g as a vectorised NumPy function of ``symbols`` (generated from the SymPy tree, never from user text).

    lambdify keeps each generated source in ``linecache`` for tracebacks, forever; checks make many short-lived
    functions, so the entry is dropped at once (a long-running server would otherwise grow without end)."""
    try:
        fn = sympy.lambdify(symbols, g, modules="numpy")
    except Exception:  # noqa: BLE001 - a function NumPy lacks: the evalf scan is used instead
        return None
    linecache.cache.pop(fn.__code__.co_filename, None)
    return fn  # type: ignore[no-any-return]


def _codes(
    g: sympy.Expr,
    fn: Callable[..., Any] | None,
    symbols: Sequence[sympy.Symbol],
    i: int,
    ts: np.ndarray,
    base: Sequence[float],
) -> np.ndarray:
    """The sign of g along variable ``i`` at ``ts`` (the others at ``base``): -1, 0, 1, or 2 where not real."""
    vals: np.ndarray | None = None
    if fn is not None:
        args = [ts if k == i else np.full_like(ts, b) for k, b in enumerate(base)]
        try:
            with np.errstate(all="ignore"):
                vals = np.asarray(fn(*args), dtype=complex) * np.ones_like(ts)
        except Exception:  # noqa: BLE001 - fall back to evalf
            vals = None
    if vals is None:
        vals = np.array(
            [_complex_at(g, {s: (t if k == i else base[k]) for k, s in enumerate(symbols)}) for t in ts]
        )
    real = np.isfinite(vals) & (np.abs(vals.imag) <= 1e-9 * (1 + np.abs(vals.real)))
    return np.where(real, np.sign(vals.real), 2.0)


def _crossings(
    g: sympy.Expr,
    fn: Callable[..., Any] | None,
    symbols: Sequence[sympy.Symbol],
    i: int,
    base: Sequence[float],
) -> list[float]:
    """Values of variable ``i`` on both sides of each place where g changes sign or stops being real: the grid
    points around it and, after two rounds of 64-fold refinement, two points 1/4096 of the gap apart around it
    (or, where g is exactly 0 at a point, that point plus and minus a thousandth)."""
    codes = _codes(g, fn, symbols, i, _GRID, base)
    out: list[float] = []
    for j in np.nonzero(codes[1:] != codes[:-1])[0][:8]:
        lo, hi = float(_GRID[j]), float(_GRID[j + 1])
        out += [t for t, c in ((lo, codes[j]), (hi, codes[j + 1])) if c != 0]
        for _ in range(2):
            ts = np.linspace(lo, hi, 65)
            c = _codes(g, fn, symbols, i, ts, base)
            zeros = np.nonzero(c == 0)[0]
            if len(zeros):  # the boundary is exactly at a point of the scan
                t = float(ts[zeros[0]])
                out += [t - 1e-3 * max(1.0, abs(t)), t + 1e-3 * max(1.0, abs(t))]
                break
            change = np.nonzero(c[1:] != c[:-1])[0]
            if not len(change):
                break
            lo, hi = float(ts[change[0]]), float(ts[change[0] + 1])
        else:
            out += [lo, hi]
    return sorted(set(out))


def _complex_at(e: sympy.Expr, at: dict[sympy.Symbol, float]) -> complex:
    try:
        v = complex(e.evalf(20, subs={s: sympy.Float(x, 20) for s, x in at.items()}))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return complex("nan")
    return v


def sample_points(
    exprs: Iterable[sympy.Expr],
    symbols: Sequence[sympy.Symbol] | None = None,
    *,
    seed: int = 1,
    domain: bool = False,
) -> list[dict[sympy.Symbol, float]]:
    """Points covering every region where the form of ``exprs`` differs.

    Every combination of signs of the variables (up to 16), two magnitudes each; then, for each kink, jump or
    piecewise boundary (``|u|``, sign, step, relu, max/min ties, Piecewise conditions) and, with ``domain``,
    each edge of a root's or a log's domain: points just either side of it and a little further out, found by
    scanning each of its variables from -100 to 100 with the others held at a base point.

    Example:
        >>> x = sympy.Symbol("x", real=True)
        >>> xs = sorted(p[x] for p in sample_points([sympy.Heaviside(x - 5)], [x]))
        >>> any(4 < v < 5 for v in xs) and any(5 < v < 6 for v in xs)
        True
    """
    exprs = [lower(e) for e in exprs]
    if symbols is None:
        symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    symbols = [s for s in symbols if isinstance(s, sympy.Symbol)]
    rng = random.Random(seed)
    n = len(symbols)
    if n == 0:
        return [{}]
    signs = (
        [[(k >> j) & 1 for j in range(n)] for k in range(2**n)]
        if n <= 4
        else [[rng.randint(0, 1) for _ in range(n)] for _ in range(16)]
    )
    points = [
        {s: rng.uniform(0.3, 2.4) * (-1 if neg else 1) for s, neg in zip(symbols, combo, strict=True)}
        for _ in range(2 if n > 1 else 3)
        for combo in signs
    ]
    bases = [[abs(points[0][s]) for s in symbols], [points[-1][s] for s in symbols]]
    for g in _boundaries(exprs, domain=domain):
        fn = _evaluator(g, symbols)
        for i, s in enumerate(symbols):
            if s not in g.free_symbols:
                continue
            for base in bases[: 1 if len(g.free_symbols) == 1 else 2]:
                for t in _crossings(g, fn, symbols, i, base):
                    points.append({r: (t if k == i else base[k]) for k, r in enumerate(symbols)})
            if len(points) >= _MAX_POINTS:
                return points
    return points


def _real(v: complex) -> bool:
    return math.isfinite(v.real) and math.isfinite(v.imag) and abs(v.imag) <= 1e-12 * max(1.0, abs(v))


def _finite(v: complex) -> bool:
    return math.isfinite(v.real) and math.isfinite(v.imag)


def _close(a: complex, b: complex, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def _canonical(e: sympy.Expr) -> sympy.Expr:
    """``e`` with its bound variables (SymPy's Dummies) renamed in order, so equal trees compare equal."""
    dummies: list[sympy.Dummy] = []
    for node in sympy.preorder_traversal(e):
        if isinstance(node, sympy.Dummy) and node not in dummies:
            dummies.append(node)
    return e.xreplace({d: sympy.Symbol(f"_bound{i}", **d.assumptions0) for i, d in enumerate(dummies)})


def compare(
    a: sympy.Expr,
    b: sympy.Expr,
    *,
    context: Iterable[sympy.Expr] = (),
    points: Sequence[dict[sympy.Symbol, float]] | None = None,
    seed: int = 1,
    rtol: float = 1e-9,
    enough: int = 4,
    b_defined_where_a_is: bool = False,
) -> Comparison:
    """Whether ``a`` and ``b`` are equal as functions of their real variables.

    Symbolically first (the same tree up to bound variables, or ``expand(a - b) == 0``); then at the points of
    :func:`sample_points`, which cover every region where ``a``, ``b`` or ``context`` (the function they are
    derivatives of, say) changes form. Only points where every ``context`` expression is real count (inside the
    domain of the function: where ``acosh(x)`` is complex, two forms of its derivative may differ). A
    disagreement at a point where both are real decides False; with fewer than ``enough`` real points the edges
    of the domain are searched too; where no point gives real values (``exp(I x)``), complex values that agree
    decide True. Otherwise ``equal`` is None: not decided.

    The points are evaluated in floating point (NumPy, generated from the SymPy tree), and every disagreement is
    confirmed with 20-digit ``evalf`` before it decides; a function NumPy lacks is evaluated with ``evalf``.

    ``b_defined_where_a_is``: a point where ``a`` is real but ``b`` is not counts as a difference (a learner's
    claim must exist wherever the derivative does).

    Example:
        >>> x = sympy.Symbol("x", real=True)
        >>> compare(sympy.sign(x), sympy.S.One).equal  # equal for x > 0 only
        False
    """
    a, b = lower(a), lower(b)
    if a == b or _canonical(a) == _canonical(b):
        return Comparison(True)
    with contextlib.suppress(Exception):
        if expansion_size(a - b) <= EXPAND_MAX_TERMS and sympy.expand(a - b) == 0:
            return Comparison(True)
    if a.has(*_NO_NUMBERS) or b.has(*_NO_NUMBERS):
        return Comparison(None)
    context = [lower(c) for c in context]
    supplied = points is not None
    if points is None:
        points = sample_points([a, b, *context], seed=seed)
    agreed, unreal = 0, []
    for stage in (0, 1):
        symbols = sorted(set().union(*(p.keys() for p in points)), key=str) if points else []
        table = np.array([[p[s] for s in symbols] for p in points], dtype=float).reshape(
            len(points), len(symbols)
        )
        ok = np.ones(len(points), dtype=bool)
        for c in context:
            ok &= _real_mask(_evaluate(c, symbols, table, points))
        va, vb = _evaluate(a, symbols, table, points), _evaluate(b, symbols, table, points)
        # NaN in floating point may be a real value reached through complex numbers (sqrt(x - 1) sqrt(x + 1)
        # at x = -2): those points are evaluated again with evalf
        for i in map(int, np.nonzero(ok & ~(_real_mask(va) & _real_mask(vb)))[0][:_MAX_RETRIES]):
            va[i], vb[i] = _complex_at(a, points[i]), _complex_at(b, points[i])
        real_a, real_b = _real_mask(va), _real_mask(vb)
        for i in map(int, np.nonzero(ok & real_a & real_b)[0]):
            if _close(va[i], vb[i], max(rtol, 1e-8)):
                agreed += 1
                continue
            pa, pb = _complex_at(a, points[i]), _complex_at(b, points[i])
            if _real(pa) and _real(pb) and not _close(pa, pb, rtol):
                return Comparison(False, dict(points[i]), pa, pb, agreed)
            agreed += 1
        if b_defined_where_a_is:
            for i in map(int, np.nonzero(ok & real_a & ~real_b)[0]):
                pa, pb = _complex_at(a, points[i]), _complex_at(b, points[i])
                if _real(pa) and not _real(pb):
                    return Comparison(False, dict(points[i]), pa, None, agreed)
        unreal += [points[int(i)] for i in np.nonzero(~(ok & real_a & real_b))[0]]
        if agreed >= enough or stage == 1 or supplied:
            break
        more = sample_points([a, b, *context], symbols, seed=seed + 1, domain=True)
        points = [p for p in more if p not in points]
        if not points:
            break
    if agreed:
        return Comparison(True, points=agreed)
    # no real point: complex values decide where they agree (exp(I x)); branches may differ, so never False
    complex_agreed = 0
    for at in unreal[:24]:
        if not all(_finite(_complex_at(c, at)) for c in context):
            continue
        pa, pb = _complex_at(a, at), _complex_at(b, at)
        if _finite(pa) and _finite(pb):
            if not _close(pa, pb, rtol):
                return Comparison(None)
            complex_agreed += 1
    return Comparison(True, points=complex_agreed) if complex_agreed else Comparison(None)


def _evaluate(
    e: sympy.Expr,
    symbols: Sequence[sympy.Symbol],
    table: np.ndarray,
    points: Sequence[dict[sympy.Symbol, float]],
) -> np.ndarray:
    """``e`` at every row of ``table`` in floating point (NaN where it is not defined or not real in NumPy);
    with ``evalf`` point by point where NumPy cannot evaluate it."""
    fn = _evaluator(e, symbols)
    if fn is not None:
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(fn(*table.T), dtype=complex)
            return np.broadcast_to(out, (len(points),)).copy()
        except Exception:  # noqa: BLE001 - a function NumPy lacks: evalf below
            pass
    return np.array([_complex_at(e, p) for p in points], dtype=complex)


def _real_mask(v: np.ndarray) -> np.ndarray:
    mask: np.ndarray = np.isfinite(v) & (np.abs(v.imag) <= 1e-12 * np.maximum(1.0, np.abs(v)))
    return mask
