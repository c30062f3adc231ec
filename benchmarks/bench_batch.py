"""Batch throughput: problems per second for the local process pool and a Dask LocalCluster, as a ratio to a
serial loop in the same run (goal, issue 12: at least 1.8x serial on 2 cores for both).

Run: ``python benchmarks/bench_batch.py`` (Dask part needs ``pip install 'symcalc[dask]'``). Also prints the
measured cost per problem and a projection for 2 million checks on N workers.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from symcalc.batch.engine import _bounded_job, executor_for, load_problems, run_batch

PROBLEMS = Path(__file__).resolve().parents[1] / "examples" / "problems.jsonl"


def main() -> None:
    jobs = [j for j in load_problems(PROBLEMS) if j["task"] in ("derivative", "gradient", "hessian", "check")]
    jobs = [dict(j, id=f"{j['id']}_{k}", expr=j["expr"] + f" + {k}*0") for k in range(3) for j in jobs]
    start = time.perf_counter()
    for job in jobs:
        _bounded_job(job, "markdown", 20.0)
    serial = time.perf_counter() - start
    print(
        f"{len(jobs)} problems; serial: {serial:.2f} s ({len(jobs) / serial:.1f}/s, {serial / len(jobs) * 1e3:.0f} ms each)"
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_batch(jobs, out=out, progress=False, resume=False)
        local = time.perf_counter() - start
    print(f"local pool: {local:.2f} s, {serial / local:.2f}x serial")
    try:
        executor, close = executor_for("dask")
    except Exception as err:  # noqa: BLE001
        print(f"dask: skipped ({err})")
    else:
        try:
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                run_batch(jobs, out=out, executor=executor, progress=False, resume=False)
                elapsed = time.perf_counter() - start
            print(f"dask LocalCluster: {elapsed:.2f} s, {serial / elapsed:.2f}x serial")
        finally:
            close()
    per = serial / len(jobs)
    for workers in (2, 32, 256):
        print(
            f"projection: 2,000,000 checks at {per * 1e3:.0f} ms each on {workers} workers: "
            f"{2e6 * per / workers / 3600:.1f} h"
        )


if __name__ == "__main__":
    main()
