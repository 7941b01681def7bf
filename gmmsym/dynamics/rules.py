"""The update rules of every dynamics, written once over :class:`gmmsym.dynamics.protocol.Backend`.

Each dynamics is a pair ``(init, step)`` in :data:`RULES`: ``init(b, mu, ell) -> (mu, ell, aux)``
and ``step(b, mu, ell, aux, p) -> (mu, ell, aux)`` with ``p`` the :class:`Params`.  The rules
themselves are described in :mod:`gmmsym.dynamics.engine`; they never write into the arrays of
the state they are given (the driver compares states before and after a step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from gmmsym.model.validate import check_choice

__all__ = ["DYNAMICS", "RULES", "Params", "gradient_evaluations"]


class Params(NamedTuple):
    """Step sizes of a run in the backend's number type."""

    neg_eta_g: Any  # -eta_g: x - eta g == x + (-eta) g exactly (negation is exact)
    eta_d: Any
    k: int


def _ascend(b, ell, eta_d, gell):
    """``Proj(ell + eta_d dL/dell)``."""
    return b.proj(b.combine(ell, eta_d, gell))


def _init_first_order(b, mu, ell):
    return mu, ell, None


def _init_optimal(b, mu, ell):
    # aux = grad TV at the current mu; ell = ell*(mu).
    g, ell_star = b.tv(mu)
    return mu, ell_star, g


def _step_optimal(b, mu, ell, aux, p):
    mu = b.combine(mu, p.neg_eta_g, aux)
    g, ell_star = b.tv(mu)
    return mu, ell_star, g


def _step_simultaneous(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    return b.combine(mu, p.neg_eta_g, gmu), _ascend(b, ell, p.eta_d, gell), None


def _step_alternating(b, mu, ell, aux, p):
    for _ in range(p.k):
        _, gell = b.grad(mu, ell)
        ell = _ascend(b, ell, p.eta_d, gell)
    gmu, _ = b.grad(mu, ell)
    return b.combine(mu, p.neg_eta_g, gmu), ell, None


def _step_extragradient(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    mu_half = b.combine(mu, p.neg_eta_g, gmu)
    ell_half = _ascend(b, ell, p.eta_d, gell)
    gmu, gell = b.grad(mu_half, ell_half)
    return b.combine(mu, p.neg_eta_g, gmu), _ascend(b, ell, p.eta_d, gell), None


def _step_optimistic(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    prev_mu, prev_ell = (None, None) if aux is None else aux
    dmu = b.extrapolate(gmu, prev_mu)
    dell = b.extrapolate(gell, prev_ell)
    return b.combine(mu, p.neg_eta_g, dmu), _ascend(b, ell, p.eta_d, dell), (gmu, gell)


RULES: dict[str, tuple[Callable, Callable]] = {
    "optimal": (_init_optimal, _step_optimal),
    "simultaneous": (_init_first_order, _step_simultaneous),
    "alternating": (_init_first_order, _step_alternating),
    "extragradient": (_init_first_order, _step_extragradient),
    "optimistic": (_init_first_order, _step_optimistic),
}

DYNAMICS: tuple[str, ...] = tuple(RULES)


def gradient_evaluations(dynamics: str, k: int = 1) -> int:
    """Gradient evaluations per generator step.

    ``simultaneous`` and ``optimistic``: 1; ``alternating``: ``k + 1``; ``extragradient``: 2;
    ``optimal``: 1 (one optimal discriminator and its Danskin gradient).
    """
    return {"alternating": k + 1, "extragradient": 2}.get(check_choice("dynamics", dynamics, DYNAMICS), 1)
