"""gmmsym.discriminator.warm_paper: warm-started, per-row certified crossings of the paper model.

Reference: the cold isolation :func:`gmmsym.discriminator.optimal.optimal_endpoints` at the same
states (crossing counts identical, Danskin gradients within 1e-12 -- the issue's bound; measured
below 5e-15 on the trajectories here), and the warm path's own row independence.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmmsym
from gmmsym.discriminator import optimal
from gmmsym.discriminator import warm_paper as wp
from gmmsym.discriminator.optimal import optimal_endpoints, tv_gradient_components

NU = (-0.5, 0.5)
GRAD_TOL = 1e-12


class _Counting:
    """Wraps the cold isolation to count the rows that fall back to it."""

    def __init__(self):
        self.rows = 0
        self._orig = optimal._crossings

    def __call__(self, *a):
        self.rows += a[0].size
        return self._orig(*a)


def _compare(mu, nu, state):
    """One warm step against the cold one: ``(new state, max |grad difference|)``; counts must agree."""
    mu1, mu2, nu1, nu2 = (np.ascontiguousarray(v, dtype=np.float64) for v in (*mu.T, *nu.T))
    *ell, count, state = wp.warm_endpoints(mu1, mu2, nu1, nu2, state)
    *cold_ell, cold_count = optimal_endpoints(mu1, mu2, nu1, nu2)
    assert np.array_equal(count, cold_count)
    g = tv_gradient_components(mu1, mu2, *ell, count)
    gc = tv_gradient_components(mu1, mu2, *cold_ell, cold_count)
    return state, np.stack(g, axis=1), float(np.max(np.abs(np.subtract(g, gc)), initial=0.0))


def _trajectory(mu0, nu, steps, eta=0.1):
    """Optimal dynamics on the warm path, compared with cold isolation at every state."""
    mu, state, worst = mu0.copy(), wp.WarmState.empty(len(mu0)), 0.0
    for _ in range(steps + 1):
        state, g, d = _compare(mu, nu, state)
        worst = max(worst, d)
        mu = mu - eta * g
    return worst


def test_figure2_trajectories_match_cold():
    """Figure 2-like starts (10 x 10 grid on [-1, 1]^2 plus random ones), 300 steps."""
    g = np.linspace(-1, 1, 10)
    mu0 = np.concatenate([[(a, b) for a in g for b in g], np.random.default_rng(1).uniform(-2, 2, (100, 2))])
    nu = np.broadcast_to(NU, mu0.shape)
    counting = _Counting()
    with mock.patch.object(optimal, "_crossings", counting):
        worst = _trajectory(mu0, nu, 300)
    assert worst <= GRAD_TOL
    # the reference calls are counted too (200 rows per step): the warm path certifies > 95 %
    warm_cold = counting.rows - 301 * 200
    assert warm_cold < 0.05 * 301 * 200


def _path():
    """A path through the tangency 1 <-> 3 crossings (V = 3), back, and through V = 2 -> 3 -> 1."""
    ts = np.linspace(0.0, 1.0, 801)[:, None]
    mus = np.array([-1.0, 1.0]) + ts * np.array([0.0, 3.0])  # mu2 from 1 to 4: one, then three
    return np.concatenate([mus, mus[::-1], np.array([[-1.0, -3.0]]) + ts * np.array([[-2.0, 6.0]])])


def _walk(nu):
    state, seen = wp.WarmState.empty(1), set()
    for m in _path():
        state, _, d = _compare(m[None, :], nu, state)
        seen.add(int(state.count[0]))
        assert d <= GRAD_TOL
    return seen


def test_counts_change_between_steps():
    assert {1, 2, 3} <= _walk(np.array([[-2.0, 1.0]]))


@pytest.mark.parametrize("gap", [1e-3, 1e-6, 1e-9, 1e-12])
def test_nearly_tangent_and_equal_means(gap):
    """Nearly double crossings, mu close to nu, equal true means and exact cancellations."""
    nu = np.array([[-2.0, 1.0], [0.3, 0.3], [-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5]])
    base = np.array(
        [[-1.0, 1.0568], [0.3 - gap, 0.3 + 2 * gap], [-0.5 + gap, 0.5 - gap], [-0.5, 0.1], [0.5, 0.5]]
    )
    rng = np.random.default_rng(int(-np.log10(gap)))
    state = wp.WarmState.empty(len(nu))
    for _ in range(60):
        mu = base + rng.normal(0.0, 10 * gap, base.shape)
        state, _, d = _compare(mu, nu, state)
        assert d <= GRAD_TOL


@st.composite
def step_pairs(draw):
    """A state, and the state after a small move of mu (as one optimal step makes)."""
    f = st.floats(-3, 3, allow_nan=False)
    mu, nu = np.array([draw(f), draw(f)]), np.array([draw(f), draw(f)])
    kind = draw(st.sampled_from(["free", "mu~nu", "nu1=nu2", "mu1=nu1"]))
    eps = 10.0 ** draw(st.floats(-12, -1))
    if kind == "mu~nu":
        mu = nu + eps * np.array([draw(st.sampled_from([-1, 1])), draw(st.sampled_from([-1, 1]))])
    elif kind == "nu1=nu2":
        nu[1] = nu[0]
    elif kind == "mu1=nu1":
        mu[0] = nu[0]
    move = np.array([draw(st.floats(-0.05, 0.05)), draw(st.floats(-0.05, 0.05))])
    return mu, mu + move, nu


@settings(max_examples=300, deadline=None)
@given(step_pairs())
def test_warm_step_matches_cold(case):
    mu0, mu1, nu = case
    state, _, _ = _compare(mu0[None, :], nu[None, :], wp.WarmState.empty(1))
    _compare(mu1[None, :], nu[None, :], state)


def test_rows_are_independent_of_the_batch():
    """Every row alone gives bitwise the values it gets in the batch (and after take())."""
    rng = np.random.default_rng(5)
    mu, nu = rng.uniform(-1.5, 1.5, (40, 2)), np.broadcast_to(NU, (40, 2)).copy()
    cols = lambda m: [np.ascontiguousarray(v) for v in (*m.T, *nu.T)]  # noqa: E731
    state = wp.WarmState.empty(40)
    for _ in range(30):
        *ell, count, new = wp.warm_endpoints(*cols(mu), state)
        for i in (0, 7, 23):
            one = wp.warm_endpoints(*[c[i : i + 1] for c in cols(mu)], state.take([i]))
            for a, b in zip((*ell, count), one[:5]):
                assert np.array_equal(a[i : i + 1], b, equal_nan=True)
        g = np.stack(tv_gradient_components(mu[:, 0], mu[:, 1], *ell, count), axis=1)
        mu, state = mu - 0.1 * g, new


def test_a_row_with_two_s3_zeros_does_not_change_its_neighbours():
    """Rows whose S_3 has two zeros get twice the Newton steps; the others must keep theirs.

    With one step count for the whole batch, 20 of 100,000 random rows changed when a row with
    two S_3 zeros (the last one below) joined their batch: these three among them.
    """
    mu = [
        [0.7099659612881497, 2.728840173785994],
        [0.37458170432469373, 2.930123942466764],
        [2.646770373163333, -0.008077311356700534],
        [-2.7581510781809846, 0.5527633291412586],
    ]
    nu = [
        [0.7561484500452758, 2.773264048320362],
        [0.4852692115822723, -2.7343037197351805],
        [0.10549456531920143, -2.833401286931651],
        [-2.7374532277775505, 0.5638573502402542],
    ]
    cols = [np.ascontiguousarray(v) for v in (*np.array(mu).T, *np.array(nu).T)]
    with np.errstate(all="ignore"):
        r = wp.rows_of(*cols)
        assert wp._expected(r, wp.WarmState.empty(4)).tolist()[-1] == -2
    batch = wp.warm_endpoints(*cols, wp.WarmState.empty(4))
    for i in range(3):
        one = wp.warm_endpoints(*[c[i : i + 1] for c in cols], wp.WarmState.empty(1))
        for a, b in zip(batch[:5], one[:5]):
            assert np.array_equal(a[i : i + 1], b, equal_nan=True)


def test_unchanged_mu_gives_bitwise_the_last_result():
    """The engine retires rows a step leaves unchanged; the warm path must then be a function of mu."""
    rng = np.random.default_rng(11)
    mu, nu = rng.uniform(-1.5, 1.5, (50, 2)), np.broadcast_to(NU, (50, 2)).copy()
    cols = lambda m: [np.ascontiguousarray(v) for v in (*m.T, *nu.T)]  # noqa: E731
    state = wp.WarmState.empty(50)
    for _ in range(20):
        *first, count, state = wp.warm_endpoints(*cols(mu), state)
        *again, count2, state = wp.warm_endpoints(*cols(mu), state)
        for a, b in zip((*first, count), (*again, count2)):
            assert np.array_equal(a, b, equal_nan=True)
        g = np.stack(tv_gradient_components(mu[:, 0], mu[:, 1], *first, count), axis=1)
        mu = mu - 0.1 * g


def test_a_wrong_count_is_caught():
    """With the S_3(z2) test disabled (every V = 3 row claims one crossing) the comparison fails."""

    def claims_one(r, prev):
        return np.where(r.v == 2, 2, np.where(r.v == 0, 0, 1))

    with mock.patch.object(wp, "_expected", claims_one), pytest.raises(AssertionError):
        _walk(np.array([[-2.0, 1.0]]))


def test_simulate_optimal_labels_unchanged_vs_cold():
    """gmmsym.simulate(dynamics="optimal") on the warm path keeps every label of the cold path."""
    rng = np.random.default_rng(3)
    mu0 = rng.uniform(-1, 1, (60, 2))
    warm = gmmsym.simulate(NU, mu0, dynamics="optimal", steps=500)

    def cold(mu1, mu2, nu1, nu2, state):
        return (*optimal_endpoints(mu1, mu2, nu1, nu2), state)

    with mock.patch("gmmsym.dynamics.float64.warm_endpoints", cold):
        ref = gmmsym.simulate(NU, mu0, dynamics="optimal", steps=500)
    # Labels, not final states: near nu the optimal dynamics chatter (TV is not differentiable at
    # its minimum), which amplifies the last-bit differences of each step's gradient (each within
    # 1e-12 of cold, tests above); measured: final mu differ by up to 2e-5 here, 2.2e-2 on the 100
    # Figure 2 optimal runs of 3000 steps, with every label unchanged.
    assert np.array_equal(warm.label, ref.label)
