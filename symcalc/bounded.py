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
the child's own CPU time: one process per problem, so its CPU time is the whole cost of the problem.

Where the child comes from: a process that runs no other thread forks it. A process that does (a Dask client,
a Jupyter kernel, JAX, PyTorch or TensorFlow imported) never forks itself: the child would hold only the
calling thread, and a lock another thread held at the fork stays locked in it for ever (Python 3.12 warns
about it). Such a process starts, once, a helper process from a fresh interpreter (SymPy and symcalc
imported, a few SymPy solves done, no thread started), which forks the children for it. The function and
its arguments are pickled to them, along with this process's import path, folder and environment; each
child dies with the helper, and the helper leaves when the socket to this process closes (this process has
ended, however it ended: the kernel closes it) or at :func:`stop_helper`. The limits, the nested calls
and Ctrl-C behave the same either way. A call the helper's child cannot rebuild (a lambda, a function of a
notebook's ``__main__``) runs in a thread instead.

Switches (environment variables):

- ``SYMCALC_FORK_HELPER``: ``auto`` (the default, as above), ``always`` (every child comes from the
  helper) or ``never`` (always fork this process);
- ``SYMCALC_NO_FORK=1``: no child process at all; as where there is no ``fork`` (Windows), the call runs in
  a thread that is abandoned at the deadline, and memory is not limited.

Example:
    >>> run_bounded(pow, (2, 10), timeout=5.0)
    1024
    >>> run_limited(pow, (2, 10), time_limit=5.0).status
    'ok'
"""

from __future__ import annotations

import atexit
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

__all__ = ["ChildRunner", "Crashed", "Outcome", "TimedOut", "run_bounded", "run_limited", "stop_helper"]

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


def _serve(
    job_r: int, result_w: int, prepare: tuple[Callable[..., Any], tuple[Any, ...]] | None, once: bool
) -> None:
    """In a child: run the calls read from ``job_r`` one at a time, each under its own limits, answering on
    ``result_w``, until the pipe closes, a memory error, or (``once``) the first call."""
    if prepare is not None:
        with contextlib.suppress(Exception):  # a warm-up that fails only costs time later
            prepare[0](*prepare[1])
    limited = False
    while True:
        data = _read_message(job_r, None)
        if data is None:
            break
        try:
            func, args, cpu_limit, memory_limit, memory_cap = pickle.loads(data)
        except Exception as err:  # noqa: BLE001 - e.g. a function of the caller's __main__
            _write_message(result_w, _pack("unreadable", f"{type(err).__name__}: {err}", 0.0))
            break
        if memory_cap is not None or memory_limit or limited:
            _limit_memory(memory_limit, memory_cap)  # counted from what this child holds now
            limited = True
        before = os.times()
        kind, value = _call(func, args, cpu_limit)
        after = os.times()
        cpu = after.user + after.system - before.user - before.system
        _write_message(result_w, _pack(kind, value, cpu))
        if once or kind == "memory":
            break  # what a failed allocation left behind is not worth keeping


class _Unreadable(Exception):
    """The child could not rebuild the call it was sent (its function lives in the caller's ``__main__``)."""


class _Server:
    """A child that runs the calls sent to it one at a time, each under its own limits, until one of them
    ends it (a limit, a crash) or it is told to stop. Forked from this process, or (``helper``) by the helper
    process, which then reports how it ended; ``once``: the child ends after its first call."""

    def __init__(
        self,
        prepare: tuple[Callable[..., Any], tuple[Any, ...]] | None = None,
        *,
        helper: _Helper | None = None,
        once: bool = False,
        module: str = "",
    ) -> None:
        self.helper = helper
        self.alive = True
        self.cpu_reported = 0.0
        self.pid = self.cid = 0
        self.status_r = -1
        if helper is not None:
            try:
                setup = pickle.dumps((list(sys.path), _cwd(), dict(os.environ), prepare, once))
            except Exception as err:  # noqa: BLE001 - a warm-up that cannot be sent
                raise _NoHelper(f"the warm-up cannot be sent to the helper: {err}") from None
            self.cid, self.job_w, self.result_r, self.status_r = helper.spawn(module)
            with contextlib.suppress(OSError):  # a child gone at once is found by run()
                _write_message(self.job_w, setup)
            return
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
                _serve(job_r, result_w, prepare, once)
            finally:
                os._exit(0)
        os.close(job_r)
        os.close(result_w)
        self.pid = pid

    def run(self, job: bytes, cpu_limit: float | None, wall_limit: float) -> Outcome | None:
        """The outcome of the call ``job`` (pickled); None when the child was gone before it got the call.
        Raises :class:`_Unreadable` when the child could not rebuild the call."""
        try:
            _write_message(self.job_w, job)
        except OSError:
            self.stop()
            return None
        killed = False
        try:
            data = _read_message(self.result_r, time.monotonic() + wall_limit)
        except TimeoutError:
            self._kill()
            data, killed = None, True
        except BaseException:  # Ctrl-C here: the child must not outlive the call
            self.stop()
            raise
        if data is not None:
            try:
                kind, value, cpu = pickle.loads(data)
            except Exception as err:  # noqa: BLE001 - an error whose class cannot be rebuilt here
                kind, value, cpu = "error", RuntimeError(f"the result could not be read: {err}"), 0.0
            self.cpu_reported += cpu
            if kind in ("memory", "unreadable"):
                self.stop()  # the child leaves after either
            if kind == "unreadable":
                raise _Unreadable(value)
            if kind == "ok":
                return Outcome("ok", value=value, cpu_seconds=cpu)
            return Outcome("memory limit" if kind == "memory" else "error", error=value, cpu_seconds=cpu)
        # the child is gone: how it ended says what happened to this call
        status, total = self._reap()
        cpu = max(0.0, total - self.cpu_reported) if total is not None else 0.0
        if killed:
            return Outcome("time limit", cpu_seconds=cpu)
        return _classify(status, cpu_limit, cpu)

    def _kill(self) -> None:
        if self.helper is not None:
            self.helper.kill(self.cid)
        else:
            _kill(self.pid)

    def _reap(self) -> tuple[int, float | None]:
        """The child's wait status and the CPU time it used in all (None if unknown), once it has ended."""
        self.alive = False
        for fd in (self.job_w, self.result_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.helper is not None:  # the helper reaps it and writes how it ended
            try:
                data = _read_message(self.status_r, time.monotonic() + _HELPER_REPLY)
            except TimeoutError:
                data = None
            finally:
                os.close(self.status_r)
            if data is None:  # the helper itself is gone, and the child with it
                return 0, None
            status, total = pickle.loads(data)
            return int(status), float(total)
        try:
            _, status, rusage = os.wait4(self.pid, 0)
        except ChildProcessError:
            return 0, None
        return status, rusage.ru_utime + rusage.ru_stime

    def stop(self) -> None:
        """End the child (it is waiting for a call, or past any use)."""
        if self.alive:
            self._kill()
            self._reap()


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the folder was removed
        return None


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

    In a process that runs threads, the children come from a helper process of the runner's own (see the
    module docstring), started at the first call and ended by :meth:`close`: nothing the runner started
    outlives it.

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
        self._helper: _Helper | None = None

    def __enter__(self) -> ChildRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """End the child (and the runner's helper process, if it has one)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.close()

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
                try:
                    self._server = self._start()
                except _NoHelper:
                    return _thread_run(func, args, time_limit)
            try:
                outcome = self._server.run(job, time_limit, backstop)
            except _Unreadable:
                return _thread_run(func, args, time_limit)
            if outcome is not None:
                return outcome
        return run_limited(func, args, time_limit=time_limit, memory_limit=memory_limit, wall_limit=backstop)

    def _start(self) -> _Server:
        if _fork_here():
            return _Server(self.prepare)
        if self._helper is None or not self._helper.alive():
            if self._helper is not None:
                self._helper.close()
            self._helper = None
            self._helper = _Helper()  # the runner's own: it ends with the runner, nothing outlives the run
        module = getattr(self.prepare[0], "__module__", "") if self.prepare is not None else ""
        return _Server(self.prepare, helper=self._helper, module=module or "")


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


# -- the helper: children for a process that must not fork itself ----------------------------------------

#: Libraries whose native threads are invisible to ``threading``: imported, they make this process threaded.
_THREADED_LIBRARIES = ("jax", "torch", "tensorflow")
#: Seconds to wait for the helper to start (it imports SymPy and symcalc), and for one of its replies.
_HELPER_START, _HELPER_REPLY = 120.0, 30.0


#: Functions that end an idle thread of symcalc's own (the deadline watchdog), registered by the module that
#: starts it: called before a fork, so that a process whose only other thread had nothing to do forks itself.
_IDLE_THREAD_STOPPERS: list[Callable[[], None]] = []


def register_idle_thread_stopper(stop: Callable[[], None]) -> None:
    """Have ``stop`` called before this process would fork for bounded work; it ends a thread of symcalc's own
    if that thread has nothing to do (the next use starts it again), and returns once it has ended.

    Example:
        >>> register_idle_thread_stopper(lambda: None)
    """
    _IDLE_THREAD_STOPPERS.append(stop)


def _fork_here() -> bool:
    """Whether a child may be forked from this process: ``SYMCALC_FORK_HELPER`` says ``never`` (always fork
    here), ``always`` (never fork here), or ``auto`` (the default: fork here only while no other thread runs)."""
    mode = os.environ.get("SYMCALC_FORK_HELPER", "auto")
    if mode == "never":
        return True
    if mode == "always":
        return False
    if any(name in sys.modules for name in _THREADED_LIBRARIES):
        return False
    if threading.active_count() > 1 and threading.current_thread() is threading.main_thread():
        for stop in _IDLE_THREAD_STOPPERS:
            with contextlib.suppress(Exception):
                stop()
    return threading.active_count() == 1


class _NoHelper(Exception):
    """The helper could not be started, or the call cannot be sent to it."""


_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[2]); "
    "from symcalc.bounded import _helper_main; _helper_main(int(sys.argv[1]))"
)


class _Helper:
    """This process's end of the helper: a process started from a fresh interpreter (so it never ran a thread
    of this one), with SymPy and symcalc imported, that forks the children this process must not fork itself.

    Requests go over a Unix socket; each carries the ends of three pipes that the child and the helper use:
    the calls go to the child and the answers come back on pipes of their own, and the helper writes on the
    third how the child ended (its wait status and CPU time) once it has reaped it.
    """

    def __init__(self) -> None:
        import json
        import socket
        import subprocess

        if not sys.executable:
            raise _NoHelper("no Python interpreter to start")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                [sys.executable, "-c", _BOOT, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C at a terminal is this process's to handle, not the helper's
            )
        except OSError as err:
            ours.close()
            raise _NoHelper(f"the helper could not be started: {err}") from None
        finally:
            theirs.close()
        self.sock = ours
        self.owner = os.getpid()
        self.lock = threading.Lock()
        self.next_id = 0
        ours.settimeout(_HELPER_START)
        try:
            ready = ours.recv(16)
        except OSError:
            ready = b""
        if ready != b"ready":
            self.close()
            raise _NoHelper("the helper did not start")
        ours.settimeout(None)

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def spawn(self, module: str = "") -> tuple[int, int, int, int]:
        """A new child: its id, and the pipe ends for its calls, its answers and how it ended."""
        import socket

        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        status_r, status_w = os.pipe()
        try:
            with self.lock:
                self.next_id += 1
                cid = self.next_id
                request = b"F" + cid.to_bytes(8, "big") + module.encode()
                socket.send_fds(self.sock, [request], [job_r, result_w, status_w])
        except OSError as err:
            for fd in (job_w, result_r, status_r):
                os.close(fd)
            raise _NoHelper(f"the helper is gone: {err}") from None
        finally:
            for fd in (job_r, result_w, status_w):
                os.close(fd)
        return cid, job_w, result_r, status_r

    def kill(self, cid: int) -> None:
        with self.lock, contextlib.suppress(OSError):
            self.sock.send(b"K" + cid.to_bytes(8, "big"))

    def close(self) -> None:
        """End the helper (and any child it still has) and wait for it."""
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.process.wait(_HELPER_REPLY)
        except Exception:  # noqa: BLE001 - it does not leave at the end of its socket
            self.process.kill()
            self.process.wait()


_HELPER: list[_Helper] = []
_HELPER_LOCK = threading.Lock()


def _get_helper() -> _Helper:
    """This process's helper, started on first use (and again if it has gone)."""
    with _HELPER_LOCK:
        if _HELPER and not _HELPER[0].alive():
            old = _HELPER.pop()
            if old.owner == os.getpid():
                old.close()
        if not _HELPER:
            _HELPER.append(_Helper())
        return _HELPER[0]


def stop_helper() -> None:
    """End this process's helper process, if it has one (it also ends with this process, however that ends).

    Example:
        >>> stop_helper()
    """
    with _HELPER_LOCK:
        if _HELPER:
            helper = _HELPER.pop()
            if helper.owner == os.getpid():
                helper.close()


def _forget_helper() -> None:
    """In a child forked from this process: the helper is the parent's (its socket closes with the child)."""
    for helper in _HELPER:
        with contextlib.suppress(OSError):
            helper.sock.close()
    _HELPER.clear()
    global _HELPER_LOCK
    _HELPER_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)
atexit.register(stop_helper)


def _helper_run(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    cpu_limit: float | None,
    wall_limit: float,
    memory_limit: int | None,
    memory_cap: int | None,
) -> Outcome | None:
    """One call in a fresh child of the helper; None when it cannot go there (the caller runs it in a thread)."""
    try:
        job = pickle.dumps((func, args, cpu_limit, memory_limit, memory_cap))
    except Exception:  # noqa: BLE001 - a closure or a lambda
        return None
    module = getattr(func, "__module__", "") or ""
    for _attempt in range(2):  # a helper that died since the last call is started again
        try:
            server = _Server(helper=_get_helper(), once=True, module=module)
        except _NoHelper:
            continue  # it could not be started, or it died just now: the next attempt starts a fresh one
        try:
            outcome = server.run(job, cpu_limit, wall_limit)
        except _Unreadable:
            return None
        finally:
            server.stop()
        if outcome is not None:
            return outcome
    return None


def _helper_main(fd: int) -> None:  # pragma: no cover - runs in the helper process
    """The helper's loop: fork a child for each request, kill one when asked, report each one's end.

    It leaves, killing its children, when the process that started it closes the socket or is gone.
    """
    import importlib
    import socket

    sock = socket.socket(fileno=fd)
    sock_fd = sock.fileno()
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w)
    _load_prctl()
    children: dict[int, tuple[int, int]] = {}  # pid -> (id, the status pipe)
    pids: dict[int, int] = {}  # id -> pid
    me = os.getpid()
    _helper_warm_up()
    try:
        sock.send(b"ready")
        while True:
            ready, _, _ = select.select([sock_fd, wake_r], [], [], 1.0)
            if os.getppid() != parent:
                break
            if wake_r in ready:
                with contextlib.suppress(OSError):
                    while os.read(wake_r, 4096):
                        pass
            while children:
                try:
                    pid, status, rusage = os.wait4(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                cid, status_w = children.pop(pid, (0, -1))
                pids.pop(cid, None)
                if status_w >= 0:
                    with contextlib.suppress(OSError):
                        _write_message(status_w, pickle.dumps((status, rusage.ru_utime + rusage.ru_stime)))
                    os.close(status_w)
            if sock_fd not in ready:
                continue
            try:
                msg, fds, _flags, _addr = socket.recv_fds(sock, 4096, 3)
            except OSError:
                break
            if not msg:
                break  # the process that started the helper is done with it
            cid = int.from_bytes(msg[1:9], "big")
            if msg[:1] == b"K":
                if cid in pids:
                    _kill(pids[cid])
                continue
            if msg[:1] != b"F" or len(fds) != 3:
                for extra in fds:
                    os.close(extra)
                continue
            module = msg[9:].decode()
            if module.startswith("symcalc.") and module not in sys.modules:
                with contextlib.suppress(Exception):  # imported once here rather than in every child
                    importlib.import_module(module)
            job_r, result_w, status_w = fds
            pid = os.fork()
            if pid == 0:
                try:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    for mine in (sock_fd, wake_r, wake_w, status_w, *(w for _c, w in children.values())):
                        os.close(mine)
                    _child_setup(me)
                    _helper_child(job_r, result_w)
                finally:
                    os._exit(0)
            os.close(job_r)
            os.close(result_w)
            children[pid] = (cid, status_w)
            pids[cid] = pid
    finally:
        for pid in children:
            _kill(pid)
        os._exit(0)


def _helper_warm_up() -> None:  # pragma: no cover - runs in the helper process
    """Pay SymPy's first-call costs of the solvers (lazy imports, caches) once, here, rather than in every
    child: plain SymPy, which starts no thread (a thread here would make every fork unsafe)."""
    import sympy

    x, y = sympy.symbols("x y", real=True)
    with contextlib.suppress(Exception):
        sympy.solveset(x**2 - 1, x, domain=sympy.S.Reals)
        sympy.solve([x**2 + y - 1, x - y], [x, y], dict=True)


def _helper_child(job_r: int, result_w: int) -> None:  # pragma: no cover - runs in a child of the helper
    """A child of the helper: take on the caller's import path, folder and environment, then serve."""
    data = _read_message(job_r, None)
    if data is None:
        return
    path, cwd, environ, prepare, once = pickle.loads(data)
    sys.path[:] = path
    if cwd is not None:
        with contextlib.suppress(OSError):
            os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    _serve(job_r, result_w, prepare, once)


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
        func: a function with a picklable result (it runs in a child process; in a process that runs
            threads, a child of the helper, so ``func`` and ``args`` are pickled too: see the module docstring).
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
            cpu_limit: float | None = time_limit
            backstop = wall_limit if wall_limit is not None else 10 * time_limit + 60.0
        else:
            cpu_limit, backstop = None, time_limit
        if _fork_here():
            return _fork_run(
                func,
                args,
                cpu_limit=cpu_limit,
                wall_limit=backstop,
                memory_limit=memory_limit,
                memory_cap=memory_cap,
            )
        outcome = _helper_run(func, args, cpu_limit, backstop, memory_limit, memory_cap)
        if outcome is not None:
            return outcome
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
