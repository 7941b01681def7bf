"""MkDocs hook: the derivation pages, generated at build time from the SymPy layer.

Each section of ``gmmsym derive`` (``gmmsym.symbolic.derive.SECTIONS``) becomes one page
``derivations/<section>.md``, plus an overview ``derivations/index.md``.  The equations are the
text that ``gmmsym derive --latex --sections <section>`` prints (``format_derivations(latex=True)``),
parsed back into ``(title, LaTeX)`` entries, so the site shows exactly what the command prints and
no expression is built twice.  The pages exist only in the built site; nothing is written into
``docs/``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.derivations")

#: Page title, one-line explanation and the section of docs/model.md it belongs to.
#: A section of ``SECTIONS`` missing here still gets a page, titled by its name.
_ABOUT = {
    "objective": ("Objective", "The objective L as an integral and in closed form.", 2),
    "gradients": ("Gradients", "The derivatives of L in every generator mean and endpoint.", 2),
    "hessian": ("Hessian", "Second derivatives of L in (mu, ell).", 2),
    "jacobian": (
        "Jacobian of the simultaneous field",
        "The vector field (-grad_mu L, +grad_ell L) of the simultaneous dynamics and its Jacobian.",
        4,
    ),
    "stationary": (
        "Stationary conditions",
        "Where the generator and the discriminator stop moving, including collapsed intervals "
        "held by the projection.",
        4,
    ),
    "crossings": (
        "Crossings: the exponential sum",
        "The density gap times a positive factor is an exponential sum; its sign changes bound "
        "the crossings and so the pieces of the optimal discriminator.",
        3,
    ),
    "tv": ("TV given the crossings", "The total variation distance in closed form, given the crossings.", 3),
}


def _repo_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def parse_latex_report(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``(header, [(title, latex), ...])`` from the output of ``gmmsym derive --latex``.

    The format is a ``% header`` line, then per entry a ``% title`` line and the equation
    between lines ``\\[`` and ``\\]``.  Raises ``ValueError`` on anything else, so a change of
    the command's format breaks the docs build loudly instead of silently dropping equations.
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("% "):
        raise ValueError("derive --latex output: expected a '% header' first line")
    header, entries, title, i = lines[0][2:].strip(), [], None, 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("% "):
            title = line[2:].strip()
        elif line.strip() == "\\[":
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "\\]"), -1)
            if title is None or end < 0:
                raise ValueError(f"derive --latex output: unexpected equation block at line {i + 1}")
            entries.append((title, "\n".join(lines[i + 1 : end]).strip()))
            title, i = None, end
        elif line.strip():
            raise ValueError(f"derive --latex output: unexpected line {i + 1}: {line[:60]!r}")
        i += 1
    if not entries:
        raise ValueError("derive --latex output: no equations found")
    return header, entries


def section_page(section: str, text: str) -> str:
    """The markdown of one derivation page from the ``--latex`` text of that section."""
    header, entries = parse_latex_report(text)
    title, about, model_section = _ABOUT.get(section, (section.capitalize(), "", None))
    out = [f"# {title}", ""]
    if about:
        out += [about, ""]
    out += [
        f"Generated at build time from `gmmsym derive --latex --sections {section}` ({header}).",
    ]
    if model_section is not None:
        out += [f"Definitions and notation: [the model, section {model_section}](../model.md)."]
    out.append("")
    for name, latex in entries:
        out += [f"## `{name}`", "", "$$", latex, "$$", ""]
    return "\n".join(out)


def index_page(sections: tuple[str, ...]) -> str:
    """The overview page listing every section."""
    out = [
        "# Derivations",
        "",
        "These pages are generated when the site is built, from the SymPy model of",
        "`gmmsym.symbolic`: each shows what `gmmsym derive --latex --sections NAME` prints for the",
        "paper's model (K = M = 2, w = (1/2, 1/2), sigma = 1). Run `gmmsym derive` for the same",
        "expressions as text. Notation: [the model](../model.md).",
        "",
        "| section | page | contents |",
        "|---|---|---|",
    ]
    for s in sections:
        title, about, _ = _ABOUT.get(s, (s.capitalize(), "", None))
        out.append(f"| `{s}` | [{title}]({s}.md) | {about} |")
    return "\n".join(out) + "\n"


def pages() -> dict[str, str]:
    """``{src_uri: markdown}`` of every derivation page."""
    from gmmsym.symbolic.derive import SECTIONS, format_derivations

    out = {"derivations/index.md": index_page(tuple(SECTIONS))}
    for s in SECTIONS:
        out[f"derivations/{s}.md"] = section_page(s, format_derivations(latex=True, sections=(s,)))
    return out


def _use_checkout(config) -> None:
    root = str(_repo_root(config))
    if root not in sys.path:
        sys.path.insert(0, root)  # document the checkout, installed or not


def on_config(config):
    """Expand the nav entry ``Derivations: derivations/index.md`` into one page per section."""
    _use_checkout(config)
    from gmmsym.symbolic.derive import SECTIONS

    pages = ["derivations/index.md"]
    pages += [{_ABOUT.get(s, (s.capitalize(),))[0]: f"derivations/{s}.md"} for s in SECTIONS]
    for item in config.nav or []:
        if isinstance(item, dict) and item.get("Derivations") == "derivations/index.md":
            item["Derivations"] = pages
    return config


def on_files(files: Files, config) -> Files:
    _use_checkout(config)
    generated = pages()
    for uri, text in generated.items():
        files.append(File.generated(config, uri, content=text))
    log.debug("generated %d derivation pages", len(generated))
    return files
