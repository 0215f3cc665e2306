"""The subcommands of `edgehooks`; cli.COMMANDS lists them."""

from __future__ import annotations

import sys

from .. import config
from ..distribution import ConfigError, Distribution


def load_or_exit(path: str | None, numbering=None) -> Distribution:
    """The distribution at `path` (default: the repository's), or exit 2 with the config error."""
    try:
        return config.load(path or config.default_config_path(), numbering)
    except ConfigError as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def add_sample_arguments(parser) -> None:
    """The flags that describe a sample request, shared by `events` and `invoke`."""
    from ..samples import CLIENT_IP

    sample = parser.add_argument_group("the sample request (defaults: a browser's GET /index.html)")
    sample.add_argument("--method", default="GET")
    sample.add_argument("--uri", default="/index.html", help="the path, starting with /")
    sample.add_argument("--querystring", default="", help="without the ?, e.g. 'lang=en&v=2'")
    sample.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="a viewer request header (repeatable); replaces a default of that name")
    sample.add_argument("--body", help="a request body, shown as include_body shows it (request events)")
    sample.add_argument("--client-ip", default=CLIENT_IP)
    sample.add_argument("--status", type=int, default=200, help="the origin's status (response events)")
    sample.add_argument("--response-header", action="append", default=[], metavar="'NAME: VALUE'", help="an origin response header (repeatable)")


def sample_from(args):
    """The `Sample` the flags describe, or exit 2 naming the flag that is wrong."""
    from ..samples import Sample, parse_header

    try:
        headers = [parse_header(h) for h in args.header]
        response_headers = [parse_header(h) for h in args.response_header]
    except ValueError as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if not args.uri.startswith("/"):
        print(f"edgehooks: --uri {args.uri!r} must start with /", file=sys.stderr)
        raise SystemExit(2)
    body = None if args.body is None else args.body.encode()
    return Sample(args.method, args.uri, args.querystring.lstrip("?"), headers, body, args.client_ip, args.status, response_headers)
