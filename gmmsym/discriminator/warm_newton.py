"""The certified Newton iteration of the warm-started discriminator (:mod:`.warm_paper`), float64.

Notation of :mod:`gmmsym.discriminator.optimal`: ``g = sum_k c_k e^{a_k x}`` (sorted exponents
``a1 <= ... <= a4``), ``phi = log P - log N`` with ``P`` the two true-mean terms and ``N`` the two
generator-mean terms (``S_3 = (d/dx - a1) g`` alike, the factors ``a_k - a1`` in the offsets).

Every zero (Kantorovich in one dimension)
-----------------------------------------
Halley steps on ``phi`` (on the log form of ``S_3`` for its zeros) from the start, kept inside
the zero's piece (narrowed by resolved signs where the piece's end signs are known).  From the
second evaluation on, at an iterate ``x`` with computed ``phi``, ``phi'`` and rounding bounds
``noise`` (:func:`gmmsym.discriminator.forms._eval_log`'s bound with ``max|a|`` for the softmax
means of ``|a|``) and ``DNOISE eps max|a|`` (of ``phi'``): with ``F = |phi| + noise``,
``D = |phi'| - DNOISE eps max|a|``, ``r = 2 F / D`` and
``L = max((a_nu2 - a_nu1)^2, (a_mu2 - a_mu1)^2) / 4 >= |phi''|`` everywhere (``phi''`` is a
difference of two softmax variances of two slopes), ``L r < D`` implies ``phi' >= D - L r > 0``
on ``[x - r, x + r]`` and opposite signs of ``phi`` at its ends: exactly one zero, simple, lies
within ``r`` of ``x``.  The returned zero is the Newton step from that ``x``, accepted when the
Newton error bound ``L r^2 / (2 D)`` is below ``NEWTON_ULPS eps (|x| + scale)``; its ball has
the radius ``L r^2 / (2 D) + 2 noise / D + 2 eps |x|``.  Where the log form's resolution
``NOISE_FACTOR noise / D`` exceeds ``WARM_ACCURACY`` (nearly cancelling terms, ``mu`` close to
``nu``) one Newton step on the pair form refines the crossing, as in the cold isolation's
phase 2, and must stay in the ball.  So a certified crossing agrees with the cold one to about
``WARM_ACCURACY`` at worst, and the Danskin gradient to ``0.37`` times that.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gmmsym.discriminator.forms import EPS as _EPS
from gmmsym.discriminator.forms import _eval_pair, _pair_params
from gmmsym.discriminator.roots import NOISE_FACTOR, REDO_FACTOR

__all__ = [
    "NEWTON_STEPS",
    "NEWTON_ULPS",
    "DNOISE",
    "WARM_ACCURACY",
    "Rows",
    "rows_of",
    "evaluate",
    "params",
    "newton",
    "refine",
]

NEWTON_STEPS = 6
"""Newton evaluations per crossing (twice as many per zero of ``S_3``) before a cold fallback."""
NEWTON_ULPS = 8.0
"""Accepted Newton error bound ``L r^2 / (2 D)``, in units of ``eps (|x| + scale)``."""
DNOISE = 32.0
"""Rounding bound of the computed ``phi'`` in units of ``eps max|a|``."""
WARM_ACCURACY = 5e-13
"""Largest log-form resolution ``NOISE_FACTOR noise / D`` kept without a pair-form step (absolute:
the Danskin gradient moves by at most ``0.37`` times the largest crossing error)."""
_L_MARGIN = 1.0 + 1e-9  # covers the rounding of L = max(dn^2, dm^2) / 4


class Rows(NamedTuple):
    """Per-row quantities of the sorted exponents (see the module docstring)."""

    na: np.ndarray
    nb: np.ndarray
    ma: np.ndarray
    mb: np.ndarray
    sm: np.ndarray  # sign of g at -inf
    sp: np.ndarray  # sign of g at +inf
    v: np.ndarray  # sign changes V (0 for an exact cancellation nu_i == mu_j)
    scale: np.ndarray
    a: tuple  # a1 <= a2 <= a3 <= a4


def rows_of(mu1, mu2, nu1, nu2) -> Rows:
    na, nb = np.fmin(nu1, nu2), np.fmax(nu1, nu2)
    ma, mb = np.fmin(mu1, mu2), np.fmax(mu1, mu2)
    special = (na == ma) | (nb == mb) | (nb == ma) | (na == mb)
    v1 = (nb < ma) | (mb < na)
    v3 = ((na < ma) & (ma < nb) & (nb < mb)) | ((ma < na) & (na < mb) & (mb < nb))
    v = np.where(special, 0, np.where(v1, 1, np.where(v3, 3, 2)))
    scale = 1.0 + np.fmax(np.fmax(np.abs(na), np.abs(nb)), np.fmax(np.abs(ma), np.abs(mb)))
    inner_lo, inner_hi = np.fmax(na, ma), np.fmin(nb, mb)
    a = (np.fmin(na, ma), np.fmin(inner_lo, inner_hi), np.fmax(inner_lo, inner_hi), np.fmax(nb, mb))
    sm = np.where(na < ma, 1.0, -1.0)
    sp = np.where(nb > mb, 1.0, -1.0)
    return Rows(na, nb, ma, mb, sm, sp, v, scale, a)


def evaluate(x, p, w, wb):
    """``(phi, phi', phi'', noise)`` of the log form at ``x``, computed in the workspace ``w`` (13 rows).

    ``p`` from :func:`params`; ``noise`` is :func:`gmmsym.discriminator.forms._eval_log`'s bound
    with ``max|a|`` in place of the softmax means of ``|slope|`` (an upper bound).
    """
    na, oa, nb, ob, dn, dn2, ma, qa, mb, qb, dm, dm2, ks = p
    ua, dp, va, dq, ep, eq, rp, rq, t, phi, dphi, ddphi, noise = w
    np.multiply(na, x, out=ua)
    ua += oa
    np.multiply(nb, x, out=dp)
    dp += ob
    np.fmax(ua, dp, out=t)  # top of P
    dp -= ua
    np.multiply(ma, x, out=va)
    va += qa
    np.multiply(mb, x, out=dq)
    dq += qb
    np.fmax(va, dq, out=phi)  # top of N
    dq -= va
    np.abs(t, out=noise)
    np.abs(phi, out=ua)
    noise += ua
    np.subtract(t, phi, out=phi)
    for d, e, rr in ((dp, ep, rp), (dq, eq, rq)):
        np.abs(d, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=rr)
        np.divide(1.0, rr, out=rr)  # 1 / (1 + e)
    np.divide(rq, rp, out=t)
    np.log(t, out=t)  # log((1 + e_P) / (1 + e_N))
    phi += t
    np.abs(t, out=t)
    noise += t
    noise += 2.0
    np.abs(x, out=t)
    t *= ks
    t *= 4.0
    noise += t
    noise *= 2.0 * _EPS
    # softmax weight of the b term: 1/(1+e) if u_b >= u_a else e/(1+e); variance e/(1+e)^2 (b - a)^2
    for d, e, rr, slope, diff, diff2, out_d, sign in (
        (dp, ep, rp, na, dn, dn2, dphi, 1.0),
        (dq, eq, rq, ma, dm, dm2, ua, -1.0),
    ):
        np.multiply(e, rr, out=t)
        np.less(d, 0.0, out=wb)
        np.copyto(va, rr)
        np.copyto(va, t, where=wb)
        va *= diff
        np.add(slope, va, out=out_d)
        t *= rr
        t *= diff2
        if sign > 0:
            np.copyto(ddphi, t)
        else:
            ddphi -= t
    dphi -= ua
    return phi, dphi, ddphi, noise


def params(r: Rows, rows: np.ndarray, level3: bool = False) -> tuple:
    """Per-element parameters of :func:`evaluate`: ``g`` (``level3`` False) or ``S_3 = (d/dx - a1) g``."""
    na, nb, ma, mb = r.na[rows], r.nb[rows], r.ma[rows], r.mb[rows]
    off = [-(v * v) * 0.5 for v in (na, nb, ma, mb)]
    if level3:  # factors a_k - a1 (log 0 = -inf drops the term a1)
        a1 = r.a[0][rows]
        off = [o + np.log(v - a1) for o, v in zip(off, (na, nb, ma, mb))]
    dn, dm = nb - na, mb - ma
    return (na, off[0], nb, off[1], dn, dn * dn, ma, off[2], mb, off[3], dm, dm * dm, r.scale[rows] - 1.0)


def newton(x, p, scale, lo, hi, slo, steps=NEWTON_STEPS):
    """Certified Newton (module docstring) per element: ``(x, radius, ok, resolved)``.

    ``steps``: the number of evaluations, an int or one per element (an element's iterations
    never depend on the others': the batch does not change a row's result).

    Iterates are Halley steps, kept in the bracket ``(lo, hi)`` (the piece, narrowed where the
    sign of ``phi`` is resolved and ``slo``, the sign at ``lo``, is known; a step leaving it goes
    to the bracket's midpoint, or ``1 + |bound|`` beyond its finite bound when it is unbounded).
    From the second evaluation on, a certified iterate returns its Newton step (whose error the
    Kantorovich ball bounds).  ``resolved``: the log form locates the zero as well as
    ``WARM_ACCURACY`` asks; elsewhere the caller refines with one pair-form step.
    """
    n = x.size
    out, radius = np.full(n, np.nan), np.full(n, np.nan)
    resolved = np.zeros(n, dtype=bool)
    idx = np.arange(n)
    lip = np.fmax(p[5], p[11]) * (0.25 * _L_MARGIN)
    dnoise, tol0 = DNOISE * _EPS * p[12], _EPS * scale
    lo, hi, slo = lo.copy(), hi.copy(), slo
    w, wb = np.empty((13, n)), np.empty(n, dtype=bool)
    limit = np.broadcast_to(np.asarray(steps, dtype=np.int64), (n,))
    for it in range(int(limit.max(initial=0))):
        m = x.size
        phi, dphi, ddphi, noise = evaluate(x, p, w[:, :m], wb[:m])
        h = phi / dphi
        if it:  # the start (a prediction) is never accurate enough: no test there
            d = np.abs(dphi)
            d -= dnoise
            r = np.abs(phi)
            r += noise
            r *= 2.0
            r /= d
            lr = lip * r
            tol = np.abs(x)
            tol *= _EPS
            tol += tol0
            tol *= (2.0 * NEWTON_ULPS) * d
            ok = (lr < d) & (lr * r <= tol) & (d > 0)
            k = np.flatnonzero(ok)
            if k.size:
                j = idx[k]
                # the Newton step from x has error <= L r^2 / (2 D) + its rounding (noise / D, eps |x|)
                out[j] = x[k] - h[k]
                radius[j] = (0.5 * lr[k] * r[k] + 2.0 * noise[k]) / d[k] + 2.0 * _EPS * np.abs(out[j])
                resolved[j] = NOISE_FACTOR * noise[k] <= WARM_ACCURACY * d[k]
        else:
            ok = np.zeros(m, dtype=bool)
        den = h * ddphi
        den /= dphi
        den *= -0.5
        den += 1.0
        np.clip(den, 0.5, 2.0, out=den)
        xn = x - h / den
        sig = (np.abs(phi) > noise) * np.sign(phi) * slo
        np.copyto(lo, x, where=sig > 0)
        np.copyto(hi, x, where=sig < 0)
        bad = np.flatnonzero((xn <= lo) | (xn >= hi))
        if bad.size:
            lb, hb = lo[bad], hi[bad]
            mid = np.where(np.isinf(lb), hb - (1.0 + np.abs(hb)), 0.5 * (lb + hb))
            xn[bad] = np.where(np.isinf(hb), lb + (1.0 + np.abs(lb)), mid)
        keep = np.flatnonzero(~ok & np.isfinite(xn) & (limit[idx] > it + 1))
        if not keep.size:
            break
        if keep.size < m:
            idx, x, lo, hi, slo = idx[keep], xn[keep], lo[keep], hi[keep], slo[keep]
            lip, dnoise, tol0 = lip[keep], dnoise[keep], tol0[keep]
            p = tuple(a[keep] for a in p)
        else:
            x = xn
    return out, radius, ~np.isnan(out), resolved


def refine(x, radius, base, scale):
    """One Newton step on the pair form (as the cold isolation's phase 2): ``(x, ok)``.

    Kept where it stays in the certified ball and the pair form resolves the zero.
    """
    noise, psi, dpsi, _ = _eval_pair(x, _pair_params(*base))
    xn = x - psi / dpsi
    tol = _EPS * (np.abs(xn) + scale)
    ok = (np.abs(xn - x) <= radius) & (NOISE_FACTOR * noise <= REDO_FACTOR * tol * np.abs(dpsi))
    ok &= np.isfinite(xn)
    return xn, ok
