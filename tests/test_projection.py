"""Tests of the projection: Euclidean projection onto l1 <= r1 <= l2 <= r2 (docs/model.md section 4)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.optimize import isotonic_regression

from gmmsym.discriminator.projection import project4, project_ell
from gmmsym.discriminator.projection_any import project_rows
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec

EPS = float(np.finfo(float).eps)
INF = float("inf")

# Finite endpoints: magnitudes up to 1e6 (sums must not overflow; see the module docstring) and
# down to the smallest normals, so rounding of the block means is exercised at every scale.
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False)
rows4 = st.lists(finite, min_size=4, max_size=4)
# Rows with +-inf endpoints in which no +inf precedes a -inf (the projection exists).
extended = st.one_of(finite, st.just(INF), st.just(-INF))


def _ordered(x: np.ndarray) -> bool:
    return bool(np.all(np.diff(x, axis=-1) >= 0))


def _brute_force(y: list[float]) -> np.ndarray:
    """Isotonic regression of a short row by enumerating all block partitions (exact arithmetic).

    The projection onto the ordered cone is the block-mean vector of some partition into
    consecutive blocks; among the ordered candidates it is the closest one to ``y``.
    """
    n = len(y)
    q = [Fraction(v) for v in y]
    best, best_d = None, None
    for cuts in itertools.product((False, True), repeat=n - 1):
        bounds = [0] + [k + 1 for k, c in enumerate(cuts) if c] + [n]
        cand = []
        for i, j in zip(bounds[:-1], bounds[1:]):
            m = sum(q[i:j]) / (j - i)
            cand += [m] * (j - i)
        if all(a <= b for a, b in zip(cand, cand[1:])):
            d = sum((a - b) ** 2 for a, b in zip(cand, q))
            if best_d is None or d < best_d:
                best, best_d = cand, d
    return np.array([float(v) for v in best])


# Rounding budget: each output is one block mean computed with at most 3 rounded operations per
# added entry (m + (y - m)/len), i.e. within a few ulps of max|y|.  Measured worst case over 20000
# random rows (scales 1e-3..1e6, with ties) against the exact brute force: 0.85 eps max|y|; the
# tolerance is 8 eps max|y| (plus a few subnormals for rows near the underflow threshold).
def _tol(y) -> float:
    return 8.0 * EPS * float(np.max(np.abs(y))) + 4 * 5e-324


@given(rows4)
@example([3.0, 2.0, 1.0, 0.0])
@example([0.0, 3.0, 1.0, 2.0])
@example([1.0, 1.0, 1.0, 1.0])
@example([1.0 + 2**-52, 1.0 + 2**-52, 1.0 + 2**-52, 1.0])  # ties: the plain (a+b+c)/3 leaves them
def test_output_ordered_and_idempotent(y):
    x = project_ell(y)
    assert _ordered(x)
    assert np.array_equal(project_ell(x), x)


@given(rows4)
@example([1.0 + 2**-51, 1.0 + 2**-51, 1.0 + 2**-51, 1.5])
def test_ordered_input_unchanged(y):
    y = sorted(y)
    assert np.array_equal(project_ell(y), np.array(y))


@given(st.lists(extended, min_size=4, max_size=4).map(sorted))
@example([-INF, 0.0, 1.0, INF])
@example([-INF, -INF, -INF, INF])
def test_ordered_rows_with_infinite_endpoints_unchanged(y):
    assert np.array_equal(project_ell(y), np.array(y))


@given(rows4, st.lists(finite, min_size=4, max_size=4).map(sorted))
def test_variational_inequality(y, z):
    """Projection onto a closed convex set: <y - P(y), z - P(y)> <= 0 for every feasible z.

    The inner product is evaluated exactly (Fractions), so only the rounding of P(y) counts:
    a perturbation ``e`` of ``P(y)`` changes it by at most ``|e| (|y - P| + |z - P|)_1 + |e|^2``.
    """
    x = project_ell(y)
    q = [Fraction(v) for v in x]
    ip = sum((Fraction(a) - b) * (Fraction(c) - b) for a, b, c in zip(y, q, z))
    e = _tol(y + z)
    dist = float(np.sum(np.abs(np.subtract(y, x)))) + float(np.sum(np.abs(np.subtract(z, x))))
    slack = e * dist + 4 * e * e
    assert float(ip) <= slack


@given(rows4)
@example([3.0, 2.0, 1.0, 0.0])
@example([5.0, -5.0, 5.0, -5.0])
def test_matches_brute_force_and_scipy(y):
    x = project_ell(y)
    ref = _brute_force(y)
    np.testing.assert_allclose(x, ref, rtol=0, atol=_tol(y))
    sp = isotonic_regression(np.array(y)).x
    np.testing.assert_allclose(x, sp, rtol=0, atol=_tol(y))


@pytest.mark.parametrize("M", [1, 3, 4])
@given(data=st.data())
def test_other_M_match_brute_force(M, data):
    """``model=`` with ``M != 2``: the family PAV, with the optimality checks of ``M = 2``."""
    model = ModelSpec(K=3, M=M, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)))
    y = data.draw(st.lists(finite, min_size=2 * M, max_size=2 * M))
    z = sorted(data.draw(st.lists(finite, min_size=2 * M, max_size=2 * M)))
    x = project_ell(y, model=model)
    assert _ordered(x)
    assert np.array_equal(project_ell(x, model=model), x)
    np.testing.assert_allclose(x, _brute_force(y), rtol=0, atol=_tol(y))
    assert np.array_equal(project_ell(sorted(y), model=model), np.array(sorted(y)))
    q = [Fraction(v) for v in x]
    ip = sum((Fraction(a) - b) * (Fraction(c) - b) for a, b, c in zip(y, q, z))
    e = _tol(y + z)
    slack = (
        e * (float(np.sum(np.abs(np.subtract(y, x)))) + float(np.sum(np.abs(np.subtract(z, x))))) + 4 * e * e
    )
    assert float(ip) <= slack


def test_M2_models_use_project4_bitwise():
    """Any model with ``M = 2`` (here unequal weights) gives project4's bits; the family PAV
    equals project4 bitwise up to the sign of zero (tests/test_family_projection.py)."""
    rng = np.random.default_rng(5)
    y = rng.normal(size=(2000, 4)) * rng.choice([1e-3, 1.0, 1e3], size=(2000, 1))
    y[::9, 2] = y[::9, 1]
    ref = np.stack(project4(*(np.ascontiguousarray(c) for c in y.T)), axis=1)
    other = ModelSpec(K=2, M=2, weights=(Fraction(1, 3), Fraction(2, 3)), sigma=Fraction(1, 2))
    for model in (PAPER, other):
        assert np.array_equal(project_ell(y, model=model).view(np.int64), ref.view(np.int64))
    assert np.array_equal(project_rows(y) + 0.0, ref + 0.0)


def test_other_M_infinite_endpoints_and_errors():
    m3 = ModelSpec(K=2, M=3)
    assert np.array_equal(project_ell([INF, 0.0, 1.0, 2.0, 3.0, 4.0], model=m3), np.full(6, INF))
    with pytest.raises(ValueError, match="ell has \\+inf before -inf"):
        project_ell([0.0, INF, -INF, 1.0, 2.0, 3.0], model=m3)
    with pytest.raises(InputError, match="^ell must have shape \\(\\.\\.\\., 6\\)"):
        project_ell([0.0, 1.0, 2.0, 3.0], model=m3)
    for bad in ("K=3", None):
        with pytest.raises(InputError, match="^model must be a gmmsym.ModelSpec") as info:
            project_ell([0.0, 1.0, 2.0, 3.0], model=bad)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "row, expected",
    [
        ([INF, 0.0, 1.0, 2.0], [INF, INF, INF, INF]),
        ([-3.0, -INF, 1.0, 2.0], [-INF, -INF, 1.0, 2.0]),
        ([5.0, INF, -1.0, INF], [5.0, INF, INF, INF]),
        ([0.0, 1.0, 2.0, -INF], [-INF, -INF, -INF, -INF]),
        ([-INF, 2.0, 1.0, INF], [-INF, 1.5, 1.5, INF]),
    ],
)
def test_infinite_endpoints(row, expected):
    """Means of blocks with one kind of infinity are that infinity (limit with finite entries fixed)."""
    assert np.array_equal(project_ell(row), np.array(expected))


def test_plus_inf_before_minus_inf_is_rejected():
    with pytest.raises(ValueError, match="ell"):
        project_ell([[0.0, 1.0, 2.0, 3.0], [INF, -INF, 0.0, 1.0]])
    out = project4(*(np.array([v]) for v in (1.0, INF, 0.0, -INF)))
    assert all(np.isnan(v[0]) for v in out)


def test_batch_invariance_bitwise():
    rng = np.random.default_rng(7)
    y = rng.normal(size=(3000, 4)) * rng.choice([1e-3, 1.0, 1e3], size=(3000, 1))
    y[::7] = np.sort(y[::7], axis=1)
    y[::11, 1] = y[::11, 2]  # ties
    y[5, 0], y[6, 3] = -INF, INF
    full = project_ell(y)
    perm = rng.permutation(len(y))
    assert np.array_equal(project_ell(y[perm]), full[perm])
    for i in range(0, len(y), 97):
        assert np.array_equal(project_ell(y[i]), full[i])
    assert np.array_equal(project_ell(y[10:13]), full[10:13])
    # leading axes
    assert np.array_equal(project_ell(y.reshape(30, 100, 4)), full.reshape(30, 100, 4))


def test_project4_in_place_matches():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 500))
    expect = project4(*y)
    cols = [c.copy() for c in y]
    out = project4(*cols, out=tuple(cols))
    for a, b, c in zip(expect, out, cols):
        assert np.array_equal(a, b)
        assert b is c


@pytest.mark.parametrize(
    "bad, err",
    [
        ([0.0, 1.0, 2.0], ValueError),
        ([[0.0, 1.0, float("nan"), 2.0]], ValueError),
        (["a", "b", "c", "d"], TypeError),
        ([1j, 0, 0, 0], TypeError),
        (3.0, ValueError),
    ],
)
def test_bad_input(bad, err):
    with pytest.raises(err, match="ell"):
        project_ell(bad)
