"""``gmmsym verify``: the claims' command (``gmmsym.proofs.verify``), its arguments checked here.

The claims package raises plain ``ValueError`` for a bad ``--only``; this wrapper checks the
arguments first and reports them as :class:`~gmmsym.errors.InputError` (a usage error, exit 2),
so that any other exception of a run keeps its traceback.  The output directory ``--out`` is
checked before any claim runs (a run on the default budget takes minutes), and an ``OSError``
while the report is written becomes a one-line :class:`~gmmsym.errors.FileError` naming
``--out`` (the claims catch their own exceptions, so only writing the report can raise one).
"""

from __future__ import annotations

import argparse
from typing import Any

from gmmsym.cli.options import FORMATTER, add_model_option
from gmmsym.errors import InputError
from gmmsym.io import check_output_dir, file_errors
from gmmsym.model.spec import PAPER

__all__ = ["add_parser"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``gmmsym verify`` on an ``argparse`` subparsers object."""
    from gmmsym.proofs import verify

    p = verify.add_parser(sub)
    p.formatter_class = FORMATTER
    model = add_model_option(p)
    model.help += "; another model runs only the claims stated for any model and lists the others as skipped"
    for action in p._actions:
        if "--only" in action.option_strings and "default" not in (action.help or ""):
            action.help = f"{action.help} (default: all claims)"
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    from gmmsym.proofs import verify

    try:
        verify.parse_only(args.only)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    if args.mutants and args.model != PAPER:
        raise InputError("--model: --mutants runs the catalogued bugs on the default models; give no --model")
    check_output_dir(args.out, "--out")
    with file_errors("--out"):
        return verify.run(args)
