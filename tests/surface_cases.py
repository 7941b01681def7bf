"""The table of the public-surface property test (tests/test_surface.py, benchmarks/reliability.py).

Each :class:`Row` is one argument of one public function: a good call (keyword arguments), the
argument replaced, a Hypothesis strategy of hostile values for it, and a check of a successful
result.  :func:`run_case` classifies one call:

* ``OK``      -- it succeeded and the result passed the check;
* ``CLEAN``   -- it raised :class:`~gmmsym.errors.InputError` naming the argument;
* ``UNNAMED`` -- it raised ``InputError`` whose message does not name the argument;
* ``CRASH``   -- it raised anything else (a numpy/Fraction/sqlite message, a bug);
* ``WRONG``   -- it succeeded with a result that fails the check (NaN, out of range).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import gmmsym
from gmmsym import strategies as gst
from gmmsym.errors import InputError
from gmmsym.outcomes import LABELS
from gmmsym.outcomes import dist as _outcome_dist


class Outcome:
    OK, CLEAN, UNNAMED, CRASH, WRONG = "ok", "clean error", "unnamed error", "crash", "wrong result"

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail


@dataclass(frozen=True)
class Row:
    func: str  # dotted name under gmmsym, for reports
    call: Callable[..., Any]
    arg: str
    good: Any
    kwargs: dict = field(default_factory=dict)  # the other (good) arguments
    bad: SearchStrategy = None  # type: ignore[assignment]
    check: Callable[..., bool] = lambda r: True  # check(result) or, with takes_kwargs, check(result, kwargs)
    takes_kwargs: bool = False
    names: tuple[str, ...] = ()  # accepted names in the message (default: arg)

    @property
    def id(self) -> str:
        return f"{self.func}.{self.arg}"


# ----------------------------------------------------------------------------------------------
# hostile values
# ----------------------------------------------------------------------------------------------

_SCALARS = [
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    np.True_,
    1j,
    np.complex128(1),
    "x",
    "0.1",
    "",
    b"ab",
    None,
    object(),
    10**400,
    -(10**400),
    -1,
    0,
    np.float32("nan"),
    np.datetime64("2020-01-01"),
    np.timedelta64(1, "s"),  # a numbers.Integral to Python, but float() refuses it
]
_ARRAYS = [
    [],
    [[1.0], [1.0, 2.0]],
    [[0.0, 1.0], [2.0]],
    [1.0, [2.0]],
    np.array([1, 2], dtype="timedelta64[s]"),
    np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
    np.array([True, False]),
    np.array([True, False, True, False]),
    np.array([1 + 1j, 0]),
    np.array(["a", "b"]),
    np.array([b"a", b"b"]),
    np.array([object(), object()]),
    np.zeros((2, 3)),
    np.zeros(7),
    np.zeros((0, 2)),
    np.zeros(()),
    [math.nan, 0.0],
    [0.0, math.inf],
    [1e308, -1e308],
    [1e17, 0.0],
    [1e6, -1e6],
    [3.0, 2.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, math.nan],
    [math.inf, math.inf, -math.inf, -math.inf],
    ["0", "1"],
    [None, 0.0],
    [1j, 0.0],
    (0.0, 1.0),
]


def _iterators(n: int) -> SearchStrategy:
    return st.lists(st.floats(-3, 3), min_size=n, max_size=n).map(iter)


def arrays_bad(width: int) -> SearchStrategy:
    """Hostile array-likes for an argument of shape ``(..., width)``."""
    return st.one_of(
        st.sampled_from(_SCALARS + _ARRAYS),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=2 * width),
        st.lists(st.floats(-10, 10), min_size=width, max_size=width),
        st.lists(st.lists(st.floats(-5, 5), min_size=width - 1, max_size=width + 1), min_size=1, max_size=3),
        _iterators(width),
        st.integers(-(10**20), 10**20),
    )


def models_bad() -> SearchStrategy:
    """Hostile ``model=`` values: anything but a ModelSpec (its spelling, None, numbers, ...)."""
    spellings = ["K=3", "K=3,M=3,weights=1/4:1/4:1/2,sigma=1", "paper", "", b"K=3"]
    others = [None, 3, 2.5, math.nan, True, {"K": 3}, (3, 3), object(), np.float64(1), gmmsym.ModelSpec]
    return st.one_of(st.sampled_from(spellings + others), st.text(max_size=4))


def scalars_bad(*extra: Any, ints: bool = True) -> SearchStrategy:
    """Hostile scalars; ``ints=False`` keeps integers small (for sizes that set the run time)."""
    base = [st.sampled_from(_SCALARS + list(extra)), st.floats(), st.text(max_size=3)]
    base.append(st.integers(-(10**30), 10**30) if ints else st.integers(-5, 5))
    return st.one_of(*base)


# ----------------------------------------------------------------------------------------------
# result checks
# ----------------------------------------------------------------------------------------------


def _finite(r: Any) -> bool:
    if isinstance(r, tuple):
        return all(_finite(x) for x in r)
    if isinstance(r, mpmath.mpf):
        return bool(mpmath.isfinite(r))
    return bool(np.isfinite(np.asarray(r, dtype=np.float64)).all())


def _ell_star(r: Any) -> bool:
    ell, n = r
    ell, n = np.asarray(ell, dtype=float), np.asarray(n)
    ok_n = np.isin(n, (-1, 1, 2, 3)).all()
    nan_iff = (np.isnan(ell).any(axis=-1) == (n == -1)).all()
    e = np.where(np.isnan(ell), 0.0, ell)
    return bool(ok_n and nan_iff and (e[..., 1:] >= e[..., :-1]).all())


def _ell_k3(r: Any) -> bool:
    """``(ell (..., 6), n)``: at most 2K - 1 = 5 crossings, NaN exactly where ``n == -1``, ordered."""
    ell, n = (np.asarray(v) for v in r)
    ok_n = np.isin(n, (-1, 1, 2, 3, 4, 5)).all() and ell.shape[-1] == 6
    e = np.where(np.isnan(ell), 0.0, ell)
    return bool(
        ok_n and (np.isnan(ell).any(axis=-1) == (n == -1)).all() and (e[..., 1:] >= e[..., :-1]).all()
    )


def _distance(r: Any) -> bool:
    """A distance: ``>= 0`` (NaN or inf only from non-finite means, which ``dist`` accepts)."""
    d = np.asarray(r, dtype=float)
    return bool((np.isnan(d) | (d >= 0)).all())


def _tv(r: Any) -> bool:
    t = np.asarray(r, dtype=float)
    return bool(np.isfinite(t).all() and (t >= -1e-15).all() and (t <= 1 + 1e-15).all())


def _pairs_of(kw: dict) -> list[tuple[list, list]]:
    mu, nu = np.broadcast_arrays(np.asarray(kw["mu"], dtype=float), np.asarray(kw["nu"], dtype=float))
    return [(list(m), list(n)) for m, n in zip(mu.reshape(-1, 2)[:8], nu.reshape(-1, 2)[:8])]


def _tv_ref(r: Any, kw: dict) -> bool:
    """In range and equal (to 1e-12) to the 40-digit mpmath TV, row by row (first 8 rows)."""
    t = np.asarray(r, dtype=float).reshape(-1)
    return _tv(r) and all(
        abs(t[i] - float(gmmsym.mp.tv_distance(m, n, dps=40))) <= 1e-12
        for i, (m, n) in enumerate(_pairs_of(kw))
    )


def _ell_star_ref(r: Any, kw: dict) -> bool:
    """Valid encoding and the crossing count of the 40-digit mpmath discriminator (first 8 rows)."""
    n = np.asarray(r[1]).reshape(-1)
    return _ell_star(r) and all(
        n[i] == gmmsym.mp.optimal_discriminator(m, v, dps=40)[1] for i, (m, v) in enumerate(_pairs_of(kw))
    )


def _mp_ell_star(r: Any) -> bool:
    ell, n = r
    return _ell_star((np.array([float(x) for x in ell]), np.array(n)))


def _ordered(r: Any) -> bool:
    r = np.asarray(r)
    return bool(not np.isnan(r).any() and (r[..., 1:] >= r[..., :-1]).all())


def _labels(r: Any) -> bool:
    return bool(np.isin(np.asarray(r.label), LABELS).all())


def _strategy(r: Any) -> bool:
    return isinstance(r, SearchStrategy)


def _spec(r: Any) -> bool:
    return isinstance(r.tag, str) and r.tag.startswith(f"k{r.K}m{r.M}")


# ----------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------

MU, NU, ELL = [0.3, -1.2], [-0.5, 0.5], [-1.0, 0.0, 0.5, 2.0]


MU3, NU3, ELL6 = [0.3, -1.2, 1.0], [-0.5, 0.5, 1.5], [-1.0, 0.0, 0.5, 2.0, 2.5, 3.0]
K3M3 = gmmsym.ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")


def _model_rows(add: Callable[..., None], model: Any, mu: list, nu: list, ell: list, refs: bool) -> None:
    """The float64 ``model=`` functions on ``model`` (``refs``: the paper's 40-digit mpmath checks)."""
    tag = "" if model == gmmsym.PAPER else f"[K={model.K}]"
    w = {"mu": model.K, "nu": model.K, "ell": 2 * model.M}
    m = {"model": model}
    k = {"mu": mu, "ell": ell, "nu": nu, **m}
    pair = {"mu": mu, "nu": nu, **m}
    for f in ("objective", "advantage", "gradients"):
        add(f + tag, getattr(gmmsym, f), k, _finite, widths=w)
    add("density_gap" + tag, gmmsym.density_gap, {"x": 0.3, **pair}, _finite, widths=w)
    ell_check, tv_check = (_ell_star_ref, _tv_ref) if refs else (_ell_k3, _tv)
    add(
        "optimal_discriminator" + tag,
        gmmsym.optimal_discriminator,
        pair,
        ell_check,
        takes_kwargs=refs,
        widths=w,
    )
    add("tv_distance" + tag, gmmsym.tv_distance, pair, tv_check, takes_kwargs=refs, widths=w)
    add("tv_gradient" + tag, gmmsym.tv_gradient, pair, _finite, widths=w)
    unordered = [0.5, -1.0, 2.0, 1.0, 4.0, 3.0][: 2 * model.M]
    add("project_ell" + tag, gmmsym.project_ell, {"ell": unordered, **m}, _ordered, widths=w)
    add("classify" + tag, gmmsym.classify, {**k, "tol": 0.1}, _labels, {"tol": scalars_bad()}, widths=w)
    add("dist" + tag, _outcome_dist, pair, _distance, widths=w)


def _rows() -> list[Row]:
    rows: list[Row] = []

    def add(func, call, good_kwargs, check, bads=None, names=None, takes_kwargs=False, widths=None):
        for arg, good in good_kwargs.items():
            bad = (bads or {}).get(arg)
            if arg == "model" and bad is None:
                bad = models_bad()
            if bad is None:
                width = (widths or {"mu": 2, "nu": 2, "mu0": 2, "ell": 4, "ell0": 4}).get(arg, 1)
                bad = arrays_bad(width)
            others = {k: v for k, v in good_kwargs.items() if k != arg}
            names_ = (names or {}).get(arg, (arg,))
            rows.append(
                Row(func, call, arg, good, others, bad, check, names=names_, takes_kwargs=takes_kwargs)
            )

    _model_rows(add, gmmsym.PAPER, MU, NU, ELL, refs=True)
    _model_rows(add, K3M3, MU3, NU3, ELL6, refs=False)
    k = {"mu": MU, "ell": ELL, "nu": NU}
    sim = {
        "nu": NU,
        "mu0": MU,
        "ell0": ELL,
        "dynamics": "simultaneous",
        "eta": 0.1,
        "eta_d": 0.1,
        "k": 1,
        "steps": 3,
        "precision": "float64",
        "record_every": 1,
        "seed": 0,
        "tol": 0.1,
    }
    small = scalars_bad(ints=False)
    add(
        "simulate",
        gmmsym.simulate,
        sim,
        _labels,
        {
            "dynamics": scalars_bad("pool", "OPTIMAL"),
            "eta": scalars_bad(),
            "eta_d": scalars_bad(),
            "k": small,
            "steps": small,
            "precision": scalars_bad("float32", 10**9, 5, 15.5, "50", ints=False),
            "record_every": scalars_bad(),
            "seed": scalars_bad(np.random.default_rng(0)),
            "tol": scalars_bad(),
        },
        {"precision": ("precision",)},
    )
    dps_bad = scalars_bad(10**9, 1001, 14, 15.5, "50", ints=False)
    for f in ("objective", "advantage", "gradients"):
        add(f"mp.{f}", getattr(gmmsym.mp, f), {**k, "dps": 20}, _finite, {"dps": dps_bad})
    add(
        "mp.density_gap",
        gmmsym.mp.density_gap,
        {"x": 0.3, "mu": MU, "nu": NU, "dps": 20},
        _finite,
        {"x": scalars_bad(), "dps": dps_bad},
    )
    add(
        "mp.optimal_discriminator",
        gmmsym.mp.optimal_discriminator,
        {"mu": MU, "nu": NU, "dps": 20},
        _mp_ell_star,
        {"dps": dps_bad},
    )
    add("mp.tv_distance", gmmsym.mp.tv_distance, {"mu": MU, "nu": NU, "dps": 20}, _tv, {"dps": dps_bad})
    add("mp.tv_gradient", gmmsym.mp.tv_gradient, {"mu": MU, "nu": NU, "dps": 20}, _finite, {"dps": dps_bad})
    _strategy_rows(add)
    add(
        "ModelSpec",
        gmmsym.ModelSpec,
        {"K": 2, "M": 2, "weights": (0.5, 0.5), "sigma": 1},
        _spec,
        {
            "K": scalars_bad(),
            "M": scalars_bad(),
            "sigma": scalars_bad("1/0", "abc", "1e-400"),
            "weights": st.one_of(
                arrays_bad(2), st.sampled_from([("1/0", 1), ("abc", 0.5), (0.3, 0.3), (2, -1)])
            ),
        },
    )
    _experiment_rows(add)
    return rows


def _strategy_rows(add) -> None:
    num = scalars_bad()
    box = {"low": -3.0, "high": 3.0, "min_separation": 0.1}
    bads = {
        k: num
        for k in (
            "low",
            "high",
            "min_separation",
            "min_distance",
            "box",
            "ell_box",
            "nu_separation",
            "mu_separation",
        )
    }
    bads.update(
        {
            "allow_infinite": scalars_bad("yes", 1),
            "collapsed": st.one_of(
                scalars_bad("yes"), st.sampled_from([(True, "yes"), (1, 0), (True,), [None, None]])
            ),
            "min_size": scalars_bad(10**9, ints=False),
            "max_size": scalars_bad(10**9, ints=False),
            "nu": arrays_bad(2),
            "elements": scalars_bad(st.floats()),
        }
    )
    for f in ("means", "true_means"):
        add(f"strategies.{f}", getattr(gst, f), box, _strategy, bads)
    add(
        "strategies.generator_means",
        gst.generator_means,
        {**box, "nu": (0.0, 1.0), "min_distance": 0.5},
        _strategy,
        bads,
    )
    disc = {"low": -6.0, "high": 6.0, "allow_infinite": True, "collapsed": None}
    add("strategies.discriminators", gst.discriminators, disc, _strategy, bads)
    add(
        "strategies.batches",
        gst.batches,
        {"elements": gst.means(), "min_size": 1, "max_size": 4},
        _strategy,
        bads,
    )
    add("strategies.mean_batches", gst.mean_batches, {**box, "min_size": 1, "max_size": 4}, _strategy, bads)
    add(
        "strategies.discriminator_batches",
        gst.discriminator_batches,
        {**disc, "min_size": 1, "max_size": 4},
        _strategy,
        bads,
    )
    states = {
        "box": 3.0,
        "nu_separation": 0.1,
        "mu_separation": 0.0,
        "ell_box": 6.0,
        "allow_infinite": True,
        "collapsed": None,
        "min_size": 1,
        "max_size": 4,
    }
    add("strategies.states", gst.states, states, _strategy, bads)


def _cell(**kw):
    from gmmsym.experiments.grid import Cell

    return Cell(**kw)


def _sweep(**kw):
    db = kw.pop("db")
    if db == "<tmp>":
        with tempfile.TemporaryDirectory() as d:
            return gmmsym.sweep(kw.pop("config_grid"), db=str(Path(d) / "s.db"), **kw)
    return gmmsym.sweep(kw.pop("config_grid"), db=db, **kw)


def _summary(r: Any) -> bool:
    return r is not None


def _experiment_rows(add) -> None:
    from gmmsym.experiments.grid import _GRID_KEYS, Cell

    cell = {
        "dynamics": "simultaneous",
        "eta": 0.1,
        "eta_d": None,
        "k": 1,
        "steps": 5,
        "nu": (-0.5, 0.5),
        "mu0": (0.0, 0.0),
        "tol": 0.1,
        "seed": 0,
        "runs": 2,
    }
    num = scalars_bad()
    add(
        "experiments.Cell",
        _cell,
        cell,
        lambda c: isinstance(c, Cell) and len(c.hash) == 16,
        {
            "dynamics": scalars_bad("pool"),
            "eta": num,
            "eta_d": num,
            "k": num,
            "steps": num,
            "tol": num,
            "seed": num,
            "runs": num,
            "nu": arrays_bad(2),
            "mu0": arrays_bad(2),
        },
    )
    grid = {"steps": 2, "runs": 1, "mu0": [(0.0, 0.0)]}
    sw = {
        "config_grid": grid,
        "db": "<tmp>",
        "executor": None,
        "workers": 1,
        "chunk_size": None,
        "progress": False,
        "engine": None,
        "description": "sweep",
    }
    add(
        "sweep",
        _sweep,
        sw,
        _summary,
        {
            "config_grid": st.sampled_from(
                [
                    {"mu_grid": [0, 1, 0]},
                    {"mu_grid": [0, 1]},
                    {"eta": "0.1"},
                    {"eta": True},
                    {"nu": "ab"},
                    {"tol": "0.1"},
                    {"bogus": 1},
                    [1, 2],
                    {"mu0": [(0, 0)], "steps": -1},
                    {"mu_grid": "abc"},
                ]
            ),
            "db": st.sampled_from([None, b"x.db", "", 3, "a\x00b"]),
            "executor": st.sampled_from(["pool", 1, object()]),
            "workers": scalars_bad(10**6, ints=False),
            "chunk_size": scalars_bad(10**12, ints=False),
            "progress": scalars_bad("yes"),
            "engine": st.sampled_from(["x", 1, object()]),
            "description": st.sampled_from([1, None, b"x"]),
        },
        {"config_grid": ("config_grid", *_GRID_KEYS)},
    )


ROWS: list[Row] = _rows()


def run_case(row: Row, value: Any) -> Outcome:
    """Call ``row.call`` with ``row.arg = value`` and the other arguments good; classify the outcome."""
    kwargs = {**row.kwargs, row.arg: value}
    try:
        result = row.call(**kwargs)
    except InputError as exc:
        msg = str(exc)
        if any(n in msg for n in row.names) and "\n" not in msg:
            return Outcome(Outcome.CLEAN, msg)
        return Outcome(Outcome.UNNAMED, f"{row.id}={value!r:.60}: InputError not naming {row.names}: {msg}")
    except Exception as exc:  # noqa: BLE001 -- any other exception is the finding
        return Outcome(Outcome.CRASH, f"{row.id}={value!r:.60}: {type(exc).__name__}: {exc}")
    try:
        ok = row.check(result, kwargs) if row.takes_kwargs else row.check(result)
    except Exception as exc:  # noqa: BLE001
        ok, exc_text = False, f"{type(exc).__name__}: {exc}"
    else:
        exc_text = ""
    if ok:
        return Outcome(Outcome.OK)
    return Outcome(
        Outcome.WRONG, f"{row.id}={value!r:.60}: result failed its check {exc_text}: {result!r:.200}"
    )
