"""Running a SymPy call that may not finish (``solve`` on a hard system) within a time budget.

On platforms with ``fork`` the call runs in a child process that is killed at the deadline, so even a hang
in C code ends; elsewhere it runs in a thread that is abandoned at the deadline (its result ignored).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["TimedOut", "run_bounded"]


class TimedOut(Exception):
    """The call did not finish within its budget."""


def _fork_run(
    func: Callable[..., T], args: tuple[Any, ...], timeout: float, memory_limit: int | None = None
) -> T:
    """Run in a forked child (plain os.fork, so it works inside pool workers too) and kill it at the deadline."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup of the parent's
        os.close(read_fd)
        if memory_limit:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        try:
            try:
                payload = pickle.dumps(("ok", func(*args)))
            except BaseException as err:  # noqa: BLE001 - everything is reported to the parent
                payload = pickle.dumps(("error", err))
        except Exception as err:  # noqa: BLE001 - an unpicklable result or error
            payload = pickle.dumps(("error", RuntimeError(f"result could not be sent: {err}")))
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write_fd)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as fh:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimedOut
                ready, _, _ = select.select([fh], [], [], left)
                if not ready:
                    raise TimedOut
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        try:
            if not chunks or time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    if not chunks:
        raise TimedOut
    status, value = pickle.loads(b"".join(chunks))
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


def run_bounded(
    func: Callable[..., T], args: tuple[Any, ...], timeout: float, memory_limit: int | None = None
) -> T:
    """``func(*args)``, or :class:`TimedOut` after ``timeout`` seconds (and, where processes can be forked, a
    ``MemoryError`` past ``memory_limit`` bytes of address space)."""
    if hasattr(os, "fork") and os.environ.get("SYMCALC_NO_FORK") != "1":
        return _fork_run(func, args, timeout, memory_limit)
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(_capture(func, args)), daemon=True)
    thread.start()
    thread.join(timeout)
    if not box:
        raise TimedOut
    status, value = box[0]
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _capture(func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return ("ok", func(*args))
    except BaseException as err:  # noqa: BLE001
        return ("error", err)
