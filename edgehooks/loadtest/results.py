"""A finished load as numbers: throughput, latency percentiles, errors, each hook point's time
and cold starts from Server-Timing, and what the same traffic would cost on Lambda@Edge.

Pure: samples in, a JSON-ready dict out (what `--json` prints and the other views read).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from .. import lambdalog
from ..servertiming import INIT_SUFFIX
from .driver import Sample

# Lambda@Edge prices (reference §7.4): x86 only, no free tier, duration billed per 1 ms.
REQUEST_USD = 0.60 / 1_000_000
GB_SECOND_USD = 0.00005001
DEFAULT_MEMORY_MB = 128  # the most a viewer-side function may have, and Lambda's smallest size
PERCENTILES = (50, 90, 99)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank: a value that was really seen, never an interpolation between two."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def spread(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    figures = {f"p{p}": round(percentile(ordered, p), 3) for p in PERCENTILES}
    figures["max"] = round(ordered[-1], 3) if ordered else 0.0
    return figures


def summarize(url: str, samples: Sequence[Sample], elapsed: float, memory_mb: Mapping[str, int] | None = None) -> dict:
    """`memory_mb` by function name, from the distribution; functions not in it count as 128 MB."""
    statuses = Counter(str(s.status) if s.status is not None else s.error or "error" for s in samples)
    errors = {key: n for key, n in statuses.items() if not key.isdigit() or int(key) >= 400}
    hooks: dict[str, list[float]] = {}
    cold: Counter[str] = Counter()
    billed: dict[str, list[int]] = {}  # function → billed ms per invocation
    results: Counter[str] = Counter()
    for sample in samples:
        for metric in sample.timing:
            if metric.name == "cache":
                results[metric.desc or ""] += 1
            elif metric.name.endswith(INIT_SUFFIX):
                cold[metric.name.removesuffix(INIT_SUFFIX)] += 1
            elif metric.name != "origin" and metric.dur is not None:
                hooks.setdefault(metric.name, []).append(metric.dur)
                billed.setdefault(metric.desc or metric.name, []).append(lambdalog.billed_ms(metric.dur))
    return {
        "url": url,
        "requests": len(samples),
        "seconds": round(elapsed, 3),
        "throughput": round(len(samples) / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms": spread([s.seconds * 1000 for s in samples]),
        "statuses": dict(sorted(statuses.items())),
        "errors": dict(sorted(errors.items())),
        "cache": dict(sorted(results.items())),
        "hooks": {
            hook: {"invocations": len(times), **spread(times), "cold_starts": cold[hook]} for hook, times in hooks.items()
        },
        "cost": cost(billed, memory_mb or {}, len(samples)),
    }


def cost(billed: Mapping[str, Sequence[int]], memory_mb: Mapping[str, int], viewer_requests: int) -> dict:
    """Lambda@Edge's bill for these invocations: $0.60 per million, plus GB-seconds of billed duration."""
    functions = {}
    for name, times in sorted(billed.items()):
        memory = memory_mb.get(name, DEFAULT_MEMORY_MB)
        gb_seconds = memory / 1024 * sum(times) / 1000
        functions[name] = {
            "memory_mb": memory,
            "invocations": len(times),
            "billed_ms": sum(times),
            "gb_seconds": round(gb_seconds, 6),
            "request_usd": _usd(len(times) * REQUEST_USD),
            "compute_usd": _usd(gb_seconds * GB_SECOND_USD),
        }
    total = sum(f["request_usd"] + f["compute_usd"] for f in functions.values())
    return {
        "functions": functions,
        "total_usd": _usd(total),
        "per_million_viewer_requests_usd": round(total / viewer_requests * 1_000_000, 4) if viewer_requests else 0.0,
    }


def _usd(amount: float) -> float:
    return round(amount, 10)  # beyond that is float noise, far below a billable amount


def failed(summary: dict) -> bool:
    """What makes `edgehooks bench` exit 1: a request with no answer, or a 5xx."""
    return any(not key.isdigit() or int(key) >= 500 for key in summary["errors"])


def text(summary: dict) -> str:
    lat = summary["latency_ms"]
    lines = [
        f"{summary['url']}: {summary['requests']} requests in {summary['seconds']:.2f} s, {summary['throughput']:.1f} req/s",
        f"latency ms    p50 {lat['p50']:.2f}   p90 {lat['p90']:.2f}   p99 {lat['p99']:.2f}   max {lat['max']:.2f}",
        "statuses      " + "   ".join(f"{k}: {n}" for k, n in summary["statuses"].items()),
    ]
    if summary["errors"]:
        lines.append("errors        " + "   ".join(f"{k}: {n}" for k, n in summary["errors"].items()))
    if summary["cache"]:
        lines.append("X-Cache       " + "   ".join(f"{k}: {n}" for k, n in summary["cache"].items()))
    if summary["hooks"]:
        lines.append("")
        lines.append(f"{'hook point (Server-Timing)':<28}{'runs':>8}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'cold':>7}")
        for hook, h in summary["hooks"].items():
            lines.append(f"{hook:<28}{h['invocations']:>8}{h['p50']:>10.2f}{h['p90']:>10.2f}{h['p99']:>10.2f}{h['cold_starts']:>7}")
    functions = summary["cost"]["functions"]
    if functions:
        lines.append("")
        lines.append(f"{'on Lambda@Edge':<28}{'MB':>6}{'invocations':>13}{'GB-s':>12}{'requests $':>13}{'compute $':>13}")
        for name, f in functions.items():
            lines.append(
                f"{name:<28}{f['memory_mb']:>6}{f['invocations']:>13}{f['gb_seconds']:>12.6f}{f['request_usd']:>13.8f}{f['compute_usd']:>13.8f}"
            )
        lines.append(
            f"total ${summary['cost']['total_usd']:.8f}; "
            f"${summary['cost']['per_million_viewer_requests_usd']:.4f} per million viewer requests like these"
        )
    elif not summary["cache"]:
        lines.append("(no Server-Timing seen: turn on [server] server_timing to see hooks, cold starts and cost)")
    return "\n".join(lines)
