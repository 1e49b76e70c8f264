"""PostgreSQL for the tests: a fresh schema per test on the server of this machine (and CI's),
127.0.0.1:5432, trust authentication, database ``test``; dropped afterwards. Without a server
the tests skip with the reason — except under CI=true, where that is a failure."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest

BASE = os.environ.get("WEBNACCS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(BASE, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as e:
        return f"PostgreSQL at {BASE} is not reachable ({type(e).__name__}: {e})".splitlines()[0]


def require() -> None:
    """Skip (or, under CI=true, fail) when there is no server."""
    reason = reachable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
    pytest.skip(reason)


@contextmanager
def fresh_schema(*, migrated: bool = True) -> Iterator[str]:
    """A URL whose connections use a schema of their own (``search_path``), dropped at the end."""
    import psycopg

    from store.postgres import schema

    require()
    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in BASE else "?"
    url = f"{BASE}{sep}options={quote(f'-csearch_path={name}')}"
    try:
        if migrated:
            with psycopg.connect(url, autocommit=True) as conn:
                schema.migrate(conn)
        yield url
    finally:
        with psycopg.connect(BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")
