"""The learning-path notebooks in ``notebooks/``: committed without outputs, and each runs top to bottom in a
fresh kernel of the current interpreter without an error.

Each notebook is executed with nbclient (kernel ``python3``, 120 s per cell) in a temporary working
directory, with ``MPLBACKEND=Agg``. The ``python3`` kernelspec is pinned to ``sys.executable`` through a
kernelspec written to a temporary ``JUPYTER_PATH`` (which takes precedence over user and system kernelspecs),
so a stale ``python3`` kernel elsewhere on the machine cannot run the notebooks with another Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = {
    "01_derivatives_and_gradients.ipynb",
    "02_optimization_basics.ipynb",
    "03_multivariable_calculus.ipynb",
    "04_gradient_descent.ipynb",
    "05_backpropagation.ipynb",
}
CELL_TIMEOUT = 120  # seconds per cell


def test_the_learning_path_is_complete() -> None:
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook without code cells"
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"cells {dirty} have outputs or an execution count: clear them before committing"


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment for a fresh kernel of this interpreter; returns the working directory."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (symcalc tests)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no user startup files or history
    monkeypatch.setenv("MPLBACKEND", "Agg")
    work = tmp_path / "work"
    work.mkdir()
    return work


def _execute(nb: object, cwd: Path) -> object:
    nbclient = pytest.importorskip("nbclient")
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


def test_the_kernel_is_this_interpreter(kernel_env: Path) -> None:
    pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import os, sys; print(sys.prefix); print(os.getcwd())")]
    )
    _execute(nb, kernel_env)
    (out,) = nb.cells[0].outputs
    prefix, cwd = out["text"].splitlines()
    assert prefix == sys.prefix
    assert Path(cwd).resolve() == kernel_env.resolve()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, kernel_env: Path) -> None:
    pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.read(path, as_version=4)
    _execute(nb, kernel_env)  # raises CellExecutionError on the first failing cell

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    # A figure left as the last expression of a cell must show as a picture, not as "<Figure size ...>".
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if str(data.get("text/plain", "")).startswith("<Figure"):
                assert "image/png" in data, f"cell {i} shows a figure as text only: {data['text/plain']}"


# -- the learning path reads in order, and practises what it teaches ---------------------------------------


def _cells(name: str) -> list[tuple[str, str]]:
    nb = json.loads((NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


PRACTICE = {
    "01_derivatives_and_gradients.ipynb": "derivatives",
    "02_optimization_basics.ipynb": "optimization",
    "03_multivariable_calculus.ipynb": "multivariable",
    "04_gradient_descent.ipynb": "descent",
    "05_backpropagation.ipynb": "backprop",
}


@pytest.mark.parametrize(("name", "set_name"), sorted(PRACTICE.items()))
def test_each_notebook_ends_with_exercises_whose_solutions_are_hidden(name: str, set_name: str) -> None:
    import symcalc as sc

    cells = _cells(name)
    start = max(i for i, (kind, text) in enumerate(cells) if text.startswith("## Practice"))
    tail = "\n".join(text for _kind, text in cells[start:])
    assert f'sc.ExerciseSet.builtin("{set_name}")' in tail
    exercises = sc.ExerciseSet.builtin(set_name)
    asked = [e.id for e in exercises if f'practice["{e.id}"]' in tail]
    assert 5 <= len(asked) == len(exercises) <= 10
    assert ".solution()" not in "\n".join(t for k, t in cells[start:] if k == "code")  # nothing revealed
    assert [k for k, t in cells[start + 1 :] if t.startswith("## ")] == []  # the exercises are the end


def test_notebook_02_uses_nothing_before_it_is_taught() -> None:
    cells = _cells("02_optimization_basics.ipynb")
    code = "\n".join(t for k, t in cells if k == "code")
    # the Taylor model and Lagrange multipliers come in notebook 3, after the Hessian is defined there
    assert "sc.taylor" not in code and "sc.lagrange" not in code
    first = {
        word: next(i for i, (_k, t) in enumerate(cells) if word in t.lower())
        for word in ["partial derivative", "hessian", "eigenvalue"]
    }
    defined = {
        "partial derivative": next(i for i, (_k, t) in enumerate(cells) if "**partial derivative**" in t),
        "hessian": next(i for i, (_k, t) in enumerate(cells) if "**Hessian**" in t),
        "eigenvalue": next(i for i, (_k, t) in enumerate(cells) if "**eigenvalue**" in t),
    }
    for word, i in first.items():
        assert i >= defined[word] - 1 or i == 0, (word, i, defined[word])  # the intro may name what is coming
    later = [i for i, (_k, t) in enumerate(cells) if "eigenvalue" in t.lower() and i not in (0,)]
    assert min(later) >= defined["eigenvalue"]
    notebook3 = "\n".join(t for _k, t in _cells("03_multivariable_calculus.ipynb"))
    assert "## Why the second-derivative test works" in notebook3 and "sc.lagrange" in notebook3
    assert notebook3.index("## The Hessian") < notebook3.index("## Why the second-derivative test works")


def test_notebook_04_derives_the_regression_gradient_over_the_data() -> None:
    code = "\n".join(t for k, t in _cells("04_gradient_descent.ipynb") if k == "code")
    for piece in [
        "IndexedBase",
        "sympy.Sum(",
        "sc.derivative(L, w)",
        "sc.gradient(L, [w, b])",
        "data={",
        "100_000",
    ]:
        assert piece in code, piece
    assert "zip(xs, ys" not in code  # no loss written out term by term


def test_notebook_05_uses_the_public_api_and_shows_a_two_layer_pass() -> None:
    code = "\n".join(t for k, t in _cells("05_backpropagation.ipynb") if k == "code")
    assert "from symcalc." not in code and "import symcalc." not in code and "examples(" not in code
    assert "tanh(w1*x + b1)" in code and "net.to_text()" in code and "net.to_figure()" in code


def test_the_graph_picture_reads_no_box_overlaps_another() -> None:
    pytest.importorskip("matplotlib")
    import symcalc as sc

    net = sc.backprop(
        "(v1*tanh(w1*x + b1) + v2*tanh(w2*x + b2) + c - y)^2",
        {"w1": 0.5, "b1": 0.1, "w2": -0.3, "b2": 0.2, "v1": 1.0, "v2": -0.5, "c": 0.1, "x": 1.0, "y": 0.5},
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = net.to_figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in fig.axes[0].texts if t.get_bbox_patch()]
    assert len(boxes) == 20  # every node but the constants, which are written into their operation
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    size = fig.get_size_inches()
    assert all(
        a.x0 >= 0 and a.y0 >= 0 and a.x1 <= size[0] * fig.dpi and a.y1 <= size[1] * fig.dpi for a in boxes
    )


def test_the_readme_lists_every_notebook() -> None:
    readme = (NOTEBOOKS_DIR.parent / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in readme, path.name
