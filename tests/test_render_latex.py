"""Every LaTeX rendering compiles with pdflatex: each result type, at each detail level it has.

``.ci/run`` installs a TeX engine (Debian's ``texlive-latex-base``) where the machine has none, so in CI this
module always runs; on a machine without pdflatex it is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from make_golden import DETAILS, PROBLEMS, compile_latex, golden_path, pdflatex_available

import symcalc as sc

pytestmark = pytest.mark.skipif(
    not pdflatex_available(), reason="pdflatex is not installed (.ci/run installs it)"
)


AT = {"w": 0.5, "b": 0.1, "x": 2, "y": 1}
DEEP = "sin(cos(tan(e^(x^2)))) + ln(1 + x^2) sqrt(1 + x^4)"

#: For each result type beyond the canonical problems, its LaTeX fragments (one per detail level it has).
OTHER: dict[str, Callable[[], list[str]]] = {
    "hessian": lambda: [sc.hessian("x^3 - 3 x y + y^3", detail=d).to_latex() for d in DETAILS],
    "gradient_softmax": lambda: [sc.gradient("logsumexp(z1, z2, z3)", detail=d).to_latex() for d in DETAILS],
    "critical_points": lambda: [
        sc.critical_points("x^3 - 3 x y + y^3").to_latex(),
        sc.critical_points("x^4 - 2 x^2").to_latex(),
    ],
    "lagrange": lambda: [
        sc.lagrange("x y", ["x + y = 10"]).to_latex(),
        sc.lagrange("x + y", ["x^2 + y^2 = 1"]).to_latex(),
    ],
    "backprop": lambda: [sc.backprop("(sigmoid(w*x + b) - y)^2", AT, ["w", "b"]).to_latex()],
    "implicit_second": lambda: [
        sc.implicit_derivative("x^2 + y^2 = 25", order=2, detail=d).to_latex() for d in DETAILS
    ],
    "higher_order": lambda: [sc.derivative("x^3 sin(x)", order=2, detail=d).to_latex() for d in DETAILS],
    "non_smooth": lambda: [
        sc.derivative(e).to_latex() for e in ("relu(x)", "max(0, x)", "sign(x)", "abs(x - 1)")
    ],
    "ml_forms": lambda: [
        sc.derivative("-ln(e^(z1)/(e^(z1) + e^(z2) + e^(z3)))", "z1").to_latex(),
        sc.derivative(
            "-y ln(sigmoid(w x + b)) - (1 - y) ln(1 - sigmoid(w x + b))", "w", detail="full"
        ).to_latex(),
        sc.derivative("ln(1 + e^(-y (w x + b)))", "w").to_latex(),
    ],
    "deep_nesting": lambda: [sc.derivative(DEEP, detail=d).to_latex() for d in DETAILS],
    "local_models": lambda: [
        sc.tangent_plane("x^2 + y^2", {"x": 1, "y": 2}).to_latex(),
        sc.taylor("e^x y", {"x": 0, "y": 1}, 2).to_latex(),
    ],
    "jacobian": lambda: [sc.jacobian(["x y", "x + y"], ["x", "y"]).to_latex()],
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_canonical_problems_compile_at_every_detail_level(name: str, tmp_path: Path) -> None:
    body = "\n\\bigskip\n".join(golden_path(name, d, "latex").read_text(encoding="utf-8") for d in DETAILS)
    ok, errors = compile_latex(body, tmp_path)
    assert ok, errors


@pytest.mark.parametrize("kind", sorted(OTHER))
def test_every_result_type_compiles(kind: str, tmp_path: Path) -> None:
    fragments = OTHER[kind]()
    ok, errors = compile_latex("\n\\bigskip\n".join(fragments), tmp_path)
    assert ok, errors


def test_a_broken_fragment_is_caught(tmp_path: Path) -> None:
    """The check itself: mismatched environments (the bug this module was written for) fail to compile."""
    ok, errors = compile_latex("\\begin{itemize}\n\\item x\n\\end{enumerate}\n", tmp_path)
    assert not ok and "enumerate" in errors
