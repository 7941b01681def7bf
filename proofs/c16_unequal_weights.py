"""C16: the diagonal mu_i = mu_j is invariant only for equal weights w_i = w_j (C6 with unequal weights).

Argument
    ``dL/dmu_i = w_i sum_j [phi_s(r_j - mu_i) - phi_s(l_j - mu_i)] = w_i S(mu_i, ell)``: on
    ``mu_i = mu_j = c`` the two components are ``w_i S`` and ``w_j S`` with the same ``S``, for every
    ``ell`` and so for ``ell*(mu)`` too.  With ``w_i = w_j`` they coincide and every dynamics keeps
    ``mu_i = mu_j`` (C6).  With ``w_i != w_j`` one first-order step separates the two means by
    ``eta |w_i - w_j| |S|``, which is nonzero unless the discriminator gives ``S = 0``: the symmetry
    ``mu_i <-> mu_j`` that made the diagonal invariant is gone, and a diagonal start no longer has
    to end in mode collapse.

Check
    1. Symbolic, for ``K=2, weights 1/3:2/3`` and the second model ``K=3,M=3,weights=1/4:1/4:1/2``:
       on ``mu_j = mu_i``, ``dL/dmu_i / w_i - dL/dmu_j / w_j`` simplifies to 0 for every pair, and
       ``dL/dmu_i - dL/dmu_j`` simplifies to 0 exactly for the pairs with equal weights.
    2. Dynamics, ``K = 2``, weights ``1/3:2/3`` (:func:`gmmsym.simulate` with ``model=``): from the
       diagonal starts of C6 (:func:`proofs.c06_diagonal.diagonal_starts`), random
       discriminators, ``eta = 0.1``, every first-order dynamics: (a) after the first step
       ``|mu1 - mu2|`` is nonzero on every row with ``|S| > 1e-12``, and for simultaneous
       dynamics it equals the prediction ``eta |w1 - w2| |S|`` with ``S = dL/dmu1 / w1`` from the
       float64 kernel at the initial state (16 ulps of 1 relative to ``eta |S|``, plus two ulps of
       the new means, which are rounded once each; the other schedules move the discriminator or
       extrapolate before the generator step); (b) at the end not every run is labelled
       ``mode_collapse`` (under equal weights every one is, C6).  The label shares and the final
       separations are reported; at the default budget the optimal dynamics run too (shares
       reported, and every row must have left the diagonal).
    3. Control on the second model: simultaneous dynamics from ``mu1 = mu2`` (equal weights
       ``1/4``) keep ``mu1 == mu2`` bitwise at every step, while starts with ``mu1 = mu3``
       (weights ``1/4`` and ``1/2``) leave it at the first step.

Pass criterion
    Symbolic residuals as stated (exactly 0 / not 0); first-step separation within
    ``16 * 2**-52 * eta |S| + 2 ulp(|mu| + 1)`` of the prediction (``S`` is a sum of at most
    four densities, each rounded to a few ulps, scaled by ``eta``), nonzero where
    ``|S| > 1e-12``; fewer than all first-order runs mode-collapsed; bitwise invariance for the
    equal-weight pair and separation ``> 0`` for the unequal pair of the control.
"""

from __future__ import annotations

import numpy as np

import gmmsym
from gmmsym.model.spec import ModelSpec

from . import _lib
from .c01_closed_form import tag
from .c06_diagonal import diagonal_starts, schedules
from .framework import OBSERVATION, SYMBOLIC, Checks, Claim, Evidence, rng_for, sized

__all__ = ["CLAIM", "run", "WEIGHTED"]

#: The K = 2 model with unequal weights on which the dynamics are measured.
WEIGHTED = ModelSpec.parse("K=2,M=2,weights=1/3:2/3,sigma=1")
ETA = 0.1
ULP1 = 2.0**-52

CLAIM = Claim(
    id="C16",
    title="diagonal invariant only for equal weights",
    statement=(
        "On mu_i = mu_j, dL/dmu_i / w_i = dL/dmu_j / w_j for every ell, so the diagonal is invariant when "
        "w_i = w_j (C6) and first-order dynamics leave it when w_i != w_j (separation eta |w_i - w_j| |S| "
        "after one step); for K = 2 with weights 1/3:2/3, diagonal starts no longer all end in mode collapse."
    ),
    source=(
        "A project observation, not a statement of the paper (whose model has equal weights): the "
        "weighted model of docs/model.md section 1; it qualifies the diagonal of Figure 2 as numbered in "
        "the paper and the mode collapse stated in the paper's abstract."
    ),
    method=SYMBOLIC,
    criterion=(
        "symbolic: weighted difference 0 for every pair, plain difference 0 exactly for equal-weight pairs; "
        "first-step separation > 0 where |S| > 1e-12 and (simultaneous) = eta |w1 - w2| |S| within 16 ulps "
        "of eta |S|; not every first-order run mode-collapsed; control: equal-weight pair bitwise "
        "invariant, unequal pair left."
    ),
    judge="SymPy; the float64 kernel's S at the start (prediction); exact equality for the control",
    kind=OBSERVATION,
)


def _symbolic(checks: Checks, model: ModelSpec) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN

    m = GMMGAN(model)
    g = m.grad_mu()
    w = [sp.Rational(x.numerator, x.denominator) for x in model.weights]
    rows = {}
    ok = True
    for i in range(model.K):
        for j in range(i + 1, model.K):
            diag = {m.mu[j]: m.mu[i]}
            weighted = sp.simplify((g[i] / w[i] - g[j] / w[j]).subs(diag))
            plain = sp.simplify((g[i] - g[j]).subs(diag))
            equal = w[i] == w[j]
            ok &= weighted == 0 and ((plain == 0) == equal)
            rows[f"mu{i + 1}=mu{j + 1}"] = {
                "equal_weights": equal,
                "weighted": str(weighted),
                "plain": str(plain),
            }
    checks.add(
        f"{tag(model)}symbolic: on mu_i = mu_j, dL/dmu_i / w_i = dL/dmu_j / w_j; "
        "dL/dmu_i = dL/dmu_j iff w_i = w_j",
        ok,
        pairs=rows,
    )


def _first_order(checks: Checks, budget: str, seed: int) -> str:
    rng = rng_for(CLAIM.id, seed)
    nu, mu0 = diagonal_starts(rng, sized(budget, 10, 40, 200))
    ell0 = np.sort(rng.uniform(-2, 2, (len(mu0), 4)), axis=1)
    w1, w2 = (float(x) for x in WEIGHTED.weights)
    g_mu, _ = _lib.gradients(mu0, ell0, nu, WEIGHTED)
    s = g_mu[:, 0] / w1
    predicted = ETA * abs(w1 - w2) * np.abs(s)
    steps = sized(budget, 200, 1000, 3000)
    first_ok, end_ok, per = True, True, {}
    names = [(d, k) for d, k in schedules() if d != "optimal"]
    if budget == "quick":
        names = [(d, k) for d, k in names if d in ("simultaneous", "alternating") and k == 1]
    for dyn, k in names:
        one = gmmsym.simulate(nu, mu0, ell0, dynamics=dyn, k=k, eta=ETA, steps=1, model=WEIGHTED)
        sep1 = np.abs(one.mu[:, 0] - one.mu[:, 1])
        err = np.abs(sep1 - predicted)
        good = bool(np.all(sep1[np.abs(s) > 1e-12] > 0))
        if dyn == "simultaneous":  # the others step the discriminator (or extrapolate) first
            good &= bool(np.all(err <= 16 * ULP1 * ETA * np.abs(s) + 2 * np.spacing(np.abs(mu0[:, 0]) + 1)))
        r = gmmsym.simulate(nu, mu0, ell0, dynamics=dyn, k=k, eta=ETA, steps=steps, model=WEIGHTED)
        collapsed = int((r.label == "mode_collapse").sum())
        name = dyn if dyn != "alternating" else f"alternating-k{k}"
        sep = np.abs(r.mu[:, 0] - r.mu[:, 1])
        per[name] = {
            "first_step_max_abs_err": float(err.max()),
            "first_step_ok": good,
            "labels": r.outcomes.counts(),
            "final_separation_min": float(sep.min()),
            "final_separation_median": float(np.median(sep)),
        }
        first_ok &= good
        end_ok &= collapsed < len(mu0)
    checks.add(
        f"[{WEIGHTED.text()}] first-order dynamics from {len(mu0)} diagonal starts: first-step separation = "
        "eta |w1 - w2| |S| (> 0 where |S| > 1e-12)",
        first_ok,
        per_dynamics={k: {a: b for a, b in v.items() if a.startswith("first")} for k, v in per.items()},
        rows_with_S_zero=int((np.abs(s) <= 1e-12).sum()),
    )
    checks.add(
        f"[{WEIGHTED.text()}] not every diagonal start ends in mode collapse ({steps} steps)",
        end_ok,
        per_dynamics={k: {a: b for a, b in v.items() if not a.startswith("first")} for k, v in per.items()},
    )
    if budget != "quick":
        _optimal(checks, nu[:10], mu0[:10], steps=sized(budget, 100, 300, 1000))
    shares = per["simultaneous"]["labels"]
    return f"{WEIGHTED.text()}: diagonal left at step 1; simultaneous labels {shares}"


def _optimal(checks: Checks, nu: np.ndarray, mu0: np.ndarray, *, steps: int) -> None:
    r = gmmsym.simulate(nu, mu0, dynamics="optimal", eta=ETA, steps=steps, model=WEIGHTED)
    sep = np.abs(r.mu[:, 0] - r.mu[:, 1])
    checks.add(
        f"[{WEIGHTED.text()}] optimal dynamics from {len(mu0)} diagonal cells leave the diagonal "
        f"({steps} steps)",
        bool(np.all(sep > 0)),
        labels=r.outcomes.counts(),
        final_separation_min=float(sep.min()),
    )


def _control(checks: Checks, budget: str, seed: int) -> None:
    """Second model: the equal-weight pair stays on its diagonal, the unequal pair leaves it."""
    rng = rng_for(CLAIM.id, seed + 1)
    n = sized(budget, 8, 20, 100)
    c, other = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    nu = rng.uniform(-2, 2, (n, 3))
    steps = sized(budget, 50, 200, 1000)
    run = dict(dynamics="simultaneous", eta=ETA, steps=steps, record_every=1, seed=seed, model=_lib.SECOND)
    eq = gmmsym.simulate(nu, np.stack([c, c, other], axis=1), **run).trajectory["mu"]
    uneq = gmmsym.simulate(nu, np.stack([c, other, c], axis=1), **run).trajectory["mu"]
    kept = bool(np.all(eq[..., 0] == eq[..., 1]))
    left = bool(np.all(uneq[1, :, 0] != uneq[1, :, 2]))
    checks.add(
        f"[{_lib.SECOND.text()}] control: mu1 = mu2 (weights 1/4, 1/4) bitwise invariant at all "
        f"{steps} steps; mu1 = mu3 (weights 1/4, 1/2) left at step 1",
        kept and left,
        rows=n,
        equal_pair_invariant=kept,
        unequal_pair_left=left,
        unequal_pair_final_separation_min=float(np.abs(uneq[-1, :, 0] - uneq[-1, :, 2]).min()),
    )


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C16 at ``budget``; see the module docstring for the check and the criterion."""
    checks = Checks(seed=seed, budget=budget, eta=ETA)
    for model in (WEIGHTED, _lib.SECOND):
        _symbolic(checks, model)
    info = _first_order(checks, budget, seed)
    _control(checks, budget, seed)
    return checks.evidence(info)
