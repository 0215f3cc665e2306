"""The wasm runtime on its own: real modules (the committed C examples and small WAT ones), no proxy."""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import sys
import time
from pathlib import Path

import pytest

from edgehooks.distribution import FunctionSpec
from edgehooks.errors import ExecutionError, ThrottledError, ValidationError
from edgehooks.runtimes import check, codec, wasm, wasm_module
from edgehooks.runtimes.wasm_env import WasiEnvironment, decode
from tests import wasm_modules as wat
from tests.conftest import repo_path

EXAMPLES = repo_path("hooks", "wasm")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """Each test compiles into its own cache, so cache tests see only their own files."""
    monkeypatch.setenv("EDGEHOOKS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "wasm"


@pytest.fixture
def runtime(tmp_path, start_runtime):
    """Start a runtime for a module given as a path or as WAT text."""

    async def start(module: str | Path, **settings):
        if isinstance(module, str):
            path = tmp_path / f"m{len(list(tmp_path.glob('m*.wat')))}.wat"
            path.write_text(module)
            module = path
        return await start_runtime(FunctionSpec("f", wasm=module, **settings))

    return start


def headers(result: dict) -> dict[str, str]:
    return {name: entries[0]["value"] for name, entries in result["headers"].items()}


@pytest.mark.parametrize("abi", ["fast", "wasi"])
async def test_the_c_example_adds_its_headers_to_the_request(runtime, abi):
    rt = await runtime(EXAMPLES / f"add_header.{abi}.wasm")
    invocation = await rt.invoke(wat.viewer_request("/a"), hook="viewer-request")
    assert invocation.result["uri"] == "/a"
    assert headers(invocation.result) == {"x-wasm-hook": "add_header.c", "x-wasm-invocation": "1", "host": "example.org"}


async def test_fast_abi_keeps_its_instance_between_events_and_reports_one_cold_start(runtime):
    rt = await runtime(EXAMPLES / "add_header.fast.wasm", concurrency=1)
    first = await rt.invoke(wat.viewer_request(), hook="viewer-request")
    second = await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert [headers(i.result)["x-wasm-invocation"] for i in (first, second)] == ["1", "2"]
    assert first.init_ms is not None and second.init_ms is None
    assert first.request_id != second.request_id


async def test_wasi_abi_gives_every_event_a_fresh_instance(runtime):
    rt = await runtime(EXAMPLES / "add_header.wasi.wasm", concurrency=1)
    for _ in range(3):
        invocation = await rt.invoke(wat.viewer_request(), hook="viewer-request")
        assert headers(invocation.result)["x-wasm-invocation"] == "1"
        await asyncio.sleep(0.01)  # the loop's turn: the environment makes the next instance ahead


def test_an_instance_made_ahead_reads_the_event_it_runs(tmp_path):
    path = tmp_path / "echo.wat"
    path.write_text(wat.WASI_ECHO)
    environment = WasiEnvironment(wasm_module.load(path), 16 << 20)
    for uri in ("/first", "/second"):
        environment.prepare(1.0)
        event = wat.viewer_request(uri)
        assert decode(environment.invoke(codec.dumps(event), 1.0).data) == event


def test_a_fresh_instance_reuses_its_slots_pages_without_faulting_them_in():
    environment = WasiEnvironment(wasm_module.load(EXAMPLES / "add_header.wasi.wasm"), 16 << 20)
    event = codec.dumps(wat.viewer_request())

    def events(count: int) -> None:
        for _ in range(count):
            assert headers(decode(environment.invoke(event, 1.0).data))["x-wasm-invocation"] == "1"
            environment.prepare(1.0)

    events(20)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    events(200)
    # Slots whose pages went back to the kernel fault ~11 in per event (wasm_module.KEEP_RESIDENT).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults < 200


def test_a_start_function_that_logs_runs_with_its_event(tmp_path):
    # Made ahead, the start function's log would be lost: such an instance is made with its event.
    path = tmp_path / "start.wat"
    path.write_text(wat.wasi("(call $write (i32.const 64) (i32.const 2))", extra=wat.START_LOGS + '(data (i32.const 64) "{}")'))
    environment = WasiEnvironment(wasm_module.load(path), 16 << 20)
    for _ in range(2):
        environment.prepare(1.0)
        assert decode(environment.invoke(b"{}", 1.0).data) == {} and environment.logs == ["started"]


@pytest.mark.parametrize("abi", ["fast", "wasi"])
async def test_logs_come_back_with_the_invocation(runtime, abi):
    rt = await runtime(EXAMPLES / f"redirect.{abi}.wasm")
    invocation = await rt.invoke(wat.viewer_request("/old/x"), hook="viewer-request")
    assert invocation.result["status"] == "301"
    assert headers(invocation.result)["location"] == "/new/x"
    assert invocation.logs == ["redirected an /old/ path"]


async def test_wat_examples_answer_at_the_edge(runtime):
    for name, body in (("hello.wat", "Hello from WebAssembly (fast ABI, WAT)"), ("hello_wasi.wat", "Hello from WebAssembly (WASI ABI, WAT)")):
        rt = await runtime(EXAMPLES / name)
        invocation = await rt.invoke(wat.viewer_request(), hook="viewer-request")
        assert (invocation.result["status"], invocation.result["body"]) == ("200", body)


@pytest.mark.parametrize("module", [wat.fast(wat.SPIN), wat.WASI_SPIN], ids=["fast", "wasi"])
async def test_an_endless_loop_times_out_and_the_next_event_runs(runtime, module):
    rt = await runtime(module, timeout=0.2)
    with pytest.raises(ExecutionError, match="Task timed out after 0.20 seconds") as e:
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert e.value.status == 503
    with pytest.raises(ExecutionError, match="timed out"):  # it ran again: a new environment, not a dead one
        await rt.invoke(wat.viewer_request(), hook="viewer-request")


async def test_an_event_over_the_inline_budget_reruns_in_the_pool_and_a_broken_environment_is_replaced(runtime, caplog):
    # Loops forever on the second event an environment sees.
    module = wat.fast(
        "(global.set $n (i32.add (global.get $n) (i32.const 1))) (if (i32.eq (global.get $n) (i32.const 2)) (then (loop (br 0))))"
        "(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 2))",
        extra='(global $n (mut i32) (i32.const 0)) (data (i32.const 16) "{}")',
    )
    caplog.set_level(logging.INFO)
    rt = await runtime(module, timeout=0.2, concurrency=1)
    first = await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert first.result == {} and first.init_ms is not None
    for strike in range(1, wasm.STRIKES + 1):
        # On the event loop the loop is stopped at the inline budget; the event then runs again on
        # a new environment (its first event there), as if Lambda had routed it to a new one.
        rerun = await rt.invoke(wat.viewer_request(), hook="viewer-request")
        assert rerun.result == {} and rerun.init_ms is not None
        assert ("runs in its thread pool from now on" in caplog.text) == (strike == wasm.STRIKES)
    # In the pool the same loop runs to the timeout, and that environment is replaced.
    with pytest.raises(ExecutionError, match="Task timed out after 0.20 seconds"):
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    fourth = await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert fourth.result == {} and fourth.init_ms is not None


@pytest.mark.parametrize(
    "module",
    [
        wat.fast(wat.COUNT + " (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 2))", extra='(data (i32.const 16) "{}")'),
        wat.wasi(wat.COUNT + " (call $write (i32.const 64) (i32.const 2))", extra='(data (i32.const 64) "{}")'),
    ],
    ids=["fast", "wasi"],
)
async def test_a_slow_module_finishes_in_the_pool_and_stays_there(runtime, module, caplog):
    caplog.set_level(logging.INFO)
    rt = await runtime(module, timeout=5, concurrency=1)
    for _ in range(wasm.STRIKES + 2):
        assert (await rt.invoke(wat.viewer_request(), hook="viewer-request")).result == {}
    assert caplog.text.count("runs in its thread pool from now on") == 1


async def test_garbage_collection_is_not_counted_against_the_inline_budget(runtime, caplog):
    """A full collection in a big heap takes milliseconds; one that starts inside a host call
    (they allocate) must not make a 50 µs module look slow and send it to the thread pool."""

    def slow_inside_host_calls(phase, info):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.endswith("wasi_io.py"):
                deadline = time.thread_time() + 0.005  # a collection over a big heap, in a host call
                while time.thread_time() < deadline:
                    pass
                return
            frame = frame.f_back

    caplog.set_level(logging.INFO)
    rt = await runtime(wat.WASI_ECHO)  # an fd_read and an fd_write per 100 bytes: many host calls
    thresholds = gc.get_threshold()
    gc.set_threshold(1)  # a collection at nearly every allocation
    gc.callbacks.append(slow_inside_host_calls)
    try:
        for _ in range(3):
            await rt.invoke(wat.viewer_request(), hook="viewer-request")
    finally:
        gc.callbacks.remove(slow_inside_host_calls)
        gc.set_threshold(*thresholds)
    assert "thread pool" not in caplog.text


@pytest.mark.parametrize("module", [wat.fast(wat.GROW_BOMB), wat.wasi(wat.GROW_BOMB)], ids=["fast", "wasi"])
async def test_a_memory_grow_bomb_stops_at_memory_mb(runtime, module):
    rt = await runtime(module, memory_mb=128)
    with pytest.raises(ExecutionError, match=r"unreachable.*\(linear memory 12\d of 128 MB\)") as e:
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert e.value.status == 503


async def test_a_trap_is_an_execution_error(runtime):
    rt = await runtime(wat.fast(wat.TRAP))
    with pytest.raises(ExecutionError, match="unreachable") as e:
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert e.value.status == 503


async def test_garbage_output_is_the_cloudfront_validation_error(runtime):
    rt = await runtime(wat.GARBAGE)
    with pytest.raises(ValidationError) as e:
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert (e.value.status, e.value.message) == (502, "The Lambda function returned invalid JSON: The JSON output is not parsable.")


@pytest.mark.parametrize("module", [wat.HUGE_LENGTH, wat.wasi_body(7 * 1024 * 1024), wat.WASI_FLOOD], ids=["fast", "wasi", "wasi-endless"])
async def test_output_over_the_lambda_payload_limit_is_a_validation_error(runtime, module):
    rt = await runtime(module, timeout=5)
    with pytest.raises(ValidationError, match="6291456 bytes"):
        await rt.invoke(wat.viewer_request(), hook="viewer-request")


async def test_an_alloc_outside_memory_breaks_the_abi(runtime):
    rt = await runtime(wat.BAD_ALLOC)
    with pytest.raises(ExecutionError, match="alloc") as e:
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert e.value.error_type == "Runtime.InvalidAbi"


async def test_a_wasi_exit_status_other_than_zero_is_an_execution_error(runtime):
    rt = await runtime(wat.WASI_EXIT_3)
    with pytest.raises(ExecutionError, match="exit status 3"):
        await rt.invoke(wat.viewer_request(), hook="viewer-request")


async def test_a_wasi_module_reads_the_whole_event_from_stdin_in_pieces(runtime):
    rt = await runtime(wat.WASI_ECHO)
    event = wat.viewer_request("/a-path-long-enough-to-need-several-reads" * 10)
    assert (await rt.invoke(event, hook="viewer-request")).result == event


@pytest.mark.parametrize(
    ("module", "errno"),
    [(wat.WASI_READ_FD_7, 8), (wat.WASI_WRITE_IOVECS_OUTSIDE, 21), (wat.WASI_READ_INTO_OUTSIDE, 21)],
    ids=["no-such-fd", "iovecs-outside-memory", "buffer-outside-memory"],
)
async def test_bad_stdio_calls_get_the_wasi_errno(runtime, module, errno):
    rt = await runtime(module)
    with pytest.raises(ExecutionError, match=f"exit status {errno}$"):
        await rt.invoke(wat.viewer_request(), hook="viewer-request")


async def test_beyond_concurrency_an_event_is_throttled(runtime):
    rt = await runtime(EXAMPLES / "add_header.fast.wasm", concurrency=1)
    first = asyncio.create_task(rt.invoke(wat.viewer_request(), hook="viewer-request"))
    await asyncio.sleep(0)  # the first event now holds the only environment
    with pytest.raises(ThrottledError):
        await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert (await first).result["uri"] == "/"


@pytest.mark.parametrize("abi", ["fast", "wasi"])
async def test_concurrent_events_get_their_own_answers(runtime, abi):
    rt = await runtime(EXAMPLES / f"redirect.{abi}.wasm", concurrency=40)
    results = await asyncio.gather(*(rt.invoke(wat.viewer_request(f"/old/{i}"), hook="viewer-request") for i in range(40)))
    assert [headers(r.result)["location"] for r in results] == [f"/new/{i}" for i in range(40)]


async def test_provisioned_environments_start_warm(runtime):
    rt = await runtime(EXAMPLES / "add_header.fast.wasm", provisioned=2, concurrency=2)
    invocation = await rt.invoke(wat.viewer_request(), hook="viewer-request")
    assert invocation.init_ms is None


async def test_idle_environments_are_reaped(runtime):
    rt = await runtime(EXAMPLES / "add_header.fast.wasm", idle_timeout=0.05, concurrency=1)
    await rt.invoke(wat.viewer_request(), hook="viewer-request")
    for _ in range(50):  # the reaper wakes every idle_timeout: wait for it, however late it runs
        await asyncio.sleep(0.2)
        invocation = await rt.invoke(wat.viewer_request(), hook="viewer-request")
        if invocation.init_ms is not None:
            break
    assert headers(invocation.result)["x-wasm-invocation"] == "1"


# --- loading: the config-time check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "reason"),
    [
        (wat.FOREIGN_IMPORT, "imports env.fetch, which edgehooks does not provide (a fast ABI module may import only edgehooks.log)"),
        (wat.NO_ABI, "exports neither memory + alloc + handle (the fast ABI) nor _start (a WASI command)"),
        (wat.fast("(i64.const 0)").replace("(result i64) (i64.const 0)", "(result i32) (i32.const 0)"), "export handle must be a function (i32, i32) -> (i64), found (i32, i32) -> (i32)"),
        ('(module (func (export "alloc") (param i32) (result i32) (i32.const 0)))', "exports some of the fast ABI but not memory, handle"),
        (wat.fast("(i64.const 0)", extra='(import "edgehooks" "log" (func (param i32)))'), "import edgehooks.log must be a function (i32, i32) -> (), found (i32) -> ()"),
        (wat.wasi("", extra='(import "wasi_snapshot_preview1" "sock_open" (func))'), "cannot be linked against WASI preview 1"),
        ("(module (func (export", "does not compile"),
    ],
)
def test_a_module_edgehooks_cannot_run_is_refused_with_the_reason(tmp_path, module, reason):
    path = tmp_path / "m.wat"
    path.write_text(module)
    assert reason in check(FunctionSpec("f", wasm=path))


def test_a_module_whose_memory_starts_over_memory_mb_is_refused(tmp_path):
    path = tmp_path / "m.wat"
    path.write_text(wat.fast("(i64.const 0)").replace('(memory (export "memory") 1)', '(memory (export "memory") 4096)'))
    assert check(FunctionSpec("f", wasm=path, memory_mb=128)) == "its memory starts at 4096 pages (256 MB), over memory_mb = 128"


def test_compiled_modules_are_cached_on_disk_and_a_damaged_entry_is_rebuilt(cache_dir):
    path = EXAMPLES / "add_header.fast.wasm"
    wasm_module.load(path)
    (entry,) = cache_dir.glob("*.cwasm")
    assert wasm_module.load(path).abi is wasm_module.Abi.FAST  # from the cache: same file, untouched
    assert list(cache_dir.glob("*.cwasm")) == [entry]
    entry.write_bytes(b"damaged")
    assert wasm_module.load(path).abi is wasm_module.Abi.FAST
    assert entry.read_bytes() != b"damaged"
