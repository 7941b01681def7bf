"""Real zeros of ``p* - p_mu`` for any ``K``, weights and ``sigma`` (``docs/model.md`` section 3).

With ``y = x / sigma`` and ``a = m / sigma`` for every mean ``m``,

.. math::

    \\sigma\\sqrt{2\\pi}\\, e^{y^2/2} (p^* - p_\\mu)(x) = f(y) = \\sum_{k=1}^{2K} c_k e^{a_k y},
    \\qquad c_k = \\pm w_k e^{-a_k^2/2}

(``+`` for the true means, ``-`` for the generator's), an exponential sum of ``2K`` terms.
Terms with equal exponents are merged *exactly* first (their signed weights are added; a sum
below ``4 eps`` of the weights involved is an exact cancellation and the term is dropped), and
the exponents are sorted, ``a_1 <= ... <= a_n``.

Isolation by the Rolle chain
----------------------------
``S_0 = f`` and ``S_{j+1} = e^{a_{j+1} y} (d/dy) (e^{-a_{j+1} y} S_j)
= sum_{k > j+1} c_k^{(j)} (a_k - a_{j+1}) e^{a_k y}``: each level drops the lowest term and keeps
the signs of the others, and ``S_{n-1}`` is a single term without zeros.  Between two
consecutive sign-changing zeros of ``S_{j+1}`` the function ``e^{-a_{j+1} y} S_j`` is monotone,
so it has at most one zero there, and it has one exactly when ``S_j`` has strictly opposite
signs at the two ends.  Going up the chain from ``S_{n-2}`` (two terms, one bracket) to
``S_0``, the zeros of each level are the separators of the next: every crossing of every level is
bracketed, with no grid and no missed pair.  A separator where ``S_j`` is zero within its
rounding, with opposite signs on both sides, is itself the crossing.  The unbounded ends are
closed by the root bound (the top term dominates the ``n - 1`` others beyond)

.. math:: Y_+ = \\max_{k < top} \\frac{\\log(n - 1) + \\lambda_k - \\lambda_{top}}{a_{top} - a_k},
   \\qquad \\lambda_k = \\log |c_k|,

and symmetrically ``Y_-``.  Each bracket is solved by safeguarded Newton on the log ratio
``phi = log P - log N`` (``P``, ``N`` the positive and negative parts, evaluated as log-sum-exp,
so means far apart never overflow); a step leaving the bracket becomes a bisection (arithmetic,
or in bit-pattern order for brackets wider than ``64`` times the scale).  ``phi`` is
asymptotically linear, so Newton converges from any point of the bracket in a few steps.

Only crossings (sign changes) are reported: a tangency does not bound ``A*``.  Two crossings
closer than the float64 resolution of ``f`` at the separator between them (``|phi|`` below its
rounding noise there) are reported as none, i.e. as the tangency they are in float64.

Near pairs
----------
Two neighbouring terms of opposite signs with exponents at most ``PAIR_GAP`` apart (a
generator mean close to a true mean) nearly cancel: as two terms their sum has an absolute
rounding of ``eps`` times the terms, while it is ``gap |y|`` times smaller than either, so
the crossing it decides (for ``mu = (0, 1, 3)``, ``nu = (2.3e-189, 1, 2)`` at ``x = -213.8``)
is lost in rounding.  Such a pair is evaluated as one term,

.. math:: c_k e^{a_k y} + c_{k+1} e^{a_{k+1} y} = c_k e^{a_k y} (1 - e^t), \\qquad
   t = g y + (\\lambda_{k+1} - \\lambda_k),

with the gap ``g`` taken from the means themselves and ``1 - e^t`` from ``expm1``, at every
level where both members are present (the Rolle chain multiplies the two coefficients by
``a_k - a_j`` and ``a_k + g - a_j``: ``lambda_{k+1} - lambda_k`` grows by
``log1p(g / (a_k - a_j))``).  The pair's sign is then that of ``c_k`` times ``-sign(t)``; where it
cancels (``t = 0``) its logarithmic derivative is unbounded, so the Newton stopping rule uses
:func:`curvature_scale` instead of ``1 + max |a|`` on rows with pairs.  Rows without a pair
are computed exactly as without this form.

Every row is computed by its own elementwise operations (the working set is compacted without
reordering any element's arithmetic), so results are bitwise independent of the batch.
"""

from __future__ import annotations

import numpy as np

from gmmsym.model.spec import PAPER, ModelSpec

__all__ = ["Terms", "exponential_sum", "crossings", "level_zeros", "curvature_scale"]

_EPS = float(np.finfo(np.float64).eps)
_BIG = 1e300
_MAXIT = 200
_NEWTON = 40  # after that many iterations only bisection (termination guaranteed)
_MIN_KEY = np.int64(-(2**63))
_E1 = 1.0 - 1.0 / np.e  # (1 - e^-s) / s >= 1 - 1/e on (0, 1]
PAIR_GAP = 2.0**-10
"""Neighbouring terms of opposite signs at most this far apart (``y`` units) form a near pair.

Farther apart, two terms lose about ``log2(1 / gap)`` bits, at most 10 (measured: 6.8e-14
(1 + |x|) worst against the K = 2 solver's pair form, 8.2e-15 with pairs up to 1/16).  The pair
form is slower (a K = 3 optimal run from the figure2-k3 starts: 1.4x with this gap, 1.8x with
1/16), so it is kept for the gaps that need it."""


class Terms:
    """The exponential sum ``f(y) = sum_k s_k exp(a_k y + lam_k)`` of a batch, sorted by exponent.

    Component-major (term ``k`` of row ``i`` is ``[k, i]``): reductions over the terms are then
    elementwise operations over contiguous rows.

    Attributes
    ----------
    a : ndarray (n, N)
        Exponents ``m / sigma``, ascending in every row.
    lam : ndarray (n, N)
        ``log |c_k|`` (``-inf`` for merged-away or cancelled terms).
    s : ndarray (n, N)
        Signs ``+1`` (truth), ``-1`` (generator), ``0`` (dropped).
    sigma : float
        The common standard deviation (``x = sigma y``).
    gap : ndarray (n, N) or None
        Near pairs (section "Near pairs" of the module docstring): at the lower member ``k`` of a
        pair, the exponent gap ``a_{k+1} - a_k > 0`` (from the means, not from the rounded
        exponents); 0 elsewhere.  ``None`` when no row has a pair.
    plog : ndarray (2, n, N) or None
        At the lower members: ``lam_{k+1} - lam_k`` and a bound on its rounding in units of
        ``eps`` (the sum of the magnitudes of its parts).
    """

    def __init__(self, a, lam, s, sigma: float, gap=None, plog=None) -> None:
        self.a, self.lam, self.s, self.sigma = a, lam, s, sigma
        self.gap, self.plog = gap, plog
        self.scale = 1.0 + np.max(np.abs(a), axis=0)

    def take(self, idx: np.ndarray) -> Terms:
        """The rows ``idx``."""
        pair = (None, None) if self.gap is None else (self.gap[:, idx], self.plog[:, :, idx])
        return Terms(self.a[:, idx], self.lam[:, idx], self.s[:, idx], self.sigma, *pair)

    def level(self, rows: np.ndarray | None = None) -> Level:
        """The level ``S_0 = f`` (of the rows ``rows``, default all)."""
        t = self if rows is None else self.take(rows)
        return Level(t.a, t.lam, t.s, t.gap, t.plog)


class Level:
    """One level ``S_j`` of the Rolle chain: ``a, lam, s, pos`` of shape ``(n, N)``, ``mag (2, n, N)``.

    ``gap, plog`` (or ``None``): the near pairs of :class:`Terms` at this level; a pair whose two
    members are both present is evaluated in pair form, its upper member then being left out of
    the term sums (``lam = -inf`` and ``mag = 0`` in the evaluation arrays).  ``a, lam, s`` stay
    the plain coefficients (root bounds, next level).
    """

    def __init__(self, a, lam, s, gap=None, plog=None) -> None:
        self.a, self.lam, self.s = a, lam, s
        self.pos = s > 0
        present = s != 0
        self.gap = self.plog = self.alone = None
        self.lam_e = lam
        if gap is not None:
            both = present[:-1] & present[1:]
            gap = np.concatenate([np.where(both, gap[:-1], 0.0), np.zeros_like(gap[-1:])])
            if gap.any():
                self.gap, self.plog = gap, np.where(gap != 0, plog, 0.0)  # (n, N), (2, n, N)
                upper = np.concatenate([np.zeros_like(present[:1]), gap[:-1] != 0])
                present = present & ~upper
                self.lam_e = np.where(upper, -np.inf, lam)
                # a pair and nothing else: its zero is ybar = -plog / gap (no Newton on +-inf)
                alone = (present.sum(axis=0) == 1) & (gap != 0).any(axis=0)
                if alone.any():
                    k = np.argmax(gap != 0, axis=0)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        ybar = -self.plog[0, k, np.arange(k.size)] / gap.max(axis=0)
                    self.alone = np.where(alone, ybar, np.nan)
        self.mag = np.stack([np.where(present, np.abs(a), 0.0), np.where(present, np.abs(lam), 0.0)])

    def cols(self, idx: np.ndarray | None = None) -> tuple:
        """Arguments of :func:`evaluate` after ``y``, for the rows ``idx`` (default all)."""
        if idx is None:
            return self.a, self.lam_e, self.pos, self.mag, self.gap, self.plog
        pair = (None, None) if self.gap is None else (self.gap[:, idx], self.plog[:, :, idx])
        return self.a[:, idx], self.lam_e[:, idx], self.pos[:, idx], self.mag[:, :, idx], *pair


def exponential_sum(mu: np.ndarray, nu: np.ndarray, spec: ModelSpec = PAPER) -> Terms:
    """``exp(y^2/2) (p* - p_mu)`` as sorted, merged exponential-sum terms, with their near pairs.

    Parameters
    ----------
    mu, nu : ndarray (N, K)
        Generator and true means (finite).
    spec : ModelSpec
        Weights and sigma.
    """
    w = np.array([float(v) for v in spec.weights])
    sig = float(spec.sigma)
    means = np.concatenate([nu, mu], axis=1).T
    a = means / sig
    sw = np.broadcast_to(np.concatenate([w, -w])[:, None], a.shape)
    order = np.argsort(a, axis=0, kind="stable")
    a = np.ascontiguousarray(np.take_along_axis(a, order, axis=0))
    sw = np.take_along_axis(sw, order, axis=0).copy()
    mag = np.abs(sw)
    for k in range(1, a.shape[0]):  # merge runs of equal exponents into their last member
        same = a[k] == a[k - 1]
        if same.any():
            sw[k] = np.where(same, sw[k] + sw[k - 1], sw[k])
            mag[k] = np.where(same, mag[k] + mag[k - 1], mag[k])
            sw[k - 1] = np.where(same, 0.0, sw[k - 1])
    sw = np.where(np.abs(sw) <= 4.0 * _EPS * mag, 0.0, sw)
    with np.errstate(divide="ignore"):
        lam = np.log(np.abs(sw)) - 0.5 * (a * a)
    gap, plog = _near_pairs(a, sw, np.take_along_axis(means, order, axis=0), sig)
    return Terms(a, lam, np.sign(sw), sig, gap, plog)


def _near_pairs(a: np.ndarray, sw: np.ndarray, means: np.ndarray, sig: float):
    """``(gap, plog)`` of :class:`Terms`: neighbours of opposite signs at most ``PAIR_GAP`` apart,
    paired greedily from the lowest exponent; ``(None, None)`` without any pair."""
    n = a.shape[0]
    gap, plog = np.zeros_like(a), np.zeros((2, *a.shape))
    free = np.ones(a.shape[1], dtype=bool)
    for k in range(n - 1):
        d = a[k + 1] - a[k]
        pair = free & (sw[k] * sw[k + 1] < 0) & (d > 0) & (d <= PAIR_GAP)
        if pair.any():
            g = (means[k + 1] - means[k]) / sig
            gap[k] = np.where(pair, g, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                lr = np.log(np.abs(sw[k + 1] / sw[k])) - 0.5 * g * (a[k] + a[k + 1])
            plog[0, k] = np.where(pair, lr, 0.0)
            plog[1, k] = np.where(pair, np.abs(lr + 0.5 * g * (a[k] + a[k + 1])) + np.abs(lr), 0.0)
        free = ~pair
    if not gap.any():
        return None, None
    return gap, plog


def _next_level(lam: np.ndarray, s: np.ndarray, a: np.ndarray, j: int, gap=None, plog=None):
    """Coefficients of ``S_{j+1}`` from those of ``S_j`` (drop term ``j``, factor ``a_k - a_j``),
    and the pairs' ``plog`` (``+ log1p(gap_k / (a_k - a_j))``, whose rounding is about
    ``3 + (|a_k| + |a_j|) / (a_k - a_j)`` times its size; ``None`` without pairs)."""
    d = a - a[j]
    keep = (np.arange(a.shape[0]) > j)[:, None] & (d > 0) & (s != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam2 = lam + np.log(np.where(keep, d, 1.0))
        if gap is not None:
            dk = np.where(keep, d, 1.0)
            inc = np.where(keep & (gap != 0), np.log1p(gap / dk), 0.0)
            err = np.abs(inc) * (3.0 + (np.abs(a) + np.abs(a[j])) / dk)
            plog = np.stack([plog[0] + inc, plog[1] + err])
    return np.where(keep, lam2, -np.inf), np.where(keep, s, 0.0), plog


def _pair_form(y, a, lam, u, pos, gap, plog):
    """The near pairs of :func:`evaluate`: ``(u, pos, a_eff, err)``.

    Where ``|t| <= 1`` (``t = gap_k y + plog_k``) the two terms nearly cancel and the pair is one
    term ``c_k e^{a_k y} (1 - e^t)``, at the lower member: ``log |.| = u_k + log|expm1(t)|``
    (``t + log(-expm1(-t))`` for ``t > 0``), the sign of ``c_k`` times ``-sign(t)``, the
    logarithmic derivative ``a_k + gap_k rho`` with ``rho = e^t / expm1(t)``, and a rounding of
    ``|rho| (|gap y| + plog_err)`` eps (from that of ``t``) on top of the term's own.  Elsewhere
    they differ by a factor ``e`` or more, nothing cancels, and the pair is its two terms again
    (the upper one's ``lam = lam_k + plog_k``): computed as one term there, its exponent would be
    the difference of two exponents of size ``|gap y|`` (for ``mu = (0, -3.5e-75)``,
    ``nu = (-4.4e-53, 0)`` a rounding of 2e6 at ``y = 1e74``).
    """
    k, i = np.nonzero(gap)  # the pairs, few: computed sparsely
    g, yi = gap[k, i], y[i]
    t = g * yi
    t += plog[0, k, i]
    far = ~(np.abs(t) <= 1.0)
    pos, a_eff, err = pos.copy(), a.copy(), np.zeros(u.shape)
    if far.any():
        kf, i_f = k[far] + 1, i[far]
        lam_up = lam[k[far], i_f] + plog[0, k[far], i_f]
        u[kf, i_f] = a[kf, i_f] * y[i_f] + lam_up
        pos[kf, i_f] = ~pos[k[far], i_f]
        err[kf, i_f] = np.abs(a[kf, i_f] * y[i_f]) + np.abs(lam_up)
        near = ~far
        k, i, g, yi, t = k[near], i[near], g[near], yi[near], t[near]
    up = t > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        em = -np.expm1(np.where(up, -t, t))  # in (0, 1] where t != 0
        logv = np.where(up, t, 0.0) + np.log(em)
        rho = np.where(up, 1.0 / em, -np.exp(t) / em)
    rho[t == 0] = 0.0
    u[k, i] += logv
    pos[k, i] ^= up
    a_eff[k, i] += g * rho
    err[k, i] = np.abs(rho) * (np.abs(g * yi) + plog[1, k, i])
    return u, pos, a_eff, err


def curvature_scale(y: np.ndarray, cols: tuple, scale: np.ndarray) -> np.ndarray:
    """``S`` with ``|phi''| <= 2 S^2`` at ``y`` (the stopping rule of :func:`solve`): ``scale``
    (``1 + max |a|``) without near pairs; with them, also ``sqrt(2) (|a_k| + gap_k (|rho_k| + 1))``
    (a pair's logarithmic derivative ``a_k + gap_k rho`` and its own curvature
    ``gap_k^2 |rho_k (1 - rho_k)|`` are unbounded where the pair cancels)."""
    a, _, _, _, gap, plog = cols
    if gap is None:
        return scale
    k, i = np.nonzero(gap)
    g = gap[k, i]
    t = g * y[i]
    t += plog[0, k, i]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rho = np.abs(1.0 / np.expm1(-t))  # |e^t / expm1(t)|, inf at t = 0
    s = scale.copy()
    np.fmax.at(s, i, np.sqrt(2.0) * (np.abs(a[k, i]) + g * (rho + 1.0)))
    return s


def evaluate(y, a, lam, pos, mag, gap=None, plog=None):
    """``(phi, phi', noise)`` of a level at ``y`` (one point per column), ``phi = log P - log N``.

    ``a``, ``lam`` are ``(n, B)`` exponents and ``log |c_k|`` (``-inf`` for absent terms), ``pos``
    the boolean mask of the positive terms.  Each part is a log-sum-exp scaled by its own
    largest exponent (one ``exp`` per term).  ``phi = +inf`` where there is no negative term,
    ``-inf`` where there is no positive term.  With ``mag = (|a_k|, |lam_k|)`` (0 for absent
    terms), ``noise = 4 eps (<|a| |y| + |lam|>_P + <|a| |y| + |lam|>_N + 2)`` (``<.>`` the softmax
    means of each part: the rounding of each exponent ``a_k y + lam_k`` weighted by its share)
    bounds the rounding error of ``phi``; below it the sign of ``f`` is not resolved.  Near pairs
    (``gap``, ``plog``, see :class:`Level`) enter as one term each (:func:`_pair_form`).
    """
    u = a * y
    u += lam
    extra = 0.0
    if gap is not None:
        u, pos, a, extra = _pair_form(y, a, lam, u, pos, gap, plog)
    up = np.where(pos, u, -np.inf)
    un = np.where(pos, -np.inf, u)
    mp = up.max(axis=0)
    mn = un.max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        u -= np.where(pos, mp, mn)
        e = np.exp(u, out=u)
        ep = np.where(pos, e, 0.0)
        e -= ep  # the negative part
        sp = ep.sum(axis=0)
        sn = e.sum(axis=0)
        phi = (mp - mn) + np.log(sp / sn)
        err = mag[0] * np.abs(y)
        err += mag[1]
        err += extra
        noise = (ep * err).sum(axis=0) / sp + (e * err).sum(axis=0) / sn
        ep *= a
        e *= a
        dphi = ep.sum(axis=0) / sp - e.sum(axis=0) / sn
    if np.isnan(phi).any():  # a part without terms: max = -inf
        phi = np.where(mn == -np.inf, np.inf, np.where(mp == -np.inf, -np.inf, phi))
    noise = np.where(np.isnan(noise), 0.0, noise)
    noise += 2.0
    noise *= 4.0 * _EPS
    return phi, dphi, noise


def sign_at(y: np.ndarray, cols: tuple) -> np.ndarray:
    """Sign of a level at ``y`` (0 where ``|phi|`` is within its rounding noise)."""
    phi, _, noise = evaluate(y, *cols)
    return np.where(np.abs(phi) > noise, np.sign(phi), 0.0)


def _bitmid(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The float halfway between ``lo`` and ``hi`` in bit-pattern order (finite inputs)."""

    def key(x):
        i = x.view(np.int64)
        return np.where(i < 0, _MIN_KEY - i, i)

    ka, kb = key(lo), key(hi)
    k = (ka >> 1) + (kb >> 1) + (ka & kb & 1)
    return np.where(k < 0, _MIN_KEY - k, k).view(np.float64)


def _mid(lo, hi, scale):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(hi - lo <= 64.0 * scale, 0.5 * (lo + hi), _bitmid(lo, hi))


def solve(cols: tuple, lo, hi, slo, x0, scale) -> tuple[np.ndarray, np.ndarray]:
    """The zero of each bracketed level sum: safeguarded Newton on ``phi``.

    Parameters
    ----------
    cols : tuple
        ``(a, lam, pos, mag)`` of the level, one bracket per column (see :func:`evaluate`).
    lo, hi, slo : ndarray (B,)
        Brackets with one sign change; ``slo`` the sign at ``lo``.
    x0 : ndarray (B,)
        Starting points (replaced by the bracket's midpoint where outside).
    scale : ndarray (B,)
        ``1 + max |a|`` (absolute part of the stopping tolerance).

    Returns
    -------
    x, evaluations : ndarray (B,), ndarray of int (B,)
        An element stops when its Newton step ``h`` (taken) has ``scale^2 h^2 <= tol |phi'|``,
        ``tol = 4 eps |x| + eps scale`` (``|phi''| <= 2 scale^2``, so the error after the step,
        about ``|phi''/(2 phi')| h^2``, is below ``tol``), its bracket is narrower than ``tol``,
        or ``|phi|`` is within its rounding noise.
    """
    out, nev = np.empty_like(lo), np.zeros(lo.shape, dtype=np.int64)
    idx = np.arange(lo.size)
    if cols[4] is not None:
        lo, hi, at, x0 = _pair_zeros(cols, lo.copy(), hi.copy(), slo, scale, x0.copy())
        done = ~np.isnan(at)
        if done.any():
            out[done], nev[done] = at[done], 2
            keep = ~done
            idx, x0, lo, hi, slo, scale = (v[keep] for v in (idx, x0, lo, hi, slo, scale))
            cols = tuple(None if c is None else c[..., keep] for c in cols)
        nev[idx] = np.where(np.isnan(at[idx]), 0, 2)
    x = np.where((x0 > lo) & (x0 < hi), x0, _mid(lo, hi, scale))
    for it in range(_MAXIT if x.size else 0):
        phi, dphi, noise = evaluate(x, *cols)
        tol = 4.0 * _EPS * np.abs(x) + _EPS * scale
        fs = phi * slo
        lo = np.where(fs > noise, x, lo)
        hi = np.where(fs < -noise, x, hi)
        step = phi / dphi
        xn = x - step
        newton = (xn > lo) & (xn < hi) & (it < _NEWTON)
        # quadratic convergence: after a step h the error is about |phi''/(2 phi')| h^2, and
        # |phi''| (two softmax variances of exponents within [-scale, scale]) is <= 2 scale^2
        curv = curvature_scale(x, cols, scale)
        with np.errstate(over="ignore", invalid="ignore"):
            quad = (curv * step) ** 2 <= tol * np.abs(dphi)
        done = (np.abs(phi) <= noise) | (newton & quad) | (hi - lo <= tol)
        done |= it == _MAXIT - 1
        x = np.where(newton, xn, np.where(done, x, _mid(lo, hi, scale)))
        if done.any():
            out[idx[done]] = x[done]
            nev[idx[done]] += it + 1
            keep = ~done
            if not keep.any():
                break
            idx, x, lo, hi, slo, scale = (v[keep] for v in (idx, x, lo, hi, slo, scale))
            cols = tuple(None if c is None else c[..., keep] for c in cols)
            if cols[4] is not None and not cols[4].any():  # no pair left: the plain evaluation
                cols = (*cols[:4], None, None)
    return out, nev


def _bounds(lev: Level, scale: np.ndarray):
    """Root bounds ``(Y_-, Y_+)`` of a level (with a margin, clipped to ``+-1e300/scale``) and the
    signs ``(s_-, s_+)`` of the level at ``-inf`` and ``+inf``."""
    a, lam, s = lev.a, lev.lam, lev.s
    n, m = a.shape
    present = s != 0
    ks = np.arange(n)[:, None]
    top = np.where(present, ks, -1).max(axis=0)
    bot = np.where(present, ks, n).min(axis=0)
    rows = np.arange(m)
    st, sb = np.clip(top, 0, n - 1), np.clip(bot, 0, n - 1)
    at, lt, ab, lb = a[st, rows], lam[st, rows], a[sb, rows], lam[sb, rows]
    c = np.log(max(n - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf bounds are clipped
        up = np.where(present & (ks < top), (c + lam - lt) / (at - a), -np.inf).max(axis=0)
        dn = np.where(present & (ks > bot), (lb - lam - c) / (a - ab), np.inf).min(axis=0)
        if lev.gap is not None:
            dn, up = _pair_bounds(lev, dn, up, bot, top, c)
    big = _BIG / scale
    up = np.where(np.isfinite(up), up, 0.0)
    dn = np.where(np.isfinite(dn), dn, 0.0)
    up = np.fmin(up + 1.0 + 1e-6 * np.abs(up), big)
    dn = np.fmax(dn - 1.0 - 1e-6 * np.abs(dn), -big)
    sm = np.where(bot < n, s[sb, rows], 0.0)
    sp = np.where(top >= 0, s[st, rows], 0.0)
    return dn, up, sm, sp


def _pair_zeros(cols: tuple, lo, hi, slo, scale, x0):
    """Brackets ``(lo, hi)`` cut at the zeros ``ybar`` of the near pairs inside them, ``at``:
    ``ybar`` where the crossing is within ``tol`` of it (NaN elsewhere), and starts ``x0``.

    At ``ybar`` a pair vanishes and ``phi`` has a logarithmic singularity, so a crossing next to it
    (the other terms tiny there) defeats Newton and costs a full bisection.  The signs at
    ``ybar -+ tol`` (``tol`` the stopping tolerance of :func:`solve`, 16 and 256 times that where
    a sign is not resolved: the float64 resolution there) tell which side of the cut holds the
    crossing, or that it lies between them.  Beyond the cut, next to ``ybar``, the pair
    is about linear in ``z = |y - ybar|`` and the rest about constant, so ``|phi|`` at ``z = tol``
    puts the crossing near ``z = tol e^{|phi|}``: the start (a Newton step on ``f`` from there).
    """
    gap, plog = cols[4], cols[5]
    at = np.full(lo.shape, np.nan)
    for k in np.flatnonzero((gap != 0).any(axis=1)):
        with np.errstate(invalid="ignore", divide="ignore"):
            yb = -plog[0, k] / gap[k]
        r = np.flatnonzero((gap[k] != 0) & (yb > lo) & (yb < hi) & np.isnan(at))
        if not r.size:
            continue
        y = yb[r]
        tol = 4.0 * _EPS * np.abs(y) + _EPS * scale[r]
        sub = tuple(None if c is None else c[..., r] for c in cols)
        for _ in range(3):  # ybar itself is known to about eps |y|: step out where unresolved
            pl, _, nl = evaluate(y - tol, *sub)
            pr, _, nr = evaluate(y + tol, *sub)
            left = np.where(np.abs(pl) > nl, np.sign(pl), 0.0)
            right = np.where(np.abs(pr) > nr, np.sign(pr), 0.0)
            todo = (left == 0) | (right == 0)
            if not todo.any():
                break
            tol = np.where(todo, 16.0 * tol, tol)
        s0 = slo[r]
        at[r] = np.where((left == s0) & (right == -s0), y, np.nan)
        # the crossing beyond the cut: where the pair, linear next to ybar, outgrows the rest
        with np.errstate(over="ignore"):
            zr, zl = tol * np.exp(np.fmin(np.abs(pr), 700.0)), tol * np.exp(np.fmin(np.abs(pl), 700.0))
        up, down = right == s0, left == -s0
        lo[r] = np.where(up, y + tol, lo[r])
        hi[r] = np.where(down, y - tol, hi[r])
        x0[r] = np.where(up, y + zr, np.where(down, y - zl, x0[r]))
    return lo, hi, at, x0


def _pair_bounds(lev: Level, dn, up, bot, top, c: float):
    """Root bounds where a near pair is the lowest or the highest term of a level.

    The plain bound divides by the pair's tiny gap.  With ``t = g (y - ybar)`` (``ybar`` the
    pair's own zero), ``|1 - e^t| >= (1 - 1/e) min(|t|, 1) >= (1 - 1/e) g`` for
    ``|y - ybar| >= 1`` (``g <= 1``), so beyond ``ybar -+ 1`` the pair is at least
    ``(1 - 1/e) g`` times its outer member, and the plain bound with ``lambda + log((1 - 1/e) g)``
    for that member and the other terms holds: logarithmic in the gap.
    """
    a, lam, gap, plog = lev.a, lev.lam, lev.gap, lev.plog
    n, m = a.shape
    ks, rows, present = np.arange(n)[:, None], np.arange(m), lev.s != 0
    sb = np.clip(bot, 0, n - 1)
    gb = gap[sb, rows]
    low = (bot < n) & (gb != 0)
    if low.any():
        lk = lam[sb, rows] + np.log(_E1 * gb)
        cand = np.where(present & (ks > bot + 1), (lk - lam - c) / (a - a[sb, rows]), np.inf).min(axis=0)
        dn = np.where(low, np.fmin(-plog[0, sb, rows] / gb - 1.0, cand), dn)
    k = np.clip(top - 1, 0, n - 1)
    gt = gap[k, rows]
    high = (top >= 1) & (gt != 0)
    if high.any():
        st = np.clip(top, 0, n - 1)
        lt = lam[st, rows] + np.log(_E1 * gt)
        cand = np.where(present & (ks < top - 1), (c + lam - lt) / (a[st, rows] - a), -np.inf).max(axis=0)
        up = np.where(high, np.fmax(-plog[0, k, rows] / gt + 1.0, cand), up)
    return dn, up


def _compact(cand: np.ndarray, width: int) -> np.ndarray:
    """Sorted candidate rows ``(c, N)`` (NaN = absent) -> the present ones first, NaN padded."""
    valid = ~np.isnan(cand)
    rank = np.cumsum(valid, axis=0) - 1
    out = np.full((width, cand.shape[1]), np.nan)
    r, c = np.nonzero(valid)
    out[rank[r, c], c] = cand[r, c]
    return out


def level_zeros(
    lev: Level, scale: np.ndarray, seps: np.ndarray, guess=None, *, keep_unresolved: bool = False
):
    """Zeros of one level, given the zeros ``seps (w, N)`` of the next one (NaN padded).

    Returns ``(zeros (w', N), evaluations)``: sorted, NaN padded, ``w' = max(w, 1)`` (a level
    has no more sign changes than the next one plus one, and the widths stay at ``n - 1``).
    With ``keep_unresolved`` (intermediate levels), a separator where the sign of this level is
    not resolved (``|phi|`` within its noise) and does not change is kept as a zero too: it may
    be a pair of zeros closer than the resolution, and an extra separator above is harmless,
    while a missing one could merge two zeros of the next level into one bracket.
    """
    w, m = seps.shape
    lo, hi, sm, sp = _bounds(lev, scale)
    pts = np.concatenate([lo[None], np.where(np.isnan(seps), hi, seps), hi[None]])
    sg = np.empty_like(pts)
    sg[0], sg[-1] = sm, sp
    nev = 0
    for k in range(w):
        has = ~np.isnan(seps[k])
        r = np.flatnonzero(has)
        sg[k + 1] = np.where(has, 0.0, sp)
        if r.size:
            sg[k + 1, r] = sign_at(seps[k, r], lev.cols(r))
            nev += r.size
            if lev.gap is not None:
                _ulp_check(lev, seps[k], sg[k + 1], r)
    # Bracket ends: interval k runs from (lpt[k], lsg[k]) to (rpt[k], rsg[k]); at an unresolved
    # separator the ends step aside to where the sign is resolved (see _step_aside).
    lpt, lsg = pts[:-1].copy(), sg[:-1].copy()
    rpt, rsg = pts[1:].copy(), sg[1:].copy()
    unresolved = (sg[1:-1] == 0) & ~np.isnan(seps)
    for k in range(w):
        r = np.flatnonzero(unresolved[k])
        if r.size:
            (xl, sl), (xr, sr) = _step_aside(seps[k, r], lev.cols(r), scale[r])
            # A step that reaches the neighbouring end of its interval (a tiny |phi'| makes
            # delta huge) has left the interval where the level is monotone: the end and
            # its sign stand for that side then, never the sign found beyond it.  So do
            # they for a side still unresolved after the tries: the level is monotone
            # between the separator and that end, so a sign change there lies within the
            # unresolved stretch next to the separator (the separator is the crossing).
            past = (xl <= lpt[k, r]) | (sl == 0)
            rpt[k, r] = np.where(past, lpt[k, r], xl)
            rsg[k, r] = np.where(past, lsg[k, r], sl)
            past = (xr >= rpt[k + 1, r]) | (sr == 0)
            lpt[k + 1, r] = np.where(past, rpt[k + 1, r], xr)
            lsg[k + 1, r] = np.where(past, rsg[k + 1, r], sr)
    cand = np.full((2 * w + 1, m), np.nan)
    sel = [np.flatnonzero(lsg[k] * rsg[k] < 0) for k in range(w + 1)]
    rows = np.concatenate(sel)
    piece = np.concatenate([np.full(r.size, k) for k, r in enumerate(sel)])
    if rows.size:
        blo, bhi = lpt[piece, rows], rpt[piece, rows]
        x0 = _mid(blo, bhi, scale[rows])
        if guess is not None:  # warm start: a previous zero of this level inside the bracket
            g = guess[:, rows]
            inside = (g > blo) & (g < bhi)
            pick = np.argmax(inside, axis=0)
            x0 = np.where(inside.any(axis=0), g[pick, np.arange(rows.size)], x0)
        if lev.alone is None:
            x, ev = solve(lev.cols(rows), blo, bhi, lsg[piece, rows], x0, scale[rows])
        else:
            x = lev.alone[rows]
            r = np.flatnonzero(np.isnan(x))
            x[r], ev = solve(lev.cols(rows[r]), blo[r], bhi[r], lsg[piece[r], rows[r]], x0[r], scale[rows[r]])
        cand[2 * piece, rows] = x
        nev += int(ev.sum())
    for k in range(w):
        # a zero at the separator (within the resolution) when the sign changes across it
        at = unresolved[k] & (rsg[k] * lsg[k + 1] < 0)
        if keep_unresolved:
            at = unresolved[k]
        cand[2 * k + 1, at] = seps[k, at]
    return _compact(cand, max(w, 1)), nev


def _ulp_check(lev: Level, z: np.ndarray, sg: np.ndarray, r: np.ndarray) -> None:
    """Separators of rows with near pairs whose sign differs at a neighbouring float: unresolved.

    Next to a pair's own zero ``phi`` is infinite (one part empty) and its noise says nothing:
    a separator there (the pair's zero one level up, the same float) may sit on the far side of
    a crossing an ulp away, and its resolved sign would hide both that crossing and the one
    its bracket holds.  Marked unresolved (``sg = 0``, in place), it is stepped aside from.
    """
    r = r[(lev.gap[:, r] != 0).any(axis=0)]
    if r.size:
        cols, zr = lev.cols(r), z[r]
        lo, hi = sign_at(np.nextafter(zr, -np.inf), cols), sign_at(np.nextafter(zr, np.inf), cols)
        sg[r] = np.where((lo != sg[r]) | (hi != sg[r]), 0.0, sg[r])


def _step_aside(z: np.ndarray, cols: tuple, scale: np.ndarray, tries: int = 4):
    """Points left and right of ``z`` where the sign of the level is resolved, with the signs.

    Starting at ``delta = 8 noise / |phi'|`` (where ``|phi| > noise`` holds if ``phi`` is locally
    linear), ``delta`` grows 16-fold per try; a side left unresolved keeps sign 0 (no bracket).
    """
    phi, dphi, noise = evaluate(z, *cols)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        delta = np.fmax(8.0 * noise / np.abs(dphi), 4.0 * _EPS * (np.abs(z) + scale))
    delta = np.where(np.isfinite(delta), delta, 4.0 * _EPS * (np.abs(z) + scale))
    out = []
    for side in (-1.0, 1.0):
        x = z + side * delta
        sgn = sign_at(x, cols)
        for _ in range(tries - 1):
            todo = sgn == 0
            if not todo.any():
                break
            x = np.where(todo, z + side * delta * 16.0 ** (_ + 1), x)
            sgn = np.where(todo, sign_at(x, cols), sgn)
        out.append((x, sgn))
    return out


def crossings(t: Terms, guesses: list | None = None):
    """All crossings of ``f`` for every row, through the Rolle chain.

    Parameters
    ----------
    t : Terms
        From :func:`exponential_sum`.
    guesses : list of ndarray, optional
        Zeros of every level from a previous call (warm start), as returned in ``levels``.

    Returns
    -------
    x : ndarray (n - 1, N)
        Sorted crossings of ``p* - p_mu`` in ``x`` units (NaN padded).
    count : ndarray of int (N,)
        Number of crossings; ``-1`` where ``f`` vanishes identically (``mu = nu`` as weighted sets).
    s_minus : ndarray (N,)
        Sign of ``p* - p_mu`` far left (``0`` where ``f == 0``).
    levels : list of ndarray
        Zeros of ``S_0, S_1, ...`` in ``y`` units (for warm starts).
    evaluations : int
        Number of element-evaluations of a level sum (a cost measure).
    """
    n, m = t.a.shape
    lam, s, plog = t.lam, t.s, t.plog
    chain = [t.level()]
    for j in range(n - 2):
        lam, s, plog = _next_level(lam, s, t.a, j, t.gap, plog)
        chain.append(Level(t.a, lam, s, t.gap, plog))
    seps = np.full((0, m), np.nan)
    levels: list = [None] * (n - 1)
    total = 0
    for j in range(n - 2, -1, -1):
        g = None if guesses is None else guesses[j]
        seps, ev = level_zeros(chain[j], t.scale, seps, g, keep_unresolved=j > 0)
        if seps.shape[0] < n - 1:  # widths: 1, 2, ..., n - 1 going up (see level_zeros)
            seps = np.concatenate([seps, np.full((1, m), np.nan)])
        levels[j] = seps
        total += ev
    zero = ~(t.s != 0).any(axis=0)
    count = np.where(zero, -1, (~np.isnan(seps)).sum(axis=0))
    _, _, sm, _ = _bounds(chain[0], t.scale)
    return seps * t.sigma, count, sm, levels, total
