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
      the means are far apart); see :mod:`gmmsym.references.certified`.
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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmsym.model import validate as _validate
from gmmsym.references import certified

__all__ = [
    "FUNCTIONS",
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
#: Regions of ``a``: ``(lower, upper]`` (the first one includes 0).
REGIONS: tuple[tuple[float, float], ...] = ((0.0, 2.0), (2.0, 10.0), (10.0, 37.0), (37.0, 40.0))
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


def region_label(lo: float, hi: float) -> str:
    """``"a <= 2"`` for the first region, ``"2 < a <= 10"`` otherwise."""
    return f"a <= {hi:g}" if lo == 0 else f"{lo:g} < a <= {hi:g}"


# --------------------------------------------------------------------------------------------
# points


@dataclass(frozen=True, eq=False)
class Batch:
    """Sampled points of the paper model: ``mu``, ``nu`` ``(n, 2)``, ``ell`` ``(n, 4)``, ``x`` ``(n,)``."""

    mu: np.ndarray
    ell: np.ndarray
    nu: np.ndarray
    x: np.ndarray
    family: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.x)

    def point(self, i: int) -> dict[str, Any]:
        """Inputs of point ``i`` as plain floats (``repr`` round-trips them exactly)."""
        return {
            "mu": [float(v) for v in self.mu[i]],
            "ell": [float(v) for v in self.ell[i]],
            "nu": [float(v) for v in self.nu[i]],
            "x": float(self.x[i]),
            "family": None if self.family is None else str(self.family[i]),
        }


_FAMILIES = ("spread", "same_tail", "tight", "straddle", "separated")


def sample_points(n: int, rng: np.random.Generator) -> Batch:
    """Points covering the bulk and both tails of every Gaussian argument.

    For each point a target region ``(lo, hi]`` of ``a`` is drawn uniformly from
    :data:`REGIONS`; the four means lie within ``h`` of a centre ``c ~ U(-3, 3)``, ``h`` one of
    ``0``, ``1e-3``, ``min(1, hi/4)``, ``min(6, hi/4)`` (so means up to 12 apart; ``mu = nu`` or
    ``mu`` = swapped ``nu`` now and then), and the endpoints are ``c + d`` with offsets
    ``|d| <= hi - h``, one of them beyond ``min(lo + h, hi - h)``, in one of five families:

    * ``spread``: offsets i.i.d. uniform of either sign;
    * ``same_tail``: all four offsets on one side and beyond ``lo + h`` (both ends of both
      intervals deep in the same tail, e.g. ``l = m + 30, r = m + 30.5``);
    * ``tight``: intervals of relative width ``10**-12 .. 10**-1`` (cancellation in the bulk);
    * ``straddle``: one wide interval across all means (``l = c - d1``, ``r = c + d2``);
    * ``separated``: generator far from the truth (``nu = c + U(-1/4, 1/4)``,
      ``mu = c +- U(0.3, 0.8) hi + U(-1/4, 1/4)``, roles swapped half the time), endpoints and
      ``x`` uniform on the range where every argument stays within ``hi`` (the gap between
      the two groups included): an endpoint between them keeps a net integer part in ``L``.

    Then, independently: ``l1 = -inf`` (p = 0.2), ``r2 = +inf`` (0.2), the second interval
    pushed to ``+inf`` (0.05), an interval collapsed ``r_j = l_j`` (0.15 each).  The density
    point is ``x = c +- U(dmin, hi - h)``.  So ``a <= 40`` always (the realised ``a`` may fall
    in a lower region than the target; rows use the realised one).
    """
    n = _validate.check_int("n", n, minimum=1)
    mu = np.empty((n, 2))
    nu = np.empty((n, 2))
    ell = np.empty((n, 4))
    x = np.empty(n)
    family = np.empty(n, dtype=object)
    shrink = 1.0 - 1e-9  # keep |c + d - m| <= hi after rounding
    for k in range(n):
        lo, hi = REGIONS[rng.integers(len(REGIONS))]
        c = rng.uniform(-3.0, 3.0)
        h = float(rng.choice([0.0, 1e-3, min(1.0, hi / 4), min(6.0, hi / 4)]))
        nu_k = c + rng.uniform(-h, h, 2)
        mu_k = c + rng.uniform(-h, h, 2)
        u = rng.random()
        if u < 0.1:
            mu_k = nu_k.copy()
        elif u < 0.2:
            mu_k = nu_k[::-1].copy()
        dmax = (hi - h) * shrink
        dmin = min(lo + h, dmax)
        fam = _FAMILIES[rng.integers(len(_FAMILIES))]
        sign = rng.choice([-1.0, 1.0])
        if fam == "separated":
            near = c + rng.uniform(-0.25, 0.25, 2)
            far = c + sign * rng.uniform(0.3, 0.8) * hi + rng.uniform(-0.25, 0.25, 2)
            nu_k, mu_k = (near, far) if rng.random() < 0.5 else (far, near)
            means = np.concatenate([nu_k, mu_k])
            centre = (means.max() + means.min()) / 2
            half = (hi - (means.max() - means.min()) / 2) * shrink
            d = centre - c + rng.uniform(-half, half, 4)
            x_off = centre - c + rng.uniform(-half, half)
        elif fam == "spread":
            d = rng.uniform(-dmax, dmax, 4)
            d[0] = sign * rng.uniform(dmin, dmax)
        elif fam == "same_tail":
            d = sign * rng.uniform(dmin, dmax, 4)
        elif fam == "tight":
            base = rng.uniform(-dmax, dmax, 2)
            base[0] = sign * rng.uniform(dmin, dmax)
            width = 10.0 ** rng.uniform(-12, -1, 2) * np.maximum(np.abs(base), 1.0)
            d = np.concatenate([base, base + width])
            d = np.clip(d, -dmax, dmax)
        else:  # straddle
            d = np.array([-rng.uniform(dmin, dmax), rng.uniform(dmin, dmax), 0.0, 0.0])
            d[2:] = rng.uniform(-dmax, dmax, 2)
        e = np.sort(c + d)
        if rng.random() < 0.2:
            e[0] = -np.inf
        if rng.random() < 0.2:
            e[3] = np.inf
        if rng.random() < 0.05:
            e[1:] = np.inf
        for j in range(2):
            if rng.random() < 0.15:
                e[2 * j + 1] = e[2 * j]
        mu[k], nu[k], ell[k] = mu_k, nu_k, e
        x[k] = c + x_off if fam == "separated" else c + sign * rng.uniform(dmin, dmax)
        family[k] = fam
    return Batch(mu=mu, ell=ell, nu=nu, x=x, family=family)


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


def kernel_values(batch: Batch, functions: Sequence[str] = FUNCTIONS) -> dict[str, np.ndarray]:
    """Float64 kernel values ``{name: (n,)}``; non-finite outputs are kept (they fail)."""
    with np.errstate(all="ignore"):
        return {name: np.asarray(KERNEL_FUNCTIONS[name](batch), dtype=np.float64) for name in functions}


def reference_values(
    batch: Batch, functions: Sequence[str] = FUNCTIONS
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Correctly rounded references, term scales and ``a``: ``{name: (ref, S, a)}``, each ``(n,)``."""
    n = len(batch)
    out = {name: (np.empty(n), np.empty(n), np.empty(n)) for name in functions}
    need_grad = any(name in FUNCTIONS[2:8] for name in functions)
    for i in range(n):
        mu, ell, nu = batch.mu[i], batch.ell[i], batch.nu[i]
        exps: dict[str, certified.Expansion] = {}
        if "objective" in out:
            exps["objective"] = certified.objective_expansion(mu, ell, nu)
        if "advantage" in out:
            exps["advantage"] = certified.advantage_expansion(mu, ell, nu)
        if need_grad:
            dmu, dell = certified.gradient_expansions(mu, ell, nu)
            for name, e in zip(FUNCTIONS[2:8], (*dmu, *dell), strict=True):
                if name in out:
                    exps[name] = e
        if "density_gap" in out:
            exps["density_gap"] = certified.density_gap_expansion(batch.x[i], mu, nu)
        for name, e in exps.items():
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
    functions: Sequence[str] = FUNCTIONS,
) -> list[AccuracyRow]:
    """Measure every function of :data:`FUNCTIONS` on ``n_points`` seeded points.

    Parameters
    ----------
    n_points : int
        Number of points (:func:`sample_points` with ``numpy.random.default_rng(seed)``).
    seed : int
        Seed of the generator.
    functions : sequence of str
        Subset of :data:`FUNCTIONS` to measure.

    Returns
    -------
    list of AccuracyRow
        One row per function and region of :data:`REGIONS`, in that order (``n = 0`` rows
        included).
    """
    n_points = _validate.check_int("n_points", n_points, minimum=1)
    seed = _validate.check_int("seed", seed, minimum=0)
    return measure_batch(sample_points(n_points, np.random.default_rng(seed)), functions)


def measure_batch(batch: Batch, functions: Sequence[str] = FUNCTIONS) -> list[AccuracyRow]:
    """Rows of :func:`measure` for given points (e.g. a hand-made tail batch)."""
    functions = tuple(functions)
    for name in functions:
        _validate.check_choice("functions", name, FUNCTIONS)
    kern = kernel_values(batch, functions)
    refs = reference_values(batch, functions)
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


# --------------------------------------------------------------------------------------------
# output


def _fmt(v: float) -> str:
    if math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    if v >= 1e5 or v < 1e-3:
        return f"{v:.2e}"
    return f"{v:.3g}"


def _status(r: AccuracyRow) -> str:
    if r.n == 0:
        return "-"
    return "pass" if r.passed else "FAIL"


def _cells(r: AccuracyRow) -> list[str]:
    return [
        r.function,
        r.region,
        str(r.n),
        _fmt(r.max_abs_ulps),
        _fmt(r.max_rel_ulps),
        _fmt(r.worst_ratio) if r.rel_applies else f"({_fmt(r.worst_ratio)})",
        str(r.n_fail),
        _status(r),
    ]


_HEADERS = [
    "function",
    "region",
    "n",
    "max err [ulp of 1]",
    "max err [ulp of S]",
    "worst err / (4(1+a^2) ulp S)",
    "points failing",
    "status",
]


_SHORT_HEADERS = ["function", "a in", "n", "ulp 1", "ulp S", "ratio", "fails", "ok"]
_CAPTION = (
    "ulp 1 / ulp S: max |kernel - correctly rounded| in ulps of 1 (target <= 16) / of S; "
    "ratio: max err / (4(1+a^2) ulp S), target <= 1 where a <= 37 (in parentheses: not applied); "
    "fails: points missing a target"
)


def format_table(rows: Sequence[AccuracyRow], title: str | None = None):
    """A compact :class:`rich.table.Table` of the rows (fits 80 columns; see the caption)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, caption=_CAPTION, box=box.SIMPLE_HEAD, pad_edge=False)
    for i, h in enumerate(_SHORT_HEADERS):
        width = 10 if h == "ratio" else None  # "(1.23e-04)"
        table.add_column(h, justify="left" if i < 2 else "right", no_wrap=True, min_width=width)
    for r in rows:
        style = None if r.passed else "bold red"
        cells = _cells(r)
        cells[1] = f"[0, {r.a_hi:g}]" if r.a_lo == 0 else f"({r.a_lo:g}, {r.a_hi:g}]"
        table.add_row(*cells, style=style)
    return table


def markdown_table(rows: Sequence[AccuracyRow]) -> str:
    """The same table as GitHub Markdown (used for ``docs/accuracy.md``)."""
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def print_table(rows: Sequence[AccuracyRow], *, title: str | None = None, console=None) -> None:
    """Print :func:`format_table` with ``rich``."""

    from gmmsym.io import table_console

    (console or table_console()).print(format_table(rows, title=title))
