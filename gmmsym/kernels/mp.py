"""Arbitrary precision (mpmath) API for one point: ``gmmsym.kernels.mp.objective(mu, ell, nu, dps=50)``.

Inputs are converted exactly: Python floats are exact binary numbers, ``mpmath.mpf`` values are
kept, strings and integers are parsed at the working precision.  Every evaluation runs inside
``mpmath.workdps(dps)``; the global precision is never changed.  Results are ``mpf`` numbers
with ``dps`` significant digits.  Formulas as in :mod:`gmmsym.kernels.float64`; the code is generated
(``gmmsym/kernels/_generated/mpmath_k2m2.py`` for the paper's model, for any other ``model=``
the module of :func:`gmmsym.kernels.loader.kernels_for`) and evaluates tail-safe interval masses.
"""

from __future__ import annotations

import types
from functools import cache

import mpmath

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_mpf_vector, check_dps

__all__ = [
    "objective",
    "advantage",
    "gradients",
    "density_gap",
    "to_mpf_vector",
]  # plus optimal_discriminator, tv_distance, tv_gradient, loaded lazily from gmmsym.discriminator.optimal_mp


@cache
def _module(model: ModelSpec) -> types.ModuleType:
    from gmmsym.kernels.loader import kernels_for

    return kernels_for(model, "mpmath")


def _check_dps(dps: object) -> int:
    return check_dps("dps", dps)


#: Convert a length-``width`` sequence to ``mpf`` exactly (:func:`gmmsym.model.validate.as_mpf_vector`).
to_mpf_vector = as_mpf_vector


def _state(mu, ell, nu, model: ModelSpec) -> tuple:
    mu_m = to_mpf_vector("mu", mu, model.K)
    ell_m = to_mpf_vector("ell", ell, 2 * model.M, allow_inf=True)
    nu_m = to_mpf_vector("nu", nu, model.K)
    for k in range(len(ell_m) - 1):
        if ell_m[k] > ell_m[k + 1]:
            a, b = (f"{'lr'[i % 2]}{i // 2 + 1}" for i in (k, k + 1))
            raise InputError(f"ell must be ordered l1 <= r1 <= l2 <= r2 ...: {a} > {b}")
    return (*mu_m, *ell_m, *nu_m)


def objective(mu, ell, nu, dps: int = 50, *, model: ModelSpec = PAPER) -> mpmath.mpf:
    """``L(mu, ell)`` at ``dps`` decimal digits.

    ``mu``, ``nu`` have ``model.K`` entries, ``ell`` ``2 model.M`` (``l1, r1, ..., lM, rM``);
    ``model`` is any :class:`~gmmsym.model.spec.ModelSpec` (default the paper's), its kernels
    from :func:`gmmsym.kernels.loader.kernels_for`.
    """
    model = check_model(model)
    with mpmath.workdps(_check_dps(dps)):
        return +_module(model).objective(*_state(mu, ell, nu, model))


def advantage(mu, ell, nu, dps: int = 50, *, model: ModelSpec = PAPER) -> mpmath.mpf:
    """``L(mu, ell) - 1`` at ``dps`` decimal digits (no cancellation against the constant 1)."""
    model = check_model(model)
    with mpmath.workdps(_check_dps(dps)):
        return +_module(model).advantage(*_state(mu, ell, nu, model))


def gradients(mu, ell, nu, dps: int = 50, *, model: ModelSpec = PAPER) -> tuple[tuple, tuple]:
    """``(dL/dmu, dL/dell)`` as tuples of ``K`` and ``2M`` ``mpf`` at ``dps`` decimal digits."""
    model = check_model(model)
    with mpmath.workdps(_check_dps(dps)):
        g = tuple(+v for v in _module(model).gradients(*_state(mu, ell, nu, model)))
    return g[: model.K], g[model.K :]


def density_gap(x, mu, nu, dps: int = 50, *, model: ModelSpec = PAPER) -> mpmath.mpf:
    """``p*(x) - p_mu(x)`` at ``dps`` decimal digits."""
    model = check_model(model)
    with mpmath.workdps(_check_dps(dps)):
        (xm,) = to_mpf_vector("x", [x], 1, allow_inf=True)
        args = (xm, *to_mpf_vector("mu", mu, model.K), *to_mpf_vector("nu", nu, model.K))
        return +_module(model).density_gap(*args)


def __getattr__(name: str):
    # Optimal discriminator at high precision lives in gmmsym.discriminator.optimal_mp (imported on demand).
    if name in ("optimal_discriminator", "tv_distance", "tv_gradient", "tv_gradient_and_discriminator"):
        import importlib

        return getattr(importlib.import_module("gmmsym.discriminator.optimal_mp"), name)
    raise AttributeError(f"module 'gmmsym.kernels.mp' has no attribute {name!r}")
