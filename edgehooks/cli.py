"""The `edgehooks` command: one subcommand per module in edgehooks/commands/."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from . import logs

# Each module has `register(subparsers)`, which adds its parser and sets `run(args) -> exit code`.
COMMANDS = ("serve", "intercept", "check", "events", "invoke", "publish", "invalidate", "bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgehooks", description="A caching reverse proxy that runs Lambda@Edge handlers.")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", default="text", choices=["text", "json"], help="json: one object per line (Lambda's telemetry envelope)")
    parser.add_argument("--log-dir", type=Path, help="write each function's log lines to DIR/<function>.log instead of stderr")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"edgehooks.commands.{name}").register(subparsers)
    args = parser.parse_args(argv)
    logs.setup(args.log_level, args.log_format, args.log_dir)
    return args.run(args)
