"""``TinyStore``: the ``bot.ports.Store`` on files under a data directory.

A commit is ONE journal line and one ``fdatasync``; the state it leaves is kept in memory, so a
turn neither re-reads nor rewrites anything. A checkpoint (``serve`` takes one every so often,
off the hot path) moves what the journal says into the application files, their histories and
the indexes, then drops the segments it covered. Every process that opens the directory follows
the journal under the lock, so ``serve`` and the command line see each other's writes.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.ports import Clock
from store import checks
from store.atomic import DIR_MODE, FILE_MODE, atomic_write_bytes, ensure_dir, is_temp_file, remove_file
from store.lock import StoreLock
from store.tiny import apps, indexes, migrate, seen
from store.tiny.apps import SENT, Record
from store.tiny.indexes import Indexes
from store.tiny.journal import Journal
from store.tiny.layout import Layout, check_name, is_safe_name
from store.tiny.memory import Memory

JST = ZoneInfo("Asia/Tokyo")
PENDING = "pending"


class OwnedElsewhere(RuntimeError):
    """Another ``serve`` owns the data directory."""


class StoreBroken(OSError):
    """A sync of the journal failed: what is in memory may not be on disk, so nothing more is
    acknowledged until the service restarts (and reads what the disk really holds)."""


class TinyStore:
    """Durable state in ``data_dir``; safe for threads and for several processes."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None) -> None:
        root = Path(data_dir)
        ensure_dir(root)
        os.chmod(root, DIR_MODE)  # it holds secrets; only the owner may look inside
        self._paths = Layout(root)
        self._lock = StoreLock(self._paths.lock)
        self._clock = clock
        self._owner_fd: int | None = None
        self._local = threading.local()  # per thread: how far its turn's commits must be synced
        self._unsynced: dict[tuple[str, str], int] = {}  # messages not to be sent before then
        self._broken = ""
        with self._lock:
            migrate.if_needed(self._paths)
            self._memory = Memory(self._paths, Indexes.load(self._paths))
            self._journal = Journal(self._paths.journal)
            self._journal.seq = self._memory.index.seq
            self._journal.drop_through(self._memory.index.seq - 1)  # a checkpoint cut short after its meta
            self._follow()

    @contextmanager
    def locked(self, *keys: str) -> Iterator[None]:
        """Serialise a read-modify-write sequence across threads and processes (``keys``
        name what it is about; one directory has one lock, so they need not be told apart).

        What it commits is on disk when it returns: the sync is taken once the lock is let go,
        so the next turn need not wait for this one's disk (and one sync serves many)."""
        with self._lock:
            outermost = self._entered()
            yield
        need: int = getattr(self._local, "need", 0) if outermost else 0
        if need:
            self._local.need = 0
            try:
                self._journal.sync_to(need)
            except OSError as e:  # what is in memory may not be on disk: nothing more is promised
                self._broken = f"the journal could not be synced ({e}); restart the service"
                raise StoreBroken(self._broken) from e

    def close(self) -> None:
        self._journal.close()
        self._lock.close()
        self.disown()

    def disown(self) -> None:
        self._journal.sole_rotator = False
        if self._owner_fd is not None:
            os.close(self._owner_fd)
            self._owner_fd = None

    def listen(self, wake: Callable[[], None]) -> None:
        """Nothing to listen to: one process owns the directory, and its own commits ring the
        signal (``Service(notify=…)``)."""

    def own(self) -> None:
        """Claim the directory for this process (``serve``): only the owner takes checkpoints."""
        fd = os.open(self._paths.owner, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OwnedElsewhere(f"another webnaccs-bot serve is using {self._paths.root}") from None
        self._owner_fd = fd
        self._journal.sole_rotator = True

    # -- applications ------------------------------------------------------------------------

    def get(self, app_id: str) -> Record | None:
        check_name(app_id)
        with self.locked():
            state = self._memory.state(app_id)
            return state.decoded() if state else None

    def commit(self, record: Record, *, audit: Sequence[Mapping[str, Any]] = (),
               outbox: Sequence[Mapping[str, Any]] = (), sync: bool = True) -> None:
        """The record, its audit entries and its outgoing messages in ONE journal line, synced
        (``sync`` False: written, durable with the next sync or checkpoint).

        When this returns, all of it survives a crash; when it raises, none of it is there."""
        app_id = checks.record(record)
        number = record.get("acceptance_number")
        entries = [checks.mapping(entry, "audit entry") for entry in audit]
        messages = [checks.message(message, app_id, self._now()) for message in outbox]
        with self.locked():
            state = self._memory.state(app_id)
            known = set(state.outbox) if state else set()
            for message in messages:
                if message["id"] in known:
                    raise ValueError(f"duplicate outbox message id {message['id']!r}")
                known.add(message["id"])
            if number is not None:
                owner = self._memory.index.owner(number)
                if owner not in (None, app_id) and (self.get(owner) or {}).get("acceptance_number") == number:
                    raise ValueError(f"acceptance number {number} already belongs to {owner}")
            entry = {"op": "commit", "app": app_id, "rev": (state.rev if state else 0) + 1,
                     "record": dict(record), "audit": entries, "outbox": messages}
            position = self._journal.append(entry, sync=False)
            self._memory.apply(entry)
            if sync:  # synced when the turn lets go of the lock; its messages wait for that
                self._local.need = max(getattr(self._local, "need", 0), position)
                for message in messages:
                    self._unsynced[(app_id, message["id"])] = position

    def records_of(self, person_key: str) -> list[Record]:
        """The records of a person's applications, oldest first (the record, not the index,
        decides whether the person takes part)."""
        with self.locked():
            records = [self.get(app_id) for app_id in self._memory.index.apps_of(person_key) if is_safe_name(app_id)]
            return [r for r in records if r is not None and person_key in (r.get("people") or ())]

    def all_ids(self) -> Iterator[str]:
        """Every stored application id, sorted (walks the folder: for operators, not hot paths)."""
        ids: set[str] = set()
        with self.locked():
            ids |= set(self._memory.dirty)
            if self._paths.apps.is_dir():
                for shard in self._paths.apps.iterdir():
                    if shard.is_dir():
                        ids |= {n[:-5] for n in os.listdir(shard) if n.endswith(".json") and is_safe_name(n[:-5])}
        return iter(sorted(ids))

    def audit(self, app_id: str) -> list[Record]:
        with self.locked():
            archived, _ = apps.history(self._paths.history(check_name(app_id)))
            state = self._memory.state(app_id)
            merged = {**archived, **{(rev, n): entry for rev, n, entry in (state.audit if state else [])}}
            return [dict(merged[k]) for k in sorted(merged)]

    # -- acceptance numbers ------------------------------------------------------------------

    def next_acceptance_serial(self, year: int) -> int:
        """The next serial (1, 2, …) for a two-digit filing year; never returns one twice.

        It is in the journal before it is returned (synced by the commit that uses it)."""
        if isinstance(year, bool) or not isinstance(year, int) or not 0 <= year <= 99:
            raise ValueError(f"invalid two-digit year: {year!r}")
        with self.locked():
            serial = self._memory.index.next_serial(year)
            self._journal.append({"op": "serial", "year": f"{year:02d}", "last": serial}, sync=False)
            return serial

    def by_number(self, acceptance_number: str) -> Record | None:
        """The application filed under this number; None if unknown (or not a valid number)."""
        if not is_safe_name(acceptance_number):
            return None
        with self.locked():
            owner = self._memory.index.owner(acceptance_number)
            record = self.get(owner) if is_safe_name(owner) else None
            if record is None or record.get("acceptance_number") != acceptance_number:
                return None
            return record

    # -- outbox ------------------------------------------------------------------------------

    def outbox(self, app_id: str) -> list[Record]:
        """Every message of the application: those sent (from its history), then the others."""
        with self.locked():
            _, sent = apps.history(self._paths.history(check_name(app_id)))
            state = self._memory.state(app_id)
            current = state.outbox if state else {}
            return [dict(m) for m in sent if m.get("id") not in current] + [dict(m) for m in current.values()]

    def outbox_message(self, app_id: str, message_id: str) -> Record | None:
        """In memory while it is pending or lately archived; only an older one is looked for
        in the application's history."""
        with self.locked():
            state = self._memory.state(check_name(app_id))
            if state is not None and message_id in state.outbox:
                return dict(state.outbox[message_id])
            kept = self._memory.archived_message(app_id, message_id)
            if kept is not None:
                return dict(kept)
            _, sent = apps.history(self._paths.history(app_id))
            return next((dict(m) for m in sent if m.get("id") == message_id), None)

    def pending_outbox(self, channels: Iterable[str] | None = None) -> list[Record]:
        """Messages with status "pending" (each with ``app_id``), oldest first; only those of
        ``channels`` when given. A read: it changes nothing."""
        wanted = None if channels is None else set(channels)
        found: list[tuple[tuple[float, str, int], Record]] = []
        with self.locked():
            synced = self._journal.synced
            self._unsynced = {k: v for k, v in self._unsynced.items() if v > synced}
            for app_id in sorted(self._memory.index.pending_ids(wanted)):
                state = self._memory.state(app_id)
                pending = [m for m in (state.outbox.values() if state else ()) if m.get("status") == PENDING]
                for position, message in enumerate(pending):
                    if (app_id, message["id"]) in self._unsynced:
                        continue  # its turn is not on disk yet: it is not sent before it is
                    if wanted is None or message.get("channel") in wanted:
                        key = (checks.instant(message.get("created_at")), app_id, position)
                        found.append((key, {**message, "app_id": app_id}))
        found.sort(key=lambda item: item[0])
        return [message for _, message in found]

    def claim_outbox(self, channels: Iterable[str], *, lease_seconds: float) -> list[Record]:
        """What a dispatcher should deliver now: one process owns the directory, so this is
        every pending message (PostgreSQL leases them instead)."""
        return self.pending_outbox(channels)

    def claim_outbox_now(self, channels: Iterable[str], *, lease_seconds: float) -> list[Record] | None:
        """``claim_outbox`` when the lock is free this instant, else None: the dispatcher asks
        from the event loop, which must never wait for a turn (it asks a thread then). The
        pending messages are in memory; what another process wrote is one ``fstat`` away."""
        if not self._lock.try_enter():
            return None
        try:
            self._entered()
            return self.pending_outbox(channels)  # the lock again, re-entered: no second look
        finally:
            self._lock.__exit__(None, None, None)

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        """Set a message's status (``sent``, ``failed``, ``pending`` to retry …) and merge ``info``.

        One journal line, not synced (it survives a killed process; a power cut may send the
        message again). Raises KeyError when the application has no such message."""
        check_name(app_id)
        if not isinstance(status, str) or not status:
            raise ValueError(f"invalid status: {status!r}")
        if reserved := {"id", "app_id"} & info.keys():
            raise ValueError(f"cannot change {sorted(reserved)} of an outbox message")
        with self.locked():
            state = self._memory.state(app_id)
            if state is None or message_id not in state.outbox:
                raise KeyError(f"no outbox message {message_id!r} in application {app_id}")
            entry = {"op": "mark", "app": app_id, "id": message_id, "status": status, "info": info}
            self._journal.append(entry, sync=False)
            self._memory.apply(entry)

    # -- wake-ups ----------------------------------------------------------------------------

    def wakeups_due(self, day: str) -> list[tuple[str, str]]:
        """(day, app id) of every application whose ``wakeup`` is on or before ``day``."""
        with self.locked():
            return sorted((d, i) for i, d in self._memory.index.wakeups.items() if d <= day)

    def drop_wakeup(self, day: str, app_id: str) -> None:
        with self.locked():
            if self._memory.index.wakeups.get(app_id) == day:
                self._memory.index.set_wakeup(app_id, None)

    # -- seen ids ----------------------------------------------------------------------------

    def mark_seen(self, namespace: str, key: str) -> bool:
        """Remember an event/message id; True the first time, False when already seen."""
        if not isinstance(namespace, str) or not isinstance(key, str):
            raise ValueError("namespace and key must be strings")
        with self.locked():
            return seen.mark(self._paths, namespace, key, self._now())

    def prune_seen(self, older_than: datetime) -> int:
        """Forget seen ids recorded before ``older_than`` (aware); returns how many."""
        if older_than.tzinfo is None:
            raise ValueError("older_than must be timezone-aware")
        removed = 0
        for path in seen.shards(self._paths):
            with self.locked():  # one shard at a time: never blocks the others for long
                removed += seen.prune(path, older_than.timestamp())
        return removed

    # -- maintenance -------------------------------------------------------------------------

    def checkpoint(self) -> int:
        """Write what the journal holds into the files and drop the segments it covered;
        returns how many applications were written. The files are written outside the lock,
        so turns go on meanwhile (their lines go to the new segment)."""
        with self.locked():
            if not self._memory.dirty and self._journal.offset == 0:
                return 0
            covered = self._journal.rotate()
            memory = self._memory
            taken = {app_id: (state.copy(), memory.touched.get(app_id, 0)) for app_id, state in memory.dirty.items()}
            snap = self._memory.index.snapshot(self._journal.seq)
        try:
            for app_id, (state, _) in taken.items():
                sent = [m for m in state.outbox.values() if m.get("status") == SENT]
                apps.archive(self._paths.history(app_id), state.audit, sent)
                apps.save(self._paths.app(app_id), state)
            indexes.write(self._paths, snap, atomic_write_bytes)
        except BaseException:
            with self.locked():
                self._memory.index.restore_dirty(snap)
            raise
        with self.locked():
            self._journal.drop_through(covered)
            for app_id, (state, touched) in taken.items():
                self._memory.archived(app_id, state, touched)
        return len(taken)

    def sweep_temp_files(self) -> int:
        """Delete temp files a killed writer left behind; returns how many.

        Every write holds the lock, so under it any temp file is an orphan."""
        removed = 0
        with self.locked():
            for folder, _, names in os.walk(self._paths.root):
                for name in names:
                    if is_temp_file(name):
                        remove_file(Path(folder) / name)
                        removed += 1
        return removed

    # -- internals ---------------------------------------------------------------------------

    def _entered(self) -> bool:
        """Just after taking the lock: refuse when broken; at the outer-most level, look at what
        other processes wrote. Returns whether this is the outer-most level."""
        if self._broken:
            raise StoreBroken(self._broken)
        if not self._lock.outermost:
            return False
        self._local.need = 0
        self._follow()
        return True

    def _follow(self) -> None:
        for entry in self._journal.follow(writer=True):
            self._memory.apply(entry)
        if self._journal.dropped:
            # Another process (serve) checkpointed and dropped the segment this one was reading:
            # lines we had not read yet are only in the files now, so what we hold may be stale.
            # Everything we held came from the journal, which the checkpoint took in: start over
            # from the files, then follow the segments left.
            self._journal.dropped = self._journal.reading = False
            self._memory = Memory(self._paths, Indexes.load(self._paths))
            self._journal.seq, self._journal.offset = self._memory.index.seq, 0
            for entry in self._journal.follow(writer=True):
                self._memory.apply(entry)

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(JST)
