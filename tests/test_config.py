"""The config loader: TOML files to the distribution model, and one exact message per mistake."""

from __future__ import annotations

import importlib.util
import logging
import textwrap
import tomllib
from pathlib import Path

import pytest

from edgehooks import config, runtimes
from edgehooks.config import _key_lines, load
from edgehooks.distribution import CachePolicy, ConfigError, Where

needs_python_runtime = pytest.mark.skipif(
    importlib.util.find_spec("edgehooks.runtimes.python") is None, reason="edgehooks.runtimes.python has not landed yet"
)


@pytest.fixture
def no_import_check(monkeypatch):
    """Model-shape tests stop short of importing handlers in a subprocess (tested on its own below)."""
    monkeypatch.setattr(runtimes, "check", lambda spec: None)


def write(tmp_path: Path, toml: str) -> Path:
    """The config file (line 1 = first line of `toml`) next to a handler h.py and a folder site/."""
    (tmp_path / "h.py").write_text("def handler(event, context):\n    return event['Records'][0]['cf']['request']\n")
    (tmp_path / "site").mkdir(exist_ok=True)
    path = tmp_path / "edgehooks.toml"
    path.write_text(textwrap.dedent(toml).lstrip("\n"))
    return path


FULL = """
[server]
listen = "[::1]:8081"
domain_name = "d2.cloudfront.net"
distribution_id = "E2"
server_timing = true

[cache]
max_size = "64MB"
max_object_size = "512KiB"

[origins.site]
url = "http://127.0.0.1:9000/prefix"
connect_timeout = "2s"
read_timeout = 45
keepalive_timeout = "1m"
[origins.assets]
path = "site"

[functions.redirects]
handler = "h.py:handler"
timeout = "2s"
concurrency = 4
idle_timeout = "10m"
provisioned = 2
[functions.rewrite]
handler = "h.py:handler"
memory_mb = 1024
timeout = 20

[[behaviors]]
path = "/static/*"
origin = "assets"
viewer-request = "redirects"
origin-request = { function = "rewrite", include_body = true }
cache = { min_ttl = 0, default_ttl = "1d", max_ttl = "1y", query_strings = ["a", "b"], headers = ["Accept-Language"], cookies = "all" }
[[behaviors]]
path = "/live/*"
origin = "site"
cache = false
[[behaviors]]
path = "*"
origin = "site"
"""


def test_full_file(tmp_path, no_import_check):
    path = write(tmp_path, FULL)
    dist = load(path)
    assert dist.source == path.resolve()
    assert (dist.server.listen, dist.server.domain_name, dist.server.distribution_id, dist.server.server_timing) == ("[::1]:8081", "d2.cloudfront.net", "E2", True)
    assert (dist.cache.max_size, dist.cache.max_object_size) == (64 * 1024**2, 512 * 1024)

    site, assets = dist.origins["site"], dist.origins["assets"]
    assert (site.url, site.connect_timeout, site.read_timeout, site.keepalive_timeout, site.is_s3) == ("http://127.0.0.1:9000/prefix", 2, 45, 60, False)
    assert site.where == Where(path, 11, "origins.site")
    assert assets.path == tmp_path.resolve() / "site" and assets.is_s3

    redirects, rewrite = dist.functions["redirects"], dist.functions["rewrite"]
    assert (redirects.handler, redirects.handler_file, redirects.handler_function) == ("h.py:handler", tmp_path.resolve() / "h.py", "handler")
    assert (redirects.memory_mb, redirects.timeout, redirects.concurrency, redirects.idle_timeout, redirects.provisioned) == (128, 2, 4, 600, 2)
    assert (rewrite.memory_mb, rewrite.timeout) == (1024, 20)
    assert redirects.where == Where(path, 19, "functions.redirects")

    static, live, default = dist.behaviors
    assert [(b.path, b.origin, b.index) for b in dist.behaviors] == [("/static/*", "assets", 0), ("/live/*", "site", 1), ("*", "site", 2)]
    assert static.where == Where(path, 30, "behaviors[0]")
    assert static.hooks["viewer-request"].function == "redirects" and not static.hooks["viewer-request"].include_body
    assert static.hooks["origin-request"].function == "rewrite" and static.hooks["origin-request"].include_body
    assert static.hooks["origin-request"].where == Where(path, 34, "behaviors[0].origin-request.function")
    assert static.cache == CachePolicy(True, 0, 86400, 31536000, ("a", "b"), ("Accept-Language",), "all")
    assert not live.cache.enabled and live.hooks == {}
    assert default.cache == CachePolicy()


def test_minimal_file_takes_the_model_defaults(tmp_path):
    dist = load(write(tmp_path, '[origins.o]\nurl = "https://example.com"\n[[behaviors]]\npath = "*"\norigin = "o"\n'))
    assert dist.server.listen == "127.0.0.1:8080" and dist.cache.max_size == 256 * 1024**2
    assert dist.functions == {} and dist.origins["o"].read_timeout == 30


def test_shared_cache_tier_settings(tmp_path):
    site = '[origins.o]\nurl = "https://example.com"\n[[behaviors]]\npath = "*"\norigin = "o"\n'
    dist = load(write(tmp_path, '[cache]\nredis = "redis://127.0.0.1:6379/2"\nredis_prefix = "site"\nredis_timeout = "100ms"\n' + site))
    assert (dist.cache.redis, dist.cache.redis_prefix, dist.cache.redis_timeout) == ("redis://127.0.0.1:6379/2", "site", 0.1)
    for url in ("rediss://cache.internal", "redis://:secret@h:6380/", "unix:///run/redis.sock"):
        assert load(write(tmp_path, f'[cache]\nredis = "{url}"\n' + site)).cache.redis == url
    assert load(write(tmp_path, site)).cache.redis is None


def test_function_defaults_and_absolute_paths(tmp_path, no_import_check):
    handler = tmp_path / "abs" / "x.py"
    handler.parent.mkdir()
    handler.write_text("def handler(e, c): pass\n")
    dist = load(write(tmp_path, f'[origins.o]\npath = "{tmp_path / "site"}"\n[functions.f]\nhandler = "{handler}:handler"\n[[behaviors]]\npath = "*"\norigin = "o"\n'))
    f = dist.functions["f"]  # defined, never used: allowed, the CLI may invoke it
    assert (f.handler_file, f.memory_mb, f.timeout, f.concurrency, f.idle_timeout, f.provisioned) == (handler, 128, 3, 16, 300, 0)
    assert dist.origins["o"].path == tmp_path / "site"


@pytest.mark.parametrize(
    "timeout, hook, effective, warning",
    [
        ("10s", "viewer-request", 5, "functions.f.timeout: timeout 10s is over the 5s limit for viewer hooks (used on viewer-request of behaviors[0]); using 5s"),
        ("1m", "origin-response", 30, "functions.f.timeout: timeout 60s is over the 30s limit for origin hooks; using 30s"),
        ("30s", "origin-request", 30, None),
        ("500ms", "viewer-response", 0.5, None),
    ],
)
def test_timeout_is_capped_per_hook_point_with_a_warning(tmp_path, no_import_check, caplog, timeout, hook, effective, warning):
    path = write(tmp_path, f'[origins.o]\nurl = "http://h"\n[functions.f]\nhandler = "h.py:handler"\ntimeout = "{timeout}"\n[[behaviors]]\npath = "*"\norigin = "o"\n{hook} = "f"\n')
    with caplog.at_level(logging.WARNING, logger="edgehooks.config"):
        assert load(path).functions["f"].timeout == effective
    assert [r.getMessage() for r in caplog.records] == ([f"{path}:5: {warning}"] if warning else [])


HEAD = """
[origins.site]
url = "http://127.0.0.1:9000"
[functions.f]
handler = "h.py:handler"
"""  # lines 1-4; rows below that start with it continue at line 5

DEFAULT = '[[behaviors]]\npath = "*"\norigin = "site"\n'

ERRORS = [
    # TOML syntax: tomllib's line and column
    ("[server]\nlisten = \n", ':2: syntax: invalid TOML: Invalid value (column 10)'),
    ('a = "open\n', ":1: syntax: invalid TOML: Illegal character '\\n' (column 10)"),
    # unknown keys, with the closest known one
    ("orgins = {}\n" + DEFAULT, ':1: orgins: unknown key; did you mean "origins"?'),
    ("[server]\ntiming = true\n" + DEFAULT, ':2: server.timing: unknown key; did you mean "server_timing"?'),
    ("[cache]\nmax_sise = 1\n" + DEFAULT, ':2: cache.max_sise: unknown key; did you mean "max_size"?'),
    ("[origins.site]\nurll = 'http://h'\n" + DEFAULT, ':2: origins.site.urll: unknown key; did you mean "url"?'),
    (HEAD + "memroy_mb = 128\n" + DEFAULT, ':5: functions.f.memroy_mb: unknown key; did you mean "memory_mb"?'),
    (HEAD + DEFAULT + "viewer_request = 'f'\n", ':8: behaviors[0].viewer_request: unknown key; did you mean "viewer-request"?'),
    (HEAD + DEFAULT + "cache = { max_tll = 1 }\n", ':8: behaviors[0].cache.max_tll: unknown key; did you mean "max_ttl"?'),
    (HEAD + DEFAULT + "origin-request = { function = 'f', include_bdy = true }\n", ':8: behaviors[0].origin-request.include_bdy: unknown key; did you mean "include_body"?'),
    (HEAD + DEFAULT + "zzz = 1\n", ":8: behaviors[0].zzz: unknown key; known keys: path, origin, cache, viewer-request, origin-request, origin-response, viewer-response"),
    # missing required keys: reported at their table's line
    (HEAD + '[[behaviors]]\npath = "*"\n', ":5: behaviors[0].origin: missing required key"),
    ('[origins.site]\nurl = "http://h"\n[functions.f]\nmemory_mb = 128\n' + DEFAULT, ":3: functions.f.handler: missing required key"),
    (HEAD + DEFAULT + "origin-request = { include_body = true }\n", ":8: behaviors[0].origin-request.function: missing required key"),
    # wrong types: expected vs got
    (HEAD + "memory_mb = '256'\n" + DEFAULT, ':5: functions.f.memory_mb: expected an integer, got string "256"'),
    (HEAD + "concurrency = true\n" + DEFAULT, ":5: functions.f.concurrency: expected an integer, got boolean true"),
    ("[server]\nserver_timing = 'yes'\n" + DEFAULT, ':2: server.server_timing: expected true or false, got string "yes"'),
    ("[server]\nlisten = 8080\n" + DEFAULT, ':2: server.listen: expected a string "HOST:PORT", got integer 8080'),
    ("server = 1\n" + DEFAULT, ":1: server: expected a table, got integer 1"),
    ("[origins]\nsite = 'http://h'\n" + DEFAULT, ':2: origins.site: expected a table, got string "http://h"'),
    ("origins = 'x'\n" + DEFAULT, ':1: origins: expected tables [origins.NAME], got string "x"'),
    (HEAD + "timeout = true\n" + DEFAULT, ':5: functions.f.timeout: expected a duration such as "5s" or a number of seconds, got boolean true'),
    (HEAD + DEFAULT + "viewer-request = 3\n", ':8: behaviors[0].viewer-request: expected a function name or { function = "name", include_body = true }, got integer 3'),
    (HEAD + DEFAULT + "cache = 'yes'\n", ':8: behaviors[0].cache: expected a table { default_ttl = ... } or false, got string "yes"'),
    (HEAD + DEFAULT + "cache = { query_strings = 'some' }\n", ':8: behaviors[0].cache.query_strings: expected "none", "all" or an array of names, got string "some"'),
    (HEAD + DEFAULT + "cache = { headers = [\n  'Accept',\n  3,\n] }\n", ":10: behaviors[0].cache.headers[1]: expected a string, got integer 3"),
    (HEAD + "[[behaviors]]\npath = ''\norigin = 'site'\n", ":6: behaviors[0].path: must not be empty"),
    ("behaviors = 'x'\n", ':1: behaviors: expected [[behaviors]] tables, got string "x"'),
    # out of range
    (HEAD + "memory_mb = 64\n" + DEFAULT, ":5: functions.f.memory_mb: 64 is out of range: must be between 128 and 10240"),
    (HEAD + "memory_mb = 20000\n" + DEFAULT, ":5: functions.f.memory_mb: 20000 is out of range: must be between 128 and 10240"),
    (HEAD + "timeout = 0\n" + DEFAULT, ":5: functions.f.timeout: 0 is out of range: must be more than 0s"),
    (HEAD + "concurrency = 0\n" + DEFAULT, ":5: functions.f.concurrency: 0 is out of range: must be between 1 and 1000"),
    (HEAD + "provisioned = -1\n" + DEFAULT, ":5: functions.f.provisioned: -1 is out of range: must be at least 0"),
    (HEAD + "concurrency = 2\nprovisioned = 3\n" + DEFAULT, ":6: functions.f.provisioned: 3 is more than concurrency (2)"),
    (HEAD + "idle_timeout = '0s'\n" + DEFAULT, ':5: functions.f.idle_timeout: "0s" is out of range: must be more than 0s'),
    ("[origins.site]\nurl = 'http://h'\nconnect_timeout = '11s'\n" + DEFAULT, ':3: origins.site.connect_timeout: "11s" is out of range: must be between 1s and 10s'),
    ("[origins.site]\nurl = 'http://h'\nread_timeout = 61\n" + DEFAULT, ":3: origins.site.read_timeout: 61 is out of range: must be between 1s and 60s"),
    ("[origins.site]\nurl = 'http://h'\nkeepalive_timeout = '500ms'\n" + DEFAULT, ':3: origins.site.keepalive_timeout: "500ms" is out of range: must be between 1s and 60s'),
    (HEAD + DEFAULT + "cache = { min_ttl = '1h', default_ttl = '1m' }\n", ":8: behaviors[0].cache.min_ttl: must keep min_ttl <= default_ttl <= max_ttl: min_ttl is 3600s, default_ttl is 60s"),
    (HEAD + DEFAULT + "cache = { max_ttl = '1h' }\n", ":8: behaviors[0].cache.max_ttl: must keep min_ttl <= default_ttl <= max_ttl: max_ttl is 3600s, default_ttl is 86400s by default"),
    ("[server]\nlisten = 'localhost'\n" + DEFAULT, ':2: server.listen: "localhost" is not "HOST:PORT" (IPv6 as "[::1]:8080"), port 0-65535'),
    ("[server]\nlisten = '::1:8080'\n" + DEFAULT, ':2: server.listen: "::1:8080" is not "HOST:PORT" (IPv6 as "[::1]:8080"), port 0-65535'),
    ("[server]\nlisten = '127.0.0.1:70000'\n" + DEFAULT, ':2: server.listen: "127.0.0.1:70000" is not "HOST:PORT" (IPv6 as "[::1]:8080"), port 0-65535'),
    # unparseable durations and sizes
    (HEAD + "timeout = '5 parsecs'\n" + DEFAULT, ":5: functions.f.timeout: unknown unit 'parsecs' in '5 parsecs'; use one of ms, s, m, h, d, w, y"),
    (HEAD + DEFAULT + "cache = { default_ttl = 'soon' }\n", ":8: behaviors[0].cache.default_ttl: expected a duration such as \"5s\", \"10m\" or \"1d\", or a number of seconds, got 'soon'"),
    ("[cache]\nmax_size = 'lots'\n" + DEFAULT, ":2: cache.max_size: expected a size such as \"512KiB\", \"20MB\" or \"1GB\", or a number of bytes, got 'lots'"),
    # references
    (HEAD + '[[behaviors]]\npath = "*"\norigin = "sight"\n', ':7: behaviors[0].origin: unknown origin "sight"; did you mean "site"?'),
    (HEAD + '[[behaviors]]\npath = "*"\norigin = "zzz"\n', ':7: behaviors[0].origin: unknown origin "zzz"; defined [origins.NAME]: site'),
    (HEAD + DEFAULT + "viewer-request = 'g'\n", ':8: behaviors[0].viewer-request: unknown function "g"; defined [functions.NAME]: f'),
    ('[origins.site]\nurl = "http://h"\n' + DEFAULT + "origin-request = { function = 'f' }\n", ':6: behaviors[0].origin-request.function: unknown function "f"; no [functions.NAME] is defined'),
    # handlers
    (HEAD.replace("h.py:handler", "h.py") + DEFAULT, ':4: functions.f.handler: "h.py" is not "file.py:function" or "file.js:function" (also .mjs, .cjs)'),
    (HEAD.replace("h.py:handler", "h.py:not-a-name") + DEFAULT, ':4: functions.f.handler: "h.py:not-a-name" is not "file.py:function" or "file.js:function" (also .mjs, .cjs)'),
    (HEAD.replace("h.py:handler", "missing.py:handler") + DEFAULT, ':4: functions.f.handler: handler file "missing.py" does not exist ({dir}/missing.py)'),
    (HEAD.replace("h.py:handler", "h.ts:handler") + DEFAULT, ':4: functions.f.handler: "h.ts:handler" is not "file.py:function" or "file.js:function" (also .mjs, .cjs)'),
    (HEAD.replace("h.py:handler", "missing.mjs:handler") + DEFAULT, ':4: functions.f.handler: handler file "missing.mjs" does not exist ({dir}/missing.mjs)'),
    ('[origins.site]\nurl = "http://h"\n[functions.f]\nwasm = "f.wasm"\n' + DEFAULT, ':4: functions.f.wasm: wasm file "f.wasm" does not exist ({dir}/f.wasm)'),
    (HEAD + "wasm = 'f.wasm'\n" + DEFAULT, ":5: functions.f.wasm: has both handler and wasm: give exactly one"),
    # origins
    ("[origins.site]\nurl = 'ftp://h'\n" + DEFAULT, ':2: origins.site.url: "ftp://h" is not an origin URL: expected "http(s)://host[:port][/path]"'),
    ("[origins.site]\nurl = 'http:///x'\n" + DEFAULT, ':2: origins.site.url: "http:///x" is not an origin URL: expected "http(s)://host[:port][/path]"'),
    ("[origins.site]\nurl = 'http://h:99999'\n" + DEFAULT, ':2: origins.site.url: "http://h:99999" has an invalid port'),
    ("[origins.site]\nurl = 'http://h/p?q=1'\n" + DEFAULT, ':2: origins.site.url: "http://h/p?q=1" has a query or fragment; an origin URL may only have a path prefix'),
    ("[origins.site]\nurl = 'http://h/#top'\n" + DEFAULT, ':2: origins.site.url: "http://h/#top" has a query or fragment; an origin URL may only have a path prefix'),
    ("[origins.site]\npath = 'nowhere'\n" + DEFAULT, ':2: origins.site.path: "nowhere" is not a folder ({dir}/nowhere does not exist)'),
    ("[origins.site]\npath = 'h.py'\n" + DEFAULT, ':2: origins.site.path: "h.py" is not a folder ({dir}/h.py is a file)'),
    ("[origins.site]\nurl = 'http://h'\npath = 'site'\n" + DEFAULT, ":3: origins.site.path: has both url and path: give exactly one"),
    ("[origins.site]\nread_timeout = 5\n" + DEFAULT, ":1: origins.site: needs url (an HTTP origin) or path (a local folder): give exactly one"),
    # behaviors
    (HEAD, ': behaviors: no behaviors: add at least the default one, [[behaviors]] with path = "*"'),
    ("behaviors = []\n" + HEAD, ':1: behaviors: no behaviors: add at least the default one, [[behaviors]] with path = "*"'),
    (HEAD + '[[behaviors]]\npath = "/a/*"\norigin = "site"\n', ':5: behaviors[0]: the last behavior must be the default one, with path = "*"'),
    (HEAD + DEFAULT + '[[behaviors]]\npath = "/a/*"\norigin = "site"\n', ':6: behaviors[0].path: the default behavior "*" must be the last one; behaviors after it would never match'),
    (HEAD + '[[behaviors]]\npath = "/a"\norigin = "site"\n[[behaviors]]\npath = "/a"\norigin = "site"\n' + DEFAULT, ":9: behaviors[1].path: duplicate path pattern: behaviors[0] already matches it"),
    # versions and traffic splits (the live h.py is version 1; nothing is published)
    (HEAD + DEFAULT + "viewer-request = 'f:3'\n", ':8: behaviors[0].viewer-request: unknown version 3 of function "f"; published: none, live code: 1 (`edgehooks publish f` publishes it)'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = { '1' = 50, '9' = 50 } }\n", ':8: behaviors[0].viewer-request.versions.9: unknown version 9 of function "f"; published: none, live code: 1 (`edgehooks publish f` publishes it)'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = { '1' = 50, latest = 40 } }\n", ":8: behaviors[0].viewer-request.versions: the weights add up to 90; they must add up to 100"),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = { '1' = 101 } }\n", ":8: behaviors[0].viewer-request.versions.1: 101 is out of range: must be between 0 and 100"),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = { '1' = '100' } }\n", ':8: behaviors[0].viewer-request.versions.1: expected an integer, got string "100"'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = { beta = 100 } }\n", ':8: behaviors[0].viewer-request.versions.beta: a version is a published number such as "3", or "latest"'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', versions = 'latest' }\n", ':8: behaviors[0].viewer-request.versions: expected a table of version = weight, such as { "3" = 90, "4" = 10 }, got string "latest"'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f:1', versions = { latest = 100 } }\n", ':8: behaviors[0].viewer-request.versions: the function is already pinned to version 1: give "name:N" or versions, not both'),
    (HEAD + DEFAULT + "viewer-request = { function = 'f', sticky_cookie = 'id' }\n", ":8: behaviors[0].viewer-request.sticky_cookie: only a split between versions (versions = { ... }) uses a sticky cookie"),
    # the admin listener
    ("[admin]\nlisten = '127.0.0.1:9901'\n" + DEFAULT, ":1: admin.token: give exactly one of token (the token itself) or token_env (the environment variable that holds it)"),
    ("[admin]\ntoken = 'x' \ntoken_env = 'T'\n" + DEFAULT, ":3: admin.token_env: give exactly one of token (the token itself) or token_env (the environment variable that holds it)"),
    ("[admin]\ntoken = 'short'\n" + DEFAULT, ":2: admin.token: too short to guard the admin listener: use at least 16 characters"),
    ("[admin]\ntoken_env = 'EDGEHOOKS_TEST_UNSET_TOKEN'\n" + DEFAULT, ":2: admin.token_env: environment variable EDGEHOOKS_TEST_UNSET_TOKEN is not set or empty"),
    ("[admin]\ntokn = 'x'\n" + DEFAULT, ':2: admin.tokn: unknown key; did you mean "token"?'),
    # the shared cache tier
    ("[cache]\nredis = 'http://127.0.0.1:6379'\n" + DEFAULT, ':2: cache.redis: "http://127.0.0.1:6379" is not a Redis URL: expected "redis://host[:port][/db]", "rediss://..." or "unix:///path"'),
    ("[cache]\nredis = 'redis://:6379'\n" + DEFAULT, ':2: cache.redis: "redis://:6379" is not a Redis URL: expected "redis://host[:port][/db]", "rediss://..." or "unix:///path"'),
    ("[cache]\nredis = 'redis://h:637900'\n" + DEFAULT, ':2: cache.redis: "redis://h:637900" has an invalid port'),
    ("[cache]\nredis = 'redis://h/cache'\n" + DEFAULT, ':2: cache.redis: "redis://h/cache" has database "cache"; a database is a number, as in /0'),
    ("[cache]\nredis = 'unix://'\n" + DEFAULT, ':2: cache.redis: "unix://" names no socket: expected "unix:///path/to/redis.sock"'),
    ("[cache]\nredis = 6379\n" + DEFAULT, ':2: cache.redis: expected a Redis URL such as "redis://127.0.0.1:6379/0", got integer 6379'),
    ("[cache]\nredis_prefix = ''\n" + DEFAULT, ":2: cache.redis_prefix: must not be empty"),
    ("[cache]\nredis_timeout = '0s'\n" + DEFAULT, ':2: cache.redis_timeout: "0s" is out of range: must be more than 0s and at most 10s'),
    ("[cache]\nredis_timeout = 11\n" + DEFAULT, ':2: cache.redis_timeout: 11 is out of range: must be more than 0s and at most 10s'),
    ("[cache]\nredis_host = 'h'\n" + DEFAULT, ':2: cache.redis_host: unknown key; did you mean "redis"?'),
    # hook-point rules
    (HEAD + DEFAULT + "origin-response = { function = 'f', include_body = true }\n", ":8: behaviors[0].origin-response.include_body: include_body is only allowed on viewer-request and origin-request (CloudFront refuses it on origin-response)"),
    (HEAD + DEFAULT + "viewer-response = { function = 'f', include_body = true }\n", ":8: behaviors[0].viewer-response.include_body: include_body is only allowed on viewer-request and origin-request (CloudFront refuses it on viewer-response)"),
    (HEAD + "memory_mb = 256\n" + '[[behaviors]]\npath = "/a"\norigin = "site"\norigin-request = "f"\n' + DEFAULT + "viewer-response = 'f'\n",
     ":5: functions.f.memory_mb: 256 MB is over the 128 MB Lambda@Edge allows on viewer hooks (used on viewer-response of behaviors[1])"),
]


@pytest.mark.parametrize("toml, expected", ERRORS, ids=[e.split(": ", 2)[1] if ": " in e else e for _, e in ERRORS])
def test_each_mistake_is_one_message_naming_file_line_and_key(tmp_path, no_import_check, toml, expected):
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert str(err.value) == f"{path}{expected}".replace("{dir}", str(tmp_path.resolve()))


def test_fine_in_combination(tmp_path, no_import_check):
    # include_body = false on a response hook is CloudFront's default and harmless; 256 MB on origin hooks only is fine.
    toml = HEAD + "memory_mb = 256\n" + DEFAULT + "origin-response = { function = 'f', include_body = false }\n"
    assert load(write(tmp_path, toml)).functions["f"].memory_mb == 256


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read the configuration: No such file or directory$"):
        load(tmp_path / "missing.toml")


def test_default_config_path_is_the_repositorys():
    assert config.default_config_path() == Path(__file__).resolve().parent.parent / "config" / "edgehooks.toml"


@needs_python_runtime
@pytest.mark.parametrize("name", ["edgehooks.toml", "experiments.toml", "edgehooks-js.toml", "experiments-js.toml"])
def test_shipped_configs_load(name):
    dist = load(config.default_config_path().parent / name)
    assert dist.behaviors[-1].path == "*"


@needs_python_runtime
@pytest.mark.parametrize(
    "source, reason",
    [
        ("1 / 0\n", "ZeroDivision"),
        ("import no_such_module_anywhere\n", "no_such_module_anywhere"),
        ("def other(e, c): pass\n", "handler"),
    ],
)
def test_handler_that_cannot_load_is_reported_at_its_key(tmp_path, source, reason):
    path = write(tmp_path, HEAD.replace("h.py", "bad.py") + DEFAULT)
    (tmp_path / "bad.py").write_text(source)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:4: functions.f.handler: cannot load bad.py:handler: ")
    assert reason in err.value.message


@needs_python_runtime
def test_handler_that_loads_passes_the_check(tmp_path):
    assert load(write(tmp_path, HEAD + DEFAULT)).functions["f"].handler_function == "handler"


KEYS = "\n".join(
    [
        '# a comment with key = "value" and [table]',
        'title = "x"  # line 2',
        '"quoted key" = 1',
        "a.b . c = 2",
        "lines = [  # a multi-line array",
        '  "[not.a.table]",',
        "  'x = 1',",
        "  { k = 1 },",
        "]",
        'text = """',  # line 10
        "[fake]",
        'fake = 1 \\"""',
        '"""',
        "[t]",
        "'lit' = \'\'\'",  # line 15
        "y = 2",
        "\'\'\'",
        "after = { p = 1, q = { r = 2 } }  # line 18",
        "[[arr]]",
        "v = 1",
        "[[arr]]",
        "v = 2",
        "[arr.sub]",
        "w = 3",
        "[[arr.items]]",
        "z = 4",
        "[[arr.items]]",
        "z = 5",
    ]
)


def test_key_lines():
    tomllib.loads(KEYS)  # the locator only ever sees valid TOML
    lines = _key_lines(KEYS)
    assert lines == {
        "title": 2,
        "quoted key": 3,
        "a": 4, "a.b": 4, "a.b.c": 4,
        "lines": 5, "lines[0]": 6, "lines[1]": 7, "lines[2]": 8, "lines[2].k": 8,
        "text": 10,
        "t": 14, "t.lit": 15,
        "t.after": 18, "t.after.p": 18, "t.after.q": 18, "t.after.q.r": 18,
        "arr": 19, "arr[0]": 19, "arr[0].v": 20,
        "arr[1]": 21, "arr[1].v": 22,
        "arr[1].sub": 23, "arr[1].sub.w": 24,
        "arr[1].items": 25, "arr[1].items[0]": 25, "arr[1].items[0].z": 26,
        "arr[1].items[1]": 27, "arr[1].items[1].z": 28,
    }


def test_origin_may_come_from_the_request(tmp_path):
    """`edgehooks intercept` sends each request to the site it was addressed to: behaviors need no origin."""
    path = write(tmp_path, '[[behaviors]]\npath = "/a/*"\n[[behaviors]]\npath = "*"\n')
    assert [b.origin for b in load(path, origin_from_request=True).behaviors] == [None, None]
    with pytest.raises(ConfigError, match=r":1: behaviors\[0\].origin: missing required key"):
        load(path)
    typo = write(tmp_path, '[origins.site]\nurl = "http://h"\n[[behaviors]]\npath = "*"\norigin = "sight"\n')
    with pytest.raises(ConfigError, match=r':5: behaviors\[0\].origin: unknown origin "sight"'):
        load(typo, origin_from_request=True)
