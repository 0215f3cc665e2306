"""Execution environments for functions: the `Runtime` interface and the factory.

A runtime owns a function's environments (cold start, reuse, scale up to `concurrency`,
reaping) and enforces its limits. It returns the handler's result as parsed JSON and leaves its
meaning to `validation`; failures to run are raised as `errors.FunctionError`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..distribution import FunctionSpec


@dataclass
class Invocation:
    result: Any  # the handler's return value, decoded from JSON
    request_id: str  # Lambda's aws_request_id for this invocation
    duration_ms: float
    init_ms: float | None = None  # set on the cold start of a new environment
    max_memory_mb: int = 0
    logs: list[str] = field(default_factory=list)


class Runtime(Protocol):
    spec: FunctionSpec

    @property
    def busy(self) -> int: ...  # environments serving an event now (concurrent executions)

    @property
    def alive(self) -> int: ...  # environments alive, busy or idle

    async def start(self) -> None: ...

    async def invoke(self, event: dict, *, hook: str) -> Invocation: ...

    async def close(self) -> None: ...


NODE_SUFFIXES = (".js", ".mjs", ".cjs")  # handler files run by Node.js; ".py" by Python


def _is_node(spec: FunctionSpec) -> bool:
    return spec.handler_file is not None and spec.handler_file.suffix in NODE_SUFFIXES


def create(spec: FunctionSpec) -> Runtime:
    if spec.wasm is not None:
        from .wasm import WasmRuntime

        return WasmRuntime(spec)
    if _is_node(spec):
        from .node import NodeRuntime

        return NodeRuntime(spec)
    from .python import PythonRuntime

    return PythonRuntime(spec)


def check(spec: FunctionSpec) -> str | None:
    """Load the function's code once, away from the proxy; return why it cannot run, or None."""
    if spec.wasm is not None:
        from .wasm import check as check_wasm

        return check_wasm(spec)
    if _is_node(spec):
        from .node import check as check_node

        return check_node(spec)
    from .python import check as check_python

    return check_python(spec)
