"""Generate, write, load and check the kernel modules.

A kernel module defines, for one :class:`~gmmsym.model.spec.ModelSpec` and one target (``numpy`` or
``mpmath``), the functions

* ``objective(mu..., ell..., nu...)``  -> ``L``
* ``advantage(mu..., ell..., nu...)``  -> ``L - 1``
* ``gradients(mu..., ell..., nu...)``  -> ``(dL/dmu_1, ..., dL/dell_1, ...)``
* ``density_gap(x, mu..., nu...)``     -> ``p*(x) - p_mu(x)``

with positional scalar-or-array arguments named as in docs/model.md (``mu1, mu2, l1, r1, l2, r2,
nu1, nu2``).  Each module starts with a provenance header: generator version, SymPy version,
and the SHA-256 of the source expressions (their ``srepr``), so that a drift check can tell a
changed model from a benign change in SymPy's printing order.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from gmmsym.errors import InputError
from gmmsym.io import atomic_write_text
from gmmsym.kernels.loader import (  # noqa: F401  (re-exported)
    GENERATOR_VERSION,
    TARGETS,
    kernels_for,
    load,
    module_name,
    parse_header,
)
from gmmsym.kernels.loader import check_generation_size as _check_size
from gmmsym.kernels.loader import check_target as _check_target
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = [
    "GENERATOR_VERSION",
    "TARGETS",
    "CheckResult",
    "doprint",
    "write",
    "load",
    "check",
    "check_cache",
    "module_name",
    "kernels_for",
    "GENERATED_DIR",
]

# GENERATOR_VERSION lives in gmmsym.kernels.loader (the runtime checks cached files against it
# without importing this module); bump it there whenever the generated text changes.
GENERATED_DIR = Path(__file__).resolve().parent.parent / "kernels" / "_generated"

_DOCS = {
    "objective": (
        "L(mu, ell) = 1 + sum_j sum_i w_i [P*-mass - G_mu-mass of [l_j, r_j]] (docs/model.md section 2)."
    ),
    "advantage": "L(mu, ell) - 1 = sum_j [P*([l_j, r_j]) - G_mu([l_j, r_j])].",
    "gradients": "(dL/dmu_1, ..., dL/dmu_K, dL/dl_1, dL/dr_1, ..., dL/dr_M).",
    "density_gap": "p*(x) - p_mu(x).",
}


def _functions(spec: ModelSpec):
    """The source expressions: ``[(name, args, exprs)]`` built from the symbolic model."""
    from gmmsym.symbolic import GMMGAN

    m = GMMGAN(spec)
    state = (*m.mu, *m.ell, *m.nu)
    L = m.objective()
    return m, [
        ("objective", state, [L]),
        ("advantage", state, [m.advantage()]),
        ("gradients", state, [*m.grad_mu(), *m.grad_ell()]),
        ("density_gap", (m.x, *m.mu, *m.nu), [m.density_gap()]),
    ]


def source_hash(spec: ModelSpec = PAPER, target: str = "numpy") -> str:
    """SHA-256 of the source expressions, the spec, the target and the generator version."""
    import sympy as sp

    _, funcs = _functions(spec)
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}|{target}|{spec.describe()}".encode())
    for name, args, exprs in funcs:
        h.update(f"|{name}|{','.join(map(str, args))}|".encode())
        for e in exprs:
            h.update(sp.srepr(e).encode())
    return h.hexdigest()


def _prepare(exprs, target: str) -> list[list]:
    """Target-specific rewriting before common-subexpression elimination.

    Returns, per output, the list of its parts (printed as separate temporaries and added last):

    * an output with interval masses is split into ``[integer part, tail part]`` by
      :func:`~gmmsym.symbolic.functions.split_mass` (``Phi = H - T``), so that masses near 1
      that cancel between ``P*`` and ``G_mu`` lose nothing: the integer part is exact, the tail
      part is accurate relative to the term scale;
    * NumPy: ``phi(z) -> INV_SQRT_2PI * exp(-z**2/2)`` with ``INV_SQRT_2PI`` kept as a named
      constant and common factors pulled out of each part (``factor_terms``), so the constant
      multiplies once per output rather than once per density.  mpmath keeps ``mpmath.npdf``
      and exact constants, evaluated at the working precision.
    """
    import sympy as sp

    from gmmsym.symbolic.functions import NormalMass, NormalPDF, split_mass

    c = sp.Symbol("INV_SQRT_2PI", positive=True)
    out = []
    for e in exprs:
        parts = [p for p in split_mass(e) if p != 0] if e.has(NormalMass) else [e]
        if target == "numpy":
            parts = [sp.factor_terms(p.replace(NormalPDF, lambda z: c * sp.exp(-(z**2) / 2))) for p in parts]
        out.append(parts or [sp.S.Zero])
    return out


def _cse(exprs):
    """``sympy.cse`` in canonical order, tidied for array code.

    A temporary ``t = -x`` for a bare symbol is substituted back (negating is exact and a
    temporary costs an array pass); a temporary ``t = -X`` for anything else is stored as
    ``t = X`` and used as ``-t``, so no pass is spent on the sign.
    """
    import sympy as sp

    temps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_t"), order="canonical")
    kept, back = [], {}
    for sym, sub in temps:
        sub = sub.xreplace(back)
        if sub.could_extract_minus_sign():
            if (-sub).is_Symbol:
                back[sym] = sub
                continue
            back[sym] = -sym
            sub = -sub
        kept.append((sym, sub))
    return kept, [e.xreplace(back) for e in reduced]


def _import_block(modules: set[str], helpers: set[str]) -> str:
    """The import block of a module that printed ``modules`` and the ``gmmsym._special`` ``helpers``."""
    from gmmsym.codegen.printers import SPECIAL_MODULE

    text = "".join(f"import {m}\n" for m in sorted(modules))
    if helpers:
        names = sorted(helpers)
        line = f"from {SPECIAL_MODULE} import {', '.join(names)}"
        if len(line) >= 100:
            line = f"from {SPECIAL_MODULE} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
        text += f"\n{line}\n"
    return text


def _function_lines(name: str, args, exprs, target: str, printer) -> list[str]:
    """The ``def`` block of one kernel function (temporaries of the CSE, then the outputs)."""
    prepared = _prepare(exprs, target)
    temps, reduced = _cse([p for parts in prepared for p in parts])
    lines = ["", f"def {name}({', '.join(str(a) for a in args)}):", f'    """{_DOCS[name]}"""']
    lines += [f"    {sym} = {printer.doprint(sub)}" for sym, sub in temps]
    body, k = [], 0
    for i, parts in enumerate(prepared):
        printed = [printer.doprint(e) for e in reduced[k : k + len(parts)]]
        k += len(parts)
        if len(parts) == 1:
            body.append(printed[0])
            continue
        # Integer part and tail part are summed separately, then added once.
        names = [f"_int{i}", f"_tail{i}"]
        lines.extend(f"    {n} = {p}" for n, p in zip(names, printed))
        body.append(" + ".join(names))
    if len(body) == 1:
        lines.append(f"    return {body[0]}")
    else:
        lines += ["    return (", *(f"        {b}," for b in body), "    )"]
    return lines + [""]


def doprint(spec: ModelSpec = PAPER, target: str = "numpy") -> str:
    """Return the source text of the kernel module for ``spec`` and ``target``.

    The import block is derived from what the printers printed (nothing unused is imported).
    ``objective`` keeps its own expression rather than ``1 + advantage(...)``: both sums are
    correctly ordered for their own use, and ``1 + advantage`` rounds differently (pinned bitwise
    by ``tests/test_pins.py``).  ``K`` and ``M`` are bounded
    (:data:`gmmsym.kernels.loader.MAX_K`, ``MAX_M``: one-line InputError beyond).
    """
    _check_target(target)
    _check_size(spec)
    import sympy as sp

    from gmmsym.codegen.printers import MpmathKernelPrinter, NumPyKernelPrinter

    _, funcs = _functions(spec)
    printer_cls = NumPyKernelPrinter if target == "numpy" else MpmathKernelPrinter
    body, modules, helpers = [], set(), set()
    for name, args, exprs in funcs:
        printer = printer_cls(
            {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False}
        )
        body += _function_lines(name, args, exprs, target, printer)
        used_modules, used_helpers = printer.imports()
        modules |= used_modules
        helpers |= used_helpers
    lines = [
        "# Generated by gmmsym.codegen -- do not edit; regenerate with `gmmsym codegen`.",
        f"# generator: {GENERATOR_VERSION}",
        f"# sympy: {sp.__version__}",
        f"# source-sha256: {source_hash(spec, target)}",
        f"# spec: {spec.describe()}",
        f"# target: {target}",
        f'"""GMM-GAN kernels ({target}) for {spec.describe()}; see gmmsym.codegen.generator."""',
        "",
        _import_block(modules, helpers),
        f"SPEC = {spec.describe()!r}",
        f"NUM_MEANS = {spec.K}",
        f"NUM_ENDPOINTS = {2 * spec.M}",
        "",
        *body,
    ]
    return "\n".join(lines).rstrip() + "\n"


def output_directory(directory: str | os.PathLike | None, *, create: bool) -> Path:
    """The folder to write into or check (``None``: the checked-in kernels), resolved and validated.

    ``directory`` (the CLI's ``--out``) is resolved (``..`` and symlinks) before anything is
    created, and only the final directory is ever created (its parent must exist), so
    ``x/../y/z/../../q`` creates ``q`` and nothing else.  An empty path, a path that is a file or
    one whose parent is missing raises :class:`~gmmsym.errors.InputError` naming ``--out``.
    """
    if directory is None:
        return GENERATED_DIR
    raw = os.fspath(directory) if isinstance(directory, (str, os.PathLike)) else None
    if not isinstance(raw, str):
        raise InputError(f"directory (--out): expected a path, got {type(directory).__name__}")
    if not raw.strip():
        raise InputError("directory (--out): must be a non-empty path")
    path = Path(raw).resolve()
    if path.exists() and not path.is_dir():
        raise InputError(f"directory (--out): {path} exists and is not a directory")
    if create and not path.exists():
        if not path.parent.is_dir():
            raise InputError(f"directory (--out): parent folder {path.parent} does not exist")
        try:
            path.mkdir()
        except OSError as exc:
            raise InputError(f"directory (--out): cannot create {path}: {exc.strerror or exc}") from None
    return path


def write(spec: ModelSpec = PAPER, target: str = "numpy", directory: str | os.PathLike | None = None) -> Path:
    """Write the module for ``spec``/``target`` into ``directory`` atomically; return its path.

    ``directory`` is validated first (:func:`output_directory`).  The text goes to a temporary
    file in the same directory first and is renamed into place
    (:func:`gmmsym.io.atomic_write_text`), so an interrupted write never leaves a half-written
    module.
    """
    text = doprint(spec, target)
    path = output_directory(directory, create=True) / f"{module_name(spec, target)}.py"
    atomic_write_text(path, text)
    return path


@dataclass(frozen=True)
class CheckResult:
    """Outcome of comparing one checked-in module with the generator's current output."""

    path: Path
    # "identical", "benign" (same source hash; printing differs; same values), "stale", "missing",
    # "corrupt" (a cache file whose header or body checksum is damaged)
    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("identical", "benign")


def check(spec: ModelSpec = PAPER, directory: str | os.PathLike | None = None) -> list[CheckResult]:
    """Compare the checked-in modules for ``spec`` with :func:`doprint` output, for every target.

    Nothing is executed: the files are compared as text, headers and statically read outputs.
    ``identical``: same text.  ``benign``: the text differs but generator version, source hash,
    spec and target agree and the outputs read statically (:func:`gmmsym.codegen.vet.kernel_outputs`:
    only the generator's vocabulary, temporaries substituted) are the same SymPy expressions
    (e.g. another SymPy orders common subexpressions differently).  ``stale``/``missing``:
    regenerate (``stale`` also for text that is not generated kernel code).
    """
    directory = output_directory(directory, create=False)
    results = []
    for target in TARGETS:
        path = directory / f"{module_name(spec, target)}.py"
        if not path.is_file():
            results.append(CheckResult(path, "missing", "no such file; run `gmmsym codegen`"))
            continue
        old = path.read_text(encoding="utf-8", errors="replace")
        results.append(_check_text(path, old, spec, target))
    return results


def check_cache(spec: ModelSpec) -> list[CheckResult]:
    """Compare the cached modules of ``spec`` (:mod:`gmmsym.kernels.cache`) with :func:`doprint` output.

    First the cache's own checks (:func:`gmmsym.kernels.cache.inspect`: ``missing``; ``corrupt``,
    a damaged header or body checksum; ``stale``, another generator, SymPy, spec or target), then
    the module text as :func:`check` compares it.  Nothing is executed.
    """
    from gmmsym.kernels.cache import inspect

    results = []
    for target in TARGETS:
        entry = inspect(spec, target)
        if not entry.ok or entry.body is None:
            detail = entry.detail + ("; run `gmmsym codegen --model ...`" if entry.status != "stale" else "")
            results.append(CheckResult(entry.path, entry.status, detail))
            continue
        results.append(_check_text(entry.path, entry.body, spec, target))
    return results


def _check_text(path: Path, old: str, spec: ModelSpec, target: str) -> CheckResult:
    """The :class:`CheckResult` of module text ``old`` (read from ``path``) against :func:`doprint`."""
    new = doprint(spec, target)
    if old == new:
        return CheckResult(path, "identical")
    return CheckResult(path, *_compare(old, new))


def _compare(old: str, new: str) -> tuple[str, str]:
    """``(status, detail)`` of a module text that differs from the generator's (never executed)."""
    from gmmsym.codegen.vet import NotKernel, kernel_outputs

    h_old, h_new = parse_header(old), parse_header(new)
    if any(h_old.get(k) != h_new.get(k) for k in ("generator", "source-sha256", "spec", "target")):
        return "stale", "source expressions or generator changed"
    try:
        f_old = kernel_outputs(old)
    except NotKernel as exc:
        return "stale", f"not a generated kernel module ({exc})"
    f_new = kernel_outputs(new)
    for name, (args, out) in f_new.items():
        if name not in f_old or f_old[name][0] != args:
            return "stale", f"function {name} missing or with other arguments"
        if not _same_outputs(f_old[name][1], out):
            return "stale", f"same source hash but {name} computes something else"
    if set(f_old) != set(f_new):
        return "stale", "functions the generator does not write"
    return "benign", "printing differs only (same source hash; same outputs, read without executing)"


def _same_outputs(a, b) -> bool:
    """Whether two statically read outputs (expressions or tuples of them) are the same."""
    a, b = (x if isinstance(x, tuple) else (x,) for x in (a, b))
    if len(a) != len(b) or any(isinstance(u, tuple) for u in (*a, *b)):
        return False
    return all(u == v or (u - v).expand() == 0 for u, v in zip(a, b))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `gmmsym codegen`")
