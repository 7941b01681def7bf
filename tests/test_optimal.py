"""Tests of the optimal discriminator, TV distance and TV gradient (docs/model.md section 3).

References: :mod:`gmmsym.discriminator.optimal_mp` at 50 digits and the certified balls of
:mod:`gmmsym.references.certified_roots` (python-flint).  Error budgets are relative to a condition number
of the crossing ``x`` of the exponential sum ``g(x) = sum_k c_k e^{a_k x}`` (docs/model.md section 3):

    cond(x) = sum_k |c_k e^{a_k x}| (1 + |a_k x| + a_k^2/2) / |g'(x)|

(relative rounding of each term's exponent ``a_k x - a_k^2/2`` and value, divided by the slope).
Measured over 4500 random cases (means up to 50, with mu close to nu, to swapped nu, mu1 close to
mu2, nu1 close to nu2, mu1 close to nu2; 1e-15..1e-1 apart): max |x - x_mp| = 0.64 eps cond(x),
max |g(x)| = 0.64 eps sum_k |c_k e^{a_k x}| (1 + |a_k x| + a_k^2/2), max |TV - TV_mp| = 1.22 eps;
|grad - grad_mp| exceeds the error propagated from the crossings (see ``_grad_tol``) by at most
0.1 eps over 3000 cases.  The tolerances below are 8 times the measured constants (for the
gradient 8 times 1.2 eps, the rounding of its four pdf terms of size <= 0.4).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from flint import arb, ctx
from hypothesis import example, given
from hypothesis import strategies as st

import gmmsym
from gmmsym.discriminator import optimal_mp
from gmmsym.discriminator.optimal import optimal_discriminator, optimal_endpoints, tv_distance, tv_gradient
from gmmsym.kernels.float64 import advantage
from gmmsym.references.certified_roots import certified_crossings

EPS = float(np.finfo(float).eps)
ROOT_TOL = 8 * 0.64  # in units of eps * cond
RESID_TOL = 8 * 0.64  # in units of eps * term scale
TV_TOL = 8 * 1.22 * EPS  # absolute (TV <= 1)
GRAD_TOL = 8 * 1.2 * EPS  # absolute (|grad| <= 1/sqrt(2 pi))


@st.composite
def mean_pairs(draw):
    """(mu, nu) with means up to 50 and near-degenerate configurations."""
    r = draw(st.sampled_from([1.0, 3.0, 10.0, 50.0]))
    # Nonzero means below 1e-6 in magnitude are snapped to 0: next to O(1) means they put crossings
    # near 1e200 (pinned as explicit examples below); they are not a regime of the model.
    f = st.floats(-r, r, allow_nan=False, allow_infinity=False).map(lambda v: 0.0 if abs(v) < 1e-6 else v)
    nu = [draw(f), draw(f)]
    mu = [draw(f), draw(f)]
    kind = draw(st.sampled_from(["free", "mu~nu", "mu~swap", "mu1~mu2", "nu1~nu2", "mu1~nu2"]))
    eps = 10.0 ** draw(st.floats(-15, -1))
    s1, s2 = draw(st.sampled_from([-1.0, 1.0])), draw(st.sampled_from([-1.0, 1.0]))
    if kind == "mu~nu":
        mu = [nu[0] + s1 * eps * max(1.0, abs(nu[0])), nu[1] + s2 * eps * max(1.0, abs(nu[1]))]
    elif kind == "mu~swap":
        mu = [nu[1] + s1 * eps, nu[0] + s2 * eps]
    elif kind == "mu1~mu2":
        mu[1] = mu[0] + s1 * eps
    elif kind == "nu1~nu2":
        nu[1] = nu[0] + s1 * eps
    elif kind == "mu1~nu2":
        mu[0] = nu[1] + s1 * eps
    return tuple(mu), tuple(nu)


def _terms(mu, nu):
    """Merged terms (a_k, c_k) of g at the current mpmath precision."""
    return optimal_mp._terms([mpmath.mpf(v) for v in mu], [mpmath.mpf(v) for v in nu])


def _scale(terms, x):
    return mpmath.fsum(abs(c) * mpmath.exp(a * x) * (1 + abs(a * x) + a * a / 2) for a, c in terms)


def _cond(terms, x):
    return _scale(terms, x) / abs(mpmath.fsum(c * a * mpmath.exp(a * x) for a, c in terms))


def _dist(x, ball) -> float:
    """Upper bound of the distance from ``x`` (float or mpf) to the ball, at 256 bits."""
    with ctx.workprec(256):
        return float(abs(arb(mpmath.nstr(x, 80) if isinstance(x, mpmath.mpf) else x) - ball).upper())


def _crossings(ell: np.ndarray) -> list[float]:
    return sorted({float(v) for v in ell if np.isfinite(v)})


# --------------------------------------------------------------------------------------------
# crossings: zeros of p* - p_mu, agreement with mpmath and with the certified balls
# --------------------------------------------------------------------------------------------


@given(mean_pairs())
@example(((0.0, 1.0), (-0.5, 0.5)))
@example(((40.0, -50.0), (-0.5, 0.5)))
@example(((16.350032490497377, -33.82559106319581), (16.350032490497384, -33.82559106319578)))
@example(((36.264961626237316, -10.927662410237106), (36.26496162623731, -10.927662410237119)))
@example(((32.681943644213796, 7.155041096073788), (42.07322406201071, 32.6819434561947)))
@example(((-13.71971785890638, 11.893275160139382), (-27.772505959779046, -13.719717858906378)))
@example(((1.0844715840260318e-285, -1.0), (0.0, 0.0)))  # crossing near 6e284
@example(((-6.709858560152304e-112, 0.0), (1.0844715840260318e-285, -1.0)))  # crossing near 6e113
@example(((-1e-15, 1.0773483523291613e-271), (-0.24752017329176268, 0.0)))  # plateau up to 1e270
def test_crossings_match_mp_and_are_zeros(case):
    mu, nu = case
    ell, n = optimal_discriminator(mu, nu)
    xs_mp, s_minus = optimal_mp.crossings(mu, nu, dps=50)
    if s_minus == 0:
        assert n == -1 and np.isnan(ell).all()
        return
    assert n == len(xs_mp)
    xs = _crossings(ell)
    assert len(xs) == n
    with mpmath.workdps(50):
        terms = _terms(mu, nu)
        for x, x_mp in zip(xs, xs_mp):
            assert abs(x - x_mp) <= ROOT_TOL * EPS * _cond(terms, x_mp)
            xm = mpmath.mpf(x)
            assert abs(optimal_mp._value(terms, xm)) <= RESID_TOL * EPS * _scale(terms, xm)


@given(mean_pairs())
@example(((16.350032490497377, -33.82559106319581), (16.350032490497384, -33.82559106319578)))
@example(((32.681943644213796, 7.155041096073788), (42.07322406201071, 32.6819434561947)))
@example(((-13.71971785890638, 11.893275160139382), (-27.772505959779046, -13.719717858906378)))
@example(((0.9999, 1.0001), (1.0, 1.0)))  # equal true means, a generator mean 1e-4 away (issue 8)
@example(((31.7734375, -36.0), (0.0, -0.03162277660168379)))  # cover ball was +-0.42 wide (issue 9)
def test_crossings_match_certified(case):
    mu, nu = case
    ell, n = optimal_discriminator(mu, nu)
    cert = certified_crossings(mu, nu)
    assert cert.certified
    assert n == cert.count
    xs_mp, _ = optimal_mp.crossings(mu, nu, dps=50)
    with mpmath.workdps(50):
        terms = _terms(mu, nu)
        for x, ball, x_mp in zip(_crossings(ell), cert.intervals, xs_mp):
            assert _dist(x_mp, ball) <= 2 * float(ball.rad()) + 1e-45 * (1 + abs(x_mp))  # inside
            tol = ROOT_TOL * EPS * float(_cond(terms, x_mp))
            assert _dist(x, ball) <= tol


def test_encoding_and_sign_patterns():
    """Each crossing count and orientation, with the crossings of the 50-digit reference."""
    inf = np.inf
    cases = {
        # (mu, nu): expected pattern over the sorted crossings x1 < x2 < x3
        ((0.0, 1.0), (-0.5, 0.5)): ("-inf", "x1", "x1", "x1"),  # 1 crossing, p* > p_mu on the left
        ((-1.0, 0.0), (-0.5, 0.5)): ("x1", "inf", "inf", "inf"),  # 1 crossing, on the right
        ((-1.0, 1.0), (-0.5, 0.5)): ("x1", "x2", "x2", "x2"),  # 2 crossings, p* inside
        ((0.3, 0.3), (-0.5, 0.5)): ("-inf", "x1", "x2", "inf"),  # 2 crossings, p* outside (mu1 = mu2)
        ((1.7951782782966887, -1.0662796515610093), (-1.7413207794783074, 0.7569623208332099)): (
            "-inf", "x1", "x2", "x3"),  # 3 crossings, p* first
        ((-1.7413207794783074, 0.7569623208332099), (1.7951782782966887, -1.0662796515610093)): (
            "x1", "x2", "x3", "inf"),  # 3 crossings, p_mu first
        ((0.0, 2.0), (1.0, 1.0)): ("x1", "x2", "x2", "x2"),  # nu1 = nu2
        ((3.0, 3.0), (-2.0, -2.0)): ("-inf", "x1", "x1", "x1"),  # mu1 = mu2 and nu1 = nu2
        ((0.0, 1.0), (1.0, 2.0)): ("x1", "inf", "inf", "inf"),  # exact cancellation mu2 = nu1
    }  # fmt: skip
    for (mu, nu), pattern in cases.items():
        ell, n = optimal_discriminator(mu, nu)
        xs_mp, _ = optimal_mp.crossings(mu, nu, dps=50)
        assert n == len(xs_mp) == len({p for p in pattern if p.startswith("x")})
        expect = [
            {"-inf": -inf, "inf": inf}[p] if "inf" in p else float(xs_mp[int(p[1]) - 1]) for p in pattern
        ]
        np.testing.assert_allclose(ell, expect, rtol=8 * EPS, atol=8 * EPS)


@pytest.mark.parametrize(
    "mu, nu", [((1.0, 2.0), (1.0, 2.0)), ((2.0, 1.0), (1.0, 2.0)), ((0.5, 0.5), (0.5, 0.5))]
)
def test_not_unique_when_mu_equals_nu(mu, nu):
    ell, n = optimal_discriminator(mu, nu)
    assert n == -1 and np.isnan(ell).all()
    assert tv_distance(mu, nu) == 0.0
    assert np.array_equal(tv_gradient(mu, nu), [0.0, 0.0])
    assert optimal_mp.optimal_discriminator(mu, nu)[1] == -1
    assert certified_crossings(mu, nu).count == -1


@pytest.fixture(scope="module")
def tangency():
    """``mu2*`` where two crossings of nu = (-2, 1), mu = (-1, mu2) merge (count 1 <-> 3), 40 digits."""
    nu, m1 = (-2.0, 1.0), -1.0
    with mpmath.workdps(45):
        lo, hi = mpmath.mpf("1.05"), mpmath.mpf(4)  # 1 crossing at lo, 3 at hi
        for _ in range(135):
            mid = (lo + hi) / 2
            if len(optimal_mp.crossings((m1, mid), nu, dps=45)[0]) == 3:
                hi = mid
            else:
                lo = mid
        return nu, m1, hi


@pytest.mark.parametrize("gap", [1e-2, 1e-5, 1e-8, 1e-11])
def test_near_coincident_crossings(tangency, gap):
    """Just past the tangency two crossings are ~sqrt(gap) apart; all three are found."""
    nu, m1, m2_star = tangency
    m2 = float(m2_star * (1 + mpmath.mpf(gap)))
    mu = (m1, m2)
    xs_mp, _ = optimal_mp.crossings(mu, nu, dps=50)
    assert len(xs_mp) == 3
    ell, n = optimal_discriminator(mu, nu)
    assert n == 3
    cert = certified_crossings(mu, nu)
    assert cert.certified and cert.count == 3
    with mpmath.workdps(50):
        terms = _terms(mu, nu)
        for x, x_mp, ball in zip(_crossings(ell), xs_mp, cert.intervals):
            tol = ROOT_TOL * EPS * float(_cond(terms, x_mp))
            assert abs(x - float(x_mp)) <= tol
            assert _dist(x, ball) <= tol
    # before the tangency: one crossing
    m2_before = float(m2_star * (1 - mpmath.mpf(gap)))
    n_before = optimal_discriminator((m1, m2_before), nu)[1]
    assert n_before == len(optimal_mp.crossings((m1, m2_before), nu)[0]) == 1


def test_far_apart_means_no_warnings():
    rng = np.random.default_rng(11)
    mu = rng.uniform(-50, 50, size=(2000, 2))
    nu = rng.uniform(-50, 50, size=(2000, 2))
    mu[::5] = nu[::5] + rng.normal(size=(400, 2)) * 1e-9
    mu[1::5, 0] = 50.0
    nu[1::5, 1] = -50.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ell, n = optimal_discriminator(mu, nu)
        tv = tv_distance(mu, nu)
        g = tv_gradient(mu, nu)
    assert not np.isnan(ell).any() and np.isin(n, [1, 2, 3]).all()
    assert np.isfinite(tv).all() and np.isfinite(g).all()
    assert (ell[:, 1:] >= ell[:, :-1]).all()
    for i in range(0, 2000, 200):
        assert n[i] == len(optimal_mp.crossings(mu[i], nu[i], dps=30)[0])


def test_batch_invariance_bitwise():
    rng = np.random.default_rng(5)
    m = 1500
    nu = rng.uniform(-3, 3, size=(m, 2))
    mu = rng.uniform(-3, 3, size=(m, 2))
    mu[::6] = nu[::6] + rng.normal(size=(250, 2)) * 1e-7
    mu[1::6] = nu[1::6, ::-1]
    mu[2::6, 1] = mu[2::6, 0]
    ell, n = optimal_discriminator(mu, nu)
    tv, g = tv_distance(mu, nu), tv_gradient(mu, nu)
    perm = rng.permutation(m)
    ell_p, n_p = optimal_discriminator(mu[perm], nu[perm])
    assert np.array_equal(ell_p, ell[perm], equal_nan=True) and np.array_equal(n_p, n[perm])
    assert np.array_equal(tv_distance(mu[perm], nu[perm]), tv[perm])
    assert np.array_equal(tv_gradient(mu[perm], nu[perm]), g[perm])
    for i in range(0, m, 53):
        e1, n1 = optimal_discriminator(mu[i], nu[i])
        assert np.array_equal(e1, ell[i], equal_nan=True) and n1 == n[i]
        assert np.array_equal(tv_gradient(mu[i], nu[i]), g[i])
    # leading axes and broadcasting of nu
    ell2, _ = optimal_discriminator(mu.reshape(30, 50, 2), nu.reshape(30, 50, 2))
    assert np.array_equal(ell2.reshape(m, 4), ell, equal_nan=True)
    one_nu = np.array([-0.5, 0.5])
    e_b, _ = optimal_discriminator(mu, one_nu)
    e_f, _ = optimal_discriminator(mu, np.broadcast_to(one_nu, mu.shape).copy())
    assert np.array_equal(e_b, e_f, equal_nan=True)
    # the hot path on component arrays gives the same bits
    comps = optimal_endpoints(*(np.ascontiguousarray(a) for a in (mu[:, 0], mu[:, 1], nu[:, 0], nu[:, 1])))
    assert np.array_equal(np.stack(comps[:4], axis=-1), ell, equal_nan=True)


@pytest.mark.parametrize(
    "mu, nu, err",
    [
        ((0.0, 1.0, 2.0), (0.0, 1.0), ValueError),
        ((0.0, float("nan")), (0.0, 1.0), ValueError),
        ((0.0, 1.0), (float("inf"), 1.0), ValueError),
        ((0.0, 1.1e6), (0.0, 1.0), ValueError),
        (("a", "b"), (0.0, 1.0), TypeError),
        ((0.0, 1.0), (1j, 0.0), TypeError),
    ],
)
def test_bad_input(mu, nu, err):
    name = "mu" if "mu" in _bad_arg(mu, nu) else "nu"
    for f in (optimal_discriminator, tv_distance, tv_gradient):
        with pytest.raises(err, match=name):
            f(mu, nu)


def _bad_arg(mu, nu) -> str:
    try:
        np.asarray(mu, dtype=float)
        ok = len(mu) == 2 and np.isfinite(np.asarray(mu, dtype=float)).all() and max(map(abs, mu)) <= 1e6
    except (TypeError, ValueError):
        ok = False
    return "nu" if ok else "mu"


def test_mp_and_certified_bad_input():
    with pytest.raises(ValueError, match="dps"):
        optimal_mp.optimal_discriminator((0, 1), (0, 2), dps=5)
    with pytest.raises(ValueError, match="mu"):
        optimal_mp.tv_distance((0, 1, 2), (0, 2))
    with pytest.raises(ValueError, match="prec"):
        certified_crossings((0.0, 1.0), (0.0, 2.0), prec=10)
    with pytest.raises(ValueError, match="nu"):
        certified_crossings((0.0, 1.0), (0.0, float("nan")))
    cert = certified_crossings((0.3, -1.2), (0.5, 2.0), max_intervals=1)
    assert not cert.certified


# --------------------------------------------------------------------------------------------
# TV distance and its gradient
# --------------------------------------------------------------------------------------------


def _tv_quadrature(mu, nu, dps=30):
    """TV = (1/2) int |p* - p_mu| by mpmath quadrature, split at the 50-digit crossings."""
    xs, _ = optimal_mp.crossings(mu, nu, dps=dps + 10)
    with mpmath.workdps(dps):
        m = [mpmath.mpf(v) for v in mu]
        n = [mpmath.mpf(v) for v in nu]

        def gap(x):
            return abs(sum(mpmath.npdf(x, a) for a in n) - sum(mpmath.npdf(x, a) for a in m)) / 2

        pts = [-mpmath.inf, *xs, mpmath.inf]
        return mpmath.quad(gap, pts) / 2


@given(mean_pairs())
@example(((0.0, 1.0), (-0.5, 0.5)))
@example(((1.7951782782966887, -1.0662796515610093), (-1.7413207794783074, 0.7569623208332099)))
def test_tv_equals_closed_form_with_50_digit_crossings(case):
    mu, nu = case
    tv = float(tv_distance(mu, nu))
    assert abs(tv - optimal_mp.tv_distance(mu, nu, dps=50)) <= TV_TOL
    # L(mu, ell*) - 1 is the advantage at ell*
    ell, n = optimal_discriminator(mu, nu)
    if n > 0:
        assert tv == float(advantage(mu, ell, nu))


@pytest.mark.parametrize(
    "mu, nu",
    [
        ((0.0, 1.0), (-0.5, 0.5)),
        ((-1.0, 1.0), (-0.5, 0.5)),
        ((0.3, 0.3), (-0.5, 0.5)),
        ((1.7951782782966887, -1.0662796515610093), (-1.7413207794783074, 0.7569623208332099)),
        ((1.000001, 0.0), (1.0, 1.0)),
        ((-3.0, 4.0), (2.5, -0.25)),
    ],
)
def test_tv_equals_quadrature(mu, nu):
    """TV = (1/2) int |p* - p_mu| dx by 20-digit quadrature (measured agreement <= 3e-19)."""
    tv = float(tv_distance(mu, nu))
    q = _tv_quadrature(mu, nu, dps=20)
    assert abs(tv - q) <= TV_TOL
    assert abs(optimal_mp.tv_distance(mu, nu, dps=50) - q) <= 1e-17


@given(mean_pairs(), st.lists(st.floats(-60, 60), min_size=4, max_size=4).map(sorted))
def test_no_discriminator_beats_the_optimal_one(case, ell):
    mu, nu = case
    assert float(advantage(mu, ell, nu)) <= float(tv_distance(mu, nu)) + 2 * TV_TOL


@given(mean_pairs().filter(lambda c: max(map(abs, c[0] + c[1])) <= 10))
@example(((0.2, 0.9), (-0.5, 0.5)))
@example(((1.7951782782966887, -1.0662796515610093), (-1.7413207794783074, 0.7569623208332099)))
@example(((7.9, 0.0), (0.0, 8.0)))  # mu2 = nu1 exactly: needs the small h below
def test_tv_gradient_matches_mp_finite_differences(case):
    """Danskin: grad TV = dL/dmu at ell*; checked against central differences of the 50-digit TV."""
    mu, nu = case
    if optimal_mp.crossings(mu, nu, dps=30)[1] == 0:
        return
    g = tv_gradient(mu, nu)
    # h = 1e-60 at 130 digits: rounding 1e-130/h = 1e-70; truncation h^2 TV''' ~ h^2/|mu - nu|^2 stays
    # below 1e-60 even for means 1e-15 apart (TV has curvature ~ 1/|mu - nu| near mu = nu).  At an
    # exact coincidence mu_i = nu_j a perturbation h adds a crossing near log(1/h), whose effect on
    # the difference quotient decays only like exp(-log(1/h)^2/32): measured for mu = (7.9, 0),
    # nu = (0, 8) (d/dmu2 = -3.76e-15): error 2e-6 at h = 1e-30, 5e-14 at h = 1e-40, below
    # 1e-22 from h = 1e-50 on.
    h = mpmath.mpf(10) ** -60
    with mpmath.workdps(130):
        for i in range(2):
            up = [mpmath.mpf(v) for v in mu]
            dn = [mpmath.mpf(v) for v in mu]
            up[i] += h
            dn[i] -= h
            fd = (optimal_mp.tv_distance(up, nu, dps=130) - optimal_mp.tv_distance(dn, nu, dps=130)) / (2 * h)
            assert abs(g[i] - fd) <= _grad_tol(mu, nu, i) + 1e-25
    gm = optimal_mp.tv_gradient(mu, nu, dps=50)
    assert all(abs(g[i] - gm[i]) <= _grad_tol(mu, nu, i) for i in range(2))


def _grad_tol(mu, nu, i):
    """GRAD_TOL plus the propagated crossing tolerance: dL/dmu_i = 1/2 sum_c +-phi(x_c - mu_i), so an
    error dx_c of a crossing moves it by at most |phi'(x_c - mu_i)| |dx_c| / 2 (dx_c bounded as in
    test_crossings_match_mp_and_are_zeros).  The second term matters only where the crossings are
    ill-conditioned, e.g. nu1 = nu2 with mu1, mu2 symmetric around it within 1e-14 (crossings set
    by O(|mu - nu|^2) terms)."""
    xs, _ = optimal_mp.crossings(mu, nu, dps=50)
    with mpmath.workdps(50):
        terms = _terms(mu, nu)
        prop = mpmath.fsum(
            abs((x - mu[i]) * mpmath.npdf(x - mu[i])) * ROOT_TOL * EPS * _cond(terms, x) / 2 for x in xs
        )
    return GRAD_TOL + float(prop)


def test_mp_api_and_certified_agree():
    mu, nu = (1.7951782782966887, -1.0662796515610093), (-1.7413207794783074, 0.7569623208332099)
    ell, n = gmmsym.mp.optimal_discriminator(mu, nu, dps=60)
    assert n == 3
    cert = certified_crossings(mu, nu, prec=256)
    for x, ball in zip(ell[1:], cert.intervals):
        assert _dist(x, ball) <= 2 * float(ball.rad()) + 1e-58
    grad, ell2 = optimal_mp.tv_gradient_and_discriminator(mu, nu, dps=60)
    assert ell2 == ell
    assert gmmsym.mp.tv_gradient(mu, nu, dps=60) == grad
    with mpmath.workdps(60):
        assert gmmsym.mp.tv_distance(mu, nu, dps=60) == gmmsym.mp.advantage(mu, ell, nu, dps=60)
    assert mpmath.mp.dps == 15  # the global precision is untouched
