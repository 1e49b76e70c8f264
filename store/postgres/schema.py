"""Schema migrations, versioned in the package (``migrations/NNNN_*.sql``), applied by
``webnaccs-bot db migrate`` and checked by every replica at start."""

from __future__ import annotations

import re
from importlib import resources

import psycopg

LOCK = 72_617_301  # pg_advisory_lock key: one migrator at a time
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this release knows."""


def known() -> list[tuple[int, str]]:
    """(version, SQL) of every migration shipped, in order."""
    folder = resources.files("store.postgres") / "migrations"
    found = [(int(m.group(1)), entry.read_text(encoding="utf-8"))
             for entry in folder.iterdir() if (m := _NAME.match(entry.name))]
    return sorted(found)


def latest() -> int:
    return known()[-1][0]


def current(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    exists = conn.execute("SELECT to_regclass('webnaccs_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM webnaccs_schema").fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def migrate(conn: psycopg.Connection[tuple[object, ...]]) -> list[int]:
    """Apply what is missing, each migration in its own transaction; returns the versions applied."""
    applied: list[int] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK,))
    try:
        with conn.transaction():
            conn.execute("CREATE TABLE IF NOT EXISTS webnaccs_schema (version integer PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")
        have = current(conn)
        if have > latest():
            raise SchemaMismatch(f"the database has schema {have}; this release knows up to {latest()}")
        for version, sql in known():
            if version > have:
                with conn.transaction():
                    conn.execute(sql.encode())
                    conn.execute("INSERT INTO webnaccs_schema (version) VALUES (%s)", (version,))
                applied.append(version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
    return applied


def check(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Refuse to run on a schema this release does not know, with what to do about it."""
    have, want = current(conn), latest()
    if have < want:
        raise SchemaMismatch(f"the database has schema {have}, this release needs {want}: "
                             "run `webnaccs-bot db migrate` first")
    if have > want:
        raise SchemaMismatch(f"the database has schema {have}, newer than this release knows ({want}): "
                             "upgrade webnaccs-bot on this machine")
