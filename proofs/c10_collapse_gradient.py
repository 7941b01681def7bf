"""C10: when both discriminator intervals are collapsed, the generator gets no gradient.

Check
    1. Symbolic: substituting ``r_1 = l_1`` and ``r_2 = l_2`` in SymPy's ``dL/dmu``
       (:meth:`~gmmsym.symbolic.GMMGAN.grad_mu`) gives exactly 0, for symbolic endpoints and
       for the infinite ones (``l_j = r_j = +-inf``).
    2. Certified: python-flint balls of ``dL/dmu`` (:func:`gmmsym.certified.gradients_ball`) at
       seeded collapsed discriminators are exact zero balls (the canonical form merges the two
       identical density atoms ``phi(c - mu_i)``), including infinite endpoints.
    3. Kernels: the float64 kernel :func:`gmmsym.gradients` and the 50-digit mpmath kernel
       :func:`gmmsym.mp.gradients` at the same points.  They evaluate
       ``phi(r1) + phi(r2) - phi(l1) - phi(l2)`` left to right, so with ``r_j = l_j`` the result
       is zero only up to the rounding of the first addition.

Pass criterion
    Symbolic and certified results exactly 0.  Kernels: ``|dL/dmu_i| <= 4 u S_i`` with the
    term scale ``S_i = 1/2 sum_j [phi(r_j - mu_i) + phi(l_j - mu_i)]`` and ``u`` the unit
    roundoff (``2**-53`` in float64, ``2**-prec`` with ``prec`` the mpmath precision in bits):
    ``(a + b) - a - b`` in floating point is at most ``2 u (a + b)`` (two roundings), times
    the factor ``1/(2 sqrt(2 pi))`` rounded once; 4 leaves a factor-2 margin.  A sign or
    pairing bug in the kernel gives ``|dL/dmu| ~ S``, 10**15 times the tolerance.

Models
    Checks 1 and 3 also run on the second model ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1`` (or the
    one model given as ``model=``), all ``M`` intervals collapsed, with
    ``S_i = w_i sum_j [phi_s(r_j - mu_i) + phi_s(l_j - mu_i)]`` and the bound ``2M u S_i``
    (``2M`` terms summed left to right: ``2M - 1`` additions each rounding by at most ``u`` of the
    running sum of magnitudes, and one scaling; ``= 4 u S_i`` for ``M = 2``).  The certified
    check (2) uses the ``K = 2`` ball kernel and runs on the paper's model only.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

import gmmsym
import gmmsym.mp as gmp
from gmmsym import certified
from gmmsym.model.spec import PAPER, ModelSpec

from . import _lib
from ._common import draw_means
from .c01_closed_form import tag
from .framework import SYMBOLIC, Checks, Claim, Evidence, for_models, rng_for, sized

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C10",
    title="collapsed discriminator => dL/dmu = 0",
    statement=(
        "If every interval is collapsed (l_j = r_j, finite or infinite; l1 = r1, l2 = r2 for the paper), "
        "then dL/dmu_i = w_i sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)] = 0 for every mu and nu: "
        "the generator stops receiving gradient (discriminator collapse)."
    ),
    source=(
        '"Discriminator collapse", the failure named in the abstract of the paper\'s arXiv v1 (then titled '
        '"Towards Understanding the Dynamics of Generative Adversarial Networks"): the generator stops '
        "receiving gradient; a case of the unstable first-order dynamics stated in the paper's abstract "
        "(docs/model.md section 5, label 3)."
    ),
    method=SYMBOLIC,
    criterion=(
        "symbolic and certified values exactly 0; float64 and 50-digit kernels |dL/dmu_i| <= 4 u S_i "
        "(u unit roundoff, S_i the sum of the magnitudes of the density terms)."
    ),
    judge="SymPy and python-flint (exact zero balls)",
)

DPS = 50
U64 = 2.0**-53


def _collapsed(rng: np.random.Generator, n: int, M: int = 2) -> np.ndarray:
    c = rng.uniform(-6, 6, size=(n, M))
    inf = rng.random((n, M)) < 0.15
    c[inf] = np.where(rng.random(int(inf.sum())) < 0.5, -np.inf, np.inf)
    c.sort(axis=1)
    return np.repeat(c, 2, axis=1)


def _scale(mus: np.ndarray, ells: np.ndarray, model: ModelSpec = PAPER) -> np.ndarray:
    """``S_i = w_i sum_j [phi_s(r_j - mu_i) + phi_s(l_j - mu_i)]``; shape ``(n, K)``."""
    w = np.array([float(x) for x in model.weights])[None, :]
    sigma = float(model.sigma)
    with np.errstate(invalid="ignore"):
        t = (ells[:, None, :] - mus[:, :, None]) / sigma
        phi = np.where(np.isinf(t), 0.0, np.exp(-0.5 * np.where(np.isinf(t), 0.0, t) ** 2))
    return w * phi.sum(axis=2) / sigma / math.sqrt(2 * math.pi)


def run(budget: str = "default", *, seed: int = 0, model: ModelSpec | None = None) -> Evidence:
    """Check C10 at ``budget`` (on ``model``, or on the paper's and the second model); see the docstring."""
    models = for_models(model, (PAPER, _lib.SECOND))
    checks = Checks(seed=seed, budget=budget, models=[m.text() for m in models])
    figures = [
        _paper(checks, budget, seed) if m == PAPER else _general(checks, budget, seed, m) for m in models
    ]
    return checks.evidence("; ".join(figures))


def _general(checks: Checks, budget: str, seed: int, model: ModelSpec) -> str:
    """Symbolic and kernel checks of C10 with all ``M`` intervals collapsed, on ``model``."""
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    m = GMMGAN(model)
    pre = tag(model)
    res = [sp.simplify(gi.subs({r: l for l, r in zip(m.l, m.r)})) for gi in m.grad_mu()]
    checks.add(
        f"{pre}symbolic: dL/dmu with r_j = l_j (j = 1..{model.M}) is 0",
        all(r == 0 for r in res),
        residuals=[str(r) for r in res],
    )
    rng = rng_for(CLAIM.id, seed + 7919)
    n = sized(budget, 300, 3000, 30000)
    mus, nus = draw_means(rng, n, K=model.K), draw_means(rng, n, K=model.K)
    ells = _collapsed(rng, n, model.M)
    g_mu, _ = _lib.gradients(mus, ells, nus, model)
    bound = 2 * model.M * U64 * _scale(mus, ells, model)
    ratio = np.abs(g_mu) / np.maximum(bound, np.finfo(float).tiny)
    checks.add(
        f"{pre}float64 kernel: |dL/dmu_i| <= 2M u S_i at {n} collapsed points",
        bool(np.all(np.abs(g_mu) <= bound)),
        points=n,
        max_abs=float(np.abs(g_mu).max()),
        exact_zeros=int((g_mu == 0).sum()),
        max_ratio_to_tolerance=float(ratio.max()),
    )
    n_mp = sized(budget, 10, 100, 1000)
    worst = 0.0
    with mpmath.workdps(DPS):
        u_mp = mpmath.mpf(2) ** (-mpmath.mp.prec)
        S = _scale(mus[:n_mp], ells[:n_mp], model)
        for k in range(n_mp):
            a, _ = _lib.mp_gradients(mus[k], ells[k], nus[k], model, dps=DPS)
            for i in range(model.K):
                tol = 2 * model.M * u_mp * mpmath.mpf(S[k, i])
                worst = max(worst, float(abs(a[i]) / tol) if tol > 0 else (0.0 if a[i] == 0 else math.inf))
    checks.add(
        f"{pre}mpmath kernel (50 digits): |dL/dmu_i| <= 2M u S_i at {n_mp} collapsed points",
        worst <= 1.0,
        points=n_mp,
        max_ratio_to_tolerance=worst,
    )
    return f"{pre}symbolic 0; float64 max |dL/dmu| {np.abs(g_mu).max():.1e} ({ratio.max():.2f} of 2MuS)"


def _paper(checks: Checks, budget: str, seed: int) -> str:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    m = GMMGAN()
    g = m.grad_mu()
    sub = {m.r[0]: m.l[0], m.r[1]: m.l[1]}
    res = [sp.simplify(gi.subs(sub)) for gi in g]
    checks.add(
        "symbolic: dL/dmu with r1 = l1, r2 = l2 is 0",
        all(r == 0 for r in res),
        residuals=[str(r) for r in res],
    )
    at_inf = {m.l[0]: -sp.oo, m.r[0]: -sp.oo, m.l[1]: sp.oo, m.r[1]: sp.oo}
    inf_res = [sp.simplify(gi.subs(at_inf)) for gi in g]
    checks.add(
        "symbolic: dL/dmu with l1 = r1 = -oo, l2 = r2 = +oo is 0",
        all(r == 0 for r in inf_res),
        residuals=[str(r) for r in inf_res],
    )

    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 300, 3000, 30000)
    mus, nus = draw_means(rng, n), draw_means(rng, n)
    ells = _collapsed(rng, n)

    n_cert = sized(budget, 30, 300, 3000)
    nonzero = []
    for k in range(n_cert):
        balls, _ = certified.gradients_ball(mus[k], ells[k], nus[k])
        if not all(b.mid() == 0 and b.rad() == 0 for b in balls):
            nonzero.append({"mu": mus[k], "ell": ells[k], "nu": nus[k], "balls": [str(b) for b in balls]})
    checks.add(
        f"certified: dL/dmu balls are exact zeros at {n_cert} collapsed points",
        not nonzero,
        points=n_cert,
        nonzero=nonzero[:5],
    )

    g_mu, _ = gmmsym.gradients(mus, ells, nus)
    S = _scale(mus, ells)
    ratio = np.abs(g_mu) / np.maximum(4 * U64 * S, np.finfo(float).tiny)
    checks.add(
        f"float64 kernel: |dL/dmu_i| <= 4 u S_i at {n} collapsed points",
        bool(np.all(np.abs(g_mu) <= 4 * U64 * S)),
        points=n,
        max_abs=float(np.abs(g_mu).max()),
        exact_zeros=int((g_mu == 0).sum()),
        max_ratio_to_tolerance=float(ratio.max()),
    )

    n_mp = sized(budget, 30, 300, 2000)
    worst = 0.0
    with mpmath.workdps(DPS):
        u_mp = mpmath.mpf(2) ** (-mpmath.mp.prec)
        for k in range(n_mp):
            a, _ = gmp.gradients(mus[k], ells[k], nus[k], dps=DPS)
            for i in range(2):
                tol = 4 * u_mp * mpmath.mpf(S[k, i])
                worst = max(worst, float(abs(a[i]) / tol) if tol > 0 else (0.0 if a[i] == 0 else math.inf))
    checks.add(
        f"mpmath kernel (50 digits): |dL/dmu_i| <= 4 u S_i at {n_mp} collapsed points",
        worst <= 1.0,
        points=n_mp,
        max_ratio_to_tolerance=worst,
    )
    return (
        "symbolic/certified exactly 0; "
        f"float64 max |dL/dmu| {np.abs(g_mu).max():.1e} ({ratio.max():.2f} of 4uS)"
    )
