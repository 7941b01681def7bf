"""Resumable, chunked, parallel sweeps of the float64 dynamics into SQLite.

A sweep runs a grid of *cells*.  A cell (:class:`Cell`) fixes the dynamics and its parameters
(``dynamics, eta, eta_d, k, steps, tol``), the true means ``nu``, one initial generator ``mu0``,
a base ``seed`` and the number ``runs`` of discriminator initialisations; run ``i`` of a cell
starts from ``(mu0, ell0_i)``.

Discriminator initialisation **[choice]**: ``ell0_i`` = four i.i.d. uniform draws on
``[-2, 2]``, sorted (MODEL.md section 6), seeded per run with the engine's own convention:
``ell0_i = gmmsym.dynamics.draw_ell0(seed, [i])``, i.e. ``sort(default_rng([seed, i]).uniform(-2, 2, 4))``.
The cell seed ``seed`` (``Cell.init_seed``, stored in the ``seed`` column of every run) is
derived by ``numpy.random.SeedSequence`` from the base seed and ``(nu, mu0)``.  Hence a run's
initial state depends only on ``(seed, nu, mu0, i)``: not on the chunk size, on the chunk the
run lands in, on the order of execution or on the number of runs of the cell (cost: ~55 us per
run, in the workers).  The same ``(seed, nu, mu0)``
gives the same discriminators for every dynamics (paired comparison).  Optimal-discriminator
dynamics ignore ``ell0`` and are deterministic, so an ``optimal`` cell always has one run.

Every row of a batch evolves independently (design.md, dynamics contract), so a run's final
state does not depend on which rows share its chunk: a sweep's results are identical whatever
the chunk size, the number of workers, the executor or interruptions.

Storage (:mod:`gmmsym.experiments.store`): one row per run keyed by ``(config_hash, run)``;
``config_hash`` is a SHA-256 prefix of the cell's canonical JSON without ``runs``.  Re-running
a sweep computes only the missing keys; raising ``runs`` later adds runs ``old .. new - 1``.
Chunks hold rows of one engine setting (same dynamics and parameters) and are committed one
transaction each by the parent process; workers only compute.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from gmmsym.dynamics.engine import DYNAMICS
from gmmsym.errors import InputError
from gmmsym.experiments.store import RunStore
from gmmsym.model.validate import check_choice, check_int, check_positive

__all__ = [
    "Cell",
    "SweepSummary",
    "expand_grid",
    "mu_grid",
    "initial_discriminators",
    "sweep",
    "execute",
    "ALL_DYNAMICS",
    "FIRST_ORDER",
    "USES_K",
    "dynamics_name",
    "cells_by_dynamics",
    "DEFAULT_CHUNK_SIZE",
    "chunk_cost",
]

#: Dynamics accepted by sweeps (the dynamics contract's ``DYNAMICS``).
ALL_DYNAMICS: tuple[str, ...] = DYNAMICS  # the one list, gmmsym.dynamics.DYNAMICS
#: Dynamics with a first-order discriminator (random initialisation, several runs per cell).
FIRST_ORDER: tuple[str, ...] = tuple(d for d in ALL_DYNAMICS if d != "optimal")
#: Dynamics that use ``k`` (discriminator steps per generator step); for the others ``k = 1``.
USES_K: tuple[str, ...] = ("alternating",)
#: Largest number of rows of one chunk (one batched ``simulate`` call).
DEFAULT_CHUNK_SIZE = 10_000
#: Smallest automatic chunk: below this the per-step Python overhead dominates.
MIN_AUTO_CHUNK = 2_000
_SCHEMA_TAG = "gmmsym-sweep/1"
_INIT_TAG = "draw_ell0(init_seed, [run]): sort(default_rng([init_seed, run]).uniform(-2, 2, 4))"

Engine = Callable[..., Any]


def _f(x: object, name: str) -> float:
    """A finite Python float, with -0.0 normalised to 0.0 (stable hashes)."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a real number, got {x!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name} must be finite, got {v}")
    return v + 0.0


def _pair(x: object, name: str) -> tuple[float, float]:
    try:
        a, b = x  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a pair of numbers, got {x!r}") from None
    return (_f(a, name), _f(b, name))


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
    nu, mu0 : pair of float
        True means and initial generator means.
    tol : float
        Tolerance of the outcome labels (MODEL.md section 5).
    seed : int
        Base seed of the discriminator initialisation (``>= 0``).
    runs : int
        Discriminator initialisations (runs) of this cell; ``1`` for ``optimal``.
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

    def __post_init__(self) -> None:
        set_ = object.__setattr__
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
        set_(self, "nu", _pair(self.nu, "nu"))
        set_(self, "mu0", _pair(self.mu0, "mu0"))
        set_(self, "tol", check_positive("tol", _f(self.tol, "tol")) + 0.0)
        set_(self, "seed", check_int("seed", self.seed, minimum=0))
        runs = check_int("runs", self.runs, minimum=1)
        set_(self, "runs", 1 if dyn == "optimal" else runs)

    def config(self) -> dict[str, Any]:
        """The canonical configuration (everything but ``runs``), JSON-serialisable."""
        return {
            "schema": _SCHEMA_TAG,
            "dynamics": self.dynamics,
            "eta": self.eta,
            "eta_d": self.eta_d,
            "k": self.k,
            "steps": self.steps,
            "tol": self.tol,
            "nu": list(self.nu),
            "mu0": list(self.mu0),
            "seed": self.seed,
            "init": _INIT_TAG,
            "precision": "float64",
        }

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
        """Parameters shared by every row of a chunk (one ``simulate`` call)."""
        return {
            "dynamics": self.dynamics,
            "eta": self.eta,
            "eta_d": self.eta_d,
            "k": self.k,
            "steps": self.steps,
            "tol": self.tol,
        }

    @property
    def cost_per_run(self) -> float:
        """Marginal compute cost of one run (units of :func:`chunk_cost`)."""
        return chunk_cost(self.engine, 1) - chunk_cost(self.engine, 0)


#: Scheduling cost model, in units of one float64 gradient evaluation of one row (~250 ns on the
#: reference machine): a batched call costs about as much as this many extra rows.
CALL_OVERHEAD_ROWS = 1000.0
#: Optimal-discriminator step: cost per row and per call (root isolation), same units.
OPTIMAL_ROW_COST, OPTIMAL_CALL_COST = 40.0, 10_000.0


def chunk_cost(engine: Mapping[str, Any], rows: int) -> float:
    """Estimated compute cost of ``rows`` runs in one ``simulate`` call (scheduling and ETA only).

    ``steps * evaluations * (rows + CALL_OVERHEAD_ROWS)`` for first-order dynamics
    (``evaluations`` = gradient evaluations per step: ``k + 1`` for alternating) and
    ``steps * (OPTIMAL_ROW_COST * rows + OPTIMAL_CALL_COST)`` for ``optimal``; measured on
    the reference machine (2 cores, no AVX-512), accurate to a factor of about 2.
    """
    from gmmsym.dynamics import gradient_evaluations

    steps = max(int(engine["steps"]), 1)
    if engine["dynamics"] == "optimal":
        return steps * (OPTIMAL_ROW_COST * rows + OPTIMAL_CALL_COST)
    return steps * gradient_evaluations(engine["dynamics"], int(engine["k"])) * (rows + CALL_OVERHEAD_ROWS)


def initial_discriminators(init_seed: int, start: int, stop: int) -> np.ndarray:
    """Initial discriminators of runs ``start .. stop - 1`` of a cell, shape ``(stop - start, 4)``.

    Run ``i`` gets ``gmmsym.dynamics.draw_ell0(init_seed, [i])``: four uniforms on
    ``[-2, 2]`` (MODEL.md section 6) from ``numpy.random.default_rng([init_seed, i])``, sorted.  Any
    sub-range gives the same rows as the corresponding slice of the full range.
    """
    from gmmsym.dynamics import draw_ell0

    start = check_int("start", start, minimum=0)
    stop = check_int("stop", stop, minimum=start)
    return draw_ell0(init_seed, np.arange(start, stop))


def mu_grid(lo: float = -1.0, hi: float = 1.0, n: int = 10) -> list[tuple[float, float]]:
    """Initial means on ``linspace(lo, hi, n) x linspace(lo, hi, n)``, ``mu1`` varying slowest."""
    axis = np.linspace(_f(lo, "lo"), _f(hi, "hi"), check_int("n", n, minimum=1))
    return [(float(a), float(b)) for a in axis for b in axis]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _pairs(value: Any, name: str) -> list[tuple[float, float]]:
    items = list(value)
    if len(items) == 2 and all(np.ndim(x) == 0 for x in items):
        return [_pair(items, name)]
    return [_pair(x, name) for x in items]


_GRID_KEYS = frozenset(
    {"dynamics", "eta", "eta_d", "k", "steps", "nu", "mu0", "mu_grid", "runs", "seed", "seeds", "tol"}
)


def expand_grid(config_grid: Mapping[str, Any] | Iterable[Cell]) -> list[Cell]:
    """The cells of a grid, deduplicated, in a deterministic order.

    Parameters
    ----------
    config_grid : mapping or iterable of Cell
        Either cells, or a mapping of axes (a scalar or a list each):
        ``dynamics``, ``eta``, ``eta_d`` (``None`` = ``eta``), ``k``, ``steps``, ``nu``
        (a pair or a list of pairs), ``mu0`` (a pair or a list of pairs) or ``mu_grid``
        (``[lo, hi, n]``: the ``n x n`` product grid of :func:`mu_grid`), ``seed`` (or
        ``seeds``), and the scalars ``runs`` (discriminator initialisations per cell) and ``tol``.
        Defaults: Figure 2 (MODEL.md section 6) with ``dynamics="simultaneous"``, 100 runs.

    Returns
    -------
    list of Cell
        The product of the axes (order: dynamics, k, eta, eta_d, steps, nu, seed, mu0), after
        normalisation (``k = 1`` for dynamics without ``k``, ``eta_d = eta`` when ``None``,
        one run for ``optimal``), without duplicates.
    """
    if isinstance(config_grid, Mapping):
        unknown = set(config_grid) - _GRID_KEYS
        if unknown:
            raise InputError(f"config_grid: unknown keys {sorted(unknown)}; known: {sorted(_GRID_KEYS)}")
        g = dict(config_grid)
        if "mu0" in g and "mu_grid" in g:
            raise InputError("config_grid: give mu0 or mu_grid, not both")
        if "seed" in g and "seeds" in g:
            raise InputError("config_grid: give seed or seeds, not both")
        if "mu0" in g:
            mu0s = _pairs(g["mu0"], "mu0")
        else:
            spec = g.get("mu_grid", (-1.0, 1.0, 10))
            if len(spec) != 3:
                raise InputError(f"mu_grid must be [lo, hi, n], got {spec!r}")
            mu0s = mu_grid(spec[0], spec[1], spec[2])
        nus = _pairs(g.get("nu", (-0.5, 0.5)), "nu")
        runs = g.get("runs", 100)
        tol = g.get("tol", 0.1)
        cells: Iterable[Cell] = (
            Cell(dynamics=d, eta=e, eta_d=ed, k=k, steps=s, nu=nu, mu0=m, tol=tol, seed=sd, runs=runs)
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
    out: dict[str, Cell] = {}
    for c in cells:
        prev = out.get(c.hash)
        if prev is None or c.runs > prev.runs:
            out[c.hash] = c if prev is None else replace(prev, runs=c.runs)
    return list(out.values())


# -- chunk planning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    """Runs ``start .. stop - 1`` of one cell (contiguous)."""

    cell: Cell
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass
class _Chunk:
    engine: dict[str, Any]
    segments: list[_Segment]

    @property
    def rows(self) -> int:
        return sum(len(s) for s in self.segments)

    @property
    def cost(self) -> float:
        return chunk_cost(self.engine, self.rows)

    def task(self, engine_fn: Engine | None) -> dict[str, Any]:
        """Picklable work description (no Cell objects needed by the worker)."""
        return {
            "engine": self.engine,
            "engine_fn": engine_fn,
            "segments": [(s.cell.init_seed, s.cell.nu, s.cell.mu0, s.start, s.stop) for s in self.segments],
        }


def _missing_segments(cell: Cell, done: set[int]) -> list[_Segment]:
    segs: list[_Segment] = []
    start = None
    for i in range(cell.runs + 1):
        missing = i < cell.runs and i not in done
        if missing and start is None:
            start = i
        elif not missing and start is not None:
            segs.append(_Segment(cell, start, i))
            start = None
    return segs


def _plan(segments: list[_Segment], chunk_size: int | None, workers: int) -> list[_Chunk]:
    """Group segments by engine setting, cut them into chunks, order by cost (largest first)."""
    groups: dict[str, list[_Segment]] = {}
    for s in segments:
        groups.setdefault(json.dumps(s.cell.engine, sort_keys=True), []).append(s)
    total_cost = sum(chunk_cost(json.loads(key), sum(len(s) for s in segs)) for key, segs in groups.items())
    chunks: list[_Chunk] = []
    for segs in groups.values():
        rows = sum(len(s) for s in segs)
        if chunk_size is not None:
            limit = chunk_size
        else:
            # Automatic: about 2 chunks per worker overall, each within [MIN_AUTO_CHUNK, DEFAULT_CHUNK_SIZE].
            per_row = segs[0].cell.cost_per_run
            target = total_cost / (2 * workers) / per_row if workers > 1 else DEFAULT_CHUNK_SIZE
            limit = int(min(DEFAULT_CHUNK_SIZE, max(MIN_AUTO_CHUNK, math.ceil(target))))
        n_chunks = max(1, math.ceil(rows / limit))
        size = math.ceil(rows / n_chunks)  # balanced chunk sizes
        current: list[_Segment] = []
        filled = 0
        for s in segs:
            start = s.start
            while start < s.stop:
                take = min(s.stop - start, size - filled)
                current.append(_Segment(s.cell, start, start + take))
                filled += take
                start += take
                if filled == size:
                    chunks.append(_Chunk(s.cell.engine, current))
                    current, filled = [], 0
        if current:
            chunks.append(_Chunk(segs[0].cell.engine, current))
    chunks.sort(key=lambda c: -c.cost)  # longest first: better balance across workers
    return chunks


# -- worker side ----------------------------------------------------------------------------------


def _worker_init() -> None:
    """Pool initializer: leave Ctrl-C to the parent (which stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk(task: dict[str, Any]) -> dict[str, Any]:
    """Run one chunk with the float64 engine; return plain arrays (executed in a worker)."""
    t0, c0 = time.perf_counter(), time.process_time()
    engine = task["engine"]
    simulate = task["engine_fn"]
    if simulate is None:
        from gmmsym.dynamics import simulate
    segs = task["segments"]
    nu = np.concatenate([np.tile(np.asarray(nu_, dtype=np.float64), (b - a, 1)) for _, nu_, _, a, b in segs])
    mu0 = np.concatenate([np.tile(np.asarray(m, dtype=np.float64), (b - a, 1)) for _, _, m, a, b in segs])
    first_order = engine["dynamics"] != "optimal"
    ell0 = (
        np.concatenate([initial_discriminators(seed, a, b) for seed, _, _, a, b in segs])
        if first_order
        else None
    )
    res = simulate(
        nu,
        mu0,
        ell0,
        dynamics=engine["dynamics"],
        eta=engine["eta"],
        eta_d=engine["eta_d"],
        k=engine["k"],
        steps=engine["steps"],
        precision="float64",
        tol=engine["tol"],
    )
    n = mu0.shape[0]
    res_ell0 = getattr(res, "ell0", None)
    ell0_out = ell0 if ell0 is not None else res_ell0
    ell0_out = np.full((n, 4), np.nan) if ell0_out is None else np.asarray(ell0_out, dtype=np.float64)
    out = res.outcomes
    return {
        "mu0": mu0,
        "ell0": np.broadcast_to(ell0_out, (n, 4)),
        "mu": np.asarray(res.mu, dtype=np.float64).reshape(n, 2),
        "ell": np.asarray(res.ell, dtype=np.float64).reshape(n, 4),
        "label": np.asarray(out.label).astype(str),
        "flags": {name: np.asarray(v, dtype=bool) for name, v in out.flags.items()},
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
    }


# -- parent side ----------------------------------------------------------------------------------


@dataclass
class SweepSummary:
    """What a call of :func:`sweep` did.

    Attributes
    ----------
    db : str
        Database path.
    cells : int
        Cells in the grid.
    runs : int
        Runs in the grid (sum of ``Cell.runs``).
    skipped : int
        Runs already in the database (not recomputed).
    computed : int
        Runs computed and committed by this call.
    chunks : int
        Chunks committed by this call.
    seconds : float
        Wall time of this call.
    compute_seconds : dict
        Worker compute (wall) time per dynamics name (``alternating-k5`` style for ``alternating``).
    cpu_seconds : dict
        Worker CPU time per dynamics name (the process's CPU time during its chunks; with a
        thread executor it includes other threads of that process).
    labels : dict
        Primary-label counts over all runs of the grid (from the database).
    hashes : list of str
        Configuration hashes of the grid's cells, in grid order.
    """

    db: str
    cells: int
    runs: int
    skipped: int
    computed: int
    chunks: int
    seconds: float
    compute_seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    hashes: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable)."""
        return {
            "db": self.db,
            "cells": self.cells,
            "runs": self.runs,
            "skipped": self.skipped,
            "computed": self.computed,
            "chunks": self.chunks,
            "seconds": self.seconds,
            "compute_seconds": dict(self.compute_seconds),
            "cpu_seconds": dict(self.cpu_seconds),
            "labels": dict(self.labels),
        }


def dynamics_name(dynamics: str, k: int) -> str:
    """Display name: ``alternating-k5`` for alternating dynamics, the dynamics name otherwise."""
    return f"{dynamics}-k{k}" if dynamics in USES_K else dynamics


def _rows_of(chunk: _Chunk, result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    i = 0
    mu0, ell0, mu, ell, label = (result[k] for k in ("mu0", "ell0", "mu", "ell", "label"))
    flags = result["flags"]
    for seg in chunk.segments:
        c = seg.cell
        for run in range(seg.start, seg.stop):
            rows.append(
                {
                    "config_hash": c.hash,
                    "run": run,
                    "seed": c.init_seed,
                    "dynamics": c.dynamics,
                    "eta": c.eta,
                    "eta_d": math.nan if c.eta_d is None else c.eta_d,
                    "k": c.k,
                    "steps": c.steps,
                    "tol": c.tol,
                    "precision": "float64",
                    "nu1": c.nu[0],
                    "nu2": c.nu[1],
                    "mu0_1": float(mu0[i, 0]),
                    "mu0_2": float(mu0[i, 1]),
                    "l0_1": float(ell0[i, 0]),
                    "r0_1": float(ell0[i, 1]),
                    "l0_2": float(ell0[i, 2]),
                    "r0_2": float(ell0[i, 3]),
                    "mu1": float(mu[i, 0]),
                    "mu2": float(mu[i, 1]),
                    "l1": float(ell[i, 0]),
                    "r1": float(ell[i, 1]),
                    "l2": float(ell[i, 2]),
                    "r2": float(ell[i, 3]),
                    "label": str(label[i]),
                    "flags": {name: bool(v[i]) for name, v in flags.items()},
                }
            )
            i += 1
    if i != len(mu):
        raise RuntimeError(f"engine returned {len(mu)} rows for a chunk of {i}")
    return rows


class _Progress:
    """A rich progress bar on stderr (cost-weighted, so the ETA accounts for k and steps)."""

    def __init__(self, enabled: bool, total_cost: float, total_rows: int, description: str) -> None:
        self._bar = None
        self._started = False
        if not enabled or total_rows == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]}/{task.fields[total_rows]} runs"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._rows = 0
        self._task = self._bar.add_task(description, total=total_cost, rows=0, total_rows=total_rows)

    def __enter__(self) -> _Progress:
        return self

    def start(self) -> None:
        """Show the bar (idempotent); also done by the first :meth:`advance`."""
        if self._bar is not None and not self._started:
            self._started = True
            self._bar.start()

    def advance(self, cost: float, rows: int) -> None:
        if self._bar is not None:
            self.start()
            self._rows += rows
            self._bar.update(self._task, advance=cost, rows=self._rows)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None and self._started:
            self._bar.stop()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel pending chunks and end the pool's worker processes (after Ctrl-C or an error)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # the processes this pool started
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)


def execute(
    fn: Callable[[Any], Any],
    items: Sequence[tuple[Any, Any]],
    executor: Executor | None,
    workers: int,
    on_done: Callable[[Any, Any], None],
    bar: _Progress | None = None,
) -> None:
    """Compute ``fn(payload)`` for every ``(payload, meta)`` and call ``on_done(meta, result)`` here.

    Without ``executor``: serially in this process when ``workers == 1``, else in a
    ``ProcessPoolExecutor`` created (and stopped) here.  ``on_done`` always runs in the calling
    process, in completion order.  On Ctrl-C or an error, pending work is cancelled and the
    worker processes started here are ended before the exception propagates.
    """
    if not items:
        return
    if executor is None and workers == 1:
        if bar is not None:
            bar.start()
        for payload, meta in items:
            on_done(meta, fn(payload))
        return
    pool = None
    ex = executor
    if ex is None:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(items)), initializer=_worker_init)
        ex = pool
    futures: dict[Future[Any], Any] = {}
    try:
        # Submit everything before the progress bar starts its refresh thread (fork safety).
        for payload, meta in items:
            futures[ex.submit(fn, payload)] = meta
        if bar is not None:
            bar.start()
        for fut in as_completed(futures):
            on_done(futures[fut], fut.result())
    except BaseException:
        for fut in futures:
            fut.cancel()
        if pool is not None:
            _stop_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def sweep(
    config_grid: Mapping[str, Any] | Iterable[Cell],
    *,
    db: str | os.PathLike[str],
    executor: Executor | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    progress: bool = True,
    engine: Engine | None = None,
    description: str = "sweep",
) -> SweepSummary:
    """Run (or resume) a sweep, committing each chunk of runs to SQLite.

    Parameters
    ----------
    config_grid : mapping or iterable of Cell
        The grid; see :func:`expand_grid`.
    db : path-like
        SQLite database (created if missing).  Runs already stored are skipped.
    executor : concurrent.futures.Executor, optional
        Where chunks are computed (e.g. a ``ProcessPoolExecutor`` or
        ``dask.distributed.Client().get_executor()``); only this process writes the database.
        If omitted: in this process when ``workers == 1``, else in a ``ProcessPoolExecutor``
        with ``workers`` processes created (and shut down) here.
    workers : int, default 1
        Number of worker processes (also used to size automatic chunks for ``executor``).
    chunk_size : int, optional
        Maximum rows per chunk.  Default: automatic, at most :data:`DEFAULT_CHUNK_SIZE`
        rows, and with several workers about three chunks per worker (at least
        :data:`MIN_AUTO_CHUNK` rows each).  Results do not depend on it.
    progress : bool, default True
        Show a rich progress bar with ETA on stderr.
    engine : callable, optional
        A replacement for :func:`gmmsym.simulate` with the same signature and result
        attributes (``mu``, ``ell``, ``ell0``, ``outcomes``); must be picklable (module-level)
        for process executors.  Default: :func:`gmmsym.simulate`.
    description : str
        Label of the progress bar.

    Returns
    -------
    SweepSummary

    Notes
    -----
    Ctrl-C stops the sweep after cancelling pending chunks and ending the worker processes
    this function started; every chunk committed before stays.  Re-running the same call
    resumes and yields a database identical (in ``runs``) to an uninterrupted sweep.
    """
    t0 = time.perf_counter()
    cells = expand_grid(config_grid)
    workers = check_int("workers", workers, minimum=1)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    with RunStore(db) as store:
        store.add_configs({c.hash: c.config_json for c in cells})
        done = store.done_runs(c.hash for c in cells)
        segments = [s for c in cells for s in _missing_segments(c, done.get(c.hash, set()))]
        total_runs = sum(c.runs for c in cells)
        todo = sum(len(s) for s in segments)
        chunks = _plan(segments, chunk_size, workers)
        computed = 0
        compute_seconds: dict[str, float] = {}
        cpu_seconds: dict[str, float] = {}

        def commit(chunk: _Chunk, result: dict[str, Any]) -> None:
            nonlocal computed
            rows = _rows_of(chunk, result)
            store.write_chunk(
                rows,
                engine=json.dumps(chunk.engine, sort_keys=True),
                seconds=result["seconds"],
                cpu_seconds=result["cpu_seconds"],
            )
            computed += len(rows)
            name = dynamics_name(chunk.engine["dynamics"], chunk.engine["k"])
            compute_seconds[name] = compute_seconds.get(name, 0.0) + float(result["seconds"])
            cpu_seconds[name] = cpu_seconds.get(name, 0.0) + float(result["cpu_seconds"])

        total_cost = sum(c.cost for c in chunks)
        with _Progress(progress, total_cost, todo, description) as bar:

            def done_chunk(chunk: _Chunk, result: dict[str, Any]) -> None:
                commit(chunk, result)
                bar.advance(chunk.cost, chunk.rows)

            execute(_run_chunk, [(c.task(engine), c) for c in chunks], executor, workers, done_chunk, bar)
        labels = store.label_counts(c.hash for c in cells)
    return SweepSummary(
        db=str(Path(db)),
        cells=len(cells),
        runs=total_runs,
        skipped=total_runs - todo,
        computed=computed,
        chunks=len(chunks),
        seconds=time.perf_counter() - t0,
        compute_seconds=compute_seconds,
        cpu_seconds=cpu_seconds,
        labels=labels,
        hashes=[c.hash for c in cells],
    )


def cells_by_dynamics(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    """Group cells by :func:`dynamics_name`, keeping order."""
    out: dict[str, list[Cell]] = {}
    for c in cells:
        out.setdefault(dynamics_name(c.dynamics, c.k), []).append(c)
    return out
