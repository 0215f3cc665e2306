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
    for key, spec in dist.functions.items():
        runtime = f"wasm {spec.wasm}" if spec.wasm else f"python {spec.handler}"
        what = f"{spec.name} v{spec.version}" if key == spec.name else f"{key} (published)"
        print(f"    {what}: {runtime}; {spec.memory_mb} MB, timeout {spec.timeout:g} s, concurrency {spec.concurrency}")
    print(f"  {len(dist.behaviors)} behavior(s):")
    for b in dist.behaviors:
        hooks = ", ".join(f"{hook} = {_runs(binding)}" for hook, binding in b.hooks.items())
        print(f"    {b.path} -> {b.origin}" + (f"; {hooks}" if hooks else ""))
    return 0


def _runs(binding) -> str:
    if len(binding.targets) < 2:
        return binding.targets[0][0] if binding.targets else binding.function
    return " | ".join(f"{key} {weight}%" for key, weight in binding.targets)
