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
transaction each by the parent process; workers only compute.  Stored runs are verified by their
checksum before they are reused; a row that fails is reported (``SweepSummary.tampered``),
deleted and recomputed.

Chunk sizing (automatic): by expected *time*, not rows.  The cost model
(:func:`~gmmsym.experiments.grid.chunk_seconds`: gradient evaluations per step times rows plus
the per-call overhead) gives each chunk about ``chunk_seconds`` (default
:data:`~gmmsym.experiments.grid.CHUNK_SECONDS` = 10 s on the reference machine), never fewer
rows than keep the call overhead under a quarter of the chunk, at most
:data:`~gmmsym.experiments.grid.DEFAULT_CHUNK_SIZE` rows, and with several workers at least two
chunks per worker overall.  So the progress bar moves and Ctrl-C keeps the finished chunks at
any worker count, one included.  With one worker chunks run in grid order, with several the
longest first (balance).
"""

from __future__ import annotations

import json
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
    FIRST_ORDER,
    USES_K,
    Cell,
    Engine,
    expand_grid,
    initial_discriminators,
    mu_grid,
)
from gmmsym.experiments.plan import (
    CHUNK_SECONDS,
    DEFAULT_CHUNK_SIZE,
    Chunk,
    chunk_cost,
    missing_segments,
    plan,
)
from gmmsym.experiments.runner import Progress, execute
from gmmsym.experiments.store import RunStore, rows_of
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import check_bool, check_int, check_path, check_positive

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
    "CHUNK_SECONDS",
    "chunk_cost",
]


# -- worker side ----------------------------------------------------------------------------------


def _run_chunk(task: dict[str, Any]) -> dict[str, Any]:
    """Run one chunk with the float64 engine; return plain arrays (executed in a worker)."""
    t0, c0 = time.perf_counter(), time.process_time()
    engine = task["engine"]
    simulate = task["engine_fn"]
    if simulate is None:
        from gmmsym.dynamics import simulate
    segs = task["segments"]
    model = ModelSpec.parse(engine["model"])
    K, n_ell = model.K, 2 * model.M
    nu = np.concatenate([np.tile(np.asarray(nu_, dtype=np.float64), (b - a, 1)) for _, nu_, _, a, b in segs])
    mu0 = np.concatenate([np.tile(np.asarray(m, dtype=np.float64), (b - a, 1)) for _, _, m, a, b in segs])
    first_order = engine["dynamics"] != "optimal"
    ell0 = (
        np.concatenate([initial_discriminators(seed, a, b, model=model) for seed, _, _, a, b in segs])
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
        model=model,
    )
    n = mu0.shape[0]
    res_ell0 = getattr(res, "ell0", None)
    ell0_out = ell0 if ell0 is not None else res_ell0
    ell0_out = np.full((n, n_ell), np.nan) if ell0_out is None else np.asarray(ell0_out, dtype=np.float64)
    out = res.outcomes
    return {
        "mu0": mu0,
        "ell0": np.broadcast_to(ell0_out, (n, n_ell)),
        "mu": np.asarray(res.mu, dtype=np.float64).reshape(n, K),
        "ell": np.asarray(res.ell, dtype=np.float64).reshape(n, n_ell),
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
    model : str
        ``ModelSpec.text()`` of the sweep's model.
    tampered : list of (str, int)
        Stored runs ``(config_hash, run)`` that failed their checksum; deleted and recomputed.
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
    model: str = PAPER.text()
    tampered: list[tuple[str, int]] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list, repr=False)

    def to_pandas(self) -> Any:
        """The stored runs of this sweep's grid as a ``pandas.DataFrame`` (see ``RunStore.to_pandas``)."""
        with RunStore(self.db, readonly=True) as store:
            return store.to_pandas(self.hashes)

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
            "model": self.model,
            "tampered": [list(k) for k in self.tampered],
        }


def dynamics_name(dynamics: str, k: int) -> str:
    """Display name: ``alternating-k5`` for alternating dynamics, the dynamics name otherwise."""
    return f"{dynamics}-k{k}" if dynamics in USES_K else dynamics


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
            f"executor: expected a concurrent.futures.Executor or None, got {type(executor).__name__}"
        )
    if engine is not None and not callable(engine):
        raise InputError(
            f"engine: expected a callable like gmmsym.simulate or None, got {type(engine).__name__}"
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
    chunk_seconds: float = CHUNK_SECONDS,
    progress: bool = True,
    engine: Engine | None = None,
    description: str = "sweep",
    db_option: str = "db",
    model: ModelSpec = PAPER,
    model_option: str = "model",
) -> SweepSummary:
    """Run (or resume) a sweep, committing each chunk of runs to SQLite.

    Parameters
    ----------
    config_grid : mapping or iterable of Cell
        The grid; see :func:`expand_grid`.
    db : path-like
        SQLite database (created if missing).  Intact runs already stored are skipped; a
        database that is not gmmsym's is refused (:class:`~gmmsym.experiments.store.RunStore`).
    executor : concurrent.futures.Executor, optional
        Where chunks are computed (e.g. a ``ProcessPoolExecutor`` or
        ``dask.distributed.Client().get_executor()``); only this process writes the database.
        If omitted: in this process when ``workers == 1``, else in a ``ProcessPoolExecutor``
        with ``workers`` processes created (and shut down) here.
    workers : int, default 1
        Number of worker processes (also used to size automatic chunks for ``executor``).
    chunk_size : int, optional
        Fixed rows per chunk (overrides ``chunk_seconds``).  Results do not depend on it.
    chunk_seconds : float, default CHUNK_SECONDS
        Target duration of one automatic chunk (module docstring).  Results do not depend on it.
    progress : bool, default True
        Show a rich progress bar with ETA on stderr.
    engine : callable, optional
        A replacement for :func:`gmmsym.simulate` with the same signature and result
        attributes (``mu``, ``ell``, ``ell0``, ``outcomes``); must be picklable (module-level)
        for process executors.  Default: :func:`gmmsym.simulate`.
    description : str
        Label of the progress bar.
    db_option : str, default "db"
        Name of ``db`` in error messages (``"--db"`` from the command line).
    model : ModelSpec
        The model of every cell (default :data:`~gmmsym.PAPER`).  A database holds the runs of
        one model: resuming into a database started with another model is refused.
    model_option : str, default "model"
        Name of ``model`` in error messages (``"--model"`` from the command line).

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
    model = check_model(model, model_option)
    cells = expand_grid(config_grid, model=model)
    workers, chunk_size = _check_sweep_args(db, executor, workers, chunk_size, progress, engine, description)
    chunk_seconds = check_positive("chunk_seconds", chunk_seconds)
    with RunStore(db, option=db_option, model=model, model_option=model_option) as store:
        store.add_configs({c.hash: c.config_json for c in cells})
        done, tampered = store.check_runs(c.hash for c in cells)
        if tampered:
            store.delete_runs(tampered)
        segments = [s for c in cells for s in missing_segments(c, done.get(c.hash, set()))]
        chunks = plan(segments, chunk_size, workers, chunk_seconds)
        summary = SweepSummary(
            db=str(Path(db)),
            cells=len(cells),
            runs=sum(c.runs for c in cells),
            skipped=sum(c.runs for c in cells) - sum(len(s) for s in segments),
            computed=0,
            chunks=len(chunks),
            seconds=0.0,
            model=model.text(),
            tampered=tampered,
            hashes=[c.hash for c in cells],
        )
        _run(chunks, store, summary, engine, executor, workers, progress, description)
        summary.labels = store.label_counts(c.hash for c in cells)
    summary.seconds = time.perf_counter() - t0
    return summary


def _run(
    chunks: list[Chunk],
    store: RunStore,
    summary: SweepSummary,
    engine: Engine | None,
    executor: Executor | None,
    workers: int,
    progress: bool,
    description: str,
) -> None:
    """Compute the chunks and commit each one as it finishes (parent process)."""
    todo = sum(c.rows for c in chunks)
    with Progress(progress, sum(c.cost for c in chunks), todo, description) as bar:

        def commit(chunk: Chunk, result: dict[str, Any]) -> None:
            rows = rows_of(chunk.segments, result, store.layout)
            store.write_chunk(
                rows,
                engine=json.dumps(chunk.engine, sort_keys=True),
                seconds=result["seconds"],
                cpu_seconds=result["cpu_seconds"],
            )
            summary.computed += len(rows)
            name = dynamics_name(chunk.engine["dynamics"], chunk.engine["k"])
            for key, total in (("seconds", summary.compute_seconds), ("cpu_seconds", summary.cpu_seconds)):
                total[name] = total.get(name, 0.0) + float(result[key])
            bar.advance(chunk.cost, chunk.rows)

        execute(_run_chunk, [(c.task(engine), c) for c in chunks], executor, workers, commit, bar)


def cells_by_dynamics(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    """Group cells by :func:`dynamics_name`, keeping order."""
    out: dict[str, list[Cell]] = {}
    for c in cells:
        out.setdefault(dynamics_name(c.dynamics, c.k), []).append(c)
    return out
