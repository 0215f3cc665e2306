"""Load a distribution from its TOML file into the typed model of `distribution.py`.

Everything is checked at load time, not at the first request: each mistake stops start-up with
one `ConfigError` whose text is "<file>:<line>: <dotted.key>: <message>". tomllib gives no
line numbers, so `_key_lines` walks the (already valid) text once and records the line of every
key. Each section is described by a schema table (key -> parser); a parser takes the TOML value
and an `_At` (where it is) and returns the typed value or raises ValueError, which becomes an
error at that key. Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from . import runtimes, versions
from .distribution import (
    HOOK_POINTS,
    AdminSettings,
    VIEWER_HOOKS,
    Behavior,
    CachePolicy,
    CacheSettings,
    ConfigError,
    Distribution,
    FunctionSpec,
    HookBinding,
    OriginSpec,
    ServerSettings,
    Where,
)
from .durations import parse_duration, parse_size

log = logging.getLogger("edgehooks.config")

# Lambda@Edge's classic per-event limits (reference §4.1): what existing handlers were written for.
VIEWER_MAX_TIMEOUT, ORIGIN_MAX_TIMEOUT = 5.0, 30.0
VIEWER_MAX_MEMORY_MB = 128
REQUEST_HOOKS = ("viewer-request", "origin-request")  # the only ones CloudFront lets see the body


def default_config_path() -> Path:
    return Path(__file__).parent.parent / "config" / "edgehooks.toml"


def load(path: str | Path, numbering: versions.Numbering | None = None, *, origin_from_request: bool = False) -> Distribution:
    """`numbering`: a reloading process passes the same one each time, so new code gets a new number.
    With `origin_from_request` (`edgehooks intercept`) each request goes to the site it was
    addressed to, so behaviors may leave out `origin`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, f"cannot read the configuration: {getattr(e, 'strerror', None) or e}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _syntax_error(path, e) from None
    at = _At(_Doc(path, path.resolve().parent, _key_lines(text)), "")
    dist = _distribution(doc, at, path.resolve())
    _check_references(dist, at, origin_from_request)
    _apply_hook_limits(dist, at)
    _check_handlers(dist, at)  # before numbering: code that does not load gets no version number
    _resolve_versions(dist, at, numbering or versions.Numbering())
    return dist


# --- where things are -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    file: Path  # as the user named it, so messages show the path they typed
    base: Path  # the file's folder: relative paths inside the file start here
    lines: dict[str, int]


@dataclass(frozen=True)
class _At:
    """A dotted key path in one document: names the line and builds errors for that key."""

    doc: _Doc
    key: str

    def __truediv__(self, name: str) -> _At:
        return _At(self.doc, f"{self.key}.{name}" if self.key else name)

    def __getitem__(self, index: int) -> _At:
        return _At(self.doc, f"{self.key}[{index}]")

    @property
    def where(self) -> Where:
        # A key that is not in the text (a missing one, say) is reported at its table's line.
        key = self.key
        while key and key not in self.doc.lines:
            key = key[: max(key.rfind("."), key.rfind("["), 0)]
        return Where(self.doc.file, self.doc.lines.get(key), self.key)

    def error(self, message: str) -> ConfigError:
        return ConfigError(self.where, message)


def _syntax_error(path: Path, e: tomllib.TOMLDecodeError) -> ConfigError:
    # Python 3.11's TOMLDecodeError only has the position in its text: "... (at line 3, column 5)".
    m = re.fullmatch(r"(.*) \(at (?:line (\d+), column (\d+)|end of document)\)", str(e))
    message, line, column = (m[1], m[2], m[3]) if m else (str(e), None, None)
    detail = f"{message} (column {column})" if column else message
    return ConfigError(Where(path, int(line) if line else None, "syntax"), f"invalid TOML: {detail}")


def _key_lines(text: str) -> dict[str, int]:
    """The line of each dotted key path in `text` (valid TOML), e.g. "behaviors[1].cache.max_ttl"."""
    return _KeyScanner(text).lines


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\n#]*")  # a number, boolean or date runs to the next delimiter
_BLANKS = re.compile(r"(?:[ \t]|#[^\n]*)*")
_BLANK_LINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")


class _KeyScanner:
    """A TOML skeleton reader: headers, keys and the extent of values, nothing else.

    tomllib has already accepted the text, so this only needs to tell keys from what is inside
    strings and arrays; values are skipped, except inline tables and arrays, whose inner keys
    and items get their own paths.
    """

    def __init__(self, text: str):
        self.text, self.pos = text, 0
        self.lines: dict[str, int] = {}
        self.arrays: dict[str, int] = {}  # array-of-tables path -> entries seen so far
        table = ""
        while self._skip(newlines=True) < len(text):
            if text.startswith("[[", self.pos):
                table = self._header(2)
            elif text[self.pos] == "[":
                table = self._header(1)
            else:
                self._keyval(table)

    def _record(self, path: str) -> None:
        self.lines.setdefault(path, self.text.count("\n", 0, self.pos) + 1)

    def _header(self, brackets: int) -> str:
        self.pos += brackets
        parts = self._key()
        path = ""
        for i, part in enumerate(parts):
            path = f"{path}.{part}" if path else part
            self._record(path)
            if i == len(parts) - 1 and brackets == 2:
                self.arrays[path] = self.arrays.get(path, 0) + 1
            if path in self.arrays:  # inside an array of tables a header names its last entry
                path = f"{path}[{self.arrays[path] - 1}]"
                self._record(path)
        self.pos += brackets
        return path

    def _keyval(self, table: str) -> None:
        path = table
        for part in self._key():
            path = f"{path}.{part}" if path else part
            self._record(path)
        self._skip()
        self.pos += 1  # "="
        self._skip()
        self._value(path)

    def _key(self) -> list[str]:
        parts = []
        while True:
            self._skip()
            start = self.pos
            if self.text[start] in "\"'":
                self._skip_string()
                parts.append(self.text[start + 1 : self.pos - 1])  # escapes in keys are left as written
            else:
                self.pos = _BARE_KEY.match(self.text, start).end()
                parts.append(self.text[start : self.pos])
            self._skip()
            if self.text[self.pos] != ".":
                return parts
            self.pos += 1

    def _value(self, path: str) -> None:
        c = self.text[self.pos]
        if c == "{":
            self.pos += 1
            while self.text[self._skip(newlines=True)] != "}":
                if self.text[self.pos] == ",":
                    self.pos += 1
                else:
                    self._keyval(path)
            self.pos += 1
        elif c == "[":
            self.pos += 1
            index = 0
            while self.text[self._skip(newlines=True)] != "]":
                if self.text[self.pos] == ",":
                    self.pos += 1
                    continue
                self._record(f"{path}[{index}]")
                self._value(f"{path}[{index}]")
                index += 1
            self.pos += 1
        elif c in "\"'":
            self._skip_string()
        else:
            self.pos = _SCALAR.match(self.text, self.pos).end()

    def _skip_string(self) -> None:
        quote = self.text[self.pos]
        delim = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        self.pos += len(delim)
        while not self.text.startswith(delim, self.pos):
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        self.pos += len(delim)
        while len(delim) == 3 and self.text.startswith(quote, self.pos):  # `""""` ends in a quote
            self.pos += 1

    def _skip(self, newlines: bool = False) -> int:
        """Move past blanks and comments (and line ends if asked); return the new position."""
        self.pos = (_BLANK_LINES if newlines else _BLANKS).match(self.text, self.pos).end()
        return self.pos


# --- parsers: (value, at) -> typed value, or ValueError ---------------------------------------

Parser = Callable[[Any, _At], Any]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{'integer' if isinstance(value, int) else 'float'} {value}"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    return {list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _expect(value: Any, types: tuple[type, ...], what: str) -> None:
    # bool is an int in Python; in TOML it is not.
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise ValueError(f"expected {what}, got {_describe(value)}")


def _string(value: Any, at: _At) -> str:
    _expect(value, (str,), "a string")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _boolean(value: Any, at: _At) -> bool:
    _expect(value, (bool,), "true or false")
    return value


def _integer(lo: int, hi: int | None = None) -> Parser:
    def parse(value: Any, at: _At) -> int:
        _expect(value, (int,), "an integer")
        if value < lo or hi is not None and value > hi:
            raise ValueError(f"{value} is out of range: must be {_bounds(lo, hi, '')}")
        return value

    return parse


def _seconds(lo: float, hi: float | None = None, *, above: bool = False) -> Parser:
    """A duration in seconds within [lo, hi], or above lo (exclusive) when `above`."""

    def parse(value: Any, at: _At) -> float:
        _expect(value, (str, int, float), 'a duration such as "5s" or a number of seconds')
        seconds = parse_duration(value)
        if seconds < lo or above and seconds == lo or hi is not None and seconds > hi:
            bounds = f"more than {lo:g}s{f' and at most {hi:g}s' if hi is not None else ''}" if above else _bounds(lo, hi, "s")
            raise ValueError(f"{json.dumps(value)} is out of range: must be {bounds}")
        return seconds

    return parse


def _bounds(lo: float, hi: float | None, unit: str) -> str:
    return f"between {lo:g}{unit} and {hi:g}{unit}" if hi is not None else f"at least {lo:g}{unit}"


def _size(value: Any, at: _At) -> int:
    _expect(value, (str, int), 'a size such as "20MB" or a number of bytes')
    return parse_size(value)


def _listen(value: Any, at: _At) -> str:
    _expect(value, (str,), 'a string "HOST:PORT"')
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]*):(\d{1,5})", value)
    if not m or int(m[2]) > 65535:
        raise ValueError(f'{json.dumps(value)} is not "HOST:PORT" (IPv6 as "[::1]:8080"), port 0-65535')
    return value


def _split_url(value: str) -> SplitResult:
    url = urlsplit(value)
    try:
        url.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ValueError(f"{json.dumps(value)} has an invalid port") from None
    return url


def _url(value: Any, at: _At) -> str:
    _expect(value, (str,), 'a URL such as "http://127.0.0.1:9000"')
    url = _split_url(value)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f'{json.dumps(value)} is not an origin URL: expected "http(s)://host[:port][/path]"')
    if url.query or url.fragment or value.endswith(("?", "#")):
        raise ValueError(f"{json.dumps(value)} has a query or fragment; an origin URL may only have a path prefix")
    return value


def _redis_url(value: Any, at: _At) -> str:
    _expect(value, (str,), 'a Redis URL such as "redis://127.0.0.1:6379/0"')
    url = _split_url(value)
    if url.scheme == "unix":
        if not url.path:
            raise ValueError(f'{json.dumps(value)} names no socket: expected "unix:///path/to/redis.sock"')
        return value
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise ValueError(f'{json.dumps(value)} is not a Redis URL: expected "redis://host[:port][/db]", "rediss://..." or "unix:///path"')
    if url.path.strip("/") and not url.path.strip("/").isdigit():
        raise ValueError(f"{json.dumps(value)} has database {json.dumps(url.path.strip('/'))}; a database is a number, as in /0")
    return value


def _local_path(value: Any, at: _At) -> Path:
    _expect(value, (str,), "a path")
    return (at.doc.base / value).resolve()  # an absolute value replaces the base


def _folder(value: Any, at: _At) -> Path:
    path = _local_path(value, at)
    if not path.is_dir():
        raise ValueError(f"{json.dumps(value)} is not a folder ({path} {'is a file' if path.exists() else 'does not exist'})")
    return path


def _handler(value: Any, at: _At) -> tuple[str, Path, str]:
    _expect(value, (str,), 'a string "file.py:function" or "file.js:function"')
    file, _, function = value.rpartition(":")
    if not file.endswith((".py", *runtimes.NODE_SUFFIXES)) or not function.isidentifier():
        raise ValueError(f'{json.dumps(value)} is not "file.py:function" or "file.js:function" (also .mjs, .cjs)')
    path = _local_path(file, at)
    if not path.is_file():
        raise ValueError(f"handler file {json.dumps(file)} does not exist ({path})")
    return value, path, function


def _wasm(value: Any, at: _At) -> Path:
    _expect(value, (str,), 'a path "file.wasm" or "file.wat"')
    path = _local_path(value, at)
    if path.suffix not in (".wasm", ".wat"):
        raise ValueError(f"{json.dumps(value)} is not a .wasm or .wat file")
    if not path.is_file():
        raise ValueError(f"wasm file {json.dumps(value)} does not exist ({path})")
    return path


def _names(value: Any, at: _At) -> tuple[str, ...]:
    _expect(value, (list,), "an array of names")
    return tuple(_parse(_string, item, at[i]) for i, item in enumerate(value))


def _names_or_keyword(value: Any, at: _At) -> str | tuple[str, ...]:
    if value in ("none", "all"):
        return value
    if not isinstance(value, list):
        raise ValueError(f'expected "none", "all" or an array of names, got {_describe(value)}')
    return _names(value, at)


# --- sections ---------------------------------------------------------------------------------


def _fields(value: Any, at: _At, schema: dict[str, Parser], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parse a table by its schema: unknown keys, missing keys and bad values are errors."""
    if not isinstance(value, dict):
        raise at.error(f"expected a table, got {_describe(value)}")
    for name in value:
        if name not in schema:
            close = difflib.get_close_matches(name, schema, n=1)
            hint = f'did you mean "{close[0]}"?' if close else f"known keys: {', '.join(schema)}"
            raise (at / name).error(f"unknown key; {hint}")
    # Values before missing keys: `wasm = ...` without a handler is about wasm, not the handler.
    parsed = {name: _parse(schema[name], item, at / name) for name, item in value.items()}
    for name in required:
        if name not in value:
            raise (at / name).error("missing required key")
    return parsed


def _parse(parser: Parser, value: Any, at: _At) -> Any:
    try:
        return parser(value, at)
    except ValueError as e:
        raise at.error(str(e)) from None


def _table(cls: type, schema: dict[str, Parser]) -> Parser:
    """A parser for a table whose keys are exactly `cls`'s fields."""
    return lambda value, at: cls(**_fields(value, at, schema))


def _named(parse: Callable[[str, Any, _At], Any]) -> Parser:
    """A parser for `[section.NAME]` tables: {name: parse(name, table, at)}."""

    def parse_all(value: Any, at: _At) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise at.error(f"expected tables [{at.key}.NAME], got {_describe(value)}")
        return {name: parse(name, item, at / name) for name, item in value.items()}

    return parse_all


SERVER = {"listen": _listen, "domain_name": _string, "distribution_id": _string, "server_timing": _boolean, "default_root_object": _string}

CACHE = {"max_size": _size, "max_object_size": _size, "redis": _redis_url, "redis_prefix": _string, "redis_timeout": _seconds(0, 10, above=True)}

ADMIN = {"listen": _listen, "token": _string, "token_env": _string}

ORIGIN = {
    "url": _url,
    "path": _folder,
    "connect_timeout": _seconds(1, 10),  # CloudFront's allowed ranges
    "read_timeout": _seconds(1, 60),
    "keepalive_timeout": _seconds(1, 60),
}

FUNCTION = {
    "handler": _handler,
    "wasm": _wasm,
    "memory_mb": _integer(128, 10240),  # Lambda's range; viewer hooks narrow it to 128
    "timeout": _seconds(0, above=True),  # capped per hook point later, once usage is known
    "concurrency": _integer(1, 1000),  # Lambda's default regional concurrency quota
    "idle_timeout": _seconds(0, above=True),
    "provisioned": _integer(0),
}

def _weights(value: Any, at: _At) -> dict[str, int]:
    _expect(value, (dict,), 'a table of version = weight, such as { "3" = 90, "4" = 10 }')
    weights = {}
    for version, weight in value.items():
        if not (version.isdigit() or version == "latest"):
            raise (at / version).error('a version is a published number such as "3", or "latest"')
        weights[version] = _parse(_integer(0, 100), weight, at / version)
    if sum(weights.values()) != 100:
        raise ValueError(f"the weights add up to {sum(weights.values())}; they must add up to 100")
    return weights


HOOK = {"function": _string, "include_body": _boolean, "versions": _weights, "sticky_cookie": _string}

CACHE_POLICY = {
    "min_ttl": _seconds(0),
    "default_ttl": _seconds(0),
    "max_ttl": _seconds(0),
    "query_strings": _names_or_keyword,
    "headers": _names,
    "cookies": _names_or_keyword,
}


def _admin(value: Any, at: _At) -> AdminSettings:
    fields = _fields(value, at, ADMIN)
    if ("token" in fields) == ("token_env" in fields):
        raise (at / "token_env" if "token_env" in fields else at / "token").error(
            "give exactly one of token (the token itself) or token_env (the environment variable that holds it)"
        )
    if "token_env" in fields:
        name = fields.pop("token_env")
        token = os.environ.get(name, "")
        if not token.strip():
            raise (at / "token_env").error(f"environment variable {name} is not set or empty")
        fields["token"] = token
    if len(fields["token"]) < 16:
        raise (at / "token").error("too short to guard the admin listener: use at least 16 characters")
    return AdminSettings(**fields)


def _origin(name: str, value: Any, at: _At) -> OriginSpec:
    fields = _fields(value, at, ORIGIN)
    if ("url" in fields) == ("path" in fields):
        what = "has both url and path" if "url" in fields else "needs url (an HTTP origin) or path (a local folder)"
        raise (at / "path" if "path" in fields else at).error(f"{what}: give exactly one")
    return OriginSpec(name=name, **fields, where=at.where)


def _function(name: str, value: Any, at: _At) -> FunctionSpec:
    if isinstance(value, dict) and "handler" in value and "wasm" in value:
        raise (at / "wasm").error("has both handler and wasm: give exactly one")
    wasm = isinstance(value, dict) and "wasm" in value
    fields = _fields(value, at, FUNCTION, required=() if wasm else ("handler",))
    handler, handler_file, handler_function = fields.pop("handler", (None, None, None))
    spec = FunctionSpec(name, handler, handler_file, handler_function, **fields, where=at.where)
    if spec.provisioned > spec.concurrency:
        raise (at / "provisioned").error(f"{spec.provisioned} is more than concurrency ({spec.concurrency})")
    return spec


def _hook(hook: str) -> Parser:
    def parse(value: Any, at: _At) -> HookBinding:
        if isinstance(value, str):
            function, version = qualified(_string(value, at))
            return HookBinding(function, where=at.where, version=version)
        if not isinstance(value, dict):
            raise ValueError(f'expected a function name or {{ function = "name", include_body = true }}, got {_describe(value)}')
        fields = _fields(value, at, HOOK, required=("function",))
        if fields.get("include_body") and hook not in REQUEST_HOOKS:
            raise (at / "include_body").error(f"include_body is only allowed on {' and '.join(REQUEST_HOOKS)} (CloudFront refuses it on {hook})")
        function, version = qualified(fields.pop("function"))
        if version is not None and "versions" in fields:
            raise (at / "versions").error(f'the function is already pinned to version {version}: give "name:N" or versions, not both')
        if "sticky_cookie" in fields and "versions" not in fields:
            raise (at / "sticky_cookie").error("only a split between versions (versions = { ... }) uses a sticky cookie")
        return HookBinding(function, **fields, where=(at / "function").where, version=version)

    return parse


def qualified(name: str) -> tuple[str, str | None]:
    """"name:3" -> ("name", "3"), Lambda's qualified function name; "name" -> ("name", None)."""
    function, colon, version = name.rpartition(":")
    return (function, version) if colon and version.isdigit() else (name, None)


def _cache_policy(value: Any, at: _At) -> CachePolicy:
    if isinstance(value, bool):
        return CachePolicy(enabled=value)  # `cache = false` turns caching off for the behavior
    if not isinstance(value, dict):
        raise ValueError(f"expected a table {{ default_ttl = ... }} or false, got {_describe(value)}")
    policy = CachePolicy(**_fields(value, at, CACHE_POLICY))
    # CloudFront refuses a policy whose TTLs are out of order; name the key that was written.
    if policy.default_ttl < policy.min_ttl:
        bad, other = ("min_ttl", "default_ttl") if "min_ttl" in value else ("default_ttl", "min_ttl")
    elif policy.max_ttl < policy.default_ttl:
        bad, other = ("max_ttl", "default_ttl") if "max_ttl" in value else ("default_ttl", "max_ttl")
    else:
        return policy
    default = "" if other in value else " by default"
    raise (at / bad).error(f"must keep min_ttl <= default_ttl <= max_ttl: {bad} is {getattr(policy, bad):g}s, {other} is {getattr(policy, other):g}s{default}")


BEHAVIOR = {"path": _string, "origin": _string, "cache": _cache_policy} | {hook: _hook(hook) for hook in HOOK_POINTS}


def _behaviors(value: Any, at: _At) -> list[Behavior]:
    _expect(value, (list,), "[[behaviors]] tables")
    return [_behavior(item, at[i], i) for i, item in enumerate(value)]


def _behavior(value: Any, at: _At, index: int) -> Behavior:
    fields = _fields(value, at, BEHAVIOR, required=("path",))  # origin: see _check_references
    hooks = {hook: fields.pop(hook) for hook in HOOK_POINTS if hook in fields}
    return Behavior(**fields, hooks=hooks, index=index, where=at.where)


def _distribution(doc: dict, at: _At, source: Path) -> Distribution:
    schema = {
        "server": _table(ServerSettings, SERVER),
        "cache": _table(CacheSettings, CACHE),
        "origins": _named(_origin),
        "functions": _named(_function),
        "behaviors": _behaviors,
        "admin": _admin,
    }
    fields = _fields(doc, at, schema)
    behaviors = fields.get("behaviors")
    if not behaviors:
        raise (at / "behaviors").error('no behaviors: add at least the default one, [[behaviors]] with path = "*"')
    _check_default_behavior(behaviors, at)
    return Distribution(
        source=source,
        server=fields.get("server", ServerSettings()),
        cache=fields.get("cache", CacheSettings()),
        origins=fields.get("origins", {}),
        functions=fields.get("functions", {}),
        behaviors=behaviors,
        admin=fields.get("admin"),
    )


# --- checks across sections -------------------------------------------------------------------


def _check_default_behavior(behaviors: list[Behavior], at: _At) -> None:
    """The default "*" must be last: behaviors after it, or after a twin pattern, never match."""
    first: dict[str, int] = {}
    for b in behaviors:
        path_at = (at / "behaviors")[b.index] / "path"
        if b.path == "*" and b is not behaviors[-1]:
            raise path_at.error(f'the default behavior "*" must be the last one; behaviors after it would never match')
        if b.path in first:
            raise path_at.error(f"duplicate path pattern: behaviors[{first[b.path]}] already matches it")
        first[b.path] = b.index
    if behaviors[-1].path != "*":
        raise (at / "behaviors")[behaviors[-1].index].error('the last behavior must be the default one, with path = "*"')


def _check_references(dist: Distribution, at: _At, origin_from_request: bool) -> None:
    for b in dist.behaviors:
        behavior_at = (at / "behaviors")[b.index]
        if b.origin is None:
            if not origin_from_request:
                raise (behavior_at / "origin").error("missing required key")
        elif b.origin not in dist.origins:
            raise (behavior_at / "origin").error(f"unknown origin {json.dumps(b.origin)}; {_defined('origins', dist.origins, b.origin)}")
        for binding in b.hooks.values():
            if binding.function not in dist.functions:
                raise ConfigError(binding.where, f"unknown function {json.dumps(binding.function)}; {_defined('functions', dist.functions, binding.function)}")


def _defined(section: str, names: dict[str, Any], wanted: str) -> str:
    close = difflib.get_close_matches(wanted, names, n=1)
    if close:
        return f'did you mean "{close[0]}"?'
    return f"defined [{section}.NAME]: {', '.join(names)}" if names else f"no [{section}.NAME] is defined"


def _apply_hook_limits(dist: Distribution, at: _At) -> None:
    """Lambda@Edge's per-hook limits: memory is an error (CloudFront refuses the association),
    a long timeout is silently capped (CloudFront stops the function at the limit anyway)."""
    viewer_use: dict[str, str] = {}  # function -> where it first serves a viewer hook
    for b in dist.behaviors:
        for hook, binding in b.hooks.items():
            if hook in VIEWER_HOOKS:
                viewer_use.setdefault(binding.function, f"{hook} of behaviors[{b.index}]")
    for name, spec in dist.functions.items():
        used = viewer_use.get(name)
        if used and spec.memory_mb > VIEWER_MAX_MEMORY_MB:
            raise (at / "functions" / name / "memory_mb").error(
                f"{spec.memory_mb} MB is over the {VIEWER_MAX_MEMORY_MB} MB Lambda@Edge allows on viewer hooks (used on {used})"
            )
        limit = VIEWER_MAX_TIMEOUT if used else ORIGIN_MAX_TIMEOUT
        if spec.timeout > limit:
            log.warning("%s: timeout %gs is over the %gs limit for %s; using %gs",
                        (at / "functions" / name / "timeout").where, spec.timeout, limit, f"viewer hooks (used on {used})" if used else "origin hooks", limit)
            spec.timeout = limit


def _resolve_versions(dist: Distribution, at: _At, numbering: versions.Numbering) -> None:
    """Number each function's live code and add the published versions behaviors use, as
    "name:N" entries of dist.functions; each binding gets its targets (see versions.py)."""
    root = versions.folder(dist.source)
    for name, spec in dist.functions.items():
        number, copy = numbering.live(name, spec.wasm or spec.handler_file, versions.published(root, name))
        spec.version = str(number)
        if spec.wasm is None:
            spec.code = copy  # wasm needs none: a runtime compiles its module once, at start
    for b in dist.behaviors:
        for hook, binding in b.hooks.items():
            if binding.version is not None:
                binding.targets = ((version_key(dist, binding.function, binding.version, binding.where), 100),)
            elif binding.versions:
                versions_at = (at / "behaviors")[b.index] / hook / "versions"
                binding.targets = tuple(
                    (version_key(dist, binding.function, version, (versions_at / version).where), weight)
                    for version, weight in binding.versions.items()
                )
            else:
                binding.targets = ((binding.function, 100),)


def version_key(dist: Distribution, function: str, version: str, where: Where) -> str:
    """The key in dist.functions of one version of `function`, added from its snapshot if need be."""
    live = dist.functions[function]
    if version in ("latest", live.version):
        return function  # the live code: no second runtime for the same content
    snapshots = versions.published(versions.folder(dist.source), function)
    if int(version) not in snapshots:
        known = ", ".join(map(str, snapshots)) or "none"
        raise ConfigError(where, f"unknown version {version} of function {json.dumps(function)}; published: {known}, live code: {live.version} (`edgehooks publish {function}` publishes it)")
    key = f"{function}:{version}"
    if key not in dist.functions:
        code = snapshots[int(version)]
        if live.wasm is not None:
            snapshot = dataclasses.replace(live, wasm=code, version=version, where=where)
        else:
            # A published file never changes, so it is loaded as it is, not from a frozen copy.
            snapshot = dataclasses.replace(live, handler=f"{code}:{live.handler_function}", handler_file=code, code=None, version=version, where=where)
        reason = runtimes.check(snapshot)
        if reason:
            raise ConfigError(where, f"cannot load version {version} of {function} ({code}): {reason}")
        dist.functions[key] = snapshot
    return key


def _check_handlers(dist: Distribution, at: _At) -> None:
    # It starts a process per function, so it comes after the cheap checks of the file itself.
    for name, spec in dist.functions.items():
        reason = runtimes.check(spec)
        if reason:
            key, code = ("wasm", spec.wasm.name) if spec.wasm else ("handler", spec.handler)
            raise (at / "functions" / name / key).error(f"cannot load {code}: {reason}")
