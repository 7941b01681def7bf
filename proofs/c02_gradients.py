"""C2: the gradients of L are those of docs/model.md section 2 (paper, Appendix C.1).

Check
    1. Symbolic.  The six derivatives of ``L`` computed by SymPy, both through the model's
       own functions (:meth:`~gmmsym.symbolic.GMMGAN.grad_mu`, ``grad_ell``, which use the
       ``fdiff`` of the normal functions) and by differentiating the ``erf`` form of ``L``
       directly, minus the formulas written out from docs/model.md
       (:meth:`~gmmsym.symbolic.GMMGAN.model_md_gradients`, no differentiation), simplify to 0.
    2. Float64 kernels.  :func:`gmmsym.gradients` (the generated NumPy kernel that every
       dynamics uses) against the docs/model.md formulas evaluated independently in 50-digit
       mpmath (:func:`proofs._common.mp_gradients_model_md`) at seeded points with infinite
       endpoints and collapsed intervals; a sign or weight bug in a kernel fails this check.
    3. mpmath kernels.  :func:`gmmsym.mp.gradients` (generated mpmath code) against the same
       references at 50 digits.

Pass criterion
    Symbolic differences exactly 0.  Float64: ``max |kernel - reference| <= 8`` ulps of 1
    (``8 * 2**-52``): each component is a sum of at most four terms ``phi(t)/2 <= 0.2``; with
    ``exp`` correct to about 1 ulp and the argument ``-(t^2)/2`` rounded with relative error
    ``~2u``, a term is off by at most ``~(1 + t^2) u phi(t)/2 < 0.3 u``, so the sum is within
    ~2 ulps of 1 and 8 leaves a margin of 4 (the same budget as ``tests/test_kernels.py``).
    The sampled gradients reach ``|g| ~ 0.2`` (reported), so a sign error would be ~1e14 times
    the tolerance.  mpmath: ``max |kernel - reference| <= 1e-45`` (50-digit arithmetic on a
    handful of terms <= 1 loses at most a few units of ``1e-50``).
"""

from __future__ import annotations

import mpmath
import numpy as np

import gmmsym
import gmmsym.mp as gmp

from ._common import draw_discriminators, draw_means, fmt, mp_gradients_model_md
from .framework import SYMBOLIC, Checks, Claim, Evidence, rng_for, sized

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C2",
    title="gradients of L (docs/model.md section 2)",
    statement=(
        "dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)], dL/dr_j = p*(r_j) - p_mu(r_j), "
        "dL/dl_j = -(p*(l_j) - p_mu(l_j)); the generated float64 and mpmath kernels compute them."
    ),
    source="Appendix C.1 as numbered in the paper (derivatives of L in the generator means).",
    method=SYMBOLIC,
    criterion=(
        "symbolic differences simplify to 0; float64 kernel within 8 ulps of 1 of the 50-digit "
        "docs/model.md formulas at every point; mpmath kernel within 1e-45."
    ),
    judge="SymPy derivatives and the model formulas written out at 50 digits (proofs._common)",
)

ULP1 = 2.0**-52
TOL64 = 8 * ULP1
TOL_MP = mpmath.mpf("1e-45")
DPS = 50
NAMES = ("dmu1", "dmu2", "dl1", "dr1", "dl2", "dr2")


def _symbolic(checks: Checks) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN
    from gmmsym.symbolic.functions import to_erf, to_exp

    m = GMMGAN()
    g_mu, g_ell = m.model_md_gradients()
    written = [*g_mu, *g_ell]
    via_fdiff = [*m.grad_mu(), *m.grad_ell()]
    L_erf = to_erf(m.objective())
    residuals = {}
    for name, param, got, want in zip(NAMES, m.params, via_fdiff, written):
        r1 = sp.simplify(to_exp(got) - want)
        r2 = sp.simplify(to_exp(sp.diff(L_erf, param)) - want)
        residuals[name] = (str(r1), str(r2))
    ok = all(a == "0" and b == "0" for a, b in residuals.values())
    checks.add(
        "symbolic: SymPy derivatives of L - docs/model.md formulas = 0 (6 components, 2 routes)",
        ok,
        residuals=residuals,
    )


def _references(mus, ells, nus) -> np.ndarray:
    out = np.empty((len(mus), 6))
    with mpmath.workdps(DPS):
        for k, (mu, ell, nu) in enumerate(zip(mus, ells, nus)):
            out[k] = [float(v) for v in mp_gradients_model_md(mu, ell, nu)]
    return out


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C2 at ``budget``; see the module docstring for the check and the criterion."""
    checks = Checks(seed=seed, budget=budget)
    _symbolic(checks)

    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 300, 3000, 30000)
    mus, nus = draw_means(rng, n), draw_means(rng, n)
    ells = draw_discriminators(rng, n)
    ref = _references(mus, ells, nus)
    g_mu, g_ell = gmmsym.gradients(mus, ells, nus)
    got = np.concatenate([g_mu, g_ell], axis=1)
    err = np.abs(got - ref)
    worst = int(np.unravel_index(np.argmax(err), err.shape)[0])
    checks.add(
        f"float64 kernel gmmsym.gradients vs docs/model.md formulas (50 digits), {n} points",
        bool(np.all(err <= TOL64)),
        points=n,
        max_abs_err=float(err.max()),
        max_abs_err_ulps_of_1=float(err.max() / ULP1),
        per_component_max_err_ulps={k: float(v / ULP1) for k, v in zip(NAMES, err.max(axis=0))},
        max_abs_reference=float(np.abs(ref).max()),
        tolerance_ulps_of_1=TOL64 / ULP1,
        worst_point={"mu": mus[worst], "ell": ells[worst], "nu": nus[worst]},
    )

    n_mp = sized(budget, 20, 200, 1000)
    worst_mp = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        for mu, ell, nu in zip(mus[:n_mp], ells[:n_mp], nus[:n_mp]):
            a, b = gmp.gradients(mu, ell, nu, dps=DPS)
            want = mp_gradients_model_md(mu, ell, nu)
            worst_mp = max(worst_mp, max(abs(x - y) for x, y in zip((*a, *b), want)))
    checks.add(
        f"mpmath kernel gmmsym.mp.gradients vs docs/model.md formulas (50 digits), {n_mp} points",
        worst_mp <= TOL_MP,
        points=n_mp,
        max_abs_err=float(worst_mp),
        tolerance=float(TOL_MP),
    )
    return checks.evidence(
        f"symbolic diff 0; float64 max err {err.max() / ULP1:.2g} ulp (tol 8, {n} pts); "
        f"mp {fmt(float(worst_mp))}"
    )
