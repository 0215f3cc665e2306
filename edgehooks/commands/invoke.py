"""`edgehooks invoke FUNCTION|FILE --event-type TYPE`: run a handler once and judge its result.

Exit status 0 when CloudFront would use the result, 1 when it would not (the viewer would get
502 or 503), 2 when the command itself is wrong (no such file, function or event).
"""

from __future__ import annotations

import asyncio
import json
import sys

from . import add_sample_arguments, load_or_exit, sample_from


def register(subparsers) -> None:
    from ..samples import EVENT_TYPES

    invoke = subparsers.add_parser("invoke", help="run a function once on an event and validate its result")
    invoke.add_argument("target", metavar="FUNCTION|FILE", help="a function of --config (NAME or NAME:VERSION), or FILE.py[:function], FILE.js[:function], FILE.wasm, FILE.wat")
    invoke.add_argument("--event-type", choices=EVENT_TYPES, help="the hook point (default: the --event file's eventType)")
    invoke.add_argument("--event", metavar="FILE.json", help="the event to send (- for stdin), e.g. from `edgehooks events`; else built from the flags below")
    invoke.add_argument("--config", help="where FUNCTION is defined (default: the repository's config/edgehooks.toml)")
    invoke.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_sample_arguments(invoke)
    invoke.set_defaults(run=run)


def run(args) -> int:
    from .. import config, paths, samples, trial
    from ..distribution import ConfigError, Where

    server = origin = None
    if trial.is_code_file(args.target):
        try:
            spec = trial.spec_for(args.target)
        except ValueError as e:
            return _usage(str(e))
    else:
        dist = load_or_exit(args.config)
        function, version = config.qualified(args.target)  # "name:3": a published version
        if function not in dist.functions:
            return _usage(f"no function {function!r} in {dist.source}; defined: {', '.join(dist.functions) or 'none'}")
        try:
            spec = dist.functions[config.version_key(dist, function, version, Where(dist.source, None, "invoke"))] if version else dist.functions[function]
        except ConfigError as e:
            return _usage(e.message)
        server, origin = dist.server, dist.origins[paths.select(dist.behaviors, args.uri).origin]
    if args.event is not None:
        event = _read_event(args.event)
        event_type = args.event_type or _event_type(event)
    elif args.event_type is None:
        return _usage("give --event-type (or an --event file)")
    else:
        event_type = args.event_type
        event = samples.event(event_type, sample_from(args), server=server, origin=origin)
    result = asyncio.run(trial.run(spec, event_type, event))
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print(spec, result)
    return 0 if result.passed else 1


def _read_event(name: str) -> dict:
    try:
        text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()
        event = json.loads(text)
    except OSError as e:
        raise SystemExit(_usage(f"{name}: {e.strerror}")) from None
    except json.JSONDecodeError as e:
        raise SystemExit(_usage(f"{name}: not JSON: {e}")) from None
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list) or not event["Records"] or "cf" not in event["Records"][0]:
        raise SystemExit(_usage(f'{name}: not a Lambda@Edge event: expected {{"Records": [{{"cf": ...}}]}}'))
    return event


def _event_type(event: dict) -> str:
    from ..samples import EVENT_TYPES

    event_type = event["Records"][0]["cf"].get("config", {}).get("eventType")
    if event_type not in EVENT_TYPES:
        raise SystemExit(_usage(f"the event's config.eventType is {event_type!r}: give --event-type"))
    return event_type


def _print(spec, result) -> None:
    code = spec.handler or spec.wasm
    print(f"invoke {spec.name} ({code}, {spec.memory_mb} MB, {spec.timeout:g} s) on {result.event_type}")
    for line in result.logs:
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    if result.returned is not None:
        what = "generated response" if result.response is not None and result.event_type.endswith("-request") else "result"
        print(f"\n{what}:\n{json.dumps(result.returned, indent=2)}")
    error = result.error
    if error is None:
        print("\nPASSED: CloudFront would use this result")
        return
    print(f"\nFAILED: the viewer would get {error.status} ({error.kind})")
    if result.field:
        print(f"  field: {result.field}")
    print(f"  {'rule' if error.status == 502 else 'error'}: {error.message}" + (f" ({error.error_type})" if error.error_type else ""))


def _usage(message: str) -> int:
    print(f"edgehooks: {message}", file=sys.stderr)
    return 2
