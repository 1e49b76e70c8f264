"""The spool keeps a mail's failed tries with it (both backends): a new instance — a restart,
another replica — sees how often it was tried and does not take it before its next try is due;
what was set aside stays apart, described, until it is put back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.spool import Spool

RAW = b"From: taro@example.co.jp\r\nSubject: x\r\n\r\nbody\r\n"
ENVELOPE = {"mail_from": "taro@example.co.jp", "rcpt_tos": ["webnaccs@localhost"]}


def spool_on(backend, tmp_path):
    if backend.kind == "tiny":
        return Spool(tmp_path / "data" / "spool")
    from store.postgres.spool import PgSpool

    return PgSpool(backend())


def test_a_failed_try_is_kept_with_the_mail_and_delays_it(backend, tmp_path):
    spool = spool_on(backend, tmp_path)
    first, second = spool.put(RAW, ENVELOPE), spool.put(RAW, ENVELOPE)
    assert spool.read(first).attempts == 0
    spool.retry_later(first, attempts=3, delay=3600, reason="OSError: [Errno 28] No space left on device")

    again = spool_on(backend, tmp_path)  # as after a restart
    assert again.names() == [second]  # not due for an hour: no storm of tries at the start
    [waiting] = again.retrying()
    assert (waiting.name, waiting.info["attempts"], waiting.info["reason"]) == (first, 3, "OSError: [Errno 28] "
                                                                                 "No space left on device")
    assert datetime.fromisoformat(waiting.info["next_at"]) > datetime.now(UTC) + timedelta(minutes=59)
    assert again.read(first).attempts == 3
    again.retry_later(first, attempts=4, delay=0, reason="OSError")
    assert spool_on(backend, tmp_path).names() == [first, second]
    assert again.read(first).attempts == 4


def test_a_set_aside_mail_is_described_listed_and_can_be_put_back(backend, tmp_path):
    spool = spool_on(backend, tmp_path)
    name = spool.put(RAW, ENVELOPE)
    spool.retry_later(name, attempts=4, delay=0, reason="ValueError: bug")
    spool.set_aside(name, {"reason": "error", "attempts": 5, "sender": "taro@example.co.jp", "subject": "x",
                           "told": False})
    assert spool.names() == []
    [aside] = spool_on(backend, tmp_path).set_aside_list()
    assert (aside.name, aside.envelope["mail_from"], aside.info["reason"], aside.info["attempts"]) == \
        (name, "taro@example.co.jp", "error", 5)
    assert spool.read_set_aside(name).raw == RAW

    spool.mark_told(name)
    assert spool.set_aside_list()[0].info["told"] is True

    other = spool_on(backend, tmp_path)  # the command line, beside the running service
    assert other.put_back(name) is True
    assert other.put_back(name) is False  # only once
    assert spool.set_aside_list() == []
    assert spool.names() == [name] and spool.read(name).attempts == 0  # a fresh start


def test_a_mail_set_aside_by_an_earlier_release_is_listed(tmp_path):
    spool = Spool(tmp_path / "spool")
    (tmp_path / "spool" / "failed").mkdir()
    (tmp_path / "spool" / "failed" / "0001-aa.mail").write_bytes(b'{"mail_from":"a@x"}\n' + RAW)
    [aside] = spool.set_aside_list()
    assert (aside.name, aside.envelope, aside.info) == ("0001-aa.mail", {"mail_from": "a@x"}, {})
    assert spool.put_back("0001-aa.mail") and spool.names() == ["0001-aa.mail"]


def test_db_import_brings_waiting_mail_with_its_tries_and_what_was_set_aside(tmp_path):
    from store.postgres import PgStore, importer
    from store.postgres.spool import PgSpool
    from tests import pg

    source = Spool(tmp_path / "data" / "spool")
    waiting, aside = source.put(RAW, ENVELOPE), source.put(RAW, ENVELOPE)
    source.retry_later(waiting, attempts=2, delay=3600, reason="OSError")
    source.set_aside(aside, {"reason": "time_budget", "attempts": 1, "subject": "x", "told": True})
    with pg.fresh_schema() as url:
        target = PgStore(url, pool_size=2)
        try:
            assert importer.run(tmp_path / "data", target).mails == 2
            spool = PgSpool(target)
            assert spool.names() == [waiting] and spool.read(waiting).attempts == 2
            [listed] = spool.set_aside_list()
            assert (listed.name, listed.info["reason"], listed.info["told"]) == (aside, "time_budget", True)
        finally:
            target.close()


def test_metrics_count_waiting_and_set_aside_mail_on_both_backends(backend, tmp_path):
    """``/metrics`` reads these counts: on PostgreSQL the spool is a table, not files (both
    gauges showed 0 there)."""
    from handlers import metrics
    from store import TinyStore

    spool = spool_on(backend, tmp_path)
    names = [spool.put(RAW, ENVELOPE) for _ in range(3)]
    spool.set_aside(names[0], {"reason": "error", "attempts": 5})
    assert spool.counts() == (2, 1)
    store = TinyStore(tmp_path / "data") if backend.kind == "tiny" else backend()
    census = metrics.watch(store, spool, every=3600)
    try:
        found = metrics.exposition().decode()
    finally:
        census.stop()
        metrics.unwatch()
    assert "webnaccs_inbound_spooled 2.0" in found and "webnaccs_inbound_failed 1.0" in found
