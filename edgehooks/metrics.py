"""Prometheus metrics, derived from each request's `Outcome` once it is answered.

Every request pays for this, so the labelled children are bound when the node is built (one per
function and hook point it serves, one per behavior) and a request only increments and observes.
Environment counts are read from the runtimes when Prometheus scrapes, not kept up to date.
Each node has its own registry: several nodes in one process (the tests) must not share counts.
With `serve --workers N` each worker keeps its own and the parent adds them up (`merged`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from .distribution import Behavior, Distribution
from .errors import ExecutionError, ThrottledError, ValidationError
from .pipeline import Outcome, Timing
from .runtimes import Runtime

# Seconds. Functions run from sub-millisecond (wasm) to the 30 s origin-hook timeout.
FUNCTION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
INIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
ERROR_KINDS = (ExecutionError.kind, ValidationError.kind)


class _Function:
    """One function at one hook point, its children bound."""

    def __init__(self, families: dict[str, Counter | Histogram], function: str, hook: str):
        labels = (function, hook)
        self.invocations = families["invocations"].labels(*labels)
        self.throttles = families["throttles"].labels(*labels)
        self.errors = {kind: families["errors"].labels(*labels, kind) for kind in ERROR_KINDS}
        self.duration = families["duration"].labels(*labels)
        self.init = families["init"].labels(*labels)


class _Behavior:
    def __init__(self, families: dict[str, Counter | Histogram], path: str):
        self._results = families["results"]
        self.path = path
        self.responses = {c: families["responses"].labels(path, f"{c}xx") for c in range(1, 6)}
        self._refreshes = families["refreshes"]
        # By X-Cache word (and detail): small fixed sets, each bound on first sight.
        self.results: dict[tuple[str, str], Counter] = {}
        self.refreshes: dict[str, Counter] = {}
        self.origin = families["origin"].labels(path)
        self.duration = families["request"].labels(path)

    def result(self, word: str, detail: str | None) -> Counter:
        child = self.results.get((word, detail or ""))
        if child is None:
            child = self.results[(word, detail or "")] = self._results.labels(self.path, word, detail or "")
        return child

    def refresh(self, word: str) -> Counter:
        child = self.refreshes.get(word)
        if child is None:
            child = self.refreshes[word] = self._refreshes.labels(self.path, word)
        return child


class Metrics:
    def __init__(self, dist: Distribution, functions: Callable[[], Mapping[str, Runtime]]):
        """`functions` gives the runtimes serving now (a reload may replace them)."""
        self.registry = CollectorRegistry()
        r = self.registry
        fh = ("function", "hook")
        families = {
            "invocations": Counter("edgehooks_function_invocations", "Function invocations (throttled ones not included)", fh, registry=r),
            "throttles": Counter("edgehooks_function_throttles", "Invocations refused at the function's concurrency limit (503 LambdaLimitExceeded)", fh, registry=r),
            "errors": Counter("edgehooks_function_errors", "Invocations that failed, by X-Cache kind (503 LambdaExecutionError, 502 LambdaValidationError)", fh + ("kind",), registry=r),
            "duration": Histogram("edgehooks_function_duration_seconds", "What an invocation added to the request (event, run, checks), without the cold start", fh, buckets=FUNCTION_BUCKETS, registry=r),
            "init": Histogram("edgehooks_function_init_duration_seconds", "Cold starts: a new execution environment's init time", fh, buckets=INIT_BUCKETS, registry=r),
            "results": Counter("edgehooks_cache_results", "Requests by X-Cache outcome (Hit, Miss, RefreshHit, …) and detail (stale, collapsed)", ("behavior", "result", "detail"), registry=r),
            "refreshes": Counter("edgehooks_cache_background_refreshes", "stale-while-revalidate refreshes no viewer waited for, by outcome", ("behavior", "result"), registry=r),
            "responses": Counter("edgehooks_responses", "Responses to viewers by status class", ("behavior", "status"), registry=r),
            "origin": Histogram("edgehooks_origin_duration_seconds", "Origin fetch time to the response headers", ("behavior",), buckets=REQUEST_BUCKETS, registry=r),
            "request": Histogram("edgehooks_request_duration_seconds", "Viewer request time in the proxy, to the response's headers (a streamed body may still be flowing)", ("behavior",), buckets=REQUEST_BUCKETS, registry=r),
        }  # fmt: skip
        self._families = families
        # Bound up front for the distribution as loaded; a function or behavior that appears
        # later (a reload) is bound on its first request.
        self._functions: dict[tuple[str, str], _Function] = {}
        self._behaviors: dict[str, _Behavior] = {}
        for behavior in dist.behaviors:
            self._behavior(behavior.path)
            for hook, binding in behavior.hooks.items():
                for function in [target for target, _ in binding.targets] or [binding.function]:
                    self._function(function, hook)
        r.register(_Environments(functions))

    def _function(self, function: str, hook: str) -> _Function:
        bound = self._functions.get((function, hook))
        if bound is None:
            bound = self._functions[(function, hook)] = _Function(self._families, function, hook)
        return bound

    def _behavior(self, path: str) -> _Behavior:
        bound = self._behaviors.get(path)
        if bound is None:
            bound = self._behaviors[path] = _Behavior(self._families, path)
        return bound

    def observe(self, outcome: Outcome, seconds: float) -> None:
        """Count one answered request that took `seconds`."""
        self._runs(outcome.timing)
        if outcome.behavior is None:
            return
        behavior = self._behavior(outcome.behavior.path)
        behavior.result(outcome.x_cache, outcome.timing.cache).inc()
        behavior.responses[outcome.response.status // 100].inc()
        if outcome.timing.origin_ms is not None:
            behavior.origin.observe(outcome.timing.origin_ms / 1000)
        behavior.duration.observe(seconds)

    def observe_refresh(self, behavior: Behavior, timing: Timing, x_cache: str) -> None:
        """Count a background refresh: its hook runs and origin fetch, and how it ended."""
        self._runs(timing)
        bound = self._behavior(behavior.path)
        bound.refresh(x_cache).inc()
        if timing.origin_ms is not None:
            bound.origin.observe(timing.origin_ms / 1000)

    def _runs(self, timing: Timing) -> None:
        for run in timing.hooks:
            function = self._function(run.function, run.hook)
            if run.error == ThrottledError.kind:
                function.throttles.inc()
                continue
            function.invocations.inc()
            function.duration.observe(run.ms / 1000)
            if run.init_ms is not None:
                function.init.observe(run.init_ms / 1000)
            if run.error is not None:
                function.errors[run.error].inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Environments:
    """Concurrent executions and environments alive per function, read from the runtimes at scrape time."""

    def __init__(self, functions: Callable[[], Mapping[str, Runtime]]):
        self._functions = functions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        busy = GaugeMetricFamily("edgehooks_function_concurrent_executions", "Execution environments serving an event now", labels=("function",))
        alive = GaugeMetricFamily("edgehooks_function_environments", "Execution environments alive (busy or idle)", labels=("function",))
        for name, runtime in sorted(self._functions().items()):
            busy.add_metric((name,), runtime.busy)
            alive.add_metric((name,), runtime.alive)
        yield busy
        yield alive


def merged(expositions: Iterable[str]) -> bytes:
    """Several processes' expositions as one: the same series (name and labels) added up, so
    counters, histograms and the environment gauges are the whole server's. `_created` samples
    are left out: a sum of creation times means nothing."""
    families: dict[str, Metric] = {}
    totals: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in expositions:
        for family in text_string_to_metric_families(text):
            if family.name not in families:
                families[family.name] = Metric(family.name, family.documentation, family.type)
                totals[family.name] = {}
            series = totals[family.name]
            for sample in family.samples:
                if not sample.name.endswith("_created"):
                    key = (sample.name, tuple(sample.labels.items()))
                    series[key] = series.get(key, 0.0) + sample.value
    for name, family in families.items():
        for (sample, labels), value in totals[name].items():
            family.add_sample(sample, dict(labels), value)
    registry = CollectorRegistry()
    registry.register(_Fixed([family for family in families.values() if family.samples]))
    return generate_latest(registry)


class _Fixed:
    def __init__(self, families: list[Metric]):
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families
