"""``db migrate``, the schema check at start, and ``db import`` of a real data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bot.config import Config
from handlers import bootstrap
from store.postgres import PgStore, SchemaMismatch, schema
from tests import pg

ROOT = Path(__file__).resolve().parents[2]
FORMAT1 = ROOT / "tests" / "fixtures" / "format1"


def cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEBNACCS_DATABASE_URL": url, "WEBNACCS_LANG": "ja"}
    env.pop("WEBNACCS_SECRET", None)
    return subprocess.run([sys.executable, "-m", "handlers", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_migrate_makes_the_schema_and_a_replica_refuses_one_it_does_not_know():
    with pg.fresh_schema(migrated=False) as url:
        with pytest.raises(SchemaMismatch, match="db migrate"):
            PgStore(url)
        first = cli("db", "migrate", url=url)
        assert first.returncode == 0, first.stderr
        assert f"（現在 {schema.latest()}）" in first.stdout
        again = cli("db", "migrate", url=url)
        assert again.returncode == 0 and "最新" in again.stdout  # nothing to do the second time
        PgStore(url).close()  # it runs now
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO webnaccs_schema (version) VALUES (%s)", (schema.latest() + 1,))
        with pytest.raises(SchemaMismatch, match="newer"):
            PgStore(url)


def test_import_moves_a_data_directory_and_adds_nothing_the_second_time(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FORMAT1, data)
    # the key the fixture's release sealed its ID通知 codes with, as a data dir keeps it
    (data / "secret.key").write_text(b"format1-fixture-secret".hex(), encoding="ascii")
    with pg.fresh_schema() as url:
        done = cli("db", "import", str(data), url=url)
        assert done.returncode == 0, done.stderr
        assert "申込 2 件" in done.stdout
        again = cli("db", "import", str(data), url=url)
        assert again.returncode == 1 and "--into-non-empty" in again.stderr  # refused: not empty
        merged = cli("db", "import", str(data), "--into-non-empty", url=url)
        assert merged.returncode == 0 and "既にあったもの 2 件" in merged.stdout

        bot = bootstrap.build(Config(data_dir=tmp_path / "replica", database_url=url))
        try:
            filed = bot.service.find("260001A")
            assert filed is not None and filed.state == "approved"
            assert next(e["action"] for e in bot.store.audit(filed.id)) == "created"
            assert bot.secret == b"format1-fixture-secret"
            assert len(bot.service.id_codes(filed)) == 2  # sealed there, opened here
            assert bot.store.next_acceptance_serial(26) == 2
            pending = {m["kind"] for m in bot.store.pending_outbox()}
            assert pending == {"review", "reply"}
        finally:
            bot.store.close()
