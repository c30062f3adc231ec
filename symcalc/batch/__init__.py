"""Many problems at once: worked solutions and grading over any ``concurrent.futures.Executor``.

See :mod:`symcalc.batch.engine` and ``docs/batch.md``.
"""

from .engine import (
    BatchReport,
    executor_for,
    grade,
    load_problems,
    load_submissions,
    run_batch,
    solve_job,
)

__all__ = [
    "BatchReport",
    "executor_for",
    "grade",
    "load_problems",
    "load_submissions",
    "run_batch",
    "solve_job",
]
