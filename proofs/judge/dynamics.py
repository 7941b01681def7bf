"""First-order dynamics (``docs/model.md`` section 4), stacked NumPy over many runs.

``simultaneous``: ``g = grad L(mu, ell)``, ``mu <- mu - eta_g g_mu``,
``ell <- Proj(ell + eta_d g_ell)``.  ``alternating`` with ``k``: ``k`` times
``ell <- Proj(ell + eta_d g_ell(mu, ell))``, then ``mu <- mu - eta_g g_mu(mu, ell)``.
Rows are independent.  A row that a step leaves bitwise unchanged is at an exact fixed point
of its (deterministic) map and is retired; a row whose means leave ``|mu_i| <= 1e3`` is frozen
(it is ``diverged`` whatever follows).
"""

from __future__ import annotations

import numpy as np

from .model import gap, gradients
from .projection import project

_SIGNS = np.array([-1.0, 1.0, -1.0, 1.0])


def _ascent(mu, ell, nu, eta_d):
    """``Proj(ell + eta_d dL/dell)``; rows that stay ordered need no projection."""
    y = ell + eta_d * (gap(ell, mu, nu) * _SIGNS)
    with np.errstate(invalid="ignore"):
        bad = np.any(y[:, 1:] < y[:, :-1], axis=1)
    if bad.any():
        y[bad] = project(y[bad])
    return y


__all__ = ["first_order", "step"]


def step(mu, ell, nu, *, schedule: str, eta: float, eta_d: float, k: int):
    """One generator step of ``schedule`` on all rows; returns new ``(mu, ell)``."""
    if schedule == "simultaneous":
        g_mu, _ = gradients(mu, ell, nu)
        return mu - eta * g_mu, _ascent(mu, ell, nu, eta_d)
    if schedule == "alternating":
        for _ in range(k):
            ell = _ascent(mu, ell, nu, eta_d)
        g_mu, _ = gradients(mu, ell, nu)
        return mu - eta * g_mu, ell
    raise ValueError(f"schedule must be 'simultaneous' or 'alternating', got {schedule!r}")


def first_order(
    nu: np.ndarray,
    mu0: np.ndarray,
    ell0: np.ndarray,
    *,
    steps: int,
    eta: float = 0.1,
    eta_d: float | None = None,
    schedule: str = "simultaneous",
    k: int = 1,
    check_every: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Final ``(mu, ell)`` after ``steps`` generator steps from ``(mu0, ell0)``, every row at once."""
    eta_d = eta if eta_d is None else eta_d
    mu = np.array(mu0, dtype=float, copy=True)
    ell = np.array(ell0, dtype=float, copy=True)
    nu = np.broadcast_to(np.asarray(nu, dtype=float), mu.shape).copy()
    active = np.arange(len(mu))
    for t in range(steps):
        m, e = step(mu[active], ell[active], nu[active], schedule=schedule, eta=eta, eta_d=eta_d, k=k)
        with np.errstate(invalid="ignore"):
            moving = ~(
                np.all(m == mu[active], axis=1)
                & np.all((e == ell[active]) | (np.isnan(e) & np.isnan(ell[active])), axis=1)
            )
            alive = np.all(np.abs(m) <= 1e3, axis=1)
        mu[active], ell[active] = m, e
        if (t + 1) % check_every == 0 or not alive.all():
            active = active[moving & alive]
            if active.size == 0:
                break
    return mu, ell
