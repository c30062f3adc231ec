"""Bounded work in a process that runs threads (issue 20): no fork of this process, every limit still held.

A process with threads (a Dask client, JAX, a Jupyter kernel, or just the sleeping thread below) must not
fork: the child gets only the forking thread, and any lock another thread held stays locked there for ever
(Python 3.12 warns about it). Bounded work then comes from the helper process, started from a fresh
interpreter, which forks the children itself. The proof here: ``os.fork`` of this process raises, warnings are
errors, and the answers, the time limits (wall and CPU clock), the memory limits, the nested calls, Ctrl-C and
the cleanup are all as before. No test asserts on wall-clock durations.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import sympy

import symcalc as sc
from symcalc import bounded
from symcalc.bounded import ChildRunner, TimedOut, run_bounded, run_limited, stop_helper

ROOT = Path(__file__).resolve().parents[1]


def _spin() -> None:
    while True:
        pass


def _pid_then_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(1000)


def _set_env(name: str, value: str) -> None:
    os.environ[name] = value


def _get_env(name: str) -> str | None:
    return os.environ.get(name)


def _allocate(n: int) -> int:
    return len(bytearray(n))


def _solve_dicts(eqs: list[sympy.Expr], xs: list[sympy.Symbol]) -> list[dict[sympy.Symbol, sympy.Expr]]:
    return sympy.solve(eqs, xs, dict=True)  # type: ignore[no-any-return]


def _inner_cut() -> tuple[int, str]:
    try:
        run_bounded(_spin, (), 0.3)
    except TimedOut:
        return os.getpid(), "cut"
    return os.getpid(), "not cut"


@pytest.fixture(autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    stop_helper()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    _gone, alive = psutil.wait_procs(left, timeout=30)
    assert not alive, [p.cmdline() for p in alive]


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process runs a second thread, must never fork, and every warning is an error."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True, name="a thread of the user's")
    thread.start()

    def no_fork() -> int:
        raise AssertionError("os.fork() was called in a process that runs threads")

    monkeypatch.setattr(os, "fork", no_fork)
    monkeypatch.delenv("SYMCALC_FORK_HELPER", raising=False)
    monkeypatch.delenv("SYMCALC_NO_FORK", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    stop.set()
    thread.join()


def _helper_children() -> list[psutil.Process]:
    if not bounded._HELPER:
        return []
    return psutil.Process(bounded._HELPER[0].process.pid).children()


# -- answers -----------------------------------------------------------------------------------------------


def test_values_and_errors_come_back_without_a_fork_here(threaded: None) -> None:
    assert run_bounded(pow, (2, 10), timeout=60.0) == 1024
    assert run_bounded(sorted, ([3, 1, 2],), timeout=60.0) == [1, 2, 3]
    outcome = run_limited(divmod, (7, 0), time_limit=60.0)
    assert outcome.status == "error" and isinstance(outcome.error, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        run_bounded(divmod, (7, 0), timeout=60.0)
    assert bounded._HELPER, "the helper ran the calls"
    assert bounded._HELPER[0].process.pid not in {os.getpid()}


def test_critical_points_in_a_threaded_process(threaded: None) -> None:
    result = sc.critical_points("x^3 - 3*x")
    assert [(p.coords, p.value, p.kind) for p in result.points] == [
        ((-1,), 2, "local maximum"),
        ((1,), -2, "local minimum"),
    ]


def test_lagrange_in_a_threaded_process(threaded: None) -> None:
    result = sc.lagrange("x*y", ["x + y = 2"])
    assert [(p.coords, p.value, p.kind) for p in result.points] == [((1, 1), 1, "constrained maximum")]


def test_sympy_results_round_trip(threaded: None) -> None:
    x, y = sympy.symbols("x y", real=True)
    solutions = run_bounded(_solve_dicts, ([x**2 - 4, x + y], [x, y]), timeout=60.0)
    assert sorted(s[x] for s in solutions) == [-2, 2]
    assert all(s[y] == -s[x] for s in solutions)


def test_calls_from_several_threads_at_once(threaded: None) -> None:
    results: dict[int, int] = {}

    def work(k: int) -> None:
        results[k] = run_bounded(pow, (3, k), timeout=60.0)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: 3**k for k in range(6)}


def test_a_child_runner_serves_call_after_call_from_the_helper(threaded: None) -> None:
    with ChildRunner() as runner:
        first = runner.run(os.getpid, (), time_limit=60.0)
        values = [runner.run(pow, (2, k), time_limit=60.0).value for k in range(4)]
        again = runner.run(os.getpid, (), time_limit=60.0)
        assert first.status == "ok" and first.value == again.value != os.getpid()  # one child, reused
        assert values == [1, 2, 4, 8]
        cut = runner.run(_spin, (), time_limit=0.5)
        assert cut.status == "time limit" and cut.signal == signal.SIGPROF
        fresh = runner.run(os.getpid, (), time_limit=60.0)  # the limit ended that child: a new one
        assert fresh.status == "ok" and fresh.value != first.value
        assert runner._helper is not None and not bounded._HELPER  # the runner's own helper
        helper = psutil.Process(runner._helper.process.pid)
    _gone, alive = psutil.wait_procs([helper], timeout=30)
    assert not alive  # it ended with the runner


def test_a_warm_up_runs_in_each_child_of_the_helper(threaded: None) -> None:
    with ChildRunner(prepare=(_set_env, ("SYMCALC_TEST_WARM", "yes"))) as runner:
        outcome = runner.run(_get_env, ("SYMCALC_TEST_WARM",), time_limit=60.0)
    assert outcome.value == "yes"


def test_the_child_sees_this_process_s_environment_and_folder(
    threaded: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_bounded(pow, (1, 1), timeout=60.0)  # the helper is running before the change
    monkeypatch.setenv("SYMCALC_TEST_SEEN", "42")
    assert run_bounded(_get_env, ("SYMCALC_TEST_SEEN",), timeout=60.0) == "42"
    assert run_bounded(os.getcwd, (), timeout=60.0) == str(tmp_path)


# -- limits ------------------------------------------------------------------------------------------------


def test_the_wall_clock_limit_holds(threaded: None) -> None:
    with pytest.raises(TimedOut):
        run_bounded(time.sleep, (1000,), timeout=0.5)
    assert run_limited(time.sleep, (1000,), time_limit=0.5, clock="wall").status == "time limit"
    assert _helper_children() == []  # the child was killed and reaped


def test_the_cpu_clock_limit_holds(threaded: None) -> None:
    outcome = run_limited(_spin, (), time_limit=0.5)
    assert outcome.status == "time limit" and outcome.signal == signal.SIGPROF
    assert outcome.cpu_seconds >= 0.4
    # a child that waits without computing is ended by the wall-clock backstop
    assert run_limited(time.sleep, (1000,), time_limit=60.0, wall_limit=0.5).status == "time limit"


def test_the_memory_limits_hold(threaded: None) -> None:
    with pytest.raises(MemoryError):
        run_bounded(_allocate, (2 * 2**30,), 60.0, memory_limit=2**30)  # 2 GB under a 1 GB cap in all
    assert run_bounded(_allocate, (10,), 60.0, memory_limit=2**31) == 10
    outcome = run_limited(_allocate, (2**30,), time_limit=60.0, memory_limit=256 * 2**20)
    assert outcome.status == "memory limit" and isinstance(outcome.error, MemoryError)
    with ChildRunner() as runner:
        assert runner.run(_allocate, (2**30,), time_limit=60.0, memory_limit=256 * 2**20).status == (
            "memory limit"
        )
        assert runner.run(_allocate, (10,), time_limit=60.0, memory_limit=256 * 2**20).value == 10


def test_a_crash_is_reported(threaded: None) -> None:
    outcome = run_limited(os.kill, (0, 0), time_limit=60.0)  # harmless: signal 0 checks only
    assert outcome.status == "ok"
    outcome = run_limited(os.abort, (), time_limit=60.0)
    assert outcome.status == "crashed" and outcome.signal == signal.SIGABRT
    with pytest.raises(bounded.Crashed):
        run_bounded(os._exit, (3,), timeout=60.0)


def test_a_nested_call_runs_in_place_in_the_helper_s_child(threaded: None) -> None:
    outcome = run_limited(_inner_cut, (), time_limit=60.0)
    assert outcome.status == "ok"
    pid, said = outcome.value
    assert said == "cut" and pid != os.getpid()


# -- what cannot go to the helper, and the switches -------------------------------------------------------


def test_a_function_the_helper_cannot_rebuild_runs_in_a_thread(threaded: None) -> None:
    assert run_bounded(lambda a: a + 1, (1,), timeout=60.0) == 2  # a lambda cannot be sent
    # a module that exists only in this process: sent by name, but the child cannot import it
    module = types.ModuleType("symcalc_test_only_here")
    exec("def triple(a):\n    return 3 * a\n", module.__dict__)  # noqa: S102 - a fixed test function
    sys.modules[module.__name__] = module
    try:
        assert run_bounded(module.triple, (5,), timeout=60.0) == 15
        with ChildRunner() as runner:
            assert runner.run(module.triple, (2,), time_limit=60.0).value == 6
    finally:
        del sys.modules[module.__name__]


def test_no_fork_switch_runs_in_a_thread(threaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stop_helper()
    monkeypatch.setenv("SYMCALC_NO_FORK", "1")
    assert run_bounded(pow, (2, 5), timeout=60.0) == 32
    with pytest.raises(TimedOut):
        run_bounded(time.sleep, (0.5,), timeout=0.05)
    assert not bounded._HELPER  # neither a fork nor the helper


def test_the_helper_switch_sends_single_threaded_work_there_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "always")

    def no_fork() -> int:
        raise AssertionError("forked although SYMCALC_FORK_HELPER=always")

    monkeypatch.setattr(os, "fork", no_fork)
    assert run_bounded(pow, (2, 6), timeout=60.0) == 64
    assert bounded._HELPER


def test_the_choice_of_where_to_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "never")
    assert bounded._fork_here()
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "always")
    assert not bounded._fork_here()
    monkeypatch.setenv("SYMCALC_FORK_HELPER", "auto")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert bounded._fork_here()
    monkeypatch.setitem(sys.modules, "jax", types.ModuleType("jax"))  # JAX's threads are not Python's
    assert not bounded._fork_here()
    monkeypatch.delitem(sys.modules, "jax")
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not bounded._fork_here()


IDLE_WATCHDOG_SCRIPT = """
import os, threading, warnings
from symcalc import bounded
from symcalc.bounded import run_bounded
from symcalc.derive.verify import within

threads_at_fork = []
real_fork = os.fork

def counting_fork():
    threads_at_fork.append(threading.active_count())
    return real_fork()

os.fork = counting_fork
assert within(sum, ([1, 2],), 1.0) == 3
assert threading.active_count() == 2, [t.name for t in threading.enumerate()]  # the watchdog, idle
with warnings.catch_warnings():
    warnings.simplefilter("error")
    assert run_bounded(pow, (2, 7), timeout=60.0) == 128
assert threads_at_fork == [1] and not bounded._HELPER, (threads_at_fork, bounded._HELPER)
assert within(sum, ([1, 2, 3],), 1.0) == 6  # the next deadline starts a watchdog again
print("ok")
"""


def test_an_idle_deadline_watchdog_is_ended_so_that_this_process_forks_itself() -> None:
    """symcalc's own deadline watchdog (a thread, idle for a few seconds after each use) is ended before the
    fork: a process that has nothing else running still forks itself, warm, and never with a thread. Run in a
    fresh interpreter: threads other tests leave for good (Dask's offload thread) would send this one's work
    to the helper."""
    env = {k: v for k, v in os.environ.items() if k != "SYMCALC_FORK_HELPER"}
    done = subprocess.run(
        [sys.executable, "-c", IDLE_WATCHDOG_SCRIPT], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_helper_is_started_again_when_it_has_gone(threaded: None) -> None:
    assert run_bounded(pow, (2, 2), timeout=60.0) == 4
    first = bounded._HELPER[0].process
    first.kill()
    first.wait()
    assert run_bounded(pow, (2, 3), timeout=60.0) == 8
    assert bounded._HELPER[0].process.pid != first.pid


# -- Ctrl-C and the end of the parent ----------------------------------------------------------------------


def test_ctrl_c_in_the_parent_ends_the_child(threaded: None) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    run_bounded(pow, (1, 1), timeout=60.0)  # the helper is up
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(KeyboardInterrupt):
            run_bounded(time.sleep, (1000,), timeout=600.0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    _gone, alive = psutil.wait_procs(_helper_children(), timeout=30)
    assert not alive


def test_kill_9_of_the_parent_ends_the_helper_and_its_children(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, threading, time
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from symcalc import bounded
        from test_bounded import _pid_then_sleep
        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
        bounded.run_bounded(_pid_then_sleep, ({str(tmp_path / "child")!r},), 600.0)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        child_file = tmp_path / "child"
        for _ in range(1200):  # the helper's first start imports SymPy
            if child_file.exists() and child_file.read_text():
                break
            time.sleep(0.1)
        child = psutil.Process(int(child_file.read_text()))
        helper = child.parent()
        assert helper is not None and helper.ppid() == parent.pid
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        _gone, alive = psutil.wait_procs([helper, child], timeout=30)
        assert not alive
    finally:
        parent.kill()
        parent.wait()
