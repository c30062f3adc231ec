r"""Grading a class: every submitted row judged on its own answer, repeated submissions kept, bad rows reported.

Each row of the submissions (student, problem, answer) is judged against the key's problem: right or wrong,
with the mistake named. A distinct (problem, answer) pair is judged once and its verdict shared by every row
that gave exactly that answer, so the cost grows with the distinct answers, not the rows.

**Repeated submissions.** When a student submits a problem more than once, every submission is kept, with its
line, in ``grades.sqlite`` and ``grades.csv``; one of them *counts* (column ``counts``) for the scores of
``summary.json`` and ``summary.md``: ``keep="last"`` (the default: the latest, the one furthest down the
file), ``"first"``, or ``"best"`` (the last right one if any is right, else the last).

**Bad rows** (see :mod:`symcalc.batch.read`) are listed with their line in ``summary.json``, ``summary.md``
and the ``bad_rows`` table; every other row is graded.

Example:
    >>> import tempfile
    >>> key = [{"id": "q1", "task": "check", "expr": "x^2", "vars": ["x"]}]
    >>> rows = [{"student": "s1", "problem": "q1", "answer": "2*x"}, {"student": "s2", "problem": "q1", "answer": "x"}]
    >>> summary = grade(rows, key, out=tempfile.mkdtemp(), progress=False)
    >>> summary["students"]["s1"]["right"], summary["students"]["s2"]["right"]
    (1, 0)
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import SymcalcError
from .engine import DEFAULT_TIME_LIMIT, BatchReport, check_limits, compute, job_key
from .escape import csv_cell, md_cell
from .ids import InvalidId, check_id
from .read import BadRow, BadRowError, check_problem, check_submission, load_problems, load_submissions
from .store import OutputFolder
from .tasks import solve_job
from .worker import Solver

__all__ = ["KEEP", "SCHEMA_SQL", "grade"]

KEEP = ("first", "last", "best")

SCHEMA_SQL = """
CREATE TABLE answers (
    student TEXT NOT NULL,
    problem TEXT NOT NULL,
    line INTEGER NOT NULL,          -- the row's line in the submissions file (the header is line 1)
    answer TEXT NOT NULL,           -- exactly as submitted
    correct INTEGER NOT NULL,       -- 1 right, 0 wrong or not gradable
    counts INTEGER NOT NULL,        -- 1 for the submission that counts (keep: first, last or best), else 0
    status TEXT NOT NULL,           -- ok, error, time limit, memory limit, crashed
    mistakes TEXT NOT NULL,         -- JSON list of mistake ids ("chain.missing_inner", ...)
    error TEXT                      -- why the answer could not be checked, if it could not
);
CREATE INDEX answers_by_student ON answers (student, problem, line);
CREATE TABLE bad_rows (
    source TEXT NOT NULL,           -- submissions or key
    line INTEGER NOT NULL,
    reason TEXT NOT NULL
);
"""
COLUMNS = ("student", "problem", "line", "answer", "correct", "counts", "status", "mistakes", "error")


def grade(
    submissions: str | Path | Sequence[Any],
    key: str | Path | Sequence[Any],
    *,
    out: str | Path,
    executor: cf.Executor | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = None,
    shard_size: int = 200,
    progress: bool = True,
    keep: str = "last",
    resume: bool = True,
    retry_failed: bool = False,
    solver: Solver = solve_job,
) -> dict[str, Any]:
    """Grade every submitted answer against the key: right or wrong, with the mistake named.

    Args:
        submissions: a CSV file (``student,problem,answer``) or its rows as dicts.
        key: the problems (``.jsonl``) or their rows; each needs ``id``, ``expr`` and usually ``vars``.
        out: the output folder (locked while the run lasts; a rerun resumes there).
        executor, time_limit, memory_limit, shard_size, progress, resume, retry_failed, solver: as for
            :func:`~symcalc.batch.engine.run_batch`.
        keep: which of a student's repeated submissions of a problem counts: ``"last"``, ``"first"`` or
            ``"best"``.

    Writes ``grades.sqlite`` (tables ``answers`` and ``bad_rows``), ``grades.csv``, ``summary.json`` and
    ``summary.md``; returns the summary.
    """
    if keep not in KEEP:
        raise SymcalcError(f"keep must be one of {', '.join(KEEP)}, not {keep!r}")
    limits = check_limits(time_limit, memory_limit, shard_size)
    bad: list[BadRow] = []
    problems, broken = _read_key(key, bad)
    rows = load_submissions(submissions) if isinstance(submissions, str | Path) else list(submissions)
    graded: list[dict[str, Any]] = []
    keys: dict[tuple[str, str], str] = {}
    unique: dict[str, dict[str, Any]] = {}
    for pos, raw in enumerate(rows, 1):
        try:
            row = check_submission(raw, line=pos)
        except BadRowError as err:
            bad.append(BadRow(err.row.line, err.row.reason, "submissions"))
            continue
        pid = row["problem"]
        if pid not in problems:
            why = f"the key's row for problem {pid!r} is bad (line {broken[pid]})" if pid in broken else None
            bad.append(BadRow(row["line"], why or f"no problem {pid!r} in the key", "submissions"))
            continue
        k = keys.get((pid, row["answer"]))
        if k is None:
            p = problems[pid]
            job = {"task": "check", "expr": p["expr"], "vars": p.get("vars"), "claim": row["answer"]}
            job = {name: value for name, value in job.items() if value is not None}
            k = keys[(pid, row["answer"])] = job_key(job, "none")
            unique[k] = job
        row["key"] = k
        graded.append(row)
    report = BatchReport(Path(out))
    with OutputFolder(out) as folder:
        results = compute(
            folder,
            unique,
            fmt="none",
            limits=limits,
            report=report,
            executor=executor,
            shard_size=shard_size,
            resume=resume,
            retry_failed=retry_failed,
            progress=progress,
            solver=solver,
        )
        records = _records(graded, results, keep)
        bad.sort(key=lambda b: (b.source, b.line))
        _write_sqlite(folder, records, bad)
        _write_csv(folder, records)
        summary = _summary(records, bad, keep, total=len(rows))
        folder.write_text(
            "summary.json", json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
        folder.write_text("summary.md", _summary_markdown(summary))
    return summary


def _read_key(
    key: str | Path | Sequence[Any], bad: list[BadRow]
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The usable problems by id, and the ids whose row was bad (with its line)."""
    rows = load_problems(key) if isinstance(key, str | Path) else list(key)
    problems: dict[str, dict[str, Any]] = {}
    broken: dict[str, int] = {}
    for pos, raw in enumerate(rows, 1):
        try:
            p = check_problem(raw, line=pos, need_claim=False)
        except BadRowError as err:
            bad.append(BadRow(err.row.line, err.row.reason, "key"))
            if isinstance(raw, dict):
                try:
                    broken.setdefault(check_id(raw.get("id")), err.row.line)
                except InvalidId:
                    pass
            continue
        if p["id"] in problems or p["id"] in broken:
            bad.append(BadRow(p["line"], f"the id {p['id']!r} is already used earlier in the key", "key"))
            continue
        problems[p["id"]] = p
    return problems, broken


def _records(
    graded: list[dict[str, Any]], results: dict[str, dict[str, Any]], keep: str
) -> list[tuple[Any, ...]]:
    """One tuple per graded row (``COLUMNS``), sorted by student, problem and line, with ``counts`` set."""
    verdicts: dict[str, tuple[int, str, str, str | None]] = {}  # once per distinct (problem, answer)
    for k, rec in results.items():
        ok = rec.get("status") == "ok" and bool(rec.get("ok"))
        verdicts[k] = (
            int(ok),
            rec.get("status", "error"),
            json.dumps(rec.get("mistakes", [])),
            rec.get("error"),
        )
    rows = []
    for row in graded:
        correct, status, mistakes, error = verdicts[row["key"]]
        rows.append(
            [row["student"], row["problem"], row["line"], row["answer"], correct, 0, status, mistakes, error]
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j][:2] == rows[i][:2]:
            j += 1
        group = rows[i:j]  # one student's submissions of one problem, by line
        if keep == "first":
            chosen = group[0]
        elif keep == "best":
            chosen = next((r for r in reversed(group) if r[4]), group[-1])
        else:
            chosen = group[-1]
        chosen[5] = 1
        i = j
    return [tuple(r) for r in rows]


def _write_sqlite(folder: OutputFolder, records: list[tuple[Any, ...]], bad: list[BadRow]) -> None:
    tmp = folder.temporary(".sqlite")
    con = sqlite3.connect(tmp)
    try:
        con.executescript(SCHEMA_SQL)
        con.executemany(f"INSERT INTO answers VALUES ({', '.join('?' * len(COLUMNS))})", records)
        con.executemany("INSERT INTO bad_rows VALUES (?, ?, ?)", [(b.source, b.line, b.reason) for b in bad])
        con.commit()
    finally:
        con.close()
    folder.replace(tmp, "grades.sqlite")


def _write_csv(folder: OutputFolder, records: list[tuple[Any, ...]]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    # the text a person typed (ids, answers) and the error messages are neutralised; the other cells are
    # numbers, a status word or a JSON list
    w.writerows(
        (csv_cell(st), csv_cell(pr), line, csv_cell(ans), c, n, status, m, csv_cell(err))
        for st, pr, line, ans, c, n, status, m, err in records
    )
    folder.write_text("grades.csv", buf.getvalue())


def _summary(records: list[tuple[Any, ...]], bad: list[BadRow], keep: str, total: int) -> dict[str, Any]:
    per_problem: dict[str, dict[str, Any]] = {}
    per_student: dict[str, dict[str, int]] = {}
    statuses: Counter[str] = Counter()
    lists: dict[str, list[str]] = {}
    for student, problem, _line, _answer, correct, counts, status, mistakes, _error in records:
        statuses[status] += 1
        p = per_problem.setdefault(
            problem, {"answers": 0, "submissions": 0, "right": 0, "mistakes": Counter()}
        )
        s = per_student.setdefault(student, {"right": 0, "answered": 0, "submissions": 0})
        p["submissions"] += 1
        s["submissions"] += 1
        if counts:
            p["answers"] += 1
            p["right"] += correct
            if mistakes not in lists:
                lists[mistakes] = json.loads(mistakes)
            p["mistakes"].update(lists[mistakes])
            s["right"] += correct
            s["answered"] += 1
    return {
        "keep": keep,
        "rows": total,
        "graded": len(records),
        "statuses": dict(sorted(statuses.items())),
        "bad_rows": [b.to_dict() for b in bad],
        "problems": {
            k: {
                "answers": v["answers"],
                "submissions": v["submissions"],
                "share_right": round(v["right"] / v["answers"], 4),
                "common_mistakes": sorted(v["mistakes"].items(), key=lambda kv: (-kv[1], kv[0]))[:5],
            }
            for k, v in sorted(per_problem.items())
        },
        "students": {
            k: {
                "right": v["right"],
                "answered": v["answered"],
                "submissions": v["submissions"],
                "score": round(v["right"] / v["answered"], 4),
            }
            for k, v in sorted(per_student.items())
        },
    }


def _summary_markdown(summary: dict[str, Any]) -> str:
    repeated = summary["graded"] - sum(p["answers"] for p in summary["problems"].values())
    lines = [
        "# Grades",
        "",
        f"{summary['graded']} of {summary['rows']} rows graded; {len(summary['bad_rows'])} bad row(s). "
        f"Where a student submitted a problem more than once ({repeated} extra submission(s)), "
        f"the {summary['keep']} submission counts.",
        "",
        "## Per problem",
        "",
        "| problem | answers | submissions | share right | most common mistakes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for pid, p in summary["problems"].items():
        common = ", ".join(f"{m} ({n})" for m, n in p["common_mistakes"]) or "-"
        lines.append(
            f"| {md_cell(pid)} | {p['answers']} | {p['submissions']} | {p['share_right']:.0%} | {md_cell(common)} |"
        )
    lines += [
        "",
        "## Per student",
        "",
        "| student | right | answered | submissions | score |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sid, s in summary["students"].items():
        lines.append(
            f"| {md_cell(sid)} | {s['right']} | {s['answered']} | {s['submissions']} | {s['score']:.0%} |"
        )
    if summary["bad_rows"]:
        lines += ["", "## Bad rows (not graded)", "", "| file | line | reason |", "| --- | --- | --- |"]
        for b in summary["bad_rows"]:
            lines.append(f"| {b['source']} | {b['line']} | {md_cell(b['reason'])} |")
    return "\n".join(lines) + "\n"
