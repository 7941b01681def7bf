"""The grid of a sweep: cells, their expansion from a mapping, and the seeded initialisations.

A sweep runs a grid of *cells*.  A cell (:class:`Cell`) fixes the dynamics and its parameters
(``dynamics, eta, eta_d, k, steps, tol``), the true means ``nu``, one initial generator ``mu0``,
a base ``seed`` and the number ``runs`` of discriminator initialisations; run ``i`` of a cell
starts from ``(mu0, ell0_i)``.

Discriminator initialisation **[choice]**: ``ell0_i`` = ``2M`` (four for the paper's model)
i.i.d. uniform draws on ``[-2, 2]``, sorted (docs/model.md section 6), seeded per run with the
engine's own convention: ``ell0_i = gmmsym.dynamics.draw_ell0(seed, [i], model=model)``, i.e.
``sort(default_rng([seed, i]).uniform(-2, 2, 2M))``.

Model: every cell carries its :class:`~gmmsym.model.spec.ModelSpec` (default the paper's); ``nu``
and ``mu0`` have ``K`` entries.  A cell of another model has ``"model": model.text()`` in its
configuration (so in its hash); the paper's cells keep the configuration, and so the hash, of
earlier releases.
The cell seed ``seed`` (``Cell.init_seed``, stored in the ``seed`` column of every run) is
derived by ``numpy.random.SeedSequence`` from the base seed and ``(nu, mu0)``.  Hence a run's
initial state depends only on ``(seed, nu, mu0, i)``: not on the chunk size, on the chunk the
run lands in, on the order of execution or on the number of runs of the cell (cost: ~55 us per
run, in the workers).  The same ``(seed, nu, mu0)``
gives the same discriminators for every dynamics (paired comparison).  Optimal-discriminator
dynamics ignore ``ell0`` and are deterministic, so an ``optimal`` cell always has one run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from gmmsym.dynamics.engine import DYNAMICS
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import check_choice, check_int, check_positive, check_real, show

__all__ = [
    "Cell",
    "expand_grid",
    "mu_grid",
    "initial_discriminators",
    "ALL_DYNAMICS",
    "FIRST_ORDER",
    "USES_K",
    "Engine",
]

#: Dynamics accepted by sweeps (the dynamics contract's ``DYNAMICS``).
ALL_DYNAMICS: tuple[str, ...] = DYNAMICS  # the one list, gmmsym.dynamics.DYNAMICS
#: Dynamics with a first-order discriminator (random initialisation, several runs per cell).
FIRST_ORDER: tuple[str, ...] = tuple(d for d in ALL_DYNAMICS if d != "optimal")
#: Dynamics that use ``k`` (discriminator steps per generator step); for the others ``k = 1``.
USES_K: tuple[str, ...] = ("alternating",)
_SCHEMA_TAG = "gmmsym-sweep/1"

Engine = Callable[..., Any]


def _f(x: object, name: str) -> float:
    """A finite Python float, with -0.0 normalised to 0.0 (stable hashes); ``'0.1'``/``True`` refused."""
    return check_real(name, x)


def _pair(x: object, name: str, K: int = 2) -> tuple[float, ...]:
    """``K`` finite floats (a pair for the paper's model)."""
    what = "a pair of numbers" if K == 2 else f"K={K} numbers"
    if isinstance(x, (str, bytes, bytearray)) or not isinstance(x, Iterable):
        raise InputError(f"{name} must be {what}, got {show(x)}")
    items = list(x)
    if len(items) != K:
        raise InputError(f"{name} must be {what}, got {show(x)}")
    return tuple(_f(a, name) for a in items)


def _init_tag(model: ModelSpec) -> str:
    n = 2 * model.M
    return f"draw_ell0(init_seed, [run]): sort(default_rng([init_seed, run]).uniform(-2, 2, {n}))"


@dataclass(frozen=True)
class Cell:
    """One grid cell: dynamics, parameters, truth, initial means, seed and number of runs.

    Parameters
    ----------
    dynamics : str
        One of :data:`ALL_DYNAMICS`.
    eta : float
        Generator step size (``> 0``).
    eta_d : float or None
        Discriminator step size; ``None`` means ``eta`` (normalised to ``eta``).  Irrelevant
        (stored as ``None``) for ``optimal``.
    k : int
        Discriminator steps per generator step (``alternating`` only; ``1`` otherwise).
    steps : int
        Generator steps.
    nu, mu0 : tuple of K floats
        True means and initial generator means.
    tol : float
        Tolerance of the outcome labels (docs/model.md section 5).
    seed : int
        Base seed of the discriminator initialisation (``>= 0``).
    runs : int
        Discriminator initialisations (runs) of this cell; ``1`` for ``optimal``.
    model : ModelSpec
        The model (default :data:`~gmmsym.PAPER`).
    """

    dynamics: str
    eta: float = 0.1
    eta_d: float | None = None
    k: int = 1
    steps: int = 3000
    nu: tuple[float, float] = (-0.5, 0.5)
    mu0: tuple[float, float] = (0.0, 0.0)
    tol: float = 0.1
    seed: int = 0
    runs: int = 1
    model: ModelSpec = PAPER

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        K = check_model(self.model).K
        dyn = check_choice("dynamics", self.dynamics, ALL_DYNAMICS)
        set_(self, "dynamics", dyn)
        set_(self, "eta", check_positive("eta", _f(self.eta, "eta")) + 0.0)
        if dyn == "optimal":
            set_(self, "eta_d", None)
        else:
            eta_d = self.eta if self.eta_d is None else check_positive("eta_d", _f(self.eta_d, "eta_d"))
            set_(self, "eta_d", float(eta_d) + 0.0)
        k = check_int("k", self.k, minimum=1)
        set_(self, "k", k if dyn in USES_K else 1)
        set_(self, "steps", check_int("steps", self.steps, minimum=0))
        set_(self, "nu", _pair(self.nu, "nu", K))
        set_(self, "mu0", _pair(self.mu0, "mu0", K))
        set_(self, "tol", check_positive("tol", _f(self.tol, "tol")) + 0.0)
        set_(self, "seed", check_int("seed", self.seed, minimum=0))
        runs = check_int("runs", self.runs, minimum=1)
        set_(self, "runs", 1 if dyn == "optimal" else runs)

    def config(self) -> dict[str, Any]:
        """The canonical configuration (everything but ``runs``), JSON-serialisable.

        ``model`` (its ``text()``) only for a model other than the paper's (module docstring).
        """
        config = {
            "schema": _SCHEMA_TAG,
            **self.engine,
            "nu": list(self.nu),
            "mu0": list(self.mu0),
            "seed": self.seed,
            "init": _init_tag(self.model),
            "precision": "float64",
        }
        if self.model == PAPER:
            del config["model"]
        return config

    @cached_property
    def config_json(self) -> str:
        """Canonical JSON of :meth:`config` (sorted keys, exact float repr)."""
        return json.dumps(self.config(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    @cached_property
    def hash(self) -> str:
        """Configuration hash: first 16 hex digits of SHA-256 of :attr:`config_json`."""
        return hashlib.sha256(self.config_json.encode()).hexdigest()[:16]

    @cached_property
    def init_seed(self) -> int:
        """Seed (63-bit) of this cell's discriminator initialisations (see module docstring)."""
        key = json.dumps({"nu": list(self.nu), "mu0": list(self.mu0)}, sort_keys=True).encode()
        words = np.frombuffer(hashlib.sha256(key).digest()[:16], dtype="<u4").tolist()
        state = np.random.SeedSequence([self.seed, *words]).generate_state(1, np.uint64)
        return int(state[0] >> np.uint64(1))

    @property
    def engine(self) -> dict[str, Any]:
        """Parameters shared by every row of a chunk (one ``simulate`` call), ``model`` as text."""
        return {
            "dynamics": self.dynamics,
            "eta": self.eta,
            "eta_d": self.eta_d,
            "k": self.k,
            "steps": self.steps,
            "tol": self.tol,
            "model": self.model.text(),
        }


def initial_discriminators(init_seed: int, start: int, stop: int, *, model: ModelSpec = PAPER) -> np.ndarray:
    """Initial discriminators of runs ``start .. stop - 1`` of a cell, shape ``(stop - start, 2M)``.

    Run ``i`` gets ``gmmsym.dynamics.draw_ell0(init_seed, [i], model=model)``: ``2M`` uniforms on
    ``[-2, 2]`` (docs/model.md section 6) from ``numpy.random.default_rng([init_seed, i])``, sorted.
    Any sub-range gives the same rows as the corresponding slice of the full range.
    """
    from gmmsym.dynamics import draw_ell0

    start = check_int("start", start, minimum=0)
    stop = check_int("stop", stop, minimum=start)
    return draw_ell0(init_seed, np.arange(start, stop), model=model)


def mu_grid(lo: float = -1.0, hi: float = 1.0, n: int = 10) -> list[tuple[float, float]]:
    """Initial means on ``linspace(lo, hi, n) x linspace(lo, hi, n)``, ``mu1`` varying slowest."""
    axis = np.linspace(_f(lo, "lo"), _f(hi, "hi"), check_int("n", n, minimum=1))
    return [(float(a), float(b)) for a in axis for b in axis]


def _mu_grid_axis(spec: Any) -> list[tuple[float, float]]:
    """The ``mu_grid = [lo, hi, n]`` axis of a grid mapping; errors name ``mu_grid``."""
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Iterable):
        raise InputError(f"mu_grid must be [lo, hi, n], got {show(spec)}")
    spec = list(spec)
    if len(spec) != 3:
        raise InputError(f"mu_grid must be [lo, hi, n], got {show(spec)}")
    lo, hi = _f(spec[0], "mu_grid[0] (lo)"), _f(spec[1], "mu_grid[1] (hi)")
    n = check_int("mu_grid[2] (n)", spec[2], minimum=1, maximum=10_000)
    return mu_grid(lo, hi, n)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _pairs(value: Any, name: str, K: int = 2) -> list[tuple[float, ...]]:
    """One point (``K`` numbers) or a list of points."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InputError(f"{name} must be a point of K={K} numbers or a list of points, got {show(value)}")
    items = list(value)
    if len(items) == K and all(np.ndim(x) == 0 for x in items):
        return [_pair(items, name, K)]
    return [_pair(x, name, K) for x in items]


_GRID_KEYS = frozenset(
    {"dynamics", "eta", "eta_d", "k", "steps", "nu", "mu0", "mu_grid", "runs", "seed", "seeds", "tol"}
)


def expand_grid(config_grid: Mapping[str, Any] | Iterable[Cell], *, model: ModelSpec = PAPER) -> list[Cell]:
    """The cells of a grid, deduplicated, in a deterministic order.

    Parameters
    ----------
    config_grid : mapping or iterable of Cell
        Either cells, or a mapping of axes (a scalar or a list each):
        ``dynamics``, ``eta``, ``eta_d`` (``None`` = ``eta``), ``k``, ``steps``, ``nu``
        (a pair or a list of pairs), ``mu0`` (a pair or a list of pairs) or ``mu_grid``
        (``[lo, hi, n]``: the ``n x n`` product grid of :func:`mu_grid`), ``seed`` (or
        ``seeds``), and the scalars ``runs`` (discriminator initialisations per cell) and ``tol``.
        Defaults: Figure 2 (docs/model.md section 6) with ``dynamics="simultaneous"``, 100 runs.
        For a model with ``K != 2``, ``nu`` and ``mu0`` (``K`` numbers each) are required.
    model : ModelSpec
        The model of every cell (default :data:`~gmmsym.PAPER`); given cells must have it.

    Returns
    -------
    list of Cell
        The product of the axes (order: dynamics, k, eta, eta_d, steps, nu, seed, mu0), after
        normalisation (``k = 1`` for dynamics without ``k``, ``eta_d = eta`` when ``None``,
        one run for ``optimal``), without duplicates.
    """
    model = check_model(model)
    if isinstance(config_grid, Mapping):
        unknown = set(config_grid) - _GRID_KEYS
        if unknown:
            raise InputError(f"config_grid: unknown keys {sorted(unknown)}; known: {sorted(_GRID_KEYS)}")
        g = dict(config_grid)
        if "mu0" in g and "mu_grid" in g:
            raise InputError("config_grid: give mu0 or mu_grid, not both")
        if "seed" in g and "seeds" in g:
            raise InputError("config_grid: give seed or seeds, not both")
        if model.K != 2 and not {"mu0", "nu"} <= set(g):
            raise InputError(
                f"config_grid: give nu and mu0 (K={model.K} numbers each) for the model {model.text()}"
            )
        if "mu0" in g:
            mu0s = _pairs(g["mu0"], "mu0", model.K)
        else:
            mu0s = _mu_grid_axis(g.get("mu_grid", (-1.0, 1.0, 10)))
        nus = _pairs(g.get("nu", (-0.5, 0.5)), "nu", model.K)
        runs = g.get("runs", 100)
        tol = g.get("tol", 0.1)
        cells: Iterable[Cell] = (
            Cell(
                dynamics=d,
                eta=e,
                eta_d=ed,
                k=k,
                steps=s,
                nu=nu,
                mu0=m,
                tol=tol,
                seed=sd,
                runs=runs,
                model=model,
            )
            for d, k, e, ed, s, nu, sd, m in itertools.product(
                _as_list(g.get("dynamics", "simultaneous")),
                _as_list(g.get("k", 1)),
                _as_list(g.get("eta", 0.1)),
                _as_list(g.get("eta_d", None)),
                _as_list(g.get("steps", 3000)),
                nus,
                _as_list(g.get("seeds", g.get("seed", 0))),
                mu0s,
            )
        )
    else:
        cells = list(config_grid)
        for c in cells:
            if not isinstance(c, Cell):
                raise InputError(f"config_grid: expected a mapping or Cell objects, got {type(c).__name__}")
            if c.model != model:
                raise InputError(f"model: a cell has the model {c.model.text()}, not {model.text()}")
    out: dict[str, Cell] = {}
    for c in cells:
        prev = out.get(c.hash)
        if prev is None or c.runs > prev.runs:
            out[c.hash] = c if prev is None else replace(prev, runs=c.runs)
    return list(out.values())
