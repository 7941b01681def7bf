"""Warm-started optimal discriminator of the paper's model (K = M = 2), float64, certified per row.

One step of optimal dynamics moves ``mu`` by ``O(eta)``, so the crossings of ``p* - p_mu`` move by
``O(eta)`` too.  :func:`warm_endpoints` takes the crossings of the previous step
(:class:`WarmState`) as Newton starting points and returns, for every row, either *certified*
crossings or those of the cold isolation :func:`gmmsym.discriminator.optimal._crossings` (rows
that fail any check, and every row of the first step).  The notation is that of
:mod:`gmmsym.discriminator.optimal`: ``g = sum_k c_k e^{a_k x}`` with sorted exponents
``a1 <= a2 <= a3 <= a4``, ``V`` sign changes of the coefficients, ``phi = log P - log N`` (``P``
the two true-mean terms, ``N`` the two generator-mean terms; ``phi`` and ``g`` have the same sign).

The number of crossings (certified without the previous step)
------------------------------------------------------------
* ``V = 1``: one crossing; ``V = 2``: two, separated by the midpoint ``c = (a2 + a3)/2`` of the
  inner pair (module docstring of :mod:`gmmsym.discriminator.optimal`).
* ``V = 3``: at most three (Laguerre's rule).  Three certified distinct crossings are therefore
  all of them.  Exactly one when ``S_3 = (d/dx - a1) g`` has no zero, i.e. when ``S_3(z2)`` has
  the sign ``s_+`` of the top term (``z2`` the closed-form zero of ``S_2``); a row whose
  previous step had one crossing is checked this way (the pattern of the general warm path that
  fell back to cold isolation), a row with ``S_3(z2)`` of sign ``-s_+`` (one or three crossings)
  tries three crossings from the quick separators ``a2``, ``a3`` of the cold isolation.

Every crossing (Kantorovich in one dimension)
---------------------------------------------
Newton steps on ``phi`` from the start.  At an iterate ``x`` with computed ``phi``, ``phi'`` and
rounding bounds ``noise`` (:func:`gmmsym.discriminator.forms._eval_log`'s bound) and
``DNOISE eps max|a|`` (of ``phi'``): with ``F = |phi| + noise``, ``D = |phi'| - DNOISE eps max|a|``,
``r = 2 F / D`` and ``L = max((a_nu2 - a_nu1)^2, (a_mu2 - a_mu1)^2) / 4 >= |phi''|`` everywhere
(``phi''`` is a difference of two softmax variances of two slopes), ``L r < D`` implies
``phi' >= D - L r > 0`` on ``[x - r, x + r]`` and opposite signs of ``phi`` at its ends: exactly
one crossing, simple, lies within ``r`` of ``x``.  The returned crossing is the Newton step from
that ``x``; it is accepted when, besides, the log form resolves the zero as well as the cold
isolation's phase 1 requires (``NOISE_FACTOR noise / D <= REDO_FACTOR eps (|x| + scale)``) and
the Newton error bound ``L r^2 / (2 D)`` is below ``NEWTON_ULPS eps (|x| + scale)``; so a
certified crossing agrees with the cold one to about ``REDO_FACTOR eps (|x| + scale)``.

A row is certified when all its crossings are, and their balls ``[x - r, x + r]`` are disjoint and
ordered (``V = 2``: on either side of ``c``).  Starts: the previous crossings, linearly
extrapolated from the two previous steps, when the row's count is the previous one; otherwise the
starts of the cold isolation.  Everything is elementwise: a row's values depend only on its own
data and history, never on the batch it runs in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gmmsym.discriminator import optimal as _opt
from gmmsym.discriminator.forms import EPS as _EPS
from gmmsym.discriminator.forms import _eval_pair, _pair_params
from gmmsym.discriminator.roots import NOISE_FACTOR, REDO_FACTOR

__all__ = [
    "WarmState",
    "warm_endpoints",
    "NEWTON_STEPS",
    "NEWTON_ULPS",
    "DNOISE",
    "WARM_ACCURACY",
    "PREDICT_LIMIT",
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
PREDICT_LIMIT = 0.1
"""Linear extrapolation of a crossing only when it moved by at most ``PREDICT_LIMIT (1 + |x|)``."""
_L_MARGIN = 1.0 + 1e-9  # covers the rounding of L = max(dn^2, dm^2) / 4


class WarmState(NamedTuple):
    """The previous steps of a batch: crossings ``x``, ``x_prev``, ``x_prev2`` ``(3, n)`` of the last
    three steps (NaN padded, NaN where the count differed), the count ``(n,)`` of the last step
    (``0``: no history) and the zeros ``z (2, n)`` of ``S_3`` (rows with two of them, else NaN)."""

    x: np.ndarray
    x_prev: np.ndarray
    x_prev2: np.ndarray
    count: np.ndarray
    z: np.ndarray

    @staticmethod
    def empty(n: int) -> WarmState:
        """The state before the first step."""
        nan = np.full((3, n), np.nan)
        return WarmState(nan, nan.copy(), nan.copy(), np.zeros(n, dtype=np.int64), np.full((2, n), np.nan))

    def take(self, keep: np.ndarray) -> WarmState:
        """The rows ``keep`` (a mask or indices)."""
        x, xp, xpp, c, z = self
        return WarmState(x[:, keep], xp[:, keep], xpp[:, keep], c[keep], z[:, keep])


class _Rows(NamedTuple):
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


def _rows(mu1, mu2, nu1, nu2) -> _Rows:
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
    return _Rows(na, nb, ma, mb, sm, sp, v, scale, a)


def _eval(x, p, w, wb):
    """``(phi, phi', phi'', noise)`` of the log form at ``x``, computed in the workspace ``w`` (13 rows).

    ``p`` from :func:`_params`; ``noise`` is :func:`gmmsym.discriminator.forms._eval_log`'s bound
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


def _params(r: _Rows, rows: np.ndarray, level3: bool = False) -> tuple:
    """Per-element parameters of :func:`_eval`: ``g`` (``level3`` False) or ``S_3 = (d/dx - a1) g``."""
    na, nb, ma, mb = r.na[rows], r.nb[rows], r.ma[rows], r.mb[rows]
    off = [-(v * v) * 0.5 for v in (na, nb, ma, mb)]
    if level3:  # factors a_k - a1 (log 0 = -inf drops the term a1)
        a1 = r.a[0][rows]
        off = [o + np.log(v - a1) for o, v in zip(off, (na, nb, ma, mb))]
    dn, dm = nb - na, mb - ma
    return (na, off[0], nb, off[1], dn, dn * dn, ma, off[2], mb, off[3], dm, dm * dm, r.scale[rows] - 1.0)


def _newton(x, p, scale, lo, hi, slo, steps: int = NEWTON_STEPS):
    """Certified Newton (module docstring) per element: ``(x, radius, ok, resolved)``.

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
    for it in range(steps):
        m = x.size
        phi, dphi, ddphi, noise = _eval(x, p, w[:, :m], wb[:m])
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
        keep = np.flatnonzero(~ok & np.isfinite(xn))
        if not keep.size:
            break
        if keep.size < m:
            idx, x, lo, hi, slo = idx[keep], xn[keep], lo[keep], hi[keep], slo[keep]
            lip, dnoise, tol0 = lip[keep], dnoise[keep], tol0[keep]
            p = tuple(a[keep] for a in p)
        else:
            x = xn
    return out, radius, ~np.isnan(out), resolved


def _refine(x, radius, base, scale):
    """One Newton step on the pair form (as the cold isolation's phase 2): ``(x, ok)``.

    Kept where it stays in the certified ball and the pair form resolves the zero.
    """
    noise, psi, dpsi, _ = _eval_pair(x, _pair_params(*base))
    xn = x - psi / dpsi
    tol = _EPS * (np.abs(xn) + scale)
    ok = (np.abs(xn - x) <= radius) & (NOISE_FACTOR * noise <= REDO_FACTOR * tol * np.abs(dpsi))
    ok &= np.isfinite(xn)
    return xn, ok


def _starts(r: _Rows, rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Starts ``(3, m)`` of the cold isolation for rows with ``count`` crossings (``_starts`` there)."""
    a1, a2, a3, a4 = (a[rows] for a in r.a)
    na, nb, ma, mb, v = r.na[rows], r.nb[rows], r.ma[rows], r.mb[rows], r.v[rows]
    one = np.where(v == 1, np.where(nb < ma, (nb + ma) * 0.5, (mb + na) * 0.5), (a2 + a3) * 0.5)
    x = np.stack([np.where(count == 3, (a1 + a2) * 0.5, one), (a2 + a3) * 0.5, (a3 + a4) * 0.5])
    two = np.flatnonzero(v == 2)
    if two.size:
        b1, b2, b3, b4 = a1[two], a2[two], a3[two], a4[two]
        x[0, two] = _opt._outer_start(b1, b2, b3)
        x[1, two] = _opt._outer_start(b4, b3, b2)
    return x


def _s3_sign(r: _Rows, rows: np.ndarray) -> np.ndarray:
    """Sign of ``S_3(z2)`` for ``V = 3`` rows (``s_+``: one crossing; ``-s_+``: one or three).

    The log form where ``|phi|`` exceeds its rounding bound, the cold isolation's sign
    (``_sign_level``: log form, then pair form) elsewhere.
    """
    b1, b2, b3, b4 = (a[rows] for a in r.a)
    z2 = (b3 + b4) * 0.5 + (_opt._log_ratio(b3, b4, b1) + _opt._log_ratio(b3, b4, b2)) / (b4 - b3)
    phi, _, _, noise = _eval(z2, _params(r, rows, True), np.empty((13, rows.size)), np.empty(rows.size, bool))
    s = np.sign(phi)
    j = np.flatnonzero(~(np.abs(phi) > NOISE_FACTOR * noise))
    if j.size:
        s[j] = _opt._sign_level(z2[j], _base(r, rows[j]), b1[j])
    return s


def _base(r: _Rows, rows: np.ndarray) -> tuple:
    """The cold isolation's pairing ``(nu_a, mu, nu_b, mu)`` (nearest generator mean per true mean)."""
    na, nb, ma, mb = r.na[rows], r.nb[rows], r.ma[rows], r.mb[rows]
    crossed = np.fmin(np.abs(na - mb), np.abs(nb - ma)) < np.fmin(np.abs(na - ma), np.abs(nb - mb))
    return (na, np.where(crossed, mb, ma), nb, np.where(crossed, ma, mb))


def _expected(r: _Rows, prev: WarmState) -> np.ndarray:
    """Crossings to certify per row: 1, 2, 3, 0 (cold isolation) or -2 (``S_3`` has two zeros)."""
    want = np.where(r.v == 1, 1, np.where(r.v == 2, 2, 0))
    v3 = r.v == 3
    want[v3 & (prev.count == 3)] = 3
    i = np.flatnonzero(v3 & (prev.count != 3))
    if i.size:
        s3 = _s3_sign(r, i)
        want[i] = np.where(s3 == r.sp[i], 1, np.where(s3 == -r.sp[i], -2, 0))
    return want


def _solve(r: _Rows, rows, x0, lo, hi, slo, level3: np.ndarray):
    """Certified zeros of ``g`` (``S_3`` where ``level3``) in the pieces ``(lo, hi)``: ``(x, lo, hi, ok)``.

    ``slo``: the sign at ``lo`` where the piece holds one zero with a sign change, else 0.
    The returned ``[lo, hi]`` is the certified ball (checked against the pieces by the caller).
    Starts outside their piece are moved into it.
    """
    inside = (x0 > lo) & (x0 < hi)
    fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
    moved = np.where(fin_lo & fin_hi, 0.5 * (lo + hi), np.where(fin_lo, lo + 1.0, hi - 1.0))
    x0 = np.where(inside, x0, moved)
    i3 = np.flatnonzero(level3)
    p = _params(r, rows)
    if i3.size:
        p3 = _params(r, rows[i3], True)
        for a, b in zip(p, p3):
            a[i3] = b
    steps = 2 * NEWTON_STEPS if i3.size else NEWTON_STEPS
    x, radius, ok, resolved = _newton(x0, p, r.scale[rows], lo, hi, slo, steps)
    redo = np.flatnonzero(ok & ~resolved & ~level3)  # S_3: only its ball is used
    if redo.size:
        sub = rows[redo]
        x[redo], ok[redo] = _refine(x[redo], radius[redo], _base(r, sub), r.scale[sub])
    return x, x - radius, x + radius, ok


def _s3_starts(r: _Rows, prev: WarmState, rows: np.ndarray):
    """Starts, pieces and signs of the two zeros of ``S_3`` (``V = 3``, ``S_3(z2)`` of sign ``-s_+``).

    ``S_3`` has the sign ``s_+`` at both ends and one zero on either side of ``z2``.  Starts: the
    previous zeros, else where two neighbouring terms of ``S_3`` balance (on the right side).
    Returns ``(x0, lo, hi, slo, z2)`` with the elements ``[z_a of every row, z_b of every row]``.
    """
    b1, b2, b3, b4 = (a[rows] for a in r.a)
    z2 = (b3 + b4) * 0.5 + (_opt._log_ratio(b3, b4, b1) + _opt._log_ratio(b3, b4, b2)) / (b4 - b3)
    zs = prev.z[:, rows]
    za = (b2 + b3) * 0.5 - np.log((b3 - b1) / (b2 - b1)) / (b3 - b2)
    zb = (b3 + b4) * 0.5 - np.log((b4 - b1) / (b3 - b1)) / (b4 - b3)
    za = np.where(np.isnan(zs[0]), np.where(za < z2, za, z2 - 1.0), zs[0])
    zb = np.where(np.isnan(zs[1]), np.where(zb > z2, zb, z2 + 1.0), zs[1])
    inf, sp = np.full(rows.size, np.inf), r.sp[rows]
    lo, hi = np.concatenate([-inf, z2]), np.concatenate([z2, inf])
    return np.concatenate([za, zb]), lo, hi, np.concatenate([sp, -sp]), z2


def _s3_pieces(r: _Rows, rows, z, lo, hi, ok, z2):
    """The piece of the single crossing of rows whose ``S_3`` has the two certified zeros ``z``.

    The zeros ``z_a < z_b`` of ``S_3`` cut the line into pieces on which ``e^{-a1 x} g`` is
    monotone; the signs of ``g`` at the zeros (resolved, at the centre of a ball below ``1e-8``
    relative: a sign change of ``g`` inside it would be a double zero, ``g' = a1 g`` there) decide
    where ``g`` changes sign.  Returns ``(z (2, m), lo, hi, slo, one)``: ``one`` marks rows with a
    single crossing, in ``(lo, hi)`` (sign ``slo`` at ``lo``); ``z`` is NaN where not certified.
    """
    m = rows.size
    ok = ok[:m] & ok[m:] & (hi[:m] < z2) & (z2 < lo[m:])
    small = (hi - lo) <= 1e-8 * (np.abs(z) + np.concatenate([r.scale[rows]] * 2))
    ok &= small[:m] & small[m:]
    both = np.concatenate([ok, ok])
    sab = _opt._sign_level(np.where(both, z, 0.0), _base(r, np.concatenate([rows, rows])), None)
    sa, sb, sm, sp = sab[:m], sab[m:], r.sm[rows], r.sp[rows]
    first, second, third = sm * sa < 0, sa * sb < 0, sb * sp < 0
    one = ok & (sa != 0) & (sb != 0) & (first.astype(int) + second + third == 1)
    lo_p = np.where(first, -np.inf, np.where(second, hi[:m], hi[m:]))
    hi_p = np.where(first, lo[:m], np.where(second, lo[m:], np.inf))
    z = np.where(both, z, np.nan)
    return np.stack([z[:m], z[m:]]), lo_p, hi_p, np.where(first, sm, np.where(second, sa, sb)), one


def _crossing_elements(r: _Rows, prev: WarmState, want: np.ndarray):
    """``(slot, rows, x0, lo, hi, slo)`` of the crossings to certify (one element per crossing)."""
    k = np.where(want == -2, 1, np.maximum(want, 0))  # a row with two zeros of S_3 has one crossing
    slot, rows = np.nonzero(np.arange(3)[:, None] < k[None, :])
    wr = want[rows]
    x0 = np.empty(rows.size)
    h = np.flatnonzero(np.where(wr == -2, 1, wr) == prev.count[rows])
    xs, xp, xpp = (v[slot[h], rows[h]] for v in (prev.x, prev.x_prev, prev.x_prev2))
    # linear extrapolation from the two previous steps, unless the crossing moved far; where its
    # last two moves reversed (optimal dynamics chattering around nu), the crossing two steps back
    step = xs - xp
    x0[h] = np.where(np.abs(step) <= PREDICT_LIMIT * (1.0 + np.abs(xs)), xs + step, xs)
    x0[h] = np.where(step * (xp - xpp) < 0, xp, x0[h])
    c = np.ones(rows.size, dtype=bool)
    c[h] = False
    if c.any():
        wc = np.where(wr[c] == -2, 1, wr[c])
        x0[c] = _starts(r, rows[c], wc)[slot[c], np.arange(int(c.sum()))]
    # pieces: V = 2 on either side of the inner midpoint (signs -s_-, s_- there); else the line
    mr, sm = ((r.a[1] + r.a[2]) * 0.5)[rows], r.sm[rows]
    two, first = wr == 2, slot == 0
    lo = np.where(two & ~first, mr, -np.inf)
    hi = np.where(two & first, mr, np.inf)
    slo = np.where(two, np.where(first, sm, -sm), np.where(wr == 1, sm, 0.0))
    return slot, rows, x0, lo, hi, slo


def _certify(r: _Rows, prev: WarmState, want: np.ndarray):
    """Certified crossings ``(3, n)``, the mask of certified rows and the zeros of ``S_3`` ``(2, n)``.

    One Newton call for every crossing and every zero of ``S_3``; the single crossing of a row
    whose ``S_3`` has two zeros is checked against its piece afterwards.
    """
    n = want.size
    z = np.full((2, n), np.nan)
    slot, rows, x0, lo, hi, slo = _crossing_elements(r, prev, want)
    two = np.flatnonzero(want == -2)
    ne = rows.size
    if two.size:
        z0, zlo, zhi, zslo, z2 = _s3_starts(r, prev, two)
        rows_all = np.concatenate([rows, two, two])
        x0, lo, hi, slo = (np.concatenate(v) for v in ((x0, z0), (lo, zlo), (hi, zhi), (slo, zslo)))
    else:
        rows_all = rows
    level3 = np.arange(rows_all.size) >= ne
    x, lo_b, hi_b, ok = _solve(r, rows_all, x0, lo, hi, slo, level3)
    plo, phi = np.full(n, -np.inf), np.full(n, np.inf)  # piece of the single crossing of `two`
    if two.size:
        z[:, two], plo[two], phi[two], _, one = _s3_pieces(r, two, *(v[ne:] for v in (x, lo_b, hi_b, ok)), z2)
        want = want.copy()
        want[two] = np.where(one, 1, 0)
    x, lo_b, hi_b, ok = x[:ne], lo_b[:ne], hi_b[:ne], ok[:ne]
    good = np.ones(n, dtype=bool)
    np.logical_and.at(good, rows, ok)
    good &= want > 0
    lo = np.full((3, n), np.inf)
    hi = np.full((3, n), -np.inf)
    lo[slot, rows], hi[slot, rows] = lo_b, hi_b
    mid = (r.a[1] + r.a[2]) * 0.5
    with np.errstate(invalid="ignore"):
        good &= np.where(want == 1, (plo < lo[0]) & (hi[0] < phi), True)
        good &= np.where(want == 2, (hi[0] < mid) & (mid < lo[1]), True)
        good &= np.where(want == 3, (hi[0] < lo[1]) & (hi[1] < lo[2]), True)
    out = np.full((3, n), np.nan)
    out[slot, rows] = x
    out[:, ~good] = np.nan
    return out, good, z, want


def warm_endpoints(mu1, mu2, nu1, nu2, state: WarmState):
    """``ell*`` at ``mu`` warm-started from ``state``: ``(l1, r1, l2, r2, count, new_state)``.

    Component-major ``(n,)`` float64 arrays (not validated), the encoding of
    :func:`gmmsym.discriminator.optimal.optimal_endpoints`; every row is certified
    (module docstring) or isolated cold.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = _rows(mu1, mu2, nu1, nu2)
        want = _expected(r, state)
        roots, good, z, want = _certify(r, state, want)
        count = np.where(good, want, 0)
        s_minus = r.sm.copy()
        cold = np.flatnonzero(~good)
        if cold.size:
            x1, x2, x3, cc, sc = _opt._crossings(mu1[cold], mu2[cold], nu1[cold], nu2[cold])
            roots[:, cold] = (x1, x2, x3)
            count[cold], s_minus[cold] = cc, sc
    same = count == state.count
    new = WarmState(roots, np.where(same, state.x, np.nan), np.where(same, state.x_prev, np.nan), count, z)
    return (*_opt._encode(roots[0], roots[1], roots[2], count, s_minus), count, new)
