"""Outcomes of final states of any model (interim, until ``gmmsym.outcomes.classify`` takes ``model=``).

The rules of :func:`gmmsym.outcomes.classify` (docs/model.md section 5) for ``K`` components and
``M`` intervals: the label-invariant distance over all ``K!`` permutations and mode collapse as
fewer distinct generator modes than true modes (:mod:`gmmsym.family.outcomes`), every interval
collapsed, and the vanishing gradient of the model's generated kernel.  The paper's model never
comes here (:func:`gmmsym.dynamics.engine.simulate` calls :func:`gmmsym.outcomes.classify`).
"""

from __future__ import annotations

import numpy as np

from gmmsym.dynamics.float64 import gradients_kernel
from gmmsym.family.outcomes import dist, mode_collapse
from gmmsym.model.spec import ModelSpec
from gmmsym.outcomes import COLLAPSE_WIDTH, DIVERGENCE_BOUND, LABELS, VANISHING_GRADIENT, Outcomes

__all__ = ["classify_model"]


def classify_model(
    mu: np.ndarray, ell: np.ndarray, nu: np.ndarray, *, tol: float, model: ModelSpec
) -> Outcomes:
    """Flags and labels of checked final states ``mu (N, K)``, ``ell (N, 2M)`` (ordered), ``nu (N, K)``."""
    n = mu.shape[0]
    with np.errstate(invalid="ignore"):
        bad_mu = ~(np.abs(mu) <= DIVERGENCE_BOUND).all(axis=1)
        diverged = bad_mu | (np.isnan(ell).any(axis=1) & ~(dist(mu, nu) == 0))
    ok = ~diverged
    m, e, v = mu[ok], ell[ok], nu[ok]

    def scatter(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[ok] = values
        return out

    lo, hi = e[:, 0::2], e[:, 1::2]
    with np.errstate(invalid="ignore"):  # inf - inf: an interval (+inf, +inf) is empty, l == r
        collapsed = ((hi == lo) | (hi - lo <= COLLAPSE_WIDTH)).all(axis=1)
    with np.errstate(over="ignore"):
        out = gradients_kernel(model)(*m.T, *e.T, *v.T)
    gmu = np.stack([np.broadcast_to(g, m.shape[:1]) for g in out[: model.K]], axis=1)
    flags = {
        "diverged": diverged,
        "converged": scatter(dist(m, v) <= tol),
        "discriminator_collapse": scatter(collapsed),
        "mode_collapse": scatter(mode_collapse(m, v, tol)),
        "vanishing_gradient": scatter(np.sqrt((gmu * gmu).sum(axis=1)) <= VANISHING_GRADIENT),
    }
    label = np.full(n, LABELS[-1], dtype=f"<U{max(map(len, LABELS))}")
    unset = np.ones(n, dtype=bool)
    for name in LABELS[:-1]:
        hit = flags[name] & unset
        label[hit] = name
        unset &= ~hit
    flags["not_converged"] = unset
    return Outcomes(label=label, flags=flags)
