"""The ``symcalc`` command: one vocabulary for every subcommand.

``--vars x,y`` (alias ``--var``), ``--format text|markdown|latex|json``, ``--detail brief|standard|full``.
Errors print their message (with a caret under the place) to stderr and exit with status 2, no traceback.
A negative number after an option is written with ``=``: ``--x0=-1.2,1``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import numpy as np
import sympy

from .errors import SymcalcError

FORMATS = ("text", "markdown", "latex", "json")


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
    if not args.vars:
        return None
    return [v.strip() for v in args.vars.split(",") if v.strip()]


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
    from .derive.derivative import derivative, implicit_derivative

    variables = _vars(args)
    var = variables[0] if variables else None
    if args.implicit:
        d = implicit_derivative(args.expr, args.implicit, var or "x", order=args.order, detail=args.detail)
    else:
        d = derivative(args.expr, var, order=args.order, detail=args.detail)
    render = {
        "text": d.to_text,
        "markdown": d.to_markdown,
        "latex": d.to_latex,
        "json": lambda: json.dumps(d.to_dict(), indent=2),
    }[args.format]
    print_output(render())
    return 0


def _render(result: object, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2)  # type: ignore[attr-defined]
    return {
        "text": result.to_text,
        "markdown": result.to_markdown,  # type: ignore[attr-defined]
        "latex": result.to_latex,
    }[fmt]()  # type: ignore[attr-defined]


def _cmd_gradient(args: argparse.Namespace) -> int:
    from .derive.multivariable import gradient

    print_output(_render(gradient(args.expr, _vars(args), detail=args.detail), args.format))
    return 0


def _cmd_hessian(args: argparse.Namespace) -> int:
    from .derive.multivariable import hessian

    print_output(_render(hessian(args.expr, _vars(args), detail=args.detail), args.format))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .teach.check import check_gradient

    result = check_gradient(args.expr, args.claim, _vars(args))
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


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SymcalcError(f"expected numbers separated by commas, got {text!r}") from None


def _cmd_descend(args: argparse.Namespace) -> int:
    from .numeric.minimize import minimize

    res = minimize(
        args.expr,
        _floats(args.x0),
        args.method,
        lr=args.lr,
        variables=_vars(args),
        max_iter=args.max_iter,
        gtol=args.gtol,
    )
    path = res.history["x"]
    print(f"method: {res.method}, start {path[0].tolist()}")
    shown = sorted({0, len(path) // 4, len(path) // 2, 3 * len(path) // 4, len(path) - 1})
    for k in shown:
        print(
            f"  iteration {k:6d}: x = {np.array2string(path[k], precision=6)}, f = {res.history['fun'][k]:.6g}"
        )
    print(f"result: x = {np.array2string(res.x, precision=8)}, f = {res.fun:.6g}, {res.nit} iterations")
    print(f"status: {res.message}")
    print(f"check: {res.verify()}")
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

    trace = backprop(args.expr, args.at, args.wrt)
    if args.dot:
        with open(args.dot, "w", encoding="utf-8") as fh:
            fh.write(trace.to_dot())
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
            memory_limit=args.memory_limit * 2**20 if args.memory_limit else None,
            progress=not args.quiet,
        )
    finally:
        close()
    print(report.summary())
    return 0 if report.failed == 0 else 1


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
            progress=not args.quiet,
        )
    finally:
        close()
    n = sum(p["answers"] for p in summary["problems"].values())
    print(
        f"graded {n} answers from {len(summary['students'])} students on {len(summary['problems'])} problems; "
        f"summary in {args.out}/summary.md, database {args.out}/grades.sqlite"
    )
    return 0


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
        help="seconds per problem before it is stopped and reported (default: 20)",
    )
    p.add_argument(
        "--memory-limit",
        type=int,
        default=None,
        dest="memory_limit",
        metavar="MB",
        help="memory cap per problem, in MB (default: none)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_tour(args: argparse.Namespace) -> int:
    from .tour import run_tour

    return run_tour(out=args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symcalc",
        description="Calculus for machine learning, explained and checked.",
        epilog="A negative number after an option is written with '=': --x0=-1.2,1 (argparse would read "
        "'--x0 -1.2,1' as an option).",
    )
    parser.add_argument("--version", action="version", version=f"symcalc {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("parse", help="read text or LaTeX and print what symcalc understood")
    p.add_argument("expr", help='the expression, e.g. "x^2 sin(x)" or "\\frac{1}{x}"')
    _add_common(p, formats=("text", "markdown", "latex", "json"), detail=False)
    p.set_defaults(run=_cmd_parse)

    p = sub.add_parser("diff", help="differentiate with a worked, checked solution")
    p.add_argument("expr", help='the function, e.g. "x^2 sin(x)"; or an equation with --implicit y')
    _add_common(p)
    p.add_argument("--order", type=int, default=1, help="how many times to differentiate (default: 1)")
    p.add_argument(
        "--implicit",
        metavar="Y",
        default=None,
        help="treat EXPR as an equation defining Y as a function of the variable: dY/dx",
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

    p = sub.add_parser("check", help="check a hand-derived gradient: which components are right, and why not")
    p.add_argument("expr", help="the function")
    p.add_argument(
        "--claim",
        action="append",
        required=True,
        metavar="EXPR",
        help="one claimed partial derivative, in variable order; repeat per component "
        "(never split on commas: log(x, 2) has one). Exit status 1 when a component is wrong.",
    )
    _add_common(p, detail=False)
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser("critical", help="critical points, classified, with the test that decided each")
    p.add_argument("expr", help='the function, e.g. "x^3 - 3*x*y + y^3"')
    _add_common(p)
    p.add_argument("--timeout", type=float, default=5.0, help="seconds for the symbolic solve (default: 5)")
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
    p.add_argument("--timeout", type=float, default=5.0, help="seconds for the symbolic solve (default: 5)")
    p.set_defaults(run=_cmd_lagrange)

    p = sub.add_parser("descend", help="gradient descent from compiled gradients, checked against calculus")
    p.add_argument("expr", help='the function, e.g. "(1-x)^2 + 100(y-x^2)^2"')
    p.add_argument(
        "--x0", required=True, help="the start, e.g. --x0=-1.2,1 (write '=' before a negative number)"
    )
    p.add_argument(
        "--method",
        default="gd",
        choices=("gd", "backtracking", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton"),
    )
    p.add_argument("--lr", type=float, default=None, help="step size (default: from suggest_lr for gd)")
    p.add_argument("--max-iter", type=int, default=20000, dest="max_iter")
    p.add_argument("--gtol", type=float, default=1e-6, help="stop when the gradient norm is below this")
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
    _add_batch(p)
    p.set_defaults(run=_cmd_grade)

    p = sub.add_parser("tour", help="a guided run through the whole pipeline")
    p.add_argument(
        "--out", default="symcalc-tour", help="folder for the tour's plots (default: symcalc-tour)"
    )
    p.set_defaults(run=_cmd_tour)

    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symcalc`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except SymcalcError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def print_output(text: str) -> None:
    """Print a rendering; the console may not be able to encode every character."""
    try:
        print(text)
    except UnicodeEncodeError:
        print(text.encode(sys.stdout.encoding or "ascii", "replace").decode(sys.stdout.encoding or "ascii"))
