"""The derivations of the GMM-GAN model as a printable report (``gmmsym derive``).

:func:`derivations` returns ``(title, SymPy object)`` entries; :func:`format_derivations` prints
them as text that fits a terminal (one entry per block: a matrix gives one block per non-zero
entry; a sum wider than the terminal one term per line), as LaTeX (``% title`` and ``\\[ ... \\]``
per entry, parsed by the docs site) or as Markdown (``## title`` and ``$$ ... $$``).

Printing follows the model's conventions (docs/model.md): the printers of this module order the
terms of every sum as constants, then positive terms, then negative ones, each group in SymPy's
order, so that ``r1 - mu1``, ``x - nu1`` and ``1 + P* - G_mu`` read as in the model instead of
SymPy's ``-mu1 + r1``.  Interval masses with an infinite endpoint are shown simplified
(``[Phi(b) - Phi(-oo)]`` as ``Phi(b)``).  Both are display choices only: the expressions used by
code generation are untouched.
"""

from __future__ import annotations

import shutil
import textwrap

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
from sympy.printing.pretty.stringpict import prettyForm

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.symbolic.functions import NormalCDF, NormalMass
from gmmsym.symbolic.model import GMMGAN

__all__ = [
    "derivations",
    "format_derivations",
    "latex_text",
    "pretty_text",
    "simplify_display",
    "ModelLatexPrinter",
    "ModelPrettyPrinter",
    "SECTIONS",
]

SECTIONS = ("objective", "gradients", "hessian", "jacobian", "stationary", "crossings", "tv")


def derivations(spec: ModelSpec = PAPER, sections=SECTIONS) -> list[tuple[str, object]]:
    """``[(title, sympy object)]`` for the requested sections, in order."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError(f"sections: unknown name(s) {sorted(unknown)}; choose from {SECTIONS}")
    m = GMMGAN(spec)
    out: list[tuple[str, object]] = []
    if "objective" in sections:
        out += [
            ("L(mu, ell), integral definition", m.objective_integral()),
            ("L(mu, ell), closed form in Phi", m.objective()),
            ("L(mu, ell), closed form in erf", m.objective_closed_form()),
        ]
    if "gradients" in sections:
        out += [(f"dL/d{s}", sp.simplify(g)) for s, g in zip(m.mu, m.grad_mu())]
        out += [(f"dL/d{s}", sp.simplify(g)) for s, g in zip(m.ell, m.grad_ell())]
    if "hessian" in sections:
        out.append(("Hessian of L in (mu, ell)", m.hessian()))
    if "jacobian" in sections:
        out.append(("Simultaneous field (-grad_mu L, +grad_ell L)", m.simultaneous_field()))
        out.append(("Jacobian of the simultaneous field", m.jacobian()))
    if "stationary" in sections:
        out += [(f"generator stationarity {i + 1}", c) for i, c in enumerate(m.generator_stationary())]
        out += [
            (f"discriminator stationarity, untied {e}", c)
            for e, c in zip(m.ell, m.discriminator_stationary())
        ]
        for j in range(spec.M):
            blocks = tuple((k,) for k in range(2 * j)) + ((2 * j, 2 * j + 1),)
            blocks += tuple((k,) for k in range(2 * j + 2, 2 * spec.M))
            cond = m.discriminator_stationary(blocks)[2 * j]
            out.append(
                (f"interval {j + 1} collapsed at l{j + 1} = r{j + 1}: held by the projection iff", cond)
            )
    if "crossings" in sections:
        es = m.exponential_sum()
        out.append(("sqrt(2 pi) sigma exp(x^2/(2 sigma^2)) (p* - p_mu)(x) = sum_k c_k exp(a_k x)", es.expr))
        out.append(("coefficients c_k", sp.Matrix(es.coefficients).T))
        out.append(("exponents a_k", sp.Matrix(es.exponents).T))
        out.append(("identity check (simplifies to 0)", sp.simplify(es.identity)))
    if "tv" in sections:
        t = sp.symbols(f"t1:{2 * spec.K}", real=True)
        out.append(
            (f"TV given crossings t1 < ... < t{2 * spec.K - 1}, p* > p_mu left of t1", m.tv_closed_form(t, 1))
        )
    return out


class _ModelOrder:
    """Printer mixin: the terms of a sum as constants, positive terms, negative terms."""

    def _as_ordered_terms(self, expr, order=None):  # noqa: ANN001, ANN202 - SymPy's signature
        terms = super()._as_ordered_terms(expr, order=order)  # type: ignore[misc]
        rank = [0 if t.is_number else 2 if t.could_extract_minus_sign() else 1 for t in terms]
        return [t for _, t in sorted(zip(rank, terms), key=lambda rt: rt[0])]


class ModelLatexPrinter(_ModelOrder, LatexPrinter):
    """SymPy's LaTeX printer with the model's order of terms."""


class ModelPrettyPrinter(_ModelOrder, PrettyPrinter):
    """SymPy's ASCII pretty printer with the model's order of terms."""


def _mass_shown(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    inf = sp.S.Infinity
    if a == -inf or b == inf:
        return (1 if b == inf else NormalCDF(b)) - (0 if a == -inf else NormalCDF(a))
    return NormalMass(a, b)


def simplify_display(obj: object) -> object:
    """``obj`` with interval masses ``[Phi(b) - Phi(a)]`` that have an infinite endpoint simplified."""
    if isinstance(obj, (sp.Basic, sp.MatrixBase)) and obj.has(NormalMass):
        return obj.replace(NormalMass, _mass_shown)
    return obj


def latex_text(obj: object) -> str:
    """LaTeX of ``obj`` in the model's order (:class:`ModelLatexPrinter`)."""
    return ModelLatexPrinter().doprint(simplify_display(obj))


def _render(pform: prettyForm, width: int) -> str:
    return pform.render(wrap_line=pform.width() > width, num_columns=width, use_unicode=False)


def pretty_text(obj: object, width: int = 80) -> str:
    """ASCII pretty text of ``obj`` at most ``width`` columns where SymPy can break it.

    A sum (or a relation whose left side is a sum) wider than ``width`` is printed one term per
    line (``+ term`` / ``- term``); a single term still too wide is wrapped by SymPy.
    """
    flag = pretty_use_unicode(False)  # SymPy's symbols consult this global while printing
    try:
        return _pretty_lines(ModelPrettyPrinter({"use_unicode": False}), simplify_display(obj), width)
    finally:
        pretty_use_unicode(flag)


def _pretty_lines(pp: PrettyPrinter, obj: object, width: int) -> str:
    whole = pp._print(obj)
    if whole.width() <= width:
        return _render(whole, width)
    tail = None
    if isinstance(obj, sp.core.relational.Relational) and isinstance(obj.lhs, sp.Add):
        tail, obj = f"{obj.rel_op} {pp.doprint(obj.rhs)}", obj.lhs
    if not isinstance(obj, sp.Add):
        return _render(whole, width)
    lines = []
    for i, term in enumerate(pp._as_ordered_terms(obj)):
        neg = term.could_extract_minus_sign()
        body = pp._print(-term if neg else term)
        sign = ("- " if neg else "") if i == 0 else ("- " if neg else "+ ")
        lines.append(_render(prettyForm(*body.left(sign)) if sign else body, width))
    return "\n".join(lines + ([tail] if tail else []))


def _title(mark: str, title: str, width: int) -> str:
    return textwrap.fill(f"{mark} {title}", width, subsequent_indent=" " * (len(mark) + 1))


def _blocks(title: str, obj: object, names: tuple[str, ...], width: int) -> list[str]:
    """Text blocks of one entry; a matrix gives one block per non-zero entry, labelled."""
    if not isinstance(obj, sp.MatrixBase):
        return [f"{_title('==', title, width)}\n{pretty_text(obj, width)}"]
    rows, cols = obj.shape
    blocks = []
    for i in range(rows):
        for j in range(cols):
            if obj[i, j] == 0:
                continue
            if rows == len(names) and cols in (1, rows):
                where = names[i] if cols == 1 else f"{names[i]}, {names[j]}"
            else:
                where = f"{j + 1}" if rows == 1 else f"{i + 1}, {j + 1}"
            blocks.append(f"-- [{where}]\n{pretty_text(obj[i, j], width)}")
    zeros = rows * cols - len(blocks)
    note = f"{rows} x {cols}" + (f", {zeros} zero entries omitted" if zeros else "")
    return [_title("==", f"{title} ({note})", width), *blocks]


def format_derivations(
    spec: ModelSpec = PAPER,
    *,
    latex: bool = False,
    markdown: bool = False,
    sections=SECTIONS,
    width: int | None = None,
) -> str:
    """The report as text, LaTeX or Markdown (module docstring).

    Parameters
    ----------
    spec : ModelSpec
        The model (default the paper's).
    latex, markdown : bool
        LaTeX (``% title``, then the equation between ``\\[`` and ``\\]`` lines) or Markdown
        (``## title``, ``$$ ... $$``); at most one.  Default: text.
    sections : sequence of str
        A subset of :data:`SECTIONS`, in any order (printed in report order).
    width : int, optional
        Text width in columns (default: the terminal's, ``shutil.get_terminal_size``).
    """
    if latex and markdown:
        raise InputError("latex and markdown: choose one output format")
    head = f"GMM-GAN derivations for {spec.describe()} (docs/model.md)"
    entries = derivations(spec, sections)
    if latex:
        parts = [f"% {title}\n\\[\n{latex_text(obj)}\n\\]" for title, obj in entries]
        return f"% {head}\n" + "\n\n".join(parts) + "\n"
    if markdown:
        parts = [f"## {title}\n\n$$\n{latex_text(obj)}\n$$" for title, obj in entries]
        return f"# {head}\n\n" + "\n\n".join(parts) + "\n"
    width = max(40, width or shutil.get_terminal_size().columns)
    m = GMMGAN(spec)
    names = tuple(str(s) for s in (*m.mu, *m.ell))
    parts = [block for title, obj in entries for block in _blocks(title, obj, names, width)]
    return f"{textwrap.fill(head, width)}\n\n" + "\n\n".join(parts) + "\n"
