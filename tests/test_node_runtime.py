"""The Node.js runtime on its own: real node worker processes, no proxy. Lambda's three handler
styles, its context and log format, module loading (CommonJS and ES modules), and every way a
handler can misbehave, each costing only its own request."""

from __future__ import annotations

import asyncio
import os
import re
import textwrap

import pytest

from edgehooks import config
from edgehooks.distribution import ConfigError, FunctionSpec
from edgehooks.errors import ExecutionError

pytestmark = pytest.mark.timeout(60)

HANDLER = """
let invocations = 0;
console.log('loading', 'module');

exports.handler = async (event, context) => {
  invocations += 1;
  const answer = { invocations, remaining: context.getRemainingTimeInMillis() };
  for (const name of ['functionName', 'functionVersion', 'invokedFunctionArn', 'memoryLimitInMB', 'awsRequestId',
                      'logGroupName', 'logStreamName', 'callbackWaitsForEmptyEventLoop']) {
    answer[name] = context[name];
  }
  switch (event.do) {
    case 'log':
      console.log('plain %s', 'formatted', { a: 1 });
      console.info('info'); console.warn('warn'); console.error('error'); console.debug('debug');
      return 'logged';
    case 'env':
      return process.env;
    case 'throw':
      throw new TypeError('handler bug');
    case 'reject-string':
      throw 'just a string';
    case 'unhandled-rejection':
      Promise.reject(new Error('nobody awaits me'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'too late';
    case 'uncaught':
      setTimeout(() => { throw new RangeError('from a timer'); }, 1);
      return new Promise(() => {});
    case 'exit':
      process.exit(7);
    case 'spin':
      for (;;) {}
    case 'heap':
      for (const hoard = [];;) hoard.push(new Array(1e6).fill(1.5));
    case 'buffers':
      for (const hoard = [];;) hoard.push(Buffer.alloc(16 << 20, 1));
    case 'circular': {
      const loop = {};
      loop.loop = loop;
      return loop;
    }
    case 'stdout':
      process.stdout.write('straight to fd 1\\n');
      return 'written';
    default:
      return answer;
  }
};

exports.promise = (event) => new Promise((resolve) => setTimeout(() => resolve({ style: 'promise', event }), 5));

exports.callback = (event, context, callback) => {
  if (event.noWait) context.callbackWaitsForEmptyEventLoop = false;
  // Lambda sends the callback's result once the event loop is empty: after this timer, unless told not to wait.
  setTimeout(() => console.log('timer done'), 200);
  callback(null, { style: 'callback', event });
};

exports.twice = (event, context, callback) => {
  if (event.wait) {
    setTimeout(() => {}, event.wait);
    return callback(null, event.n);
  }
  setTimeout(() => callback(null, 'late'), 100); // lands in the next invocation
  context.succeed(event.n); // answers at once, timer pending
};

exports.callbackError = (event, context, callback) => callback(new Error('via callback'));

exports.legacy = (event, context) => context.succeed({ style: 'legacy', event });

exports.syncReturn = (event) => ({ style: 'ignored by Lambda' });
"""


@pytest.fixture
def runtime(tmp_path, start_runtime):
    """Start a runtime for a handler in a file of `source` (default: HANDLER above)."""

    async def start(function: str = "handler", source: str = HANDLER, file: str = "h.js", **settings):
        path = tmp_path / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return await start_runtime(FunctionSpec("f", f"{file}:{function}", path, function, **{"timeout": 2.0, **settings}))

    return start


async def test_context_has_lambdas_node_fields_and_module_state_survives(runtime):
    rt = await runtime()
    first = await rt.invoke({}, hook="viewer-request")
    second = await rt.invoke({}, hook="viewer-request")
    assert (first.result["invocations"], second.result["invocations"]) == (1, 2)  # one environment, warm
    assert first.init_ms is not None and second.init_ms is None
    context = second.result
    assert context["functionName"] == "us-east-1.f" and context["functionVersion"] == "1"
    assert context["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:us-east-1.f:1"
    assert context["memoryLimitInMB"] == "128"  # a string, as on Lambda
    assert context["awsRequestId"] == second.request_id
    assert context["logGroupName"] == "/aws/lambda/us-east-1.f"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[1\][0-9a-f]{32}", context["logStreamName"])
    assert context["callbackWaitsForEmptyEventLoop"] is True
    assert 0 < context["remaining"] <= 2000


@pytest.mark.parametrize("function, style", [("promise", "promise"), ("callback", "callback"), ("legacy", "legacy")])
async def test_every_handler_style_answers(runtime, function, style):
    rt = await runtime(function)
    assert (await rt.invoke({"n": 1}, hook="origin-request")).result == {"style": style, "event": {"n": 1}}


async def test_the_callback_answer_waits_for_the_event_loop_unless_told_not_to(runtime):
    rt = await runtime("callback")
    waited = await rt.invoke({}, hook="viewer-request")
    assert any(line.endswith("\tINFO\ttimer done") for line in waited.logs)
    answered_at_once = await rt.invoke({"noWait": True}, hook="viewer-request")
    assert not any("timer done" in line for line in answered_at_once.logs)


async def test_a_late_callback_call_cannot_answer_the_next_invocation(runtime):
    rt = await runtime("twice")
    assert (await rt.invoke({"n": 1}, hook="viewer-request")).result == 1
    assert (await rt.invoke({"n": 2, "wait": 1000}, hook="viewer-request")).result == 2


async def test_a_plain_return_value_is_ignored_as_lambda_does(runtime):
    rt = await runtime("syncReturn")
    assert (await rt.invoke({}, hook="viewer-request")).result is None  # then CloudFront's 502, in validation


async def test_console_lines_have_lambdas_node_format(runtime):
    rt = await runtime()
    invocation = await rt.invoke({"do": "log"}, hook="viewer-request")
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    init, *lines = invocation.logs
    assert re.fullmatch(rf"{stamp}\tundefined\tINFO\tloading module", init)  # module-level output: no request id yet
    rid = re.escape(invocation.request_id)
    expected = ["INFO\tplain formatted { a: 1 }", "INFO\tinfo", "WARN\twarn", "ERROR\terror", "DEBUG\tdebug"]
    assert len(lines) == len(expected)
    for line, tail in zip(lines, expected):
        assert re.fullmatch(rf"{stamp}\t{rid}\t{re.escape(tail)}", line)


async def test_what_bypasses_console_reaches_the_functions_log(runtime, caplog):
    caplog.set_level("INFO", logger="edgehooks.function.f")
    rt = await runtime()
    assert (await rt.invoke({"do": "stdout"}, hook="viewer-request")).result == "written"
    for _ in range(100):  # fd 1 is forwarded as it comes, not with the reply
        if "straight to fd 1" in caplog.messages:
            break
        await asyncio.sleep(0.05)
    assert "straight to fd 1" in caplog.messages


async def test_only_lambdas_environment_variables(runtime, monkeypatch):
    monkeypatch.setenv("EDGEHOOKS_TEST_SECRET", "proxy-only")
    rt = await runtime()
    env = (await rt.invoke({"do": "env"}, hook="viewer-request")).result
    assert "EDGEHOOKS_TEST_SECRET" not in env
    major = int(os.popen("node --version").read().strip().lstrip("v").split(".")[0])
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_nodejs{major}.x"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128" and env["AWS_REGION"] == "us-east-1"


@pytest.mark.parametrize(
    "action, error_type, message",
    [
        ("throw", "TypeError", "handler bug"),
        ("reject-string", "string", "just a string"),
        ("circular", "Runtime.MarshalError", "Unable to stringify response body: Converting circular structure to JSON"),
        ("unhandled-rejection", "Runtime.UnhandledPromiseRejection", "Error: nobody awaits me"),
        ("uncaught", "RangeError", "from a timer"),
        ("exit", "Runtime.ExitError", "Runtime exited with error: exit status 7"),
        ("spin", "Sandbox.Timedout", "Task timed out after 1.00 seconds"),
    ],
)
async def test_each_failure_costs_only_its_own_request(runtime, action, error_type, message):
    rt = await runtime(timeout=1.0)
    with pytest.raises(ExecutionError) as failed:
        await rt.invoke({"do": action}, hook="viewer-request")
    assert failed.value.error_type == error_type
    assert failed.value.message.startswith(message)
    after = await rt.invoke({}, hook="viewer-request")
    assert after.result["functionName"] == "us-east-1.f"


@pytest.mark.parametrize(
    "action, error_types",
    [
        ("heap", {"Runtime.ExitError"}),  # V8 aborts at --max-old-space-size
        ("buffers", {"RangeError", "Runtime.ExitError"}),  # outside V8's heap: RLIMIT_DATA fails the allocation, or V8 aborts
    ],
)
async def test_a_memory_bomb_is_stopped_by_the_memory_limit(runtime, action, error_types):
    rt = await runtime(timeout=10.0)  # far more than either bomb needs to hit the limit: a timeout would mean no limit
    with pytest.raises(ExecutionError) as failed:
        await rt.invoke({"do": action}, hook="origin-request")
    assert failed.value.error_type in error_types
    assert (await rt.invoke({}, hook="origin-request")).result["functionName"] == "us-east-1.f"


async def test_an_error_through_the_callback(runtime):
    rt = await runtime("callbackError")
    with pytest.raises(ExecutionError, match="via callback"):
        await rt.invoke({}, hook="viewer-request")


async def test_concurrent_events_get_their_own_environments(runtime):
    rt = await runtime("promise", concurrency=3)
    answers = await asyncio.gather(*(rt.invoke({"n": n}, hook="viewer-request") for n in range(3)))
    assert [a.result["event"]["n"] for a in answers] == [0, 1, 2]
    assert all(a.init_ms is not None for a in answers)


@pytest.mark.parametrize(
    "file, source",
    [
        ("esm.mjs", "export const handler = async (event) => ({ module: 'esm', event });"),
        ("typed/esm.js", "const ready = await Promise.resolve('esm');\nexport async function handler(event) { return { module: ready, event }; }"),
        ("common.cjs", "module.exports.handler = async (event) => ({ module: 'esm', event });"),
    ],
)
async def test_es_modules_and_commonjs_load(runtime, tmp_path, file, source):
    (tmp_path / "typed").mkdir()
    (tmp_path / "typed" / "package.json").write_text('{"type": "module"}')
    rt = await runtime(source=source, file=file)
    assert (await rt.invoke({"n": 2}, hook="viewer-request")).result == {"module": "esm", "event": {"n": 2}}


def write_config(tmp_path, source: str, handler: str = "h.js:handler"):
    (tmp_path / handler.partition(":")[0]).write_text(source)
    path = tmp_path / "edgehooks.toml"
    path.write_text(f'[origins.site]\nurl = "http://127.0.0.1:9"\n[functions.f]\nhandler = "{handler}"\n[[behaviors]]\npath = "*"\norigin = "site"\n')
    return path


@pytest.mark.parametrize(
    "source, handler, reason",
    [
        ("exports.handler = async () => 1;", "h.js:handler", None),
        ("exports.handler = (;", "h.js:handler", "Runtime.UserCodeSyntaxError: SyntaxError: Unexpected token ';'"),
        ("require('no-such-package-anywhere');", "h.js:handler", "Runtime.ImportModuleError: Error: Cannot find module 'no-such-package-anywhere'"),
        ("exports.other = async () => 1;", "h.js:handler", "Runtime.HandlerNotFound: h.handler is undefined or not exported"),
        ("export const handler = 3;", "h.mjs:handler", "Runtime.HandlerNotFound: h.handler is not a function"),
        ("throw new RangeError('at load');", "h.js:handler", "RangeError: at load"),
        ("setInterval(() => {}, 1000); exports.handler = async () => 1;", "h.js:handler", None),  # a busy module does not hang the check
    ],
)
def test_the_config_check_loads_the_module(tmp_path, source, handler, reason):
    path = write_config(tmp_path, source, handler)
    if reason is None:
        assert config.load(path).functions["f"].handler == handler
        return
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert str(err.value) == f"{path}:4: functions.f.handler: cannot load {handler}: {reason}"


def test_missing_or_old_node_is_a_config_error_naming_the_function(tmp_path, monkeypatch):
    path = write_config(tmp_path, "exports.handler = async () => 1;")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert str(err.value) == f'{path}:4: functions.f.handler: cannot load h.js:handler: no "node" on PATH: JavaScript handlers need Node.js 18 or newer'
    old = bin_dir / "node"
    old.write_text("#!/bin/sh\necho v16.20.2\n")
    old.chmod(0o755)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert str(err.value) == f"{path}:4: functions.f.handler: cannot load h.js:handler: {old} is Node.js v16.20.2: JavaScript handlers need Node.js 18 or newer"
