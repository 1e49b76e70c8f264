"""A mail answered 250 stays until it is processed: temporary failures (a full disk, the
database away) are tried again with backoff, also after a restart; only what can never succeed
is set aside, its sender told once, and the operator lists and retries it from the shell."""

from __future__ import annotations

import errno
import os

import pytest

from handlers.email.failures import Backoff
from tests.conftest import BOTH
from tests.email.conftest import BOT, HANAKO, SECRET, TARO
from tests.email.mailer import eventually, new_mail, send, send_null_sender, text_of
from tests.integration.cli_helpers import invoke

pytestmark = BOTH  # on TinyDB files and on PostgreSQL

QUICK = Backoff(first=0.05, cap=0.2)
SLOW = Backoff(first=3600, cap=3600)  # the next try an hour away


def unavailable(service) -> Exception:
    """What the store raises when its disk or its database is not there."""
    if service.bot.config.database_url:
        import psycopg

        return psycopg.OperationalError("connection to server failed: Connection refused")
    return OSError(errno.ENOSPC, "No space left on device")


def failing_writes(service, monkeypatch, times: int, error: Exception | None = None) -> list[int]:
    """The store's write fails the first ``times`` times (then works); returns the call count."""
    calls: list[int] = []
    real = service.bot.store.commit

    def commit(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise error or unavailable(service)
        return real(*args, **kwargs)

    monkeypatch.setattr(service.bot.store, "commit", commit)
    return calls


def cli(service, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBNACCS_", "SLACK_"))}
    env.update({"WEBNACCS_DATA_DIR": str(service.bot.config.data_dir), "WEBNACCS_SECRET": SECRET,
                "WEBNACCS_LANG": "ja"})
    if service.bot.config.database_url:
        env["WEBNACCS_DATABASE_URL"] = service.bot.config.database_url
    return invoke(list(args), env)


def answered(service, to: str):
    return [m for m in service.folder.all() if m["To"] == to and m["X-WebNACCS-Field"] == "industry"]


async def test_a_mail_whose_write_fails_for_a_while_is_processed_later_and_never_set_aside(
        start_service, config, monkeypatch):
    service = await start_service(config, backoff=QUICK, rescan=0.1)
    calls = failing_writes(service, monkeypatch, times=7)  # more than any "give up" count
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込"), sender=TARO, to=BOT)
    await eventually(lambda: answered(service, TARO), what="the mail processed once the store is back")
    assert len(calls) == 8
    assert service.channel.spool.set_aside_list() == []
    assert [r.action for _, r in service.channel.results] == ["handled"]
    assert len(service.folder.all()) == 1  # no notice of any failure


async def test_a_restart_keeps_the_count_and_the_time_of_the_next_try(start_service, config, monkeypatch):
    first = await start_service(config, backoff=SLOW)
    failing_writes(first, monkeypatch, times=1)
    await send(first.port, new_mail(sender=TARO, to=BOT, subject="申込"), sender=TARO, to=BOT)
    spool = first.channel.spool
    [name] = await eventually(lambda: [n for n in _all_waiting(spool) if spool.read(n).attempts == 1],
                              what="the failed try recorded")
    await first.stop()

    again = await start_service(config, backoff=QUICK, rescan=0.1)
    calls = failing_writes(again, monkeypatch, times=1)
    await again.channel.drain()
    assert calls == [] and answered(again, TARO) == []  # not due yet: no try at the start
    # An hour later (the next try made due): it fails once more, counted on from where it was.
    again.channel.spool.retry_later(name, attempts=1, delay=0, reason="OSError")
    await eventually(lambda: calls, what="the due mail tried")
    await eventually(lambda: answered(again, TARO), what="the mail processed at its third try")
    assert again.channel.spool.set_aside_list() == []


def _all_waiting(spool) -> list[str]:
    if hasattr(spool, "folder"):
        return sorted(n for n in os.listdir(spool.folder) if n.endswith(".mail"))
    with spool._store._conn() as (conn, _):
        return [r[0] for r in conn.execute("SELECT name FROM spool WHERE status = 'waiting'").fetchall()]


async def test_a_mail_that_fails_every_time_is_set_aside_the_sender_told_once_and_the_operator_retries_it(
        start_service, config, monkeypatch):
    service = await start_service(config, backoff=QUICK, rescan=0.1)
    calls = failing_writes(service, monkeypatch, times=10**6, error=KeyError("a bug"))
    body = "秘密の内容：ABC損害保険の端末を追加します"
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込の件", body=body), sender=TARO, to=BOT)
    [notice] = await eventually(lambda: [m for m in service.folder.all() if m["X-WebNACCS-Notice"] == "set_aside"],
                                what="the sender told")
    assert len(calls) == 5  # tried 5 times, then set aside
    assert notice["To"] == TARO and notice["Auto-Submitted"] == "auto-replied"
    text = text_of(notice)
    assert "処理できませんでした" in text and "申込の件" in text and "秘密" not in text and "ABC" not in text

    await eventually(lambda: service.channel.spool.set_aside_list()[0].info.get("told"), what="recorded as told")
    listed = cli(service, "inbound", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = __import__("json").loads(listed.output)
    assert (row["from"], row["subject"], row["attempts"], row["reason"], row["told"]) == \
        (TARO, "申込の件", 5, "error", True)
    shown = cli(service, "inbound", "list")
    assert row["name"] in shown.output and "処理中のエラーが続いた" in shown.output

    monkeypatch.delattr(service.bot.store, "commit")  # the bug is fixed; the operator puts the mail back
    retried = cli(service, "inbound", "retry", row["name"])
    assert retried.exit_code == 0, retried.output
    await eventually(lambda: answered(service, TARO), what="the retried mail processed")
    assert service.channel.spool.set_aside_list() == []
    assert [m["X-WebNACCS-Notice"] for m in service.folder.all()].count("set_aside") == 1  # told once
    assert cli(service, "inbound", "retry", row["name"]).exit_code == 1  # nothing set aside any more
    assert cli(service, "inbound", "retry", "--all").exit_code == 0


async def test_a_bounce_or_an_auto_reply_set_aside_tells_nobody(start_service, config, monkeypatch):
    service = await start_service(config, backoff=QUICK, rescan=0.1)
    failing_writes(service, monkeypatch, times=10**6, error=KeyError("a bug"))
    monkeypatch.setattr("handlers.email.process.read", _broken_reading)
    await send_null_sender(service.port, new_mail(sender="MAILER-DAEMON@example.co.jp", to=BOT,
                                                  subject="Undelivered Mail"), to=BOT)
    auto = new_mail(sender=HANAKO, to=BOT, subject="不在", extra={"Auto-Submitted": "auto-replied"})
    await send(service.port, auto, sender=HANAKO, to=BOT)
    await eventually(lambda: len(service.channel.spool.set_aside_list()) == 2, what="both set aside")
    rows = [a.info for a in service.channel.spool.set_aside_list()]
    assert [r["reason"] for r in rows] == ["unreadable", "unreadable"]  # a parse error that reproduces
    assert all(r["attempts"] == 2 and r["notify"] is None for r in rows)
    await service.channel.drain()
    assert service.folder.all() == []


async def test_the_sender_of_a_reply_set_aside_is_told_in_the_language_of_the_application(
        start_service, config, monkeypatch):
    from tests.email.mailer import outlook_reply

    service = await start_service(config, backoff=QUICK, rescan=0.1)
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="Application",
                                      body="I would like to apply for WebNACCS."), sender=TARO, to=BOT)
    await service.settled()
    [question] = service.folder.new()
    failing_writes(service, monkeypatch, times=10**6, error=KeyError("a bug"))
    answer = outlook_reply(question, "non-life insurer", sender=TARO, name="Taro", charset="utf-8")
    await send(service.port, answer, sender=TARO, to=str(question["Reply-To"]))
    [told] = await eventually(lambda: [m for m in service.folder.all() if m["X-WebNACCS-Notice"] == "set_aside"],
                              what="the sender told")
    assert told["Content-Language"] == "en" and "could not be processed" in text_of(told)
    assert "non-life" not in text_of(told)


def _broken_reading(raw, **kwargs):
    raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    caplog.set_level("CRITICAL", logger="webnaccs.email")  # the failures above are logged on purpose


async def test_a_full_disk_at_the_journal_holds_the_mail_until_there_is_space(start_service, config, monkeypatch):
    if config.database_url:
        pytest.skip("the journal is TinyDB's")
    import os as real_os

    from store.tiny import journal
    from tests.slack.test_inbox import _FullDisk

    service = await start_service(config, backoff=QUICK, rescan=0.1)
    monkeypatch.setattr(journal, "os", _FullDisk(real_os))
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込"), sender=TARO, to=BOT)
    spool = service.channel.spool
    await eventually(lambda: [n for n in spool.waiting() if spool.read(n).attempts >= 3], what="tries on a full disk")
    assert answered(service, TARO) == [] and spool.set_aside_list() == []
    shown = cli(service, "inbound", "list", "--waiting")
    assert "再試行待ち" in shown.output and "No space left on device" in shown.output, shown.output
    monkeypatch.setattr(journal, "os", real_os)  # space again
    await eventually(lambda: answered(service, TARO), what="the mail processed once there is space")
    assert spool.set_aside_list() == []
