"""C11: a collapsed interval where the generator dominates stays collapsed under projected ascent.

Argument
    Let interval ``j`` be collapsed at ``c`` (``l_j = r_j = c``) with ``p*(c) < p_mu(c)``, i.e.
    ``g = (p* - p_mu)(c) < 0``.  The ascent step moves ``l_j`` by ``eta dL/dl_j = -eta g > 0``
    (right) and ``r_j`` by ``eta dL/dr_j = eta g < 0`` (left), so the two endpoints cross and
    the projection onto ``l1 <= r1 <= l2 <= r2`` (isotonic regression, docs/model.md section 4)
    pools them into one block: ``l_j = r_j`` again, at the block mean, which is ``c`` itself
    when the block is just the pair (``(c - eta g + c + eta g)/2 = c``).  If the block also
    takes in a neighbouring endpoint the interval is still collapsed (a block has one value).

Check
    1. Symbolic: with ``l_j = r_j = c`` the first-order condition of the projection
       (:meth:`~gmmsym.symbolic.GMMGAN.discriminator_stationary` with the tied block) is
       ``-(p* - p_mu)(c) >= 0`` and ``dL/dl_j + dL/dr_j = 0``; the latter and the identity
       ``dL/dl_j = -(p* - p_mu)(c)`` simplify to 0.
    2. Property (Hypothesis, seeded, no shrinking): seeded true and generator means
       (:mod:`gmmsym.strategies`), a point ``c`` with ``p*(c) < p_mu(c)`` (checked at 50 digits),
       interval 1 or 2 collapsed at ``c`` and the other interval at least 1 away.  Run
       ``steps`` projected ascent steps with ``mu`` fixed
       (a) with the library's float64 code, :func:`gmmsym.gradients` + :func:`gmmsym.project_ell`
           (what the first-order dynamics run), and
       (b) at 50 digits: :func:`gmmsym.mp.gradients` and an exact pool-adjacent-violators
           projection in mpmath.

Pass criterion
    Symbolic residuals exactly 0.  Examples have ``p*(c) - p_mu(c) <= -margin``, certified
    with python-flint, ``margin = 8`` ulps of 1 for float64 (the kernel error budget of claim
    C2; a smaller gap is below the resolution of the float64 gradient, whose sign may then be
    wrong) and ``1e-45`` at 50 digits.  In every example and after every step ``l_j == r_j``
    exactly, and the collapsed point moved by at most ``steps * (2 eta * 8 ulp(1) + ulp(c))``
    in float64 (the two gradient entries are computed separately, each within 8 ulps of 1 of
    ``-+g`` (claim C2's budget), and the mean is rounded once per step) and by at most
    ``1e-45`` at 50 digits (same argument at ``u = 2**-169``).

Models
    The symbolic check and the float64 run also hold on the second model
    ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1`` (or the one model given as ``model=``): seeded
    examples (``nu``, ``mu`` uniform on ``[-3, 3]^K``, ``c`` within 1.5 of a generator mean,
    interval ``j`` of ``M`` collapsed at ``c``, the others at least ``distance`` in ``[1, 4]``
    away, widths in ``[0, 4]``), ``p*(c) - p_mu(c) <= -8`` ulps of 1 decided by the 50-digit
    reference of ``proofs._common`` (accurate to ``1e-48``, far below the margin), the
    library's float64 gradients and projection onto ``M`` ordered intervals; same drift bound.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from hypothesis import strategies as st

import gmmsym
import gmmsym.mp as gmp
from gmmsym import certified
from gmmsym import strategies as gst
from gmmsym.discriminator.projection import project_scalars
from gmmsym.model.spec import PAPER, ModelSpec

from . import _lib
from ._common import fmt, gap_function
from .c01_closed_form import tag
from .framework import (
    OBSERVATION,
    PROPERTY,
    Checks,
    Claim,
    Evidence,
    for_models,
    property_check,
    rng_for,
    sized,
)

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C11",
    title="collapsed interval with p* < p_mu stays collapsed",
    statement=(
        "If l_j = r_j = c and p*(c) < p_mu(c), one step ell <- Proj(ell + eta dL/dell) of projected "
        "gradient ascent (Proj = isotonic regression onto l1 <= r1 <= l2 <= r2) leaves l_j = r_j, at c "
        "unless the block pools with a neighbour; so the interval stays collapsed while p* < p_mu there."
    ),
    source=(
        "A project observation, not a statement of the paper: it depends on the projection chosen by "
        "docs/model.md section 4 (isotonic regression). It explains the mechanism of discriminator "
        "collapse, the failure named in the abstract of the paper's arXiv v1 ('Towards Understanding the "
        "Dynamics of Generative Adversarial Networks'); the instability itself is stated in the "
        "paper's abstract."
    ),
    method=PROPERTY,
    criterion=(
        "symbolic residuals 0; for certified p* - p_mu <= -margin at c (8 ulps of 1 / 1e-45), l_j == r_j "
        "exactly after every step of every example, float64 (library "
        "gradients + projection) and 50-digit (mp gradients + exact PAV); drift of c within "
        "steps*(16 eta ulp(1) + ulp(c)) (float64) and 1e-45 (50 digits)."
    ),
    judge=(
        "SymPy; python-flint certified sign of p* - p_mu; the library projection run in float64 "
        "and at 50 digits"
    ),
    kind=OBSERVATION,
)

DPS = 50
ULP1 = 2.0**-52
#: Examples need p*(c) - p_mu(c) <= -margin (certified): the float64 kernel's error budget
#: (claim C2: 8 ulps of 1) and a 50-digit kernel's (1e-45); below that the sign of dL/dl is
#: not resolved by the arithmetic and the claim says nothing about the rounded dynamics.
MARGIN64 = 8 * ULP1
MARGIN_MP = 1e-45


def _example_strategy(margin: float):
    """``(nu, mu, j, c, distance, width, eta)`` with ``p*(c) - p_mu(c) <= -margin``, certified.

    The sign condition is decided with a python-flint ball (:func:`gmmsym.certified.density_gap_ball`):
    the whole ball must lie below ``-margin``, so rounding in a reference cannot let in a point
    where ``p* = p_mu`` (e.g. ``mu = nu``, which the strategies draw on purpose).
    """

    @st.composite
    def build(draw):
        nu = draw(gst.true_means(-3, 3))
        mu = draw(gst.generator_means(-3, 3))
        i = draw(st.integers(0, 1))
        c = mu[i] + draw(st.floats(-1.5, 1.5, allow_nan=False))
        j = draw(st.integers(0, 1))
        distance = draw(st.floats(1.0, 4.0, allow_nan=False))
        width = draw(st.one_of(st.floats(0.0, 4.0, allow_nan=False), st.just(math.inf)))
        eta = draw(st.sampled_from([0.01, 0.1, 0.5, 1.0]))
        return nu, mu, j, c, distance, width, eta

    def dominated(ex) -> bool:
        nu, mu, _, c, *_ = ex
        return bool(certified.density_gap_ball(c, mu, nu) < -margin)

    return build().filter(dominated)


def _initial_ell(j: int, c: float, distance: float, width: float) -> list[float]:
    if j == 0:  # interval 1 collapsed at c, interval 2 to the right
        a = c + distance
        return [c, c, a, a + width]
    b = c - distance
    return [b - width, b, c, c]


def _float64_run(ex, steps: int) -> tuple[bool, dict]:
    nu, mu, j, c, distance, width, eta = ex
    ell = np.array(_initial_ell(j, c, distance, width))
    mu_a, nu_a = np.array(mu), np.array(nu)
    drift_bound = steps * (2 * eta * 8 * ULP1 + float(np.spacing(abs(c))))
    worst = 0.0
    for step in range(steps):
        _, g = gmmsym.gradients(mu_a, ell, nu_a)
        ell = gmmsym.project_ell(ell + eta * g)
        if ell[2 * j] != ell[2 * j + 1]:
            return False, {"step": step + 1, "ell": ell, "why": "interval opened"}
        worst = max(worst, abs(ell[2 * j] - c))
    return worst <= drift_bound, {"drift": worst, "drift_bound": drift_bound}


def _mp_run(ex, steps: int) -> tuple[bool, dict]:
    nu, mu, j, c, distance, width, eta = ex
    with mpmath.workdps(DPS):
        ell = [mpmath.mpf(v) for v in _initial_ell(j, c, distance, width)]
        cm = mpmath.mpf(c)
        worst = mpmath.mpf(0)
        for step in range(steps):
            _, g = gmp.gradients(mu, ell, nu, dps=DPS)
            ell = list(project_scalars([e + eta * gk for e, gk in zip(ell, g)]))
            if ell[2 * j] != ell[2 * j + 1]:
                return False, {"step": step + 1, "ell": [str(e) for e in ell], "why": "interval opened"}
            worst = max(worst, abs(ell[2 * j] - cm))
    return worst <= mpmath.mpf("1e-45"), {"drift": float(worst)}


def _symbolic(checks: Checks, model: ModelSpec = PAPER) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN
    from gmmsym.symbolic.functions import to_exp

    m = GMMGAN(model)
    g = m.grad_ell()
    residuals = {}
    n = 2 * model.M
    for j in range(model.M):
        tie = {m.r[j]: m.l[j]}
        block_sum = sp.simplify(to_exp((g[2 * j] + g[2 * j + 1]).subs(tie)))
        prefix = sp.simplify(to_exp(g[2 * j].subs(tie) + m.density_gap(m.l[j])))
        blocks = [(k,) for k in range(2 * j)] + [(2 * j, 2 * j + 1)] + [(k,) for k in range(2 * j + 2, n)]
        cond = m.discriminator_stationary(tuple(blocks))
        ge, eq = cond[2 * j], cond[2 * j + 1]
        ge_ok = sp.simplify(to_exp(ge.lhs + m.density_gap(m.l[j]))) == 0 and ge.rhs == 0
        residuals[f"interval {j + 1}"] = {
            "dL/dl + dL/dr at l = r": str(block_sum),
            "dL/dl + (p* - p_mu)(c)": str(prefix),
            "projection condition": f"{ge}; {eq}",
            "condition is -(p*-p_mu)(c) >= 0": bool(ge_ok),
        }
        checks.add(
            f"{tag(model)}symbolic: interval {j + 1} collapsed: dL/dl + dL/dr = 0 and "
            "dL/dl = -(p* - p_mu)(c)",
            block_sum == 0 and prefix == 0 and bool(ge_ok) and eq == sp.true,
            **residuals[f"interval {j + 1}"],
        )


def _general_ell(j: int, M: int, c: float, distance: float, width: float) -> np.ndarray:
    """Interval ``j`` of ``M`` collapsed at ``c``; the others ``distance`` apart, of width ``width``."""
    step = distance + width
    left = [(c - (k + 1) * step, c - (k + 1) * step + width) for k in range(j)][::-1]
    right = [(c + distance + k * step, c + distance + k * step + width) for k in range(M - 1 - j)]
    return np.array([v for iv in (*left, (c, c), *right) for v in iv])


def _general(checks: Checks, budget: str, seed: int, model: ModelSpec) -> str:
    """Float64 projected ascent from a collapsed interval on ``model`` (seeded examples)."""
    _symbolic(checks, model)
    rng = rng_for(CLAIM.id, seed + 7919)
    steps, n = sized(budget, 10, 30, 60), sized(budget, 20, 150, 1000)
    done, worst, bad = 0, 0.0, []
    while done < n:
        nu, mu = rng.uniform(-3, 3, model.K), rng.uniform(-3, 3, model.K)
        c = float(mu[rng.integers(model.K)] + rng.uniform(-1.5, 1.5))
        with mpmath.workdps(DPS):
            if not gap_function(mu, nu, model)(c) < -MARGIN64:
                continue
        j, distance, width = int(rng.integers(model.M)), rng.uniform(1, 4), rng.uniform(0, 4)
        eta = float(rng.choice([0.01, 0.1, 0.5, 1.0]))
        ell = _general_ell(j, model.M, c, distance, width)
        bound = steps * (2 * eta * 8 * ULP1 + float(np.spacing(abs(c))))
        done += 1
        for step in range(steps):
            _, g = _lib.gradients(mu, ell, nu, model)
            ell = _lib.project_ell(ell + eta * g, model)
            if ell[2 * j] != ell[2 * j + 1] or abs(ell[2 * j] - c) > bound:
                bad.append({"mu": mu, "nu": nu, "c": c, "j": j, "step": step + 1, "ell": ell})
                break
            worst = max(worst, abs(float(ell[2 * j]) - c))
    checks.add(
        f"{tag(model)}float64 library code: stays collapsed for {steps} steps, {n} examples",
        not bad,
        examples=n,
        steps=steps,
        max_drift=worst,
        failures=bad[:5],
    )
    return f"{tag(model)}collapsed after every step: {n} float64 examples x {steps} steps; drift {fmt(worst)}"


def run(budget: str = "default", *, seed: int = 0, model: ModelSpec | None = None) -> Evidence:
    """Check C11 at ``budget`` (on ``model``, or on the paper's and the second model); see the docstring."""
    models = for_models(model, (PAPER, _lib.SECOND))
    checks = Checks(seed=seed, budget=budget, dps=DPS, models=[m.text() for m in models])
    figures = [
        _paper(checks, budget, seed) if m == PAPER else _general(checks, budget, seed, m) for m in models
    ]
    return checks.evidence("; ".join(figures))


def _paper(checks: Checks, budget: str, seed: int) -> str:
    _symbolic(checks)
    steps = sized(budget, 10, 30, 60)
    n64 = sized(budget, 40, 300, 2000)
    res64 = property_check(
        _example_strategy(MARGIN64), lambda ex: _float64_run(ex, steps), max_examples=n64, seed=seed
    )
    drift64 = max((i.get("drift", 0.0) for i in res64["infos"]), default=0.0)
    checks.add(
        f"float64 library code: stays collapsed for {steps} steps",
        res64["passed"] and res64["examples"] > 0,
        examples=res64["examples"],
        steps=steps,
        max_drift=drift64,
        counterexample=res64["counterexample"],
    )
    nmp = sized(budget, 10, 60, 300)
    resmp = property_check(
        _example_strategy(MARGIN_MP), lambda ex: _mp_run(ex, steps), max_examples=nmp, seed=seed
    )
    driftmp = max((i.get("drift", 0.0) for i in resmp["infos"]), default=0.0)
    checks.add(
        f"50 digits (mp gradients + exact PAV): stays collapsed for {steps} steps",
        resmp["passed"] and resmp["examples"] > 0,
        examples=resmp["examples"],
        steps=steps,
        max_drift=driftmp,
        counterexample=resmp["counterexample"],
    )
    return (
        f"collapsed after every step: {res64['examples']} float64 + {resmp['examples']} 50-digit examples "
        f"x {steps} steps; max drift {fmt(drift64)} / {fmt(driftmp)}"
    )
