"""A fuzz of the command line: every subcommand with empty, wrong-typed, missing and hostile arguments.

Each argv runs ``main()`` in this process with the output captured. Whatever the input, the command ends with
status 0 (done), 1 (the answer is "no": a wrong component, a run that did not converge) or 2 (bad input, one
``error:`` line), never with a traceback nor an internal error (status 70).

Left out on purpose, each covered by its own engineer's tests: ``serve`` (a valid argv would start a server),
and the inputs whose fix lives outside the command line (``x!`` in a compiled function, numbers such as
``1e999999`` whose size check belongs to the parser).
"""

from __future__ import annotations

import contextlib
import io
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcalc.cli import main

#: Values a person or a script might pass by mistake, or on purpose.
HOSTILE = [
    "",
    " ",
    "-",
    "--",
    "x",
    "x^2",
    "-x^2",
    "abc",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1",
    "0",
    "1,2,3",
    ",",
    "=",
    "x=",
    "=1",
    "x=1,y",
    "y=1",
    "\x00",
    "é",
    "sin(",
    "x y",
    "1/0",
    "log(0)",
    "zoo",
    "oo",
    "I",
    "__import__('os')",
    "x" * 300,
    "((((((((((x))))))))))",
]

#: Each subcommand with one place (V) for a hostile value; the other arguments keep each run short.
SHAPES: dict[str, list[list[str]]] = {
    "parse": [["V"], ["x", "--vars", "V"], ["V", "--format", "json"]],
    "diff": [["V"], ["x^2", "--vars", "V"], ["x^2", "--order", "V"], ["x^2+y^2=1", "--implicit", "V"]],
    "gradient": [["V"], ["x*y", "--vars", "V"]],
    "hessian": [["V"], ["x*y", "--vars", "V"]],
    "check": [["V", "--claim", "2x"], ["x^2", "--claim", "V"], ["x^2*y", "--claim", "V", "--vars", "V"]],
    "critical": [
        ["V", "--timeout", "1"],
        ["x^2", "--timeout", "V"],
        ["x*y", "--vars", "V", "--timeout", "1"],
    ],
    "lagrange": [
        ["V", "--constraint", "x+y=1", "--timeout", "1"],
        ["x*y", "--constraint", "V", "--timeout", "1"],
        ["x*y", "--constraint", "x+y=1", "--vars", "V", "--timeout", "1"],
        ["x*y", "--constraint", "x+y=1", "--timeout", "V"],
    ],
    "descend": [
        ["V", "--x0=1", "--max-iter", "50"],
        ["x^2", "--x0", "V", "--max-iter", "50"],
        ["x^2", "--x0=1", "--lr", "V", "--max-iter", "50"],
        ["x^2", "--x0=1", "--max-iter", "V"],
        ["x^2", "--x0=1", "--gtol", "V", "--max-iter", "50"],
        ["x^2", "--x0=1", "--method", "V"],
        ["x*y", "--x0=1", "--vars", "V", "--max-iter", "50"],
    ],
    "backprop": [
        ["V", "--at", "x=1"],
        ["x*y", "--at", "V"],
        ["x*y", "--at", "x=1,y=2", "--wrt", "V"],
        ["V", "--at", "x=0"],
    ],
    "matrix-gradient": [
        ["V", "--shapes", "w: n"],
        ["w^T w", "--shapes", "V"],
        ["w^T w", "--shapes", "w: n", "--wrt", "V"],
        ["w^T w", "--shapes", "w: n", "--claim", "V"],
    ],
}

#: Subcommands fuzzed elsewhere in this file, or not at all (``serve`` would start a server).
NOT_IN_SHAPES = {"grad", "tour", "solve", "grade", "serve"}

SLOW_LIMIT = 20.0  # seconds for one run: far above what any of them needs, far below a hang


def run_quietly(argv: list[str]) -> tuple[int, str, str, float]:
    """``main(argv)`` with stdout and stderr captured: (status, stdout, stderr, seconds)."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue(), time.perf_counter() - start


def assert_clean(argv: list[str], status: int, out: str, err: str, seconds: float) -> None:
    """The contract of every run: a known status, no traceback, and a bad input told on one line."""
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if status == 2:
        assert err.startswith("error: "), (argv, err)
    if status == 1:
        assert argv[0] in ("check", "descend", "backprop", "matrix-gradient", "solve", "grade"), (
            argv,
            out,
            err,
        )
    assert seconds < SLOW_LIMIT, (argv, seconds)


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYMCALC_DEBUG", raising=False)


def test_every_subcommand_is_fuzzed() -> None:
    """A new subcommand gets its shapes here (or a reason in NOT_IN_SHAPES) before it ships."""
    import argparse

    from symcalc.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) - NOT_IN_SHAPES == set(SHAPES)


@pytest.mark.parametrize("command", list(SHAPES))
def test_every_hostile_value_in_every_place(command: str) -> None:
    for shape in SHAPES[command]:
        for value in HOSTILE:
            argv = [command] + [value if a == "V" else a for a in shape]
            assert_clean(argv, *run_quietly(argv))


@pytest.mark.parametrize(
    "argv",
    [
        [],
        [""],
        ["-"],
        ["--"],
        ["--version"],
        ["--nope"],
        ["diff"],
        ["diff", "--"],
        ["diff", "x", "--order"],
        ["diff", "x", "--format"],
        ["diff", "x", "--format", "pdf"],
        ["diff", "x", "--detail", "all"],
        ["check", "x^2"],
        ["check", "x^2", "--claim"],
        ["lagrange", "x*y"],
        ["descend", "x^2"],
        ["descend", "x^2", "--x0"],
        ["backprop", "x"],
        ["backprop", "x", "--at"],
        ["tour", "--out"],
        ["x^2"],
        ["diff", "x", "y"],
        ["diff", "x", "--vars=x", "--vars=y"],
    ],
)
def test_missing_and_misplaced_arguments(argv: list[str]) -> None:
    assert_clean(argv, *run_quietly(argv))


def test_the_batch_commands_on_missing_files(tmp_path: os.PathLike[str]) -> None:
    missing = os.path.join(tmp_path, "missing")
    for argv in (
        ["solve", missing + ".jsonl", "--out", os.path.join(tmp_path, "out")],
        ["grade", missing + ".csv", "--key", missing + ".jsonl", "--out", os.path.join(tmp_path, "out")],
    ):
        status, out, err, seconds = run_quietly(argv)
        assert_clean(argv, status, out, err, seconds)
        assert status == 2


COMMANDS = [*SHAPES, "tour", "solve", "grade", "grad", "nope"]
OPTIONS = [
    "--vars",
    "--format",
    "--detail",
    "--order",
    "--implicit",
    "--claim",
    "--constraint",
    "--timeout",
    "--x0",
    "--lr",
    "--max-iter",
    "--gtol",
    "--method",
    "--plot",
    "--at",
    "--wrt",
    "--dot",
    "--out",
    "-h",
]


@settings(max_examples=60)
@given(
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=6),
)
def test_random_argv(command: str, rest: list[str]) -> None:
    """Random words after a command; the options that write files get no say (they point at a missing folder)."""
    argv = [command] + [w for w in rest]
    for i, word in enumerate(argv[:-1]):
        if word in ("--plot", "--dot", "--out"):
            argv[i + 1] = "/nonexistent-symcalc-fuzz/f"
    if command in ("tour", "solve", "grade") and "-h" not in argv:
        argv += ["--out", "/nonexistent-symcalc-fuzz/out"]  # never a tour or a batch run in this test
    assert_clean(argv, *run_quietly(argv))
    assert not os.path.exists("/nonexistent-symcalc-fuzz")
