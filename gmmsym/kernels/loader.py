"""Runtime loading of kernel modules (no SymPy): the checked-in ones, or a module from text.

The build-time generator (:mod:`gmmsym.codegen.generator`) writes the text; this module only
imports or compiles it.  :func:`kernels_for` falls back to the generator (and so to SymPy) only
for a model without checked-in kernels; the paper's model never does.
"""

from __future__ import annotations

import importlib
import types

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = ["TARGETS", "load", "kernels_for", "module_name", "check_target"]

GENERATED_PACKAGE = "gmmsym.kernels._generated"
#: code generation targets (one generated module per target and model)
TARGETS = ("numpy", "mpmath")


def check_target(target: str) -> None:
    """Raise :class:`~gmmsym.errors.InputError` unless ``target`` is one of :data:`TARGETS`."""
    if target not in TARGETS:
        raise InputError(f"target must be one of {TARGETS}, got {target!r}")


def module_name(spec: ModelSpec = PAPER, target: str = "numpy") -> str:
    """Name of the generated module, e.g. ``numpy_k2m2``."""
    check_target(target)
    return f"{target}_{spec.tag}"


def load(source: str | None = None, *, spec: ModelSpec = PAPER, target: str = "numpy") -> types.ModuleType:
    """Load a kernel module.

    With ``source`` (text from :func:`gmmsym.codegen.doprint`), compile it into a fresh module
    object without touching the disk.  Without, import the checked-in module for ``spec``/``target``.
    """
    name = module_name(spec, target)
    if source is None:
        return importlib.import_module(f"{GENERATED_PACKAGE}.{name}")
    mod = types.ModuleType(f"gmmsym._generated_dynamic.{name}")
    mod.__file__ = f"<gmmsym.codegen {name}>"
    exec(compile(source, mod.__file__, "exec"), mod.__dict__)
    return mod


def kernels_for(spec: ModelSpec, target: str = "numpy") -> types.ModuleType:
    """The kernel module for any ``spec``: checked in if it exists, else generated in memory."""
    try:
        return load(spec=spec, target=target)
    except ModuleNotFoundError:
        from gmmsym.codegen.generator import doprint  # build time: imports SymPy

        return load(doprint(spec, target), spec=spec, target=target)
