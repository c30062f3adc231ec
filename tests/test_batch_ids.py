"""Batch input and output names: an id is data, never a path; bad rows are reported with their line.

Each test is a reproducer from issue 16 (or a neighbour of one): ids that would write outside ``--out``, ids
that would overwrite each other's files, rows that used to abort the whole run after all the computing.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symcalc.batch import BadRow, file_names, load_problems, load_submissions, run_batch
from symcalc.batch.ids import MAX_ID_BYTES, InvalidId, check_id, slug
from symcalc.cli import main

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


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


# -- ids never become paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pid", ["../../evil", "/srv/x", "a/b/c", ".shards/zzz", "..", ".", "C:\\x", "a\\..\\b"]
)
def test_an_id_that_looks_like_a_path_writes_inside_out(tmp_path: Path, pid: str) -> None:
    out = tmp_path / "deep" / "out"
    report = run_batch([{"id": pid, "task": "derivative", "expr": "x^2"}], out=out, progress=False)
    assert report.done == 1
    index = json.loads((out / "index.json").read_text())
    name = index[0]["file"]
    assert index[0]["id"] == pid and "/" not in name and "\\" not in name and not name.startswith(".")
    assert "2 x" in (out / name).read_text()
    # nothing was written anywhere but the output folder, and nothing into its shard store but records
    assert {p.name for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents} == set()
    assert all(f.endswith(".jsonl") for f in os.listdir(out / ".shards"))
    assert not Path("/srv/x.md").exists()


def test_an_id_named_index_keeps_its_own_file(tmp_path: Path) -> None:
    jobs = [{"id": "index", "task": "derivative", "expr": "x^2"}, {"id": "INDEX", "expr": "x^3"}]
    run_batch(jobs, out=tmp_path, progress=False)
    index = json.loads((tmp_path / "index.json").read_text())
    files = {e["id"]: e["file"] for e in index}
    assert files["index"] != "index.md" and files["INDEX"] != "INDEX.md"
    assert (
        "2 x" in (tmp_path / files["index"]).read_text()
        and "3 x^{2}" in (tmp_path / files["INDEX"]).read_text()
    )
    assert (tmp_path / "index.md").read_text().startswith("# Worked solutions")


def test_number_one_and_string_one_are_one_id_and_the_second_is_reported(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "p.jsonl",
        [{"id": 1, "task": "derivative", "expr": "x^2"}, {"id": "1", "task": "derivative", "expr": "x^3"}],
    )
    report = run_batch(load_problems(path), out=tmp_path / "o", progress=False)
    assert report.done == 1 and [(b.line, b.reason) for b in report.bad] == [
        (2, "the id '1' is already used on line 1")
    ]
    index = json.loads((tmp_path / "o" / "index.json").read_text())
    assert index[1] == {
        "line": 2,
        "id": "1",
        "status": "bad row",
        "error": "the id '1' is already used on line 1",
    }
    assert "2 x" in (tmp_path / "o" / index[0]["file"]).read_text()


def test_ids_differing_only_in_case_get_different_files(tmp_path: Path) -> None:
    names = file_names(["Q1", "q1", "q1-0123456789"], "md")
    assert len({n.lower() for n in names.values()}) == 3
    assert (
        names["Q1"] == "Q1.md"
        and names["q1"].startswith("q1-")
        and names["q1-0123456789"] != "q1-0123456789.md"
    )


@given(
    st.lists(
        st.text(min_size=1, max_size=40).filter(lambda s: s.strip()), min_size=1, max_size=20, unique=True
    )
)
def test_file_names_are_safe_and_collision_free(ids: list[str]) -> None:
    names = file_names(ids, "md")
    assert len({n.lower() for n in names.values()}) == len(ids)
    for n in names.values():
        stem = n.removesuffix(".md")
        assert stem == slug(stem) and not n.startswith(".") and len(n.encode()) <= 100
        assert stem.lower() not in ("index", "summary", "grades", "con", "nul")


def test_the_mapping_is_the_documented_one() -> None:
    import hashlib

    h = hashlib.sha256(b"a/b").hexdigest()
    assert file_names(["a/b"], "md") == {"a/b": f"a_b-{h[:10]}.md"}
    assert file_names(["p_1.v2"], "tex") == {"p_1.v2": "p_1.v2.tex"}
    assert (
        file_names(["x" * 70], "md")["x" * 70]
        == "x" * 64 + "-" + hashlib.sha256(b"x" * 70).hexdigest()[:10] + ".md"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("é" * 128, f"the id is 256 bytes long; at most {MAX_ID_BYTES} bytes (UTF-8)"),
        ("a\x00b", "the id contains the control character U+0000"),
        ("a\nb", "the id contains the control character U+000A"),
        (["a"], "the id must be text or a whole number, not a JSON array"),
        ({"a": 1}, "the id must be text or a whole number, not a JSON object"),
        (1.5, "the id must be text or a whole number, not a JSON decimal number"),
        (True, "the id must be text or a whole number, not a JSON true/false"),
        ("  ", "the id is empty"),
        ("\ud800", "the id is not valid Unicode text (it holds a lone surrogate)"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(value, reason: str) -> None:
    with pytest.raises(InvalidId) as err:
        check_id(value)
    assert str(err.value) == reason


# -- one bad row never stops the run --------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_with_its_line_and_the_rest_is_done(tmp_path: Path) -> None:
    rows = [
        {"id": "good1", "task": "derivative", "expr": "x^2"},  # 1
        {"id": "x" * 300, "expr": "x"},  # 2
        '{"id": "nul\\u0000", "expr": "x"}',  # 3
        '["an", "array"]',  # 4
        '"a string"',  # 5
        {"id": ["list"], "expr": "x"},  # 6
        {"id": {"a": 1}, "expr": "x"},  # 7
        {"id": "noexpr"},  # 8
        {"id": "long", "expr": "x+" * 70_000},  # 9
        "{not json",  # 10
        {"id": "task", "task": "integrate", "expr": "x"},  # 11
        {"id": "check", "task": "check", "expr": "x^2"},  # 12
        {"id": "good2", "task": "gradient", "expr": "x*y"},  # 13
    ]
    path = _jsonl(tmp_path / "p.jsonl", rows)
    report = run_batch(load_problems(path), out=tmp_path / "o", progress=False)
    assert report.done == 2 and report.failed == 0
    assert [b.line for b in report.bad] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    reasons = {b.line: b.reason for b in report.bad}
    assert reasons[2] == "the id is 300 bytes long; at most 255 bytes (UTF-8)"
    assert reasons[3] == "the id contains the control character U+0000"
    assert reasons[4] == "a JSON array, not an object" and reasons[5] == "a JSON string, not an object"
    assert reasons[6] == "the id must be text or a whole number, not a JSON array"
    assert reasons[7] == "the id must be text or a whole number, not a JSON object"
    assert reasons[8] == "no expr"
    assert reasons[9] == "the expr has 140,000 characters; at most 131,072"
    assert reasons[10].startswith("not valid JSON (")
    assert reasons[11].startswith("unknown task 'integrate'")
    assert reasons[12] == "a check problem needs a claim (the gradient to check)"
    index = json.loads((tmp_path / "o" / "index.json").read_text())
    assert [e["line"] for e in index] == list(range(1, 14))
    assert [e["status"] for e in index].count("bad row") == 11
    md = (tmp_path / "o" / "index.md").read_text()
    assert "| 4 |  |  |  | bad row: a JSON array, not an object |" in md
    # a rerun reads the same rows and reports them again (nothing is cached about bad rows)
    again = run_batch(load_problems(path), out=tmp_path / "o", progress=False)
    assert [b.line for b in again.bad] == [b.line for b in report.bad] and again.computed_shards == 0


def test_cli_reports_bad_rows_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "expr": "x^2"}, "[1, 2]"])
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert (
        "1 solved, 0 failed, 1 bad row(s)" in out and "  bad row: line 2: a JSON array, not an object" in out
    )


@pytest.mark.parametrize("command", ["solve", "grade"])
def test_a_missing_input_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    if command == "solve":
        argv = ["solve", "/nonexistent.jsonl", "--out", str(tmp_path / "o")]
        expected = "error: /nonexistent.jsonl: no such file\n"
    else:
        argv = [
            "grade",
            str(tmp_path / "none.csv"),
            "--key",
            "examples/key.jsonl",
            "--out",
            str(tmp_path / "o"),
        ]
        expected = f"error: {tmp_path / 'none.csv'}: no such file\n"
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == expected and "Traceback" not in captured.err


def test_a_missing_key_and_other_unreadable_inputs_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = tmp_path / "s.csv"
    sub.write_text("student,problem,answer\ns1,q1,2*x\n")
    assert main(["grade", str(sub), "--key", str(tmp_path / "k.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'k.jsonl'}: no such file\n"
    assert main(["solve", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "problems are read from .jsonl" in capsys.readouterr().err
    (tmp_path / "p.jsonl").mkdir()
    assert main(["solve", str(tmp_path / "p.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'p.jsonl'}: is a folder, not a file\n"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("student,problem,answer\nJosé,q1,2*x\n".encode("cp1252"))
    assert main(["grade", str(latin), "--key", "examples/key.jsonl", "--out", str(tmp_path / "o")]) == 2
    assert "line 2 is not UTF-8 text (byte 0xe9)" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    good = _jsonl(tmp_path / "g.jsonl", [{"id": "a", "expr": "x"}])
    assert main(["solve", str(good), "--out", str(tmp_path / "afile")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


# -- CSV input ------------------------------------------------------------------------------------------


def test_a_csv_saved_by_excel_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeffstudent,problem,answer\r\ns1,q1,2*x\r\n".encode())
    assert load_submissions(path) == [{"student": "s1", "problem": "q1", "answer": "2*x", "line": 2}]


def test_csv_rows_keep_their_line_through_quoted_line_breaks_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    big = "x+" * 70_000 + "x"
    path.write_text(
        "Student , PROBLEM,answer,comment\n"  # 1: the header, in any case, with another column
        's1,q1,"2*x",\n'  # 2
        's2,q1,"2*x\nplus",two lines\n'  # 3-4
        "s3,q1\n"  # 5: no answer
        "s4,q1,max(x,y),c,extra\n"  # 6: an unquoted comma
        f"s5,q1,{big}\n"  # 7: longer than the csv module's default field limit
        "\n"  # 8: blank
        "s6,q1,x\n",  # 9
        encoding="utf-8",
    )
    rows = load_submissions(path)
    assert [r.line if isinstance(r, BadRow) else r["line"] for r in rows] == [2, 3, 5, 6, 7, 9]
    assert rows[1]["answer"] == "2*x\nplus" and "answer" not in rows[2]
    assert isinstance(rows[3], BadRow) and rows[3].reason.startswith("6 fields where the header has 4")
    assert len(rows[4]["answer"]) == len(big)
    import csv

    assert csv.field_size_limit() == 131072  # put back after reading


def test_a_csv_without_the_columns_is_a_clear_error(tmp_path: Path) -> None:
    from symcalc.errors import SymcalcError

    path = tmp_path / "s.csv"
    path.write_text("name,question,response\n")
    with pytest.raises(SymcalcError, match="line 1: the header needs the columns student, problem, answer"):
        load_submissions(path)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--memory-limit", "0"], "error: --memory-limit is a positive number of MB, not 0\n"),
        (["--time-limit", "0"], "error: the time limit must be a positive number of seconds, not 0.0\n"),
        (["--time-limit", "nan"], "error: the time limit must be a positive number of seconds, not nan\n"),
        (["--shard-size", "0"], "error: the shard size must be a positive whole number, not 0\n"),
        (
            ["--executor", "dask", "--scheduler", "nowhere"],
            "error: cannot reach the Dask scheduler at nowhere: missing port number in address 'nowhere'\n",
        ),
    ],
)
def test_bad_batch_options_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    if "dask" in option:
        pytest.importorskip("distributed")
    path = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "expr": "x^2"}])
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--quiet", *option]) == 2
    assert capsys.readouterr().err == message
