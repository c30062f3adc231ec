"""Grading a class as a course's grader would: every row judged on its own answer, repeated submissions kept,
bad rows reported with their line, spreadsheet-safe CSV, Markdown tables that hold, one file mode."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import stat
import time
import uuid
from pathlib import Path

import psutil
import pytest

from symcalc.batch import grade
from symcalc.batch.escape import csv_cell, md_cell, md_code
from symcalc.batch.store import file_mode
from symcalc.cli import main

MARK = "SYMCALC_BATCH_TEST_RUN"
os.environ.setdefault(MARK, uuid.uuid4().hex)

KEY = [
    {"id": "q1", "task": "check", "expr": "x^2", "vars": ["x"]},
    {"id": "q3", "task": "check", "expr": "x^2", "vars": ["x"]},
    {"id": "q2/q3", "task": "check", "expr": "x^3", "vars": ["x"]},
    {"id": "q4", "task": "check", "expr": "sin(x^2)", "vars": ["x"]},
]


@pytest.fixture(autouse=True)
def _no_process_left_behind():
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


def _answers(folder: Path) -> list[tuple]:
    con = sqlite3.connect(folder / "grades.sqlite")
    try:
        return con.execute(
            "SELECT student, problem, line, answer, correct, counts, status, error FROM answers"
        ).fetchall()
    finally:
        con.close()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- every row on its own answer ------------------------------------------------------------------------


def test_a_slash_in_a_student_or_problem_id_never_mixes_two_rows_up(tmp_path: Path) -> None:
    rows = [
        {"student": "a/q2", "problem": "q3", "answer": "2*x"},  # right: d/dx x^2
        {"student": "a", "problem": "q2/q3", "answer": "2*x"},  # wrong: d/dx x^3 = 3x^2
    ]
    summary = grade(rows, KEY, out=tmp_path, progress=False)
    assert summary["students"]["a/q2"]["right"] == 1 and summary["students"]["a"]["right"] == 0
    got = {(r[0], r[1]): r[4] for r in _answers(tmp_path)}
    assert got == {("a/q2", "q3"): 1, ("a", "q2/q3"): 0}


def test_repeated_submissions_are_all_kept_and_the_last_counts(tmp_path: Path) -> None:
    sub = _csv(
        tmp_path / "s.csv",
        "student,problem,answer\n"
        "s1,q1,2*x\n"  # line 2: right
        "s1,q1,x\n"  # line 3: wrong, the last: counts by default
        "s2,q1,x\n"  # line 4: wrong
        "s2,q1,2*x\n",  # line 5: right, the last
    )
    summary = grade(sub, KEY, out=tmp_path / "last", progress=False)
    rows = _answers(tmp_path / "last")
    assert [(r[0], r[2], r[4], r[5]) for r in rows] == [
        ("s1", 2, 1, 0),
        ("s1", 3, 0, 1),
        ("s2", 4, 0, 0),
        ("s2", 5, 1, 1),
    ]
    assert summary["keep"] == "last" and summary["graded"] == 4
    assert {s: v["right"] for s, v in summary["students"].items()} == {"s1": 0, "s2": 1}
    assert summary["students"]["s1"] == {"right": 0, "answered": 1, "submissions": 2, "score": 0.0}
    assert summary["problems"]["q1"]["answers"] == 2 and summary["problems"]["q1"]["submissions"] == 4
    first = grade(sub, KEY, out=tmp_path / "first", progress=False, keep="first")
    assert {s: v["right"] for s, v in first["students"].items()} == {"s1": 1, "s2": 0}
    best = grade(sub, KEY, out=tmp_path / "best", progress=False, keep="best")
    assert {s: v["right"] for s, v in best["students"].items()} == {"s1": 1, "s2": 1}
    assert [r[5] for r in _answers(tmp_path / "best")] == [1, 0, 0, 1]
    assert "the last submission counts" in (tmp_path / "last" / "summary.md").read_text()


def test_keep_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _csv(tmp_path / "s.csv", "student,problem,answer\ns1,q1,2*x\ns1,q1,x\n")
    key = tmp_path / "k.jsonl"
    key.write_text(json.dumps(KEY[0]) + "\n")
    assert (
        main(
            ["grade", str(sub), "--key", str(key), "--out", str(tmp_path / "o"), "--quiet", "--keep", "best"]
        )
        == 0
    )
    assert (
        "graded 1 answers from 1 students on 1 problems; 1 repeated submission(s) kept, the best counts"
        in (capsys.readouterr().out)
    )
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["students"]["s1"]["right"] == 1
    assert main(["grade", str(sub), "--key", str(key), "--out", str(tmp_path / "o"), "--keep", "most"]) == 2


def test_each_distinct_problem_answer_pair_is_judged_once(tmp_path: Path) -> None:
    rows = [
        {"student": f"s{i:03d}", "problem": p, "answer": a}
        for i in range(200)
        for p, a in (("q1", "2*x" if i % 3 else "x"), ("q4", "2*x*cos(x^2)" if i % 2 else "cos(x^2)"))
    ]
    summary = grade(rows, KEY, out=tmp_path, progress=False)
    records = [line for f in (tmp_path / ".shards").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert len(records) == 4  # 400 rows, 4 distinct (problem, answer) pairs
    assert summary["problems"]["q1"]["share_right"] == round(133 / 200, 4)
    assert summary["problems"]["q4"]["common_mistakes"] == [["chain.missing_inner", 100]] or summary[
        "problems"
    ]["q4"]["common_mistakes"] == [("chain.missing_inner", 100)]


# -- bad rows -------------------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_line_and_every_other_row_is_graded(tmp_path: Path) -> None:
    key = tmp_path / "k.jsonl"
    key.write_text(
        json.dumps(KEY[0]) + "\n" + '{"id": "q9", "task": "check"}\n' + '["not", "a", "problem"]\n',
        encoding="utf-8",
    )
    sub = _csv(
        tmp_path / "s.csv",
        "\ufeffstudent,problem,answer\n"
        "s1,q1,2*x\n"  # 2 good
        "s2,q1\n"  # 3 no answer
        "s3,q7,2*x\n"  # 4 unknown problem
        f"s4,q1,{'x+' * 70_000}x\n"  # 5 a field over 131,072 characters
        "s5\x00,q1,2*x\n"  # 6 NUL in the student id
        "s6,q1,max(x,y)\n"  # 7 an unquoted comma
        "s7,q9,2*x\n"  # 8 a problem whose key row is bad
        f"{'s' * 256},q1,2*x\n"  # 9 a student id over 255 bytes
        "s8,q1,x\n",  # 10 good
    )
    summary = grade(sub, key, out=tmp_path / "o", progress=False)
    assert summary["graded"] == 2 and summary["rows"] == 9
    assert {s: v["right"] for s, v in summary["students"].items()} == {"s1": 1, "s8": 0}
    bad = {(b["source"], b["line"]): b["reason"] for b in summary["bad_rows"]}
    assert bad == {
        ("key", 2): "no expr",
        ("key", 3): "a JSON array, not an object",
        ("submissions", 3): "no answer (the row ends before the answer column)",
        ("submissions", 4): "no problem 'q7' in the key",
        ("submissions", 5): "the answer has 140,001 characters; at most 131,072",
        ("submissions", 6): "the student contains the control character U+0000",
        (
            "submissions",
            7,
        ): "4 fields where the header has 3 (an answer that holds a comma must be in double quotes)",
        ("submissions", 8): "the key's row for problem 'q9' is bad (line 2)",
        ("submissions", 9): "the student is 256 bytes long; at most 255 bytes (UTF-8)",
    }
    md = (tmp_path / "o" / "summary.md").read_text()
    assert "| submissions | 4 | no problem 'q7' in the key |" in md
    con = sqlite3.connect(tmp_path / "o" / "grades.sqlite")
    assert con.execute("SELECT COUNT(*) FROM bad_rows").fetchone()[0] == 9
    con.close()


# -- what goes into files people open -------------------------------------------------------------------


def test_formulas_in_answers_and_ids_are_neutralised_in_the_csv_only(tmp_path: Path) -> None:
    evil = ['=HYPERLINK("http://evil","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2*x", "\t=1+1"]
    rows = [{"student": f"s{i}", "problem": "q1", "answer": a} for i, a in enumerate(evil)]
    rows.append({"student": "=1+1", "problem": "q1", "answer": "2*x"})
    summary = grade(rows, KEY, out=tmp_path, progress=False)
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    assert table[0] == [
        "student",
        "problem",
        "line",
        "answer",
        "correct",
        "counts",
        "status",
        "mistakes",
        "error",
    ]
    answers = {r[0]: r[3] for r in table[1:]}
    assert answers == {
        "'=1+1": "2*x",
        **{f"s{i}": "'" + a for i, a in enumerate(evil)},
    }
    for r in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in r)
    # the database and the JSON keep the exact text
    assert sorted(r[3] for r in _answers(tmp_path)) == sorted([*evil, "2*x"])
    assert "=1+1" in summary["students"]
    assert [r[4] for r in _answers(tmp_path) if r[0] == "s3"] == [0]  # "-2*x" is judged as written: wrong


def test_markdown_tables_hold_whatever_the_ids_contain(tmp_path: Path) -> None:
    rows = [
        {"student": "a|b", "problem": "q1", "answer": "2*x"},
        {"student": "*bold* <b>x</b> [l](http://e)", "problem": "q1", "answer": "x"},
    ]
    grade(rows, KEY, out=tmp_path, progress=False)
    table = [line for line in (tmp_path / "summary.md").read_text().splitlines() if line.startswith("| ")]
    for line in table:
        cells = [c for c in _split_unescaped(line)]
        assert len(cells) == len(_split_unescaped(table[0])) or len(cells) == 5, line
    assert "| a\\|b | 1 | 1 | 1 | 100% |" in table
    assert "| \\*bold\\* \\<b\\>x\\</b\\> \\[l\\](http://e) | 0 | 1 | 1 | 0% |" in table


def _split_unescaped(line: str) -> list[str]:
    cells, cur, i = [], "", 1
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cur += line[i : i + 2]
            i += 2
            continue
        if line[i] == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += line[i]
        i += 1
    return cells


def test_escaping_helpers() -> None:
    assert [csv_cell(v) for v in ("=a", "+a", "-a", "@a", "\ta", "\ra", "a=", 3, None)] == [
        "'=a",
        "'+a",
        "'-a",
        "'@a",
        "'\ta",
        "'\ra",
        "a=",
        3,
        None,
    ]
    assert md_cell("a|b\nc") == "a\\|b c" and md_cell("x_1 & $y$ ~z~") == "x\\_1 \\& \\$y\\$ \\~z\\~"
    assert md_code("a`b") == "``a`b``" and md_code("`") == "`` ` ``"


def test_every_output_file_has_one_mode(tmp_path: Path) -> None:
    grade([{"student": "s1", "problem": "q1", "answer": "2*x"}], KEY, out=tmp_path / "g", progress=False)
    from symcalc.batch import run_batch

    run_batch([{"id": "p", "expr": "x^2"}], out=tmp_path / "s", progress=False)
    modes = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    assert "g/grades.csv" in modes and "g/grades.sqlite" in modes and "s/p.md" in modes
    assert set(modes.values()) == {file_mode()}, modes
    old = os.umask(0o077)
    try:
        grade(
            [{"student": "s1", "problem": "q1", "answer": "2*x"}],
            KEY,
            out=tmp_path / "private",
            progress=False,
        )
    finally:
        os.umask(old)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "private").rglob("*") if p.is_file()} == {
        0o600
    }
