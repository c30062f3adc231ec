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
