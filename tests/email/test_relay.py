"""Outgoing mail through a relay that goes down, defers, refuses and comes back."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter

from aiosmtpd.smtp import SMTP

from bot.service import Person
from handlers import outbox_cli
from tests.email.conftest import HANAKO, TARO, with_relay
from tests.email.mailer import Sink, eventually, text_of
from tests.email.test_mail_safety import values_for_a_whole_application

PERSON = Person(key=f"email:{TARO}", channel="email", prefill={"applicant_email": TARO}, address=TARO)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_sink(port: int, sink: Sink) -> asyncio.base_events.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", port)


def email_messages(bot) -> list[dict]:
    return [m for app_id in bot.store.all_ids() for m in bot.store.outbox(app_id) if m["channel"] == "email"]


def pending(bot) -> list[dict]:
    return [m for m in email_messages(bot) if m["status"] == "pending"]


async def file_application(bot) -> str:
    await asyncio.to_thread(bot.service.fill, PERSON, values_for_a_whole_application())
    outcome = await asyncio.to_thread(bot.service.handle, PERSON, "登録")
    assert outcome.filed
    return outcome.acceptance_number


async def catch_up(service, clock) -> None:
    """Let the backoff pass (on the fixed clock) and wake the dispatcher."""
    clock.advance(hours=1)
    service.running.dispatcher.wake()


async def test_notices_wait_while_the_relay_is_down_and_go_out_once_when_it_is_back(start_service, config, clock):
    port = free_port()
    service = await start_service(with_relay(config, port))
    bot = service.bot
    number = await file_application(bot)

    def every_recipient_tried() -> bool:
        tried = {m["to"] for m in pending(bot) if m.get("attempts")}
        return tried == {TARO, HANAKO}

    await eventually(every_recipient_tried, what="a first try at each recipient")
    assert all("relay unreachable" in m["last_error"] for m in pending(bot) if m.get("attempts"))

    sink = Sink()
    relay = await start_sink(port, sink)
    try:
        await catch_up(service, clock)
        await eventually(lambda: not pending(bot), what="the queue to empty")
        # a reviewer approves: the confirmation goes straight out, but one recipient is deferred once
        sink.refuse[HANAKO] = "451 4.3.0 Try again later"
        decision = await asyncio.to_thread(bot.service.decide, number, decision="approve", actor="slack:R1",
                                           start_date="2027-01-04")
        assert decision.applied
        await eventually(lambda: [m for m in pending(bot) if m["to"] == HANAKO and m.get("attempts")],
                         what="the deferred confirmation")
        del sink.refuse[HANAKO]
        await catch_up(service, clock)
        await eventually(lambda: not pending(bot), what="the queue to empty again")
    finally:
        relay.close()
        await relay.wait_closed()

    received = Counter(str(m["Message-ID"]) for m in sink.mails())
    assert len(received) == len(email_messages(bot)) and set(received.values()) == {1}
    notices = Counter((str(m["To"]), m["X-WebNACCS-Notice"]) for m in sink.mails() if m["X-WebNACCS-Notice"])
    assert notices == {(TARO, "acknowledgment"): 1, (HANAKO, "acknowledgment"): 1,
                       (TARO, "confirmation"): 1, (HANAKO, "confirmation"): 1, (TARO, "id_notification"): 1}
    by_kind = {(str(m["To"]), m["X-WebNACCS-Notice"]): m for m in sink.mails()}
    # the form goes to the applicant; the administrator's address was typed, not verified (15.8)
    assert list(by_kind[(HANAKO, "confirmation")].iter_attachments()) == []
    [form] = [p for p in by_kind[(TARO, "confirmation")].iter_attachments()]
    assert form.get_content_type() == "application/pdf" and form.get_filename() == f"{number}-application-form.pdf"
    id_mail = text_of(by_kind[(TARO, "id_notification")])
    assert f"{config.public_url}/id/" in id_mail  # a link to the page; the codes are not in the mail
    codes = bot.service.id_codes(bot.service.find(number))
    secrets = [c["access_key"] for c in codes] + [a for c in codes for a in c["auth_codes"]]
    assert secrets and not any(s.encode() in raw for s in secrets for _, _, raw in sink.received)
    assert all(rcpts == [str(mail["To"])] for (_, rcpts, _), mail in zip(sink.received, sink.mails(), strict=True))
    # The envelope sender is the bot's, as each message's own bounce address (VERP, issue 13.4:
    # it was the plain webnaccs@localhost before): webnaccs+bounce-APP.MAC@localhost.
    addresses = service.channel.addresses
    for (frm, _, _), mail in zip(sink.received, sink.mails(), strict=True):
        app_id, outbox_id = str(mail["Message-ID"]).strip("<>").split("@")[0].split(".", 2)[1:]
        assert frm == addresses.bounce_address(app_id, outbox_id) and frm.endswith("@localhost")


async def test_a_refused_recipient_is_marked_failed_for_the_operator_and_can_be_retried(
        start_service, config, clock):
    sink = Sink(refuse={HANAKO: "550 5.1.1 No such user"})
    port = free_port()
    relay = await start_sink(port, sink)
    service = await start_service(with_relay(config, port))
    bot = service.bot
    try:
        await file_application(bot)
        await eventually(lambda: not pending(bot), what="every message sent or failed")
        [failed] = outbox_cli.rows(bot.store, statuses=("failed",))
        assert (failed.to, failed.what, failed.status) == (HANAKO, "acknowledgment", "failed")
        assert "550" in failed.last_error
        listing = outbox_cli.render_list(bot.renderer, "ja", bot.store)
        assert failed.ref in listing and "送信失敗 1件" in listing

        del sink.refuse[HANAKO]
        assert outbox_cli.retry(bot.store, failed.ref) == "retried"
        assert outbox_cli.retry(bot.store, failed.ref) == "not_failed"
        assert outbox_cli.retry(bot.store, "nope/nothing") == "not_found"
        service.running.dispatcher.wake()
        await eventually(lambda: not pending(bot), what="the retried message to go out")
        assert Counter(str(m["To"]) for m in sink.mails() if m["X-WebNACCS-Notice"]) == {TARO: 1, HANAKO: 1}
        assert outbox_cli.rows(bot.store) == []  # no review channel configured: nothing waits (issue 12.9)
    finally:
        relay.close()
        await relay.wait_closed()
