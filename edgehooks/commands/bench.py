"""`edgehooks bench URL`: load a URL and report latency, each hook point's time, cold starts and
what the traffic would cost on Lambda@Edge. Exit 1 when a request got no answer or a 5xx."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from ..durations import parse_duration
from . import load_or_exit


def register(subparsers) -> None:
    bench = subparsers.add_parser("bench", help="load-test a URL: latency, hook times, cold starts, Lambda@Edge cost")
    bench.add_argument("url", type=_url, help="the URL to request (GET), e.g. http://127.0.0.1:8080/index.html")
    bench.add_argument("--concurrency", "-c", type=_positive(int), default=10, help="requests in flight at most (default 10)")
    bench.add_argument("--duration", "-d", type=_duration, help='how long to run, e.g. "10s" (default 10s unless --requests)')
    bench.add_argument("--requests", "-n", type=_positive(int), help="how many requests to send at most")
    bench.add_argument("--rate", "-r", type=_positive(float), help="open loop: start this many requests per second on a schedule")
    bench.add_argument("--timeout", type=_duration, default=30.0, help="per request (default 30s)")
    bench.add_argument("--header", "-H", action="append", default=[], type=_header, help='an extra request header, "Name: value"')
    bench.add_argument("--config", help="the distribution's TOML file, for each function's memory size (else 128 MB)")
    bench.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    bench.add_argument("--html", type=Path, metavar="FILE", help="also write a one-page HTML report with latency histograms")
    bench.set_defaults(run=run)


def run(args) -> int:
    from ..loadtest import html, results
    from ..loadtest.driver import Load, Plan

    memory = {name: f.memory_mb for name, f in load_or_exit(args.config).functions.items()} if args.config else None
    duration = args.duration if args.duration is not None or args.requests is not None else 10.0
    plan = Plan(args.url, args.concurrency, duration, args.requests, args.rate, args.timeout, args.header)
    shown = sys.stderr.isatty() and not os.environ.get("CI")
    load = Load(plan, _progress_bar if shown else None)
    try:
        asyncio.run(load.run())
    except KeyboardInterrupt:
        print("\nedgehooks: interrupted; the report covers the requests answered so far", file=sys.stderr)
    summary = results.summarize(args.url, load.samples, load.elapsed, memory)
    print(json.dumps(summary, indent=2) if args.json else results.text(summary))
    if args.html is not None:
        args.html.write_text(html.page(summary, load.samples), encoding="utf-8")
        print(f"edgehooks: wrote {args.html}", file=sys.stderr)
    return 1 if results.failed(summary) else 0


def _progress_bar(load) -> None:
    done = load.done_fraction()
    errors = sum(1 for s in load.samples if s.status is None or s.status >= 500)
    filled = int(done * 30)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done:4.0%}  {len(load.samples)} requests  {errors} errors ")
    if done >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
        return value

    return parse


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
    return seconds


def _url(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest.split("/", 1)[0]:
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, got {text!r}")
    return text


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise argparse.ArgumentTypeError(f'expected "Name: value", got {text!r}')
    return name.strip(), value.strip()
