"""``model=`` on the public optimal discriminator, TV and TV gradient (docs/model.md section 3).

``model == PAPER`` runs the K = 2 solver of :mod:`gmmsym.discriminator.optimal` (bitwise as
before, never the family code); any other model, also ``K = M = 2`` with other weights or
sigma, runs :mod:`gmmsym.discriminator.optimal_any`.  References: the K = 2 solver itself (for the
paper's model the family path must agree with it to the measured bounds below) and, for K = 3,
the 50-digit mpmath crossings of tests/test_family_crossings.py and an mpmath quadrature of TV.
"""

from __future__ import annotations

from fractions import Fraction
from unittest import mock

import mpmath
import numpy as np
import pytest
from test_family_crossings import _tol, mp_crossings

import gmmsym
from gmmsym.discriminator import optimal
from gmmsym.discriminator import optimal_any as fd
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec

EPS = float(np.finfo(float).eps)
K3M3 = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
K2_OTHER = ModelSpec(K=2, M=2, weights=(Fraction(1, 3), Fraction(2, 3)), sigma=Fraction(1, 2))
FUNCS = (optimal.optimal_discriminator, optimal.tv_distance, optimal.tv_gradient)


def _paper_batch(seed: int, n: int = 20000):
    rng = np.random.default_rng(seed)
    mu, nu = rng.uniform(-3, 3, (n, 2)), rng.uniform(-3, 3, (n, 2))
    mu[:100] = nu[:100]  # mu = nu
    mu[100:200] = nu[100:200, ::-1]  # mu = nu up to swap
    mu[200:300, 0] = nu[200:300, 1]  # exact cancellation
    mu[300:400, 1] = nu[300:400, 0] + rng.choice([1e-9, 1e-7, -1e-5], 100)  # near cancellation
    mu[400:600] = rng.uniform(-30, 30, (200, 2))  # far apart
    return mu, nu


def _bits(x):
    return np.ascontiguousarray(x).view(np.int64)


def test_paper_model_is_the_k2_code_bitwise_and_never_the_family():
    mu, nu = _paper_batch(1, 3000)
    default = [f(mu, nu) for f in FUNCS]
    boom = mock.Mock(side_effect=AssertionError("family code called for PAPER"))
    with mock.patch.multiple(fd, optimal_discriminator=boom, tv_distance=boom, tv_gradient=boom):
        for spec in (
            PAPER,
            ModelSpec.parse("K=2,M=2,weights=1/2:1/2,sigma=1"),
            ModelSpec(weights=(0.5, 0.5)),
        ):
            got = [f(mu, nu, model=spec) for f in FUNCS]
            assert all(np.array_equal(_bits(a), _bits(b)) for a, b in zip(got[0], default[0]))
            assert np.array_equal(_bits(got[1]), _bits(default[1]))
            assert np.array_equal(_bits(got[2]), _bits(default[2]))


@pytest.mark.parametrize("spec", [K2_OTHER, K3M3])
def test_other_models_run_the_family_code(spec):
    rng = np.random.default_rng(2)
    mu, nu = rng.uniform(-3, 3, (500, spec.K)), rng.uniform(-3, 3, (500, spec.K))
    for f in FUNCS:
        got, ref = f(mu, nu, model=spec), getattr(fd, f.__name__)(mu, nu, spec)
        for a, b in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, ref))):
            assert np.array_equal(a, b, equal_nan=True)
    assert optimal.optimal_discriminator(mu, nu, model=spec)[0].shape == (500, 2 * spec.M)
    assert optimal.tv_gradient(mu[0], nu[0], model=spec).shape == (spec.K,)
    # the K = 2 solver would give something else for these weights (the dispatch matters)
    if spec.K == 2:
        assert not np.array_equal(optimal.tv_distance(mu, nu, model=spec), optimal.tv_distance(mu, nu))


@pytest.mark.parametrize("seed", [1, 2])
def test_family_path_agrees_with_k2_path_on_the_paper_model(seed):
    """Same ell (NaN/inf pattern and counts exactly), TV and gradient to measured bounds.

    Measured over seeds 1-3 (20000 rows each, with exact / near cancellations 1e-9..1e-5 and means
    up to 30): ``|ell - ell_K2| <= 36 eps (1 + |ell|) / min(1, gap)``, ``gap`` the smallest nonzero
    ``|mu_i - nu_j|`` (the family solver resolves a near-cancelling pair to ``eps / gap``, the K = 2
    pair form better); ``|grad - grad_K2| <= 11 eps / min(1, gap)`` (at most 4.7e-10 absolute);
    ``|TV - TV_K2| <= 4.5e-16``.  Bounds: 128, 64 and 2e-15.
    """
    mu, nu = _paper_batch(seed)
    ell, count = fd.optimal_discriminator(mu, nu, PAPER)
    ell0, count0 = gmmsym.optimal_discriminator(mu, nu)
    assert np.array_equal(count, count0)
    assert np.array_equal(np.isnan(ell), np.isnan(ell0))
    assert np.array_equal(np.where(np.isinf(ell0), ell0, 0), np.where(np.isinf(ell), ell, 0))
    sep = np.abs(mu[:, :, None] - nu[:, None, :]).reshape(len(mu), -1)
    inv_gap = 1.0 / np.minimum(1.0, np.min(np.where(sep == 0, np.inf, sep), axis=1))[:, None]
    fin = np.isfinite(ell0)
    with np.errstate(invalid="ignore"):  # inf - inf where both are infinite (compared above)
        diff = np.where(fin, np.abs(ell - ell0), 0.0)
    assert (diff <= 128 * EPS * (1 + np.abs(np.where(fin, ell0, 0.0))) * inv_gap).all()
    dg = np.abs(fd.tv_gradient(mu, nu, PAPER) - gmmsym.tv_gradient(mu, nu))
    assert (dg <= 64 * EPS * inv_gap).all()
    assert np.max(np.abs(fd.tv_distance(mu, nu, PAPER) - gmmsym.tv_distance(mu, nu))) <= 2e-15


def test_k3_public_path_against_mpmath():
    """Crossings (the endpoints of ell where A* fits in M intervals) against 50-digit mpmath,
    TV against mpmath quadrature of |p* - p_mu| / 2 (measured 2e-16)."""
    rng = np.random.default_rng(12)
    mu, nu = rng.uniform(-2, 2, (6, 3)), rng.uniform(-2, 2, (6, 3))
    mu[0, 1] = nu[0, 2] + 1e-6  # a near cancellation
    ell, count = gmmsym.optimal_discriminator(mu, nu, model=K3M3)
    tv = gmmsym.tv_distance(mu, nu, model=K3M3)
    w = [mpmath.mpf(v.numerator) / v.denominator for v in K3M3.weights]
    for i in range(len(mu)):
        ref = mp_crossings(mu[i], nu[i], K3M3)
        assert count[i] == len(ref)
        ends = np.unique(ell[i][np.isfinite(ell[i])])  # count <= 5 crossings, M = 3: A* fits
        assert len(ends) == count[i]
        for got, want in zip(ends, ref):
            assert abs(got - want[0]) <= _tol(want)

        def gap(t, m_i=mu[i], n_i=nu[i]):
            return sum(wk * (mpmath.npdf(t, n, 1) - mpmath.npdf(t, m, 1)) for wk, m, n in zip(w, m_i, n_i))

        with mpmath.workdps(30):
            pts = [-mpmath.inf] + [mpmath.mpf(r) for r, _ in ref] + [mpmath.inf]
            q = mpmath.fsum(abs(mpmath.quad(gap, [a, b])) for a, b in zip(pts[:-1], pts[1:])) / 2
        assert abs(tv[i] - float(q)) <= 4e-16 * (1 + float(q))


@pytest.mark.parametrize("f", FUNCS, ids=lambda f: f.__name__)
def test_bad_model_and_shapes(f):
    for bad in ("K=3", None, 3):
        with pytest.raises(InputError, match="^model must be a gmmsym.ModelSpec") as info:
            f([0.0, 1.0], [0.0, 2.0], model=bad)
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=r"^mu must have shape \(\.\.\., 3\)"):
        f([0.0, 1.0], [0.0, 1.0, 2.0], model=K3M3)
    with pytest.raises(InputError, match=r"^nu must have shape \(\.\.\., 3\)"):
        f([0.0, 1.0, 2.0], [[0.0, 1.0]], model=K3M3)
    with pytest.raises(InputError, match=r"^mu: \|mu_i\| must be <= 1e\+06"):
        f([0.0, 1.0, 2e6], [0.0, 1.0, 2.0], model=K3M3)
