"""The tutorial notebook ``examples/tutorial.ipynb`` runs: every code cell, in order, in one namespace.

No Jupyter dependency: the notebook is read with :mod:`json` and each code cell is ``exec``-ed.
The notebook's own ``assert`` statements are the checks (labels of each dynamics, the collapse
of the discriminator, a claim passing, a property holding and a false one being refuted).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"
CPU_BUDGET = 60.0  # seconds of this process's CPU time: "runs in under a minute"


def _notebook() -> dict:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_notebook_is_nbformat4_with_outputs_cleared():
    nb = _notebook()
    assert nb["nbformat"] == 4 and isinstance(nb.get("metadata"), dict)
    kinds = [c["cell_type"] for c in nb["cells"]]
    assert set(kinds) <= {"markdown", "code"} and "code" in kinds
    for c in nb["cells"]:
        assert isinstance(c["metadata"], dict) and isinstance(c["source"], (list, str))
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, "clear the notebook's outputs"


def test_notebook_runs(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    plt = pytest.importorskip("matplotlib.pyplot")
    namespace: dict = {"__name__": "__tutorial__"}
    t0 = time.process_time()
    try:
        for n, cell in enumerate(_notebook()["cells"]):
            if cell["cell_type"] == "code":
                code = compile(_source(cell), f"{NOTEBOOK.name}[cell {n}]", "exec")
                exec(code, namespace)  # noqa: S102 - running the tutorial is the test
    finally:
        plt.close("all")
    cpu = time.process_time() - t0
    assert cpu < CPU_BUDGET, f"tutorial took {cpu:.1f} s of CPU, budget {CPU_BUDGET:.0f} s"
