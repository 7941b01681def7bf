"""C14: discriminator collapse is a trap of the exact first-order map (certified, python-flint).

Setting
    The final states of the Figure 2 runs (:mod:`proofs._fig2`, every first-order schedule of
    the budget, 3000 steps) that the engine labels ``discriminator_collapse``: both widths
    ``r_j - l_j <= 1e-9``.  For such a state put ``c_j = (l_j + r_j)/2`` and ``mu``.

Argument (``G = p* - p_mu``; simultaneous or alternating steps, ``eta_g = eta_d = eta``)
    Let ``T`` be the set of states with ``|mu_i - mu_i^0| <= R``, ``|c_j - c_j^0| <= R`` and
    widths ``0 <= w_j <= eps`` (so ``l_j, r_j`` lie in ``X_j = c_j^0 +- (R + eps/2)``).  Certify
    with arb balls over ``T``:

    (a) *margin*: ``G(x; mu) <= -m_j < 0`` for all ``x`` in ``X_j`` and ``mu`` in the box;
    (b) *separation*: ``X_1 + eta sup|G| < X_2 - eta sup|G|`` (the two intervals cannot pool).

    Then one ascent step maps ``l_j -> l_j - eta G(l_j)`` (right) and ``r_j -> r_j + eta G(r_j)``
    (left): the width becomes ``w_j + eta (G(r_j) + G(l_j)) <= w_j - 2 eta m_j``, and when it is
    negative the projection pools the pair at its mean (isotonic regression, docs/model.md
    section 4), width 0.  The centre moves by ``eta |G(r_j) - G(l_j)| / 2 <= eta D w_j / 2`` and
    each mean by ``eta/2 sum_j |phi(r_j - mu_i) - phi(l_j - mu_i)| <= eta K sum_j w_j / 2``
    (``K = max |phi'| = (2 pi e)^{-1/2}``, ``D = 2K >= max |G'|``).  So after
    ``n = max_j ceil(eps / (2 eta m_j))`` steps both widths are 0, and the total drift of ``mu``
    and ``c`` is at most ``eta D eps n``; if ``rho + eta D eps n <= R`` (``rho`` the radius of the
    box of starting states) the run never leaves ``T``.  A collapsed state in ``T`` is a fixed
    point of the exact map: ``dL/dmu = 0`` (claim C10) and, by (a), the pair crosses and pools
    back to ``c_j`` itself.  The collapse is a trap of the exact dynamics, not a rounding artefact.
    States whose two intervals collapsed onto one point (four endpoints pooled) are outside this
    argument and are counted, not certified.

Pass criterion
    At least one collapsed run; every collapsed run with separated collapse points certified
    ((a), (b) and ``rho + eta D eps n <= R``) with ``rho = 1e-8`` and ``eps = R = 1e-5``, or
    ``1e-6`` or ``1e-7`` where the margin needs a smaller box.
    Reported: how many certified, the smallest margin ``p_mu - p*``, ``eps``, ``n``, ``R``.
"""

from __future__ import annotations

import math

import numpy as np
from flint import arb, ctx

from ._fig2 import ETA, figure2_runs
from .framework import CERTIFIED, OBSERVATION, Checks, Claim, Evidence

__all__ = ["CLAIM", "run", "certify_trap"]

CLAIM = Claim(
    id="C14",
    title="discriminator collapse is a certified trap",
    statement=(
        "At the final states of the Figure 2 first-order runs labelled discriminator_collapse, p_mu > p* at "
        "both collapse points on a box around the state, so the state is a fixed point of the exact "
        "first-order map (dL/dmu = 0, projected ascent pulls each interval shut), and every nearby state "
        "with widths up to eps re-collapses within n steps while mu moves less than a radius R."
    ),
    source=(
        "A project observation (it depends on the projection chosen in docs/model.md section 4): "
        "it certifies "
        '"discriminator collapse", the failure named in the abstract of the paper\'s arXiv v1 (then titled '
        '"Towards Understanding the Dynamics of Generative Adversarial Networks"), on the runs of '
        "Figure 2 as "
        "numbered in the paper; the instability of first-order dynamics is stated in the paper's abstract."
    ),
    method=CERTIFIED,
    criterion=(
        "every collapsed run with separated collapse points certified: arb margin G <= -m < 0 on the box, "
        "intervals separated, rho + eta D eps n <= R (rho = 1e-8, eps = R in 1e-5, 1e-6, 1e-7)."
    ),
    judge="python-flint arb enclosures of p* - p_mu over boxes of states",
    kind=OBSERVATION,
)

RHO = 1e-8
K = 1 / math.sqrt(2 * math.pi * math.e)  # max |phi'|
D = 2 * K  # >= max |d/dx (p* - p_mu)|
COINCIDENT = "collapse points coincide or are infinite"
RADII = (1e-5, 1e-6, 1e-7)  # R = eps tried in turn (rho = 1e-8 stays below R)


def _gap_ball(x: arb, mu: tuple[arb, arb], nu: tuple[float, float]) -> arb:
    c = 1 / (2 * (2 * arb.pi()).sqrt())
    tot = arb(0)
    for a in nu:
        tot += (-((x - a) ** 2) / 2).exp()
    for m in mu:
        tot -= (-((x - m) ** 2) / 2).exp()
    return c * tot


def certify_trap(mu0, ell0, nu, eta: float = ETA) -> dict:
    """Certificate for one collapsed state, trying ``R = eps = 1e-5, 1e-6, 1e-7`` in turn.

    A smaller box is needed only when the margin is comparable to the box's own spread of
    ``p* - p_mu`` (about ``R``); the first radius that certifies is reported.
    """
    res = {}
    for radius in RADII:
        res = _certify(mu0, ell0, nu, eta, radius, radius)
        if res["certified"] or res.get("why") == COINCIDENT:
            break
    return res


def _certify(mu0, ell0, nu, eta: float, radius: float, eps: float) -> dict:
    """The certificate of the module docstring with radius ``radius`` and width bound ``eps``."""
    c0 = [(ell0[0] + ell0[1]) / 2, (ell0[2] + ell0[3]) / 2]
    if not all(math.isfinite(c) for c in c0) or c0[1] - c0[0] <= 2 * (radius + eps):
        return {"certified": False, "why": COINCIDENT, "c": c0}
    old = ctx.prec
    ctx.prec = 128
    try:
        mu = tuple(arb(float(m), radius) for m in mu0)
        margins, sups, boxes = [], [], []
        for c in c0:
            box = arb(float(c), radius + eps / 2)
            g = _gap_ball(box, mu, nu)
            margins.append(-(g.upper()))
            sups.append(abs(g).upper())
            boxes.append(box)
        m = min(float(v) for v in margins)
        sup = max(float(s) for s in sups)
        sep = (boxes[1].lower() - eta * sup) > (boxes[0].upper() + eta * sup)
    finally:
        ctx.prec = old
    if not m > 0:
        return {"certified": False, "why": "margin not certified", "margin": m, "c": c0}
    n = max(math.ceil(eps / (2 * eta * float(v))) for v in margins)
    drift = eta * D * eps * n
    ok = bool(sep) and RHO + drift <= radius
    return {
        "certified": ok,
        "margin": m,
        "n": n,
        "drift": drift,
        "separated": bool(sep),
        "c": c0,
        "R": radius,
    }


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C14 at ``budget``; see the module docstring for the argument and the criterion."""
    runs = figure2_runs(budget, seed)
    nu = tuple(float(v) for v in runs["nu"])
    checks = Checks(seed=seed, budget=budget, rho=RHO, radii=RADII, eta=ETA)
    results, coincide, failed = [], 0, []
    per_schedule = {}
    for name, r in runs["runs"].items():
        rows = np.nonzero(r["label"] == "discriminator_collapse")[0]
        per_schedule[name] = int(rows.size)
        for i in rows:
            cert = certify_trap(r["mu"][i], r["ell"][i], nu)
            if cert.get("why") == COINCIDENT:
                coincide += 1
                continue
            results.append(cert)
            if not cert["certified"]:
                failed.append({"schedule": name, "mu": r["mu"][i], "ell": r["ell"][i], **cert})
    certified = [c for c in results if c["certified"]]
    smallest = min((c["margin"] for c in certified), default=float("nan"))
    n_max = max((c["n"] for c in certified), default=0)
    drift = max((c["drift"] for c in certified), default=0.0)
    smallest_r = min((c["R"] for c in certified), default=float("nan"))
    checks.add(
        "every collapsed run (separated collapse points) is a certified trap",
        len(results) > 0 and not failed,
        collapsed_runs=sum(per_schedule.values()),
        per_schedule=per_schedule,
        separated=len(results),
        coincident_or_infinite=coincide,
        certified=len(certified),
        smallest_margin=smallest,
        n_steps_to_recollapse=n_max,
        max_drift=drift,
        smallest_radius_used=smallest_r,
        failures=failed[:5],
    )
    return checks.evidence(
        f"{len(certified)}/{len(results)} collapsed runs certified ({coincide} with coincident points); "
        f"min margin p_mu - p* {smallest:.2g}; eps = R >= {smallest_r:g} (rho {RHO:g}), n {n_max}"
    )
