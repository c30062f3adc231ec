"""Batch throughput: grading a class (rows per second) and solving a problem set (problems per second), each
beside a serial loop measured in the same run.

Grading (issue 16): 50,000 submission rows holding 788 distinct (problem, answer) pairs, the shape of a real
course's file (most students give one of a few answers). ``grade`` judges each distinct pair once, in a child
process under the limits, on every core; the serial baseline judges row by row in one process, the way a
plain loop would (measured on a sample of rows and given as rows per second), and the serial floor judges each
distinct pair once in one process with no child processes and no limits. Goal: the 50,000 rows in under 60 s
on 2 cores.

Solving (issue 12): problems per second for the local pool and a Dask ``LocalCluster`` against a serial loop
(in this process, and under the same limits as a batch: one child, one core), and a projection for 2 million
problems on N workers.

Run: ``python benchmarks/bench_batch.py`` (``--quick`` for a small run; ``--no-dask`` to skip Dask; the Dask
part needs ``pip install 'symcalc[dask]'``).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sympy.core.cache import clear_cache

from symcalc.batch import executor_for, grade, load_problems, run_batch, solve_job
from symcalc.batch.worker import Limits, run_shard

PROBLEMS = Path(__file__).resolve().parents[1] / "examples" / "problems.jsonl"

#: id, function, variables, the right gradient (one entry per variable)
KEY = [
    ("q01", "x^2*y", ["x", "y"], ["2*x*y", "x^2"]),
    ("q02", "sin(x^2)", ["x"], ["2*x*cos(x^2)"]),
    ("q03", "x^2 sin(x)", ["x"], ["2*x*sin(x) + x^2*cos(x)"]),
    ("q04", "ln(x^2 + 1)", ["x"], ["2*x/(x^2 + 1)"]),
    ("q05", "e^(3x) cos(x)", ["x"], ["3*e^(3x)*cos(x) - e^(3x)*sin(x)"]),
    ("q06", "x/(x^2 + 1)", ["x"], ["(1 - x^2)/(x^2 + 1)^2"]),
    ("q07", "sqrt(1 + x^2)", ["x"], ["x/sqrt(1 + x^2)"]),
    ("q08", "x^3 - 3*x*y + y^3", ["x", "y"], ["3*x^2 - 3*y", "3*y^2 - 3*x"]),
    (
        "q09",
        "sigmoid(w*x + b)",
        ["w", "b"],
        ["x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))", "sigmoid(w*x + b)*(1 - sigmoid(w*x + b))"],
    ),
    ("q10", "tan(3*x)", ["x"], ["3/cos(3*x)^2"]),
    ("q11", "x*e^(-x^2)", ["x"], ["e^(-x^2) - 2*x^2*e^(-x^2)"]),
    ("q12", "(x + y)^3", ["x", "y"], ["3*(x + y)^2", "3*(x + y)^2"]),
]


def class_workload(
    rows: int, pairs: int, seed: int = 16
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The key and ``rows`` submissions holding ``pairs`` distinct (problem, answer) pairs, right and wrong."""
    key = [{"id": pid, "task": "check", "expr": e, "vars": v} for pid, e, v, _ in KEY]
    per = -(-pairs // len(KEY))
    pools: dict[str, list[str]] = {}
    for pid, _e, _v, right in KEY:
        pool = [";".join(right)]
        k = 2
        while len(pool) < per:
            pool.append(";".join(f"{k}*({c})/{k}" for c in right))  # right, written another way
            pool.append(";".join(f"({c}) + {k}*x" for c in right))  # wrong by a term
            k += 1
        pools[pid] = pool[:per]
    flat = [(p, a) for p in pools for a in pools[p]][:pairs]
    rng = random.Random(seed)
    subs = []
    for i in range(rows):
        p, a = flat[i] if i < len(flat) else rng.choice(flat)
        subs.append({"student": f"s{i // len(KEY):05d}", "problem": p, "answer": a})
    return key, subs


def _cpu() -> float:
    """CPU time of this process and of its children that have ended (the pool's workers, once shut down)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _check_job(key: list[dict[str, Any]], row: dict[str, str]) -> dict[str, Any]:
    p = next(k for k in key if k["id"] == row["problem"])
    return {"task": "check", "expr": p["expr"], "vars": p["vars"], "claim": row["answer"]}


def bench_grading(rows: int, pairs: int, sample: int) -> None:
    key, subs = class_workload(rows, pairs)
    distinct = {(r["problem"], r["answer"]): r for r in subs}
    print(f"grading: {len(subs):,} rows, {len(distinct):,} distinct (problem, answer) pairs")
    clear_cache()
    start = time.perf_counter()
    for row in subs[:sample]:  # row by row, the way a plain loop grades
        solve_job(_check_job(key, row), "none")
    per_row = (time.perf_counter() - start) / sample
    print(
        f"  serial, row by row (a sample of {sample:,}): {1 / per_row:,.0f} rows/s; "
        f"all {len(subs):,} rows would take {per_row * len(subs):,.0f} s"
    )
    clear_cache()  # SymPy's cache would otherwise remember the sample's answers
    start, cpu0 = time.perf_counter(), _cpu()
    for row in distinct.values():
        solve_job(_check_job(key, row), "none")
    floor, floor_cpu = time.perf_counter() - start, _cpu() - cpu0
    print(
        f"  serial, each distinct pair once, no limits: {floor:.1f} s ({len(subs) / floor:,.0f} rows/s), "
        f"{floor_cpu:.1f} s of CPU time"
    )
    with tempfile.TemporaryDirectory() as out:
        start, cpu0 = time.perf_counter(), _cpu()
        grade(subs, key, out=out, progress=False)
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(
        f"  grade(), local pool, every pair in a child under the limits: {elapsed:.1f} s "
        f"({len(subs) / elapsed:,.0f} rows/s; {per_row * len(subs) / elapsed:,.0f}x the row-by-row loop, "
        f"{floor / elapsed:.2f}x the serial floor)"
    )
    print(
        f"  grade() used {cpu:.1f} s of CPU time in all (this process, the workers and their children): "
        f"at least {cpu / cores:.1f} s on {cores} idle cores; load average now {os.getloadavg()[0]:.1f}. "
        f"Goal: {rows:,} rows under 60 s on 2 cores"
    )


def bench_solving(dask: bool) -> None:
    jobs = [
        j
        for j in load_problems(PROBLEMS)
        if isinstance(j, dict) and j["task"] in ("derivative", "gradient", "hessian")
    ]
    jobs = [dict(j, id=f"{j['id']}_{k}", expr=f"{k + 1}*({j['expr']})") for k in range(3) for j in jobs]
    clear_cache()
    start, cpu0 = time.perf_counter(), _cpu()
    for job in jobs:
        solve_job(job, "markdown")
    serial, serial_cpu = time.perf_counter() - start, _cpu() - cpu0
    print(
        f"solving: {len(jobs)} problems; serial: {serial:.2f} s ({len(jobs) / serial:.1f}/s), "
        f"{serial_cpu:.1f} s of CPU time"
    )
    start = time.perf_counter()
    run_shard([(str(i), job) for i, job in enumerate(jobs)], "markdown", Limits(20.0))
    limited = time.perf_counter() - start
    print(f"  serial under the limits (one child in this process, one core): {limited:.2f} s")
    with tempfile.TemporaryDirectory() as out:
        start, cpu0 = time.perf_counter(), _cpu()
        run_batch(jobs, out=out, progress=False, resume=False)
        local, local_cpu = time.perf_counter() - start, _cpu() - cpu0
    print(
        f"  local pool: {local:.2f} s, {serial / local:.2f}x serial, {limited / local:.2f}x serial under the "
        f"limits; {local_cpu:.1f} s of CPU time in all (the pool's start included); "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    if dask:
        try:
            executor, close = executor_for("dask")
        except Exception as err:  # noqa: BLE001
            print(f"  dask: skipped ({err})")
        else:
            try:
                with tempfile.TemporaryDirectory() as out:
                    start = time.perf_counter()
                    run_batch(jobs, out=out, executor=executor, progress=False, resume=False)
                    elapsed = time.perf_counter() - start
                print(f"  dask LocalCluster: {elapsed:.2f} s, {serial / elapsed:.2f}x serial")
            finally:
                close()
    per = serial / len(jobs)
    for workers in (2, 32, 256):
        print(
            f"  projection: 2,000,000 problems at {per * 1e3:.0f} ms each on {workers} workers: "
            f"{2e6 * per / workers / 3600:.1f} h"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows, 120 pairs")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--only", choices=("grading", "solving"), help="run one of the two parts")
    args = parser.parse_args()
    rows, pairs, sample = (5_000, 120, 200) if args.quick else (50_000, 788, 1_000)
    if args.only != "solving":
        bench_grading(rows, pairs, sample)
    if args.only != "grading":
        bench_solving(dask=not args.no_dask)


if __name__ == "__main__":
    main()
