"""A load test on loopback: 50 concurrent requests of mixed cost, hostile ones among them and one that hits the
time limit. Every good request is answered, each bad one gets its clear error, the slow one is stopped at its
limit while the others go on, the p95 latency of the good requests is reported, and no process is left.

Run it alone to read the numbers: ``python -m pytest -q -s tests/test_web_load.py``.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from test_web import call, descendants, serve_tutor  # noqa: E402

TIME_LIMIT = 8.0
#: A sum of many quotients: its tidy-up, given the budget to finish, takes far longer than the time limit.
SLOW = " + ".join(f"{k}/(x + {k})" for k in range(1, 150))

GOOD: list[tuple[str, dict[str, Any]]] = (
    [
        ("/api/parse", {"expr": e})
        for e in [
            "x^2",
            "sin(x)/x",
            r"\frac{1}{1+e^{-x}}",
            "ln(1 - x^2)",
            "x y + y^3",
            "e^(x y)",
            "sqrt(x^2 + 1)",
            "tanh(w x + b)",
            "max(x, 0)",
            "relu(x) + softplus(x)",
        ]
    ]
    + [
        ("/api/derivative", {"expr": e})
        for e in [
            "x^2 sin(x)",
            "sin(x^2)",
            "1/(1+e^(-x))",
            "ln(1 - x^2)",
            "x/(x^2+1)",
            "e^(-x^2/2)",
            "x^3 e^(2x)",
            "atan(x)",
            "sqrt(1 - x^2)",
            "x^x",
        ]
    ]
    + [
        ("/api/check", {"exercise": {"task": "derivative", "expr": "sin(x^2)"}, "answer": a})
        for a in ["cos(x^2)", "2x cos(x^2)"]
    ]
    + [
        ("/api/check", {"set": "multivariable", "id": "m1", "answer": a})
        for a in ["2x y, x^2 + 3y^2", "2x y, x^2 + 3y^3"]
    ]
    + [("/api/check", {"set": "optimization", "id": "o7", "answer": "(0, 0) saddle; (1, 1) min"})]
    + [("/api/check", {"set": "descent", "id": "s3", "answer": "(0.9, 0)"})]
    + [("/api/check", {"set": "backprop", "id": "b1", "answer": "-8"})]
    + [("/api/check", {"set": "derivatives", "id": "d6", "answer": "3x^2 e^(2x)"})]
    + [("/api/check", {"set": "derivatives", "id": f"d{k}", "answer": "2x"}) for k in range(1, 5)]
    + [("/api/hint", {"set": "derivatives", "id": f"d{k}", "level": k % 3}) for k in range(1, 6)]
    + [
        ("/api/descent", {"expr": e, "x0": x0, "method": m, "lr": lr, "max_iter": 2000})
        for e, x0, m, lr in [
            ("(1-x)^2 + 100(y-x^2)^2", "-1.2, 1", "adam", 0.01),
            ("x^2 + 10y^2", "1, 1", "gd", 0.05),
            ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "0, 0", "momentum", 0.002),
            ("x^2 + y^2", "3, -2", "newton", None),
        ]
    ]
)

BAD: list[tuple[str, Any, int]] = [
    ("/api/derivative", b'{"expr": "' + b"x+" * 20000 + b'x"}', 413),
    ("/api/parse", b'{"expr": "' + b"1" * 40000 + b'"}', 413),
    ("/api/derivative", b"{not json", 400),
    ("/api/derivative", b'["x"]', 400),
    ("/api/derivative", {"expr": "9^9^9^9"}, 400),
    ("/api/parse", {"expr": "(" * 400 + "x" + ")" * 400}, 400),
    ("/api/derivative", {"expr": "<img src=x onerror=alert(1)>"}, 400),
    ("/api/check", {"exercise": {"task": "derivative", "expr": "x"}, "answer": 5}, 400),
]
# a tidy-up budget far past the request's time limit, so that the limit is what stops it
SLOW_REQUEST = ("/api/derivative", {"expr": SLOW, "timeout": 600}, 504)


def _timed(url: str, path: str, body: Any) -> tuple[int, Any, float]:
    start = time.perf_counter()
    try:
        if isinstance(body, bytes):
            status, data, _ = call(url, path, raw=body)
        else:
            status, data, _ = call(url, path, body)
    except OSError as err:  # reported as a wrong answer below, with the request it belongs to
        status, data = -1, repr(err)
    return status, data, time.perf_counter() - start


def test_fifty_concurrent_requests_of_mixed_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(GOOD) + len(BAD) + 1 == 50
    requests = [(p, b, 200) for p, b in GOOD] + BAD + [SLOW_REQUEST]
    with serve_tutor("--workers", "4", "--time-limit", str(TIME_LIMIT)) as (url, proc, seen):
        call(url, "/api/parse", {"expr": "x"})  # the workers are up
        start = time.perf_counter()
        with cf.ThreadPoolExecutor(max_workers=50) as pool:
            # the slow one goes first, so that it holds a worker while all the others are served
            futures = [pool.submit(_timed, url, *requests[-1][:2])]
            futures += [pool.submit(_timed, url, p, b) for p, b, _ in requests[:-1]]
            results = [f.result() for f in futures]
        wall = time.perf_counter() - start
        seen |= descendants(proc.pid)
    sent = [requests[-1], *requests[:-1]]
    wrong = [
        (path, status, json.dumps(data)[:200])
        for (status, data, _t), (path, _b, want) in zip(results, sent, strict=True)
        if status != want
    ]
    assert not wrong, wrong
    slow_status, slow_data, slow_seconds = results[0]
    assert slow_data["error"] == f"the time limit of {TIME_LIMIT:g} s was reached"
    assert slow_seconds < TIME_LIMIT + 10
    good = sorted(t for (status, _d, t) in results[1:] if status == 200)
    assert len(good) == len(GOOD)
    p50, p95 = good[len(good) // 2], good[int(0.95 * (len(good) - 1))]
    # the answers are the right ones, not only 200s
    assert any(isinstance(d, dict) and d.get("mistakes") == ["chain.missing_inner"] for _s, d, _t in results)
    assert all(isinstance(d, dict) and "error" in d for (s, d, _t) in results[1:] if s != 200)
    with capsys.disabled():
        print(
            f"\nload test: 50 concurrent requests ({len(GOOD)} good, {len(BAD)} hostile, 1 past the "
            f"{TIME_LIMIT:g} s limit) in {wall:.2f} s; good requests p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {good[-1] * 1000:.0f} ms; the slow one stopped after {slow_seconds:.2f} s"
        )
    slowest = sorted(
        (
            (t, path, json.dumps(body)[:60])
            for (status, _d, t), (path, body, _w) in zip(results, sent, strict=True)
            if status == 200
        ),
        reverse=True,
    )[:3]
    with capsys.disabled():
        print("slowest good requests: " + "; ".join(f"{path} {body} {t:.2f} s" for t, path, body in slowest))
    assert p95 < 30.0
