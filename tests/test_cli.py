"""The command line: exit codes and exact output lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symcalc.cli import main


def test_parse_prints_sympy_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "x^2 \\sin x"]) == 0
    assert capsys.readouterr().out.strip() == "x**2*sin(x)"


def test_parse_latex_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "e^(2x)", "--format", "latex"]) == 0
    assert capsys.readouterr().out.strip() == "e^{2 x}"
    assert main(["parse", "x y + z", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "x*y + z" and data["free_symbols"] == ["x", "y", "z"]


def test_parse_error_has_caret_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "sin(x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: the input ended too early")
    assert lines[1] == "  sin(x" and lines[2] == "       ^"
    assert "Traceback" not in captured.err


def test_console_script_runs_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symcalc", "parse", "__import__('os')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "error:" in done.stderr
