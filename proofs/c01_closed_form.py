"""C1: the closed form of L equals its integral definition.

Check
    1. Symbolic (SymPy, fundamental theorem of calculus).  Write interval ``j``'s term of the
       closed form with ``Phi`` through ``erf``,
       ``T_j(l, r) = sum_i w_i [Phi(r - nu_i) - Phi(l - nu_i) - Phi(r - mu_i) + Phi(l - mu_i)]``.
       If ``dT_j/dr - (p* - p_mu)(r)`` simplifies to 0 and ``T_j(l, l)`` simplifies to 0, then
       ``T_j(l, r) = int_l^r (p* - p_mu) dx`` for all real ``l <= r`` (and, by continuity,
       for infinite endpoints), so ``L = 1 + sum_j T_j`` is the integral definition.
       The derivative is taken of the ``erf`` form, so the custom ``fdiff`` of
       :class:`~gmmsym.symbolic.NormalMass` is not relied on.  At the default and thorough
       budgets SymPy also evaluates the unevaluated integrals
       (:meth:`~gmmsym.symbolic.GMMGAN.objective_integral`, ``doit``) and the difference with
       the closed form must simplify to 0.
    2. Numeric, 50 digits: the library's closed form (:func:`gmmsym.mp.objective`, generated
       mpmath code) against ``1 + sum_j quad(p* - p_mu, l_j, r_j)`` (:func:`mpmath.quad`,
       integrand written from docs/model.md), on seeded points with infinite endpoints and
       collapsed intervals.

    Both run on the paper's model and on the second model ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1``
    (:data:`proofs._lib.SECOND`; fewer points), or on the one model given as ``model=``
    (``gmmsym verify --model``); a check's name starts with ``[model]`` for other models.

Pass criterion
    Both symbolic differences are exactly 0; at every numeric point
    ``|closed form - quadrature| <= 1e-40`` and mpmath's error estimate ``<= 1e-40``.
    Why ``1e-40``: at 50 digits the closed form is a sum of 16 terms of magnitude <= 1, so its
    rounding error is below ``1e-48``, and tanh-sinh quadrature of these entire integrands
    reaches ~``1e-48`` (the measured figures are reported); a formula error (a wrong weight,
    sign or mean) changes ``L`` by many orders of magnitude more on these draws.
"""

from __future__ import annotations

import mpmath

from gmmsym.model.spec import PAPER, ModelSpec

from . import _lib
from ._common import draw_discriminators, draw_means, fmt, gap_function
from .framework import SYMBOLIC, Checks, Claim, Evidence, for_models, rng_for, sized

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C1",
    title="closed form of L = integral definition",
    statement=(
        "L(mu, ell) = E_{P*}[D] + E_{G_mu}[1 - D] = 1 + sum_j int_{l_j}^{r_j} (p*(x) - p_mu(x)) dx "
        "equals 1 + sum_j sum_i w_i [Phi(r_j - nu_i) - Phi(l_j - nu_i) - Phi(r_j - mu_i) + Phi(l_j - mu_i)] "
        "for all means and all ordered ell, infinite endpoints included."
    ),
    source=(
        "The parametric GMM-GAN model (mixture of two unit-variance Gaussians against a discriminator "
        "that is a union of intervals) in which the paper studies GAN dynamics, stated in the paper's "
        "abstract; the objective as written in docs/model.md section 2."
    ),
    method=SYMBOLIC,
    criterion=(
        "d/dr T_j - (p* - p_mu)(r) and T_j(l, l) simplify to 0 (and, at default/thorough, "
        "integral.doit() - closed form simplifies to 0); at every 50-digit point "
        "|closed form - quadrature| <= 1e-40 with quadrature error estimate <= 1e-40."
    ),
    judge=(
        "SymPy (fundamental theorem of calculus) and 50-digit mpmath quadrature of the integrand "
        "written from the model"
    ),
)

TOL = mpmath.mpf("1e-40")
DPS = 50


def tag(model: ModelSpec) -> str:
    """Prefix of a check name: ``""`` for the paper's model, else ``"[K=3,M=3,...] "``."""
    return "" if model == PAPER else f"[{model.text()}] "


def _symbolic(checks: Checks, budget: str, model: ModelSpec = PAPER) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN
    from gmmsym.symbolic.functions import to_erf, to_exp

    m = GMMGAN(model)
    pre = tag(model)
    for j in range(m.spec.M):
        l, r = m.l[j], m.r[j]
        term = to_erf(m.mass(m.nu, l, r) - m.mass(m.mu, l, r))
        d_r = sp.simplify(sp.diff(term, r) - to_exp(m.density_gap(r)))
        at_l = sp.simplify(term.subs(r, l))
        checks.add(
            f"{pre}symbolic: d/dr{j + 1} T_{j + 1} = (p* - p_mu)(r{j + 1})", d_r == 0, residual=str(d_r)
        )
        checks.add(f"{pre}symbolic: T_{j + 1}(l{j + 1}, l{j + 1}) = 0", at_l == 0, residual=str(at_l))
    if budget != "quick" and model == PAPER:
        diff = sp.simplify(m.objective_integral().doit() - m.objective_closed_form())
        checks.add("symbolic: integral definition (doit) - closed form = 0", diff == 0, residual=str(diff))


def _numeric(checks: Checks, budget: str, seed: int, model: ModelSpec = PAPER) -> dict:
    rng = rng_for(CLAIM.id, seed)
    if model != PAPER:
        rng = rng_for(CLAIM.id, seed + 7919)  # its own stream: the paper's draws stay as they were
    n = sized(budget, 4, 40, 200) if model == PAPER else sized(budget, 3, 12, 100)
    mus, nus = draw_means(rng, n, K=model.K), draw_means(rng, n, K=model.K)
    ells = draw_discriminators(rng, n, M=model.M)
    worst_diff = mpmath.mpf(0)
    worst_err = mpmath.mpf(0)
    worst_point = None
    with mpmath.workdps(DPS):
        for mu, nu, ell in zip(mus, nus, ells):
            closed = _lib.mp_objective(mu, ell, nu, model, dps=DPS)
            total = mpmath.mpf(1)
            err = mpmath.mpf(0)
            gap = gap_function(mu, nu, model)
            for j in range(model.M):
                a, b = mpmath.mpf(ell[2 * j]), mpmath.mpf(ell[2 * j + 1])
                if a == b:
                    continue
                inner = sorted(mpmath.mpf(v) for v in (*mu, *nu) if a < v < b)
                val, e = mpmath.quad(gap, [a, *inner, b], error=True)
                total += val
                err += e
            diff = abs(closed - total)
            if diff >= worst_diff:
                worst_diff, worst_point = diff, {"mu": mu, "nu": nu, "ell": ell}
            worst_err = max(worst_err, err)
    checks.add(
        f"{tag(model)}50 digits: |closed form - quadrature| <= 1e-40 at {n} points",
        worst_diff <= TOL and worst_err <= TOL,
        points=n,
        max_abs_diff=float(worst_diff),
        max_quadrature_error_estimate=float(worst_err),
        tolerance=float(TOL),
        worst_point=worst_point,
    )
    return {"points": n, "max_abs_diff": float(worst_diff)}


def run(budget: str = "default", *, seed: int = 0, model: ModelSpec | None = None) -> Evidence:
    """Check C1 at ``budget`` (on ``model``, or on the paper's and the second model); see the docstring."""
    models = for_models(model, (PAPER, _lib.SECOND))
    checks = Checks(seed=seed, budget=budget, dps=DPS, models=[m.text() for m in models])
    figures = []
    for m in models:
        _symbolic(checks, budget, m)
        num = _numeric(checks, budget, seed, m)
        figures.append(f"{tag(m)}max |closed - quad| {fmt(num['max_abs_diff'])} ({num['points']} pts)")
    return checks.evidence(f"symbolic diff 0; {'; '.join(figures)}, 50 dps")
