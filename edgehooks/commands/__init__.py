"""The subcommands of `edgehooks`; cli.COMMANDS lists them."""

from __future__ import annotations

import sys

from .. import config
from ..distribution import ConfigError, Distribution


def load_or_exit(path: str | None) -> Distribution:
    """The distribution at `path` (default: the repository's), or exit 2 with the config error."""
    try:
        return config.load(path or config.default_config_path())
    except ConfigError as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        raise SystemExit(2) from None
