"""The tutor page in a real browser: Playwright (Python) driving headless Chromium (Debian's ``chromium``; set
``SYMCALC_CHROMIUM`` to use another build). The tests type as a learner does and read what the page shows.

The last test saves the screenshot the README shows (``docs/tutor-page.png``) when it is missing or when
``SYMCALC_UPDATE_SCREENSHOT=1``; otherwise the picture goes to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from test_web import serve_tutor  # noqa: E402

CHROMIUM = os.environ.get("SYMCALC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium here (.ci/run installs Debian's chromium)", allow_module_level=True)

#: Flags for Chromium on a machine without a network beyond loopback (as root, without a sandbox).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "tutor-page.png"


@pytest.fixture(scope="module")
def tutor() -> Iterator[str]:
    with serve_tutor("--workers", "3") as (url, _proc, _seen):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, tutor: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}") or d.dismiss())
    page.goto(tutor + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.problems = problems
    yield page
    assert not [p for p in problems if "Content Security Policy" in p or "dialog" in p], problems
    assert not [p for p in problems if "Uncaught" in p], problems
    context.close()


def _katex_ok(page: Any, selector: str) -> int:
    """How many formulas KaTeX typeset under ``selector``; fails if any of them is a KaTeX error."""
    errors = page.locator(f"{selector} .katex-error").count()
    assert errors == 0, page.locator(f"{selector} .katex-error").first.get_attribute("title")
    return page.locator(f"{selector} .katex").count()


def test_typing_an_expression_gives_a_live_preview_and_the_rendered_solution(page: Any) -> None:
    page.fill("#expr", r"\frac{1}{1 + e^{-x}}")
    # the preview holds what symcalc read (the page's policy allows no eval, so no wait_for_function)
    page.locator("#preview annotation", has_text="frac").wait_for(state="attached")
    page.select_option("#detail", "full")
    page.click("#solve")
    page.wait_for_selector("#solution .answer")
    assert _katex_ok(page, "#solution") > 5
    answer = page.locator("#solution .answer annotation").text_content()
    assert "\\sigma" in answer or "sigma" in answer  # the form ML courses use
    assert page.locator("#solution li[data-rule=chain]").count() >= 1
    assert "central difference" in page.locator("#solution .check-line").text_content()
    full = page.locator("#solution li").count()
    page.select_option("#detail", "brief")
    assert page.locator("#solution li").count() < full  # brief leaves out the elementary rules


def test_a_parse_error_is_shown_at_its_position(page: Any) -> None:
    page.fill("#expr", "x^2 + sin(x")
    page.wait_for_selector("#parse-error:not([hidden])")
    message, line, caret = page.locator("#parse-error").text_content().split("\n")
    assert "ended too early" in message and "(at position 11)" in message
    assert line == "x^2 + sin(x" and caret == " " * 11 + "^"


def test_a_wrong_answer_gets_the_named_mistake_then_the_solution_step_by_step(page: Any) -> None:
    page.fill("#expr", "x^3 e^(2x)")
    page.click("#try")
    page.fill("#answer", "3x^2 e^(2x) + x^3 e^(2x)")  # the inner derivative 2 of e^(2x) forgotten
    page.wait_for_selector("#answer-preview .katex")
    page.click("#check")
    page.wait_for_selector("#verdict .mistake-id")
    assert page.locator("#verdict .mistake-id").text_content() == "chain.missing_inner"
    assert "inner derivative is missing" in page.locator("#verdict .mistake").text_content()
    assert page.locator("#verdict .first-hint").text_content().startswith("Hint: Use the chain rule")
    page.click("#hint")
    page.wait_for_selector("#hints li")
    bindings = page.locator("#hints li").first.text_content()
    assert bindings.startswith("Here outer = exp(") and bindings.endswith(
        "= 2*x. Their derivatives: inner' = 2."
    )
    page.click("#reveal")
    page.wait_for_selector("#solution li")
    assert page.locator("#solution li").count() == 1 and page.locator("#solution .answer").count() == 0
    assert page.locator("#solution li").first.get_attribute("data-rule") == "product"
    clicks = 1
    while page.locator("#reveal").is_enabled():
        page.click("#reveal")
        clicks += 1
    assert clicks >= 2
    page.wait_for_selector("#solution .answer")
    assert _katex_ok(page, "#solution") > 2
    page.fill("#answer", "x^2 (2x + 3) e^(2x)")
    page.click("#check")
    page.wait_for_selector("#verdict .ok")


def test_the_exercise_sets_one_after_another_with_progress(page: Any) -> None:
    page.select_option("#set", "multivariable")
    assert _katex_ok(page, "#exercise-prompt") == 1
    assert page.locator("#progress").text_content() == "exercise 1 of 8: 0 right, 0 tried, 0 hints used"
    page.fill("#ex-answer", "2x y, x^2 + 3y^3")
    page.wait_for_selector("#ex-preview .katex")
    page.click("#ex-check")
    page.wait_for_selector("#ex-verdict .mistake-id")
    assert page.locator("#ex-verdict .mistake-id").text_content() == "power.exponent"
    page.click("#ex-hint")
    page.wait_for_selector("#ex-hints li")
    page.fill("#ex-answer", "2x y, x^2 + 3y^2")
    page.click("#ex-check")
    page.wait_for_selector("#ex-verdict .ok")
    assert page.locator("#progress").text_content() == "exercise 1 of 8: 1 right, 1 tried, 1 hints used"
    page.click("#ex-next")
    assert page.locator("#progress").text_content().startswith("exercise 2 of 8")
    with page.expect_download() as download:
        page.click("#export")
    import json

    report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert (report["set"], report["right"], report["tried"], report["hints_used"]) == (
        "multivariable",
        1,
        1,
        1,
    )


def test_a_descent_run_draws_the_contours_the_path_and_the_loss_curve(page: Any) -> None:
    page.fill("#d-expr", "(1-x)^2 + 100(y-x^2)^2")
    page.fill("#d-x0", "-1.2, 1")
    page.select_option("#d-method", "momentum")
    page.fill("#d-lr", "0.0005")
    page.fill("#d-iter", "4000")
    page.click("#d-run")
    page.wait_for_selector("#d-contour svg .descent-path")
    assert page.locator("#d-contour svg path.contour").count() >= 10
    path = page.locator("#d-contour .descent-path").get_attribute("d")
    assert path.startswith("M") and path.count("L") > 100
    assert page.locator("#d-loss svg .loss-line").count() == 1
    assert page.locator("#d-message").text_content().startswith("momentum: ")
    box = page.locator("#d-contour svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 200


def test_what_a_learner_types_never_becomes_html(page: Any) -> None:
    evil = '<img src=x onerror="document.title=1">'
    page.fill("#expr", evil)
    page.wait_for_selector("#parse-error:not([hidden])")
    page.click("#solve")
    page.wait_for_selector("#solution .error")
    assert page.locator("img").count() == 0
    assert evil in page.locator("#solution .error").text_content()
    assert page.title() == "symcalc tutor"
    page.fill("#d-expr", evil)
    page.click("#d-run")
    page.wait_for_selector("#d-contour .error")
    assert page.locator("img").count() == 0


def test_the_screenshot_for_the_readme(page: Any, tmp_path: Path) -> None:
    page.fill("#expr", "x^3 e^(2x)")
    page.click("#try")
    page.fill("#answer", "3x^2 e^(2x) + x^3 e^(2x)")
    page.click("#check")
    page.wait_for_selector("#verdict .mistake-id")
    page.click("#solve")
    page.wait_for_selector("#solution .answer")
    page.click("#d-run")
    page.wait_for_selector("#d-contour svg .descent-path")
    _katex_ok(page, "body")
    target = (
        SCREENSHOT
        if (not SCREENSHOT.exists() or os.environ.get("SYMCALC_UPDATE_SCREENSHOT") == "1")
        else tmp_path / "tutor-page.png"
    )
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 50_000
