"""Batch solutions and grading: nothing lost, resumable, byte-identical, per-problem limits, grades.

The findings of issue 16 have their own modules: ``test_batch_ids.py`` (ids, file names, bad rows, input
files), ``test_batch_grading.py`` (grading row by row, repeated submissions, CSV and Markdown safety, file
mode) and ``test_batch_limits.py`` (statuses, limits, retries, processes, the lock, Dask).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import sqlite3
import time
import uuid
from pathlib import Path

import psutil
import pytest

from symcalc.batch import grade, load_problems, run_batch
from symcalc.cli import main

EXAMPLES = Path(__file__).parents[1] / "examples"
MARK = "SYMCALC_BATCH_TEST_RUN"
os.environ.setdefault(MARK, uuid.uuid4().hex)


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    """Every process a test starts (pool workers, problem children, even orphans) has ended after it."""
    start = time.time() - 1
    yield
    ours = []
    for p in psutil.process_iter():
        try:
            if (
                p.pid != os.getpid()
                and p.create_time() >= start
                and p.environ().get(MARK) == os.environ[MARK]
                and "resource_tracker" not in " ".join(p.cmdline())
            ):
                ours.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    _gone, alive = psutil.wait_procs(ours, timeout=30)
    assert not alive, [p.cmdline() for p in alive]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    jobs = load_problems(EXAMPLES / "problems.jsonl")
    assert len(jobs) == 50
    return jobs


@pytest.mark.slow
def test_fifty_problems_with_a_broken_one_in_the_middle(problems, tmp_path) -> None:
    jobs = problems[:25] + [{"id": "broken", "task": "derivative", "expr": "sin(x"}] + problems[25:]
    report = run_batch(jobs, out=tmp_path, progress=False)
    assert report.done == 50 and report.failed == 1
    assert report.failures[0][0] == "broken" and "ParseError" in report.failures[0][1]
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index) == 51 and sum(1 for e in index if "file" in e) == 50
    assert "Product rule" in (tmp_path / "d01.md").read_text()


def test_rerun_resumes_and_output_is_byte_identical_on_another_executor(problems, tmp_path) -> None:
    jobs = problems[:12]
    first = run_batch(jobs, out=tmp_path / "a", progress=False, shard_size=4)
    again = run_batch(jobs, out=tmp_path / "a", progress=False, shard_size=4)
    assert again.computed_shards == 0 and again.skipped_shards == first.computed_shards
    with cf.ThreadPoolExecutor(2) as pool:  # a foreign Executor
        run_batch(jobs, out=tmp_path / "b", executor=pool, progress=False, shard_size=4)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    visible = {k: v for k, v in a.items() if not k.startswith(".shards")}
    assert visible == {k: v for k, v in b.items() if not k.startswith(".shards")}


def test_interrupted_run_loses_nothing(problems, tmp_path) -> None:
    jobs = problems[:8]
    run_batch(jobs, out=tmp_path, progress=False, shard_size=2)
    shards = sorted((tmp_path / ".shards").glob("*.jsonl"))
    shards[0].unlink()  # as if the run had been killed before this shard was written
    rerun = run_batch(jobs, out=tmp_path, progress=False, shard_size=2)
    assert rerun.computed_shards == 1 and rerun.done == 8


def test_a_hanging_problem_is_cut_at_its_limit(tmp_path) -> None:
    jobs = [
        {"id": "slow", "task": "critical", "expr": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"},
        {"id": "fast", "task": "derivative", "expr": "x^3"},
    ]
    report = run_batch(jobs, out=tmp_path, progress=False, time_limit=1.0)
    assert report.done == 1 and report.failures == [("slow", "time limit of 1 s reached")]


def test_grading_a_synthetic_class(tmp_path) -> None:
    key = [
        {"id": "q1", "task": "check", "expr": "sin(x^2)", "vars": ["x"]},
        {"id": "q2", "task": "check", "expr": "x^2*sin(x)", "vars": ["x"]},
    ]
    answers = {
        "q1": [("2*x*cos(x^2)", None), ("cos(x^2)", "chain.missing_inner")],
        "q2": [("2*x*sin(x) + x^2*cos(x)", None), ("2*x*cos(x)", "product.f_prime_g_prime")],
    }
    rng = random.Random(3)
    rows, expected_right, mistakes = [], {}, {"q1": 0, "q2": 0}
    for s in range(300):
        sid = f"s{s:03d}"
        expected_right[sid] = 0
        for pid in ("q1", "q2"):
            answer, mistake = rng.choice(answers[pid]) if rng.random() < 0.5 else answers[pid][0]
            rows.append({"student": sid, "problem": pid, "answer": answer})
            expected_right[sid] += mistake is None
            mistakes[pid] += mistake is not None
    summary = grade(rows, key, out=tmp_path, progress=False)
    assert {s: v["right"] for s, v in summary["students"].items()} == expected_right
    assert summary["problems"]["q1"]["common_mistakes"][0] == [
        "chain.missing_inner",
        mistakes["q1"],
    ] or summary["problems"]["q1"]["common_mistakes"][0] == ("chain.missing_inner", mistakes["q1"])
    con = sqlite3.connect(tmp_path / "grades.sqlite")
    assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 600
    assert (tmp_path / "grades.csv").exists() and (tmp_path / "summary.md").exists()


def test_cli_solve_and_grade(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    txt = tmp_path / "p.txt"
    txt.write_text("x^2 sin(x)\n# a comment\nx*y + y^2\n")
    assert main(["solve", str(txt), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert "2 solved, 0 failed" in capsys.readouterr().out
    assert (
        main(
            [
                "grade",
                str(EXAMPLES / "submissions.csv"),
                "--key",
                str(EXAMPLES / "key.jsonl"),
                "--out",
                str(tmp_path / "g"),
                "--quiet",
            ]
        )
        == 0
    )
    assert "graded 48 answers from 12 students" in capsys.readouterr().out


def _allocate(n: int) -> int:
    return len(bytearray(n))


def test_memory_limit_per_problem() -> None:
    from symcalc.bounded import run_bounded

    with pytest.raises(MemoryError):
        run_bounded(
            _allocate, (2 * 2**30,), 10.0, memory_limit=1 * 2**30
        )  # 2 GB under a 1 GB address-space cap
    assert run_bounded(_allocate, (10,), 10.0, memory_limit=2**31) == 10


def test_grading_five_thousand_answers_resumes_with_the_same_results(tmp_path) -> None:
    key = [
        {"id": "q1", "task": "check", "expr": "sin(x^2)", "vars": ["x"]},
        {"id": "q2", "task": "check", "expr": "x^2*y", "vars": ["x", "y"]},
    ]
    pool = {"q1": ["2*x*cos(x^2)", "cos(x^2)", "-2*x*cos(x^2)"], "q2": ["2*x*y;x^2", "2*x;x^2", "2*x*y;2*x"]}
    rng = random.Random(5)
    rows = [
        {"student": f"s{s:04d}", "problem": p, "answer": rng.choice(pool[p])}
        for s in range(2500)
        for p in pool
    ]
    first = grade(rows, key, out=tmp_path, progress=False)
    shards = sorted((tmp_path / ".shards").glob("*.jsonl"))
    for shard in shards[: len(shards) // 2]:
        shard.unlink()  # killed midway: half the shards never written
    before = {k: v for k, v in _tree(tmp_path).items() if not k.startswith(".shards")}
    again = grade(rows, key, out=tmp_path, progress=False)
    after = {k: v for k, v in _tree(tmp_path).items() if not k.startswith(".shards")}
    assert again == first and after == before  # grades.sqlite and grades.csv too, byte for byte
    assert set(before) == {".lock", "grades.csv", "grades.sqlite", "summary.json", "summary.md"}
    assert sum(p["answers"] for p in first["problems"].values()) == 5000
