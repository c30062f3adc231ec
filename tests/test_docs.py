"""The documentation site: it builds with warnings as errors, its generated pages are there, the course's
notebooks are on it executed (myst-nb), and every example in its pages runs as shown.

Needs the documentation tools (sphinx, myst-parser, myst-nb, furo); without them the module is skipped.
"""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("myst_nb")
pytest.importorskip("furo")

from sphinx.cmd.build import build_main  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"

# The pages whose ``>>>`` examples are meant to be run (the others show no Python session).
PAGES_WITH_EXAMPLES = [
    "index.md",
    "getting-started.md",
    "tutorial.md",
    "rules.md",
    "exercises.md",
    "worked-solution.md",
]
NOTEBOOKS = sorted(p.stem for p in (DOCS.parent / "notebooks").glob("0[1-5]_*.ipynb"))


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebooks run in a kernel of this interpreter (as in tests/test_notebooks.py), with plots as PNG."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps({**spec, "display_name": "Python 3"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.slow
def test_docs_build_without_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kernel: None
) -> None:
    out = tmp_path / "html"
    status = build_main(["-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)])
    captured = capsys.readouterr()
    assert status == 0, f"sphinx-build failed:\n{captured.err}"

    assert (out / "index.html").is_file()
    rules = out / "rules.html"
    cli = out / "cli.html"
    assert rules.is_file() and cli.is_file()

    rules_html = rules.read_text(encoding="utf-8")
    assert "Product rule" in rules_html
    assert "Chain rule" in rules_html and "chain" in rules_html

    cli_html = cli.read_text(encoding="utf-8")
    for command in [
        "parse",
        "diff",
        "gradient",
        "hessian",
        "critical",
        "lagrange",
        "check",
        "descend",
        "tour",
    ]:
        assert f"symcalc {command}" in cli_html, command
    assert "--x0" in cli_html and "--method" in cli_html

    # the course: every notebook is a page, executed (its outputs are there), in the order of the path
    assert len(NOTEBOOKS) == 5
    for stem in NOTEBOOKS:
        page = (out / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
        assert "cell_output" in page, stem
    assert "measured curvature" in (out / "notebooks" / "02_optimization_basics.html").read_text(
        encoding="utf-8"
    )
    regression = (out / "notebooks" / "04_gradient_descent.html").read_text(encoding="utf-8")
    assert "100,000 rows" in regression and "largest difference" in regression
    index_html = (out / "index.html").read_text(encoding="utf-8")
    positions = [index_html.index(f"notebooks/{stem}.html") for stem in NOTEBOOKS]
    assert positions == sorted(positions)
    for page in ["exercises.html", "tutor.html"]:
        assert (out / page).is_file(), page
    assert (out / "_images" / "tutor-page.png").is_file()

    api_html = (out / "api.html").read_text(encoding="utf-8")
    for name in ["symcalc.derivative", "symcalc.minimize", "symcalc.CompiledFunction", "symcalc.Step"]:
        assert f'id="{name}"' in api_html, name


def test_generated_pages_follow_the_code() -> None:
    """The rules and CLI pages come from CATALOGUE and build_parser() (conf.py writes them on import)."""
    import runpy

    import symcalc

    conf = runpy.run_path(str(DOCS / "conf.py"))
    rules = conf["rules_markdown"]()
    for rule in symcalc.CATALOGUE.values():
        assert f"`{rule.id}`" in rules and f"${rule.formula_latex}$" in rules
    cli = conf["cli_markdown"]()
    assert "## `symcalc descend`" in cli and "`adam`" in cli
    # Help text is escaped for Markdown: "3*x*y" must not become emphasis, nor "a | b" end a table cell.
    assert conf["_cell"]("3*x*y | $a$") == "3\\*x\\*y \\| \\$a\\$"


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_examples_in_the_docs_run(page: str) -> None:
    path = DOCS / page
    test = doctest.DocTestParser().get_doctest(path.read_text(encoding="utf-8"), {}, page, str(path), 0)
    assert test.examples, f"{page} has no examples"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def test_the_tutorial_follows_the_calculus() -> None:
    """The four topics of the course, in its order; and what ``brief`` shows is said as it is."""
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads[:4] == [
        "## 1. Derivatives and gradients",
        "## 2. Optimization basics",
        "## 3. Multivariable calculus",
        "## 4. Gradient descent",
    ]
    assert "shows only the top rules" not in text
    assert '`"brief"` gives each rule with its bindings' in text
