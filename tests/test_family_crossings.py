"""gmmsym.discriminator.crossings: real zeros of p* - p_mu, any K, weights, sigma (docs/model.md section 3).

References: an mpmath evaluation of ``p* - p_mu`` at 50 digits (dense sign scan over the root
bounds, then bisection), the K = 2 solver of ``gmmsym.discriminator.optimal`` for the paper's model, and the
bound of at most 2K - 1 crossings.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from unittest import mock

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gmmsym.discriminator import crossings as fc
from gmmsym.discriminator.optimal import _crossings
from gmmsym.model.spec import PAPER, ModelSpec

EPS = float(np.finfo(float).eps)
K3 = ModelSpec(K=3, M=3, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=1)


def mp_crossings(mu, nu, spec: ModelSpec, grid: int = 600, dps: int = 50):
    """Sign changes of ``exp(y^2/2)(p* - p_mu)`` in mpmath: dense scan + bisection (x units).

    The scan reaches the root bound ``|y| ~ 80 / gap`` (up to 1e300); ``dps`` digits are kept in
    the exponents ``a y`` there by working with ``dps + log10(|y| max|a|)`` digits (with 50
    digits flat, exponents ~1e72 lost all accuracy and the scan reported 20 crossings, K = 3).
    """
    ys_f = [float(v) / float(spec.sigma) for v in (*mu, *nu)]
    gaps_f = [abs(p - q) for p in ys_f for q in ys_f if p != q]
    with np.errstate(divide="ignore", over="ignore"):
        half_f = min(40 + 2 * max(map(abs, ys_f)) + (80 / min(gaps_f) if gaps_f else 0), 1e300)
    extra = max(0, int(np.ceil(np.log10(half_f * (1 + max(map(abs, ys_f)))))))
    with mpmath.workdps(dps + extra):
        s = mpmath.mpf(float(spec.sigma))
        ws = [
            mpmath.mpf(w.numerator) / w.denominator if isinstance(w, Fraction) else mpmath.mpf(w)
            for w in spec.weights
        ]
        a_nu = [mpmath.mpf(v) / s for v in nu]
        a_mu = [mpmath.mpf(v) / s for v in mu]
        # Pair each generator term with a true term of equal weight (closest pairs first):
        # w (e^{t_n} - e^{t_m}) = w e^{t_m} expm1((n - m)(y - (n + m)/2)) is exact algebra and keeps
        # a small relative error where n and m nearly cancel.
        k = len(ws)
        perms = [p for p in itertools.permutations(range(k)) if all(ws[p[i]] == ws[i] for i in range(k))]
        perm = min(perms, key=lambda p: sorted(abs(a_mu[i] - a_nu[p[i]]) for i in range(k)))
        pairs = [(ws[i], a_nu[perm[i]], a_mu[i]) for i in range(k)]
        terms = [(w, n) for w, n, _ in pairs] + [(-w, m) for w, _, m in pairs]

        def f(y):
            return mpmath.fsum(
                w * mpmath.exp(m * y - m * m / 2) * mpmath.expm1((n - m) * (y - (n + m) / 2))
                for w, n, m in pairs
            )

        amax = max(abs(a) for _, a in terms)
        span = [a for _, a in terms]
        gaps = [abs(p - q) for p in span for q in span if p != q]
        half = min(40 + 2 * amax + (80 / min(gaps) if gaps else 0), mpmath.mpf("1e300"))
        # uniform near the means, log-spaced out to the root bound and down to 1e-300: roots
        # live on very different scales (e.g. (mu + nu)/2 ~ 1e-175 next to a root at 1e9)
        near = [-20 + 40 * mpmath.mpf(i) / grid for i in range(grid + 1)]
        logs = [
            mpmath.power(10, -300 + (mpmath.log10(half) + 300) * mpmath.mpf(i) / grid)
            for i in range(grid + 1)
        ]
        ys = sorted(set(near + logs + [-v for v in logs]))
        vals = [f(y) for y in ys]
        if all(v == 0 for v in vals):
            return None  # p* == p_mu
        roots = []
        for i in range(len(ys) - 1):
            if vals[i] == 0 and 0 < i and vals[i - 1] * vals[i + 1] < 0:
                roots.append(ys[i])
            if vals[i] * vals[i + 1] < 0:
                lo, hi, slo = ys[i], ys[i + 1], mpmath.sign(vals[i])
                for _ in range(200):
                    mid = (lo + hi) / 2
                    if mpmath.sign(f(mid)) == slo:
                        lo = mid
                    else:
                        hi = mid
                roots.append((lo + hi) / 2)
        # float64 resolution of each root: rounding noise of phi = log P - log N over |phi'|
        out = []
        for r in roots:
            pos = mpmath.fsum(w * mpmath.exp(n * r - n * n / 2) for w, n, _ in pairs)
            dval = mpmath.fsum(
                w
                * mpmath.exp(m * r - m * m / 2)
                * (
                    m * mpmath.expm1((n - m) * (r - (n + m) / 2))
                    + (n - m) * mpmath.exp((n - m) * (r - (n + m) / 2))
                )
                for w, n, m in pairs
            )
            noise = 4 * EPS * (abs(r) * amax + max(a * a / 2 for _, a in terms) + 2)
            out.append((float(r * s), float(noise / abs(dval / pos) * s)))
        return out


def ours(mu, nu, spec):
    x, count, sm, _, _ = fc.crossings(fc.exponential_sum(np.atleast_2d(mu), np.atleast_2d(nu), spec))
    return x[:, 0], int(count[0]), sm


def _tol(ref):
    """4 float64 resolutions of the crossing (noise of phi over |phi'|, from mpmath); measured max 0.11."""
    x, resolution = ref
    return 4 * resolution + 4 * EPS * abs(x)


means = st.floats(min_value=-6, max_value=6, allow_nan=False)


@st.composite
def instances(draw):
    spec = draw(
        st.sampled_from([PAPER, K3, ModelSpec(K=2, M=2, weights=(Fraction(1, 3), Fraction(2, 3)), sigma=0.5)])
    )
    nu = [draw(means) for _ in range(spec.K)]
    mu = [draw(means) for _ in range(spec.K)]
    kind = draw(st.sampled_from(["free", "near", "equal", "far"]))
    i, j = draw(st.integers(0, spec.K - 1)), draw(st.integers(0, spec.K - 1))
    if kind == "near":
        mu[i] = nu[j] + draw(st.sampled_from([1e-9, -1e-6, 1e-4]))
    elif kind == "equal":
        mu[i] = nu[j]
    elif kind == "far":
        mu[i] = draw(st.sampled_from([40.0, -35.0]))
    return np.array(mu), np.array(nu), spec


@settings(max_examples=25)
@given(instances())
@example((np.array([0.0, 1.0]), np.array([0.0, 1.0 + 1e-9]), PAPER))
@example((np.array([-30.0, 30.0]), np.array([-0.5, 0.5]), PAPER))
@example((np.array([0.3, 0.3, -1.0]), np.array([0.0, 1.0, 0.31]), K3))
# nearly cancelling tiny means: a step aside from an unresolved separator used to jump past
# the neighbouring separator and bring back a sign from beyond it (two spurious crossings)
@example((np.array([1e-9, 0.0]), np.array([1.7e-121, 1.0]), PAPER))
# K = 3, a tiny mean cancelling against 0 (found by tests/test_optimal_mp_models.py): the
# separator at y ~ -404 is unresolved with |phi'| ~ 1e-176; 3 crossings where 1 (at 1.5) is right
@example((np.array([0.0, 1.0, 1.0]), np.array([3.3e-176, 1.0, 2.0]), K3))
# a near pair deciding a far crossing (found by tests/test_optimal_mp_models.py, seed 12): as two
# terms the sum is rounding below x ~ -16.7 and the crossing at -213.8 was reported there
@example((np.array([0.0, 1.0, 3.0]), np.array([2.2700647478164142e-189, 1.0, 2.0]), K3))
# a separator (a lone pair's zero, 4e57) an ulp beyond a crossing, where phi is infinite: its
# resolved sign hid both crossings (found by tests/test_optimal_mp_models.py, CI profile)
@example(
    (
        np.array([1.0, -8.677975116447453e-59, -8.677975116447453e-59]),
        np.array([-1.0, 0.0, 1.0]),
        ModelSpec(K=3, M=1, weights=(Fraction(1, 3),) * 3, sigma=Fraction(1, 2)),
    )
)
# three nearly equal exponents, one pair: far from the pair's own zero (|t| = 8.7e21 at the
# crossing 4.9e73) the pair form rounded its exponent by 2e6 and lost both crossings (seed 14)
@example(
    (
        np.array([0.0, -3.51023483e-75]),
        np.array([-4.36889612e-53, 0.0]),
        ModelSpec(K=2, M=2, weights=(Fraction(1, 3), Fraction(2, 3)), sigma=Fraction(1, 2)),
    )
)
# a crossing beyond an unresolved stretch (resolution 3e228): the end sign at +inf decides
@example((np.array([0.0, -2.64755025]), np.array([-1.44855612, -5.26892265e-244]), PAPER))
# root bound ~3e77 (gap 2.5e-76): the reference needs ~130 digits there (see mp_crossings)
@example(
    (
        np.array([-4.41016170e000, 2.22507386e-309, -1.96073510e000]),
        np.array([2.45964658e-76, 2.03320558e00, -4.41016170e00]),
        K3,
    )
)
def test_matches_mpmath(inst):
    mu, nu, spec = inst
    x, count, _ = ours(mu, nu, spec)
    ref = mp_crossings(mu, nu, spec)
    if ref is None:
        assert count == -1 and np.isnan(x).all()
        return
    assert count == len(ref), (x, ref)
    assert count <= 2 * spec.K - 1
    for got, want in zip(x[:count], ref):
        assert abs(got - want[0]) <= _tol(want), (got, want)


def test_paper_model_agrees_with_k2_solver():
    rng = np.random.default_rng(4)
    n = 20000
    mu = rng.uniform(-3, 3, (n, 2))
    nu = rng.uniform(-3, 3, (n, 2))
    mu[:500, 0] = nu[:500, 1]  # exact cancellation
    mu[500:1000, 1] = nu[500:1000, 0] + 1e-7  # near cancellation
    mu[1000:1100] = nu[1000:1100, ::-1]  # mu = nu up to swap
    x, count, sm, _, _ = fc.crossings(fc.exponential_sum(mu, nu))
    with np.errstate(all="ignore"):
        x1, x2, x3, cnt, smr = _crossings(
            *(np.ascontiguousarray(v) for v in (mu[:, 0], mu[:, 1], nu[:, 0], nu[:, 1]))
        )
    assert np.array_equal(count, cnt)
    ok = cnt > 0
    assert np.array_equal(sm[ok], smr[ok])
    ref = np.stack([x1, x2, x3])
    diff = np.where(np.isnan(ref), 0.0, np.abs(x - ref))[:, ok]
    # measured: 6.8e-14 (1 + |x|) worst (a pair just above PAIR_GAP, in two-term form), 2.2e-14
    # on the rows with a pair below it (evaluated in pair form, see the module docstring; as
    # two terms they were off by up to 2.7e-11).  Bound: 3e-13 (1 + |x|), 4.4x.
    bound = 3e-13 * (1 + np.abs(np.where(np.isnan(ref), 0.0, ref)[:, ok]))
    assert (diff <= bound).all()


def test_batch_invariance_bitwise():
    rng = np.random.default_rng(8)
    mu, nu = rng.normal(size=(3000, 3)), rng.normal(size=(3000, 3))
    full = fc.crossings(fc.exponential_sum(mu, nu, K3))[0]
    perm = rng.permutation(3000)
    again = fc.crossings(fc.exponential_sum(mu[perm], nu[perm], K3))[0]
    assert np.array_equal(again, full[:, perm], equal_nan=True)
    one = fc.crossings(fc.exponential_sum(mu[5:6], nu[5:6], K3))[0]
    assert np.array_equal(one[:, 0], full[:, 5], equal_nan=True)


def test_identical_mixtures_have_no_crossings():
    mu = np.array([[0.2, -1.0, 3.0]])
    x, count, sm, _, _ = fc.crossings(
        fc.exponential_sum(mu, mu[:, [1, 0, 2]], ModelSpec(K=3, weights=(Fraction(1, 3),) * 3))
    )
    assert count[0] == -1 and np.isnan(x).all() and sm[0] == 0


def test_fails_when_rolle_separators_are_dropped():
    """Without the separators of the next level, three crossings collapse to one: the test sees it."""
    mu, nu = np.array([1.4, -1.9]), np.array([-1.2, 1.6])  # interleaved: three crossings
    assert ours(mu, nu, PAPER)[1] == len(mp_crossings(mu, nu, PAPER)) == 3
    real = fc.level_zeros

    def no_seps(lev, scale, seps, guess=None, **kw):
        return real(lev, scale, np.full((0, seps.shape[1]), np.nan), None, **kw)

    with mock.patch.object(fc, "level_zeros", no_seps):
        assert ours(mu, nu, PAPER)[1] != 3


def test_near_pair_is_resolved_in_pair_form():
    """mu_1 = 0 against nu_1 = 2.3e-189 decides the crossing at -213.8 (module docstring, "Near
    pairs"); as two terms the sum is rounding below x ~ -16.7, and the crossing was put there."""
    mu, nu = np.array([0.0, 1.0, 3.0]), np.array([2.2700647478164142e-189, 1.0, 2.0])
    x, count, _ = ours(mu, nu, K3)
    ref = mp_crossings(mu, nu, K3)
    assert count == len(ref) == 2
    for got, want in zip(x[:count], ref):  # measured: 0.60 and 0.57 (1 + |x|) eps
        assert abs(got - want[0]) <= 4 * EPS * (1 + abs(want[0])), (got, want)


@pytest.mark.parametrize("shift", [1e-12, 1e-8])
def test_nearly_coincident_means(shift):
    mu, nu = np.array([0.0, 1.0 + shift]), np.array([0.0 + shift, 1.0])
    x, count, _ = ours(mu, nu, PAPER)
    ref = mp_crossings(mu, nu, PAPER)
    assert count == len(ref)
    for got, want in zip(x[:count], ref):
        assert abs(got - want[0]) <= _tol(want)
