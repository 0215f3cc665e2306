"""`edgehooks events TYPE`: print the event a function would receive, to read or to save and edit."""

from __future__ import annotations

import json

from . import add_sample_arguments, sample_from


def register(subparsers) -> None:
    from ..samples import EVENT_TYPES

    events = subparsers.add_parser("events", help="print a sample Lambda@Edge event")
    events.add_argument("event_type", metavar="TYPE", choices=EVENT_TYPES, help=" | ".join(EVENT_TYPES))
    add_sample_arguments(events)
    events.set_defaults(run=run)


def run(args) -> int:
    from ..samples import event

    print(json.dumps(event(args.event_type, sample_from(args)), indent=2))
    return 0
