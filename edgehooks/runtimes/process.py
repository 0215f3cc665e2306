"""Execution environments that are worker processes: what the Python and Node.js runtimes share.

The proxy side of the Lambda model: a worker is started per environment (its cold start), fed
one event at a time over its own frame pipes (runtimes/protocol.py), and killed with its whole
process group when it overruns its timeout, crashes or exits — that event fails with a 503 and the
next one gets a new environment. A runtime only says how to start its worker (`command`) and
with which environment variables; the exchange, the limits and the error mapping live here once.
Worker processes isolate faults; they are no security boundary against hostile code.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import ids, lambdalog
from ..distribution import FunctionSpec
from ..errors import ExecutionError, FunctionError
from . import Invocation, protocol
from .environments import Environments, Pooled

# A worker outlives a proxy that is SIGKILLed (it has its own session, so the group kill misses
# it), and a handler stuck in a loop then burns a core for good: seen here, two for an hour.
# util-linux's setpriv makes the kernel kill the worker when the proxy dies (the death signal
# survives exec, through prlimit for Node.js too). Where there is no setpriv, workers go unguarded.
_SETPRIV = shutil.which("setpriv")
_ORPHAN_GUARD = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []

INIT_TIMEOUT = 10.0  # Lambda gives the INIT phase at most 10 s (reference §4.2)
# Whoever sleeps in a hop (the proxy for the answer, the worker for its next event) is woken by
# the other's write, and an idle core's wake-up is dear in a VM: a cache hit with two Python hooks
# took 500 µs with both asleep, 180 µs with both polling (bench/README.md). So when only one
# answer is owed, the one event loop polls for it if this function's answers come within POLL, and
# the worker is told to poll for its next event if this function's events come within POLL of each
# other: each for at most POLL seconds. With more answers owed, both sleep: workers need the CPU.
POLL = 0.001
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class Replies(asyncio.Protocol):
    """The worker's frame pipe as the event loop reads it: each message resolves the future that
    `next` gave out. A protocol rather than a StreamReader: one callback per reply instead of two
    awaited reads, each with its own future and wake-up."""

    def __init__(self) -> None:
        self._frames = protocol.Frames()
        self._messages: collections.deque = collections.deque()
        self._waiter: asyncio.Future | None = None
        self._gone: Exception | None = None  # why no more messages will come

    def next(self) -> asyncio.Future:
        self._waiter = asyncio.get_running_loop().create_future()
        self._hand_over()
        return self._waiter

    def data_received(self, data: bytes) -> None:
        try:
            self._messages.extend(self._frames.feed(data))
        except protocol.FrameError as e:
            self._gone = e
        self._hand_over()

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone = self._gone or ConnectionError("the worker closed its frame pipe")
        self._hand_over()

    def _hand_over(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._messages:
            waiter.set_result(self._messages.popleft())
        elif self._gone is not None:
            waiter.set_exception(self._gone)


@dataclass
class Worker:
    process: asyncio.subprocess.Process
    replies: Replies
    events: asyncio.WriteTransport  # the frame pipe to the worker
    output: asyncio.Task  # forwards what the process writes to fds 1 and 2 outside the runtime's capture
    logs: list[str] = field(default_factory=list)


class ProcessRuntime(Pooled):
    """A function whose environments are worker processes started by `command`."""

    answers_owed = 0  # by workers of every function in this process, to the one event loop

    def __init__(self, spec: FunctionSpec, env: dict[str, str]):
        self.spec = spec
        # Moving averages, in seconds, of how long this function's answers take and of the time
        # between its events: whether polling for the one or the other is likely to pay.
        self._typical_answer = 0.0
        self._typical_gap = 1.0
        self._last_event = time.perf_counter()
        self.log = logging.getLogger(f"edgehooks.function.{spec.name}")
        self.environments: Environments[Worker] = Environments(spec, self._spawn, self._kill, self.log)
        self._env = env

    def command(self, in_fd: int, out_fd: int) -> list[str]:
        """The worker's command line; it reads frames from in_fd and writes them to out_fd."""
        raise NotImplementedError

    async def start(self) -> None:
        await self.environments.start()

    async def close(self) -> None:
        await self.environments.close()

    async def invoke(self, event: dict, *, hook: str) -> Invocation:
        request_id = ids.invocation_id()
        worker, init_ms = await self.environments.acquire(request_id)
        started = time.perf_counter()
        reply: dict = {}
        error: FunctionError | None = None
        broken = False
        self._typical_gap = _moving_average(self._typical_gap, started - self._last_event)
        self._last_event = started
        alone = not ProcessRuntime.answers_owed
        try:
            message = {"request_id": request_id, "event": event, "timeout_ms": int(self.spec.timeout * 1000)}
            if alone and self._typical_gap < POLL:
                message["poll"] = POLL  # the worker stays awake for the next event (a Python worker does)
            worker.events.write(protocol.encode(message))
            waiting = worker.replies.next()
            loop = asyncio.get_running_loop()
            # A timer on the future itself: cheaper than asyncio.timeout, no task per event as wait_for makes.
            timer = loop.call_later(self.spec.timeout, _time_out, waiting)
            if alone and self._typical_answer < POLL:
                _poll(loop, waiting, started + POLL)
            ProcessRuntime.answers_owed += 1
            try:
                reply = await waiting
            finally:
                timer.cancel()
                ProcessRuntime.answers_owed -= 1
        except TimeoutError:
            broken = True
            error = ExecutionError(f"Task timed out after {self.spec.timeout:.2f} seconds", error_type="Sandbox.Timedout")
            worker.logs.append(lambdalog.timeout_line(request_id, _now(), self.spec.timeout))
        except (ConnectionError, protocol.FrameError):
            broken = True
            error = ExecutionError(f"Runtime exited with error: {await _exit_status(worker.process)}", error_type="Runtime.ExitError")
        except asyncio.CancelledError:
            # Nobody waits for this event any more, but the worker is still busy with it.
            await self.environments.release(worker, broken=True)
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        self._typical_answer = _moving_average(self._typical_answer, duration_ms / 1000)
        if "error" in reply:
            broken = reply.get("broken", False)
            error = ExecutionError(reply["error"]["errorMessage"], error_type=reply["error"]["errorType"])
        logs = worker.logs + reply.get("logs", [])
        worker.logs = []
        await self.environments.release(worker, broken=broken)
        max_memory_mb = reply.get("max_memory_mb", 0)
        lambdalog.report(
            self.log, request_id=request_id, version=self.spec.version, logs=logs, error=error,
            duration_ms=duration_ms, memory_mb=self.spec.memory_mb, max_memory_mb=max_memory_mb, init_ms=init_ms,
        )  # fmt: skip
        if error is not None:
            error.init_ms = init_ms
            raise error
        result = reply["result"] if "result" in reply else base64.b64decode(reply["result_bytes"])
        return Invocation(result, request_id, duration_ms, init_ms, max_memory_mb, logs)

    async def _spawn(self) -> tuple[Worker, float]:
        """A cold start: a new worker process that has loaded the handler."""
        started = time.perf_counter()
        to_child, from_child = os.pipe(), os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *_ORPHAN_GUARD, *self.command(to_child[0], from_child[1]),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(to_child[0], from_child[1]), env=self._env, cwd=self.spec.handler_file.parent,
                start_new_session=True,  # its own process group: a timeout kills what it forked too
            )  # fmt: skip
        finally:
            os.close(to_child[0])
            os.close(from_child[1])
        loop = asyncio.get_running_loop()
        _, replies = await loop.connect_read_pipe(Replies, os.fdopen(from_child[0], "rb", 0))
        events, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(to_child[1], "wb", 0))
        worker = Worker(process, replies, events, asyncio.create_task(self._forward_output(process)))
        try:
            ready = await asyncio.wait_for(replies.next(), INIT_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, protocol.FrameError) as e:
            status = "timeout" if isinstance(e, asyncio.TimeoutError) else await _exit_status(process)
            await self._kill(worker)
            raise self._init_failed("Runtime.ExitError", f"Runtime exited during init: {status}", started, []) from None
        if "error" in ready:
            await self._kill(worker)
            raise self._init_failed(ready["error"]["errorType"], ready["error"]["errorMessage"], started, ready["logs"])
        worker.logs = ready["logs"]  # what module-level code printed shows before the first START
        return worker, (time.perf_counter() - started) * 1000

    def _init_failed(self, error_type: str, message: str, started: float, logs: list[str]) -> ExecutionError:
        for line in logs:
            self.log.info("%s", line)
        init_ms = (time.perf_counter() - started) * 1000
        lambdalog.init_report(self.log, init_ms=init_ms, error_type=error_type, message=message)
        return ExecutionError(message, error_type=error_type)

    async def _forward_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            self.log.info("%s", line.decode("utf-8", "replace").rstrip("\n")[:8192])

    async def _kill(self, worker: Worker) -> None:
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await worker.process.wait()
        worker.events.close()
        worker.output.cancel()


def _moving_average(average: float, value: float) -> float:
    """An exponential moving average over about the last eight values: recent, but not one outlier."""
    return average + (value - average) / 8


def _poll(loop: asyncio.AbstractEventLoop, waiting: asyncio.Future, until: float) -> None:
    """Keep a callback ready, so the loop looks for I/O without waiting for it, until `waiting`
    is done or `until` (perf_counter) has passed; other connections' I/O is served meanwhile."""
    if not waiting.done() and time.perf_counter() < until:
        loop.call_soon(_poll, loop, waiting, until)


def _time_out(waiting: asyncio.Future) -> None:
    if not waiting.done():
        waiting.set_exception(TimeoutError())


async def _exit_status(process: asyncio.subprocess.Process) -> str:
    try:
        code = await asyncio.wait_for(process.wait(), 1.0)
    except asyncio.TimeoutError:
        return "the worker stopped answering"
    if code < 0:
        return f"signal: {signal.Signals(-code).name}"
    return f"exit status {code}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def lambda_environment(spec: FunctionSpec, execution_env: str) -> dict[str, str]:
    """Lambda's reserved variables and nothing of the proxy's own environment (reference §7.2).
    `execution_env` is the runtime's AWS_EXECUTION_ENV, e.g. "AWS_Lambda_python3.12"."""
    name = f"us-east-1.{spec.name}"
    day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    return {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": execution_env,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{day}/[{spec.version}]{secrets.token_hex(16)}",
        "LAMBDA_TASK_ROOT": task_root(spec),
        "LAMBDA_RUNTIME_DIR": str(PACKAGE_ROOT),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }


def task_root(spec: FunctionSpec) -> str:
    return str(spec.handler_file.parent) if spec.handler_file else "."


def check(command: list[str], spec: FunctionSpec, env: dict[str, str]) -> str | None:
    """Load the handler in a throwaway worker (`command`); one line saying why it cannot run, or None."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=spec.handler_file.parent, timeout=INIT_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return f"loading it took longer than {INIT_TIMEOUT:.0f} s"
    if done.returncode != 0:
        return f"the check process failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    return done.stdout.strip() or None
