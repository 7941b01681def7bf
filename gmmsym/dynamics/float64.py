"""The float64 dynamics backend: a batch of rows, component-major (see :mod:`gmmsym.dynamics.engine`).

Implements :class:`gmmsym.dynamics.protocol.Backend` on contiguous ``(n,)`` arrays through the
generated kernel ``PAPER_KERNELS.raw.gradients``; every operation is elementwise, so a row's
values do not depend on the batch it runs in.
"""

from __future__ import annotations

import numpy as np

from gmmsym.discriminator.projection import project4
from gmmsym.discriminator.warm_paper import WarmState, warm_endpoints
from gmmsym.kernels.float64 import PAPER_KERNELS
from gmmsym.outcomes import DIVERGENCE_BOUND

__all__ = ["Float64Backend"]


class Float64Backend:
    """Component-major float64 backend: each component is a contiguous ``(n,)`` array.

    Ownership: ``combine`` writes into (and returns) the buffers of its gradient argument and
    ``proj`` projects in place; the rules only pass fresh arrays (kernel outputs) to them, and
    the state arrays are never aliased outside the driver.  ``tv`` keeps the crossings of its
    previous calls (:class:`gmmsym.discriminator.warm_paper.WarmState`, per row; ``take`` keeps
    the rows' history) as warm starts.
    """

    checks_fixed_points = True

    def __init__(self, nu1: np.ndarray, nu2: np.ndarray, warm: WarmState | None = None) -> None:
        self.nu1, self.nu2 = nu1, nu2
        self.n = nu1.shape[0]
        self._raw = PAPER_KERNELS.raw.gradients
        # crossings of the previous optimal steps (gmmsym.discriminator.warm_paper)
        self._warm = WarmState.empty(self.n) if warm is None else warm

    def take(self, keep: np.ndarray) -> Float64Backend:
        return Float64Backend(self.nu1[keep], self.nu2[keep], self._warm.take(keep))

    def _full(self, x) -> np.ndarray:
        # Outputs of raw kernels may be scalars where constant: broadcast to fresh arrays.
        if type(x) is np.ndarray and x.shape == (self.n,):
            return x
        return np.full(self.n, x, dtype=np.float64)

    @staticmethod
    def select(tree, keep: np.ndarray):
        """The rows ``keep`` of every array in a (nested tuple) state; None stays None."""
        if tree is None:
            return None
        if isinstance(tree, tuple):
            return tuple(Float64Backend.select(x, keep) for x in tree)
        return tree[keep]

    def grad(self, mu, ell):
        m1, m2, g1, g2, g3, g4 = self._raw(*mu, *ell, self.nu1, self.nu2)
        f = self._full
        return (f(m1), f(m2)), (f(g1), f(g2), f(g3), f(g4))

    @staticmethod
    def combine(x, a, g):
        """``x + a g`` per component, written into ``g``'s buffers."""
        for xi, gi in zip(x, g):
            np.multiply(gi, a, out=gi)
            np.add(xi, gi, out=gi)
        return g

    @staticmethod
    def extrapolate(g, g_prev):
        """``2 g - g_prev`` (fresh arrays; a copy of ``g`` when ``g_prev`` is None)."""
        if g_prev is None:
            return tuple(gi.copy() for gi in g)
        out = tuple(np.multiply(gi, 2.0) for gi in g)
        for oi, pi in zip(out, g_prev):
            np.subtract(oi, pi, out=oi)
        return out

    @staticmethod
    def proj(ell):
        return project4(*ell, out=ell)

    def tv(self, mu):
        """Danskin gradient and ``ell*``, warm-started from the previous call's crossings (per row)."""
        from gmmsym.discriminator.optimal import tv_gradient_components

        l1, r1, l2, r2, count, self._warm = warm_endpoints(mu[0], mu[1], self.nu1, self.nu2, self._warm)
        g1, g2 = tv_gradient_components(mu[0], mu[1], l1, r1, l2, r2, count)
        return (self._full(g1), self._full(g2)), (l1, r1, l2, r2)

    @staticmethod
    def diverging(mu) -> np.ndarray | None:
        """Mask of rows with ``max |mu_i| > bound`` or NaN; None when there is none (the usual case)."""
        m = np.abs(mu[0])
        np.maximum(m, np.abs(mu[1]), out=m)  # maximum propagates NaN
        ok = m <= DIVERGENCE_BOUND  # NaN compares False
        return None if ok.all() else ~ok

    @staticmethod
    def rows(comps, mask=None) -> np.ndarray:
        return np.stack(comps if mask is None else [c[mask] for c in comps], axis=1)

    @staticmethod
    def unchanged(old, new) -> np.ndarray | None:
        """Mask of rows whose components are bitwise equal in ``old`` and ``new``; None if none."""
        same = old[0].view(np.int64) == new[0].view(np.int64)
        for a, b in zip(old[1:], new[1:]):
            same &= a.view(np.int64) == b.view(np.int64)
        return same if same.any() else None
