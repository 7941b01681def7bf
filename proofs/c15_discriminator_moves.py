"""C15: the first-order engine really moves the discriminator, by eta_d times the gradient.

Check (engine :func:`gmmsym.simulate` against the judge :mod:`proofs.judge`)
    Seeded random states: ``nu``, ``mu0`` uniform on ``[-2, 2]^2``, ``ell0`` with endpoints
    i.i.d. uniform on ``[-2, 2]``, sorted (the Figure 2 draw).

    1. *First step.*  One ``simultaneous`` step with ``eta = 0.1``: on the rows where
       ``ell0 + eta dL/dell`` is still ordered (no projection), the engine's endpoints move by
       ``eta dL/dell`` and its means by ``-eta dL/dmu``, both gradients from the judge's closed
       forms (:func:`proofs.judge.gradients`); every row equals the judge's step
       (:func:`proofs.judge.dynamics.step`, projection included).
    2. *Two time scales.*  The same with ``eta_g = 0.1``, ``eta_d = 0.3``: the discriminator moves
       by ``0.3 dL/dell``, the generator by ``-0.1 dL/dmu``.
    3. *Alternating, k = 5.*  One step equals the judge's five projected ascent steps followed by
       one generator step.
    4. *Step count.*  Three ``simultaneous`` steps equal three judge steps, and
       ``steps_taken == 3``.

Pass criterion
    ``|engine - judge| <= 16 * 2**-52`` (16 ulps of 1) componentwise after 1 step and
    ``<= 64 * 2**-52`` after 3 or k = 5 (endpoints and means are in ``[-3, 3]``, so a step is
    rounded to at most ~1 ulp of 2 per operation; the gradient kernels agree to 8 ulps of 1,
    claim C2, times eta <= 0.3); and the displacement is not trivial: the median
    ``|eta_d dL/dell|`` on the checked rows is reported (about 1e-2), so a frozen discriminator
    (step 0) or a skipped step fails by twelve orders of magnitude.
"""

from __future__ import annotations

import numpy as np

import gmmsym

from . import judge
from .framework import OBSERVATION, STATISTICAL, Checks, Claim, Evidence, rng_for, sized
from .judge.dynamics import step as judge_step

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C15",
    title="first-order steps move the discriminator",
    statement=(
        "In the first-order dynamics the discriminator takes projected gradient-ascent steps: one step "
        "moves ell by eta_d dL/dell (then projects) and mu by -eta_g dL/dmu; with two time scales "
        "(eta_d != eta_g) the discriminator's displacement scales with eta_d; alternating steps make k "
        "ascent steps."
    ),
    source=(
        "A project observation (a check of this project's engine and of the projection chosen in "
        "docs/model.md section 4) on the first-order dynamics (simultaneous and alternating gradient steps "
        "of generator and discriminator) whose instability is stated in the paper's abstract."
    ),
    method=STATISTICAL,
    criterion=(
        "engine = judge step within 16 ulps of 1 (1 step) / 64 ulps (3 steps, k = 5); unprojected rows move "
        "by eta_d x the judge's gradient; median displacement reported."
    ),
    judge="proofs.judge (closed-form gradients, max-min projection, its own step)",
    kind=OBSERVATION,
)

ULP1 = 2.0**-52
TOL1 = 16 * ULP1
TOL3 = 64 * ULP1


def _draw(rng: np.random.Generator, n: int):
    nu = rng.uniform(-2, 2, (n, 2))
    mu0 = rng.uniform(-2, 2, (n, 2))
    ell0 = np.sort(rng.uniform(-2, 2, (n, 4)), axis=1)
    return nu, mu0, ell0


def _first_step(checks: Checks, nu, mu0, ell0, eta: float, eta_d: float) -> float:
    r = gmmsym.simulate(nu, mu0, ell0, dynamics="simultaneous", eta=eta, eta_d=eta_d, steps=1)
    g_mu, g_ell = judge.gradients(mu0, ell0, nu)
    y = ell0 + eta_d * g_ell
    free = np.all(np.diff(y, axis=1) > 1e-9, axis=1)
    d_ell = np.abs((r.ell - ell0)[free] - eta_d * g_ell[free])
    d_mu = np.abs((r.mu - mu0) + eta * g_mu)
    jm, je = judge_step(mu0, ell0, nu, schedule="simultaneous", eta=eta, eta_d=eta_d, k=1)
    err = max(float(np.abs(r.ell - je).max()), float(np.abs(r.mu - jm).max()))
    moved = float(np.median(np.abs(eta_d * g_ell[free])))
    checks.add(
        f"one simultaneous step, eta_g = {eta:g}, eta_d = {eta_d:g}: ell moves by eta_d dL/dell, mu by "
        "-eta_g dL/dmu (judge's gradients); every row = judge's projected step",
        bool(
            free.sum() > 0
            and d_ell.max() <= TOL1
            and d_mu.max() <= TOL1
            and err <= TOL1
            and moved > 1e3 * TOL1
        ),
        rows=len(mu0),
        unprojected_rows=int(free.sum()),
        max_err_ell_ulps=float(d_ell.max() / ULP1),
        max_err_mu_ulps=float(d_mu.max() / ULP1),
        max_err_vs_judge_step_ulps=err / ULP1,
        median_discriminator_displacement=moved,
        steps_taken=int(np.max(r.steps_taken)),
    )
    return moved


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C15 at ``budget``; see the module docstring for the checks and the criterion."""
    checks = Checks(seed=seed, budget=budget)
    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 500, 5000, 50000)
    nu, mu0, ell0 = _draw(rng, n)
    moved = _first_step(checks, nu, mu0, ell0, 0.1, 0.1)
    moved3 = _first_step(checks, nu, mu0, ell0, 0.1, 0.3)

    r = gmmsym.simulate(nu, mu0, ell0, dynamics="alternating", k=5, eta=0.1, steps=1)
    jm, je = judge_step(mu0, ell0, nu, schedule="alternating", eta=0.1, eta_d=0.1, k=5)
    err_k = max(float(np.abs(r.ell - je).max()), float(np.abs(r.mu - jm).max()))
    checks.add(
        "one alternating step with k = 5 = five projected ascent steps + one generator step (judge)",
        err_k <= TOL3,
        max_err_ulps=err_k / ULP1,
    )

    r = gmmsym.simulate(nu, mu0, ell0, dynamics="simultaneous", eta=0.1, steps=3)
    m, e = mu0, ell0
    for _ in range(3):
        m, e = judge_step(m, e, nu, schedule="simultaneous", eta=0.1, eta_d=0.1, k=1)
    err3 = max(float(np.abs(r.ell - e).max()), float(np.abs(r.mu - m).max()))
    checks.add(
        "three simultaneous steps = three judge steps; steps_taken = 3",
        err3 <= TOL3 and bool(np.all(r.steps_taken == 3)),
        max_err_ulps=err3 / ULP1,
        steps_taken=sorted({int(v) for v in np.ravel(r.steps_taken)}),
    )
    return checks.evidence(
        f"{n} starts: first-step displacement = eta_d x judge gradient (median {moved:.2g}, "
        f"x{moved3 / moved:.2f} at eta_d = 3 eta); k = 5 and 3-step runs = judge within "
        f"{max(err_k, err3) / ULP1:.2g} ulp"
    )
