"""MkDocs hook: the home page from ``README.md`` and the tutorial page from the notebook.

Both pages are generated at build time, so the site never disagrees with the README or with
``examples/tutorial.ipynb`` (nothing is written into ``docs/``):

* ``index.md``: the README, with every ``docs/NAME.md`` code reference turned into a link to
  that page and ``examples/tutorial.ipynb`` into a link to the tutorial page.
* ``tutorial.md``: the notebook's markdown cells (``docs/NAME.md`` linked as above) and its code
  cells as fenced Python blocks (the notebook is checked in without outputs;
  ``tests/test_tutorial.py`` runs it).

Every page: in table rows, ``\\|`` inside a code span becomes ``|``.  GitHub needs the escape
there (an unescaped pipe ends the cell), Python-Markdown's tables already ignore pipes inside
code spans and would show the backslash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

NOTEBOOK = "examples/tutorial.ipynb"
_DOC_REF = re.compile(r"`docs/([A-Za-z0-9_\-]+)\.md`")
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def unescape_table_pipes(markdown: str) -> str:
    """``\\|`` -> ``|`` inside code spans on table rows (lines starting with ``|``)."""
    out = []
    for line in markdown.split("\n"):
        if line.lstrip().startswith("|"):
            line = _CODE_SPAN.sub(lambda m: m.group(0).replace("\\|", "|"), line)
        out.append(line)
    return "\n".join(out)


def link_docs_pages(markdown: str) -> str:
    """Every ``docs/NAME.md`` code reference as a link to that page (pages at the site's top level)."""
    return _DOC_REF.sub(lambda m: f"[`docs/{m.group(1)}.md`]({m.group(1)}.md)", markdown)


def home_page(readme: str) -> str:
    """The README as the site's home page, with links to the docs pages it names."""
    return link_docs_pages(readme).replace(f"`{NOTEBOOK}`", f"[`{NOTEBOOK}`](tutorial.md)")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def tutorial_page(notebook: dict) -> str:
    """Markdown rendering of a notebook: markdown cells verbatim, code cells fenced."""
    if notebook.get("nbformat") != 4:
        raise ValueError(f"{NOTEBOOK}: expected nbformat 4, got {notebook.get('nbformat')!r}")
    parts = []
    for cell in notebook["cells"]:
        text = _source(cell).strip("\n")
        if cell["cell_type"] == "markdown":
            parts.append(link_docs_pages(text))
        elif cell["cell_type"] == "code" and text.strip():
            parts.append(f"```python\n{text}\n```")
    parts.append(
        f"*This page is generated from `{NOTEBOOK}` when the site is built; download the notebook "
        "from the repository to run it.*"
    )
    return "\n\n".join(parts) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    return unescape_table_pipes(markdown)


def on_files(files: Files, config) -> Files:
    root = Path(config.config_file_path).resolve().parent
    files.append(File.generated(config, "index.md", content=home_page((root / "README.md").read_text())))
    notebook = json.loads((root / NOTEBOOK).read_text())
    files.append(File.generated(config, "tutorial.md", content=tutorial_page(notebook)))
    return files
