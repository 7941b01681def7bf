"""``gmmsym simulate``: run one batch of GAN dynamics from the command line.

Mirrors :func:`gmmsym.dynamics.simulate`::

    gmmsym simulate --nu -0.5 0.5 --mu 0.2 0.9 --mu -1 1 --seed 7 --dynamics alternating -k 5 \\
        --steps 3000 --json out.json --plot out.png --log-time

prints a table (initial and final means, initial and final discriminator, label) and optionally
writes, as strict JSON (:func:`gmmsym.io.json_text`: lists per row, infinite endpoints as the
strings ``"inf"``/``"-inf"``, NaN as ``null``)::

    {"gmmsym": version, "config": {...}, "mu0", "ell0" (the initial discriminator, also when
     drawn from --seed), "mu_final", "ell_final", "label", "flags", "steps_taken",
     "trajectory": {"t": (T,), "mu": (T, N, K), "ell": (T, N, 2M), "tv": (T, N)}}

``--model K=3,M=3,weights=1/4:1/4:1/2,sigma=1`` runs another model (``--nu``/``--mu`` then take
``K`` numbers, ``--ell`` ``2M``; ``config.model`` records it); ``--plot`` is for ``K = M = 2``.

(``trajectory`` only when recorded: ``--record-every`` or ``--plot``), and a PNG
(:mod:`gmmsym.cli.simulate_plot`): the means, the endpoints, TV(t) and the (mu1, mu2) phase view.
Every output location is checked before any work; files are written atomically.
"""

from __future__ import annotations

import argparse
from typing import Any

from gmmsym.cli.options import (
    FORMATTER,
    add_k_option,
    add_model_option,
    dynamics_type,
    in_cli_terms,
    positive_int,
    resolve_dynamics,
)
from gmmsym.errors import InputError
from gmmsym.io import atomic_write_text, check_output_file, file_errors, json_text, table_console

__all__ = ["add_parser", "precision_arg", "payload"]

#: simulate() argument -> its option, for errors in the terms of the command line
OPTIONS = {"nu": "--nu", "mu0": "--mu", "ell0": "--ell", "eta": "--eta", "eta_d": "--eta-d", "k": "-k/--k",
           "steps": "--steps", "precision": "--precision", "record_every": "--record-every",
           "seed": "--seed", "tol": "--tol", "dynamics": "--dynamics", "model": "--model"}  # fmt: skip
PLOT_RECORDS = 500  # default number of trajectory records for --plot
LOG_PLOT_RECORDS = 20_000  # with --log-time: every step up to this many (the motion is early)


def precision_arg(text: str) -> str | int:
    """``"float64"`` or an int number of decimal digits (argparse type)."""
    if text == "float64":
        return text
    try:
        return int(text)
    except ValueError:
        msg = f"expected 'float64' or an int number of digits, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def add_parser(sub: Any) -> None:
    """Register ``gmmsym simulate`` on an ``argparse`` subparsers object."""
    from gmmsym.dynamics import DYNAMICS

    p = sub.add_parser(
        "simulate",
        help="run GAN dynamics (optimal, simultaneous, alternating, extragradient, optimistic)",
        description=(
            "Run GAN dynamics of the GMM model (docs/model.md section 4) from one or more starting "
            "points; print initial and final state and the outcome label of each row."
        ),
        formatter_class=FORMATTER,
    )
    add_model_option(p)
    p.add_argument("--nu", nargs="+", type=float, metavar="NU", default=None,
                   help="true means, K numbers (default: -0.5 0.5, the paper's)")  # fmt: skip
    p.add_argument("--mu", nargs="+", type=float, metavar="MU", action="append", required=True,
                   help="initial generator means, K numbers; repeat for a batch (required)")  # fmt: skip
    p.add_argument("--ell", nargs="+", type=float, metavar="E", action="append",
                   help="initial discriminator l1 r1 ... lM rM (ordered); once for all rows or once "
                        "per --mu (default: drawn from --seed)")  # fmt: skip
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of the drawn initial discriminators, row i from rng [S, i] "
                        "(default: 0 when --ell is not given)")  # fmt: skip
    p.add_argument("--dynamics", type=dynamics_type, default="simultaneous", metavar="NAME",
                   help=f"one of {', '.join(DYNAMICS)}, or alternating-kN (= alternating -k N)")  # fmt: skip
    p.add_argument("--eta", type=float, default=0.1, help="generator step size")
    p.add_argument("--eta-d", type=float, default=None, help="discriminator step size (default: --eta)")
    add_k_option(p)
    p.add_argument("--steps", type=int, default=1000, help="generator steps")
    p.add_argument("--precision", type=precision_arg, default="float64",
                   help="'float64' or a number of decimal digits (mpmath)")  # fmt: skip
    p.add_argument("--tol", type=float, default=0.1, help="outcome tolerance (docs/model.md section 5)")
    p.add_argument("--record-every", type=positive_int, default=None, metavar="R",
                   help=f"record the trajectory every R steps, written to --json "
                        f"(default: none; with --plot steps/{PLOT_RECORDS}, with --log-time "
                        f"steps/{LOG_PLOT_RECORDS})")  # fmt: skip
    p.add_argument(
        "--json", metavar="PATH", default=None, help="write config, initial and final state as JSON"
    )
    p.add_argument(
        "--plot", metavar="PATH", default=None, help="write a PNG: means, endpoints, TV(t), phase view"
    )
    p.add_argument("--log-time", action="store_true", help="--plot: logarithmic time axis")
    p.set_defaults(func=_run)


def _resolve(args: argparse.Namespace) -> dict[str, Any]:
    """The simulate() arguments of the command line, checked in CLI terms (InputError)."""
    import numpy as np

    dynamics, k = resolve_dynamics(args.dynamics, args.k)
    model = args.model
    nu = [-0.5, 0.5] if args.nu is None and model.K == 2 else args.nu
    if nu is None:
        raise InputError(f"--nu: required for a model with K={model.K} ({model.text()})")
    _check_width("--nu", [nu], model.K, "K")
    _check_width("--mu", args.mu, model.K, "K")
    mu0 = np.array(args.mu, dtype=np.float64)
    ell0 = None
    if args.ell:
        _check_width("--ell", args.ell, 2 * model.M, "2M")
        if dynamics == "optimal":
            raise InputError("--ell: not used by --dynamics optimal (its discriminator is ell*(mu))")
        if args.seed is not None:
            raise InputError("--seed: not used when --ell is given (it draws the initial discriminators)")
        ell0 = np.array(args.ell, dtype=np.float64)
        if ell0.shape[0] not in (1, mu0.shape[0]):
            raise InputError(f"--ell: give it once or once per --mu ({mu0.shape[0]}), got {ell0.shape[0]}")
    record_every = args.record_every
    if args.plot is not None and record_every is None:
        records = LOG_PLOT_RECORDS if args.log_time else PLOT_RECORDS
        record_every = max(1, args.steps // records)
    seed = args.seed if args.seed is not None or ell0 is not None else 0
    return dict(nu=nu, mu0=mu0, ell0=ell0, dynamics=dynamics, eta=args.eta, eta_d=args.eta_d, k=k,
                steps=args.steps, precision=args.precision, record_every=record_every, seed=seed,
                tol=args.tol, model=model)  # fmt: skip


def _check_width(option: str, rows: list, width: int, what: str) -> None:
    """Every occurrence of ``option`` has ``width`` numbers (``what`` = "K" or "2M")."""
    for row in rows:
        if len(row) != width:
            raise InputError(f"{option}: expected {what}={width} numbers for the --model, got {len(row)}")


def _preflight(args: argparse.Namespace) -> None:
    """Check every output location (and --plot's dependency) before any work."""
    import importlib.util

    paths = {
        opt: getattr(args, opt[2:]) for opt in ("--json", "--plot") if getattr(args, opt[2:]) is not None
    }
    for opt, path in paths.items():
        check_output_file(path, opt, parents=True)
    if len(paths) == 2 and paths["--json"] == paths["--plot"]:
        raise InputError("--json and --plot: the same file given twice")
    if args.plot is not None and (args.model.K, args.model.M) != (2, 2):
        raise InputError("--plot: only for models with K = M = 2 (the phase view is (mu1, mu2)); use --json")
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot: needs matplotlib (pip install matplotlib)")


def payload(res: Any) -> dict[str, Any]:
    """The ``--json`` document of a :class:`~gmmsym.dynamics.engine.SimulationResult`."""
    from gmmsym.cli.main import version

    doc = {
        "gmmsym": version(),
        "config": res.config,
        "mu0": res.mu0,
        "ell0": res.ell0,
        "mu_final": res.mu,
        "ell_final": res.ell,
        "label": res.label,
        "flags": dict(res.outcomes.flags),
        "steps_taken": res.steps_taken,
    }
    if res.trajectory is not None:
        from gmmsym.cli.simulate_plot import trajectory_tv

        doc["trajectory"] = {**res.trajectory, "tv": trajectory_tv(res)}
    return doc


def _run(args: argparse.Namespace) -> int:
    from gmmsym.dynamics import simulate

    kwargs = _resolve(args)
    _preflight(args)
    with in_cli_terms(OPTIONS):
        res = simulate(**kwargs)
    _print_table(res)
    if args.json is not None:
        with file_errors("--json", args.json):
            atomic_write_text(args.json, json_text(payload(res), indent=1))
        print(f"wrote {args.json}")
    if args.plot is not None:
        from gmmsym.cli.simulate_plot import plot

        with file_errors("--plot", args.plot):
            plot(res, args.plot, log_time=args.log_time)
        print(f"wrote {args.plot}")
    return 0


def _print_table(res: Any) -> None:
    from rich.table import Table

    cfg = res.config
    name = f"{cfg['dynamics']}-k{cfg['k']}" if cfg["dynamics"] == "alternating" else cfg["dynamics"]
    title = f"gmmsym simulate: {name}, {cfg['steps']} steps, seed {cfg.get('seed')}, model {cfg['model']}"
    table = Table(title=title)
    for col in ("row", "mu0", "ell0", "mu final", "ell final", "label"):
        table.add_column(col)

    def fmt(values: Any) -> str:
        return "(" + ", ".join(f"{v:.6g}" for v in values) + ")"

    for i in range(res.mu.shape[0]):
        cells = (res.mu0[i], res.ell0[i], res.mu[i], res.ell[i])
        table.add_row(str(i), *(fmt(c) for c in cells), str(res.label[i]))
    console = table_console()
    console.print(table)
    counts = ", ".join(f"{label} {n}" for label, n in res.outcomes.counts().items() if n)
    console.print(f"labels: {counts}")
