"""The interface every dynamics backend implements (the update rules are written once over it).

A *state* is a pair of tuples of components: ``mu = (mu1, ..., muK)``, ``ell = (l1, r1, ..., lM, rM)``
(``K = M = 2`` for the paper's model).
For :class:`~gmmsym.dynamics.float64.Float64Backend` a component is a contiguous ``(n,)``
float64 array (a batch of ``n`` rows); for :class:`~gmmsym.dynamics.mpmath.MpBackend` it is one
``mpf`` (``n == 1``).  The rules in :mod:`gmmsym.dynamics.rules` use only these operations.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Backend"]

Components = tuple[Any, ...]


@runtime_checkable
class Backend(Protocol):
    """Operations of one backend on a batch of ``n`` rows (see the module docstring)."""

    n: int
    #: whether the driver retires rows at exact fixed points (bitwise comparison of states)
    checks_fixed_points: bool

    def take(self, keep: np.ndarray) -> Backend:
        """The backend of the rows where ``keep`` (a boolean ``(n,)`` mask) is True."""
        ...

    def select(self, tree: Any, keep: np.ndarray) -> Any:
        """The rows ``keep`` of a state (nested tuples of components, or None)."""
        ...

    def grad(self, mu: Components, ell: Components) -> tuple[Components, Components]:
        """``(dL/dmu, dL/dell)`` at ``(mu, ell)``; fresh components (the rules may overwrite them)."""
        ...

    def combine(self, x: Components, a: Any, g: Components) -> Components:
        """``x + a g`` per component (may reuse ``g``'s buffers, never ``x``'s)."""
        ...

    def extrapolate(self, g: Components, g_prev: Components | None) -> Components:
        """``2 g - g_prev`` (``g`` itself or a copy when ``g_prev`` is None)."""
        ...

    def proj(self, ell: Components) -> Components:
        """The Euclidean projection onto ``l1 <= r1 <= ... <= rM`` (may work in place)."""
        ...

    def tv(self, mu: Components) -> tuple[Components, Components]:
        """``(grad_mu TV(mu), ell*(mu))``: the Danskin gradient and the optimal discriminator."""
        ...

    def diverging(self, mu: Components) -> np.ndarray | None:
        """Mask of rows with a non-finite mean or ``|mu_i| > DIVERGENCE_BOUND``; None if none."""
        ...

    def rows(self, comps: Components, mask: np.ndarray | None = None) -> np.ndarray:
        """The components as an ``(n, width)`` array (only the rows of ``mask`` if given)."""
        ...

    def unchanged(self, old: Components, new: Components) -> np.ndarray | None:
        """Mask of rows bitwise equal in ``old`` and ``new``; None if none (or not checked)."""
        ...
