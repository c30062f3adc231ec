"""The tutor page's ASGI app (Starlette): one page, its static files, and a JSON API.

Every API call that touches a learner's input runs as a job of :mod:`symcalc.web.work` in a pool of worker
processes, each job inside a forked child killed at the request's time limit and capped in memory; the event
loop only reads requests and awaits results, so a slow or hostile request never blocks another. A request
body is capped (:data:`MAX_BODY` bytes) and must be JSON; every response carries a Content-Security-Policy
that allows only the page's own scripts, styles, fonts and images. The page is static: what a learner typed
comes back to it as JSON and is put into the page as text (or as LaTeX through KaTeX), never as HTML.

Example (a test client; ``symcalc serve`` runs it with uvicorn)::

    from starlette.testclient import TestClient
    with TestClient(create_app()) as client:
        client.post("/api/derivative", json={"expr": "x^2 sin(x)"}).json()["result"]["text"]
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .work import METHODS, run_job, sets_job, warm_up

__all__ = ["CSP", "MAX_BODY", "create_app"]

STATIC = Path(__file__).with_name("static")
#: The largest request body accepted, in bytes (an expression is at most 10,000 characters).
MAX_BODY = 32 * 1024
#: A body past the cap is still read (and dropped) up to this size, so that the sender gets the 413 answer.
DRAIN_LIMIT = 1024 * 1024
#: Scripts, styles, fonts and pictures from the page's own origin only; nothing inline, nothing framed.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
#: Seconds a job may take, by kind: the preview must be quick; a descent or a derivative may take longer.
TIME_LIMITS = {"parse": 3.0, "derivative": 10.0, "check": 10.0, "hint": 10.0, "descent": 15.0}
#: The Host names a page on loopback answers to ("testserver" is Starlette's test client).
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1", "testserver"]
#: Requests waiting for a worker at most; past that the server says it is busy (503).
MAX_PENDING = 200

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class _SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI: it never buffers a body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in SECURITY_HEADERS if h[0] not in names
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Pool:
    """The worker processes (spawned, so no lock of this process is inherited), made on startup, ended on
    shutdown; a pool broken by a dead worker is replaced."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor: cf.ProcessPoolExecutor | None = None
        self.pending = 0

    def start(self) -> None:
        if self.executor is not None:
            return
        ctx = multiprocessing.get_context("spawn")
        self.executor = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=warm_up)
        # start every worker now: the first learner should not wait for imports
        list(self.executor.map(_noop, range(self.workers)))

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    async def run(self, name: str, payload: dict[str, Any], time_limit: float) -> dict[str, Any]:
        if self.executor is None:
            self.start()
        assert self.executor is not None
        self.pending += 1
        try:
            future = self.executor.submit(run_job, name, payload, time_limit)
            return await asyncio.wrap_future(future)
        except cf.process.BrokenProcessPool:
            self.stop()
            self.start()
            return {"status": "error", "kind": "internal", "error": "a worker stopped; try again"}
        finally:
            self.pending -= 1


def _noop(_: int) -> int:
    return os.getpid()


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _read_json(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object, or the error response: 413 past :data:`MAX_BODY`, 415 if not JSON, 400."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return _error(415, "send the request as JSON (Content-Type: application/json)")
    too_large = _error(413, f"the request is larger than {MAX_BODY} bytes")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > DRAIN_LIMIT):
        return too_large  # not worth reading: the connection is closed on the sender
    body = bytearray()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > DRAIN_LIMIT:
            return too_large
        if received <= MAX_BODY:
            body += chunk
    if received > MAX_BODY:
        return too_large  # read to the end first, so that the sender hears the answer
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "the request is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "the request must be a JSON object")
    return data


def create_app(
    *, workers: int | None = None, time_limit: float | None = None, allowed_hosts: list[str] | None = None
) -> Starlette:
    """The tutor's ASGI app.

    Args:
        workers: worker processes (default: twice the cores, at least 4, so that slow jobs leave room for
            quick ones).
        time_limit: seconds per request, for every kind of job (default: :data:`TIME_LIMITS` per kind).
        allowed_hosts: the names the page may be reached by (the ``Host`` header; default: the loopback
            names), which keeps another site from reaching it by DNS rebinding.
    """
    pool = _Pool(workers or max(4, 2 * (os.cpu_count() or 1)))
    sets = sets_job({})

    def limit(name: str) -> float:
        return time_limit if time_limit is not None else TIME_LIMITS[name]

    async def job(request: Request, name: str) -> Response:
        data = await _read_json(request)
        if isinstance(data, JSONResponse):
            return data
        if pool.pending >= MAX_PENDING:
            return _error(503, "the tutor is busy; try again in a moment")
        out = await pool.run(name, data, limit(name))
        status = out["status"]
        if status == "ok":
            return JSONResponse(out["result"])
        if status == "timeout":
            return _error(504, out["error"])
        if status == "memory":
            return _error(507, out["error"])
        extra = {k: out[k] for k in ("position", "source", "kind") if out.get(k) is not None}
        return _error(500 if out.get("kind") == "internal" else 400, out["error"], **extra)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "workers": pool.workers})

    async def meta(request: Request) -> Response:
        from ..derive.steps import CATALOGUE
        from ..render.derivation import LEAF_RULES, TRIVIAL

        return JSONResponse(
            {
                "methods": list(METHODS),
                "details": ["brief", "standard", "full"],
                # below "full", elementary steps are folded into the line of the rule that used them
                "hidden": {
                    "brief": sorted(LEAF_RULES | TRIVIAL),
                    "standard": sorted(LEAF_RULES | TRIVIAL),
                    "full": [],
                },
                "rules": {r.id: {"name": r.name, "formula": r.formula_latex} for r in CATALOGUE.values()},
                "max_body": MAX_BODY,
            }
        )

    async def exercise_sets(request: Request) -> Response:
        return JSONResponse(sets)

    def endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            return await job(request, name)

        return handler

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, pool.start)
        try:
            yield
        finally:
            pool.stop()

    routes = [
        Route("/", page),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/health", health),
        Route("/api/meta", meta),
        Route("/api/sets", exercise_sets),
        *[
            Route(f"/api/{name}", endpoint(name), methods=["POST"])
            for name in ("parse", "derivative", "check", "hint", "descent")
        ],
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.pool = pool
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_NAMES)
    app.add_middleware(_SecurityHeaders)
    return app
