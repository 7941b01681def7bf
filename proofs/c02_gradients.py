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

Models
    All three checks also run on the second model ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1``
    (fewer points), or on the one model given as ``model=``; there ``dL/dmu_i = w_i sum_j
    [phi_s(r_j - mu_i) - phi_s(l_j - mu_i)]`` has ``2M`` terms ``w_i phi <= 0.2`` and ``dL/dell``
    ``2K`` terms, summed to ``<= 2 * 0.4``, so the same float64 budget of 8 ulps of 1 holds
    (measured values are reported).
"""

from __future__ import annotations

import mpmath
import numpy as np

from gmmsym.model.spec import PAPER, ModelSpec

from . import _lib
from ._common import draw_discriminators, draw_means, fmt, mp_gradients_model_md
from .c01_closed_form import tag
from .framework import SYMBOLIC, Checks, Claim, Evidence, for_models, rng_for, sized

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


def _names(model: ModelSpec) -> tuple[str, ...]:
    if model == PAPER:
        return NAMES
    return (*(f"dmu{i + 1}" for i in range(model.K)), *(f"d{e}" for e in model.ell_names))


def _symbolic(checks: Checks, model: ModelSpec = PAPER) -> None:
    import sympy as sp

    from gmmsym.symbolic import GMMGAN
    from gmmsym.symbolic.functions import to_erf, to_exp

    m = GMMGAN(model)
    g_mu, g_ell = m.model_md_gradients()
    written = [*g_mu, *g_ell]
    via_fdiff = [*m.grad_mu(), *m.grad_ell()]
    L_erf = to_erf(m.objective())
    residuals = {}
    for name, param, got, want in zip(_names(model), m.params, via_fdiff, written):
        r1 = sp.simplify(to_exp(got) - want)
        r2 = sp.simplify(to_exp(sp.diff(L_erf, param)) - want)
        residuals[name] = (str(r1), str(r2))
    ok = all(a == "0" and b == "0" for a, b in residuals.values())
    checks.add(
        f"{tag(model)}symbolic: SymPy derivatives of L - docs/model.md formulas = 0 "
        f"({len(residuals)} components, 2 routes)",
        ok,
        residuals=residuals,
    )


def _references(mus, ells, nus, model: ModelSpec = PAPER) -> np.ndarray:
    out = np.empty((len(mus), model.K + 2 * model.M))
    ref_model = None if model == PAPER else model
    with mpmath.workdps(DPS):
        for k, (mu, ell, nu) in enumerate(zip(mus, ells, nus)):
            out[k] = [float(v) for v in mp_gradients_model_md(mu, ell, nu, ref_model)]
    return out


def run(budget: str = "default", *, seed: int = 0, model: ModelSpec | None = None) -> Evidence:
    """Check C2 at ``budget`` (on ``model``, or on the paper's and the second model); see the docstring."""
    models = for_models(model, (PAPER, _lib.SECOND))
    checks = Checks(seed=seed, budget=budget, models=[m.text() for m in models])
    figures = [_one_model(checks, budget, seed, m) for m in models]
    return checks.evidence("symbolic diff 0; " + "; ".join(figures))


def _one_model(checks: Checks, budget: str, seed: int, model: ModelSpec) -> str:
    _symbolic(checks, model)
    pre = tag(model)
    rng = rng_for(CLAIM.id, seed if model == PAPER else seed + 7919)
    n = sized(budget, 300, 3000, 30000) if model == PAPER else sized(budget, 100, 1000, 10000)
    mus, nus = draw_means(rng, n, K=model.K), draw_means(rng, n, K=model.K)
    ells = draw_discriminators(rng, n, M=model.M)
    ref = _references(mus, ells, nus, model)
    g_mu, g_ell = _lib.gradients(mus, ells, nus, model)
    got = np.concatenate([g_mu, g_ell], axis=1)
    err = np.abs(got - ref)
    worst = int(np.unravel_index(np.argmax(err), err.shape)[0])
    names = _names(model)
    checks.add(
        f"{pre}float64 kernel gmmsym.gradients vs docs/model.md formulas (50 digits), {n} points",
        bool(np.all(err <= TOL64)),
        points=n,
        max_abs_err=float(err.max()),
        max_abs_err_ulps_of_1=float(err.max() / ULP1),
        per_component_max_err_ulps={k: float(v / ULP1) for k, v in zip(names, err.max(axis=0))},
        max_abs_reference=float(np.abs(ref).max()),
        tolerance_ulps_of_1=TOL64 / ULP1,
        worst_point={"mu": mus[worst], "ell": ells[worst], "nu": nus[worst]},
    )

    n_mp = sized(budget, 20, 200, 1000) if model == PAPER else sized(budget, 8, 60, 300)
    worst_mp = mpmath.mpf(0)
    ref_model = None if model == PAPER else model
    with mpmath.workdps(DPS):
        for mu, ell, nu in zip(mus[:n_mp], ells[:n_mp], nus[:n_mp]):
            a, b = _lib.mp_gradients(mu, ell, nu, model, dps=DPS)
            want = mp_gradients_model_md(mu, ell, nu, ref_model)
            worst_mp = max(worst_mp, max(abs(x - y) for x, y in zip((*a, *b), want)))
    checks.add(
        f"{pre}mpmath kernel gmmsym.mp.gradients vs docs/model.md formulas (50 digits), {n_mp} points",
        worst_mp <= TOL_MP,
        points=n_mp,
        max_abs_err=float(worst_mp),
        tolerance=float(TOL_MP),
    )
    return f"{pre}float64 max err {err.max() / ULP1:.2g} ulp (tol 8, {n} pts); mp {fmt(float(worst_mp))}"
