"""The inbound mail spool in PostgreSQL: a mail accepted with 250 by any replica is a committed
row before the 250, and any replica may process it (the same interface as ``store.spool.Spool``)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from psycopg.types.json import Jsonb

from store.postgres.store import PgStore
from store.spool import Spooled

CLAIM = 300  # seconds a replica has a mail it started on; then another may take it over


class PgSpool:
    def __init__(self, store: PgStore) -> None:
        self._store = store

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str:
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.mail"
        with self._store._conn() as (conn, _):
            conn.execute("INSERT INTO spool (name, envelope, raw) VALUES (%s, %s, %s)", (name, Jsonb(envelope), raw))
        return name

    def names(self) -> list[str]:
        """Mails waiting that no replica is working on (or whose replica went quiet), oldest first."""
        with self._store._conn() as (conn, _):
            rows = conn.execute("SELECT name FROM spool WHERE status = 'waiting' AND (claimed_until IS NULL "
                                "OR claimed_until < now()) ORDER BY received_seq").fetchall()
        return [r[0] for r in rows]

    def read(self, name: str) -> Spooled:
        """The mail, claimed for this replica; FileNotFoundError when it is gone or another has it."""
        with self._store._conn() as (conn, _):
            row = conn.execute(
                "UPDATE spool SET claimed_until = now() + make_interval(secs => %s), claimed_by = %s "
                "WHERE name = %s AND status = 'waiting' AND (claimed_until IS NULL OR claimed_until < now() "
                "OR claimed_by = %s) RETURNING envelope, raw",
                (CLAIM, self._store.replica, name, self._store.replica)).fetchone()
        if row is None:
            raise FileNotFoundError(name)
        return Spooled(name, dict(row[0]), bytes(row[1]))

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

    def set_aside(self, name: str) -> None:
        with self._store._conn() as (conn, _):
            conn.execute("UPDATE spool SET status = 'failed', claimed_until = NULL WHERE name = %s", (name,))
