r"""Running work that may not finish, or may take too much memory, inside limits.

Two ways in:

- :func:`run_bounded` ``(func, args, timeout, memory_limit=None)``: the value of ``func(*args)``, or
  :class:`TimedOut` after ``timeout`` seconds of wall-clock time (what the symbolic solves of
  ``critical_points`` and ``lagrange`` use);
- :func:`run_limited`: the same run, reported as an :class:`Outcome` whose ``status`` says exactly what
  happened (``"ok"``, ``"error"``, ``"time limit"``, ``"memory limit"``, ``"crashed"``), with the time limit
  counted on the CPU clock of the work itself if asked (what batch runs use).

Where processes can be forked, ``func`` runs in a forked child. The child:

- dies with its parent (Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ctypes; elsewhere a watchdog
  thread), so killing the process that started it, even with ``kill -9``, leaves nothing running;
- ignores Ctrl-C, which is its parent's to handle;
- has its address space capped (``RLIMIT_AS``): :func:`run_limited` lets it grow by ``memory_limit`` bytes
  beyond what it started with; :func:`run_bounded` caps it at ``memory_limit`` bytes in all, as it always did;
- with ``clock="cpu"``, is stopped by the kernel (``SIGPROF`` from ``ITIMER_PROF``) once the work itself has
  used ``time_limit`` seconds of CPU time: waiting for a core on a busy machine does not count, and neither
  does starting the worker or importing SymPy. A wall-clock backstop (``wall_limit``) still ends a child that
  waits without computing.

Inside such a child, a nested call (``critical_points`` run by a batch problem) runs in place, under a timer of
the child's own CPU time: one process per problem, so its CPU time is the whole cost of the problem. Without
``fork`` (Windows, or ``SYMCALC_NO_FORK=1``) the call runs in a thread that is abandoned at the deadline.

Example:
    >>> run_bounded(pow, (2, 10), timeout=5.0)
    1024
    >>> run_limited(pow, (2, 10), time_limit=5.0).status
    'ok'
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .errors import SymcalcError

T = TypeVar("T")

__all__ = ["ChildRunner", "Crashed", "Outcome", "TimedOut", "run_bounded", "run_limited"]

Status = Literal["ok", "error", "time limit", "memory limit", "crashed"]

#: Seconds a single timer or wait may be set to (the platform's time_t refuses 1e308); longer waits loop.
_LONGEST_WAIT = 1e7
#: True in a child process started here; nested calls then run in place (see the module docstring).
_IN_CHILD = False


class TimedOut(Exception):
    """The call did not finish within its budget."""


class Crashed(SymcalcError):
    """The child process running the call died without an answer (a signal such as SIGSEGV, or an exit).

    Attributes:
        signal: the number of the signal that ended it, or ``None``.
        exitcode: its exit status when it exited, or ``None``.
    """

    def __init__(self, message: str, signal: int | None = None, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.signal = signal
        self.exitcode = exitcode


@dataclass(frozen=True)
class Outcome:
    """What happened to one call run by :func:`run_limited`.

    Attributes:
        status: ``"ok"`` (``value`` holds the result), ``"error"`` (``error`` holds the exception ``func``
            raised), ``"time limit"``, ``"memory limit"`` (``error`` holds the ``MemoryError``, or the error
            that a ``MemoryError`` caused) or ``"crashed"`` (``signal`` or ``exitcode`` says how).
        value: the return value when ``status == "ok"``.
        error: the exception, for ``"error"`` and ``"memory limit"``.
        signal: the signal that ended the child, for ``"crashed"`` (and the time limit's own ``SIGPROF``).
        exitcode: the child's exit status, for a child that exited without an answer.
        cpu_seconds: CPU time the child used (0.0 when the call ran in a thread).
    """

    status: Status
    value: Any = None
    error: BaseException | None = None
    signal: int | None = None
    exitcode: int | None = None
    cpu_seconds: float = 0.0

    def unwrap(self) -> Any:
        """The value, or the matching exception: ``TimedOut``, the error raised (a ``MemoryError`` for the
        memory limit), or :class:`Crashed`."""
        if self.status == "ok":
            return self.value
        if self.status == "time limit":
            raise TimedOut
        if self.error is not None:
            raise self.error
        if self.status == "memory limit":
            raise MemoryError("memory limit reached")
        raise Crashed(self.describe_crash(), self.signal, self.exitcode)

    def describe_crash(self) -> str:
        """``"crashed (signal SIGSEGV)"`` or ``"crashed (exit status 3)"``."""
        if self.signal is not None:
            return f"crashed (signal {signal_name(self.signal)})"
        return f"crashed (exit status {self.exitcode})"


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11; the number itself for a signal without a name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def is_memory_error(err: BaseException) -> bool:
    """True for a ``MemoryError``, or an error raised while handling or because of one."""
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, MemoryError):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


# -- dying with the parent ------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_prctl: Any = None


def _load_prctl() -> Any:
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            _prctl = False
    return _prctl


def die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` (the process that started it) ends, however it ends.

    Linux: the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``). Elsewhere a daemon thread
    checks every half second. If the parent is already gone, this process exits at once.
    """
    prctl = _load_prctl()
    if prctl:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - not Linux

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True, name="symcalc-parent-watchdog").start()
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


# -- the child --------------------------------------------------------------------------------------------


def _address_space() -> int | None:
    """This process's address space in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _limit_memory(extra: int | None, cap: int | None) -> None:
    """Cap the address space at ``cap``, or at what it is now plus ``extra``; neither: lift the cap."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if cap is None and not extra:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        return
    want = cap if cap is not None else (_address_space() or 0) + (extra or 0)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def _child_setup(parent: int) -> None:
    """First thing in every child: die with the parent, leave Ctrl-C to it, let the CPU limit end it."""
    global _IN_CHILD
    _IN_CHILD = True
    _STACK.clear()
    # the parent's objects are the parent's: never collected, so never finalized, here. A finalizer may wait
    # for a lock that another thread of the parent held at the fork (a Dask client's, say), and that thread
    # does not exist in the child. (It also spares copying the pages the collector would touch.)
    gc.freeze()
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPROF, signal.SIG_DFL)  # the CPU time limit ends the process, whatever runs


def _child_run(job: _Job, write_fd: int) -> None:
    """Run the job in this child and send back ``(kind, value)``; the caller exits the process."""
    func, args, cpu_limit, memory_limit, memory_cap = job
    if memory_limit or memory_cap:
        _limit_memory(memory_limit, memory_cap)
    message = _call(func, args, cpu_limit)
    try:
        payload = pickle.dumps(message)
    except Exception as err:  # noqa: BLE001 - an unpicklable result or error
        kind, value = message
        what = value if kind != "ok" else err
        payload = pickle.dumps(
            ("error" if kind == "ok" else kind, RuntimeError(f"{type(what).__name__}: {what}"))
        )
    with os.fdopen(write_fd, "wb") as fh:
        fh.write(payload)


#: (func, args, cpu_limit, memory_limit, memory_cap)
_Job = tuple[Callable[..., Any], tuple[Any, ...], float | None, int | None, int | None]


def _fork_run(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    cpu_limit: float | None,
    wall_limit: float,
    memory_limit: int | None,
    memory_cap: int | None = None,
) -> Outcome:
    """Fork a child with the call already in its memory (nothing is pickled on the way in)."""
    _load_prctl()  # before the fork, so the child need not load libc
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        try:
            os.close(read_fd)
            _child_setup(parent)
            _child_run((func, args, cpu_limit, memory_limit, memory_cap), write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _collect(pid, read_fd, cpu_limit, wall_limit)


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], min(left, _LONGEST_WAIT))[0]:
                continue
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _read_message(fd: int, deadline: float | None) -> bytes | None:
    """One length-prefixed message from ``fd``: None at end of file, TimeoutError past ``deadline``."""
    head = _read_exact(fd, 8, deadline)
    if head is None:
        return None
    return _read_exact(fd, int.from_bytes(head, "big"), deadline)


def _write_message(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


class _Server:
    """A child that runs the calls sent to it one at a time, each under its own limits, until one of them
    ends it (a limit, a crash) or it is told to stop."""

    def __init__(self, prepare: tuple[Callable[..., Any], tuple[Any, ...]] | None = None) -> None:
        _load_prctl()
        parent = os.getpid()
        job_r, self.job_w = os.pipe()
        self.result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.close(self.job_w)
                os.close(self.result_r)
                _child_setup(parent)
                if prepare is not None:
                    with contextlib.suppress(Exception):  # a warm-up that fails only costs time later
                        prepare[0](*prepare[1])
                limited = False
                while True:
                    data = _read_message(job_r, None)
                    if data is None:
                        break
                    func, args, cpu_limit, memory_limit, _cap = pickle.loads(data)
                    if memory_limit or limited:
                        _limit_memory(memory_limit, None)  # counted from what this child holds now
                        limited = True
                    before = os.times()
                    kind, value = _call(func, args, cpu_limit)
                    after = os.times()
                    cpu = after.user + after.system - before.user - before.system
                    _write_message(result_w, _pack(kind, value, cpu))
                    if kind == "memory":
                        break  # what a failed allocation left behind is not worth keeping
            finally:
                os._exit(0)
        os.close(job_r)
        os.close(result_w)
        self.pid = pid
        self.alive = True
        self.cpu_reported = 0.0

    def run(self, job: bytes, cpu_limit: float, wall_limit: float) -> Outcome | None:
        """The outcome of the call ``job`` (pickled); None when the child was gone before it got the call."""
        try:
            _write_message(self.job_w, job)
        except OSError:
            self.stop()
            return None
        killed = False
        try:
            data = _read_message(self.result_r, time.monotonic() + wall_limit)
        except TimeoutError:
            _kill(self.pid)
            data, killed = None, True
        if data is not None:
            try:
                kind, value, cpu = pickle.loads(data)
            except Exception as err:  # noqa: BLE001 - an error whose class cannot be rebuilt here
                kind, value, cpu = "error", RuntimeError(f"the result could not be read: {err}"), 0.0
            self.cpu_reported += cpu
            if kind == "memory":
                self.stop()  # the child leaves after a memory error
            if kind == "ok":
                return Outcome("ok", value=value, cpu_seconds=cpu)
            return Outcome("memory limit" if kind == "memory" else "error", error=value, cpu_seconds=cpu)
        # the child is gone: how it ended says what happened to this call
        status, rusage = self._reap()
        cpu = max(0.0, rusage.ru_utime + rusage.ru_stime - self.cpu_reported) if rusage is not None else 0.0
        if killed:
            return Outcome("time limit", cpu_seconds=cpu)
        return _classify(status, cpu_limit, cpu)

    def _reap(self) -> tuple[int, Any]:
        self.alive = False
        with contextlib.suppress(OSError):
            os.close(self.job_w)
        with contextlib.suppress(OSError):
            os.close(self.result_r)
        try:
            _, status, rusage = os.wait4(self.pid, 0)
        except ChildProcessError:
            return 0, None
        return status, rusage

    def stop(self) -> None:
        """End the child (it is waiting for a call, or past any use)."""
        if self.alive:
            _kill(self.pid)
            self._reap()


def _call(func: Callable[..., Any], args: tuple[Any, ...], cpu_limit: float | None) -> tuple[str, Any]:
    """``func(*args)`` under the CPU-time limit (the kernel ends the process at the limit)."""
    if cpu_limit is not None:
        signal.setitimer(signal.ITIMER_PROF, min(cpu_limit, _LONGEST_WAIT))  # the clock starts with the work
    try:
        return ("ok", func(*args))
    except BaseException as err:  # noqa: BLE001 - everything is reported to the parent
        return ("memory" if is_memory_error(err) else "error", err)
    finally:
        if cpu_limit is not None:
            signal.setitimer(signal.ITIMER_PROF, 0)


def _pack(kind: str, value: Any, cpu: float) -> bytes:
    try:
        return pickle.dumps((kind, value, cpu))
    except Exception as err:  # noqa: BLE001 - an unpicklable result or error
        what = value if kind != "ok" else err
        error = RuntimeError(f"{type(what).__name__}: {what}")
        return pickle.dumps(("error" if kind == "ok" else kind, error, cpu))


class ChildRunner:
    """Runs calls one after another in a child process forked from this one, each call under its own limits.

    The child serves call after call while they end normally (a value or an error), so what one call leaves in
    SymPy's caches helps the next, as in one process. A call that reaches a limit or crashes ends the child,
    and the next call gets a fresh one. The limits are each call's own: the CPU clock starts at the call, and
    the memory limit counts from what the child holds when the call starts. The function and its arguments
    are pickled to the child (a module-level function, plain data). ``reuse=False`` forks a fresh child for
    every call, as :func:`run_limited` does.

    ``prepare``, a ``(function, args)`` pair, runs in each new child before its first call, outside every
    limit: a warm-up (imports, caches), so that a call's clock counts only the call's own work. Doing it in the
    child rather than here keeps this process free of what the warm-up may start (threads, timers) when it
    forks.

    Example:
        >>> with ChildRunner() as runner:
        ...     [runner.run(pow, (2, k), time_limit=5.0).value for k in range(3)]
        [1, 2, 4]
    """

    def __init__(
        self, reuse: bool = True, prepare: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
    ) -> None:
        self.reuse = reuse
        self.prepare = prepare
        self._server: _Server | None = None

    def __enter__(self) -> ChildRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """End the child."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def run(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        *,
        time_limit: float,
        memory_limit: int | None = None,
        wall_limit: float | None = None,
    ) -> Outcome:
        """As :func:`run_limited` with ``clock="cpu"``."""
        if not time_limit > 0:
            raise ValueError("time_limit must be positive")
        backstop = wall_limit if wall_limit is not None else 10 * time_limit + 60.0
        if not self.reuse or not _can_fork():
            return run_limited(
                func, args, time_limit=time_limit, memory_limit=memory_limit, wall_limit=backstop
            )
        try:
            job = pickle.dumps((func, args, time_limit, memory_limit, None))
        except Exception:  # noqa: BLE001 - a closure or a lambda: it goes into a child of its own instead
            return run_limited(
                func, args, time_limit=time_limit, memory_limit=memory_limit, wall_limit=backstop
            )
        for _attempt in range(2):
            if self._server is None or not self._server.alive:
                self._server = _Server(self.prepare)
            outcome = self._server.run(job, time_limit, backstop)
            if outcome is not None:
                return outcome
        return run_limited(func, args, time_limit=time_limit, memory_limit=memory_limit, wall_limit=backstop)


def _classify(status: int, cpu_limit: float | None, cpu: float) -> Outcome:
    """The outcome of a child that ended without an answer, from its wait status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if cpu_limit is not None and sig in (signal.SIGPROF, signal.SIGXCPU):
            return Outcome("time limit", signal=sig, cpu_seconds=cpu)
        return Outcome("crashed", signal=sig, cpu_seconds=cpu)
    return Outcome(
        "crashed", exitcode=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, cpu_seconds=cpu
    )


def _collect(pid: int, read_fd: int, cpu_limit: float | None, wall_limit: float) -> Outcome:
    """Read the child's answer (killing it at the wall-clock limit), reap it, and say what happened."""
    deadline = time.monotonic() + wall_limit
    chunks: list[bytes] = []
    killed = reaped = False
    status = 0
    rusage: Any = None
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as fh:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    _kill(pid)
                    killed = True
                    break
                ready, _, _ = select.select([fh], [], [], min(left, _LONGEST_WAIT))
                if not ready:
                    continue
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        _, status, rusage = os.wait4(pid, 0)
        reaped = True
    finally:
        if not reaped:  # interrupted (Ctrl-C in the parent): the child must not outlive this call
            _kill(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    cpu = rusage.ru_utime + rusage.ru_stime if rusage is not None else 0.0
    if killed:
        return Outcome("time limit", cpu_seconds=cpu)
    if chunks and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        try:
            kind, value = pickle.loads(b"".join(chunks))
        except Exception as err:  # noqa: BLE001 - a result that cannot be read back
            return Outcome(
                "error", error=RuntimeError(f"the result could not be read: {err}"), cpu_seconds=cpu
            )
        if kind == "ok":
            return Outcome("ok", value=value, cpu_seconds=cpu)
        return Outcome("memory limit" if kind == "memory" else "error", error=value, cpu_seconds=cpu)
    return _classify(status, cpu_limit, cpu)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _can_fork() -> bool:
    return hasattr(os, "fork") and os.environ.get("SYMCALC_NO_FORK") != "1"


def run_limited(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    time_limit: float,
    memory_limit: int | None = None,
    clock: Literal["cpu", "wall"] = "cpu",
    wall_limit: float | None = None,
    memory_cap: int | None = None,
) -> Outcome:
    """Run ``func(*args)`` in a child process under a time and a memory limit; report what happened.

    Args:
        func: a picklable-result function (it runs in a forked child).
        args: its arguments.
        time_limit: seconds; on the CPU clock of the child (``clock="cpu"``: only the work's own computing
            counts, from the moment it starts) or on the wall clock (``clock="wall"``).
        memory_limit: bytes the child may add to the address space it starts with (Linux, ``RLIMIT_AS``);
            ``None`` for no limit.
        clock: ``"cpu"`` or ``"wall"``.
        wall_limit: with ``clock="cpu"``, the wall-clock seconds after which a child that has not finished is
            stopped anyway (it waits instead of computing); default ``10 * time_limit + 60``.
        memory_cap: instead of ``memory_limit``, the whole address space allowed, in bytes.

    Returns:
        An :class:`Outcome`. Without ``fork`` the call runs in a thread, on the wall clock, and memory is not
        limited.

    Example:
        >>> run_limited(divmod, (7, 0), time_limit=5.0).status
        'error'
    """
    if not time_limit > 0:
        raise ValueError("time_limit must be positive")
    if _can_fork():
        if clock == "cpu":
            backstop = wall_limit if wall_limit is not None else 10 * time_limit + 60.0
            return _fork_run(
                func,
                args,
                cpu_limit=time_limit,
                wall_limit=backstop,
                memory_limit=memory_limit,
                memory_cap=memory_cap,
            )
        return _fork_run(
            func,
            args,
            cpu_limit=None,
            wall_limit=time_limit,
            memory_limit=memory_limit,
            memory_cap=memory_cap,
        )
    return _thread_run(func, args, time_limit)


def _thread_run(func: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Outcome:
    box: list[tuple[str, Any]] = []
    thread = threading.Thread(target=lambda: box.append(_capture(func, args)), daemon=True)
    thread.start()
    thread.join(min(timeout, _LONGEST_WAIT))
    if not box:
        return Outcome("time limit")
    kind, value = box[0]
    if kind == "ok":
        return Outcome("ok", value=value)
    return Outcome("memory limit" if is_memory_error(value) else "error", error=value)


def _capture(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return ("ok", func(*args))
    except BaseException as err:  # noqa: BLE001
        return ("error", err)


def run_bounded(
    func: Callable[..., T], args: tuple[Any, ...], timeout: float, memory_limit: int | None = None
) -> T:
    """``func(*args)``, or :class:`TimedOut` after ``timeout`` seconds.

    Where processes can be forked the call runs in a child process that is killed at the deadline (a
    ``MemoryError`` once its address space would pass ``memory_limit`` bytes in all, ``RLIMIT_AS``;
    :class:`Crashed` if the child dies).
    Inside a child started by this module (a batch problem), the call runs in place under a timer of
    ``timeout`` seconds of the process's CPU time instead: the problem's own limits still hold around it.

    Example:
        >>> run_bounded(sorted, ([3, 1, 2],), timeout=5.0)
        [1, 2, 3]
    """
    if _IN_CHILD:
        return _run_in_place(func, args, timeout)
    return run_limited(func, args, time_limit=timeout, memory_cap=memory_limit, clock="wall").unwrap()  # type: ignore[no-any-return]


# -- nested calls inside a child: a CPU-time timer in this process ----------------------------------------


class _Expired(BaseException):
    """Raised by the timer's signal handler; a BaseException so that ``except Exception`` does not eat it."""

    def __init__(self, token: object) -> None:
        super().__init__("time budget spent")
        self.token = token


#: (deadline in user CPU seconds, token) of the nested calls running now, innermost last.
_STACK: list[tuple[float, object]] = []


def _user_time() -> float:
    return os.times().user


def _arm() -> None:
    if _STACK:
        left = min(d for d, _ in _STACK) - _user_time()
        signal.setitimer(signal.ITIMER_VIRTUAL, min(max(left, 0.001), _LONGEST_WAIT))
    else:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def _on_timer(signum: int, frame: Any) -> None:
    if _STACK:
        deadline, token = min(_STACK, key=lambda e: e[0])
        if _user_time() + 0.02 >= deadline:  # os.times() ticks in 10 ms steps
            raise _Expired(token)
        _arm()


def _run_in_place(func: Callable[..., T], args: tuple[Any, ...], timeout: float) -> T:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return func(*args)  # pragma: no cover - the child's limits still hold
    token = object()
    outermost = not _STACK
    previous = signal.signal(signal.SIGVTALRM, _on_timer) if outermost else None
    _STACK.append((_user_time() + timeout, token))
    try:
        _arm()
        return func(*args)
    except _Expired as exp:
        if exp.token is token:
            raise TimedOut from None
        raise
    finally:
        while True:  # a timer that fires during the clean-up must not escape it; an outer one is re-armed
            try:
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
                _STACK[:] = [e for e in _STACK if e[1] is not token]
                _arm()
                if outermost:
                    signal.signal(signal.SIGVTALRM, previous)
                break
            except _Expired:
                continue
