"""Chunk planning of a sweep: the cost model in seconds and the cutting of runs into chunks.

A chunk is one batched ``simulate`` call: rows of one engine setting (same dynamics and
parameters), made of contiguous run ranges of cells (:class:`Segment`).  Automatic chunks are
sized by expected *time*, not rows (see :mod:`gmmsym.experiments.sweep`): the cost model
:func:`chunk_cost` counts float64 row-gradient evaluations plus the per-call overhead, and
:data:`SECONDS_PER_UNIT` turns it into seconds on the reference machine.  Which rows share a
chunk never changes a result (rows evolve independently).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gmmsym.experiments.grid import Cell, Engine

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CHUNK_SECONDS",
    "SECONDS_PER_UNIT",
    "chunk_cost",
    "chunk_seconds",
    "rows_for_seconds",
    "Segment",
    "Chunk",
    "missing_segments",
    "plan",
]

#: Largest number of rows of one chunk (one batched ``simulate`` call; memory bound).
DEFAULT_CHUNK_SIZE = 10_000
#: Scheduling cost model, in units of one float64 gradient evaluation of one row: a batched call
#: costs about as much as this many extra rows (NumPy's per-call overhead, ~140 calls per step).
CALL_OVERHEAD_ROWS = 1000.0
#: Optimal-discriminator step: cost per row and per call (root isolation), same units.
OPTIMAL_ROW_COST, OPTIMAL_CALL_COST = 40.0, 10_000.0
#: Seconds per cost unit on the reference machine (2 cores, AVX2, no AVX-512): ~250 ns per
#: float64 row-gradient evaluation at N = 1e4 (docs/performance.md).
SECONDS_PER_UNIT = 2.5e-7
#: Default target duration of one chunk (seconds of one worker, from the cost model).
CHUNK_SECONDS = 10.0
#: A chunk never has fewer rows than this many times the rows-equivalent of its call overhead
#: (so the overhead stays under a quarter of its time), unless the engine setting has fewer rows.
MIN_ROWS_PER_OVERHEAD = 3.0


def chunk_cost(engine: Mapping[str, Any], rows: int) -> float:
    """Estimated compute cost of ``rows`` runs in one ``simulate`` call (scheduling and ETA only).

    ``steps * evaluations * (rows + CALL_OVERHEAD_ROWS)`` for first-order dynamics
    (``evaluations`` = gradient evaluations per step: ``k + 1`` for alternating) and
    ``steps * (OPTIMAL_ROW_COST * rows + OPTIMAL_CALL_COST)`` for ``optimal``; measured on
    the reference machine (2 cores, no AVX-512), accurate to a factor of about 2.  Times
    :data:`SECONDS_PER_UNIT`: expected seconds (:func:`chunk_seconds`).
    """
    per_row, per_call = _cost_terms(engine)
    return per_row * rows + per_call


def _cost_terms(engine: Mapping[str, Any]) -> tuple[float, float]:
    """``(cost per row, cost per call)`` of one ``simulate`` call with ``engine``."""
    from gmmsym.dynamics import gradient_evaluations

    steps = max(int(engine["steps"]), 1)
    if engine["dynamics"] == "optimal":
        return steps * OPTIMAL_ROW_COST, steps * OPTIMAL_CALL_COST
    evals = steps * gradient_evaluations(engine["dynamics"], int(engine["k"]))
    return float(evals), evals * CALL_OVERHEAD_ROWS


def chunk_seconds(engine: Mapping[str, Any], rows: int) -> float:
    """Expected seconds of ``rows`` runs in one call on the reference machine (:func:`chunk_cost`)."""
    return chunk_cost(engine, rows) * SECONDS_PER_UNIT


def rows_for_seconds(engine: Mapping[str, Any], seconds: float) -> int:
    """Rows of a chunk expected to take ``seconds``, within ``[floor, DEFAULT_CHUNK_SIZE]``.

    The floor is :data:`MIN_ROWS_PER_OVERHEAD` times the call overhead in rows (a first-order
    chunk of 3000 steps and ``k = 20`` therefore takes about 60 s whatever the target).
    """
    per_row, per_call = _cost_terms(engine)
    floor = MIN_ROWS_PER_OVERHEAD * per_call / per_row
    rows = seconds / SECONDS_PER_UNIT / per_row - per_call / per_row
    return int(min(DEFAULT_CHUNK_SIZE, max(floor, rows, 1.0)))


@dataclass(frozen=True)
class Segment:
    """Runs ``start .. stop - 1`` of one cell (contiguous)."""

    cell: Cell
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass
class Chunk:
    """One batched ``simulate`` call: segments of one engine setting."""

    engine: dict[str, Any]
    segments: list[Segment]

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


def missing_segments(cell: Cell, done: set[int]) -> list[Segment]:
    """The runs of ``cell`` not in ``done``, as contiguous segments."""
    segs: list[Segment] = []
    start = None
    for i in range(cell.runs + 1):
        missing = i < cell.runs and i not in done
        if missing and start is None:
            start = i
        elif not missing and start is not None:
            segs.append(Segment(cell, start, i))
            start = None
    return segs


def _limit(segs: list[Segment], chunk_size: int | None, seconds: float, balance: float | None) -> int:
    """Rows per chunk of one engine setting (see the module docstring)."""
    if chunk_size is not None:
        return chunk_size
    engine = segs[0].cell.engine
    limit = rows_for_seconds(engine, seconds)
    if balance is not None:  # several workers: at least two chunks per worker overall
        limit = min(limit, max(rows_for_seconds(engine, 0.0), math.ceil(balance / _cost_terms(engine)[0])))
    return max(1, limit)


def _cut(segs: list[Segment], limit: int) -> list[Chunk]:
    """Balanced chunks of at most ``limit`` rows of one engine setting, in run order."""
    rows = sum(len(s) for s in segs)
    size = math.ceil(rows / max(1, math.ceil(rows / limit)))
    chunks: list[Chunk] = []
    current: list[Segment] = []
    filled = 0
    for s in segs:
        start = s.start
        while start < s.stop:
            take = min(s.stop - start, size - filled)
            current.append(Segment(s.cell, start, start + take))
            filled, start = filled + take, start + take
            if filled == size:
                chunks.append(Chunk(s.cell.engine, current))
                current, filled = [], 0
    if current:
        chunks.append(Chunk(segs[0].cell.engine, current))
    return chunks


def plan(segments: list[Segment], chunk_size: int | None, workers: int, seconds: float) -> list[Chunk]:
    """Group segments by engine setting and cut them into chunks (module docstring)."""
    groups: dict[str, list[Segment]] = {}
    for s in segments:
        groups.setdefault(json.dumps(s.cell.engine, sort_keys=True), []).append(s)
    total_cost = sum(chunk_cost(json.loads(key), sum(len(s) for s in segs)) for key, segs in groups.items())
    balance = total_cost / (2 * workers) if workers > 1 else None
    chunks = [c for segs in groups.values() for c in _cut(segs, _limit(segs, chunk_size, seconds, balance))]
    if workers > 1:
        chunks.sort(key=lambda c: -c.cost)  # longest first: better balance across workers
    return chunks
