"""gmmsym.outcomes.distance: distance over all K! permutations and mode collapse for any K.

References: a plain Python loop over ``itertools.permutations`` per row, and the K = 2 results of
``gmmsym.outcomes`` (dist, and the mode-collapse flag of classify).
"""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmmsym.outcomes as k2
from gmmsym.outcomes import distance as fo


def _loop_dist(mu, nu):
    return min(
        max(abs(mu[p[i]] - nu[i]) for i in range(len(nu))) for p in itertools.permutations(range(len(nu)))
    )


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_dist_matches_loop(k):
    rng = np.random.default_rng(k)
    mu, nu = rng.normal(size=(300, k)), rng.normal(size=(300, k))
    mu[::5] = nu[::5][:, ::-1]
    got = fo.dist(mu, nu)
    assert np.array_equal(got, [_loop_dist(a, b) for a, b in zip(mu, nu)])


def test_dist_equals_k2():
    rng = np.random.default_rng(0)
    mu, nu = rng.normal(size=(5000, 2)), rng.normal(size=(5000, 2))
    mu[0, 0] = np.nan
    mu[1, 1] = np.inf
    assert np.array_equal(fo.dist(mu, nu), k2.dist(mu, nu), equal_nan=True)


@given(st.lists(st.sampled_from([-0.5, -0.45, -0.3, 0.0, 0.05, 0.1, 0.5, 1.0]), min_size=4, max_size=4))
def test_mode_collapse_equals_k2_classify(vals):
    mu, nu = np.array([vals[:2]]), np.array([vals[2:]])
    ell = np.array([[-1.0, 0.0, 0.5, 2.0]])  # open intervals: only mode_collapse can be decided by it
    flags = k2.classify(mu, ell, nu, tol=0.1).flags
    assert fo.mode_collapse(mu, nu, 0.1)[0] == flags["mode_collapse"][0]


def test_mode_collapse_k3():
    nu = np.array([-1.0, 0.0, 1.0])
    assert fo.mode_collapse(np.array([[-1.0, 0.05, 0.0]]), nu)[0]  # two generator modes
    assert not fo.mode_collapse(np.array([[-1.0, 0.3, 1.0]]), nu)[0]
    assert not fo.mode_collapse(np.array([[0.0, 0.0, 0.0]]), np.array([0.0, 0.1, 0.2]))[
        0
    ]  # truth: one mode at 2 tol
    assert fo.distinct_modes(np.array([0.0, 0.1, 0.2]), 0.1) == 1  # single linkage: a chain is one mode


def test_fails_with_one_permutation_only():
    mu, nu = np.array([[1.0, 0.0, 2.0]]), np.array([[0.0, 1.0, 2.0]])
    assert fo.dist(mu, nu)[0] == 0.0
    with mock.patch.object(fo, "_perms", lambda k, w=None: np.arange(k)[None]):
        assert fo.dist(mu, nu)[0] == 1.0


def test_bad_shape():
    with pytest.raises(ValueError, match="nu"):
        fo.dist(np.zeros((2, 3)), np.zeros((2, 2)))


def test_dist_keeps_the_weights():
    """A relabelling counts only between components of equal weight (docs/model.md section 5)."""
    from gmmsym import outcomes
    from gmmsym.model.spec import ModelSpec

    model = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
    nu = np.array([-1.0, 0.0, 1.0])
    assert outcomes.dist(nu[[1, 0, 2]], nu, model=model) == 0.0  # the two 1/4 components swapped
    assert outcomes.dist(nu[[2, 1, 0]], nu, model=model) == 2.0  # a 1/4 and the 1/2 swapped: not the truth
    equal = ModelSpec.parse("K=3,M=3")
    assert outcomes.dist(nu[[2, 1, 0]], nu, model=equal) == 0.0
    ell = np.array([-np.inf, -0.5, 0.5, 0.6, 0.7, np.inf])
    assert not outcomes.classify(nu[[2, 1, 0]], ell, nu, model=model).flags["converged"][0]
    assert outcomes.classify(nu[[1, 0, 2]], ell, nu, model=model).flags["converged"][0]
