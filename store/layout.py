"""Where each piece of state lives under the data directory.

Every file is small and about one thing, so reading or writing one application never costs
more when many others are stored:

    .lock                              inter-process lock (flock)
    apps/<sha256(id)[:2]>/<id>.json    one application: tables record, audit, outbox
    people/<h[:2]>/<h>.json            h = sha256(person key): the person's application ids
    numbers/<number>.json              acceptance number → application id (write-ahead)
    serials/<yy>.json                  last acceptance serial handed out for a filing year
    outbox_pending/<channel>/<id>.json marker: this application may have pending messages there
    seen/<h[:2]>.json                  256 shards of seen event/message ids with timestamps
    wakeups/<day>/<id>.json            marker: look at this application on that day (reminders)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TypeGuard

_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_name(value: object, what: str = "application id") -> str:
    """Return ``value`` if it is a safe file-name component, else raise ValueError."""
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


def is_safe_name(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _SAFE_NAME.fullmatch(value) is not None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = root / ".lock"
        self.apps = root / "apps"
        self.pending = root / "outbox_pending"
        self.seen = root / "seen"
        self.wakeups = root / "wakeups"

    def app(self, app_id: str) -> Path:
        # Hash-sharded: ids are opaque and may share prefixes.
        return self.apps / digest(app_id)[:2] / f"{app_id}.json"

    def person(self, person_key: str) -> Path:
        h = digest(person_key)
        return self.root / "people" / h[:2] / f"{h}.json"

    def number(self, acceptance_number: str) -> Path:
        return self.root / "numbers" / f"{acceptance_number}.json"

    def serial(self, year: int) -> Path:
        return self.root / "serials" / f"{year:02d}.json"

    def pending_marker(self, app_id: str, channel: str) -> Path:
        """Per outbox channel, so the dispatcher reads only the applications with messages it
        can deliver (review cards wait here while no review channel is configured)."""
        return self.pending / check_name(channel, "channel") / f"{app_id}.json"

    def wakeup(self, day: str, app_id: str) -> Path:
        return self.wakeups / day / f"{app_id}.json"

    def seen_shard(self, namespace: str, key: str) -> Path:
        return self.seen / f"{digest(namespace + chr(0) + key)[:2]}.json"
