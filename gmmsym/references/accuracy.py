"""Accuracy of the float64 kernels, measured against correctly rounded certified references.

``gmmsym accuracy`` evaluates :func:`gmmsym.objective`, :func:`gmmsym.advantage`, every
component of :func:`gmmsym.gradients` (``dL/dmu1``, ``dL/dmu2``, ``dL/dl1``, ``dL/dr1``,
``dL/dl2``, ``dL/dr2``) and :func:`gmmsym.density_gap` on seeded random points and compares
each value ``k`` with the correctly rounded reference ``ref`` of :mod:`gmmsym.references.certified`.

Definitions (per function and point; ``err = |k - ref|``)
    * Gaussian arguments ``t = (x - m) / sigma``: endpoint (or density point) minus a mean;
      ``a = max |t|`` over the finite arguments of the function's terms.
    * ``S``: term scale, the sum of the magnitudes of the individual terms
      (``w_i min(Phi(t), Phi(-t))`` per CDF term, ``w_i phi(t)`` per density term, plus the
      constant 1 for ``L`` and the net integer part of the CDF terms, which cancels unless
      the means are far apart); see :mod:`gmmsym.references.certified_expansions`.
    * error in ulps of 1: ``err / 2**-52``;
    * error in ulps of S: ``err / spacing(S)`` (``numpy.spacing``: the gap from ``S`` to the
      next double);
    * ratio: ``err / (4 (1 + a^2) spacing(S))``.

Targets (issue 2)
    * absolute: ``err <= 16`` ulps of 1 at every point;
    * relative to ``S``: ratio ``<= 1`` at every point with ``a <= 37`` (beyond 37 the terms
      are subnormal or underflow, so only the absolute target applies).

Rows are reported per function and per region of ``a``:
``a <= 2``, ``2 < a <= 10``, ``10 < a <= 37``, ``37 < a <= 40``.

Any model (``model=``, ``gmmsym accuracy --model SPEC``): the functions are those of
:func:`functions_for` (``dL/dmu1 ... dL/dmuK``, ``dL/dl1, dL/dr1, ... dL/drM``), the kernels the
model's generated ones (:class:`gmmsym.kernels.float64.Kernels`, loaded through
:func:`gmmsym.kernels.loader.kernels_for`), the references the same certified expansions with
the model's weights and sigma, the points :func:`sample_points` for the model, and the targets
the same as the paper's (the term scale ``S`` carries the weights; ``a`` is in units of sigma).

The seeded points and the regions are in :mod:`gmmsym.references.accuracy_points`, the tables in
:mod:`gmmsym.references.accuracy_report`; both are re-exported here (``gmmsym.accuracy`` is this
module).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gmmsym.model import validate as _validate
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.references import certified

# Re-exports: every name of the module before the split stays importable (and patchable) here;
# the private ones too.
from gmmsym.references.accuracy_points import _FAMILIES, REGIONS, Batch, region_label, sample_points  # noqa: F401
from gmmsym.references.accuracy_report import (  # noqa: F401
    _CAPTION,
    _HEADERS,
    _SHORT_HEADERS,
    _cells,
    _fmt,
    _status,
    format_table,
    markdown_table,
    print_table,
)

__all__ = [
    "FUNCTIONS",
    "functions_for",
    "REGIONS",
    "DEFAULT_POINTS",
    "ABS_TARGET_ULPS",
    "REL_TARGET_MAX_A",
    "KERNEL_FUNCTIONS",
    "rel_bound",
    "region_label",
    "Batch",
    "AccuracyRow",
    "sample_points",
    "reference_values",
    "kernel_values",
    "measure",
    "measure_batch",
    "format_table",
    "markdown_table",
    "print_table",
]

#: Function names, in report order.
FUNCTIONS: tuple[str, ...] = (
    "objective",
    "advantage",
    "dL/dmu1",
    "dL/dmu2",
    "dL/dl1",
    "dL/dr1",
    "dL/dl2",
    "dL/dr2",
    "density_gap",
)


def functions_for(model: ModelSpec = PAPER) -> tuple[str, ...]:
    """Function names of ``model`` in report order (:data:`FUNCTIONS` for the paper's model)."""
    model = check_model(model)
    if model == PAPER:
        return FUNCTIONS
    grads = tuple(f"dL/dmu{i + 1}" for i in range(model.K)) + tuple(f"dL/d{n}" for n in model.ell_names)
    return ("objective", "advantage", *grads, "density_gap")


#: Default number of sampled points (each gives one value of every function); ~20 s on 1 core.
DEFAULT_POINTS = 8000
#: Absolute target: ``err <= 16`` ulps of 1.
ABS_TARGET_ULPS = 16.0
#: The relative-to-S target applies to regions whose upper edge is at most this.
REL_TARGET_MAX_A = 37.0

_ULP1 = 2.0**-52


def rel_bound(a: np.ndarray | float) -> np.ndarray | float:
    """Relative-to-S allowance in ulps of ``S``: ``4 (1 + a^2)``."""
    return 4.0 * (1.0 + np.square(a))


# --------------------------------------------------------------------------------------------
# values


def _kernel_gradients(b: Batch) -> tuple[np.ndarray, np.ndarray]:
    import gmmsym

    return gmmsym.gradients(b.mu, b.ell, b.nu)


def _grad_component(k: int) -> Callable[[Batch], np.ndarray]:
    def fn(b: Batch) -> np.ndarray:
        dmu, dell = _kernel_gradients(b)
        return np.concatenate([dmu, dell], axis=-1)[:, k]

    return fn


def _kernel_objective(b: Batch) -> np.ndarray:
    import gmmsym

    return gmmsym.objective(b.mu, b.ell, b.nu)


def _kernel_advantage(b: Batch) -> np.ndarray:
    import gmmsym

    return gmmsym.advantage(b.mu, b.ell, b.nu)


def _kernel_density_gap(b: Batch) -> np.ndarray:
    import gmmsym

    return gmmsym.density_gap(b.x, b.mu, b.nu)


#: Float64 implementation of every function on a :class:`Batch` (looked up at call time, so a
#: test can substitute one with ``monkeypatch.setitem``).
KERNEL_FUNCTIONS: dict[str, Callable[[Batch], np.ndarray]] = {
    "objective": _kernel_objective,
    "advantage": _kernel_advantage,
    **{name: _grad_component(k) for k, name in enumerate(FUNCTIONS[2:8])},
    "density_gap": _kernel_density_gap,
}


def _gradient_names(functions: Sequence[str]) -> list[str]:
    return [name for name in functions if name.startswith("dL/d")]


def kernel_values(
    batch: Batch, functions: Sequence[str] = FUNCTIONS, *, model: ModelSpec = PAPER
) -> dict[str, np.ndarray]:
    """Float64 kernel values ``{name: (n,)}``; non-finite outputs are kept (they fail).

    The paper's model through :data:`KERNEL_FUNCTIONS` (the public API), any other model
    through :class:`gmmsym.kernels.float64.Kernels` of its generated module.
    """
    model = check_model(model)
    with np.errstate(all="ignore"):
        if model == PAPER:
            return {name: np.asarray(KERNEL_FUNCTIONS[name](batch), dtype=np.float64) for name in functions}
        from gmmsym.kernels.float64 import Kernels

        kern = Kernels(model)
        out: dict[str, np.ndarray] = {}
        if "objective" in functions:
            out["objective"] = kern.objective(batch.mu, batch.ell, batch.nu)
        if "advantage" in functions:
            out["advantage"] = kern.advantage(batch.mu, batch.ell, batch.nu)
        if _gradient_names(functions):
            g = np.concatenate(kern.gradients(batch.mu, batch.ell, batch.nu), axis=-1)
            names = functions_for(model)[2:-1]
            out |= {name: g[:, names.index(name)] for name in _gradient_names(functions)}
        if "density_gap" in functions:
            out["density_gap"] = kern.density_gap(batch.x, batch.mu, batch.nu)
        return {name: np.asarray(out[name], dtype=np.float64) for name in functions}


def _expansions(batch: Batch, i: int, functions: Sequence[str], model: ModelSpec) -> dict:
    """The certified expansions of point ``i`` for ``functions``."""
    mu, ell, nu = batch.mu[i], batch.ell[i], batch.nu[i]
    exps: dict[str, certified.Expansion] = {}
    if "objective" in functions:
        exps["objective"] = certified.objective_expansion(mu, ell, nu, model=model)
    if "advantage" in functions:
        exps["advantage"] = certified.advantage_expansion(mu, ell, nu, model=model)
    if _gradient_names(functions):
        dmu, dell = certified.gradient_expansions(mu, ell, nu, model=model)
        for name, e in zip(functions_for(model)[2:-1], (*dmu, *dell), strict=True):
            if name in functions:
                exps[name] = e
    if "density_gap" in functions:
        exps["density_gap"] = certified.density_gap_expansion(batch.x[i], mu, nu, model=model)
    return exps


def reference_values(
    batch: Batch, functions: Sequence[str] = FUNCTIONS, *, model: ModelSpec = PAPER
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Correctly rounded references, term scales and ``a``: ``{name: (ref, S, a)}``, each ``(n,)``."""
    model = check_model(model)
    n = len(batch)
    out = {name: (np.empty(n), np.empty(n), np.empty(n)) for name in functions}
    for i in range(n):
        for name, e in _expansions(batch, i, functions, model).items():
            ref, s, a = out[name]
            ref[i] = e.rounded()
            s[i] = e.scale
            a[i] = e.max_arg
    return out


# --------------------------------------------------------------------------------------------
# measurement


@dataclass(frozen=True)
class AccuracyRow:
    """Accuracy of one function in one region of ``a``.

    Attributes
    ----------
    function, region : str
        Function name (:data:`FUNCTIONS`) and region label.
    a_lo, a_hi : float
        The region ``a_lo < a <= a_hi``.
    n : int
        Number of points.
    max_abs_ulps : float
        ``max err / 2**-52``.
    max_rel_ulps : float
        ``max err / spacing(S)``.
    worst_ratio : float
        ``max err / (4 (1 + a^2) spacing(S))``.
    rel_applies : bool
        Whether the relative-to-S target applies (``a_hi <= 37``).
    abs_ok, rel_ok : bool
        Targets met (``rel_ok`` is True where the target does not apply).
    n_fail : int
        Number of points missing an applicable target.
    worst_point : dict
        Inputs, kernel value, reference, ``S`` and ``a`` at the point of ``worst_ratio``.
    """

    function: str
    region: str
    a_lo: float
    a_hi: float
    n: int
    max_abs_ulps: float
    max_rel_ulps: float
    worst_ratio: float
    rel_applies: bool
    abs_ok: bool
    rel_ok: bool
    n_fail: int = 0
    worst_point: dict = field(default_factory=dict, compare=False)

    @property
    def passed(self) -> bool:
        return self.abs_ok and self.rel_ok


def _errors(k: np.ndarray, ref: np.ndarray, s: np.ndarray, a: np.ndarray):
    with np.errstate(all="ignore"):
        err = np.abs(k - ref)
        err = np.where(np.isfinite(k) & np.isfinite(err), err, np.inf)
        abs_ulps = err / _ULP1
        rel_ulps = err / np.spacing(np.abs(s))
        rel_ulps = np.where(err == 0, 0.0, rel_ulps)
        ratio = rel_ulps / rel_bound(a)
    return abs_ulps, rel_ulps, ratio


def measure(
    n_points: int = DEFAULT_POINTS,
    seed: int = 0,
    *,
    functions: Sequence[str] | None = None,
    model: ModelSpec = PAPER,
) -> list[AccuracyRow]:
    """Measure every function of ``model`` (:func:`functions_for`) on ``n_points`` seeded points.

    Parameters
    ----------
    n_points : int
        Number of points (:func:`sample_points` with ``numpy.random.default_rng(seed)``).
    seed : int
        Seed of the generator.
    functions : sequence of str, optional
        Subset of ``functions_for(model)`` to measure (default: all).
    model : ModelSpec
        The model (default the paper's): its generated kernels against its certified references.

    Returns
    -------
    list of AccuracyRow
        One row per function and region of :data:`REGIONS`, in that order (``n = 0`` rows
        included).
    """
    model = check_model(model)
    n_points = _validate.check_int("n_points", n_points, minimum=1)
    seed = _validate.check_int("seed", seed, minimum=0)
    batch = sample_points(n_points, np.random.default_rng(seed), model=model)
    return measure_batch(batch, functions, model=model)


def measure_batch(
    batch: Batch, functions: Sequence[str] | None = None, *, model: ModelSpec = PAPER
) -> list[AccuracyRow]:
    """Rows of :func:`measure` for given points (e.g. a hand-made tail batch)."""
    model = check_model(model)
    functions = functions_for(model) if functions is None else tuple(functions)
    for name in functions:
        _validate.check_choice("functions", name, functions_for(model))
    kern = kernel_values(batch, functions, model=model)
    refs = reference_values(batch, functions, model=model)
    rows = []
    for name in functions:
        ref, s, a = refs[name]
        k = kern[name]
        abs_ulps, rel_ulps, ratio = _errors(k, ref, s, a)
        for lo, hi in REGIONS:
            sel = (a <= hi) & ((a > lo) if lo > 0 else True)
            idx = np.flatnonzero(sel)
            rel_applies = hi <= REL_TARGET_MAX_A
            if idx.size == 0:
                rows.append(
                    AccuracyRow(name, region_label(lo, hi), lo, hi, 0, 0.0, 0.0, 0.0, rel_applies, True, True)
                )
                continue
            w = idx[np.argmax(ratio[idx])]
            worst = batch.point(int(w)) | {
                "kernel": float(k[w]),
                "reference": float(ref[w]),
                "S": float(s[w]),
                "a": float(a[w]),
            }
            max_abs = float(np.max(abs_ulps[idx]))
            worst_ratio = float(ratio[w])
            fail = abs_ulps[idx] > ABS_TARGET_ULPS
            if rel_applies:
                fail |= ratio[idx] > 1.0
            rows.append(
                AccuracyRow(
                    function=name,
                    region=region_label(lo, hi),
                    a_lo=lo,
                    a_hi=hi,
                    n=int(idx.size),
                    max_abs_ulps=max_abs,
                    max_rel_ulps=float(np.max(rel_ulps[idx])),
                    worst_ratio=worst_ratio,
                    rel_applies=rel_applies,
                    abs_ok=max_abs <= ABS_TARGET_ULPS,
                    rel_ok=(worst_ratio <= 1.0) if rel_applies else True,
                    n_fail=int(np.count_nonzero(fail)),
                    worst_point=worst,
                )
            )
    return rows
