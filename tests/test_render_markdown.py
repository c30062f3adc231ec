"""The Markdown renderings as a reader sees them (Jupyter, GitHub, MyST): parsed as CommonMark with ``$...$``
math, the lists nested as the solution is, no emphasis that was not meant, and every math fragment rendered by
KaTeX without an error.

KaTeX runs under Node from ``.ci/node_modules`` (``.ci/run`` installs it); without Node or KaTeX only the
KaTeX test is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from make_golden import (
    DETAILS,
    PROBLEMS,
    golden_path,
    katex_available,
    katex_errors,
    markdown_tokens,
    math_fragments,
)

import symcalc as sc
from symcalc.render.derivation import Item, LatexNotation, plan

AT = {"w": 0.5, "b": 0.1, "x": 2, "y": 1}

#: Markdown of the result types beyond the canonical problems.
OTHER: dict[str, Callable[[], str]] = {
    "hessian_full": lambda: sc.hessian("x^3 - 3 x y + y^3", detail="full").to_markdown(),
    "hessian_brief": lambda: sc.hessian("x^3 - 3 x y + y^3", detail="brief").to_markdown(),
    "gradient_softmax": lambda: sc.gradient("logsumexp(z1, z2, z3)").to_markdown(),
    "critical_points": lambda: sc.critical_points("x^3 - 3 x y + y^3").to_markdown(),
    "lagrange": lambda: sc.lagrange("x y", ["x + y = 10"]).to_markdown(),
    "backprop": lambda: sc.backprop("(sigmoid(w*x + b) - y)^2", AT, ["w", "b"]).to_markdown(),
    "implicit_second": lambda: sc.implicit_derivative("x^2 + y^2 = 25", order=2, detail="full").to_markdown(),
    "higher_order": lambda: sc.derivative("x^3 sin(x)", order=2).to_markdown(),
    "relu": lambda: sc.derivative("relu(x)").to_markdown(),
    "softmax_cross_entropy": lambda: sc.derivative(
        "-ln(e^(z1)/(e^(z1) + e^(z2) + e^(z3)))", "z1"
    ).to_markdown(),
    "deep_nesting": lambda: sc.derivative("sin(cos(tan(e^(x^2)))) + ln(1 + x^2) sqrt(1 + x^4)").to_markdown(),
    "chain_power_operators": lambda: sc.derivative("(3x^2 - 1)^5 x**2 * 4", detail="full").to_markdown(),
}
GOLDEN = [(name, detail) for name in PROBLEMS for detail in DETAILS]


def _golden(name: str, detail: str) -> str:
    return golden_path(name, detail, "markdown").read_text(encoding="utf-8")


def _all_markdown() -> Iterator[tuple[str, str]]:
    for name, detail in GOLDEN:
        yield f"{name}-{detail}", _golden(name, detail)
    for name, make in OTHER.items():
        yield name, make()


# -- structure ------------------------------------------------------------------------------------------


def _inline_children(md: str) -> Iterator[tuple[Any, list[Any]]]:
    for tok in markdown_tokens(md):
        if tok.type == "inline":
            yield tok, tok.children or []


def _check_no_stray_markup(md: str) -> None:
    for inline, children in _inline_children(md):
        children = [c for c in children if not (c.type == "text" and c.content == "")]
        kinds = [c.type for c in children]
        assert "em_open" not in kinds, f"emphasis that was not meant in: {inline.content}"
        for i, kind in enumerate(kinds):
            if kind == "strong_open":
                assert i == 0, f"bold in the middle of a line: {inline.content}"
        for c in children:
            if c.type == "text":
                assert "$" not in c.content, f"an unbalanced $ in: {inline.content}"
                assert "\\" not in c.content, f"a backslash shown as text in: {inline.content}"


@pytest.mark.parametrize(("name", "detail"), GOLDEN, ids=[f"{n}-{d}" for n, d in GOLDEN])
def test_golden_markdown_has_no_stray_markup(name: str, detail: str) -> None:
    _check_no_stray_markup(_golden(name, detail))


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_markdown_has_no_stray_markup(name: str) -> None:
    _check_no_stray_markup(OTHER[name]())


def _ordered_tree(tokens: list[Any]) -> list[Any]:
    """The ordered lists of a token stream as a tree: per item, (number of bullet lines, children)."""
    root: list[Any] = []
    stack: list[list[Any]] = [root]
    item_stack: list[dict[str, Any]] = []
    kinds: list[str] = []
    for tok in tokens:
        if tok.type in ("ordered_list_open", "bullet_list_open"):
            kinds.append(tok.type)
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            kinds.pop()
        elif tok.type == "list_item_open" and kinds[-1] == "ordered_list_open":
            node = {"notes": 0, "children": []}
            stack[-1].append(node)
            item_stack.append(node)
            stack.append(node["children"])
        elif tok.type == "list_item_open":
            if item_stack:
                item_stack[-1]["notes"] += 1
        elif tok.type == "list_item_close" and kinds[-1] == "ordered_list_open":
            stack.pop()
            item_stack.pop()
    return root


def _planned_tree(items: list[Item]) -> list[Any]:
    return [{"notes": len(i.notes), "children": _planned_tree(i.children)} for i in items]


@pytest.mark.parametrize(("name", "detail"), [g for g in GOLDEN if PROBLEMS[g[0]]["kind"] != "gradient"])
def test_the_lists_nest_as_the_solution_does(name: str, detail: str) -> None:
    import make_golden

    d = make_golden.solve(name, detail)
    doc = plan(d, LatexNotation(("y",) if PROBLEMS[name]["kind"] == "implicit" else ()))
    planned = [node for block in doc.blocks for node in _planned_tree(block.items)]
    tokens = markdown_tokens(_golden(name, detail))
    parsed = _ordered_tree(tokens)
    assert parsed == planned
    # the tail (conditions, check...) is a bullet list of its own after the answer, not run into an item
    assert sum(1 for t in tokens if t.type == "math_block") == 1


def test_sub_steps_are_list_items_not_text_run_into_a_bullet() -> None:
    md = _golden("log_root_quotient", "standard")
    tokens = markdown_tokens(md)
    depth, deepest = 0, 0
    for t in tokens:
        if t.type == "ordered_list_open":
            depth += 1
            deepest = max(deepest, depth)
        elif t.type == "ordered_list_close":
            depth -= 1
    assert deepest == 3
    assert not any("1.1." in inline.content for inline, _ in _inline_children(md))


def test_math_keeps_its_backslash_commands() -> None:
    fragments = [f for f, _ in math_fragments(_golden("product", "full"))]
    assert r"(u\,v)' = u'\,v + u\,v'" in fragments


def test_operators_in_the_input_never_become_emphasis() -> None:
    md = OTHER["chain_power_operators"]()
    assert "**" not in md.replace("**Find**", "").replace("**Answer:**", "").split("1.", 1)[0]
    _check_no_stray_markup(md)


# -- KaTeX ----------------------------------------------------------------------------------------------


@pytest.mark.skipif(not katex_available(), reason="node or KaTeX is not installed (.ci/run installs them)")
def test_every_math_fragment_renders_with_katex() -> None:
    fragments: list[tuple[str, bool]] = []
    for _, md in _all_markdown():
        fragments += math_fragments(md)
    assert len(fragments) > 1000
    assert katex_errors(fragments) == []


@pytest.mark.skipif(not katex_available(), reason="node or KaTeX is not installed (.ci/run installs them)")
def test_the_katex_check_catches_an_error() -> None:
    errors = katex_errors([(r"\frac{1}{", False), (r"\operatorname{sign}(x)", False)])
    assert len(errors) == 1 and errors[0][0] == r"\frac{1}{"
