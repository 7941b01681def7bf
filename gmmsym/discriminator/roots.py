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

All three are one core, :func:`iterate` (a :class:`Form` to evaluate, the number of unguarded
steps, ``bisect_when_small``): the step, tolerance, resolution and early-stop arithmetic is
written once (:func:`_measure`), the safeguard once (:func:`_guarded_step`).  Each element stops
on its own tests and is recorded when it stops; working sets are compacted
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

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from gmmsym.discriminator.forms import EPS as _EPS
from gmmsym.discriminator.forms import _eval_log, _eval_pair, _gather, _log_params, _pair_params

__all__ = [
    "Form",
    "LOG_FORM",
    "PAIR_FORM",
    "MAXIT",
    "FAST_STEPS",
    "NOISE_FACTOR",
    "RESOLVED",
    "REDO_FACTOR",
    "TOL_ULPS",
    "WIDE_FACTOR",
    "iterate",
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


# ----------------------------------------------------------------------------------------------
# the one bracketed Halley/Newton core
# ----------------------------------------------------------------------------------------------


class Form(NamedTuple):
    """A form of the level sum that the core iterates on.

    ``evaluate(x, t, w) -> (noise, f, f', f'')`` (``f''`` None: Newton steps, else Halley steps);
    the results may be views into the workspace ``w`` of ``rows`` rows of ``x.size``.
    """

    evaluate: Callable
    rows: int


LOG_FORM = Form(_eval_log, 15)
"""The log form ``phi = log P - log N`` with ``phi'`` and ``phi''`` (Halley steps)."""
PAIR_FORM = Form(lambda x, t, w: _eval_pair(x, t), 0)
"""The pair form ``psi`` with ``psi'`` (Newton steps; accurate where nearly equal terms cancel)."""


def _measure(x, noise, f, df, ddf, tol_abs, scale, cubic, v, early):
    """Tolerance, resolution, step and Halley's early-stop test of one iteration, in place.

    ``tol = TOL_ULPS eps |x| + eps scale``, ``resolution = max(NOISE_FACTOR noise / |f'|, tol)``
    (how well ``f`` locates the zero), the step ``h = f/f'`` divided by ``1 - h f''/(2 f')``
    clipped to ``[1/2, 2]`` (Halley) when ``ddf`` is given, and, when ``cubic`` (a bound on a
    third of the third derivative; Halley only) is given, ``early``: ``C |h|^3 <= min(resolution,
    RESOLVED (|x| + scale)) / 4`` with ``C = (f''/(2 f'))^2 + cubic / |f'|`` (Halley's error
    constant: the next step would be below that).  Every quantity is computed in the rows of
    ``v`` (no temporaries: at batch sizes of 1e4 allocating arrays costs more than the arithmetic).

    Returns views ``(tol, resolution, step, |step|, early or None)``.
    """
    adf, tol, resolution, step, q, den, astep, tmp, tmp2 = v
    np.abs(df, out=adf)
    np.abs(x, out=tol)
    tol *= TOL_ULPS * _EPS
    tol += tol_abs
    np.divide(noise, adf, out=resolution)
    resolution *= NOISE_FACTOR
    np.fmax(resolution, tol, out=resolution)
    np.divide(f, df, out=step)
    if ddf is not None:  # Halley
        np.divide(ddf, df, out=q)
        np.multiply(step, q, out=den)
        den *= -0.5
        den += 1.0
        np.clip(den, 0.5, 2.0, out=den)
        step /= den
    np.abs(step, out=astep)
    if cubic is None:
        return tol, resolution, step, astep, None
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
    return tol, resolution, step, astep, early


def _guarded_step(form: Form, t: tuple, s: dict, ws: tuple, bisect_when_small: bool):
    """One safeguarded iteration on the working set ``s`` (arrays updated in place).

    The bracket takes ``x`` where ``|f|`` exceeds its noise; the step is taken where it stays in
    the bracket and is converged, the bracket is narrower than ``tol`` or the step halves the one
    before the previous (Numerical Recipes' ``rtsafe``); elsewhere (not converged, ``|f|`` above
    ``NOISE_FACTOR noise`` and, unless ``bisect_when_small``, the bracket not below ``tol``) the
    bracket is bisected.  Returns ``(stop, resolution)``.
    """
    m = s["x"].size
    x, lo, hi = s["x"], s["lo"], s["hi"]
    w, v, bw = ws[0][:, :m], ws[1][:, :m], ws[2][:, :m]
    noise, f, df, ddf = form.evaluate(x, t, w)
    left, right, quiet, early, inside, conv, small, ok = bw
    fs, xold, cand = v[9:]
    np.multiply(f, s["slo"], out=fs)
    np.greater(fs, noise, out=left)
    np.negative(noise, out=xold)
    np.less(fs, xold, out=right)
    np.multiply(noise, NOISE_FACTOR, out=xold)
    np.abs(f, out=cand)
    np.less_equal(cand, xold, out=quiet)  # |f| <= NOISE_FACTOR noise: cannot improve, stop
    np.copyto(lo, x, where=left)
    np.copyto(hi, x, where=right)
    tol, resolution, step, astep, early = _measure(
        x, noise, f, df, ddf, s["tol_abs"], s["scale"], s.get("cubic"), v[:9], early
    )
    np.copyto(xold, x)
    np.subtract(x, step, out=cand)  # Newton/Halley candidate
    np.greater(cand, lo, out=inside)
    np.less(cand, hi, out=ok)
    inside &= ok
    np.less_equal(astep, tol, out=conv)
    if early is not None:
        early &= inside
        conv |= early
    np.subtract(hi, lo, out=fs)
    np.less_equal(fs, tol, out=small)
    np.multiply(astep, 2.0, out=fs)
    np.less_equal(fs, s["dxa2"], out=ok)
    ok |= conv
    ok |= small
    ok &= inside
    np.copyto(x, cand, where=ok)
    stop = conv | small | quiet
    b = np.flatnonzero(~(ok | conv | quiet) if bisect_when_small else ~(ok | stop))
    if b.size:  # bisection where the step is not trusted
        lb, hb = lo[b], hi[b]
        x[b] = np.where(hb - lb <= s["wide"][b], 0.5 * (lb + hb), _bitmid(lb, hb))
    s["dxa"], s["dxa2"] = s["dxa2"], s["dxa"]  # |previous step|, |step before the previous one|
    np.subtract(x, xold, out=s["dxa"])
    np.abs(s["dxa"], out=s["dxa"])
    return stop, resolution


def _guarded(form: Form, t: tuple, x, lo, hi, slo, scale, cubic, bisect_when_small: bool, maxit: int):
    """Safeguarded iterations (:func:`_guarded_step`) until each element stops: ``[x, lo, hi, resolution]``.

    An element stops when its step is converged, its bracket is narrower than ``tol``, ``|f| <=
    NOISE_FACTOR noise`` or after ``maxit`` iterations, and is recorded then; the working set is
    compacted once half of it is done (each element's iterates depend only on its own data).
    """
    n = x.size
    res = [np.empty(n) for _ in range(4)]
    idx = np.arange(n)
    ws = (np.empty((form.rows, n)), np.empty((12, n)), np.empty((8, n), dtype=bool))
    dxa = np.abs(hi - lo)
    s = {"x": x.copy(), "lo": lo.copy(), "hi": hi.copy(), "slo": np.asarray(slo, dtype=np.float64).copy()}
    s.update(dxa=dxa, dxa2=dxa.copy(), tol_abs=_EPS * scale, wide=WIDE_FACTOR * scale, scale=scale)
    if cubic is not None:
        s["cubic"] = cubic
    fin = np.zeros(n, dtype=bool)
    for it in range(maxit):
        stop, resolution = _guarded_step(form, t, s, ws, bisect_when_small)
        if it == maxit - 1:
            stop[:] = True
        stop &= ~fin
        if stop.any():
            j = idx[stop]
            for r, val in zip(res, (s["x"], s["lo"], s["hi"], resolution)):
                r[j] = val[stop]
            fin |= stop
            nfin = int(np.count_nonzero(fin))
            if nfin == fin.size:
                break
            if 2 * nfin >= fin.size:
                keep = ~fin
                idx = idx[keep]
                s = {k: a[keep] for k, a in s.items()}
                fin = fin[keep]
                t = _gather(t, keep)
    return res


def _unguarded(form: Form, t: tuple, x, lo, hi, scale, cubic, steps: int):
    """``steps`` plain steps without a bracket: ``(x, resolution, accepted)``.

    Accepted: the last step is converged or meets the early-stop test (:func:`_measure`), the
    resolution is below ``RESOLVED (|x| + scale)`` (the form determines the zero) and ``x`` lies
    strictly inside ``(lo, hi)``.
    """
    n = x.size
    w, v, early = np.empty((form.rows, n)), np.empty((9, n)), np.empty(n, dtype=bool)
    tol_abs = _EPS * scale
    for _ in range(steps):
        noise, f, df, ddf = form.evaluate(x, t, w)
        tol, resolution, step, astep, stop_early = _measure(
            x, noise, f, df, ddf, tol_abs, scale, cubic, v, early
        )
        x = x - step
    good = astep <= tol
    if stop_early is not None:
        good |= stop_early
    good &= (resolution <= RESOLVED * (np.abs(x) + scale)) & (x > lo) & (x < hi)
    return x, resolution.copy(), good


def iterate(
    form: Form,
    t: tuple,
    x: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    slo: np.ndarray,
    scale: np.ndarray,
    cubic: np.ndarray | None = None,
    *,
    unguarded: int = 0,
    bisect_when_small: bool = False,
    maxit: int = MAXIT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The zero of ``form`` in each bracket ``(lo, hi)`` (sign ``slo`` at ``lo``) from ``x``: the core.

    ``unguarded`` plain steps first (:func:`_unguarded`); where they are not accepted, and for
    every element when ``unguarded = 0``, safeguarded iterations from ``x`` (:func:`_guarded`;
    ``bisect_when_small``: bisect also where the bracket is already below the tolerance and the
    step leaves it).  ``cubic`` enables Halley's early stop (log form only).  Elementwise: results
    do not depend on the batch.  Returns ``(x, lo, hi, resolution)``.
    """
    if not unguarded:
        return tuple(_guarded(form, t, x, lo, hi, slo, scale, cubic, bisect_when_small, maxit))
    xf, resolution, good = _unguarded(form, t, x, lo, hi, scale, cubic, unguarded)
    bad = np.flatnonzero(~good)
    lo, hi = lo.copy(), hi.copy()
    if bad.size:
        sub = (x[bad], lo[bad], hi[bad], slo[bad], scale[bad], None if cubic is None else cubic[bad])
        xf[bad], lo[bad], hi[bad], resolution[bad] = _guarded(
            form, _gather(t, bad), *sub, bisect_when_small, maxit
        )
    return xf, lo, hi, resolution


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
    # FAST_STEPS plain Halley steps, accepted where the last step meets the stopping rule and the
    # result lies inside the bracket (then it is the bracket's zero: the pieces hold exactly one
    # zero); elsewhere the safeguarded iteration from the start.
    x, lo, hi, resolution = iterate(LOG_FORM, params, x, lo, hi, slo, scale, cubic, unguarded=FAST_STEPS)
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
            sub = (xr[more], lr[more], hr[more], slo[redo][more], sr[more])
            xm = iterate(PAIR_FORM, _gather(tpair, more), *sub, bisect_when_small=True)[0]
            xr[more] = xm
        x[redo] = xr
    return x
