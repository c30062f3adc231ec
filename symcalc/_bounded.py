"""Running a SymPy call that may not finish (``solve`` on a hard system) within a time budget.

On platforms with ``fork`` the call runs in a child process that is killed at the deadline, so even a hang
in C code ends; elsewhere it runs in a thread that is abandoned at the deadline (its result ignored).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["TimedOut", "run_bounded"]


class TimedOut(Exception):
    """The call did not finish within its budget."""


def _child(conn: Any, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[str, Any] = ("ok", func(*args))
    except BaseException as err:  # noqa: BLE001 - everything is reported to the parent
        result = ("error", err)
    try:
        conn.send_bytes(pickle.dumps(result))
    except Exception as err:  # noqa: BLE001 - an unpicklable result is reported as an error
        conn.send_bytes(pickle.dumps(("error", RuntimeError(f"result could not be sent: {err}"))))
    conn.close()


def run_bounded(func: Callable[..., T], args: tuple[Any, ...], timeout: float) -> T:
    """``func(*args)``, or :class:`TimedOut` after ``timeout`` seconds."""
    if "fork" in multiprocessing.get_all_start_methods() and os.environ.get("SYMCALC_NO_FORK") != "1":
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, func, args), daemon=True)
        proc.start()
        child.close()
        try:
            if not parent.poll(timeout):
                raise TimedOut
            status, value = pickle.loads(parent.recv_bytes())
        except EOFError:
            raise TimedOut from None
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(1.0)
            parent.close()
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]
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
