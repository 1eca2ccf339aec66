"""The analysts' command line; each subcommand is a thin adapter over one analysis function.

Subcommands live beside their analyses (`analysis/<topic>_cli.py`), each with a
`register(subparsers)` function that adds its parsers and sets `handler=` on them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from analysis.gdal_guard import gdal_guard

# Modules that contribute subcommands; each defines register(subparsers).
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "analysis.dengue_cli",
    "analysis.flood_cli",
    "analysis.larval_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and return its exit status."""
    gdal_guard()  # the files given may be anyone's: no reference-following driver, no network
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)
