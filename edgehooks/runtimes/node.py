"""Node.js functions: each execution environment is a `node` process running node_worker.cjs.

Starting, feeding and killing workers is shared with Python (runtimes/process.py). Node is the
one on PATH; Lambda@Edge's oldest Node.js runtime sets the minimum. Memory is bounded twice, as
neither bound alone covers it: V8's heap by --max-old-space-size, and everything else (Buffers,
native allocations) by RLIMIT_DATA, set through prlimit because node cannot set its own limits.
RLIMIT_AS would not do: V8 reserves gigabytes of address space it never uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..distribution import FunctionSpec
from . import process

MIN_VERSION = 18  # nodejs18.x, the oldest Node.js runtime Lambda@Edge accepts
WORKER = Path(__file__).with_name("node_worker.cjs")
BASELINE_MB = 64  # node's own data segment before the handler loads (about 48 MB for Node 20)


class NodeMissing(Exception):
    pass


def find_node() -> tuple[str, int, str]:
    """The `node` on PATH, its major version and `prlimit`; NodeMissing says why they cannot run handlers."""
    node = shutil.which("node")
    if node is None:
        raise NodeMissing(f'no "node" on PATH: JavaScript handlers need Node.js {MIN_VERSION} or newer')
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=process.INIT_TIMEOUT, stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NodeMissing(f"{node} --version failed: {e}") from None
    m = re.fullmatch(r"v(\d+)\.\d+\.\d+.*", version)
    if m is None:
        raise NodeMissing(f"{node} --version printed {version!r}, not a Node.js version")
    if int(m[1]) < MIN_VERSION:
        raise NodeMissing(f"{node} is Node.js {version}: JavaScript handlers need Node.js {MIN_VERSION} or newer")
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise NodeMissing('no "prlimit" on PATH (from util-linux): it sets the memory limit of Node.js workers')
    return node, int(m[1]), prlimit


class NodeRuntime(process.ProcessRuntime):
    def __init__(self, spec: FunctionSpec):
        self.node, major, self.prlimit = find_node()
        super().__init__(spec, lambda_environment(spec, major))

    def command(self, in_fd: int, out_fd: int) -> list[str]:
        spec = self.spec
        limit = (BASELINE_MB + spec.memory_mb) << 20
        return [
            self.prlimit, f"--data={limit}", "--",
            self.node, f"--max-old-space-size={spec.memory_mb}", str(WORKER),
            str(spec.code or spec.handler_file), spec.handler_function or "handler", str(in_fd), str(out_fd),
        ]  # fmt: skip


def lambda_environment(spec: FunctionSpec, major: int) -> dict[str, str]:
    # NODE_PATH as Lambda's /var/task: a handler's bare imports also resolve from its own folder.
    return process.lambda_environment(spec, f"AWS_Lambda_nodejs{major}.x") | {"NODE_PATH": process.task_root(spec)}


def check(spec: FunctionSpec) -> str | None:
    """Load the module in a throwaway node process and confirm the export is a function."""
    try:
        node, major, _ = find_node()
    except NodeMissing as e:
        return str(e)
    command = [node, str(WORKER), "--check", str(spec.handler_file), spec.handler_function or "handler"]
    return process.check(command, spec, lambda_environment(spec, major))
