"""gmmsym: the GMM-GAN model of Li, Madry, Peebles and Schmidt (ICML 2018), machine-checked.

Data flow: :mod:`gmmsym.symbolic` (SymPy derivations, imported lazily) ->
:mod:`gmmsym.codegen` (printers, generator) -> :mod:`gmmsym.kernels._generated` (checked-in kernels) ->
numeric drivers (:mod:`gmmsym.kernels.float64`, :mod:`gmmsym.discriminator.optimal`, :mod:`gmmsym.dynamics`,
:mod:`gmmsym.outcomes`) -> experiments and claims (:mod:`gmmsym.experiments`, ``proofs``).

Importing ``gmmsym`` and calling its numeric functions never imports SymPy.  Public names are
loaded on first use, so ``import gmmsym`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"


def _find_proofs_in_checkout() -> None:
    """Make ``gmmsym.proofs`` importable from a source checkout.

    An installed gmmsym has its claims at ``gmmsym/proofs`` (``proofs/`` mapped by setuptools'
    ``package-dir``).  Run from the repository root (``python -m pytest``), Python imports the
    ``gmmsym/`` folder of the checkout instead, which has no ``proofs`` subfolder: this finder
    (appended last, so an installed or editable ``gmmsym.proofs`` wins) maps exactly that one
    name onto the checkout's ``proofs/``.
    """
    import importlib.util
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    proofs = here.parent / "proofs"
    if (here / "proofs").is_dir() or not (proofs / "framework.py").is_file():
        return

    class _CheckoutProofs:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "gmmsym.proofs":
                return None
            init = str(proofs / "__init__.py")
            return importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(proofs)]
            )

    sys.meta_path.append(_CheckoutProofs)


_find_proofs_in_checkout()

_EXPORTS = {
    "ModelSpec": "gmmsym.model.spec",
    "PAPER": "gmmsym.model.spec",
    "objective": "gmmsym.kernels.float64",
    "advantage": "gmmsym.kernels.float64",
    "gradients": "gmmsym.kernels.float64",
    "density_gap": "gmmsym.kernels.float64",
    "Kernels": "gmmsym.kernels.float64",
    "project_ell": "gmmsym.discriminator.projection",
    "optimal_discriminator": "gmmsym.discriminator.optimal",
    "tv_distance": "gmmsym.discriminator.optimal",
    "tv_gradient": "gmmsym.discriminator.optimal",
    "simulate": "gmmsym.dynamics.engine",
    "SimulationResult": "gmmsym.dynamics.engine",
    "DYNAMICS": "gmmsym.dynamics.engine",
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
