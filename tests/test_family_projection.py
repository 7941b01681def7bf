"""gmmsym.family.projection: projection onto l1 <= r1 <= ... <= rM for any M (docs/model.md section 4).

References: ``gmmsym.discriminator.projection.project4`` (bitwise, M = 2), exact brute force over all block
partitions (Fractions) and the variational inequality of a projection onto a convex set.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gmmsym.discriminator.projection import project4
from gmmsym.family import projection as fp

EPS = float(np.finfo(float).eps)
INF = float("inf")
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False)
# ties and signed zeros are drawn on purpose: small integers, +-0.0, +-inf
tied = st.one_of(finite, st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, INF, -INF]))


def _bits(x: np.ndarray) -> np.ndarray:
    """Bit patterns with the sign of zero dropped (``x + 0.0``): project4's fmin/fmax argument
    order decides whether a tie between ``-0.0`` and ``0.0`` returns either; both are the same endpoint."""
    return np.ascontiguousarray(x + 0.0).view(np.int64)


def _brute(y: list[float]) -> np.ndarray:
    """Exact isotonic regression: the closest ordered block-mean vector over all partitions."""
    q = [Fraction(v) for v in y]
    n = len(q)
    best, best_d = None, None
    for cuts in itertools.product((False, True), repeat=n - 1):
        b = [0] + [k + 1 for k, c in enumerate(cuts) if c] + [n]
        cand = [sum(q[i:j]) / (j - i) for i, j in zip(b[:-1], b[1:]) for _ in range(j - i)]
        if all(u <= v for u, v in zip(cand, cand[1:])):
            d = sum((u - v) ** 2 for u, v in zip(cand, q))
            if best_d is None or d < best_d:
                best, best_d = cand, d
    return np.array([float(v) for v in best])


@given(st.lists(st.lists(tied, min_size=4, max_size=4), min_size=1, max_size=20))
@example([[INF, 0.0, 1.0, 2.0], [-3.0, -INF, 1.0, 2.0], [1.0, INF, 0.0, -INF], [0.0, -0.0, 0.0, -0.0]])
def test_bitwise_equal_to_project4(rows):
    y = np.array(rows)
    ours = fp.project_rows(y)
    ref = np.stack(project4(*(np.ascontiguousarray(c) for c in y.T)), axis=1)
    assert np.array_equal(_bits(ours), _bits(ref))


def test_bitwise_equal_to_project4_large_random_batch():
    rng = np.random.default_rng(11)
    y = rng.integers(-3, 4, size=(50000, 4)).astype(float)
    y[rng.random(y.shape) < 0.05] = INF
    y[rng.random(y.shape) < 0.05] = -INF
    y[rng.random(y.shape) < 0.05] = -0.0
    z = rng.normal(size=(50000, 4)) * rng.choice([1e-3, 1.0, 1e5], size=(50000, 1))
    for arr in (y, z):
        ref = np.stack(project4(*(np.ascontiguousarray(c) for c in arr.T)), axis=1)
        assert np.array_equal(_bits(fp.project_rows(arr)), _bits(ref))


@pytest.mark.parametrize("width", [2, 6, 8])
@given(data=st.data())
def test_matches_exact_brute_force(width, data):
    y = data.draw(st.lists(finite, min_size=width, max_size=width))
    x = fp.project_rows(np.array([y]))[0]
    assert np.all(x[1:] >= x[:-1])  # exactly ordered
    # measured: <= 1 eps max|y| on these draws; 8 eps as in tests/test_projection.py
    tol = 8 * EPS * max(abs(v) for v in y) + 4 * 5e-324
    np.testing.assert_allclose(x, _brute(y), rtol=0, atol=tol)
    srt = np.sort(np.array(y))
    assert np.array_equal(_bits(fp.project_rows(srt[None])[0]), _bits(srt))


@given(st.lists(finite, min_size=6, max_size=6), st.lists(finite, min_size=6, max_size=6).map(sorted))
def test_variational_inequality(y, z):
    """<y - P(y), z - P(y)> <= 0 for every ordered z (exact inner product, rounding slack)."""
    x = fp.project_rows(np.array([y]))[0]
    q = [Fraction(v) for v in x]
    ip = sum((Fraction(a) - b) * (Fraction(c) - b) for a, b, c in zip(y, q, z))
    e = 8 * EPS * max(abs(v) for v in y + z) + 4 * 5e-324
    d = float(np.sum(np.abs(np.subtract(y, x))) + np.sum(np.abs(np.subtract(z, x))))
    assert float(ip) <= e * d + 4 * e * e


def test_batch_invariance_and_no_projection_rows():
    rng = np.random.default_rng(5)
    y = rng.normal(size=(997, 6))
    y[3] = [1.0, INF, 0.0, -INF, 2.0, 3.0]
    full = fp.project_rows(y)
    assert np.isnan(full[3]).all() and not np.isnan(np.delete(full, 3, 0)).any()
    perm = rng.permutation(len(y))
    assert np.array_equal(_bits(fp.project_rows(y[perm])), _bits(full[perm]))
    assert np.array_equal(_bits(fp.project_rows(y[10:11])), _bits(full[10:11]))


def test_fails_with_wrong_mean_rule():
    """The bitwise check catches the plain (a + b + c) / 3 block mean."""
    y = np.random.default_rng(2).normal(size=(2000, 4))

    def naive(y):
        n = y.shape[0]
        t = np.full((n, n) + y.shape[1:], np.nan)
        for i in range(n):
            for j in range(i, n):
                t[i, j] = y[i : j + 1].sum(axis=0) / (j - i + 1)
        return t

    ref = np.stack(project4(*(np.ascontiguousarray(c) for c in y.T)), axis=1)
    with mock.patch.object(fp, "block_means", naive):
        assert not np.array_equal(_bits(fp.project_rows(y)), _bits(ref))


def test_bad_shape():
    with pytest.raises(ValueError, match="ell"):
        fp.project_rows(np.zeros(4))
