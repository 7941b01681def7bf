"""Outcomes for any ``K`` (``docs/model.md`` section 5): label-invariant distance and mode collapse.

* :func:`dist`: ``min over permutations pi of max_i |mu_pi(i) - nu_i|`` over the relabellings that
  keep the weights (``w_pi(i) = w_i``: all ``K!`` for equal weights; a component of weight 1/4
  cannot stand in for one of weight 1/2), at once (one ``(N, P, K)`` gather, no per-row loop).
* :func:`distinct_modes`: the number of groups of a row's means when sorted means closer than
  ``tol`` (consecutive gaps ``<= tol``) are grouped (single linkage).
* :func:`mode_collapse`: fewer distinct generator modes (grouped at ``tol``) than true modes
  (grouped at ``2 tol``).  For ``K = 2`` this is ``|mu1 - mu2| <= tol`` while ``|nu1 - nu2| > 2 tol``,
  the rule of :func:`gmmsym.outcomes.classify`.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["dist", "distinct_modes", "mode_collapse"]


@cache
def _perms(k: int, weights: tuple | None = None) -> np.ndarray:
    """The permutations ``pi`` of ``range(k)`` with ``weights[pi[i]] == weights[i]`` (all if None)."""
    perms = itertools.permutations(range(k))
    if weights is not None:
        perms = (p for p in perms if all(weights[p[i]] == weights[i] for i in range(k)))
    return np.array(list(perms), dtype=np.intp)


def _pair(mu: ArrayLike, nu: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mu, dtype=np.float64)
    n = np.asarray(nu, dtype=np.float64)
    if m.ndim == 0:
        raise ValueError(f"mu must have shape (..., K), got shape {m.shape}")
    if n.ndim == 0 or n.shape[-1] != m.shape[-1]:
        raise ValueError(f"nu must have shape (..., {m.shape[-1]}) like mu, got shape {n.shape}")
    return m, n


def dist(mu: ArrayLike, nu: ArrayLike, weights: tuple | None = None) -> np.ndarray:
    """Label-switching invariant max-norm distance, minimised over the weight-preserving permutations.

    Parameters
    ----------
    mu, nu : array_like, shape (..., K)
        Broadcast together; non-finite values give NaN or inf.
    weights : tuple of K numbers, optional
        The model's weights: only relabellings with ``w_pi(i) = w_i`` count.  None (or equal
        weights): all ``K!`` permutations.

    Returns
    -------
    ndarray, shape (...)
    """
    m, n = _pair(mu, nu)
    w = None if weights is None or len(set(weights)) == 1 else tuple(weights)
    p = _perms(m.shape[-1], w)  # (P, K)
    with np.errstate(invalid="ignore"):
        d = np.abs(m[..., p] - n[..., None, :])  # (..., P, K)
        return d.max(axis=-1).min(axis=-1)


def distinct_modes(x: ArrayLike, tol: float) -> np.ndarray:
    """Number of groups of each row of ``x (..., K)``: sorted neighbours within ``tol`` are one mode."""
    s = np.sort(np.asarray(x, dtype=np.float64), axis=-1)
    return 1 + (np.diff(s, axis=-1) > tol).sum(axis=-1)


def mode_collapse(mu: ArrayLike, nu: ArrayLike, tol: float = 0.1) -> np.ndarray:
    """``distinct_modes(mu, tol) < distinct_modes(nu, 2 tol)`` per row."""
    m, n = _pair(mu, nu)
    return distinct_modes(m, tol) < distinct_modes(n, 2 * tol)
