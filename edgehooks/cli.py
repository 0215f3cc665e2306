"""The `edgehooks` command: one subcommand per module in edgehooks/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Each module has `register(subparsers)`, which adds its parser and sets `run(args) -> exit code`.
COMMANDS = ("serve", "intercept", "check", "events", "invoke", "publish", "invalidate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgehooks", description="A caching reverse proxy that runs Lambda@Edge handlers.")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"edgehooks.commands.{name}").register(subparsers)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    return args.run(args)
