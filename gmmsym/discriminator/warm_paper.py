"""Warm-started optimal discriminator of the paper's model (K = M = 2), float64, certified per row.

One step of optimal dynamics moves ``mu`` by ``O(eta)``, so the crossings of ``p* - p_mu`` move by
``O(eta)`` too.  :func:`warm_endpoints` takes the crossings of the previous step
(:class:`WarmState`) as Newton starting points and returns, for every row, either *certified*
crossings or those of the cold isolation :func:`gmmsym.discriminator.optimal._crossings` (rows
that fail any check; also rows without history, unless their structural starts certify).  The
notation is that of :mod:`gmmsym.discriminator.optimal`: ``g = sum_k c_k e^{a_k x}`` with sorted exponents
``a1 <= a2 <= a3 <= a4``, ``V`` sign changes of the coefficients, ``phi = log P - log N`` (``P``
the two true-mean terms, ``N`` the two generator-mean terms; ``phi`` and ``g`` have the same sign).

The number of crossings (certified without the previous step)
------------------------------------------------------------
* ``V = 1``: one crossing; ``V = 2``: two, separated by the midpoint ``c = (a2 + a3)/2`` of the
  inner pair (module docstring of :mod:`gmmsym.discriminator.optimal`).
* ``V = 3``: at most three (Laguerre's rule), so three certified distinct crossings are all of
  them; a row with three crossings at the previous step tries three again.  Otherwise the sign
  of ``S_3 = (d/dx - a1) g`` at ``z2`` (the closed-form zero of ``S_2``) decides: the sign
  ``s_+`` of the top term means ``S_3`` has no zero, ``e^{-a1 x} g`` is monotone and there is
  exactly one crossing; ``-s_+`` means two zeros ``z_a < z2 < z_b`` of ``S_3``, solved (and
  certified, below) together with the crossing; ``e^{-a1 x} g`` is monotone on the three pieces
  they cut, so the signs of ``g`` at ``z_a`` and ``z_b`` (resolved, at certified zeros whose balls
  are below ``1e-8`` relative) give the count, and a single crossing must lie in the piece whose
  ends have opposite signs.  Three crossings from there (and any failed check) go to the cold
  isolation.

The zeros themselves are certified by :func:`gmmsym.discriminator.warm_newton.newton`
(Kantorovich balls; pair-form refinement where the log form is unresolved).

A row is certified when all its crossings are, and their balls are disjoint and ordered
(``V = 2``: on either side of ``c``; one crossing next to two zeros of ``S_3``: inside its piece).
Starts: when the row's count is the previous one, the previous crossing linearly extrapolated
from the two previous steps (unless it moved by more than ``PREDICT_LIMIT (1 + |x|)``), or the
crossing of two steps back where its last two moves reversed (optimal dynamics chattering around
``nu``); otherwise the starts of the cold isolation.  Everything is elementwise: a row's values
depend only on its own data and history, never on the batch it runs in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gmmsym.discriminator import optimal as _opt
from gmmsym.discriminator.roots import NOISE_FACTOR
from gmmsym.discriminator.warm_newton import NEWTON_STEPS, Rows, evaluate, newton, params, refine, rows_of

__all__ = ["WarmState", "warm_endpoints", "PREDICT_LIMIT"]

PREDICT_LIMIT = 0.1
"""Linear extrapolation of a crossing only when it moved by at most ``PREDICT_LIMIT (1 + |x|)``."""


class WarmState(NamedTuple):
    """The previous steps of a batch: crossings ``x``, ``x_prev``, ``x_prev2`` ``(3, n)`` of the last
    three steps (NaN padded, NaN where the count differed), the count ``(n,)`` and the sign
    ``s_minus (n,)`` of ``g`` at ``-inf`` of the last step (count ``0``: no history), the zeros
    ``z (2, n)`` of ``S_3`` (rows with two of them, else NaN) and the last ``mu (2, n)``."""

    x: np.ndarray
    x_prev: np.ndarray
    x_prev2: np.ndarray
    count: np.ndarray
    s_minus: np.ndarray
    z: np.ndarray
    mu: np.ndarray

    @staticmethod
    def empty(n: int) -> WarmState:
        """The state before the first step."""
        nan = np.full((3, n), np.nan)
        zero = np.zeros(n, dtype=np.int64)
        return WarmState(nan, nan.copy(), nan.copy(), zero, np.zeros(n), nan[:2].copy(), nan[:2].copy())

    def take(self, keep: np.ndarray) -> WarmState:
        """The rows ``keep`` (a mask or indices)."""
        x, xp, xpp, c, sm, z, mu = self
        return WarmState(x[:, keep], xp[:, keep], xpp[:, keep], c[keep], sm[keep], z[:, keep], mu[:, keep])


def _starts(r: Rows, rows: np.ndarray, count: np.ndarray) -> np.ndarray:
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


def _s3_sign(r: Rows, rows: np.ndarray) -> np.ndarray:
    """Sign of ``S_3(z2)`` for ``V = 3`` rows (``s_+``: one crossing; ``-s_+``: one or three).

    The log form where ``|phi|`` exceeds its rounding bound, the cold isolation's sign
    (``_sign_level``: log form, then pair form) elsewhere.
    """
    b1, b2, b3, b4 = (a[rows] for a in r.a)
    z2 = (b3 + b4) * 0.5 + (_opt._log_ratio(b3, b4, b1) + _opt._log_ratio(b3, b4, b2)) / (b4 - b3)
    phi, _, _, noise = evaluate(
        z2, params(r, rows, True), np.empty((13, rows.size)), np.empty(rows.size, bool)
    )
    s = np.sign(phi)
    j = np.flatnonzero(~(np.abs(phi) > NOISE_FACTOR * noise))
    if j.size:
        s[j] = _opt._sign_level(z2[j], _base(r, rows[j]), b1[j])
    return s


def _base(r: Rows, rows: np.ndarray) -> tuple:
    """The cold isolation's pairing ``(nu_a, mu, nu_b, mu)`` (nearest generator mean per true mean)."""
    na, nb, ma, mb = r.na[rows], r.nb[rows], r.ma[rows], r.mb[rows]
    crossed = np.fmin(np.abs(na - mb), np.abs(nb - ma)) < np.fmin(np.abs(na - ma), np.abs(nb - mb))
    return (na, np.where(crossed, mb, ma), nb, np.where(crossed, ma, mb))


def _expected(r: Rows, prev: WarmState) -> np.ndarray:
    """Crossings to certify per row: 1, 2, 3, 0 (cold isolation) or -2 (``S_3`` has two zeros)."""
    want = np.where(r.v == 1, 1, np.where(r.v == 2, 2, 0))
    v3 = r.v == 3
    want[v3 & (prev.count == 3)] = 3
    i = np.flatnonzero(v3 & (prev.count != 3))
    if i.size:
        s3 = _s3_sign(r, i)
        want[i] = np.where(s3 == r.sp[i], 1, np.where(s3 == -r.sp[i], -2, 0))
    return want


def _solve(r: Rows, rows, x0, lo, hi, slo, level3: np.ndarray):
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
    p = params(r, rows)
    if i3.size:
        p3 = params(r, rows[i3], True)
        for a, b in zip(p, p3):
            a[i3] = b
    steps = np.where(level3, 2 * NEWTON_STEPS, NEWTON_STEPS)  # per element: batch-independent
    x, radius, ok, resolved = newton(x0, p, r.scale[rows], lo, hi, slo, steps)
    redo = np.flatnonzero(ok & ~resolved & ~level3)  # S_3: only its ball is used
    if redo.size:
        sub = rows[redo]
        x[redo], ok[redo] = refine(x[redo], radius[redo], _base(r, sub), r.scale[sub])
    return x, x - radius, x + radius, ok


def _s3_starts(r: Rows, prev: WarmState, rows: np.ndarray):
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


def _s3_pieces(r: Rows, rows, z, lo, hi, ok, z2):
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


def _crossing_elements(r: Rows, prev: WarmState, want: np.ndarray):
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


def _certify(r: Rows, prev: WarmState, want: np.ndarray):
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
    # a row whose mu is bitwise the last one gets bitwise the last result (so a step that leaves
    # a row unchanged is an exact fixed point of the dynamics, as the engine assumes)
    again = (mu1.view(np.int64) == state.mu[0].view(np.int64)) & (state.count != 0)
    again &= mu2.view(np.int64) == state.mu[1].view(np.int64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = rows_of(mu1, mu2, nu1, nu2)
        want = np.where(again, 0, _expected(r, state))
        roots, good, z, want = _certify(r, state, want)
        count = np.where(good, want, 0)
        s_minus = r.sm.copy()
        cold = np.flatnonzero(~good & ~again)
        if cold.size:
            x1, x2, x3, cc, sc = _opt._crossings(mu1[cold], mu2[cold], nu1[cold], nu2[cold])
            roots[:, cold] = (x1, x2, x3)
            count[cold], s_minus[cold] = cc, sc
    if again.any():
        roots[:, again], z[:, again] = state.x[:, again], state.z[:, again]
        count[again], s_minus[again] = state.count[again], state.s_minus[again]
    same = count == state.count
    xp, xpp = np.where(same, state.x, np.nan), np.where(same, state.x_prev, np.nan)
    new = WarmState(roots, xp, xpp, count, s_minus, z, np.stack([mu1, mu2]))
    return (*_opt._encode(roots[0], roots[1], roots[2], count, s_minus), count, new)
