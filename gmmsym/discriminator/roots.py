"""The bracketed root solver of the optimal discriminator: one zero per bracket, float64, vectorized.

Used by :mod:`gmmsym.discriminator.optimal` on the pieces it isolates (each holds exactly one
sign change of a level sum of the Rolle chain); the level sums are evaluated by
:mod:`gmmsym.discriminator.forms`.

*Solving a piece* (:func:`solve`; elementwise, every row independent):

1. Fast path: :data:`FAST_STEPS` (4) plain Halley steps on the log ratio ``phi = log P - log N``
   (``P``, ``N`` the two-term positive and negative parts; ``phi`` is asymptotically linear, so
   steps are good even far from the zero; ``phi'``, ``phi''`` are softmax means and variances of
   the exponents),
   accepted when the last step is converged (below ``4 eps |x| + eps scale``, or Halley's cubic
   error estimate below the resolution), the zero is resolved by the log form (rounding noise of
   ``phi`` over ``|phi'|`` below ``1e-8 (|x| + scale)``) and the result lies in the piece.
2. Otherwise safeguarded Halley with a bracket (updated only where ``|phi|`` exceeds its rounding
   noise); steps leaving the bracket or not halving (Numerical Recipes' ``rtsafe`` rule) are
   replaced by bisection (arithmetic, or in bit-pattern order for brackets wider than
   ``64 scale``: at most 64 halvings for any finite bracket).
3. Where the log form cannot resolve the zero to ``64 eps (|x| + scale)`` (nearly cancelling
   terms), Newton on the *pair form* (:mod:`gmmsym.discriminator.forms`): one step if the log
   form got within ``1e-8``, else a bracketed iteration as in 2.

Each element stops on its own tests and is recorded when it stops; working sets are compacted
without reordering the arithmetic of any element, so results are bitwise independent of the
batch.


Constants (all in units of float64 rounding or of the piece's ``scale = 1 + max|mean|``):

* :data:`MAXIT` -- iteration cap of the safeguarded iterations (bisection in bit-pattern order
  needs at most 64 halvings);
* :data:`TOL_ULPS` -- a step below ``TOL_ULPS * eps * |x| + eps * scale`` is converged;
* :data:`FAST_STEPS` -- unguarded Halley steps of the fast path;
* :data:`NOISE_FACTOR` -- ``|f| <= NOISE_FACTOR * noise`` means ``f`` is rounding noise, and the
  resolution of a zero is ``NOISE_FACTOR * noise / |f'|``;
* :data:`RESOLVED` -- relative resolution (of ``|x| + scale``) below which the log form is
  trusted to determine the zero (and one pair-form Newton step suffices);
* :data:`REDO_FACTOR` -- pair-form refinement where the log-form resolution exceeds
  ``REDO_FACTOR * eps * (|x| + scale)``;
* :data:`WIDE_FACTOR` -- brackets wider than ``WIDE_FACTOR * scale`` are bisected in bit-pattern
  order (geometric), narrower ones arithmetically.
"""

from __future__ import annotations

import numpy as np

from gmmsym.discriminator.forms import EPS as _EPS
from gmmsym.discriminator.forms import _eval_log, _eval_pair, _gather, _log_params, _pair_params

__all__ = [
    "MAXIT",
    "FAST_STEPS",
    "NOISE_FACTOR",
    "RESOLVED",
    "REDO_FACTOR",
    "TOL_ULPS",
    "WIDE_FACTOR",
    "solve",
]

MAXIT = 100
"""Iteration cap of the safeguarded iterations."""
FAST_STEPS = 4
"""Unguarded Halley steps tried first on the log form (fast path of :func:`solve`)."""
NOISE_FACTOR = 4.0
"""``|f| <= NOISE_FACTOR * noise``: ``f`` is rounding noise (the zero cannot be located better)."""
RESOLVED = 1e-8
"""Relative resolution below which the log form determines the zero."""
REDO_FACTOR = 64.0
"""Pair-form refinement where the log-form resolution exceeds ``REDO_FACTOR * eps * (|x| + scale)``."""
TOL_ULPS = 4.0
"""Step tolerance ``TOL_ULPS * eps * |x| + eps * scale``."""
WIDE_FACTOR = 64.0
"""Brackets wider than ``WIDE_FACTOR * scale`` are bisected in bit-pattern order."""
_MIN_KEY = np.int64(-(2**63))


# ----------------------------------------------------------------------------------------------
# bisection in the bit pattern of floats
# ----------------------------------------------------------------------------------------------


def _key(x: np.ndarray) -> np.ndarray:
    """Monotone map float64 -> int64 (``-0.0`` and ``0.0`` both map to 0)."""
    i = x.view(np.int64)
    return np.where(i < 0, _MIN_KEY - i, i)


def _unkey(k: np.ndarray) -> np.ndarray:
    return np.where(k < 0, _MIN_KEY - k, k).view(np.float64)


def _bitmid(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The float halfway between ``lo`` and ``hi`` in bit-pattern order (finite inputs)."""
    a = _key(lo)
    b = _key(hi)
    return _unkey((a >> 1) + (b >> 1) + (a & b & 1))


def _phase1(t: tuple, x, lo, hi, slo, scale, cubic, maxit: int = MAXIT):
    """Bracketed, safeguarded Halley iterations on the log form (workspace version).

    Same rules as :func:`_newton_phase` with ``f = phi``, ``f'' = phi''`` and ``cubic``; all
    arithmetic of an iteration runs in two preallocated workspaces (no temporaries: at batch
    sizes of 1e4 the allocation of fresh arrays costs more than the arithmetic).  Returns the
    final ``(x, lo, hi, resolution)`` of every element.
    """
    n = x.size
    res = [np.empty(n) for _ in range(4)]
    idx = np.arange(n)
    w = np.empty((15, n))
    v = np.empty((12, n))
    bw = np.empty((8, n), dtype=bool)
    x = x.copy()
    lo = lo.copy()
    hi = hi.copy()
    slo = np.asarray(slo, dtype=np.float64).copy()
    dxa = np.abs(hi - lo)  # |previous step|
    dxa2 = dxa.copy()  # |step before the previous one|
    tol_abs = _EPS * scale
    wide = WIDE_FACTOR * scale
    fin = np.zeros(n, dtype=bool)
    m = n
    for it in range(maxit):
        noise, f, df, ddf = _eval_log(x, t, w[:, :m])
        adf, tol, fs, resolution, step, q, den, astep, xold, width, tmp, tmp2 = v[:, :m]
        left, right, quiet, early, inside, conv, small, ok = bw[:, :m]
        np.abs(df, out=adf)
        np.abs(x, out=tol)
        tol *= TOL_ULPS * _EPS
        tol += tol_abs
        np.multiply(f, slo, out=fs)
        np.greater(fs, noise, out=left)
        np.negative(noise, out=tmp)
        np.less(fs, tmp, out=right)
        np.multiply(noise, NOISE_FACTOR, out=tmp)
        np.abs(f, out=tmp2)
        np.less_equal(tmp2, tmp, out=quiet)  # |phi| <= 4 noise: cannot improve, stop
        np.copyto(lo, x, where=left)
        np.copyto(hi, x, where=right)
        np.divide(noise, adf, out=resolution)
        resolution *= NOISE_FACTOR
        np.fmax(resolution, tol, out=resolution)
        np.divide(f, df, out=step)
        np.divide(ddf, df, out=q)
        np.multiply(step, q, out=den)
        den *= -0.5
        den += 1.0
        np.clip(den, 0.5, 2.0, out=den)
        step /= den  # Halley
        np.abs(step, out=astep)
        # early stop: C |h|^3 <= resolution / 4 with C = (phi''/(2 phi'))^2 + cubic / |phi'|
        np.multiply(q, q, out=q)
        q *= 0.25
        np.divide(cubic, adf, out=tmp)
        q += tmp
        np.multiply(astep, astep, out=tmp)
        tmp *= astep
        tmp *= q
        np.abs(x, out=tmp2)
        tmp2 += scale
        tmp2 *= RESOLVED
        np.fmin(tmp2, resolution, out=tmp2)
        tmp2 *= 0.25
        np.less_equal(tmp, tmp2, out=early)
        np.copyto(xold, x)
        np.subtract(x, step, out=tmp)  # Newton/Halley candidate
        np.greater(tmp, lo, out=inside)
        np.less(tmp, hi, out=ok)
        inside &= ok
        np.less_equal(astep, tol, out=conv)
        early &= inside
        conv |= early
        np.subtract(hi, lo, out=width)
        np.less_equal(width, tol, out=small)
        np.multiply(astep, 2.0, out=tmp2)
        np.less_equal(tmp2, dxa2, out=ok)
        ok |= conv
        ok |= small
        ok &= inside
        np.copyto(x, tmp, where=ok)
        stop = conv | small | quiet
        b = np.flatnonzero(~(ok | stop))
        if b.size:  # bisection where the Halley step is not trusted
            lb, hb = lo[b], hi[b]
            x[b] = np.where(hb - lb <= wide[b], 0.5 * (lb + hb), _bitmid(lb, hb))
        if it == maxit - 1:
            stop[:] = True
        stop &= ~fin
        dxa, dxa2 = dxa2, dxa
        np.subtract(x, xold, out=dxa)
        np.abs(dxa, out=dxa)
        if stop.any():
            j = idx[stop]
            for r, val in zip(res, (x, lo, hi, resolution)):
                r[j] = val[stop]
            fin |= stop
            nfin = int(np.count_nonzero(fin))
            if nfin == m:
                break
            if 2 * nfin >= m:
                keep = ~fin
                idx = idx[keep]
                x, lo, hi, slo, dxa, dxa2, tol_abs, wide, cubic, scale = (
                    a[keep] for a in (x, lo, hi, slo, dxa, dxa2, tol_abs, wide, cubic, scale)
                )
                fin = fin[keep]
                t = _gather(t, keep)
                m = idx.size
    return res


# ----------------------------------------------------------------------------------------------
# the bracketed solver
# ----------------------------------------------------------------------------------------------


def _newton_phase(evaluate, t: tuple, x, lo, hi, slo, scale, maxit: int, cubic=None):
    """Bracketed, safeguarded Halley/Newton iterations (``evaluate -> (noise, f, f', f'')``).

    The bracket ``(lo, hi)`` (sign ``slo`` at ``lo``) is updated with the sign of ``f`` where
    ``|f|`` exceeds its rounding noise.  The step is Halley's ``h / (1 - h f''/(2 f'))``
    (``h = f/f'``, denominator clipped to ``[1/2, 2]``) when ``f''`` is given, else Newton's ``h``.
    A step that leaves the bracket or does not halve (Numerical Recipes' ``rtsafe`` rule)
    becomes a bisection: arithmetic for brackets up to ``64 scale`` wide, in bit-pattern order
    beyond (at most 64 halvings for any finite bracket).

    An element stops when its step is below ``tol = 4 eps |x| + eps scale`` (the step is taken
    if it stays in the bracket), when its bracket is narrower than ``tol``, when ``|f| <= 4 noise``
    (the zero cannot be located any better), or after ``maxit`` iterations.  For Halley steps,
    ``cubic`` (per element) bounds a third of the third derivative; an element also stops after
    taking a step ``h`` with ``C |h|^3 <= min(resolution, RESOLVED (|x| + scale)) / 4``,
    ``C = (f''/(2 f'))^2 + cubic / |f'|`` (Halley's error constant: the next step would be below
    that).  The returned ``resolution = max(tol, 4 noise / |f'|)`` estimates how well ``f``
    locates the zero.

    Each element's iterates depend only on its own data and are recorded when it stops, so
    results do not depend on the batch; the working set is compacted once half of it is done.

    Returns the final ``(x, lo, hi, resolution)`` of every element.
    """
    n = x.size
    res = [np.empty(n) for _ in range(4)]
    idx = np.arange(n)
    fin = np.zeros(n, dtype=bool)
    lo = lo.copy()
    hi = hi.copy()
    dx_prev = hi - lo
    dx_prev2 = dx_prev
    tol_abs = _EPS * scale
    wide = WIDE_FACTOR * scale
    for it in range(maxit):
        noise, f, df, ddf = evaluate(x, t)
        adf = np.abs(df)
        tol = np.abs(x)
        tol *= TOL_ULPS * _EPS
        tol += tol_abs
        fs = f * slo
        left = fs > noise
        right = fs < -noise
        quiet = np.abs(f) <= NOISE_FACTOR * noise
        np.copyto(lo, x, where=left)
        np.copyto(hi, x, where=right)
        resolution = np.fmax(tol, NOISE_FACTOR * noise / adf)
        step = f / df
        early = None
        if ddf is not None:
            q = ddf / df
            step /= np.clip(1.0 - 0.5 * step * q, 0.5, 2.0)
            if cubic is not None:
                a3 = np.abs(step)
                a3 *= a3 * a3
                target = np.fmin(resolution, RESOLVED * (np.abs(x) + tol_abs / _EPS))
                early = a3 * (0.25 * q * q + cubic / adf) <= 0.25 * target
        xn = x - step
        inside = (xn > lo) & (xn < hi)
        astep = np.abs(step)
        conv = astep <= tol
        if early is not None:
            conv |= early & inside
        width = hi - lo
        small = width <= tol
        ok = inside & (conv | small | (2.0 * astep <= np.abs(dx_prev2)))
        xnew = np.where(ok, xn, x)
        b = np.flatnonzero(~(ok | conv | quiet))
        if b.size:  # bisection where Newton/Halley is not trusted
            lb, hb = lo[b], hi[b]
            xnew[b] = np.where(hb - lb <= wide[b], 0.5 * (lb + hb), _bitmid(lb, hb))
        stop = conv | small | quiet
        if it == maxit - 1:
            stop[:] = True
        stop &= ~fin
        dx_prev2 = dx_prev
        dx_prev = xnew - x
        x = xnew
        if stop.any():
            j = idx[stop]
            for r, v in zip(res, (x, lo, hi, resolution)):
                r[j] = v[stop]
            fin |= stop
            nfin = int(np.count_nonzero(fin))
            if nfin == fin.size:
                break
            if 2 * nfin >= fin.size:
                keep = ~fin
                idx = idx[keep]
                x, lo, hi, slo, dx_prev, dx_prev2, tol_abs, wide = (
                    v[keep] for v in (x, lo, hi, slo, dx_prev, dx_prev2, tol_abs, wide)
                )
                if cubic is not None:
                    cubic = cubic[keep]
                fin = fin[keep]
                t = _gather(t, keep)
    return res


def _fast_halley(t: tuple, x, lo, hi, scale, cubic, steps: int = FAST_STEPS):
    """``steps`` unguarded Halley steps on the log form; ``(x, resolution, accepted)``.

    Accepted: the last step satisfies the stopping rule of :func:`_phase1`, the resolution
    ``4 noise / |phi'|`` is below ``RESOLVED (|x| + scale)`` (the log form determines the zero) and
    ``x`` lies strictly inside ``(lo, hi)``.
    """
    w = np.empty((15, x.size))
    for _ in range(steps):
        x_prev = x
        noise, phi, dphi, ddphi = _eval_log(x, t, w)
        step = phi / dphi
        q = ddphi / dphi
        step /= np.clip(1.0 - 0.5 * step * q, 0.5, 2.0)
        x = x - step
    adf = np.abs(dphi)
    tol = TOL_ULPS * _EPS * np.abs(x_prev) + _EPS * scale
    resolution = np.fmax(tol, NOISE_FACTOR * noise / adf)
    astep = np.abs(step)
    target = np.fmin(resolution, RESOLVED * (np.abs(x_prev) + scale))
    good = (astep <= tol) | (astep * astep * astep * (0.25 * q * q + cubic / adf) <= 0.25 * target)
    good &= (resolution <= RESOLVED * (np.abs(x) + scale)) & (x > lo) & (x < hi)
    return x, resolution, good


def solve(base: tuple, a_p, lo, hi, slo, x0, scale) -> np.ndarray:
    """The zero of a level sum in each bracket ``(lo, hi)`` (one sign change, ``sign = slo`` at ``lo``).

    ``base = (nu_a, mu_a, nu_b, mu_b)`` per element; ``a_p`` is None for ``g`` (level 4) or the
    dropped exponent for ``S_3`` (level 3).  Phase 1: Halley on the log form (cheap, robust far
    from the zero), bracket updated only where ``|phi|`` exceeds its rounding noise.  Phase 2,
    only for elements whose phase-1 resolution exceeds ``64 eps (|x| + scale)`` (terms that
    nearly cancel, e.g. ``mu`` close to ``nu``, or a shallow crossing): Newton on the pair form
    (small relative error there) in the bracket left by phase 1 -- a single step where the
    phase-1 resolution is below ``RESOLVED (|x| + scale)`` (the error after it is then of the order
    of the square of that), iterated to convergence elsewhere.
    """
    if lo.size == 0:
        return np.empty(0)
    x = np.where((x0 > lo) & (x0 < hi), x0, _bitmid(lo, hi))
    params = _log_params(*base, a_p)
    # A third of |phi'''| is at most 0.1 (spread_P^3 + spread_N^3) / 3, spread <= 2 max|slope|.
    cubic = 0.54 * params[14] ** 3
    # Fast path: FAST_STEPS plain Halley steps; accepted where the last step meets the stopping rule
    # of _phase1 and the result lies inside the bracket (then it is the bracket's zero: the
    # pieces hold exactly one zero).  Elsewhere the safeguarded iteration from the start.
    xf, resolution, good = _fast_halley(params, x, lo, hi, scale, cubic)
    bad = np.flatnonzero(~good)
    if bad.size:
        xb, lb, hb, rb = _phase1(
            _gather(params, bad), x[bad], lo[bad], hi[bad], slo[bad], scale[bad], cubic[bad]
        )
        xf[bad], resolution[bad] = xb, rb
        lo, hi = lo.copy(), hi.copy()
        lo[bad], hi[bad] = lb, hb
    x = xf
    redo = np.flatnonzero(resolution > REDO_FACTOR * _EPS * (np.abs(x) + scale))
    if redo.size:
        sub = _gather(base, redo)
        tpair = _pair_params(*sub, None if a_p is None else a_p[redo])
        xr, lr, hr, rr, sr = x[redo], lo[redo], hi[redo], resolution[redo], scale[redo]
        # One Newton step on the pair form; enough where phase 1 came within RESOLVED (quadratic
        # convergence), the full phase 2 elsewhere.
        _, psi, dpsi, _ = _eval_pair(xr, tpair)
        xn = xr - psi / dpsi
        fine = (np.abs(xn - xr) <= 2.0 * rr) & (rr <= RESOLVED * (np.abs(xr) + sr)) & (xn >= lr) & (xn <= hr)
        xr = np.where(fine, xn, xr)
        more = np.flatnonzero(~fine)
        if more.size:
            xm, _, _, _ = _newton_phase(
                _eval_pair,
                _gather(tpair, more),
                xr[more],
                lr[more],
                hr[more],
                slo[redo][more],
                sr[more],
                MAXIT,
            )
            xr[more] = xm
        x[redo] = xr
    return x
