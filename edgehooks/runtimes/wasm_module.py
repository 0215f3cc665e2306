"""Loading a WebAssembly function: the process's engine, the on-disk compile cache, the ABI check.

One `Engine` serves every wasm function: compiled code, and the epoch that bounds each call's wall
time (see `wasm_call.Watchdog`), are per engine. Compiling is the slow part of a cold start (ms for
a small module, seconds for a big one), so the compiled form is kept on disk, keyed by everything
that makes it valid: the module's bytes, the wasmtime version and the engine settings
(wasmtime refuses to load an artifact made by another version or configuration).
"""

from __future__ import annotations

import enum
import hashlib
import importlib.metadata
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from wasmtime import Config, Engine, FuncType, InstancePre, Linker, MemoryType, Module, ValType, WasmtimeError, wat2wasm
from wasmtime import _ffi as ffi

from . import wasi_io
from .wasi_io import WASI_MODULE

# Instances live in a pool of slots reserved when the engine starts, reused rather than mapped
# and unmapped: a WASI event makes and drops an instance, and on-demand allocation cost more than
# the module's run (page faults, munmap's TLB shootdowns across cores). A slot reserves address
# space for a whole 32-bit memory (4 GiB, no bounds checks in compiled code), not RAM.
POOL_INSTANCES = 1000  # live instances in the process: one per fast ABI environment, up to two per WASI one
MAX_MEMORY = 1 << 32
# A slot given back is reset by zeroing (or copying the data image over) the pages its instance
# dirtied in its first KEEP_RESIDENT bytes, rather than handing them back to the kernel, so the
# next instance takes no page faults there: the C example's WASI event took 9, and 25–30% less
# time without them. The bound is for kernels before 6.7 (no PAGEMAP_SCAN), where wasmtime resets
# all of those bytes, dirty or not.
KEEP_RESIDENT = 1 << 20
# Part of the cache key: change it whenever the engine's configuration changes.
ENGINE_SETTINGS = f"epoch_interruption=1 pooling={POOL_INSTANCES}x{MAX_MEMORY} keep_resident={KEEP_RESIDENT}"
EPOCH_TICK = 0.005  # seconds; a timeout is noticed at most about one tick late

_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The shared engine; its epoch ticker starts with it and runs for the life of the process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            config = Config()
            config.epoch_interruption = True
            pool = ffi.wasmtime_pooling_allocation_config_new()
            ffi.wasmtime_pooling_allocation_config_total_core_instances_set(pool, POOL_INSTANCES)
            ffi.wasmtime_pooling_allocation_config_total_memories_set(pool, POOL_INSTANCES)
            ffi.wasmtime_pooling_allocation_config_total_tables_set(pool, POOL_INSTANCES)
            ffi.wasmtime_pooling_allocation_config_max_memory_size_set(pool, MAX_MEMORY)
            ffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, KEEP_RESIDENT)
            ffi.wasmtime_pooling_allocation_config_table_keep_resident_set(pool, KEEP_RESIDENT)
            ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
            ffi.wasmtime_pooling_allocation_config_delete(pool)  # the config keeps its own copy
            _engine = Engine(config)
            threading.Thread(target=_tick, args=(_engine,), name="wasm-epoch", daemon=True).start()
        return _engine


def _tick(engine: Engine) -> None:
    while True:
        time.sleep(EPOCH_TICK)
        engine.increment_epoch()


class Abi(enum.Enum):
    FAST = "fast"  # exports memory, alloc, handle: one long-lived instance per environment
    WASI = "wasi"  # a WASI command (_start): a fresh instance per event


@dataclass(frozen=True)
class Loaded:
    module: Module
    abi: Abi
    has_init: bool  # fast ABI: exports init(), called at the environment's cold start
    has_initialize: bool  # a reactor built with a libc: exports _initialize(), called before init()
    pre: InstancePre | None  # WASI: linked once, instantiated per event


I32, I64 = ValType.i32(), ValType.i64()
FAST_EXPORTS = {"alloc": ([I32], [I32]), "handle": ([I32, I32], [I64])}
NO_ARGS = ([], [])
LOG_IMPORT = ("edgehooks", "log", ([I32, I32], []))


def load(path: Path) -> Loaded:
    """Compile (or fetch from the disk cache) and classify; ValueError says why it cannot run."""
    return classify(_compiled(path))


def classify(module: Module) -> Loaded:
    exports = {e.name: e.type for e in module.exports}
    if any(name in exports for name in FAST_EXPORTS):  # a WASI command exports memory too
        abi = Abi.FAST
        missing = [name for name in ("memory", *FAST_EXPORTS) if name not in exports]
        if missing:
            raise ValueError(f"exports some of the fast ABI but not {', '.join(missing)}: "
                             "it needs memory, alloc(i32) -> i32 and handle(i32, i32) -> i64")
        if not isinstance(exports["memory"], MemoryType):
            raise ValueError("export memory must be a memory")
        for name, signature in FAST_EXPORTS.items():
            _expect_func(exports[name], name, signature)
    elif "_start" in exports:
        abi = Abi.WASI
    else:
        raise ValueError("exports neither memory + alloc + handle (the fast ABI) nor _start (a WASI command)")
    for name in ("init", "_initialize", "_start"):
        if name in exports:
            _expect_func(exports[name], name, NO_ARGS)
    for imp in module.imports:
        _check_import(abi, imp.module, imp.name, imp.type)
    fast = abi is Abi.FAST
    return Loaded(module, abi, fast and "init" in exports, fast and "_initialize" in exports, None if fast else _link_wasi(module))


def _link_wasi(module: Module) -> InstancePre:
    linker = Linker(engine())
    linker.define_wasi()
    wasi_io.define(linker)
    try:
        return linker.instantiate_pre(module)
    except WasmtimeError as e:  # a name or signature WASI preview 1 does not have
        raise ValueError(f"cannot be linked against WASI preview 1: {_first_line(e)}") from None


def _expect_func(ty: object, name: str, signature: tuple[list, list]) -> None:
    params, results = signature
    if not isinstance(ty, FuncType) or [str(p) for p in ty.params] != [str(p) for p in params] or [str(r) for r in ty.results] != [str(r) for r in results]:
        raise ValueError(f"export {name} must be a function {_show(signature)}, found {_show_type(ty)}")


def _check_import(abi: Abi, module: str, name: str | None, ty: object) -> None:
    if abi is Abi.WASI and module == WASI_MODULE:
        return  # the linker resolves these; an unknown WASI name still fails the instantiate check
    if abi is Abi.FAST and (module, name) == LOG_IMPORT[:2]:
        if isinstance(ty, FuncType) and _show_type(ty) == _show(LOG_IMPORT[2]):
            return
        raise ValueError(f"import edgehooks.log must be a function {_show(LOG_IMPORT[2])}, found {_show_type(ty)}")
    offered = "edgehooks.log" if abi is Abi.FAST else f"{WASI_MODULE}.*"
    raise ValueError(f"imports {module}.{name}, which edgehooks does not provide (a {abi.value} ABI module may import only {offered})")


def _show(signature: tuple[list, list]) -> str:
    params, results = signature
    return f"({', '.join(map(str, params))}) -> ({', '.join(map(str, results))})"


def _show_type(ty: object) -> str:
    return _show((ty.params, ty.results)) if isinstance(ty, FuncType) else type(ty).__name__


# --- the compile cache --------------------------------------------------------------------------


def cache_dir() -> Path:
    if os.environ.get("EDGEHOOKS_CACHE_DIR"):
        return Path(os.environ["EDGEHOOKS_CACHE_DIR"]) / "wasm"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edgehooks" / "wasm"


def _compiled(path: Path) -> Module:
    try:
        source = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None
    key = hashlib.sha256(b"\0".join([importlib.metadata.version("wasmtime").encode(), ENGINE_SETTINGS.encode(), source])).hexdigest()
    cached = cache_dir() / f"{key}.cwasm"
    if cached.is_file():
        try:
            return Module.deserialize_file(engine(), str(cached))
        except WasmtimeError:
            pass  # a damaged or foreign file: compile again and replace it
    module = _compile(path, source)
    _store(cached, module.serialize())
    return module


def _compile(path: Path, source: bytes) -> Module:
    try:
        wasm = wat2wasm(source.decode("utf-8")) if path.suffix == ".wat" else source
        return Module(engine(), bytes(wasm))
    except (WasmtimeError, UnicodeDecodeError) as e:
        raise ValueError(f"does not compile: {_first_line(e)}") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _store(cached: Path, artifact: bytes) -> None:
    """Write atomically, so a concurrent start never maps half a file; a read-only cache is no error."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(artifact)
        os.replace(tmp, cached)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
