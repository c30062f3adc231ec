r"""What runs on a worker: a shard of problems, in a child process, each problem under the run's limits.

A problem's **status** says exactly what happened to it:

==================  ====================================================================================
``ok``              solved (for a check: judged, right or wrong)
``error``           symcalc (or SymPy) refused it with an error: the message names it (``ParseError: ...``)
``time limit``      its own work used ``time_limit`` seconds of CPU time (``"time limit of 20 s reached"``)
``memory limit``    it needed more than ``memory_limit`` extra bytes (``"memory limit of 500 MB reached"``)
``crashed``         its process died without an answer: ``"crashed (signal SIGSEGV)"``
==================  ====================================================================================

The clock of the time limit starts when the problem's own work starts. The worker first warms up, once (it
solves one small problem of each kind its shards hold); the problems of a shard then run one after another in a
child forked from the warm worker (:class:`~symcalc.bounded.ChildRunner`), each timed on the CPU clock from its
own start: starting the worker, importing SymPy, warming up and waiting for a core on a busy machine do not
count. A problem that reaches a limit or crashes ends the child; the next problem gets a fresh one. A child
never finalizes its parent's objects, and symcalc's own deadlines start afresh in it (their watchdog thread is
the parent's), so what the warm-up left running cannot block a child.

Example:
    >>> limits = Limits(time_limit=20.0)
    >>> [rec["status"] for rec in run_shard([("k1", {"task": "derivative", "expr": "x^3"})], "text", limits)]
    ['ok']
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..bounded import ChildRunner, Outcome, die_with_parent
from .tasks import solve_job

__all__ = ["Limits", "run_shard", "worker_init"]

Solver = Callable[[dict[str, Any], str], dict[str, Any]]

#: The (task, format) pairs this process has warmed up for.
_WARM: set[tuple[str, str]] = set()

_WARM_UP_JOBS = (
    {"task": "derivative", "expr": "x^2 sin(x) + e^(3x)/(1 + x^2) + ln(x) + sqrt(x)", "vars": ["x"]},
    {"task": "gradient", "expr": "x^2*y + sigmoid(x*y)", "vars": ["x", "y"]},
    {"task": "hessian", "expr": "x^3*y", "vars": ["x", "y"]},
    {"task": "check", "expr": "sin(x^2)", "vars": ["x"], "claim": "cos(x^2)"},
    {"task": "check", "expr": "x^2*y", "vars": ["x", "y"], "claim": "2*x*y; x^2"},
)


@dataclass(frozen=True)
class Limits:
    """The limits of one run, recorded with every result they produced.

    Attributes:
        time_limit: CPU seconds a problem's own work may use.
        memory_limit: bytes a problem may allocate beyond its worker's own memory, or ``None``.
    """

    time_limit: float
    memory_limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time_limit, "memory": self.memory_limit}


def worker_init(parent: int) -> None:
    """Set up a process of the local pool: it dies with ``parent`` (even after ``kill -9``), and Ctrl-C is
    the parent's to handle (the parent then stops the pool)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def warm_up(tasks: frozenset[str], fmt: str) -> None:
    """Pay the first-call costs (parser tables, SymPy caches, the renderer) of the tasks a shard holds, once per
    worker process, before its first child is forked: the children start warm, and no problem's clock counts
    them."""
    for job in _WARM_UP_JOBS:
        if job["task"] in tasks and (job["task"], fmt) not in _WARM:
            try:
                solve_job(dict(job), fmt)
            except Exception:  # noqa: BLE001, S112 - warming up must never stop a worker
                continue
    _WARM.update((t, fmt) for t in tasks)


def describe(outcome: Outcome, limits: Limits) -> dict[str, Any]:
    """The record of one problem's outcome: its status, and the result or the error message."""
    if outcome.status == "ok":
        value = outcome.value
        if not isinstance(value, dict):
            return {"status": "error", "error": f"the solver returned a {type(value).__name__}, not a dict"}
        return {**value, "status": "ok"}
    if outcome.status == "time limit":
        return {"status": "time limit", "error": f"time limit of {limits.time_limit:g} s reached"}
    if outcome.status == "memory limit":
        if limits.memory_limit:
            return {
                "status": "memory limit",
                "error": f"memory limit of {limits.memory_limit / 2**20:g} MB reached",
            }
        return {"status": "error", "error": f"MemoryError: {outcome.error}"}
    if outcome.status == "crashed":
        return {"status": "crashed", "error": outcome.describe_crash()}
    err = outcome.error
    return {"status": "error", "error": f"{type(err).__name__}: {err}"}


def run_shard(
    jobs: list[tuple[str, dict[str, Any]]],
    fmt: str,
    limits: Limits,
    solver: Solver = solve_job,
) -> list[dict[str, Any]]:
    """Runs in a worker: each job (``(key, job)``) in its own child under ``limits``; one record per job.

    The child is forked from this (warmed-up) process and serves job after job, until a limit or a crash
    ends it (:class:`~symcalc.bounded.ChildRunner`)."""
    tasks = {job.get("task", "auto") for _key, job in jobs}
    if "auto" in tasks:
        tasks |= {"derivative", "gradient"}
    if solver is solve_job:
        warm_up(frozenset(tasks), fmt)
    records = []
    with ChildRunner() as runner:
        for key, job in jobs:
            outcome = runner.run(
                solver, (job, fmt), time_limit=limits.time_limit, memory_limit=limits.memory_limit
            )
            records.append(
                {
                    **describe(outcome, limits),
                    "key": key,
                    "limits": limits.to_dict(),
                    "cpu": round(outcome.cpu_seconds, 3),
                }
            )
    return records
