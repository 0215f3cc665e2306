"""The Python runtime on its own: real worker processes running real handler files, no proxy.

Lambda's execution-environment model (cold start once, state kept between events, scale out to
`concurrency`, throttle beyond it, reap idle ones, keep `provisioned` warm), its context and log
lines, and every way a handler can fail costing only its own event — with no process left behind.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from edgehooks.distribution import FunctionSpec
from edgehooks.errors import ExecutionError, ThrottledError
from edgehooks.runtimes import check, create, process, protocol

EVENT = {"Records": [{"cf": {"config": {"eventType": "viewer-request"}, "request": {"uri": "/", "headers": {}}}}]}

HANDLERS = '''
import json, os, signal, sys, time, decimal, logging

STATE = {"calls": 0}
print("module imported")

def echo(event, context):
    STATE["calls"] += 1
    return {"calls": STATE["calls"], "pid": os.getpid(), "uri": event["Records"][0]["cf"]["request"]["uri"]}

def context_fields(event, context):
    remaining = context.get_remaining_time_in_millis()
    return {
        "function_name": context.function_name, "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb, "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name, "log_stream_name": context.log_stream_name,
        "aws_request_id": context.aws_request_id, "remaining": remaining,
        "env": sorted(os.environ), "cwd": os.getcwd(),
    }

def talk(event, context):
    print("printed line")
    logging.getLogger().info("logged line")
    os.write(1, b"raw fd write\\n")
    return {"decimal": decimal.Decimal("1.5")}

def slow(event, context):
    time.sleep(0.5)
    return {"pid": os.getpid()}

def fork_and_hang(event, context):
    child = os.fork()
    if child == 0:
        time.sleep(600)
        os._exit(0)
    with open("child.pid", "w") as f:
        f.write(str(child))
    time.sleep(600)

def exit_(event, context):
    sys.exit(3)

def hard_exit(event, context):
    os._exit(7)

def abort(event, context):
    os.abort()

def kill_self(event, context):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)

def memory_bomb(event, context):
    hog = []
    while True:
        hog.append(bytearray(16 * 1024 * 1024))

def endless_output(event, context):
    while True:
        print("x" * 1000)

def close_protocol_pipes(event, context):
    for fd in range(3, 64):
        try:
            os.close(fd)
        except OSError:
            pass
    return {}

def raise_(event, context):
    raise KeyError("missing")

def returns_bytes(event, context):
    return b"raw"

def unserialisable(event, context):
    return {"when": object()}

def sizes(event, context):
    # An answer larger than a pipe's buffer and than one read, about an event as large.
    return {"event_bytes": len(json.dumps(event)), "data": "y" * 3_000_000}
'''


@pytest.fixture
def handler_file(tmp_path) -> Path:
    path = tmp_path / "handlers.py"
    path.write_text(textwrap.dedent(HANDLERS))
    return path


@pytest.fixture
def runtime(handler_file, start_runtime):
    async def start(function: str, **settings):
        return await start_runtime(FunctionSpec("f", handler=f"handlers.py:{function}", handler_file=handler_file, handler_function=function, **settings))

    return start


def stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name: state first, utime and stime at 11 and 12."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes once it has exited.
    return stat(pid)[0] != "Z"


def cpu_seconds(pid: int) -> float:
    fields = stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_one_cold_start_then_state_survives_between_events(runtime):
    rt = await runtime("echo")
    first = await rt.invoke(EVENT, hook="viewer-request")
    second = await rt.invoke(EVENT, hook="viewer-request")
    assert first.init_ms is not None and second.init_ms is None
    assert (first.result["calls"], second.result["calls"]) == (1, 2)
    assert first.result["pid"] == second.result["pid"]
    assert first.request_id != second.request_id


async def test_context_environment_and_working_folder_are_lambdas(runtime, handler_file):
    rt = await runtime("context_fields", memory_mb=256, timeout=2.0)
    invocation = await rt.invoke(EVENT, hook="origin-request")
    c = invocation.result
    assert c["function_name"] == "us-east-1.f" and c["function_version"] == "1"
    assert c["memory_limit_in_mb"] == "256"
    assert c["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:us-east-1.f:1"
    assert c["log_group_name"] == "/aws/lambda/us-east-1.f"
    assert c["log_stream_name"].endswith("]" + c["log_stream_name"].rsplit("]", 1)[1]) and "[1]" in c["log_stream_name"]
    assert c["aws_request_id"] == invocation.request_id
    assert 0 < c["remaining"] <= 2000
    assert c["cwd"] == str(handler_file.parent)
    # Only Lambda's reserved variables: nothing of the proxy's own environment leaks in.
    assert "AWS_LAMBDA_FUNCTION_NAME" in c["env"] and "HOME" not in c["env"]
    assert not [name for name in c["env"] if name.startswith("PYTEST")]


async def test_prints_logging_and_raw_fd_writes_are_the_functions_log(runtime, caplog):
    caplog.set_level(logging.INFO, logger="edgehooks.function.f")
    rt = await runtime("talk")
    invocation = await rt.invoke(EVENT, hook="viewer-request")
    assert invocation.result == {"decimal": 1.5}
    assert "module imported" in invocation.logs  # init output shows with the first invocation
    assert "printed line" in invocation.logs
    assert any(line.startswith("[INFO]\t") and line.endswith(f"\t{invocation.request_id}\tlogged line") for line in invocation.logs)
    await asyncio.sleep(0.2)  # fd 1 is forwarded by the parent as it arrives
    messages = [r.getMessage() for r in caplog.records]
    assert "raw fd write" in messages
    start = messages.index(f"START RequestId: {invocation.request_id} Version: 1")
    end = messages.index(f"END RequestId: {invocation.request_id}")
    report = messages[end + 1]
    assert start < messages.index("printed line") < end
    assert report.startswith(f"REPORT RequestId: {invocation.request_id}\tDuration: ")
    assert "\tBilled Duration: " in report and "\tMemory Size: 128 MB\tMax Memory Used: " in report and "\tInit Duration: " in report


async def test_concurrency_scales_out_then_throttles_then_reaps(runtime):
    rt = await runtime("slow", concurrency=2, idle_timeout=0.5)
    results = await asyncio.gather(*(rt.invoke(EVENT, hook="viewer-request") for _ in range(3)), return_exceptions=True)
    throttled = [r for r in results if isinstance(r, ThrottledError)]
    served = [r for r in results if not isinstance(r, BaseException)]
    assert len(throttled) == 1 and throttled[0].status == 503 and throttled[0].kind == "LambdaLimitExceeded"
    assert len({r.result["pid"] for r in served}) == 2  # two environments, each cold
    assert all(r.init_ms is not None for r in served)
    assert rt.environments.alive == 2
    for _ in range(40):
        if rt.environments.alive == 0:
            break
        await asyncio.sleep(0.1)
    assert rt.environments.alive == 0
    assert not any(alive(r.result["pid"]) for r in served)


async def test_provisioned_environments_are_warm_and_never_reaped(runtime):
    rt = await runtime("echo", provisioned=1, idle_timeout=0.2)
    assert rt.environments.alive == 1
    await asyncio.sleep(0.6)
    invocation = await rt.invoke(EVENT, hook="viewer-request")
    assert invocation.init_ms is None and rt.environments.alive == 1


@pytest.mark.parametrize(
    "function, error_type, message",
    [
        ("raise_", "KeyError", "'missing'"),
        ("exit_", "Runtime.ExitError", "Runtime exited with error: exit status 3"),
        ("hard_exit", "Runtime.ExitError", "Runtime exited with error: exit status 7"),
        ("abort", "Runtime.ExitError", "Runtime exited with error: signal: SIGABRT"),
        ("kill_self", "Runtime.ExitError", "Runtime exited with error: signal: SIGTERM"),
        ("memory_bomb", "Runtime.OutOfMemory", "Runtime exited with error: out of memory"),
        ("unserialisable", "Runtime.MarshalError", "Unable to marshal response"),
        ("close_protocol_pipes", "Runtime.ExitError", "Runtime exited with error"),
    ],
)
async def test_each_failure_is_a_503_for_its_own_event_and_the_next_one_runs(runtime, function, error_type, message):
    rt = await runtime(function, timeout=3.0)
    with pytest.raises(ExecutionError) as failure:
        await rt.invoke(EVENT, hook="viewer-request")
    assert failure.value.status == 503 and failure.value.kind == "LambdaExecutionError"
    assert failure.value.error_type == error_type
    assert failure.value.message.startswith(message)
    # The environment that failed is not reused in a broken state: the next event still runs.
    again = await asyncio.gather(rt.invoke(EVENT, hook="viewer-request"), return_exceptions=True)
    assert isinstance(again[0], ExecutionError) and again[0].error_type == error_type


async def test_a_timeout_kills_the_whole_process_group_and_a_new_environment_serves(runtime, handler_file):
    rt = await runtime("fork_and_hang", timeout=1.0)
    with pytest.raises(ExecutionError) as failure:
        await rt.invoke(EVENT, hook="viewer-request")
    assert failure.value.error_type == "Sandbox.Timedout"
    assert failure.value.message == "Task timed out after 1.00 seconds"
    child = int((handler_file.parent / "child.pid").read_text())
    for _ in range(20):
        if not alive(child):
            break
        await asyncio.sleep(0.05)
    assert not alive(child), "the handler's forked child outlived the timeout"
    assert rt.environments.alive == 0


async def test_endless_output_is_capped_and_the_timeout_still_holds(runtime):
    rt = await runtime("endless_output", timeout=1.0)
    with pytest.raises(ExecutionError) as failure:
        await rt.invoke(EVENT, hook="viewer-request")
    assert failure.value.error_type == "Sandbox.Timedout"


async def test_a_bytes_result_reaches_validation_as_bytes(runtime):
    rt = await runtime("returns_bytes")
    invocation = await rt.invoke(EVENT, hook="viewer-request")
    assert invocation.result == b"raw"


async def test_close_leaves_no_worker_behind(handler_file):
    spec = FunctionSpec("f", handler="handlers.py:echo", handler_file=handler_file, handler_function="echo", provisioned=2, concurrency=4)
    rt = create(spec)
    await rt.start()
    pids = {(await rt.invoke(EVENT, hook="viewer-request")).result["pid"] for _ in range(2)}
    await rt.close()
    assert pids and not any(alive(pid) for pid in pids)


def test_check_names_why_a_handler_cannot_load(tmp_path):
    cases = {
        "syntax.py": ("def handler(:\n", "Runtime.UserCodeSyntaxError: Syntax error in module 'syntax'"),
        "imports.py": ("import no_such_module_here\ndef handler(e, c): pass\n", "Runtime.ImportModuleError: Unable to import module 'imports': ModuleNotFoundError"),
        "nohandler.py": ("x = 1\n", "Runtime.HandlerNotFound: Handler 'handler' missing on module 'nohandler'"),
        "exits.py": ("import sys\nsys.exit(1)\n", "Runtime.ExitError: SystemExit: 1"),
    }
    for name, (source, reason) in cases.items():
        (tmp_path / name).write_text(source)
        spec = FunctionSpec("f", handler=f"{name}:handler", handler_file=tmp_path / name, handler_function="handler")
        assert (check(spec) or "").startswith(reason), name


def test_frames_come_out_whole_however_the_pipe_cuts_them():
    messages = [{"n": 1, "text": "é" * 300}, {"n": 2}, {"n": 3, "list": list(range(50))}]
    stream = b"".join(protocol.encode(m) for m in messages)
    for cut in (1, 3, 4, 5, 97, len(stream)):
        frames, out = protocol.Frames(), []
        for start in range(0, len(stream), cut):
            out += frames.feed(stream[start : start + cut])
        assert out == messages, cut
    with pytest.raises(protocol.FrameError):
        protocol.Frames().feed(protocol.HEADER.pack(protocol.MAX_FRAME + 1) + b"{}")


async def test_a_worker_that_polled_through_a_burst_of_events_sleeps_once_they_stop(runtime):
    rt = await runtime("echo")
    for _ in range(200):  # back to back, one at a time: the proxy tells the worker to poll between them
        pid = (await rt.invoke(EVENT, hook="viewer-request")).result["pid"]
    before = cpu_seconds(pid)
    await asyncio.sleep(0.5)
    assert cpu_seconds(pid) - before < 0.1


def test_a_worker_polls_for_its_next_event_only_as_long_as_it_was_told():
    read_end, write_end = os.pipe()
    # A worker's pipe keeps the proxy's fd number, past select()'s 1023 in a busy proxy.
    high = fcntl.fcntl(read_end, fcntl.F_DUPFD, 1500)
    os.close(read_end)
    reader = protocol.Reader(high)
    frame = protocol.encode({"n": 1})

    def later(delay: float, data: bytes) -> None:
        time.sleep(delay)
        os.write(write_end, data)

    for poll, delay in ((0.2, 0.01), (0.01, 0.3)):  # the event comes while it polls; after it sleeps
        cpu = time.process_time()
        writer = threading.Thread(target=later, args=(delay, frame[:3]))
        writer.start()
        threading.Timer(delay + 0.01, os.write, (write_end, frame[3:])).start()  # a frame cut in two
        assert reader.next(poll) == {"n": 1}
        writer.join()
        # Awake for no longer than the poll: waiting out the rest of 0.3 s awake would cost ~0.3 s.
        assert time.process_time() - cpu < poll + 0.1
    os.close(write_end)
    assert reader.next(0.05) is None
    os.close(high)


async def test_events_and_answers_larger_than_a_pipe_buffer_arrive_whole(runtime):
    rt = await runtime("sizes", memory_mb=256)
    big = {"Records": [{"cf": {"config": {"eventType": "origin-request"}, "request": {"uri": "/", "headers": {}, "body": {"data": "x" * 2_000_000}}}}]}
    invocation = await rt.invoke(big, hook="origin-request")
    assert invocation.result["event_bytes"] == len(json.dumps(big))
    assert invocation.result["data"] == "y" * 3_000_000
    assert (await rt.invoke(EVENT, hook="origin-request")).result["event_bytes"] == len(json.dumps(EVENT))  # the pipes stay in step


async def test_an_invocation_nobody_waits_for_any_more_frees_its_environment(runtime):
    rt = await runtime("slow")
    pid = (await rt.invoke(EVENT, hook="viewer-request")).result["pid"]
    abandoned = asyncio.create_task(rt.invoke(EVENT, hook="viewer-request"))
    await asyncio.sleep(0.1)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    # The worker is still busy with that event: it is not handed the next one, and does not linger.
    assert rt.environments.busy == 0 and rt.environments.alive == 0 and not alive(pid)
    again = await rt.invoke(EVENT, hook="viewer-request")
    assert again.init_ms is not None and again.result["pid"] != pid


async def test_the_loop_polls_for_an_answer_only_briefly_and_never_through_a_slow_handler(runtime):
    # While the only answer owed comes, the event loop polls instead of sleeping (process.POLL):
    # bounded, so a slow handler costs the proxy no more CPU than it would asleep, alone or not.
    rt = await runtime("slow", concurrency=2)
    cpu = time.thread_time()
    await rt.invoke(EVENT, hook="viewer-request")
    await asyncio.gather(*(rt.invoke(EVENT, hook="viewer-request") for _ in range(2)))
    assert time.thread_time() - cpu < 0.1  # polling through the handler's 1.5 s of sleep would be ~1.5 s
    assert rt._typical_answer > process.POLL  # and this function's next answer is not polled for at all


def test_a_worker_dies_with_a_proxy_that_is_killed(tmp_path):
    # The proxy is SIGKILLed mid-event: nothing of it runs to clean up, and its busy worker (in its
    # own session, out of reach of a group kill) must not go on spinning.
    (tmp_path / "spin.py").write_text(
        "import os\n"
        "def handler(event, context):\n"
        "    open('worker.pid', 'w').write(str(os.getpid()))\n"
        "    while True:\n"
        "        pass\n"
    )
    proxy = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from edgehooks.distribution import FunctionSpec
        from edgehooks.runtimes import create
        async def main():
            runtime = create(FunctionSpec("f", handler_file=Path({str(tmp_path / "spin.py")!r}), handler_function="handler", timeout=60))
            await runtime.start()
            await runtime.invoke({{"Records": []}}, hook="viewer-request")
        asyncio.run(main())
    """)])  # fmt: skip
    pid_file = tmp_path / "worker.pid"
    try:
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        worker = int(pid_file.read_text())
        assert alive(worker)
    finally:
        proxy.kill()
        proxy.wait()
    for _ in range(100):
        if not alive(worker):
            break
        time.sleep(0.05)
    else:
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the worker outlived its proxy")
