"""GAN dynamics (docs/model.md section 4): update rules, float64 against mpmath, batch invariance,
the invariant diagonal, Figure 2's optimal-discriminator cells, freezing, inputs, CLI."""

from __future__ import annotations

import json
import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import gmmsym
from gmmsym import strategies as gst
from gmmsym.discriminator.projection import project_ell, project_scalars
from gmmsym.dynamics import DYNAMICS, draw_ell0, gradient_evaluations, simulate

NU = np.array([-0.5, 0.5])
FIRST_ORDER = tuple(d for d in DYNAMICS if d != "optimal")
EPS = 2.0**-52


def _start(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.5, 1.5, (n, 2)), np.sort(rng.uniform(-2.5, 2.5, (n, 4)), axis=1)


# --- the update rules, restated by hand on the validated API -----------------------------------
#
# Tolerance of the hand restatements: both sides evaluate the same generated kernel and the same
# projection code in the same order; the only possible difference is numpy's exp loop (the
# validated API passes strided columns, the dynamics contiguous ones; on AVX-512 builds these
# loops may differ by 1 ulp).  One ulp of a density (<= 0.4) moves a step by <= 0.1 * 0.4 * EPS;
# over two steps and the projection (1-Lipschitz) that stays far below 4 ulps of the state
# (|state| < 4), so HAND_TOL = 4 * 4 * EPS.
HAND_TOL = 16 * EPS


def _grad(mu, ell):
    return gmmsym.gradients(mu, ell, NU)


def _hand(dynamics: str, mu, ell, steps: int, eta: float, eta_d: float, k: int = 1):
    mu, ell = np.array(mu, float), np.array(ell, float)
    prev = None
    for _ in range(steps):
        if dynamics == "simultaneous":
            g_mu, g_ell = _grad(mu, ell)
            mu, ell = mu - eta * g_mu, project_ell(ell + eta_d * g_ell)
        elif dynamics == "alternating":
            for _ in range(k):
                ell = project_ell(ell + eta_d * _grad(mu, ell)[1])
            mu = mu - eta * _grad(mu, ell)[0]
        elif dynamics == "extragradient":
            g_mu, g_ell = _grad(mu, ell)
            mu_h, ell_h = mu - eta * g_mu, project_ell(ell + eta_d * g_ell)
            g_mu, g_ell = _grad(mu_h, ell_h)
            mu, ell = mu - eta * g_mu, project_ell(ell + eta_d * g_ell)
        elif dynamics == "optimistic":
            g_mu, g_ell = _grad(mu, ell)
            d_mu, d_ell = (g_mu, g_ell) if prev is None else (2 * g_mu - prev[0], 2 * g_ell - prev[1])
            prev = (g_mu, g_ell)
            mu, ell = mu - eta * d_mu, project_ell(ell + eta_d * d_ell)
        else:
            mu = mu - eta * gmmsym.tv_gradient(mu, NU)
            ell = gmmsym.optimal_discriminator(mu, NU)[0]
    return mu, ell


@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize(("eta", "eta_d", "k"), [(0.1, 0.1, 1), (0.2, 0.05, 3)])
def test_rules_match_hand_restatement(dynamics, eta, eta_d, k):
    mu0, ell0 = _start(4, seed=1)
    res = simulate(NU, mu0, ell0, dynamics=dynamics, eta=eta, eta_d=eta_d, k=k, steps=3)
    for i in range(4):
        mu, ell = _hand(dynamics, mu0[i], ell0[i], 3, eta, eta_d, k)
        np.testing.assert_allclose(res.mu[i], mu, rtol=0, atol=HAND_TOL)
        np.testing.assert_allclose(res.ell[i], ell, rtol=0, atol=HAND_TOL)


def test_alternating_k1_differs_from_simultaneous():
    # Same state, one step: alternating uses the updated discriminator for the generator step.
    mu0, ell0 = [0.2, 0.9], [-1.0, 0.1, 0.6, 2.0]
    alt = simulate(NU, mu0, ell0, dynamics="alternating", k=1, steps=1, eta=0.5)
    sim = simulate(NU, mu0, ell0, dynamics="simultaneous", steps=1, eta=0.5)
    assert (alt.ell == sim.ell).all()  # identical discriminator step
    g_sim = _grad(np.array(mu0), np.array(ell0))[0]
    g_alt = _grad(np.array(mu0), alt.ell[0])[0]
    np.testing.assert_allclose(sim.mu[0], np.array(mu0) - 0.5 * g_sim, rtol=0, atol=HAND_TOL)
    np.testing.assert_allclose(alt.mu[0], np.array(mu0) - 0.5 * g_alt, rtol=0, atol=HAND_TOL)
    # The generator steps differ by 0.5 * |g_alt - g_sim|, far above rounding.
    assert np.abs(alt.mu - sim.mu).max() > 1e3 * HAND_TOL
    assert np.abs(alt.mu - sim.mu).max() == pytest.approx(0.5 * np.abs(g_alt - g_sim).max(), rel=1e-9)


@pytest.mark.parametrize("dynamics", FIRST_ORDER)
def test_two_time_scales(dynamics):
    mu0, ell0 = _start(3, seed=2)
    default = simulate(NU, mu0, ell0, dynamics=dynamics, eta=0.1, k=2, steps=30)
    same = simulate(NU, mu0, ell0, dynamics=dynamics, eta=0.1, eta_d=0.1, k=2, steps=30)
    assert (default.mu == same.mu).all() and (default.ell == same.ell).all()
    assert default.config["eta_d"] == 0.1
    fast_d = simulate(NU, mu0, ell0, dynamics=dynamics, eta=0.1, eta_d=0.4, k=2, steps=30)
    assert np.abs(fast_d.ell - default.ell).max() > 1e-3
    # One step with eta_d != eta: the generator moves with eta, the discriminator with eta_d.
    one = simulate(NU, mu0, ell0, dynamics=dynamics, eta=0.1, eta_d=0.4, k=2, steps=1)
    for i in range(3):
        mu, ell = _hand(dynamics, mu0[i], ell0[i], 1, 0.1, 0.4, 2)
        np.testing.assert_allclose(one.mu[i], mu, rtol=0, atol=HAND_TOL)
        np.testing.assert_allclose(one.ell[i], ell, rtol=0, atol=HAND_TOL)


# --- float64 against 50-digit mpmath over a short horizon ----------------------------------------
#
# Error bound for first-order dynamics after n = steps * evaluations gradient evaluations:
# * each float64 gradient component is within 8 ulps of 1 of the exact value
#   (tests/test_kernels.py), so one update injects <= eta_max * 8 EPS, plus the roundings of
#   x + eta g and of the projection means, <= 4 ulps of the state (|state| < 8: 4 * 2**-50);
# * an update is Lipschitz in the max-norm with constant <= 1 + 3 eta_max: the Hessian of L has
#   max-norm row sums <= 0.97 (generator rows: 8 terms |phi'|/2 <= 0.121; discriminator rows:
#   |p*'| + |p_mu'| <= 0.484 plus 2 * 0.121), the isotonic projection is monotone and
#   translation-equivariant hence max-norm non-expansive, and the optimistic step combines two
#   gradients with weights 2 and 1.
# So |float64 - exact| <= n * (eta_max * 8 EPS + 4 * 2**-50) * (1 + 3 eta_max)**n.  The exact
# run is represented by the 50-digit run (its own error is ~1e-45).  Measured: <= 4e-15 on 40
# random rows for every first-order rule (eta 0.1 and 1.0); the bound is ~1e-11 here.


def _mp_bound(dynamics: str, k: int, steps: int, eta_max: float) -> float:
    n = steps * gradient_evaluations(dynamics, k)
    return n * (eta_max * 8 * EPS + 4 * 2.0**-50) * (1 + 3 * eta_max) ** n


@pytest.mark.parametrize("dynamics", FIRST_ORDER)
@settings(max_examples=6)  # each example runs 20 steps at 50 digits (about 0.05-0.2 s)
@given(
    nu=gst.true_means(-1.5, 1.5),
    mu=gst.generator_means(-2.0, 2.0),
    ell=gst.discriminators(-3.0, 3.0),
    eta=st.floats(0.02, 0.1),
    eta_d=st.floats(0.02, 0.1),
    k=st.integers(1, 2),
)
@example(nu=(-0.5, 0.5), mu=(0.2, 0.9), ell=(-1.0, 0.1, 0.6, 2.0), eta=0.1, eta_d=0.1, k=2)
def test_float64_agrees_with_50_digits(dynamics, nu, mu, ell, eta, eta_d, k):
    steps = 20
    kw = {"dynamics": dynamics, "eta": eta, "eta_d": eta_d, "k": k, "steps": steps}
    f64 = simulate(nu, mu, ell, **kw)
    ref = simulate(nu, mu, ell, precision=50, **kw)
    bound = _mp_bound(dynamics, k, steps, max(eta, eta_d))
    _assert_close_to_mp(f64, ref, bound, bound)


def _assert_close_to_mp(f64, ref, mu_bound: float, ell_bound: float) -> None:
    with mpmath.workdps(50):
        pairs = ((f64.mu, ref.mp_state["mu"], mu_bound), (f64.ell, ref.mp_state["ell"], ell_bound))
        for got, want, bound in pairs:
            for g, w in zip(got.ravel(), want.ravel()):
                if mpmath.isinf(w) or math.isinf(g):
                    assert g == float(w)
                else:
                    assert abs(mpmath.mpf(g) - w) <= bound, (g, w, bound)


def test_optimal_float64_agrees_with_50_digits():
    # grad TV goes through the root finder (float64: steps below 4 eps (|x| + scale), i.e. about
    # 4e-15 on these crossings, |x| < 4; 50 digits: independent implementation).  Measured on
    # 40 random rows over 20 steps at eta 0.1: |d mu| <= 4.3e-15, |d ell| <= 7.4e-14 (crossings
    # carry the root error divided by |d(p* - p_mu)/dx|, small near tangencies).  Bounds: 25x.
    mu0 = [[-1.0, 1.0], [0.7777777777777777, -0.5555555555555556], [0.2, 0.9]]
    f64 = simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=20)
    ref = simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=20, precision=50)
    _assert_close_to_mp(f64, ref, 25 * 4.3e-15, 25 * 7.4e-14)
    assert (f64.label == ref.label).all()


# --- batch invariance, bitwise ------------------------------------------------------------------


def _check_rows_match(a, rows_a, b, rows_b) -> None:
    for name in ("mu", "ell", "steps_taken"):
        x, y = getattr(a, name)[rows_a], getattr(b, name)[rows_b]
        assert np.array_equal(x, y, equal_nan=True), name
    assert (a.label[rows_a] == b.label[rows_b]).all()


@pytest.mark.parametrize("dynamics", DYNAMICS)
@settings(max_examples=12)
@given(
    batch=gst.states(box=2.0, ell_box=3.0, max_size=7),
    extra=gst.states(box=2.0, max_size=5),
    data=st.data(),
)
def test_batch_invariance_bitwise(dynamics, batch, extra, data):
    nu, mu, ell = batch
    n = len(mu)
    steps = 6 if dynamics == "optimal" else 25
    kw = {"dynamics": dynamics, "eta": 0.3, "eta_d": 0.2, "k": 2, "steps": steps}
    whole = simulate(nu, mu, ell, **kw)
    # A different batch: a permuted subset of the rows interleaved with other rows.
    perm = data.draw(st.permutations(range(n)))[: data.draw(st.integers(1, n))]
    mixed = (np.concatenate([extra[i], batch[i][perm]]) for i in range(3))
    other = simulate(*mixed, **kw)
    _check_rows_match(whole, perm, other, np.arange(len(extra[0]), len(extra[0]) + len(perm)))
    alone = simulate(nu[perm[0]], mu[perm[0]], ell[perm[0]], **kw)
    _check_rows_match(whole, [perm[0]], alone, [0])


def test_random_discriminators_do_not_depend_on_the_batch():
    full = draw_ell0(11, np.arange(6))
    assert np.array_equal(draw_ell0(11, [4]), full[4:5])
    assert (np.diff(full, axis=1) >= 0).all() and (np.abs(full) <= 2).all()
    assert not np.array_equal(draw_ell0(12, [4]), full[4:5])
    res = simulate(NU, np.zeros((6, 2)) + [0.1, 0.7], seed=11, steps=0)
    assert np.array_equal(res.ell0, full) and res.config["seed"] == 11
    # A Generator is used once, for an int key that is recorded in config.
    a = simulate(NU, [0.1, 0.7], seed=np.random.default_rng(5), steps=3)
    b = simulate(NU, [0.1, 0.7], seed=np.random.default_rng(5), steps=3)
    assert np.array_equal(a.ell0, b.ell0) and a.config["seed"] == b.config["seed"]
    c = simulate(NU, [0.1, 0.7], seed=a.config["seed"], steps=3)
    assert np.array_equal(a.mu, c.mu)


def test_diverging_rows_freeze_without_warnings():
    # eta = 2e4: rows 0 and 1 have |dL/dmu_1| >= 0.17 and leave |mu| <= 1e3 in one step; row 2's
    # discriminator is collapsed at 9 (l == r), so dL/dmu is exactly 0 and it never moves.
    mu0 = [[0.0, 0.05], [-1.0, 1.0], [0.3, 0.4]]
    ell0 = [[-10.0, 0.0, 5.0, 5.0], [-5.0, -1.0, 1.0, 5.0], [9.0, 9.0, 9.0, 9.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = simulate(NU, mu0, ell0, eta=2e4, steps=10, record_every=2)
        huge = simulate(NU, mu0, ell0, eta=1e308, steps=10)
    assert res.label.tolist() == ["diverged", "diverged", "discriminator_collapse"]
    assert res.steps_taken.tolist() == [1, 1, 10]
    assert (np.abs(res.mu[:2]).max(axis=1) > 1e3).all()
    traj = res.trajectory["mu"]
    assert (traj[1:, :2] == res.mu[:2]).all()  # frozen rows repeat their state
    assert np.array_equal(traj[:, 2], np.broadcast_to(mu0[2], (6, 2)))
    assert huge.label[:2].tolist() == ["diverged", "diverged"]
    # Alone, row 2 behaves the same (the frozen rows do not disturb the others).
    alone = simulate(NU, mu0[2], ell0[2], eta=2e4, steps=10)
    _check_rows_match(res, [2], alone, [0])


# --- the invariant diagonal ---------------------------------------------------------------------


@pytest.mark.parametrize("dynamics", DYNAMICS)
@settings(max_examples=15)
@given(nu=gst.true_means(-2, 2), m=st.floats(-2, 2), ell=gst.discriminators(-3, 3), eta=st.floats(0.01, 1.0))
def test_diagonal_stays_exactly_diagonal(dynamics, nu, m, ell, eta):
    steps = 8 if dynamics == "optimal" else 40
    res = simulate(nu, [m, m], ell, dynamics=dynamics, eta=eta, k=2, steps=steps, record_every=1)
    traj = res.trajectory["mu"]
    assert np.array_equal(traj[:, 0, 0], traj[:, 0, 1])


def test_diagonal_mpmath():
    res = simulate(NU, [0.3, 0.3], [-1.0, 0.1, 0.6, 2.0], dynamics="extragradient", steps=5, precision=30)
    assert res.mp_state["mu"][0, 0] == res.mp_state["mu"][0, 1]


# --- Figure 2: optimal-discriminator dynamics (docs/model.md section 6) ---------------------------


def test_figure2_optimal_converges_off_diagonal():
    g = np.linspace(-1, 1, 10)
    mu0 = np.array([(a, b) for a in g for b in g])
    res = simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=3000)
    diagonal = mu0[:, 0] == mu0[:, 1]
    assert diagonal.sum() == 10
    assert (res.label[~diagonal] == "converged").all()
    assert not res.outcomes.flags["converged"][diagonal].any()
    assert (res.mu[diagonal, 0] == res.mu[diagonal, 1]).all()


# --- trajectory, result, config -----------------------------------------------------------------


def test_trajectory_records_and_config():
    mu0, ell0 = _start(3, seed=4)
    res = simulate(NU, mu0, ell0, dynamics="optimistic", steps=10, record_every=3)
    t = res.trajectory["t"]
    assert t.tolist() == [0, 3, 6, 9]
    assert res.trajectory["mu"].shape == (4, 3, 2) and res.trajectory["ell"].shape == (4, 3, 4)
    assert np.array_equal(res.trajectory["mu"][0], mu0) and np.array_equal(res.trajectory["ell"][0], ell0)
    at9 = simulate(NU, mu0, ell0, dynamics="optimistic", steps=9)
    assert np.array_equal(res.trajectory["mu"][-1], at9.mu)
    assert simulate(NU, mu0, ell0, steps=6, record_every=3).trajectory["t"].tolist() == [0, 3, 6]
    assert res.nu.shape == (3, 2) and res.mu0.shape == (3, 2) and res.ell0.shape == (3, 4)
    cfg = json.loads(res.config_json())
    assert cfg == res.config
    assert cfg["mu0"] == mu0.tolist() and cfg["ell0"] == ell0.tolist() and cfg["nu"] == [NU.tolist()]
    assert {"dynamics", "eta", "eta_d", "k", "steps", "precision", "record_every", "seed", "tol"} <= set(cfg)
    assert (res.label == res.outcomes.label).all()


@pytest.mark.parametrize("precision", ["float64", 20])
@pytest.mark.parametrize("dynamics", ["optimal", "optimistic"])
def test_empty_batch(precision, dynamics):
    kw = {"dynamics": dynamics, "steps": 3, "precision": precision, "record_every": 1}
    res = simulate(NU, np.zeros((0, 2)), seed=1, **kw)
    assert res.mu.shape == (0, 2) and res.ell.shape == (0, 4) and res.label.shape == (0,)
    assert res.mu.dtype == res.ell.dtype == np.float64
    assert res.trajectory["mu"].shape == (4, 0, 2) and res.trajectory["ell"].shape == (4, 0, 4)
    assert sum(res.outcomes.counts().values()) == 0


def test_optimal_reports_the_optimal_discriminator():
    mu0 = [[0.2, 0.9], [-1.0, 1.0]]
    res = simulate(NU, mu0, [[0.0, 0.0, 0.0, 0.0]] * 2, dynamics="optimal", steps=4)
    want_final, _ = gmmsym.optimal_discriminator(res.mu, NU)
    want_start, _ = gmmsym.optimal_discriminator(mu0, NU)
    # The dynamics' crossings are warm-started and certified per row (discriminator.warm_paper),
    # so they agree with cold isolation to rounding (measured here: 3.6e-16), not bitwise.
    for got, want in ((res.ell, want_final), (res.ell0, want_start)):
        assert np.array_equal(np.isinf(got), np.isinf(want))
        assert np.allclose(got, want, rtol=0.0, atol=1e-13)
    # At mu = nu the gradient is 0 and the maximiser is not unique (NaN), still "converged".
    at_nu = simulate(NU, NU, dynamics="optimal", steps=3)
    assert np.array_equal(at_nu.mu[0], NU) and np.isnan(at_nu.ell).all()
    assert at_nu.label.tolist() == ["converged"]


def test_keyboard_interrupt_propagates(monkeypatch):
    from gmmsym.dynamics.float64 import Float64Backend

    calls = {"n": 0}
    real = Float64Backend.grad

    def grad(self, mu, ell):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, mu, ell)

    monkeypatch.setattr(Float64Backend, "grad", grad)
    before = np.geterr()
    with pytest.raises(KeyboardInterrupt):
        simulate(NU, [0.2, 0.9], [-1.0, 0.1, 0.6, 2.0], steps=10)
    assert np.geterr() == before and calls["n"] == 3


# --- the mpmath path ----------------------------------------------------------------------------


def test_mpmath_state_and_rounding():
    dps = mpmath.mp.dps
    res = simulate(NU, [0.2, 0.9], [-1.0, 0.1, 0.6, 2.0], dynamics="alternating", k=2, steps=3, precision=40)
    assert res.mp_state["mu"].shape == (1, 2) and res.mp_state["ell"].shape == (1, 4)
    assert all(isinstance(v, mpmath.mpf) for v in res.mp_state["mu"].ravel())
    assert res.mu.tolist() == [[float(v) for v in res.mp_state["mu"][0]]]
    assert mpmath.mp.dps == dps  # global precision untouched


@settings(max_examples=30)
@given(y=st.lists(st.floats(-10, 10), min_size=4, max_size=4))
@example(y=[3.0, 1.0, 2.0, 0.0])
@example(y=[1.0, 1.0, 1.0, 1.0])
def test_mpmath_projection_matches_project_ell(y):
    # project_scalars (the mpmath backend's projection) against project_ell: both compute block means of
    # at most 4 numbers; project_ell's recursive means are within 3 half-ulps of max|y| per
    # block, and the 50-digit PAV is exact to ~1e-50, so 4 ulps of max|y| bound the difference.
    with mpmath.workdps(50):
        got = project_scalars(tuple(mpmath.mpf(v) for v in y))
        want = project_ell(y)
        scale = max(abs(v) for v in y) or 1.0
        for g, w in zip(got, want):
            assert abs(g - mpmath.mpf(float(w))) <= 4 * EPS * scale + 4 * 2.0**-1074  # + subnormal floor
        assert all(got[i] <= got[i + 1] for i in range(3))
        assert project_scalars(got) == got  # ordered input comes back unchanged


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"dynamics": "gradient"}, ValueError, "dynamics"),
        ({"dynamics": 3}, TypeError, "dynamics"),
        ({"k": 0}, ValueError, "k"),
        ({"k": 1.5}, TypeError, "k"),
        ({"eta": 0.0}, ValueError, "eta"),
        ({"eta": -0.1}, ValueError, "eta"),
        ({"eta": math.inf}, ValueError, "eta"),
        ({"eta_d": 0.0}, ValueError, "eta_d"),
        ({"eta_d": math.nan}, ValueError, "eta_d"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.0}, TypeError, "steps"),
        ({"precision": "float32"}, ValueError, "precision"),
        ({"precision": 10}, ValueError, "precision"),
        ({"precision": True}, TypeError, "precision"),
        ({"record_every": 0}, ValueError, "record_every"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"seed": "x"}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"mu0": [[0.0, np.nan]]}, ValueError, "mu0"),
        ({"mu0": [[0.0, np.inf]]}, ValueError, "mu0"),
        ({"mu0": [[0.0, 1.0, 2.0]]}, ValueError, "mu0"),
        ({"mu0": np.zeros((2, 2, 2))}, ValueError, "mu0"),
        ({"nu": [np.inf, 0.5]}, ValueError, "nu"),
        ({"nu": [[0.0, 0.5]] * 3}, ValueError, "nu"),
        ({"ell0": [[1.0, 0.0, 2.0, 3.0]]}, ValueError, "ell0"),
        ({"ell0": [[0.0, 1.0, np.nan, 3.0]]}, ValueError, "ell0"),
        ({"ell0": [[0.0, 1.0, 2.0]]}, ValueError, "ell0"),
        ({"ell0": [[0.0, 1.0, 2.0, 3.0]] * 3}, ValueError, "ell0"),
        ({"ell0": None}, ValueError, "seed"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, exc, name):
    args = {"nu": NU, "mu0": [[0.2, 0.9], [0.0, 1.0]], "ell0": [[-1.0, 0.0, 0.5, 2.0]]} | kwargs
    nu, mu0, ell0 = args.pop("nu"), args.pop("mu0"), args.pop("ell0")
    with pytest.raises(exc, match=f"^{name}"):
        simulate(nu, mu0, ell0, steps=args.pop("steps", 2), **args)


# --- command line -------------------------------------------------------------------------------


def test_cli_simulate_json_and_plot(tmp_path, capsys):
    from gmmsym.cli import main

    out_json, out_png = tmp_path / "run.json", tmp_path / "run.png"
    argv = ["simulate", "--nu", "-0.5", "0.5", "--mu", "0.2", "0.9", "--mu", "-1", "1", "--seed", "3",
            "--dynamics", "alternating", "-k", "2", "--eta", "0.1", "--eta-d", "0.2", "--steps", "40",
            "--json", str(out_json), "--plot", str(out_png)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    data = json.loads(out_json.read_text())
    kw = {"seed": 3, "dynamics": "alternating", "k": 2, "eta": 0.1, "eta_d": 0.2, "steps": 40}
    api = simulate(NU, [[0.2, 0.9], [-1.0, 1.0]], **kw)
    assert data["mu_final"] == api.mu.tolist() and data["ell_final"] == api.ell.tolist()
    assert data["label"] == api.label.tolist() and data["label"][0] in printed
    assert data["flags"] == {k: v.tolist() for k, v in api.outcomes.flags.items()}
    assert data["config"]["eta_d"] == 0.2 and data["config"]["seed"] == 3
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.png"]  # no temp files left


def test_cli_simulate_errors(tmp_path, capsys):
    from gmmsym.cli import main

    assert main(["simulate", "--mu", "0.2", "0.9", "--steps", "3"]) == 0  # no --ell, no --seed: seed 0
    assert "seed 0" in capsys.readouterr().out  # tests/test_cli.py checks it equals --seed 0
    assert main(["simulate", "--mu", "0.2", "0.9", "--ell", "1", "0", "2", "3", "--steps", "3"]) == 2
    assert main(["simulate", "--mu", "0.2", "0.9", "--seed", "1", "--eta", "-1"]) == 2
    assert main(["simulate", "--mu", "0.2", "0.9", "--seed", "1", "--steps", "5", "--precision", "20",
                 "--json", str(tmp_path / "mp.json")]) == 0  # fmt: skip
    assert json.loads((tmp_path / "mp.json").read_text())["config"]["precision"] == 20


@pytest.mark.parametrize("dynamics", ["simultaneous", "alternating", "extragradient", "optimal"])
def test_fixed_point_retirement_changes_nothing(monkeypatch, dynamics):
    """Retiring rows at exact fixed points gives bitwise the results of running every step."""
    import gmmsym.dynamics.engine as dyn
    from gmmsym.dynamics.float64 import Float64Backend

    g = np.linspace(-1, 1, 6)
    mu0 = np.array([(a, b) for a in g for b in g])
    kw = dict(dynamics=dynamics, k=3, steps=400, seed=11, record_every=50)
    calls = []
    real = Float64Backend.unchanged

    def counting(old, new):
        mask = real(old, new)
        calls.append(0 if mask is None else int(mask.sum()))
        return mask

    monkeypatch.setattr(Float64Backend, "unchanged", staticmethod(counting))
    fast = dyn.simulate([-0.5, 0.5], mu0, **kw)
    monkeypatch.setattr(dyn, "FIXED_POINT_CHECK", 10**9)  # only the check at t = 0
    slow = dyn.simulate([-0.5, 0.5], mu0, **kw)
    if dynamics != "optimal":
        assert sum(calls) > 0  # some rows were retired early in this setting
    for a, b in ((fast.mu, slow.mu), (fast.ell, slow.ell)):
        np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))
    np.testing.assert_array_equal(fast.trajectory["mu"], slow.trajectory["mu"])
    np.testing.assert_array_equal(fast.trajectory["ell"], slow.trajectory["ell"])
    np.testing.assert_array_equal(fast.label, slow.label)
