"""Runtime loading of kernel modules (no SymPy): the checked-in ones, the disk cache, or from text.

The build-time generator (:mod:`gmmsym.codegen.generator`) writes the text; this module only
imports or compiles it.  :func:`kernels_for` gives the checked-in modules for the paper's model
and, for any other model, the disk cache (:mod:`gmmsym.kernels.cache`), which falls back to the
generator (and so to SymPy) only on a miss; the paper's model never does.

The runtime also owns what it needs to *check* a generated module without the generator:
:data:`GENERATOR_VERSION` (the generator re-exports it), :func:`parse_header` and the size bound
of code generation (:data:`MAX_K`, :data:`MAX_M`, :func:`check_generation_size`).
"""

from __future__ import annotations

import importlib
import re
import types

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = [
    "TARGETS",
    "GENERATOR_VERSION",
    "MAX_K",
    "MAX_M",
    "load",
    "kernels_for",
    "module_name",
    "check_target",
    "check_generation_size",
    "parse_header",
]

GENERATED_PACKAGE = "gmmsym.kernels._generated"
#: code generation targets (one generated module per target and model)
TARGETS = ("numpy", "mpmath")
#: version of the generator's output; bump it whenever the generated text changes.
#: 2: masses split into exact steps + signed tails; 3: no normal_mass; 4: import block derived
#: from what was printed (numpy kernels no longer import scipy.special, normal_pdf)
GENERATOR_VERSION = "4"

#: Largest K and M code is generated for (one-line InputError beyond).  Measured in one run each
#: (SymPy 1.14, 2 cores shared with other jobs, load about 2.5): seconds to generate the numpy + mpmath
#: modules (the first includes importing SymPy) and the numpy module's size, for K = M =
#: 1: 1.3 s, 1.8 kB; 2: 2.0 s, 4.3 kB; 3: 2.9 s, 8.2 kB; 4: 4.7 s, 13.5 kB; 5: 8.0 s, 20.5 kB;
#: 6: 11.9 s, 29 kB; 7: 16.8 s, 39 kB; 8: 45 s, 51 kB; 10: 75 s, 81 kB.
#: The bound K, M <= 8 keeps generation under about a minute.
MAX_K = 8
MAX_M = 8

_HEADER_RE = re.compile(r"^# (generator|sympy|source-sha256|spec|target): (.*)$", re.M)


def check_target(target: str) -> None:
    """Raise :class:`~gmmsym.errors.InputError` unless ``target`` is one of :data:`TARGETS`."""
    if target not in TARGETS:
        raise InputError(f"target must be one of {TARGETS}, got {target!r}")


def check_generation_size(spec: ModelSpec) -> None:
    """Raise a one-line :class:`~gmmsym.errors.InputError` if ``spec`` exceeds :data:`MAX_K` or ``MAX_M``."""
    for name, value, bound in (("K", spec.K, MAX_K), ("M", spec.M, MAX_M)):
        if value > bound:
            raise InputError(
                f"model: {name} = {value} is beyond the code generator's bound {name} <= {bound} "
                "(generation time and kernel size grow with K * M; see gmmsym.kernels.loader.MAX_K)"
            )


def module_name(spec: ModelSpec = PAPER, target: str = "numpy") -> str:
    """Name of the generated module, e.g. ``numpy_k2m2`` (other models: ``numpy_k3m3_<hash>``)."""
    check_target(target)
    return f"{target}_{spec.tag}"


def parse_header(text: str) -> dict[str, str]:
    """The provenance header of a generated module (``generator``, ``sympy``, ...) as a dict."""
    return {k: v.strip() for k, v in _HEADER_RE.findall(text)}


def load(
    source: str | None = None, *, spec: ModelSpec = PAPER, target: str = "numpy", filename: str | None = None
) -> types.ModuleType:
    """Load a kernel module.

    With ``source`` (text from :func:`gmmsym.codegen.doprint`), compile it into a fresh module
    object (``filename``: what tracebacks show; default ``<gmmsym.codegen NAME>``).  Without,
    import the checked-in module for ``spec``/``target``.
    """
    name = module_name(spec, target)
    if source is None:
        return importlib.import_module(f"{GENERATED_PACKAGE}.{name}")
    mod = types.ModuleType(f"gmmsym._generated_dynamic.{name}")
    mod.__file__ = filename or f"<gmmsym.codegen {name}>"
    exec(compile(source, mod.__file__, "exec"), mod.__dict__)
    return mod


def kernels_for(spec: ModelSpec, target: str = "numpy") -> types.ModuleType:
    """The kernel module for any ``spec``: the checked-in one for the paper's, else the disk cache.

    Other models are generated on first use into the cache directory (``GMMSYM_CACHE_DIR``, see
    :mod:`gmmsym.kernels.cache`) and loaded from there, without SymPy, by later processes.
    """
    check_target(target)
    if spec == PAPER:
        return load(spec=spec, target=target)
    from gmmsym.kernels.cache import cached_kernels

    return cached_kernels(spec, target)
