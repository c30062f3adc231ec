"""Optimizers: a table of functions crossed with methods, divergence, saddles, callbacks, plots, CLI."""

from __future__ import annotations

import numpy as np
import pytest
from symcalc.optimize import minimize as minimize_callables

import symcalc as sc

# (name, f, x0, minimiser, {method: (lr, max_iter)})
FUNCTIONS = [
    ("quadratic", "(x - 3)^2 + 2*(y + 1)^2", [0.0, 0.0], [3.0, -1.0]),
    ("booth", "(x + 2*y - 7)^2 + (2*x + y - 5)^2", [0.0, 0.0], [1.0, 3.0]),
    ("rosenbrock", "(1-x)^2 + 100*(y-x^2)^2", [-1.2, 1.0], [1.0, 1.0]),
    ("beale", "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2", [2.8, 0.45], [3.0, 0.5]),
    ("himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", [2.5, 2.5], [3.0, 2.0]),
]
SETTINGS = {
    "gd": (1e-3, 60000),
    "backtracking": (1.0, 60000),
    "momentum": (1e-4, 60000),
    "nesterov": (1e-4, 60000),
    "adagrad": (0.5, 60000),
    "rmsprop": (1e-3, 60000),
    "adam": (1e-2, 60000),
    "newton": (1.0, 200),
}


@pytest.mark.parametrize("method", list(SETTINGS))
@pytest.mark.parametrize("case", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_every_method_reaches_the_minimiser(case, method) -> None:
    _name, f, x0, xstar = case
    lr, max_iter = SETTINGS[method]
    if method == "adagrad" and _name == "beale":
        lr = 0.05  # Beale's narrow valley needs a smaller first step for adagrad
    res = sc.minimize(f, x0, method, lr=lr, max_iter=max_iter, gtol=1e-7)
    tol = 5e-3 if method == "rmsprop" else 1e-4  # rmsprop's fixed step hovers near the minimiser
    np.testing.assert_allclose(res.x, xstar, atol=tol)
    assert res.history["x"].shape == (len(res.history["fun"]), 2)


def test_himmelblau_minimum_depends_on_the_start() -> None:
    ends = {
        tuple(np.round(sc.minimize("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", s, "newton").x, 4))
        for s in ([3, 3], [-3, 3], [-3, -3], [3, -3])
    }
    assert len(ends) == 4


def test_step_above_two_over_L_diverges_with_advice() -> None:
    lr = sc.suggest_lr("x^2 + 10*y^2")
    assert lr.exact and lr.L == pytest.approx(20.0)
    res = sc.minimize("x^2 + 10*y^2", [1.0, 1.0], "gd", lr=2.2 / lr.L)
    assert not res.success and res.status == 3
    assert "diverged" in res.message and "suggest_lr" in res.message
    assert np.isfinite(res.fun) or "NaN" in res.message


def test_verify_flags_a_saddle() -> None:
    res = sc.minimize("x^2 - y^2", [1.0, 0.0], "gd")
    v = res.verify()
    assert v.reached == "saddle point" and not v.is_minimum and "NOT a minimum" in v.message


def test_plain_callables_and_custom_rules() -> None:
    rule = sc.optimize.UpdateRule(lambda x: None, lambda g, s, x, f: (-0.1 * g, s))
    res = minimize_callables(
        lambda x: float(x @ x), [1.0, 2.0], jac=lambda x: 2 * x, method=rule, max_iter=500
    )
    assert res.success and np.allclose(res.x, 0, atol=1e-7)
    with pytest.raises(sc.OptimizationError, match="scalar"):
        minimize_callables(lambda x: np.array([1.0, 2.0]), [1.0], jac=lambda x: x * 0 + 1, method="gd")


def test_callback_stopiteration_ends_the_run() -> None:
    def stop(r):
        if r.nit >= 5:
            raise StopIteration

    res = sc.minimize("x^2", [1.0], "gd", lr=0.01, callback=stop)
    assert res.nit == 5 and not res.success and res.message == "stopped by the callback"


def test_plots_write_pngs(tmp_path) -> None:
    from symcalc.plotting import contour_paths, loss_curves, tangent_line

    runs = {
        m: sc.minimize("(1-x)^2 + 100*(y-x^2)^2", [-1.2, 1.0], m, lr=lr, max_iter=3000)
        for m, lr in (("adam", 0.01), ("momentum", None), ("newton", 1.0))
    }
    fig = contour_paths(
        "(1-x)^2 + 100*(y-x^2)^2", {m: r.history["x"] for m, r in runs.items()}, save=tmp_path / "paths.png"
    )
    assert (tmp_path / "paths.png").stat().st_size > 1000 and len(fig.axes[0].lines) == 3
    loss_curves({m: r.history["fun"] for m, r in runs.items()}, save=tmp_path / "loss.png")
    assert len(tangent_line("x^3 - x", 0.5, save=tmp_path / "t.png").axes[0].lines) == 3


def test_descend_cli(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from symcalc.cli import main

    out_png = tmp_path / "path.png"
    code = main(
        [
            "descend",
            "(1-x)^2 + 100(y-x^2)^2",
            "--x0=-1.2,1",
            "--method",
            "adam",
            "--lr",
            "0.01",
            "--plot",
            str(out_png),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and out_png.exists()
    assert "reached the local minimum at (x = 1, y = 1)" in out
