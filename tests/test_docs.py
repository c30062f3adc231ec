"""The documentation site: it builds with warnings as errors, its generated pages are there, and every
example in its pages runs as shown.

Needs the documentation tools (sphinx, myst-parser, furo); without them the module is skipped.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("furo")

from sphinx.cmd.build import build_main  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"

# The pages whose ``>>>`` examples are meant to be run (the others show no Python session).
PAGES_WITH_EXAMPLES = ["index.md", "getting-started.md", "tutorial.md", "rules.md"]


def test_docs_build_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
