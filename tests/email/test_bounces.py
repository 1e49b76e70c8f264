"""Bounces are seen (issue 13 item 4): a mail to a mistyped administrator address is accepted by
the relay, the relay's delivery status notification comes back over SMTP to the mail's own
bounce address, and the message is marked failed, the applicant told, the operator's outbox
listing shows it. On TinyDB files and on PostgreSQL."""

from __future__ import annotations

import asyncio
import smtplib
from typing import Any

import pytest

from bot.service import Person
from handlers import outbox_cli
from tests.conftest import BOTH
from tests.email.conftest import BOT, HANAKO, TARO, with_relay
from tests.email.mailer import Sink, dsn, eventually, new_mail, send, send_null_sender, text_of
from tests.email.test_mail_safety import values_for_a_whole_application
from tests.email.test_relay import free_port, start_sink

pytestmark = BOTH

TYPO = "hanako@exmaple.co.jp"  # example → exmaple: the domain exists nowhere
UNKNOWN = ("5.1.1", f"smtp; 550 5.1.1 <{TYPO}>: Recipient address rejected: User unknown in virtual mailbox table")
PERSON = Person(key=f"email:{TARO}", channel="email", prefill={"applicant_email": TARO}, address=TARO)


async def file_with_typo(bot) -> str:
    values = {**values_for_a_whole_application(), "admin_email": TYPO}
    await asyncio.to_thread(bot.service.fill, PERSON, values)
    outcome = await asyncio.to_thread(bot.service.handle, PERSON, "登録")
    assert outcome.filed
    return str(outcome.acceptance_number)


async def filed_with_typo(relay, start_service, config, sink: Sink) -> tuple[Any, str]:
    """The service relaying into ``sink``, and an application filed with the mistyped
    administrator address whose mails are out (the number)."""
    service = await start_service(with_relay(config, await relay(sink)))
    number = await file_with_typo(service.bot)
    await service.settled()
    return service, number


def bounced_rows(bot) -> list[outbox_cli.Row]:
    return [r for r in outbox_cli.rows(bot.store, statuses=("failed",)) if r.bounced]


def notices(sink: Sink, to: str, kind: str = "bounced") -> list:
    return [m for m in sink.mails() if str(m["To"]) == to and m["X-WebNACCS-Notice"] == kind]


def stored(bot, number: str, to: str, notice: str = "acknowledgment") -> dict:
    app = bot.service.find(number)
    [message] = [m for m in bot.store.outbox(app.id) if m.get("to") == to and m.get("notice") == notice]
    return message


def sender_of(sink: Sink, to: str, notice: str = "acknowledgment") -> str:
    """The envelope sender the relay was given for that mail: its bounce address."""
    [frm] = [frm for (frm, rcpts, raw), mail in zip(sink.received, sink.mails(), strict=True)
             if rcpts == [to] and mail["X-WebNACCS-Notice"] == notice]
    return frm


@pytest.fixture
async def relay():
    servers = []

    async def start(sink: Sink) -> int:
        port = free_port()
        servers.append(await start_sink(port, sink))
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_mistyped_administrator_address_bounces_and_the_applicant_is_told_by_mail(
        relay, start_service, config):
    sink = Sink(undeliverable={TYPO: UNKNOWN})
    service = await start_service(with_relay(config, await relay(sink)))
    sink.returns_to = service.port  # the relay returns its bounces to the bot
    bot = service.bot
    number = await file_with_typo(bot)

    [row] = await eventually(lambda: bounced_rows(bot), what="the bounce to be recorded")
    assert (row.to, row.what, row.status, row.acceptance_number) == (TYPO, "acknowledgment", "failed", number)
    assert row.last_error.startswith("550 5.1.1") and "User unknown" in row.last_error
    message = stored(bot, number, TYPO)
    assert message["bounced"] and message["bounce_status"] == "5.1.1" and "User unknown" in message["last_error"]
    listing = outbox_cli.render_list(bot.renderer, "ja", bot.store)
    assert row.ref in listing and "不達" in listing and "User unknown" in listing and "送信失敗 1件" in listing
    assert "bounced:" in outbox_cli.render_list(bot.renderer, "en", bot.store)

    [told] = await eventually(lambda: notices(sink, TARO), what="the applicant's notice")
    await service.settled()
    assert [r.ref for r in outbox_cli.rows(bot.store)] == [row.ref]  # nothing else waits or failed
    text = text_of(told)
    assert TYPO in text and number in text and "管理責任者のメールアドレス" in text
    assert "審査中" in text and "システム担当者" in text and "「修正 管理責任者メール」" in text  # filed: as it is
    assert "##-" not in text  # a notice: no reply marker
    assert str(told["Subject"]) == f"【WebNACCS】メール不達のお知らせ（{number}）"
    assert notices(sink, TYPO) == []  # never to the address that bounced
    assert len(notices(sink, TARO)) == 1

    # every mail went with its own bounce address as envelope sender, within a local part's 64
    senders = [frm for frm, _, _ in sink.received]
    assert all(s.startswith("webnaccs+bounce-") and s.endswith("@localhost") for s in senders)
    assert len(set(senders)) == len(senders) and max(len(s.split("@")[0]) for s in senders) <= 64
    app = service.app(number)
    assert [e["action"] for e in bot.store.audit(app.id)][-1] == "mail_bounced"
    assert [result.action for _, result in service.channel.results] == ["bounced"]


async def test_the_same_report_twice_tells_the_applicant_once_also_after_a_checkpoint(relay, start_service, config):
    sink = Sink(undeliverable={TYPO: UNKNOWN})  # the bounce is held back: sent twice below
    service, number = await filed_with_typo(relay, start_service, config, sink)
    bot = service.bot
    assert stored(bot, number, TYPO)["status"] == "sent"
    await asyncio.to_thread(bot.store.checkpoint)  # TinyDB archives sent messages: the bounce still finds it
    [(bounce_address, report)] = sink.returned
    assert bounce_address == sender_of(sink, TYPO)

    for _ in range(2):
        await send_null_sender(service.port, report, to=bounce_address)
        await service.settled()
    assert [result.action for _, result in service.channel.results] == ["bounced", "duplicate"]
    assert len(notices(sink, TARO)) == 1
    [row] = bounced_rows(bot)
    assert row.to == TYPO and "User unknown" in row.last_error
    await asyncio.to_thread(bot.store.checkpoint)
    assert [r.ref for r in bounced_rows(bot)] == [row.ref]  # kept as failed across checkpoints

    # the operator may send it again (after the address is put right): it is no longer bounced
    assert outbox_cli.retry(bot.store, row.ref) == "retried"
    assert bounced_rows(bot) == []


async def test_a_delayed_report_changes_nothing(relay, start_service, config):
    sink = Sink()
    service, number = await filed_with_typo(relay, start_service, config, sink)
    bot = service.bot
    late = dsn(b"Message-ID: <x@y>\r\n\r\n", to=sender_of(sink, TYPO), recipient=TYPO, action="delayed",
               status="4.4.1", diagnostic="smtp; 451 4.4.1 Connection timed out")
    await send_null_sender(service.port, late, to=sender_of(sink, TYPO))
    await service.settled()
    assert [(r.action, r.reason) for _, r in service.channel.results] == [("ignored", "delayed")]
    assert stored(bot, number, TYPO)["status"] == "sent" and "bounced" not in stored(bot, number, TYPO)
    assert outbox_cli.rows(bot.store) == [] and notices(sink, TARO) == []


async def test_an_out_of_office_reply_to_the_envelope_sender_changes_nothing(relay, start_service, config):
    sink = Sink()
    service, number = await filed_with_typo(relay, start_service, config, sink)
    bot = service.bot
    away = new_mail(sender=HANAKO, to=sender_of(sink, TYPO), subject="自動応答: 利用申込受付完了のお知らせ",
                    body="ただいま不在にしております。12月1日に戻ります。", extra={"Auto-Submitted": "auto-replied"})
    await send(service.port, away, sender=HANAKO, to=sender_of(sink, TYPO))
    await service.settled()
    assert [(r.action, r.reason) for _, r in service.channel.results] == [("ignored", "not_a_bounce")]
    assert stored(bot, number, TYPO)["status"] == "sent" and outbox_cli.rows(bot.store) == []


async def test_a_forged_bounce_is_refused_and_ignored(relay, start_service, config):
    sink = Sink()
    service, number = await filed_with_typo(relay, start_service, config, sink)
    bot = service.bot
    real = sender_of(sink, TYPO)
    local, _, domain = real.partition("@")
    app_part, _, mac = local.rpartition(".")
    forged = [f"{app_part}.{'a' * len(mac)}@{domain}",  # a made-up signature
              f"webnaccs+bounce-0123456789abcdef.{mac}@{domain}",  # the signature, on another application
              f"webnaccs+bounce-.{mac}@{domain}"]
    report = dsn(b"Message-ID: <x@y>\r\n\r\n", to=forged[0], recipient=TYPO)
    for address in forged:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:  # 550 at RCPT
            await send_null_sender(service.port, report, to=address)
        assert refused.value.recipients[address][0] == 550
    # and should one be spooled all the same (a replica with older code), it is ignored
    result = await asyncio.to_thread(service.channel.processor.process, report,
                                     {"mail_from": "", "rcpt_tos": [forged[0]]})
    assert (result.action, result.reason) == ("ignored", "unknown_bounce")
    assert stored(bot, number, TYPO)["status"] == "sent" and outbox_cli.rows(bot.store) == []
    assert notices(sink, TARO) == [] and list(service.channel.results) == []
    # the bot's own address and reply addresses still work beside them
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="状況"), sender=TARO, to=BOT)
    await service.settled()
    assert [r.action for _, r in service.channel.results] == ["handled"]
