"""`edgehooks invalidate PATH...`: CloudFront-style invalidation through a running node's admin listener."""

from __future__ import annotations

import os
import sys

import httpx

from ..admin import PREFIX
from ..listen import split_listen
from . import load_or_exit

TOKEN_ENV = "EDGEHOOKS_ADMIN_TOKEN"


def register(subparsers) -> None:
    invalidate = subparsers.add_parser(
        "invalidate",
        help="drop paths from the cache of a running edgehooks",
        description='Paths as CloudFront takes them: "/index.html", "/images/*" (quote it in a shell), "/*".',
    )
    invalidate.add_argument("paths", nargs="+", metavar="PATH")
    invalidate.add_argument("--config", help="find the admin listener and token in this distribution (default: the repository's)")
    invalidate.add_argument("--admin", metavar="URL", help="the admin listener's URL, e.g. http://127.0.0.1:9901 (instead of --config)")
    invalidate.add_argument("--token", help=f"the admin token (default: ${TOKEN_ENV}, or the config's)")
    invalidate.set_defaults(run=run)


def run(args) -> int:
    url, token = _where(args)
    try:
        answer = httpx.post(f"{url}{PREFIX}/invalidations", json={"paths": args.paths}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx.HTTPError as e:
        return _fail(f"cannot reach the admin listener at {url} ({e}): is `edgehooks serve` running with [admin]?", 1)
    if answer.status_code == 401:
        return _fail(f"the admin listener at {url} refused the token: pass the one in [admin] with --token or ${TOKEN_ENV}", 1)
    try:
        body = answer.json()
    except ValueError:
        return _fail(f"{url} answered {answer.status_code} without JSON: is it an edgehooks admin listener?", 1)
    if answer.status_code != 201:
        return _fail(body.get("error", f"{url} answered {answer.status_code}"), 1)
    invalidation = body["Invalidation"]
    print(f"{invalidation['Id']} {invalidation['Status']}: {', '.join(invalidation['InvalidationBatch']['Paths']['Items'])}")
    return 0


def _where(args) -> tuple[str, str]:
    """The admin URL and token: from --admin/--token/$EDGEHOOKS_ADMIN_TOKEN, else from the config."""
    token = args.token or os.environ.get(TOKEN_ENV)
    if args.admin:
        if not token:
            raise SystemExit(_fail(f"--admin needs the token too: pass --token or set ${TOKEN_ENV}", 2))
        return args.admin.rstrip("/"), token
    dist = load_or_exit(args.config)
    if dist.admin is None:
        raise SystemExit(_fail(f"{dist.source} has no [admin] section, so nothing to send invalidations to: add one, or pass --admin URL", 2))
    host, port = split_listen(dist.admin.listen)
    if port == 0:
        raise SystemExit(_fail(f"[admin] listen in {dist.source} is port 0, chosen at start: pass --admin with the URL `edgehooks serve` printed", 2))
    # A wildcard listener is reached on loopback.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}", token or dist.admin.token


def _fail(message: str, status: int) -> int:
    print(f"edgehooks: {message}", file=sys.stderr)
    return status
