"""Lambda's log lines for one invocation (reference §7.3), shared by every runtime.

Tab-separated as CloudWatch shows them, so tools that parse Lambda logs parse these too.
"""

from __future__ import annotations

import json
import logging
import math

from .errors import FunctionError


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_memory_mb: int, init_ms: float | None) -> str:
    # Init Duration only on a cold start.
    init = f"Init Duration: {init_ms:.2f} ms\t" if init_ms is not None else ""
    return (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms(duration_ms)} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB\t{init}"
    )


def timeout_line(request_id: str, timestamp: str, timeout_s: float) -> str:
    return f"{timestamp} {request_id} Task timed out after {timeout_s:.2f} seconds"


def error_line(error: FunctionError) -> str:
    return json.dumps({"errorMessage": error.message, "errorType": error.error_type or type(error).__name__})


def report(
    log: logging.Logger,
    *,
    request_id: str,
    version: str,
    logs: list[str],
    error: FunctionError | None,
    duration_ms: float,
    memory_mb: int,
    max_memory_mb: int,
    init_ms: float | None,
) -> None:
    """Write one invocation's lines to the function's logger, in Lambda's order.

    Each record also carries the event as Lambda's telemetry names it (`platform.start`,
    `function`, `platform.runtimeDone`, `platform.report`), for the JSON log format."""
    # Every invocation passes here: lines the level drops are not even formatted.
    verbose = log.isEnabledFor(logging.INFO)
    if verbose:
        log.info("%s", start_line(request_id, version), extra=_event("platform.start", requestId=request_id, version=version))
        for line in logs:
            log.info("%s", line, extra=_event("function", requestId=request_id, message=line))
    if error is not None:
        line = error_line(error)
        log.error("%s", line, extra=_event("function", requestId=request_id, message=line))
    if verbose:
        status = "success" if error is None else "timeout" if error.error_type == "Sandbox.Timedout" else "failure"
        log.info("%s", end_line(request_id), extra=_event("platform.runtimeDone", requestId=request_id, status=status))
        metrics = {"durationMs": round(duration_ms, 2), "billedDurationMs": billed_ms(duration_ms), "memorySizeMB": memory_mb, "maxMemoryUsedMB": max_memory_mb}
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 2)
        line = report_line(request_id, duration_ms, memory_mb, max_memory_mb, init_ms)
        log.info("%s", line, extra=_event("platform.report", requestId=request_id, metrics=metrics, status=status))


def init_report(log: logging.Logger, *, init_ms: float, error_type: str, message: str) -> None:
    """A cold start that failed: Lambda's INIT_REPORT line (reference §7.3)."""
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\tError Type: {error_type}\t{message}"
    event = _event("platform.initReport", phase="init", status="error", errorType=error_type, message=message, metrics={"durationMs": round(init_ms, 2)})
    log.error("%s", line, extra=event)


def billed_ms(duration_ms: float) -> int:
    # Billed per 1 ms since 2021, at least 1 ms (reference §7.4).
    return max(1, math.ceil(duration_ms))


def _event(kind: str, **record) -> dict:
    return {"event": (kind, record)}
