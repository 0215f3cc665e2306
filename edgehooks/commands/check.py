"""`edgehooks check`: load a distribution and every function in it, as `serve` would, and say what it found."""

from __future__ import annotations

from . import load_or_exit


def register(subparsers) -> None:
    check = subparsers.add_parser("check", help="validate a distribution and its functions without serving")
    check.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    check.set_defaults(run=run)


def run(args) -> int:
    dist = load_or_exit(args.config)  # imports every handler and compiles every module, or exits 2
    print(f"{dist.source}: OK")
    print(f"  {len(dist.origins)} origin(s): " + ", ".join(f"{o.name} ({o.url or o.path})" for o in dist.origins.values()))
    print(f"  {len(dist.functions)} function(s):")
    for spec in dist.functions.values():
        runtime = f"wasm {spec.wasm}" if spec.wasm else f"python {spec.handler}"
        print(f"    {spec.name} v{spec.version}: {runtime}; {spec.memory_mb} MB, timeout {spec.timeout:g} s, concurrency {spec.concurrency}")
    print(f"  {len(dist.behaviors)} behavior(s):")
    for b in dist.behaviors:
        hooks = ", ".join(f"{hook} = {binding.function}" for hook, binding in b.hooks.items())
        print(f"    {b.path} -> {b.origin}" + (f"; {hooks}" if hooks else ""))
    return 0
