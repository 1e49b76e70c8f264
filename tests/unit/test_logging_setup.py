"""WEBNACCS_LOG_LEVEL and WEBNACCS_LOG_FORMAT (issue 13 item 8)."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest

from handlers.logging_setup import configure, settings


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_is_one_object_per_line_with_a_zoned_time_and_the_extras():
    out = io.StringIO()
    configure({"WEBNACCS_LOG_FORMAT": "JSON"}, out)
    log = logging.getLogger("webnaccs.test")
    log.warning("申込 %s を受け付けました", "260001A", extra={"app_id": "a1"})
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "申込 260001A を受け付けました" and first["level"] == "WARNING"
    assert first["logger"] == "webnaccs.test" and first["app_id"] == "a1"
    assert datetime.fromisoformat(first["time"]).utcoffset() is not None
    assert second["level"] == "ERROR" and "ValueError: bad" in second["exc_info"]


def test_text_lines_carry_the_zone_and_the_level_filters():
    out = io.StringIO()
    configure({"WEBNACCS_LOG_LEVEL": "warning"}, out)
    logging.getLogger("webnaccs.test").info("not shown")
    logging.getLogger("webnaccs.test").warning("shown")
    [line] = out.getvalue().splitlines()
    stamp, level, name, message = line.split(" ", 3)
    assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert (level, name, message) == ("WARNING", "webnaccs.test", "shown")


def test_defaults_and_refusals():
    assert settings({}) == (logging.INFO, "text")
    assert settings({"WEBNACCS_LOG_LEVEL": " debug ", "WEBNACCS_LOG_FORMAT": "json"}) == (logging.DEBUG, "json")
    with pytest.raises(ValueError, match="WEBNACCS_LOG_LEVEL"):
        settings({"WEBNACCS_LOG_LEVEL": "verbose"})
    with pytest.raises(ValueError, match="WEBNACCS_LOG_FORMAT"):
        settings({"WEBNACCS_LOG_FORMAT": "xml"})
