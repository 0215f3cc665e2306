"""WebAssembly handlers through the running proxy: every hook point, both ABIs, and every way a
module can fail, each costing only its own request."""

from __future__ import annotations

import asyncio

import pytest

from edgehooks import config
from edgehooks.distribution import ConfigError
from tests import wasm_modules as wat
from tests.conftest import repo_path

EXAMPLES = repo_path("hooks", "wasm")
ABIS = ["fast", "wasi"]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEHOOKS_CACHE_DIR", str(tmp_path / "cache"))


def distribution(origin_url: str, functions: dict[str, str], behaviors: list[tuple[str, str, str]], settings: str = "") -> str:
    """TOML for wasm `functions` {name: module file} and `behaviors` [(path, hook point, function)]."""
    toml = f'[origins.site]\nurl = "{origin_url}"\n'
    for name, module in functions.items():
        toml += f'[functions.{name}]\nwasm = "{module}"\ntimeout = "1s"\n{settings}\n'
    for path, hook, function in behaviors:
        toml += f'[[behaviors]]\npath = "{path}"\norigin = "site"\ncache = false\n{hook} = "{function}"\n'
    return toml


@pytest.mark.parametrize("abi", ABIS)
@pytest.mark.parametrize("hook", ["viewer-request", "origin-request"])
async def test_a_request_hook_changes_what_the_origin_receives(edgehooks, origin, abi, hook):
    proxy = await edgehooks(distribution(origin.url, {"f": EXAMPLES / f"add_header.{abi}.wasm"}, [("*", hook, "f")]))
    response = await proxy.get("/page")
    assert response.status_code == 200
    received = {name.lower(): value for name, value in origin.received[-1]["headers"].items()}
    assert (received["x-wasm-hook"], received["x-wasm-invocation"]) == ("add_header.c", "1")


@pytest.mark.parametrize("abi", ABIS)
@pytest.mark.parametrize("hook", ["origin-response", "viewer-response"])
async def test_a_response_hook_changes_what_the_viewer_gets(edgehooks, origin, abi, hook):
    proxy = await edgehooks(distribution(origin.url, {"f": EXAMPLES / f"add_header.{abi}.wasm"}, [("*", hook, "f")]))
    response = await proxy.get("/page")
    assert (response.status_code, response.text) == (200, "origin saw GET /page")
    assert response.headers["x-wasm-hook"] == "add_header.c"


@pytest.mark.parametrize("abi", ABIS)
async def test_a_viewer_request_hook_answers_at_the_edge(edgehooks, origin, abi):
    proxy = await edgehooks(distribution(origin.url, {"r": EXAMPLES / f"redirect.{abi}.wasm"}, [("*", "viewer-request", "r")]))
    response = await proxy.get("/old/docs?x=1")
    assert (response.status_code, response.headers["location"]) == (301, "/new/docs")
    assert response.headers["x-cache"] == "LambdaGeneratedResponse from edgehooks"
    assert origin.hits("/old/docs") == 0
    assert (await proxy.get("/elsewhere")).text == "origin saw GET /elsewhere"


@pytest.mark.parametrize("module", ["hello.wat", "hello_wasi.wat"])
async def test_a_wat_module_runs_from_its_text(edgehooks, origin, module):
    proxy = await edgehooks(distribution(origin.url, {"h": EXAMPLES / module}, [("*", "origin-request", "h")]))
    response = await proxy.get("/")
    assert (response.status_code, response.text.startswith("Hello from WebAssembly")) == (200, True)


@pytest.mark.parametrize("abi", ABIS)
async def test_concurrent_requests_each_get_their_own_answer(edgehooks, origin, abi):
    proxy = await edgehooks(distribution(origin.url, {"r": EXAMPLES / f"redirect.{abi}.wasm"}, [("*", "viewer-request", "r")], "concurrency = 50"))
    responses = await asyncio.gather(*(proxy.get(f"/old/{i}") for i in range(50)))
    assert [r.headers["location"] for r in responses] == [f"/new/{i}" for i in range(50)]


FAILURES = [
    ("endless loop, fast", wat.fast(wat.SPIN), 503, "LambdaExecutionError"),
    ("endless loop, wasi", wat.WASI_SPIN, 503, "LambdaExecutionError"),
    ("memory.grow bomb", wat.fast(wat.GROW_BOMB), 503, "LambdaExecutionError"),
    ("trap", wat.fast(wat.TRAP), 503, "LambdaExecutionError"),
    ("exit status 3", wat.WASI_EXIT_3, 503, "LambdaExecutionError"),
    ("garbage output", wat.GARBAGE, 502, "LambdaValidationError"),
    ("not a result", wat.fast_answer("[1, 2]"), 502, "LambdaValidationError"),
    ("generated response over 40 KB", wat.wasi_body(41 * 1024), 502, "LambdaValidationError"),
    ("output over 6 MB", wat.wasi_body(7 * 1024 * 1024), 502, "LambdaValidationError"),
    ("output without end", wat.WASI_FLOOD, 502, "LambdaValidationError"),
]


@pytest.mark.parametrize(("module", "status", "x_cache"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
async def test_a_failing_module_costs_only_its_own_request(edgehooks, origin, module, status, x_cache):
    toml = distribution(origin.url, {"bad": "bad.wat", "good": EXAMPLES / "add_header.fast.wasm"}, [("/bad/*", "viewer-request", "bad"), ("*", "viewer-response", "good")])
    proxy = await edgehooks(toml, {"bad.wat": module})
    failed, served = await asyncio.gather(proxy.get("/bad/x"), proxy.get("/fine"))
    assert (failed.status_code, failed.headers["x-cache"]) == (status, f"{x_cache} from edgehooks")
    assert (served.status_code, served.headers["x-wasm-hook"]) == (200, "add_header.c")
    assert (await proxy.get("/bad/again")).status_code == status  # the function itself still answers
    assert origin.hits("/bad/x") == 0


def test_a_module_with_a_foreign_import_stops_start_up_at_its_key(tmp_path):
    (tmp_path / "fetch.wat").write_text(wat.FOREIGN_IMPORT)
    path = tmp_path / "edgehooks.toml"
    path.write_text(distribution("http://127.0.0.1:9", {"f": "fetch.wat"}, [("*", "viewer-request", "f")]))
    with pytest.raises(ConfigError) as e:
        config.load(path)
    assert str(e.value) == (
        f"{path}:4: functions.f.wasm: cannot load fetch.wat: "
        "imports env.fetch, which edgehooks does not provide (a fast ABI module may import only edgehooks.log)"
    )
