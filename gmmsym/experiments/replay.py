"""Re-run stored float64 runs with the mpmath engine and check that they keep their label.

``gmmsym replay --db PATH --sample N`` draws a seeded sample of stored runs, failures
(label other than ``converged``) first, re-runs each from its stored initial state with
``simulate(..., precision=dps)`` (default 50 digits, same dynamics, parameters and steps) and
reports how many keep their float64 label.  The runs are replayed for the model recorded in the
database (``RunStore.model``; a ``model`` given to :func:`replay` must be it).  Results go to
the ``replays`` table of the same database; runs already replayed at that precision are not
recomputed.

Cost: the mpmath engine evaluates one row at a time, about 1.8 ms of CPU per gradient evaluation
at 50 digits on the reference machine (2 cores, no AVX-512): a 3000-step ``simultaneous`` run
takes about 6 s of CPU, ``alternating`` with ``k = 1`` about 10 s (``k + 1`` evaluations per
step), an ``optimal`` run about 40 s.  Keep samples small or restrict them with ``dynamics`` /
``max_evaluations``; ``workers`` replays runs in parallel.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmsym.errors import InputError
from gmmsym.experiments.grid import ALL_DYNAMICS, USES_K
from gmmsym.experiments.runner import Progress, execute
from gmmsym.experiments.store import RunStore, layout
from gmmsym.experiments.sweep import dynamics_name
from gmmsym.io import json_clean
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.model.validate import check_int

__all__ = ["ReplayReport", "select_sample", "replay", "gradient_evaluations_per_run", "check_panels"]

_PANEL = re.compile(r"(?P<dynamics>[a-z]+)-k(?P<k>[1-9][0-9]*)")


def check_panels(names: Sequence[str], option: str = "dynamics") -> list[str]:
    """Check dynamics display names (``optimal``, ``simultaneous``, ``alternating-k5``, ...).

    Raises
    ------
    InputError
        A name is not a dynamics of :data:`~gmmsym.experiments.grid.ALL_DYNAMICS` (without
        ``k``) or ``<dynamics>-kN`` for a dynamics that uses ``k``.
    """
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        m = _PANEL.fullmatch(name) if isinstance(name, str) else None
        plain = [d for d in ALL_DYNAMICS if d not in USES_K]
        if not (name in plain or (m is not None and m["dynamics"] in USES_K)):
            known = ", ".join(plain + [f"{d}-kN" for d in USES_K])
            raise InputError(f"{option}: unknown dynamics {name!r}; known: {known}")
        out.append(name)
    return out


def gradient_evaluations_per_run(row: dict[str, Any]) -> int:
    """Gradient evaluations of a stored run: ``steps`` times the per-step count of its dynamics."""
    from gmmsym.dynamics import gradient_evaluations

    return int(row["steps"]) * gradient_evaluations(row["dynamics"], int(row["k"]))


def select_sample(
    rows: Sequence[dict[str, Any]],
    n: int,
    *,
    seed: int = 0,
    dynamics: Sequence[str] | None = None,
    max_evaluations: int | None = None,
) -> list[dict[str, Any]]:
    """A seeded sample of stored runs, failures first.

    Parameters
    ----------
    rows : sequence of dict
        Stored runs (as from :meth:`RunStore.iter_runs`, ordered by key).
    n : int
        Sample size (fewer if fewer rows qualify).
    seed : int
        Seed of the shuffle.
    dynamics : sequence of str, optional
        Keep only these dynamics names (``optimal``, ``simultaneous``, ``alternating-k5``, ...).
    max_evaluations : int, optional
        Keep only runs with at most this many gradient evaluations (cost filter).

    Returns
    -------
    list of dict
        Failures (label other than ``converged``) in a random order, then successes in a
        random order, truncated to ``n``; the same inputs always give the same sample.
    """
    n = check_int("sample", n, minimum=0)
    if dynamics is not None:
        dynamics = check_panels(dynamics)
    pool = [
        r
        for r in rows
        if (dynamics is None or dynamics_name(r["dynamics"], r["k"]) in dynamics)
        and (max_evaluations is None or gradient_evaluations_per_run(r) <= max_evaluations)
    ]
    pool.sort(key=lambda r: (r["config_hash"], r["run"]))
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    failures = [r for r in pool if r["label"] != "converged"]
    successes = [r for r in pool if r["label"] == "converged"]
    ordered = [failures[i] for i in rng.permutation(len(failures))] + [
        successes[i] for i in rng.permutation(len(successes))
    ]
    return ordered[:n]


def _replay_one(task: dict[str, Any]) -> dict[str, Any]:
    """Re-run one stored run at ``task["precision"]`` digits (executed in a worker)."""
    from gmmsym.dynamics import simulate

    t0 = time.perf_counter()
    r = task["row"]
    model = ModelSpec.parse(r["model"])
    lay, K = layout(model), model.K
    optimal = r["dynamics"] == "optimal"
    ell0 = None if optimal else np.array([[r[c] for c in lay.initial[K:]]])
    res = simulate(
        np.array([[r[c] for c in lay.nu]]),
        np.array([[r[c] for c in lay.initial[:K]]]),
        ell0,
        dynamics=r["dynamics"],
        eta=r["eta"],
        eta_d=None if optimal or math.isnan(r["eta_d"]) else r["eta_d"],
        k=int(r["k"]),
        steps=int(r["steps"]),
        precision=task["precision"],
        tol=r["tol"],
        model=model,
    )
    mu = np.asarray(res.mu, dtype=np.float64).reshape(K)
    ell = np.asarray(res.ell, dtype=np.float64).reshape(2 * model.M)
    return {
        "mu": mu.tolist(),
        "ell": ell.tolist(),
        "label": str(res.outcomes.label[0]),
        "flags": {name: bool(v[0]) for name, v in res.outcomes.flags.items()},
        "seconds": time.perf_counter() - t0,
    }


@dataclass
class ReplayReport:
    """Result of :func:`replay`.

    Attributes
    ----------
    precision : int
        Decimal digits of the replays.
    rows : list of dict
        One entry per sampled run: ``config_hash, run, dynamics`` (display name), ``label64``,
        ``label_mp``, ``agree``, ``max_dmu`` (largest difference of a final mean between the
        engines), ``seconds`` (mpmath compute time) and ``cached`` (replayed by an earlier call).
    seconds : float
        Wall time of this call.
    model : str
        ``ModelSpec.text()`` of the database's model.
    """

    precision: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    model: str = PAPER.text()

    @property
    def n(self) -> int:
        """Sample size."""
        return len(self.rows)

    @property
    def agree(self) -> int:
        """Runs whose mpmath label equals the float64 label."""
        return sum(r["agree"] for r in self.rows)

    @property
    def rate(self) -> float:
        """``agree / n`` (NaN for an empty sample)."""
        return self.agree / self.n if self.n else math.nan

    @property
    def compute_seconds(self) -> float:
        """Total mpmath compute time of the sampled runs (including earlier cached ones)."""
        return float(sum(r["seconds"] for r in self.rows))

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (non-finite numbers as :func:`gmmsym.io.json_clean` encodes them)."""
        return json_clean(
            {
                "precision": self.precision,
                "model": self.model,
                "n": self.n,
                "agree": self.agree,
                "rate": self.rate,
                "seconds": self.seconds,
                "compute_seconds": self.compute_seconds,
                "rows": self.rows,
            }
        )

    def table(self) -> str:
        """Plain-text report, one line per run and a total line."""
        head = ("config", "run", "dynamics", "float64", "mp", "max|dmu|", "s")
        lines = ["{:16s} {:>5s} {:16s} {:22s} {:22s} {:>9s} {:>6s}".format(*head)]
        for r in self.rows:
            lines.append(
                f"{r['config_hash']:16s} {r['run']:5d} {r['dynamics']:16s} {r['label64']:22s} "
                f"{r['label_mp']:22s} {r['max_dmu']:9.2e} {r['seconds']:6.1f}"
                + ("" if r["agree"] else "  DIFFERS")
            )
        lines.append(
            f"{self.agree}/{self.n} runs keep their label at {self.precision} digits, model {self.model} "
            f"(mpmath compute {self.compute_seconds:.1f} s, wall {self.seconds:.1f} s)"
        )
        return "\n".join(lines)


def replay(
    db: str | os.PathLike[str],
    *,
    sample: int = 4,
    seed: int = 0,
    precision: int = 50,
    dynamics: Sequence[str] | None = None,
    max_evaluations: int | None = None,
    hashes: Sequence[str] | None = None,
    executor: Executor | None = None,
    workers: int = 1,
    progress: bool = True,
    db_option: str = "db",
    model: ModelSpec | None = None,
    model_option: str = "model",
) -> ReplayReport:
    """Replay a seeded sample of stored runs with the mpmath engine.

    Parameters
    ----------
    db : path-like
        A sweep database.
    sample : int, default 4
        Number of runs (failures first, see :func:`select_sample`).
    seed : int, default 0
        Seed of the sample.
    precision : int, default 50
        mpmath decimal digits.
    dynamics, max_evaluations
        Restrict the sample (see :func:`select_sample`).
    hashes : sequence of str, optional
        Restrict the sample to these configuration hashes.
    executor, workers
        Where the replays run (as in :func:`gmmsym.experiments.sweep.sweep`); one run per task.
    progress : bool
        Show a progress bar.
    db_option : str, default "db"
        Name of ``db`` in error messages (``"--db"`` from the command line).
    model : ModelSpec, optional
        The database's model is used; if given, it must be that model.
    model_option : str, default "model"
        Name of ``model`` in error messages (``"--model"`` from the command line).

    Returns
    -------
    ReplayReport

    Raises
    ------
    FileError
        ``db`` does not exist (it is never created) or is not a gmmsym database, or a sampled
        row fails its checksum.
    InputError
        An unknown dynamics name, or ``sample > 0`` and no stored run matches the selection.
    """
    t0 = time.perf_counter()
    precision = check_int("precision", precision, minimum=15)
    workers = check_int("workers", workers, minimum=1)
    sample = check_int("sample", sample, minimum=0)
    if dynamics is not None:
        dynamics = check_panels(dynamics)
    tag = str(precision)
    with RunStore(db, create=False, option=db_option, model=model, model_option=model_option) as store:
        rows = store.runs_for(hashes) if hashes is not None else list(store.iter_runs())
        chosen = select_sample(rows, sample, seed=seed, dynamics=dynamics, max_evaluations=max_evaluations)
        if sample and not chosen:
            raise InputError(_nothing_matches(db_option, store.path, rows, dynamics, max_evaluations))
        cached = store.replays(tag)
        todo = [r for r in chosen if (r["config_hash"], r["run"]) not in cached]
        results = _replay_missing(store, todo, precision, executor, workers, progress)
        lay = store.layout
    report = ReplayReport(precision=precision, model=lay.model.text())
    for r in chosen:
        key = (r["config_hash"], r["run"])
        report.rows.append(_report_row(r, results.get(key) or cached[key], key not in results, lay))
    report.seconds = time.perf_counter() - t0
    return report


def _nothing_matches(
    option: str, path: Any, rows: Sequence[dict[str, Any]], dynamics: Any, max_evaluations: Any
) -> str:
    panels = sorted({dynamics_name(r["dynamics"], r["k"]) for r in rows})
    held = f"it holds {len(rows)} runs ({', '.join(panels)})" if rows else "it holds no runs"
    return (
        f"{option}: no stored run of {path} matches the selection "
        f"(dynamics={list(dynamics) if dynamics else 'any'}, max_evaluations={max_evaluations}); {held}"
    )


def _replay_missing(
    store: RunStore,
    todo: list[dict[str, Any]],
    precision: int,
    executor: Executor | None,
    workers: int,
    progress: bool,
) -> dict[tuple[str, int], dict[str, Any]]:
    """Replay ``todo`` and commit each replay as it finishes; return ``{(hash, run): record}``."""
    results: dict[tuple[str, int], dict[str, Any]] = {}

    def done(row: dict[str, Any], out: dict[str, Any]) -> None:
        final = dict(zip(store.layout.final, [*out["mu"], *out["ell"]]))
        rec = {"config_hash": row["config_hash"], "run": row["run"], "precision": str(precision), **final}
        rec.update(label=out["label"], flags=out["flags"], seconds=out["seconds"])
        store.write_replays([rec])  # committed per run: an interrupted replay keeps its work
        results[(row["config_hash"], row["run"])] = rec
        bar.advance(gradient_evaluations_per_run(row), 1)

    cost = float(sum(gradient_evaluations_per_run(r) for r in todo))
    with Progress(progress, cost, len(todo), f"replay {precision} digits") as bar:
        tasks = [({"row": r, "precision": precision}, r) for r in todo]
        execute(_replay_one, tasks, executor, workers, done, bar)
    return results


def _report_row(r: dict[str, Any], rec: dict[str, Any], cached: bool, lay: Any) -> dict[str, Any]:
    means = lay.final[: lay.model.K]
    return {
        "config_hash": r["config_hash"],
        "run": int(r["run"]),
        "dynamics": dynamics_name(r["dynamics"], r["k"]),
        "label64": r["label"],
        "label_mp": rec["label"],
        "agree": rec["label"] == r["label"],
        "max_dmu": float(max(abs(rec[c] - r[c]) for c in means)),
        "seconds": float(rec["seconds"]),
        "cached": cached,
    }
