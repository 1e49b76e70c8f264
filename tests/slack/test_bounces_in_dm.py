"""A bounce of a mail to the administrator of an application made in Slack (issue 13 item 4):
the relay's report comes back over SMTP, and the applicant is told in their DM, not by mail.
On TinyDB files and on PostgreSQL."""

from __future__ import annotations

import asyncio

from handlers import bootstrap, outbox_cli, server
from tests.conftest import BOTH
from tests.email.conftest import BOT
from tests.email.mailer import Sink, eventually
from tests.email.test_bounces import TYPO, UNKNOWN, bounced_rows
from tests.email.test_relay import free_port, start_sink
from tests.slack.conftest import APPLICANT, FILLED, Slack, until

pytestmark = BOTH


def bounced_posts(slack: Slack) -> list[dict]:
    return [p for p in slack.posts(APPLICANT)
            if ((p.get("metadata") or {}).get("event_payload") or {}).get("notice") == "bounced"]


async def test_the_applicant_in_slack_is_told_in_their_dm(make_bot, api):
    sink = Sink(undeliverable={TYPO: UNKNOWN})
    relay_port = free_port()
    relay = await start_sink(relay_port, sink)
    bot = make_bot(mail_address=BOT, smtp_port=0, smtp_relay=f"127.0.0.1:{relay_port}")
    mail, chat = bootstrap.email_channel(bot), bootstrap.slack_channel(bot)
    running = await server.start(bot, [mail, chat])
    sink.returns_to = mail.port
    slack = Slack(running, chat, api)
    try:
        person = await chat.people.person(APPLICANT)
        await asyncio.to_thread(bot.service.fill, person, {**FILLED, "admin_email": TYPO})
        outcome = await asyncio.to_thread(bot.service.handle, person, "登録")
        assert outcome.filed
        number = str(outcome.acceptance_number)

        [row] = await eventually(lambda: bounced_rows(bot), what="the bounce to be recorded")
        assert (row.to, row.what, row.status) == (TYPO, "acknowledgment", "failed") and "5.1.1" in row.last_error
        [post] = await until(lambda: bounced_posts(slack))
        await slack.delivered()
        text = " ".join(b.get("text", {}).get("text", "") for b in post.get("blocks") or [])
        assert TYPO in text and number in text and "「修正 管理責任者メール」" in text
        assert "メール不達のお知らせ" in post["text"]
        # told in Slack only: no notice of it by mail, to the applicant nor to the address that bounced
        await until(lambda: not [m for m in bot.store.pending_outbox(["email"]) if not m.get("next_at")])
        assert [m for m in sink.mails() if m["X-WebNACCS-Notice"] == "bounced"] == []
        assert [r.ref for r in outbox_cli.rows(bot.store)] == [row.ref]
    finally:
        await running.stop()
        relay.close()
        await relay.wait_closed()
