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
    """The numbers this process gave live code: new content gets the next free number.

    With `copies` (a folder the process owns), each numbered content is also copied there, so
    that a version keeps starting environments with its own code after the file is edited.
    """

    def __init__(self, copies: Path | None = None) -> None:
        self._seen: dict[str, dict[str, int]] = {}  # function -> content digest -> number
        self._copies = copies

    def live(self, function: str, code: Path, snapshots: dict[int, Path]) -> tuple[int, Path | None]:
        """The version number of `code`'s content, and its frozen copy (None without `copies`)."""
        content = digest(code)
        number = _same_content(snapshots, content)
        if number is None:
            seen = self._seen.setdefault(function, {})
            if content not in seen:
                seen[content] = max([*snapshots, *seen.values()], default=0) + 1
            number = seen[content]
        if self._copies is None:
            return number, None
        copy = self._copies / function / content / code.name
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(code, copy)
        return number, copy


def _same_content(snapshots: dict[int, Path], content: str) -> int | None:
    return next((n for n, path in snapshots.items() if digest(path) == content), None)
