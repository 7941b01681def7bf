"""``gmmsym accuracy``: the float64 kernels against certified references (:mod:`gmmsym.accuracy`)."""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import asdict

import numpy as np

from gmmsym.cli.options import FORMATTER, add_model_option
from gmmsym.errors import InputError
from gmmsym.io import atomic_write_text, check_output_file, file_errors, json_text
from gmmsym.model.spec import PAPER
from gmmsym.references.accuracy import DEFAULT_POINTS, markdown_table, measure, print_table

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``gmmsym accuracy`` (``--points``, ``--seed``, ``--model``, ``--json``, ``--markdown``)."""
    p = subparsers.add_parser(
        "accuracy",
        help="float64 kernels against correctly rounded certified references",
        description=(
            "Compare the float64 kernels of a model (the paper's unless --model) with correctly "
            "rounded python-flint references on seeded points; exit status 1 if a target fails "
            "(16 ulps of 1 everywhere; 4(1+a^2) ulps of the term scale S where a <= 37)."
        ),
        formatter_class=FORMATTER,
    )
    p.add_argument(
        "--points",
        type=int,
        default=DEFAULT_POINTS,
        metavar="N",
        help=f"number of points (default {DEFAULT_POINTS})",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    add_model_option(p)
    p.add_argument("--json", default=None, metavar="PATH", help="also write the rows as JSON")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table instead of rich")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Handler of ``gmmsym accuracy``: print the table, write JSON, return the exit status."""
    if args.points < 1:
        raise InputError(f"--points: must be >= 1, got {args.points}")
    if args.json is not None:
        check_output_file(args.json, "--json", parents=True)
    t0 = time.perf_counter()
    model = getattr(args, "model", PAPER)
    rows = measure(n_points=args.points, seed=args.seed, model=model)
    elapsed = time.perf_counter() - t0
    title = f"gmmsym accuracy: {args.points} points, seed {args.seed} ({elapsed:.1f} s)"
    if model != PAPER:
        title += f", model {model.text()}"
    if getattr(args, "markdown", False):
        print(markdown_table(rows))
    else:
        print_table(rows, title=title)
    failed = [r for r in rows if not r.passed]
    if args.json is not None:
        import gmmsym

        doc = {
            "points": args.points,
            "seed": args.seed,
            "model": model.text(),
            "seconds": elapsed,
            "gmmsym": gmmsym.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "passed": not failed,
            "rows": [asdict(r) | {"passed": r.passed} for r in rows],
        }
        with file_errors("--json", args.json):
            atomic_write_text(args.json, json_text(doc, indent=2))
    if failed:
        print(f"FAILED: {len(failed)} row(s): " + ", ".join(f"{r.function} [{r.region}]" for r in failed))
        return 1
    return 0
