"""Reproduce the paper's Figure 2 as this project runs it (MODEL.md section 6).

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
``summary.md`` (comparison with the paper's claims, MODEL.md sections 6-7, and a small
50-digit replay) and ``meta.json`` (parameters, timings, replay rows).  Runs are stored in
``DIR/figure2.db`` unless ``--db`` is given; re-running reuses them.

Cost (measured, docs/figure2.md): the default is 40,100 runs and about 9e8 float64 row-gradient
evaluations (``k + 1`` per step for alternating, so ``alternating-k20`` is 70% of the work), about
240 s of CPU at ~240 ns per row-evaluation; with 2 idle cores the sweep takes about 2 minutes
(the ``alternating-k20`` chunks bound the makespan), plus ~10 s for the default 2-run replay.
The sweep is engine-bound: chunks are as large as the balance across workers allows (automatic
chunking, longest first).
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

from gmmsym.experiments.store import RunStore
from gmmsym.experiments.sweep import Cell, dynamics_name, mu_grid, sweep
from gmmsym.io import atomic_savefig, atomic_write_text, json_clean
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
_LABEL_COLOURS = {
    "diverged": "#7f7f7f",
    "converged": "#2ca02c",
    "discriminator_collapse": "#d62728",
    "mode_collapse": "#ff7f0e",
    "vanishing_gradient": "#9467bd",
    "not_converged": "#1f77b4",
}
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
    """The cells of the Figure 2 sweep (MODEL.md section 6), panel by panel.

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


# -- plots ----------------------------------------------------------------------------------------


def _heatmap(path: Path, name: str, grid: dict[str, Any], stats: dict[str, Any], nu: Sequence[float]) -> None:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    axis, succ = grid["axis"], grid["success"]
    n = len(axis)
    h = float(axis[1] - axis[0]) if n > 1 else 1.0
    lo, hi = float(axis[0]) - h / 2, float(axis[-1]) + h / 2
    fig = Figure(figsize=(5.6, 4.8))  # fixed margins: constrained layout triples the drawing time
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.1, top=0.88)
    ax = fig.add_subplot()
    im = ax.imshow(
        np.ma.masked_invalid(succ.T),
        origin="lower",
        extent=(lo, hi, lo, hi),
        vmin=0.0,
        vmax=1.0,
        cmap="viridis",
        interpolation="nearest",
    )
    fig.colorbar(im, ax=ax, label="success fraction (converged)")
    for i in range(n):  # diagonal cells mu1 = mu2 outlined
        ax.add_patch(
            Rectangle(
                (axis[i] - h / 2, axis[i] - h / 2),
                h,
                h,
                fill=False,
                edgecolor="white",
                linewidth=1.2,
                linestyle="--",
            )
        )
    if n <= 12:
        for i in range(n):
            for j in range(n):
                v = succ[i, j]
                if not math.isnan(v):
                    text = "0" if v == 0 else "1" if v == 1 else f"{v:.2f}".lstrip("0")
                    colour = "black" if v > 0.6 else "white"
                    ax.text(axis[i], axis[j], text, ha="center", va="center", fontsize=6, color=colour)
    ax.plot([nu[0], nu[1]], [nu[1], nu[0]], "r*", markersize=11, markeredgecolor="white")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("initial mu_1")
    ax.set_ylabel("initial mu_2")
    ax.set_title(
        f"{name}: success {stats['success']:.1%} (off-diagonal {stats['success_offdiag']:.1%})\n"
        f"{stats['runs_per_cell']} run(s) per cell; dashed: diagonal mu_1 = mu_2; stars: true means",
        fontsize=9,
    )
    atomic_savefig(fig, path, dpi=110)


def _outcome_bars(path: Path, summary: dict[str, dict[str, Any]]) -> None:
    from matplotlib.figure import Figure

    names = list(summary)
    fig = Figure(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.09, right=0.72, bottom=0.17, top=0.9)
    ax = fig.add_subplot()
    bottom = np.zeros(len(names))
    x = np.arange(len(names))
    for lab in LABELS:
        share = np.array([summary[n]["labels"].get(lab, 0.0) for n in names], dtype=float)
        share = np.nan_to_num(share)
        ax.bar(x, share, bottom=bottom, color=_LABEL_COLOURS[lab], label=lab, width=0.7)
        for xi, b, s in zip(x, bottom, share):
            if s >= 0.04:
                ax.text(xi, b + s / 2, f"{s:.0%}", ha="center", va="center", fontsize=7, color="white")
        bottom += share
    ax.set_xticks(x, names, rotation=15)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of runs")
    ax.set_title("Figure 2 sweep: outcome labels per dynamics (MODEL.md section 5)", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    atomic_savefig(fig, path, dpi=110)


# -- report ---------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _claims(summary: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(claim, what we found, verdict)`` rows for the paper's claims (MODEL.md sections 6-7)."""
    out: list[tuple[str, str, str]] = []
    opt = summary.get("optimal")
    if opt is not None:
        m = opt["min_offdiag_cell_success"]
        out.append(
            (
                "Optimal-discriminator dynamics succeed from every start with separated means "
                "(Theorem 4.1, as numbered in the paper; here: every off-diagonal cell)",
                f"off-diagonal success {_pct(opt['success_offdiag'])}, worst off-diagonal cell {_pct(m)}",
                "consistent" if m == 1.0 else "NOT consistent",
            )
        )
        d = opt["success_diag"]
        out.append(
            (
                "Optimal dynamics never succeed on the diagonal (mu1 = mu2 is invariant)",
                f"diagonal success {_pct(d)}",
                "consistent" if d == 0.0 else "NOT consistent",
            )
        )
    first = [n for n in summary if n != "optimal"]
    if first:
        worst = max(summary[n]["success"] for n in first)
        out.append(
            (
                "First-order dynamics fail in most runs (Figure 2)",
                ", ".join(f"{n} {_pct(summary[n]['success'])}" for n in first) + " success",
                "consistent" if worst < 0.5 else "NOT consistent",
            )
        )
    multi = [n for n in first if n.startswith("alternating-k") and n != "alternating-k1"]
    if multi:
        worst = max(summary[n]["success"] for n in multi)
        out.append(
            (
                "... also with k > 1 discriminator steps per generator step",
                ", ".join(f"{n} {_pct(summary[n]['success'])}" for n in multi) + " success",
                "consistent" if worst < 0.5 else "NOT consistent",
            )
        )
    if first:
        parts, ok = [], True
        for n in first:
            lab = summary[n]["labels"]
            fail = 1.0 - lab.get("converged", 0.0)
            collapse = lab.get("discriminator_collapse", 0.0) + lab.get("mode_collapse", 0.0)
            share = collapse / fail if fail > 0 else math.nan
            parts.append(f"{n} {_pct(share)}")
            ok = ok and not math.isnan(share) and share > 0.5
        out.append(
            (
                "Failures are mostly discriminator collapse or mode collapse",
                "share of failures labelled discriminator_collapse or mode_collapse: " + ", ".join(parts),
                "consistent" if ok else "NOT consistent",
            )
        )
    return out


def _markdown(summary: dict[str, dict[str, Any]], meta: dict[str, Any], replay: dict[str, Any] | None) -> str:
    p = meta["parameters"]
    lines = [
        "# Figure 2 reproduction (gmmsym)",
        "",
        f"Grid: initial means `linspace({p['lo']}, {p['hi']}, {p['grid']})^2` "
        f"({p['grid'] ** 2} cells, {p['grid']} on the diagonal), `nu = {tuple(p['nu'])}`, "
        f"`eta = {p['eta']}`, {p['steps']} generator steps, `tol = {p['tol']}`, seed {p['seed']}.",
        f"First-order dynamics: {p['runs_per_cell']} discriminator initialisations per cell "
        "(endpoints i.i.d. uniform on [-2, 2], sorted). Optimal dynamics: one run per cell "
        "(deterministic; the discriminator initialisation is ignored).",
        f"Wall time {meta['seconds']:.1f} s with {meta['workers']} worker(s) "
        f"({meta['sweep']['computed']} runs computed, "
        f"{meta['sweep']['skipped']} reused from `{meta['db']}`).",
        "",
        "| dynamics | runs | success | off-diagonal | diagonal | worst off-diag. cell | "
        + " | ".join(LABELS)
        + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(LABELS),
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['runs']} | {_pct(s['success'])} | {_pct(s['success_offdiag'])} | "
            f"{_pct(s['success_diag'])} | {_pct(s['min_offdiag_cell_success'])} | "
            + " | ".join(_pct(s["labels"].get(lab, 0.0)) for lab in LABELS)
            + " |"
        )
    lines += [
        "",
        "Cost of the runs computed by this invocation (worker wall time and CPU time; "
        "one row-evaluation = one float64 gradient evaluation of one run):",
        "",
        "| dynamics | gradient evaluations per step | worker wall s | worker CPU s "
        "| CPU ns per row-evaluation |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        evals = meta["evaluations_per_step"][name]
        work = s["runs"] * p["steps"] * evals
        per = 1e9 * s["cpu_seconds"] / work if work and s["cpu_seconds"] else math.nan
        lines.append(
            f"| {name} | {evals} | {s['compute_seconds']:.1f} | {s['cpu_seconds']:.1f} | "
            + ("n/a" if math.isnan(per) else f"{per:.0f}")
            + " |"
        )
    lines += [
        "",
        "## The paper's claims (MODEL.md sections 6-7) against this run",
        "",
        "| claim | found | verdict |",
        "|---|---|---|",
    ]
    for claim, found, verdict in _claims(summary):
        lines.append(f"| {claim} | {found} | {verdict} |")
    lines += ["", "## 50-digit replay", ""]
    if replay is None or not replay["n"]:
        lines.append("No replay was run (`--replay 0`).")
    else:
        lines.append(
            f"{replay['agree']} of {replay['n']} float64 runs (failures first, seeded sample from "
            f"{', '.join(meta['replay_dynamics'])}) keep their label when re-run with mpmath at "
            f"{replay['precision']} digits: agreement {_pct(replay['rate'])} "
            f"(mpmath compute {replay['compute_seconds']:.1f} s)."
        )
        lines += [
            "",
            "| dynamics | run | float64 label | 50-digit label | max abs. diff. of final mu |",
            "|---|---:|---|---|---:|",
        ]
        for r in replay["rows"]:
            lines.append(
                f"| {r['dynamics']} | {r['config_hash']}:{r['run']} | {r['label64']} | {r['label_mp']} | "
                f"{r['max_dmu']:.2e} |"
            )
    lines += [
        "",
        "## Figures",
        "",
        *(f"![{n}](heatmap_{n}.png)" for n in summary),
        "",
        "![outcome labels](outcomes.png)",
        "",
    ]
    return "\n".join(lines)


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
    executor, chunk_size
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
    from gmmsym.dynamics import gradient_evaluations
    from gmmsym.experiments.replay import replay as run_replay

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    workers = default_workers() if workers is None else check_int("workers", workers, minimum=1)
    db = out / "figure2.db" if db is None else Path(db)
    params = {
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
    cells = figure2_cells(
        runs_per_cell=runs_per_cell,
        steps=steps,
        grid=grid,
        lo=params["lo"],
        hi=params["hi"],
        eta=params["eta"],
        nu=tuple(params["nu"]),
        seed=seed,
        tol=params["tol"],
    )
    res = sweep(
        cells,
        db=db,
        executor=executor,
        workers=workers,
        chunk_size=chunk_size,
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
        rep = run_replay(
            db,
            sample=replay,
            seed=seed,
            precision=replay_precision,
            dynamics=list(replay_dynamics),
            hashes=[c.hash for c in cells],
            executor=executor,
            workers=workers,
            progress=progress,
        )
        replay_dict = rep.as_dict()
    for name in summary:
        _heatmap(out / f"heatmap_{name}.png", name, grids[name], summary[name], params["nu"])
    _outcome_bars(out / "outcomes.png", summary)
    meta = {
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
    clean = json_clean(summary)
    atomic_write_text(out / "summary.json", json.dumps(clean, indent=2, allow_nan=False) + "\n")
    atomic_write_text(out / "summary.md", _markdown(summary, meta, replay_dict))
    atomic_write_text(out / "meta.json", json.dumps(json_clean(meta), indent=2, allow_nan=False) + "\n")
    return clean
