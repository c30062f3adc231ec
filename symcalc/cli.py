"""The ``symcalc`` command: one vocabulary for every subcommand.

``--vars x,y`` (alias ``--var``), ``--format text|markdown|latex|json``, ``--detail brief|standard|full``.

Every path ends in output or one clear line on stderr (``docs/cli.md`` has the table of exit statuses):

* 0: done; 1: the answer is "no" (a wrong component in ``check``, a descent that did not converge);
* 2: bad input, a :class:`~symcalc.errors.SymcalcError` or a bad argument: ``error: ...``, no traceback;
* 70 (``EX_SOFTWARE``): an unexpected exception, a bug in symcalc: one line naming the exception, and the
  traceback only when the environment has ``SYMCALC_DEBUG=1``;
* 130: interrupted (Ctrl-C); 141 (128 + SIGPIPE): the reader of the output went away (``symcalc ... | head``),
  handled as the Python docs advise (stdout is pointed at ``/dev/null`` and the command ends quietly).

An expression or a number may start with ``-`` wherever a value goes: ``symcalc diff -x^2``,
``--claim -sin(x)^2`` and ``--x0 -1.2,1`` all work; ``-h`` alone stays the help.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import sympy

from .errors import SymcalcError

FORMATS = ("text", "markdown", "latex", "json")

#: Exit statuses beyond 0 (done), 1 (the answer is "no") and 2 (bad input).
EXIT_INTERNAL = 70  # EX_SOFTWARE in BSD's sysexits.h: a bug in symcalc
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `yes | head`

#: Bounds of the numeric options (each refused outside them with a one-line error).
MAX_TIMEOUT = 86_400.0  # a day, as symcalc.derive.critical.MAX_TIMEOUT
MAX_ITERATIONS = 1_000_000


class _Parser(argparse.ArgumentParser):
    """argparse with two changes: errors are one line, and a value may start with ``-``.

    argparse takes any word that starts with ``-`` for an option, so ``symcalc diff -x^2`` and
    ``--claim -sin(x)`` were refused. symcalc has no single-dash option other than ``-h``, so a word that starts
    with one ``-`` and is not ``-h`` is a value here: an expression, a claim, a start point. Words that start
    with ``--`` are still options (an unknown one is an error, as before).
    """

    def _parse_optional(self, arg_string: str) -> Any:
        if (
            arg_string.startswith("-")
            and not arg_string.startswith("--")
            and arg_string not in self._option_string_actions
        ):
            return None  # a value such as -x^2, -log(x) or -1.2,1
        return super()._parse_optional(arg_string)

    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit status 2 (argparse would print the usage block first)."""
        self.exit(2, f"error: {message}; see '{self.prog} --help'\n")


def _checked(kind: str, convert: Callable[[str], Any], ok: Callable[[Any], bool]) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert(text)``, refused with "expected <kind>, got 'text'" unless ``ok``."""

    def parse_value(text: str) -> Any:
        try:
            value = convert(text)
        except (TypeError, ValueError, OverflowError):
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}")
        return value

    return parse_value


def _start_point(text: str) -> list[float]:
    values = [float(v) for v in text.split(",")]
    return values if values and all(math.isfinite(v) for v in values) else []


_seconds = _checked(
    f"a number of seconds above 0 and at most {MAX_TIMEOUT:g}", float, lambda t: 0 < t <= MAX_TIMEOUT
)
_positive = _checked("a number above 0", float, lambda v: 0 < v < math.inf)
_nonnegative = _checked("a number at least 0", float, lambda v: 0 <= v < math.inf)
_iterations = _checked(f"a whole number from 1 to {MAX_ITERATIONS}", int, lambda n: 1 <= n <= MAX_ITERATIONS)
_point = _checked("finite numbers separated by commas (e.g. --x0=-1.2,1)", _start_point, bool)
_port = _checked("a port from 0 to 65535", int, lambda n: 0 <= n <= 65535)
_workers = _checked("a whole number from 1 to 256", int, lambda n: 1 <= n <= 256)


def _writable(path: str | Path, *, folder: bool = False) -> Path:
    """``path``, checked before any work: its folder exists, and (unless ``folder``) it is not a folder.

    symcalc writes only where it is asked: it never creates the missing folders on the way to a file.
    """
    target = Path(path)
    parent = target.absolute().parent
    if not parent.is_dir():
        raise SymcalcError(f"cannot write {path}: the folder {target.parent} does not exist")
    if not folder and target.is_dir():
        raise SymcalcError(f"cannot write {path}: it is a folder")
    if folder and target.exists() and not target.is_dir():
        raise SymcalcError(f"cannot write {path}: it is a file, not a folder")
    return target


def _add_common(p: argparse.ArgumentParser, *, formats: Sequence[str] = FORMATS, detail: bool = True) -> None:
    p.add_argument(
        "--vars",
        "--var",
        dest="vars",
        default=None,
        metavar="x,y",
        help="the variables, comma-separated (default: the free symbols, x before y, x2 before x10)",
    )
    p.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    if detail:
        p.add_argument(
            "--detail",
            choices=("brief", "standard", "full"),
            default="standard",
            help="how much of the working to show (default: standard)",
        )


def _vars(args: argparse.Namespace) -> list[str] | None:
    """The names given with ``--vars``; None (the free symbols, in natural order) when it names none."""
    names = [v.strip() for v in (args.vars or "").split(",") if v.strip()]
    return names or None


def _cmd_parse(args: argparse.Namespace) -> int:
    from .parse import parse

    expr = parse(args.expr, _vars(args))
    if args.format == "latex":
        print(sympy.latex(expr))
    elif args.format == "json":
        print(
            json.dumps(
                {
                    "input": args.expr,
                    "sympy": sympy.srepr(expr),
                    "text": str(expr),
                    "latex": sympy.latex(expr),
                    "free_symbols": sorted(str(s) for s in expr.free_symbols),
                },
                indent=2,
            )
        )
    elif args.format == "markdown":
        print(f"$${sympy.latex(expr)}$$")
    else:
        print(expr)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from .derive.derivative import derivative
    from .derive.implicit import implicit_derivative
    from .derive.steps import CATALOGUE
    from .render.derivation import SCHEMA_VERSION, derivation_to_text

    listed = _vars(args)
    variables: list[str | None] = [*listed] if listed else [None]
    known = [k.strip() for k in (args.known or "").split(",") if k.strip()]
    unknown = [k for k in known if k not in CATALOGUE]
    if unknown:
        raise SymcalcError(
            f"--known names rules by their ids ({', '.join(unknown)} is not one); the ids are listed in docs/rules.md"
        )
    if args.implicit:
        if len(variables) > 1:
            raise SymcalcError("--implicit takes one variable: --var x")
        results = [
            implicit_derivative(
                args.expr,
                args.implicit,
                variables[0] or "x",
                order=args.order,
                detail=args.detail,
                known=known,
            )
        ]
    else:
        results = [
            derivative(args.expr, v, order=args.order, detail=args.detail, known=known) for v in variables
        ]
    several = len(results) > 1
    if args.format == "json":
        data = (
            results[0].to_dict()
            if not several
            else {
                "schema_version": SCHEMA_VERSION,
                "type": "partials",
                "partials": [d.to_dict() for d in results],
            }
        )
        print_output(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if args.format == "text":
        width = _terminal_width()
        parts = [derivation_to_text(d, width) for d in results]
    else:
        parts = [d.to_markdown() if args.format == "markdown" else d.to_latex() for d in results]
    if several:
        names = ", ".join(str(d.var) for d in results)
        parts.append(
            f"These are the partial derivatives by {names}, one at a time; symcalc gradient gives them as one vector."
            if args.format != "latex"
            else rf"\noindent These are the partial derivatives by {names}, one at a time; \texttt{{symcalc gradient}} "
            r"gives them as one vector.\par"
        )
    print_output("\n\n".join(part.rstrip("\n") for part in parts))
    return 0


def _terminal_width() -> int | None:
    """The terminal's width when writing to one (lines break between expressions, never inside one); None
    when the output goes to a pipe or a file, which get whole lines."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return max(40, shutil.get_terminal_size().columns - 1)


def _render(result: Any, fmt: str) -> str:
    """A result (anything with ``to_text``, ``to_markdown``, ``to_latex`` and ``to_dict``) in ``fmt``."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2)
    renderers = {"text": result.to_text, "markdown": result.to_markdown, "latex": result.to_latex}
    return str(renderers[fmt]())


def _cmd_gradient(args: argparse.Namespace) -> int:
    from .derive.multivariable import gradient

    print_output(_render(gradient(args.expr, _vars(args), detail=args.detail), args.format))
    return 0


def _cmd_hessian(args: argparse.Namespace) -> int:
    from .derive.multivariable import hessian

    print_output(_render(hessian(args.expr, _vars(args), detail=args.detail), args.format))
    return 0


def _cmd_matrix_gradient(args: argparse.Namespace) -> int:
    from .derive.matrix import matrix_gradient, matrix_hessian, matrix_jacobian

    if args.claim is not None:
        from .teach.matrix_check import check_matrix_gradient

        verdict = check_matrix_gradient(args.expr, args.claim, args.wrt, shapes=args.shapes)
        print_output(_render(verdict, args.format))
        return 0 if verdict.ok else 1
    make = {"gradient": matrix_gradient, "jacobian": matrix_jacobian, "hessian": matrix_hessian}[args.kind]
    print_output(_render(make(args.expr, args.wrt, args.shapes), args.format))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .teach.check import check_gradient

    result = check_gradient(args.expr, args.claim, _vars(args), assume=args.assume)
    print_output(_render(result, args.format))
    return 0 if result.ok else 1


def _cmd_critical(args: argparse.Namespace) -> int:
    from .derive.critical import critical_points

    print_output(_render(critical_points(args.expr, _vars(args), timeout=args.timeout), args.format))
    return 0


def _cmd_lagrange(args: argparse.Namespace) -> int:
    from .derive.critical import lagrange

    print_output(
        _render(lagrange(args.expr, args.constraint, _vars(args), timeout=args.timeout), args.format)
    )
    return 0


def _cmd_descend(args: argparse.Namespace) -> int:
    from .numeric.minimize import minimize

    if args.plot:
        _writable(args.plot)  # before the run, not after it
    with np.errstate(all="ignore"):  # an overflow is reported as a divergence, not as NumPy's warning
        res = minimize(
            args.expr,
            args.x0,
            args.method,
            lr=args.lr,
            variables=_vars(args),
            max_iter=args.max_iter,
            gtol=args.gtol,
        )
        check = res.verify()
    path = res.history["x"]
    print(f"method: {res.method}, start {path[0].tolist()}")
    shown = sorted({0, len(path) // 4, len(path) // 2, 3 * len(path) // 4, len(path) - 1})
    for k in shown:
        print(
            f"  iteration {k:6d}: x = {np.array2string(path[k], precision=6)}, f = {res.history['fun'][k]:.6g}"
        )
    print(f"result: x = {np.array2string(res.x, precision=8)}, f = {res.fun:.6g}, {res.nit} iterations")
    print(f"status: {res.message}")
    print(f"check: {check}")
    if args.plot:
        from .plotting import contour_paths, loss_curves

        if len(res.x) == 2:
            contour_paths(args.expr, {res.method: path}, variables=_vars(args), save=args.plot)
        else:
            loss_curves({res.method: res.history["fun"]}, save=args.plot)
        print(f"plot written to {args.plot}")
    return 0 if res.success else 1


def _cmd_backprop(args: argparse.Namespace) -> int:
    from .teach.backprop import backprop

    dot = _writable(args.dot) if args.dot else None
    trace = backprop(args.expr, args.at, args.wrt)
    if dot is not None:
        try:
            dot.write_text(trace.to_dot(), encoding="utf-8")
        except OSError as err:
            raise SymcalcError(f"cannot write {args.dot}: {err.strerror or err}") from None
    print_output(_render(trace, args.format))
    return 0 if trace.matches else 1


def _cmd_solve(args: argparse.Namespace) -> int:
    from .batch import executor_for, load_problems, run_batch

    jobs = load_problems(args.problems)
    executor, close = executor_for(args.executor, args.scheduler)
    try:
        report = run_batch(
            jobs,
            out=args.out,
            executor=executor,
            time_limit=args.time_limit,
            shard_size=args.shard_size,
            fmt=args.format,
            memory_limit=_memory_bytes(args),
            retry_failed=args.retry_failed,
            progress=not args.quiet,
        )
    finally:
        close()
    print(report.summary())
    return 0 if report.failed == 0 and not report.bad else 1


def _cmd_grade(args: argparse.Namespace) -> int:
    from .batch import executor_for, grade

    executor, close = executor_for(args.executor, args.scheduler)
    try:
        summary = grade(
            args.submissions,
            args.key,
            out=args.out,
            executor=executor,
            time_limit=args.time_limit,
            memory_limit=_memory_bytes(args),
            keep=args.keep,
            retry_failed=args.retry_failed,
            progress=not args.quiet,
        )
    finally:
        close()
    n = sum(p["answers"] for p in summary["problems"].values())
    extra = summary["graded"] - n
    failed = summary["graded"] - summary["statuses"].get("ok", 0)
    notes = [f"{extra} repeated submission(s) kept, the {summary['keep']} counts"] if extra else []
    notes += [f"{failed} answer(s) could not be checked"] if failed else []
    notes += [f"{len(summary['bad_rows'])} bad row(s) not graded"] if summary["bad_rows"] else []
    print(
        f"graded {n} answers from {len(summary['students'])} students on {len(summary['problems'])} problems"
        + "".join(f"; {note}" for note in notes)
        + f"; summary in {args.out}/summary.md, database {args.out}/grades.sqlite"
    )
    for bad in summary["bad_rows"][:20]:
        print(f"  bad row: {bad['source']} line {bad['line']}: {bad['reason']}")
    if len(summary["bad_rows"]) > 20:
        print(f"  ... and {len(summary['bad_rows']) - 20} more bad rows (summary.md lists them all)")
    return 0 if not failed and not summary["bad_rows"] else 1


def _memory_bytes(args: argparse.Namespace) -> int | None:
    if args.memory_limit is None:
        return None
    if args.memory_limit <= 0:
        raise SymcalcError(f"--memory-limit is a positive number of MB, not {args.memory_limit}")
    return int(args.memory_limit * 2**20)


def _add_batch(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (a rerun resumes there)")
    p.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local process pool (default) or Dask (a LocalCluster, or --scheduler)",
    )
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786", help="a running Dask scheduler")
    p.add_argument(
        "--time-limit",
        type=float,
        default=20.0,
        dest="time_limit",
        help="CPU seconds of its own work a problem may use before it is stopped and reported (default: 20)",
    )
    p.add_argument(
        "--memory-limit",
        type=int,
        default=None,
        dest="memory_limit",
        metavar="MB",
        help="memory a problem may take beyond its worker's own, in MB (default: no limit)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        dest="retry_failed",
        help="compute again the problems an earlier run in --out reported as failed",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_tour(args: argparse.Namespace) -> int:
    from .tour import run_tour

    out = _writable(args.out, folder=True)
    try:
        out.mkdir(exist_ok=True)  # the folder asked for, never the folders above it
    except OSError as err:
        raise SymcalcError(f"cannot write {args.out}: {err.strerror or err}") from None
    return run_tour(out=out)


def _cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve

    serve(args.host, args.port, workers=args.workers, time_limit=args.time_limit)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symcalc",
        description="Calculus for machine learning, explained and checked.",
        epilog="An expression or a number may start with '-': symcalc diff -x^2, --claim -sin(x), "
        "--x0 -1.2,1 (--x0=-1.2,1 works too). Exit status: 0 done, 1 the answer is no (a wrong component, "
        "no convergence), 2 bad input, 70 an internal error (SYMCALC_DEBUG=1 shows the traceback).",
    )
    parser.add_argument("--version", action="version", version=f"symcalc {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("parse", help="read text or LaTeX and print what symcalc understood")
    p.add_argument("expr", help='the expression, e.g. "x^2 sin(x)" or "\\frac{1}{x}"')
    _add_common(p, formats=("text", "markdown", "latex", "json"), detail=False)
    p.set_defaults(run=_cmd_parse)

    p = sub.add_parser(
        "diff",
        help="differentiate with a worked, checked solution (with --vars x,y: each partial derivative in turn)",
    )
    p.add_argument("expr", help='the function, e.g. "x^2 sin(x)"; or an equation with --implicit y')
    _add_common(p)
    p.add_argument("--order", type=int, default=1, help="how many times to differentiate (default: 1)")
    p.add_argument(
        "--implicit",
        metavar="Y",
        default=None,
        help="treat EXPR as an equation defining Y as a function of the variable: dY/dx (--order 1 or 2)",
    )
    p.add_argument(
        "--known",
        metavar="RULES",
        default=None,
        help="rules the learner knows already, applied silently: rule ids such as power,sum (see docs/rules.md)",
    )
    p.set_defaults(run=_cmd_diff)

    p = sub.add_parser(
        "gradient", aliases=["grad"], help="the gradient, one worked partial derivative per variable"
    )
    p.add_argument("expr", help='the function, e.g. "x^2*y + y^3"')
    _add_common(p)
    p.set_defaults(run=_cmd_gradient)

    p = sub.add_parser("hessian", help="the Hessian, from the gradient's components")
    p.add_argument("expr", help='the function, e.g. "x^3 - 3*x*y + y^3"')
    _add_common(p)
    p.set_defaults(run=_cmd_hessian)

    p = sub.add_parser(
        "matrix-gradient",
        help="a gradient in matrix form (vectors and matrices), by the differential method, checked entrywise",
    )
    p.add_argument("expr", help='the scalar function, e.g. "‖Xw - y‖^2/n" or "\\frac{1}{n}\\|Xw - y\\|^2"')
    p.add_argument("--shapes", required=True, help='the shapes, e.g. "X: n x m, w: m, y: n"')
    p.add_argument("--wrt", default=None, help="the variable (may be omitted when there is one)")
    p.add_argument(
        "--kind",
        choices=("gradient", "jacobian", "hessian"),
        default="gradient",
        help="the gradient (default), the Jacobian of a vector function, or the Hessian by a vector",
    )
    p.add_argument(
        "--claim",
        default=None,
        metavar="EXPR",
        help='check a claimed gradient in matrix form, e.g. "2X^T(Xw - y)/n" (exit status 1 when it is wrong)',
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.set_defaults(run=_cmd_matrix_gradient)

    p = sub.add_parser("check", help="check a hand-derived gradient: which components are right, and why not")
    p.add_argument("expr", help="the function")
    p.add_argument(
        "--claim",
        action="append",
        required=True,
        metavar="EXPR",
        help="one claimed partial derivative, in variable order; repeat per component "
        "(never split on commas: log(x, 2) has one). Read with the function's variables, so 2xy is 2*x*y; "
        "a name the function does not have is reported, not compared. Exit status 1 when a component is wrong.",
    )
    p.add_argument(
        "--assume",
        action="append",
        default=None,
        metavar="EQ",
        help='an equation the comparison may use, "lhs = rhs" (or an expression meaning expr = 0), e.g. '
        '"y1 + y2 + y3 = 1"; it is solved for a symbol that is not a variable. Repeat for several.',
    )
    _add_common(p, detail=False)
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser("critical", help="critical points, classified, with the test that decided each")
    p.add_argument("expr", help='the function, e.g. "x^3 - 3*x*y + y^3"')
    _add_common(p)
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        help=f"seconds for the symbolic solve, above 0 and at most {MAX_TIMEOUT:g} (default: 5)",
    )
    p.set_defaults(run=_cmd_critical)

    p = sub.add_parser("lagrange", help="extrema under equality constraints, by Lagrange multipliers")
    p.add_argument("expr", help="the objective")
    p.add_argument(
        "--constraint",
        action="append",
        required=True,
        metavar="EQ",
        help='a constraint "lhs = rhs" (or an expression meaning expr = 0); repeat for several',
    )
    _add_common(p)
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        help=f"seconds for the symbolic solve, above 0 and at most {MAX_TIMEOUT:g} (default: 5)",
    )
    p.set_defaults(run=_cmd_lagrange)

    p = sub.add_parser("descend", help="gradient descent from compiled gradients, checked against calculus")
    p.add_argument("expr", help='the function, e.g. "(1-x)^2 + 100(y-x^2)^2"')
    p.add_argument(
        "--x0",
        required=True,
        type=_point,
        metavar="X0",
        help="the start, one finite number per variable: --x0=-1.2,1 or --x0 -1.2,1",
    )
    p.add_argument(
        "--method",
        default="gd",
        choices=("gd", "backtracking", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton"),
    )
    p.add_argument(
        "--lr", type=_positive, default=None, help="step size, above 0 (default: from suggest_lr for gd)"
    )
    p.add_argument(
        "--max-iter",
        type=_iterations,
        default=20000,
        dest="max_iter",
        help=f"at most this many iterations, from 1 to {MAX_ITERATIONS} (default: 20000)",
    )
    p.add_argument(
        "--gtol", type=_nonnegative, default=1e-6, help="stop when the gradient norm is below this (>= 0)"
    )
    p.add_argument(
        "--plot", default=None, metavar="PNG", help="write a contour plot with the path (or a loss curve)"
    )
    _add_common(p, formats=("text",), detail=False)
    p.set_defaults(run=_cmd_descend)

    p = sub.add_parser(
        "backprop", help="the chain rule as backpropagation: forward and backward passes, checked"
    )
    p.add_argument("expr", help='e.g. "(sigmoid(w*x + b) - y)^2"')
    p.add_argument("--at", required=True, help="a value for every symbol: --at w=0.5,b=0.1,x=2,y=1")
    p.add_argument("--wrt", default=None, help="the symbols to differentiate by (default: all): --wrt w,b")
    p.add_argument("--dot", default=None, metavar="FILE", help="also write the graph as Graphviz DOT")
    _add_common(p, detail=False)
    p.set_defaults(run=_cmd_backprop)

    p = sub.add_parser("solve", help="worked solutions for a problem set (.txt or .jsonl), in parallel")
    p.add_argument("problems", help="problems.txt (one expression a line) or problems.jsonl")
    p.add_argument("--format", choices=("markdown", "latex", "json", "text"), default="markdown")
    p.add_argument("--shard-size", type=int, default=50, dest="shard_size")
    _add_batch(p)
    p.set_defaults(run=_cmd_solve)

    p = sub.add_parser("grade", help="grade submitted answers (CSV student,problem,answer) against a key")
    p.add_argument(
        "submissions", help="submissions.csv with columns student,problem,answer (';' between components)"
    )
    p.add_argument("--key", required=True, help="the problems, .jsonl")
    p.add_argument(
        "--keep",
        choices=("last", "first", "best"),
        default="last",
        help="which of a student's repeated submissions of a problem counts (default: last)",
    )
    _add_batch(p)
    p.set_defaults(run=_cmd_grade)

    p = sub.add_parser("tour", help="a guided run through the whole pipeline")
    p.add_argument(
        "--out", default="symcalc-tour", help="folder for the tour's plots (default: symcalc-tour)"
    )
    p.set_defaults(run=_cmd_tour)

    p = sub.add_parser(
        "serve", help="the tutor page in a browser: worked solutions, exercises, descent plots"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine)"
    )
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)")
    p.add_argument(
        "--workers", type=_workers, default=None, help="worker processes (default: 2 per core, at least 4)"
    )
    p.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        dest="time_limit",
        help="seconds per request (default: 3 for the preview, 10 for a solution, 15 for a descent)",
    )
    p.set_defaults(run=_cmd_serve)

    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symcalc`` command; returns the exit status and never raises.

    0 done, 1 the answer is "no", 2 bad input (``error: ...``), 70 an internal error (one line; the traceback
    with ``SYMCALC_DEBUG=1``), 130 interrupted, 141 the reader of the output went away.
    """
    try:
        status = _run(argv)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here when the output was short
        return status
    except BrokenPipeError:
        # What the Python docs advise for SIGPIPE: point stdout at devnull, so that the flush at exit does
        # not fail again, and end quietly.
        _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    """Parse the arguments and run the command, turning every exception into its status and one line."""
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version, or a bad argument (already reported on one line)
            return done.code if isinstance(done.code, int) else 2
        return int(args.run(args))
    except SymcalcError as err:
        _traceback_if_debugging()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise
    except Exception as err:  # noqa: BLE001 - the policy for bugs: one line, status 70, never silent
        _traceback_if_debugging()
        message = " ".join(str(err).split()).rstrip(".")
        if len(message) > 300:
            message = message[:297] + "..."
        print(
            f"internal error: {type(err).__name__}: {message}. This is a bug in symcalc: please report it "
            "with the command that caused it (SYMCALC_DEBUG=1 prints the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _traceback_if_debugging() -> None:
    if os.environ.get("SYMCALC_DEBUG", "") not in ("", "0"):
        traceback.print_exc()


def _quiet_stdout() -> None:
    """Send whatever is still to be written to stdout to devnull (stdout may be no real file in tests)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        pass


def print_output(text: str) -> None:
    """Print a rendering; the console may not be able to encode every character."""
    try:
        print(text)
    except UnicodeEncodeError:
        print(text.encode(sys.stdout.encoding or "ascii", "replace").decode(sys.stdout.encoding or "ascii"))
