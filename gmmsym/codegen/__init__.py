"""Code generation: SymPy expressions of :mod:`gmmsym.symbolic` -> Python kernel modules.

Three separate steps, as in PyDy: :func:`doprint` (text), :func:`write` (disk, atomically) and
:func:`load` (a module from text, or the checked-in one).  :func:`check` compares the checked-in
modules with what the generator produces now, as text and statically read outputs
(:mod:`gmmsym.codegen.vet`): it never executes the files it checks; :func:`check_cache` does the
same for the disk cache of other models' kernels (:mod:`gmmsym.kernels.cache`).
"""

from gmmsym.codegen.generator import (
    GENERATOR_VERSION,
    TARGETS,
    CheckResult,
    check,
    check_cache,
    doprint,
    kernels_for,
    load,
    module_name,
    write,
)

__all__ = [
    "GENERATOR_VERSION",
    "TARGETS",
    "CheckResult",
    "check",
    "check_cache",
    "doprint",
    "kernels_for",
    "load",
    "module_name",
    "write",
]
