"""The package layout holds: imports point down the flow, never back, and there is no import circle.

The stages, lowest first (``docs/layout.md`` draws them):

    ground floor (errors, functions, variables, bounded) -> parse -> derive -> render -> numeric -> teach
    -> batch -> the command line, the tour, plotting and the package's own ``__init__``

A module may import, at module level, only from its own stage or a lower one, and the module-level import
graph has no circle. An import inside a function may point up only where the layout says so: a result's
``to_latex()``-style method renders itself, a result may draw itself with ``plotting``, and the
critical-point search borrows the compiled Hessian for its numeric fallback.
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

import symcalc

PACKAGE = pathlib.Path(symcalc.__file__).parent

STAGES = [
    {"errors", "functions", "variables", "bounded"},
    {"parse"},
    {"derive"},
    {"render"},
    {"numeric"},
    {"teach"},
    {"batch"},
    {"web"},
    {"cli", "tour", "plotting", "__init__", "__main__"},
]

#: Imports inside a function that may point up the flow: (importing stage or module, imported stage or module).
LAZY_UPWARD = {
    ("derive", "render"),  # Derivation.to_text() and the other result methods render themselves
    ("teach", "render"),
    ("derive.critical", "numeric.compile"),  # Newton's method with the compiled Hessian (DESIGN.md)
    ("teach", "plotting"),  # ComputationalGraph.picture()
}


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _stage(module: str) -> int:
    head = module.split(".")[0]
    for i, names in enumerate(STAGES):
        if head in names:
            return i
    raise AssertionError(f"module {module!r} belongs to no stage: add it to STAGES and docs/layout.md")


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The symcalc modules an ``from ... import ...`` names, relative to ``module``."""
    if node.level == 0:
        if not (node.module or "").startswith("symcalc"):
            return []
        base = (node.module or "").split(".")[1:]
    else:
        here = module.split(".") if module != "__init__" else []
        package = here if is_package else here[:-1]
        up = node.level - 1
        base = package[: len(package) - up] if up else package
        base = base + (node.module.split(".") if node.module else [])
    targets = []
    for alias in node.names:
        candidate = ".".join([*base, alias.name])
        if (PACKAGE / candidate.replace(".", "/")).with_suffix(".py").exists() or (
            PACKAGE / candidate.replace(".", "/") / "__init__.py"
        ).exists():
            targets.append(candidate)
        elif base:
            targets.append(".".join(base))
    return sorted(set(targets))


def _imports() -> dict[str, list[tuple[str, bool]]]:
    """Each module's symcalc imports, each with whether it is at module level."""
    graph: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        top = {id(n) for n in tree.body}
        top |= {id(n) for s in tree.body if isinstance(s, ast.If) for n in s.body}
        edges = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for target in _resolve(module, path.name == "__init__.py", node):
                    if target and target != module:
                        edges.append((target, id(node) in top))
        graph[module] = edges
    return graph


GRAPH = _imports()


def test_every_module_belongs_to_a_stage() -> None:
    for module in GRAPH:
        _stage(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_module_level_imports_point_down_the_flow(module: str) -> None:
    for target, top_level in GRAPH[module]:
        if top_level:
            assert _stage(target) <= _stage(module), f"{module} imports {target}, a later stage"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_inside_functions_point_up_only_where_the_layout_says(module: str) -> None:
    for target, top_level in GRAPH[module]:
        if top_level or _stage(target) <= _stage(module):
            continue
        allowed = any(
            (module == a or module.startswith(a + ".")) and (target == b or target.startswith(b + "."))
            for a, b in LAZY_UPWARD
        )
        assert allowed, f"{module} imports {target} (a later stage) inside a function"


def test_the_module_level_import_graph_has_no_circle() -> None:
    edges = {m: sorted({t for t, top in ts if top and t in GRAPH}) for m, ts in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in edges[m]:
            if state.get(t) == 1:
                cycle = path[path.index(t) :] + [t] if t in path else [m, t]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in edges:
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m != "__main__"))
def test_each_module_imports(module: str) -> None:
    name = "symcalc" if module == "__init__" else f"symcalc.{module}"
    assert importlib.import_module(name).__name__ == name


@pytest.mark.parametrize(
    ("old", "name"),
    [
        ("symcalc.check", "check_gradient"),
        ("symcalc.check", "gradcheck"),
        ("symcalc.critical", "critical_points"),
        ("symcalc.critical", "lagrange"),
        ("symcalc.multivariable", "gradient"),
        ("symcalc.steps", "CATALOGUE"),
        ("symcalc.parsing", "parse"),
        ("symcalc.optimize", "UpdateRule"),
        ("symcalc.optimize", "minimize"),
        ("symcalc.regression", "linear_regression"),
        ("symcalc.render", "derivation_to_text"),
        ("symcalc.batch", "run_batch"),
    ],
)
def test_module_paths_from_before_the_layout_still_import(old: str, name: str) -> None:
    assert getattr(importlib.import_module(old), name) is not None


def test_the_public_names_are_unchanged() -> None:
    for name in symcalc.__all__:
        assert getattr(symcalc, name) is not None
    assert callable(symcalc.compile) and callable(symcalc.parse) and callable(symcalc.backprop)
