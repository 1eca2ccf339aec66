"""Command-line adapters for the dengue analyses (`python -m analysis ...`)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the `python -m analysis` parser."""
