"""gmmsym.discriminator.projection_any: projection onto l1 <= r1 <= ... <= rM, any M (docs/model.md sec. 4).

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

from gmmsym.discriminator import projection_any as fp
from gmmsym.discriminator.projection import project4

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
    """The bitwise check catches the plain (a + b + c) / 3 block mean on either route."""
    y = np.random.default_rng(2).normal(size=(2000, 4))

    def naive(y):
        n = y.shape[0]
        t = np.full((n, n) + y.shape[1:], np.nan)
        for i in range(n):
            for j in range(i, n):
                t[i, j] = y[i : j + 1].sum(axis=0) / (j - i + 1)
        return t

    def naive_step(prev, last, length, out):  # prev + (last - prev) / length as (length-1)*prev + last
        np.copyto(out, (prev * (length - 1) + last) / length)

    ref = np.stack(project4(*(np.ascontiguousarray(c) for c in y.T)), axis=1)
    with mock.patch.object(fp, "block_means", naive):
        assert not np.array_equal(_bits(fp.project_rows_reference(y)), _bits(ref))
    with mock.patch.object(fp, "_mean_step", naive_step):
        assert not np.array_equal(_bits(fp.project_rows(y)), _bits(ref))


# ---------------------------------------------------------------------------------------------
# project_components / project_rows against the plain max-min reference, bitwise (sign of zero too)

# entries: ties (small integers), +-0.0, +-inf, subnormals, huge finite values, generic floats
special = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, INF, -INF, 5e-324, -5e-324, 1e-310, 2e307, -2e307])
entry = st.one_of(finite, special, st.floats(allow_nan=False))
widths = st.integers(1, 10)


@st.composite
def batches(draw):
    """A batch of rows of one width, some of them sorted, some repeated (ties across rows)."""
    n = draw(widths)
    rows = draw(st.lists(st.lists(entry, min_size=n, max_size=n), min_size=1, max_size=12))
    rows = [sorted(r) if draw(st.booleans()) else r for r in rows]
    return np.array(rows + rows[: draw(st.integers(0, len(rows)))], dtype=float).reshape(-1, n)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bitwise equal, sign of zero included (NaN rows compared as NaN)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    nan = np.isnan(a) & np.isnan(b)
    return a.shape == b.shape and bool(np.all(nan | (a.view(np.int64) == b.view(np.int64))))


@given(batches())
@example(np.array([[-0.0, 0.0], [0.0, -0.0], [-0.0, -0.0]]))
@example(
    np.array(
        [[1.0, INF, 0.0, -INF, 2.0, 3.0], [INF, 0.0, 1.0, 2.0, -3.0, 5.0], [-3.0, -INF, 1.0, 2.0, 2.0, 2.0]]
    )
)
@example(np.array([[1.5e308, 1.5e308, INF], [-1.5e308, 1.5e308, 1.5e308]]))
@example(np.array([[-3e-323, 2.5e-323, 0.0, 1.0], [5e-324, -5e-324, 0.0, -0.0]]))
def test_components_bitwise_equal_to_reference(y):
    ref = fp.project_rows_reference(y)
    assert _same(fp.project_rows(y), ref)
    cols = tuple(np.ascontiguousarray(c) for c in y.T)
    keep = tuple(c.copy() for c in cols)
    got = fp.project_components(cols)
    assert all(_same(a, b) for a, b in zip(cols, keep))  # inputs untouched
    assert _same(np.stack(got, axis=1), ref)
    fp.project_components(cols, out=cols)  # in place
    assert _same(np.stack(cols, axis=1), ref)


@given(st.lists(st.lists(tied, min_size=4, max_size=4), min_size=1, max_size=20))
def test_components_equal_project4(rows):
    y = np.array(rows)
    cols = tuple(np.ascontiguousarray(c) for c in y.T)
    ours, ref = np.stack(fp.project_components(cols)), np.stack(project4(*cols))
    assert np.array_equal(ours, ref, equal_nan=True)


def test_components_routes_large_batch():
    """Mostly ordered, mostly unordered and mixed batches (all three routes) against the reference."""
    rng = np.random.default_rng(7)
    for n in (1, 3, 5, 6, 8):
        z = rng.normal(size=(6000, n)) * rng.choice([1e-300, 1e-3, 1.0, 1e300], size=(6000, 1))
        z[rng.random(z.shape) < 0.02] = rng.choice([0.0, -0.0, INF, -INF, np.nan, 5e-324])
        srt = np.sort(z, axis=1)
        mixed = np.where(rng.random((6000, 1)) < 0.1, z, srt)
        for y in (z, srt, mixed, z[:1], srt[:3]):
            assert _same(fp.project_rows(y), fp.project_rows_reference(y))


def test_project_rows_leaves_input_alone():
    y = np.random.default_rng(3).normal(size=(6, 500))
    keep = y.copy()
    fp.project_rows(y.T)  # y.T.T is contiguous: must still be copied before projecting in place
    assert np.array_equal(y, keep)


def test_bitwise_check_fails_on_broken_variants():
    """The reference comparison catches a one-ulp table error, a dropped route, a copy of unordered rows."""
    rng = np.random.default_rng(4)
    y = rng.normal(size=(3000, 6))
    ties = rng.choice([0.0, -0.0, 1.0, -1.0], size=(3000, 6))
    ref_y, ref_t = fp.project_rows_reference(y), fp.project_rows_reference(ties)
    assert _same(fp.project_rows(y), ref_y) and _same(fp.project_rows(ties), ref_t)
    real_fast = fp._maxmin_fast

    def off_by_one_ulp(z):
        x = real_fast(z).copy()
        x[-1] = np.nextafter(x[-1], INF)
        return x

    with mock.patch.object(fp, "_maxmin_fast", off_by_one_ulp):
        assert not _same(fp.project_rows(y), ref_y)
    with (
        mock.patch.object(fp, "_maxmin", fp._maxmin_fast),
        np.errstate(invalid="ignore"),
    ):  # no reference route
        inf_rows = np.array([[INF, 0.0, 1.0, 2.0, 3.0, 4.0], [-1.0, 3.0, -INF, 2.0, 1.0, 0.5]])
        assert not _same(fp.project_rows(inf_rows), fp.project_rows_reference(inf_rows))
    with mock.patch.object(fp, "_copied", lambda cols: np.ones(np.shape(cols[0]), dtype=bool)):
        assert not _same(fp.project_rows(y), ref_y)


def test_bad_shape():
    with pytest.raises(ValueError, match="ell"):
        fp.project_rows(np.zeros(4))
