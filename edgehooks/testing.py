"""Unit-test Lambda@Edge handlers with pytest: build an event, run the handler in its real runtime.

    from edgehooks import testing

    def test_old_about_redirects():
        result = testing.run("hooks/redirects.py:handler", "viewer-request", uri="/old-about")
        assert result.passed and result.response["status"] == "301"

`run` starts the handler's runtime (a worker process, or wasm), invokes it once on the event
the proxy would build, validates what it returned by CloudFront's rules and gives back a
`Result`: `passed`, `status` (502/503 when CloudFront would not use it), `field` and
`error.message` (the broken rule), `request`/`response` (what it returned), `logs` (START …
REPORT, with what it printed). In an async test, await `run_async` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from . import samples
from .trial import Result, run as _run, spec_for

__all__ = ["Result", "make_event", "run", "run_async"]


def make_event(
    event_type: str = "viewer-request",
    *,
    uri: str = "/index.html",
    method: str = "GET",
    querystring: str = "",
    headers: Mapping[str, str] | list[tuple[str, str]] = (),
    body: str | bytes | None = None,
    client_ip: str = samples.CLIENT_IP,
    status: int = 200,
    response_headers: Mapping[str, str] | list[tuple[str, str]] = (),
) -> dict:
    """The event the proxy would give a function at `event_type` for this request (and origin answer)."""
    sample = samples.Sample(
        method, uri, querystring, _pairs(headers), body.encode() if isinstance(body, str) else body, client_ip, status, _pairs(response_headers)
    )
    return samples.event(event_type, sample)


async def run_async(handler: str, event_type: str = "viewer-request", *, event: dict | None = None, memory_mb: int = 128, timeout: float = 3.0, **request) -> Result:
    """Invoke `handler` ("file.py:function", "file.js:function", "file.wasm", "file.wat") once; `request` as for `make_event`."""
    spec = spec_for(handler, memory_mb=memory_mb, timeout=timeout)
    return await _run(spec, event_type, event if event is not None else make_event(event_type, **request))


def run(handler: str, event_type: str = "viewer-request", *, event: dict | None = None, memory_mb: int = 128, timeout: float = 3.0, **request) -> Result:
    return asyncio.run(run_async(handler, event_type, event=event, memory_mb=memory_mb, timeout=timeout, **request))


def _pairs(headers: Mapping[str, str] | list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)
