r"""Many problems at once: worked solutions for a problem set, and grading a class, on any executor.

One engine serves ``symcalc solve`` and ``symcalc grade``. Jobs are plain data (strings in, JSON out: SymPy
objects never cross a process boundary), grouped into shards whose id is a hash of their content. Each
shard's results are written atomically (temporary file, fsync, rename) to ``DIR/.shards/<id>.jsonl``, and each
problem's rendering to ``DIR/<problem id>.<ext>``; a rerun skips the shards already written, so a run killed
midway resumes and loses nothing. Identical jobs are computed once. Everything that reaches the output is
sorted, so the same input gives byte-identical output on any executor.

Limits come in layers: symcalc's own budgets (solve timeouts, iteration caps), then a hard deadline per
problem: each problem runs in a forked child process that is killed at ``time_limit`` (even a hang in C code
ends), wherever the shard runs. ``executor`` is any ``concurrent.futures.Executor``: ``None`` is a local
process pool sized to the cores; Dask's ``Client.get_executor()`` works unchanged (``--executor dask``).

Example:
    >>> import tempfile
    >>> jobs = [{"id": "p1", "task": "derivative", "expr": "x^2 sin(x)", "vars": ["x"]}]
    >>> report = run_batch(jobs, out=tempfile.mkdtemp(), progress=False)
    >>> report.done, report.failed
    (1, 0)
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import json
import multiprocessing
import os
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bounded import TimedOut, run_bounded
from ..errors import SymcalcError

__all__ = ["BatchReport", "grade", "load_problems", "load_submissions", "run_batch", "solve_job"]

TASKS = ("derivative", "gradient", "hessian", "critical", "lagrange", "check")
EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json", "text": "txt"}
DEFAULT_SHARD_SIZE = 50
DEFAULT_TIME_LIMIT = 20.0


# -- reading problems -----------------------------------------------------------------------------------


def load_problems(path: str | Path) -> list[dict[str, Any]]:
    """Problems from ``.jsonl`` (one object a line) or ``.txt`` (one expression a line; the task is
    ``derivative`` for one variable and ``gradient`` for several; the id is the line number)."""
    path = Path(path)
    jobs: list[dict[str, Any]] = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                job = json.loads(line)
            except json.JSONDecodeError as err:
                raise SymcalcError(f"{path}:{n}: not valid JSON ({err.msg})") from None
            job.setdefault("id", f"line{n}")
            jobs.append(job)
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                jobs.append({"id": f"{n:04d}", "task": "auto", "expr": line.strip()})
    ids = [j["id"] for j in jobs]
    if len(set(ids)) != len(ids):
        raise SymcalcError(f"{path}: problem ids must be unique")
    return jobs


def load_submissions(path: str | Path) -> list[dict[str, str]]:
    """A submissions CSV with columns ``student,problem,answer`` (components of an answer separated by ``;``)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for k, row in enumerate(rows, 2):
        if not {"student", "problem", "answer"} <= set(row):
            raise SymcalcError(f"{path}:{k}: the CSV needs the columns student, problem, answer")
    return rows


# -- one job --------------------------------------------------------------------------------------------


def _render(result: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, sort_keys=True)
    return {"markdown": result.to_markdown, "latex": result.to_latex, "text": result.to_text}[fmt]()


def solve_job(job: dict[str, Any], fmt: str = "markdown") -> dict[str, Any]:
    """Run one job in this process and return plain JSON-ready data (the rendering or the verdict)."""
    import symcalc as sc

    task = job.get("task", "auto")
    expr = job["expr"]
    variables = job.get("vars")
    if task == "auto":
        n = len(sc.parse(expr).free_symbols)
        task = "derivative" if n <= 1 else "gradient"
    if task not in TASKS:
        raise SymcalcError(f"unknown task {task!r}; one of {', '.join(TASKS)}")
    if task == "derivative":
        var = variables[0] if variables else None
        return {"task": task, "rendering": _render(sc.derivative(expr, var), fmt)}
    if task == "gradient":
        return {"task": task, "rendering": _render(sc.gradient(expr, variables), fmt)}
    if task == "hessian":
        return {"task": task, "rendering": _render(sc.hessian(expr, variables), fmt)}
    if task == "critical":
        return {"task": task, "rendering": _render(sc.critical_points(expr, variables, timeout=5.0), fmt)}
    if task == "lagrange":
        return {"task": task, "rendering": _render(sc.lagrange(expr, job["constraints"], variables), fmt)}
    claim = job.get("claim") or job.get("answer")
    if isinstance(claim, str):
        claim = [c.strip() for c in claim.split(";")]
    result = sc.check_gradient(expr, claim, variables)
    return {
        "task": "check",
        "ok": result.ok,
        "mistakes": list(result.mistakes),
        "hints": list(result.hints),
        "wrong": list(result.wrong),
        "rendering": _render(result, fmt),
    }


def _bounded_job(
    job: dict[str, Any], fmt: str, time_limit: float, memory_limit: int | None = None
) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        value = run_bounded(solve_job, (job, fmt), time_limit, memory_limit)
        out = {"status": "ok", **value}
    except TimedOut:
        out = {"status": "error", "error": f"time limit of {time_limit:g} s reached"}
    except SymcalcError as err:
        out = {"status": "error", "error": f"{type(err).__name__}: {err}"}
    except MemoryError:
        out = {"status": "error", "error": f"memory limit of {memory_limit} bytes reached"}
    except Exception as err:  # noqa: BLE001 - one bad problem never stops the others
        out = {"status": "error", "error": f"{type(err).__name__}: {err}"}
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def _run_shard(
    jobs: list[dict[str, Any]], fmt: str, time_limit: float, memory_limit: int | None = None
) -> list[dict[str, Any]]:
    """Runs in a worker: each job with its own hard deadline; returns one JSON-ready record per job."""
    return [{"key": _job_key(job, fmt), **_bounded_job(job, fmt, time_limit, memory_limit)} for job in jobs]


# -- the engine -----------------------------------------------------------------------------------------


def _job_key(job: dict[str, Any], fmt: str) -> str:
    content = {k: v for k, v in job.items() if k not in ("id", "student")}
    return hashlib.sha256(json.dumps([content, fmt], sort_keys=True).encode()).hexdigest()[:20]


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class BatchReport:
    """What a batch did: counts, the failures (id and error), and where the output is."""

    out: Path
    done: int = 0
    failed: int = 0
    skipped_shards: int = 0
    computed_shards: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> str:
        rate = (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.done} solved, {self.failed} failed, in {self.seconds:.1f} s ({rate:.1f} problems/s); "
            f"{self.computed_shards} shard(s) computed, {self.skipped_shards} reused from an earlier run; "
            f"output in {self.out}"
        ]
        lines += [f"  failed: {pid}: {err}" for pid, err in self.failures]
        return "\n".join(lines)


def _default_executor() -> cf.Executor:
    # spawn, not fork: forking a process that runs threads (the pool's own manager thread) can deadlock
    ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=ctx)


def run_batch(
    jobs: Sequence[dict[str, Any]],
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
) -> BatchReport:
    """Solve (or check) every job, on ``executor`` (default: a local process pool), resumably.

    Writes ``DIR/<id>.<ext>`` per problem (unless ``write_files=False``), ``DIR/index.json`` and
    ``DIR/index.md``, and the shard files that make a rerun resume.
    """
    if fmt not in EXTENSIONS:
        raise SymcalcError(f"format must be one of {', '.join(EXTENSIONS)}")
    out = Path(out)
    shard_dir = out / ".shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    unique: dict[str, dict[str, Any]] = {}
    for job in jobs:
        unique.setdefault(_job_key(job, fmt), job)
    keys = sorted(unique)
    # enough shards to keep every worker busy (the local core count stands in for a cluster's size)
    shard_size = max(1, min(shard_size, -(-len(keys) // (4 * (os.cpu_count() or 1)))))
    shards = [keys[i : i + shard_size] for i in range(0, len(keys), shard_size)]
    shard_ids = [hashlib.sha256("".join(s).encode()).hexdigest()[:16] for s in shards]
    report = BatchReport(out)
    start = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for sid, shard in zip(shard_ids, shards, strict=True):
        path = shard_dir / f"{sid}.jsonl"
        if resume and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                results[rec["key"]] = rec
            report.skipped_shards += 1
        else:
            todo.append((sid, shard))
    own = executor is None
    pool = _default_executor() if own else executor
    try:
        futures = {
            pool.submit(_run_shard, [unique[k] for k in shard], fmt, time_limit): sid for sid, shard in todo
        }
        with _Progress(len(todo) and sum(len(s) for _sid, s in todo), progress) as bar:
            for fut in cf.as_completed(futures):
                sid = futures[fut]
                records = fut.result()
                _atomic_write(
                    shard_dir / f"{sid}.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
                )
                for rec in records:
                    results[rec["key"]] = rec
                report.computed_shards += 1
                bar.advance(len(records))
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - start
    index = []
    for job in sorted(jobs, key=lambda j: str(j["id"])):
        rec = results[_job_key(job, fmt)]
        report.results[str(job["id"])] = rec
        entry = {
            "id": str(job["id"]),
            "task": job.get("task", "auto"),
            "expr": job["expr"],
            "status": rec["status"],
        }
        if rec["status"] == "ok":
            report.done += 1
            if write_files:
                name = f"{job['id']}.{EXTENSIONS[fmt]}"
                _atomic_write(
                    out / name,
                    rec["rendering"] if rec["rendering"].endswith("\n") else rec["rendering"] + "\n",
                )
                entry["file"] = name
        else:
            report.failed += 1
            report.failures.append((str(job["id"]), rec["error"]))
            entry["error"] = rec["error"]
        index.append(entry)
    _atomic_write(out / "index.json", json.dumps(index, indent=2, sort_keys=True) + "\n")
    _atomic_write(out / "index.md", _index_markdown(index))
    return report


def _index_markdown(index: list[dict[str, Any]]) -> str:
    lines = ["# Worked solutions", "", "| id | task | problem | solution |", "| --- | --- | --- | --- |"]
    for e in index:
        cell = f"[{e['file']}]({e['file']})" if "file" in e else f"failed: {e.get('error', '')}"
        lines.append(f"| {e['id']} | {e['task']} | `{e['expr']}` | {cell} |")
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


# -- grading --------------------------------------------------------------------------------------------


SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS answers (
    student TEXT NOT NULL,
    problem TEXT NOT NULL,
    answer TEXT NOT NULL,
    correct INTEGER NOT NULL,       -- 1 right, 0 wrong or not gradable
    mistakes TEXT NOT NULL,         -- JSON list of mistake ids ("chain.missing_inner", ...)
    error TEXT,                     -- why the answer could not be checked, if it could not
    PRIMARY KEY (student, problem)
);
"""


def grade(
    submissions: str | Path | Sequence[dict[str, str]],
    key: str | Path | Sequence[dict[str, Any]],
    *,
    out: str | Path,
    executor: cf.Executor | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    shard_size: int = 200,
    progress: bool = True,
) -> dict[str, Any]:
    """Grade every submitted answer against the key: right or wrong with the mistake named. Writes
    ``grades.sqlite`` (table ``answers``), ``grades.csv``, ``summary.json`` and ``summary.md``; returns the summary."""
    rows = load_submissions(submissions) if isinstance(submissions, str | Path) else list(submissions)
    problems = {str(p["id"]): p for p in (load_problems(key) if isinstance(key, str | Path) else key)}
    jobs = []
    for row in rows:
        problem = problems.get(str(row["problem"]))
        if problem is None:
            raise SymcalcError(f"submission for unknown problem {row['problem']!r}")
        jobs.append(
            {
                "id": f"{row['student']}/{row['problem']}",
                "student": row["student"],
                "task": "check",
                "expr": problem["expr"],
                "vars": problem.get("vars"),
                "answer": row["answer"],
            }
        )
    report = run_batch(
        jobs,
        out=Path(out),
        executor=executor,
        time_limit=time_limit,
        shard_size=shard_size,
        fmt="json",
        progress=progress,
        write_files=False,
    )
    out = Path(out)
    records = []
    for row, job in zip(rows, jobs, strict=True):
        rec = report.results[job["id"]]
        ok = rec.get("status") == "ok" and bool(rec.get("ok"))
        records.append(
            (
                str(row["student"]),
                str(row["problem"]),
                row["answer"],
                int(ok),
                json.dumps(rec.get("mistakes", [])),
                rec.get("error"),
            )
        )
    records.sort()
    db = out / "grades.sqlite"
    tmp_db = out / ".grades.sqlite.tmp"
    if tmp_db.exists():
        tmp_db.unlink()
    with sqlite3.connect(tmp_db) as con:
        con.executescript(SCHEMA_SQL)
        con.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)", records)
    os.replace(tmp_db, db)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "problem", "answer", "correct", "mistakes", "error"])
        w.writerows(records)
    summary = _summary(records)
    _atomic_write(out / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
    _atomic_write(out / "summary.md", _summary_markdown(summary))
    return summary


def _summary(records: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    per_problem: dict[str, dict[str, Any]] = {}
    per_student: dict[str, list[int]] = {}
    for student, problem, _answer, correct, mistakes, _error in records:
        p = per_problem.setdefault(problem, {"answers": 0, "right": 0, "mistakes": Counter()})
        p["answers"] += 1
        p["right"] += correct
        p["mistakes"].update(json.loads(mistakes))
        s = per_student.setdefault(student, [0, 0])
        s[0] += correct
        s[1] += 1
    return {
        "problems": {
            k: {
                "answers": v["answers"],
                "share_right": round(v["right"] / v["answers"], 4),
                "common_mistakes": sorted(v["mistakes"].items(), key=lambda kv: (-kv[1], kv[0]))[:5],
            }
            for k, v in sorted(per_problem.items())
        },
        "students": {
            k: {"right": v[0], "answered": v[1], "score": round(v[0] / v[1], 4)}
            for k, v in sorted(per_student.items())
        },
    }


def _summary_markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Grades",
        "",
        "## Per problem",
        "",
        "| problem | answers | share right | most common mistakes |",
        "| --- | --- | --- | --- |",
    ]
    for pid, p in summary["problems"].items():
        common = ", ".join(f"{m} ({n})" for m, n in p["common_mistakes"]) or "-"
        lines.append(f"| {pid} | {p['answers']} | {p['share_right']:.0%} | {common} |")
    lines += ["", "## Per student", "", "| student | right | answered | score |", "| --- | --- | --- | --- |"]
    for sid, s in summary["students"].items():
        lines.append(f"| {sid} | {s['right']} | {s['answered']} | {s['score']:.0%} |")
    return "\n".join(lines) + "\n"


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
    if scheduler:
        client = Client(scheduler)
        return client.get_executor(), client.close
    cluster = LocalCluster(
        n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client.get_executor(), close
