"""`--html FILE`: the bench as one self-contained page — the figures, and an inline SVG latency
histogram for the whole request and for each hook point. No scripts, no external assets."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from ..servertiming import INIT_SUFFIX
from .driver import Sample
from .results import text

WIDTH, HEIGHT, MARGIN = 640, 180, 36
BINS = 40


def page(summary: dict, samples: Sequence[Sample]) -> str:
    by_hook: dict[str, list[float]] = {}
    for sample in samples:
        for metric in sample.timing:
            if metric.dur is not None and metric.name not in ("cache", "origin") and not metric.name.endswith(INIT_SUFFIX):
                by_hook.setdefault(metric.name, []).append(metric.dur)
    sections = [_section("whole request (client side)", [s.seconds * 1000 for s in samples], summary["latency_ms"])]
    sections += [_section(hook, times, summary["hooks"][hook]) for hook, times in by_hook.items()]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _figures(summary))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>edgehooks bench: {_e(summary['url'])}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: {WIDTH + 40}px; color: #222; }}
th {{ text-align: left; padding-right: 1em; font-weight: 600; }} td {{ font-variant-numeric: tabular-nums; }}
svg {{ background: #fafafa; border: 1px solid #ddd; }} rect.bar {{ fill: #3b7dd8; }} text {{ font-size: 11px; fill: #555; }}
pre {{ background: #f4f4f4; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>edgehooks bench</h1>
<table>{rows}</table>
{''.join(sections)}
<h2>Report</h2>
<pre>{_e(text(summary))}</pre>
</body></html>
"""


def _figures(summary: dict) -> list[tuple[str, str]]:
    lat = summary["latency_ms"]
    figures = [
        ("URL", summary["url"]),
        ("requests", f"{summary['requests']} in {summary['seconds']:.2f} s ({summary['throughput']:.1f} req/s)"),
        ("latency", f"p50 {lat['p50']:.2f} ms, p90 {lat['p90']:.2f} ms, p99 {lat['p99']:.2f} ms, max {lat['max']:.2f} ms"),
        ("statuses", ", ".join(f"{k}: {n}" for k, n in summary["statuses"].items())),
    ]
    if summary["cost"]["functions"]:
        figures.append(("Lambda@Edge", f"${summary['cost']['per_million_viewer_requests_usd']:.4f} per million viewer requests"))
    return figures


def _section(title: str, times_ms: Sequence[float], spread: dict) -> str:
    caption = ", ".join(f"{k} {v:.2f} ms" for k, v in spread.items() if k.startswith("p") or k == "max")
    return f"<h2>{_e(title)}</h2>\n<p>{len(times_ms)} samples: {_e(caption)}</p>\n{histogram(times_ms)}\n"


def histogram(times_ms: Sequence[float]) -> str:
    """Counts per bin on a log time axis: edge latencies span microseconds (a warm wasm hook) to
    seconds (a cold start), and a linear axis would squeeze all but the slowest into one bar."""
    if not times_ms:
        return "<p>(no samples)</p>"
    low, high = max(min(times_ms), 0.001), max(max(times_ms), 0.001)
    if high <= low * 1.01:
        high = low * 1.01 + 0.001
    span = math.log10(high) - math.log10(low)
    counts = [0] * BINS
    for t in times_ms:
        at = (math.log10(max(t, low)) - math.log10(low)) / span
        counts[min(BINS - 1, int(at * BINS))] += 1
    top = max(counts)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    bar_w = plot_w / BINS
    bars = "".join(
        f'<rect class="bar" x="{MARGIN + i * bar_w:.1f}" y="{MARGIN + plot_h * (1 - n / top):.1f}" '
        f'width="{max(bar_w - 1, 1):.1f}" height="{plot_h * n / top:.1f}"><title>{n}</title></rect>'
        for i, n in enumerate(counts)
        if n
    )
    ticks = "".join(
        f'<text x="{MARGIN + plot_w * i / 4:.1f}" y="{HEIGHT - MARGIN / 2:.1f}" text-anchor="middle">'
        f"{_ms(10 ** (math.log10(low) + span * i / 4))}</text>"
        for i in range(5)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f'<text x="{MARGIN}" y="{MARGIN - 8}">{top} max per bar</text>{bars}'
        f'<line x1="{MARGIN}" y1="{MARGIN + plot_h}" x2="{MARGIN + plot_w}" y2="{MARGIN + plot_h}" stroke="#999"/>{ticks}</svg>'
    )


def _ms(value: float) -> str:
    return f"{value:.3g} ms"


def _e(value: object) -> str:
    return html.escape(str(value))
