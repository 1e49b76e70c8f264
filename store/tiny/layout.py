"""Where each piece of state lives under the data directory.

    .lock                           inter-process lock (flock), held for every read and write
    .serve.lock                     held by the one ``serve`` that owns the directory
    journal/<seq>.jsonl             append-only: every commit and delivery since the checkpoint
    apps/<h[:2]>/<id>.json          checkpoint of one application (TinyDB tables record, outbox,
                                    meta): its live state and the messages not yet sent
    history/<h[:2]>/<id>.jsonl      append-only: its audit trail and the messages sent
    index/meta.json                 journal position of the checkpoint, serials, wake-ups, the
                                    applications with messages pending
    index/people/<h[:2]>.json       person key → application ids
    index/numbers/<yy>.json         acceptance number → application id, per filing year
    seen/<h[:2]>.json               256 shards of seen event/message ids with timestamps

h = sha256 of the id or key: ids are opaque and may share prefixes.
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
        self.owner = root / ".serve.lock"
        self.journal = root / "journal"
        self.apps = root / "apps"
        self.history_root = root / "history"
        self.index = root / "index"
        self.meta = self.index / "meta.json"
        self.seen = root / "seen"

    def app(self, app_id: str) -> Path:
        return self.apps / digest(app_id)[:2] / f"{app_id}.json"

    def history(self, app_id: str) -> Path:
        return self.history_root / digest(app_id)[:2] / f"{app_id}.jsonl"

    def people_shard(self, shard: str) -> Path:
        return self.index / "people" / f"{shard}.json"

    def numbers_shard(self, year: str) -> Path:
        return self.index / "numbers" / f"{year}.json"

    def seen_shard(self, namespace: str, key: str) -> Path:
        return self.seen / f"{digest(namespace + chr(0) + key)[:2]}.json"


def person_shard(person_key: str) -> str:
    return digest(person_key)[:2]


def number_year(number: str) -> str:
    return number[:2]
