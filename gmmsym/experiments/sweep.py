"""Resumable, chunked, parallel sweeps of the float64 dynamics into SQLite.

A sweep runs a grid of *cells* (:class:`~gmmsym.experiments.grid.Cell`: one setting of the
dynamics, one initial generator ``mu0``, ``runs`` seeded discriminator initialisations; the
seeding convention is described in :mod:`gmmsym.experiments.grid`).

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

import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gmmsym.errors import InputError
from gmmsym.experiments.grid import (
    ALL_DYNAMICS,
    DEFAULT_CHUNK_SIZE,
    FIRST_ORDER,
    MIN_AUTO_CHUNK,
    USES_K,
    Cell,
    Engine,
    chunk_cost,
    expand_grid,
    initial_discriminators,
    mu_grid,
)
from gmmsym.experiments.runner import Progress, execute
from gmmsym.experiments.store import RunStore
from gmmsym.model.validate import check_bool, check_int, check_path

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


#: Largest ``workers``: one process each; far more than any machine this runs on has cores.
MAX_WORKERS = 256


def _check_sweep_args(db, executor, workers, chunk_size, progress, engine, description) -> tuple:
    """Check ``sweep``'s keyword arguments before anything is opened or written."""
    check_path("db", db)
    if (
        executor is not None
        and not isinstance(executor, Executor)
        and not callable(getattr(executor, "submit", None))
    ):
        raise InputError(
            f"executor must be a concurrent.futures.Executor or None, got {type(executor).__name__}"
        )
    if engine is not None and not callable(engine):
        raise InputError(
            f"engine must be a callable like gmmsym.simulate or None, got {type(engine).__name__}"
        )
    check_bool("progress", progress)
    if not isinstance(description, str):
        raise InputError(f"description must be a str, got {type(description).__name__}")
    workers = check_int("workers", workers, minimum=1, maximum=MAX_WORKERS)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, minimum=1, maximum=DEFAULT_CHUNK_SIZE * 100)
    return workers, chunk_size


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
    workers, chunk_size = _check_sweep_args(db, executor, workers, chunk_size, progress, engine, description)
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
        with Progress(progress, total_cost, todo, description) as bar:

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
