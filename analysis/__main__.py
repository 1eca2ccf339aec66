"""Command-line entry point: `python -m analysis <command> ...`."""

from analysis.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
