"""Batch limits and processes: exact statuses, limits that hold on a loaded machine, retries when limits
change, no process outliving a run (even after ``kill -9``), one run per output folder; on the local pool and
on a Dask ``LocalCluster``.

The solvers below stand in for problems that crash, hog memory or spin: ``run_batch(..., solver=...)`` sends
them to the workers by reference, so they live at module level (workers import this module).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from symcalc.batch import FolderInUse, grade, load_problems, run_batch
from symcalc.batch import engine as batch_engine
from symcalc.bounded import run_bounded, run_limited, stop_helper
from symcalc.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MARK = "SYMCALC_BATCH_TEST_RUN"
os.environ.setdefault(MARK, uuid.uuid4().hex)


def _processes_marked(value: str, since: float) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        try:
            if p.pid != os.getpid() and p.create_time() >= since and p.environ().get(MARK) == value:
                if "resource_tracker" not in " ".join(p.cmdline()) or value != os.environ[MARK]:
                    found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


#: Processes meant to outlive a test: the module's Dask cluster.
_KEEP: set[int] = set()


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    start = time.time() - 1
    yield
    stop_helper()  # this process's helper for bounded work while it runs threads (it lives as long as we do)
    left = [p for p in _processes_marked(os.environ[MARK], start) if p.pid not in _KEEP]
    _gone, alive = psutil.wait_procs(left, timeout=30)
    assert not alive, [p.cmdline() for p in alive]


# -- solvers that misbehave on purpose ------------------------------------------------------------------


def crash_solver(job: dict, fmt: str) -> dict:
    if job["expr"] == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if job["expr"] == "exit":
        os._exit(3)
    if job["expr"] == "hog":
        return {"n": len(bytearray(2**31))}
    if job["expr"] == "spin":
        while True:
            pass
    if job["expr"] == "raise":
        raise ValueError("bad input")
    if job["expr"].startswith("busy "):  # this many seconds of CPU time, then done
        end = time.process_time() + float(job["expr"].split()[1])
        while time.process_time() < end:
            pass
    return {"task": job["task"], "rendering": f"done {job['expr']}"}


STATUS_JOBS = [
    {"id": "ok", "expr": "fine"},
    {"id": "segv", "expr": "segfault"},
    {"id": "exit", "expr": "exit"},
    {"id": "hog", "expr": "hog"},
    {"id": "spin", "expr": "spin"},
    {"id": "raise", "expr": "raise"},
]
EXPECTED_STATUSES = {
    "ok": ("ok", None),
    "segv": ("crashed", "crashed (signal SIGSEGV)"),
    "exit": ("crashed", "crashed (exit status 3)"),
    "hog": ("memory limit", "memory limit of 256 MB reached"),
    "spin": ("time limit", "time limit of 1 s reached"),
    "raise": ("error", "ValueError: bad input"),
}


def _statuses(out: Path) -> dict[str, tuple[str, str | None]]:
    return {e["id"]: (e["status"], e.get("error")) for e in json.loads((out / "index.json").read_text())}


@pytest.mark.parametrize("pool", [False, True], ids=["from-this-process", "local-pool"])
def test_each_status_says_exactly_what_happened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: bool
) -> None:
    if pool:
        monkeypatch.setattr(batch_engine, "INLINE_LIMIT", 0)
    report = run_batch(
        STATUS_JOBS,
        out=tmp_path,
        progress=False,
        time_limit=1.0,
        memory_limit=256 * 2**20,
        solver=crash_solver,
    )
    assert _statuses(tmp_path) == EXPECTED_STATUSES
    assert report.statuses == {"ok": 1, "crashed": 2, "memory limit": 1, "time limit": 1, "error": 1}
    assert (tmp_path / "ok.md").read_text() == "done fine\n"


def test_the_memory_limit_reaches_the_problem_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "expr": "x^2"}\n')
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--memory-limit", "300", "--quiet"]) == 0
    records = [
        json.loads(x)
        for f in (tmp_path / "o" / ".shards").glob("*.jsonl")
        for x in f.read_text().splitlines()
    ]
    assert [r["limits"] for r in records] == [{"time": 20.0, "memory": 300 * 2**20}]


@pytest.fixture
def forked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests below pass a local function, which only a child forked from this process can run (the helper
    that serves a threaded process takes only what it can import): fork here even if an earlier test left a
    thread running for good (Dask's offload thread), which would otherwise send the work to a thread."""
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "never")


def test_a_memory_error_raised_inside_symcalc_is_the_memory_limit(forked_here: None) -> None:
    def build() -> None:
        try:
            bytearray(2**31)
        except MemoryError as err:
            from symcalc.errors import LimitError

            raise LimitError("the expression is too large to build (MemoryError)") from err

    outcome = run_limited(build, (), time_limit=5.0, memory_limit=128 * 2**20)
    assert outcome.status == "memory limit" and "too large" in str(outcome.error)


# -- the clock: a problem's own work, on a busy machine --------------------------------------------------


@pytest.fixture
def busy_machine():
    """Every core (and one more) kept busy by other processes while the test runs."""
    procs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range((os.cpu_count() or 1) * 2 + 1)
    ]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


HANGING = [
    {"id": "slow", "task": "critical", "expr": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"},
    {"id": "fast", "task": "derivative", "expr": "x^3"},
]


def test_a_hanging_problem_is_cut_at_its_limit_on_a_loaded_machine(
    tmp_path: Path, busy_machine: None
) -> None:
    report = run_batch(HANGING, out=tmp_path, progress=False, time_limit=1.0)
    assert report.done == 1 and report.failures == [("slow", "time limit of 1 s reached")]


def test_the_limit_counts_cpu_time_of_the_work_itself(busy_machine: None) -> None:
    # 0.5 s of CPU time takes far longer on this busy machine; it is within a 1.5 s limit all the same
    outcome = run_limited(crash_solver, ({"expr": "busy 0.5", "task": "t"}, "text"), time_limit=1.5)
    assert outcome.status == "ok" and 0.4 < outcome.cpu_seconds < 1.5


def test_a_nested_limit_inside_a_problem_runs_in_place_on_cpu_time(forked_here: None) -> None:
    def outer() -> str:
        from symcalc.bounded import TimedOut

        try:
            run_bounded(crash_solver, ({"expr": "spin", "task": "t"}, "text"), 0.3)
        except TimedOut:
            return f"inner cut in process {os.getpid()}"
        return "not cut"

    outcome = run_limited(outer, (), time_limit=5.0)
    assert outcome.status == "ok" and outcome.value.startswith("inner cut") and outcome.cpu_seconds < 2


# -- retries ---------------------------------------------------------------------------------------------


def test_failures_for_a_limit_are_retried_when_the_limits_change(tmp_path: Path) -> None:
    jobs = [{"id": "b", "expr": "busy 0.6"}, {"id": "r", "expr": "raise"}, {"id": "f", "expr": "fine"}]
    first = run_batch(jobs, out=tmp_path, progress=False, time_limit=0.3, solver=crash_solver)
    assert _statuses(tmp_path)["b"] == ("time limit", "time limit of 0.3 s reached") and first.done == 1
    same = run_batch(jobs, out=tmp_path, progress=False, time_limit=0.3, solver=crash_solver)
    assert same.computed_shards == 0 and _statuses(tmp_path)["b"][0] == "time limit"
    higher = run_batch(jobs, out=tmp_path, progress=False, time_limit=10.0, solver=crash_solver)
    assert higher.computed_shards == 1 and _statuses(tmp_path)["b"] == ("ok", None)
    assert _statuses(tmp_path)["r"] == ("error", "ValueError: bad input")  # an error is not a limit: kept
    lower = run_batch(jobs, out=tmp_path, progress=False, time_limit=0.3, solver=crash_solver)
    assert lower.computed_shards == 0 and _statuses(tmp_path)["b"] == ("ok", None)  # solved stays solved


def test_retry_failed_computes_every_failure_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = [{"id": "r", "expr": "raise"}, {"id": "f", "expr": "fine"}]
    run_batch(jobs, out=tmp_path, progress=False, solver=crash_solver)
    again = run_batch(jobs, out=tmp_path, progress=False, solver=crash_solver, retry_failed=True)
    assert again.computed_shards == 1 and again.failures == [("r", "ValueError: bad input")]
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "expr": "sin(x"}\n')
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--quiet", "--retry-failed"]) == 1
    assert "1 shard(s) computed, 0 reused" in capsys.readouterr().out.splitlines()[-2]


# -- processes: none outlive the run ---------------------------------------------------------------------


def _cli(*args: str, marker: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, MARK: marker, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "symcalc", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, what: str, limit: float = 300.0) -> None:
    """Poll until ``condition()``; the limit only bounds a broken run, it is not a measurement."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def _some_problems(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"first{n}.jsonl"
    path.write_text("".join((EXAMPLES / "problems.jsonl").read_text().splitlines(keepends=True)[:n]))
    return path


def _first_shard_written(out: Path) -> bool:
    shards = out / ".shards"
    return shards.is_dir() and any(
        p.suffix == ".jsonl" and not p.name.startswith(".") for p in shards.iterdir()
    )


def _visible(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".shards" not in p.parts
    }


def test_kill_9_leaves_no_process_and_the_rerun_is_byte_identical(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    since = time.time() - 1
    out = tmp_path / "killed"
    problems = _some_problems(tmp_path, 12)
    run = _cli("solve", str(problems), "--out", str(out), "--shard-size", "1", "--quiet", marker=marker)
    _wait_for(lambda: _first_shard_written(out), "a first shard")
    tree = psutil.Process(run.pid).children(recursive=True)
    assert tree, "the run has workers"
    run.kill()  # SIGKILL: no clean-up runs in the main process
    run.communicate()
    assert not (out / "index.json").exists(), "killed before the end"
    _gone, alive = psutil.wait_procs(_processes_marked(marker, since), timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    # the rerun resumes, and gives the same bytes as a run that was never interrupted
    jobs = load_problems(problems)
    resumed = run_batch(jobs, out=out, progress=False, shard_size=1)
    assert resumed.skipped_shards >= 1 and resumed.done == 12
    run_batch(jobs, out=tmp_path / "clean", progress=False, shard_size=1)
    assert _visible(out) == _visible(tmp_path / "clean")


def test_kill_9_leaves_no_process_on_dask_either(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    marker = uuid.uuid4().hex
    since = time.time() - 1
    out = tmp_path / "o"
    args = ["solve", str(_some_problems(tmp_path, 12)), "--out", str(out), "--shard-size", "1", "--quiet"]
    run = _cli(*args, "--executor", "dask", marker=marker)
    _wait_for(lambda: _first_shard_written(out), "a first shard")
    run.kill()
    run.communicate()
    _gone, alive = psutil.wait_procs(_processes_marked(marker, since), timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]


def test_ctrl_c_stops_the_run_keeps_its_shards_and_leaves_no_process(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    since = time.time() - 1
    out = tmp_path / "o"
    problems = _some_problems(tmp_path, 12)
    run = _cli("solve", str(problems), "--out", str(out), "--shard-size", "1", "--quiet", marker=marker)
    _wait_for(lambda: _first_shard_written(out), "a first shard")
    run.send_signal(signal.SIGINT)
    _stdout, stderr = run.communicate()
    assert run.returncode == 130 and stderr.decode().strip().endswith("interrupted")
    _gone, alive = psutil.wait_procs(_processes_marked(marker, since), timeout=30)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    assert (out / ".lock").read_text() == ""
    rerun = run_batch(load_problems(problems), out=out, progress=False, shard_size=1)
    assert rerun.skipped_shards >= 1 and rerun.done == 12


def test_two_runs_into_one_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = uuid.uuid4().hex
    out = tmp_path / "o"
    problems = _some_problems(tmp_path, 16)
    first = _cli(
        "solve",
        str(problems),
        "--out",
        str(out),
        "--shard-size",
        "1",
        "--quiet",
        marker=marker,
    )
    lock = out / ".lock"
    _wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), "the first run's lock")
    assert main(["solve", str(problems), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {out} is in use by another symcalc run (process {first.pid}); "
        "wait for it to finish, or choose another --out\n"
    )
    with pytest.raises(FolderInUse):
        grade(EXAMPLES / "submissions.csv", EXAMPLES / "key.jsonl", out=out, progress=False)
    stdout, stderr = first.communicate()
    assert first.returncode == 0, stderr.decode()
    assert b"16 solved, 0 failed" in stdout
    assert lock.read_text() == ""  # released, and the folder looks the same after every run
    again = run_batch(load_problems(problems), out=out, progress=False, shard_size=1)
    assert again.computed_shards == 0 and again.done == 16


def test_two_grading_runs_into_one_folder(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    out = tmp_path / "g"
    args = [
        "grade",
        str(EXAMPLES / "submissions.csv"),
        "--key",
        str(EXAMPLES / "key.jsonl"),
        "--out",
        str(out),
    ]
    runs = [_cli(*args, "--quiet", marker=marker) for _ in range(2)]
    results = [(r.communicate()[1].decode(), r.returncode) for r in runs]
    results = [(code, err) for err, code in results]
    codes = sorted(code for code, _err in results)
    assert codes in ([0, 0], [0, 2]), results  # one after the other, or the second told the folder is in use
    for code, err in results:
        assert code == 0 or "is in use by another symcalc run" in err
        assert "Traceback" not in err and "disk I/O error" not in err
    assert main([*args, "--quiet"]) == 0
    assert (out / "grades.sqlite").exists() and not list(out.glob(".tmp-*"))


# -- Dask ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_executor():
    pytest.importorskip("distributed")
    from symcalc.batch import executor_for

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    executor, close = executor_for("dask")
    _KEEP.update(p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before)
    try:
        yield executor
    finally:
        close()
        _KEEP.clear()


def test_statuses_and_limits_on_dask(tmp_path: Path, dask_executor) -> None:
    run_batch(
        STATUS_JOBS,
        out=tmp_path,
        executor=dask_executor,
        progress=False,
        time_limit=1.0,
        memory_limit=256 * 2**20,
        solver=crash_solver,
    )
    assert _statuses(tmp_path) == EXPECTED_STATUSES


def test_a_hanging_problem_is_cut_at_its_limit_on_dask(tmp_path: Path, dask_executor) -> None:
    report = run_batch(HANGING, out=tmp_path, executor=dask_executor, progress=False, time_limit=1.0)
    assert report.done == 1 and report.failures == [("slow", "time limit of 1 s reached")]


def test_dask_gives_the_same_bytes_with_limits_and_failures(tmp_path: Path, dask_executor) -> None:
    jobs = [*load_problems(EXAMPLES / "problems.jsonl")[:8], {"id": "bad", "expr": "sin(x"}, [1, 2]]
    run_batch(jobs, out=tmp_path / "local", progress=False, memory_limit=512 * 2**20)
    run_batch(jobs, out=tmp_path / "dask", executor=dask_executor, progress=False, memory_limit=512 * 2**20)
    local, dask_out = _visible(tmp_path / "local"), _visible(tmp_path / "dask")
    assert local == dask_out and len(local) == 8 + 3  # 8 solutions, index.json, index.md, .lock


def deadline_solver(job: dict, fmt: str) -> dict:
    """A problem whose own symcalc deadline (``verify.within``) must fire inside its child."""
    from symcalc.bounded import TimedOut
    from symcalc.derive.verify import within

    try:
        within(crash_solver, ({"expr": "spin", "task": "t"}, fmt), 0.3)
    except TimedOut:
        return {"task": "t", "rendering": "deadline fired"}
    return {"task": "t", "rendering": "deadline did not fire"}


def test_symcalc_deadlines_fire_inside_a_batch_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_engine, "INLINE_LIMIT", 0)  # the pool's workers compute nothing themselves
    report = run_batch(
        [{"id": "d", "expr": "x"}], out=tmp_path, progress=False, time_limit=5.0, solver=deadline_solver
    )
    assert report.results["d"]["rendering"] == "deadline fired"


def test_symcalc_deadlines_fire_in_a_child_of_a_process_that_just_used_one(tmp_path: Path) -> None:
    """The deadline watchdog is a thread: a child forked while it runs here starts its own (verify.py resets
    its state after a fork)."""
    from symcalc.derive.verify import within

    within(sum, ([1, 2],), 1.0)  # this process now has a deadline watchdog, for 5 s
    report = run_batch(
        [{"id": "d", "expr": "x"}], out=tmp_path, progress=False, time_limit=2.0, solver=deadline_solver
    )
    assert report.results["d"]["rendering"] == "deadline fired"


def test_a_child_never_finalizes_its_parents_garbage() -> None:
    """A thread of this process holds a lock while the child starts; garbage whose finalizer takes that lock
    must not run in the child (the thread, and so the unlock, do not exist there): it used to wait 60 s."""
    import gc
    import threading

    lock = threading.Lock()
    finalized: list[int] = []

    class Finalizes:
        def __init__(self) -> None:
            self.cycle = self

        def __del__(self) -> None:
            if lock.acquire(timeout=60):
                lock.release()
            finalized.append(1)

    gc.disable()
    try:
        Finalizes()  # garbage in a cycle: only the collector can finalize it
        held, done = threading.Event(), threading.Event()

        def hold() -> None:
            with lock:
                held.set()
                done.wait()

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait()
        try:
            outcome = run_limited(
                crash_solver, ({"expr": "busy 0.05", "task": "t"}, "text"), time_limit=2.0, wall_limit=30.0
            )
            # a fresh child of a ChildRunner, too
            from symcalc.bounded import ChildRunner

            with ChildRunner() as runner:
                again = runner.run(gc.collect, (), time_limit=2.0, wall_limit=30.0)
        finally:
            done.set()
            holder.join()
    finally:
        gc.enable()
        gc.collect()
    assert outcome.status == "ok" and again.status == "ok"
