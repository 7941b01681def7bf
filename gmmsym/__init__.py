"""gmmsym: the GMM-GAN model of Li, Madry, Peebles and Schmidt (ICML 2018), machine-checked.

Data flow: :mod:`gmmsym.symbolic` (SymPy derivations, imported lazily) ->
:mod:`gmmsym.codegen` (printers, generator) -> :mod:`gmmsym._generated` (checked-in kernels) ->
numeric drivers (:mod:`gmmsym.kernels`, :mod:`gmmsym.optimal`, :mod:`gmmsym.dynamics`,
:mod:`gmmsym.outcomes`) -> experiments and claims (:mod:`gmmsym.experiments`, ``proofs``).

Importing ``gmmsym`` and calling its numeric functions never imports SymPy.  Public names are
loaded on first use, so ``import gmmsym`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "ModelSpec": "gmmsym.spec",
    "PAPER": "gmmsym.spec",
    "objective": "gmmsym.kernels",
    "advantage": "gmmsym.kernels",
    "gradients": "gmmsym.kernels",
    "density_gap": "gmmsym.kernels",
    "Kernels": "gmmsym.kernels",
    "project_ell": "gmmsym.projection",
    "optimal_discriminator": "gmmsym.optimal",
    "tv_distance": "gmmsym.optimal",
    "tv_gradient": "gmmsym.optimal",
    "simulate": "gmmsym.dynamics",
    "SimulationResult": "gmmsym.dynamics",
    "DYNAMICS": "gmmsym.dynamics",
    "classify": "gmmsym.outcomes",
    "Outcomes": "gmmsym.outcomes",
    "sweep": "gmmsym.experiments.sweep",
}
_SUBMODULES = {"mp", "strategies", "symbolic", "codegen", "certified", "accuracy"}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"gmmsym.{name}")
    raise AttributeError(f"module 'gmmsym' has no attribute {name!r}")


def __dir__():
    return __all__
