"""`edgehooks intercept`: a distribution's hooks on a real site, through mitmproxy, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys


def register(subparsers) -> None:
    intercept = subparsers.add_parser(
        "intercept",
        help="apply a distribution's behaviors and hooks to a real site, as an HTTP(S) proxy for a browser",
        description="Point a browser at this HTTP(S) proxy: requests to --hosts go through the distribution's behaviors "
        "and hooks with the real site as the origin; everything else passes through untouched.",
    )
    intercept.add_argument("--config", required=True, help="the distribution's TOML file; behaviors may leave out origin")
    intercept.add_argument("--port", type=int, default=8080, help="the proxy's port (default 8080)")
    intercept.add_argument("--listen-host", default="127.0.0.1", help="the proxy's address (default 127.0.0.1)")
    intercept.add_argument("--hosts", default="", type=_hosts, help="comma-separated hosts to act on (example.com,*.example.com); default: all")
    intercept.add_argument("--cache", action="store_true", help="cache as the behaviors say, to see hits and misses (default: off)")
    intercept.add_argument("--confdir", default=None, help="mitmproxy's folder, where its CA lives (default ~/.mitmproxy)")
    intercept.add_argument("--upstream-ca", metavar="FILE", help="trust only this CA (PEM) when fetching from HTTPS sites")
    intercept.add_argument("--insecure", action="store_true", help="do not verify HTTPS sites' certificates")
    intercept.set_defaults(run=run)


def _hosts(text: str) -> str:
    from ..intercept.hosts import parse

    try:
        parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def run(args) -> int:
    return asyncio.run(_intercept(args))


async def _intercept(args) -> int:
    # mitmproxy is imported only by this command: serve and the rest start without it.
    try:
        from mitmproxy.exceptions import OptionsError

        from ..intercept import proxy
    except ImportError as e:
        print(f"edgehooks: intercept needs mitmproxy ({e.name} is missing): pip install 'edgehooks[intercept]'", file=sys.stderr)
        return 2
    if logging.getLogger().level > logging.DEBUG:
        # mitmproxy logs every connection at INFO; edgehooks' access log already has each request.
        logging.getLogger("mitmproxy").setLevel(logging.WARNING)
    settings = proxy.Settings(
        args.config, args.listen_host, args.port, args.hosts, args.cache, args.confdir or proxy.DEFAULT_CONFDIR, args.upstream_ca, args.insecure
    )
    try:
        interceptor = await proxy.start(settings)
    except (OptionsError, proxy.StartError) as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        return 2
    print(f"edgehooks: intercepting {args.hosts or 'all hosts'} with {args.config}; HTTP(S) proxy on {interceptor.url}", flush=True)
    print(f"edgehooks: browsers must trust mitmproxy's CA {interceptor.ca_cert} (see README: edgehooks intercept)", flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interceptor.master.shutdown)
    await interceptor.run
    return 0
