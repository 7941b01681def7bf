"""C6: the diagonal mu1 = mu2 is invariant under every dynamics, so diagonal starts mode-collapse.

Argument
    ``dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]`` depends on ``i`` only through
    ``mu_i``; on ``mu1 = mu2`` both components coincide for every ``ell``, in particular for
    ``ell*(mu)`` (so ``grad TV`` too).  Every update of docs/model.md section 4 moves ``mu1`` and
    ``mu2`` by the same amount, so ``mu1 = mu2`` for all time.  In floating point the two
    components are computed by the same operations on equal inputs, so the invariance is
    bitwise.

Check
    1. Symbolic: ``(dL/dmu1 - dL/dmu2)`` with ``mu2 = mu1`` simplifies to 0.
    2. Kernels: at seeded diagonal points ``gmmsym.gradients`` and ``gmmsym.tv_gradient`` return
       bitwise equal components.
    3. Dynamics: :func:`gmmsym.simulate` for every dynamics of :data:`gmmsym.DYNAMICS`
       (alternating with ``k = 1`` and ``5``) from diagonal starts (the ten diagonal cells of
       Figure 2 with ``nu = (-0.5, 0.5)``, and seeded ``nu`` with ``|nu1 - nu2| > 0.2`` and
       diagonal ``mu0``), random discriminators, ``eta = 0.1``, trajectory recorded at every
       step: ``mu1 == mu2`` bitwise at every step, and the final state has the
       ``mode_collapse`` flag and never the ``converged`` label (:func:`gmmsym.classify`).
       The same for a few rows at 30 digits (mpmath path): final ``mpf`` means equal.

Models
    The argument needs equal weights (``dL/dmu_i = w_i S``): it is a statement about the paper's
    model and runs on it only.  What becomes of it for unequal weights is claim C16.

Pass criterion
    All of the above hold exactly (equalities are bitwise / exact; there is no tolerance).
"""

from __future__ import annotations

import numpy as np

import gmmsym
from gmmsym.dynamics import DYNAMICS

from .framework import SYMBOLIC, Checks, Claim, Evidence, rng_for, sized

__all__ = ["CLAIM", "run", "diagonal_starts", "schedules"]

CLAIM = Claim(
    id="C6",
    title="mu1 = mu2 invariant under every dynamics",
    statement=(
        "On the diagonal mu1 = mu2 the two generator gradient components coincide (for any ell, and for "
        "ell*(mu)), so every dynamics (optimal, simultaneous, alternating, extragradient, optimistic) keeps "
        "mu1 = mu2: a diagonal start ends in mode collapse and never converges when nu1 != nu2."
    ),
    source=(
        "Mode collapse of GAN dynamics, stated in the paper's abstract; Figure 2 as numbered in the paper "
        "(the diagonal of the heatmaps)."
    ),
    method=SYMBOLIC,
    criterion=(
        "symbolic difference 0; bitwise equal gradient components at diagonal points; mu1 == mu2 bitwise "
        "at every recorded step of every dynamics; final mode_collapse flag set and no converged label."
    ),
    judge="SymPy; exact (bitwise) equality",
)


def schedules() -> list[tuple[str, int]]:
    out = []
    for d in DYNAMICS:
        out += [(d, 1), (d, 5)] if d == "alternating" else [(d, 1)]
    return out


def diagonal_starts(rng: np.random.Generator, extra: int) -> tuple[np.ndarray, np.ndarray]:
    """``(nu, mu0)``: the ten diagonal cells of Figure 2 (``nu = (-0.5, 0.5)``) and ``extra`` seeded
    rows with ``|nu1 - nu2| > 0.2`` and a diagonal ``mu0`` (all on ``[-2, 2]``)."""
    grid = np.linspace(-1, 1, 10)
    nu_rows = [(-0.5, 0.5)] * 10
    mu_rows = [(v, v) for v in grid]
    while len(nu_rows) < 10 + extra:
        a, b = rng.uniform(-2, 2, 2)
        if abs(a - b) > 0.2:
            v = rng.uniform(-2, 2)
            nu_rows.append((a, b))
            mu_rows.append((v, v))
    return np.array(nu_rows), np.array(mu_rows)


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C6 at ``budget``; see the module docstring for the check and the criterion."""
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    checks = Checks(seed=seed, budget=budget)
    m = GMMGAN()
    g = m.grad_mu()
    res = sp.simplify((g[0] - g[1]).subs(m.mu[1], m.mu[0]))
    checks.add("symbolic: dL/dmu1 - dL/dmu2 = 0 on mu1 = mu2", res == 0, residual=str(res))

    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 2000, 20000, 200000)
    c = rng.uniform(-3, 3, n)
    mu = np.stack([c, c], axis=1)
    nu = rng.uniform(-3, 3, (n, 2))
    ell = np.sort(rng.uniform(-6, 6, (n, 4)), axis=1)
    g_mu, _ = gmmsym.gradients(mu, ell, nu)
    tg = gmmsym.tv_gradient(mu, nu)
    checks.add(
        f"kernels: bitwise equal components of dL/dmu and grad TV at {n} diagonal points",
        bool(np.all(g_mu[:, 0] == g_mu[:, 1]) and np.all(tg[:, 0] == tg[:, 1])),
        points=n,
        unequal_dL_dmu=int((g_mu[:, 0] != g_mu[:, 1]).sum()),
        unequal_grad_tv=int((tg[:, 0] != tg[:, 1]).sum()),
    )

    steps = sized(budget, 300, 1000, 3000)
    nu0, mu0 = diagonal_starts(rng, sized(budget, 10, 40, 200))
    per = {}
    all_ok = True
    for dyn, k in schedules():
        r = gmmsym.simulate(nu0, mu0, dynamics=dyn, k=k, eta=0.1, steps=steps, record_every=1, seed=seed)
        traj = r.trajectory["mu"]
        on_diag = bool(np.all(traj[..., 0] == traj[..., 1]))
        flags = r.outcomes.flags
        name = dyn if dyn != "alternating" else f"alternating-k{k}"
        per[name] = {
            "rows": len(mu0),
            "steps": steps,
            "diagonal_at_every_step": on_diag,
            "mode_collapse_flag": int(flags["mode_collapse"].sum()),
            "converged": int((r.label == "converged").sum()),
            "labels": r.outcomes.counts(),
        }
        all_ok &= on_diag and bool(flags["mode_collapse"].all()) and not bool((r.label == "converged").any())
    checks.add(
        f"dynamics (float64): mu1 == mu2 at every step, mode_collapse, never converged ({len(mu0)} rows)",
        all_ok,
        per_dynamics=per,
    )

    mp_rows = sized(budget, 2, 4, 10)
    mp_steps = sized(budget, 10, 30, 100)
    mp_ok = True
    mp_info = {}
    for dyn, k in schedules():
        r = gmmsym.simulate(
            nu0[:mp_rows], mu0[:mp_rows], dynamics=dyn, k=k, eta=0.1, steps=mp_steps, precision=30, seed=seed
        )
        mps = r.mp_state["mu"]
        eq = all(mps[i, 0] == mps[i, 1] for i in range(mp_rows))
        mp_ok &= bool(eq)
        mp_info[dyn if dyn != "alternating" else f"alternating-k{k}"] = bool(eq)
    checks.add(
        f"dynamics (30 digits): final mu1 == mu2 exactly ({mp_rows} rows x {mp_steps} steps)",
        mp_ok,
        per_dynamics=mp_info,
    )
    total_rows = len(mu0) * len(schedules())
    return checks.evidence(
        f"mu1 == mu2 bitwise at all {steps} steps, {total_rows} runs over {len(schedules())} dynamics; "
        "all mode_collapse"
    )
