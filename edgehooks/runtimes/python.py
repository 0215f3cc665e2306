"""Python functions: each execution environment is a worker process (runtimes/worker.py).

Starting, feeding and killing workers is shared with Node.js (runtimes/process.py); this module
only says how a Python worker is started and which environment it sees.
"""

from __future__ import annotations

import os
import sys

from ..distribution import FunctionSpec
from . import process
from .process import PACKAGE_ROOT


class PythonRuntime(process.ProcessRuntime):
    def __init__(self, spec: FunctionSpec):
        super().__init__(spec, lambda_environment(spec))

    def command(self, in_fd: int, out_fd: int) -> list[str]:
        spec = self.spec
        return [sys.executable, "-m", "edgehooks.runtimes.worker", str(spec.code or spec.handler_file), spec.handler_function or "handler", str(in_fd), str(out_fd)]


def lambda_environment(spec: FunctionSpec) -> dict[str, str]:
    return process.lambda_environment(spec, f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}") | {
        "PYTHONPATH": os.pathsep.join([process.task_root(spec), str(PACKAGE_ROOT)]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def check(spec: FunctionSpec) -> str | None:
    """Import the handler in a throwaway worker; one line saying why it cannot run, or None."""
    command = [sys.executable, "-m", "edgehooks.runtimes.worker", "--check", str(spec.handler_file), spec.handler_function or "handler"]
    return process.check(command, spec, lambda_environment(spec))
