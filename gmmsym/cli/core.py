"""Subcommands of the symbolic layer: ``gmmsym derive`` and ``gmmsym codegen``.

``codegen`` acts on the *source tree* when run from a gmmsym checkout (the current directory or
one of its parents holds gmmsym's ``pyproject.toml`` and ``gmmsym/kernels/_generated/``), even
when the imported package is a non-editable install in site-packages; otherwise on the imported
package's folder (an editable install is its checkout), or on ``--out``.  It always prints which
folder it used and why, and every file it read and wrote.  With ``--model SPEC`` for a model other
than the paper's (and no ``--out``) it acts on that model's files in the kernel cache
(:mod:`gmmsym.kernels.cache`, ``GMMSYM_CACHE_DIR``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from gmmsym.cli.options import FORMATTER, add_model_option, in_cli_terms
from gmmsym.errors import FileError
from gmmsym.io import check_output_dir

__all__ = ["add_parser", "codegen_target", "find_checkout"]

_KERNELS = Path("gmmsym") / "kernels" / "_generated"


def add_parser(sub: Any) -> None:
    """Register ``gmmsym derive`` and ``gmmsym codegen``."""
    from gmmsym.symbolic.derive import SECTIONS

    p = sub.add_parser(
        "derive",
        help="print the derivations (objective, gradients, Hessian, ...)",
        description=(
            "Print the SymPy derivations of the paper's model (docs/model.md): the objective L, its "
            "gradients and Hessian, the simultaneous field and its Jacobian, the stationarity "
            "conditions, the crossing polynomial and TV given the crossings. Text fits the terminal "
            "(one block per entry; --width to override); --latex and --markdown print equations."
        ),
        formatter_class=FORMATTER,
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print LaTeX (the docs site's derivation pages)")
    fmt.add_argument("--markdown", action="store_true", help="print Markdown with $$ math blocks")
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        metavar="NAMES",
        help=f"comma-separated subset of: {', '.join(SECTIONS)} (default: all)",
    )
    p.add_argument("--width", type=int, default=None, help="text width in columns (default: the terminal's)")
    p.set_defaults(func=_derive)

    p = sub.add_parser(
        "codegen",
        help="regenerate the kernel modules (paper: gmmsym/kernels/_generated; other models: the cache)",
        description=(
            "Generate the NumPy and mpmath kernel modules from the SymPy model and write them into the "
            "source tree's gmmsym/kernels/_generated/ when run from a checkout (else the imported "
            "package's folder), or into --out. With --model for another model than the paper's, the "
            "kernel cache instead (GMMSYM_CACHE_DIR, else $XDG_CACHE_HOME/gmmsym or ~/.cache/gmmsym) "
            "unless --out is given. --check compares instead of writing (exit 1 if out of date, "
            "corrupt or missing; never executes the files it checks). Prints the folder and every "
            "file read or written."
        ),
        formatter_class=FORMATTER,
    )
    add_model_option(p)
    p.add_argument("--check", action="store_true", help="exit 1 if the modules in the folder are out of date")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="use this directory (default: the checkout's gmmsym/kernels/_generated)")  # fmt: skip
    p.set_defaults(func=_codegen)


def _derive(args: argparse.Namespace) -> int:
    from gmmsym.errors import InputError
    from gmmsym.symbolic.derive import format_derivations

    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    if not sections:
        raise InputError("--sections: no section given")
    if args.width is not None and args.width < 40:
        raise InputError(f"--width: must be >= 40 columns, got {args.width}")
    try:
        text = format_derivations(
            latex=args.latex, markdown=args.markdown, sections=sections, width=args.width
        )
    except InputError as exc:
        raise InputError(f"--{exc}") from None  # "sections: ..." -> "--sections: ..."
    print(text, end="")
    return 0


def find_checkout(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The root of the gmmsym source tree containing ``start`` (default: the current directory), or None.

    A root has a ``pyproject.toml`` naming the project ``gmmsym`` and a ``gmmsym/kernels/_generated``
    folder.
    """
    here = Path.cwd() if start is None else Path(start)
    for root in (here.resolve(), *here.resolve().parents):
        project = root / "pyproject.toml"
        if (root / _KERNELS).is_dir() and project.is_file():
            try:
                text = project.read_text(encoding="utf-8")
            except OSError:
                continue
            if 'name = "gmmsym"' in text:
                return root
    return None


def codegen_target(out: str | None) -> tuple[Path, str]:
    """``(directory, why)``: where ``gmmsym codegen`` reads and writes (module docstring)."""
    from gmmsym.codegen.generator import GENERATED_DIR

    if out is not None:
        check_output_dir(out, "--out")  # refuses "" before abspath turns it into the cwd
        return check_output_dir(os.path.abspath(out), "--out"), "--out"  # normalised: no '..' detours
    checkout = find_checkout()
    if checkout is not None:
        return checkout / _KERNELS, f"source tree of the checkout {checkout}"
    if find_checkout(GENERATED_DIR) is not None:
        return GENERATED_DIR, "source tree of the imported (editable) package"
    return GENERATED_DIR, "the installed package (not in a checkout: run from one to update the sources)"


def _codegen(args: argparse.Namespace) -> int:
    from gmmsym.kernels.loader import check_generation_size
    from gmmsym.model.spec import PAPER

    model = args.model
    with in_cli_terms({"model": "--model"}):
        check_generation_size(model)
    if model != PAPER and args.out is None:
        return _codegen_cache(model, args.check)
    directory, why = codegen_target(args.out)
    if args.check and not directory.is_dir():
        raise FileError(f"--out: directory {directory} does not exist")
    if not args.check:
        check_output_dir(directory, "--out" if args.out is not None else "codegen folder")
    _print_source(directory, why)
    if args.check:
        from gmmsym.codegen import check

        return _report(check(model, directory=directory))
    from gmmsym.codegen import TARGETS, write

    for target in TARGETS:
        print(f"wrote {write(model, target=target, directory=directory)}")
    return 0


def _codegen_cache(model: Any, check_only: bool) -> int:
    """``gmmsym codegen --model SPEC [--check]`` for a model without checked-in kernels: the cache."""
    from gmmsym.kernels import cache

    directory = cache.usable_dir()  # FileError naming GMMSYM_CACHE_DIR before any work
    _print_source(directory, f"kernel cache of {model.text()}; {cache.CACHE_ENV} chooses it")
    if check_only:
        from gmmsym.codegen import check_cache

        return _report(check_cache(model))
    from gmmsym.codegen import TARGETS

    for target in TARGETS:
        print(f"wrote {cache.refresh(model, target)[0]}")
    return 0


def _print_source(directory: Path, why: str) -> None:
    """The ``folder:`` and ``source:`` lines (and a note when the generator is not the checkout)."""
    import gmmsym.symbolic

    model_dir = Path(gmmsym.symbolic.__file__).resolve().parent
    print(f"folder: {directory} ({why})")
    print(f"source: the SymPy model in {model_dir}")
    checkout = find_checkout()
    if checkout is not None and find_checkout(model_dir) != checkout:
        print(f"note: the generator is the imported package, not the checkout {checkout}; "
              "`pip install -e .` there to generate from its sources")  # fmt: skip


def _report(results: list) -> int:
    """Print one ``read PATH: status`` line per checked file; 1 if any is not up to date."""
    failed = 0
    for r in results:
        print(f"read  {r.path}: {r.status}" + (f" ({r.detail})" if r.detail else ""))
        failed += not r.ok
    return 1 if failed else 0
