"""``gmmsym derive``: fits the terminal, prints in the model's order, simplifies trivial terms."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sympy as sp

from gmmsym.symbolic.derive import SECTIONS, format_derivations, latex_text, pretty_text, simplify_display

WIDTH = 70


@pytest.fixture(scope="module")
def text() -> str:
    return format_derivations(width=WIDTH)


@pytest.fixture(scope="module")
def latex() -> str:
    return format_derivations(latex=True)


def _hook():
    path = Path(__file__).resolve().parent.parent / "docs" / "hooks" / "derivations.py"
    spec = importlib.util.spec_from_file_location("derivations_hook", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:  # mkdocs not installed
        pytest.skip(str(exc))
    return module


def test_text_fits_the_width_one_block_per_entry(text):
    widths = [len(line) for line in text.splitlines()]
    assert max(widths) <= WIDTH, max(widths)
    assert "== Hessian of L in (mu, ell) (6 x 6, 14 zero entries omitted)" in text
    assert "-- [mu1, l1]" in text and "-- [l2, r2]" not in text  # zero entries omitted
    assert "== dL/dmu1" in text and "== coefficients c_k (1 x 4)" in text


def test_terminal_width_is_the_default(monkeypatch):
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((50, 20)))
    out = format_derivations(sections=("gradients",))
    assert max(len(line) for line in out.splitlines()) <= 50
    assert "\n+ " in out or "\n- " in out  # a sum wider than 50 columns: one term per line


def test_terms_print_in_the_models_order(text, latex):
    assert "phi(r1 - mu1)" in text and "phi(l1 - mu1)" in text
    assert "-mu1 + r1" not in text and "- mu1 + r1" not in text
    assert r"\phi\left(r_{1} - \mu_{1}\right)" in latex
    assert r"- \mu_{1} + r_{1}" not in latex
    assert "(x - nu1)" in text  # the densities' arguments too


def test_infinite_endpoints_are_simplified(text, latex):
    assert r"\Phi\left(-\infty\right)" not in latex and r"\infty" not in latex
    assert "Phi(-oo)" not in text and "oo" not in text


def test_display_forms_are_the_same_expressions():
    """The display simplification and the term order change how, never what, is printed."""
    from gmmsym.symbolic.derive import derivations
    from gmmsym.symbolic.functions import NormalCDF

    for title, obj in derivations(sections=("tv", "gradients")):
        shown = simplify_display(obj)
        diff = (shown - obj).rewrite(NormalCDF)
        assert sp.simplify(diff) == 0, title
        assert sp.parse_expr(_str(shown), local_dict=_names(shown)).equals(shown.rewrite(NormalCDF)), title


def _names(expr):
    from gmmsym.symbolic.functions import NormalCDF, NormalPDF

    return {**{str(s): s for s in expr.free_symbols}, "Phi": NormalCDF, "phi": NormalPDF}


def _str(expr):
    from gmmsym.symbolic.derive import _ModelOrder
    from gmmsym.symbolic.functions import NormalCDF

    class Str(_ModelOrder, sp.printing.str.StrPrinter):
        pass

    return Str().doprint(expr.rewrite(NormalCDF))


def test_model_order_puts_constants_positive_then_negative_terms():
    mu1, r1, l1 = sp.symbols("mu1 r1 l1", real=True)
    assert pretty_text(r1 - mu1) == "r1 - mu1"
    assert pretty_text(1 + l1 - mu1 - r1) == "1 + l1 - mu1 - r1"
    assert latex_text(-mu1 + r1) == r"r_{1} - \mu_{1}"


def test_latex_output_keeps_the_docs_hook_working(latex):
    hook = _hook()
    header, entries = hook.parse_latex_report(latex)
    assert "docs/model.md" in header
    assert len(entries) == latex.count("\\[")
    assert entries[0][0] == "L(mu, ell), integral definition"


def test_markdown_output():
    md = format_derivations(markdown=True, sections=("gradients",))
    assert md.startswith("# GMM-GAN derivations")
    assert md.count("## dL/d") == 6 and md.count("$$") == 12
    with pytest.raises(ValueError, match="latex and markdown"):
        format_derivations(latex=True, markdown=True, sections=("gradients",))


def test_cli_derive(capsys):
    from gmmsym.cli.main import main

    assert main(["derive", "--sections", "gradients", "--width", "60"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 60 and "phi(r1 - mu1)" in out
    assert main(["derive", "--sections", "gradients", "--markdown"]) == 0
    assert capsys.readouterr().out.count("$$") == 12
    assert main(["derive", "--width", "10"]) == 2
    assert capsys.readouterr().err.startswith("gmmsym derive: error: --width")
    assert main(["derive", "--sections", "gradients,nope"]) == 2
    assert "--sections: unknown name(s) ['nope']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["derive", "--latex", "--markdown"])


def test_every_section_is_printed(text):
    assert len(SECTIONS) == 7 and "== TV given crossings" in text and "== identity check" in text
