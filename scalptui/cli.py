"""Command-line entry point (filled in as the modes land)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scalptui", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="use the built-in simulated exchange")
    return parser


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    print("scalptui: not implemented yet", file=sys.stderr)
    return 2
