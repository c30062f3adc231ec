"""``symcalc serve``: the JSON API returns the documented schema, bad input gets a clear error (never a
traceback), every request runs under its limits, and the server leaves no process behind.

The server runs for real: ``python -m symcalc serve --port 0`` in a child process, spoken to over loopback.
:func:`serve_tutor` is shared with the browser and load tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import symcalc as sc  # noqa: E402
from symcalc.web import work  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# -- a real server, and nothing left of it afterwards ------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.add(pid)
        except OSError:
            pass
    return out


@contextlib.contextmanager
def serve_tutor(*args: str) -> Iterator[tuple[str, subprocess.Popen[str], set[int]]]:
    """Start ``symcalc serve --port 0`` (plus ``args``); yield its URL, the process and a set that collects
    every process it started. On exit: Ctrl+C, then check that nothing it started is still running."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symcalc", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    seen: set[int] = set()
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://\S+/", line)
        if not match:
            proc.kill()
            raise AssertionError(
                f"the server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
        url = match.group(0).rstrip("/")
        seen |= descendants(proc.pid)
        yield url, proc, seen
    finally:
        seen |= descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError("the server did not stop on Ctrl+C") from None
        deadline = time.monotonic() + 10
        while alive(seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = alive(seen)
        if left:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"processes left behind: {sorted(left)}")


def call(
    url: str, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any] | str, dict[str, str]]:
    """(status, JSON or text, headers) of one request; errors are answers too."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    head = {"Content-Type": "application/json"} if data is not None else {}
    head.update(headers or {})
    request = urllib.request.Request(
        url + path, data=data, headers=head, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text, hdrs = response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as err:
        status, text, hdrs = err.code, err.read().decode(), dict(err.headers)
    try:
        return status, json.loads(text), hdrs
    except json.JSONDecodeError:
        return status, text, hdrs


@pytest.fixture(scope="module")
def tutor() -> Iterator[str]:
    with serve_tutor("--workers", "2", "--time-limit", "5") as (url, _proc, _seen):
        yield url


# -- the API -----------------------------------------------------------------------------------------------


def test_the_worked_solution_is_exactly_the_documented_schema(tutor: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    status, data, _ = call(tutor, "/api/derivative", {"expr": "x^2 sin(x)", "detail": "brief"})
    assert status == 200
    assert data == sc.derivative("x^2 sin(x)", detail="brief").to_dict()
    schema = json.loads((ROOT / "docs" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    status, data, _ = call(
        tutor, "/api/derivative", {"expr": r"\frac{1}{1 + e^{-y}}", "var": "y", "order": 2}
    )
    assert status == 200 and data["order"] == 2 and data["var"] == "y"
    jsonschema.validate(data, schema)


def test_the_preview_reads_text_and_latex_and_points_at_a_mistake(tutor: str) -> None:
    assert call(tutor, "/api/parse", {"expr": "x^2 sin(x)"})[1] == {
        "latex": "x^{2} \\sin{\\left(x \\right)}",
        "text": "x**2*sin(x)",
        "variables": ["x"],
    }
    status, data, _ = call(tutor, "/api/parse", {"expr": "2x y, x^2", "components": True})
    assert status == 200 and data["latex"] == "\\left(2 x y,\\ x^{2}\\right)"
    status, data, _ = call(tutor, "/api/parse", {"expr": "x^2 + sin(x"})
    assert status == 400
    assert data["position"] == 11 and data["source"] == "x^2 + sin(x" and data["kind"] == "parse"
    assert "ended too early" in data["error"] and "Traceback" not in data["error"]


def test_an_answer_is_checked_with_the_mistake_named(tutor: str) -> None:
    status, v, _ = call(
        tutor, "/api/check", {"exercise": {"task": "derivative", "expr": "sin(x^2)"}, "answer": "cos(x^2)"}
    )
    assert status == 200 and v["ok"] is False and v["mistakes"] == ["chain.missing_inner"]
    assert v["hints"][0].startswith("Use the chain rule")
    status, v, _ = call(
        tutor, "/api/check", {"set": "multivariable", "id": "m1", "answer": "2 x y; x^2 + 3y^2"}
    )
    assert status == 200 and v["ok"] is True
    status, h, _ = call(tutor, "/api/hint", {"set": "derivatives", "id": "d2", "level": 2})
    assert status == 200 and h["hint"].startswith("The first step:") and h["last"] is True
    status, err, _ = call(tutor, "/api/check", {"set": "derivatives", "id": "nope", "answer": "1"})
    assert status == 400 and err["error"] == "no exercise 'nope' in that set"


def test_the_exercise_sets_are_served_without_their_solutions(tutor: str) -> None:
    status, data, _ = call(tutor, "/api/sets")
    assert status == 200
    names = [s["name"] for s in data["sets"]]
    assert names == sc.ExerciseSet.builtin_names()
    first = data["sets"][0]["exercises"][3]
    assert (
        first["id"] == "d4"
        and first["prompt_latex"] == "\\frac{d}{dx}\\left[\\sin{\\left(x^{2} \\right)}\\right]"
    )
    assert "cos" not in json.dumps(data["sets"][0])


def test_a_descent_comes_back_with_its_path_and_a_grid_to_draw(tutor: str) -> None:
    body = {"expr": "x^2 + 10y^2", "x0": "1, 1", "method": "gd", "lr": 0.05, "max_iter": 500}
    status, r, _ = call(tutor, "/api/descent", body)
    assert status == 200 and r["success"] is True
    assert r["path"][0] == [1.0, 1.0] and abs(r["x"][0]) < 1e-6 and abs(r["x"][1]) < 1e-6
    assert len(r["grid"]["z"]) == 64 and r["grid"]["levels"] == sorted(r["grid"]["levels"])
    assert r["loss"][0] == 11.0 and r["loss"][-1] < 1e-10
    status, r, _ = call(tutor, "/api/descent", {**body, "expr": "x + y + z"})
    assert status == 400 and "two variables" in r["error"]
    status, r, _ = call(tutor, "/api/descent", {**body, "method": "sgd!"})
    assert status == 400 and r["error"].startswith("method must be one of gd,")


HOSTILE = [
    ({"expr": "9^9^9^9"}, 400, "digits"),
    ({"expr": "(" * 300 + "x" + ")" * 300}, 400, "nest"),
    ({"expr": "<script>alert(1)</script>"}, 400, "unexpected character '<'"),
    ({"expr": "__import__('os').system('true')"}, 400, ""),
    ({"expr": "factorial(10^9)"}, 400, "too large"),
    ({"expr": 12}, 400, "must be a string"),
    ({}, 400, "needs the field 'expr'"),
    ({"expr": "x", "order": "2; DROP TABLE"}, 400, "whole number"),
    ({"expr": "x", "detail": "<b>"}, 400, "detail must be one of"),
]


@pytest.mark.parametrize(("body", "status", "words"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_input_gets_a_clear_error_and_no_traceback(
    tutor: str, body: dict[str, Any], status: int, words: str
) -> None:
    got, data, _ = call(tutor, "/api/derivative", body)
    assert got == status, data
    assert isinstance(data, dict) and words in data["error"]
    assert "Traceback" not in data["error"] and 'File "' not in data["error"]


def test_requests_that_are_not_what_the_api_takes_are_refused(tutor: str) -> None:
    status, data, _ = call(tutor, "/api/derivative", raw=b'{"expr": "' + b"x+" * 20000 + b'x"}')
    assert status == 413 and data["error"] == "the request is larger than 32768 bytes"
    assert call(tutor, "/api/derivative", raw=b"{not json")[0:2] == (
        400,
        {"error": "the request is not valid JSON"},
    )
    assert call(tutor, "/api/derivative", raw=b"[1, 2]")[0] == 400
    status, data, _ = call(
        tutor, "/api/derivative", raw=b"expr=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 415  # a form posted from another site cannot reach the API
    assert call(tutor, "/api/health", headers={"Host": "attacker.example"})[0] == 400  # DNS rebinding
    assert call(tutor, "/api/nothing")[0] == 404


def test_every_response_carries_the_content_security_policy(tutor: str) -> None:
    for path in ["/", "/api/meta", "/static/tutor.js", "/static/katex/katex.min.css"]:
        status, _body, headers = call(tutor, path)
        assert status == 200, path
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
    status, page, headers = call(tutor, "/")
    assert headers["content-type"].startswith("text/html")
    assert "<script>" not in page and "onclick" not in page  # no inline script for the policy to allow


def test_katex_is_shipped_in_the_package_with_its_licence() -> None:
    katex = Path(work.__file__).with_name("static") / "katex"
    assert (katex / "katex.min.js").stat().st_size > 100_000
    assert "MIT License" in (katex / "LICENSE").read_text(encoding="utf-8")
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    for font in re.findall(r"url\((fonts/[^)]+\.woff2)\)", css):
        assert (katex / font).is_file(), font


# -- limits, without a server ------------------------------------------------------------------------------


@pytest.fixture
def forked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jobs below are put in place with monkeypatch, which only a child forked from this process sees:
    fork here even if an earlier test left a thread running (which would send the work to the helper)."""
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "never")


def test_a_job_past_its_time_limit_is_stopped_and_reported(
    monkeypatch: pytest.MonkeyPatch, forked_here: None
) -> None:
    monkeypatch.setitem(work.JOBS, "nap", lambda payload: time.sleep(30) or {})
    start = time.monotonic()
    out = work.run_job("nap", {}, time_limit=1.0)
    assert out == {"status": "timeout", "error": "the time limit of 1 s was reached"}
    assert time.monotonic() - start < 5


def test_a_job_past_its_memory_limit_is_stopped_and_reported(
    monkeypatch: pytest.MonkeyPatch, forked_here: None
) -> None:
    monkeypatch.setattr(work, "MEMORY_BUDGET", 256 * 2**20)
    monkeypatch.setitem(work.JOBS, "hog", lambda payload: {"n": len(bytearray(8 * 2**30))})
    out = work.run_job("hog", {}, time_limit=20.0)
    assert out["status"] == "memory"


def test_an_unexpected_failure_is_a_sentence_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, forked_here: None
) -> None:
    def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise ZeroDivisionError("secret internals")

    monkeypatch.setitem(work.JOBS, "broken", broken)
    assert work.run_job("broken", {}, time_limit=10.0) == {
        "status": "error",
        "kind": "internal",
        "error": "symcalc could not do this (ZeroDivisionError)",
    }


def test_serve_refuses_a_port_in_use_with_a_clear_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "symcalc", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert out.returncode == 2
    assert (
        out.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}:") and "Traceback" not in out.stderr
    )


def test_the_serve_command_is_documented_in_the_cli() -> None:
    from symcalc.cli import build_parser

    help_text = build_parser().parse_args(["serve"]).run.__name__
    assert help_text == "_cmd_serve"
    args = build_parser().parse_args(["serve", "--host", "127.0.0.1", "--port", "8123"])
    assert (args.host, args.port, args.workers, args.time_limit) == ("127.0.0.1", 8123, None, None)
