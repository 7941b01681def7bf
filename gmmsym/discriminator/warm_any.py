"""Optimal-discriminator dynamics with warm-started crossings (``docs/model.md`` section 4).

One step of optimal dynamics moves ``mu`` by ``O(eta)``, so the crossings of ``p* - p_mu`` (and
the zeros of every level of the Rolle chain, :mod:`gmmsym.discriminator.crossings`) move by ``O(eta)``
too.  :class:`WarmCrossings` keeps the zeros of every level from the previous step and starts
each bracketed Newton solve from the previous zero that lies in the new bracket.

Fast path (:func:`warm_crossings`), per row, certified or rejected:

1. the sign pattern of the terms ordered by exponent is unchanged since the previous step;
2. from each previous crossing, Newton steps on ``phi = log P - log N`` (level 0 only) until the
   stopping rule of :func:`gmmsym.discriminator.crossings.solve` holds (at most 5);
3. each result ``x`` is certified a crossing by strictly opposite, resolved signs of ``f`` at
   ``x - delta`` and ``x + delta`` (``delta`` = 4 times the last step plus 8 resolutions), and
   the brackets ``[x - delta, x + delta]`` are disjoint and ordered;
4. their number equals ``V``, the number of sign changes of the coefficients ordered by
   exponent: by Descartes' rule for exponential sums (Laguerre) ``f`` has at most ``V`` real
   zeros, so no crossing is missing.

A row that fails any check (and every row of the first step) gets the full cold isolation of
:func:`gmmsym.discriminator.crossings.crossings`.  A certified crossing lies in its bracket of width
``2 delta`` and meets the same Newton stopping rule as cold isolation.
"""

from __future__ import annotations

import numpy as np

from gmmsym.discriminator.crossings import (
    Terms,
    crossings,
    curvature_scale,
    evaluate,
    exponential_sum,
    sign_at,
)
from gmmsym.discriminator.optimal_any import danskin_gradient, ell_from_crossings
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = ["WarmCrossings", "optimal_dynamics", "warm_crossings", "sign_changes"]

_EPS = float(np.finfo(np.float64).eps)


def sign_changes(s: np.ndarray) -> np.ndarray:
    """Sign changes ``V`` of the nonzero coefficient signs ``s (n, N)`` in exponent order."""
    last = np.zeros(s.shape[1])
    v = np.zeros(s.shape[1], dtype=np.int64)
    for row in s:
        v += (row != 0) & (last != 0) & (row != last)
        last = np.where(row != 0, row, last)
    return v


def warm_crossings(t: Terms, prev: np.ndarray, pattern: np.ndarray):
    """Certified warm update of the crossings (``y`` units); see the module docstring.

    Parameters
    ----------
    t : Terms
        The new exponential sums.
    prev : ndarray (n - 1, N)
        Previous crossings in ``y`` units (NaN padded).
    pattern : ndarray (n, N)
        Previous signs of the ordered terms.

    Returns
    -------
    y : ndarray (n - 1, N)
        New crossings (``y`` units) of the certified rows (NaN elsewhere).
    ok : ndarray of bool (N,)
        Rows certified by the fast path.
    """
    count = (~np.isnan(prev)).sum(axis=0)
    ok = (t.s == pattern).all(axis=0) & (count == sign_changes(t.s)) & (count > 0)
    slot, rows = np.nonzero(~np.isnan(prev) & ok)
    y = np.full(prev.shape, np.nan)
    if rows.size == 0:
        return y, ok
    cols = t.level(rows).cols()
    x = prev[slot, rows]
    scale = t.scale[rows]
    conv = np.zeros(x.shape, dtype=bool)
    last = np.zeros_like(x)
    for _ in range(5):  # Newton until the quadratic-convergence stop of gmmsym.discriminator.crossings.solve
        phi, dphi, noise = evaluate(x, *cols)
        step = np.where(conv, 0.0, phi / dphi)
        curv = curvature_scale(x, cols, scale)
        x = x - step
        last = np.where(conv, last, step)
        conv |= ((curv * step) ** 2 <= (4.0 * _EPS * np.abs(x) + _EPS * scale) * np.abs(dphi)) | (
            np.abs(phi) <= noise
        )
    _, dphi, noise = evaluate(x, *cols)
    delta = 4.0 * np.abs(last) + 8.0 * noise / np.abs(dphi) + 4.0 * _EPS * (np.abs(x) + scale)
    left, right = sign_at(x - delta, cols), sign_at(x + delta, cols)
    good = (left * right < 0) & np.isfinite(x) & conv
    y[slot, rows] = x
    lo = np.full(prev.shape, np.nan)
    hi = np.full(prev.shape, np.nan)
    lo[slot, rows], hi[slot, rows] = x - delta, x + delta
    bad = np.zeros(prev.shape, dtype=bool)
    bad[slot, rows] = ~good
    with np.errstate(invalid="ignore"):
        overlap = (hi[:-1] >= lo[1:]) & ~np.isnan(lo[1:])
    ok &= ~bad.any(axis=0) & ~overlap.any(axis=0)
    return np.where(ok, y, np.nan), ok


class WarmCrossings:
    """Crossings, ``ell*`` and the Danskin gradient of a batch, warm-started step to step.

    Parameters
    ----------
    nu : ndarray (N, K)
        True means (fixed over the run).
    spec : ModelSpec
        The model.
    """

    def __init__(self, nu: np.ndarray, spec: ModelSpec = PAPER) -> None:
        self.nu = np.ascontiguousarray(nu, dtype=np.float64)
        self.spec = spec
        self.levels: list | None = None
        self.pattern: np.ndarray | None = None
        self.evaluations = 0
        self.cold_rows = 0

    def __call__(self, mu: np.ndarray):
        """``(grad (N, K), ell (N, 2M), count (N,))`` at ``mu (N, K)``."""
        t = exponential_sum(mu, self.nu, self.spec)
        n, m = t.a.shape
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.levels is None:
                ok = np.zeros(m, dtype=bool)
                y = np.full((n - 1, m), np.nan)
            else:
                y, ok = warm_crossings(t, self.levels, self.pattern)
            cold = np.flatnonzero(~ok)
            count = (~np.isnan(y)).sum(axis=0)
            if cold.size:
                xc, cc, _, _, ev = crossings(t.take(cold))
                y[:, cold] = xc / t.sigma
                count[cold] = cc
                self.evaluations += ev
        self.cold_rows += cold.size
        self.levels, self.pattern = y, t.s
        x = y * t.sigma
        present = t.s != 0
        bottom = np.argmax(present, axis=0)
        s_minus = np.where(present.any(axis=0), t.s[bottom, np.arange(m)], 0.0)
        ell, _ = ell_from_crossings(x, count, s_minus, mu, self.nu, self.spec)
        return danskin_gradient(mu, ell, self.nu, count, self.spec), ell, count


def optimal_dynamics(
    mu0: np.ndarray,
    nu: np.ndarray,
    *,
    eta: float = 0.1,
    steps: int = 100,
    spec: ModelSpec = PAPER,
    warm: bool = True,
):
    """``mu <- mu - eta grad TV(mu)`` for ``steps`` steps; returns ``(mu, ell, count, solver)``.

    ``warm=False`` isolates the crossings from scratch at every step (the reference).
    """
    mu = np.array(mu0, dtype=np.float64)
    nu = np.broadcast_to(np.asarray(nu, dtype=np.float64), mu.shape)
    solver = WarmCrossings(nu, spec)
    g, ell, count = solver(mu)
    for _ in range(steps):
        mu = mu - eta * g
        if not warm:
            solver.levels = None
        g, ell, count = solver(mu)
    return mu, ell, count, solver
