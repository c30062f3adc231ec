"""The work behind each API call: plain JSON-ready data in, plain JSON-ready data out.

Each job runs in a worker process of the tutor's pool, inside :func:`symcalc.bounded.run_bounded` (a forked
child killed at its deadline, with a cap on its memory), so a slow or hostile request costs only its own
time. A job reports a learner's mistake as data, ``{"status": "error", "error": ..., "position": ...}``, never
as a traceback; SymPy objects never leave the child.

Example:
    >>> run_job("parse", {"expr": "x^2 sin(x)"}, time_limit=10)["result"]["latex"]
    'x^{2} \\\\sin{\\\\left(x \\\\right)}'
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

from ..bounded import TimedOut, run_bounded
from ..errors import ParseError, SymcalcError

__all__ = ["JOBS", "METHODS", "run_job"]

#: The update rules the descent panel offers.
METHODS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "backtracking", "newton")
#: Iterations a descent run may take at most, and the points of its path sent back to the page.
MAX_ITER = 20_000
MAX_PATH_POINTS = 400
#: Seconds after which a job gives way (``nice``) to the quicker ones.
NICE_AFTER = 0.5
#: Address space a job may add to what its worker already holds.
MEMORY_BUDGET = 1536 * 2**20


class BadRequest(SymcalcError):
    """A request that is not what the API takes (a missing field, a wrong type)."""


def _text(payload: dict[str, Any], key: str, *, required: bool = True, default: str = "") -> str:
    value = payload.get(key, None)
    if value is None:
        if required:
            raise BadRequest(f"the request needs the field {key!r}")
        return default
    if not isinstance(value, str):
        raise BadRequest(f"the field {key!r} must be a string")
    return value


def _vars(payload: dict[str, Any], key: str = "vars") -> list[str] | None:
    value = payload.get(key)
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadRequest(f"the field {key!r} must be a list of names or a string like 'x, y'")


# -- the jobs -------------------------------------------------------------------------------------------


def parse_job(payload: dict[str, Any]) -> dict[str, Any]:
    """What symcalc read: LaTeX for the preview, the text form, the variables. ``components`` splits an answer
    with several parts (a gradient, a point) the way an exercise reads it."""
    import sympy

    from ..parse import parse
    from ..teach.exercise import split_answer

    src = _text(payload, "expr")
    if not src.strip():
        return {"latex": "", "text": "", "variables": []}
    parts = split_answer(src) if payload.get("components") else [src]
    exprs = []
    for part in parts:
        try:
            exprs.append(parse(part, _vars(payload)))
        except ParseError as err:
            if err.position is not None and len(parts) > 1:
                offset = src.find(part)
                raise ParseError(err.reason, src, err.position + max(offset, 0)) from None
            raise
    latex = ",\\ ".join(sympy.latex(e) for e in exprs)
    if len(exprs) > 1:
        latex = f"\\left({latex}\\right)"
    names = sorted({str(s) for e in exprs for s in e.free_symbols})
    return {"latex": latex, "text": ", ".join(sympy.sstr(e) for e in exprs), "variables": names}


def derivative_job(payload: dict[str, Any]) -> dict[str, Any]:
    """``Derivation.to_dict()``: exactly the worked-solution schema of ``docs/schema.md``."""
    from ..derive.derivative import TIMEOUT, derivative

    order = payload.get("order", 1)
    if not isinstance(order, int) or isinstance(order, bool):
        raise BadRequest("the field 'order' must be a whole number")
    var = _vars(payload, "var")
    # the tidy-up's own budget (CPU seconds, as derivative(timeout=) takes it); the request's time limit
    # still holds over everything
    budget = payload.get("timeout", TIMEOUT)
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 < budget <= 3600:
        raise BadRequest("the field 'timeout' must be a number of seconds above 0 and at most 3600")
    d = derivative(
        _text(payload, "expr"),
        var[0] if var else None,
        order=order,
        detail=_text(payload, "detail", required=False, default="standard"),
        timeout=float(budget),
    )
    return d.to_dict()


def _exercise(payload: dict[str, Any]) -> Any:
    from ..teach.exercise import Exercise, ExerciseSet

    if "set" in payload:
        exercises = ExerciseSet.builtin(_text(payload, "set"))
        try:
            return exercises[_text(payload, "id")]
        except KeyError:
            raise BadRequest(f"no exercise {payload.get('id')!r} in that set") from None
    spec = payload.get("exercise")
    if not isinstance(spec, dict):
        raise BadRequest("the request needs 'exercise' (a task like the JSONL lines) or 'set' and 'id'")
    return Exercise.from_dict(spec)


def check_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The verdict on a learner's answer: ok, the mistakes by id with their sentences, the hints."""
    answer = payload.get("answer")
    if not isinstance(answer, str):
        raise BadRequest("the field 'answer' must be a string")
    return _exercise(payload).check(answer).to_dict()  # type: ignore[no-any-return]


def hint_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The hint at ``level`` (0: the rule, 1: the bindings, 2: the first step)."""
    level = payload.get("level", 0)
    if not isinstance(level, int) or isinstance(level, bool):
        raise BadRequest("the field 'level' must be a whole number")
    ex = _exercise(payload)
    count = ex.hint_count
    return {"hint": ex.hint(level), "level": level, "count": count, "last": level >= count - 1}


def _grid(fn: Any, path: Any, margin: float = 0.5, size: int = 64) -> dict[str, Any]:
    """f on a grid around the path, and contour levels (quantiles of the values, as the plotting module picks)."""
    import numpy as np

    lo, hi = path.min(axis=0), path.max(axis=0)
    pad = margin + 0.1 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size))
    with np.errstate(all="ignore"):
        z = np.asarray(fn.f(np.stack([gx.ravel(), gy.ravel()], axis=1)), dtype=float).reshape(gx.shape)
    finite = z[np.isfinite(z)]
    levels = np.unique(np.quantile(finite, np.linspace(0.0, 0.95, 20))) if finite.size else np.array([])
    return {
        "x": gx[0].tolist(),
        "y": gy[:, 0].tolist(),
        "z": [[float(v) if np.isfinite(v) else None for v in row] for row in z],
        "levels": levels.tolist(),
    }


def _thin(values: Any, count: int = MAX_PATH_POINTS) -> Any:
    import numpy as np

    keep = np.unique(np.linspace(0, len(values) - 1, min(len(values), count)).astype(int))
    return values[keep]


def descent_job(payload: dict[str, Any]) -> dict[str, Any]:
    """A descent run: the path (thinned to at most 400 points), the loss per iteration, and f on a grid around
    the path with contour levels, for the page to draw."""
    import numpy as np

    from ..numeric.compile import compile as compile_
    from ..numeric.minimize import minimize

    expr = _text(payload, "expr")
    method = _text(payload, "method", required=False, default="gd")
    if method not in METHODS:
        raise BadRequest(f"method must be one of {', '.join(METHODS)}")
    x0 = payload.get("x0")
    if isinstance(x0, str):
        from ..teach.exercise import split_answer

        try:
            x0 = [float(v) for v in split_answer(x0)]
        except ValueError:
            raise BadRequest("the start x0 must be numbers, like -1.2, 1") from None
    if not isinstance(x0, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in x0
    ):
        raise BadRequest("the start x0 must be a list of numbers")
    lr = payload.get("lr")
    if lr is not None and (not isinstance(lr, int | float) or isinstance(lr, bool) or not 0 < lr < 1e3):
        raise BadRequest("the learning rate must be a positive number below 1000")
    max_iter = payload.get("max_iter", 2000)
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or not 1 <= max_iter <= MAX_ITER:
        raise BadRequest(f"max_iter must be a whole number from 1 to {MAX_ITER}")
    fn = compile_(expr, _vars(payload), on_domain_error="ignore")
    if fn.n != 2:
        raise BadRequest(f"the descent panel draws functions of two variables; this one has {fn.n}")
    if len(x0) != 2:
        raise BadRequest("the start x0 needs two numbers")
    res = minimize(fn, x0, method, lr=lr, max_iter=max_iter, gtol=1e-8)
    path = np.asarray(res.history["x"], dtype=float)
    fun = np.asarray(res.history["fun"], dtype=float)
    shown = path[np.all(np.isfinite(path), axis=1) & np.all(np.abs(path) < 1e6, axis=1)]
    return {
        "method": res.method,
        "lr": lr,
        "variables": [str(v) for v in fn.variables],
        "x": [float(v) if np.isfinite(v) else None for v in res.x],
        "fun": float(res.fun) if np.isfinite(res.fun) else None,
        "nit": int(res.nit),
        "success": bool(res.success),
        "message": res.message,
        "path": _thin(shown).tolist(),
        "loss": [float(v) for v in _thin(fun[np.isfinite(fun)])],
        "grid": _grid(fn, shown) if len(shown) else None,
    }


def sets_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The shipped exercise sets: each exercise's prompt, never its solution."""
    from ..teach.exercise import ExerciseSet

    sets = []
    for name in ExerciseSet.builtin_names():
        s = ExerciseSet.builtin(name)
        sets.append(
            {
                "name": name,
                "title": s.title,
                "exercises": [
                    {
                        "id": e.id,
                        "task": e.task,
                        "title": e.title,
                        "prompt": e.prompt,
                        "prompt_latex": e.prompt_latex,
                        "components": e.task != "derivative",
                    }
                    for e in s
                ],
            }
        )
    return {"sets": sets}


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "parse": parse_job,
    "derivative": derivative_job,
    "check": check_job,
    "hint": hint_job,
    "descent": descent_job,
    "sets": sets_job,
}


# -- running one job under the limits -------------------------------------------------------------------


def _yield_cpu(signum: int, frame: Any) -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def _guarded(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Runs in the bounded child: the job, with every error turned into data (SymPy never leaves).

    A job still running after :data:`NICE_AFTER` seconds lowers its own priority, so that on a busy machine the
    quick requests that arrive meanwhile are not slowed down by a slow one."""
    with contextlib.suppress(ValueError):  # not in the main thread (no fork here): no timer, no harm
        signal.signal(signal.SIGALRM, _yield_cpu)
        signal.setitimer(signal.ITIMER_REAL, NICE_AFTER)
    try:
        return {"status": "ok", "result": JOBS[name](payload)}
    except ParseError as err:
        return {
            "status": "error",
            "kind": "parse",
            "error": err.reason,
            "position": err.position,
            "source": err.source,
        }
    except BadRequest as err:
        return {"status": "error", "kind": "request", "error": str(err)}
    except SymcalcError as err:
        return {"status": "error", "kind": type(err).__name__, "error": str(err)}
    except RecursionError:
        return {"status": "error", "kind": "LimitError", "error": "the expression is too deeply nested"}
    except MemoryError:
        return {"status": "memory", "error": "the memory limit was reached"}
    except Exception as err:  # noqa: BLE001 - a learner gets a sentence, not a traceback
        return {
            "status": "error",
            "kind": "internal",
            "error": f"symcalc could not do this ({type(err).__name__})",
        }


def _memory_cap() -> int | None:
    """The worker's address space now plus :data:`MEMORY_BUDGET` (None where /proc is not there)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024 + MEMORY_BUDGET
    except OSError:
        return None
    return None


def run_job(name: str, payload: dict[str, Any], time_limit: float, memory: bool = True) -> dict[str, Any]:
    """Run one job in a child process killed after ``time_limit`` seconds, with a memory cap.

    Returns ``{"status": "ok", "result": ...}``, ``{"status": "error", ...}`` (the learner's input could not be
    used), ``{"status": "timeout"}`` or ``{"status": "memory"}``.
    """
    if name not in JOBS:
        raise KeyError(name)
    try:
        return run_bounded(_guarded, (name, payload), time_limit, _memory_cap() if memory else None)
    except TimedOut:
        return {"status": "timeout", "error": f"the time limit of {time_limit:g} s was reached"}
    except MemoryError:
        return {"status": "memory", "error": "the memory limit was reached"}
    except Exception as err:  # noqa: BLE001 - the child died (killed, out of memory while sending)
        return {"status": "error", "kind": "internal", "error": f"the work stopped ({type(err).__name__})"}


def warm_up() -> None:
    """Import what the jobs need once per worker, so the first request does not pay for it; Ctrl+C is the
    server's to handle (it stops the workers itself)."""
    import signal

    from ..derive.derivative import derivative

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    derivative("x^2 sin(x)")
