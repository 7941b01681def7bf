"""C5: grad TV = dL/dmu at the optimal discriminator (Danskin), by 50-digit finite differences.

Check
    A Hypothesis property (seeded, no shrinking; :func:`proofs.framework.property_check`) over
    ``(mu, nu)`` from :mod:`gmmsym.strategies` (means in ``[-3, 3]``, including ``mu`` on the
    diagonal ``mu1 = mu2``, ``dist(mu, nu) >= 0.05``) compares

    * the central difference ``(TV(mu + h e_i) - TV(mu - h e_i)) / (2h)``, ``h = 1e-15``, of the
      judge's 50-digit TV :func:`proofs.judge.tv_mp` (sign scan, mpmath bisection, masses of the
      positive pieces; no library code), with
    * Danskin's formula ``dL/dmu_i (mu, ell*(mu)) = 1/2 sum_j [phi(r*_j - mu_i) - phi(l*_j - mu_i)]``
      evaluated by the generated mpmath kernel :func:`gmmsym.mp.gradients` at
      :func:`gmmsym.mp.optimal_discriminator` (``ell*`` held fixed: no derivative of the
      crossings enters), and with
    * the float64 library gradient :func:`gmmsym.tv_gradient` and the 50-digit
      :func:`gmmsym.mp.tv_gradient`.

    Points with an exact coincidence ``mu_i = nu_j`` are outside Danskin's hypothesis: two
    terms of the exponential sum cancel, and in every neighbourhood a crossing arrives from
    infinity, so ``A*`` is not locally stable (TV is still C^1 there, see C9, but not C^2; with
    ``h = 1e-15`` the central difference is off by up to ~1e-14).  The property therefore draws
    points with ``min |mu_i - nu_j| >= 1e-4`` and ``dist(mu, nu) >= 0.05``, and a separate check
    takes seeded degenerate points: for ``h = 1e-12, 1e-15, 1e-18`` the error of the central
    difference must shrink at least tenfold at each step (or be at the rounding level 1e-28
    of 50-digit differences divided by ``h``), i.e. converge to Danskin's value.

Models
    On the second model ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1`` (or the one model given as
    ``model=``) seeded points ``mu = nu + d`` (``nu`` uniform on ``[-3, 3]^K``, ``|d_i|`` in
    ``[1e-4, 3]``, ``min |mu_i - nu_j| >= 1e-4``) compare the central difference of the judge's
    50-digit TV (weights and sigma of the model) with the float64 :func:`gmmsym.tv_gradient` and
    with the generated 50-digit kernel ``dL/dmu`` at the float64 ``ell*`` (``ell*`` enters
    ``dL/dmu`` to first order, so that value is float64-accurate); where
    :func:`gmmsym.mp.tv_gradient` takes ``model=`` it is compared within ``1e-20``.  On a model
    with ``M < K``, points whose ``A*`` has more than ``M`` pieces are skipped (counted): there
    the class value ``max_ell L`` is below ``1 + TV`` and its gradient is not ``grad TV``.

Pass criterion
    ``|FD - Danskin| <= 1e-20`` at 50 digits: the truncation error of the central difference is
    ``|TV'''| h^2 / 6 <= 1e-28`` for ``|TV'''| <= 1e2`` (TV is real-analytic in ``mu`` away from
    ``mu = nu`` and tangencies; measured differences are reported), and the rounding error is
    ``~1e-50 / h = 1e-35``.  ``|gmmsym.mp.tv_gradient - Danskin| <= 1e-45``.  float64
    ``|tv_gradient - Danskin| <= 16`` ulps of 1: four densities ``phi/2 <= 0.2`` at crossings
    that float64 locates to a few ulps (``|phi'| <= 0.25``), summed.
"""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import strategies as st

import gmmsym
import gmmsym.mp as gmp
from gmmsym import strategies as gst
from gmmsym.model.spec import PAPER, ModelSpec

from . import _lib, judge
from ._common import fmt
from .c01_closed_form import tag
from .framework import PROPERTY, Checks, Claim, Evidence, for_models, property_check, rng_for, sized

__all__ = ["CLAIM", "run"]

CLAIM = Claim(
    id="C5",
    title="grad TV = dL/dmu at ell* (Danskin)",
    statement=(
        "Where the optimal discriminator is locally stable, grad_mu TV(mu) = dL/dmu(mu, ell*(mu)) = "
        "(1/2 sum_j [phi(r*_j - mu_i) - phi(l*_j - mu_i)])_i: the crossings' motion does not contribute."
    ),
    source=(
        "Theorem 4.1 as numbered in the paper (optimal-discriminator dynamics mu <- mu - eta grad TV); "
        "Danskin's theorem, docs/model.md section 3."
    ),
    method=PROPERTY,
    criterion=(
        "|central difference of the judge's 50-digit TV (h = 1e-15) - Danskin| <= 1e-20; "
        "mp tv_gradient within 1e-45; "
        "float64 tv_gradient within 16 ulps of 1."
    ),
    judge="proofs.judge (50-digit TV; central differences)",
)

DPS = 50
H = mpmath.mpf("1e-15")
H_SEQUENCE = (mpmath.mpf("1e-12"), mpmath.mpf("1e-15"), mpmath.mpf("1e-18"))
SEP = 1e-4  # min |mu_i - nu_j| for "A* locally stable" (no crossing arriving from infinity)
TOL_FD = mpmath.mpf("1e-20")
TOL_MP = mpmath.mpf("1e-45")
TOL_ROUND = mpmath.mpf("1e-28")
ULP1 = 2.0**-52
TOL64 = 16 * ULP1


def _stable(p) -> bool:
    """``A*`` locally stable: away from ``mu = nu`` and from exact coincidences ``mu_i = nu_j``."""
    mu, nu = p
    return gst.label_invariant_distance(mu, nu) >= 0.05 and min(abs(a - b) for a in mu for b in nu) >= SEP


def _strategy():
    """``(mu, nu)`` with ``A*`` locally stable: ``mu = nu + d``, ``|d_i| >= 1e-4``; some ``mu`` diagonal.

    Offsets rather than independent means: Hypothesis reuses float values across a test case,
    so independent draws would hit the excluded coincidences ``mu_i = nu_j`` most of the time.
    """
    offset = st.one_of(st.floats(SEP, 3.0), st.floats(-3.0, -SEP))

    @st.composite
    def build(draw):
        nu = draw(gst.true_means(-3, 3))
        d1, d2 = draw(offset), draw(offset)
        diagonal = draw(st.sampled_from((False, False, False, True)))
        mu = (nu[0] + d1, nu[0] + d1) if diagonal else (nu[0] + d1, nu[1] + d2)
        return mu, nu

    return build().filter(_stable)


def _fd_errors(mu_f, nu, h) -> tuple:
    """``(max_i |FD_i(h) - Danskin_i|, Danskin, number of crossings)`` at 50 digits."""
    with mpmath.workdps(DPS):
        m = [mpmath.mpf(v) for v in mu_f]
        ell, n_cross = gmp.optimal_discriminator(m, nu, dps=DPS)
        g, _ = gmp.gradients(m, ell, nu, dps=DPS)
        err = mpmath.mpf(0)
        for i in range(2):
            up, dn = list(m), list(m)
            up[i] += h
            dn[i] -= h
            fd = (judge.tv_mp(up, nu, dps=DPS) - judge.tv_mp(dn, nu, dps=DPS)) / (2 * h)
            err = max(err, abs(fd - g[i]))
    return err, g, n_cross


def _compare(example) -> tuple[bool, dict]:
    mu_f, nu = example
    fd_err, g, n_cross = _fd_errors(mu_f, nu, H)
    with mpmath.workdps(DPS):
        lib = gmp.tv_gradient([mpmath.mpf(v) for v in mu_f], nu, dps=DPS)
        lib_err = max(abs(a - b) for a, b in zip(lib, g))
    info = {
        "mu": mu_f,
        "nu": nu,
        "crossings": n_cross,
        "fd_err": float(fd_err),
        "mp_err": float(lib_err),
        "danskin": [float(v) for v in g],
    }
    return fd_err <= TOL_FD and lib_err <= TOL_MP, info


def _degenerate(checks: Checks, budget: str, seed: int) -> int:
    """Points with ``mu_i = nu_j`` exactly: FD converges to Danskin's value as ``h -> 0``."""
    rng = rng_for(CLAIM.id, seed)
    n = sized(budget, 3, 20, 100)
    rows = []
    ok = True
    for _ in range(n):
        mu = rng.uniform(-3, 3, 2)
        nu = np.array([mu[rng.integers(2)], rng.uniform(-3, 3)])[rng.permutation(2)]
        errs = [_fd_errors(mu, nu, h)[0] for h in H_SEQUENCE]
        good = all(b <= max(a / 10, TOL_ROUND) for a, b in zip(errs, errs[1:]))
        ok &= bool(good)
        rows.append({"mu": mu, "nu": nu, "errors": [float(e) for e in errs], "ok": bool(good)})
    checks.add(
        f"degenerate points mu_i = nu_j ({n}): |FD - Danskin| shrinks >= 10x per 1000x smaller h",
        ok,
        points=n,
        h=[float(h) for h in H_SEQUENCE],
        max_errors=[max(r["errors"][k] for r in rows) for k in range(len(H_SEQUENCE))],
        failures=[r for r in rows if not r["ok"]][:5],
    )
    return n


def _fd_general(mu, nu, model: ModelSpec) -> list:
    """Central differences ``h = 1e-15`` of the judge's 50-digit TV for ``model``."""
    args = {"weights": model.weights, "sigma": model.sigma}
    out = []
    with mpmath.workdps(DPS):
        m = [mpmath.mpf(v) for v in mu]
        for i in range(len(m)):
            up, dn = list(m), list(m)
            up[i] += H
            dn[i] -= H
            out.append(
                (judge.tv_mp(up, nu, dps=DPS, **args) - judge.tv_mp(dn, nu, dps=DPS, **args)) / (2 * H)
            )
    return out


def _draw_general(rng: np.random.Generator, n: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    nu = rng.uniform(-3, 3, (4 * n, K))
    d = rng.choice([-1.0, 1.0], (4 * n, K)) * rng.uniform(SEP, 3.0, (4 * n, K))
    mu = nu + d
    ok = np.abs(mu[:, :, None] - nu[:, None, :]).min(axis=(1, 2)) >= SEP
    return mu[ok][:n], nu[ok][:n]


def _general(checks: Checks, budget: str, seed: int, model: ModelSpec) -> str:
    """Danskin on another model: FD of the judge's TV against the library's gradients."""
    rng = rng_for(CLAIM.id, seed + 7919)
    mu, nu = _draw_general(rng, sized(budget, 2, 12, 60), model.K)
    g64 = _lib.tv_gradient(mu, nu, model)
    ell, count = _lib.optimal_discriminator(mu, nu, model)
    has_mp = _lib._takes("tv_gradient", "model", "gmmsym.mp")
    err64 = err_kernel = err_mp = 0.0
    args = {"weights": model.weights, "sigma": model.sigma}
    beyond = 0  # A* with more than M pieces: grad TV is not the class gradient (M < K only)
    for k in range(len(mu)):
        if model.M < model.K and len(judge.tv_set_mp(mu[k], nu[k], DPS, **args)) > model.M:
            beyond += 1
            continue
        fd = _fd_general(mu[k], nu[k], model)
        kern, _ = _lib.mp_gradients(mu[k], ell[k], nu[k], model, dps=DPS)
        err64 = max(err64, max(abs(float(a) - float(b)) for a, b in zip(g64[k], fd)))
        err_kernel = max(err_kernel, max(abs(float(a - b)) for a, b in zip(kern, fd)))
        if has_mp:
            lib = gmp.tv_gradient(mu[k], nu[k], dps=DPS, model=model)
            err_mp = max(err_mp, max(abs(float(a - b)) for a, b in zip(lib, fd)))
    pre = tag(model)
    checks.add(
        f"{pre}50-digit central differences of the judge's TV = float64 tv_gradient and = the 50-digit "
        f"kernel dL/dmu at the float64 ell*, within 16 ulps of 1, {len(mu)} points",
        err64 <= TOL64 and err_kernel <= TOL64 and len(mu) > 0,
        points=len(mu),
        crossings=np.bincount(count, minlength=2 * model.K).tolist(),
        skipped_more_pieces_than_M=beyond,
        max_abs_err_float64_ulps_of_1=err64 / ULP1,
        max_abs_err_kernel_at_float64_ell_ulps_of_1=err_kernel / ULP1,
        tolerance_ulps_of_1=TOL64 / ULP1,
    )
    if has_mp:
        checks.add(
            f"{pre}gmmsym.mp.tv_gradient = 50-digit central differences within 1e-20",
            err_mp <= float(TOL_FD),
            max_abs_err=err_mp,
            tolerance=float(TOL_FD),
        )
    e64, ek = err64 / ULP1, err_kernel / ULP1
    return f"{pre}FD vs float64 {e64:.2g} ulp, kernel at ell* {ek:.2g} ulp ({len(mu)} pts)"


def run(budget: str = "default", *, seed: int = 0, model: ModelSpec | None = None) -> Evidence:
    """Check C5 at ``budget`` (on ``model``, or on the paper's and the second model); see the docstring."""
    models = for_models(model, (PAPER, _lib.SECOND))
    if PAPER not in models:
        checks = Checks(seed=seed, budget=budget, dps=DPS, h=float(H), models=[m.text() for m in models])
        return checks.evidence(_general(checks, budget, seed, models[0]))
    return _run_paper(budget, seed=seed, others=[m for m in models if m != PAPER])


def _run_paper(budget: str, *, seed: int, others: list) -> Evidence:
    models = [PAPER.text()] + [m.text() for m in others]
    checks = Checks(seed=seed, budget=budget, dps=DPS, h=float(H), models=models)
    res = property_check(
        _strategy(),
        _compare,
        max_examples=sized(budget, 12, 60, 600),
        seed=seed,
        explicit=[((0.3, -0.8), (-0.5, 0.5)), ((0.0, 0.0), (-0.5, 0.5))],
    )
    infos = res["infos"]
    worst = max(infos, key=lambda i: i["fd_err"]) if infos else {}
    checks.add(
        f"50-digit central differences of TV = Danskin dL/dmu(ell*) (and = gmmsym.mp.tv_gradient), "
        f"{res['examples']} examples",
        res["passed"] and res["examples"] > 0,
        examples=res["examples"],
        diagonal_examples=sum(1 for i in infos if i["mu"][0] == i["mu"][1]),
        max_fd_minus_danskin=worst.get("fd_err"),
        max_mp_tv_gradient_minus_danskin=max((i["mp_err"] for i in infos), default=None),
        tolerances={"fd": float(TOL_FD), "mp": float(TOL_MP)},
        worst_example={k: worst.get(k) for k in ("mu", "nu", "crossings")},
        max_abs_gradient=max((abs(v) for i in infos for v in i["danskin"]), default=None),
        counterexample=res["counterexample"],
    )
    _degenerate(checks, budget, seed)
    mu = np.array([i["mu"] for i in infos])
    nu = np.array([i["nu"] for i in infos])
    danskin = np.array([i["danskin"] for i in infos])
    err64 = float(np.abs(gmmsym.tv_gradient(mu, nu) - danskin).max()) if infos else float("inf")
    checks.add(
        "float64 gmmsym.tv_gradient = Danskin within 16 ulps of 1",
        err64 <= TOL64,
        examples=len(infos),
        max_abs_err_ulps_of_1=err64 / ULP1,
        tolerance_ulps_of_1=TOL64 / ULP1,
    )
    extra = "".join(f"; {_general(checks, budget, seed, m)}" for m in others)
    return checks.evidence(
        f"max |FD - Danskin| {fmt(worst.get('fd_err', float('nan')))} "
        f"(h=1e-15, 50 dps, {len(infos)} examples); float64 {err64 / ULP1:.2g} ulp{extra}"
    )
