"""``webnaccs-bot db import DATA_DIR``: a TinyDB data directory copied into PostgreSQL, so an
operator can move to replicas without losing an application, a message or a key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg.types.json import Jsonb

from store import checks
from store.postgres.store import PgStore
from store.spool import Spool
from store.tiny import TinyStore


class NotEmpty(RuntimeError):
    """The database already holds applications (import into it only when told to)."""


@dataclass
class Imported:
    applications: int = 0
    skipped: int = 0  # already there, unchanged (an import run twice)
    messages: int = 0
    audit: int = 0
    mails: int = 0


def run(source: Path, target: PgStore, *, into_non_empty: bool = False) -> Imported:
    """Copy every application (record, audit trail, outbox), the serial counters, the mails
    waiting in the spool and the secret key. Idempotent: what is there already is skipped."""
    tiny = TinyStore(source)
    done = Imported()
    with target._conn() as (conn, _):
        have = conn.execute("SELECT count(*) FROM applications").fetchone()
        if have and have[0] and not into_non_empty:
            raise NotEmpty(f"the database already holds {have[0]} application(s); "
                           "add --into-non-empty to import beside them")
    secret = source / "secret.key"
    if secret.exists():
        _copy_secret(target, secret.read_text(encoding="ascii").strip())
    for app_id in tiny.all_ids():
        record = tiny.get(app_id)
        if record is None:
            continue
        with target.locked(f"app:{app_id}"), target._conn() as (conn, _):
            exists = conn.execute("SELECT record FROM applications WHERE id = %s", (app_id,)).fetchone()
            if exists is not None:
                done.skipped += 1
                continue
            conn.execute("INSERT INTO applications (id, rev, record, acceptance_number, wakeup) "
                         "VALUES (%s, 1, %s, %s, %s)", (app_id, Jsonb(record), record.get("acceptance_number"),
                                                        record.get("wakeup")))
            for person in checks.people(record):
                conn.execute("INSERT INTO people (person_key, app_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                             (person, app_id))
            for entry in tiny.audit(app_id):
                conn.execute("INSERT INTO audit (app_id, entry) VALUES (%s, %s)", (app_id, Jsonb(entry)))
                done.audit += 1
            for message in tiny.outbox(app_id):
                conn.execute("INSERT INTO outbox (app_id, id, message, status, channel, recipient, created_at) "
                             "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                             (app_id, message["id"], Jsonb(message), message.get("status", "pending"),
                              message.get("channel"), message.get("to"), checks.moment(message.get("created_at"))))
                done.messages += 1
            if record.get("acceptance_number"):
                number = str(record["acceptance_number"])
                conn.execute("INSERT INTO serials (year, last) VALUES (%s, %s) ON CONFLICT (year) "
                             "DO UPDATE SET last = greatest(serials.last, EXCLUDED.last)",
                             (int(number[:2]), int(number[2:6])))
            done.applications += 1
    spool = source / "spool"
    if spool.is_dir():
        done.mails = _copy_spool(Spool(spool), target)
    tiny.close()
    return done


def _copy_secret(target: PgStore, secret: str) -> None:
    with target._conn() as (conn, _):
        conn.execute("INSERT INTO settings (name, value) VALUES ('secret', %s) ON CONFLICT DO NOTHING", (secret,))
        row = conn.execute("SELECT value FROM settings WHERE name = 'secret'").fetchone()
    if row is None or row[0] != secret:
        raise NotEmpty("the database has another secret key: the directory's reply links and sealed "
                       "ID通知 codes would not open with it (set WEBNACCS_SECRET to the directory's key)")


def _copy_spool(spool: Spool, target: PgStore) -> int:
    copied = 0
    for name in spool.waiting():  # with the tries they had (due again at once)
        mail = spool.read(name)
        with target._conn() as (conn, _):
            done = conn.execute("INSERT INTO spool (name, envelope, raw, attempts) VALUES (%s, %s, %s, %s) "
                                "ON CONFLICT DO NOTHING", (name, Jsonb(mail.envelope), mail.raw, mail.attempts))
        copied += done.rowcount
    for aside in spool.set_aside_list():  # still set aside, for `webnaccs-bot inbound`
        mail = spool.read_set_aside(aside.name)
        with target._conn() as (conn, _):
            done = conn.execute("INSERT INTO spool (name, envelope, raw, status, attempts, reason, info) "
                                "VALUES (%s, %s, %s, 'failed', %s, %s, %s) ON CONFLICT DO NOTHING",
                                (aside.name, Jsonb(mail.envelope), mail.raw, int(aside.info.get("attempts") or 0),
                                 str(aside.info.get("reason") or ""), Jsonb(aside.info)))
        copied += done.rowcount
    return copied
