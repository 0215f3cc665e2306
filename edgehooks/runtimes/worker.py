"""One Python execution environment: `python -m edgehooks.runtimes.worker FILE FUNCTION IN_FD OUT_FD`.

Imports the handler once (the cold start), then runs one event per frame from the proxy, as the
Lambda Python runtime does: a Lambda-shaped `context`, prints and logging captured per invocation
in Lambda's format, the result JSON-serialised as the runtime would (Decimal allowed), and
exceptions reported as `errorType`/`errorMessage`/`stackTrace`. `--check FILE FUNCTION` only loads
the handler and prints why it cannot run, for start-up validation.

The parent sets the environment variables (Lambda's reserved ones only), the working directory
and the process group; this side applies the memory limit before any user code runs.
"""

from __future__ import annotations

import base64
import decimal
import functools
import importlib.util
import io
import json
import logging
import os
import resource
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .protocol import Reader, write_blocking

LOG_CAP = 256 * 1024  # CloudWatch's largest log event; past it, one invocation's output is cut


class LoadError(Exception):
    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type


def load(file: Path, function: str):
    """Import the handler's module as Lambda does, with its errorType names (reference §7.1)."""
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:
        raise LoadError("Runtime.ImportModuleError", f"Unable to import module '{file.stem}': not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise LoadError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{file.stem}': {e.msg} ({e.filename}, line {e.lineno})") from e
    except Exception as e:
        raise LoadError("Runtime.ImportModuleError", f"Unable to import module '{file.stem}': {type(e).__name__}: {e}") from e
    handler = getattr(module, function, None)
    if not callable(handler):
        raise LoadError("Runtime.HandlerNotFound", f"Handler '{function}' missing on module '{file.stem}'")
    return handler


class Capture(io.TextIOBase):
    """sys.stdout, sys.stderr and the root logger's stream: the lines of the running invocation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""
        self._size = 0
        self.request_id = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._size < LOG_CAP:
            self._size += len(text)
            *complete, self._partial = (self._partial + text).split("\n")
            self.lines.extend(complete)
        return len(text)

    def take(self) -> list[str]:
        if self._partial:
            self.lines.append(self._partial)
        lines, self.lines, self._partial, self._size = self.lines, [], "", 0
        return lines


class LambdaFormatter(logging.Formatter):
    """The Lambda Python runtime's format: [LEVEL]\\t<UTC time>\\t<request id>\\t<message>."""

    def __init__(self, capture: Capture):
        super().__init__()
        self.capture = capture

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return f"[{record.levelname}]\t{when}\t{self.capture.request_id}\t{record.getMessage()}"


class Identity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


class Context:
    """The fields of Lambda's Python context object (reference §7.2)."""

    def __init__(self, request_id: str, timeout_ms: int):
        self.__dict__.update(_function_fields())
        self.aws_request_id = request_id
        self.identity = Identity()
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@functools.cache
def _function_fields() -> dict[str, str]:
    # Read once, as Lambda's runtime does at start-up: os.environ costs µs per lookup, per event.
    env = os.environ
    name, version = env["AWS_LAMBDA_FUNCTION_NAME"], env["AWS_LAMBDA_FUNCTION_VERSION"]
    return {
        "function_name": name,
        "function_version": version,
        "memory_limit_in_mb": env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],  # a string, as in Lambda
        "invoked_function_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}:{version}",
        "log_group_name": env["AWS_LAMBDA_LOG_GROUP_NAME"],
        "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"],
    }


def invoke(handler, message: dict, capture: Capture) -> tuple[dict, bytes | None]:
    """The reply, and the result's JSON when there is one (protocol.encode splices it in)."""
    capture.request_id = message["request_id"]
    context = Context(message["request_id"], message["timeout_ms"])
    result = None
    try:
        reply, result = _marshal(handler(message["event"], context))
    except SystemExit as e:
        reply = {"error": _error("Runtime.ExitError", f"Runtime exited with error: exit status {e.code}"), "broken": True}
    except MemoryError:
        reply = {"error": _error("Runtime.OutOfMemory", "Runtime exited with error: out of memory"), "broken": True}
    except Exception as e:
        reply = _exception(e, capture)
    reply["logs"] = capture.take()
    reply["max_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return reply, result


def _marshal(result) -> tuple[dict, bytes | None]:
    if isinstance(result, (bytes, bytearray)):
        # The Lambda runtime passes bytes through unserialised; CloudFront then rejects them.
        return {"result_bytes": base64.b64encode(result).decode()}, None
    try:
        return {}, _ENCODER.encode(result).encode()
    except (TypeError, ValueError, RecursionError) as e:  # UnicodeEncodeError (a lone surrogate) is a ValueError
        return {"error": _error("Runtime.MarshalError", f"Unable to marshal response: {e}")}, None


def _decimal(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# What json.dumps(result, default=_decimal, ...) does, without making the encoder anew per event (~3 µs).
_ENCODER = json.JSONEncoder(default=_decimal, ensure_ascii=False, separators=(",", ":"))


def _error(error_type: str, message: str, stack: list[str] | None = None) -> dict:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": stack or []}


def _exception(error: Exception, capture: Capture) -> dict:
    stack = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])
    # What the Lambda runtime prints for an unhandled exception, into this invocation's log.
    capture.write(f"[ERROR] {type(error).__name__}: {error}\nTraceback (most recent call last):\n{''.join(stack)}")
    return {"error": _error(type(error).__name__, str(error), stack)}


def _limit_memory(memory_mb: int) -> None:
    # The address space the interpreter already has, plus what the function may use.
    with open("/proc/self/statm") as statm:
        baseline = int(statm.read().split()[0]) * resource.getpagesize()
    limit = baseline + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(file: Path, function: str, in_fd: int, out_fd: int) -> None:
    capture = Capture()
    sys.stdout = sys.stderr = capture
    root = logging.getLogger()
    handler = logging.StreamHandler(capture)
    handler.setFormatter(LambdaFormatter(capture))
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

    _limit_memory(int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]))
    started = time.perf_counter()
    try:
        function_handler = load(file, function)
    except LoadError as e:
        write_blocking(out_fd, {"error": _error(e.error_type, str(e)), "logs": capture.take()})
        return
    except BaseException as e:  # sys.exit or MemoryError at import time
        write_blocking(out_fd, {"error": _error("Runtime.ExitError", f"Runtime exited during init: {type(e).__name__}: {e}"), "logs": capture.take()})
        return
    write_blocking(out_fd, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000, "logs": capture.take()})
    events = Reader(in_fd)
    poll = 0.0  # seconds to stay awake for the next event: the proxy says, with each event (process.POLL)
    while (message := events.next(poll)) is not None:
        write_blocking(out_fd, *invoke(function_handler, message, capture))
        poll = message.get("poll", 0.0)


def check(file: Path, function: str) -> None:
    """Print why the handler cannot load (one line), or nothing."""
    real_stdout = sys.stdout
    sys.stdout = sys.stderr = io.StringIO()  # the module's own prints are not the verdict
    try:
        load(file, function)
    except LoadError as e:
        real_stdout.write(f"{e.error_type}: {e}")
    except BaseException as e:
        real_stdout.write(f"Runtime.ExitError: {type(e).__name__}: {e}")


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(Path(sys.argv[2]), sys.argv[3])
    else:
        serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
