"""The inbound mail spool in PostgreSQL: a mail accepted with 250 by any replica is a committed
row before the 250, and any replica may process it (the same interface as ``store.spool.Spool``).

A failed try is kept in the row (``attempts``, ``next_at``, ``reason``): no replica takes the
mail again before ``next_at``, after a restart neither. A mail set aside has status 'failed'
and ``info`` (why, the sender, whether the sender was told) until the operator puts it back."""

from __future__ import annotations

import secrets
import time
from typing import Any

from psycopg.types.json import Jsonb

from store.postgres.store import PgStore
from store.spool import SetAside, Spooled

# Seconds a replica has a mail it started on; then another may take it over (a killed replica's
# mail waited 300 s in the crash drill). Well above the time budget for reading one mail (20 s):
# a mail taken over while still in work is deduplicated by its Message-ID in the turn's write.
CLAIM = 90


class PgSpool:
    def __init__(self, store: PgStore) -> None:
        self._store = store

    def sweep(self) -> int:
        """Nothing to sweep: a row is committed whole or not at all."""
        return 0

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str:
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.mail"
        with self._store._conn() as (conn, _):
            conn.execute("INSERT INTO spool (name, envelope, raw) VALUES (%s, %s, %s)", (name, Jsonb(envelope), raw))
        return name

    def names(self) -> list[str]:
        """Mails waiting and due that no replica is working on (or whose replica went quiet),
        oldest first."""
        with self._store._conn() as (conn, _):
            rows = conn.execute("SELECT name FROM spool WHERE status = 'waiting' AND (claimed_until IS NULL "
                                "OR claimed_until < now()) AND (next_at IS NULL OR next_at <= now()) "
                                "ORDER BY received_seq").fetchall()
        return [r[0] for r in rows]

    def read(self, name: str) -> Spooled:
        """The mail, claimed for this replica; FileNotFoundError when it is gone or another has it."""
        with self._store._conn() as (conn, _):
            row = conn.execute(
                "UPDATE spool SET claimed_until = now() + make_interval(secs => %s), claimed_by = %s "
                "WHERE name = %s AND status = 'waiting' AND (claimed_until IS NULL OR claimed_until < now() "
                "OR claimed_by = %s) RETURNING envelope, raw, attempts",
                (CLAIM, self._store.replica, name, self._store.replica)).fetchone()
        if row is None:
            raise FileNotFoundError(name)
        return Spooled(name, dict(row[0]), bytes(row[1]), int(row[2]))

    def done(self, name: str) -> None:
        with self._store._conn() as (conn, _):
            conn.execute("DELETE FROM spool WHERE name = %s", (name,))

    def processed(self, name: str) -> None:
        """The turn was committed (synchronously: a database has no checkpoint to wait for)."""
        self.done(name)

    @property
    def processed_count(self) -> int:
        return 0

    def release(self, count: int) -> int:
        return 0

    def retry_later(self, name: str, *, attempts: int, delay: float, reason: str) -> None:
        with self._store._conn() as (conn, _):
            conn.execute("UPDATE spool SET attempts = %s, next_at = now() + make_interval(secs => %s), "
                         "reason = %s, claimed_until = NULL, claimed_by = NULL WHERE name = %s",
                         (attempts, delay, reason, name))

    def set_aside(self, name: str, info: dict[str, Any] | None = None) -> None:
        info = info or {}
        with self._store._conn() as (conn, _):
            conn.execute("UPDATE spool SET status = 'failed', claimed_until = NULL, next_at = NULL, "
                         "attempts = %s, reason = %s, info = %s WHERE name = %s",
                         (int(info.get("attempts") or 0), str(info.get("reason") or ""), Jsonb(info), name))

    def set_aside_list(self) -> list[SetAside]:
        with self._store._conn() as (conn, _):
            rows = conn.execute("SELECT name, envelope, info FROM spool WHERE status = 'failed' "
                                "ORDER BY received_seq").fetchall()
        return [SetAside(r[0], dict(r[1]), dict(r[2] or {})) for r in rows]

    def counts(self) -> tuple[int, int]:
        """(mails waiting to be processed, set aside), over every replica."""
        with self._store._conn() as (conn, _):
            row = conn.execute("SELECT count(*) FILTER (WHERE status = 'waiting'), "
                               "count(*) FILTER (WHERE status = 'failed') FROM spool").fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def retrying(self) -> list[SetAside]:
        """Waiting mails with failed tries, oldest first; ``info``: attempts, next_at (ISO), reason."""
        with self._store._conn() as (conn, _):
            rows = conn.execute("SELECT name, envelope, attempts, next_at, reason FROM spool "
                                "WHERE status = 'waiting' AND attempts > 0 ORDER BY received_seq").fetchall()
        return [SetAside(r[0], dict(r[1]), {"attempts": int(r[2]), "next_at": r[3].isoformat() if r[3] else None,
                                            "reason": r[4] or ""}) for r in rows]

    def read_set_aside(self, name: str) -> Spooled:
        with self._store._conn() as (conn, _):
            row = conn.execute("SELECT envelope, raw, attempts FROM spool WHERE name = %s AND status = 'failed'",
                               (name,)).fetchone()
        if row is None:
            raise FileNotFoundError(name)
        return Spooled(name, dict(row[0]), bytes(row[1]), int(row[2]))

    def mark_told(self, name: str) -> None:
        with self._store._conn() as (conn, _):
            conn.execute("UPDATE spool SET info = info || '{\"told\": true}'::jsonb "
                         "WHERE name = %s AND status = 'failed'", (name,))

    def put_back(self, name: str) -> bool:
        with self._store._conn() as (conn, _):
            row = conn.execute("UPDATE spool SET status = 'waiting', attempts = 0, next_at = NULL, reason = NULL, "
                               "info = '{}'::jsonb, claimed_until = NULL, claimed_by = NULL "
                               "WHERE name = %s AND status = 'failed' RETURNING name", (name,)).fetchone()
        return row is not None
