"""``PgStore``: the ``bot.ports.Store`` on PostgreSQL, for several replicas of ``serve``.

A turn is one transaction: ``locked(*keys)`` opens it on a pooled connection bound to the
thread and takes an advisory lock per key (the people, or the application, the turn is about),
and every read inside it locks the rows it reads (``FOR UPDATE``), so a reviewer's decision and
the applicant's answer to the same application wait for each other. Acceptance numbers come
from a counter row updated in the filing's transaction; outbox messages are claimed by one
replica at a time with ``FOR UPDATE SKIP LOCKED`` and a lease; a commit that queues messages
sends ``NOTIFY webnaccs_outbox`` so any replica's dispatcher wakes.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import errors
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.ports import Clock, Conflict, Record
from store import checks
from store.postgres import schema
from store.tiny.layout import check_name, is_safe_name

log = logging.getLogger("webnaccs.store.postgres")
JST = ZoneInfo("Asia/Tokyo")
CHANNEL = "webnaccs_outbox"
Conn = psycopg.Connection[tuple[Any, ...]]


class PgStore:
    """Durable state in one PostgreSQL database, shared by every replica."""

    def __init__(self, url: str, *, clock: Clock | None = None, pool_size: int = 8,
                 check_schema: bool = True) -> None:
        self.url = url
        self._clock = clock
        self.replica = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True, "row_factory": tuple_row},
            open=True, name="webnaccs")
        self._local = threading.local()
        self._listeners: list[threading.Event] = []
        if check_schema:
            try:
                with self._pool.connection() as conn:
                    schema.check(conn)
            except BaseException:
                self._pool.close()
                raise

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def locked(self, *keys: str) -> Iterator[None]:
        """One transaction for what the body does, holding an advisory lock per key."""
        held: Conn | None = getattr(self._local, "conn", None)
        if held is not None:  # nested: the same transaction, perhaps more keys
            self._lock_keys(held, keys)
            yield
            return
        try:
            with self._pool.connection() as conn, conn.transaction():
                self._local.conn = conn
                try:
                    self._lock_keys(conn, keys)
                    yield
                finally:
                    self._local.conn = None
        except (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable) as e:
            raise Conflict(str(e)) from e

    @staticmethod
    def _lock_keys(conn: Conn, keys: Sequence[str]) -> None:
        for key in sorted(set(keys)):  # one order everywhere: no deadlock between two turns
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    @contextmanager
    def _conn(self) -> Iterator[tuple[Conn, bool]]:
        """The turn's connection (True: inside ``locked``), or one from the pool."""
        held: Conn | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held, True
            return
        with self._pool.connection() as conn:
            yield conn, False

    def close(self) -> None:
        for stop in self._listeners:
            stop.set()
        self._pool.close()

    # -- applications ------------------------------------------------------------------------

    def get(self, app_id: str) -> Record | None:
        check_name(app_id)
        with self._conn() as (conn, turn):
            row = conn.execute("SELECT record FROM applications WHERE id = %s" + _for_update(turn),
                               (app_id,)).fetchone()
        return dict(row[0]) if row else None

    def commit(self, record: Record, *, audit: Sequence[Mapping[str, Any]] = (),
               outbox: Sequence[Mapping[str, Any]] = (), sync: bool = True) -> None:
        """Record, audit entries and messages in one transaction (a savepoint inside a turn)."""
        app_id = checks.record(record)
        people, number = checks.people(record), record.get("acceptance_number")
        entries = [checks.mapping(e, "audit entry") for e in audit]
        messages = [checks.message(m, app_id, self._now()) for m in outbox]
        ids = [m["id"] for m in messages]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate outbox message id in {ids!r}")
        with self.locked(), self._conn() as (conn, _), conn.transaction():
            if not sync:  # the message it answers is kept by its channel until this is durable
                conn.execute("SET LOCAL synchronous_commit = off")
            try:
                with conn.transaction():  # a savepoint: a refused number leaves the turn usable
                    conn.execute(
                        "INSERT INTO applications (id, rev, record, acceptance_number, wakeup) "
                        "VALUES (%s, 1, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET rev = applications.rev + 1, "
                        "record = EXCLUDED.record, acceptance_number = EXCLUDED.acceptance_number, "
                        "wakeup = EXCLUDED.wakeup", (app_id, Jsonb(dict(record)), number, record.get("wakeup")))
            except errors.UniqueViolation:
                owner = conn.execute("SELECT id FROM applications WHERE acceptance_number = %s",
                                     (number,)).fetchone()
                raise ValueError(f"acceptance number {number} already belongs to {owner[0] if owner else '?'}") \
                    from None
            for person in people:
                conn.execute("INSERT INTO people (person_key, app_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                             (person, app_id))
            for entry in entries:
                conn.execute("INSERT INTO audit (app_id, entry) VALUES (%s, %s)", (app_id, Jsonb(entry)))
            for message in messages:
                try:
                    conn.execute(
                        "INSERT INTO outbox (app_id, id, message, status, channel, recipient, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (app_id, message["id"], Jsonb(message), message["status"], message.get("channel"),
                         message.get("to"), checks.moment(message.get("created_at"))))
                except errors.UniqueViolation:
                    raise ValueError(f"duplicate outbox message id {message['id']!r}") from None
            if messages:
                conn.execute(f"NOTIFY {CHANNEL}")

    def records_of(self, person_key: str) -> list[Record]:
        """A person's applications, oldest first (the record decides whether they take part)."""
        with self._conn() as (conn, turn):
            rows = conn.execute("SELECT a.record FROM people p JOIN applications a ON a.id = p.app_id "
                                "WHERE p.person_key = %s ORDER BY p.seq" + _for_update(turn, "a"),
                                (person_key,)).fetchall()
        return [dict(r[0]) for r in rows if person_key in (r[0].get("people") or ())]

    def all_ids(self) -> Iterator[str]:
        with self._conn() as (conn, _):
            return iter([r[0] for r in conn.execute("SELECT id FROM applications ORDER BY id").fetchall()])

    def audit(self, app_id: str) -> list[Record]:
        check_name(app_id)
        with self._conn() as (conn, _):
            rows = conn.execute("SELECT entry FROM audit WHERE app_id = %s ORDER BY seq", (app_id,)).fetchall()
        return [dict(r[0]) for r in rows]

    # -- acceptance numbers ------------------------------------------------------------------

    def next_acceptance_serial(self, year: int) -> int:
        """The counter row, updated in the caller's transaction: a filing that does not commit
        hands its serial back, and two filings, on any replicas, never get the same one."""
        if isinstance(year, bool) or not isinstance(year, int) or not 0 <= year <= 99:
            raise ValueError(f"invalid two-digit year: {year!r}")
        with self._conn() as (conn, _):
            row = conn.execute("INSERT INTO serials (year, last) VALUES (%s, 1) ON CONFLICT (year) "
                               "DO UPDATE SET last = serials.last + 1 RETURNING last", (year,)).fetchone()
        assert row is not None
        return int(row[0])

    def by_number(self, acceptance_number: str) -> Record | None:
        if not is_safe_name(acceptance_number):
            return None
        with self._conn() as (conn, turn):
            row = conn.execute("SELECT record FROM applications WHERE acceptance_number = %s" + _for_update(turn),
                               (acceptance_number,)).fetchone()
        return dict(row[0]) if row else None

    # -- outbox ------------------------------------------------------------------------------

    def outbox(self, app_id: str) -> list[Record]:
        check_name(app_id)
        with self._conn() as (conn, _):
            rows = conn.execute("SELECT message FROM outbox WHERE app_id = %s ORDER BY seq", (app_id,)).fetchall()
        return [dict(r[0]) for r in rows]

    def outbox_message(self, app_id: str, message_id: str) -> Record | None:
        check_name(app_id)
        with self._conn() as (conn, _):
            row = conn.execute("SELECT message FROM outbox WHERE app_id = %s AND id = %s",
                               (app_id, message_id)).fetchone()
        return dict(row[0]) if row else None

    def pending_outbox(self, channels: Iterable[str] | None = None) -> list[Record]:
        wanted = None if channels is None else list(channels)
        with self._conn() as (conn, _):
            rows = conn.execute(
                "SELECT app_id, message FROM outbox WHERE status = 'pending' "
                "AND (%(all)s OR channel = ANY(%(channels)s)) ORDER BY created_at NULLS LAST, app_id, seq",
                {"all": wanted is None, "channels": wanted or []}).fetchall()
        return [{**r[1], "app_id": r[0]} for r in rows]

    def claim_outbox(self, channels: Iterable[str], *, lease_seconds: float) -> list[Record]:
        """Pending messages this replica may deliver now, leased to it for ``lease_seconds``:
        none that another replica holds, and none queued behind a message to the same recipient
        that another replica holds (each recipient's messages go out in order). A message whose
        lease ran out unmarked (its replica died while delivering it) comes with ``maybe_sent``."""
        with self._conn() as (conn, _):
            rows = conn.execute(
                "WITH due AS (SELECT o.app_id, o.id, o.lease_owner AS held_by FROM outbox o WHERE o.status = 'pending' "
                "AND o.channel = ANY(%(channels)s) "
                "AND (o.lease_until IS NULL OR o.lease_until < now() OR o.lease_owner = %(me)s) "
                "AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.channel = o.channel "
                "AND e.recipient IS NOT DISTINCT FROM o.recipient AND (e.created_at, e.seq) < (o.created_at, o.seq) "
                "AND e.lease_until > now() AND e.lease_owner <> %(me)s) "
                "ORDER BY o.created_at, o.seq LIMIT 500 FOR UPDATE OF o SKIP LOCKED) "
                "UPDATE outbox SET lease_until = now() + make_interval(secs => %(lease)s), lease_owner = %(me)s "
                "FROM due WHERE outbox.app_id = due.app_id AND outbox.id = due.id "
                "RETURNING outbox.app_id, outbox.message, outbox.created_at, outbox.seq, due.held_by",
                {"channels": list(channels), "me": self.replica, "lease": lease_seconds}).fetchall()
        rows.sort(key=lambda r: (r[2] is None, r[2] or datetime.min.replace(tzinfo=JST), r[3]))
        return [{**r[1], "app_id": r[0], **({"maybe_sent": True} if r[4] not in (None, self.replica) else {})}
                for r in rows]

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        check_name(app_id)
        if not isinstance(status, str) or not status:
            raise ValueError(f"invalid status: {status!r}")
        if reserved := {"id", "app_id"} & info.keys():
            raise ValueError(f"cannot change {sorted(reserved)} of an outbox message")
        with self._conn() as (conn, _):
            done = conn.execute(
                "UPDATE outbox SET message = message || %s, status = %s, lease_until = NULL, lease_owner = NULL "
                "WHERE app_id = %s AND id = %s", (Jsonb({**info, "status": status}), status, app_id, message_id))
        if done.rowcount != 1:
            raise KeyError(f"no outbox message {message_id!r} in application {app_id}")

    def listen(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever any replica queues a message (LISTEN/NOTIFY, in a thread of its
        own; the dispatcher's polling covers the moments it reconnects)."""
        stop = threading.Event()
        self._listeners.append(stop)
        threading.Thread(target=self._listen, args=(wake, stop), name="pg-listen", daemon=True).start()

    def _listen(self, wake: Callable[[], None], stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            wake()
            except psycopg.Error as e:
                log.warning("LISTEN %s lost (%s); polling until it is back", CHANNEL, type(e).__name__)
                stop.wait(2.0)

    # -- wake-ups, seen ids, settings --------------------------------------------------------

    def wakeups_due(self, day: str) -> list[tuple[str, str]]:
        with self._conn() as (conn, _):
            rows = conn.execute("SELECT wakeup, id FROM applications WHERE wakeup IS NOT NULL AND wakeup <= %s "
                                "ORDER BY wakeup, id", (day,)).fetchall()
        return [(r[0], r[1]) for r in rows]

    def drop_wakeup(self, day: str, app_id: str) -> None:
        """Nothing to do: the wake-up day is the record's own column."""

    def mark_seen(self, namespace: str, key: str) -> bool:
        if not isinstance(namespace, str) or not isinstance(key, str):
            raise ValueError("namespace and key must be strings")
        with self._conn() as (conn, _):
            done = conn.execute("INSERT INTO seen (namespace, key, at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (namespace, key, self._now()))
        return done.rowcount == 1

    def prune_seen(self, older_than: datetime) -> int:
        if older_than.tzinfo is None:
            raise ValueError("older_than must be timezone-aware")
        with self._conn() as (conn, _):
            return conn.execute("DELETE FROM seen WHERE at < %s", (older_than,)).rowcount

    def secret(self) -> bytes:
        """The key for reply tokens, links and encryption, shared by every replica (made once)."""
        with self._conn() as (conn, _):
            conn.execute("INSERT INTO settings (name, value) VALUES ('secret', %s) ON CONFLICT DO NOTHING",
                         (secrets.token_hex(32),))
            row = conn.execute("SELECT value FROM settings WHERE name = 'secret'").fetchone()
        assert row is not None
        return bytes.fromhex(row[0])

    # -- what a file store needs and a database does not -------------------------------------

    def checkpoint(self) -> int:
        return 0

    def own(self) -> None:
        """Replicas share the database: nobody owns it."""

    def disown(self) -> None:
        pass

    def sweep_temp_files(self) -> int:
        return 0

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(JST)


def _for_update(turn: bool, table: str | None = None) -> str:
    """Inside a turn, reads lock the rows they read until it ends."""
    return (f" FOR UPDATE OF {table}" if table else " FOR UPDATE") if turn else ""


