r"""Many problems at once: worked solutions for a problem set, on any executor, resumable, nothing lost.

One engine serves ``symcalc solve`` and ``symcalc grade``. Jobs are plain data (strings in, JSON out: SymPy
objects never cross a process boundary). Each distinct problem (its content: task, expression, variables,
claim, constraints, and the output format) is computed once, whatever its id or however many rows ask for
it. Problems are grouped into shards, the unit sent to a worker; each shard's records are written atomically to
``DIR/.shards/<shard id>.jsonl`` as it finishes, so a run killed at any moment (``kill -9`` included) loses only
the shards in flight, and a rerun computes only what is missing. Everything that reaches the output is in
input order or sorted, so the same input gives byte-identical output on any executor.

Per problem (see :mod:`symcalc.batch.worker`): a warmed-up child process of the worker runs it, under a time
limit on the CPU clock of its own work and an optional memory limit, and a status says exactly what happened. A rerun
reuses every record except the ones that failed for a limit (``time limit``, ``memory limit``, ``crashed``)
under other limits than this run's, and, with ``retry_failed``, every failed one.

The output folder is locked for the length of a run (:mod:`symcalc.batch.store`); file names come from ids
by a documented mapping (:mod:`symcalc.batch.ids`); bad rows are reported with their line
(:mod:`symcalc.batch.read`). ``executor`` is any ``concurrent.futures.Executor``: ``None`` is a local
process pool sized to the cores whose workers die with the run; Dask's ``Client.get_executor()`` works
unchanged (``--executor dask``).

Example:
    >>> import tempfile
    >>> jobs = [{"id": "p1", "task": "derivative", "expr": "x^2 sin(x)", "vars": ["x"]}]
    >>> report = run_batch(jobs, out=tempfile.mkdtemp(), progress=False)
    >>> report.done, report.failed
    (1, 0)
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SymcalcError
from .escape import md_cell, md_code
from .ids import file_names
from .read import TASKS, BadRow, BadRowError, check_problem, load_problems, load_submissions
from .store import OutputFolder, write_atomic
from .tasks import solve_job
from .worker import Limits, Solver, run_shard, worker_init

__all__ = [
    "EXTENSIONS",
    "TASKS",
    "BatchReport",
    "executor_for",
    "job_key",
    "load_problems",
    "load_submissions",
    "run_batch",
    "solve_job",
]

EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json", "text": "txt"}
DEFAULT_SHARD_SIZE = 50
DEFAULT_TIME_LIMIT = 20.0
#: Failures and bad rows listed on the terminal at most (the index has them all).
SHOWN_ON_TERMINAL = 20
#: With no executor given, at most this many problems to compute run from the calling process, without a pool.
INLINE_LIMIT = 4
#: Statuses that depend on the limits (and on the machine): retried when the limits change.
LIMIT_STATUSES = frozenset({"time limit", "memory limit", "crashed"})
_CONTENT = ("task", "expr", "vars", "claim", "constraints")


def job_key(job: dict[str, Any], fmt: str) -> str:
    """The key of a job's content (not its id, line or student): equal problems share one computation."""
    content = {k: job[k] for k in _CONTENT if job.get(k) is not None}
    return hashlib.sha256(json.dumps([content, fmt], sort_keys=True).encode()).hexdigest()[:20]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_limits(time_limit: float, memory_limit: int | None, shard_size: int) -> Limits:
    """The run's limits, or a :class:`SymcalcError` naming the bad one."""
    if (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not 0 < time_limit < math.inf
    ):
        raise SymcalcError(f"the time limit must be a positive number of seconds, not {time_limit!r}")
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit <= 0
    ):
        raise SymcalcError(f"the memory limit must be a positive number of bytes, not {memory_limit!r}")
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise SymcalcError(f"the shard size must be a positive whole number, not {shard_size!r}")
    return Limits(float(time_limit), memory_limit)


@dataclass
class BatchReport:
    """What a batch did: counts, the failures (id and error), the bad rows, and where the output is.

    Attributes:
        out: the output folder.
        done: problems solved. failed: problems that ran and failed (any status but ``ok``).
        bad: the rows that could not be used (:class:`~symcalc.batch.read.BadRow`, with their line).
        statuses: how many problems ended with each status.
        failures: ``(id, message)`` of each failed problem, in input order.
        results: each problem's record, by id.
        skipped_shards, computed_shards: shards reused from an earlier run, and computed now.
        seconds: wall-clock time of the run.
    """

    out: Path
    done: int = 0
    failed: int = 0
    skipped_shards: int = 0
    computed_shards: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad: list[BadRow] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """A few lines for the terminal."""
        rate = (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0
        head = f"{self.done} solved, {self.failed} failed"
        if self.bad:
            head += f", {len(self.bad)} bad row(s)"
        lines = [
            f"{head}, in {self.seconds:.1f} s ({rate:.1f} problems/s); "
            f"{self.computed_shards} shard(s) computed, {self.skipped_shards} reused from an earlier run; "
            f"output in {self.out}"
        ]
        shown = SHOWN_ON_TERMINAL
        lines += [
            f"  failed: {pid}: {err.splitlines()[0] if err else ''}" for pid, err in self.failures[:shown]
        ]
        if len(self.failures) > shown:
            lines.append(f"  ... and {len(self.failures) - shown} more failed (index.json lists them all)")
        lines += [f"  bad row: line {b.line}: {b.reason}" for b in self.bad[:shown]]
        if len(self.bad) > shown:
            lines.append(f"  ... and {len(self.bad) - shown} more bad rows (index.json lists them all)")
        return "\n".join(lines)


# -- executors ------------------------------------------------------------------------------------------


def _local_pool() -> cf.ProcessPoolExecutor:
    # spawn, not fork: forking a process that runs threads (the pool's own manager thread) can deadlock
    return cf.ProcessPoolExecutor(
        max_workers=_cores(),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )


def _stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """End the pool's workers now (after Ctrl-C or an error): nothing of the run may outlive it."""
    processes = list(getattr(pool, "_processes", {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def executor_for(name: str, scheduler: str | None = None) -> tuple[cf.Executor | None, Callable[[], None]]:
    """``local`` (None: the built-in pool) or ``dask`` (a LocalCluster, or the scheduler given)."""
    if name == "local":
        return None, lambda: None
    if name != "dask":
        raise SymcalcError(f"executor must be local or dask, not {name!r}")
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise SymcalcError("--executor dask needs the dask extra: pip install 'symcalc[dask]'") from err
    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    # distributed's API is untyped: mypy's strict mode is told so once here
    if scheduler:
        try:
            client = Client(scheduler)  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TypeError) as err:
            raise SymcalcError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        return client.get_executor(), client.close  # type: ignore[no-untyped-call]
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=_cores(), threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]

    def close() -> None:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()

    return client.get_executor(), close  # type: ignore[no-untyped-call]


# -- the shared core: compute what is missing -----------------------------------------------------------


def _reusable(records: list[dict[str, Any]], limits: Limits, retry_failed: bool) -> dict[str, Any] | None:
    """The earlier record to keep for a problem, or None to compute it (again)."""
    for rec in records:
        if rec.get("status") == "ok":
            return rec
    if retry_failed:
        return None
    for rec in records:
        status = rec.get("status")
        if status == "error":
            return rec
        if status in LIMIT_STATUSES and rec.get("limits") == limits.to_dict():
            return rec
    return None


def compute(
    folder: OutputFolder,
    unique: dict[str, dict[str, Any]],
    *,
    fmt: str,
    limits: Limits,
    report: BatchReport,
    executor: cf.Executor | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    resume: bool = True,
    retry_failed: bool = False,
    progress: bool = True,
    solver: Solver = solve_job,
) -> dict[str, dict[str, Any]]:
    """The record of every problem in ``unique`` (by key): reused from the shard files or computed now."""
    earlier = folder.load_records() if resume else {}
    results: dict[str, dict[str, Any]] = {}
    for key in unique:
        rec = _reusable(earlier.get(key, []), limits, retry_failed)
        if rec is not None:
            results[key] = rec
    # problems with the same function side by side: a worker's child then reuses what SymPy cached for the
    # function from one answer to the next
    keys = sorted(unique, key=lambda k: (json.dumps(unique[k], sort_keys=True), k))
    # enough shards to keep every worker busy (the local core count stands in for a cluster's size)
    size = max(1, min(shard_size, -(-len(keys) // (4 * _cores()))))
    todo: list[tuple[str, list[str]]] = []
    for i in range(0, len(keys), size):
        shard = keys[i : i + size]
        missing = [k for k in shard if k not in results]
        if missing:
            todo.append((hashlib.sha256("".join(shard).encode()).hexdigest()[:16], shard))
        else:
            report.skipped_shards += 1
    if not todo:
        return results
    count = sum(1 for _sid, shard in todo for k in shard if k not in results)
    if executor is None and count <= INLINE_LIMIT:
        # a pool costs seconds to start (each worker imports SymPy): a few problems run from this process,
        # each still in its own forked child under the limits
        for sid, shard in todo:
            for rec in run_shard([(k, unique[k]) for k in shard if k not in results], fmt, limits, solver):
                results[rec["key"]] = rec
            folder.write_records(sid, [results[k] for k in shard])
            report.computed_shards += 1
        return results
    own = executor is None
    pool: cf.Executor = _local_pool() if own else executor  # type: ignore[assignment]
    finished = False
    try:
        futures = {
            pool.submit(
                run_shard, [(k, unique[k]) for k in shard if k not in results], fmt, limits, solver
            ): (
                sid,
                shard,
            )
            for sid, shard in todo
        }
        with _Progress(sum(len(s) for _sid, s in todo), progress) as bar:
            for fut in cf.as_completed(futures):
                sid, shard = futures[fut]
                try:
                    records = fut.result()
                except Exception as err:  # noqa: BLE001 - a lost worker: these problems are reported, not saved
                    lost = f"crashed (the worker running it was lost: {type(err).__name__}: {err})"
                    for k in shard:
                        results.setdefault(k, {"key": k, "status": "crashed", "error": lost})
                    bar.advance(len(shard))
                    continue
                for rec in records:
                    results[rec["key"]] = rec
                folder.write_records(sid, [results[k] for k in shard])
                report.computed_shards += 1
                bar.advance(len(records))
        finished = True
    finally:
        if own:
            if finished:
                pool.shutdown(wait=True)
            else:
                _stop_pool(pool)  # type: ignore[arg-type]
    return results


# -- solutions ------------------------------------------------------------------------------------------


def run_batch(
    jobs: Sequence[Any],
    *,
    out: str | Path,
    executor: cf.Executor | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    shard_size: int = DEFAULT_SHARD_SIZE,
    resume: bool = True,
    fmt: str = "markdown",
    progress: bool = True,
    write_files: bool = True,
    memory_limit: int | None = None,
    retry_failed: bool = False,
    solver: Solver = solve_job,
) -> BatchReport:
    """Solve (or check) every job, on ``executor`` (default: a local process pool), resumably.

    Args:
        jobs: problem rows, as :func:`~symcalc.batch.read.load_problems` reads them (dicts with ``id``,
            ``task``, ``expr``, ``vars``, ...; a row's ``line`` says where it came from, else its position).
        out: the output folder; locked while the run lasts.
        executor: any ``concurrent.futures.Executor``; ``None`` for the local process pool.
        time_limit: CPU seconds of its own work each problem may use.
        shard_size: problems per shard at most (the unit sent to a worker).
        resume: reuse the records of earlier runs in ``out``.
        fmt: ``markdown``, ``latex``, ``json`` or ``text``.
        progress: show a progress bar.
        write_files: write one file per solved problem (else only the index).
        memory_limit: bytes each problem may allocate beyond its worker's own memory, or ``None``.
        retry_failed: compute again every problem an earlier run reported as failed.
        solver: the function that solves one job (``solve_job``); it must be importable by the workers.

    Writes ``DIR/<file>`` per solved problem (names from ids: :func:`~symcalc.batch.ids.file_names`),
    ``DIR/index.json`` (every row: line, id, status, file or error) and ``DIR/index.md``.
    """
    if fmt not in EXTENSIONS:
        raise SymcalcError(f"format must be one of {', '.join(EXTENSIONS)}")
    limits = check_limits(time_limit, memory_limit, shard_size)
    report = BatchReport(Path(out))
    entries: list[dict[str, Any]] = []  # input order: a checked problem, or a bad row
    first_line: dict[str, int] = {}
    for pos, row in enumerate(jobs, 1):
        try:
            job = check_problem(row, line=pos)
        except BadRowError as err:
            bad = BadRow(err.row.line, err.row.reason, "problems")
            report.bad.append(bad)
            entries.append({"line": bad.line, "status": "bad row", "error": bad.reason})
            continue
        if job["id"] in first_line:
            bad = BadRow(
                job["line"],
                f"the id {job['id']!r} is already used on line {first_line[job['id']]}",
                "problems",
            )
            report.bad.append(bad)
            entries.append({"line": bad.line, "id": job["id"], "status": "bad row", "error": bad.reason})
            continue
        first_line[job["id"]] = job["line"]
        job["key"] = job_key(job, fmt)
        entries.append(job)
    unique = {e["key"]: {k: e[k] for k in _CONTENT if k in e} for e in entries if "key" in e}
    names = file_names(first_line, EXTENSIONS[fmt])
    start = time.perf_counter()
    with OutputFolder(out) as folder:
        results = compute(
            folder,
            unique,
            fmt=fmt,
            limits=limits,
            report=report,
            executor=executor,
            shard_size=shard_size,
            resume=resume,
            retry_failed=retry_failed,
            progress=progress,
            solver=solver,
        )
        index = []
        for e in entries:
            if "key" not in e:
                index.append(e)
                continue
            rec = results[e["key"]]
            report.results[e["id"]] = rec
            report.statuses[rec["status"]] += 1
            entry = {
                "line": e["line"],
                "id": e["id"],
                "task": e["task"],
                "expr": e["expr"],
                "status": rec["status"],
            }
            if rec["status"] == "ok":
                report.done += 1
                if write_files:
                    text = rec.get("rendering") or ""
                    _write_if_changed(folder, names[e["id"]], text if text.endswith("\n") else text + "\n")
                    entry["file"] = names[e["id"]]
            else:
                report.failed += 1
                report.failures.append((e["id"], rec.get("error", "")))
                entry["error"] = rec.get("error", "")
            index.append(entry)
        folder.write_text(
            "index.json", json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
        folder.write_text("index.md", _index_markdown(index))
    report.seconds = time.perf_counter() - start
    return report


def _write_if_changed(folder: OutputFolder, name: str, text: str) -> None:
    path = folder.path / name
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(path, data, folder.mode, durable=False)


def _index_markdown(index: list[dict[str, Any]]) -> str:
    lines = [
        "# Worked solutions",
        "",
        "| line | id | task | problem | solution |",
        "| --- | --- | --- | --- | --- |",
    ]
    for e in index:
        if "file" in e:
            cell = f"[{md_cell(e['file'])}]({e['file']})"
        else:
            first = (e.get("error") or "").splitlines()[0] if e.get("error") else ""
            cell = md_cell(f"{e['status']}: {first}")
        expr = md_code(e["expr"]) if "expr" in e else ""
        lines.append(
            f"| {e['line']} | {md_cell(e.get('id', ''))} | {md_cell(e.get('task', ''))} | {expr} | {cell} |"
        )
    return "\n".join(lines) + "\n"


class _Progress:
    """A rich progress bar with problems per second and the time left (silent when not wanted)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled and total > 0
        self.bar: Any = None
        self.task: Any = None
        self.done, self.start = 0, time.perf_counter()

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("solving"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("solve", total=self.total, rate="")
        return self

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            rate = self.done / max(time.perf_counter() - self.start, 1e-9)
            self.bar.update(self.task, advance=n, rate=f"{rate:.1f} problems/s")

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def __getattr__(name: str) -> Any:
    """``symcalc.batch.engine.grade`` (and its schema) from before grading had a module of its own."""
    if name in ("grade", "SCHEMA_SQL"):
        from . import grading

        return getattr(grading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
