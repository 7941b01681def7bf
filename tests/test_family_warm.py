"""gmmsym.discriminator.warm_any: warm-started crossings for optimal dynamics.

References: cold isolation (``gmmsym.discriminator.crossings``, every step from scratch) and
``gmmsym.simulate(dynamics="optimal")`` (labels on a Figure 2-like batch).
"""

from __future__ import annotations

from fractions import Fraction
from unittest import mock

import numpy as np

import gmmsym
from gmmsym.discriminator import warm_any as fw
from gmmsym.discriminator.crossings import crossings, exponential_sum
from gmmsym.model.spec import ModelSpec
from gmmsym.outcomes import classify

NU = np.array([-0.5, 0.5])


def test_figure2_batch_labels_and_gradients():
    g = np.linspace(-1, 1, 10)
    mu0 = np.array([(a, b) for a in g for b in g])
    nu = np.broadcast_to(NU, mu0.shape)
    warm = fw.WarmCrossings(nu)
    mu = mu0.copy()
    grad, ell, _ = warm(mu)
    worst = 0.0
    for _ in range(400):
        mu = mu - 0.1 * grad
        grad, ell, _ = warm(mu)
        cold, cold_ell, _ = fw.WarmCrossings(nu)(mu)
        worst = max(worst, float(np.max(np.abs(grad - cold))))
    # measured: 2.2e-13 over 3000 steps (benchmarks/bench_warm.py); the bound is 1e-12
    assert worst <= 1e-12
    assert warm.cold_rows < 0.9 * 100 * 401  # the fast path is taken
    ref = gmmsym.simulate(NU, mu0, dynamics="optimal", eta=0.1, steps=400)
    assert np.array_equal(classify(mu, ell, nu).label, ref.outcomes.label)


def _jump():
    """Two nearby states: one crossing (V = 3), then three crossings."""
    nu = np.array([[-1.2, 1.6]])
    a, b = np.array([1.4, -1.9]), np.array([1.4, -0.2])
    ts = np.linspace(0, 1, 2001)
    mus = a + ts[:, None] * (b - a)
    _, count, _, _, _ = crossings(exponential_sum(mus, np.repeat(nu, len(ts), 0)))
    k = int(np.flatnonzero(count[1:] != count[:-1])[0])
    lo, hi = (k, k + 1) if count[k] < count[k + 1] else (k + 1, k)  # from fewer to more crossings
    return mus[lo : lo + 1], mus[hi : hi + 1], nu, count[lo], count[hi]


def test_falls_back_when_crossings_appear():
    m0, m1, nu, c0, c1 = _jump()
    assert c0 != c1
    warm = fw.WarmCrossings(nu)
    warm(m0)
    _, _, count = warm(m1)
    assert count[0] == c1


def test_check_fails_without_descartes_bound():
    """Certifying on the found crossings alone (V ignored) misses the new pair: the test sees it."""
    m0, m1, nu, c0, c1 = _jump()
    warm = fw.WarmCrossings(nu)
    warm(m0)
    with mock.patch.object(fw, "sign_changes", lambda s: np.full(s.shape[1], c0)):
        _, _, count = warm(m1)
    assert count[0] != c1


def test_k3_warm_equals_cold():
    spec = ModelSpec(K=3, M=3, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=1)
    rng = np.random.default_rng(0)
    mu0, nu = rng.uniform(-2, 2, (300, 3)), rng.uniform(-2, 2, (300, 3))
    mu_w, ell_w, c_w, _ = fw.optimal_dynamics(mu0, nu, eta=0.1, steps=30, spec=spec, warm=True)
    mu_c, ell_c, c_c, _ = fw.optimal_dynamics(mu0, nu, eta=0.1, steps=30, spec=spec, warm=False)
    assert np.array_equal(c_w, c_c)
    # measured 1e-15; 1e-12 as for the gradients
    assert np.max(np.abs(mu_w - mu_c)) <= 1e-12
