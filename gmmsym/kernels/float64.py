"""Validated float64 API over the generated kernels (no SymPy on this path).

All functions broadcast over leading axes and take ``model=`` (a :class:`ModelSpec`, default
the paper's, K = M = 2).  Shapes: ``mu``, ``nu``: ``(..., K)``; ``ell``: ``(..., 2M)`` ordered
``l1 <= r1 <= ... <= lM <= rM``, endpoints may be ``+-inf``; means must be finite.

Formulas (docs/model.md section 2), weights ``w_i`` (``1/2`` for the paper), ``sigma = 1`` shown::

    L(mu, ell)  = 1 + sum_j sum_i w_i [Phi(r_j - nu_i) - Phi(l_j - nu_i) - Phi(r_j - mu_i) + Phi(l_j - mu_i)]
    dL/dmu_i    = w_i sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]
    dL/dr_j     =  p*(r_j) - p_mu(r_j)
    dL/dl_j     = -(p*(l_j) - p_mu(l_j))
"""

from __future__ import annotations

import types
from functools import cache, cached_property

import numpy as np

from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_batch, as_points, as_real_array, broadcast_leading

__all__ = ["Kernels", "PAPER_KERNELS", "model_kernels", "objective", "advantage", "gradients", "density_gap"]


class Kernels:
    """Validated numeric front end of one generated kernel module.

    Parameters
    ----------
    model : ModelSpec
        The model (default: the paper's).
    module : module, optional
        A generated NumPy kernel module; by default the checked-in one for ``model`` (or, for
        a model without a checked-in module, one generated on first use).

    Attributes
    ----------
    raw : module
        The generated module itself, for hot paths on component arrays (no validation).
    """

    def __init__(self, model: ModelSpec = PAPER, module: types.ModuleType | None = None) -> None:
        self.model = check_model(model)
        self._module = module

    @cached_property
    def raw(self) -> types.ModuleType:
        if self._module is not None:
            return self._module
        from gmmsym.kernels.loader import kernels_for

        return kernels_for(self.model, "numpy")

    def _state(self, mu, ell, nu):
        mu, ell, nu = as_batch(mu, ell, nu, self.model.K, self.model.M)
        return mu, ell, nu, (*np.moveaxis(mu, -1, 0), *np.moveaxis(ell, -1, 0), *np.moveaxis(nu, -1, 0))

    def objective(self, mu, ell, nu) -> np.ndarray:
        """``L(mu, ell)`` with truth ``nu``; shape ``(...)``."""
        mu, _, _, cols = self._state(mu, ell, nu)
        return np.broadcast_to(self.raw.objective(*cols), mu.shape[:-1]).astype(np.float64)

    def advantage(self, mu, ell, nu) -> np.ndarray:
        """``L(mu, ell) - 1 = sum_j [P*(I_j) - G_mu(I_j)]``; shape ``(...)``."""
        mu, _, _, cols = self._state(mu, ell, nu)
        return np.broadcast_to(self.raw.advantage(*cols), mu.shape[:-1]).astype(np.float64)

    def gradients(self, mu, ell, nu) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dmu (..., K), dL/dell (..., 2M))``."""
        mu, ell, _, cols = self._state(mu, ell, nu)
        K = self.model.K
        out = np.broadcast_arrays(*(np.asarray(g, dtype=np.float64) for g in self.raw.gradients(*cols)))
        lead = mu.shape[:-1]
        g = np.stack([np.broadcast_to(x, lead) for x in out], axis=-1)
        return g[..., :K].copy(), g[..., K:].copy()

    def density_gap(self, x, mu, nu) -> np.ndarray:
        """``p*(x) - p_mu(x)``; ``x`` shape ``(...)``, ``mu``/``nu`` shape ``(..., K)``."""
        K = self.model.K
        xs = as_points("x", as_real_array("x", x)[..., None], 1, allow_inf=True)
        b = broadcast_leading(x=xs, mu=as_points("mu", mu, K), nu=as_points("nu", nu, K))
        val = self.raw.density_gap(b["x"][..., 0], *np.moveaxis(b["mu"], -1, 0), *np.moveaxis(b["nu"], -1, 0))
        return np.broadcast_to(val, b["x"].shape[:-1]).astype(np.float64)


PAPER_KERNELS = Kernels(PAPER)


@cache
def _kernels(model: ModelSpec) -> Kernels:
    return PAPER_KERNELS if model == PAPER else Kernels(model)


def model_kernels(model: ModelSpec = PAPER) -> Kernels:
    """The :class:`Kernels` of ``model`` (one per model, memoized; :data:`PAPER_KERNELS` for the paper's).

    Raises :class:`~gmmsym.errors.InputError` unless ``model`` is a :class:`ModelSpec`.
    """
    return _kernels(check_model(model))


def objective(mu, ell, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """``L(mu, ell) = 1 + sum_j [P*([l_j, r_j]) - G_mu([l_j, r_j])]``; see :class:`Kernels`.

    ``mu``, ``nu`` of shape ``(..., K)`` and ``ell`` of shape ``(..., 2M)`` of ``model``
    (default: the paper's, ``K = M = 2``).
    """
    return model_kernels(model).objective(mu, ell, nu)


def advantage(mu, ell, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """``L(mu, ell) - 1``, the discriminator's advantage; see :func:`objective` and :class:`Kernels`."""
    return model_kernels(model).advantage(mu, ell, nu)


def gradients(mu, ell, nu, model: ModelSpec = PAPER) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dmu, dL/dell)`` of shapes ``(..., K)`` and ``(..., 2M)`` of ``model``."""
    return model_kernels(model).gradients(mu, ell, nu)


def density_gap(x, mu, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """``p*(x) - p_mu(x)``; the optimal discriminator is ``{x : density_gap > 0}``."""
    return model_kernels(model).density_gap(x, mu, nu)
