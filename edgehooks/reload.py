"""`edgehooks serve --reload`: new code and config take over a running node without dropping a request.

When the config file or a function's code file changes, the distribution is loaded again, as at
start-up (so a broken edit is found before anything changes: it is logged and the running version
keeps serving). Functions whose spec is unchanged keep their warm environments; changed code is a
new version (versions.Numbering) with new environments. New requests take the new pipeline at
once; the old runtimes and origin pool are closed once the requests that started on them end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import watchfiles

from . import config, runtimes
from .distribution import ConfigError, Distribution
from .origin import Origins
from .pipeline import Pipeline
from .versions import Numbering

log = logging.getLogger("edgehooks.reload")

DEBOUNCE_MS = 200  # editors write a file in several steps; one reload for them all


class Reloader:
    def __init__(self, node, path: Path, numbering: Numbering):
        self.node = node
        self.path = Path(path)  # as the user named it, for messages
        self.numbering = numbering  # the one the node's distribution was loaded with

    def watched(self) -> set[Path]:
        """The config file and every live code file (published versions never change)."""
        dist = self.node.dist
        return {dist.source} | {spec.wasm or spec.handler_file for key, spec in dist.functions.items() if key == spec.name}

    async def run(self) -> None:
        """Watch and reload until cancelled. The folders are watched, not the files: editors
        often replace a file rather than write it in place."""
        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # our own line says what a change did
        while True:
            files = {str(f) for f in self.watched()}
            folders = {str(Path(f).parent) for f in files}
            async for _ in watchfiles.awatch(*folders, watch_filter=lambda _, path: path in files, debounce=DEBOUNCE_MS, recursive=False):
                await self.reload()
                if {str(f) for f in self.watched()} != files:
                    break  # the config now names other files: watch those

    async def reload(self) -> bool:
        try:
            dist = await asyncio.to_thread(config.load, self.path, self.numbering)
        except ConfigError as e:
            log.error("reload failed, still serving the previous version: %s", e)
            return False
        old = self.node.dist
        if (dist.server.listen, dist.admin) != (old.server.listen, old.admin) or dist.cache != old.cache:
            log.warning("%s: [server] listen, [admin] and [cache] changes take effect at the next start", self.path)
        before = {key: spec.version for key, spec in old.functions.items()}
        await swap(self.node, dist)
        changes = [f"{key} v{before.get(key, '-')} -> v{spec.version}" for key, spec in dist.functions.items() if before.get(key) != spec.version]
        log.info("reloaded %s%s", self.path, f": {', '.join(changes)}" if changes else "")
        return True


async def swap(node, dist: Distribution) -> None:
    """Put `dist` into service on `node`, reusing what did not change, retiring the rest once idle."""
    old = node.pipeline
    functions = {}
    for key, spec in dist.functions.items():
        current = old.functions.get(key)
        functions[key] = current if current is not None and _same(current.spec, spec) else runtimes.create(spec)
    started = [runtime for key, runtime in functions.items() if runtime is not old.functions.get(key)]
    await asyncio.gather(*(runtime.start() for runtime in started))
    same_origins = _same_all(old.dist.origins, dist.origins)
    origins = old.origins if same_origins else Origins(dist.origins)
    if not same_origins:
        await origins.start()
    pipeline = Pipeline(dist, functions, old.store, origins)
    pipeline.via = old.via  # one node, one Via identity across reloads
    pipeline.on_refresh = old.on_refresh
    node.dist, node.pipeline = dist, pipeline
    retired = [runtime for key, runtime in old.functions.items() if functions.get(key) is not runtime]
    asyncio.create_task(_retire(node, old, retired, None if same_origins else old.origins))


async def _retire(node, pipeline: Pipeline, retired: list, origins: Origins | None) -> None:
    await node.drained(pipeline)
    await pipeline.close()  # its background refreshes use the runtimes and origins retired here
    await asyncio.gather(*(runtime.close() for runtime in retired))
    if origins is not None:
        await origins.close()


def _same(a, b) -> bool:
    # Where a spec is written may move without changing what runs.
    return dataclasses.replace(a, where=None) == dataclasses.replace(b, where=None)


def _same_all(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
