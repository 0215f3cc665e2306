"""A loaded distribution: the validated, typed form of an edgehooks.toml file.

`config.py` builds these from TOML; everything else reads them. Each object that came from a
config key remembers where (`Where`) so that a later failure can still name file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HOOK_POINTS = ("viewer-request", "origin-request", "origin-response", "viewer-response")
VIEWER_HOOKS = ("viewer-request", "viewer-response")


@dataclass(frozen=True)
class Where:
    file: Path
    line: int | None
    key: str  # dotted key path, e.g. "functions.auth.timeout" or "behaviors[2].origin"

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.file}{line}: {self.key}"


class ConfigError(Exception):
    """A configuration mistake. The message names the file, the line and the key."""

    def __init__(self, where: Where | Path, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass
class OriginSpec:
    name: str
    url: str | None = None  # custom origin: scheme://host:port[/prefix]
    path: Path | None = None  # S3-style origin served from a local folder
    connect_timeout: float = 10.0  # CloudFront's default connection timeout
    read_timeout: float = 30.0  # CloudFront's default response timeout (origin readTimeout)
    keepalive_timeout: float = 5.0
    where: Where | None = None

    @property
    def is_s3(self) -> bool:
        return self.path is not None


@dataclass
class FunctionSpec:
    name: str
    handler: str | None = None  # "file.py:function"
    handler_file: Path | None = None
    handler_function: str | None = None
    wasm: Path | None = None
    memory_mb: int = 128
    timeout: float = 3.0  # effective seconds, already capped for the hook points it serves
    concurrency: int = 16
    idle_timeout: float = 300.0  # seconds an idle environment lives before it is reaped
    provisioned: int = 0  # environments kept warm from start-up
    version: str = "1"
    where: Where | None = None
    # What a new environment loads: a copy of handler_file's content for this version, so that an
    # edit on disk cannot change a running version (see versions.Numbering); None: handler_file.
    code: Path | None = None


@dataclass
class HookBinding:
    function: str  # the function's name, as [functions.NAME] defines it
    include_body: bool = False
    where: Where | None = None
    version: str | None = None  # pinned: "function:3" (see versions.py)
    versions: dict[str, int] = field(default_factory=dict)  # a split: version ("3" or "latest") -> weight of 100
    sticky_cookie: str | None = None  # whose value keeps a viewer on one version of a split
    # What config.load resolved the above to: (key in Distribution.functions, weight).
    targets: tuple[tuple[str, int], ...] = ()


@dataclass
class CachePolicy:
    enabled: bool = True
    min_ttl: float = 0.0
    default_ttl: float = 86400.0
    max_ttl: float = 31536000.0
    query_strings: str | tuple[str, ...] = "none"  # "none" | "all" | names
    headers: tuple[str, ...] = ()
    cookies: str | tuple[str, ...] = "none"


@dataclass
class Behavior:
    path: str  # CloudFront path pattern
    origin: str | None = None  # None only when the front end supplies each request's origin (intercept)
    hooks: dict[str, HookBinding] = field(default_factory=dict)
    cache: CachePolicy = field(default_factory=CachePolicy)
    index: int = 0
    where: Where | None = None


@dataclass
class ServerSettings:
    listen: str = "127.0.0.1:8080"
    domain_name: str = "d111111abcdef8.cloudfront.net"  # config.distributionDomainName in events
    distribution_id: str = "EDFDVBD6EXAMPLE"
    server_timing: bool = False
    default_root_object: str | None = None  # CloudFront's DefaultRootObject: what "/" serves, e.g. "index.html"


@dataclass
class CacheSettings:
    max_size: int = 256 * 1024 * 1024  # bytes held by the in-memory tier
    max_object_size: int = 20 * 1024 * 1024  # larger responses stream through uncached
    redis: str | None = None  # "redis://host:port/db": the tier shared by every node of the distribution
    redis_prefix: str = "edgehooks"  # keys are <redis_prefix>:<distribution_id>:..., so distributions can share a Redis
    redis_timeout: float = 0.25  # seconds any Redis call may take before the node serves without it


@dataclass
class AdminSettings:
    """The admin listener ([admin]): absent from the file means no admin listener at all."""

    token: str  # every admin request must carry `Authorization: Bearer <token>`
    listen: str = "127.0.0.1:9901"  # loopback unless the file says otherwise


@dataclass
class Distribution:
    source: Path
    server: ServerSettings
    cache: CacheSettings
    origins: dict[str, OriginSpec]
    functions: dict[str, FunctionSpec]  # by name; published versions a behavior uses as "name:N"
    behaviors: list[Behavior]
    admin: AdminSettings | None = None
