"""``gmmsym simulate``: run one batch of GAN dynamics from the command line.

Mirrors :func:`gmmsym.dynamics.simulate`::

    gmmsym simulate --nu -0.5 0.5 --mu 0.2 0.9 --mu -1 1 --seed 7 --dynamics alternating -k 5 \\
        --steps 3000 --json out.json --plot out.png

prints a table (initial and final means, final discriminator, label), and optionally writes
``{"config", "mu_final", "ell_final", "label", "flags"}`` as strict JSON (lists per row;
infinite endpoints as the strings ``"inf"``/``"-inf"``, NaN as ``null``: :func:`gmmsym.io.json_text`)
and a PNG of ``mu_1(t), mu_2(t)`` and the four endpoints over time with the true means marked.
Both files are written atomically (:mod:`gmmsym.io`).
"""

from __future__ import annotations

import argparse
from typing import Any

from gmmsym.errors import InputError
from gmmsym.io import atomic_savefig, atomic_write_text, json_text, table_console

__all__ = ["add_parser", "precision_arg"]

_PLOT_RECORDS = 500  # default number of trajectory records for --plot


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
        description="Run GAN dynamics of the GMM model on one or more starting points.",
    )
    p.add_argument("--nu", nargs=2, type=float, metavar=("NU1", "NU2"), default=[-0.5, 0.5],
                   help="true means (default: -0.5 0.5)")  # fmt: skip
    p.add_argument("--mu", nargs=2, type=float, metavar=("MU1", "MU2"), action="append", required=True,
                   help="initial generator means; repeat for a batch")  # fmt: skip
    p.add_argument("--ell", nargs=4, type=float, metavar=("L1", "R1", "L2", "R2"), action="append",
                   help="initial discriminator (ordered); once for all rows or once per --mu")  # fmt: skip
    p.add_argument("--seed", type=int, default=None, help="draw the discriminators (row i: rng [S, i])")
    p.add_argument("--dynamics", choices=DYNAMICS, default="simultaneous")
    p.add_argument("--eta", type=float, default=0.1, help="generator step size (default 0.1)")
    p.add_argument("--eta-d", type=float, default=None, help="discriminator step size (default: eta)")
    p.add_argument("-k", type=int, default=1, help="discriminator steps per generator step (alternating)")
    p.add_argument("--steps", type=int, default=1000, help="generator steps (default 1000)")
    p.add_argument("--precision", type=precision_arg, default="float64",
                   help="'float64' (default) or decimal digits for mpmath")  # fmt: skip
    p.add_argument("--tol", type=float, default=0.1, help="convergence tolerance (default 0.1)")
    p.add_argument("--record-every", type=int, default=None,
                   help=f"trajectory record interval (--plot default: steps/{_PLOT_RECORDS})")  # fmt: skip
    p.add_argument("--json", metavar="PATH", default=None, help="write config and results as JSON")
    p.add_argument("--plot", metavar="PATH", default=None, help="write a PNG of the trajectories")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from gmmsym.dynamics import simulate

    mu0 = np.array(args.mu, dtype=np.float64)
    ell0 = None
    if args.ell:
        ell0 = np.array(args.ell, dtype=np.float64)
        if ell0.shape[0] not in (1, mu0.shape[0]):
            raise InputError(f"--ell: give it once or once per --mu ({mu0.shape[0]}), got {ell0.shape[0]}")
    record_every = args.record_every
    if args.plot and record_every is None:
        record_every = max(1, args.steps // _PLOT_RECORDS)
    res = simulate(
        args.nu,
        mu0,
        ell0,
        dynamics=args.dynamics,
        eta=args.eta,
        eta_d=args.eta_d,
        k=args.k,
        steps=args.steps,
        precision=args.precision,
        record_every=record_every,
        seed=args.seed,
        tol=args.tol,
    )
    _print_table(res)
    if args.json:
        payload = {
            "config": res.config,
            "mu_final": res.mu.tolist(),
            "ell_final": res.ell.tolist(),
            "label": res.label.tolist(),
            "flags": {name: flag.tolist() for name, flag in res.outcomes.flags.items()},
        }

        atomic_write_text(args.json, json_text(payload, indent=1))
    if args.plot:
        _plot(res, args.plot)
    return 0


def _print_table(res) -> None:
    from rich.table import Table

    table = Table(title=f"gmmsym simulate: {res.config['dynamics']}, {res.config['steps']} steps")
    for col in ("row", "mu0", "mu final", "ell final", "label"):
        table.add_column(col)

    def fmt(values) -> str:
        return "(" + ", ".join(f"{v:.6g}" for v in values) + ")"

    for i in range(res.mu.shape[0]):
        table.add_row(str(i), fmt(res.mu0[i]), fmt(res.mu[i]), fmt(res.ell[i]), str(res.label[i]))
    console = table_console()
    console.print(table)
    counts = ", ".join(f"{name} {n}" for name, n in res.outcomes.counts().items() if n)
    console.print(f"labels: {counts}")


def _plot(res, path: str) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traj = res.trajectory
    t = traj["t"]
    fig, (ax_mu, ax_ell) = plt.subplots(2, 1, sharex=True, figsize=(8, 7))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i in range(res.mu.shape[0]):
        c = colors[i % len(colors)]
        ax_mu.plot(t, traj["mu"][:, i, 0], color=c, lw=1.2, label=f"row {i}: mu_1")
        ax_mu.plot(t, traj["mu"][:, i, 1], color=c, lw=1.2, ls="--", label=f"row {i}: mu_2")
        for j, (name, ls) in enumerate(zip(("l1", "r1", "l2", "r2"), ("-", "--", "-.", ":"))):
            ax_ell.plot(t, traj["ell"][:, i, j], color=c, lw=0.9, ls=ls, label=f"row {i}: {name}")
    for ax in (ax_mu, ax_ell):
        for v in sorted(set(np.ravel(res.nu).tolist())):
            ax.axhline(v, color="k", lw=0.8, ls=":", alpha=0.7)
    ax_mu.set_ylabel("generator means mu")
    ax_ell.set_ylabel("discriminator endpoints")
    ax_ell.set_xlabel("generator step t")
    ax_mu.set_title(f"{res.config['dynamics']} dynamics, nu marked by dotted lines")
    if res.mu.shape[0] <= 4:
        ax_mu.legend(fontsize=7, ncol=2)
        ax_ell.legend(fontsize=6, ncol=4)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=100)
    plt.close(fig)
