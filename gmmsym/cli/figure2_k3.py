"""``gmmsym reproduce figure2-k3 --model SPEC --out DIR``: the K = 3 counterpart of Figure 2.

Runs :func:`gmmsym.experiments.figure2_k3.run_k3` (docs/figure2-k3.md) for ``--model`` (default
the second model ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1``) and prints the success share per
dynamics.  The paper's own model has its own command, ``gmmsym reproduce figure2``.
"""

from __future__ import annotations

import argparse
from typing import Any

from gmmsym.cli.options import FORMATTER, add_model_option, nonnegative_int, positive_int
from gmmsym.errors import InputError

__all__ = ["add_parser"]


def add_parser(rsub: Any) -> argparse.ArgumentParser:
    """Register ``figure2-k3`` on the subparsers of ``gmmsym reproduce``."""
    from gmmsym.experiments.figure2_k3 import SECOND_MODEL, Setting

    d = Setting()
    f = rsub.add_parser(
        "figure2-k3",
        formatter_class=FORMATTER,
        help="the K = 3 counterpart of Figure 2: optimal vs first-order dynamics on another model",
        description=(
            "Random starts in [-box, box]^K and a 2-D slice of starts (mu1, mu2 on a grid, the other means "
            "at their true values) for optimal, simultaneous and alternating k = 1, 5 dynamics with nu = "
            "linspace(-1, 1, K), eta = 0.1; write summary.json, summary.md, outcomes.png and one heatmap "
            "per dynamics into --out (docs/figure2-k3.md). The default takes a few minutes on 2 cores."
        ),
    )
    model = add_model_option(f)
    model.default = SECOND_MODEL
    model.help = f"the model: K=..,M=..,weights=w1:w2:..,sigma=.. (default: {SECOND_MODEL.text()})"
    f.add_argument("--out", required=True, metavar="DIR", help="output directory")
    f.add_argument("--starts", type=positive_int, default=d.starts, help="random starts")
    f.add_argument("--grid", type=positive_int, default=d.grid, help="slice points per axis")
    f.add_argument("--inits", type=positive_int, default=d.inits, help="discriminator inits per slice cell")
    f.add_argument("--steps", type=positive_int, default=d.steps, help="generator steps")
    f.add_argument("--seed", type=nonnegative_int, default=d.seed, help="seed")
    f.set_defaults(func=_run)
    return f


def _run(args: argparse.Namespace) -> int:
    from gmmsym.experiments.figure2_k3 import Setting, run_k3
    from gmmsym.io import check_output_dir, file_errors
    from gmmsym.model.spec import PAPER

    if args.model == PAPER:
        raise InputError("--model: the paper's model has its own command, gmmsym reproduce figure2")
    check_output_dir(args.out, "--out")
    s = Setting(
        model=args.model,
        starts=args.starts,
        grid=args.grid,
        inits=args.inits,
        steps=args.steps,
        seed=args.seed,
    )
    with file_errors("--out"):
        doc = run_k3(s, args.out)
    for name, p in doc["panels"].items():
        print(f"{name:16s} success {p['success']:.3f}  slice {p['slice_success']:.3f}  runs {p['runs']}")
    print(f"summary: {args.out}/summary.md")
    return 0
