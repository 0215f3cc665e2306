"""Numbered versions of a function's code, after Lambda's published versions.

The model, kept small:
- `edgehooks publish NAME` copies the function's code file (the Python handler file or the wasm
  module) into `<config folder>/.edgehooks/versions/NAME/N/`, N = 1, 2, … ; a published version
  is never changed, so a behavior pinned to `"NAME:N"` runs the same code after any restart.
- The live file the config names (Lambda's $LATEST, what an unqualified `"NAME"` runs) has the
  number of the published version with the same content, or else the next number after every
  published one; when a process reloads new content it gets the next number again. That number
  is `context.function_version` and the `Version:` of its START lines.
Only the one file is a version: modules a Python handler imports from its folder are not copied.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

FOLDER = Path(".edgehooks") / "versions"


def folder(config_file: Path) -> Path:
    """Where a distribution's published versions live: next to its config file."""
    return config_file.resolve().parent / FOLDER


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published(root: Path, function: str) -> dict[int, Path]:
    """Version number -> the code file of each published version of `function`."""
    found: dict[int, Path] = {}
    base = root / function
    if base.is_dir():
        for entry in base.iterdir():
            files = [f for f in entry.iterdir() if f.is_file()] if entry.is_dir() and entry.name.isdigit() else []
            if len(files) == 1:
                found[int(entry.name)] = files[0]
    return dict(sorted(found.items()))


def publish(root: Path, function: str, code: Path) -> tuple[int, bool]:
    """Snapshot `code` as the next version of `function`: (its number, whether it is new).
    Content that is already published is not published twice."""
    existing = published(root, function)
    same = _same_content(existing, digest(code))
    if same is not None:
        return same, False
    number = max(existing, default=0) + 1
    target = root / function / str(number)
    target.mkdir(parents=True)
    shutil.copy2(code, target / code.name)
    return number, True


class Numbering:
    """The numbers this process gave live code: new content gets the next free number."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, int]] = {}  # function -> content digest -> number

    def live(self, function: str, code: Path, snapshots: dict[int, Path]) -> int:
        content = digest(code)
        same = _same_content(snapshots, content)
        if same is not None:
            return same
        seen = self._seen.setdefault(function, {})
        if content not in seen:
            seen[content] = max([*snapshots, *seen.values()], default=0) + 1
        return seen[content]


def _same_content(snapshots: dict[int, Path], content: str) -> int | None:
    return next((n for n, path in snapshots.items() if digest(path) == content), None)
