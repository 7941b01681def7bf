"""Certified references (gmmsym.references.certified) against independent mpmath evaluations.

The mpmath side evaluates docs/model.md section 2 literally (``mpmath.ncdf``/``npdf`` of
``(endpoint - mean) / sigma``, no tail rewriting) at ``MP_DPS`` digits, so it shares no code
with the flint path.  Its absolute error is below ``MP_TOL`` (justified below), far below the
smallest subnormal, so it decides containment and correct rounding for every sampled point.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import arb, ctx, fmpq
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.references import certified

# The literal formula adds at most 4 M K + 1 = 17 terms of magnitude <= 1, each evaluated by
# mpmath with a relative error of a few units in 10**-MP_DPS; 10**-(MP_DPS - 5) bounds the sum's
# error with a wide margin and is still ~10**-70 times the smallest subnormal (4.9e-324).
MP_DPS = 400
MP_TOL = mpmath.mpf(10) ** -(MP_DPS - 5)

INF = math.inf


# ---------------------------------------------------------------------------------------------
# independent mpmath model


def _mp_cdf(x: float, m: float, sigma) -> mpmath.mpf:
    if math.isinf(x):
        return mpmath.mpf(1 if x > 0 else 0)
    return mpmath.ncdf((mpmath.mpf(x) - mpmath.mpf(m)) / sigma)


def _mp_pdf(x: float, m: float, sigma) -> mpmath.mpf:
    if math.isinf(x):
        return mpmath.mpf(0)
    return mpmath.npdf((mpmath.mpf(x) - mpmath.mpf(m)) / sigma) / sigma


def _mp_sigma_w(spec: ModelSpec):
    s = Fraction(spec.sigma)
    sigma = mpmath.mpf(s.numerator) / s.denominator
    w = [mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in spec.weights]
    return sigma, w


def mp_advantage(mu, ell, nu, spec: ModelSpec = PAPER):
    sigma, w = _mp_sigma_w(spec)
    total = mpmath.mpf(0)
    for j in range(spec.M):
        l, r = ell[2 * j], ell[2 * j + 1]
        for i in range(spec.K):
            total += w[i] * (
                _mp_cdf(r, nu[i], sigma)
                - _mp_cdf(l, nu[i], sigma)
                - _mp_cdf(r, mu[i], sigma)
                + _mp_cdf(l, mu[i], sigma)
            )
    return total


def mp_density_gap(x, mu, nu, spec: ModelSpec = PAPER):
    sigma, w = _mp_sigma_w(spec)
    return sum(w[i] * (_mp_pdf(x, nu[i], sigma) - _mp_pdf(x, mu[i], sigma)) for i in range(spec.K))


def mp_gradients(mu, ell, nu, spec: ModelSpec = PAPER):
    sigma, w = _mp_sigma_w(spec)
    dmu = [
        w[i]
        * sum(
            _mp_pdf(ell[2 * j + 1], mu[i], sigma) - _mp_pdf(ell[2 * j], mu[i], sigma) for j in range(spec.M)
        )
        for i in range(spec.K)
    ]
    dell = [(1 if k % 2 else -1) * mp_density_gap(x, mu, nu, spec) for k, x in enumerate(ell)]
    return dmu, dell


def _to_mp(ball: arb) -> tuple[mpmath.mpf, mpmath.mpf]:
    m, e = ball.mid().man_exp()
    r, re_ = ball.rad().man_exp()
    return mpmath.ldexp(mpmath.mpf(int(m)), int(e)), mpmath.ldexp(mpmath.mpf(int(r)), int(re_))


def assert_contains(ball: arb, value: mpmath.mpf) -> None:
    mid, rad = _to_mp(ball)
    assert abs(mid - value) <= rad + MP_TOL, (ball, mpmath.nstr(value, 30))


def assert_nearest(r: float, value: mpmath.mpf) -> None:
    """``r`` is a float64 nearest to ``value`` (between the midpoints to its neighbours)."""
    assert math.isfinite(r)
    lo = (mpmath.mpf(np.nextafter(r, -INF)) + mpmath.mpf(r)) / 2
    hi = (mpmath.mpf(np.nextafter(r, INF)) + mpmath.mpf(r)) / 2
    assert lo - MP_TOL <= value <= hi + MP_TOL, (r, mpmath.nstr(value, 30))
    # Not within MP_TOL of a tie (then the check above would be undecided).
    assert min(abs(value - lo), abs(value - hi)) > MP_TOL or lo < value < hi


# ---------------------------------------------------------------------------------------------
# strategies


@st.composite
def model_points(draw, amax: float = 38.0):
    """Means near a centre, endpoints up to ~amax away (both tails), optional infs/collapses."""
    c = draw(st.floats(-3, 3))
    means = [c + draw(st.floats(-1, 1)) for _ in range(4)]
    offs = sorted(draw(st.lists(st.floats(-(amax - 1), amax - 1), min_size=4, max_size=4)))
    tail = draw(st.sampled_from(["none", "right", "left"]))
    if tail != "none":  # all four ends deep in one tail, like (m + 30, m + 30.5)
        base = draw(st.floats(3, amax - 3))
        offs = sorted(base + d for d in draw(st.lists(st.floats(0, 2), min_size=4, max_size=4)))
        if tail == "left":
            offs = sorted(-d for d in offs)
    ell = [c + d for d in offs]
    if draw(st.booleans()):
        ell[0] = -INF
    if draw(st.booleans()):
        ell[3] = INF
    if draw(st.booleans()):
        ell[1] = ell[0]
    mu, nu = means[:2], means[2:]
    if draw(st.integers(0, 9)) == 0:
        mu = list(nu)
    x = c + draw(st.floats(-(amax - 1), amax - 1))
    return mu, ell, nu, x


# ---------------------------------------------------------------------------------------------
# exact rounding primitive


def _nearest_even_ok(man: int, exp: int) -> None:
    r = certified.dyadic_to_float(man, exp)
    v = Fraction(man) * Fraction(2) ** exp
    if math.isinf(r):
        assert abs(v) >= Fraction(2) ** 1024 - Fraction(2) ** 970  # at or past the overflow tie
        return
    if r == 0:
        assert math.copysign(1.0, r) == math.copysign(1.0, man)
    d0 = abs(Fraction(r) - v)
    for nb in (np.nextafter(r, -INF), np.nextafter(r, INF)):
        if math.isinf(nb):  # r is the largest double; beyond the overflow tie is covered above
            continue
        d1 = abs(Fraction(float(nb)) - v)
        assert d0 <= d1, (man, exp, r, nb)
        if d0 == d1:  # tie: r has an even significand
            assert _significand(r) % 2 == 0, (man, exp, r)


def _significand(r: float) -> int:
    """Integer significand of ``r``: ``r / ulp(r)`` with ``ulp = 2**max(e - 53, -1074)``."""
    q = Fraction(r) / Fraction(2) ** max(math.frexp(r)[1] - 53, -1074)
    assert q.denominator == 1
    return q.numerator


@given(st.integers(-(2**80), 2**80), st.integers(-1250, 60))
@settings(max_examples=300, deadline=None)
@pytest.mark.filterwarnings("ignore:overflow encountered in nextafter")
@example(1, -1075)  # half the smallest subnormal: tie -> +0.0
@example(-1, -1075)
@example(3, -1076)  # 0.75 * 2**-1074 -> 2**-1074
@example(2**53 + 1, 0)  # tie -> 2**53
@example(2**53 + 3, 0)  # tie -> 2**53 + 4
@example(2**53 - 1, -1075)  # largest subnormal region, rounds up to 2**-1022 boundary
@example(2**53 - 1, 971)  # largest double
@example(2**54 - 1, 970)  # at the overflow tie -> inf
def test_dyadic_to_float_is_nearest_even(man, exp):
    _nearest_even_ok(man, exp)


def test_dyadic_to_float_known_values():
    assert certified.dyadic_to_float(1, -1075) == 0.0
    assert certified.dyadic_to_float(3, -1076) == 5e-324
    assert certified.dyadic_to_float(2**53 + 1, 0) == 2.0**53
    assert certified.dyadic_to_float(2**53 + 3, 0) == 2.0**53 + 4
    assert math.copysign(1, certified.dyadic_to_float(-1, -2000)) == -1
    assert certified.dyadic_to_float(1, 1024) == INF


def test_ball_to_float_undecided_and_rounding_error():
    """A ball around a tie never decides; correctly_rounded gives up with RoundingError."""
    tie = fmpq(2**53 + 1, 2**53)  # 1 + 2**-53: midway between 1 and 1 + 2**-52

    def around_tie(*, prec):
        with ctx.workprec(prec):
            return arb(tie) + arb(0, 2.0**-prec)

    assert certified.ball_to_float(around_tie(prec=200)) is None
    with pytest.raises(certified.RoundingError):
        certified.correctly_rounded(around_tie, max_prec=512)

    # Just above the tie: decided once the radius is small enough.
    def above(*, prec):
        with ctx.workprec(prec):
            return arb(tie) + arb(2) ** -300 + arb(0, 2.0**-prec)

    assert certified.correctly_rounded(above) == 1.0 + 2.0**-52


# ---------------------------------------------------------------------------------------------
# balls and rounding against mpmath


@given(model_points())
@settings(deadline=None)  # example count from the profile (tests/conftest.py)
@example(((0.0, 0.0), (30.0, 30.5, 31.0, 31.5), (-0.5, 0.5), 30.25))
@example(((0.3, -0.7), (-INF, -38.0, 37.5, INF), (-0.5, 0.5), -38.5))
def test_balls_contain_mpmath_and_round_correctly(point):
    mu, ell, nu, x = point
    with mpmath.workdps(MP_DPS):
        adv = mp_advantage(mu, ell, nu)
        gap = mp_density_gap(x, mu, nu)
        dmu, dell = mp_gradients(mu, ell, nu)
        checks = [
            (certified.objective_ball(mu, ell, nu), certified.objective(mu, ell, nu), 1 + adv),
            (certified.advantage_ball(mu, ell, nu), certified.advantage(mu, ell, nu), adv),
            (certified.density_gap_ball(x, mu, nu), certified.density_gap(x, mu, nu), gap),
        ]
        gb = certified.gradients_ball(mu, ell, nu)
        gr = certified.gradients(mu, ell, nu)
        for k in range(2):
            checks.append((gb[0][k], gr[0][k], dmu[k]))
        for k in range(4):
            checks.append((gb[1][k], gr[1][k], dell[k]))
        for ball, rounded, value in checks:
            assert_contains(ball, value)
            assert_nearest(rounded, value)


@pytest.mark.parametrize("t", [-38.0, -37.5, -30.0, -8.3, -1.0, 0.0, 0.5, 9.0, 39.0])
def test_normal_cdf_correctly_rounded(t):
    r = certified.correctly_rounded(certified.normal_cdf_ball, t)
    with mpmath.workdps(MP_DPS):
        assert_nearest(r, mpmath.ncdf(t))


def test_subnormal_and_underflowing_results():
    r = certified.correctly_rounded(certified.normal_cdf_ball, -38.0)
    assert 0 < r < 2.2250738585072014e-308  # Phi(-38) ~ 2.885e-316 is subnormal
    # The same subnormal out of the model: mass of (-inf, -38] under nu = 0 minus ~Phi(-138).
    adv = certified.advantage((100.0, 100.0), (-INF, -38.0, -38.0, -38.0), (0.0, 0.0))
    gap = certified.density_gap(38.5, (100.0, 100.0), (0.0, 0.0))
    under = certified.correctly_rounded(certified.normal_cdf_ball, -40.0)
    with mpmath.workdps(MP_DPS):
        assert_nearest(r, mpmath.ncdf(-38))
        assert_nearest(adv, mp_advantage((100.0, 100.0), (-INF, -38.0, -38.0, -38.0), (0.0, 0.0)))
        assert_nearest(gap, mp_density_gap(38.5, (100.0, 100.0), (0.0, 0.0)))
        assert 0 < gap < 2.2250738585072014e-308
        assert_nearest(under, mpmath.ncdf(-40))
    assert under == 0.0


def test_same_tail_mass_uses_small_side():
    """Phi(b) - Phi(a) deep in one tail: decided at the first precision, equal to Q(a) - Q(b)."""
    e = certified.normal_mass_expansion(30.0, 30.5)
    assert e.constant == 0 and len(e.tails) == 2
    ball = e.ball(certified.DEFAULT_PREC)
    assert certified.ball_to_float(ball) is not None
    with mpmath.workdps(MP_DPS):
        assert_nearest(e.rounded(), mpmath.ncdf(-30) - mpmath.ncdf(-30.5))


# ---------------------------------------------------------------------------------------------
# exact structure


def test_structural_zeros_are_exact():
    nu = (-0.5, 0.5)
    ell = (-1.0, 0.2, 0.5, 1.7)
    for mu in (nu, nu[::-1]):
        ball = certified.advantage_ball(mu, ell, nu)
        assert ball.is_exact() and ball.is_zero()
        dmu, dell = certified.gradients_ball(mu, ell, nu)
        assert all(b.is_exact() and b.is_zero() for b in dell)
        assert certified.density_gap_ball(0.3, mu, nu).is_zero()
    collapsed = certified.advantage_ball((0.3, -0.7), (1.0, 1.0, 2.0, 2.0), nu)
    assert collapsed.is_exact() and collapsed.is_zero()
    assert certified.objective((0.3, -0.7), (-INF, INF, INF, INF), nu) == 1.0
    assert certified.advantage((0.3, -0.7), (-INF, -INF, -INF, INF), nu) == 0.0
    assert certified.gradients((0.3, -0.7), (-INF, -INF, INF, INF), nu) == ((0.0, 0.0), (0.0,) * 4)


def test_term_scale_and_max_arg():
    mu, nu = (0.0, 1.0), (2.0, 3.0)
    ell = (-INF, 0.5, 4.0, 4.0)
    e = certified.advantage_expansion(mu, ell, nu)
    args = [0.5 - m for m in (2.0, 3.0, 0.0, 1.0)] + [4.0 - m for m in (2.0, 3.0, 0.0, 1.0)] * 2
    # Net integer part: only -w Phi(r1 - mu1), r1 - mu1 = 0.5 > 0, is not cancelled: n = -1/2.
    assert e.constant == fmpq(-1, 2)
    s = 0.5 + sum(0.5 * mpmath.ncdf(-abs(t)) for t in args)
    assert e.max_arg == 4.0
    assert abs(e.scale - float(s)) <= 1e-14 * float(s)  # float64 sum of 17 terms: ~1e-15
    o = certified.objective_expansion(mu, ell, nu)
    assert abs(o.scale - (1 + float(s))) <= 1e-14
    # Same-side arguments only: the integer parts cancel and S is the sum of the tails alone.
    t = certified.advantage_expansion((0.0, 1.0), (5.0, 6.0, 7.0, INF), (0.5, 0.25))
    assert t.constant == 0
    st_ = sum(0.5 * mpmath.ncdf(-abs(x - m)) for x in (5.0, 6.0, 7.0) for m in (0.0, 1.0, 0.5, 0.25))
    assert abs(t.scale - float(st_)) <= 1e-14 * float(st_)
    g = certified.density_gap_expansion(1.5, mu, nu)
    sg = sum(0.5 * mpmath.npdf(1.5 - m) for m in (*mu, *nu))
    assert abs(g.scale - float(sg)) <= 1e-14 * float(sg) and g.max_arg == 1.5


# ---------------------------------------------------------------------------------------------
# other specs, gradient formulas, validation


SPEC3 = ModelSpec(K=3, M=1, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=Fraction(1, 2))


@given(
    st.lists(st.floats(-3, 3), min_size=3, max_size=3),
    st.lists(st.floats(-3, 3), min_size=3, max_size=3),
    st.lists(st.floats(-12, 12), min_size=2, max_size=2),
    st.floats(-12, 12),
)
@settings(deadline=None)
def test_general_spec_matches_mpmath(mu, nu, ends, x):
    ell = sorted(ends)
    with mpmath.workdps(MP_DPS):
        assert_nearest(certified.advantage(mu, ell, nu, model=SPEC3), mp_advantage(mu, ell, nu, SPEC3))
        assert_nearest(certified.density_gap(x, mu, nu, model=SPEC3), mp_density_gap(x, mu, nu, SPEC3))
        dmu, dell = certified.gradients(mu, ell, nu, model=SPEC3)
        mdmu, mdell = mp_gradients(mu, ell, nu, SPEC3)
        for r, v in zip((*dmu, *dell), (*mdmu, *mdell), strict=True):
            assert_nearest(r, v)


@pytest.mark.parametrize("spec", [PAPER, SPEC3], ids=["paper", "k3m1"])
def test_gradients_are_derivatives_of_the_objective(spec):
    """Certified gradients equal mpmath.diff of the literal objective (independent of the formulas)."""
    rng = np.random.default_rng(7)
    K, M = spec.K, spec.M
    mu = list(rng.uniform(-1, 1, K))
    nu = list(rng.uniform(-1, 1, K))
    ell = sorted(rng.uniform(-2.5, 2.5, 2 * M))
    dmu, dell = certified.gradients(mu, ell, nu, model=spec)
    with mpmath.workdps(60):
        for i in range(K):

            def f_mu(t, i=i):
                m = list(mu)
                m[i] = t
                return mp_advantage(m, ell, nu, spec)

            d = mpmath.diff(f_mu, mpmath.mpf(mu[i]))
            assert abs(d - dmu[i]) <= 1e-15 * (1 + abs(d))  # refs are rounded to 53 bits
        for k in range(2 * M):

            def f_ell(t, k=k):
                e = list(ell)
                e[k] = t
                return mp_advantage(mu, e, nu, spec)

            d = mpmath.diff(f_ell, mpmath.mpf(ell[k]))
            assert abs(d - dell[k]) <= 1e-15 * (1 + abs(d))


def test_input_validation_names_the_argument():
    nu = (-0.5, 0.5)
    with pytest.raises(ValueError, match="ell"):
        certified.advantage((0.0, 1.0), (1.0, 0.0, 2.0, 3.0), nu)
    with pytest.raises(ValueError, match="mu"):
        certified.objective((math.nan, 1.0), (0.0, 1.0, 2.0, 3.0), nu)
    with pytest.raises(ValueError, match="nu"):
        certified.objective((0.0, 1.0), (0.0, 1.0, 2.0, 3.0), (INF, 0.0))
    with pytest.raises(ValueError, match="mu"):
        certified.gradients([[0.0, 1.0]], (0.0, 1.0, 2.0, 3.0), nu)
    with pytest.raises(TypeError, match="x"):
        certified.density_gap("0.5", (0.0, 1.0), nu)
    with pytest.raises(TypeError, match="model"):
        certified.objective((0.0, 1.0), (0.0, 1.0, 2.0, 3.0), nu, model="paper")
    with pytest.raises(ValueError, match="prec"):
        certified.objective_ball((0.0, 1.0), (0.0, 1.0, 2.0, 3.0), nu, prec=1)


def test_correctly_rounded_keeps_structure():
    mu, ell, nu = (0.3, -0.7), (-1.0, 0.2, 0.5, 1.7), (-0.5, 0.5)
    grads = certified.correctly_rounded(certified.gradients_ball, mu, ell, nu)
    assert grads == certified.gradients(mu, ell, nu)
    obj = certified.correctly_rounded(certified.objective_ball, mu, ell, nu, prec=64)
    assert obj == certified.objective(mu, ell, nu)
