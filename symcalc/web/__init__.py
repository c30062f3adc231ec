"""``symcalc serve``: the local tutor page (extra ``web``: Starlette and uvicorn).

One page, served on 127.0.0.1 by default: an expression typed as text or LaTeX with a live preview and parse
errors at their place; its worked solution at a chosen detail level, the maths typeset by KaTeX (shipped in
``static/katex``, nothing is fetched); "try it yourself" (the learner's answer first, the verdict and the
named mistake, then the solution step by step); the exercise sets one after another with progress; and
gradient descent drawn as contours, path and loss curve. The page talks to a JSON API (``/api/...``, see
``docs/tutor.md``) whose ``/api/derivative`` returns exactly the worked-solution schema of ``docs/schema.md``.

Example (from a shell)::

    pip install -e ".[web]"
    symcalc serve            # then open http://127.0.0.1:8000
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["create_app", "serve"]


def create_app(**options: Any) -> Any:
    """The ASGI app (see :func:`symcalc.web.app.create_app`); needs the ``web`` extra."""
    from .app import create_app as _create

    return _create(**options)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int | None = None,
    time_limit: float | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the tutor page until interrupted (Ctrl+C). ``port=0`` picks a free port; the address is printed."""
    try:
        import uvicorn
    except ImportError as err:
        from ..errors import SymcalcError

        raise SymcalcError("symcalc serve needs the web extra: pip install 'symcalc[web]'") from err
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        from ..errors import SymcalcError

        sock.close()
        raise SymcalcError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    bound = sock.getsockname()[1]
    loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    hosts = None if loopback else ["*"]
    app = create_app(workers=workers, time_limit=time_limit, allowed_hosts=hosts)
    try:
        app.state.pool.start()  # before the address is printed: a page that answers is ready to work
    except Exception as err:  # noqa: BLE001 - a worker that cannot start is reported, not shown as a traceback
        from ..errors import SymcalcError

        sock.close()
        raise SymcalcError(
            f"the tutor's worker processes could not start ({type(err).__name__}: {err})"
        ) from None
    shown = f"[{host}]" if ":" in host else host
    print(f"symcalc tutor on http://{shown}:{bound}/ (Ctrl+C to stop)", flush=True)
    if not loopback:
        print(
            "warning: listening beyond this machine; anyone who can reach it can use the page",
            file=sys.stderr,
        )
    config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
