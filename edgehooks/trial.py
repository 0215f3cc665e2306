"""One event through one function, outside the proxy: `edgehooks invoke` and `edgehooks.testing`.

The function runs in its real runtime (a worker process or a wasm instance) with its limits,
and its result is judged by the proxy's own `validation`, so a result that passes here passes
in the proxy and one that fails names the field and the rule CloudFront would reject it for.
The log is what the runtime wrote for the invocation: START, the handler's lines, END, REPORT.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import runtimes, validation
from .distribution import FunctionSpec
from .errors import FunctionError


HANDLER_SUFFIXES = (".py", *runtimes.NODE_SUFFIXES)  # "FILE:function" handlers; the rest are wasm modules
CODE_SUFFIXES = (*HANDLER_SUFFIXES, ".wasm", ".wat")


def is_code_file(target: str) -> bool:
    """Whether `target` names a code file ("FILE.py[:function]", "FILE.js", "FILE.wasm", …), not a config function."""
    file = target.rpartition(":")[0] if ":" in target and not target.endswith(CODE_SUFFIXES) else target
    return file.endswith(CODE_SUFFIXES)


def spec_for(target: str, *, memory_mb: int = 128, timeout: float = 3.0) -> FunctionSpec:
    """A function from "FILE.py:function", "FILE.js:function" (function `handler` when left out) or
    "FILE.wasm"/"FILE.wat", with Lambda's defaults for what a config would say; ValueError when
    there is no such file."""
    file, function = target, "handler"
    if not target.endswith(CODE_SUFFIXES) and ":" in target:
        file, _, function = target.rpartition(":")
    path = Path(file).resolve()
    if path.suffix not in CODE_SUFFIXES:
        raise ValueError(f'{target!r} is not "FILE.py:function", "FILE.js:function", "FILE.wasm" or "FILE.wat"')
    if not path.is_file():
        raise ValueError(f"{file}: no such file")
    if path.suffix not in HANDLER_SUFFIXES:
        return FunctionSpec(path.stem, wasm=path, memory_mb=memory_mb, timeout=timeout)
    if not function.isidentifier():
        raise ValueError(f"{function!r} is not a function name")
    return FunctionSpec(path.stem, f"{file}:{function}", path, function, memory_mb=memory_mb, timeout=timeout)


@dataclass
class Result:
    event_type: str
    event: dict
    returned: Any = None  # what the handler returned, as JSON; None when it failed to run
    error: FunctionError | None = None  # why CloudFront would not use the result
    logs: list[str] = field(default_factory=list)  # START, the handler's lines, END, REPORT
    notes: list[str] = field(default_factory=list)  # changes CloudFront would ignore

    @property
    def passed(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int | None:
        """What the viewer would get instead of the result: 502 (invalid) or 503 (failed to run)."""
        return None if self.error is None else self.error.status

    @property
    def field(self) -> str | None:
        return getattr(self.error, "field", None)

    @property
    def report(self) -> str:
        return next((line for line in reversed(self.logs) if line.startswith("REPORT ")), "")

    @property
    def response(self) -> dict | None:
        """The response the function answered with or changed (response events, generated responses)."""
        return self.returned if isinstance(self.returned, dict) and "status" in self.returned else None

    @property
    def request(self) -> dict | None:
        """The request the function let through, when it did not answer."""
        request_event = self.event_type.endswith("-request")
        return self.returned if request_event and isinstance(self.returned, dict) and "status" not in self.returned else None

    def to_json(self) -> dict:
        error = None if self.error is None else {
            "status": self.error.status, "kind": self.error.kind, "field": self.field,
            "rule": self.error.message, "errorType": self.error.error_type,
        }  # fmt: skip
        return {"eventType": self.event_type, "passed": self.passed, "result": self.returned, "error": error, "logs": self.logs, "notes": self.notes}


async def run(spec: FunctionSpec, event_type: str, event: dict) -> Result:
    """Start the function's runtime, invoke it once, validate the result, close the runtime."""
    result = Result(event_type, event)
    runtime = runtimes.create(spec)
    with _Lines(f"edgehooks.function.{spec.name}") as logs, _Lines(validation.log.name) as notes:
        try:
            await runtime.start()
            invocation = await runtime.invoke(event, hook=event_type)
            result.returned = invocation.result
            if event_type.endswith("-request"):
                validation.check_request_result(event_type, event, invocation.result)
            else:
                validation.check_response_result(event_type, event, invocation.result)
        except FunctionError as e:
            result.error = e
        finally:
            await runtime.close()
    result.logs, result.notes = logs, notes
    return result


class _Lines(logging.Handler):
    """The messages a logger writes while in the `with` block, kept in a list instead of propagated."""

    def __init__(self, name: str):
        super().__init__()
        self.logger = logging.getLogger(name)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> list[str]:
        self.propagate, self.level = self.logger.propagate, self.logger.level
        self.logger.addHandler(self)
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        return self.lines

    def __exit__(self, *_) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self.propagate
        self.logger.setLevel(self.level)
