"""How ``serve`` logs: ``WEBNACCS_LOG_LEVEL`` (default INFO) and ``WEBNACCS_LOG_FORMAT``
(``text``, or ``json``: one JSON object per line, for log shippers), to stderr, every time
stamp ISO 8601 with its zone. The Slack libraries stay at INFO or above whatever the level
(handlers.slack.client.quiet_logger: their DEBUG lines carry whole payloads)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import IO

from pythonjsonlogger.json import JsonFormatter

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _stamp(record: logging.LogRecord) -> str:
    """``2026-12-02T08:31:00.123+09:00``: the machine's zone, written out."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _stamp(record)


class JsonLines(JsonFormatter):
    """``{"time", "level", "logger", "message", …}``; extra fields and ``exc_info`` follow."""

    def __init__(self) -> None:
        super().__init__(TEXT, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _stamp(record)


def settings(env: Mapping[str, str]) -> tuple[int, str]:
    """(level, format) from the environment; ValueError names the variable and what it takes."""
    level = (env.get("WEBNACCS_LOG_LEVEL") or "INFO").strip().upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LEVELS:
        raise ValueError(f"WEBNACCS_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {env['WEBNACCS_LOG_LEVEL']!r}")
    form = (env.get("WEBNACCS_LOG_FORMAT") or "text").strip().lower()
    if form not in FORMATS:
        raise ValueError(f"WEBNACCS_LOG_FORMAT must be text or json, not {env['WEBNACCS_LOG_FORMAT']!r}")
    return logging.getLevelNamesMapping()[level], form


def configure(env: Mapping[str, str], stream: IO[str] | None = None) -> None:
    """Replace the root logger's handlers with one that writes as ``env`` says."""
    level, form = settings(env)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines() if form == "json" else TextFormatter(TEXT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
