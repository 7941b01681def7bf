"""The judge's own outcome labels (``docs/model.md`` section 5), in the order of the rules."""

from __future__ import annotations

import numpy as np

from .model import gradients

__all__ = ["LABELS", "dist", "classify"]

LABELS = (
    "diverged",
    "converged",
    "discriminator_collapse",
    "mode_collapse",
    "vanishing_gradient",
    "not_converged",
)


def dist(mu: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """``min(max_i |mu_i - nu_i|, max_i |mu_(3-i) - nu_i|)`` per row."""
    same = np.maximum(np.abs(mu[:, 0] - nu[:, 0]), np.abs(mu[:, 1] - nu[:, 1]))
    swap = np.maximum(np.abs(mu[:, 1] - nu[:, 0]), np.abs(mu[:, 0] - nu[:, 1]))
    return np.minimum(same, swap)


def classify(mu: np.ndarray, ell: np.ndarray, nu: np.ndarray, tol: float = 0.1) -> np.ndarray:
    """One label per row: the first rule of section 5 that holds."""
    n = len(mu)
    nu = np.broadcast_to(nu, (n, 2))
    labels = np.full(n, "not_converged", dtype="<U22")
    decided = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.all(np.isfinite(mu) & (np.abs(mu) <= 1e3), axis=1)
        safe_mu = np.where(bad[:, None], 0.0, mu)
        widths = ell[:, 1::2] - ell[:, 0::2]
        collapsed = np.all((ell[:, 1::2] == ell[:, 0::2]) | (widths <= 1e-9), axis=1)
        g_mu, _ = gradients(safe_mu, ell, nu)
    rules = (
        ("diverged", bad),
        ("converged", dist(safe_mu, nu) <= tol),
        ("discriminator_collapse", collapsed),
        (
            "mode_collapse",
            (np.abs(safe_mu[:, 0] - safe_mu[:, 1]) <= tol) & (np.abs(nu[:, 0] - nu[:, 1]) > 2 * tol),
        ),
        ("vanishing_gradient", np.hypot(g_mu[:, 0], g_mu[:, 1]) <= 1e-8),
    )
    for name, hit in rules:
        now = hit & ~decided
        labels[now] = name
        decided |= now
    return labels
