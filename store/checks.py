"""What every store checks of what it is given, before anything is written."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from store.tiny.layout import check_name

JST = ZoneInfo("Asia/Tokyo")
PENDING = "pending"
Record = dict[str, Any]


def mapping(value: object, what: str) -> Record:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping")
    return dict(value)


def people(record: Mapping[str, Any]) -> list[str]:
    found = record.get("people") or []
    if not isinstance(found, list | tuple) or not all(isinstance(p, str) for p in found):
        raise ValueError("record people must be a list of person keys")
    return list(dict.fromkeys(found))


def record(value: object) -> str:
    """The record's id, or ValueError: a mapping with a safe id, number and wake-up day."""
    if not isinstance(value, Mapping):
        raise ValueError("record must be a mapping")
    app_id = check_name(value.get("id"))
    people(value)
    if value.get("acceptance_number") is not None:
        check_name(value["acceptance_number"], "acceptance number")
    if value.get("wakeup") is not None:
        check_name(value["wakeup"], "wakeup day")
    return app_id


def message(value: object, app_id: str, now: datetime) -> Record:
    """An outbox message as stored: with its id, status (pending) and created_at."""
    fields = mapping(value, "outbox message")
    if not isinstance(fields.get("id"), str) or not fields["id"]:
        raise ValueError("an outbox message needs a non-empty string id")
    if fields.get("app_id", app_id) != app_id:
        raise ValueError("an outbox message belongs to the application it is committed with")
    fields.setdefault("status", PENDING)
    fields.setdefault("created_at", now.isoformat())
    return fields


def moment(value: object) -> datetime | None:
    """An ISO timestamp (naive = Japan time), or None."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=JST)


def instant(value: object) -> float:
    """Seconds since the epoch; what cannot be read sorts last."""
    found = moment(value)
    return found.timestamp() if found else math.inf
