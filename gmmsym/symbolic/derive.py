"""The derivations of the GMM-GAN model as a printable report (``gmmsym derive``)."""

from __future__ import annotations

import sympy as sp

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.symbolic.model import GMMGAN

__all__ = ["derivations", "format_derivations", "SECTIONS"]

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


def format_derivations(spec: ModelSpec = PAPER, *, latex: bool = False, sections=SECTIONS) -> str:
    """The report as text (SymPy pretty printing) or LaTeX (``align*``-free, one equation each)."""
    parts = []
    for title, obj in derivations(spec, sections):
        if latex:
            parts.append(f"% {title}\n\\[\n{sp.latex(obj)}\n\\]")
        else:
            parts.append(f"== {title}\n{sp.pretty(obj, use_unicode=False, wrap_line=False)}")
    head = f"GMM-GAN derivations for {spec.describe()} (MODEL.md)"
    return (f"% {head}\n" if latex else f"{head}\n\n") + "\n\n".join(parts) + "\n"
