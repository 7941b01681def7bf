"""Command line front end: ``gmmsym <command>``.

Each feature module registers its own subcommand through ``add_parser(subparsers)``; the handler
is stored as ``func`` and returns the exit code.  Heavy imports happen inside handlers.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gmmsym.errors import GmmsymError

__all__ = ["main", "build_parser", "version"]

# Modules that provide ``add_parser(subparsers)``, in help order.
_COMMAND_MODULES = (
    "gmmsym.cli.core",
    "gmmsym.cli.accuracy",
    "gmmsym.cli.simulate",
    "gmmsym.cli.verify",
    "gmmsym.cli.experiments",
)


def version() -> str:
    """The installed distribution's version (``importlib.metadata``), else ``gmmsym.__version__``."""
    from importlib import metadata

    try:
        return metadata.version("gmmsym")
    except metadata.PackageNotFoundError:
        import gmmsym

        return gmmsym.__version__


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (``PROG: error: MESSAGE (see PROG --help)``).

    Subcommand parsers inherit the class, so every command reports a bad option value, an
    unknown choice or a missing argument the same way, exit status 2.
    """

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``gmmsym`` parser with every available subcommand (``python -m gmmsym`` is the same)."""
    parser = OneLineParser(
        prog="gmmsym",
        description="GMM-GAN theory (Li, Madry, Peebles, Schmidt, ICML 2018), checked by machine.",
    )
    parser.add_argument("--version", action="version", version=f"gmmsym {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``gmmsym`` with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    A :class:`~gmmsym.errors.GmmsymError` (bad input, bad file) is printed as one line
    ``gmmsym <command>: error: <message>`` on stderr, exit status 2; any other exception is a
    bug and keeps its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except GmmsymError as exc:  # only the project's own errors (InputError, FileError) are the user's
        print(f"gmmsym {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
