"""gmmsym.discriminator.optimal_any: optimal discriminator, TV and Danskin gradient for any model.

References: ``gmmsym.discriminator.optimal`` (paper's model: ell*, counts, TV, gradient), brute force over all
choices of M runs (the dynamic programme), the generated kernels (``L(mu, ell*) - 1 = TV`` when
A* has at most M pieces; L at ell* is maximal among unions of intervals with endpoints at the
crossings), a central finite difference of TV (Danskin), and mpmath quadrature of |p* - p_mu|/2.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from unittest import mock

import mpmath
import numpy as np
import pytest

import gmmsym
from gmmsym.discriminator import optimal_any as fd
from gmmsym.errors import InputError
from gmmsym.kernels import Kernels
from gmmsym.model.spec import PAPER, ModelSpec

K3M3 = ModelSpec(K=3, M=3, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=1)
K3M2 = ModelSpec(K=3, M=2, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=1)


def _paper_batch(n=20000, seed=1):
    rng = np.random.default_rng(seed)
    mu, nu = rng.uniform(-3, 3, (n, 2)), rng.uniform(-3, 3, (n, 2))
    mu[:100] = nu[:100]
    mu[100:200] = nu[100:200, ::-1]
    mu[200:300, 0] = nu[200:300, 1]
    return mu, nu


def test_paper_model_matches_gmmsym_optimal():
    mu, nu = _paper_batch()
    ell, count = fd.optimal_discriminator(mu, nu)
    ell0, count0 = gmmsym.optimal_discriminator(mu, nu)
    assert np.array_equal(count, count0)
    assert np.array_equal(np.isnan(ell), np.isnan(ell0)) and np.array_equal(np.isinf(ell), np.isinf(ell0))
    fin = np.isfinite(ell0)
    # measured 2.7e-11 absolute at |x| ~ 600 (near-cancelling pairs); relative 1e-12 bound
    assert np.all(np.abs(ell[fin] - ell0[fin]) <= 1e-12 * (1 + np.abs(ell0[fin])) * 50)
    # measured: TV 3.3e-16, gradient 1.4e-13 (at crossings set by near-cancelling pairs)
    assert np.max(np.abs(fd.tv_distance(mu, nu) - gmmsym.tv_distance(mu, nu))) <= 2e-15
    assert np.max(np.abs(fd.tv_gradient(mu, nu) - gmmsym.tv_gradient(mu, nu))) <= 4e-13


def _brute_runs(d, m_max):
    best = 0.0
    L = len(d)
    for m in range(1, m_max + 1):
        for cuts in itertools.combinations(range(L + 1), 2 * m):
            runs = list(zip(cuts[::2], cuts[1::2]))
            v = sum(sum(d[a:b]) for a, b in runs)
            if v > best + 1e-12:
                best = v
    return best


@pytest.mark.parametrize("L, m_max", [(3, 1), (5, 2), (6, 2), (7, 3)])
def test_dynamic_programme_matches_brute_force(L, m_max):
    rng = np.random.default_rng(L * 10 + m_max)
    d = rng.normal(size=(L, 400))
    d[:, ::7] = np.abs(d[:, ::7]) * np.where(np.arange(L) % 2 == 0, 1.0, -1.0)[:, None]  # alternating signs
    chosen = fd.best_runs(d, m_max)
    got = np.where(chosen, d, 0.0).sum(axis=0)
    runs = (chosen & ~np.concatenate([np.zeros((1, 400), bool), chosen[:-1]])).sum(axis=0)
    assert (runs <= m_max).all()
    ref = np.array([_brute_runs(list(d[:, i]), m_max) for i in range(400)])
    assert np.max(np.abs(got - ref)) <= 1e-12


def test_dynamic_programme_check_fails_on_greedy():
    """The brute-force check catches a greedy choice (largest single entries) instead of the DP."""
    d = np.array([[1.0], [-0.1], [1.0], [-5.0], [0.5]])

    def greedy(d, m_max):
        top = np.argsort(-d, axis=0)[:m_max]
        out = np.zeros(d.shape, bool)
        np.put_along_axis(out, top, True, axis=0)
        return out & (d > 0)

    assert np.isclose(np.where(fd.best_runs(d, 2), d, 0).sum(), _brute_runs(list(d[:, 0]), 2))
    with mock.patch.object(fd, "best_runs", greedy):
        mu, nu = np.array([[0.0, 0.0]]), np.array([[0.0, 0.0]])
        assert not np.isclose(np.where(fd.best_runs(d, 2), d, 0).sum(), _brute_runs(list(d[:, 0]), 2))
        del mu, nu


@pytest.mark.parametrize("spec", [K3M3, K3M2])
def test_k3_value_and_encoding(spec):
    rng = np.random.default_rng(3)
    mu, nu = rng.uniform(-3, 3, (3000, 3)), rng.uniform(-3, 3, (3000, 3))
    ell, count = fd.optimal_discriminator(mu, nu, spec)
    assert (count <= 5).all() and (count >= 1).all()
    assert (ell[:, 1:] >= ell[:, :-1]).all()  # sorted endpoints
    tv = fd.tv_distance(mu, nu, spec)
    adv = Kernels(spec).advantage(mu, ell, nu)
    x, c, sm, _, _ = fd.crossings(fd.exponential_sum(mu, nu, spec))
    pos = np.array(
        [sum(1 for k in range(ci + 1) if (sm_i if k % 2 == 0 else -sm_i) > 0) for ci, sm_i in zip(c, sm)]
    )
    fits = pos <= spec.M
    # measured: |L - 1 - TV| <= 3e-16 where A* fits in M intervals
    assert np.max(np.abs(adv[fits] - tv[fits])) <= 2e-15
    assert (adv[~fits] <= tv[~fits] + 2e-15).all()
    kern = Kernels(spec)
    for i in np.flatnonzero(~fits)[:20]:  # brute force over unions of M intervals with endpoints at crossings
        pts = [-np.inf] + list(x[: c[i], i]) + [np.inf]
        cands = np.array(
            [
                [pts[j] for j in cut]
                for cut in itertools.combinations_with_replacement(range(len(pts)), 2 * spec.M)
            ]
        )
        best = kern.advantage(
            np.broadcast_to(mu[i], (len(cands), 3)), cands, np.broadcast_to(nu[i], (len(cands), 3))
        ).max()
        assert adv[i] >= best - 2e-15


def test_tv_against_mpmath_quadrature():
    rng = np.random.default_rng(9)
    for spec in (PAPER, K3M3):
        mu, nu = rng.uniform(-2, 2, (4, spec.K)), rng.uniform(-2, 2, (4, spec.K))
        tv = fd.tv_distance(mu, nu, spec)
        x, c, _, _, _ = fd.crossings(fd.exponential_sum(mu, nu, spec))
        for i in range(4):
            w = [mpmath.mpf(v.numerator) / v.denominator for v in spec.weights]

            def gap(t, m_i=mu[i], n_i=nu[i], w=w):
                return sum(
                    wk * (mpmath.npdf(t, n, 1) - mpmath.npdf(t, m, 1)) for wk, m, n in zip(w, m_i, n_i)
                )

            with mpmath.workdps(30):
                pts = [-mpmath.inf] + [mpmath.mpf(v) for v in x[: c[i], i]] + [mpmath.inf]
                ref = mpmath.fsum(abs(mpmath.quad(gap, [a, b])) for a, b in zip(pts[:-1], pts[1:])) / 2
            # measured: 2e-16
            assert abs(tv[i] - float(ref)) <= 4e-16 * (1 + float(ref))


def test_danskin_gradient_matches_finite_difference_k3():
    rng = np.random.default_rng(5)
    mu, nu = rng.uniform(-2, 2, (200, 3)), rng.uniform(-2, 2, (200, 3))
    g = fd.tv_gradient(mu, nu, K3M3)
    h = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fdiff = (fd.tv_distance(mu + e, nu, K3M3) - fd.tv_distance(mu - e, nu, K3M3)) / (2 * h)
        # measured: 4e-10 (central difference error h^2 and rounding eps/h)
        assert np.max(np.abs(fdiff - g[:, k])) <= 1e-8


def test_identical_mixtures_and_bad_input():
    ell, count = fd.optimal_discriminator([0.0, 1.0], [1.0, 0.0])
    assert count == -1 and np.isnan(ell).all()
    assert fd.tv_distance([0.0, 1.0], [1.0, 0.0]) == 0.0
    assert np.array_equal(fd.tv_gradient([0.0, 1.0], [1.0, 0.0]), [0.0, 0.0])
    with pytest.raises(InputError, match="^mu must have shape"):
        fd.optimal_discriminator([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(InputError, match="^model must be a gmmsym.ModelSpec"):
        fd.tv_distance([0.0, 1.0], [0.0, 1.0], model="K=2")
    with pytest.raises(InputError, match=r"^nu: \|nu_i\| must be <= 1e\+06"):
        fd.tv_gradient([0.0, 1.0, 2.0], [0.0, 1.0, 2e6], model=K3M3)
