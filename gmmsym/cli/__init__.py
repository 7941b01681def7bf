"""The command line (``gmmsym <command>``): all argparse code lives in this folder."""

from gmmsym.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
