"""Command line: ``gmmsym sweep``, ``gmmsym reproduce figure2`` and ``gmmsym replay``.

Examples
--------
::

    gmmsym sweep --db runs.db --dynamics simultaneous alternating --k 1 5 --steps 3000 \\
        --mu-grid -1 1 10 --runs 100 --workers 2
    gmmsym sweep --db runs.db --export csv runs.csv          # export only
    gmmsym reproduce figure2 --out fig2 --workers 2
    gmmsym replay --db fig2/figure2.db --sample 4 --dynamics simultaneous
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gmmsym.cli.options import (
    FORMATTER,
    add_k_option,
    add_model_option,
    dynamics_type,
    expand_dynamics,
    in_cli_terms,
    nonnegative_int,
    positive_int,
)
from gmmsym.errors import InputError
from gmmsym.io import check_input_file, check_output_dir, check_output_file, file_errors

__all__ = ["add_parser", "grid_from_args"]


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``sweep``, ``reproduce`` (with ``figure2``) and ``replay``."""
    _add_sweep(sub)
    _add_reproduce(sub)
    _add_replay(sub)


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        formatter_class=FORMATTER,
        help="run (or resume) a grid of simulations into SQLite; export CSV/JSON",
        description=(
            "Run a grid of configurations with the float64 engine, one SQLite row per run. "
            "Runs already in --db are skipped, so an interrupted sweep resumes where it stopped. "
            "The grid comes from --config (JSON object, keys as gmmsym.experiments.sweep.expand_grid) "
            "or from the flags below; without a grid, only --export is done."
        ),
    )
    p.add_argument("--db", required=True, metavar="PATH", help="SQLite database (created if missing)")
    p.add_argument("--config", metavar="FILE", help="grid as a JSON object (overrides the grid flags)")
    p.add_argument(
        "--dynamics",
        nargs="+",
        type=dynamics_type,
        metavar="NAME",
        help="dynamics or panel names such as alternating-k5; required to run from flags",
    )
    p.add_argument("--eta", nargs="+", type=float, default=[0.1], help="generator step sizes (default 0.1)")
    p.add_argument(
        "--eta-d", nargs="+", type=float, default=None, help="discriminator step sizes (default eta)"
    )
    add_k_option(p, nargs="+")
    p.add_argument("--steps", nargs="+", type=nonnegative_int, default=[3000], help="generator steps")
    add_model_option(p)
    p.add_argument(
        "--nu",
        nargs="+",
        type=float,
        action="append",
        metavar="NU",
        help="true means, K numbers; repeatable",
    )
    p.add_argument(
        "--mu-grid",
        nargs=3,
        type=float,
        metavar=("LO", "HI", "N"),
        default=None,
        help="initial means on linspace(LO, HI, N)^2 (default -1 1 10; K = 2 only)",
    )
    p.add_argument(
        "--mu0",
        nargs="+",
        type=float,
        action="append",
        metavar="MU",
        help="initial means, K numbers (repeatable)",
    )
    p.add_argument(
        "--runs", type=positive_int, default=100, help="discriminator inits per cell (default 100)"
    )
    p.add_argument("--seed", nargs="+", type=nonnegative_int, default=[0], help="base seeds (default 0)")
    p.add_argument("--tol", type=float, default=0.1, help="outcome tolerance (default 0.1)")
    _add_exec_args(p, default_workers=1)
    p.add_argument(
        "--export",
        nargs=2,
        metavar=("FORMAT", "PATH"),
        help="after the sweep (if any), write every stored run as csv or json to PATH (- for stdout)",
    )
    p.add_argument("--json", action="store_true", help="print the sweep summary as JSON")
    p.set_defaults(func=_sweep)


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="reproduce a figure of the paper")
    rsub = p.add_subparsers(dest="figure", metavar="FIGURE")
    rsub.required = True
    f = rsub.add_parser(
        "figure2",
        formatter_class=FORMATTER,
        help="Figure 2: success heatmaps of optimal vs first-order dynamics (docs/model.md section 6)",
        description=(
            "Sweep linspace(-1, 1, 10)^2 initial means with nu = (-0.5, 0.5), eta = 0.1, 3000 steps for "
            "optimal (one run per cell: deterministic), simultaneous and alternating k = 1, 5, 20 "
            "(--runs-per-cell discriminator inits each); write heatmaps, outcomes.png, summary.json, "
            "summary.md and meta.json into --out. The default (40,100 runs, 9e8 row-gradient evaluations) "
            "costs about 240 CPU seconds on a 2-core machine without AVX-512: about 2.5 minutes with "
            "2 idle cores, longer on a shared machine."
        ),
    )
    f.add_argument("--out", required=True, metavar="DIR", help="output directory")
    f.add_argument("--runs-per-cell", type=positive_int, default=100, help="first-order runs per cell")
    f.add_argument("--steps", type=nonnegative_int, default=3000, help="generator steps")
    f.add_argument("--grid", type=positive_int, default=10, help="initial means per axis")
    f.add_argument("--db", default=None, metavar="PATH", help="database (default OUT/figure2.db; reused)")
    f.add_argument("--seed", type=nonnegative_int, default=0, help="base seed")
    f.add_argument(
        "--replay",
        type=nonnegative_int,
        default=2,
        metavar="N",
        help="runs replayed at 50 digits (0 = none; ~6-20 s each)",
    )
    f.add_argument(
        "--replay-dynamics",
        nargs="+",
        default=None,
        metavar="NAME",
        help="panels the replay sample is drawn from (default simultaneous alternating-k1)",
    )
    _add_exec_args(f, default_workers=None)
    f.set_defaults(func=_figure2)
    from gmmsym.cli.figure2_k3 import add_parser as add_figure2_k3

    add_figure2_k3(rsub)


def _add_replay(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        formatter_class=FORMATTER,
        help="re-run a sample of stored float64 runs at 50 digits (mpmath) and compare labels",
        description=(
            "Draw a seeded sample of runs from --db (failures first), re-run each with "
            "simulate(..., precision=DIGITS) from its stored initial state and report how many keep "
            "their label. mpmath costs ~1.8 ms per gradient evaluation: a 3000-step simultaneous run "
            "takes ~6 s of CPU, alternating with k steps ~(k+1) times that, optimal ~40 s."
        ),
    )
    p.add_argument("--db", required=True, metavar="PATH", help="sweep database (must exist)")
    p.add_argument("--sample", type=nonnegative_int, default=4, help="runs to replay (default 4)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--precision", type=int, default=50, help="mpmath digits (default 50)")
    p.add_argument(
        "--dynamics", nargs="+", default=None, metavar="NAME", help="only these panels (e.g. simultaneous)"
    )
    p.add_argument(
        "--max-evaluations", type=positive_int, default=None, help="skip runs costing more evaluations"
    )
    p.add_argument("--json", default=None, metavar="PATH", help="also write the report as JSON")
    model = add_model_option(p)
    model.default = None
    model.help = "the model (default: the one recorded in --db; if given, it must be that one)"
    _add_exec_args(p, default_workers=1, chunks=False)
    p.set_defaults(func=_replay)


def _add_exec_args(p: argparse.ArgumentParser, *, default_workers: int | None, chunks: bool = True) -> None:
    what = "all CPUs" if default_workers is None else str(default_workers)
    p.add_argument(
        "--workers", type=positive_int, default=default_workers, help=f"worker processes (default {what})"
    )
    if chunks:
        p.add_argument(
            "--chunk-size", type=positive_int, default=None, help="fixed rows per chunk (default automatic)"
        )
        p.add_argument(
            "--chunk-seconds",
            type=_positive_float,
            default=None,
            metavar="S",
            help="automatic chunks: expected seconds of each (default 10, the library's CHUNK_SECONDS; "
            "results do not depend on it)",
        )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def grid_from_args(args: argparse.Namespace) -> dict[str, Any] | list[Any] | None:
    """The sweep grid of ``gmmsym sweep`` arguments: the ``--config`` mapping, the cells of the
    grid flags (``--dynamics`` names or panel names with ``-k``), or None if no grid was given."""
    if args.config:
        path = check_input_file(args.config, "--config")
        with file_errors("--config", path):
            text = path.read_text()
        try:
            grid = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"--config: {path} is not valid JSON ({exc})") from None
        if not isinstance(grid, dict):
            raise InputError(f"--config: expected a JSON object, got {type(grid).__name__}")
        return grid
    if not args.dynamics:
        return None
    if args.mu0 and args.mu_grid:
        raise InputError("--mu0 and --mu-grid are exclusive")
    K = args.model.K
    if K != 2 and not (args.nu and args.mu0):
        raise InputError(f"--nu and --mu0: required ({K} numbers each) for --model {args.model.text()}")
    for option, rows in (("--nu", args.nu or []), ("--mu0", args.mu0 or [])):
        for row in rows:
            if len(row) != K:
                raise InputError(f"{option}: expected K={K} numbers for the --model, got {len(row)}")
    grid: dict[str, Any] = {
        "eta": args.eta,
        "eta_d": args.eta_d if args.eta_d else [None],
        "steps": args.steps,
        "nu": [tuple(v) for v in args.nu] if args.nu else [(-0.5, 0.5)],
        "runs": args.runs,
        "seed": args.seed,
        "tol": args.tol,
    }
    if args.mu0:
        grid["mu0"] = [tuple(v) for v in args.mu0]
    else:
        lo, hi, n = args.mu_grid if args.mu_grid else (-1.0, 1.0, 10.0)
        if n != int(n) or n < 1:
            raise InputError(f"--mu-grid: N must be an integer >= 1, got {n}")
        grid["mu_grid"] = [lo, hi, int(n)]
    return _cells(grid, expand_dynamics(args.dynamics, args.k), args.model)


def _cells(grid: dict[str, Any], pairs: list[tuple[str, int]], model: Any) -> list[Any]:
    """The cells of ``grid`` for every ``(dynamics, k)`` pair of ``--dynamics`` / ``-k``."""
    from gmmsym.experiments.grid import expand_grid

    return [
        cell for name, k in pairs for cell in expand_grid({**grid, "dynamics": name, "k": k}, model=model)
    ]


def _sweep(args: argparse.Namespace) -> int:
    from gmmsym.experiments.store import RunStore, check_database
    from gmmsym.experiments.sweep import sweep

    with in_cli_terms(_sweep_options(args)):  # the grid is checked while it is expanded
        grid = grid_from_args(args)
    if grid is None and not args.export:
        raise InputError(
            "nothing to do: give a grid (--dynamics ... or --config FILE) and/or --export FORMAT PATH"
        )
    if args.export and args.export[0].lower() not in ("csv", "json"):
        raise InputError(f"--export: format must be csv or json, got {args.export[0]!r}")
    check_database(args.db, "--db", create=grid is not None)  # before any work
    if args.export:
        check_output_file(args.export[1], "--export", allow_stdout=True)
    if grid is not None:
        with in_cli_terms(_sweep_options(args)):
            res = _run_sweep(sweep, grid, args)
        to_stdout = bool(args.export) and args.export[1] == "-"
        _print_sweep(res, args.json, sys.stderr if to_stdout else None)
    if args.export:
        with RunStore(args.db, readonly=grid is None, option="--db") as store:
            path = store.export(args.export[0], args.export[1], option="--export")
            n = store.count()
        to_stderr = args.json or str(path) == "-"
        print(f"exported {n} runs to {path}", file=sys.stderr if to_stderr else sys.stdout)
    return 0


def _sweep_options(args: argparse.Namespace) -> dict[str, str]:
    """Library argument names of a sweep grid -> the options (``--config`` when the grid is a file)."""
    if args.config:
        return {"config_grid": "--config"}
    names = ("eta", "eta_d", "steps", "nu", "mu0", "mu_grid", "runs", "seed", "tol")
    return {"config_grid": "grid", **{n: "--" + n.replace("_", "-") for n in names}}


def _run_sweep(sweep: Any, grid: Any, args: argparse.Namespace) -> Any:
    return sweep(
        grid,
        db=args.db,
        workers=args.workers,
        chunk_size=args.chunk_size,
        chunk_seconds=_chunk_seconds(args),
        progress=not args.no_progress,
        db_option="--db",
        model=args.model,
        model_option="--model",
    )


def _chunk_seconds(args: argparse.Namespace) -> float:
    from gmmsym.experiments.plan import CHUNK_SECONDS

    return CHUNK_SECONDS if args.chunk_seconds is None else args.chunk_seconds


def _print_sweep(res: Any, as_json: bool, out: Any = None) -> None:
    """The sweep summary on ``out`` (stdout; stderr when the export goes to stdout)."""
    out = out or sys.stdout
    for key in res.tampered:
        print(f"--db: run {key[0]}:{key[1]} failed its checksum; recomputed", file=sys.stderr)
    if as_json:
        print(json.dumps(res.as_dict(), indent=2), file=out)
        return
    print(
        f"{res.cells} cells, {res.runs} runs: {res.computed} computed in {res.chunks} chunk(s), "
        f"{res.skipped} already in {res.db} ({res.seconds:.1f} s), model {res.model}",
        file=out,
    )
    print("labels: " + ", ".join(f"{k} {v}" for k, v in res.labels.items()), file=out)


def _figure2(args: argparse.Namespace) -> int:
    from gmmsym.experiments.figure2 import REPLAY_DYNAMICS, reproduce_figure2
    from gmmsym.experiments.replay import check_panels
    from gmmsym.experiments.store import check_database

    check_output_dir(args.out, "--out")  # before any work
    if args.replay_dynamics is not None:
        check_panels(args.replay_dynamics, "--replay-dynamics")
    if args.db is not None:
        check_database(args.db, "--db")
    summary = reproduce_figure2(
        args.out,
        runs_per_cell=args.runs_per_cell,
        steps=args.steps,
        grid=args.grid,
        workers=args.workers,
        db=args.db,
        chunk_size=args.chunk_size,
        chunk_seconds=_chunk_seconds(args),
        seed=args.seed,
        replay=args.replay,
        replay_dynamics=args.replay_dynamics or REPLAY_DYNAMICS,
        progress=not args.no_progress,
    )
    meta = json.loads((Path(args.out) / "meta.json").read_text())  # just written by this process
    for name, s in summary.items():
        print(
            f"{name:16s} success {s['success']:.3f}  off-diagonal {s['success_offdiag']:.3f}  "
            f"runs {s['runs']}"
        )
    rep = meta.get("replay")
    if rep:
        print(f"replay: {rep['agree']}/{rep['n']} runs keep their label at {rep['precision']} digits")
    print(f"wrote {args.out} in {meta['seconds']:.1f} s")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from gmmsym.experiments.replay import check_panels, replay
    from gmmsym.experiments.store import check_database
    from gmmsym.io import atomic_write_text

    check_database(args.db, "--db", create=False)  # before any work: a missing database is an error
    if args.dynamics is not None:
        check_panels(args.dynamics, "--dynamics")
    if args.json:
        check_output_file(args.json, "--json")
    with in_cli_terms({"precision": "--precision", "sample": "--sample", "seed": "--seed"}):
        rep = _run_replay(replay, args)
    print(rep.table())
    if args.json:
        with file_errors("--json", args.json):
            atomic_write_text(args.json, json.dumps(rep.as_dict(), indent=2, allow_nan=False) + "\n")
        print(f"wrote {args.json}")
    return 0


def _run_replay(replay: Any, args: argparse.Namespace) -> Any:
    return replay(
        args.db,
        sample=args.sample,
        seed=args.seed,
        precision=args.precision,
        dynamics=args.dynamics,
        max_evaluations=args.max_evaluations,
        workers=args.workers,
        progress=not args.no_progress,
        db_option="--db",
        model=args.model,
        model_option="--model",
    )
