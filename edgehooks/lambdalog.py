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
    # Billed per 1 ms since 2021 (reference §7.4); Init Duration only on a cold start.
    init = f"Init Duration: {init_ms:.2f} ms\t" if init_ms is not None else ""
    return (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {max(1, math.ceil(duration_ms))} ms\t"
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
    """Write one invocation's lines to the function's logger, in Lambda's order."""
    # Every invocation passes here: lines the level drops are not even formatted.
    verbose = log.isEnabledFor(logging.INFO)
    if verbose:
        log.info("%s", start_line(request_id, version))
        for line in logs:
            log.info("%s", line)
    if error is not None:
        log.error("%s", error_line(error))
    if verbose:
        log.info("%s", end_line(request_id))
        log.info("%s", report_line(request_id, duration_ms, memory_mb, max_memory_mb, init_ms))
