"""Subcommands of the symbolic layer: ``gmmsym derive`` and ``gmmsym codegen``."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser("derive", help="print the derivations (objective, gradients, Hessian, ...)")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of pretty text")
    p.add_argument(
        "--sections",
        default=None,
        help="comma-separated subset of: objective,gradients,hessian,jacobian,stationary,crossings,tv",
    )
    p.set_defaults(func=_derive)

    p = sub.add_parser("codegen", help="regenerate the kernel modules in gmmsym/kernels/_generated")
    p.add_argument("--check", action="store_true", help="exit 1 if the checked-in modules are out of date")
    p.add_argument("--out", default=None, help="write into this directory instead of the checked-in folder")
    p.set_defaults(func=_codegen)


def _derive(args: argparse.Namespace) -> int:
    from gmmsym.symbolic.derive import SECTIONS, format_derivations

    sections = (
        SECTIONS if args.sections is None else tuple(s.strip() for s in args.sections.split(",") if s.strip())
    )
    print(format_derivations(latex=args.latex, sections=sections), end="")
    return 0


def _codegen(args: argparse.Namespace) -> int:
    from gmmsym.codegen import TARGETS, check, write

    if args.check:
        failed = 0
        for r in check(directory=args.out):
            print(f"{r.status:9s} {r.path}" + (f"  ({r.detail})" if r.detail else ""))
            failed += not r.ok
        return 1 if failed else 0
    for target in TARGETS:
        print(f"wrote {write(target=target, directory=args.out)}")
    return 0
