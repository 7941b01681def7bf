"""TV distance and the optimal set from a dense sign scan of ``p* - p_mu`` (``docs/model.md`` 3).

``p* - p_mu`` has the sign of the exponential sum ``s(x) = sum_k c_k exp(a_k x)`` with
``a = (nu1, nu2, mu1, mu2)``, ``c = (+1, +1, -1, -1) exp(-a^2/2)`` (multiply by
``2 sqrt(2 pi) exp(x^2/2) > 0``); exactly equal exponents are merged first (their coefficients
add).  Beyond ``|x| = X`` the extreme term dominates (``X`` from the gap between the two
largest, resp. smallest, exponents), so every sign change lies in ``[-X, X]``.  The scan uses a
uniform grid of spacing ``h`` near the means and a geometric grid (ratio ``1 + h``) out to
``X``; each sign change is bisected at the working mpmath precision.  Grid points where float64
cannot decide the sign are evaluated in mpmath.  Two sign changes closer than the local grid
spacing are missed (a near-tangency; the area between them is ``O(width^3)``).

TV is then ``sum`` over the pieces where ``p* > p_mu`` of ``P*(piece) - G_mu(piece)``, each
mass a difference of normal CDFs at the working precision.

Any number ``K`` of components, weights ``w_i`` and a common ``sigma`` (``docs/model.md``
section 1): the high-precision functions take ``weights`` (a sequence of ``K`` numbers or
``fractions.Fraction``; default ``None``, the paper's ``1/2`` each) and ``sigma`` (default 1).
Then ``c = (+w, -w) exp(-a^2/2)`` with ``a = mean / sigma`` and the crossings are scaled back by
``sigma``; the paper's defaults run exactly the code of the ``K = 2`` judge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mpmath
import numpy as np
from scipy.special import ndtr

__all__ = ["exponential_sum", "crossings_mp", "tv_set_mp", "tv_mp", "union_value_mp", "tv64"]

H = 0.01  # grid spacing near the means (and ratio - 1 of the geometric part)


def _mpf(v) -> mpmath.mpf:
    """A number or ``Fraction`` as an mpf at the working precision (fractions rounded once)."""
    if hasattr(v, "numerator") and hasattr(v, "denominator") and not isinstance(v, (int, float)):
        return mpmath.mpf(v.numerator) / v.denominator
    return mpmath.mpf(v)


def _unit(weights, k: int) -> list:
    """The per-component coefficients: ``1`` each for the paper (``weights`` None), else ``w_i``."""
    return [1] * k if weights is None else [_mpf(w) for w in weights]


def exponential_sum(mu: Sequence, nu: Sequence, weights: Sequence | None = None) -> list[tuple]:
    """Merged terms ``(a_k, n_k)`` (``a_k`` as ``mpf`` at the working precision, so inputs given
    as ``mpf`` keep every digit), ``c_k = n_k exp(-a_k^2/2)``, sorted by exponent, ``n_k != 0``.

    ``n_k`` is ``+-1`` per component for the paper's equal weights (``weights`` None), else ``+-w_i``.
    """
    net: dict = {}
    for a, w in zip(nu, _unit(weights, len(nu))):
        key = mpmath.mpf(a)
        net[key] = net.get(key, 0) + w
    for a, w in zip(mu, _unit(weights, len(mu))):
        key = mpmath.mpf(a)
        net[key] = net.get(key, 0) - w
    return [(a, n) for a, n in sorted(net.items()) if n != 0]


def _reach(counts: list[tuple]) -> float:
    """``X`` with every sign change of ``s`` in ``[-X, X]`` (in mpmath: no underflow or overflow)."""
    logc = [mpmath.log(abs(n)) - a * a / 2 for a, n in counts]
    log_total = mpmath.log(mpmath.fsum(mpmath.exp(v - max(logc)) for v in logc)) + max(logc)
    out = mpmath.mpf(1)
    for t, nx in ((-1, -2), (0, 1)):
        gap = abs(counts[t][0] - counts[nx][0])
        out = max(out, (mpmath.log(2) + log_total - logc[t]) / gap)
    return min(float(out * 1.01 + 1), 1e300)


def _grid(counts, center: float) -> np.ndarray:
    x_max = _reach(counts)
    near = max(abs(float(a) - center) for a, _ in counts) + 12.0
    inner = np.arange(-near, near + H / 2, H)
    if x_max + abs(center) <= near:
        return center + inner
    k = math.ceil(math.log((x_max + abs(center)) / near) / math.log1p(H)) + 1
    outer = near * (1 + H) ** np.arange(1, k + 1)
    return center + np.concatenate([-outer[::-1], inner, outer])


def _signs64(counts, x: np.ndarray) -> np.ndarray:
    """Signs of ``s`` on the grid in float64 (0 where float64 cannot decide)."""
    n = np.array([float(t[1]) for t in counts])
    a_max, a_min = counts[-1][0], counts[0][0]
    e0 = np.array([float(-(a * a) / 2) for a, _ in counts])
    # exponent of term k: -a_k^2/2 + (a_k - shift) x with the differences a_k - shift taken in
    # mpmath, so far from 0 (and for nearly equal exponents) the exponent keeps its accuracy.
    d_hi = np.array([float(a - a_max) for a, _ in counts])
    d_lo = np.array([float(a - a_min) for a, _ in counts])
    d = np.where((x >= 0)[:, None], d_hi[None, :], d_lo[None, :])
    expo = e0[None, :] + d * x[:, None]
    expo -= expo.max(axis=1, keepdims=True)
    parts = n[None, :] * np.exp(expo)
    s = parts.sum(axis=1)
    scale = np.abs(parts).sum(axis=1)
    sign = np.sign(s)
    sign[~(np.abs(s) > 1e-12 * scale)] = 0  # undecided in float64
    return sign


def _s_mp(terms_mp, x):
    return mpmath.fsum(c * mpmath.exp(a * x) for a, c in terms_mp)


def crossings_mp(
    mu: Sequence, nu: Sequence, dps: int = 50, weights: Sequence | None = None, sigma=1
) -> tuple[list, int]:
    """``(sorted sign changes of p* - p_mu as mpf, sign of p* - p_mu at -inf)`` at ``dps`` digits.

    ``([], 0)`` when ``p* = p_mu`` identically (``mu = nu`` up to swapping).  ``weights`` and
    ``sigma`` as in the module docstring.
    """
    if sigma != 1:
        with mpmath.workdps(dps + 10):
            s = _mpf(sigma)
            roots, s_left = crossings_mp([_mpf(m) / s for m in mu], [_mpf(n) / s for n in nu], dps, weights)
            return [+(r * s) for r in roots], s_left
    with mpmath.workdps(dps):
        counts = exponential_sum(mu, nu, weights)
        if not counts:
            return [], 0
        s_left = 1 if counts[0][1] > 0 else -1
        if len(counts) == 1:
            return [], s_left
        if len(counts) == 2:  # c_1 e^{a_1 x} + c_2 e^{a_2 x}: at most one zero, in closed form
            (a1, n1), (a2, n2) = counts
            if n1 * n2 > 0:
                return [], s_left
            log_ratio = mpmath.log(abs(mpmath.mpf(n1) / n2)) - a1**2 / 2 + a2**2 / 2
            return [log_ratio / (a2 - a1)], s_left
        terms_mp = [(a, n * mpmath.exp(-(a**2) / 2)) for a, n in counts]
        center = float(sum(a for a, _ in counts) / len(counts))
        x = _grid(counts, center)
        sign = _signs64(counts, x)
        for i in np.nonzero(sign == 0)[0]:
            sign[i] = mpmath.sign(_s_mp(terms_mp, mpmath.mpf(x[i])))
        keep = sign != 0
        x, sign = x[keep], sign[keep]
        roots = []
        for i in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
            roots.append(_bisect(terms_mp, mpmath.mpf(x[i]), mpmath.mpf(x[i + 1]), int(sign[i])))
        return roots, s_left


def _bisect(terms_mp, lo, hi, s_lo: int):
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 4)
    while hi - lo > eps * max(1, abs(lo)):
        mid = (lo + hi) / 2
        if mid == lo or mid == hi:
            break
        if mpmath.sign(_s_mp(terms_mp, mid)) == s_lo:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


#: Interval ends are clipped to ``+-FAR``: the mass of N(m, 1) beyond is below exp(-1e199), and
#: ``mpmath.ncdf`` (1.3.0) overflows for arguments beyond about 1e155 (a crossing runs that far
#: out when two means differ by ~1e-155, e.g. ``nu = (1.3e-208, 0.1)``, ``mu = (0, 0.1)``).
FAR = mpmath.mpf("1e100")


def _mass(a, b, m, sigma=1):
    """``N(m, sigma^2)([a, b])`` at the working precision, without cancellation in the right tail."""
    a, b = min(max(a, -FAR), FAR) - m, min(max(b, -FAR), FAR) - m
    if sigma != 1:
        a, b = a / sigma, b / sigma
    if a > 0:
        return mpmath.ncdf(-a) - mpmath.ncdf(-b)
    return mpmath.ncdf(b) - mpmath.ncdf(a)


def union_value_mp(
    mu: Sequence, nu: Sequence, intervals: Sequence, weights: Sequence | None = None, sigma=1
) -> mpmath.mpf:
    """``L - 1 = sum over intervals of P*(I) - G_mu(I)`` at the working precision."""
    total = mpmath.mpf(0)
    s = _mpf(sigma) if sigma != 1 else 1
    for a, b in intervals:
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        if weights is None:
            for n in nu:
                total += _mass(a, b, mpmath.mpf(n)) / 2
            for m in mu:
                total -= _mass(a, b, mpmath.mpf(m)) / 2
            continue
        for w, n, m in zip(_unit(weights, len(nu)), nu, mu):
            total += w * (_mass(a, b, mpmath.mpf(n), s) - _mass(a, b, mpmath.mpf(m), s))
    return total


def tv_set_mp(
    mu: Sequence, nu: Sequence, dps: int = 50, weights: Sequence | None = None, sigma=1
) -> list[tuple]:
    """The optimal set ``{p* > p_mu}`` as a list of intervals ``(a, b)`` (mpf, ``+-inf`` allowed)."""
    roots, s_left = crossings_mp(mu, nu, dps, weights, sigma)
    edges = [mpmath.ninf, *roots, mpmath.inf]
    return [(edges[k], edges[k + 1]) for k in range(len(edges) - 1) if s_left * (-1) ** k > 0]


def tv_mp(mu: Sequence, nu: Sequence, dps: int = 50, weights: Sequence | None = None, sigma=1) -> mpmath.mpf:
    """``TV(P*, G_mu)`` at ``dps`` digits (an ``mpf``); ``weights``, ``sigma`` as in the module docstring."""
    with mpmath.workdps(dps):
        return +union_value_mp(mu, nu, tv_set_mp(mu, nu, dps, weights, sigma), weights, sigma)


def _mass64(a, b, m):
    a, b = a - m, b - m
    return np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def tv64(
    mu: np.ndarray, nu: np.ndarray, half_width: float = 14.0, h: float = 0.01, chunk: int = 2000
) -> np.ndarray:
    """Vectorised float64 TV for many rows (for trajectories; means within a few units of 0).

    Sign scan of ``p* - p_mu`` on a uniform grid of ``[-half_width, half_width]`` with spacing
    ``h``, 60 bisection steps per sign change, masses through ``ndtr``.  Mass beyond the grid is
    below ``Phi(-(half_width - max |mean|))``.
    """
    mu, nu = np.atleast_2d(mu).astype(float), np.atleast_2d(nu).astype(float)
    nu = np.broadcast_to(nu, mu.shape)
    out = np.empty(len(mu))
    for s in range(0, len(mu), chunk):
        out[s : s + chunk] = _tv64_chunk(mu[s : s + chunk], nu[s : s + chunk], half_width, h)
    return out


def _scaled_gap(x, mu, nu):
    """``2 sqrt(2 pi) (p* - p_mu)(x)`` for ``x`` of shape ``(N, m)``."""
    f = np.zeros(np.shape(x))
    for i in range(2):
        f += np.exp(-0.5 * (x - nu[:, i : i + 1]) ** 2) - np.exp(-0.5 * (x - mu[:, i : i + 1]) ** 2)
    return f


def _tv64_chunk(mu, nu, half_width, h):
    n = len(mu)
    x = np.arange(-half_width, half_width + h / 2, h)
    sign = np.sign(_scaled_gap(np.broadcast_to(x, (n, len(x))), mu, nu))
    sign[sign == 0] = 1.0  # an exact zero on the grid: the root is located there within h
    sign[~np.any(_scaled_gap(np.broadcast_to(x, (n, len(x))), mu, nu) != 0, axis=1)] = 0.0
    change = (sign[:, :-1] * sign[:, 1:]) < 0
    rows, cols = np.nonzero(change)
    lo, hi = x[cols].copy(), x[cols + 1].copy()
    s_lo = sign[rows, cols]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        left = np.sign(_scaled_gap(mid[:, None], mu[rows], nu[rows])[:, 0]) == s_lo
        lo = np.where(left, mid, lo)
        hi = np.where(left, hi, mid)
    count = change.sum(axis=1)
    width = max(int(count.max(initial=0)), 1)
    roots = np.full((n, width), np.inf)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # rank of each root within its row
    roots[rows, slot] = 0.5 * (lo + hi)
    nz = sign != 0
    first = np.where(nz.any(axis=1), sign[np.arange(n), nz.argmax(axis=1)], 0)
    edges = np.concatenate([np.full((n, 1), -np.inf), roots, np.full((n, 1), np.inf)], axis=1)
    tv = np.zeros(n)
    for k in range(width + 1):
        a, b = edges[:, k], edges[:, k + 1]
        positive = (first * (-1.0) ** k > 0) & (k <= count)
        diff = (
            _mass64(a, b, nu[:, 0])
            + _mass64(a, b, nu[:, 1])
            - _mass64(a, b, mu[:, 0])
            - _mass64(a, b, mu[:, 1])
        )
        tv += np.where(positive, 0.5 * np.nan_to_num(diff), 0.0)
    return tv
