"""The mpmath dynamics backend: one row of ``mpf`` scalars (see :mod:`gmmsym.dynamics.engine`).

Implements :class:`gmmsym.dynamics.protocol.Backend` for any
:class:`~gmmsym.model.spec.ModelSpec` through :mod:`gmmsym.kernels.mp` (gradients of the model's
generated mpmath kernel) and :mod:`gmmsym.discriminator.optimal_mp`; call it inside
``mpmath.workdps(dps)``.
"""

from __future__ import annotations

import numpy as np

from gmmsym.discriminator.projection import project_scalars
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.outcomes import DIVERGENCE_BOUND

__all__ = ["MpBackend"]


class MpBackend:
    """mpmath backend for one row: every component is an ``mpf`` (inside ``mpmath.workdps``)."""

    n = 1
    checks_fixed_points = False

    def __init__(self, nu: tuple, dps: int, model: ModelSpec = PAPER) -> None:
        self.nu, self.dps, self.model = nu, dps, model

    def take(self, keep: np.ndarray) -> MpBackend:
        """The backend of the kept rows: the same one (one row; after a retirement none is left)."""
        return self

    @staticmethod
    def select(tree, keep: np.ndarray):
        """The state of the kept rows.  One row of scalars: it is kept whole or not at all, and
        after ``keep == [False]`` the driver stops, so the state is returned as it is."""
        return tree

    def grad(self, mu, ell):
        from gmmsym.kernels import mp as gmp

        return gmp.gradients(mu, ell, self.nu, dps=self.dps, model=self.model)

    @staticmethod
    def combine(x, a, g):
        return tuple(xi + a * gi for xi, gi in zip(x, g))

    @staticmethod
    def extrapolate(g, g_prev):
        return g if g_prev is None else tuple(2 * gi - pi for gi, pi in zip(g, g_prev))

    @staticmethod
    def proj(ell):
        """Pool adjacent violators on the ``2M`` endpoints (any ``M``)."""
        return project_scalars(ell)

    def tv(self, mu):
        from gmmsym.discriminator import optimal_mp

        return optimal_mp.tv_gradient_and_discriminator(mu, self.nu, dps=self.dps, model=self.model)

    @staticmethod
    def diverging(mu) -> np.ndarray | None:
        return None if all(abs(m) <= DIVERGENCE_BOUND for m in mu) else np.array([True])

    @staticmethod
    def rows(comps, mask=None) -> np.ndarray:
        return np.array([comps], dtype=object)

    @staticmethod
    def unchanged(old, new) -> None:
        """No fixed-point retirement at arbitrary precision (``checks_fixed_points`` is False)."""
        return None
