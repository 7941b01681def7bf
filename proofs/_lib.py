"""The library's numeric entry points for one model, as the claims call them.

For the paper's model (``model == gmmsym.PAPER``) every function calls the public name without
``model=`` (``gmmsym.gradients``, ``gmmsym.optimal_discriminator``, ...), so the mutation gate
(:mod:`proofs.mutants`), which patches those paths, reaches the paper's runs unchanged.  For any
other model the public name is called with ``model=`` when it takes that keyword; where it does
not (yet), the general building blocks it dispatches to are called directly: the generated kernels
(:class:`gmmsym.kernels.float64.Kernels`, :mod:`gmmsym.kernels.mp` with ``spec=``) and
:mod:`gmmsym.discriminator.optimal_any`.  Either way the numbers come from the library's code for that
model, which the claims judge against references written from ``docs/model.md``.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

import numpy as np

import gmmsym
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = [
    "SECOND",
    "CROSSINGS_ONLY",
    "objective",
    "advantage",
    "gradients",
    "optimal_discriminator",
    "tv_distance",
    "tv_gradient",
    "mp_objective",
    "mp_gradients",
    "project_ell",
    "label",
]

#: The second model of the claims (issue 9): three modes, unequal weights, three intervals.
SECOND = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
#: The model on which only the crossings bound (C3) also runs: three modes, two intervals.
CROSSINGS_ONLY = ModelSpec.parse("K=3,M=2,weights=1/4:1/4:1/2,sigma=1")


def label(model: ModelSpec) -> str:
    """``"paper"`` for the paper's model, else its ``--model`` spelling."""
    return "paper" if model == PAPER else model.text()


@cache
def _takes(name: str, keyword: str, module: str = "gmmsym") -> bool:
    import importlib

    f = getattr(importlib.import_module(module), name)
    try:
        return keyword in inspect.signature(f).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        return False


@cache
def _kernels(model: ModelSpec) -> Any:
    from gmmsym.kernels.float64 import Kernels

    return Kernels(model)


def _public(name: str, model: ModelSpec, *args: Any) -> Any:
    """``gmmsym.<name>(*args)`` for the paper, ``gmmsym.<name>(*args, model=model)`` if it takes it."""
    f = getattr(gmmsym, name)
    if model == PAPER:
        return f(*args)
    if _takes(name, "model"):
        return f(*args, model=model)
    return None


def objective(mu, ell, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """Float64 ``L(mu, ell)`` (generated kernel)."""
    out = _public("objective", model, mu, ell, nu)
    return _kernels(model).objective(mu, ell, nu) if out is None else out


def advantage(mu, ell, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """Float64 ``L - 1`` (generated kernel)."""
    out = _public("advantage", model, mu, ell, nu)
    return _kernels(model).advantage(mu, ell, nu) if out is None else out


def gradients(mu, ell, nu, model: ModelSpec = PAPER) -> tuple[np.ndarray, np.ndarray]:
    """Float64 ``(dL/dmu (N, K), dL/dell (N, 2M))`` (generated kernel)."""
    out = _public("gradients", model, mu, ell, nu)
    return _kernels(model).gradients(mu, ell, nu) if out is None else out


def _family(name: str):
    from gmmsym.discriminator import optimal_any as discriminator

    return getattr(discriminator, name)


def optimal_discriminator(mu, nu, model: ModelSpec = PAPER) -> tuple[np.ndarray, np.ndarray]:
    """``(ell* (N, 2M), number of crossings (N,))`` of the float64 optimal discriminator."""
    out = _public("optimal_discriminator", model, mu, nu)
    return _family("optimal_discriminator")(mu, nu, model) if out is None else out


def tv_distance(mu, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """Float64 ``TV(P*, G_mu)``."""
    out = _public("tv_distance", model, mu, nu)
    return _family("tv_distance")(mu, nu, model) if out is None else out


def tv_gradient(mu, nu, model: ModelSpec = PAPER) -> np.ndarray:
    """Float64 Danskin gradient ``dL/dmu (mu, ell*)``, shape ``(N, K)``."""
    out = _public("tv_gradient", model, mu, nu)
    return _family("tv_gradient")(mu, nu, model) if out is None else out


def project_ell(ell, model: ModelSpec = PAPER) -> np.ndarray:
    """Float64 projection onto ``l1 <= r1 <= ... <= rM``."""
    out = _public("project_ell", model, ell)
    if out is not None:
        return out
    from gmmsym.discriminator.projection_any import project_rows

    arr = np.asarray(ell, dtype=float)
    return project_rows(arr.reshape(-1, arr.shape[-1])).reshape(arr.shape)


def _mp(name: str, model: ModelSpec, *args: Any, dps: int) -> Any:
    import gmmsym.mp as gmp

    f = getattr(gmp, name)
    if model == PAPER:
        return f(*args, dps=dps)
    key = "model" if _takes(name, "model", "gmmsym.mp") else "spec"
    return f(*args, dps=dps, **{key: model})


def mp_objective(mu, ell, nu, model: ModelSpec = PAPER, *, dps: int = 50):
    """``L`` at ``dps`` digits (generated mpmath kernel)."""
    return _mp("objective", model, mu, ell, nu, dps=dps)


def mp_gradients(mu, ell, nu, model: ModelSpec = PAPER, *, dps: int = 50) -> tuple[tuple, tuple]:
    """``(dL/dmu, dL/dell)`` at ``dps`` digits (generated mpmath kernel)."""
    return _mp("gradients", model, mu, ell, nu, dps=dps)
