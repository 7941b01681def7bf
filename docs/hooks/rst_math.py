"""Griffe extension for the API reference: reStructuredText bits of docstrings as Markdown.

gmmsym's NumPy-style docstrings use ``.. math::`` blocks and Sphinx roles (``:data:`X```,
``:func:`X```, ``:mod:`X```, ...).  mkdocstrings renders docstrings as Markdown, where these
would show as literal text; this extension rewrites them, in the docs build only:

* a ``.. math::`` directive with its indented body becomes a ``$$ ... $$`` block (rendered by
  ``pymdownx.arithmatex``);
* ``:role:`target``` becomes ``target`` in code font (a leading ``~`` is dropped).

Registered in ``mkdocs.yml`` under the Python handler's ``extensions``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:data|func|mod|class|meth|attr|obj|exc|const):`~?([^`]+)`")


def _math_blocks(text: str) -> str:
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped.startswith(".. math::"):
            out.append(line)
            i += 1
            continue
        indent = len(line) - len(stripped)
        body = [stripped[len(".. math::") :].strip()]
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i].strip())
            i += 1
        pad = " " * indent
        math = "\n".join(pad + b for b in body if b)
        out += ["", f"{pad}$$", math, f"{pad}$$", ""]
    return "\n".join(out)


def markdown_docstring(text: str) -> str:
    """``text`` with ``.. math::`` blocks and Sphinx roles turned into Markdown."""
    return _ROLE.sub(r"`\1`", _math_blocks(text))


class RstMath(griffe.Extension):
    """Rewrite every docstring with :func:`markdown_docstring`."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
