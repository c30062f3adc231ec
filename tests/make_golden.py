"""The ten canonical problems as golden files, and the tools that check a rendering the way a reader sees it.

Regenerate the golden files with ``python tests/make_golden.py`` (then review the diff by eye). Each problem
is rendered in the four formats at the three detail levels into ``tests/golden/<problem>/<detail>.<ext>``.

The checks used by the tests:

* :func:`compile_latex`: ``pdflatex`` on a document made of LaTeX fragments (``.ci/run`` installs TeX Live);
* :func:`katex_errors`: every math fragment rendered by KaTeX under Node (``.ci/run`` installs KaTeX into
  ``.ci/node_modules``);
* :func:`markdown_tokens`: the CommonMark parse of a Markdown rendering (markdown-it-py with the ``$...$``
  plugin Jupyter, GitHub and MyST all follow).
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import symcalc as sc

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).parent / "golden"

#: The ten canonical problems (the partial derivative and the gradient are one problem seen twice).
PROBLEMS: dict[str, dict[str, Any]] = {
    "product": {"kind": "derivative", "expr": "x^2 sin(x)"},
    "chain_power": {"kind": "derivative", "expr": "(3x^2 - 1)^5"},
    "quotient": {"kind": "derivative", "expr": "(x^2 + 1)/(x - 1)"},
    "triple_chain": {"kind": "derivative", "expr": "sin(cos(x^2))"},
    "log_root_quotient": {"kind": "derivative", "expr": "ln(sqrt((1 + x)/(1 - x)))"},
    "x_to_the_x": {"kind": "derivative", "expr": "x^x"},
    "sigmoid": {"kind": "derivative", "expr": "1/(1 + e^(-x))"},
    "arctan_reciprocal": {"kind": "derivative", "expr": "arctan(1/x)"},
    "partial": {"kind": "derivative", "expr": "x^2 y + sin(x y)", "var": "y"},
    "gradient": {"kind": "gradient", "expr": "x^2 y + sin(x y)", "vars": ["x", "y"]},
    "implicit": {"kind": "implicit", "expr": "x^3 + y^3 = 6 x y"},
}
DETAILS = ("brief", "standard", "full")
FORMATS = ("text", "markdown", "latex", "json")
EXTENSIONS = {"text": "txt", "markdown": "md", "latex": "tex", "json": "json"}


def derive(expr: str, var: str | None = None, **options: Any) -> Any:
    """``sc.derivative`` never cut short by its deadline (its output then does not depend on the machine's load)."""
    if "timeout" in inspect.signature(sc.derivative).parameters:
        options.setdefault("timeout", None)
    return sc.derivative(expr, var, **options)


def solve(name: str, detail: str) -> Any:
    """The result object of a canonical problem at a detail level (never cut short by a deadline, so that the
    golden file does not depend on the machine's load)."""
    p = PROBLEMS[name]
    if p["kind"] == "gradient":
        return sc.gradient(p["expr"], p["vars"], detail=detail)
    if p["kind"] == "implicit":
        return sc.implicit_derivative(p["expr"], "y", "x", detail=detail)
    return derive(p["expr"], p.get("var"), detail=detail)


def render(name: str, detail: str = "standard", fmt: str = "markdown") -> str:
    """A canonical problem rendered in one format, exactly as the golden file holds it."""
    result = solve(name, detail)
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    out = {"text": result.to_text, "markdown": result.to_markdown, "latex": result.to_latex}[fmt]()
    return out if out.endswith("\n") else out + "\n"


def golden_path(name: str, detail: str, fmt: str) -> Path:
    return HERE / name / f"{detail}.{EXTENSIONS[fmt]}"


# -- LaTeX ----------------------------------------------------------------------------------------------

#: The preamble a symcalc LaTeX fragment needs.
PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"


def compile_latex(body: str, workdir: Path) -> tuple[bool, str]:
    """Compile ``body`` inside a minimal document with pdflatex; ``(ok, the log's error lines)``."""
    (workdir / "doc.tex").write_text(PREAMBLE + body + "\n\\end{document}\n", encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=workdir,
        capture_output=True,
        timeout=300,
    )
    log = (workdir / "doc.log").read_text(encoding="latin-1") if (workdir / "doc.log").exists() else ""
    errors = "\n".join(line for line in log.splitlines() if line.startswith("!") or "Error" in line)
    return done.returncode == 0 and (workdir / "doc.pdf").exists(), errors or log[-2000:]


def pdflatex_available() -> bool:
    return shutil.which("pdflatex") is not None


# -- KaTeX ----------------------------------------------------------------------------------------------


def katex_dir() -> Path:
    return Path(os.environ.get("SYMCALC_KATEX", ROOT / ".ci" / "node_modules" / "katex"))


def katex_available() -> bool:
    return shutil.which("node") is not None and (katex_dir() / "package.json").exists()


_KATEX_SCRIPT = r"""
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([tex, display]) => {
    try {
      katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
      return null;
    } catch (err) {
      return String(err.message || err);
    }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def katex_errors(fragments: list[tuple[str, bool]]) -> list[tuple[str, str]]:
    """Render each ``(tex, display)`` fragment with KaTeX; the fragments that fail, with KaTeX's message."""
    if not fragments:
        return []
    done = subprocess.run(
        ["node", "-e", _KATEX_SCRIPT, str(katex_dir())],
        input=json.dumps(fragments),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    results = json.loads(done.stdout)
    return [(tex, err) for (tex, _), err in zip(fragments, results, strict=True) if err is not None]


# -- Markdown -------------------------------------------------------------------------------------------


def markdown_parser() -> Any:
    """CommonMark with ``$...$`` and ``$$...$$`` math, as Jupyter, GitHub and MyST read it."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").use(
        dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True
    )


def markdown_tokens(md: str) -> list[Any]:
    return markdown_parser().parse(md)


def math_fragments(md: str) -> list[tuple[str, bool]]:
    """Every math fragment of a Markdown text, with whether it is display math."""
    out: list[tuple[str, bool]] = []
    for tok in markdown_tokens(md):
        if tok.type in ("math_block", "math_block_label"):
            out.append((tok.content, True))
        for child in tok.children or []:
            if child.type in ("math_inline", "math_inline_double"):
                out.append((child.content, child.type == "math_inline_double"))
    return out


if __name__ == "__main__":
    for name in PROBLEMS:
        for detail in DETAILS:
            for fmt in FORMATS:
                path = golden_path(name, detail, fmt)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render(name, detail, fmt), encoding="utf-8")
    print(f"wrote {len(PROBLEMS) * len(DETAILS) * len(FORMATS)} golden solutions to {HERE}")
