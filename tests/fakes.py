"""In-memory stand-ins for the core's ports, for unit tests of the core."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def clock_at(text: str = "2026-11-26T10:00") -> FixedClock:
    return FixedClock(datetime.fromisoformat(text).replace(tzinfo=JST))


class MemoryStore:
    """Keeps deep copies, so the core cannot mutate what was 'stored' behind its back."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.audits: dict[str, list[dict[str, Any]]] = {}
        self.outboxes: dict[str, list[dict[str, Any]]] = {}
        self.people: dict[str, list[str]] = {}
        self.serials: dict[int, int] = {}
        self.seen: set[tuple[str, str]] = set()
        self.wakeups: set[tuple[str, str]] = set()
        self.commits = 0
        self._lock = threading.RLock()

    @contextmanager
    def locked(self, *keys: str) -> Iterator[None]:
        with self._lock:
            yield

    def get(self, app_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.records.get(app_id))

    def commit(self, record: dict[str, Any], *, audit: Sequence[dict[str, Any]] = (),
               outbox: Sequence[dict[str, Any]] = (), sync: bool = True) -> None:
        with self._lock:
            app_id = record["id"]
            self.records[app_id] = copy.deepcopy(record)
            self.audits.setdefault(app_id, []).extend(copy.deepcopy(list(audit)))
            self.outboxes.setdefault(app_id, []).extend(
                {"status": "pending", **copy.deepcopy(m)} for m in outbox)
            if record.get("wakeup"):
                self.wakeups.add((record["wakeup"], app_id))
            for key in record.get("people", []):
                ids = self.people.setdefault(key, [])
                if app_id not in ids:
                    ids.append(app_id)
            self.commits += 1

    def apps_of(self, person_key: str) -> list[str]:
        return list(self.people.get(person_key, []))

    def records_of(self, person_key: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(self.records[i]) for i in self.apps_of(person_key)]

    def next_acceptance_serial(self, year: int) -> int:
        with self._lock:
            self.serials[year] = self.serials.get(year, 0) + 1
            return self.serials[year]

    def by_number(self, acceptance_number: str) -> dict[str, Any] | None:
        for record in self.records.values():
            if record.get("acceptance_number") == acceptance_number:
                return copy.deepcopy(record)
        return None

    def all_ids(self) -> Iterator[str]:
        return iter(list(self.records))

    def audit(self, app_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.audits.get(app_id, []))

    def outbox(self, app_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self.outboxes.get(app_id, []))

    def outbox_message(self, app_id: str, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.outbox(app_id) if m.get("id") == message_id), None)

    def pending_outbox(self, channels: Iterable[str] | None = None) -> list[dict[str, Any]]:
        wanted = None if channels is None else set(channels)
        return [{**m, "app_id": a} for a, ms in self.outboxes.items() for m in ms
                if m["status"] == "pending" and (wanted is None or m.get("channel") in wanted)]

    def claim_outbox(self, channels: Iterable[str], *, lease_seconds: float) -> list[dict[str, Any]]:
        return self.pending_outbox(channels)

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        for m in self.outboxes.get(app_id, []):
            if m["id"] == message_id:
                m.update(status=status, **info)

    def wakeups_due(self, day: str) -> list[tuple[str, str]]:
        return sorted(w for w in self.wakeups if w[0] <= day)

    def drop_wakeup(self, day: str, app_id: str) -> None:
        self.wakeups.discard((day, app_id))

    def mark_seen(self, namespace: str, key: str) -> bool:
        if (namespace, key) in self.seen:
            return False
        self.seen.add((namespace, key))
        return True


class PlainVault:
    """Reversible stand-in for the AES vault in unit tests of the core."""

    def seal(self, app_id: str, payload: Any) -> str:
        import json

        return json.dumps({"app": app_id, "payload": payload})

    def unseal(self, app_id: str, sealed: str) -> Any:
        import json

        data = json.loads(sealed)
        if data["app"] != app_id:
            raise ValueError("sealed for another application")
        return data["payload"]
