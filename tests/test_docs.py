"""The documentation site builds strictly: ``mkdocs build --strict`` with no warning at all.

Also unit checks of the build-time hooks in ``docs/hooks/`` (the derivation pages are the
``gmmsym derive --latex`` output; the home page is the README with working links).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("mkdocstrings_handlers.python")


def _hook(name: str):
    spec = importlib.util.spec_from_file_location(
        f"_docs_hook_{name}", ROOT / "docs" / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log[-4000:]}"
    return out, log


def test_build_has_no_warning(site):
    _, log = site
    warnings = [line for line in log.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert not warnings, "\n".join(warnings)


def test_generated_pages_exist(site):
    out, _ = site
    from gmmsym.symbolic.derive import SECTIONS

    for page in ["index", "model", "tutorial", "api", "derivations", *(f"derivations/{s}" for s in SECTIONS)]:
        html = out / page / "index.html" if page != "index" else out / "index.html"
        assert html.is_file(), page
    api = (out / "api" / "index.html").read_text(encoding="utf-8")
    assert "gmmsym.dynamics.engine.simulate" in api and ".. math::" not in api
    model = (out / "model" / "index.html").read_text(encoding="utf-8")
    assert model.count('class="arithmatex"') > 50


def test_derivation_pages_are_the_derive_latex_output():
    from gmmsym.symbolic.derive import format_derivations

    hook = _hook("derivations")
    text = format_derivations(latex=True, sections=("gradients",))
    page = hook.section_page("gradients", text)
    _, entries = hook.parse_latex_report(text)
    assert len(entries) == 6  # dL/dmu1, dL/dmu2, dL/dl1, dL/dr1, dL/dl2, dL/dr2
    for title, latex in entries:
        assert f"## `{title}`" in page and f"$$\n{latex}\n$$" in page
    with pytest.raises(ValueError, match="unexpected line"):
        hook.parse_latex_report(text + "stray text\n")
    with pytest.raises(ValueError, match="no equations"):
        hook.parse_latex_report("% header only\n")


def test_home_page_links_docs_pages():
    hook = _hook("pages")
    page = hook.home_page("see `docs/model.md` section 5 and `examples/tutorial.ipynb`; `gmmsym/x.py`")
    assert "[`docs/model.md`](model.md)" in page
    assert "[`examples/tutorial.ipynb`](tutorial.md)" in page
    assert "`gmmsym/x.py`" in page  # source paths stay code text


def test_table_pipes_in_code_spans(site):
    hook = _hook("pages")
    row = "| `a [--x \\| --y]` | max \\|d\\| `b` |"
    assert hook.unescape_table_pipes(row) == "| `a [--x | --y]` | max \\|d\\| `b` |"
    assert hook.unescape_table_pipes("not a row `x \\| y`") == "not a row `x \\| y`"
    home = (site[0] / "index.html").read_text(encoding="utf-8")
    assert "--quick | --thorough" in home and "\\|" not in home


def test_rst_math_extension():
    hook = _hook("rst_math")
    text = "Distance:\n\n.. math::\n\n    a = b\n    + c\n\nSee :data:`LABELS` and :func:`~gmmsym.classify`."
    out = hook.markdown_docstring(text)
    assert "$$\na = b\n+ c\n$$" in out and "`LABELS`" in out and "`gmmsym.classify`" in out
    assert hook.markdown_docstring(out) == out
