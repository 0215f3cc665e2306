"""Where log lines go and in which format: `--log-format text|json` and `--log-dir DIR`.

Text keeps Lambda's own lines (START / END / REPORT, tab-separated) and a plain access line.
JSON writes one object per line in the envelope Lambda's telemetry uses — `time`, `type`,
`record` — with Lambda's own type names for invocation lines (`platform.start`, `function`,
`platform.runtimeDone`, `platform.report`), `access` for the access log and `log` for the rest.
With a log dir, each function's lines go to DIR/<function>.log, as CloudWatch keeps one log group
per function, instead of to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

FUNCTION_LOGGER = "edgehooks.function"  # each function logs to edgehooks.function.<name>
TEXT = "%(asctime)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event = getattr(record, "event", None)
        fields = getattr(record, "fields", None)
        if event is not None:
            kind, body = event
            entry = {"time": time, "type": kind, "record": body}
        elif fields is not None:
            entry = {"time": time, "type": "access", "record": fields}
        else:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + self.formatException(record.exc_info)
            entry = {"time": time, "type": "log", "record": {"level": record.levelname, "logger": record.name, "message": message}}
        if record.name.startswith(FUNCTION_LOGGER + "."):
            entry["function"] = record.name[len(FUNCTION_LOGGER) + 1 :]
        return json.dumps(entry, ensure_ascii=False)


class FunctionFiles(logging.Handler):
    """Each function's records to DIR/<function>.log, the file opened on its first line."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self._files: dict[str, logging.FileHandler] = {}

    def emit(self, record: logging.LogRecord) -> None:
        # A quoted TOML key may hold any character; the file name keeps only the safe ones.
        name = re.sub(r"[^A-Za-z0-9._-]", "_", record.name.removeprefix(FUNCTION_LOGGER + "."))
        handler = self._files.get(name)
        if handler is None:
            handler = self._files[name] = logging.FileHandler(self.folder / f"{name}.log", encoding="utf-8")
            handler.setFormatter(self.formatter)
        handler.emit(record)

    def close(self) -> None:
        for handler in self._files.values():
            handler.close()
        super().close()


def setup(level: str, format: str = "text", folder: Path | None = None) -> None:
    formatter = JsonFormatter() if format == "json" else logging.Formatter(TEXT)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[console], force=True)
    functions = logging.getLogger(FUNCTION_LOGGER)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        files = FunctionFiles(folder)
        files.setFormatter(formatter)
        functions.addHandler(files)
        functions.propagate = False
