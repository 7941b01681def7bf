"""C13: the true equilibrium is degenerate.

At ``mu = nu`` (or its label swap) ``p_mu = p*``, so every discriminator gives ``L = 1``; the
generator is then stationary exactly when ``dL/dmu = 0``, which holds on whole families of
discriminators (both intervals collapsed anywhere, the whole line ``(-inf, +inf)``, ...): the
equilibria of the simultaneous dynamics are not isolated, and the Jacobian of the simultaneous
field there has zero eigenvalues.

Check
    1. Symbolic: ``L - 1`` with ``mu = nu`` and with ``mu = (nu2, nu1)`` simplifies to 0 for
       symbolic ``ell``.  The Jacobian ``J`` of the simultaneous field ``(-grad_mu L, +grad_ell L)``
       (:meth:`~gmmsym.symbolic.GMMGAN.jacobian`) at ``mu = nu`` has a zero ``ell``-``ell``
       block (4 x 4; its entries are ``(p* - p_mu)'`` at the endpoints), so ``J`` has the form
       ``[[A, B], [C, 0]]`` with ``C`` of size 4 x 2: ``rank J <= 2 + 2 = 4 < 6`` and at least
       two eigenvalues are 0 for every ``ell``.
    2. Certified (python-flint): at seeded ``nu`` and discriminators ``ell``
       (:func:`gmmsym.certified.advantage_ball`) ``L - 1`` at ``mu = nu`` is the exact zero
       ball; on two one-parameter families of equilibria, ``ell = (c, c, d, d)`` (collapsed
       anywhere) and ``ell = (a, b, b, b)`` with ``a = -inf, b = +inf``, all six components of
       ``(dL/dmu, dL/dell)`` are exact zero balls: the simultaneous field vanishes on a
       continuum, so the equilibrium is not isolated.
    3. Numeric: at seeded collapsed equilibria the eigenvalues of ``J`` (SymPy lambdified to
       mpmath, 50 digits, :func:`mpmath.eig`) include at least two of modulus ``<= 1e-40``,
       while the largest has modulus of order 0.1 (reported).  The float64 kernel
       ``gmmsym.objective`` at ``mu = nu`` is within 4 ulps of 1 (8 interval masses summed:
       the error is a few roundings of terms below 1).

Pass criterion
    All symbolic residuals 0 and ``rank J <= 4``; all certified balls exactly zero; at least
    two eigenvalues ``<= 1e-40`` in modulus (the 50-digit arithmetic resolves ~1e-48; non-zero
    eigenvalues are ~1e-1 to 1e-3 on the draws); float64 ``|L - 1| <= 4 * 2**-52``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

import gmmsym
from gmmsym import certified

from ._common import draw_discriminators, draw_means, fmt
from .framework import OBSERVATION, SYMBOLIC, Checks, Claim, Evidence, rng_for, sized

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C13",
    title="true equilibrium is degenerate",
    statement=(
        "At mu = nu every discriminator gives L(nu, ell) = 1, and the Jacobian of the simultaneous "
        "field (-grad_mu L, grad_ell L) at mu = nu has rank <= 4 (zero ell-ell block), hence zero "
        "eigenvalues; the field vanishes on continua such as (nu, (c, c, d, d)): equilibria are not isolated."
    ),
    source=(
        "A project observation, not a statement of the paper: the paper does not state that the true "
        "equilibrium is degenerate; it is one ingredient of the unstable first-order dynamics stated in the "
        "paper's abstract (Theorem 4.1 as numbered in the paper measures convergence by TV, not by "
        "convergence of the discriminator)."
    ),
    method=SYMBOLIC,
    criterion=(
        "L - 1 at mu = nu and at the swap simplifies to 0; J's ell-ell block is 0 and rank J <= 4; "
        "certified L - 1 and the field on the families (c,c,d,d), (-inf,+inf,+inf,+inf) are exact zero "
        "balls; >= 2 eigenvalues of J with modulus <= 1e-40 at 50 digits; float64 |L - 1| <= 4 ulps of 1."
    ),
    judge="SymPy and python-flint (exact zero balls); 50-digit eigenvalues",
    kind=OBSERVATION,
)

DPS = 50
ULP1 = 2.0**-52
EIG_TOL = mpmath.mpf("1e-40")


def _symbolic(checks: Checks):
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    m = GMMGAN()
    at_nu = dict(zip(m.mu, m.nu))
    at_swap = {m.mu[0]: m.nu[1], m.mu[1]: m.nu[0]}
    adv = m.advantage()
    r1 = sp.simplify(adv.subs(at_nu))
    r2 = sp.simplify(adv.subs(at_swap))
    checks.add(
        "symbolic: L(nu, ell) - 1 = 0 and L((nu2, nu1), ell) - 1 = 0",
        r1 == 0 and r2 == 0,
        residuals=[str(r1), str(r2)],
    )
    J = m.jacobian()
    J_nu = J.subs(at_nu)
    block = sp.simplify(J_nu[2:, 2:])
    zero_block = block == sp.zeros(4, 4)
    # With the ell-ell block zero, the last four rows are [C, 0] with C of size 4 x 2, so
    # rank J <= (number of generator rows) + (number of columns of C) = 2 + 2.
    n_mu = len(m.mu)
    bound = n_mu + J_nu[n_mu:, :n_mu].shape[1] if zero_block else J.shape[0]
    checks.add(
        "symbolic: Jacobian at mu = nu has zero ell-ell block, so rank J <= 4",
        zero_block and bound <= 4,
        ell_block_zero=bool(zero_block),
        rank_bound=int(bound),
        size=6,
    )
    return m, J


def _eigen_check(checks: Checks, m, J, rng: np.random.Generator, n: int) -> dict:
    import sympy as sp

    args = (*m.mu, *m.ell, *m.nu)
    from gmmsym.symbolic.functions import to_exp

    Jf = sp.lambdify(args, J.applyfunc(to_exp), modules="mpmath")
    worst_third = mpmath.mpf(0)
    largest = []
    zeros_min = 6
    with mpmath.workdps(DPS):
        for _ in range(n):
            nu = [mpmath.mpf(v) for v in rng.uniform(-2, 2, 2)]
            c, d = sorted(rng.uniform(-3, 3, 2))
            ell = [mpmath.mpf(v) for v in (c, c, d, d)]
            mat = mpmath.matrix(Jf(*nu, *ell, *nu))
            ev = mpmath.eig(mat, left=False, right=False)
            mods = sorted(abs(e) for e in ev)
            zeros_min = min(zeros_min, sum(1 for v in mods if v <= EIG_TOL))
            worst_third = max(worst_third, mods[1])
            largest.append(float(mods[-1]))
    checks.add(
        f"50 digits: >= 2 eigenvalues of J with |lambda| <= 1e-40 at {n} collapsed equilibria",
        zeros_min >= 2,
        points=n,
        min_number_of_zero_eigenvalues=zeros_min,
        max_second_smallest_modulus=float(worst_third),
        largest_modulus_range=[min(largest), max(largest)],
    )
    return {"second_smallest": float(worst_third), "largest_min": min(largest)}


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C13 at ``budget``; see the module docstring for the check and the criterion."""
    checks = Checks(seed=seed, budget=budget, dps=DPS)
    m, J = _symbolic(checks)

    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 50, 500, 5000)
    nus = draw_means(rng, n)
    ells = draw_discriminators(rng, n)
    bad = [k for k in range(n) if not _zero_ball(certified.advantage_ball(nus[k], ells[k], nus[k]))]
    bad += [k for k in range(n) if not _zero_ball(certified.advantage_ball(nus[k, ::-1], ells[k], nus[k]))]
    checks.add(
        f"certified: L - 1 = 0 exactly at mu = nu and at the swap, {n} discriminators",
        not bad,
        points=n,
        nonzero=[{"nu": nus[k], "ell": ells[k]} for k in bad[:5]],
    )

    cds = np.sort(rng.uniform(-6, 6, size=(n, 2)), axis=1)
    families = [np.array([c, c, d, d]) for c, d in cds]
    families += [np.array([-math.inf, math.inf, math.inf, math.inf])] * 2
    bad_field = []
    for k, ell in enumerate(families):
        nu = nus[k % n]
        g_mu, g_ell = certified.gradients_ball(nu, ell, nu)
        if not all(_zero_ball(b) for b in (*g_mu, *g_ell)):
            bad_field.append({"nu": nu, "ell": ell})
    checks.add(
        f"certified: simultaneous field = 0 exactly on {len(families)} points of the families "
        "(nu, (c,c,d,d)) and (nu, (-inf,+inf,+inf,+inf))",
        not bad_field,
        points=len(families),
        nonzero=bad_field[:5],
    )

    eig = _eigen_check(checks, m, J, rng, sized(budget, 5, 30, 200))

    L = gmmsym.objective(nus, ells, nus)
    err = float(np.abs(L - 1.0).max())
    checks.add(
        f"float64: |L(nu, ell) - 1| <= 4 ulps of 1 at {n} points",
        err <= 4 * ULP1,
        points=n,
        max_abs_err_ulps_of_1=err / ULP1,
    )
    return checks.evidence(
        f"L(nu, .) = 1 exactly (certified); rank J <= 4; >= 2 zero eigenvalues "
        f"(2nd smallest |lambda| {fmt(eig['second_smallest'])}, largest >= {fmt(eig['largest_min'])})"
    )


def _zero_ball(b) -> bool:
    return b.mid() == 0 and b.rad() == 0
