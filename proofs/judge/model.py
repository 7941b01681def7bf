"""The model of ``docs/model.md`` sections 1-2 written out plainly, stacked over rows.

``phi(t) = exp(-t^2/2)/sqrt(2 pi)``; ``p*(x) = 1/2 [phi(x - nu1) + phi(x - nu2)]``,
``p_mu(x) = 1/2 [phi(x - mu1) + phi(x - mu2)]``;
``L = 1 + sum_j [P*([l_j, r_j]) - G_mu([l_j, r_j])]``;
``dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]``, ``dL/dr_j = (p* - p_mu)(r_j)``,
``dL/dl_j = -(p* - p_mu)(l_j)``.  Arrays: ``mu``, ``nu`` of shape ``(N, 2)``, ``ell`` of shape
``(N, 4)``; endpoints may be infinite (``phi(+-inf) = 0``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

__all__ = ["phi", "gap", "objective", "gradients"]

_C = 1.0 / math.sqrt(2.0 * math.pi)


def phi(t: np.ndarray) -> np.ndarray:
    """Standard normal density; 0 at ``+-inf``."""
    with np.errstate(over="ignore"):
        return _C * np.exp(-0.5 * np.square(t))


def gap(x: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """``p*(x) - p_mu(x)`` for ``x`` of shape ``(N, m)`` and means of shape ``(N, 2)``."""
    x = np.asarray(x, dtype=float)
    means = np.concatenate([nu, mu], axis=1)  # (N, 4): nu1, nu2, mu1, mu2
    with np.errstate(over="ignore", invalid="ignore"):
        dens = np.exp(-0.5 * np.square(x[:, :, None] - means[:, None, :]))  # (N, m, 4)
    return (0.5 * _C) * (dens @ _TRUTH_MINUS_GENERATOR)


_TRUTH_MINUS_GENERATOR = np.array([1.0, 1.0, -1.0, -1.0])


def objective(mu: np.ndarray, ell: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """``L(mu, ell)`` through ``ndtr`` (rows of shape ``(N,)``)."""
    mu, ell, nu = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (mu, ell, nu))
    total = np.ones(len(ell))
    for j in range(2):
        a, b = ell[:, 2 * j], ell[:, 2 * j + 1]
        for i in range(2):
            total += 0.5 * (ndtr(b - nu[:, i]) - ndtr(a - nu[:, i]))
            total -= 0.5 * (ndtr(b - mu[:, i]) - ndtr(a - mu[:, i]))
    return total


def gradients(mu: np.ndarray, ell: np.ndarray, nu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dmu, dL/dell)`` of shapes ``(N, 2)`` and ``(N, 4)`` (``docs/model.md`` section 2)."""
    with np.errstate(invalid="ignore"):
        t = ell[:, None, :] - mu[:, :, None]  # (N, 2, 4): l1, r1, l2, r2 minus mu_i
    p = phi(t)
    g_mu = 0.5 * (p[:, :, 1] - p[:, :, 0] + p[:, :, 3] - p[:, :, 2])
    g = gap(ell, mu, nu)
    g_ell = g * np.array([-1.0, 1.0, -1.0, 1.0])
    return g_mu, g_ell
