"""Generate, write, load and check the kernel modules.

A kernel module defines, for one :class:`~gmmsym.model.spec.ModelSpec` and one target (``numpy`` or
``mpmath``), the functions

* ``objective(mu..., ell..., nu...)``  -> ``L``
* ``advantage(mu..., ell..., nu...)``  -> ``L - 1``
* ``gradients(mu..., ell..., nu...)``  -> ``(dL/dmu_1, ..., dL/dell_1, ...)``
* ``density_gap(x, mu..., nu...)``     -> ``p*(x) - p_mu(x)``

with positional scalar-or-array arguments named as in MODEL.md (``mu1, mu2, l1, r1, l2, r2,
nu1, nu2``).  Each module starts with a provenance header: generator version, SymPy version,
and the SHA-256 of the source expressions (their ``srepr``), so that a drift check can tell a
changed model from a benign change in SymPy's printing order.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from gmmsym.io import atomic_write_text
from gmmsym.kernels.loader import TARGETS, kernels_for, load, module_name  # noqa: F401  (re-exported)
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
    "module_name",
    "kernels_for",
    "GENERATED_DIR",
]

GENERATOR_VERSION = "3"  # 2: masses split into exact steps + signed tails; 3: no normal_mass
GENERATED_DIR = Path(__file__).resolve().parent.parent / "kernels" / "_generated"
_HEADER_RE = re.compile(r"^# (generator|sympy|source-sha256|spec|target): (.*)$", re.M)

_PREAMBLE = {
    "numpy": (
        "import numpy\nimport scipy.special\n\n"
        "from gmmsym._special import INV_SQRT_2PI, normal_pdf, signed_tail, unit_step\n"
    ),
    "mpmath": (
        "import mpmath\n\n"
        "from gmmsym._special import (\n"
        "    mp_normal_cdf,\n    mp_normal_pdf,\n"
        "    mp_signed_tail,\n    mp_unit_step,\n)\n"
    ),
}
_DOCS = {
    "objective": "L(mu, ell) = 1 + sum_j sum_i w_i [P*-mass - G_mu-mass of [l_j, r_j]] (MODEL.md section 2).",
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


def doprint(spec: ModelSpec = PAPER, target: str = "numpy") -> str:
    """Return the source text of the kernel module for ``spec`` and ``target``."""
    import sympy as sp

    from gmmsym.codegen.printers import MpmathKernelPrinter, NumPyKernelPrinter

    _check_target(target)
    model, funcs = _functions(spec)
    printer_cls = NumPyKernelPrinter if target == "numpy" else MpmathKernelPrinter
    lines = [
        "# Generated by gmmsym.codegen -- do not edit; regenerate with `gmmsym codegen`.",
        f"# generator: {GENERATOR_VERSION}",
        f"# sympy: {sp.__version__}",
        f"# source-sha256: {source_hash(spec, target)}",
        f"# spec: {spec.describe()}",
        f"# target: {target}",
        f'"""GMM-GAN kernels ({target}) for {spec.describe()}; see gmmsym.codegen.generator."""',
        "",
        _PREAMBLE[target],
        f"SPEC = {spec.describe()!r}",
        f"NUM_MEANS = {spec.K}",
        f"NUM_ENDPOINTS = {2 * spec.M}",
        "",
    ]
    for name, args, exprs in funcs:
        printer = printer_cls(
            {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False}
        )
        prepared = _prepare(exprs, target)
        temps, reduced = _cse([p for parts in prepared for p in parts])
        arglist = ", ".join(str(a) for a in args)
        lines.append("")
        lines.append(f"def {name}({arglist}):")
        lines.append(f'    """{_DOCS[name]}"""')
        for sym, sub in temps:
            lines.append(f"    {sym} = {printer.doprint(sub)}")
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
            lines.append("    return (")
            lines.extend(f"        {b}," for b in body)
            lines.append("    )")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write(spec: ModelSpec = PAPER, target: str = "numpy", directory: str | os.PathLike | None = None) -> Path:
    """Write the module for ``spec``/``target`` into ``directory`` atomically; return its path.

    The text goes to a temporary file in the same directory first and is renamed into place
    (:func:`gmmsym.io.atomic_write_text`), so an interrupted write never leaves a half-written
    module.
    """
    directory = GENERATED_DIR if directory is None else Path(directory)
    text = doprint(spec, target)
    path = directory / f"{module_name(spec, target)}.py"
    atomic_write_text(path, text)
    return path


def parse_header(text: str) -> dict[str, str]:
    """The provenance header of a generated module as a dict."""
    return {k: v.strip() for k, v in _HEADER_RE.findall(text)}


@dataclass(frozen=True)
class CheckResult:
    """Outcome of comparing one checked-in module with the generator's current output."""

    path: Path
    status: str  # "identical", "benign" (same source hash; printing differs; same values), "stale", "missing"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("identical", "benign")


def check(spec: ModelSpec = PAPER, directory: str | os.PathLike | None = None) -> list[CheckResult]:
    """Compare the checked-in modules for ``spec`` with :func:`doprint` output, for every target.

    ``identical``: same text.  ``benign``: the text differs but generator version and source
    hash agree and both modules give the same values on a seeded sample (e.g. another SymPy
    orders common subexpressions differently).  ``stale``/``missing``: regenerate.
    """
    directory = GENERATED_DIR if directory is None else Path(directory)
    results = []
    for target in TARGETS:
        path = directory / f"{module_name(spec, target)}.py"
        if not path.exists():
            results.append(CheckResult(path, "missing", "no such file; run `gmmsym codegen`"))
            continue
        old = path.read_text(encoding="utf-8")
        new = doprint(spec, target)
        if old == new:
            results.append(CheckResult(path, "identical"))
            continue
        h_old, h_new = parse_header(old), parse_header(new)
        same_source = all(
            h_old.get(k) == h_new.get(k) for k in ("generator", "source-sha256", "spec", "target")
        )
        if not same_source:
            results.append(CheckResult(path, "stale", "source expressions or generator changed"))
            continue
        diff = _max_relative_difference(
            load(old, spec=spec, target=target), load(new, spec=spec, target=target), spec
        )
        if diff <= 1e-12:
            results.append(
                CheckResult(path, "benign", f"printing differs only; max relative difference {diff:.1e}")
            )
        else:
            results.append(CheckResult(path, "stale", f"same source hash but values differ by {diff:.1e}"))
    return results


def _max_relative_difference(a: types.ModuleType, b: types.ModuleType, spec: ModelSpec) -> float:
    """Largest relative difference of all outputs of two kernel modules on a seeded sample."""
    import mpmath
    import numpy as np

    rng = np.random.default_rng(20181)
    n = 64
    K, E = spec.K, 2 * spec.M
    mu = rng.uniform(-3, 3, (K, n))
    nu = rng.uniform(-3, 3, (K, n))
    ell = np.sort(rng.uniform(-5, 5, (E, n)), axis=0)
    xs = rng.uniform(-5, 5, n)
    worst = 0.0
    if a.__name__.split(".")[-1].startswith("mpmath"):
        with mpmath.workdps(30):
            for i in range(8):
                st = [mpmath.mpf(float(v)) for v in (*mu[:, i], *ell[:, i], *nu[:, i])]
                for fa, fb in ((a.objective, b.objective), (a.gradients, b.gradients)):
                    va, vb = np.atleast_1d(fa(*st)), np.atleast_1d(fb(*st))
                    for u, v in zip(va, vb):
                        worst = max(worst, float(abs(u - v) / max(abs(u), abs(v), 1e-300)))
        return worst
    state = (*mu, *ell, *nu)
    pairs = [
        (a.objective(*state), b.objective(*state)),
        (a.advantage(*state), b.advantage(*state)),
        (a.density_gap(xs, *mu, *nu), b.density_gap(xs, *mu, *nu)),
        *zip(a.gradients(*state), b.gradients(*state)),
    ]
    for u, v in pairs:
        u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
        scale = np.maximum(np.maximum(np.abs(u), np.abs(v)), 1e-300)
        worst = max(worst, float(np.max(np.abs(u - v) / scale)))
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `gmmsym codegen`")
