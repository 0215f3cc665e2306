"""`edgehooks publish FUNCTION`: snapshot a function's live code as its next numbered version."""

from __future__ import annotations

import sys

from . import load_or_exit


def register(subparsers) -> None:
    publish = subparsers.add_parser("publish", help="publish a function's code as an immutable numbered version")
    publish.add_argument("function", metavar="FUNCTION")
    publish.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    publish.set_defaults(run=run)


def run(args) -> int:
    from .. import versions

    dist = load_or_exit(args.config)  # only code that loads gets published
    spec = dist.functions.get(args.function)
    if spec is None or spec.name != args.function:
        print(f"edgehooks: no function {args.function!r} in {dist.source}; defined: {', '.join(sorted({s.name for s in dist.functions.values()}))}", file=sys.stderr)
        return 2
    root = versions.folder(dist.source)
    number, new = versions.publish(root, spec.name, spec.wasm or spec.handler_file)
    where = root / spec.name / str(number)
    if new:
        print(f'published {spec.name} version {number} ({where}); pin it with "{spec.name}:{number}"')
    else:
        print(f"{spec.name}: this code is already version {number} ({where})")
    return 0
