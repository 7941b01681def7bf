"""Reproduce the paper's Figure 2 as this project runs it (docs/model.md section 6).

``gmmsym reproduce figure2 --out DIR`` sweeps the grid of initial generator means
``linspace(-1, 1, 10)^2`` with ``nu = (-0.5, 0.5)``, ``eta = 0.1`` and 3000 generator steps for

* ``optimal`` (optimal-discriminator dynamics): **one run per cell**, because the dynamics
  ignore the discriminator initialisation and are deterministic;
* ``simultaneous`` and ``alternating`` with ``k = 1, 5, 20``: 100 discriminator
  initialisations per cell (uniform on ``[-2, 2]``, sorted, seeded per run; the same
  discriminators for every first-order dynamics in a cell).

Success is the ``converged`` label (``tol = 0.1``).  Outputs in ``DIR`` (each written
atomically): ``heatmap_<dynamics>.png`` (success fraction per initial cell, diagonal
outlined), ``outcomes.png`` (stacked label shares per dynamics), ``summary.json``,
``summary.md`` (comparison with the paper's claims, docs/model.md sections 6-7, and a small
50-digit replay) and ``meta.json`` (parameters, timings, replay rows).  Runs are stored in
``DIR/figure2.db`` unless ``--db`` is given; re-running reuses them.

Cost (measured, docs/figure2.md): the default is 40,100 runs and about 9e8 float64 row-gradient
evaluations (``k + 1`` per step for alternating, so ``alternating-k20`` is 70% of the work), about
240 s of CPU at ~240 ns per row-evaluation; with 2 idle cores the sweep takes about 2 minutes
(the ``alternating-k20`` chunks bound the makespan), plus ~10 s for the default 2-run replay.
The sweep is engine-bound.  Automatic chunks take about 10 s each by the cost model
(:mod:`gmmsym.experiments.plan`), except that a chunk keeps at least 3 times its per-call
overhead in rows: ``alternating-k5`` and ``alternating-k20`` run 4 chunks of 2,500 rows (about
16 s and 55 s each by the model), so the bar moves and Ctrl-C keeps finished chunks at any worker
count.  The output directory and the database are checked before any run; outputs are written
atomically and temporaries of a killed run are removed by the next one.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from gmmsym.experiments.figure2_report import heatmap, markdown, outcome_bars
from gmmsym.experiments.plan import CHUNK_SECONDS
from gmmsym.experiments.replay import replay as run_replay
from gmmsym.experiments.store import RunStore, check_database
from gmmsym.experiments.sweep import Cell, dynamics_name, mu_grid, sweep
from gmmsym.io import atomic_write_text, check_output_dir, file_errors, json_clean, remove_stale_temps
from gmmsym.model.spec import PAPER
from gmmsym.model.validate import check_int
from gmmsym.outcomes import LABELS

__all__ = [
    "FIGURE2_DYNAMICS",
    "FIGURE2_NAMES",
    "figure2_cells",
    "summarise",
    "reproduce_figure2",
    "default_workers",
]

#: ``(dynamics, k)`` of the five panels, in report order.
FIGURE2_DYNAMICS: tuple[tuple[str, int], ...] = (
    ("optimal", 1),
    ("simultaneous", 1),
    ("alternating", 1),
    ("alternating", 5),
    ("alternating", 20),
)
#: Keys of ``summary.json``.
FIGURE2_NAMES: tuple[str, ...] = tuple(dynamics_name(d, k) for d, k in FIGURE2_DYNAMICS)
#: Replay defaults of ``reproduce``: cheap dynamics only (mpmath costs ~2 ms per evaluation).
REPLAY_DYNAMICS: tuple[str, ...] = ("simultaneous", "alternating-k1")


def default_workers() -> int:
    """Number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def figure2_cells(
    *,
    runs_per_cell: int = 100,
    steps: int = 3000,
    grid: int = 10,
    lo: float = -1.0,
    hi: float = 1.0,
    eta: float = 0.1,
    nu: tuple[float, float] = (-0.5, 0.5),
    seed: int = 0,
    tol: float = 0.1,
) -> list[Cell]:
    """The cells of the Figure 2 sweep (docs/model.md section 6), panel by panel.

    ``optimal`` cells get one run (deterministic dynamics), first-order cells ``runs_per_cell``.
    """
    cells = []
    for dyn, k in FIGURE2_DYNAMICS:
        for m in mu_grid(lo, hi, grid):
            cells.append(
                Cell(
                    dynamics=dyn,
                    eta=eta,
                    k=k,
                    steps=steps,
                    nu=nu,
                    mu0=m,
                    tol=tol,
                    seed=seed,
                    runs=runs_per_cell,
                )
            )
    return cells


def summarise(
    cells: Sequence[Cell], store: RunStore
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Aggregate stored runs per panel.

    Returns
    -------
    summary : dict
        ``{name: {"success", "success_offdiag", "labels": {label: share}, "success_diag",
        "min_offdiag_cell_success", "runs", "cells", "runs_per_cell"}}`` for every panel name
        present in ``cells``; shares are fractions of the panel's runs.
    grids : dict
        ``{name: {"axis": (n,) initial-mean values, "success": (n, n) array indexed
        [i (mu1), j (mu2)], "runs": (n, n) run counts}}``.
    """
    by_name: dict[str, list[Cell]] = {}
    for c in cells:
        by_name.setdefault(dynamics_name(c.dynamics, c.k), []).append(c)
    summary: dict[str, dict[str, Any]] = {}
    grids: dict[str, dict[str, Any]] = {}
    for name, group in by_name.items():
        rows = store.runs_for(c.hash for c in group)
        per_cell: dict[str, list[str]] = {}
        for r in rows:
            per_cell.setdefault(r["config_hash"], []).append(r["label"])
        axis = np.array(sorted({c.mu0[0] for c in group} | {c.mu0[1] for c in group}))
        index = {v: i for i, v in enumerate(axis.tolist())}
        succ = np.full((len(axis), len(axis)), np.nan)
        count = np.zeros((len(axis), len(axis)), dtype=int)
        totals = {label: 0 for label in LABELS}
        diag_ok = diag_n = off_ok = off_n = 0
        for c in group:
            labels = per_cell.get(c.hash, [])
            ok = sum(lab == "converged" for lab in labels)
            i, j = index[c.mu0[0]], index[c.mu0[1]]
            count[i, j] = len(labels)
            if labels:
                succ[i, j] = ok / len(labels)
            for lab in labels:
                totals[lab] = totals.get(lab, 0) + 1
            if c.mu0[0] == c.mu0[1]:
                diag_ok, diag_n = diag_ok + ok, diag_n + len(labels)
            else:
                off_ok, off_n = off_ok + ok, off_n + len(labels)
        n = len(rows)
        offdiag = ~np.eye(len(axis), dtype=bool) & (count > 0)
        summary[name] = {
            "success": (diag_ok + off_ok) / n if n else math.nan,
            "success_offdiag": off_ok / off_n if off_n else math.nan,
            "labels": {lab: (cnt / n if n else math.nan) for lab, cnt in totals.items()},
            "success_diag": diag_ok / diag_n if diag_n else math.nan,
            "min_offdiag_cell_success": float(np.min(succ[offdiag])) if offdiag.any() else math.nan,
            "runs": n,
            "cells": len(group),
            "runs_per_cell": max(c.runs for c in group),
        }
        grids[name] = {"axis": axis, "success": succ, "runs": count}
    return summary, grids


def reproduce_figure2(
    out: str | os.PathLike[str],
    *,
    runs_per_cell: int = 100,
    steps: int = 3000,
    grid: int = 10,
    workers: int | None = None,
    db: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
    seed: int = 0,
    replay: int = 2,
    replay_dynamics: Sequence[str] = REPLAY_DYNAMICS,
    replay_precision: int = 50,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Run the Figure 2 sweep and write figures and summaries into ``out``.

    Parameters
    ----------
    out : path-like
        Output directory (created).
    runs_per_cell : int, default 100
        Discriminator initialisations per first-order cell (optimal cells always get one run).
    steps : int, default 3000
        Generator steps.
    grid : int, default 10
        Initial means per axis (``linspace(-1, 1, grid)``).
    workers : int, optional
        Worker processes; default: every CPU this process may use.
    db : path-like, optional
        Database; default ``out/figure2.db``.  Stored runs are reused.
    executor, chunk_size, chunk_seconds
        As in :func:`gmmsym.experiments.sweep.sweep`.
    seed : int
        Base seed of the discriminator initialisations (and of the replay sample).
    replay : int, default 2
        Runs re-run with mpmath (failures first), from ``replay_dynamics``; 0 disables.
    replay_dynamics : sequence of str
        Panels the replay sample is drawn from (default the cheap ones; about 6-10 s per run).
    replay_precision : int
        mpmath digits of the replay.
    progress : bool
        Progress bars on stderr.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    t0 = time.perf_counter()
    out = check_output_dir(out, "out")  # before any run
    workers = default_workers() if workers is None else check_int("workers", workers, minimum=1)
    db = out / "figure2.db" if db is None else Path(db)
    check_database(db, "db")
    params = _parameters(runs_per_cell, steps, grid, seed)
    cells = figure2_cells(**{k: v for k, v in params.items() if k != "nu"}, nu=tuple(params["nu"]))
    res = sweep(
        cells,
        db=db,
        executor=executor,
        workers=workers,
        chunk_size=chunk_size,
        chunk_seconds=chunk_seconds,
        progress=progress,
        description="figure2",
    )
    sweep_seconds = time.perf_counter() - t0
    with RunStore(db) as store:
        summary, grids = summarise(cells, store)
    for name, stats in summary.items():
        stats["compute_seconds"] = res.compute_seconds.get(name, 0.0)
        stats["cpu_seconds"] = res.cpu_seconds.get(name, 0.0)
    replay_dict = None
    if replay:
        replay_dict = run_replay(
            db,
            sample=replay,
            seed=seed,
            precision=replay_precision,
            dynamics=list(replay_dynamics),
            hashes=[c.hash for c in cells],
            executor=executor,
            workers=workers,
            progress=progress,
        ).as_dict()
    meta = _meta(params, workers, db, t0, sweep_seconds, res, replay_dynamics, replay_dict, grids)
    return _write_outputs(out, summary, grids, meta, replay_dict)


def _parameters(runs_per_cell: int, steps: int, grid: int, seed: int) -> dict[str, Any]:
    return {
        "runs_per_cell": check_int("runs_per_cell", runs_per_cell, minimum=1),
        "steps": check_int("steps", steps, minimum=0),
        "grid": check_int("grid", grid, minimum=1),
        "lo": -1.0,
        "hi": 1.0,
        "eta": 0.1,
        "nu": [-0.5, 0.5],
        "seed": check_int("seed", seed, minimum=0),
        "tol": 0.1,
    }


def _meta(
    params: dict[str, Any],
    workers: int,
    db: Path,
    t0: float,
    sweep_seconds: float,
    res: Any,
    replay_dynamics: Sequence[str],
    replay_dict: dict[str, Any] | None,
    grids: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    from gmmsym.dynamics import gradient_evaluations

    return {
        "model": PAPER.text(),
        "parameters": params,
        "workers": workers,
        "db": str(db),
        "seconds": time.perf_counter() - t0,
        "sweep_seconds": sweep_seconds,
        "sweep": res.as_dict(),
        "replay_dynamics": list(replay_dynamics),
        "evaluations_per_step": {
            dynamics_name(d, k): gradient_evaluations(d, k) for d, k in FIGURE2_DYNAMICS
        },
        "replay": replay_dict,
        "cells": {name: grids[name]["success"].tolist() for name in grids},
        "axis": grids[next(iter(grids))]["axis"].tolist() if grids else [],
    }


def _write_outputs(
    out: Path,
    summary: dict[str, dict[str, Any]],
    grids: dict[str, dict[str, Any]],
    meta: dict[str, Any],
    replay_dict: dict[str, Any] | None,
) -> dict[str, Any]:
    """Write the figures and summaries (atomically; stale temporaries of a killed run removed)."""
    with file_errors("out", out):
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(out)
        for name in summary:
            heatmap(out / f"heatmap_{name}.png", name, grids[name], summary[name], meta["parameters"]["nu"])
        outcome_bars(out / "outcomes.png", summary)
        clean = json_clean(summary)
        atomic_write_text(out / "summary.json", json.dumps(clean, indent=2, allow_nan=False) + "\n")
        atomic_write_text(out / "summary.md", markdown(summary, meta, replay_dict))
        atomic_write_text(out / "meta.json", json.dumps(json_clean(meta), indent=2, allow_nan=False) + "\n")
    return clean
