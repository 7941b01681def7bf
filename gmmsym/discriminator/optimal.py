"""Optimal discriminator, TV distance and its gradient (docs/model.md section 3), float64, vectorized.

This module is the paper's model (``model=PAPER``, K = 2); the public functions hand any other
``model=`` to :mod:`gmmsym.discriminator.optimal_any`.  Below: the K = 2 solver.

The optimal discriminator is ``A*(mu) = {x : p*(x) > p_mu(x)}`` and
``max_ell L(mu, ell) = 1 + TV(P*, G_mu)``.  With ``t_a(x) = a x - a^2/2``,

.. math::

    p^*(x) - p_\\mu(x) = \\frac{e^{-x^2/2}}{2\\sqrt{2\\pi}}\\, g(x), \\qquad
    g(x) = e^{t_{\\nu_1}(x)} + e^{t_{\\nu_2}(x)} - e^{t_{\\mu_1}(x)} - e^{t_{\\mu_2}(x)},

an exponential sum ``sum_k c_k exp(a_k x)`` with ``c_k = +-exp(-a_k^2/2)``.  Its crossings (sign
changes) bound ``A*``.

Root isolation (every row independently, batch-invariant)
--------------------------------------------------------
*Descartes' rule for exponential sums* (Laguerre): after merging equal exponents (``nu_i == mu_j``
cancel, ``nu_1 == nu_2`` doubles), the number of real zeros with multiplicity is
``V - 2k`` where ``V`` is the number of sign changes of the coefficients ordered by exponent.
With ``nu_a <= nu_b`` and ``mu_a <= mu_b`` sorted, the interleaving decides ``V``:

* ``V = 1`` (``nu nu mu mu`` or ``mu mu nu nu``, or two terms left after a cancellation):
  exactly one crossing.  Two terms: closed form ``x = (nu + mu)/2``.
* ``V = 2`` (``nu mu mu nu`` or ``mu nu nu mu``): two zeros or none; since
  ``integral g e^{-x^2/2} = 0`` and ``g`` is not identically 0, ``g`` takes both signs, so there
  are exactly two crossings.
* ``V = 3`` (``nu mu nu mu`` or ``mu nu mu nu``): one or three crossings.

*Rolle chain*: with ``a_p`` the smallest exponent,
``S_3 = (d/dx - a_p) g = sum_k c_k (a_k - a_p) e^{a_k x}`` is the derivative of ``e^{-a_p x} g``
times ``e^{a_p x}``, so between two zeros of ``g`` lies a zero of ``S_3``; ``S_3`` has one sign
change fewer (the first two coefficients of ``g`` differ in sign when ``V >= 2``).  Likewise
``S_2 = (d/dx - a_2) S_3`` has two terms when ``V = 3``, with the closed-form zero

.. math::

    z_2 = \\frac{a_3 + a_4}{2}
        + \\frac{\\log\\frac{(a_3 - a_1)(a_3 - a_2)}{(a_4 - a_1)(a_4 - a_2)}}{a_4 - a_3}
    \\quad \\text{(each log-ratio without cancellation, see } \\texttt{\\_log\\_ratio}\\text{)}.

*Separators* (points between consecutive crossings, with the sign of ``g`` there):

* ``V = 2``: the midpoint ``c`` of the inner pair (``a_2``, ``a_3``, both true or both generator
  means) -- both outer means are farther from ``c`` than both inner means, so the inner mixture's
  density is the larger one at ``c``: ``g(c)`` has the inner sign and ``(-inf, c)``, ``(c, inf)``
  hold one crossing each.  No root of ``S_3`` is needed.
* ``V = 3``: ``S_3`` has the sign of ``g``'s top term at both ends, so it has two zeros iff
  ``S_3(z_2)`` has the opposite sign; otherwise ``e^{-a_1 x} g`` is monotone and there is exactly
  one crossing.  With two zeros, ``a_2`` and ``a_3`` are tried first (three crossings are
  isolated when ``g`` has the signs ``-s, +s`` there, ``s`` its sign at ``-inf``); otherwise the
  two zeros ``z_a < z_b`` of ``S_3`` are solved for (in ``(X_3-, z_2)`` and ``(z_2, X_3+)``) and
  the signs of ``g`` there decide the pieces.

On each piece a crossing exists iff ``g`` has strictly opposite signs at its ends (the signs at
``+-inf`` are those of the extreme terms); a separator where ``g`` is exactly 0 (within its
rounding) with opposite signs around it is itself the crossing.

*Root bounds*: the top term dominates the others beyond

.. math:: X_+ = \\max_{k:\\,a_k < a_n} \\frac{\\log 3 + \\lambda_k - \\lambda_n}{a_n - a_k},
   \\qquad \\lambda_k = \\log|c_k|,

(and symmetrically ``X_-``), so every zero lies in ``[X_-, X_+]``; these close the unbounded
pieces (clipped to ``+-1e306 / (1 + max|mean|)`` so that ``a x`` stays finite; a crossing beyond
that -- means closer than about ``1e-306`` -- is reported at the clip).


*Solving a piece*: :func:`gmmsym.discriminator.roots.solve` (fast Halley path, then a
safeguarded bracketed iteration, then pair-form refinement); the level sums are evaluated in
the log and pair forms of :mod:`gmmsym.discriminator.forms`.

Tangencies: a zero without a sign change (a double root, a touching zero) is **not** a crossing:
it does not bound ``A*`` (``{g > 0}`` is unchanged by it).  A triple zero is a crossing.

Encoding **[choice]** (docs/model.md section 3): sorted crossings ``x_1 < x_2 < x_3`` become
``ell* = (l1, r1, l2, r2)`` with unbounded ends ``+-inf``; an unused interval is collapsed onto the
endpoint before it: one crossing with ``p* > p_mu`` on the left is ``(-inf, x1, x1, x1)``, on the
right ``(x1, inf, inf, inf)``; two crossings: ``(x1, x2, x2, x2)`` or ``(-inf, x1, x2, inf)``;
three: ``(-inf, x1, x2, x3)`` or ``(x1, x2, x3, inf)``.

Non-uniqueness: at ``mu = nu`` up to swapping ``g == 0`` and every discriminator is optimal.  Such
rows get ``n_crossings = -1``, ``ell* = NaN``, ``TV = 0`` and gradient ``0`` (``TV`` attains its
minimum there, so ``0`` is a (Clarke) subgradient; Danskin's formula does not apply).
Otherwise there are 1, 2 or 3 crossings (``V = 1``: one; ``V = 2``: two, by the separator
argument; ``V = 3``: the ends have opposite signs), so ``n_crossings = 0`` does not occur; the
encoder still maps it to ``(-inf, inf, inf, inf)`` or ``(0, 0, 0, 0)`` for totality.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.discriminator import optimal_any as _family
from gmmsym.discriminator.forms import (
    _eval_log,
    _gather,
    _log_params,
    _log_ratio,
    _outer_start,
    _pair_params,
    _sign_pair,
)
from gmmsym.discriminator.roots import solve as _solve
from gmmsym.kernels.special import normal_pdf
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, broadcast_leading, check_max_abs

__all__ = ["optimal_discriminator", "tv_distance", "tv_gradient", "optimal_endpoints", "MAX_ABS_MEAN"]

MAX_ABS_MEAN = 1e6
"""Largest accepted ``|mu_i|``, ``|nu_i|`` of the float64 discriminator (issue 11, docs/reliability.md).

The exponents ``a x - a^2/2`` of ``g`` carry an absolute rounding error of about
``eps a^2``; measured against 40-digit mpmath on random configurations (``benchmarks/reliability.py
--bounds``), crossing counts and TV are right (TV error <= 2e-16) up to ``|mean| = 5e7`` and
first go wrong between ``5e7`` and ``1e8`` (about ``1/sqrt(eps) = 6.7e7``, where the exponent
error reaches 1).  ``1e6`` keeps a safety factor of 50 in ``|mean|`` (2500 in ``eps a^2``)."""

_BIG = 1e306  # root brackets are clipped to [-_BIG/scale, _BIG/scale] (a x stays finite)
_LOG3 = float(np.log(3.0))
_EPS = float(np.finfo(np.float64).eps)


# ----------------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------------


def _crossings(mu1, mu2, nu1, nu2):
    """Crossings of ``p* - p_mu`` for 1-D arrays.

    Returns ``(x1, x2, x3, count, s_minus)``: sorted crossings (NaN where absent), their number
    (``-1`` for ``mu = nu`` up to swap) and the sign of ``g`` at ``-inf`` (``+1``: ``p* > p_mu``
    far left).
    """
    n = mu1.shape[0]
    na, nb = np.fmin(nu1, nu2), np.fmax(nu1, nu2)
    ma, mb = np.fmin(mu1, mu2), np.fmax(mu1, mu2)
    roots = np.full((3, n), np.nan)
    count = np.ones(n, dtype=np.int64)
    s_minus = np.where(na < ma, 1.0, -1.0)

    eq_aa, eq_bb, eq_ba, eq_ab = na == ma, nb == mb, nb == ma, na == mb
    special = eq_aa | eq_bb | eq_ba | eq_ab
    i2 = np.flatnonzero(special)
    if i2.size:
        a_, b_, c_, d_ = na[i2], nb[i2], ma[i2], mb[i2]
        e_aa, e_bb, e_ba = eq_aa[i2], eq_bb[i2], eq_ba[i2]
        # Two terms left after an exact cancellation (nu_i == mu_j): closed form (nu + mu)/2.
        rnu = np.where(e_aa, b_, np.where(e_bb, a_, np.where(e_ba, a_, b_)))
        rmu = np.where(e_aa, d_, np.where(e_bb, c_, np.where(e_ba, d_, c_)))
        deg = e_aa & e_bb  # mu = nu up to swap: g == 0
        roots[0, i2] = np.where(deg, np.nan, (rnu + rmu) * 0.5)
        count[i2] = np.where(deg, -1, 1)
        s_minus[i2] = np.where(deg, 0.0, np.where(rnu < rmu, 1.0, -1.0))
    ig = np.flatnonzero(~special)
    if ig.size:
        roots[:, ig], count[ig] = _general(na[ig], nb[ig], ma[ig], mb[ig])
    return roots[0], roots[1], roots[2], count, s_minus


def _margin(x: np.ndarray) -> np.ndarray:
    return 1.0 + 1e-6 * np.abs(x)


def _general(na, nb, ma, mb):
    """Crossings of rows without exact cancellation (``nu_i != mu_j``): ``(roots (3, m), count)``."""
    m = na.size
    sm = np.where(na < ma, 1.0, -1.0)  # sign of g at -inf
    sp = np.where(nb > mb, 1.0, -1.0)  # sign of g at +inf
    v1 = (nb < ma) | (mb < na)
    v3 = ((na < ma) & (ma < nb) & (nb < mb)) | ((ma < na) & (na < mb) & (mb < nb))
    v2 = ~(v1 | v3)
    scale = 1.0 + np.fmax(np.fmax(np.abs(na), np.abs(nb)), np.fmax(np.abs(ma), np.abs(mb)))
    # Pairing for the pair form: each true mean with its nearest generator mean (sorted with
    # sorted, or crossed), so that nearly equal exponents share a pair.
    crossed = np.fmin(np.abs(na - mb), np.abs(nb - ma)) < np.fmin(np.abs(na - ma), np.abs(nb - mb))
    base = (na, np.where(crossed, mb, ma), nb, np.where(crossed, ma, mb))
    # Sorted exponents a1 <= a2 <= a3 <= a4 (merge of the sorted pairs).
    a1, a4 = np.fmin(na, ma), np.fmax(nb, mb)
    inner_lo, inner_hi = np.fmax(na, ma), np.fmin(nb, mb)
    a2, a3 = np.fmin(inner_lo, inner_hi), np.fmax(inner_lo, inner_hi)
    lo4, hi4 = _root_bounds(a1, a2, a3, a4, scale)
    sep, sg = _separators(base, (a1, a2, a3, a4), v2, v3, sm, sp, scale)

    # Pieces between -inf (lo4), the separators and +inf (hi4), with the signs there.
    has0 = ~np.isnan(sep[0])
    has1 = ~np.isnan(sep[1])
    nsep = has0.astype(np.int64) + has1
    pts = (lo4, np.where(has0, sep[0], hi4), np.where(has1, sep[1], hi4), hi4)
    sgn = (sm, np.where(has0, sg[0], sp), np.where(has1, sg[1], sp), sp)
    starts = _starts(na, nb, ma, mb, (a1, a2, a3, a4), v1, v2, nsep)
    parts = []
    exact = np.full((2, m), np.nan)
    for k in range(3):
        j = np.flatnonzero((k <= nsep) & (sgn[k] * sgn[k + 1] < 0))
        parts.append((j, pts[k][j], pts[k + 1][j], sgn[k][j], starts[k][j], np.full(j.size, k)))
        if k < 2:
            # A zero of g exactly at a separator with opposite signs around it is a crossing.
            at = (k < nsep) & (sgn[k + 1] == 0) & (sgn[k] * sgn[k + 2] < 0)
            exact[k, at] = pts[k + 1][at]
    rows, lo, hi, slo, x0, piece = (np.concatenate(c) for c in zip(*parts))
    x = _solve(_gather(base, rows), None, lo, hi, slo, x0, scale[rows])
    found = np.full((3, m), np.nan)
    found[piece, rows] = x
    return _in_order(found, exact)


def _root_bounds(a1, a2, a3, a4, scale):
    """``(X_-, X_+)`` of ``g`` with a margin, clipped to ``+-_BIG / scale`` (see the module docstring).

    The candidates ``(a_n + a_k)/2 + log3/(a_n - a_k)`` grow with ``a_k < a_n``, so the next
    distinct exponent gives the maximum (equal exponents only within nu or mu).
    """
    below = np.where(a3 < a4, a3, np.where(a2 < a4, a2, a1))
    above = np.where(a2 > a1, a2, np.where(a3 > a1, a3, a4))
    hi4 = (a4 + below) * 0.5 + _LOG3 / (a4 - below)
    lo4 = (a1 + above) * 0.5 - _LOG3 / (above - a1)
    big = _BIG / scale
    return np.fmax(lo4 - _margin(lo4), -big), np.fmin(hi4 + _margin(hi4), big)


def _separators(base, a, v2, v3, sm, sp, scale):
    """Separators ``z0 < z1`` between consecutive crossings (``(2, m)``, NaN if absent) and the signs there.

    ``V = 2``: the inner midpoint; ``V = 3``: ``a2``, ``a3`` or the zeros of ``S_3`` (module docstring).
    """
    a1, a2, a3, a4 = a
    m = a1.size
    sep = np.full((2, m), np.nan)
    sg = np.zeros((2, m))
    # V = 2: the inner pair's midpoint separates the two crossings, with the inner sign:
    # both outer means are farther from it than both inner means.
    sep[0] = np.where(v2, (a2 + a3) * 0.5, np.nan)
    sg[0] = np.where(v2, -sm, 0.0)
    i3 = np.flatnonzero(v3)
    if not i3.size:
        return sep, sg
    # V = 3: S2 = (d/dx - a2) S3 has one zero z2 (closed form); S3 has the sign of g's top term
    # at both ends, so S3 has two zeros iff S3(z2) has the opposite sign; otherwise
    # e^{-a1 x} g is monotone and g has exactly one crossing (no separator needed).
    b1, b2, b3, b4 = a1[i3], a2[i3], a3[i3], a4[i3]
    h = b4 - b3
    z2 = (b3 + b4) * 0.5 + (_log_ratio(b3, b4, b1) + _log_ratio(b3, b4, b2)) / h
    base3 = _gather(base, i3)
    k = np.flatnonzero(_sign_level(z2, base3, b1) == -sp[i3])
    if not k.size:
        return sep, sg
    r = i3[k]
    basek = _gather(base3, k)
    # Try a2, a3 as separators: signs -sm, +sm there isolate three crossings.
    s2 = _sign_level(a2[r], basek, None)
    s3 = _sign_level(a3[r], basek, None)
    quick = (s2 == -sm[r]) & (s3 == sm[r])
    q = r[quick]
    sep[0, q], sep[1, q] = a2[q], a3[q]
    sg[0, q], sg[1, q] = s2[quick], s3[quick]
    slow = np.flatnonzero(~quick)
    if slow.size:
        r = r[slow]
        z, sgz = _separators_s3(
            _gather(basek, slow), a1[r], a2[r], a3[r], a4[r], z2[k[slow]], sm[r], sp[r], scale[r]
        )
        sep[:, r] = z
        sg[:, r] = sgz
    return sep, sg


def _starts(na, nb, ma, mb, a, v1, v2, nsep):
    """Starting points of the three pieces: where two terms of opposite sign cross."""
    a1, a2, a3, a4 = a
    mid_v1 = np.where(nb < ma, (nb + ma) * 0.5, (mb + na) * 0.5)
    starts = [
        np.where(v1, mid_v1, np.where((nsep == 2) | v2, (a1 + a2) * 0.5, (a2 + a3) * 0.5)),
        np.where(v2, (a3 + a4) * 0.5, (a2 + a3) * 0.5),
        (a3 + a4) * 0.5,
    ]
    i2 = np.flatnonzero(v2)
    if i2.size:  # V = 2: the outer crossings, from the outer term against the inner pair
        b1, b2, b3, b4 = a1[i2], a2[i2], a3[i2], a4[i2]
        starts[0][i2] = _outer_start(b1, b2, b3)
        starts[1][i2] = _outer_start(b4, b3, b2)
    return starts


def _in_order(found, exact):
    """Crossings in order piece0 < sep0 < piece1 < sep1 < piece2, compacted: ``(roots (3, m), count)``."""
    ordered = np.stack([found[0], exact[0], found[1], exact[1], found[2]])
    valid = ~np.isnan(ordered)
    rank = np.cumsum(valid, axis=0) - 1
    out = np.full((3, ordered.shape[1]), np.nan)
    r_i, c_i = np.nonzero(valid)
    out[rank[r_i, c_i], c_i] = ordered[r_i, c_i]
    return out, valid.sum(axis=0)


def _separators_s3(base, a1, a2, a3, a4, z2, sm, sp, scale):
    """The two zeros of ``S_3 = (d/dx - a1) g`` (``V = 3``, ``S_3(z2)`` of the inner sign).

    ``S_3`` has one zero in ``(X3-, z2)`` and one in ``(z2, X3+)``.  Returns the zeros
    ``(2, m)`` and the signs of ``g`` there.
    """
    # Root bounds of S3 (terms a2, a3, a4 with factors a_k - a1): candidates over k.
    l2, l3, l4 = np.log(a2 - a1), np.log(a3 - a1), np.log(a4 - a1)
    hi3 = np.fmax(
        (a4 + a2) * 0.5 + (_LOG3 + l2 - l4) / (a4 - a2), (a4 + a3) * 0.5 + (_LOG3 + l3 - l4) / (a4 - a3)
    )
    lo3 = np.fmin(
        (a2 + a3) * 0.5 + (l2 - l3 - _LOG3) / (a3 - a2), (a2 + a4) * 0.5 + (l2 - l4 - _LOG3) / (a4 - a2)
    )
    hi3 = np.fmin(hi3 + _margin(hi3), _BIG / scale)
    lo3 = np.fmax(lo3 - _margin(lo3), -_BIG / scale)
    m = a1.size
    both = np.concatenate([np.arange(m), np.arange(m)])
    sub = _gather(base, both)
    zs = _solve(
        sub,
        a1[both],
        np.concatenate([lo3, z2]),
        np.concatenate([z2, hi3]),
        np.concatenate([-sm, -sp]),
        np.concatenate([a2, a3]),
        scale[both],
    )
    sgs = _sign_level(zs, sub, None)
    return zs.reshape(2, m), sgs.reshape(2, m)


def _sign_level(x: np.ndarray, base: tuple, a_p) -> np.ndarray:
    """``sign(S(x))`` (``g`` if ``a_p`` is None, else ``S_3``): log form, pair form where unresolved.

    0 where ``|S|`` is below the rounding noise of the pair form too.
    """
    noise, phi, _, _ = _eval_log(x, _log_params(*base, a_p), np.empty((15, x.size)))
    s = np.sign(phi)
    j = np.flatnonzero(np.abs(phi) <= noise)
    if j.size:
        s[j] = _sign_pair(x[j], _pair_params(*_gather(base, j), None if a_p is None else a_p[j]))
    return s


def _encode(x1, x2, x3, count, s_minus):
    """Crossings -> ``(l1, r1, l2, r2)`` (docs/model.md section 3 encoding).

    ``s_minus > 0`` (``p* > p_mu`` far left): 1 crossing ``(-inf, x1, x1, x1)``, 2:
    ``(-inf, x1, x2, inf)``, 3: ``(-inf, x1, x2, x3)``; ``s_minus < 0``: ``(x1, inf, inf, inf)``,
    ``(x1, x2, x2, x2)``, ``(x1, x2, x3, inf)``.  Count 0 (not resolvable in float64):
    ``(-inf, inf, inf, inf)`` or ``(0, 0, 0, 0)``; count -1: NaN.
    """
    inf = np.inf
    left = s_minus > 0
    c1, c2 = count == 1, count == 2
    l1 = np.where(left, -inf, x1)
    r1 = np.where(c1, np.where(left, x1, inf), np.where(left, x1, x2))
    l2 = np.where(c1, np.where(left, x1, inf), np.where(c2, np.where(left, x2, x2), np.where(left, x2, x3)))
    r2 = np.where(c1, np.where(left, x1, inf), np.where(c2, np.where(left, inf, x2), np.where(left, x3, inf)))
    zero = count == 0
    if zero.any():
        for v, full_line in ((l1, -inf), (r1, inf), (l2, inf), (r2, inf)):
            v[zero] = np.where(left[zero], full_line, 0.0)
    bad = count < 0
    for v in (l1, r1, l2, r2):
        v[bad] = np.nan
    return l1, r1, l2, r2


def optimal_endpoints(mu1, mu2, nu1, nu2):
    """Hot path: optimal discriminator on component-major 1-D float64 arrays (not validated).

    Returns
    -------
    l1, r1, l2, r2 : ndarray
        ``ell*`` in the docs/model.md encoding (NaN for ``mu = nu`` up to swap).
    n_crossings : ndarray of int64
        Number of crossings (1, 2 or 3; ``-1`` if ``mu = nu`` up to swap).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x1, x2, x3, count, s_minus = _crossings(mu1, mu2, nu1, nu2)
    return (*_encode(x1, x2, x3, count, s_minus), count)


def tv_gradient_components(mu1, mu2, l1, r1, l2, r2, count):
    """Danskin gradient ``dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]`` at ``ell*``.

    Rows with ``count == -1`` (``mu = nu``) get 0.
    """
    out = []
    for m in (mu1, mu2):
        g = 0.5 * ((normal_pdf(r1 - m) - normal_pdf(l1 - m)) + (normal_pdf(r2 - m) - normal_pdf(l2 - m)))
        out.append(np.where(count < 0, 0.0, g))
    return out[0], out[1]


# ----------------------------------------------------------------------------------------------
# validated public API
# ----------------------------------------------------------------------------------------------


_WHY_BOUND = "float64 loses the exponents a x - a^2/2 beyond; use gmmsym.mp with dps >= 2 log10|mean|"


def _inputs(mu: ArrayLike, nu: ArrayLike):
    mu_a = as_points("mu", mu, 2)
    nu_a = as_points("nu", nu, 2)
    for name, arr in (("mu", mu_a), ("nu", nu_a)):
        check_max_abs(name, arr, MAX_ABS_MEAN, _WHY_BOUND)
    b = broadcast_leading(mu=mu_a, nu=nu_a)
    lead = b["mu"].shape[:-1]
    cols = [np.ascontiguousarray(b[k][..., i].reshape(-1)) for k in ("mu", "nu") for i in (0, 1)]
    return lead, cols


def optimal_discriminator(
    mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER
) -> tuple[np.ndarray, np.ndarray]:
    """The optimal discriminator ``A*(mu) = {x : p*(x) > p_mu(x)}`` as ``ell*`` (docs/model.md section 3).

    Parameters
    ----------
    mu, nu : array_like, shape (..., 2)
        Generator and true means (finite, ``|.| <= MAX_ABS_MEAN = 1e6``); broadcast together.
    model : ModelSpec
        :data:`~gmmsym.PAPER` (default): the K = 2 solver of this module; any other model:
        :mod:`gmmsym.discriminator.optimal_any` (``mu``, ``nu`` of shape ``(..., K)``; for ``A*`` with
        more than ``M`` pieces see docs/model.md section 3, "More pieces than intervals").

    Returns
    -------
    ell_star : ndarray, shape (..., 4)
        ``(l1, r1, l2, r2)``: the crossings of ``p* - p_mu`` sorted, with ``+-inf`` for unbounded
        ends and the unused interval collapsed onto the endpoint before it (see module docstring).
        NaN where ``mu = nu`` up to swapping (every discriminator is optimal).
    n_crossings : ndarray of int64, shape (...)
        Number of sign changes of ``p* - p_mu`` (1, 2 or 3); ``-1`` where the maximiser is not
        unique (``mu = nu`` up to swapping).
    """
    if check_model(model) != PAPER:
        return _family.optimal_discriminator(mu, nu, model)
    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    ell = np.stack([l1, r1, l2, r2], axis=-1).reshape(lead + (4,))
    return ell, count.reshape(lead)


def tv_distance(mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """``TV(P*, G_mu) = max_ell L(mu, ell) - 1 = L(mu, ell*) - 1`` (0 where ``mu = nu``).

    .. math:: \\mathrm{TV} = \\sum_j \\big[P^*([l_j, r_j]) - G_\\mu([l_j, r_j])\\big]_{\\ell = \\ell^*}

    evaluated with the tail-safe interval masses of the generated kernel.  For any other
    ``model`` (:mod:`gmmsym.discriminator.optimal_any`) always TV, summed over *all* pieces of ``A*``,
    also where they outnumber the ``M`` intervals (docs/model.md section 3).
    """
    from gmmsym.kernels.float64 import PAPER_KERNELS

    if check_model(model) != PAPER:
        return _family.tv_distance(mu, nu, model)
    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    ok = count >= 0
    l1, r1, l2, r2 = (np.where(ok, v, 0.0) for v in (l1, r1, l2, r2))
    tv = np.broadcast_to(PAPER_KERNELS.raw.advantage(mu1, mu2, l1, r1, l2, r2, nu1, nu2), mu1.shape)
    return np.where(ok, tv, 0.0).reshape(lead)


def tv_gradient(mu: ArrayLike, nu: ArrayLike, model: ModelSpec = PAPER) -> np.ndarray:
    """``grad_mu TV(mu) = dL/dmu (mu, ell*(mu))`` (Danskin; docs/model.md section 3), shape ``(..., 2)``.

    .. math:: \\frac{\\partial \\mathrm{TV}}{\\partial \\mu_i}
       = \\frac12 \\sum_j \\big[\\varphi(r_j^* - \\mu_i) - \\varphi(l_j^* - \\mu_i)\\big]

    Valid where ``A*`` is locally stable (simple crossings); 0 where ``mu = nu`` up to swapping.
    For any other ``model``: the Danskin gradient of ``max_ell L`` from the generated gradient
    kernel, shape ``(..., K)`` (:mod:`gmmsym.discriminator.optimal_any`, docs/model.md section 3).
    """
    if check_model(model) != PAPER:
        return _family.tv_gradient(mu, nu, model)
    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    g1, g2 = tv_gradient_components(mu1, mu2, l1, r1, l2, r2, count)
    return np.stack([g1, g2], axis=-1).reshape(lead + (2,))
