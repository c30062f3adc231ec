"""Every path through the command line ends in output or a clear error: exit codes and exact message lines.

Exit statuses: 0 done, 1 a "no" answer (a wrong component, a run that did not converge), 2 bad input (one line
``error: ...`` on stderr, no traceback), 70 an internal error (one line; the traceback with SYMCALC_DEBUG=1),
130 interrupted, 141 the reader of the output went away (``symcalc ... | head``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symcalc.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process: (status, stdout, stderr)."""
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def error_line(status: int, out: str, err: str) -> str:
    """The one line of a bad-input error, after checking the status and that nothing else was printed."""
    assert status == 2, (status, out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- descend: the start and the numeric options -----------------------------------------------------------


@pytest.mark.parametrize("x0", ["nan,1", "inf,1", "-inf,1", "1,nan", "abc", ",", "", "1,,x"])
def test_descend_rejects_a_start_that_is_not_finite_numbers(
    x0: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["descend", "(1-x)^2 + 100(y-x^2)^2", f"--x0={x0}"], capsys))
    assert line == (
        "error: argument --x0: expected finite numbers separated by commas (e.g. --x0=-1.2,1), "
        f"got {x0!r}; see 'symcalc descend --help'"
    )


@pytest.mark.parametrize("expr", ["x^2 + y^2", "(1-x)^2 + 100(y-x^2)^2"])
def test_descend_from_where_f_overflows_is_a_clear_error(
    expr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["descend", expr, "--x0=1e308,1"], capsys))
    assert line == (
        "error: f is not finite at the start x0 = [1e+308, 1.0]: f(x0) = inf; "
        "start where f and its gradient are finite numbers"
    )


def test_descend_start_of_the_wrong_length(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(*run(["descend", "x^2", "--x0=1,2"], capsys))
    assert line == "error: x0 has 2 coordinates; f has 1 variable (x)"


def test_a_run_that_diverges_midway_is_reported_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["descend", "x^4", "--x0=1e30", "--lr", "1", "--max-iter", "50"], capsys)
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[-2].startswith("status: diverged: ")
    assert lines[-1] == "check: the run diverged: there is no end point to compare with the critical points"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--lr", "0", "expected a number above 0"),
        ("--lr", "-0.1", "expected a number above 0"),
        ("--lr", "nan", "expected a number above 0"),
        ("--lr", "inf", "expected a number above 0"),
        ("--lr", "fast", "expected a number above 0"),
        ("--gtol", "-1", "expected a number at least 0"),
        ("--gtol", "nan", "expected a number at least 0"),
        ("--max-iter", "0", "expected a whole number from 1 to 1000000"),
        ("--max-iter", "10000001", "expected a whole number from 1 to 1000000"),
        ("--max-iter", "1.5", "expected a whole number from 1 to 1000000"),
    ],
)
def test_descend_validates_every_numeric_option(
    option: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["descend", "x^2", "--x0=1", f"{option}={value}"], capsys))
    assert line == f"error: argument {option}: {expected}, got {value!r}; see 'symcalc descend --help'"


def test_descend_still_takes_a_negative_start(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--x0=-1.2,1"], ["--x0", "-1.2,1"]):
        status, out, _ = run(["descend", "(1-x)^2 + 100(y-x^2)^2", *argv, "--method", "newton"], capsys)
        assert status == 0
        assert out.splitlines()[0] == "method: newton, start [-1.2, 1.0]"


# --- critical and lagrange ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["critical", "lagrange"])
@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "86401", "1e300", "soon"])
def test_timeouts_are_positive_and_bounded(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--constraint", "x + y = 10"] if command == "lagrange" else []
    line = error_line(*run([command, "x*y", *extra, f"--timeout={value}"], capsys))
    assert line == (
        f"error: argument --timeout: expected a number of seconds above 0 and at most 86400, got {value!r}; "
        f"see 'symcalc {command} --help'"
    )


def test_lagrange_with_too_few_variables(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(*run(["lagrange", "x*y", "--constraint", "x+y=10", "--vars", "x"], capsys))
    assert line == (
        "error: the problem has symbols that are not variables: y (the variables are x); "
        "list them among the variables or give them values first"
    )


def test_the_api_refuses_timeouts_it_cannot_keep() -> None:
    import symcalc as sc

    for bad in (float("inf"), float("nan"), 0.0, -1.0):
        with pytest.raises(sc.SymcalcError, match="timeout must be a number of seconds above 0"):
            sc.critical_points("x^2", timeout=bad)
        with pytest.raises(sc.SymcalcError, match="timeout must be a number of seconds above 0"):
            sc.lagrange("x*y", ["x + y = 10"], timeout=bad)
    with pytest.raises(sc.SymcalcError, match="symbols that are not variables: y"):
        sc.lagrange("x*y", ["x + y = 10"], ["x"])


# --- backprop -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("w=abc,x=1", "w=abc: abc is not a finite number"),
        ("w=nan,x=1", "w=nan: nan is not a finite number"),
        ("w=inf,x=1", "w=inf: inf is not a finite number"),
        ("w=1,x", "x: expected name=value"),
        ("=1,x=1", "=1: expected name=value"),
        ("w=1,x=1,w=2", "w has two values"),
        ("w=1,x=", "x=: the value is missing"),
        ("=", "=: expected name=value"),
    ],
)
def test_backprop_values_must_be_name_number_pairs(
    at: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["backprop", "w*x", "--at", at], capsys))
    assert line == f"error: {expected} (give each symbol a value as name=number, e.g. w=0.5,b=0.1)"


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        (
            "sqrt(w)",
            "w=0",
            "error: the derivative does not exist at w = 0: node v2 = sqrt(w) has the local derivative "
            "dv2/dw = 1/2*w^(1/2-1), which is not finite there",
        ),
        (
            "asin(w)",
            "w=1",
            "error: the derivative does not exist at w = 1: node v1 = asin(w) has the local derivative "
            "dv1/dw = 1/sqrt(1 - w^2), which is not finite there",
        ),
        (
            "log(w)",
            "w=0",
            "error: the function is not defined at w = 0, so neither is its derivative: "
            "node v1 = log(w) is not a real number there (outside its domain)",
        ),
        (
            "1/w",
            "w=0",
            "error: the function is not defined at w = 0, so neither is its derivative: "
            "node v2 = 1/w is not a real number there (outside its domain)",
        ),
        (
            "exp(w)",
            "w=1000",
            "error: node v1 = exp(w) is too large for a float at w = 1000 (it overflows)",
        ),
    ],
)
def test_backprop_where_the_derivative_does_not_exist(
    expr: str, at: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert error_line(*run(["backprop", expr, "--at", at], capsys)) == expected


def test_backprop_wrt_names_a_symbol_of_the_expression(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(*run(["backprop", "w*x", "--at", "w=1,x=2", "--wrt", "z"], capsys))
    assert line == "error: z is not a symbol of the expression (its symbols are w, x)"


# --- files: write only where asked --------------------------------------------------------------------------


def test_plot_into_a_missing_folder_is_an_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "deeper" / "p.png"
    line = error_line(*run(["descend", "x^2 + y^2", "--x0=1,1", "--plot", str(target)], capsys))
    assert line == f"error: cannot write {target}: the folder {target.parent} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_plot_where_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "p.png"
    status, out, err = run(["descend", "x^2 + y^2", "--x0=1,1", "--plot", str(target)], capsys)
    assert status == 0 and err == ""
    assert out.splitlines()[-1] == f"plot written to {target}"
    assert target.stat().st_size > 1000


def test_plot_onto_a_folder_or_in_an_unknown_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["descend", "x^2 + y^2", "--x0=1,1", "--plot", str(tmp_path)], capsys))
    assert line == f"error: cannot write {tmp_path}: it is a folder"
    target = tmp_path / "p.unknown"
    status, out, err = run(["descend", "x^2 + y^2", "--x0=1,1", "--plot", str(target)], capsys)
    assert status == 2 and "Traceback" not in err
    assert err.startswith(f"error: cannot write {target}: Format 'unknown' is not supported")
    assert not target.exists()


def test_the_library_does_not_create_folders(tmp_path: Path) -> None:
    import symcalc as sc
    from symcalc.plotting import loss_curves

    with pytest.raises(sc.SymcalcError, match="does not exist"):
        loss_curves({"gd": [3.0, 2.0, 1.0]}, save=tmp_path / "a" / "b.png")
    assert list(tmp_path.iterdir()) == []


def test_dot_into_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "g.dot"
    line = error_line(*run(["backprop", "w*x", "--at", "w=1,x=2", "--dot", str(target)], capsys))
    assert line == f"error: cannot write {target}: the folder {target.parent} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_tour_folder_needs_an_existing_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "tour"
    line = error_line(*run(["tour", "--out", str(target)], capsys))
    assert line == f"error: cannot write {target}: the folder {target.parent} does not exist"
    assert list(tmp_path.iterdir()) == []


# --- a leading minus ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expr", "derivative"),
    [
        (["diff", "-x^2"], "-x^2", "-2*x"),
        (["diff", "-log(x)"], "-log(x)", "-1/x"),
        (["diff", "-1.5x"], "-1.5x", "-1.5"),
        (["diff", "-x^2", "--detail", "brief"], "-x^2", "-2*x"),
        (["diff", "--detail", "brief", "-x^3"], "-x^3", "-3*x**2"),
        (["diff", "-x y", "--vars", "y"], "-x y", "-x"),
    ],
)
def test_expressions_may_start_with_a_minus(
    argv: list[str], expr: str, derivative: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import sympy

    import symcalc as sc

    status, out, err = run([*argv, "--format", "json"], capsys)
    assert (status, err) == (0, "")
    detail = argv[argv.index("--detail") + 1] if "--detail" in argv else "standard"
    var = argv[argv.index("--vars") + 1] if "--vars" in argv else None
    expected = sc.derivative(expr, var, detail=detail)
    assert json.loads(out) == json.loads(json.dumps(expected.to_dict()))
    assert sympy.simplify(expected.result - sc.parse(derivative)) == 0


def test_parse_and_gradient_with_a_leading_minus(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["parse", "-x^2"], capsys) == (0, "-x**2\n", "")
    assert run(["parse", "-1"], capsys) == (0, "-1\n", "")
    assert run(["parse", "-(x+1)", "--vars", "x"], capsys) == (0, "-x - 1\n", "")
    assert run(["parse", "--vars", "x", "-sin(x)"], capsys) == (0, "-sin(x)\n", "")
    status, out, err = run(["gradient", "-x*y", "--vars", "x,y", "--format", "json"], capsys)
    assert (status, err) == (0, "")
    import symcalc as sc

    assert json.loads(out) == json.loads(json.dumps(sc.gradient("-x*y", ["x", "y"]).to_dict()))


@pytest.mark.parametrize("claim", [["--claim=-sin(x)^2"], ["--claim", "-sin(x)^2"]])
def test_claims_may_start_with_a_minus(claim: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["check", "sin(2x)/4 - x/2", *claim], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Checking the derivative of -x/2 + sin(2x)/4:",
        "  d/dx: correct (-sin(x)^2)",
        "The derivative is correct.",
    ]


def test_unknown_options_are_still_errors(capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(*run(["diff", "x^2", "--colour", "red"], capsys))
    assert line == "error: unrecognized arguments: --colour red; see 'symcalc --help'"
    assert run(["diff", "-h"], capsys)[0] == 0  # -h is still help


def test_argparse_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert error_line(*run([], capsys)) == (
        "error: the following arguments are required: COMMAND; see 'symcalc --help'"
    )
    assert error_line(*run(["diff"], capsys)) == (
        "error: the following arguments are required: expr; see 'symcalc diff --help'"
    )
    assert error_line(*run(["nope"], capsys)).startswith("error: argument COMMAND: invalid choice: 'nope'")


# --- the policy for errors nobody planned -------------------------------------------------------------------


def test_an_internal_error_is_one_line_with_status_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import symcalc.cli as cli

    def boom(args: object) -> int:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(cli, "_cmd_parse", boom)
    monkeypatch.delenv("SYMCALC_DEBUG", raising=False)
    status, out, err = run(["parse", "x"], capsys)
    assert (status, out) == (70, "")
    assert err.splitlines() == [
        "internal error: ZeroDivisionError: float division by zero. This is a bug in symcalc: please report "
        "it with the command that caused it (SYMCALC_DEBUG=1 prints the traceback)"
    ]
    monkeypatch.setenv("SYMCALC_DEBUG", "1")
    status, out, err = run(["parse", "x"], capsys)
    assert status == 70
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("internal error: ZeroDivisionError: float division by zero.")


def test_keyboard_interrupt(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import symcalc.cli as cli

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_parse", interrupted)
    assert run(["parse", "x"], capsys) == (130, "", "interrupted\n")


# --- pipes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["diff", "x^2 sin(x)", "--detail", "full"],
        ["parse", "x"],
        ["parse", "sin("],  # the error message goes to a closed stderr too
    ],
)
def test_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    """``symcalc ... | head``: the reader goes away before symcalc writes; no traceback, status 141."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "symcalc", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if argv[1:] != ["sin("] else subprocess.STDOUT,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # symcalc is still importing SymPy: every write it makes meets a closed pipe
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141
    assert err in (None, b"")


def test_help_into_a_closed_pipe() -> None:
    """argparse itself drops a help text it cannot write; the command still ends quietly."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "symcalc", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, b"")


def test_piping_into_a_reader_that_leaves_at_once() -> None:
    """``symcalc diff ... | true`` in a shell: the reader is gone before symcalc has imported SymPy."""
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'"{sys.executable}" -m symcalc diff "x^2 sin(x)" | true; echo "status ${{PIPESTATUS[0]}}"',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.stdout, done.stderr) == ("status 141\n", "")


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--port", "-5", "a port from 0 to 65535"),
        ("--port", "99999", "a port from 0 to 65535"),
        ("--workers", "0", "a whole number from 1 to 256"),
        ("--time-limit", "-1", "a number of seconds above 0 and at most 86400"),
        ("--time-limit", "inf", "a number of seconds above 0 and at most 86400"),
    ],
)
def test_serve_options_are_checked_before_listening(
    option: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(*run(["serve", f"{option}={value}"], capsys))
    assert line == f"error: argument {option}: expected {expected}, got {value!r}; see 'symcalc serve --help'"
