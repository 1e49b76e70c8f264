"""``TinyStore``: the ``bot.ports.Store`` on TinyDB files under a data directory.

One file per application holds its record, audit trail and outbox, so a commit is one atomic
write of that file. Index files (people, acceptance numbers, pending outbox) are written
*before* it and verified when read, so a crash between the two leaves only harmless entries.
See ``store.layout`` for the files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tinydb import TinyDB
from tinydb.table import Document

from bot.ports import Clock, Record
from store.atomic import (
    DIR_MODE,
    ensure_dir,
    is_temp_file,
    open_db,
    remove_file,
)
from store.layout import Layout, check_name, is_safe_name
from store.lock import StoreLock

JST = ZoneInfo("Asia/Tokyo")
PENDING = "pending"


class TinyStore:
    """Durable state in ``data_dir``; safe for threads and for several processes."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None) -> None:
        root = Path(data_dir)
        ensure_dir(root)
        os.chmod(root, DIR_MODE)  # it holds secrets; only the owner may look inside
        self._paths = Layout(root)
        self._lock = StoreLock(self._paths.lock)
        self._clock = clock

    def locked(self) -> StoreLock:
        return self._lock

    def close(self) -> None:
        self._lock.close()

    # -- applications ------------------------------------------------------------------------

    def get(self, app_id: str) -> Record | None:
        path = self._paths.app(check_name(app_id))
        with self._lock:
            db, _ = open_db(path)
            return _single(db, "record")

    def commit(
        self,
        record: Record,
        *,
        audit: Sequence[Mapping[str, Any]] = (),
        outbox: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Write the record, append audit entries and queue outbox messages in ONE atomic write."""
        if not isinstance(record, Mapping):
            raise ValueError("record must be a mapping")
        app_id = check_name(record.get("id"))
        people = _people(record)
        number = record.get("acceptance_number")
        if number is not None:
            check_name(number, "acceptance number")
        entries = [_mapping(entry, "audit entry") for entry in audit]
        messages = [self._new_message(message, app_id) for message in outbox]

        wakeup = record.get("wakeup")
        if wakeup is not None:
            check_name(wakeup, "wakeup day")

        with self._lock:
            db, buffer = open_db(self._paths.app(app_id))
            previous = _single(db, "record") or {}
            previous_wakeup = previous.get("wakeup")
            # A key the stored record already lists was indexed before that record was written.
            new_people = [p for p in people if p not in (previous.get("people") or ())]
            known = {doc.get("id") for doc in db.table("outbox").all()}
            for message in messages:
                if message["id"] in known:
                    raise ValueError(f"duplicate outbox message id {message['id']!r}")
                known.add(message["id"])
            _put_single(db, "record", dict(record))
            if entries:
                db.table("audit").insert_multiple(entries)
            if messages:
                db.table("outbox").insert_multiple(messages)
            queues = sorted({str(m.get("channel")) for m in messages if m["status"] == PENDING})

            def write_ahead() -> None:
                # Indexes first: if we die before the app file is replaced they point at a
                # record that does not (yet) say so, and every reader checks that.
                if number is not None:
                    self._index_number(number, app_id)
                for person in new_people:
                    self._index_person(person, app_id)
                for channel in queues:
                    self._mark_pending(app_id, channel)
                if wakeup is not None and wakeup != previous_wakeup:
                    self._mark_wakeup(app_id, wakeup)

            buffer.flush(before_write=write_ahead)

    def apps_of(self, person_key: str) -> list[str]:
        """Ids of the applications a person takes part in, oldest first."""
        return [record["id"] for record in self.records_of(person_key)]

    def records_of(self, person_key: str) -> list[Record]:
        """The records of those applications (each read once; the record, not the index, decides
        whether the person takes part)."""
        with self._lock:
            db, _ = open_db(self._paths.person(person_key))
            ids = [doc.get("app_id") for doc in _ordered(db, "apps")]
            records = [self.get(app_id) for app_id in ids if is_safe_name(app_id)]
            return [r for r in records if r is not None and person_key in _people_or_none(r)]

    def all_ids(self) -> Iterator[str]:
        """Every stored application id, sorted (walks the folder: for operators, not hot paths)."""
        ids: list[str] = []
        with self._lock:
            if self._paths.apps.is_dir():
                for shard in self._paths.apps.iterdir():
                    if shard.is_dir():
                        ids.extend(_ids_in(shard))
        return iter(sorted(ids))

    def audit(self, app_id: str) -> list[Record]:
        with self._lock:
            db, _ = open_db(self._paths.app(check_name(app_id)))
            return [dict(doc) for doc in _ordered(db, "audit")]

    # -- acceptance numbers ------------------------------------------------------------------

    def next_acceptance_serial(self, year: int) -> int:
        """The next serial (1, 2, …) for a two-digit filing year; never returns one twice.

        The counter is on disk before the serial is returned, so a crash can skip a serial but
        never hand one out again.
        """
        if isinstance(year, bool) or not isinstance(year, int) or not 0 <= year <= 99:
            raise ValueError(f"invalid two-digit year: {year!r}")
        with self._lock:
            db, buffer = open_db(self._paths.serial(year))
            current = _single(db, "serial") or {}
            serial = int(current.get("last", 0)) + 1
            _put_single(db, "serial", {"year": year, "last": serial})
            buffer.flush()
            return serial

    def by_number(self, acceptance_number: str) -> Record | None:
        """The application filed under this number; None if unknown (or not a valid number)."""
        if not is_safe_name(acceptance_number):
            return None
        with self._lock:
            db, _ = open_db(self._paths.number(acceptance_number))
            entry = _single(db, "number") or {}
            app_id = entry.get("app_id")
            if not is_safe_name(app_id):
                return None
            record = self.get(app_id)
            if record is None or record.get("acceptance_number") != acceptance_number:
                return None  # written just before a crash that lost the commit
            return record

    # -- outbox ------------------------------------------------------------------------------

    def outbox(self, app_id: str) -> list[Record]:
        with self._lock:
            db, _ = open_db(self._paths.app(check_name(app_id)))
            return [dict(doc) for doc in _ordered(db, "outbox")]

    def pending_outbox(self, channels: Iterable[str] | None = None) -> list[Record]:
        """Messages with status "pending" (each with ``app_id`` and ``id``), oldest first; only
        those of ``channels`` when given (and only their applications are read).

        Ordered by ``created_at``; messages of one application that tie keep the order they
        were queued in.
        """
        found: list[tuple[tuple[float, str, int], Record]] = []
        wanted = None if channels is None else set(channels)
        with self._lock:
            ids: set[str] = set()
            folders = sorted(p.name for p in self._paths.pending.iterdir() if p.is_dir()) \
                if self._paths.pending.is_dir() else []
            for channel in folders:
                if wanted is None or channel in wanted:
                    ids.update(_ids_in(self._paths.pending / channel))
            for app_id in sorted(ids):
                messages = self.outbox(app_id)
                pending = [m for m in messages if m.get("status") == PENDING]
                self._sync_markers(app_id, pending)
                if wanted is not None:
                    pending = [m for m in pending if m.get("channel") in wanted]
                for position, message in enumerate(pending):
                    key = (_instant(message.get("created_at")), app_id, position)
                    found.append((key, {**message, "app_id": app_id}))
        found.sort(key=lambda item: item[0])
        return [message for _, message in found]

    def _sync_markers(self, app_id: str, pending: list[Record]) -> None:
        """Drop the markers of channels with nothing pending for this application."""
        left = {str(m.get("channel")) for m in pending}
        if self._paths.pending.is_dir():
            for folder in self._paths.pending.iterdir():
                if folder.is_dir() and folder.name not in left:
                    remove_file(folder / f"{app_id}.json")

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        """Set a message's status (``sent``, ``failed``, ``pending`` to retry …) and merge ``info``.

        Raises KeyError when the application has no such message.
        """
        check_name(app_id)
        if not isinstance(status, str) or not status:
            raise ValueError(f"invalid status: {status!r}")
        if reserved := {"id", "app_id"} & info.keys():
            raise ValueError(f"cannot change {sorted(reserved)} of an outbox message")
        with self._lock:
            db, buffer = open_db(self._paths.app(app_id))
            table = db.table("outbox")
            target = next((doc for doc in table.all() if doc.get("id") == message_id), None)
            if target is None:
                raise KeyError(f"no outbox message {message_id!r} in application {app_id}")
            table.update({**info, "status": status}, doc_ids=[target.doc_id])
            pending = [dict(doc) for doc in table.all() if doc.get("status") == PENDING]
            channels = sorted({str(m.get("channel")) for m in pending})

            def ahead() -> None:
                for channel in channels:
                    self._mark_pending(app_id, channel)

            buffer.flush(before_write=ahead)
            self._sync_markers(app_id, pending)

    # -- seen ids ----------------------------------------------------------------------------

    def mark_seen(self, namespace: str, key: str) -> bool:
        """Remember an event/message id; True the first time, False when already seen."""
        if not isinstance(namespace, str) or not isinstance(key, str):
            raise ValueError("namespace and key must be strings")
        with self._lock:
            db, buffer = open_db(self._paths.seen_shard(namespace, key))
            shard = _single(db, "seen") or {}
            entries = dict(shard.get(namespace) or {})
            if key in entries:
                return False
            entries[key] = int(self._now().timestamp())  # whole seconds: fixed-size entries
            _put_single(db, "seen", {**shard, namespace: entries})
            buffer.flush()
            return True

    def prune_seen(self, older_than: datetime) -> int:
        """Forget seen ids recorded before ``older_than`` (aware); returns how many."""
        if older_than.tzinfo is None:
            raise ValueError("older_than must be timezone-aware")
        cutoff = older_than.timestamp()
        removed = 0
        shards = sorted(self._paths.seen.glob("*.json")) if self._paths.seen.is_dir() else []
        for path in shards:
            with self._lock:  # one shard at a time: never blocks the others for long
                db, buffer = open_db(path)
                shard = _single(db, "seen") or {}
                kept: dict[str, dict[str, float]] = {}
                for namespace, entries in shard.items():
                    fresh = {k: at for k, at in entries.items() if at >= cutoff}
                    removed += len(entries) - len(fresh)
                    if fresh:
                        kept[namespace] = fresh
                if kept != shard:
                    _put_single(db, "seen", kept)
                    buffer.flush()
        return removed

    # -- maintenance -------------------------------------------------------------------------

    def sweep_temp_files(self) -> int:
        """Delete temp files a killed writer left behind; returns how many.

        Every write holds the lock, so under it any temp file is an orphan.
        """
        removed = 0
        with self._lock:
            for folder, _, names in os.walk(self._paths.root):
                for name in names:
                    if is_temp_file(name):
                        remove_file(Path(folder) / name)
                        removed += 1
        return removed

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(JST)

    def _new_message(self, message: object, app_id: str) -> Record:
        fields = _mapping(message, "outbox message")
        if not isinstance(fields.get("id"), str) or not fields["id"]:
            raise ValueError("an outbox message needs a non-empty string id")
        if fields.get("app_id", app_id) != app_id:
            raise ValueError("an outbox message belongs to the application it is committed with")
        fields.setdefault("status", PENDING)
        fields.setdefault("created_at", self._now().isoformat())
        return fields

    def _index_person(self, person_key: str, app_id: str) -> None:
        db, buffer = open_db(self._paths.person(person_key))
        table = db.table("apps")
        if any(doc.get("app_id") == app_id for doc in table.all()):
            return
        table.insert({"app_id": app_id})
        buffer.flush()

    def _index_number(self, number: str, app_id: str) -> None:
        db, buffer = open_db(self._paths.number(number))
        owner = (_single(db, "number") or {}).get("app_id")
        if owner == app_id:
            return
        if is_safe_name(owner) and self.by_number(number) is not None:
            raise ValueError(f"acceptance number {number} already belongs to {owner}")
        _put_single(db, "number", {"acceptance_number": number, "app_id": app_id})
        buffer.flush()

    def wakeups_due(self, day: str) -> list[tuple[str, str]]:
        """(day, app id) of every wake-up marker on or before ``day`` (ISO), oldest first.

        Markers are written ahead of the record: the caller checks the record's own
        ``wakeup`` and drops markers that no longer match."""
        found: list[tuple[str, str]] = []
        with self._lock:
            if self._paths.wakeups.is_dir():
                for folder in sorted(self._paths.wakeups.iterdir()):
                    if folder.name > day or not folder.is_dir():
                        continue
                    found += [(folder.name, p.stem) for p in sorted(folder.glob("*.json"))
                              if is_safe_name(p.stem)]
        return found

    def drop_wakeup(self, day: str, app_id: str) -> None:
        with self._lock:
            remove_file(self._paths.wakeup(check_name(day, "wakeup day"), check_name(app_id)))

    def _mark_wakeup(self, app_id: str, day: str) -> None:
        marker = self._paths.wakeup(day, app_id)
        if marker.exists():
            return
        db, buffer = open_db(marker)
        _put_single(db, "wakeup", {"app_id": app_id, "day": day})
        buffer.flush()

    def _mark_pending(self, app_id: str, channel: str) -> None:
        marker = self._paths.pending_marker(app_id, channel)
        if marker.exists():
            return
        db, buffer = open_db(marker)
        _put_single(db, "pending", {"app_id": app_id})
        buffer.flush()


def _single(db: TinyDB, table: str) -> Record | None:
    doc = db.table(table).get(doc_id=1)
    return dict(doc) if isinstance(doc, Mapping) else None


def _put_single(db: TinyDB, table: str, fields: Record) -> None:
    target = db.table(table)
    target.truncate()
    target.insert(Document(fields, doc_id=1))


def _ordered(db: TinyDB, table: str) -> list[Document]:
    return sorted(db.table(table).all(), key=lambda doc: doc.doc_id)


def _ids_in(folder: Path) -> list[str]:
    """Ids named by ``<id>.json`` files in a folder, sorted; temp files skipped."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    ids = (name[: -len(".json")] for name in names if name.endswith(".json"))
    return sorted(i for i in ids if is_safe_name(i))


def _mapping(value: object, what: str) -> Record:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping")
    return dict(value)


def _people(record: Mapping[str, Any]) -> list[str]:
    people = record.get("people") or []
    if not isinstance(people, list | tuple) or not all(isinstance(p, str) for p in people):
        raise ValueError("record people must be a list of person keys")
    return list(dict.fromkeys(people))


def _people_or_none(record: Record | None) -> list[str]:
    if record is None:
        return []
    people = record.get("people")
    return people if isinstance(people, list) else []


def _instant(value: object) -> float:
    """Seconds since the epoch for an ISO timestamp (naive = Japan time); unknown sorts last."""
    if not isinstance(value, str):
        return math.inf
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return math.inf
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.timestamp()
