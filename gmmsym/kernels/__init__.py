"""The *kernels* layer: the checked-in generated kernels and their validated float64 front end.

``gmmsym.kernels`` re-exports the float64 API of :mod:`gmmsym.kernels.float64` (loaded on first
use); :mod:`gmmsym.kernels.mp` is the mpmath twin (public as ``gmmsym.mp``),
:mod:`gmmsym.kernels.special` the special functions the generated code calls.  No SymPy here.
"""

from __future__ import annotations

import importlib

_FLOAT64 = ("Kernels", "PAPER_KERNELS", "model_kernels", "objective", "advantage", "gradients", "density_gap")
__all__ = list(_FLOAT64)


def __getattr__(name: str):
    if name in _FLOAT64:
        value = getattr(importlib.import_module("gmmsym.kernels.float64"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gmmsym.kernels' has no attribute {name!r}")
