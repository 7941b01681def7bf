"""Optimal-discriminator dynamics with warm-started crossings (``docs/model.md`` section 4).

One step of optimal dynamics moves ``mu`` by ``O(eta)``, so the crossings of ``p* - p_mu`` (and
the zeros of every level of the Rolle chain, :mod:`gmmsym.family.crossings`) move by ``O(eta)``
too.  :class:`WarmCrossings` keeps the zeros of every level from the previous step and starts
each bracketed Newton solve from the previous zero that lies in the new bracket.

Safety: the warm start changes only *starting points*.  The brackets still come from the
separators of the level below, the signs are still evaluated at them, and a start outside its
bracket is replaced by the bracket's midpoint, so a row whose crossing structure changed gets
exactly the cold isolation.  In addition, rows whose sign pattern (the signs of the terms
ordered by exponent) changed since the previous step are solved with no guesses at all (full
cold isolation per row).  Results equal cold isolation up to the Newton stopping tolerance
(``4 eps |x| + eps scale``), never in the number or order of crossings.
"""

from __future__ import annotations

import numpy as np

from gmmsym.family.crossings import crossings, exponential_sum
from gmmsym.family.discriminator import danskin_gradient, encode, interval_advantages
from gmmsym.spec import PAPER, ModelSpec

__all__ = ["WarmCrossings", "optimal_dynamics"]


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
        guesses = self.levels
        if guesses is not None:
            changed = (t.s != self.pattern).any(axis=0)
            self.cold_rows += int(changed.sum())
            if changed.any():
                guesses = [np.where(changed, np.nan, g) for g in guesses]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            x, count, s_minus, levels, ev = crossings(t, guesses)
        self.levels, self.pattern = levels, t.s
        self.evaluations += ev
        d = interval_advantages(x, mu.T, self.nu.T, self.spec)
        k = np.arange(d.shape[0])[:, None]
        real = k <= np.maximum(count, 0)
        positive = real & (np.where(k % 2 == 0, s_minus, -s_minus) > 0)
        chosen = positive
        many = np.flatnonzero(positive.sum(axis=0) > self.spec.M)
        if many.size:
            from gmmsym.family.discriminator import best_runs

            chosen = positive.copy()
            chosen[:, many] = best_runs(np.where(real[:, many], d[:, many], 0.0), self.spec.M)
        ell = encode(x, chosen, self.spec.M)
        ell[count < 0] = np.nan
        return danskin_gradient(mu, ell, self.nu, count, self.spec), ell, count


def optimal_dynamics(
    mu0: np.ndarray, nu: np.ndarray, *, eta: float = 0.1, steps: int = 100, spec: ModelSpec = PAPER, warm: bool = True
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
