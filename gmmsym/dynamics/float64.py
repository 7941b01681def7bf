"""The float64 dynamics backend: a batch of rows, component-major (see :mod:`gmmsym.dynamics.engine`).

Implements :class:`gmmsym.dynamics.protocol.Backend` on contiguous ``(n,)`` arrays for any
:class:`~gmmsym.model.spec.ModelSpec`: ``K`` mean components, ``2M`` endpoint components, the
gradients of the model's generated kernel (``PAPER_KERNELS.raw.gradients`` for the paper's model,
``gmmsym.kernels.loader.kernels_for(model, "numpy").gradients`` otherwise, loaded once per model).
Every operation is elementwise, so a row's values do not depend on the batch it runs in.
"""

from __future__ import annotations

import functools
import types

import numpy as np

from gmmsym.discriminator.projection import project4
from gmmsym.discriminator.projection_any import project_components
from gmmsym.discriminator.warm_paper import WarmState, warm_endpoints
from gmmsym.kernels.float64 import PAPER_KERNELS
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.outcomes import DIVERGENCE_BOUND

__all__ = ["Float64Backend", "gradients_kernel"]


@functools.cache
def _kernel_module(model: ModelSpec) -> types.ModuleType:
    """The generated numpy kernel module of ``model`` (loaded once per model)."""
    if model == PAPER:
        return PAPER_KERNELS.raw
    from gmmsym.kernels.loader import kernels_for

    return kernels_for(model, "numpy")


def gradients_kernel(model: ModelSpec) -> types.FunctionType:
    """The raw generated ``gradients(*mu, *ell, *nu)`` kernel of ``model``.

    Only the module is cached; its ``gradients`` is looked up on every call, so whatever the
    module holds now is used (a function object cached here would outlive a patch of the
    module's attribute, e.g. the ``flip-dl-sign`` bug of ``proofs/mutants.py``).
    """
    return _kernel_module(model).gradients


class Float64Backend:
    """Component-major float64 backend: each component is a contiguous ``(n,)`` array.

    Parameters
    ----------
    *nu : ndarray, shape (n,)
        The ``K`` columns of the true means.
    model : ModelSpec
        The model (default :data:`~gmmsym.model.spec.PAPER`).

    Ownership: ``combine`` writes into (and returns) the buffers of its gradient argument and
    ``proj`` projects in place (``M = 2``) or returns fresh arrays; the rules only pass fresh
    arrays (kernel outputs) to them, and the state arrays are never aliased outside the driver.
    ``tv`` keeps the crossings of its previous calls as warm starts, per row (the paper's model:
    :class:`gmmsym.discriminator.warm_paper.WarmState`; others:
    :class:`gmmsym.discriminator.warm_any.WarmCrossings`);
    ``take`` keeps the rows' history.
    """

    checks_fixed_points = True

    def __init__(self, *nu: np.ndarray, model: ModelSpec = PAPER) -> None:
        self.nu, self.model = nu, model
        if len(nu) == 2:
            self.nu1, self.nu2 = nu  # the paper's K = 2 code paths use these names
        self.n = nu[0].shape[0]
        self._K = model.K
        # The paper's kernel is looked up on every construction (as before issue 9), so that a
        # patched PAPER_KERNELS.raw.gradients (proofs/mutants.py) is the one used.
        self._raw = PAPER_KERNELS.raw.gradients if model == PAPER else gradients_kernel(model)
        self._warm = None  # warm state of the optimal discriminator (see tv), made on first use

    def take(self, keep: np.ndarray) -> Float64Backend:
        out = Float64Backend(*(c[keep] for c in self.nu), model=self.model)
        if self._warm is not None:
            out._warm = _take_warm(self._warm, keep)
        return out

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
        out = tuple(self._full(v) for v in self._raw(*mu, *ell, *self.nu))
        return out[: self._K], out[self._K :]

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
        """Projection onto ``l1 <= r1 <= ... <= rM``, in place: ``project4`` for ``M = 2``, else
        :func:`gmmsym.discriminator.projection_any.project_components` (each row takes a route chosen from
        that row alone, so a row's result does not depend on its batch).
        """
        if len(ell) == 4:
            return project4(*ell, out=ell)
        return project_components(tuple(ell), out=ell)

    def tv(self, mu):
        """Danskin gradient and ``ell*``, warm-started from the previous call's crossings (per row)."""
        if self.model != PAPER:
            return self._tv_model(mu)
        from gmmsym.discriminator.optimal import tv_gradient_components

        warm = WarmState.empty(self.n) if self._warm is None else self._warm
        l1, r1, l2, r2, count, self._warm = warm_endpoints(mu[0], mu[1], self.nu1, self.nu2, warm)
        g1, g2 = tv_gradient_components(mu[0], mu[1], l1, r1, l2, r2, count)
        return (self._full(g1), self._full(g2)), (l1, r1, l2, r2)

    def _tv_model(self, mu):
        """``tv`` for any model other than the paper's: :class:`gmmsym.discriminator.warm_any.WarmCrossings`,
        warm-started from the previous step of the same rows (its state follows :meth:`take`)."""
        if self._warm is None:
            from gmmsym.discriminator.warm_any import WarmCrossings

            self._warm = WarmCrossings(np.stack(self.nu, axis=1), self.model)
        grad, ell, _ = self._warm(np.stack(mu, axis=1))
        cols = tuple(np.ascontiguousarray(grad[:, i]) for i in range(grad.shape[1]))
        return cols, tuple(np.ascontiguousarray(ell[:, j]) for j in range(ell.shape[1]))

    @staticmethod
    def diverging(mu) -> np.ndarray | None:
        """Mask of rows with ``max |mu_i| > bound`` or NaN; None when there is none (the usual case)."""
        m = np.abs(mu[0])
        for c in mu[1:]:
            np.maximum(m, np.abs(c), out=m)  # maximum propagates NaN
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


def _take_warm(warm, keep: np.ndarray):
    """The warm crossings state of the rows ``keep`` (levels and sign pattern are ``(., N)``)."""
    if isinstance(warm, WarmState):
        return warm.take(keep)
    from gmmsym.discriminator.warm_any import WarmCrossings

    out = WarmCrossings(warm.nu[keep], warm.spec)
    if warm.levels is not None:
        out.levels, out.pattern = warm.levels[:, keep], warm.pattern[:, keep]
    return out
