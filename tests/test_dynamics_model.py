"""Dynamics of a model other than the paper's (docs/model.md section 4): ``simulate(..., model=)``.

The second model of issue 9, ``K = 3, M = 3, w = (1/4, 1/4, 1/2), sigma = 1``, against an
independent per-row reference written here from the formulas of docs/model.md sections 2-4
(plain NumPy / SciPy, one row at a time: the closed-form gradients, pool adjacent violators,
the optimal discriminator from sign changes on a grid refined by ``brentq``), batch-size
invariance (bitwise), shapes, the recorded model and the input checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from gmmsym.dynamics import DYNAMICS, draw_ell0, simulate
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec

MODEL3 = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
W3 = np.array([0.25, 0.25, 0.5])
NU3 = np.array([-1.5, 0.0, 1.5])
FIRST_ORDER = tuple(d for d in DYNAMICS if d != "optimal")


# --- the independent reference (one row, plain formulas) ------------------------------------------


def _phi(z):
    return np.exp(-0.5 * np.square(z)) / math.sqrt(2 * math.pi)


def _density(x, m, w=W3, s=1.0):
    return sum(wi * _phi((x - mi) / s) / s for wi, mi in zip(w, m))


def _ref_grad(mu, ell, nu, w=W3, s=1.0):
    """docs/model.md section 2: dL/dmu_i = w_i / s sum_j [phi(z(r_j)) - phi(z(l_j))], dL/dr_j, dL/dl_j."""
    lo, hi = ell[0::2], ell[1::2]
    gmu = np.array([wi / s * sum(_phi((r - m) / s) - _phi((lv - m) / s) for lv, r in zip(lo, hi))
                    for wi, m in zip(w, mu)])  # fmt: skip
    gell = np.empty(len(ell))
    for j, x in enumerate(ell):
        gap = 0.0 if math.isinf(x) else _density(x, nu, w, s) - _density(x, mu, w, s)
        gell[j] = gap if j % 2 else -gap
    return gmu, gell


def _pav(y):
    """Pool adjacent violators (isotonic regression) of one short row."""
    blocks: list[list[float]] = []
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return np.array([b[0] / b[1] for b in blocks for _ in range(b[1])])


def _ref_optimal(mu, nu, w=W3):
    """``(positive pieces of {p* > p_mu} as (a, b) pairs, dL/dmu there)`` from a grid and brentq."""
    f = lambda x: _density(x, nu, w) - _density(x, mu, w)  # noqa: E731
    lo, hi = min(*mu, *nu) - 12.0, max(*mu, *nu) + 12.0
    xs = np.linspace(lo, hi, 8001)
    vals = f(xs)
    roots = [brentq(f, xs[i], xs[i + 1], xtol=1e-300, rtol=8.9e-16)
             for i in range(len(xs) - 1) if vals[i] * vals[i + 1] < 0]  # fmt: skip
    edges = [-math.inf, *roots, math.inf]
    inside = [b - 1.0 if math.isinf(a) else (a + 1.0 if math.isinf(b) else 0.5 * (a + b))
              for a, b in zip(edges[:-1], edges[1:])]  # fmt: skip
    pieces = [(a, b) for a, b, x in zip(edges[:-1], edges[1:], inside) if f(x) > 0]
    assert len(pieces) <= 3  # K = 3: at most 5 crossings, so at most 3 positive pieces (= M)
    ell = np.array([e for p in pieces for e in p] + [pieces[-1][1]] * 2 * (3 - len(pieces)))
    return pieces, _ref_grad(mu, ell, nu, w)[0]


def _ref_run(dynamics, mu, ell, nu, *, eta, eta_d, k, steps):
    """docs/model.md section 4, step by step for one row."""
    mu, ell = np.array(mu, float), np.array(ell, float)
    prev = None
    for _ in range(steps):
        if dynamics == "optimal":
            mu = mu - eta * _ref_optimal(mu, nu)[1]
            continue
        gmu, gell = _ref_grad(mu, ell, nu)
        if dynamics == "simultaneous":
            mu, ell = mu - eta * gmu, _pav(ell + eta_d * gell)
        elif dynamics == "alternating":
            for _ in range(k):
                ell = _pav(ell + eta_d * _ref_grad(mu, ell, nu)[1])
            mu = mu - eta * _ref_grad(mu, ell, nu)[0]
        elif dynamics == "extragradient":
            mu_h, ell_h = mu - eta * gmu, _pav(ell + eta_d * gell)
            gmu, gell = _ref_grad(mu_h, ell_h, nu)
            mu, ell = mu - eta * gmu, _pav(ell + eta_d * gell)
        else:  # optimistic
            dmu, dell = (gmu, gell) if prev is None else (2 * gmu - prev[0], 2 * gell - prev[1])
            prev = (gmu, gell)
            mu, ell = mu - eta * dmu, _pav(ell + eta_d * dell)
    return mu, ell


def _starts(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2.5, 2.5, (n, 3)), draw_ell0(seed, np.arange(n), model=MODEL3)


# Measured on this model with the starts below (8 rows, 60 steps, eta = 0.1, eta_d = 0.13):
# max |simulate - reference| over mu and ell is 3.3e-16 / 4.4e-16 (simultaneous, mu / ell),
# 4.4e-16 / 4.4e-16 (alternating, optimistic), 2.2e-16 / 2.2e-16 (extragradient): both sides are
# float64 evaluations of the same formulas in a different order (generated kernel with tail-safe
# masses against the plain closed form), so they agree to rounding; REF_TOL = 1e-14 (~20 times).
# Optimal: 1.6e-12 on mu and 5.7e-14 on ell*; the largest difference is in the row that converges
# (mu -> nu), where p* - p_mu cancels and its crossings are ill-conditioned (the reference's
# brentq evaluates p* - p_mu directly, gmmsym.discriminator.crossings the log-scaled exponential sum);
# OPT_TOL = 2e-11 (~12 times).
REF_TOL = 1e-14
OPT_TOL = 2e-11


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_model3_matches_independent_reference(dynamics):
    mu0, ell0 = _starts(8)
    kw = dict(eta=0.1, eta_d=0.13, k=2, steps=60)
    res = simulate(NU3, mu0, ell0, dynamics=dynamics, model=MODEL3, **kw)
    assert res.mu.shape == (8, 3) and res.ell.shape == (8, 6) and res.ell0.shape == (8, 6)
    tol = OPT_TOL if dynamics == "optimal" else REF_TOL
    for i in range(8):
        mu, ell = _ref_run(dynamics, mu0[i], ell0[i], NU3, **kw)
        np.testing.assert_allclose(res.mu[i], mu, rtol=0, atol=tol)
        if dynamics == "optimal":  # ell = ell*(mu): its finite endpoints are the reference's
            pieces, _ = _ref_optimal(res.mu[i], NU3)
            want = np.unique([e for p in pieces for e in p if math.isfinite(e)])
            got = np.unique(res.ell[i][np.isfinite(res.ell[i])])
            np.testing.assert_allclose(got, want, rtol=0, atol=tol)
        else:
            np.testing.assert_allclose(res.ell[i], ell, rtol=0, atol=REF_TOL)


def test_reference_detects_a_wrong_weight():
    """The comparison can fail: the reference with the weights of another model is far off."""
    mu0, ell0 = _starts(2)
    res = simulate(NU3, mu0, ell0, dynamics="simultaneous", steps=30, model=MODEL3)
    w = np.array([0.5, 0.25, 0.25])
    mu, ell = mu0[0], ell0[0]
    for _ in range(30):
        gmu, gell = _ref_grad(mu, ell, NU3, w)
        mu, ell = mu - 0.1 * gmu, _pav(ell + 0.1 * gell)
    assert np.abs(res.mu[0] - mu).max() > 1e3 * OPT_TOL


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_model3_batch_size_invariance(dynamics):
    """A row's result is bitwise the same alone or in a batch, also when other rows retire.

    Row 0 starts at ``mu0 = nu`` (gradient 0: retired as a fixed point for every dynamics but
    optimistic), so the working set shrinks mid-run and the backend (and the optimal dynamics'
    warm-start state) is subset.
    """
    mu0, ell0 = _starts(6, seed=5)
    mu0[0] = NU3
    ell0[0] = [-np.inf, -np.inf, -1.0, -1.0, 5.0, 5.0]  # collapsed intervals: a fixed point
    kw = dict(dynamics=dynamics, steps=50, k=2, eta=0.1, model=MODEL3)
    full = simulate(NU3, mu0, ell0, **kw)
    assert full.steps_taken[0] == 50
    for i in range(1, 6):
        one = simulate(NU3, mu0[i], ell0[i], **kw)
        np.testing.assert_array_equal(one.mu[0], full.mu[i])
        np.testing.assert_array_equal(one.ell[0], full.ell[i])
    pair = simulate(NU3, mu0[2:4], ell0[2:4], **kw)
    np.testing.assert_array_equal(pair.mu, full.mu[2:4])


def test_model3_records_the_model_and_draws_2m_endpoints():
    mu0, _ = _starts(3)
    res = simulate(NU3, mu0, dynamics="simultaneous", steps=5, seed=9, model=MODEL3, record_every=5)
    assert res.config["model"] == MODEL3.text()
    assert ModelSpec.parse(res.config["model"]) == MODEL3
    np.testing.assert_array_equal(res.ell0, draw_ell0(9, np.arange(3), model=MODEL3))
    assert res.trajectory["mu"].shape == (2, 3, 3) and res.trajectory["ell"].shape == (2, 3, 6)
    assert MODEL3.text() in res._repr_html_() and MODEL3.text() in repr(res) and res.model == MODEL3
    paper = simulate([-0.5, 0.5], [0.1, 0.2], dynamics="simultaneous", steps=1, seed=9)
    assert paper.config["model"] == PAPER.text()
    np.testing.assert_array_equal(draw_ell0(9, [0]), draw_ell0(9, [0], model=PAPER))
    assert draw_ell0(9, [0], model=MODEL3).shape == (1, 6)


def test_model3_labels():
    """Final states of the general classification: converged at the truth up to a relabelling of
    components of equal weight (the label-invariant distance, docs/model.md section 5), collapse of
    every interval, mode collapse by distinct modes."""
    starts = np.array([[0.0, -1.5, 1.5], [-1.5, 0.0, 1.5], [0.3, 0.3, 0.3], [1.5, 0.0, -1.5]])
    wide = [-5, -4, -3, -2, 3, 4]
    ell0 = np.array([wide, wide, [-9, -9, 7, 7, 8, 8], wide], float)
    res = simulate(NU3, starts, ell0, dynamics="simultaneous", steps=0, model=MODEL3)
    assert res.label[0] == "converged" and res.label[1] == "converged"
    assert res.label[2] == "discriminator_collapse"
    assert res.outcomes.flags["mode_collapse"][2]
    assert res.label[3] != "converged"  # the weight-1/2 component swapped with a weight-1/4 one


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(model="K=3,M=3"), "^model must be a gmmsym.ModelSpec"),
        (dict(model=None), "^model must be a gmmsym.ModelSpec"),
        (dict(mu0=[0.0, 1.0]), r"^mu0 must have shape"),
        (dict(nu=[0.0, 1.0]), r"^nu must have shape"),
        (dict(ell0=[-1.0, 0.0, 1.0, 2.0]), r"^ell0 must have shape"),
        (dict(ell0=[-1.0, 0.0, 1.0, 2.0, 4.0, 3.0]), r"^ell0 must be ordered"),
    ],
)
def test_model3_bad_inputs_one_line(kwargs, match):
    args = dict(nu=NU3, mu0=[0.0, 0.5, 1.0], ell0=None, seed=1, steps=1, model=MODEL3) | kwargs
    with pytest.raises(InputError, match=match) as info:
        simulate(args.pop("nu"), args.pop("mu0"), args.pop("ell0"), **args)
    assert "\n" not in str(info.value)


def test_model3_to_pandas():
    pytest.importorskip("pandas")
    mu0, _ = _starts(2)
    res = simulate(NU3, mu0, dynamics="simultaneous", steps=4, seed=2, model=MODEL3, record_every=2)
    df = res.to_pandas()
    assert {"nu3", "mu0_3", "r3_0", "mu3", "l3", "r3"} <= set(df.columns)
    assert df["r3"].tolist() == res.ell[:, 5].tolist() and set(df["model"]) == {MODEL3.text()}
    traj = res.to_pandas(trajectory=True)
    assert traj["mu3"].tolist() == res.trajectory["mu"][:, :, 2].ravel().tolist()


# float64 against the mpmath backend (30 digits, the model's generated mpmath kernel) on 3 rows,
# 20 steps: measured max differences 4.4e-16 .. 8.9e-16 on mu and 4.4e-16 .. 1.1e-15 on ell
# (float64 rounding of a few dozen operations); MP_TOL = 1e-14.
MP_TOL = 1e-14


@pytest.mark.parametrize("dynamics", FIRST_ORDER)
def test_model3_float64_matches_mpmath(dynamics):
    mu0, ell0 = _starts(3, seed=8)
    kw = dict(dynamics=dynamics, steps=20, k=2, eta=0.1, eta_d=0.13, model=MODEL3)
    f64 = simulate(NU3, mu0, ell0, **kw)
    mp = simulate(NU3, mu0, ell0, precision=30, **kw)
    assert mp.mp_state["mu"].shape == (3, 3) and mp.config["model"] == MODEL3.text()
    np.testing.assert_allclose(f64.mu, mp.mu, rtol=0, atol=MP_TOL)
    np.testing.assert_allclose(f64.ell, mp.ell, rtol=0, atol=MP_TOL)
    assert f64.label.tolist() == mp.label.tolist()


# Optimal dynamics of this model, float64 (gmmsym.discriminator.warm_any) against the mpmath backend
# (gmmsym.discriminator.optimal_mp for any model, 30 digits), 4 rows, 30 steps: measured max
# differences 4.4e-16 on mu and 3.6e-15 on the finite endpoints of ell* (the crossings are
# solved to float64 resolution, then the means move by eta times their gradient); OPT_MP_TOL =
# 1e-13 (~30 times the largest).
OPT_MP_TOL = 1e-13


def test_model3_optimal_float64_matches_mpmath():
    mu0, _ = _starts(4, seed=8)
    kw = dict(dynamics="optimal", steps=30, eta=0.1, model=MODEL3)
    f64 = simulate(NU3, mu0, **kw)
    mp = simulate(NU3, mu0, precision=30, **kw)
    np.testing.assert_allclose(f64.mu, mp.mu, rtol=0, atol=OPT_MP_TOL)
    np.testing.assert_allclose(f64.ell, mp.ell, rtol=0, atol=OPT_MP_TOL)  # infinities must match
    assert f64.label.tolist() == mp.label.tolist()
