"""Regenerate the golden worked solutions: ``python tests/make_golden.py`` (then review the diff)."""

from __future__ import annotations

from pathlib import Path

import symcalc as sc

GOLDEN = {
    "product": ("x^2 sin(x)", None),
    "quotient": ("(x^2 + 1)/(x - 1)", None),
    "nested_chain": ("sin(cos(x^2))", None),
    "log_diff": ("x^(sin x)", None),
    "inverse_trig": ("arctan(2x)", None),
    "sigmoid_typed": ("1/(1+e^(-x))", None),
    "softplus": ("softplus(3x)", None),
    "partial": ("x^2 y + sin(x y)", "y"),
    "relu": ("relu(x)", None),
    "ln_domain": ("ln(1 - x^2)", None),
    "sqrt_chain": ("sqrt(1 + x^2)", None),
    "exp_base": ("2^(x^2)", None),
    "implicit": ("x^2 + y^2 = 25", "implicit"),
}
HERE = Path(__file__).parent / "golden"


def render(name: str) -> str:
    expr, var = GOLDEN[name]
    if var == "implicit":
        return sc.implicit_derivative(expr, "y", "x").to_markdown()
    return sc.derivative(expr, var).to_markdown()


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name in GOLDEN:
        (HERE / f"{name}.md").write_text(render(name), encoding="utf-8")
    print(f"wrote {len(GOLDEN)} golden solutions to {HERE}")
