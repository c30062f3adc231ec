"""Many problems at once: worked solutions and grading over any ``concurrent.futures.Executor``.

- :mod:`~symcalc.batch.engine`: ``run_batch`` (solutions), the shared core, the executors;
- :mod:`~symcalc.batch.grading`: ``grade``;
- :mod:`~symcalc.batch.read`: reading problem sets and submissions, bad rows with their line;
- :mod:`~symcalc.batch.ids`: what an id may be, and the file name it gets;
- :mod:`~symcalc.batch.worker`: one shard on a worker, each problem under its limits, the statuses;
- :mod:`~symcalc.batch.store`: the output folder (lock, atomic files, file mode, shard records);
- :mod:`~symcalc.batch.escape`: CSV cells no spreadsheet runs, Markdown cells shown as written.

See ``docs/batch.md``.
"""

from .engine import BatchReport, executor_for, job_key, run_batch
from .grading import grade
from .ids import file_names
from .read import BadRow, load_problems, load_submissions
from .store import FolderInUse
from .tasks import solve_job

__all__ = [
    "BadRow",
    "BatchReport",
    "FolderInUse",
    "executor_for",
    "file_names",
    "grade",
    "job_key",
    "load_problems",
    "load_submissions",
    "run_batch",
    "solve_job",
]
