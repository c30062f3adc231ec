r"""Renderings of a worked derivative: plain text, Markdown, LaTeX and JSON.

A solution is planned once, as a small document (a heading, numbered items with their lines, the answer,
the conditions), then written in each format: plain text in the notation a student types, Markdown with
``$...$`` math (CommonMark lists; what GitHub and Jupyter show), and LaTeX that compiles with ``amsmath``.

What a solution shows depends on ``detail``:

* ``"brief"``: each rule with its bindings (``with u = x^2, v = sin(x): u' = 2x, v' = cos(x)``); elementary
  steps (a table derivative, the power rule on the variable, a constant, a sum of such terms) are folded into
  the line of the rule that used them;
* ``"standard"``: also the plug-in lines (the formula with the pieces substituted) and the result they give;
* ``"full"``: also each rule's formula, in the letters of the solution, and every elementary step.

Rules the learner already ``known`` are applied silently. Sub-steps nested more than three levels deep are
taken out as named intermediate results ("let v = ..."), worked first. ``to_dict`` keeps every node whatever
the detail. The JSON schema is documented in ``docs/schema.md``; its version is :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from ..derive.steps import CATALOGUE, Derivation, Step
from . import ml
from .notation import (
    conditions_latex,
    conditions_text,
    d_latex,
    d_text,
    latex,
    number_text,
    relation_latex,
    relation_text,
    text,
)

__all__ = [
    "SCHEMA_VERSION",
    "condition_text",
    "derivation_to_dict",
    "derivation_to_latex",
    "derivation_to_markdown",
    "derivation_to_text",
    "step_to_dict",
]

SCHEMA_VERSION = "2.0"
#: Steps folded into their parent's line unless detail is "full".
TRIVIAL = frozenset({"constant", "variable"})
#: Rules whose steps on a bare variable are elementary (folded into their parent below "full").
LEAF_RULES = frozenset(
    {
        "power",
        "exp",
        "exp_base",
        "ln",
        "log_base",
        "constant",
        "variable",
        "rewrite",
        "undefined_function",
        *(r for r in CATALOGUE if r in {"sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh"}),
    }
)
#: Deepest level of nested steps shown; a deeper working is taken out as a named intermediate result.
MAX_DEPTH = 3
#: Letters an intermediate result may be named with (those the solution does not use already).
_NAME_POOL = ("u", "v", "w", "p", "q", "r", "s", "t", "a", "b", "k", "m")
INNER = "inner'"
_PIECE_KEYS = frozenset({"outer", "outer'", "inner'", "exponent", "for", "by", "given", "y", "equation"})


def _implicit_names(d: Derivation | Step) -> tuple[str, ...]:
    root = d.steps if isinstance(d, Derivation) else d
    y = root.pieces.get("y") if root.rule == "implicit" else None
    return (y.func.__name__,) if isinstance(y, AppliedUndef) else ()


# -- JSON -----------------------------------------------------------------------------------------------


def _expr(e: Any, implicit: Iterable[str] = ()) -> dict[str, str] | None:
    """An expression as ``{"text": ..., "latex": ...}``: the learner's text notation and LaTeX."""
    if e is None:
        return None
    names = tuple(implicit)
    return {"text": text(e, implicit=names), "latex": latex(e, implicit=names)}


def step_to_dict(step: Step, implicit: Iterable[str] = ()) -> dict[str, Any]:
    """One node and everything under it, as JSON-ready data."""
    names = tuple(implicit) or _implicit_names(step)
    return {
        "rule": step.rule,
        "name": step.name,
        "kind": step.kind,
        "expr": _expr(step.expr, names),
        "var": None if step.var is None else str(step.var),
        "order": step.order,
        "result": _expr(step.result, names),
        "explanation": step.explanation,
        "formula": {"latex": CATALOGUE[step.rule].formula_latex, "text": CATALOGUE[step.rule].formula_text},
        "pieces": {k: _expr(v, names) for k, v in step.pieces.items()},
        "plug_in": _expr(step.plug_in, names),
        "substeps": [step_to_dict(s, names) for s in step.substeps],
    }


def derivation_to_dict(d: Derivation) -> dict[str, Any]:
    """A derivation as JSON-ready data (schema ``docs/schema.md``)."""
    from ..derive.verify import numeric_check

    names = _implicit_names(d)
    reading = ml.reading(d)
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "derivation",
        "expr": _expr(d.expr, names),
        "var": str(d.var),
        "order": d.order,
        "result": _expr(d.result, names),
        "named_result": None
        if not reading.names
        else {
            "result": _expr(reading.named(d.result), names),
            "names": {str(k): _expr(v) for k, v in reading.names.items()},
            "meaning": reading.meaning_text(),
        },
        "conditions": [_expr(c, names) for c in d.conditions],
        "constants": [str(c) for c in d.constants],
        "equivalent_forms": [_expr(f, names) for f in d.equivalent_forms],
        "check": numeric_check(d),
        "kinks": [
            {
                "point": _expr(k.point),
                "left": _expr(k.left),
                "right": _expr(k.right),
                "subgradients": [_expr(v) for v in k.subgradients],
                "framework_value": None if k.framework_value is None else _expr(k.framework_value),
                "jump": None if k.jump is None else [_expr(v) for v in k.jump],
            }
            for k in d.kinks
        ],
        "notes": [*getattr(d, "notes", ()), *(n.text for n in reading.notes)],
        "detail": d.detail,
        "steps": step_to_dict(d.steps, names),
    }


# -- the document: planned once, written in each format -------------------------------------------------


@dataclass
class Seg:
    """A piece of a line: prose (``math=False``) or a math fragment already in the format's notation."""

    s: str
    math: bool = False


Line = list[Seg]


@dataclass
class Item:
    """A numbered step: its headline, its lines (bindings, plug-in, result), and its sub-steps."""

    head: Line
    notes: list[Line] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)


@dataclass
class Block:
    """A numbered list of steps, with an optional title (``First derivative``, ``let v = ...``)."""

    title: Line | None
    items: list[Item]


@dataclass
class Document:
    find: Line
    blocks: list[Block]
    answer: str
    answer_where: list[Line]
    tail: list[tuple[str, list[Line]]]


class Notation:
    """How one format writes the mathematics of a solution (plain text here; LaTeX below)."""

    latex = False

    def __init__(self, implicit: tuple[str, ...] = ()) -> None:
        self.implicit = implicit

    def e(self, expr: Any) -> str:
        return text(expr, implicit=self.implicit)

    def plug(self, expr: Any) -> str:
        """A plug-in line: the formula with the pieces substituted, in the order they were substituted."""
        return text(expr, implicit=self.implicit, plug_in=True)

    def rel(self, c: Any) -> str:
        return relation_text(c, implicit=self.implicit)

    def rel_plug(self, c: Any) -> str:
        """An equation as built, its terms in their order (the steps of implicit differentiation)."""
        return relation_text(c, implicit=self.implicit, plug_in=True)

    def conds(self, cs: Iterable[Any]) -> list[str]:
        return conditions_text(cs, implicit=self.implicit)

    def d(self, var: Any, *, partial: bool = False, order: int = 1, of: str | None = None) -> str:
        return d_text(var, partial=partial, order=order, of=of)

    def d_of(self, expr: Any, var: Any, *, partial: bool = False, order: int = 1) -> str:
        return f"{self.d(var, partial=partial, order=order)} [{self.e(expr)}]"

    def prime(self, name: str) -> str:
        return name + "'"

    def power(self, base: Any, n: Any) -> str:
        return f"{self.e(base) if isinstance(base, sympy.Symbol) else '(' + self.e(base) + ')'}^({self.e(n)})"

    def formula(self, rule: str) -> str:
        return CATALOGUE[rule].formula_text

    def number(self, v: float) -> str:
        return number_text(v)


class LatexNotation(Notation):
    latex = True

    def e(self, expr: Any) -> str:
        return latex(expr, implicit=self.implicit)

    def plug(self, expr: Any) -> str:
        return latex(expr, implicit=self.implicit, plug_in=True)

    def rel(self, c: Any) -> str:
        return relation_latex(c, implicit=self.implicit)

    def rel_plug(self, c: Any) -> str:
        return relation_latex(c, implicit=self.implicit, plug_in=True)

    def conds(self, cs: Iterable[Any]) -> list[str]:
        return conditions_latex(cs)

    def d(self, var: Any, *, partial: bool = False, order: int = 1, of: str | None = None) -> str:
        return d_latex(var, partial=partial, order=order, of=of)

    def d_of(self, expr: Any, var: Any, *, partial: bool = False, order: int = 1) -> str:
        return rf"{self.d(var, partial=partial, order=order)}\left[{self.e(expr)}\right]"

    def prime(self, name: str) -> str:
        return latex(sympy.Symbol(name)) + "'"

    def power(self, base: Any, n: Any) -> str:
        return str(sympy.latex(sympy.Pow(base, n, evaluate=False), root_notation=False))

    def formula(self, rule: str) -> str:
        return CATALOGUE[rule].formula_latex

    def number(self, v: float) -> str:
        return latex(sympy.Float(v, 15))


def _swap_letters(formula: str, mapping: dict[str, str]) -> str:
    """The catalogue's formula in the letters this solution bound (``(u v)'`` -> ``(p q)'``)."""
    if all(a == b for a, b in mapping.items()):
        return formula
    marks = {a: f"\x00{i}\x00" for i, a in enumerate(mapping)}
    for a, mark in marks.items():
        formula = re.sub(rf"(?<![A-Za-z\\]){a}(?![A-Za-z])", mark, formula)
    for a, mark in marks.items():
        formula = formula.replace(mark, mapping[a])
    return formula


def _letters(step: Step) -> list[str]:
    """The letters a rule bound, in the order of its formula."""
    return [k for k in step.pieces if "'" not in k and k not in _PIECE_KEYS and not k.startswith("term")]


def _is_elementary(step: Step) -> bool:
    """A step a brief or standard solution folds into its parent: a table derivative on a bare variable, a
    constant, the power rule on the variable, or a constant multiple or sum of such steps."""
    if step.kind != "derivative" and step.rule != "rewrite":
        return False
    if step.rule in TRIVIAL:
        return True
    if not step.substeps:
        return step.rule not in ("sympy", "solution", "higher_order")
    if step.rule in ("constant_multiple", "sum"):
        return all(_is_elementary(c) for c in step.substeps)
    return False


class Planner:
    """Walks a derivation once and plans the document, asking a :class:`Notation` for each formula."""

    def __init__(self, d: Derivation, n: Notation, *, component: bool = False) -> None:
        self.d = d
        self.n = n
        self.component = component
        self.partial = bool(d.constants)
        self.reading = ml.reading(d)
        self.used = self._used_letters()
        self.pre_blocks: list[Block] = []
        self.named: dict[sympy.Basic, str] = {}
        self.bound: dict[sympy.Basic, str] = {}
        for s in d.walk():
            for letter in _letters(s):
                self.bound.setdefault(s.pieces[letter], letter)

    # -- what is shown --
    def visible(self, step: Step) -> bool:
        if step.rule in self.d.known:
            return False
        if self.d.detail == "full":
            return True
        return not _is_elementary(step)

    def _used_letters(self) -> set[str]:
        used = {str(s) for s in self.d.expr.free_symbols} | {"e", "f", "g", "x", "y"}
        used |= set(_implicit_names(self.d))
        for s in self.d.walk():
            used |= set(_letters(s))
            if s.var is not None:
                used.add(str(s.var))
        used |= {str(v) for v in self.reading.names}
        return used

    def _fresh_name(self) -> str:
        for name in _NAME_POOL:
            if name not in self.used:
                self.used.add(name)
                return name
        k = 1
        while f"u_{k}" in self.used:
            k += 1
        self.used.add(f"u_{k}")
        return f"u_{k}"

    # -- small builders --
    def m(self, s: str) -> Seg:
        return Seg(s, True)

    def says(self, step: Step) -> Line:
        if step.rule == "simplify" and self.reading.names:
            return [Seg(" " + self.reading.sentence())]
        if step.rule == "simplify" and step.explanation == "Tidy the result.":
            return []
        if step.rule == "simplify" and step.explanation.startswith("Written with the sigmoid"):
            return [Seg(" Written with the sigmoid, as ML courses write it.")]
        if step.says:
            show = self.n.plug if step.kind == "solve" else self.n.e
            parts = [Seg(p) if isinstance(p, str) else self.m(show(p)) for p in step.says]
            return [Seg(" "), *parts]
        return [Seg(" " + step.explanation)] if step.explanation else []

    def dd(self, step: Step, expr: Any = None) -> str:
        var = step.var
        partial = self.partial and var == self.d.var
        return self.n.d_of(step.expr if expr is None else expr, var, partial=partial, order=step.order)

    def rule_label(self, step: Step) -> Line:
        name = CATALOGUE[step.rule].name
        if self.d.detail == "full" and step.rule not in ("sympy", "simplify", "rewrite", "solution"):
            formula = self.n.formula(step.rule)
            letters = _letters(step)
            generic = (
                ("u", "v", "w")[: len(letters)] if step.rule in ("product", "quotient", "max_min") else ()
            )
            formula = _swap_letters(formula, dict(zip(generic, letters, strict=False)))
            return [Seg(name, False), Seg(" ("), self.m(formula), Seg(")")]
        return [Seg(name)]

    # -- the plan --
    def document(self) -> Document:
        d = self.d
        root = d.steps
        blocks: list[Block] = []
        if root.rule == "implicit":
            blocks = self.implicit_blocks(root)
        elif d.order > 1:
            for child in root.substeps:
                title = child.explanation.split(":")[0] if child.rule == "higher_order" else None
                steps = child.substeps if child.rule == "higher_order" else (child,)
                blocks.append(Block([Seg(title)] if title else None, self.items(steps, 1)))
        else:
            blocks.append(Block(None, self.items(root.substeps, 1) or [self.item(root.substeps[0], 1)]))
        if self.pre_blocks and blocks and blocks[0].title is None:
            blocks[0].title = [Seg("Then the whole derivative")]
        blocks = [*self.pre_blocks, *blocks]
        return Document(self.find(), blocks, self.answer(), self.answer_where(), self.tail())

    def items(self, steps: Iterable[Step], level: int) -> list[Item]:
        out = []
        for step in steps:
            if self.visible(step):
                out.append(self.item(step, level))
            elif level == 1 and step.rule in self.d.known:
                out += self.items(
                    step.substeps, level
                )  # a known rule at the top: what is left of its working
            elif level == 1:
                out.append(self.item(step, level))  # nothing above to fold an elementary step into
        return out

    def item(self, step: Step, level: int) -> Item:
        if step.kind == "solve":
            return self.solve_item(step, level)
        if step.kind == "rewrite":
            return Item(self.rewrite_head(step))
        shown = [c for c in step.substeps if self.visible(c)]
        folded = [c for c in step.substeps if not self.visible(c)]
        deep = level >= MAX_DEPTH and bool(shown)
        if deep and all(_is_elementary(c) for c in shown):
            folded, shown, deep = (
                list(step.substeps),
                [],
                False,
            )  # elementary steps at the deepest level: one line
        if deep:
            return self.taken_out(step)
        notes = self.bindings(step, list(folded))
        plug = step.plug_in
        if plug is None and step.rule == "power" and not shown:
            plug = next((c.plug_in for c in folded if c.rule == "power" and c.plug_in is not None), None)
        show_plug = (
            self.d.detail != "brief" and plug is not None and self.n.plug(plug) != self.n.e(step.result)
        )
        head = [*self.rule_label(step), Seg(": "), self.m(self.dd(step))]
        if show_plug:
            head.append(Seg("."))
        else:
            head[-1] = self.m(f"{self.dd(step)} = {self.n.e(step.result)}")
            head.append(Seg("."))
        head += self.says(step)
        if show_plug:
            notes.append([Seg("plug in: "), self.m(self.n.plug(plug))])
            notes.append([self.m(f"= {self.n.e(step.result)}")])
        return Item(head, notes, self.items(shown, level + 1))

    def taken_out(self, step: Step) -> Item:
        """The line of a step worked apart as an intermediate result: its rule, its result, and its name."""
        name = self.take_out(step)
        head = [
            *self.rule_label(step),
            Seg(": "),
            self.m(f"{self.dd(step)} = {self.n.prime(name)} = {self.n.e(step.result)}"),
            Seg(", the intermediate result worked out first."),
        ]
        return Item(head)

    def take_out(self, step: Step) -> str:
        """Work ``step`` apart, as a named intermediate result placed before the working that uses it; its
        name is the letter the solution already gave that expression, else a new one."""
        name = self.named.get(step.expr) or self.bound.get(step.expr)
        if name is not None and step.expr in self.named:
            return name
        if name is None:
            name = self._fresh_name()
        self.named[step.expr] = name
        title = [
            Seg("Intermediate result: let "),
            self.m(f"{self.n.e(sympy.Symbol(name))} = {self.n.e(step.expr)}"),
            Seg("; then "),
            self.m(f"{self.n.prime(name)} = {self.n.e(step.result)}"),
        ]
        items = [self.item(step, 1)]
        self.pre_blocks.append(Block(title, items))
        return name

    def bindings(self, step: Step, folded: list[Step]) -> list[Line]:
        """The line naming the pieces (``with u = ..., v = ...``) and what the folded sub-steps gave."""
        n = self.n
        line: Line = []
        letters = _letters(step)
        if step.rule == "chain":
            (letter,) = letters or ("u",)
            outer = step.substeps[0]
            line = [
                Seg("with "),
                self.m(f"{n.e(sympy.Symbol(letter))} = {n.e(step.pieces[letter])}"),
                Seg(": "),
            ]
            facts = [
                (self.m(f"{n.d_of(outer.expr, outer.var)} = {n.e(outer.result)}"), outer),
                (self.m(f"{n.prime(letter)} = {n.e(step.pieces[INNER])}"), step.substeps[1]),
            ]
            line += self._facts(facts, folded)
            return [line]
        if letters:
            line = [Seg("with ")]
            for i, letter in enumerate(letters):
                if i:
                    line.append(Seg(", "))
                line.append(self.m(f"{n.e(sympy.Symbol(letter))} = {n.e(step.pieces[letter])}"))
            facts = [
                (self.m(f"{n.prime(letter)} = {n.e(step.pieces[letter + chr(39)])}"), child)
                for letter, child in zip(letters, step.substeps, strict=False)
            ]
            line += [Seg(": "), *self._facts(facts, folded)]
            return [line]
        rewrites = [c for c in folded if c.rule == "rewrite" and "exponent" in c.pieces]
        derivs = [
            c for c in folded if c.kind == "derivative" and (c.rule not in TRIVIAL or step.rule == "sum")
        ]
        if step.rule == "power" and rewrites:
            r = rewrites[0]
            return [
                [
                    Seg("as a power: "),
                    self.m(f"{n.e(r.expr)} = {n.power(r.expr.args[0], r.pieces['exponent'])}"),
                ]
            ]
        if not derivs:
            return []
        facts = [
            (
                self.m(
                    f"{n.d_of(c.expr, c.var, partial=self.partial and c.var == self.d.var)} = {n.e(c.result)}"
                ),
                c,
            )
            for c in derivs
        ]
        return [[Seg("where "), *self._facts(facts, folded)]]

    def _facts(self, facts: list[tuple[Seg, Step]], folded: list[Step]) -> Line:
        out: Line = []
        for i, (seg, child) in enumerate(facts):
            if i:
                out.append(Seg(", "))
            out.append(seg)
            if child in folded and child.rule not in self.d.known and child.rule not in TRIVIAL:
                out.append(Seg(f" ({CATALOGUE[child.rule].name.lower()})"))
        return out

    def rewrite_head(self, step: Step) -> Line:
        n = self.n
        if "exponent" in step.pieces:
            shown = n.power(step.expr.args[0], step.pieces["exponent"])
            return [
                Seg("Rewrite: "),
                self.m(f"{n.e(step.expr)} = {shown}"),
                Seg(". Write the root as a power."),
            ]
        if step.rule == "simplify":
            result = self.reading.named(step.result) if self.reading.names else step.result
            return [
                Seg("Simplify: "),
                self.m(f"{n.e(step.expr)} = {n.e(result)}"),
                Seg("."),
                *self.says(step),
            ]
        return [
            Seg(CATALOGUE[step.rule].name + ": "),
            self.m(f"{n.e(step.expr)} = {n.e(step.result)}"),
            Seg("."),
            *self.says(step),
        ]

    def solve_item(self, step: Step, level: int) -> Item:
        n = self.n
        name = CATALOGUE[step.rule].name
        if step.rule == "differentiate_equation":
            x = step.var
            head = [
                Seg(name + ": "),
                self.m(f"{n.d_of(step.expr.lhs, x)} = {n.d_of(step.expr.rhs, x)}"),
                Seg("."),
                *self.says(step),
            ]
            shown = [c for c in step.substeps if self.visible(c)]
            folded = [c for c in step.substeps if not self.visible(c)]
            notes = []
            if folded:
                facts = [(self.m(f"{n.d_of(c.expr, c.var)} = {n.e(c.result)}"), c) for c in folded]
                notes.append([Seg("where "), *self._facts(facts, folded)])
            notes.append([Seg("so "), self.m(n.rel_plug(step.result))])
            return Item(head, notes, self.items(shown, level + 1))
        if step.rule in ("collect", "factor_out"):
            return Item([Seg(name + ": "), self.m(n.rel_plug(step.result)), Seg("."), *self.says(step)])
        if step.rule == "divide":
            unknown = step.pieces["for"]
            return Item(
                [
                    Seg(name + ": "),
                    self.m(f"{n.e(unknown)} = {n.plug(step.result)}"),
                    Seg("."),
                    *self.says(step),
                ]
            )
        target = sympy.Derivative(self.d.steps.pieces["y"], (self.d.var, 2))
        return Item(
            [Seg(name + ": "), self.m(f"{n.e(target)} = {n.e(step.result)}"), Seg("."), *self.says(step)]
        )

    def implicit_blocks(self, root: Step) -> list[Block]:
        steps = list(root.substeps)
        if root.order == 1:
            return [Block(None, self.items(steps, 1))]
        cut = next(i for i, s in enumerate(steps) if s.kind == "derivative")
        first = Block([Seg("First derivative")], self.items(steps[:cut], 1))
        second = Block(
            [Seg("Second derivative: differentiate "), self.m(self._slope_eq(steps[:cut])), Seg(" again")],
            self.items(steps[cut:], 1),
        )
        return [first, second]

    def _slope_eq(self, steps: list[Step]) -> str:
        y = self.d.steps.pieces["y"]
        value = steps[-1].result
        return f"{self.n.e(sympy.Derivative(y, self.d.var))} = {self.n.e(value)}"

    # -- heading, answer, tail --
    def find(self) -> Line:
        d, n = self.d, self.n
        if d.steps.rule == "implicit":
            y = d.steps.pieces["y"]
            eq = d.steps.pieces["equation"]
            return [
                Seg("Find "),
                self.m(n.e(sympy.Derivative(y, (d.var, d.order)))),
                Seg(" on the curve "),
                self.m(n.rel(eq)),
                Seg(", with "),
                self.m(n.e(sympy.Symbol(y.func.__name__))),
                Seg(" a function of "),
                self.m(n.e(d.var)),
                Seg("."),
            ]
        line = [
            Seg("Find "),
            self.m(n.d(d.var, partial=self.partial, order=d.order)),
            Seg(" of "),
            self.m(n.e(d.expr)),
        ]
        if d.constants:
            line += [Seg(", holding "), *self._listing(d.constants), Seg(" constant")]
        return [*line, Seg(".")]

    def _listing(self, items: Iterable[Any]) -> Line:
        out: Line = []
        for i, item in enumerate(items):
            if i:
                out.append(Seg(", "))
            out.append(self.m(self.n.e(item)))
        return out

    def answer_lhs(self) -> str:
        d, n = self.d, self.n
        if d.steps.rule == "implicit":
            return n.e(sympy.Derivative(d.steps.pieces["y"], (d.var, d.order)))
        return n.d_of(d.expr, d.var, partial=self.partial, order=d.order)

    def answer(self) -> str:
        result = self.reading.named(self.d.result) if self.reading.names else self.d.result
        return f"{self.answer_lhs()} = {self.n.e(result)}"

    def answer_where(self) -> list[Line]:
        if not self.reading.names or self.component:
            return []
        n = self.n
        line: Line = [Seg("where "), self.m(self.reading.meaning(n)), Seg(": ")]
        for i, (name, value) in enumerate(self.reading.names.items()):
            if i:
                line.append(Seg(", "))
            line.append(self.m(f"{n.e(name)} = {n.e(value)}"))
        return [line]

    def tail(self) -> list[tuple[str, list[Line]]]:
        d, n = self.d, self.n
        out: list[tuple[str, list[Line]]] = []
        if d.conditions:
            out.append(("Conditions", [[self.m(c)] for c in n.conds(d.conditions)]))
        forms: list[str] = []
        for f in d.equivalent_forms:
            shown = n.e(f)
            if shown not in forms and shown != n.e(d.result):
                forms.append(shown)
        if forms:
            label = "Equivalent form" if len(forms) == 1 else "Equivalent forms"
            out.append((label, [[self.m(f)] for f in forms]))
        for k in d.kinks:
            out.append(("", [self.kink_line(k)]))
        for said in getattr(d, "notes", ()):
            out.append(("Note", [[Seg(said)]]))
        for note in [] if self.component else self.reading.notes:
            out.append(("Note", [note.line(n)]))
        check = self.check_line()
        if check:
            out.append(("Check", [check]))
        return out

    def kink_line(self, k: Any) -> Line:
        n, x = self.n, self.d.var
        at = [Seg("Not differentiable at "), self.m(f"{n.e(x)} = {n.e(k.point)}")]
        if k.jump is not None:
            return [
                *at,
                Seg(": the function jumps from "),
                self.m(n.e(k.jump[0])),
                Seg(" to "),
                self.m(n.e(k.jump[1])),
                Seg(" there; on each side the derivative is "),
                self.m(n.e(k.left)) if k.left == k.right else self.m(f"{n.e(k.left)}, {n.e(k.right)}"),
                Seg("."),
            ]
        lo, hi = k.subgradients
        line = [
            *at,
            Seg(": the derivative is "),
            self.m(n.e(k.left)),
            Seg(" from the left and "),
            self.m(n.e(k.right)),
            Seg(" from the right; the slopes in "),
            self.m(f"[{n.e(lo)}, {n.e(hi)}]"),
            Seg(" are the generalised gradients there (the subgradients where f is convex)."),
        ]
        if k.framework_value is not None:
            line += [Seg(" ML frameworks take "), self.m(n.e(k.framework_value)), Seg(" at the kink.")]
        return line

    def _verdict(self) -> str:
        """The check line's last words: the comparison with SymPy, unless it could not be made."""
        if any(note.startswith("Not verified") for note in getattr(self.d, "notes", ())):
            return "; the comparison with SymPy's derivative could not be made (see the note)."
        return "; the answer equals SymPy's derivative" + (
            " under the conditions above." if self.d.conditions else "."
        )

    def check_line(self) -> Line | None:
        from ..derive.verify import numeric_check

        check = numeric_check(self.d)
        if check is None:
            return None
        n = self.n
        where = [self.m(f"{n.e(sympy.Symbol(k))} = {n.number(v)}") for k, v in check["point"].items()]  # type: ignore[attr-defined]
        line: Line = [Seg("at ")]
        for i, w in enumerate(where):
            if i:
                line.append(Seg(", "))
            line.append(w)
        line += [
            Seg(" the answer gives "),
            self.m(n.number(check["answer"])),  # type: ignore[arg-type]
            Seg(" and a central difference of f (step "),
            self.m(f"h = {n.number(check['h'])}"),  # type: ignore[arg-type]
            Seg(") gives "),
            self.m(n.number(check["central_difference"])),  # type: ignore[arg-type]
            Seg(self._verdict()),
        ]
        return line


def plan(d: Derivation, n: Notation) -> Document:
    """The document of a solution, in one format's notation."""
    return Planner(d, n).document()


# -- text -----------------------------------------------------------------------------------------------


def _plain(line: Line) -> str:
    return "".join(seg.s for seg in line)


def _wrapped(prefix: str, line: Line, width: int | None, hang: int) -> list[str]:
    """A line broken between words of prose and between whole expressions, never inside an expression."""
    if width is None:
        return [prefix + _plain(line)]
    words: list[str] = []
    glue: list[bool] = []  # whether a word follows the previous one without a space
    spaced = True
    for seg in line:
        if seg.math:
            words.append(seg.s)
            glue.append(not spaced)
            spaced = False
            continue
        pieces = seg.s.split(" ")
        for i, w in enumerate(pieces):
            if i > 0:
                spaced = True
            if w == "":
                continue
            words.append(w)
            glue.append(not spaced)
            spaced = False
        if seg.s.endswith(" "):
            spaced = True
    out: list[str] = []
    current = prefix
    for w, joined in zip(words, glue, strict=True):
        if joined or current.endswith(" ") or not current:
            candidate = current + w
        else:
            candidate = current + " " + w
        if len(candidate) > width and current.strip() and not joined:
            out.append(current.rstrip())
            current = " " * hang + w
        else:
            current = candidate
    out.append(current.rstrip())
    return out


def document_to_text(doc: Document, width: int | None = None) -> str:
    """Numbered plain text, indented by depth; lines wrapped at ``width`` between expressions, never inside one."""
    out = _wrapped("", doc.find, width, 2)
    for block in doc.blocks:
        if block.title is not None:
            out += _wrapped("", [*block.title, Seg(":")], width, 2)
        _text_items(block.items, "", 0, out, width)
    out += _wrapped("", [Seg("Answer: "), Seg(doc.answer, True)], width, 8)
    for line in doc.answer_where:
        out += _wrapped("  ", line, width, 4)
    for label, lines in doc.tail:
        joiner = "; " if label in ("Conditions", "Equivalent forms") else " "
        merged: Line = [Seg(label + ": ")] if label else []
        for i, line in enumerate(lines):
            if i:
                merged.append(Seg(joiner))
            merged += line
        out += _wrapped("", merged, width, 2)
    return "\n".join(out)


def _text_items(items: list[Item], number: str, depth: int, out: list[str], width: int | None) -> None:
    indent = "   " * depth
    for i, item in enumerate(items, 1):
        label = f"{number}{i}."
        out += _wrapped(f"{indent}{label} ", item.head, width, len(indent) + len(label) + 1)
        for note in item.notes:
            out += _wrapped(indent + "   ", note, width, len(indent) + 5)
        _text_items(item.children, label, depth + 1, out, width)


def derivation_to_text(d: Derivation, width: int | None = None) -> str:
    """Numbered plain text in the notation a student types, indented by depth.

    Args:
        d: the derivation.
        width: wrap lines at this many characters, between words and whole expressions (never inside an
            expression); ``None`` (the default) does not wrap.
    """
    return document_to_text(plan(d, Notation(_implicit_names(d))), width)


def component_text(d: Derivation, width: int | None = None) -> str:
    """One partial derivative of a gradient: its working and answer, without the notes the gradient gives once."""
    return document_to_text(Planner(d, Notation(_implicit_names(d)), component=True).document(), width)


def condition_text(c: Any) -> str:
    """A condition as a person writes it: ``x ≠ 0``, ``x > 0`` (variable on the left), ``|x| < 1``."""
    return relation_text(c)


# -- Markdown -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$|~#!])")


def _md_prose(s: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_line(line: Line) -> str:
    return "".join(f"${seg.s}$" if seg.math else _md_prose(seg.s) for seg in line)


def _md_head(line: Line) -> str:
    """A headline with the rule's name in bold (the first prose piece, up to its colon)."""
    if line and not line[0].math:
        first = line[0].s
        name = first.rstrip(": ")
        rest = first[len(name) :]
        return f"**{_md_prose(name)}**{_md_prose(rest)}" + _md_line(line[1:])
    return _md_line(line)


def _md_items(items: list[Item], indent: str, out: list[str]) -> None:
    for i, item in enumerate(items, 1):
        marker = f"{i}. "
        out.append(f"{indent}{marker}{_md_head(item.head)}")
        inner = indent + " " * len(marker)
        for note in item.notes:
            out.append(f"{inner}- {_md_line(note)}")
        _md_items(item.children, inner, out)


def document_to_markdown(doc: Document) -> str:
    out = [f"**Find** {_md_line(doc.find[1:])}", ""]
    for block in doc.blocks:
        if block.title is not None:
            out += [f"**{_md_line(block.title)}**", ""]
        _md_items(block.items, "", out)
        out.append("")
    out += ["**Answer:**", "", f"$${doc.answer}$$", ""]
    for line in doc.answer_where:
        out += [_md_line(line), ""]
    if doc.tail:
        for label, lines in doc.tail:
            joiner = "; " if label in ("Conditions", "Equivalent forms") else " "
            out.append("- " + (f"{label}: " if label else "") + joiner.join(_md_line(line) for line in lines))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def derivation_to_markdown(d: Derivation) -> str:
    """Markdown with ``$...$`` math: the question, the numbered working (nested CommonMark lists), the answer
    as display math, the conditions and the check."""
    return document_to_markdown(plan(d, LatexNotation(_implicit_names(d))))


def component_markdown(d: Derivation) -> str:
    return document_to_markdown(Planner(d, LatexNotation(), component=True).document())


def component_latex(d: Derivation) -> str:
    return document_to_latex(Planner(d, LatexNotation(), component=True).document())


def _answer_lhs_latex(d: Derivation) -> str:
    return Planner(d, LatexNotation(_implicit_names(d))).answer_lhs()


# -- LaTeX ----------------------------------------------------------------------------------------------

_TEX_PROSE = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\~{}",
    "$": r"\$",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "≠": r"$\neq$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "·": r"$\cdot$",
    "∂": r"$\partial$",
    "λ": r"$\lambda$",
    "σ": r"$\sigma$",
    "∞": r"$\infty$",
    "²": r"\textsuperscript{2}",
}


def _escape(s: str) -> str:
    """Prose for LaTeX: the special characters escaped, the few non-ASCII ones written as LaTeX."""
    return "".join(_TEX_PROSE.get(ch, ch) for ch in s)


def _tex_line(line: Line) -> str:
    return "".join(f"${seg.s}$" if seg.math else _escape(seg.s) for seg in line)


def _tex_head(line: Line) -> str:
    if line and not line[0].math:
        first = line[0].s
        name = first.rstrip(": ")
        rest = first[len(name) :]
        return rf"\textbf{{{_escape(name)}}}{_escape(rest)}" + _tex_line(line[1:])
    return _tex_line(line)


def _tex_items(items: list[Item], out: list[str]) -> None:
    out.append(r"\begin{enumerate}")
    for item in items:
        out.append(rf"\item {_tex_head(item.head)}")
        if item.notes:
            out.append(r"\begin{itemize}")
            out.extend(rf"\item {_tex_line(note)}" for note in item.notes)
            out.append(r"\end{itemize}")
        if item.children:
            _tex_items(item.children, out)
    out.append(r"\end{enumerate}")


def document_to_latex(doc: Document) -> str:
    out = [rf"\noindent\textbf{{Find}} {_tex_line(doc.find[1:])}"]
    for block in doc.blocks:
        if block.title is not None:
            out.append(rf"\par\noindent\textbf{{{_tex_line(block.title)}}}")
        if block.items:
            _tex_items(block.items, out)
    out.append(rf"\noindent\textbf{{Answer:}} \[ {doc.answer} \]")
    for line in doc.answer_where:
        out.append(rf"\noindent {_tex_line(line)}\par")
    for label, lines in doc.tail:
        joiner = "; " if label in ("Conditions", "Equivalent forms") else " "
        out.append(
            rf"\noindent {_escape(label)}: " + joiner.join(_tex_line(line) for line in lines) + r"\par"
        )
    return "\n".join(out) + "\n"


def derivation_to_latex(d: Derivation) -> str:
    """A LaTeX fragment (nested ``enumerate`` lists, inline math); compiles with ``amsmath`` in the preamble."""
    return document_to_latex(plan(d, LatexNotation(_implicit_names(d))))


#: A type for the functions that write a planned document.
Writer = Callable[[Document], str]
